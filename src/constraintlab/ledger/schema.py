"""The store's SQLite schema, its version and the migrations between versions.

A ledger store is an SQLite database whose ``application_id`` is :data:`APPLICATION_ID` and
whose ``user_version`` is the schema version. :func:`prepare` refuses (without writing) any
file that is not such a database, or one written by a newer schema, and brings an older one up
to :data:`SCHEMA_VERSION` by running :data:`MIGRATIONS` in order, each in the same
``BEGIN IMMEDIATE`` transaction as the version bump, so a crash leaves the old version intact.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Final

from constraintlab.ledger.errors import LedgerError, LedgerErrorKind, os_reason

APPLICATION_ID: Final = 0x434C4C47  # "CLLG"
SQLITE_MAGIC: Final = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS: Final = 30_000

Migration = Callable[[sqlite3.Connection], None]


def _create_v1(conn: sqlite3.Connection) -> None:
    """Version 1: metadata, one row per chapter, and the attempts in order."""
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute(
        "CREATE TABLE entries ("
        " chapter TEXT PRIMARY KEY,"
        " design_json TEXT NOT NULL,"
        " digest TEXT NOT NULL,"
        " saved_at TEXT NOT NULL,"
        " origin TEXT NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE attempts ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " chapter TEXT NOT NULL,"
        " design_json TEXT NOT NULL,"
        " digest TEXT NOT NULL,"
        " recorded_at TEXT NOT NULL)"
    )
    conn.execute("CREATE INDEX attempts_by_design ON attempts (chapter, digest, recorded_at)")


# version reached -> the step that reaches it from the version before
MIGRATIONS: dict[int, Migration] = {1: _create_v1}
SCHEMA_VERSION: Final = max(MIGRATIONS)


def check_header(path: Path) -> None:
    """Refuse a non-empty file that is not an SQLite database, before SQLite opens it."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return
    except IsADirectoryError:
        raise LedgerError(
            path, "is a folder, not a ledger store", LedgerErrorKind.UNREADABLE
        ) from None
    except OSError as error:
        raise LedgerError(
            path, f"cannot read the ledger store: {os_reason(error)}", LedgerErrorKind.UNREADABLE
        ) from None
    if head and head != SQLITE_MAGIC:
        raise LedgerError(
            path,
            "not a constraintlab ledger store (not an SQLite database); it was left as it is."
            " Point --ledger or CONSTRAINTLAB_LEDGER at another file, or move this one away",
            LedgerErrorKind.NOT_A_STORE,
        )


def _state(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """(application_id, user_version, number of tables), read from one consistent snapshot.

    Three separate reads could straddle another process's migration (an id of 0 with the
    tables already there); one read transaction sees either the file before it or after it.
    """
    own_transaction = not conn.in_transaction
    if own_transaction:
        conn.execute("BEGIN")
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    finally:
        if own_transaction:
            conn.execute("COMMIT")
    return int(app_id), int(version), int(tables[0])


def check_identity(conn: sqlite3.Connection, path: Path) -> bool:
    """True when the database needs migrating; :class:`LedgerError` when it is not ours."""
    app_id, version, tables = _state(conn)
    if app_id == 0 and version == 0 and tables == 0:
        return True  # a new, empty database
    if app_id != APPLICATION_ID:
        raise LedgerError(
            path,
            "an SQLite database, but not a constraintlab ledger store; it was left as it is",
            LedgerErrorKind.NOT_A_STORE,
        )
    if version > SCHEMA_VERSION:
        raise LedgerError(
            path,
            f"written by a newer constraintlab (schema version {version}; this one knows up to"
            f" {SCHEMA_VERSION}); it was left as it is. Upgrade constraintlab to open it",
            LedgerErrorKind.NEWER_VERSION,
        )
    return version < SCHEMA_VERSION


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION` (one transaction; re-checked under the lock)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if check_identity(conn, path):
            _, version, _ = _state(conn)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            for target in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](conn)
                conn.execute(f"PRAGMA user_version = {int(target)}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
