"""The ledger's one exception type: every failure caused by bad input ends in it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from constraintlab.userpaths import os_reason

__all__ = ["LedgerError", "LedgerErrorKind", "describe", "os_reason", "sqlite_reason"]


class LedgerErrorKind(StrEnum):
    """What went wrong, for callers that act on it (never parse the message for this).

    ``INVALID`` is the default: the content is not a valid ledger (JSON, shape, a design).
    """

    INVALID = "invalid"  # not UTF-8 / JSON, not a ledger's shape, a design out of its limits
    UNREADABLE = "unreadable"  # missing, a folder, not a regular file, no permission
    TOO_LARGE = "too large"  # a file over the import limit, or a store that would export so
    NOT_A_STORE = "not a store"  # a file that is not a constraintlab ledger store
    NEWER_VERSION = "newer version"  # written by a newer constraintlab
    NO_STORE = "no store"  # a read command found no store at the path (nothing was created)
    DAMAGED = "damaged"  # a stored row that does not parse or does not match its digest
    CANNOT_WRITE = "cannot write"  # the store or an output file cannot be written
    EXISTS = "exists"  # an export target that exists (no --overwrite)
    SAMPLE = "sample"  # sample data where a student's own ledger was meant, or the reverse
    USAGE = "usage"  # a bad argument: chapter key, export format, path


class LedgerError(Exception):
    """A ledger file or store that cannot be used, with a message naming it and the problem.

    ``path`` is the file concerned (``None`` when the problem is not about a file, e.g. a bad
    chapter key passed to :meth:`~constraintlab.ledger.store.Ledger.save`); ``problem`` is the
    message without the path; ``kind`` says what went wrong (:class:`LedgerErrorKind`).
    ``str(error)`` is ``"<path>: <problem>"``.
    """

    def __init__(
        self,
        path: Path | str | None,
        problem: str,
        kind: LedgerErrorKind = LedgerErrorKind.INVALID,
    ) -> None:
        self.path = None if path is None else Path(path)
        self.problem = problem
        self.kind = kind
        super().__init__(problem if path is None else f"{path}: {problem}")


def describe(value: object, limit: int = 40) -> str:
    """A short, printable rendering of an untrusted value for a message (``repr``, cut).

    Lists and objects are named, not rendered: one from a file may be nested deeply.
    """
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


SQLITE_FULL = 13
SQLITE_READONLY = 8


def sqlite_reason(error: Exception) -> str:
    """An SQLite error in plain words: a full disk and a read-only store are named as such."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None and code & 0xFF == SQLITE_FULL:
        return "the disk is full (SQLite: database or disk is full)"
    if code is not None and code & 0xFF == SQLITE_READONLY:
        return f"the store cannot be written (read-only file or folder; SQLite: {error})"
    return str(error)
