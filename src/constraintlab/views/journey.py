"""Act I views: the student's Design Ledger as domain table, summary cards, charts, reveal facts
and the 33-lab timeline.

The numbers are the ledger's own archaeology (:func:`constraintlab.ledger.audit`); a
:class:`Journey` adds what the page must say about where they came from (a sample journey, a
ledger that could not be read, an automatic import). Every string may come from a ledger file:
each view escapes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from constraintlab.ledger.archaeology import (
    DOMAIN_INVARIANTS,
    LAB_DONE,
    LAB_HIT,
    LAB_TODO,
    Archaeology,
    Ratio,
    TimelineLab,
    audit,
)
from constraintlab.ledger.keys import CAPSTONE_KEY
from constraintlab.views.html import callout, join, tag, text
from constraintlab.views.ledger_charts import accuracy_radar_svg, hit_rate_svg
from constraintlab.views.questions import LedgerFacts


@dataclass(frozen=True)
class Journey:
    """Act I's figures (``audit``) and what the page says about their source."""

    audit: Archaeology
    is_sample: bool = False
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sample_store: str | None = None  # the lab runs on this sample store: Submit saves there

    @property
    def is_empty(self) -> bool:
        return self.audit.is_empty


def empty_journey(warnings: tuple[str, ...] = (), notes: tuple[str, ...] = ()) -> Journey:
    """The journey of a ledger with no entries (or one that could not be read)."""
    return Journey(audit({}), warnings=warnings, notes=notes)


def _pct(share: float | None) -> str:
    return "no data" if share is None else f"{share * 100:.0f}%"


def _labs(chapters: tuple[str, ...], volume2: bool) -> str:
    picked = [c for c in chapters if c.startswith("v2_") == volume2]
    return ", ".join(picked) or "-"


def domain_table_html(journey: Journey) -> str:
    """The domain / invariant / labs table, from the mapping the archaeology itself uses."""
    head = tag(
        "tr",
        join(
            text("th", h) for h in ("Domain", "Core invariant", "Volume I labs", "Volume II labs")
        ),
    )
    rows = join(
        tag(
            "tr",
            text("td", d.domain)
            + text("td", DOMAIN_INVARIANTS.get(d.domain, ""))
            + text("td", _labs(d.chapters, volume2=False))
            + text("td", _labs(d.chapters, volume2=True)),
        )
        for d in journey.audit.domains.values()
    )
    intro = text(
        "p",
        "The course tested each invariant family in particular labs. For every lab you"
        " completed, your ledger records whether your design hit a constraint and whether your"
        " prediction was right. Before you see the report, commit to a hypothesis.",
    )
    table = tag("table", tag("thead", head) + tag("tbody", rows), cls="cl-table")
    return intro + tag("div", table, cls="cl-table-wrap", id_="domain-table")


def ledger_notes_html(journey: Journey) -> str:
    """Warnings (a ledger that could not be read), notes (an import) and the sample banner."""
    parts = [
        callout("warn", "Your ledger could not be read", text("p", w), id_="ledger-warning")
        for w in journey.warnings
    ]
    parts += [callout("info", "Ledger", text("p", n)) for n in journey.notes]
    if journey.is_sample:
        parts.append(
            callout(
                "sample",
                "SAMPLE DATA, not your journey",
                text("p", _sample_sentence(journey)),
                id_="sample-banner",
            )
        )
    return join(parts)


def _sample_sentence(journey: Journey) -> str:
    """Where the Act I figures come from, and where a submitted capstone goes."""
    source = (
        "Everything in Act I below comes from a made-up sample journey kept in its own file,"
        " not from your labs."
    )
    if journey.sample_store is None:
        return f"{source} Your capstone is still saved to your own ledger."
    return (
        f"{source} This lab was started on that sample store ({journey.sample_store}), so a"
        " capstone you submit is saved there, marked as sample data, and no ledger of your"
        " own is created. To keep your work, start the lab without --ledger."
    )


def empty_state_html(journey: Journey) -> str:
    """An honest empty state: nothing recorded, nothing invented."""
    if not journey.is_empty:
        return ""
    return callout(
        "info",
        "Your Design Ledger is empty",
        text(
            "p",
            "No earlier lab has recorded anything in your ledger, so there is nothing to audit:"
            " no hit rates, no prediction accuracy, no weakest domain. Complete earlier labs, or"
            " load a sample journey (clearly marked as sample data) to see how the report reads.",
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


def _accuracy_stat(label: str, ratio: Ratio) -> str:
    return _stat(label, _pct(ratio.share), f"{ratio.count} of {ratio.total} predictions right")


def summary_cards_html(journey: Journey) -> str:
    """Labs done, constraints hit, accuracy by volume, most-violated and weakest domains."""
    if journey.is_empty:
        return ""
    a = journey.audit
    t, most, weak = a.totals, a.most_violated, a.weakest
    counts = [
        _stat("Labs completed", f"{t.labs_done}", f"of the {t.labs_total} before this one"),
        _stat("Constraints hit", f"{t.constraint_hits}", f"in {t.hits_recorded} labs that said"),
        _accuracy_stat("Volume I accuracy", a.accuracy.vol1),
        _accuracy_stat("Volume II accuracy", a.accuracy.vol2),
        _accuracy_stat("Overall accuracy", a.accuracy.overall),
    ]
    domains = [
        _stat(
            "Most-violated domain",
            most[0] if most else "not decidable",
            f"{_pct(most[1])} of its labs hit a limit" if most else "no single domain leads",
        ),
        _stat(
            "Weakest predictions",
            weak[0] if weak else "not decidable",
            f"{_pct(weak[1])} right" if weak else "no single domain trails",
        ),
    ]
    return tag(
        "div",
        tag("div", join(counts), cls="cl-summary-grid")
        + tag("div", join(domains), cls="cl-summary-grid cl-two"),
        id_="ledger-summary",
    )


def hit_rate_chart_html(journey: Journey) -> str:
    """The constraint-hit bars (inline SVG with its numbers in a table)."""
    d = list(journey.audit.domains.values())
    return hit_rate_svg(
        [x.domain for x in d],
        [x.hit_rate for x in d],
        [x.hits.total for x in d],
        [x.labs_total for x in d],
    )


def accuracy_chart_html(journey: Journey) -> str:
    """The prediction-accuracy radar (inline SVG with its numbers in a table)."""
    d = list(journey.audit.domains.values())
    return accuracy_radar_svg([x.domain for x in d], [x.prediction_accuracy for x in d])


def ledger_facts(journey: Journey) -> LedgerFacts:
    """What the Act I reveal quotes: the (up to) three domains hit most, most-violated, weakest.

    A domain whose labs never hit a constraint is not among the "most hit"."""
    ranked = sorted(
        ((d.domain, d.hit_rate) for d in journey.audit.domains.values() if d.hit_rate),
        key=lambda pair: pair[1],
        reverse=True,
    )
    return LedgerFacts(
        labs_done=journey.audit.totals.labs_done,
        top_hit_domains=ranked[:3],
        most_hit=journey.audit.most_violated,
        weakest=journey.audit.weakest,
        is_sample=journey.is_sample,
        domain_hits=[
            (d.domain, d.hits.total, d.hits.count) for d in journey.audit.domains.values()
        ],
    )


_STATE_ICON = {LAB_DONE: "✓", LAB_HIT: "!", LAB_TODO: "·"}
_STATE_WORD = {
    LAB_DONE: "completed, no constraint hit",
    LAB_HIT: "a constraint was hit",
    LAB_TODO: "not completed",
}


def _lab_chip(lab: TimelineLab) -> str:
    state = lab.state if lab.state in _STATE_ICON else LAB_TODO
    return tag(
        "div",
        text("span", lab.label) + text("span", _STATE_ICON[state], cls="cl-lab-icon"),
        cls=f"cl-lab cl-lab-{state}",
        title=f"{lab.label}: {_STATE_WORD[state]}",
    )


def timeline_html(journey: Journey, capstone: Mapping[str, Any] | None = None) -> str:
    """All 33 labs by volume; the capstone's chip shows the submitted entry when given (else
    what the ledger holds for v2_17)."""
    labs = list(journey.audit.timeline)
    if capstone is not None:
        state = LAB_HIT if capstone.get("constraint_hit") is True else LAB_DONE
        labs = [
            TimelineLab(lab.key, lab.label, lab.volume, lab.number, state)
            if lab.key == CAPSTONE_KEY
            else lab
            for lab in labs
        ]
    earlier = [lab for lab in labs if lab.key != CAPSTONE_KEY]
    capstone_lab = next((lab for lab in labs if lab.key == CAPSTONE_KEY), None)
    done = sum(lab.state != LAB_TODO for lab in earlier)
    hits = sum(lab.state == LAB_HIT for lab in earlier)
    context = journey.audit.dominant_context
    capstone_word = {LAB_DONE: "submitted, approved", LAB_HIT: "submitted, not approved"}.get(
        capstone_lab.state if capstone_lab else LAB_TODO, "not submitted"
    )
    # the same 32 labs as Act I's cards; the capstone is counted apart
    footer = (
        f"Earlier labs completed: {done}/{len(earlier)} · constraints hit in them: {hits}"
        f" · capstone: {capstone_word}"
        f" · most common context: {context or 'none stands out'}"
    )
    legend = (
        "✓ green: completed without hitting a constraint · ! red: a constraint was hit"
        " · · grey: not yet completed"
    )
    body = ""
    for volume in (1, 2):
        mine = [lab for lab in labs if lab.volume == volume]
        body += text("h4", f"Volume {'I' * volume} ({len(mine)} labs)")
        body += tag("div", join(_lab_chip(lab) for lab in mine), cls="cl-chips")
    return tag(
        "div",
        body + text("p", footer, cls="cl-legend") + text("p", legend, cls="cl-legend"),
        cls="cl-timeline",
        id_="journey-timeline",
    )
