"""The report's files: CSV writers and the atomic write every output goes through.

Each file is written next to its final name and renamed into place, so an interrupted run
never leaves a half-written CSV that looks complete. CSV conventions: a header row, ``None``
as an empty cell, booleans as ``true``/``false``, floats with full precision.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from constraintlab.classreport.model import Problem
from constraintlab.classreport.results import DomainStat, StudentRow

STUDENT_COLUMNS = (
    "student_id",
    "labs_done",
    "constraint_hits",
    "prediction_accuracy",
    "capstone_approved",
    "source_path",
    "layout",
)
DOMAIN_COLUMNS = (
    "domain",
    "students_with_data",
    "hit_rate_mean",
    "hit_rate_std",
    "prediction_accuracy_mean",
    "students_with_accuracy_data",
    "prediction_accuracy_std",
)
PROBLEM_COLUMNS = ("path", "problem", "detail", "skipped")


def cell(value: object) -> str:
    """One CSV cell: empty for None, true/false for booleans, repr precision for floats."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temporary_path)`` and rename the result to ``path``."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""

    def write(partial: Path) -> None:
        partial.write_text(text, encoding="utf-8")

    write_atomically(path, write)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document (RFC 4180 quoting, ``\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def write_students_csv(path: Path, students: Sequence[StudentRow]) -> None:
    """``students.csv``: one row per student (see :data:`STUDENT_COLUMNS`)."""
    rows = [[getattr(s, name) for name in STUDENT_COLUMNS] for s in students]
    write_text(path, csv_text(STUDENT_COLUMNS, rows))


def write_domains_csv(path: Path, domains: Sequence[DomainStat]) -> None:
    """``domains.csv``: one row per domain, in Act I's order (see :data:`DOMAIN_COLUMNS`)."""
    rows = [[getattr(d, name) for name in DOMAIN_COLUMNS] for d in domains]
    write_text(path, csv_text(DOMAIN_COLUMNS, rows))


def write_problems_csv(path: Path, problems: Sequence[Problem]) -> None:
    """``problems.csv``: every input not used (skipped=true) or used with a caveat."""
    rows = [[p.path, p.kind, p.detail, p.skipped] for p in problems]
    write_text(path, csv_text(PROBLEM_COLUMNS, rows))
