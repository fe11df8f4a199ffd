"""The assumptions panel: every scenario constant with its value, unit and source (escaped),
and the reveal of one design's verdict against the published range of the constants asked
about (:mod:`constraintlab.explore.reveal`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from constraintlab.model import scenario as sc
from constraintlab.model.engine import CONSTRAINT_LABELS
from constraintlab.views.html import callout, esc, join, tag, text

if TYPE_CHECKING:
    from constraintlab.explore.assumptions import Flip
    from constraintlab.explore.reveal import AssumptionReveal, Change, ConstantVerdict

SIGNIFICANT = 4  # digits a flip point is shown with: the bisection finds it far finer


def _value(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"


def range_text(item: sc.Constant) -> str:
    """The published (or defended) range, its sources, and whether the value was edited."""
    if item.range is None:
        return ""
    ends = " to ".join(_value(end) for end in item.range)
    return f"{ends} ({item.range_source})"


def assumptions_panel_html() -> str:
    """A table of the loaded scenario's constants, grouped by section of the scenario file."""
    path = sc.SCENARIO_PATH
    origin = f"scenario file {esc(path)}" if path else "the shipped scenario file"
    rows = []
    section = ""
    for item in sc.CONSTANTS:
        group = item.key.rpartition(".")[0]
        if group != section:
            section = group
            rows.append(f'<tr><th colspan="5">{esc(group)}</th></tr>')
        rows.append(
            "<tr>"
            f"<td><code>{esc(item.key.rpartition('.')[2])}</code></td>"
            f"<td>{esc(_value(item.value))}</td>"
            f"<td>{esc(item.unit)}</td>"
            f"<td>{esc(item.source)}</td>"
            f"<td>{esc(range_text(item))}</td>"
            "</tr>"
        )
    return (
        '<details class="assumptions"><summary>Assumptions: every constant of the model'
        f" ({len(sc.CONSTANTS)}, from {origin})</summary>"
        "<table><thead><tr><th>constant</th><th>value</th><th>unit</th><th>source</th>"
        "<th>published range</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></details>"
    )


def flip_figure(value: float) -> str:
    """A flip point to :data:`SIGNIFICANT` digits with thousands separators: ``2,057``,
    ``0.1806``, ``9,739,000,000`` (round(x, s - 1 - floor(log10 |x|)))."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    places = SIGNIFICANT - 1 - math.floor(math.log10(abs(value)))
    return f"{round(value, places):,.{max(places, 0)}f}"


def _with_unit(figure: str, unit: str) -> str:
    return f"{figure} {unit}".strip()


def _verdict_word(approved: bool) -> str:
    return "approved" if approved else "not approved"


def _change_sentence(change: Change) -> str:
    """What the flip does to one scorecard, with its working at the flip value."""
    from constraintlab.explore.reveal import BUDGET, REFUSED

    if change.name == REFUSED:
        return f"past it the scenario itself is refused ({change.line})"
    label = "the GPU budget" if change.name == BUDGET else CONSTRAINT_LABELS[change.name]
    turns = "fails" if change.met_now else "passes"
    return f"{label} {turns} there ({change.line})"


def _flip_sentence(verdict: ConstantVerdict, flip: Flip, changes: tuple[Change, ...]) -> str:
    """``Your verdict (approved) flips at KEY = x unit, above the value in force ...``."""
    side = "above" if flip.flips_at > verdict.value else "below"
    now = _with_unit(_value(verdict.value), verdict.unit)
    mechanism = "; ".join(_change_sentence(c) for c in changes) or "no scorecard changes"
    return (
        f"Your verdict ({_verdict_word(flip.approved_now)}) flips at {verdict.key} ="
        f" {_with_unit(flip_figure(flip.flips_at), verdict.unit)}, {side} the value in force"
        f" ({now}): {mechanism}. Your design rests on this assumption: a source nearer that"
        " end of the range would judge it differently."
    )


def _holds_sentence(verdict: ConstantVerdict, approved: bool) -> str:
    span = _with_unit(f"{_value(verdict.low)} to {_value(verdict.high)}", verdict.unit)
    return (
        f"Your verdict ({_verdict_word(approved)}) holds across the published range of"
        f" {verdict.key} ({span}): scored with either end, your design is judged the same,"
        " so this assumption does not decide it."
    )


def _verdict_item(verdict: ConstantVerdict, approved: bool) -> str:
    if verdict.holds:
        return tag("li", text("span", _holds_sentence(verdict, approved)), cls="cl-holds")
    lines = " ".join(text("span", _flip_sentence(verdict, f, c)) for f, c in verdict.flips)
    return tag("li", lines, cls="cl-flips")


def assumption_reveal_html(
    answer: AssumptionReveal | None, *, asked: bool, stopped: str | None = None
) -> str:
    """The reveal's panel: before a click, what it does (no figure); after it, per constant
    whether the design's verdict holds across the published range or where it flips, and the
    scorecards that change there (or the sentence saying what stopped it)."""
    if not asked:
        return text(
            "p",
            "Pick a constant and ask: the lab scores your design at both ends of that"
            " constant's published range and says whether its verdict holds there or where it"
            " flips, and which scorecard changes. Each answer counts as a reveal in your record.",
            cls="cl-muted",
        )
    if stopped is not None or answer is None:
        return callout("warn", "No answer this time", esc(stopped or "nothing was checked"))
    items = join(_verdict_item(v, answer.approved) for v in answer.verdicts)
    return tag("ul", items, cls="cl-assumption-reveal", id_="assumption-reveal")
