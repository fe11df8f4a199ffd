"""The report's files: CSV writers and the atomic write every output goes through.

Each file is written next to its final name and renamed into place, so an interrupted run
never leaves a half-written CSV that looks complete. CSV conventions: a header row, ``None``
as an empty cell, booleans as ``true``/``false``, floats with full precision.

Cells are untrusted (student ids and file names come from the class): a text cell that a
spreadsheet would evaluate as a formula (its first non-blank character ``=``, ``+``, ``-``,
``@``, or a leading tab or carriage return) gets a ``'`` in front, OWASP's rule for CSV
injection; numbers are written as numbers. Every field holding a comma, a quote, a space at
either end, CR or LF is quoted, so an id with a line break stays one field for Python's csv
module and DuckDB alike. ``entries.parquet`` keeps the raw values.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from constraintlab.classreport.model import Problem
from constraintlab.classreport.results import DomainStat, StudentRow
from constraintlab.userpaths import os_reason

STUDENT_COLUMNS = (
    "student_id",
    "labs_done",
    "constraint_hits",
    "prediction_accuracy",
    "capstone_approved",
    "source_path",
    "layout",
    "capstone_attempts",
    "hints_used",
    "reveals_used",
    "failing_in_last_attempt",
    "last_attempt_at",
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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTES = re.compile('[,"\r\n]')


def cell(value: object) -> str:
    """One CSV cell: empty for None, true/false for booleans, repr precision for floats;
    text that a spreadsheet would run as a formula is neutralised (:func:`neutralise`)."""
    if type(value) is str:  # the common case first: ids, paths
        return neutralise(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def neutralise(text: str) -> str:
    """``'`` + ``text`` when a spreadsheet would evaluate it (even after leading blanks)."""
    if text.startswith(FORMULA_STARTS) or text.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + text
    return text


def quoted(field: str) -> str:
    """RFC 4180: the field in double quotes (quotes doubled) when it needs them."""
    if _NEEDS_QUOTES.search(field) or field[:1] == " " or field[-1:] == " ":
        return '"' + field.replace('"', '""') + '"'
    return field


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
    """A CSV document: RFC 4180 quoting (:func:`quoted`), cells by :func:`cell`, ``\\n`` ends."""
    lines = [",".join(quoted(name) for name in header)]
    lines.extend(",".join(quoted(cell(v)) for v in row) for row in rows)
    return "\n".join(lines) + "\n"


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


# --- the output folder: everything is written in a hidden folder inside it, then moved in ------
class OutputFolderError(OSError):
    """``--out`` cannot take the report; the message names the path and why."""


def check_out_dir(out_dir: Path, names: Sequence[str]) -> None:
    """Refuse an ``--out`` that is not a folder, that cannot be looked at, or one where an
    output name is a folder or a special file."""
    found = _stat(out_dir)
    if found is not None and not stat.S_ISDIR(found.st_mode):
        raise OutputFolderError(f"--out {out_dir}: cannot write there (it is a file, not a folder)")
    for name in names if found is not None else ():
        target = _stat(out_dir / name)
        if target is not None and not stat.S_ISREG(target.st_mode):
            raise OutputFolderError(
                f"--out {out_dir}: cannot write there ({name} is a folder or a special file,"
                " not a file the report can replace; move it away). Nothing was written"
            )


def _stat(path: Path) -> os.stat_result | None:
    """``stat`` of ``path``; None when nothing is there; any other error names the path."""
    try:
        return os.stat(path)
    except OSError as problem:
        if problem.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise OutputFolderError(
            f"--out {path}: cannot write there ({os_reason(problem)})"
        ) from None


STAGING_PREFIX = ".report-staging-"


@contextlib.contextmanager
def staged_outputs(out_dir: Path, names: Sequence[str]) -> Iterator[Path]:
    """A fresh hidden folder inside ``out_dir`` to write into; on success its files move into
    ``out_dir`` (a rename on the same file system, wherever ``out_dir`` is mounted); on any
    failure it is removed, with ``out_dir`` and its parents if this run created them, so
    ``out_dir`` is as it was. Needs only ``out_dir`` to be writable, not its parent."""
    check_out_dir(out_dir, names)
    created = _make_folders(out_dir)
    try:
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    except OSError as problem:
        _remove_folders(created)
        raise OutputFolderError(
            f"--out {out_dir}: cannot write there ({os_reason(problem)})"
        ) from None
    try:
        yield staging
        _move_in(staging, out_dir, names)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_folders(created)
        raise
    shutil.rmtree(staging, ignore_errors=True)


def _make_folders(out_dir: Path) -> list[Path]:
    """Create ``out_dir`` and its missing parents; the folders this call made, outermost first."""
    missing: list[Path] = []
    folder = out_dir.absolute()
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    created: list[Path] = []
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
        except FileExistsError:
            continue
        except OSError as problem:
            _remove_folders(created)
            raise OutputFolderError(
                f"--out {out_dir}: cannot create {folder} ({os_reason(problem)})"
            ) from None
        created.append(folder)
    return created


def _remove_folders(created: list[Path]) -> None:
    """Remove the folders :func:`_make_folders` made, innermost first, if they are empty."""
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _move_in(staging: Path, out_dir: Path, names: Sequence[str]) -> None:
    check_out_dir(out_dir, names)  # again: the folder may have changed while we worked
    for name in names:
        os.replace(staging / name, out_dir / name)
