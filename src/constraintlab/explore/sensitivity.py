"""Sensitivity: what one grid step of each control does to each constraint's margin.

For each control, the design is moved one grid step down and one up (the others held) and
scored with :func:`~constraintlab.evaluate`. A constraint's *margin* is its distance to the
target on the passing side, in the constraint's unit (``ConstraintResult.margin``: value -
target for ">=" and ">", target - value for "<=" and "<"; positive = passing). The effect of a
step is the change of margin, ``margin(step) - margin(design)``, in the unit and as a fraction
of the target, ``/ |target|`` (so +0.01 on accuracy is one point of the 95 % target x 1/95).

Steps: on the grid, the adjacent slider positions; off the grid, the closest grid values
strictly below and above; None past either end of the range. A categorical control steps to
the previous and next choice in its list order (strategies dp -> tp_dp -> 3d, GPUs per replica
1 -> 8 -> 32; contexts fleet -> renewable). P99's margin is the queueing P99 whether or not the
model fits in memory (a model that does not fit fails P99 whatever its margin).

Rows are ordered by the largest absolute fractional effect of either step on any constraint
(the tornado chart's order; ties keep the controls' order). Each row also carries, for the
lab's tornado, the fewest and most constraints met across the control's whole grid range
with the others held (``n_met_low``, ``n_met_high``), the grid value reaching the most
(``high_value``; the one closest to the design's value on a tie), and what moving there fixes
and breaks (``high_fixes``, ``high_breaks``: constraints failing now and passing there, and the
reverse), so the chart says the cost of its best move as the banners do.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from constraintlab.explore.grid import CONTROL_NAMES, Grid, Value, full_grid, neighbours
from constraintlab.explore.sweeps import control_sweeps
from constraintlab.model._numeric import json_safe
from constraintlab.model.decide import passing_margin
from constraintlab.model.design import CONTROLS, ChoiceControl, Design
from constraintlab.model.engine import CONSTRAINT_NAMES, Scorecard, evaluate
from constraintlab.model.vectorized import evaluate_many


@dataclass(frozen=True)
class MarginChange:
    """One constraint's margin change for a step down and a step up (None: no such step, or
    no margin on one side of it: a value that does not exist, such as the carbon of a job that
    keeps up at no interval, has no finite change; contract claim 19)."""

    constraint: str
    unit: str
    down: float | None
    up: float | None
    down_fraction: float | None
    up_fraction: float | None

    @property
    def largest_fraction(self) -> float:
        """The larger absolute fractional change of the two steps (0 when neither exists)."""
        steps = [abs(f) for f in (self.down_fraction, self.up_fraction) if f is not None]
        return max(steps, default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "down": self.down,
            "up": self.up,
            "down_fraction": self.down_fraction,
            "up_fraction": self.up_fraction,
        }


@dataclass(frozen=True)
class SensitivityRow:
    """One control: its steps, their effect on every margin, and its reach over its range."""

    control: str
    value: Value
    down_value: Value | None
    up_value: Value | None
    margins: dict[str, MarginChange]
    n_met_now: int
    n_met_down: int | None
    n_met_up: int | None
    n_met_low: int
    n_met_high: int
    high_value: Value
    high_fixes: tuple[str, ...] = ()
    high_breaks: tuple[str, ...] = ()

    @property
    def largest_fraction(self) -> float:
        """The tornado's sort key: the largest absolute fractional margin change."""
        return max(change.largest_fraction for change in self.margins.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "value": self.value,
            "down_value": self.down_value,
            "up_value": self.up_value,
            "margins": {name: change.to_dict() for name, change in self.margins.items()},
            "largest_fraction": self.largest_fraction,
            "n_met_now": self.n_met_now,
            "n_met_down": self.n_met_down,
            "n_met_up": self.n_met_up,
            "n_met_low": self.n_met_low,
            "n_met_high": self.n_met_high,
            "high_value": self.high_value,
            "high_fixes": list(self.high_fixes),
            "high_breaks": list(self.high_breaks),
        }


@dataclass(frozen=True)
class Sensitivity:
    """The rows of the tornado, largest effect first; iterating yields the rows."""

    design: Design
    margins_now: dict[str, float]  # constraint -> margin of the design, in its unit
    rows: list[SensitivityRow]

    def __iter__(self) -> Iterator[SensitivityRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> SensitivityRow:
        return self.rows[index]

    def row(self, control: str) -> SensitivityRow:
        """The row of one control."""
        return next(row for row in self.rows if row.control == control)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: a margin that does not exist (inf or nan) is null."""
        return {
            "design": self.design.to_dict(),
            "margins_now": json_safe(dict(self.margins_now)),
            "rows": [row.to_dict() for row in self.rows],
        }


def sensitivity(design: Design, *, grid: Grid | None = None) -> Sensitivity:
    """The effect of one grid step down and up of each control on each constraint's margin."""
    grid = grid or full_grid()
    now = evaluate(design)
    steps = _steps(grid, design, now)
    reaches = _reaches(grid, design)
    rows = [_row(design, now, name, steps[name], reaches[name]) for name in CONTROL_NAMES]
    rows.sort(key=lambda row: -row.largest_fraction)  # stable: ties keep control order
    margins = {name: now[name].margin for name in CONSTRAINT_NAMES}
    return Sensitivity(design=design, margins_now=margins, rows=rows)


@dataclass(frozen=True)
class _Step:
    """A neighbouring design, scored: its grid value, each constraint's margin, n_met."""

    value: Value
    margins: dict[str, float]
    n_met: int


def _steps(
    grid: Grid, design: Design, now: Scorecard
) -> dict[str, tuple[_Step | None, _Step | None]]:
    """Each control's step down and up (None past either end), all scored by one
    :func:`evaluate_many` call. Each neighbour is built as a :class:`Design` first (so its
    values are exactly those :func:`evaluate` would see); the vectorised engine's values and
    verdicts equal the scalar engine's (a property test checks it), so do the margins."""
    moves = [
        (name, side, value, design.replace(**{name: value}).to_dict())
        for name in CONTROL_NAMES
        for side, value in enumerate(neighbours(grid, name, getattr(design, name)))
        if value is not None
    ]
    found: dict[str, list[_Step | None]] = {name: [None, None] for name in CONTROL_NAMES}
    if moves:
        columns = {c: np.array([move[3][c] for move in moves]) for c in moves[0][3]}
        many = evaluate_many(**columns)
        for i, (name, side, value, _) in enumerate(moves):
            margins = {
                c: passing_margin(now[c].comparison, float(many.values[c][i]), now[c].target)
                for c in CONSTRAINT_NAMES
            }
            found[name][side] = _Step(value, margins, int(many.n_met[i]))
    return {name: (down, up) for name, (down, up) in found.items()}


def _row(
    design: Design,
    now: Scorecard,
    name: str,
    steps: tuple[_Step | None, _Step | None],
    reach: _Reach,
) -> SensitivityRow:
    down, up = steps
    low, high, best, met_there = reach
    return SensitivityRow(
        control=name,
        value=getattr(design, name),
        down_value=down.value if down else None,
        up_value=up.value if up else None,
        margins={c: _margin_change(now, down, up, c) for c in CONSTRAINT_NAMES},
        n_met_now=now.n_met,
        n_met_down=down.n_met if down else None,
        n_met_up=up.n_met if up else None,
        n_met_low=low,
        n_met_high=high,
        high_value=best,
        high_fixes=tuple(c for c in CONSTRAINT_NAMES if met_there[c] and not now[c].met),
        high_breaks=tuple(c for c in CONSTRAINT_NAMES if now[c].met and not met_there[c]),
    )


def _margin_change(now: Scorecard, down: _Step | None, up: _Step | None, name: str) -> MarginChange:
    base = now[name]

    def delta(step: _Step | None) -> tuple[float | None, float | None]:
        if step is None:
            return None, None
        change = step.margins[name] - base.margin
        if not math.isfinite(change):
            return None, None
        return change, (change / abs(base.target) if base.target else None)

    (d, df), (u, uf) = delta(down), delta(up)
    return MarginChange(name, base.unit, d, u, df, uf)


_Reach = tuple[int, int, Value, dict[str, bool]]


def _reaches(grid: Grid, design: Design) -> dict[str, _Reach]:
    """Each control's reach: the fewest and most constraints met across its grid values (the
    others held), the grid value reaching the most (closest to the design's value on a tie)
    and which constraints pass there. From the batch of every control's grid range (each with
    the others held, :func:`~constraintlab.explore.sweeps.control_sweeps`), which the advice
    reads too, so a lab step scores it once. The vectorised engine scores each design on its
    own, so a batch gives each row what a call of its own would (a test checks it)."""
    batch = control_sweeps(design, grid)
    many = batch.result
    reaches = {}
    for name, span in batch.spans.items():
        met = {c: many.met[c][span] for c in CONSTRAINT_NAMES}
        values = list(grid.axis(name))
        reaches[name] = _reach_of(name, values, getattr(design, name), many.n_met[span], met)
    return reaches


def _reach_of(
    name: str, values: list[Value], here: Value, n_met_array: Any, met: dict[str, Any]
) -> _Reach:
    n_met = n_met_array.tolist()
    most = max(n_met)
    best = min(
        (i for i, n in enumerate(n_met) if n == most),
        key=lambda i: _gap(name, values[i], here),
    )
    met_there = {c: bool(met[c][best]) for c in CONSTRAINT_NAMES}
    return min(n_met), most, values[best], met_there


def _gap(name: str, value: Value, here: Value) -> float:
    if isinstance(CONTROLS[name], ChoiceControl):
        return 0.0 if value == here else 1.0
    return abs(float(value) - float(here))
