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

import json
import tempfile
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "approved": self.approved,
            "approved_by_context": self.approved_by_context,
            "families": self.families,
            "budget_only_refusals": self.budget_only_refusals,
            "claims": self.claims,
            "refused": self.refused or None,
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


def _overrides(path: Path | None) -> dict[str, Any]:
    """The values a scenario file sets (dotted key -> value), none for the shipped file."""
    if path is None:
        return {}
    return {c.key: c.value for c in sc.load_constants(path) if c.edited}


@contextmanager
def with_value(base: Path | None, key: str, value: float | str) -> Iterator[Path]:
    """The scenario ``base`` with ``key`` set to ``value`` in force inside the block (a file in
    a temporary folder); ``base`` is in force again afterwards, even on a refusal."""
    from constraintlab.model.engine import load_scenario

    values = {**_overrides(base), key: value}
    sections: dict[str, list[str]] = {}
    for dotted, item in values.items():
        section, _, leaf = dotted.rpartition(".")
        sections.setdefault(section, []).append(f"{leaf} = {json.dumps(item)}")
    text = "".join(f"[{s}]\n" + "\n".join(lines) + "\n" for s, lines in sections.items())
    with tempfile.TemporaryDirectory(prefix="assumption-") as folder:
        path = Path(folder) / "scenario.toml"
        path.write_text(text, encoding="utf-8")
        try:
            load_scenario(path)
            yield path
        finally:
            load_scenario(base)


def _claims(result: Any) -> dict[str, bool]:
    return {
        "both_contexts_approvable": all(n > 0 for n in result.approved_by_context.values())
        and len(result.approved_by_context) == 2,
        "the_budget_decides_some_designs": result.budget_only_refusals > 0,
        "every_control_flips_approval": all(n > 0 for n in result.flips_by_control.values()),
    }


def end_figures(base: Path | None, key: str, value: float | str) -> EndFigures:
    """The census with ``key`` at ``value`` (or why that scenario is refused)."""
    from constraintlab.explore.census import census

    try:
        with with_value(base, key, value):
            result = census()
            return EndFigures(
                value,
                result.approved,
                dict(result.approved_by_context),
                len(result.families),
                result.budget_only_refusals,
                _claims(result),
            )
    except sc.ScenarioError as refused:
        return EndFigures(value, refused=str(refused))


def sweep_assumptions(
    base: Path | None = None, keys: list[str] | None = None, progress: Progress | None = None
) -> list[ConstantSweep]:
    """The census at both ends of each ranged constant, most moving first (module doc)."""
    from constraintlab.explore.census import census

    now = census().approved
    chosen = keys if keys is not None else ranged_keys()
    sweeps = []
    for done, key in enumerate(chosen, start=1):
        item = sc.constant(key)
        assert item.range is not None, f"{key} states no range"
        low = end_figures(base, key, item.range[0])
        high = end_figures(base, key, item.range[-1])
        moved = sum(abs((end.approved or 0) - now) for end in (low, high))
        sweeps.append(
            ConstantSweep(
                key, item.value, item.edited, item.source, item.range_source, low, high, moved
            )
        )
        if progress is not None:
            progress(done, len(chosen))
    return sorted(sweeps, key=lambda s: -s.movement)


def _approved(base: Path | None, design: Design, key: str, value: float) -> bool | None:
    from constraintlab.model.engine import evaluate

    try:
        with with_value(base, key, value):
            return evaluate(design).approved
    except sc.ScenarioError:
        return None


def design_flips(
    design: Design,
    base: Path | None = None,
    keys: list[str] | None = None,
    progress: Progress | None = None,
) -> list[Flip]:
    """The numeric ranged constants whose range crosses ``design``'s verdict, each with the
    value at which it flips (bisection between the value in force and the end that flips)."""
    from constraintlab.model.engine import evaluate

    now = evaluate(design).approved
    keys = [k for k in (keys or ranged_keys()) if not isinstance(sc.constant(k).value, str)]
    flips = []
    for done, key in enumerate(keys, start=1):
        item = sc.constant(key)
        assert item.range is not None
        for end in (item.range[0], item.range[-1]):
            if end == item.value or _approved(base, design, key, float(end)) in (now, None):
                continue
            inside, outside = float(item.value), float(end)
            for _ in range(FLIP_STEPS):
                middle = 0.5 * (inside + outside)
                if isinstance(item.value, int):
                    middle = float(round(middle))
                    if middle in (inside, outside):
                        break
                if _approved(base, design, key, middle) == now:
                    inside = middle
                else:
                    outside = middle
            flips.append(Flip(key, now, outside))
        if progress is not None:
            progress(done, len(keys))
    return flips
