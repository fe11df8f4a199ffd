"""Which verdicts depend on which constant: the census at both ends of every stated range.

For each scenario constant with a range (``scenario.toml``'s ``range``; contract claim 20),
the scenario in force is loaded again with that one constant at the low end, then at the high
end, and the whole grid is counted (:func:`constraintlab.explore.census.census`): approved
designs per context and per family, designs refused by the budget alone, and the lesson's
claims (both contexts approvable, the budget decides some designs, every control flips
approval). Constants are sorted by how far the approved count moves across their range.

For one design, :func:`design_flips` finds the constants whose range crosses its verdict and,
by bisection on the constant, the value where the verdict flips.

An end that makes the scenario invalid (its carbon baseline no longer serves, say) is reported
as refused with the loader's reason: that is itself a finding about the assumption.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constraintlab.model import scenario as sc
from constraintlab.model.design import Design

Progress = Callable[[int, int], None]
FLIP_STEPS = 30  # bisection steps: the flip point to about 1e-9 of the range


@dataclass(frozen=True)
class EndFigures:
    """The census with one constant at one end of its range (``refused``: why it could not)."""

    value: float | str
    approved: int | None = None
    approved_by_context: dict[str, int] | None = None
    families: int | None = None
    budget_only_refusals: int | None = None
    claims: dict[str, bool] | None = None
    refused: str = ""
    baseline_gpus: int | None = None  # the carbon baseline, scored under the same values
    baseline_g_per_study: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "approved": self.approved,
            "approved_by_context": self.approved_by_context,
            "families": self.families,
            "budget_only_refusals": self.budget_only_refusals,
            "claims": self.claims,
            "refused": self.refused or None,
            "baseline": None
            if self.baseline_gpus is None
            else {"gpus": self.baseline_gpus, "g_per_study": self.baseline_g_per_study},
        }


@dataclass(frozen=True)
class ConstantSweep:
    """One ranged constant: its value in force, its range and sources, the census at each end."""

    key: str
    value: float | str
    edited: bool
    source: str
    range_source: str
    low: EndFigures
    high: EndFigures
    movement: int  # |approved(low) - approved(now)| + |approved(high) - approved(now)|
    now: EndFigures | None = None  # the census of the scenario in force, for the notes

    @property
    def notes(self) -> list[str]:
        """:func:`baseline_note` for each end, where there is one."""
        if self.now is None:
            return []
        found = (baseline_note(self.key, self.now, end) for end in (self.low, self.high))
        return [note for note in found if note]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "edited": self.edited,
            "source": self.source,
            "range_source": self.range_source,
            "low": self.low.to_dict(),
            "high": self.high.to_dict(),
            "approved_movement": self.movement,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Flip:
    """A constant whose range crosses one design's verdict, and where it flips."""

    key: str
    approved_now: bool
    flips_at: float  # the value of the constant at which the verdict changes

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "approved_now": self.approved_now, "flips_at": self.flips_at}


def ranged_keys() -> list[str]:
    """The constants of the scenario in force that state a range."""
    return [c.key for c in sc.CONSTANTS if c.range is not None]


def numeric_keys(keys: list[str]) -> list[str]:
    """Those of ``keys`` whose value is a number: a verdict can flip at a point of their range
    (a choice such as the baseline's parallelism has none)."""
    return [key for key in keys if not isinstance(sc.constant(key).value, str)]


def scenario_of(base: sc.Scenario | Path | None) -> sc.Scenario:
    """The scenario to vary: ``base`` itself, the file ``base`` (validated), or the one in force."""
    if isinstance(base, sc.Scenario):
        return base
    return sc.current() if base is None else sc.Scenario.load(base)


@contextmanager
def with_value(
    base: sc.Scenario | Path | None, key: str, value: float | str
) -> Iterator[sc.Scenario]:
    """The scenario ``base`` (None: the one in force) with ``key`` set to ``value`` in force
    inside the block, for this thread or task only (:func:`scenario.using`): another lab
    session, or the rest of this process, keeps its own. A value the rules refuse, or a
    scenario whose baseline fails, raises :class:`ScenarioError` before the block."""
    from constraintlab.model.engine import checked_scenario

    scenario = scenario_of(base)
    origin = scenario.path.name if scenario.path is not None else "this scenario"
    varied = checked_scenario(scenario.with_value(key, value, origin))
    with sc.using(varied):
        yield varied


def _claims(result: Any) -> dict[str, bool]:
    return {
        "both_contexts_approvable": all(n > 0 for n in result.approved_by_context.values())
        and len(result.approved_by_context) == 2,
        "the_budget_decides_some_designs": result.budget_only_refusals > 0,
        "every_control_flips_approval": all(n > 0 for n in result.flips_by_control.values()),
    }


def end_figures(base: sc.Scenario | Path | None, key: str, value: float | str) -> EndFigures:
    """The census with ``key`` at ``value`` (or why that scenario is refused)."""
    try:
        with with_value(base, key, value):
            return _figures(value)
    except sc.ScenarioError as refused:
        return EndFigures(value, refused=str(refused))


def _figures(value: float | str) -> EndFigures:
    """The census of the scenario in force, as :class:`EndFigures` for ``value``."""
    from constraintlab.explore.census import census

    result = census()
    return EndFigures(
        value,
        result.approved,
        dict(result.approved_by_context),
        len(result.families),
        result.budget_only_refusals,
        _claims(result),
        baseline_gpus=int(result.baseline["gpus"]),
        baseline_g_per_study=float(result.baseline["g_per_study"]),
    )


def baseline_note(key: str, now: EndFigures, end: EndFigures) -> str:
    """Why a context approves fewer designs at an end where the grid approves more: the carbon
    target is a reduction against the baseline design scored under the same values, and a
    value that makes every job cheaper makes the baseline cheaper too (less left to cut).
    Empty unless the counts move that way and the baseline got lighter."""
    if end.refused or now.refused or not end.approved_by_context or not now.approved_by_context:
        return ""
    assert end.approved is not None and now.approved is not None
    assert end.baseline_g_per_study is not None and now.baseline_g_per_study is not None
    fewer = [c for c, n in end.approved_by_context.items() if n < now.approved_by_context.get(c, 0)]
    if (
        end.approved <= now.approved
        or not fewer
        or end.baseline_g_per_study >= now.baseline_g_per_study
    ):
        return ""
    context = fewer[0]
    value = end.value if isinstance(end.value, str) else f"{end.value:g}"
    return (
        f"At {key} = {value}, {end.approved:,} designs are approved ({now.approved:,} now),"
        f" but the {context} context approves fewer ({end.approved_by_context[context]:,},"
        f" {now.approved_by_context[context]:,} now): its carbon target is a reduction against"
        f" the baseline design scored under the same values, which needs"
        f" {end.baseline_gpus:,} GPUs there ({now.baseline_gpus:,} now) and emits"
        f" {end.baseline_g_per_study:.3f} g CO2 per study ({now.baseline_g_per_study:.3f} now):"
        " a cheaper baseline leaves less to cut."
    )


def sweep_assumptions(
    base: sc.Scenario | Path | None = None,
    keys: list[str] | None = None,
    progress: Progress | None = None,
) -> list[ConstantSweep]:
    """The census at both ends of each ranged constant, most moving first (module doc)."""
    scenario = scenario_of(base)
    with sc.using(scenario):
        figures = _figures("now")
        chosen = keys if keys is not None else ranged_keys()
    now = figures.approved or 0
    sweeps = []
    for done, key in enumerate(chosen, start=1):
        item = scenario.constant(key)
        assert item.range is not None, f"{key} states no range"
        low = end_figures(scenario, key, item.range[0])
        high = end_figures(scenario, key, item.range[-1])
        moved = sum(abs((end.approved or 0) - now) for end in (low, high))
        sweeps.append(
            ConstantSweep(
                key,
                item.value,
                item.edited,
                item.source,
                item.range_source,
                low,
                high,
                moved,
                figures,
            )
        )
        if progress is not None:
            progress(done, len(chosen))
    return sorted(sweeps, key=lambda s: -s.movement)


def _approved(
    base: sc.Scenario | Path | None, design: Design, key: str, value: float
) -> bool | None:
    from constraintlab.model.engine import evaluate

    try:
        with with_value(base, key, value):
            return evaluate(design).approved
    except sc.ScenarioError:
        return None


def design_flips(
    design: Design,
    base: sc.Scenario | Path | None = None,
    keys: list[str] | None = None,
    progress: Progress | None = None,
) -> list[Flip]:
    """The numeric ranged constants whose range crosses ``design``'s verdict, each with the
    value at which it flips (bisection between the value in force and the end that flips)."""
    from constraintlab.model.engine import evaluate

    scenario = scenario_of(base)
    with sc.using(scenario):
        now = evaluate(design).approved
        keys = numeric_keys(keys or ranged_keys())
    flips = []
    for done, key in enumerate(keys, start=1):
        item = scenario.constant(key)
        assert item.range is not None
        for end in (item.range[0], item.range[-1]):
            if end == item.value or _approved(scenario, design, key, float(end)) in (now, None):
                continue
            inside, outside = float(item.value), float(end)
            for _ in range(FLIP_STEPS):
                middle = 0.5 * (inside + outside)
                if isinstance(item.value, int):
                    middle = float(round(middle))
                    if middle in (inside, outside):
                        break
                if _approved(scenario, design, key, middle) == now:
                    inside = middle
                else:
                    outside = middle
            flips.append(Flip(key, now, outside))
        if progress is not None:
            progress(done, len(keys))
    return flips
