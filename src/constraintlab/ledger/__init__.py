"""The Design Ledger: durable per-student storage of what the course's labs saved.

Light to import (standard library only). The API the lab and the CLI share::

    ledger = open_ledger()              # ~/.mlsys/constraintlab.sqlite3, $CONSTRAINTLAB_LEDGER
    ledger.save("v2_17", design)        # True when written; an identical design writes nothing
    ledger.entries()                    # {"5": {...}, "v2_07": {...}} in course order
    ledger.record_attempt(design)       # a submitted capstone design
    ledger.attempts()                   # [Attempt(number, chapter, design, recorded_at), ...]
    ledger.import_file(path)            # ImportReport; course layouts A/B or our export
    ledger.export(path, "course")       # "native" (ours), "course" (mlsysim's), "course-list"
    writeback.sync_capstone(ledger)     # v2_17 into ~/.mlsys/ledger.json / ledger_vol2.json
    archaeology.audit(ledger.entries()) # Act I's numbers ("no data" is None)

Every failure caused by bad input raises :class:`LedgerError`, whose message names the file.
"""

from __future__ import annotations

import os

from constraintlab.ledger import archaeology
from constraintlab.ledger.archaeology import (
    DOMAIN_CHAPTERS,
    Archaeology,
    DomainStats,
    audit,
    domain_stats,
    dominant_context,
    most_violated,
    prediction_accuracy,
    timeline,
    totals,
    weakest,
)
from constraintlab.ledger.autoimport import import_course_files
from constraintlab.ledger.errors import LedgerError, LedgerErrorKind
from constraintlab.ledger.formats import ParsedLedger, read_ledger_file
from constraintlab.ledger.keys import CAPSTONE_KEY, CHAPTER_KEYS
from constraintlab.ledger.paths import (
    COURSE_LEDGER_ENV,
    ENV_VAR,
    course_files_in,
    is_own_default_store,
    resolve_store_path,
)
from constraintlab.ledger.records import Attempt, ImportReport
from constraintlab.ledger.store import Ledger


def open_ledger(
    path: str | os.PathLike[str] | None = None,
    *,
    auto_import: bool = True,
    read_only: bool = False,
    course_ledger: str | os.PathLike[str] | None = None,
) -> Ledger:
    """Open (creating if needed) the student's ledger store.

    ``path``: the store file; default ``$CONSTRAINTLAB_LEDGER``, else
    ``~/.mlsys/constraintlab.sqlite3``. A file that is not a ledger store raises
    :class:`LedgerError` and is left untouched. With ``auto_import`` (default), the student's
    own default store (:func:`~constraintlab.ledger.paths.is_own_default_store`) takes in each
    course ledger file under ``~/.mlsys`` that is new or changed since its last import; any
    other store does so only for ``course_ledger`` (``--with-course-ledger PATH``: a course
    file or a folder of them; default ``$CONSTRAINTLAB_COURSE_LEDGER``).
    :attr:`Ledger.import_note` then says what happened (also when a course file was bad).
    ``read_only``: the store must exist; nothing is created, imported or written
    (:class:`LedgerError` of kind ``NO_STORE`` when there is none).
    """
    if read_only:
        return Ledger.open(resolve_store_path(path), read_only=True)
    asked = course_ledger if course_ledger is not None else os.environ.get(COURSE_LEDGER_ENV)
    own = is_own_default_store(path)
    ledger = Ledger.open(resolve_store_path(path))
    try:
        if asked:
            ledger.set_import_note(import_course_files(ledger, files=course_files_in(asked)))
        elif auto_import and own:
            ledger.set_import_note(import_course_files(ledger))
        elif auto_import and ledger.created:
            ledger.set_import_note(_not_imported_note(ledger))
    except LedgerError:
        ledger.close(discard_created=True)
        raise
    return ledger


def _not_imported_note(ledger: Ledger) -> str | None:
    """For a new store that is not the default one: the course files it did not take in."""
    from constraintlab.ledger.autoimport import pending_course_files

    pending = pending_course_files(None)
    if not pending or ledger.is_sample:
        return None
    return (
        f"{ledger.path} is not your default ledger store, so your course ledger files"
        f" ({', '.join(str(p) for p in pending)}) were not imported into it; to import them,"
        " add --with-course-ledger ~/.mlsys."
    )


__all__ = [
    "CAPSTONE_KEY",
    "CHAPTER_KEYS",
    "DOMAIN_CHAPTERS",
    "ENV_VAR",
    "Archaeology",
    "Attempt",
    "DomainStats",
    "ImportReport",
    "Ledger",
    "LedgerError",
    "LedgerErrorKind",
    "ParsedLedger",
    "archaeology",
    "audit",
    "domain_stats",
    "dominant_context",
    "import_course_files",
    "most_violated",
    "open_ledger",
    "prediction_accuracy",
    "read_ledger_file",
    "timeline",
    "totals",
    "weakest",
]
