"""Act II views: the six scorecards, the architecture status, the GPU budget, the approved
state and the HUD footer (the failure banners are :mod:`.coach`'s).

Stable hooks for tests and assistive tools: ``#arch-status`` holds ``APPROVED`` or
``INFEASIBLE``; ``#card-<constraint>`` holds ``PASS`` or ``FAIL``. Pass and fail are shown by
word and icon as well as colour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from constraintlab.model.design import CONTROLS, Design
from constraintlab.model.engine import ConstraintResult, Scorecard
from constraintlab.model.explain import shown_number
from constraintlab.views.html import (
    FAIL_ICON,
    PASS_ICON,
    callout,
    esc,
    join,
    state_class,
    tag,
    text,
    verdict,
)
from constraintlab.views.prose import format_value

_SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}


def _unit(result: ConstraintResult) -> str:
    return "" if result.unit == "epsilon" else f" {result.unit}"


def shown_value(result: ConstraintResult) -> str:
    """``95.1 %``, ``166 ms`` or ``ε = 1.0``."""
    if result.unit == "epsilon":
        return f"ε = {shown_number(result)}"
    return f"{shown_number(result)}{_unit(result)}"


def shown_target(result: ConstraintResult) -> str:
    """``needs ≥ 95 %`` (the comparison and the target, in the card's unit)."""
    symbol = _SYMBOLS.get(result.comparison, result.comparison)
    subject = "ε " if result.unit == "epsilon" else ""
    return f"needs {subject}{symbol} {result.target:g}{_unit(result)}"


def card_html(result: ConstraintResult, derivation: str) -> str:
    """One scorecard: label, value, target, PASS/FAIL with icon, and its one-line derivation."""
    head = text("span", result.label, cls="cl-card-title") + text(
        "span", verdict(result.met), cls="cl-badge"
    )
    body = join(
        [
            tag("div", head, cls="cl-card-head"),
            text("div", shown_value(result), cls="cl-card-value"),
            text("div", shown_target(result), cls="cl-card-target"),
            text("div", derivation, cls="cl-card-why"),
        ]
    )
    return tag("div", body, cls=f"cl-card {state_class(result.met)}", id_=f"card-{result.name}")


def scorecards_html(card: Scorecard, derivations: Mapping[str, str]) -> str:
    """The six cards in a responsive grid, in the engine's order."""
    cards = (card_html(r, derivations.get(r.name, "")) for r in card.constraints.values())
    return tag("div", join(cards), cls="cl-card-grid")


def status_text(card: Scorecard) -> str:
    """``APPROVED`` or ``INFEASIBLE`` with the count and what fails (plain text)."""
    b = card.budget
    gpus = f"{b.gpus_needed:,.0f} of {b.gpus_budget:,} GPUs"
    if card.approved:
        return f"{PASS_ICON} APPROVED · 6/6 constraints met · {gpus}"
    parts = [f"{FAIL_ICON} INFEASIBLE · {card.n_met}/6 constraints met"]
    if card.failing:
        labels = ", ".join(card.constraints[name].label for name in card.failing)
        parts.append(f"failing: {labels}")
    if not b.within_budget:
        parts.append(f"over the GPU budget ({gpus})")
    else:
        parts.append(gpus)
    return " · ".join(parts)


def design_key(card: Scorecard) -> str:
    """The design's seven values joined by ``|``: changes whenever any control changes."""
    return "|".join(f"{value}" for value in card.design.to_dict().values())


def status_html(card: Scorecard) -> str:
    """The architecture verdict, ``#arch-status``; a live region so screen readers hear it.

    ``data-design`` names the design the verdict belongs to, so a test can wait for the
    verdict of a given design even when the visible text happens not to change.
    """
    return (
        f'<div id="arch-status" class="cl-status {state_class(card.approved)}"'
        f' data-design="{esc(design_key(card))}" role="status" aria-live="polite">'
        f"{esc(status_text(card))}</div>"
    )


_BUDGET_PARTS = (
    ("serving", "Serving replicas", "cl-seg-serving"),
    ("spares", "Hot spares", "cl-seg-spares"),
    ("training", "Fine-tuning (useful work)", "cl-seg-training"),
    ("waste", "Lost to checkpoints and failures", "cl-seg-waste"),
)


def budget_html(card: Scorecard) -> str:
    """Where the GPUs go, as a bar against the budget, with every figure written out."""
    b = card.budget
    amounts = {
        "serving": float(b.serving_gpus),
        "spares": float(b.spare_gpus),
        "training": b.training_ideal_gpus,
        "waste": b.checkpoint_waste_gpus,
    }
    scale = max(float(b.gpus_budget), b.gpus_needed)
    segments = join(
        f'<div class="cl-seg {css}" style="width:{100.0 * amounts[key] / scale:.3f}%"'
        f' title="{esc(label)}: {amounts[key]:,.0f} GPUs"></div>'
        for key, label, css in _BUDGET_PARTS
    )
    legend = join(
        tag("li", tag("span", "", cls=f"cl-swatch {css}") + esc(f"{label}: {amounts[key]:,.0f}"))
        for key, label, css in _BUDGET_PARTS
    )
    fits = "fits" if b.within_budget else "does NOT fit"
    summary = f"{b.gpus_needed:,.0f} GPUs needed of the {b.gpus_budget:,} budget: the design {fits}"
    if not b.training_keeps_up:
        summary += " (the fine-tuning job cannot keep up with a day's data)"
    return tag(
        "div",
        text("div", f"{verdict(b.within_budget)} · {summary}", cls="cl-budget-summary")
        + tag("div", segments, cls="cl-budget-bar")
        + tag("ul", legend, cls="cl-budget-legend"),
        cls=f"cl-budget {state_class(b.within_budget)}",
        id_="gpu-budget",
    )


def approved_html(card: Scorecard) -> str:
    """The approved state: every figure that passed, in one box."""
    figures = join(
        tag("li", esc(f"{PASS_ICON} {r.label}: {shown_value(r)} ({shown_target(r)})"))
        for r in card.constraints.values()
    )
    b = card.budget
    body = text(
        "p",
        f"All six constraints pass and the fleet needs {b.gpus_needed:,.0f} of"
        f" {b.gpus_budget:,} H100s. You may deploy.",
    ) + tag("ul", figures)
    return callout("success", f"{PASS_ICON} Architecture approved", body, id_="approved")


def badges_html(results: Iterable[ConstraintResult]) -> str:
    """Small PASS/FAIL chips, one per constraint, for the HUD."""
    return join(
        text(
            "span",
            f"{PASS_ICON if r.met else FAIL_ICON} {r.label}",
            cls=f"cl-chip {state_class(r.met)}",
        )
        for r in results
    )


def design_summary(card: Scorecard) -> list[str]:
    """The seven controls as ``label: value`` (for the HUD)."""
    return [
        f"{CONTROLS[name].label}: {format_value(name, value)}"
        for name, value in card.design.to_dict().items()
    ]


def submission_text(submitted: Mapping[str, Any] | None) -> str:
    """What the ledger holds for the capstone from this session: the submitted verdict."""
    if submitted is None:
        return "Capstone: not submitted yet (nothing written to your ledger)"
    verdict_word = "approved" if submitted.get("act2_result") == "approved" else "not approved"
    when = " (in an earlier session)" if submitted.get("earlier_session") else ""
    return f"Capstone submitted: {verdict_word}{when}"


def hud_html(
    card: Scorecard,
    *,
    prediction: str | None,
    prediction_correct: bool,
    notes: Sequence[str],
    help_used: tuple[int, int] = (0, 0),
    submitted: Mapping[str, Any] | None = None,
) -> str:
    """The footer: verdict, one chip per constraint, the design, the prediction, the help asked
    for (hint steps, reveals), what was submitted, and ledger notes."""
    verdict_word = "APPROVED" if card.approved else "INFEASIBLE"
    head = text(
        "div", f"Lab V2-17 · capstone · context: {card.design.context}", cls="cl-hud-kicker"
    ) + tag(
        "div",
        esc("Architecture: ")
        + text("strong", verdict_word, cls=state_class(card.approved))
        + esc(f" · constraints met: {card.n_met}/6"),
        cls="cl-hud-verdict",
    )
    if prediction is None:
        guess = "Act II prediction: not made"
    else:
        guess = (
            f"Act II prediction: {prediction} ({'right' if prediction_correct else 'not right'})"
        )
    hints, reveals = help_used
    record = f"Hints used: {hints} · reveals used: {reveals} · {submission_text(submitted)}"
    body = join(
        [
            tag("div", tag("div", head) + text("div", guess, cls="cl-hud-guess"), cls="cl-hud-top"),
            tag("div", badges_html(card.constraints.values()), cls="cl-hud-chips"),
            text("div", " · ".join(design_summary(card)), cls="cl-hud-design"),
            text("div", record, cls="cl-hud-note", id_="hud-record"),
            join(text("div", note, cls="cl-hud-note") for note in notes if note),
        ]
    )
    return tag("footer", body, cls="cl-hud", id_="hud")


def answer_for_html(design: Design) -> str:
    """``For the design: Model size: 14 B · ...``: which design a button's answer is about (it
    stays on the page while the sliders move on)."""
    values = " · ".join(
        f"{CONTROLS[name].label}: {format_value(name, value)}"
        for name, value in design.to_dict().items()
    )
    return text("p", f"For the design: {values}", cls="cl-muted cl-answer-for")
