"""One design's verdict against the published range of the constants a student picks.

The lab's assumptions reveal (contract claim 20, issue 26 item 3): for each chosen constant,
:func:`constraintlab.explore.assumptions.design_flips` says whether the design's verdict holds
across the constant's stated range or where it flips. For a flip, the design is scored again
with the constant just past the flip (:func:`~constraintlab.explore.assumptions.with_value`),
and the scorecards (or the GPU budget) whose verdict changed there are the mechanism: their
working lines are computed under that value, so every figure the reveal quotes is the
engine's.

Only numeric constants are checked (a choice such as the baseline's parallelism has no point
to flip at); :func:`revealable_keys` lists them in the scenario file's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from constraintlab.explore.assumptions import (
    Flip,
    Progress,
    design_flips,
    numeric_keys,
    ranged_keys,
    scenario_of,
    with_value,
)
from constraintlab.model import scenario as sc
from constraintlab.model.design import Design
from constraintlab.model.engine import Scorecard, evaluate
from constraintlab.model.explain import derivation_line

BUDGET = "gpu_budget"  # the name a changed GPU budget goes by among the changed scorecards
REFUSED = "scenario"  # the name of the change when the scenario past a flip is refused


@dataclass(frozen=True)
class Change:
    """A scorecard (or the GPU budget) whose verdict differs just past a flip, and its working
    line there."""

    name: str  # a constraint name, or :data:`BUDGET`
    met_now: bool  # its verdict under the value in force
    line: str  # its working at the flip value (the budget: its reason in words)


@dataclass(frozen=True)
class ConstantVerdict:
    """One constant: its value, unit and range, and the flips inside that range (none: the
    verdict holds across it)."""

    key: str
    value: float
    unit: str
    low: float
    high: float
    flips: tuple[tuple[Flip, tuple[Change, ...]], ...] = ()

    @property
    def holds(self) -> bool:
        return not self.flips


@dataclass(frozen=True)
class AssumptionReveal:
    """The reveal for one design: its verdict now and one :class:`ConstantVerdict` a constant."""

    design: Design
    approved: bool
    verdicts: tuple[ConstantVerdict, ...] = field(default=())


def revealable_keys() -> list[str]:
    """The ranged constants with a numeric value (the ones a verdict can flip at)."""
    return numeric_keys(ranged_keys())


def _changes(now: Scorecard, there: Scorecard) -> tuple[Change, ...]:
    """The scorecards and the budget whose verdict differs between ``now`` and ``there``."""
    changed = [
        Change(name, result.met, derivation_line(there.constraints[name], there))
        for name, result in now.constraints.items()
        if result.met != there.constraints[name].met
    ]
    if now.budget.within_budget != there.budget.within_budget:
        changed.append(Change(BUDGET, now.budget.within_budget, there.budget.reason))
    return tuple(changed)


def _verdict(design: Design, key: str, scenario: sc.Scenario, now: Scorecard) -> ConstantVerdict:
    item = scenario.constant(key)
    assert item.range is not None and not isinstance(item.value, str), key
    found = []
    for flip in design_flips(design, scenario, [key]):
        try:
            with with_value(scenario, key, flip.flips_at):
                found.append((flip, _changes(now, evaluate(design))))
        except sc.ScenarioError as refused:  # past the flip the scenario itself is refused
            found.append((flip, (Change(REFUSED, True, str(refused)),)))
    low, high = float(item.range[0]), float(item.range[-1])
    return ConstantVerdict(key, float(item.value), item.unit, low, high, tuple(found))


def reveal_assumptions(
    design: Design,
    keys: list[str],
    base: sc.Scenario | Path | None = None,
    progress: Progress | None = None,
) -> AssumptionReveal:
    """``design``'s verdict against the range of each of ``keys`` (``base``: the scenario to
    vary, a file, or None for the one in force), calling ``progress(done, total)`` after each."""
    scenario = scenario_of(base)
    with sc.using(scenario):
        now = evaluate(design)
    verdicts = []
    for done, key in enumerate(keys, start=1):
        verdicts.append(_verdict(design, key, scenario, now))
        if progress is not None:
            progress(done, len(keys))
    return AssumptionReveal(design, now.approved, tuple(verdicts))
