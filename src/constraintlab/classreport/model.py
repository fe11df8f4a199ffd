"""Plain records shared by the class-report stages: problems, students and their rows.

Nothing here reads files or talks to DuckDB; the loader fills these records and the analytics
layer turns them into tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from constraintlab.ledger.validation import JsonValue
from constraintlab.model import registry

JsonScalar = JsonValue
"""A value a ledger design may hold: any JSON (the name is older than nested designs; the
fields the report reads are scalars, and ``as_text`` shows a nested one as JSON)."""

CAPSTONE_KEY: Final = "v2_17"
"""The canonical chapter key of this lab (the capstone)."""


def capstone_flags() -> tuple[str, ...]:
    """The per-constraint flags the capstone saves (each constraint's ledger field, from the
    registry), in the order the lab shows them."""
    return tuple(c.ledger_field for c in registry.constraints())


def capstone_flag_labels() -> dict[str, str]:
    """Flag -> the constraint's name as the report prints it."""
    return {c.ledger_field: c.report_label for c in registry.constraints()}


class ProblemKind:
    """The reasons a file is listed in ``problems.csv`` (plain strings, stable for scripts)."""

    NO_MATCH: Final = "no match"
    NOT_A_FILE: Final = "not a regular file"
    UNREADABLE: Final = "unreadable"
    MALFORMED: Final = "malformed"
    OVERSIZED: Final = "oversized"
    SAMPLE: Final = "sample data"
    DUPLICATE: Final = "duplicate content"
    CONFLICT: Final = "student id conflict"
    UNPLACED: Final = "unplaced entries"
    NOT_COLLECTED: Final = "not collected"  # a student's ledger the collector could not export


@dataclass(frozen=True)
class Problem:
    """One input that could not be used (``skipped``) or was used with a caveat."""

    path: str
    kind: str
    detail: str
    skipped: bool = True


@dataclass(frozen=True)
class Attempt:
    """One save of a lab in the order the ledger recorded it (1-based per chapter)."""

    chapter: str
    number: int
    design: dict[str, JsonScalar]
    recorded_at: str | None = None


@dataclass(frozen=True)
class DomainScore:
    """One student's Act I numbers for one domain; ``None`` means "no data", never 50%."""

    domain: str
    hit_rate: float | None
    prediction_accuracy: float | None


@dataclass
class StudentLedger:
    """Everything the report needs about one student, as read from one file."""

    student_id: str
    source_path: str
    layout: str
    id_source: str
    entries: dict[str, dict[str, JsonScalar]]
    attempts: list[Attempt] = field(default_factory=list)
    domains: list[DomainScore] = field(default_factory=list)
    unplaced_entries: int = 0
