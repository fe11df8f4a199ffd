"""Act I views: the student's Design Ledger as domain table, summary cards, charts, reveal facts
and the 33-lab timeline.

:class:`Journey` is what the page shows, built from the ledger's own archaeology by
:func:`read_journey` (the only function here that talks to :mod:`constraintlab.ledger`).
Every string in it may come from a ledger file: each view escapes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from constraintlab.views.html import callout, join, tag, text
from constraintlab.views.questions import LedgerFacts


@dataclass(frozen=True)
class DomainView:
    """One invariant domain: its labs and the student's numbers (None = no data)."""

    name: str
    invariant: str
    vol1_labs: tuple[str, ...]
    vol2_labs: tuple[str, ...]
    labs_done: int
    hit_rate: float | None
    prediction_accuracy: float | None

    @property
    def labs_total(self) -> int:
        return len(self.vol1_labs) + len(self.vol2_labs)


@dataclass(frozen=True)
class LabView:
    """One of the 33 labs on the timeline: ``state`` is done, hit or todo."""

    key: str
    label: str
    state: str


@dataclass(frozen=True)
class Accuracy:
    """Correct predictions out of the labs that recorded one."""

    correct: int
    total: int

    @property
    def share(self) -> float | None:
        return self.correct / self.total if self.total else None


@dataclass(frozen=True)
class Journey:
    """Everything Act I shows about the student's ledger."""

    domains: tuple[DomainView, ...] = ()
    labs: tuple[LabView, ...] = ()
    labs_done: int = 0
    constraint_hits: int = 0
    vol1: Accuracy = Accuracy(0, 0)
    vol2: Accuracy = Accuracy(0, 0)
    overall: Accuracy = Accuracy(0, 0)
    most_violated: tuple[str, float] | None = None
    weakest: tuple[str, float] | None = None
    dominant_context: str | None = None
    is_sample: bool = False
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return self.labs_done == 0


def _pct(share: float | None) -> str:
    return "no data" if share is None else f"{share * 100:.0f}%"


def domain_table_html(journey: Journey) -> str:
    """The domain / invariant / labs table, from the same mapping the archaeology uses."""
    head = tag(
        "tr",
        join(
            text("th", h) for h in ("Domain", "Core invariant", "Volume I labs", "Volume II labs")
        ),
    )
    rows = join(
        tag(
            "tr",
            text("td", d.name)
            + text("td", d.invariant)
            + text("td", ", ".join(d.vol1_labs) or "-")
            + text("td", ", ".join(d.vol2_labs) or "-"),
        )
        for d in journey.domains
    )
    intro = text(
        "p",
        "The course tested each invariant family in particular labs. Your ledger records, for"
        " each lab you completed, whether your design hit a constraint and whether your"
        " prediction was right. Before you see the report, commit to a hypothesis.",
    )
    table = tag(
        "div",
        tag("table", tag("thead", head) + tag("tbody", rows), cls="cl-table"),
        cls="cl-table-wrap",
    )
    return intro + table


def ledger_notes_html(journey: Journey) -> str:
    """Warnings (a ledger that could not be read) and notes (an automatic import)."""
    parts = [
        callout("warn", "Your ledger could not be read", text("p", w)) for w in journey.warnings
    ]
    parts += [callout("info", "Ledger", text("p", n)) for n in journey.notes]
    if journey.is_sample:
        parts.append(
            callout(
                "sample",
                "SAMPLE DATA",
                text(
                    "p",
                    "The figures below come from a made-up sample journey, not from your own"
                    " labs. Your own ledger entries replace them as you complete labs.",
                ),
                id_="sample-banner",
            )
        )
    return join(parts)


def empty_state_html(journey: Journey) -> str:
    """An honest empty state: nothing recorded, nothing invented."""
    if not journey.is_empty:
        return ""
    return callout(
        "info",
        "Your Design Ledger is empty",
        text(
            "p",
            "No lab has recorded anything in your ledger yet, so there is nothing to audit:"
            " no hit rates, no prediction accuracy, no weakest domain. Complete earlier labs,"
            " or load a sample journey (clearly marked as sample data) to see how the report"
            " reads.",
        ),
        id_="ledger-empty",
    )


def _stat(label: str, value: str, note: str) -> str:
    return tag(
        "div",
        text("div", label, cls="cl-stat-label")
        + text("div", value, cls="cl-stat-value")
        + text("div", note, cls="cl-stat-note"),
        cls="cl-stat",
    )


def summary_cards_html(journey: Journey) -> str:
    """Labs done, constraints hit, accuracy by volume, most-violated and weakest domains."""
    if journey.is_empty:
        return ""
    total = len(journey.labs) or 33
    most = journey.most_violated
    weak = journey.weakest
    stats = [
        _stat("Labs completed", f"{journey.labs_done}", f"of {total}"),
        _stat("Constraints hit", f"{journey.constraint_hits}", f"in {journey.labs_done} labs"),
        _stat("Volume I accuracy", _pct(journey.vol1.share), f"{journey.vol1.total} predictions"),
        _stat("Volume II accuracy", _pct(journey.vol2.share), f"{journey.vol2.total} predictions"),
        _stat("Overall accuracy", _pct(journey.overall.share), f"{journey.overall.total} in all"),
        _stat(
            "Most-violated domain",
            most[0] if most else "not decidable",
            f"{_pct(most[1])} of its labs hit a limit" if most else "no single domain leads",
        ),
        _stat(
            "Weakest predictions",
            weak[0] if weak else "not decidable",
            f"{_pct(weak[1])} correct" if weak else "no single domain trails",
        ),
    ]
    return tag("div", join(stats), cls="cl-summary-grid", id_="ledger-summary")


def hit_rate_figure(journey: Journey) -> Any:
    """The constraint-hit bar chart (plotly; imported here, where a page is drawn)."""
    from constraintlab.views.charts import hit_rate_bar

    d = journey.domains
    return hit_rate_bar(
        [x.name for x in d],
        [x.hit_rate for x in d],
        [x.labs_done for x in d],
        [x.labs_total for x in d],
    )


def accuracy_figure(journey: Journey) -> Any:
    """The prediction-accuracy radar (plotly)."""
    from constraintlab.views.charts import accuracy_radar

    return accuracy_radar(
        [x.name for x in journey.domains], [x.prediction_accuracy for x in journey.domains]
    )


def ledger_facts(journey: Journey) -> LedgerFacts:
    """What the Act I reveal quotes: the top three hit domains, most-violated, weakest."""
    ranked = sorted(
        ((d.name, d.hit_rate) for d in journey.domains if d.hit_rate is not None),
        key=lambda pair: pair[1],
        reverse=True,
    )
    return LedgerFacts(
        labs_done=journey.labs_done,
        top_hit_domains=[(name, rate) for name, rate in ranked[:3]],
        most_hit=journey.most_violated,
        weakest=journey.weakest,
    )


_STATE_ICON = {"done": "✓", "hit": "!", "todo": "·"}
_STATE_WORD = {
    "done": "completed, no constraint hit",
    "hit": "a constraint was hit",
    "todo": "not completed",
}


def _lab_chip(lab: LabView) -> str:
    state = lab.state if lab.state in _STATE_ICON else "todo"
    return tag(
        "div",
        text("span", lab.label) + text("span", _STATE_ICON[state], cls="cl-lab-icon"),
        cls=f"cl-lab cl-lab-{state}",
        title=f"{lab.label}: {_STATE_WORD[state]}",
    )


def timeline_html(journey: Journey, capstone: Mapping[str, Any] | None = None) -> str:
    """All 33 labs by volume; the capstone's chip follows the live design when given."""
    labs = list(journey.labs)
    if capstone is not None:
        state = "hit" if capstone.get("constraint_hit") else "done"
        labs = [LabView(lab.key, lab.label, state) if lab.key == "v2_17" else lab for lab in labs]
    vol1 = [lab for lab in labs if not lab.key.startswith("v2_")]
    vol2 = [lab for lab in labs if lab.key.startswith("v2_")]
    done = sum(lab.state != "todo" for lab in labs)
    hits = sum(lab.state == "hit" for lab in labs)
    footer = (
        f"Labs completed: {done}/{len(labs)} · constraints hit: {hits}"
        f" · most common context: {journey.dominant_context or 'none recorded'}"
    )
    legend = (
        "✓ green: completed without hitting a constraint · ! red: a constraint was hit"
        " · · grey: not yet completed"
    )
    return tag(
        "div",
        text("h4", f"Volume I ({len(vol1)} labs)")
        + tag("div", join(_lab_chip(lab) for lab in vol1), cls="cl-chips")
        + text("h4", f"Volume II ({len(vol2)} labs)")
        + tag("div", join(_lab_chip(lab) for lab in vol2), cls="cl-chips")
        + text("p", footer, cls="cl-legend")
        + text("p", legend, cls="cl-legend"),
        cls="cl-timeline",
        id_="journey-timeline",
    )


def read_journey(access: Any, *, load_sample: bool = False) -> Journey:
    """The student's journey from the ledger's archaeology; never raises."""
    raise NotImplementedError  # replaced once constraintlab.ledger lands


__all__ = [
    "Accuracy",
    "DomainView",
    "Journey",
    "LabView",
    "accuracy_figure",
    "domain_table_html",
    "empty_state_html",
    "hit_rate_figure",
    "ledger_facts",
    "ledger_notes_html",
    "read_journey",
    "summary_cards_html",
    "timeline_html",
]
