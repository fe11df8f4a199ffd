"""Advice found by search: for each failing constraint, the smallest one-control moves that fix it.

Nothing here inverts a formula. For a design, every control is swept over its whole slider grid
with the other six held as set (one :func:`~constraintlab.model.vectorized.evaluate_many` call,
``sum(len(axis))`` designs), and the verdicts are read off. So whatever the model is, a move the
lab suggests:

* stays inside the control's range (it is a slider position),
* is never a no-op (the current value is excluded),
* fixes the constraint it names, at the student's design with the other controls as set, and
  is the *smallest* such change of that control (fewest grid steps; for a categorical control,
  the alternative that breaks the fewest others);
* says what else it fixes and what it breaks (``fixes`` / ``breaks``), so two pieces of advice
  cannot silently undo each other.

The GPU budget is advised like a constraint, under the name ``"gpu_budget"``. When two failing
constraints want one control moved in opposite directions, :attr:`Advice.conflicts` names the
pair, and both banners say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from constraintlab.explore.sweeps import control_sweeps
from constraintlab.model import registry
from constraintlab.model.design import CONTROLS, NumericControl
from constraintlab.model.engine import CONSTRAINT_NAMES, Scorecard

BUDGET: Final = "gpu_budget"
TARGETS: Final = registry.Names(BUDGET)  # what a move can fix or break (a live view)
UP, DOWN, SWITCH = "up", "down", "switch"

Value = float | str


@dataclass(frozen=True)
class Move:
    """One control moved to one grid value, and what that does at the student's design."""

    control: str
    from_value: Value
    to_value: Value
    direction: str  # "up", "down" or "switch" (a categorical control)
    steps: int  # grid steps away (1 for a categorical switch)
    fixes: tuple[str, ...]  # failing now, passing after (constraint names or "gpu_budget")
    breaks: tuple[str, ...]  # passing now, failing after
    n_met_after: int  # constraints met after the move
    approved_after: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "from": self.from_value,
            "to": self.to_value,
            "direction": self.direction,
            "steps": self.steps,
            "fixes": list(self.fixes),
            "breaks": list(self.breaks),
            "n_met_after": self.n_met_after,
            "approved_after": self.approved_after,
        }


@dataclass(frozen=True)
class Conflict:
    """Two failing targets that need one control moved in opposite directions."""

    control: str
    first: str
    first_direction: str
    second: str
    second_direction: str

    def other(self, target: str) -> tuple[str, str]:
        """The other side of the conflict, seen from ``target``: (its name, its direction)."""
        if target == self.first:
            return self.second, self.second_direction
        return self.first, self.first_direction


@dataclass(frozen=True)
class TargetAdvice:
    """Everything the lab may say about fixing one failing target, least costly move first."""

    target: str
    moves: tuple[Move, ...]  # at most one per control: its smallest fixing move

    def move_for(self, control: str) -> Move | None:
        return next((m for m in self.moves if m.control == control), None)

    @property
    def best(self) -> Move | None:
        """The move that breaks the fewest others, then fixes the most, then takes the fewest
        steps (the first hint names it)."""
        return self.moves[0] if self.moves else None


@dataclass(frozen=True)
class Advice:
    """Advice for every failing target of one design."""

    failing: tuple[str, ...]
    targets: dict[str, TargetAdvice]
    conflicts: tuple[Conflict, ...]

    def conflicts_of(self, target: str) -> list[Conflict]:
        return [c for c in self.conflicts if target in (c.first, c.second)]


@dataclass(frozen=True)
class Sweep:
    """Every grid value of one control with the others held: verdicts per target."""

    control: str
    values: tuple[Value, ...]
    met: dict[str, np.ndarray]  # target -> bool per value
    n_met: np.ndarray
    approved: np.ndarray


def sweeps(design: Any) -> dict[str, Sweep]:
    """Sweep each control over its grid, the others as in ``design``: the batch the tornado
    reads too (:func:`~constraintlab.explore.sweeps.control_sweeps`, scored once)."""
    batch = control_sweeps(design)
    result = batch.result
    met_all = {**result.met, BUDGET: result.within_budget}
    found = {}
    for swept, part in batch.spans.items():
        found[swept] = Sweep(
            control=swept,
            values=tuple(CONTROLS[swept].grid()),
            met={t: np.asarray(met_all[t][part]) for t in TARGETS},
            n_met=np.asarray(result.n_met[part]),
            approved=np.asarray(result.approved[part]),
        )
    return found


def _position(values: tuple[Value, ...], value: Value) -> int:
    if isinstance(value, str):
        return values.index(value)
    return int(np.argmin(np.abs(np.asarray(values, dtype=np.float64) - float(value))))


def _met_now(card: Scorecard) -> dict[str, bool]:
    return {**{n: card[n].met for n in CONSTRAINT_NAMES}, BUDGET: card.budget.within_budget}


def _move(sweep: Sweep, here: int, to: int, now: dict[str, bool]) -> Move:
    after = {t: bool(sweep.met[t][to]) for t in TARGETS}
    numeric = isinstance(CONTROLS[sweep.control], NumericControl)
    direction = (UP if to > here else DOWN) if numeric else SWITCH
    return Move(
        control=sweep.control,
        from_value=sweep.values[here],
        to_value=sweep.values[to],
        direction=direction,
        steps=abs(to - here) if numeric else 1,
        fixes=tuple(t for t in TARGETS if after[t] and not now[t]),
        breaks=tuple(t for t in TARGETS if now[t] and not after[t]),
        n_met_after=int(sweep.n_met[to]),
        approved_after=bool(sweep.approved[to]),
    )


def smallest_fix(sweep: Sweep, here: int, target: str, now: dict[str, bool]) -> Move | None:
    """The nearest grid value of this control (others held) where ``target`` passes; on a tie
    in distance, the one that breaks fewer others. None when no value of it fixes ``target``."""
    candidates = [i for i in np.flatnonzero(sweep.met[target]).tolist() if i != here]
    if not candidates:
        return None
    if isinstance(CONTROLS[sweep.control], NumericControl):
        nearest = min(abs(i - here) for i in candidates)
        candidates = [i for i in candidates if abs(i - here) == nearest]
    moves = [_move(sweep, here, i, now) for i in candidates]
    return min(moves, key=lambda m: (m.steps, len(m.breaks), -m.n_met_after))


def advise(card: Scorecard, found: dict[str, Sweep] | None = None) -> Advice:
    """For each failing target, the smallest fixing move of every control that has one."""
    found = found if found is not None else sweeps(card.design)
    now = _met_now(card)
    failing = tuple(t for t in TARGETS if not now[t])
    design = card.design.to_dict()
    targets = {}
    for target in failing:
        moves = []
        for name, sweep in found.items():
            move = smallest_fix(sweep, _position(sweep.values, design[name]), target, now)
            if move is not None:
                moves.append(move)
        moves.sort(key=lambda m: (len(m.breaks), -len(m.fixes), m.steps))
        targets[target] = TargetAdvice(target, tuple(moves))
    return Advice(failing, targets, _conflicts(targets))


def _conflicts(targets: dict[str, TargetAdvice]) -> tuple[Conflict, ...]:
    found = []
    names = list(targets)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            for a in targets[first].moves:
                b = targets[second].move_for(a.control)
                if b is not None and {a.direction, b.direction} == {UP, DOWN}:
                    found.append(Conflict(a.control, first, a.direction, second, b.direction))
    return tuple(found)


__all__ = [
    "BUDGET",
    "TARGETS",
    "Advice",
    "Conflict",
    "Move",
    "Sweep",
    "TargetAdvice",
    "advise",
    "smallest_fix",
    "sweeps",
]
