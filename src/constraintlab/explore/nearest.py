"""The nearest approved grid design: fewest changed controls, then the smallest move.

Order (exact, not a heuristic): among all approved grid designs, take those changing the
fewest controls; among those, the smallest *normalised move*, the sum over changed controls
of ``|to - from| / (high - low)`` for a numeric control and 1 for a categorical one; moves
within ``MOVE_TIE`` of each other tie, and a tie goes to the design first in grid order
(controls in ``CONTROLS`` order, each from its lowest grid value / first choice).

The starting design may be off the grid: its actual values are the "from" values, a control
counts as unchanged only when the target's value equals it (to within the grid tolerance of
:mod:`constraintlab.explore.grid`), and the move is measured from the actual value.

Method: the census tables enumerate every approved grid design (the candidates passing the
five constraints other than carbon within budget, times the (f, c) that pass carbon), so the
search scores all of them at once: per control, a lookup of "changed?" and "move" by grid
index, summed over the seven controls. Every approved design is scored; nothing is pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from constraintlab.explore.grid import CONTROL_NAMES, Grid, move_costs
from constraintlab.explore.tables import GridTables, tables
from constraintlab.model.design import Design
from constraintlab.model.engine import evaluate

MOVE_TIE: Final = 1e-9


@dataclass(frozen=True)
class Change:
    """One control moved: from the design's value to the approved design's value."""

    control: str
    from_value: float | str
    to_value: float | str
    normalised_move: float

    def to_dict(self) -> dict[str, Any]:
        return {"control": self.control, "from": self.from_value, "to": self.to_value}


@dataclass(frozen=True)
class NearestResult:
    """The nearest approved grid design and the changes that reach it."""

    from_design: Design
    to_design: Design
    changes: list[Change]
    approved: bool  # the engine's verdict on ``to_design`` (checked with evaluate)
    normalised_move: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_design.to_dict(),
            "to": self.to_design.to_dict(),
            "changes": [change.to_dict() for change in self.changes],
            "approved": self.approved,
            "changed_controls": len(self.changes),
            "normalised_move": self.normalised_move,
        }


def nearest_approved(design: Design, *, grid: Grid | None = None) -> NearestResult | None:
    """The approved grid design nearest ``design`` (see the module docstring for the order);
    None when no grid design is approved."""
    t = tables(grid)
    row = best_approved_row(t, design)
    if row is None:
        return None
    target = t.grid.design(t.approved_index[row])
    changes = _changes(t.grid, design, t.approved_index[row])
    return NearestResult(
        from_design=design,
        to_design=target,
        changes=changes,
        approved=evaluate(target).approved,
        normalised_move=sum(change.normalised_move for change in changes),
    )


def score(t: GridTables, design: Design) -> tuple[np.ndarray, np.ndarray]:
    """For every approved design (rows of ``t.approved_index``): controls changed, and the
    normalised move from ``design``."""
    approved = t.approved_index
    changed = np.zeros(len(approved), dtype=np.int64)
    move = np.zeros(len(approved), dtype=np.float64)
    values = design.to_dict()
    for i, name in enumerate(CONTROL_NAMES):
        is_changed, cost = move_costs(t.grid, name, values[name])
        changed += is_changed[approved[:, i]]
        move += cost[approved[:, i]]
    return changed, move


def best_approved_row(t: GridTables, design: Design) -> int | None:
    """Row of ``t.approved_index`` nearest ``design`` in the module's order; None if none."""
    if len(t.approved_index) == 0:
        return None
    changed, move = score(t, design)
    fewest = changed == changed.min()
    least = move[fewest].min()
    best = fewest & (move <= least + MOVE_TIE)
    return int(np.argmax(best))  # first True: rows are in grid order


def _changes(grid: Grid, design: Design, index: np.ndarray) -> list[Change]:
    values = design.to_dict()
    changes = []
    for i, name in enumerate(CONTROL_NAMES):
        is_changed, cost = move_costs(grid, name, values[name])
        k = int(index[i])
        if is_changed[k]:
            changes.append(Change(name, values[name], grid.axis(name)[k], float(cost[k])))
    return changes
