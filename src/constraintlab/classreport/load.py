"""Read student ledger files with the ledger's own parser; drop duplicates; list problems.

This is the only module that talks to :mod:`constraintlab.ledger`: the parser
(:func:`constraintlab.ledger.formats.parse_ledger_bytes` on the bytes of
:func:`constraintlab.ledger.files.read_bounded`, which is what
:func:`~constraintlab.ledger.formats.read_ledger_file` does, here keeping the bytes to recognise
duplicates: it enforces the size limit and never blocks on a FIFO), its error type, and Act I's
archaeology (:func:`constraintlab.ledger.archaeology.domain_stats`, for :func:`read_student`).

A class is read in chunks of files (:func:`read_chunk`, one call per chunk, in a worker
process when :mod:`constraintlab.classreport.parallel` reads in parallel); each chunk comes back
as column lists (:class:`~constraintlab.classreport.columns.ClassColumns`) plus one outcome per
file, and :func:`load_class` applies the rules below to the chunks in path order, so a
parallel and a single-process run keep and list exactly the same files.

Rules:

* A file the parser rejects is skipped and listed with the parser's message.
* A file marked as sample data (``constraintlab ledger sample`` exports) is skipped: it is
  made-up data, not a student's work.
* Of files with byte-identical content and the same student id, the first in sorted path
  order is read; the others are listed as duplicates of it. Files with different ids are
  different students even when their bytes agree (two empty ledgers): both are kept.
* The student id is the one the file names, else the file's stem; when the stem is one of the
  course's default file names (``ledger``, ``ledger_vol1``, ``ledger_vol2``), the name of the
  folder holding it (so ``alice/ledger.json`` is ``alice``).
* Of different files with the same student id, the first in sorted path order is kept; each
  later one is listed as a conflict naming the kept file (it is not merged: nothing says which
  is right).
* Entries the parser could not place on a lab do not stop the file; the file is listed with a
  caveat (``skipped=false``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from constraintlab.classreport.columns import ClassColumns
from constraintlab.classreport.model import (
    CAPSTONE_KEY,
    Attempt,
    DomainScore,
    JsonScalar,
    Problem,
    ProblemKind,
    StudentLedger,
)
from constraintlab.ledger import archaeology
from constraintlab.ledger.errors import LedgerError, LedgerErrorKind
from constraintlab.ledger.files import read_bounded
from constraintlab.ledger.formats import (
    MAX_FILE_BYTES,
    ParsedLedger,
    parse_ledger_bytes,
    volume_from_name,
)
from constraintlab.ledger.keys import CHAPTER_KEYS
from constraintlab.userpaths import os_error_line

DEFAULT_FILE_STEMS = frozenset({"ledger", "ledger_vol1", "ledger_vol2"})
DOMAIN_LABS: dict[str, tuple[str, ...]] = {
    domain: tuple(chapters) for domain, chapters in archaeology.DOMAIN_CHAPTERS.items()
}
LAB_KEYS: tuple[str, ...] = tuple(CHAPTER_KEYS)


@dataclass(frozen=True)
class LoadedClass:
    """How many students were read (one per id) and the problems met on the way."""

    students_read: int
    problems: list[Problem]


@dataclass(frozen=True)
class StudentFile:
    """A file read as a student (its rows are in the chunk's columns); its content's digest."""

    path: str
    student_id: str
    sha256: str
    unplaced_entries: int


@dataclass(frozen=True)
class ChunkRead:
    """One outcome per file of a chunk, in order, and the columns of its students."""

    outcomes: tuple[StudentFile | Problem, ...]
    columns: ClassColumns


def load_class(chunks: Iterable[ChunkRead], add: Callable[[ClassColumns], None]) -> LoadedClass:
    """Apply the rules to ``chunks`` in order; ``add`` the kept students' columns chunk by chunk."""
    problems: list[Problem] = []
    by_digest: dict[str, str] = {}
    by_id: dict[str, str] = {}
    read = 0
    for chunk in chunks:
        kept: list[bool] = []
        for outcome in chunk.outcomes:
            if isinstance(outcome, Problem):
                problems.append(outcome)
            elif (problem := _duplicate(outcome, by_digest, by_id)) is not None:
                problems.append(problem)
                kept.append(False)
            else:
                kept.append(True)
                if outcome.unplaced_entries:
                    problems.append(_unplaced_problem(outcome.path, outcome.unplaced_entries))
        read += sum(kept)
        add(chunk.columns if all(kept) else chunk.columns.keep(kept))
    return LoadedClass(read, problems)


def read_chunk(paths: Sequence[Path], on_file: Callable[[], None] | None = None) -> ChunkRead:
    """Read ``paths`` (in order) into one sealed chunk; ``on_file()`` after each file."""
    columns = ClassColumns()
    outcomes = [_read_into(path, columns) for path in _each(paths, on_file)]
    columns.seal()
    return ChunkRead(tuple(outcomes), columns)


def _each(paths: Sequence[Path], on_file: Callable[[], None] | None) -> Iterator[Path]:
    for path in paths:
        yield path
        if on_file is not None:
            on_file()


def _read_into(path: Path, columns: ClassColumns) -> StudentFile | Problem:
    """Parse one file; a student goes into ``columns``, a file that is not one becomes a problem."""
    result = _parse(path)
    if isinstance(result, Problem):
        return result
    parsed, data = result
    student_id, id_source = student_id_for(path, parsed.student_id)
    row = (student_id, str(path), parsed.layout_description, id_source, len(parsed.unplaced))
    columns.add_student(row, parsed.entries, _capstone_saves(parsed), parsed.entry_json)
    digest = hashlib.sha256(data).hexdigest()
    return StudentFile(str(path), student_id, digest, len(parsed.unplaced))


def _parse(path: Path) -> tuple[ParsedLedger, bytes] | Problem:
    """The parsed ledger and its bytes, or the problem that stops the file being read."""
    try:
        data = read_bounded(path, MAX_FILE_BYTES)
        parsed = parse_ledger_bytes(data, path, volume_from_name(path))
    except LedgerError as error:
        return Problem(str(path), _problem_kind(error), str(error))
    except OSError as error:  # the parser wraps these; never let one stop the class anyway
        return Problem(str(path), ProblemKind.UNREADABLE, os_error_line(error, path))
    if parsed.is_sample:
        return Problem(
            str(path), ProblemKind.SAMPLE, f"{path}: marked as sample data, not a student's work"
        )
    return parsed, data


def read_student(path: Path) -> StudentLedger | Problem:
    """One file as a student record (with Act I's domain scores), or the problem that stops it."""
    result = _parse(path)
    if isinstance(result, Problem):
        return result
    parsed, _ = result
    student_id, id_source = student_id_for(path, parsed.student_id)
    entries: dict[str, dict[str, JsonScalar]] = dict(parsed.entries)
    return StudentLedger(
        student_id=student_id,
        source_path=str(path),
        layout=parsed.layout_description,
        id_source=id_source,
        entries=entries,
        attempts=[Attempt(*save) for save in _numbered_saves(parsed)],
        domains=domain_scores(entries),
        unplaced_entries=len(parsed.unplaced),
    )


def student_id_for(path: Path, named: object) -> tuple[str, str]:
    """(id, where it came from): the file's own id, else the stem (or folder for default names).

    The file's id is kept exactly as written: ids that differ only by a leading tab, a carriage
    return, spaces or a no-break space are different ids, never merged into one student (one
    blank through and through names none)."""
    if isinstance(named, str) and named.strip():
        return named, "file"
    if path.stem.lower() in DEFAULT_FILE_STEMS and path.parent.name:
        return path.parent.name, "folder name"
    return path.stem, "file name"


def domain_scores(entries: dict[str, dict[str, JsonScalar]]) -> list[DomainScore]:
    """Act I's per-domain numbers for one student, from the ledger's archaeology."""
    stats = archaeology.domain_stats(entries)
    return [
        DomainScore(domain, stats[domain].hit_rate, stats[domain].prediction_accuracy)
        for domain in DOMAIN_LABS
    ]


def _numbered_saves(
    parsed: ParsedLedger,
) -> Iterator[tuple[str, int, dict[str, JsonScalar], str | None]]:
    """Every save as (chapter, number, design, recorded_at), numbered 1, 2, ... per chapter
    in file order."""
    counts: dict[str, int] = {}
    for save in parsed.attempts:
        counts[save.chapter] = number = counts.get(save.chapter, 0) + 1
        yield save.chapter, number, save.design, save.recorded_at


def _capstone_saves(
    parsed: ParsedLedger,
) -> list[tuple[str, int, dict[str, JsonScalar], str | None]]:
    """The capstone's saves as :func:`_numbered_saves` numbers them (the only ones the class
    columns keep), without going through every other lab's."""
    saves = [save for save in parsed.attempts if save.chapter == CAPSTONE_KEY]
    return [(CAPSTONE_KEY, n, save.design, save.recorded_at) for n, save in enumerate(saves, 1)]


def _duplicate(
    student: StudentFile, by_digest: dict[str, str], by_id: dict[str, str]
) -> Problem | None:
    """A problem if this file repeats an earlier one's content or student id; else record it."""
    key = f"{student.student_id}\x00{student.sha256}"  # distinct ids are never merged
    if key in by_digest:
        return Problem(
            student.path,
            ProblemKind.DUPLICATE,
            f"same content as {by_digest[key]}; read once",
        )
    if student.student_id in by_id:
        kept = by_id[student.student_id]
        return Problem(
            student.path,
            ProblemKind.CONFLICT,
            f"student id {student.student_id!r} is also in {kept}; kept that file (first in"
            " sorted path order)",
        )
    by_digest[f"{student.student_id}\x00{student.sha256}"] = student.path
    by_id[student.student_id] = student.path
    return None


def _unplaced_problem(path: str, n: int) -> Problem:
    return Problem(
        path,
        ProblemKind.UNPLACED,
        f"{n} entr{'y was' if n == 1 else 'ies were'} not placed on any lab and left out;"
        " the rest was read",
        skipped=False,
    )


_KIND_OF_ERROR = {
    LedgerErrorKind.TOO_LARGE: ProblemKind.OVERSIZED,
    LedgerErrorKind.UNREADABLE: ProblemKind.UNREADABLE,
}


def _problem_kind(error: LedgerError) -> str:
    """Classify a parser error for problems.csv by its kind (never by its wording)."""
    return _KIND_OF_ERROR.get(error.kind, ProblemKind.MALFORMED)
