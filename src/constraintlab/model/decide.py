"""How a verdict is decided at a threshold: on the value rounded to the digits shown.

Contract claim 14: a design sitting on a threshold is decided by a stated rule, not by
floating-point luck, and no displayed value contradicts its verdict. The rule: each
constraint's value is rounded half-to-even to the number of decimals the lab shows for it
(its record's ``decimals``, :mod:`registry`), and the rounded value is compared with the
target. The scorecard shows exactly that rounded value, so "95.00 % >= 95 %" is what
decided, and what is read.

The same function serves floats and numpy arrays (``np.round``), so the scalar engine and the
census decide identically.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from constraintlab.model import registry


def target(name: str) -> float:
    """The target in the scorecard's unit (% for fractions), from the constraint's record."""
    return registry.get(name).target


def shown(name: str, value: Any) -> Any:
    """The value as the lab shows it: rounded half-to-even to the constraint's decimals."""
    return np.round(value, registry.get(name).decimals)


def meets(name: str, value: Any) -> Any:
    """The verdict: the shown value against the target (scalar bool or boolean array)."""
    constraint = registry.get(name)
    rounded, goal = np.round(value, constraint.decimals), constraint.target
    comparison = constraint.comparison
    if comparison == ">=":
        return rounded >= goal
    if comparison == ">":
        return rounded > goal
    if comparison == "<=":
        return rounded <= goal
    return rounded < goal


def passing_margin(comparison: str, value: float, goal: float) -> float:
    """Distance to the goal on the passing side (positive = passing): value - goal for ">="
    and ">", goal - value for "<=" and "<"."""
    return value - goal if comparison in (">=", ">") else goal - value


def display(name: str, value: float) -> str:
    """The shown value as text with exactly the deciding digits."""
    return f"{float(shown(name, value)):.{registry.get(name).decimals}f}"
