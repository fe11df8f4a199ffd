"""Act II views: the scorecards, the architecture status, the GPU budget, the approved
state and the HUD footer (the failure banners are :mod:`.coach`'s).

Stable hooks for tests and assistive tools: ``#arch-status`` holds ``APPROVED`` or
``INFEASIBLE``; ``#card-<constraint>`` holds ``PASS`` or ``FAIL``. Pass and fail are shown by
word and icon as well as colour.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from constraintlab.model.design import CONTROLS, Design
from constraintlab.model.engine import ConstraintResult, Scorecard
from constraintlab.model.explain import count, shown_number
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
    """``95.1 %``, ``166 ms`` or ``ε = 1.0``; the reason in words when there is no value."""
    if result.missing:
        return result.missing
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
    """Every constraint's card in a responsive grid, in the engine's order."""
    cards = (card_html(r, derivations.get(r.name, "")) for r in card.constraints.values())
    return tag("div", join(cards), cls="cl-card-grid")


def _failing_label(result: ConstraintResult) -> str:
    """``P99 latency`` or, when its value does not exist, ``P99 latency (does not fit ...)``."""
    return f"{result.label} ({result.missing})" if result.missing else result.label


def status_text(card: Scorecard) -> str:
    """``APPROVED`` or ``INFEASIBLE`` with the count, what fails and the budget's real cause
    (the engine's :attr:`GpuUsage.reason`: within, over, or a job that cannot keep up)."""
    b = card.budget
    if card.approved:
        total = len(card.constraints)
        return (
            f"{PASS_ICON} APPROVED · {total}/{total} constraints met · {b.gpus_needed:,.0f} of"
            + (f" {b.gpus_budget:,} GPUs")
        )
    parts = [f"{FAIL_ICON} INFEASIBLE · {card.n_met}/{len(card.constraints)} constraints met"]
    if card.failing:
        labels = ", ".join(_failing_label(card.constraints[name]) for name in card.failing)
        parts.append(f"failing: {labels}")
    if b.cause == "over_budget":
        parts.append(f"over the GPU budget: {b.reason}")
    else:
        parts.append(b.reason)
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
    ("deferral", "Deferral (idle outside the clean hours)", "cl-seg-deferral"),
)


def budget_amounts(card: Scorecard) -> dict[str, float]:
    """The bar's whole-GPU parts; they add up to the GPUs needed (the job's useful work is
    its ideal GPUs rounded, the waste the rest of its N). A job with no size that keeps up
    has no parts (nan), and the summary says so in words."""
    b = card.budget
    job = b.training_gpus
    useful = float(min(round(b.training_ideal_gpus), job)) if math.isfinite(job) else math.nan
    return {
        "serving": float(b.serving_gpus),
        "spares": float(b.spare_gpus),
        "training": useful,
        "waste": job - useful,
        "deferral": b.deferral_gpus,
    }


def _budget_summary(card: Scorecard) -> str:
    b = card.budget
    if not math.isfinite(b.gpus_needed):
        return f"No total of GPUs: {b.reason}"
    head = f"{b.gpus_needed:,.0f} GPUs needed of the {b.gpus_budget:,} budget"
    if b.cause == "within":
        return f"{head}: the design fits"
    if b.cause == "over_budget":
        return f"{head}: the design does NOT fit ({b.reason})"
    return f"{head}, counting the job's true demand: {b.reason}"


def budget_html(card: Scorecard) -> str:
    """Where the GPUs go, as a bar against the budget, with every term written out."""
    b = card.budget
    amounts = budget_amounts(card)
    shown = {key: value for key, value in amounts.items() if math.isfinite(value)}
    scale = max(float(b.gpus_budget), sum(shown.values()))
    segments = join(
        f'<div class="cl-seg {css}" style="width:{100.0 * shown[key] / scale:.3f}%"'
        f' title="{esc(label)}: {esc(count(shown[key], "GPU"))}"></div>'
        for key, label, css in _BUDGET_PARTS
        if key in shown
    )
    legend = join(
        tag("li", tag("span", "", cls=f"cl-swatch {css}") + esc(f"{label}: {shown[key]:,.0f}"))
        for key, label, css in _BUDGET_PARTS
        if key in shown
    )
    summary = _budget_summary(card)
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
        f"All {len(card.constraints)} constraints pass and the fleet needs {b.gpus_needed:,.0f} of"
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
        + esc(f" · constraints met: {card.n_met}/{len(card.constraints)}"),
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
