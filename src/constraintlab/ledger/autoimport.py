"""The course-file import: the store takes in each course ledger file under ``~/.mlsys`` that
is new or has changed since it was last imported (told by its SHA-256 digest).

It runs when :func:`~constraintlab.ledger.open_ledger` opens the student's own default store
for writing (no ``--ledger``, no ``$CONSTRAINTLAB_LEDGER``), or any store when asked with
``--with-course-ledger PATH``; read commands never run it. A store named for another student
(a teaching assistant's ``--ledger studentA.sqlite3``) never takes in the caller's course
files. A sample store never takes course files in.
The course's files are only read. A file that cannot be read is named in the note and left as
it is, its digest is not recorded (so it is tried again), and the store still opens.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from constraintlab.ledger.errors import LedgerError
from constraintlab.ledger.files import read_bounded
from constraintlab.ledger.formats import (
    MAX_FILE_BYTES,
    ParsedLedger,
    parse_ledger_bytes,
    volume_from_name,
)
from constraintlab.ledger.paths import course_ledger_files
from constraintlab.ledger.records import ImportReport
from constraintlab.ledger.store import Ledger


def pending_course_files(ledger: Ledger | None, folder: Path | None = None) -> list[Path]:
    """Course files that a write-mode open would import (new or changed), without importing."""
    if ledger is not None and ledger.is_sample:
        return []
    known = ledger.course_digests() if ledger is not None else {}
    pending = []
    for path in course_ledger_files(folder):
        try:
            digest = hashlib.sha256(read_bounded(path, MAX_FILE_BYTES)).hexdigest()
        except LedgerError:
            pending.append(path)  # unreadable: a write-mode open would say so
            continue
        if known.get(str(path)) != digest:
            pending.append(path)
    return pending


def import_course_files(
    ledger: Ledger, folder: Path | None = None, *, files: list[Path] | None = None
) -> str | None:
    """Import the course files (``files``, else those in ``folder``, else ``~/.mlsys``) that
    are new or changed since their last import; a note saying what happened, or None when
    there was nothing to do."""
    if ledger.is_sample:
        return None
    known = ledger.course_digests()
    parsed: list[tuple[ParsedLedger, str]] = []
    changed: set[str] = set()
    problems: list[str] = []
    for path in course_ledger_files(folder) if files is None else files:
        try:
            data = read_bounded(path, MAX_FILE_BYTES)
            digest = hashlib.sha256(data).hexdigest()
            if known.get(str(path)) == digest:
                continue
            parsed.append((parse_ledger_bytes(data, path, volume_from_name(path)), digest))
            if str(path) in known:
                changed.add(str(path))
        except LedgerError as error:
            problems.append(str(error))
    reports = ledger.import_course_files(parsed) if parsed else []
    if not reports and not problems:
        return None
    return _note(reports, changed, problems)


first_use_import = import_course_files  # the name it had when it ran on an empty store only


def _note(reports: list[ImportReport], changed: set[str], problems: list[str]) -> str:
    """One paragraph for the app and the CLI."""
    parts: list[str] = []
    for report in reports:
        n = report.entries_read
        why = "it changed since the last import" if str(report.source) in changed else "new"
        parts.append(
            f"Imported {n} lab entr{'y' if n == 1 else 'ies'} from your course ledger"
            f" {report.source} ({report.layout}; {why}); the course file was not changed."
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
