"""``evaluate_many``: the scorecard model over numpy arrays, for the explorer and the census.

The closed-form constraints (accuracy, privacy, robustness, the fine-tuning job, carbon) run the
very functions :func:`constraintlab.evaluate` runs, on arrays instead of floats. The serving
fleet and its uptime depend only on (model size, strategy); they are computed once per distinct
pair with the scalar code and scattered back. So the two paths agree by construction, and a
property test checks it on random designs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from constraintlab.model import accuracy as acc_model
from constraintlab.model import carbon as carbon_model
from constraintlab.model import robustness as rob_model
from constraintlab.model import scenario as sc
from constraintlab.model import training
from constraintlab.model.decide import meets, shown
from constraintlab.model.design import (
    CONTROLS,
    DEPLOYMENT_CONTEXTS,
    PARALLELISM_STRATEGIES,
    DesignError,
    NumericControl,
)
from constraintlab.model.engine import CONSTRAINT_NAMES, carbon_baseline, interval_grid
from constraintlab.model.serving import serving_plan

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class ServingTable:
    """Serving-side quantities per (model size, strategy) pair, as arrays over the inputs."""

    p99_ms: FloatArray
    latency_ok: BoolArray  # fits in memory and some replica count holds the SLO
    serving_gpus: FloatArray
    spare_gpus: FloatArray
    uptime: FloatArray


@dataclass(frozen=True)
class ManyResult:
    """Values (in the scorecard's units) and pass flags of many designs, broadcast together."""

    values: dict[str, FloatArray]
    met: dict[str, BoolArray]
    approved: BoolArray
    n_met: NDArray[np.int64]
    gpus_needed: FloatArray
    within_budget: BoolArray


def _numeric(name: str, value: Any) -> FloatArray:
    """A numeric control as a float array; refuses strings, booleans, NaN, inf, out of range."""
    control = CONTROLS[name]
    assert isinstance(control, NumericControl)
    raw = np.asarray(value)
    if raw.dtype.kind not in "iuf":
        raise DesignError(name, value, control.allowed())
    array = raw.astype(np.float64)
    bad = ~np.isfinite(array) | (array < control.low) | (array > control.high)
    if bad.any():
        raise DesignError(name, array[bad].flat[0].item(), control.allowed())
    return array


def _choice_codes(name: str, value: Any, choices: tuple[str, ...]) -> NDArray[np.int64]:
    array = np.asarray(value)
    lookup = {choice: code for code, choice in enumerate(choices)}
    flat = [lookup.get(item) if isinstance(item, str) else None for item in array.ravel().tolist()]
    for item, code in zip(array.ravel().tolist(), flat, strict=True):
        if code is None:
            raise DesignError(name, item, CONTROLS[name].allowed())
    return np.asarray(flat, dtype=np.int64).reshape(array.shape)


def distinct_pairs(
    first: NDArray[Any], second: NDArray[Any]
) -> tuple[tuple[NDArray[Any], NDArray[Any]], NDArray[np.intp]]:
    """The distinct (first, second) pairs of two same-shaped arrays, and each element's index
    into them (flattened). Each array is ranked on its own (a 1-D sort), the two ranks are
    combined into one integer, and those are made unique: ``np.unique(..., axis=1)`` gives
    the same pairs but sorts rows of a structured view, many times slower."""
    first_values, first_rank = np.unique(first.ravel(), return_inverse=True)
    second_values, second_rank = np.unique(second.ravel(), return_inverse=True)
    width = len(second_values)
    keys, inverse = np.unique(first_rank * width + second_rank, return_inverse=True)
    pairs = (first_values[keys // width], second_values[keys % width])
    return pairs, inverse.ravel()


def serving_table(model_size_b: FloatArray, strategy_code: NDArray[np.int64]) -> ServingTable:
    """Serving plan quantities for every element, computed once per distinct pair."""
    (sizes, codes), inverse = distinct_pairs(model_size_b, strategy_code)
    rows = []
    for size, code in zip(sizes.tolist(), codes.tolist(), strict=True):
        plan = serving_plan(float(size), PARALLELISM_STRATEGIES[int(code)])
        rows.append(
            (
                plan.p99_ms,
                plan.fits_in_memory and plan.slo_feasible,
                plan.serving_gpus,
                plan.spare_gpus,
                plan.availability.availability,
            )
        )
    table = np.asarray(rows, dtype=np.float64)[inverse.ravel()].reshape(*model_size_b.shape, 5)
    return ServingTable(
        p99_ms=table[..., 0],
        latency_ok=table[..., 1].astype(bool),
        serving_gpus=table[..., 2],
        spare_gpus=table[..., 3],
        uptime=table[..., 4],
    )


def job_table(ideal: FloatArray, interval_min: FloatArray) -> tuple[FloatArray, BoolArray]:
    """(N, keeps_up) per element: the job size, or its true demand (the cheapest grid interval's
    size; inf if none) where it cannot keep up. The scalar engine's :func:`job_gpus` rule."""
    gpus = np.empty(ideal.shape, dtype=np.float64)
    keeps = np.empty(ideal.shape, dtype=bool)
    for interval in np.unique(interval_min).tolist():
        here = interval_min == interval
        n, k = training.size_training_job(ideal[here], float(interval))
        gpus[here], keeps[here] = n, k
    if not keeps.all():
        short = ~keeps
        gpus[short] = training.true_demand_many(ideal[short], interval_grid())
    return gpus, keeps


def evaluate_many(
    *,
    model_size_b: Any = 7.0,
    dp_epsilon: Any = 1.0,
    adv_weight: Any = 0.30,
    parallelism: Any = "tp_dp",
    checkpoint_interval_min: Any = 30.0,
    flexible_job_pct: Any = 20.0,
    context: Any = "fleet",
) -> ManyResult:
    """Evaluate many designs at once; array-likes broadcast together (defaults as published).

    Categorical controls are given as strings (or arrays of strings). Invalid values raise
    :class:`~constraintlab.model.design.DesignError` naming the control, as :class:`Design` does.
    """
    numbers = {
        "model_size_b": _numeric("model_size_b", model_size_b),
        "dp_epsilon": _numeric("dp_epsilon", dp_epsilon),
        "adv_weight": _numeric("adv_weight", adv_weight),
        "checkpoint_interval_min": _numeric("checkpoint_interval_min", checkpoint_interval_min),
        "flexible_job_pct": _numeric("flexible_job_pct", flexible_job_pct),
    }
    strategy = _choice_codes("parallelism", parallelism, PARALLELISM_STRATEGIES)
    context_code = _choice_codes("context", context, DEPLOYMENT_CONTEXTS)
    shapes = [a.shape for a in numbers.values()] + [strategy.shape, context_code.shape]
    shape = np.broadcast_shapes(*shapes)
    serve = _spread_serving(numbers["model_size_b"], strategy, shape)
    n = {k: np.broadcast_to(v, shape) for k, v in numbers.items()}
    context_code = np.broadcast_to(context_code, shape)
    return _evaluate_arrays(n, serve, context_code)


def _spread_serving(
    size: FloatArray, strategy: NDArray[np.int64], shape: tuple[int, ...]
) -> ServingTable:
    """The serving table of (model size, strategy) at their own broadcast shape, spread to
    ``shape``. Serving depends on those two controls alone, so a grid that varies the others
    (a heat map over epsilon and the adversarial weight, say) looks up each pair once, not
    once per element."""
    own = np.broadcast_shapes(size.shape, strategy.shape)
    table = serving_table(
        np.ascontiguousarray(np.broadcast_to(size, own)),
        np.ascontiguousarray(np.broadcast_to(strategy, own)),
    )
    return ServingTable(
        **{f.name: np.broadcast_to(getattr(table, f.name), shape) for f in fields(table)}
    )


def _evaluate_arrays(
    n: dict[str, FloatArray], serve: ServingTable, context_code: NDArray[np.int64]
) -> ManyResult:
    size, eps, weight = n["model_size_b"], n["dp_epsilon"], n["adv_weight"]
    accuracy = acc_model.accuracy(size, eps, weight)
    robust = rob_model.robustness(eps, weight)
    ideal = np.asarray(training.ideal_training_gpus(size, eps, weight), dtype=np.float64)
    job, keeps_up = job_table(
        np.ascontiguousarray(ideal), np.ascontiguousarray(n["checkpoint_interval_min"])
    )
    flex = n["flexible_job_pct"]
    finite = np.isfinite(job)
    safe_job = np.where(finite, job, 0.0)
    extra = np.where(finite, carbon_model.deferral_gpus(safe_job, flex), 0.0)
    held = serve.serving_gpus + serve.spare_gpus
    gpus = held + job + extra
    ppa = np.array([carbon_model.ppa_kw(c) for c in DEPLOYMENT_CONTEXTS])[context_code]
    day = carbon_model.emissions(held, safe_job, flex, ppa, float(sc.GRID_RENEWABLE_G_PER_KWH))
    base = carbon_baseline()
    reduction = np.where(finite, carbon_model.reduction(day.g_per_study, base.g_per_study), -np.inf)
    values = {
        "accuracy": accuracy * 100.0,
        "p99_latency": serve.p99_ms,
        "dp_privacy": np.asarray(eps, dtype=np.float64),
        "adversarial_robustness": robust * 100.0,
        "carbon_reduction": reduction * 100.0,
        "fault_tolerance": serve.uptime * 100.0,
    }
    met = {name: np.asarray(meets(name, values[name]), dtype=bool) for name in CONSTRAINT_NAMES}
    met["p99_latency"] &= serve.latency_ok
    met["fault_tolerance"] &= serve.latency_ok
    met["carbon_reduction"] &= finite
    values = {name: np.asarray(shown(name, v), dtype=np.float64) for name, v in values.items()}
    n_met = np.asarray(sum(met[name].astype(np.int64) for name in CONSTRAINT_NAMES), dtype=np.int64)
    within = keeps_up & (gpus <= sc.GPU_BUDGET)
    approved = (n_met == len(CONSTRAINT_NAMES)) & within
    return ManyResult(values, met, approved, n_met, gpus, within)
