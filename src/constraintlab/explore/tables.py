"""The engine's verdicts over a grid, factored by the controls each one reads.

Each constraint's record (:mod:`constraintlab.model.registry`) says which controls it reads,
and its array evaluation builds its table:

* ``MODEL`` constraints (accuracy, robustness, privacy) read (model size M, epsilon,
  adversarial weight w): one table of 70 x 100 x 21 triples each;
* ``SERVING`` constraints (P99 latency, fault tolerance), and the serving + spare GPUs S, read
  (M, strategy s): 210 pairs (the M/D/c queue and the availability search run once per pair);
* the fine-tuning job's GPUs J and whether it keeps up read (M, epsilon, w, interval T);
* ``JOB`` constraints (carbon) read (S, J, deferral f, context c) and get worse as J grows
  (every term of the emissions rises with J), so each passes exactly when J <= a threshold
  Jk(M, s, f, c), found by bisection on whole GPUs with the constraint's own arithmetic;
* the budget holds when the job keeps up and S + J + deferral GPUs(J, f) <= 10,000, which
  also rises with J: J <= Jb(M, s, f).

So every grid design's verdicts are lookups (:meth:`GridTables.verdicts`), and a design is
approved when its triple and pair pass, the job keeps up and J <= min(every Jk, Jb). A test
compares the lookups with the scalar :func:`~constraintlab.evaluate` on random grid designs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from constraintlab.explore.grid import CONTROL_NAMES, Grid, full_grid
from constraintlab.model import carbon as carbon_model
from constraintlab.model import registry, training
from constraintlab.model import scenario as sc
from constraintlab.model.decide import meets
from constraintlab.model.design import DEPLOYMENT_CONTEXTS, PARALLELISM_STRATEGIES, interval_grid
from constraintlab.model.engine import CONSTRAINT_NAMES, carbon_baseline
from constraintlab.model.registry import JOB, MODEL, SERVING, Arrays, Constraint
from constraintlab.model.serving import warm_grid_plans
from constraintlab.model.vectorized import serving_table

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

STRUCTURAL: Final = CONTROL_NAMES[:5]
CARBON_CONTROLS: Final = CONTROL_NAMES[5:]
NEVER: Final = training.NEVER
_INTERVAL: Final = "checkpoint_interval_min"
assert STRUCTURAL == (
    "model_size_b",
    "dp_epsilon",
    "adv_weight",
    "parallelism",
    "checkpoint_interval_min",
)
assert CARBON_CONTROLS == ("flexible_job_pct", "context")


@dataclass(frozen=True, eq=False)
class GridTables:
    """The factored verdict tables of one grid (axes: M, eps, w, s, T, f, c)."""

    grid: Grid
    triple_met: dict[str, BoolArray]  # name -> (M, eps, w)
    pair_met: dict[str, BoolArray]  # name -> (M, s)
    serve_gpus: IntArray  # (M, s): serving replicas' GPUs + spares' GPUs
    train_gpus: IntArray  # (M, eps, w, T): job GPUs (true demand if it cannot keep up; NEVER)
    keeps_up: BoolArray  # (M, eps, w, T)
    job_max: dict[str, IntArray]  # name -> (M, s, f, c): Jk, the most job GPUs passing it (-1)
    budget_max_job: IntArray  # (M, s, f): Jb, the most job GPUs within budget (-1)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def gpus(
        self, m: IntArray, e: IntArray, w: IntArray, s: IntArray, t: IntArray, f: IntArray
    ) -> IntArray:
        """GPUs needed: serving + spares + job + deferral (:func:`carbon.gpus_needed`)."""
        job = self.train_gpus[m, e, w, t]
        flex = self.grid.numbers("flexible_job_pct")[f]
        extra = carbon_model.deferral_gpus(job, flex)
        return np.asarray(self.serve_gpus[m, s] + job + np.asarray(extra, dtype=np.int64))

    def verdicts(self, index: IntArray) -> dict[str, BoolArray]:
        """Per design (rows of grid indices): every pass flag, ``within_budget``, ``approved``."""
        m, e, w, s, t, f, c = (index[:, i] for i in range(len(CONTROL_NAMES)))
        job = self.train_gpus[m, e, w, t]
        met = {name: table[m, e, w] for name, table in self.triple_met.items()}
        met.update({name: table[m, s] for name, table in self.pair_met.items()})
        met.update({name: job <= table[m, s, f, c] for name, table in self.job_max.items()})
        within = self.keeps_up[m, e, w, t] & (job <= self.budget_max_job[m, s, f])
        approved = np.logical_and.reduce([met[name] for name in CONSTRAINT_NAMES]) & within
        verdicts = {name: met[name] for name in CONSTRAINT_NAMES}
        verdicts.update(within_budget=within, approved=approved)
        return verdicts

    @cached_property
    def threshold_max_job(self) -> IntArray:
        """(M, s, f, c): the most job GPUs at which every ``JOB`` constraint passes."""
        shape = (*self.serve_gpus.shape, *self.grid.shape()[5:])
        unbounded = np.full(shape, np.iinfo(np.int64).max, dtype=np.int64)
        return np.asarray(np.minimum.reduce([unbounded, *self.job_max.values()]), dtype=np.int64)

    @cached_property
    def triple_ok(self) -> BoolArray:
        return np.asarray(np.logical_and.reduce(list(self.triple_met.values())), dtype=bool)

    @cached_property
    def pair_ok(self) -> BoolArray:
        return np.asarray(np.logical_and.reduce(list(self.pair_met.values())), dtype=bool)

    @cached_property
    def max_job(self) -> IntArray:
        """(M, s, f, c): the most job GPUs an approved design may have: min(Jc, Jb)."""
        return np.minimum(self.threshold_max_job, self.budget_max_job[..., None])

    @cached_property
    def base_met(self) -> NDArray[np.int8]:
        """(M, eps, w, s): how many of the ``MODEL`` and ``SERVING`` constraints pass."""
        triple = np.sum([t.astype(np.int8) for t in self.triple_met.values()], axis=0)
        pair = np.sum([p.astype(np.int8) for p in self.pair_met.values()], axis=0)
        return np.asarray(triple[:, :, :, None] + pair[:, None, None, :], dtype=np.int8)

    @cached_property
    def candidates(self) -> IntArray:
        """(n, 5) structural indices that pass every ``MODEL`` and ``SERVING`` constraint, whose
        job keeps up and fits under the most generous (f, c) threshold. Rows in grid order."""
        loosest = self.max_job.max(axis=(2, 3))  # (M, s)
        m, e, w, s, t = np.nonzero(
            (self.triple_ok & True)[:, :, :, None, None]
            & self.pair_ok[:, None, None, :, None]
            & np.swapaxes(self.keeps_up[..., None], 3, 4)
            & (np.swapaxes(self.train_gpus[..., None], 3, 4) <= loosest[:, None, None, :, None])
        )
        return np.stack([m, e, w, s, t], axis=1).astype(np.int64)

    @cached_property
    def approved_index(self) -> IntArray:
        """(n, 7) grid indices of every approved design, in grid order."""
        cand = self.candidates
        m, e, w, s, t = cand.T
        job = self.train_gpus[m, e, w, t]
        limits = self.max_job[m, s]  # (n, f, c)
        n_f, n_c = limits.shape[1:]
        passes = (job[:, None, None] <= limits).reshape(len(cand), n_f * n_c)
        row, combo = np.nonzero(passes)
        rest = np.stack([combo // n_c, combo % n_c], axis=1)
        return np.concatenate([cand[row], rest], axis=1).astype(np.int64)

    @cached_property
    def candidate_gpus(self) -> IntArray:
        """GPUs of each candidate with no deferral (f index 0)."""
        m, e, w, s, t = self.candidates.T
        return self.gpus(m, e, w, s, t, np.zeros_like(m))


def _met_table(constraint: Constraint, arrays: Arrays, shape: tuple[int, ...]) -> BoolArray:
    """A constraint's verdicts over its own controls: its array evaluation and the rule."""
    value, ok = constraint.score_many(arrays)
    met = np.asarray(meets(constraint.key, value), dtype=bool) & ok
    return np.broadcast_to(met, shape).copy()


def _triple_met(grid: Grid) -> dict[str, BoolArray]:
    """Every ``MODEL`` constraint on (M, eps, w)."""
    size = grid.numbers("model_size_b")[:, None, None]
    eps = grid.numbers("dp_epsilon")[None, :, None]
    weight = grid.numbers("adv_weight")[None, None, :]
    shape = (size.shape[0], eps.shape[1], weight.shape[2])
    arrays = Arrays(model_size_b=size, dp_epsilon=eps, adv_weight=weight)
    return {c.key: _met_table(c, arrays, shape) for c in registry.of_kind(MODEL)}


def _pair_tables(grid: Grid) -> tuple[dict[str, BoolArray], IntArray]:
    """Every ``SERVING`` constraint on (M, s), and the serving + spare GPUs there."""
    sizes = grid.numbers("model_size_b")
    strategies = [str(s) for s in grid.axis("parallelism")]
    warm_grid_plans(sizes.tolist(), strategies)
    codes = np.array([PARALLELISM_STRATEGIES.index(s) for s in strategies])
    shape = (len(sizes), len(strategies))
    table = serving_table(
        np.broadcast_to(sizes[:, None], shape).copy(), np.broadcast_to(codes[None, :], shape).copy()
    )
    arrays = Arrays(serve=table)
    met = {c.key: _met_table(c, arrays, shape) for c in registry.of_kind(SERVING)}
    return met, _whole(table.serving_gpus + table.spare_gpus, "serving GPUs")


def _training_tables(grid: Grid) -> tuple[IntArray, BoolArray]:
    """Job GPUs and keeps-up on (M, eps, w, T), by the engine's rule (:func:`job_table`, the
    same two functions of :mod:`training`): the size at each interval, or the true demand
    (the cheapest keeping-up interval of the contract's grid; NEVER if none keeps up)."""
    size = grid.numbers("model_size_b")[:, None, None]
    ideal = np.asarray(
        training.ideal_training_gpus(
            size,
            grid.numbers("dp_epsilon")[None, :, None],
            grid.numbers("adv_weight")[None, None, :],
        ),
        dtype=np.float64,
    )
    flat = ideal.ravel()
    write_s = np.broadcast_to(training.checkpoint_write_s(size), ideal.shape).ravel()
    every = interval_grid()
    jobs = training.jobs_at_intervals(flat, write_s, every)  # NEVER where it cannot keep up
    columns = [every.index(float(t)) for t in grid.numbers(_INTERVAL)]
    gpus = jobs if columns == list(range(len(every))) else jobs[:, columns]
    keeps = gpus < NEVER
    demand = jobs.min(axis=1)
    gpus = np.where(keeps, gpus, demand[:, None])
    shape = (*ideal.shape, gpus.shape[1])
    return gpus.reshape(shape), keeps.reshape(shape)


def _whole(gpus: NDArray[np.float64], what: str) -> IntArray:
    whole = np.asarray(gpus, dtype=np.int64)
    if not np.array_equal(whole, gpus):
        raise RuntimeError(f"the explorer needs whole GPUs; the engine gave fractional {what}")
    return whole


def _bisect_max(passes: Any, shape: tuple[int, ...], high: int) -> IntArray:
    """Largest integer J in [0, high] with passes(J) true, per element (-1 where none);
    ``passes`` must be monotone (true then false) in J."""
    low = np.full(shape, -1, dtype=np.int64)  # passes at low (or low = -1)
    top = np.full(shape, high + 1, dtype=np.int64)  # fails at top (or beyond the range)
    while np.any(top - low > 1):
        mid = (low + top) // 2
        ok = passes(np.maximum(mid, 0))
        low = np.where(ok & (top - low > 1), mid, low)
        top = np.where(~ok & (top - low > 1), mid, top)
    return low


def job_thresholds(constraint: Constraint, grid: Grid, serve: IntArray, high: int) -> IntArray:
    """(M, s, f, c): the most job GPUs at which a ``JOB`` constraint passes (its own array
    evaluation, bisected on whole GPUs; its verdict must fall as the job grows)."""
    flex = grid.numbers("flexible_job_pct")[None, None, :, None]
    contexts = [str(c) for c in grid.axis("context")]
    ppa = np.array([carbon_model.ppa_kw(c) for c in contexts])[None, None, None, :]
    held = serve[:, :, None, None].astype(np.float64)
    shape = (*serve.shape, flex.shape[2], len(contexts))
    base = carbon_baseline().g_per_study

    def passes(job: IntArray) -> BoolArray:
        jobs = job.astype(np.float64)
        arrays = Arrays(
            held_gpus=held,
            job_gpus=jobs,
            flexible_job_pct=flex,
            ppa_kw=ppa,
            gpus_needed=carbon_model.gpus_needed(held, jobs, flex),
            baseline_g_per_study=base,
        )
        value, ok = constraint.score_many(arrays)
        return np.broadcast_to(np.asarray(meets(constraint.key, value), dtype=bool) & ok, shape)

    limits = _bisect_max(passes, shape, high)
    check = passes(np.maximum(limits, 0)) | (limits < 0)
    if not check.all():
        raise RuntimeError(
            f"{constraint.label}'s verdict is not monotone in job GPUs; the explorer assumes it"
        )
    return limits


def budget_thresholds(grid: Grid, serve: IntArray, high: int) -> IntArray:
    """(M, s, f): the most job GPUs within the budget, deferral GPUs included."""
    flex = grid.numbers("flexible_job_pct")[None, None, :]
    shape = (*serve.shape, flex.shape[2])

    def passes(job: IntArray) -> BoolArray:
        needed = carbon_model.gpus_needed(serve[:, :, None], job, flex)
        return np.asarray(needed <= sc.GPU_BUDGET, dtype=bool)

    return _bisect_max(passes, shape, high)


def build_tables(grid: Grid) -> GridTables:
    """Evaluate the factored tables of ``grid`` (see the module docstring)."""
    for name in ("parallelism", "context"):
        known = PARALLELISM_STRATEGIES if name == "parallelism" else DEPLOYMENT_CONTEXTS
        assert set(grid.axis(name)) <= set(known)
    pair_met, serve = _pair_tables(grid)
    train, keeps_up = _training_tables(grid)
    finite = train[train < NEVER]
    high = int(finite.max()) if finite.size else 0
    high = max(high, int(sc.GPU_BUDGET))
    return GridTables(
        grid=grid,
        triple_met=_triple_met(grid),
        pair_met=pair_met,
        serve_gpus=serve,
        train_gpus=train,
        keeps_up=keeps_up,
        job_max={c.key: job_thresholds(c, grid, serve, high) for c in registry.of_kind(JOB)},
        budget_max_job=budget_thresholds(grid, serve, high),
    )


def tables(grid: Grid | None = None) -> GridTables:
    """The tables of ``grid`` (default: the full grid), built once per process and scenario."""
    if grid is None or grid == full_grid():
        return _full_tables(sc.FINGERPRINT, registry.signature())
    return _reduced_tables(grid, sc.FINGERPRINT, registry.signature())


@lru_cache(maxsize=2)
def _full_tables(fingerprint: str, constraints: registry.Signature) -> GridTables:
    return build_tables(full_grid())


@lru_cache(maxsize=4)
def _reduced_tables(grid: Grid, fingerprint: str, constraints: registry.Signature) -> GridTables:
    return build_tables(grid)
