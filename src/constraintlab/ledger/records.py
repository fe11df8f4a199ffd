"""Small records the store hands out: an entry, an attempt, an import report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constraintlab.ledger.formats import Skipped, Unplaced
from constraintlab.ledger.validation import Design


@dataclass(frozen=True)
class EntryRecord:
    """The latest design of one chapter, when it was saved and where it came from."""

    chapter: str
    design: Design
    saved_at: str
    origin: str


@dataclass(frozen=True)
class Attempt:
    """One submitted capstone design; ``number`` counts from 1 in the order recorded."""

    number: int
    chapter: str
    design: Design
    recorded_at: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"number", "chapter", "recorded_at", "design"}``."""
        return {
            "number": self.number,
            "chapter": self.chapter,
            "recorded_at": self.recorded_at,
            "design": dict(self.design),
        }


@dataclass(frozen=True)
class ImportReport:
    """What an import did: chapters added, replaced or already identical; what was not placed."""

    source: Path
    layout: str
    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    attempts_added: int = 0
    unplaced: tuple[Unplaced, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    @property
    def entries_read(self) -> int:
        """Chapters the file holds (after last-save-wins)."""
        return len(self.added) + len(self.replaced) + len(self.unchanged)

    @property
    def changed(self) -> bool:
        """True when the store was written."""
        return bool(self.added or self.replaced or self.attempts_added)

    def summary(self) -> str:
        """One line: what was read and what changed."""
        parts = [
            f"{len(self.added)} added",
            f"{len(self.replaced)} replaced",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.attempts_added:
            parts.append(f"{self.attempts_added} attempts added")
        text = (
            f"Read {self.entries_read} lab entries from {self.source} ({self.layout}):"
            f" {', '.join(parts)}."
        )
        if self.unplaced:
            n = len(self.unplaced)
            text += f" {n} entr{'y' if n == 1 else 'ies'} could not be placed on a lab."
        if self.skipped:
            n = len(self.skipped)
            text += f" {n} entr{'y' if n == 1 else 'ies'} skipped: not a valid design."
        return text
