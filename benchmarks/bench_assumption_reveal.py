"""Benchmark: the lab's assumptions reveal for one design, one constant and all of them.

Prints one JSON object. In a temporary plan cache ($CONSTRAINTLAB_CACHE), the shipped
scenario's plans are built first (the lab builds them at start-up); then, for a seeded sample
of approved grid designs (the designs whose verdict can flip), every numeric ranged constant
is revealed on its own (:func:`constraintlab.explore.reveal.reveal_assumptions` with one key):

* cold: the first time, so a serving-plan constant's bisection computes the plans of each
  value it tries (a new scenario, a new plan key);
* warm: the same reveal again (those plans on disk and in memory).

Reported: per design the sum over constants (what "all constants" costs) cold and warm, and
over every (design, constant) the median and worst single-constant reveal, with the constant
that was worst. The lab offers one constant at a time (and all of them, with a progress bar
a constant) because the sum reaches seconds.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time

SAMPLE = 4
SEED = 3


def _timed(design: object, key: str) -> float:
    from constraintlab.explore.reveal import reveal_assumptions

    start = time.perf_counter()
    reveal_assumptions(design, [key])  # type: ignore[arg-type]
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-reveal-") as cache:
        os.environ["CONSTRAINTLAB_CACHE"] = cache
        from constraintlab.explore.census import census
        from constraintlab.explore.reveal import revealable_keys
        from constraintlab.explore.tables import tables

        census()
        grid = tables(None)
        rows = random.Random(SEED).sample(list(grid.approved_index), SAMPLE)
        designs = [grid.grid.design(row) for row in rows]
        keys = revealable_keys()
        single: dict[str, list[tuple[float, str]]] = {"cold": [], "warm": []}
        per_design = []
        for design in designs:
            sums = {}
            for rnd in ("cold", "warm"):
                times = [(_timed(design, key), key) for key in keys]
                single[rnd] += times
                sums[rnd] = round(sum(t for t, _ in times), 2)
            per_design.append({"design": design.to_dict(), "all_constants_s": sums})
    out = {
        "constants": len(keys),
        "designs": per_design,
        **{
            f"one_constant_{rnd}": {
                "median_s": round(statistics.median(t for t, _ in found), 3),
                "worst_s": round(max(found)[0], 3),
                "worst_constant": max(found)[1],
            }
            for rnd, found in single.items()
        },
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
