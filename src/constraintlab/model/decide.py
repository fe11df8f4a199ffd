"""How a verdict is decided at a threshold: on the value rounded to the digits shown.

Contract claim 14: a design sitting on a threshold is decided by a stated rule, not by
floating-point luck, and no displayed value contradicts its verdict. The rule: each
constraint's value is rounded half-to-even to the number of decimals the lab shows for it
(:data:`DECIMALS`), and the rounded value is compared with the target. The scorecard shows
exactly that rounded value, so "95.00 % >= 95 %" is what decided, and what is read.

The same function serves floats and numpy arrays (``np.round``), so the scalar engine and the
census decide identically.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from constraintlab.model import scenario as sc

DECIMALS: Final = {
    "accuracy": 2,  # % : 95.00
    "p99_latency": 1,  # ms: 199.9
    "dp_privacy": 2,  # epsilon: 1.00
    "adversarial_robustness": 2,  # %: 50.00
    "carbon_reduction": 2,  # %: 40.01
    "fault_tolerance": 3,  # %: 99.900
}
COMPARISON: Final = {
    "accuracy": ">=",
    "p99_latency": "<",
    "dp_privacy": "<=",
    "adversarial_robustness": ">=",
    "carbon_reduction": ">",
    "fault_tolerance": ">=",
}


def target(name: str) -> float:
    """The target in the scorecard's unit (% for fractions)."""
    targets = {
        "accuracy": sc.ACCURACY_TARGET * 100.0,
        "p99_latency": sc.P99_SLO_MS,
        "dp_privacy": sc.DP_EPSILON_LIMIT,
        "adversarial_robustness": sc.ROBUSTNESS_TARGET * 100.0,
        "carbon_reduction": sc.CARBON_REDUCTION_TARGET * 100.0,
        "fault_tolerance": sc.UPTIME_TARGET * 100.0,
    }
    return float(targets[name])


def shown(name: str, value: Any) -> Any:
    """The value as the lab shows it: rounded half-to-even to the constraint's decimals."""
    return np.round(value, DECIMALS[name])


def meets(name: str, value: Any) -> Any:
    """The verdict: the shown value against the target (scalar bool or boolean array)."""
    rounded, goal = shown(name, value), target(name)
    comparison = COMPARISON[name]
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
    return f"{float(shown(name, value)):.{DECIMALS[name]}f}"
