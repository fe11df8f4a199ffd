"""``evaluate_many``: the scorecard model over numpy arrays, for the explorer and the census.

Each constraint of the registry is evaluated by its record's ``score_many``, which runs the very
functions its scalar evaluation runs, on arrays instead of floats; the fine-tuning job and the
GPUs needed come from the same definitions as the scalar engine's (:mod:`training`,
:func:`carbon.gpus_needed`). The serving
fleet and its uptime depend only on (model size, strategy); they are computed once per distinct
pair with the scalar code and scattered back. So the two paths agree by construction, and a
property test checks it on random designs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from constraintlab.model import carbon as carbon_model
from constraintlab.model import registry, training
from constraintlab.model import scenario as sc
from constraintlab.model.decide import meets, shown
from constraintlab.model.design import (
    CONTROLS,
    DEPLOYMENT_CONTEXTS,
    PARALLELISM_STRATEGIES,
    DesignError,
    NumericControl,
    interval_grid,
)
from constraintlab.model.engine import carbon_baseline
from constraintlab.model.registry import Arrays
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


def job_table(
    ideal: FloatArray, write_s: FloatArray, interval_min: FloatArray
) -> tuple[FloatArray, BoolArray]:
    """(N, keeps_up) per element (a, its write C, its interval T): the job size, or its true
    demand (the cheapest grid interval's size; inf if none) where it cannot keep up. The
    scalar engine's :func:`job_gpus` rule."""
    gpus = np.empty(ideal.shape, dtype=np.float64)
    keeps = np.empty(ideal.shape, dtype=bool)
    for interval in np.unique(interval_min).tolist():
        here = interval_min == interval
        n, k = training.size_training_job(ideal[here], float(interval), write_s[here])
        gpus[here], keeps[here] = n, k
    if not keeps.all():
        short = ~keeps
        gpus[short] = training.true_demand_many(ideal[short], write_s[short], interval_grid())
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
    """Every constraint of the registry on the arrays (its ``score_many``), the GPUs needed
    (:func:`carbon.gpus_needed`) and the verdict."""
    size, eps, weight = n["model_size_b"], n["dp_epsilon"], n["adv_weight"]
    ideal = np.asarray(training.ideal_training_gpus(size, eps, weight), dtype=np.float64)
    write_s = np.broadcast_to(training.checkpoint_write_s(size), ideal.shape)
    job, keeps_up = job_table(
        np.ascontiguousarray(ideal), write_s, np.ascontiguousarray(n["checkpoint_interval_min"])
    )
    flex = n["flexible_job_pct"]
    finite = np.isfinite(job)
    safe_job = np.where(finite, job, 0.0)
    held = serve.serving_gpus + serve.spare_gpus
    ppa = np.array([carbon_model.ppa_kw(c) for c in DEPLOYMENT_CONTEXTS])[context_code]
    arrays = Arrays(
        model_size_b=size,
        dp_epsilon=eps,
        adv_weight=weight,
        serve=serve,
        held_gpus=held,
        job_gpus=safe_job,
        job_finite=finite,
        flexible_job_pct=flex,
        ppa_kw=ppa,
        gpus_needed=carbon_model.gpus_needed(held, job, flex),
        baseline_g_per_study=carbon_baseline().g_per_study,
    )
    values: dict[str, FloatArray] = {}
    met: dict[str, BoolArray] = {}
    for constraint in registry.constraints():
        value, ok = constraint.score_many(arrays)
        met[constraint.key] = np.asarray(meets(constraint.key, value), dtype=bool) & ok
        values[constraint.key] = np.asarray(shown(constraint.key, value), dtype=np.float64)
    n_met = np.asarray(sum(m.astype(np.int64) for m in met.values()), dtype=np.int64)
    within = keeps_up & (arrays.gpus_needed <= sc.GPU_BUDGET)
    approved = (n_met == len(met)) & within
    return ManyResult(values, met, approved, n_met, arrays.gpus_needed, within)
