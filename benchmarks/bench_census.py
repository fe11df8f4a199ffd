"""Benchmark: the exact census against the scalar evaluate() loop, and feasibility_slice.

Prints one JSON object. Everything is measured in the same run, on the same machine:

* census: ``compute_census`` with its tables rebuilt (triples, job sizes, carbon and budget
  thresholds, every count) and the carbon baseline recomputed; 5 runs, median, best and
  worst. The 210 (size, strategy) serving plans (the exact M/D/c queue and the spare search)
  are the one input kept: they are built once per scenario and kept on disk; the time to
  build them from nothing is reported separately (``serving_plans_cold_s``, one run). Also
  ``import constraintlab.explore`` + ``census()`` timed in a fresh process (disk cache warm).
* scalar: ``evaluate`` over a seeded random sample of grid designs (built beforehand), after a
  warm-up pass that fills the serving-plan cache as a loop over the grid would after its first
  210 (model size, strategy) pairs; seconds per design x 232,848,000 = the extrapolated full
  grid; ratio = that / the census median.
* feasibility_slice: after ``census()`` (the lab calls it at start-up; it builds the shared
  tables), every ordered pair of controls (42); cold = the first call for the pair (builds its
  best-over-the-others maxima); warm = the call the lab makes on every control change
  (5 designs per pair); median and max in ms.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from itertools import permutations

from constraintlab import Design, evaluate
from constraintlab.explore import census, feasibility_slice
from constraintlab.explore.census import compute_census
from constraintlab.model import engine, serving
from constraintlab.model.design import CONTROLS, grid_size

SCALAR_SAMPLE = 20_000
CENSUS_RUNS = 5


def _clear_engine_caches() -> None:
    engine._carbon_baseline.cache_clear()
    from constraintlab.model import training

    training._delivery_table.cache_clear()


def bench_serving_plans_cold() -> dict[str, float]:
    """All 210 grid serving plans computed from nothing (no memory or disk cache)."""
    start = time.perf_counter()
    for size in CONTROLS["model_size_b"].grid():
        for strategy in CONTROLS["parallelism"].grid():
            serving._serving_plan(float(size), str(strategy))  # computed, never read
    seconds = time.perf_counter() - start
    return {"serving_plans_cold_s": seconds}


def bench_census() -> dict[str, float]:
    runs = []
    for _ in range(CENSUS_RUNS):
        _clear_engine_caches()
        start = time.perf_counter()
        result = compute_census(reuse_tables=False)
        runs.append(time.perf_counter() - start)
    code = (
        "import time; t = time.perf_counter(); from constraintlab.explore import census;"
        " census(); print(time.perf_counter() - t)"
    )
    fresh = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return {
        "census_approved": result.approved,
        "census_s_median": statistics.median(runs),
        "census_s_best": min(runs),
        "census_s_worst": max(runs),
        "census_s_fresh_process_incl_import": float(fresh.stdout.strip()),
    }


def _random_grid_designs(count: int, seed: int = 7) -> list[Design]:
    rng = random.Random(seed)
    grids = {name: control.grid() for name, control in CONTROLS.items()}
    return [Design(**{n: rng.choice(v) for n, v in grids.items()}) for _ in range(count)]


def bench_scalar(count: int = SCALAR_SAMPLE) -> dict[str, float]:
    designs = _random_grid_designs(count)
    for design in designs:  # warm the serving-plan cache
        evaluate(design)
    start = time.perf_counter()
    for design in designs:
        evaluate(design)
    per_design = (time.perf_counter() - start) / count
    return {
        "scalar_sample_designs": count,
        "scalar_s_per_design": per_design,
        "scalar_full_grid_s_extrapolated": per_design * grid_size(),
    }


def bench_slices() -> dict[str, float]:
    designs = [
        Design(),
        Design(model_size_b=14, adv_weight=0.8, context="renewable"),
        Design(model_size_b=33.3, dp_epsilon=0.42, parallelism="3d", checkpoint_interval_min=95),
        Design(model_size_b=2, dp_epsilon=9.9, adv_weight=0, parallelism="dp"),
        Design(model_size_b=70, flexible_job_pct=50, context="renewable"),
    ]
    census()  # as the lab does at start-up: builds the tables the slices share
    cold, warm = [], []
    for x, y in permutations(CONTROLS, 2):
        start = time.perf_counter()
        feasibility_slice(designs[0], x, y)
        cold.append((time.perf_counter() - start) * 1e3)
        for design in designs:
            start = time.perf_counter()
            feasibility_slice(design, x, y)
            warm.append((time.perf_counter() - start) * 1e3)
    return {
        "slice_pairs": len(cold),
        "slice_ms_median": statistics.median(warm),
        "slice_ms_max": max(warm),
        "slice_cold_ms_median": statistics.median(cold),
        "slice_cold_ms_max": max(cold),
    }


if __name__ == "__main__":
    census_figures = bench_census()
    scalar = bench_scalar()
    ratio = scalar["scalar_full_grid_s_extrapolated"] / census_figures["census_s_median"]
    report = {
        "benchmark": "census",
        "grid_size": grid_size(),
        **census_figures,
        **scalar,
        "ratio_scalar_over_census": ratio,
        **bench_slices(),
        **bench_serving_plans_cold(),
    }
    print(json.dumps(report, indent=2))
