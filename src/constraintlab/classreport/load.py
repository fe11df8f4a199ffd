"""Read student ledger files with the ledger's own parser; drop duplicates; list problems.

This is the only module that talks to :mod:`constraintlab.ledger`: the parser
(:func:`constraintlab.ledger.formats.read_ledger_file`, which also enforces the size limit and
never blocks on a FIFO), its error type, and Act I's archaeology
(:func:`constraintlab.ledger.archaeology.domain_stats`: per-domain hit rate and prediction
accuracy of one student, the very numbers Act I shows that student).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from constraintlab.classreport.model import (
    Attempt,
    DomainScore,
    JsonScalar,
    Problem,
    ProblemKind,
    StudentLedger,
)
from constraintlab.ledger import archaeology
from constraintlab.ledger.errors import LedgerError, LedgerErrorKind
from constraintlab.ledger.formats import ParsedLedger, read_ledger_file
from constraintlab.ledger.keys import CHAPTER_KEYS

DEFAULT_FILE_STEMS = frozenset({"ledger", "ledger_vol1", "ledger_vol2"})
DOMAIN_LABS: dict[str, tuple[str, ...]] = {
    domain: tuple(chapters) for domain, chapters in archaeology.DOMAIN_CHAPTERS.items()
}
LAB_KEYS: tuple[str, ...] = tuple(CHAPTER_KEYS)


@dataclass(frozen=True)
class LoadedClass:
    """The students read (one per id) and the problems met on the way."""

    students: list[StudentLedger]
    problems: list[Problem]


def load_class(files: Sequence[Path], on_file: Callable[[int], None] | None = None) -> LoadedClass:
    """Read ``files`` in the given (sorted) order; ``on_file(done)`` after each one."""
    students: list[StudentLedger] = []
    problems: list[Problem] = []
    by_digest: dict[str, str] = {}
    by_id: dict[str, str] = {}
    for done, path in enumerate(files, 1):
        result = read_student(path)
        if isinstance(result, Problem):
            problems.append(result)
        elif (problem := _duplicate(path, result, by_digest, by_id)) is not None:
            problems.append(problem)
        else:
            students.append(result)
            if result.unplaced_entries:
                problems.append(_unplaced_problem(result))
        if on_file is not None:
            on_file(done)
    return LoadedClass(students, problems)


def read_student(path: Path) -> StudentLedger | Problem:
    """One file as a student, or the problem that stops it being read."""
    try:
        parsed = read_ledger_file(path)
    except LedgerError as error:
        return Problem(str(path), _problem_kind(error), str(error))
    except OSError as error:  # the parser wraps these; never let one stop the class anyway
        return Problem(str(path), ProblemKind.UNREADABLE, f"{path}: {error.strerror or error}")
    if parsed.is_sample:
        return Problem(
            str(path), ProblemKind.SAMPLE, f"{path}: marked as sample data, not a student's work"
        )
    student_id, id_source = student_id_for(path, parsed.student_id)
    entries: dict[str, dict[str, JsonScalar]] = dict(parsed.entries)
    return StudentLedger(
        student_id=student_id,
        source_path=str(path),
        layout=parsed.layout_description,
        id_source=id_source,
        entries=entries,
        attempts=_attempts(parsed),
        domains=domain_scores(entries),
        unplaced_entries=len(parsed.unplaced),
    )


def student_id_for(path: Path, named: object) -> tuple[str, str]:
    """(id, where it came from): the file's own id, else the stem (or folder for default names)."""
    if isinstance(named, str) and named.strip():
        return named.strip(), "file"
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


def _attempts(parsed: ParsedLedger) -> list[Attempt]:
    """Every save, numbered 1, 2, ... per chapter in the order the ledger recorded them."""
    counts: dict[str, int] = {}
    attempts = []
    for save in parsed.attempts:
        counts[save.chapter] = counts.get(save.chapter, 0) + 1
        attempts.append(Attempt(save.chapter, counts[save.chapter], save.design))
    return attempts


def _duplicate(
    path: Path, student: StudentLedger, by_digest: dict[str, str], by_id: dict[str, str]
) -> Problem | None:
    """A problem if this file repeats an earlier one's content or student id; else record it."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:  # changed or removed since it was parsed
        return Problem(str(path), ProblemKind.UNREADABLE, f"{path}: {error.strerror or error}")
    same = by_digest.get(f"{student.student_id}\x00{digest}")
    if same is not None:
        return Problem(str(path), ProblemKind.DUPLICATE, f"same content as {same}; read once")
    if student.student_id in by_id:
        kept = by_id[student.student_id]
        return Problem(
            str(path),
            ProblemKind.CONFLICT,
            f"student id {student.student_id!r} is also in {kept}; kept that file (first in"
            " sorted path order)",
        )
    by_digest[f"{student.student_id}\x00{digest}"] = str(path)
    by_id[student.student_id] = str(path)
    return None


def _unplaced_problem(student: StudentLedger) -> Problem:
    n = student.unplaced_entries
    return Problem(
        student.source_path,
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
