"""The census: exact counts over every design of the grid, from the factored tables.

Nothing is sampled; no loop visits the 232,848,000 designs. With the tables of
:mod:`constraintlab.explore.tables`:

* a constraint that reads only some controls passes on (its passing sub-grid points) x (the
  sizes of the other axes): accuracy on (M, eps, w) triples times 3 x 24 x 11 x 2, P99 on
  (M, s) pairs times 100 x 21 x 24 x 11 x 2, and so on;
* carbon passes on ``sum over (M, s) of sum over g of h_M(g) * P(serve(M, s) + g)``, with
  h_M the histogram of fine-tuning GPUs over (eps, w, T) at model size M and P(N) the number
  of (f, c) whose carbon verdict passes at N GPUs;
* within budget: the same histograms, of designs whose job keeps up, cumulated to
  10,000 - serve(M, s), times 11 x 2;
* approved: the candidates (five constraints and the budget pass) times their passing (f, c);
  the approved designs are enumerated, so ranges and breakdowns are exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

import numpy as np

from constraintlab.explore.grid import CONTROL_NAMES, Grid, full_grid, span
from constraintlab.explore.nearest import best_approved_row
from constraintlab.explore.tables import (
    PAIR_CONSTRAINTS,
    TRIPLE_CONSTRAINTS,
    GridTables,
    IntArray,
    build_tables,
    tables,
)
from constraintlab.model import carbon as carbon_model
from constraintlab.model import scenario as sc
from constraintlab.model.design import CONTROLS, ChoiceControl, Design, NumericControl
from constraintlab.model.engine import CONSTRAINT_NAMES

EXAMPLE_COUNT: Final = 20
TRIPLE: Final = TRIPLE_CONSTRAINTS  # read (M, eps, w)
PAIR: Final = PAIR_CONSTRAINTS  # read (M, s)


@dataclass(frozen=True)
class Census:
    """Exact facts about the grid's designs (see the module docstring for the method)."""

    grid_size: int
    approved: int
    passing: dict[str, int]  # constraint -> number of grid designs passing it
    approved_ranges: dict[str, list[Any]]  # numeric: [min, max]; categorical: values present
    examples: list[Design]
    seconds: float
    min_model_size_b: float | None
    max_model_size_b: float | None
    epsilon_band: tuple[float, float] | None
    approved_by_context: dict[str, int]
    approved_by_strategy: dict[str, int]
    fleet_context_min_gpus: float | None
    fleet_context_max_gpus_for_target: float
    within_budget: int = 0  # grid designs whose GPUs fit the budget (and whose job keeps up)
    approved_by_value: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; examples as ``evaluate --json`` prints a design."""
        return {
            "grid_size": self.grid_size,
            "approved": self.approved,
            "passing": dict(self.passing),
            "within_budget": self.within_budget,
            "approved_ranges": {k: list(v) for k, v in self.approved_ranges.items()},
            "examples": [design.to_dict() for design in self.examples],
            "seconds": self.seconds,
            "min_model_size_b": self.min_model_size_b,
            "max_model_size_b": self.max_model_size_b,
            "epsilon_band": list(self.epsilon_band) if self.epsilon_band else None,
            "approved_by_context": dict(self.approved_by_context),
            "approved_by_strategy": dict(self.approved_by_strategy),
            "fleet_context_min_gpus": self.fleet_context_min_gpus,
            "fleet_context_max_gpus_for_target": self.fleet_context_max_gpus_for_target,
        }


@lru_cache(maxsize=1)
def census() -> Census:
    """The census of the contract's full grid, computed once per process."""
    return compute_census()


def compute_census(grid: Grid | None = None, *, reuse_tables: bool = True) -> Census:
    """The census of ``grid`` (default: the full grid); ``seconds`` includes the tables
    unless they were already built and ``reuse_tables`` is true."""
    start = time.perf_counter()
    grid = grid or full_grid()
    t = tables(grid) if reuse_tables else build_tables(grid)
    approved = t.approved_index
    by_value = _approved_by_value(grid, approved)
    ranges = _approved_ranges(grid, approved)
    sizes, epsilons = ranges["model_size_b"], ranges["dp_epsilon"]
    examples = pick_examples(t)
    return Census(
        grid_size=grid.size,
        approved=len(approved),
        passing=passing_counts(t),
        approved_ranges=ranges,
        examples=examples,
        seconds=time.perf_counter() - start,
        min_model_size_b=sizes[0] if sizes else None,
        max_model_size_b=sizes[1] if sizes else None,
        epsilon_band=(epsilons[0], epsilons[1]) if epsilons else None,
        approved_by_context=by_value["context"],
        approved_by_strategy=by_value["parallelism"],
        fleet_context_min_gpus=_fleet_min_gpus(t),
        fleet_context_max_gpus_for_target=carbon_model.max_gpus_for_target(
            "fleet", _control_high("flexible_job_pct")
        ),
        within_budget=within_budget_count(t),
        approved_by_value=by_value,
    )


def _control_high(name: str) -> float:
    control = CONTROLS[name]
    assert isinstance(control, NumericControl)
    return control.high


def passing_counts(t: GridTables) -> dict[str, int]:
    """Grid designs passing each constraint, in ``CONSTRAINT_NAMES`` order."""
    shape = t.grid.shape()
    size = t.grid.size
    triple_size = shape[0] * shape[1] * shape[2]
    pair_size = shape[0] * shape[3]
    counts = {
        name: int(t.triple_met[name].sum()) * (size // triple_size) for name in TRIPLE_CONSTRAINTS
    }
    counts.update(
        {name: int(t.pair_met[name].sum()) * (size // pair_size) for name in PAIR_CONSTRAINTS}
    )
    counts["carbon_reduction"] = carbon_passing_count(t)
    return {name: counts[name] for name in CONSTRAINT_NAMES}


def carbon_passing_count(t: GridTables) -> int:
    """sum over (M, s) of h_M . P[serve(M, s) + g]: see the module docstring."""
    passing_combos = t.carbon_pass.sum(axis=(1, 2), dtype=np.int64)  # P(N)
    total = 0
    for m in range(t.train_gpus.shape[0]):
        histogram = np.bincount(t.train_gpus[m].ravel())
        for offset in t.serve_gpus[m].tolist():
            window = passing_combos[offset : offset + len(histogram)]
            total += int(histogram @ window)
    return total


def within_budget_count(t: GridTables) -> int:
    """Grid designs within the GPU budget: job keeps up and serving + spares + job <= 10,000."""
    combos = t.grid.shape()[5] * t.grid.shape()[6]
    total = 0
    for m in range(t.train_gpus.shape[0]):
        kept = t.train_gpus[m][t.keeps_up[m]]
        cumulative = np.cumsum(np.bincount(kept, minlength=sc.GPU_BUDGET + 1))
        for offset in t.serve_gpus[m].tolist():
            room = min(sc.GPU_BUDGET - offset, len(cumulative) - 1)
            total += int(cumulative[room]) if room >= 0 else 0
    return total * combos


def _approved_by_value(grid: Grid, approved: IntArray) -> dict[str, dict[str, int]]:
    """For each control: grid value (as text) -> approved designs with that value."""
    result = {}
    for i, name in enumerate(CONTROL_NAMES):
        counts = np.bincount(approved[:, i], minlength=len(grid.axis(name)))
        result[name] = {
            _key(value): int(n) for value, n in zip(grid.axis(name), counts.tolist(), strict=True)
        }
    return result


def _key(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:g}"


def _approved_ranges(grid: Grid, approved: IntArray) -> dict[str, list[Any]]:
    """Numeric control -> [min, max] among approved designs; categorical -> values present."""
    ranges: dict[str, list[Any]] = {}
    for i, name in enumerate(CONTROL_NAMES):
        present = np.unique(approved[:, i]).tolist()
        values = [grid.axis(name)[k] for k in present]
        if isinstance(CONTROLS[name], ChoiceControl):
            ranges[name] = values
        else:
            ranges[name] = [values[0], values[-1]] if values else []
    return ranges


def _fleet_min_gpus(t: GridTables) -> float | None:
    """Fewest GPUs of any grid design in the fleet context passing every constraint but carbon
    and within budget (context does not change GPUs, so: the fewest of any candidate)."""
    if "fleet" not in t.grid.axis("context") or len(t.candidates) == 0:
        return None
    return float(t.candidate_gpus.min())


def pick_examples(t: GridTables, count: int = EXAMPLE_COUNT) -> list[Design]:
    """Up to ``count`` approved designs, spread out, deterministic.

    The first is the approved design nearest the published default (fewest changes, then the
    smallest normalised move); each next one is the approved design farthest, in normalised
    move, from all those already picked (greedy farthest-point; the first in grid order on a
    tie). A categorical difference counts 1, as a numeric control's full range does, so the
    examples spread across strategies and contexts as well as over model size and epsilon.
    """
    approved = t.approved_index
    if len(approved) == 0:
        return []
    coordinates = _normalised_coordinates(t.grid, approved)
    first = best_approved_row(t, Design())
    assert first is not None
    picked = [first]
    distance = _distances(coordinates, first)
    while len(picked) < min(count, len(approved)):
        row = int(np.argmax(distance))
        if distance[row] <= 0.0:
            break
        picked.append(row)
        distance = np.minimum(distance, _distances(coordinates, row))
    return [t.grid.design(approved[row]) for row in picked]


def _normalised_coordinates(grid: Grid, approved: IntArray) -> list[tuple[bool, Any]]:
    columns: list[tuple[bool, Any]] = []
    for i, name in enumerate(CONTROL_NAMES):
        if isinstance(CONTROLS[name], ChoiceControl):
            columns.append((True, approved[:, i]))
        else:
            columns.append((False, grid.numbers(name)[approved[:, i]] / span(name)))
    return columns


def _distances(columns: list[tuple[bool, Any]], row: int) -> Any:
    total = np.zeros(len(columns[0][1]))
    for categorical, column in columns:
        total += (column != column[row]) if categorical else np.abs(column - column[row])
    return total
