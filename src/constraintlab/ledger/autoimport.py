"""The first-use import: an empty store takes in the course's ledger files under ``~/.mlsys``.

It runs when :func:`~constraintlab.ledger.open_ledger` opens a store that holds nothing, is not
a sample store, and has not done this before. The course's files are only read. A file that
cannot be read is named in the note and left as it is; the store still opens.
"""

from __future__ import annotations

from pathlib import Path

from constraintlab.ledger.errors import LedgerError
from constraintlab.ledger.formats import ParsedLedger, read_ledger_file
from constraintlab.ledger.paths import course_ledger_files
from constraintlab.ledger.records import ImportReport
from constraintlab.ledger.store import Ledger


def first_use_import(ledger: Ledger, folder: Path | None = None) -> str | None:
    """Import the course's ledger files into an empty store; a note saying what happened.

    Returns None when nothing was attempted (store not empty, sample store, done before, no
    course file found).
    """
    if not ledger.wants_first_use_import():
        return None
    files = course_ledger_files(folder)
    if not files:
        return None
    parsed: list[ParsedLedger] = []
    problems: list[str] = []
    for path in files:
        try:
            parsed.append(read_ledger_file(path))
        except LedgerError as error:
            problems.append(str(error))
    reports = ledger.import_first_use(parsed, complete=not problems)
    if reports is None and not problems:  # another process imported them first
        return None
    return _note(reports or [], problems)


def _note(reports: list[ImportReport], problems: list[str]) -> str:
    """One paragraph for the app and the CLI."""
    parts: list[str] = []
    for report in reports:
        n = report.entries_read
        parts.append(
            f"Imported {n} lab entr{'y' if n == 1 else 'ies'} from your course ledger"
            f" {report.source} ({report.layout}) on first use; the course file was not changed."
        )
        if report.unplaced:
            listed = "; ".join(str(u) for u in report.unplaced[:5])
            more = f" and {len(report.unplaced) - 5} more" if len(report.unplaced) > 5 else ""
            parts.append(f"Left out (they name no lab): {listed}{more}.")
        if report.skipped:
            n = len(report.skipped)
            listed = "; ".join(str(s) for s in report.skipped[:5])
            more = f" and {n - 5} more" if n > 5 else ""
            parts.append(
                f"{n} entr{'y' if n == 1 else 'ies'} skipped (not a valid design): {listed}{more}."
            )
    for problem in problems:
        parts.append(
            f"Could not import your course ledger: {problem}. The file was left as it is; fix"
            " it, or import another file with 'constraintlab ledger import FILE'."
        )
    return " ".join(parts)
