"""Benchmark: scalar evaluate() per design and the cost of `import constraintlab`. Prints JSON.

* evaluate: random grid designs (the slider positions a student can reach), after one warm-up
  pass that fills the serving-plan cache (210 model-size x strategy pairs); also the cold cost
  of a design whose serving plan is not cached yet (an off-grid model size).
* import: `python -c "import constraintlab"` wall time, best of several runs, minus the bare
  interpreter start-up measured the same way.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

from constraintlab import Design, evaluate
from constraintlab.model import serving
from constraintlab.model.design import CONTROLS


def _random_grid_designs(count: int, seed: int = 1) -> list[Design]:
    rng = random.Random(seed)
    grids = {name: c.grid() for name, c in CONTROLS.items()}
    return [Design(**{n: rng.choice(v) for n, v in grids.items()}) for _ in range(count)]


def bench_evaluate(count: int = 20_000) -> dict[str, float]:
    designs = _random_grid_designs(count)
    for design in designs:  # warm the serving-plan cache, as the lab's first redraws do
        evaluate(design)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for design in designs:
            evaluate(design)
        runs.append((time.perf_counter() - start) / count * 1e6)
    cold = []
    with tempfile.TemporaryDirectory() as empty:  # no plan on disk either
        os.environ["CONSTRAINTLAB_CACHE"] = empty
        for i in range(10):  # an off-grid size: the M/D/c queue and the spare search run
            design = Design(model_size_b=1.0 + i * 6.3371 % 69, parallelism="3d")
            serving.PLANS.forget()
            start = time.perf_counter()
            evaluate(design)
            cold.append((time.perf_counter() - start) * 1e6)
    return {
        "designs": count,
        "evaluate_us_median_of_5": statistics.median(runs),
        "evaluate_us_best": min(runs),
        "evaluate_cold_serving_plan_us_median": statistics.median(cold),
    }


def _best_wall_s(code: str, repeats: int = 7) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        best = min(best, time.perf_counter() - start)
    return best


def bench_import() -> dict[str, float]:
    bare = _best_wall_s("pass")
    full = _best_wall_s("import constraintlab")
    used = _best_wall_s("import constraintlab; constraintlab.evaluate(constraintlab.Design())")
    return {
        "python_startup_s": bare,
        "import_constraintlab_s": full,
        "import_constraintlab_minus_startup_s": full - bare,
        "import_and_first_evaluate_s": used,
    }


if __name__ == "__main__":
    print(json.dumps({"benchmark": "engine", **bench_evaluate(), **bench_import()}, indent=2))
