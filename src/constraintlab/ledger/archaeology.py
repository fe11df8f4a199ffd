"""Act I's Design Ledger archaeology: pure functions over ledger entries.

Input: ``entries``, chapter key -> design (what :meth:`Ledger.entries` returns; other spellings
of a key, such as ``5`` for ``"5"``, are accepted). Nothing here reads or writes a file.

Rules (each differs on purpose from the published lab, see KNOWN_DEFECTS.md 11):

* A lab counts toward a rate only when it recorded the field as a JSON boolean
  (``constraint_hit``, ``act1_correct``). A domain with no such lab has rate ``None``,
  "no data", never a made-up 0% or 50%.
* Act I audits the 32 labs before the capstone: totals and accuracy leave out ``v2_17`` (its
  own entry is the capstone's, not the journey's). The timeline shows all 33 labs.
* The most-violated and the weakest domain are named only when at least two domains have data
  and one of them stands alone at the top (highest hit rate, above 0) or at the bottom (lowest
  prediction accuracy, below 100%). Otherwise they are ``None``: nothing to decide.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Final

from constraintlab.ledger.keys import (
    CAPSTONE_KEY,
    CHAPTER_KEYS,
    EARLIER_LAB_KEYS,
    VOLUME1_KEYS,
    canonical_key,
    lab_label,
    lab_number,
    volume_of,
)

Entries = Mapping[Any, object]

# The published lab's domains and the labs that tested each (v2_09 sits in two).
DOMAIN_CHAPTERS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "Memory": ("5", "8", "10"),
        "Compute": ("11", "12", "v2_09"),
        "Serving": ("13", "v2_10"),
        "Scale": ("v2_01", "v2_05"),
        "Networking": ("v2_02", "v2_03", "v2_06"),
        "Reliability": ("v2_07",),
        "Privacy/Ethics": ("15", "16", "v2_13", "v2_16"),
        "Economics": ("v2_08", "v2_09", "v2_15"),
    }
)
DOMAINS: Final[tuple[str, ...]] = tuple(DOMAIN_CHAPTERS)
DOMAIN_INVARIANTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "Memory": "Memory wall: bandwidth grows far slower than peak compute",
        "Compute": "Roofline: attainable FLOP/s is capped by arithmetic intensity (MFU ceiling)",
        "Serving": "Little's law N = λW; the P99 is not the average",
        "Scale": "Amdahl's law; more parallelism brings more coordination",
        "Networking": "AllReduce and bisection bandwidth bound distributed training",
        "Reliability": "Young-Daly: checkpoint interval T* ≈ √(2C/λ)",
        "Privacy/Ethics": "Fairness criteria conflict (Chouldechova); DP ε trades accuracy",
        "Economics": "Jevons paradox; utilisation against queueing delay",
    }
)


@dataclass(frozen=True)
class Ratio:
    """``count`` of ``total`` labs; ``share`` is None when ``total`` is 0 (no data)."""

    count: int
    total: int

    @property
    def share(self) -> float | None:
        """``count / total`` as a float; None when nothing was recorded."""
        return self.count / self.total if self.total else None

    @property
    def exact(self) -> Fraction | None:
        """``count / total`` as an exact fraction (for ties); None when nothing was recorded."""
        return Fraction(self.count, self.total) if self.total else None


@dataclass(frozen=True)
class DomainStats:
    """One domain: labs done, constraint hits and correct predictions among them."""

    domain: str
    chapters: tuple[str, ...]
    labs_done: int
    hits: Ratio
    predictions: Ratio

    @property
    def labs_total(self) -> int:
        """How many labs of the course test this domain."""
        return len(self.chapters)

    @property
    def hit_rate(self) -> float | None:
        """Share of its recorded labs that hit a constraint; None = no data."""
        return self.hits.share

    @property
    def prediction_accuracy(self) -> float | None:
        """Share of its recorded predictions that were right; None = no data."""
        return self.predictions.share


@dataclass(frozen=True)
class Accuracy:
    """Prediction accuracy over the 32 earlier labs, by volume and overall."""

    vol1: Ratio
    vol2: Ratio
    overall: Ratio


@dataclass(frozen=True)
class Totals:
    """Counts over the 32 earlier labs; ``capstone_saved`` says whether v2_17 has an entry."""

    labs_done: int
    labs_total: int
    constraint_hits: int
    hits_recorded: int
    capstone_saved: bool


LAB_DONE: Final = "done"  # saved, no constraint hit recorded
LAB_HIT: Final = "hit"  # saved with constraint_hit true
LAB_TODO: Final = "todo"  # no entry


@dataclass(frozen=True)
class TimelineLab:
    """One of the 33 labs on the journey timeline."""

    key: str
    label: str
    volume: int
    number: int
    state: str  # LAB_DONE, LAB_HIT or LAB_TODO


@dataclass(frozen=True)
class Archaeology:
    """Everything Act I computes from a ledger."""

    domains: Mapping[str, DomainStats]
    totals: Totals
    accuracy: Accuracy
    most_violated: tuple[str, float] | None
    weakest: tuple[str, float] | None
    timeline: tuple[TimelineLab, ...]
    dominant_context: str | None

    @property
    def is_empty(self) -> bool:
        """True when none of the 32 earlier labs has an entry."""
        return self.totals.labs_done == 0


def canonical_entries(entries: Entries) -> dict[str, Mapping[str, object]]:
    """Entries under canonical keys; keys naming no lab are left out, non-objects count empty."""
    out: dict[str, Mapping[str, object]] = {}
    for raw, design in entries.items():
        key = canonical_key(raw)
        if key is not None:
            out[key] = design if isinstance(design, Mapping) else {}
    return out


def _ratio(designs: Iterable[Mapping[str, object]], field: str) -> Ratio:
    """How many designs recorded ``field`` as true, of those that recorded it as a boolean."""
    values = [d[field] for d in designs if isinstance(d.get(field), bool)]
    return Ratio(sum(v is True for v in values), len(values))


def domain_stats(entries: Entries) -> dict[str, DomainStats]:
    """Per domain (in :data:`DOMAINS` order): labs done, hit rate, prediction accuracy."""
    found = canonical_entries(entries)
    stats: dict[str, DomainStats] = {}
    for domain, chapters in DOMAIN_CHAPTERS.items():
        done = [found[c] for c in chapters if c in found]
        stats[domain] = DomainStats(
            domain=domain,
            chapters=chapters,
            labs_done=len(done),
            hits=_ratio(done, "constraint_hit"),
            predictions=_ratio(done, "act1_correct"),
        )
    return stats


def prediction_accuracy(entries: Entries) -> Accuracy:
    """Correct Act I predictions over the earlier labs: Volume I, Volume II, both."""
    found = canonical_entries(entries)
    vol1 = [found[k] for k in VOLUME1_KEYS if k in found]
    vol2 = [found[k] for k in EARLIER_LAB_KEYS if volume_of(k) == 2 and k in found]
    return Accuracy(
        _ratio(vol1, "act1_correct"),
        _ratio(vol2, "act1_correct"),
        _ratio(vol1 + vol2, "act1_correct"),
    )


def totals(entries: Entries) -> Totals:
    """Labs done and constraints hit among the 32 earlier labs."""
    found = canonical_entries(entries)
    done = [found[k] for k in EARLIER_LAB_KEYS if k in found]
    hits = _ratio(done, "constraint_hit")
    return Totals(
        labs_done=len(done),
        labs_total=len(EARLIER_LAB_KEYS),
        constraint_hits=hits.count,
        hits_recorded=hits.total,
        capstone_saved=CAPSTONE_KEY in found,
    )


def _single_extreme(scores: dict[str, Fraction], highest: bool) -> tuple[str, Fraction] | None:
    """The one domain with the highest (lowest) score; None for fewer than two or a tie."""
    if len(scores) < 2:
        return None
    best = max(scores.values()) if highest else min(scores.values())
    leaders = [name for name, score in scores.items() if score == best]
    return (leaders[0], best) if len(leaders) == 1 else None


def most_violated(stats: Mapping[str, DomainStats]) -> tuple[str, float] | None:
    """(domain, hit rate) of the one domain that hit constraints most often, if decidable."""
    scores = {d: f for d, s in stats.items() if (f := s.hits.exact) is not None}
    found = _single_extreme(scores, highest=True)
    if found is None or found[1] == 0:
        return None
    return found[0], float(found[1])


def weakest(stats: Mapping[str, DomainStats]) -> tuple[str, float] | None:
    """(domain, accuracy) of the one domain with the lowest prediction accuracy, if decidable."""
    scores = {d: f for d, s in stats.items() if (f := s.predictions.exact) is not None}
    found = _single_extreme(scores, highest=False)
    if found is None or found[1] == 1:
        return None
    return found[0], float(found[1])


def _state(design: Mapping[str, object] | None) -> str:
    if design is None:
        return LAB_TODO
    return LAB_HIT if design.get("constraint_hit") is True else LAB_DONE


def timeline(entries: Entries) -> tuple[TimelineLab, ...]:
    """All 33 labs in course order: done, hit (constraint_hit true) or todo (no entry)."""
    found = canonical_entries(entries)
    return tuple(
        TimelineLab(key, lab_label(key), volume_of(key), lab_number(key), _state(found.get(key)))
        for key in CHAPTER_KEYS
    )


def dominant_context(entries: Entries) -> str | None:
    """The ``context`` most labs recorded (any of the 33), or None when none or a tie."""
    found = canonical_entries(entries)
    contexts = Counter(
        value.strip()
        for design in found.values()
        if isinstance(value := design.get("context"), str) and value.strip()
    )
    ranked = contexts.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def audit(entries: Entries) -> Archaeology:
    """Every Act I number for one ledger."""
    stats = domain_stats(entries)
    return Archaeology(
        domains=MappingProxyType(stats),
        totals=totals(entries),
        accuracy=prediction_accuracy(entries),
        most_violated=most_violated(stats),
        weakest=weakest(stats),
        timeline=timeline(entries),
        dominant_context=dominant_context(entries),
    )


__all__ = [
    "CAPSTONE_KEY",
    "CHAPTER_KEYS",
    "DOMAINS",
    "DOMAIN_CHAPTERS",
    "DOMAIN_INVARIANTS",
    "EARLIER_LAB_KEYS",
    "LAB_DONE",
    "LAB_HIT",
    "LAB_TODO",
    "Accuracy",
    "Archaeology",
    "DomainStats",
    "Ratio",
    "TimelineLab",
    "Totals",
    "audit",
    "canonical_entries",
    "domain_stats",
    "dominant_context",
    "most_violated",
    "prediction_accuracy",
    "timeline",
    "totals",
    "weakest",
]
