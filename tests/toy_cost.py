"""A toy seventh constraint, as docs/adding-a-constraint.md builds it: operating cost.

``cost_usd_per_day = GPUs needed x 24 h x price per GPU-hour``, which must be at most the
target ``targets.operating_cost_usd_per_day``. It reads the fleet's GPUs needed, which rise
with the fine-tuning job's GPUs, so it is a ``JOB`` constraint: the census finds, per (model
size, strategy, deferral, context), the most job GPUs at which it passes. The test fixture
registers it and removes it again (tests/test_toy_constraint.py).
"""

from __future__ import annotations

import math
from typing import Any

from constraintlab.model import scenario as sc
from constraintlab.model.record import JOB, Arrays, Constraint, Point, Reading

HOURS_PER_DAY = 24.0
NO_GPU_TOTAL = "the fine-tuning job keeps up at no grid interval, so the fleet has no GPU total"


def cost_usd_per_day(gpus_needed: Any) -> Any:
    """GPUs needed x 24 h x the price of a GPU-hour (floats or arrays)."""
    return gpus_needed * HOURS_PER_DAY * float(sc.GPU_HOUR_PRICE_USD)


def _score(p: Point) -> Reading:
    gpus = p.usage.gpus_needed
    working = {"gpus_needed": gpus, "gpu_hour_price_usd": float(sc.GPU_HOUR_PRICE_USD)}
    if not math.isfinite(gpus):
        return Reading(math.inf, working, met=False, missing=NO_GPU_TOTAL)
    return Reading(cost_usd_per_day(gpus), working)


def _score_many(a: Arrays) -> tuple[Any, Any]:
    return cost_usd_per_day(a.gpus_needed), a.job_finite


def _line(result: Any, card: Any) -> str:
    d = result.derivation
    if result.missing:
        return str(result.missing)
    return (
        f"{d['gpus_needed']:,.0f} GPUs x 24 h x ${d['gpu_hour_price_usd']:g} per GPU-hour"
        f" = ${result.value:,.0f} per day"
    )


COST = Constraint(
    key="operating_cost",
    label="Operating cost",
    unit="$/day",
    decimals=0,
    comparison="<=",
    target_key="targets.operating_cost_usd_per_day",
    score=_score,
    score_many=_score_many,
    explain=_line,
    mechanism=(
        "Every GPU the fleet holds is paid for by the hour: serving replicas, spares, the"
        " fine-tuning job and the GPUs deferral adds."
    ),
    ledger_field="operating_cost_met",
    kind=JOB,
)
