"""Act II's failure banners and the hints a student asks for, worded from :mod:`explore.advice`.

A banner names the failure, its mechanism and the directions that fix it on their own (no
magnitudes). Magnitudes come only from hints, asked for one constraint at a time, in three
steps: 1 which control to start with (and what it costs), 2 why it works (the model's own
working), 3 how far (the smallest change of each control, at the design as set). Every move
quoted comes from the search in :mod:`constraintlab.explore.advice`, so it is inside its range,
never a no-op, and fixes what it names. Plain strings are escaped by the HTML builders here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from constraintlab.explore.advice import BUDGET, DOWN, UP, Advice, Move, TargetAdvice
from constraintlab.model import registry
from constraintlab.model.design import CONTROLS
from constraintlab.model.engine import NOT_FITTING, Scorecard
from constraintlab.model.explain import derivation_line
from constraintlab.views.html import FAIL_ICON, callout, join, tag, text
from constraintlab.views.prose import format_value
from constraintlab.views.scorecards import shown_target, shown_value

HINT_STEPS: Final = 3

# the budget's mechanism; each constraint's is in its record (model.registry)
BUDGET_MECHANISM: Final = (
    "Serving replicas, hot spares and the fine-tuning job (with the work its failures and"
    " checkpoints waste) all draw on the same GPU budget."
)


def mechanism(target: str) -> str:
    """One sentence per target: the mechanism, in words only (the numbers are on its card)."""
    return BUDGET_MECHANISM if target == BUDGET else registry.get(target).mechanism


def target_label(target: str, labels: Mapping[str, str]) -> str:
    return labels.get(target, "GPU budget")


def _names(targets: Sequence[str], labels: Mapping[str, str]) -> str:
    return ", ".join(target_label(t, labels) for t in targets)


def direction_phrase(move: Move) -> str:
    """``raise model size`` / ``switch deployment context`` (no magnitude)."""
    name = CONTROLS[move.control].label.lower()
    if move.direction == UP:
        return f"raise {name}"
    if move.direction == DOWN:
        return f"lower {name}"
    return f"switch {name}"


def _cost(move: Move, labels: Mapping[str, str]) -> str:
    return f" (breaks {_names(move.breaks, labels)})" if move.breaks else ""


def headline(card: Scorecard, target: str) -> str:
    """The failure, in the card's own figures."""
    if target == BUDGET:
        b = card.budget
        if b.cause == "over_budget":
            return f"the fleet {b.reason}, over the budget"
        return b.reason
    r = card[target]
    if r.missing == NOT_FITTING or not r.derivation.get("fits_in_memory", True):
        return "the model does not fit in one replica's memory"
    if r.missing:  # the banner's label is already in front of it
        return r.missing
    return f"{shown_value(r)} misses its target ({shown_target(r)})"


def directions(advice: TargetAdvice, labels: Mapping[str, str]) -> str:
    """The moves that fix this target on their own, as directions only."""
    if not advice.moves:
        return (
            "No single control fixes it from here, the others as set: at least two must move"
            " together."
        )
    listed = "; ".join(direction_phrase(m) + _cost(m, labels) for m in advice.moves)
    return f"Fixes it on its own, the other controls as set: {listed}."


def conflict_sentences(advice: Advice, target: str, labels: Mapping[str, str]) -> list[str]:
    """One sentence per control that another failing target wants moved the other way."""
    sentences = []
    for conflict in advice.conflicts_of(target):
        other, other_way = conflict.other(target)
        mine = conflict.first_direction if other == conflict.second else conflict.second_direction
        name = CONTROLS[conflict.control].label.lower()
        sentences.append(
            f"Conflict: this needs {name} {'higher' if mine == UP else 'lower'}, while"
            f" {target_label(other, labels)} needs it {'higher' if other_way == UP else 'lower'}."
        )
    return sentences


def hint_text(
    card: Scorecard, advice: TargetAdvice, level: int, labels: Mapping[str, str]
) -> list[str]:
    """The first ``level`` hint steps for one target (0 = none asked)."""
    steps: list[str] = []
    best = advice.best
    if level >= 1:
        if best is None:
            steps.append(
                "Which way: no single control fixes it. Fix what the other banners ask first,"
                " then look again, or use the map below with two controls at once."
            )
        else:
            fixes = [t for t in best.fixes if t != advice.target]
            also = f" It also fixes {_names(fixes, labels)}." if fixes else ""
            cost = (
                f" It breaks {_names(best.breaks, labels)}."
                if best.breaks
                else " It breaks nothing that passes now."
            )
            way = direction_phrase(best)
            steps.append(f"Which way: the least costly single move is to {way}.{also}{cost}")
    if level >= 2:
        if advice.target == BUDGET:
            b = card.budget
            working = (
                f"serving {b.serving_gpus:,} + spares {b.spare_gpus:,} + fine-tuning"
                f" {b.training_gpus:,.0f} GPUs"
            )
        else:
            working = derivation_line(card[advice.target], card)
        lever = (
            f" The term to watch is the one {CONTROLS[best.control].label.lower()} moves."
            if best is not None
            else ""
        )
        steps.append(f"Why, in this design's numbers: {working}.{lever}")
    if level >= 3:
        if not advice.moves:
            steps.append("How far: no single control is enough from this design.")
        for move in advice.moves:
            value = format_value(move.control, move.to_value)
            extra = [t for t in move.fixes if t != advice.target]
            parts = [f"How far: {CONTROLS[move.control].label.lower()} to {value}"]
            if move.direction in (UP, DOWN):
                parts.append(
                    f"({move.steps} step{'s' if move.steps != 1 else ''} {move.direction})"
                )
            sentence = " ".join(parts) + " is the smallest change of it that fixes this"
            if extra:
                sentence += f"; it also fixes {_names(extra, labels)}"
            if move.breaks:
                sentence += f"; it breaks {_names(move.breaks, labels)}"
            steps.append(sentence + ".")
    return steps


def banner_html(
    card: Scorecard, advice: Advice, target: str, level: int, labels: Mapping[str, str]
) -> str:
    """One failure banner with the hints asked so far (``id="banner-<target>"``)."""
    kind = "warn" if target == BUDGET else "danger"
    title = f"{FAIL_ICON} {target_label(target, labels)}: {headline(card, target)}"
    mine = advice.targets[target]
    body = [text("p", mechanism(target)), text("p", directions(mine, labels))]
    body += [text("p", s, cls="cl-conflict") for s in conflict_sentences(advice, target, labels)]
    shown = min(level, HINT_STEPS)
    hints = hint_text(card, mine, shown, labels)
    if hints:
        body.append(text("p", f"Your hints ({shown} of {HINT_STEPS}):", cls="cl-hints-head"))
        body.append(tag("ol", join(text("li", h) for h in hints), cls="cl-hints"))
    else:
        body.append(
            text(
                "p",
                f"Stuck? The button below gives {HINT_STEPS} hints, one at a time: which way,"
                " why, how far. Hints are recorded with your submission.",
                cls="cl-hints-head",
            )
        )
    return callout(kind, title, join(body), id_=f"banner-{target}")


def advice_lines(card: Scorecard, advice: Advice, labels: Mapping[str, str]) -> list[str]:
    """Plain-text advice for every failing target with all hints shown (for the CLI, where
    the user asked for the full scorecard)."""
    lines = []
    for target in advice.failing:
        mine = advice.targets[target]
        parts = [
            f"{target_label(target, labels)}: {headline(card, target)}.",
            directions(mine, labels),
        ]
        parts += conflict_sentences(advice, target, labels)
        parts += [h for h in hint_text(card, mine, HINT_STEPS, labels) if h.startswith("How far")]
        lines.append(" ".join(parts))
    return lines


__all__ = [
    "BUDGET_MECHANISM",
    "HINT_STEPS",
    "advice_lines",
    "banner_html",
    "conflict_sentences",
    "direction_phrase",
    "directions",
    "headline",
    "hint_text",
    "mechanism",
]
