"""The engine's verdicts over a grid, factored by the controls each one depends on.

Reading the engine (:mod:`constraintlab.model.vectorized`) gives the structure:

* accuracy(M, epsilon, w), adversarial robustness(epsilon, w) and DP privacy(epsilon) depend
  on (model size, epsilon, adversarial weight) only: one table of 70 x 100 x 21 triples;
* P99 latency (with memory fit) and fault tolerance depend on (model size, strategy): 210 pairs;
* GPUs needed = serving(M, s) + spares(M, s) + fine-tuning(M, epsilon, w, T), all whole GPUs,
  and whether the fine-tuning job keeps up depends on (M, epsilon, w, T);
* carbon passes or fails on (GPUs needed, deferrable share f, context c) alone.

So the tables are: the triple verdicts (computed with ``evaluate_many``), the pair verdicts
and the serving + spare GPUs (``evaluate_many`` and ``serving_table``), the fine-tuning GPUs
and keeps-up flags (``training.size_training_job`` on arrays, as ``evaluate_many`` runs it) and
the carbon verdict for every whole number of GPUs from 0 to the grid's largest, for each
(f, c) (``carbon.carbon_reduction`` on arrays, the engine's own arithmetic). Two comparisons are
written here as ``evaluate_many`` writes them: carbon passes when the reduction > 40 %, and the
budget holds when the job keeps up and GPUs <= 10,000. Every grid design's verdicts are
lookups in these tables (:meth:`GridTables.verdicts`); a test compares them with the scalar
:func:`~constraintlab.evaluate` on a random sample of grid designs.

Approved designs are enumerated without visiting the whole grid: the *candidates* are the
(M, epsilon, w, s, T) points that pass the five constraints other than carbon and fit the
budget (the job keeps up, GPUs <= 10,000); each candidate is approved for exactly the (f, c)
whose carbon verdict at its GPU count passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from constraintlab.explore.grid import CONTROL_NAMES, Grid, full_grid
from constraintlab.model import carbon as carbon_model
from constraintlab.model import scenario as sc
from constraintlab.model import training
from constraintlab.model.design import DEPLOYMENT_CONTEXTS, PARALLELISM_STRATEGIES
from constraintlab.model.engine import CONSTRAINT_NAMES
from constraintlab.model.vectorized import evaluate_many, serving_table

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

TRIPLE_CONSTRAINTS: Final = ("accuracy", "adversarial_robustness", "dp_privacy")
PAIR_CONSTRAINTS: Final = ("p99_latency", "fault_tolerance")
# the five controls that set everything but carbon, and the two that only carbon reads
STRUCTURAL: Final = CONTROL_NAMES[:5]
CARBON_CONTROLS: Final = CONTROL_NAMES[5:]
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
    serve_gpus: IntArray  # (M, s): serving replicas' GPUs + hot spares' GPUs
    train_gpus: IntArray  # (M, eps, w, T): fine-tuning job, whole GPUs
    keeps_up: BoolArray  # (M, eps, w, T)
    carbon_pass: BoolArray  # (G + 1, f, c): carbon verdict at 0..G GPUs
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)  # results derived once

    def gpus(self, m: IntArray, e: IntArray, w: IntArray, s: IntArray, t: IntArray) -> IntArray:
        """GPUs needed at structural grid indices: serving + spares + fine-tuning."""
        return self.serve_gpus[m, s] + self.train_gpus[m, e, w, t]

    def verdicts(self, index: IntArray) -> dict[str, BoolArray]:
        """Per design (rows of grid indices, one column per control): the six constraints'
        pass flags, ``within_budget`` and ``approved``, looked up in the tables."""
        m, e, w, s, t, f, c = (index[:, i] for i in range(len(CONTROL_NAMES)))
        gpus = self.gpus(m, e, w, s, t)
        met = {name: table[m, e, w] for name, table in self.triple_met.items()}
        met.update({name: table[m, s] for name, table in self.pair_met.items()})
        met["carbon_reduction"] = self.carbon_pass[gpus, f, c]
        within = self.keeps_up[m, e, w, t] & (gpus <= sc.GPU_BUDGET)
        approved = np.logical_and.reduce([met[name] for name in CONSTRAINT_NAMES]) & within
        verdicts = {name: met[name] for name in CONSTRAINT_NAMES}
        verdicts.update(within_budget=within, approved=approved)
        return verdicts

    @cached_property
    def base_met(self) -> NDArray[np.int8]:
        """(M, eps, w, s): how many of the five non-carbon constraints pass."""
        triple = np.sum([t.astype(np.int8) for t in self.triple_met.values()], axis=0)
        pair = np.sum([p.astype(np.int8) for p in self.pair_met.values()], axis=0)
        return np.asarray(triple[:, :, :, None] + pair[:, None, None, :], dtype=np.int8)

    @cached_property
    def carbon_limit(self) -> IntArray:
        """(f, c): the most GPUs that still pass carbon (-1 if none do).

        Carbon's verdict falls with GPUs (Jevons, contract claim 7); :func:`carbon_table` checks
        that the table is a prefix of passes for every (f, c), so ``g <= limit`` is the verdict.
        """
        counts = self.carbon_pass.sum(axis=0)
        return np.asarray(counts - 1, dtype=np.int64)

    @cached_property
    def candidates(self) -> IntArray:
        """(n, 5) structural indices passing the five non-carbon constraints, within budget.

        Rows are in grid order (lexicographic in M, eps, w, s, T).
        """
        triple = np.logical_and.reduce(list(self.triple_met.values()))
        pair = np.logical_and.reduce(list(self.pair_met.values()))
        m, e, w, s = np.nonzero(triple[:, :, :, None] & pair[:, None, None, :])
        n_t = self.train_gpus.shape[3]
        t = np.tile(np.arange(n_t), len(m))
        m, e, w, s = (np.repeat(a, n_t) for a in (m, e, w, s))
        gpus = self.gpus(m, e, w, s, t)
        keep = self.keeps_up[m, e, w, t] & (gpus <= sc.GPU_BUDGET)
        return np.stack([m, e, w, s, t], axis=1)[keep].astype(np.int64)

    @cached_property
    def candidate_gpus(self) -> IntArray:
        """GPUs needed by each candidate."""
        m, e, w, s, t = self.candidates.T
        return self.gpus(m, e, w, s, t)

    @cached_property
    def approved_index(self) -> IntArray:
        """(n, 7) grid indices of every approved design, in grid order."""
        n_f, n_c = self.carbon_pass.shape[1:]
        passes = self.carbon_pass[self.candidate_gpus].reshape(len(self.candidates), n_f * n_c)
        row, combo = np.nonzero(passes)
        rest = np.stack([combo // n_c, combo % n_c], axis=1)
        return np.concatenate([self.candidates[row], rest], axis=1).astype(np.int64)


def _triple_met(grid: Grid) -> dict[str, BoolArray]:
    result = evaluate_many(
        model_size_b=grid.numbers("model_size_b")[:, None, None],
        dp_epsilon=grid.numbers("dp_epsilon")[None, :, None],
        adv_weight=grid.numbers("adv_weight")[None, None, :],
    )
    return {name: np.array(result.met[name]) for name in TRIPLE_CONSTRAINTS}


def _pair_tables(grid: Grid) -> tuple[dict[str, BoolArray], IntArray]:
    sizes = grid.numbers("model_size_b")[:, None]
    strategies = np.array(grid.axis("parallelism"))[None, :]
    result = evaluate_many(model_size_b=sizes, parallelism=strategies)
    codes = np.array([PARALLELISM_STRATEGIES.index(str(s)) for s in strategies.ravel()])
    shape = (sizes.shape[0], strategies.shape[1])
    table = serving_table(
        np.broadcast_to(sizes, shape).copy(), np.broadcast_to(codes, shape).copy()
    )
    gpus = table.serving_gpus + table.spare_gpus
    met = {name: np.array(result.met[name]) for name in PAIR_CONSTRAINTS}
    return met, _whole(gpus, "serving GPUs")


def _training_tables(grid: Grid) -> tuple[IntArray, BoolArray]:
    ideal = training.ideal_training_gpus(
        grid.numbers("model_size_b")[:, None, None],
        grid.numbers("dp_epsilon")[None, :, None],
        grid.numbers("adv_weight")[None, None, :],
    )
    gpus, keeps_up = training.size_training_job(
        ideal[..., None], grid.numbers("checkpoint_interval_min")
    )
    return _whole(gpus, "fine-tuning GPUs"), np.asarray(keeps_up, dtype=bool)


def _whole(gpus: NDArray[np.float64], what: str) -> IntArray:
    whole = np.asarray(gpus, dtype=np.int64)
    if not np.array_equal(whole, gpus):
        raise RuntimeError(f"the explorer needs whole GPUs; the engine gave fractional {what}")
    return whole


def carbon_table(grid: Grid, max_gpus: int) -> BoolArray:
    """(max_gpus + 1, f, c): carbon's verdict at 0..max_gpus GPUs, the engine's arithmetic.

    The same expressions as ``evaluate_many``: I_eff = effective_intensity(I_context, f),
    reduction = carbon_reduction(N, I_eff, baseline), pass when reduction > 40 %.
    """
    by_context = carbon_model.CONTEXT_INTENSITY_G_PER_KWH
    intensities = np.array([by_context[str(c)] for c in grid.axis("context")], dtype=np.float64)
    intensity = carbon_model.effective_intensity(
        intensities[None, :], grid.numbers("flexible_job_pct")[:, None]
    )
    gpus = np.arange(max_gpus + 1, dtype=np.float64)[:, None, None]
    reduction = carbon_model.carbon_reduction(gpus, intensity, carbon_model.baseline_gpus())
    passes = np.asarray(reduction > sc.CARBON_REDUCTION_TARGET, dtype=bool)
    prefix = np.arange(max_gpus + 1)[:, None, None] < passes.sum(axis=0)
    if not np.array_equal(passes, prefix):
        raise RuntimeError("carbon's verdict is not monotone in GPUs; the explorer assumes it")
    return passes


def build_tables(grid: Grid) -> GridTables:
    """Evaluate the factored tables of ``grid`` (see the module docstring)."""
    for name in ("parallelism", "context"):
        known = PARALLELISM_STRATEGIES if name == "parallelism" else DEPLOYMENT_CONTEXTS
        assert set(grid.axis(name)) <= set(known)
    pair_met, serve = _pair_tables(grid)
    train, keeps_up = _training_tables(grid)
    max_gpus = int(serve.max() + train.max())
    return GridTables(
        grid=grid,
        triple_met=_triple_met(grid),
        pair_met=pair_met,
        serve_gpus=serve,
        train_gpus=train,
        keeps_up=keeps_up,
        carbon_pass=carbon_table(grid, max_gpus),
    )


def tables(grid: Grid | None = None) -> GridTables:
    """The tables of ``grid`` (default: the full grid), built once per process.

    The full grid's tables are kept for the life of the process; a few reduced grids' tables
    (tests) are kept in a small cache of their own so they never evict the full grid's.
    """
    if grid is None or grid == full_grid():
        return _full_tables()
    return _reduced_tables(grid)


@lru_cache(maxsize=1)
def _full_tables() -> GridTables:
    return build_tables(full_grid())


@lru_cache(maxsize=4)
def _reduced_tables(grid: Grid) -> GridTables:
    return build_tables(grid)
