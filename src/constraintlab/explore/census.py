"""The census: exact counts over every design of the grid, from the factored tables.

Nothing is sampled; no loop visits the 232,848,000 designs. With the tables of
:mod:`constraintlab.explore.tables` a design is approved when its (M, eps, w) triple and
(M, s) pair pass, its job keeps up and its job GPUs J <= max_job(M, s, f, c). So, with the
job sizes of the passing (eps, w, T) entries at each model size M sorted once,

* approved = sum over (M, s, f, c) with the pair passing of #{entries with J <= max_job};
* budget-only refusals (claim 11) = designs passing every constraint but refused by the
  budget: #{triple passes, J <= Jk for every JOB constraint k} - #{triple passes, keeps up,
  J <= min(every Jk, Jb)};
* flips per control (claim 13): an approved design flips when some other value of one
  control, the rest unchanged, is not approved; so flips = approved - (approved designs on
  lines along that control that are approved at every value). A line is approved at every
  value when it passes at the strictest threshold along it: min over f, c or s of max_job,
  or max over eps, w or T of J (and every point of the line passes its triple, pair and
  keeps up). Lines along model size are checked directly.
* families (claim 13): approved designs per (strategy, context), the structurally
  different ways through.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

import numpy as np

from constraintlab.explore.grid import CONTROL_NAMES, Grid, full_grid
from constraintlab.explore.tables import NEVER, GridTables, IntArray, build_tables, tables
from constraintlab.model import carbon as carbon_model
from constraintlab.model import registry
from constraintlab.model import scenario as sc
from constraintlab.model.design import Design
from constraintlab.model.engine import CONSTRAINT_NAMES, carbon_baseline

EXAMPLE_COUNT: Final = 20


@dataclass(frozen=True)
class Census:
    """Exact facts about the grid's designs (see the module docstring for the method)."""

    grid_size: int
    approved: int
    passing: dict[str, int]
    approved_by_context: dict[str, int]
    approved_by_strategy: dict[str, int]
    families: list[dict[str, Any]]
    flips_by_control: dict[str, int]
    budget_only_refusals: int
    budget_only_cannot_keep_up: int  # of those, refused because the job cannot keep up at T
    size_range_b: tuple[float, float] | None
    epsilon_band: tuple[float, float] | None
    within_budget: int
    ppa_outgrown: int  # pass everything but carbon in the renewable context, fail carbon there
    best_fleet_reduction_pct: float | None
    baseline: dict[str, Any]
    seconds: float
    examples: list[Design] = field(default_factory=list)
    approved_ranges: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def min_model_size_b(self) -> float | None:
        return self.size_range_b[0] if self.size_range_b else None

    @property
    def max_model_size_b(self) -> float | None:
        return self.size_range_b[1] if self.size_range_b else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types under stable keys."""
        return {
            "grid_size": self.grid_size,
            "approved": self.approved,
            "approved_by_context": dict(self.approved_by_context),
            "approved_by_strategy": dict(self.approved_by_strategy),
            "families": [dict(f) for f in self.families],
            "flips_by_control": dict(self.flips_by_control),
            "budget_only_refusals": self.budget_only_refusals,
            "budget_only_refusals_by_cause": {
                "cannot_keep_up": self.budget_only_cannot_keep_up,
                "over_budget": self.budget_only_refusals - self.budget_only_cannot_keep_up,
            },
            "size_range_b": list(self.size_range_b) if self.size_range_b else None,
            "epsilon_band": list(self.epsilon_band) if self.epsilon_band else None,
            "passing": dict(self.passing),
            "within_budget": self.within_budget,
            "renewable_fail_carbon_only_beyond_ppa": self.ppa_outgrown,
            "best_fleet_reduction_pct": self.best_fleet_reduction_pct,
            "baseline": dict(self.baseline),
            "approved_ranges": {k: list(v) for k, v in self.approved_ranges.items()},
            "examples": [design.to_dict() for design in self.examples],
            "seconds": self.seconds,
            "scenario": sc.FINGERPRINT,
        }


@lru_cache(maxsize=2)
def _census(fingerprint: str, constraints: registry.Signature) -> Census:
    return with_examples(compute_census())


def census() -> Census:
    """The census of the full grid under the current scenario, computed once per scenario."""
    return _census(sc.FINGERPRINT, registry.signature())


def _count_at_most(sorted_jobs: list[np.ndarray], m: int, limits: Any) -> Any:
    return np.searchsorted(sorted_jobs[m], limits, side="right")


def _sorted_jobs(t: GridTables, valid: np.ndarray) -> list[np.ndarray]:
    """Per model size: the job GPUs of the valid (eps, w, T) entries, sorted."""
    return [np.sort(t.train_gpus[m][valid[m]]) for m in range(t.train_gpus.shape[0])]


def compute_census(grid: Grid | None = None, *, reuse_tables: bool = True) -> Census:
    """The census of ``grid`` (default: the full grid)."""
    start = time.perf_counter()
    grid = grid or full_grid()
    t = tables(grid) if reuse_tables else build_tables(grid)
    n_m, _n_s = t.serve_gpus.shape
    grid.shape()
    valid = t.triple_ok[..., None] & t.keeps_up  # (M, eps, w, T)
    jobs = _sorted_jobs(t, valid)
    per = np.zeros(t.max_job.shape, dtype=np.int64)  # (M, s, f, c) approved counts
    for m in range(n_m):
        per[m] = _count_at_most(jobs, m, t.max_job[m]) * t.pair_ok[m][:, None, None]
    approved = int(per.sum())
    contexts = [str(c) for c in grid.axis("context")]
    strategies = [str(s) for s in grid.axis("parallelism")]
    by_context = {c: int(per[..., i].sum()) for i, c in enumerate(contexts)}
    by_strategy = {s: int(per[:, i].sum()) for i, s in enumerate(strategies)}
    families = _families(t, per, strategies, contexts)
    sizes = grid.numbers("model_size_b")[per.sum(axis=(1, 2, 3)) > 0]
    band = _epsilon_band(t, valid)
    return Census(
        grid_size=grid.size,
        approved=approved,
        passing=passing_counts(t),
        approved_by_context=by_context,
        approved_by_strategy=by_strategy,
        families=families,
        flips_by_control=flips_by_control(t, valid, jobs, approved),
        budget_only_refusals=budget_only_refusals(t),
        budget_only_cannot_keep_up=budget_only_refusals(t, cause="cannot_keep_up"),
        size_range_b=(float(sizes.min()), float(sizes.max())) if sizes.size else None,
        epsilon_band=band,
        within_budget=within_budget_count(t),
        ppa_outgrown=ppa_outgrown(t),
        best_fleet_reduction_pct=_best_fleet_reduction(t),
        baseline=_baseline_summary(),
        seconds=time.perf_counter() - start,
    )


def with_examples(result: Census, t: GridTables | None = None) -> Census:
    """The census with its spread-out examples and approved ranges (enumerates the approved)."""
    from dataclasses import replace

    t = t or tables()
    return replace(result, examples=pick_examples(t), approved_ranges=_approved_ranges(t))


def _families(
    t: GridTables, per: np.ndarray, strategies: list[str], contexts: list[str]
) -> list[dict[str, Any]]:
    grid = t.grid
    out = []
    for i, s in enumerate(strategies):
        for j, c in enumerate(contexts):
            count = int(per[:, i, :, j].sum())
            if count == 0:
                continue
            sizes = grid.numbers("model_size_b")[per[:, i, :, j].sum(axis=1) > 0]
            flex = grid.numbers("flexible_job_pct")[per[:, i, :, j].sum(axis=0) > 0]
            out.append(
                {
                    "parallelism": s,
                    "context": c,
                    "approved": count,
                    "size_range_b": [float(sizes.min()), float(sizes.max())],
                    "flexible_job_pct_range": [float(flex.min()), float(flex.max())],
                }
            )
    return out


def _epsilon_band(t: GridTables, valid: np.ndarray) -> tuple[float, float] | None:
    """Smallest and largest epsilon of any approved design: (M, eps) has one when the fewest
    job GPUs of its valid (w, T) entries fit under the loosest threshold of a passing pair."""
    fewest = np.where(valid, t.train_gpus, NEVER).min(axis=(2, 3))  # (M, eps)
    loosest = np.where(t.pair_ok[:, :, None, None], t.max_job, -1).max(axis=(1, 2, 3))  # (M,)
    has = (fewest <= loosest[:, None]).any(axis=0)
    eps = t.grid.numbers("dp_epsilon")[has]
    return (float(eps.min()), float(eps.max())) if eps.size else None


def passing_counts(t: GridTables) -> dict[str, int]:
    """Grid designs passing each constraint, in ``CONSTRAINT_NAMES`` order."""
    shape = t.grid.shape()
    size = t.grid.size
    triple_size = shape[0] * shape[1] * shape[2]
    pair_size = shape[0] * shape[3]
    counts = {k: int(v.sum()) * (size // triple_size) for k, v in t.triple_met.items()}
    counts.update({k: int(v.sum()) * (size // pair_size) for k, v in t.pair_met.items()})
    jobs = [np.sort(t.train_gpus[m].ravel()) for m in range(shape[0])]
    for name, limits in t.job_max.items():
        counts[name] = int(
            sum(np.searchsorted(jobs[m], limits[m], side="right").sum() for m in range(shape[0]))
        )
    return {name: counts[name] for name in CONSTRAINT_NAMES}


def within_budget_count(t: GridTables) -> int:
    """Grid designs within the GPU budget (job keeps up; serving + spares + job + deferral fits)."""
    n_c = t.grid.shape()[6]
    total = 0
    for m in range(t.train_gpus.shape[0]):
        kept = np.sort(t.train_gpus[m][t.keeps_up[m]])
        total += int(np.searchsorted(kept, t.budget_max_job[m], side="right").sum())
    return total * n_c


def budget_only_refusals(t: GridTables, cause: str = "") -> int:
    """Designs passing every constraint that only the budget refuses (claim 11); with
    ``cause="cannot_keep_up"``, only those whose job cannot keep up at its interval (the rest
    need more GPUs than the budget; claim 18: a refusal names its real cause)."""
    total = 0
    for m in range(t.train_gpus.shape[0]):
        if not t.pair_ok[m].any():
            continue
        triple = np.sort(
            t.train_gpus[m][np.broadcast_to(t.triple_ok[m][..., None], t.keeps_up[m].shape)]
        )
        kept = np.sort(t.train_gpus[m][t.triple_ok[m][..., None] & t.keeps_up[m]])
        every = np.searchsorted(triple, t.threshold_max_job[m], side="right")
        if cause == "cannot_keep_up":  # the designs passing every one that cannot keep up
            ok = np.searchsorted(kept, t.threshold_max_job[m], side="right")
        else:
            ok = np.searchsorted(kept, t.max_job[m], side="right")
        total += int(((every - ok) * t.pair_ok[m][:, None, None]).sum())
    return total


def ppa_outgrown(t: GridTables) -> int:
    """Renewable-context designs that pass everything else (budget included) but fail carbon."""
    contexts = [str(c) for c in t.grid.axis("context")]
    if "renewable" not in contexts:
        return 0
    c = contexts.index("renewable")
    others = [v[..., c] for k, v in t.job_max.items() if k != "carbon_reduction"]
    rest = np.minimum.reduce([t.budget_max_job, *others])  # (M, s, f): all but carbon
    total = 0
    for m in range(t.train_gpus.shape[0]):
        kept = np.sort(t.train_gpus[m][t.triple_ok[m][..., None] & t.keeps_up[m]])
        budget = np.searchsorted(kept, rest[m], side="right")
        both = np.searchsorted(kept, t.max_job[m][..., c], side="right")
        total += int(((budget - both) * t.pair_ok[m][:, None]).sum())
    return total


def _best_fleet_reduction(t: GridTables) -> float | None:
    """The best carbon reduction (%) of any design passing the others and the budget in the
    fleet context (from the candidates, at the most deferral that fits the budget)."""
    from constraintlab.model import decide

    if "fleet" not in [str(c) for c in t.grid.axis("context")] or len(t.candidates) == 0:
        return None
    m, e, w, s, tt = t.candidates.T
    job = t.train_gpus[m, e, w, tt].astype(np.float64)
    held = t.serve_gpus[m, s].astype(np.float64)
    best = -np.inf
    for f_index, flex in enumerate(t.grid.numbers("flexible_job_pct").tolist()):
        fits = job <= t.budget_max_job[m, s, f_index]
        if not fits.any():
            continue
        day = carbon_model.emissions(
            held[fits], job[fits], flex, 0.0, float(sc.GRID_RENEWABLE_G_PER_KWH)
        )
        value = carbon_model.reduction(day.g_per_study, carbon_baseline().g_per_study) * 100.0
        best = max(best, float(np.max(value)))
    return float(decide.shown("carbon_reduction", best)) if np.isfinite(best) else None


def _baseline_summary() -> dict[str, Any]:
    base = carbon_baseline()
    return {
        "design": base.design.to_dict(),
        "gpus": base.gpus,
        "g_per_study": base.g_per_study,
        "t_per_day": base.t_per_day,
        "meets_five_and_budget": base.meets_five,
    }


def flips_by_control(
    t: GridTables, valid: np.ndarray, jobs: list[np.ndarray], approved: int
) -> dict[str, int]:
    """Per control: approved designs that changing that control alone can make unapproved."""
    n_m = t.train_gpus.shape[0]
    full: dict[str, int] = {}
    # along f, c, s: the line is approved everywhere iff J <= the smallest threshold on it
    along_f = sum(
        int((_count_at_most(jobs, m, t.max_job[m].min(axis=1)) * t.pair_ok[m][:, None]).sum())
        for m in range(n_m)
    )
    full["flexible_job_pct"] = along_f * t.max_job.shape[2]
    along_c = sum(
        int((_count_at_most(jobs, m, t.max_job[m].min(axis=2)) * t.pair_ok[m][:, None]).sum())
        for m in range(n_m)
    )
    full["context"] = along_c * t.max_job.shape[3]
    along_s = sum(
        int(_count_at_most(jobs, m, t.max_job[m].min(axis=0)).sum()) if t.pair_ok[m].all() else 0
        for m in range(n_m)
    )
    full["parallelism"] = along_s * t.max_job.shape[1]
    # along eps, w, T: every point valid; the line's largest J under the threshold
    for name, axis in (("dp_epsilon", 1), ("adv_weight", 2), ("checkpoint_interval_min", 3)):
        line_ok = valid.all(axis=axis)
        line_job = np.where(line_ok, t.train_gpus.max(axis=axis), NEVER)
        count = 0
        for m in range(n_m):
            sorted_line = np.sort(line_job[m].ravel())
            count += int(
                (
                    np.searchsorted(sorted_line, t.max_job[m], side="right")
                    * t.pair_ok[m][:, None, None]
                ).sum()
            )
        full[name] = count * t.train_gpus.shape[axis]
    full["model_size_b"] = _full_lines_along_size(t, valid)
    return {name: approved - full[name] for name in CONTROL_NAMES}


def _full_lines_along_size(t: GridTables, valid: np.ndarray) -> int:
    """Approved designs on lines along model size approved at every size (direct check)."""
    n_m = t.train_gpus.shape[0]
    if not t.pair_ok.any(axis=1).all() or not valid.reshape(n_m, -1).any(axis=1).all():
        return 0  # some size has no approved design at all: no line is approved everywhere
    count = 0
    for s in range(t.max_job.shape[1]):
        if not t.pair_ok[:, s].all():
            continue
        for f in range(t.max_job.shape[2]):
            for c in range(t.max_job.shape[3]):
                limit = t.max_job[:, s, f, c][:, None, None, None]
                count += int((valid & (t.train_gpus <= limit)).all(axis=0).sum())
    return int(count * n_m)


def _approved_ranges(t: GridTables) -> dict[str, list[Any]]:
    from constraintlab.model.design import CONTROLS, ChoiceControl

    approved = t.approved_index
    ranges: dict[str, list[Any]] = {}
    for i, name in enumerate(CONTROL_NAMES):
        present = np.unique(approved[:, i]).tolist()
        values = [t.grid.axis(name)[k] for k in present]
        if isinstance(CONTROLS[name], ChoiceControl):
            ranges[name] = values
        else:
            ranges[name] = [values[0], values[-1]] if values else []
    return ranges


def pick_examples(t: GridTables, count: int = EXAMPLE_COUNT) -> list[Design]:
    """Up to ``count`` approved designs, spread out: one per family first, then farthest-point."""
    from constraintlab.explore.grid import span
    from constraintlab.explore.nearest import best_approved_row
    from constraintlab.model.design import CONTROLS, ChoiceControl

    approved = t.approved_index
    if len(approved) == 0:
        return []
    columns: list[tuple[bool, Any]] = []
    for i, name in enumerate(CONTROL_NAMES):
        if isinstance(CONTROLS[name], ChoiceControl):
            columns.append((True, approved[:, i]))
        else:
            columns.append((False, t.grid.numbers(name)[approved[:, i]] / span(name)))

    def distances(row: int) -> Any:
        total = np.zeros(len(approved))
        for categorical, column in columns:
            total += (column != column[row]) if categorical else np.abs(column - column[row])
        return total

    first = best_approved_row(t, Design())
    assert first is not None
    picked = [first]
    distance = distances(first)
    while len(picked) < min(count, len(approved)):
        row = int(np.argmax(distance))
        if distance[row] <= 0.0:
            break
        picked.append(row)
        distance = np.minimum(distance, distances(row))
    return [t.grid.design(approved[row]) for row in picked]


__all__ = ["Census", "IntArray", "census", "compute_census", "with_examples"]
