"""Where the store and the course's ledger files live.

The store is ``~/.mlsys/constraintlab.sqlite3`` unless a path is given or the environment
variable ``CONSTRAINTLAB_LEDGER`` names one. The course's own files
(``~/.mlsys/ledger.json``, ``ledger_vol1.json``, ``ledger_vol2.json``) are only ever read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from constraintlab.ledger.errors import LedgerError, LedgerErrorKind
from constraintlab.ledger.files import lookup, maybe_file
from constraintlab.userpaths import PathError, user_path

ENV_VAR: Final = "CONSTRAINTLAB_LEDGER"
COURSE_LEDGER_ENV: Final = "CONSTRAINTLAB_COURSE_LEDGER"  # what --with-course-ledger asks for
STORE_NAME: Final = "constraintlab.sqlite3"
SAMPLE_STORE_NAME: Final = "constraintlab-sample.sqlite3"
COURSE_FILE_NAMES: Final = ("ledger.json", "ledger_vol1.json", "ledger_vol2.json")


def mlsys_dir() -> Path:
    """``~/.mlsys`` (``$HOME`` decides where ``~`` is)."""
    try:
        return Path.home() / ".mlsys"
    except RuntimeError as problem:  # no $HOME and no password entry
        raise LedgerError(None, f"cannot find the home folder ({problem})") from None


def default_store_path() -> Path:
    """The store used when neither a path nor ``$CONSTRAINTLAB_LEDGER`` is given."""
    return mlsys_dir() / STORE_NAME


def default_sample_path() -> Path:
    """The sample journey's own store (never the student's ledger)."""
    return mlsys_dir() / SAMPLE_STORE_NAME


def resolve_store_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The store to use: ``path``, else ``$CONSTRAINTLAB_LEDGER`` (unset or empty: not
    given), else the default; ``~`` and an empty ``path`` follow :mod:`constraintlab.userpaths`.
    """
    what = "--ledger"
    if path is None:
        what = ENV_VAR
        path = os.environ.get(ENV_VAR) or default_store_path()
    try:
        return user_path(path, what)
    except PathError as problem:
        raise LedgerError(None, str(problem), LedgerErrorKind.USAGE) from None


def is_own_default_store(path: str | os.PathLike[str] | None = None) -> bool:
    """True when ``path`` (None: as :func:`resolve_store_path` decides) is the student's own
    default store: no ``--ledger`` and no ``$CONSTRAINTLAB_LEDGER``, or one naming the very
    file ``~/.mlsys/constraintlab.sqlite3``. Only that store takes in the course's ledger
    files without being asked: a store named for someone else never gets the caller's labs.
    """
    if path is None and not os.environ.get(ENV_VAR):
        return True
    chosen = resolve_store_path(path)
    return os.path.realpath(chosen) == os.path.realpath(default_store_path())


def course_files_in(path: str | os.PathLike[str]) -> list[Path]:
    """The course ledger files ``--with-course-ledger PATH`` names: the file itself, or the
    course files in the folder (like ``~/.mlsys``); oldest change first."""
    try:
        where = user_path(path, "--with-course-ledger").absolute()
    except PathError as problem:
        raise LedgerError(None, str(problem), LedgerErrorKind.USAGE) from None
    found = lookup(where)
    if found is None:
        raise LedgerError(
            where,
            "no such course ledger file or folder (--with-course-ledger); nothing was imported",
            LedgerErrorKind.USAGE,
        )
    return course_ledger_files(where) if stat.S_ISDIR(found.st_mode) else [where]


def course_ledger_files(folder: Path | None = None) -> list[Path]:
    """The course's ledger files that exist in ``folder`` (``~/.mlsys``), oldest change first.

    Importing them in this order lets the most recently written file win where they overlap.
    """
    base = mlsys_dir() if folder is None else folder
    found = [base / name for name in COURSE_FILE_NAMES if maybe_file(base / name)]
    return sorted(found, key=lambda p: (_mtime_ns(p), p.name))


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0
