"""The Design Ledger store: one SQLite file per student, safe against crashes and concurrency.

* One row per chapter holds its latest design; saving an identical design writes nothing.
* Every submitted capstone attempt is kept in order; an attempt identical to the one just
  before it is not recorded twice.
* WAL journal, ``synchronous=FULL`` and one ``BEGIN IMMEDIATE`` transaction per change: a save
  that returned survives a crash of the process, and two processes writing at once wait for
  each other (``busy_timeout``) instead of losing a write.
* Every problem ends in :class:`LedgerError` naming the store or the input file.
* Read-only opening (``read_only=True``) never creates, migrates or writes the file; it works
  in a read-only folder too.
* Every row read is checked: JSON that does not parse, or a design whose digest is not the
  one stored with it, is left out of what is returned and listed in :attr:`Ledger.damaged`.
* One size limit: the store refuses a change after which its export would be larger than
  :data:`~constraintlab.ledger.formats.MAX_FILE_BYTES`, the most that import reads, so every
  export can be imported again.

Use :func:`constraintlab.ledger.open_ledger` rather than :meth:`Ledger.open`: it also resolves
the default path and runs the first-use import of the course's ledger.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import stat
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from constraintlab.ledger import exporting, files, schema
from constraintlab.ledger.errors import LedgerError, LedgerErrorKind, os_reason, sqlite_reason
from constraintlab.ledger.formats import MAX_FILE_BYTES, ParsedLedger, read_ledger_file
from constraintlab.ledger.keys import CAPSTONE_KEY, course_sorted, require_key
from constraintlab.ledger.records import Attempt, EntryRecord, ImportReport
from constraintlab.ledger.validation import Design, design_digest, validate_design
from constraintlab.userpaths import PathError, user_path

META_SAMPLE = "sample"
META_AUTO_IMPORTED = "auto_imported_from"
META_AUTO_IMPORT_DONE = "auto_import_done"
META_STUDENT_ID = "student_id"
META_COURSE_TRACK = "course_track"  # mlsysim's top-level track, from the last course file read
META_COURSE_STEP = "course_current_step"  # + "_0" / "_1" / "_2": current_step per course file
META_COURSE_DIGESTS = "course_file_digests"  # course file path -> SHA-256 last imported
META_COURSE_DESIGNS = "course_file_designs"  # + "_0" / "_1" / "_2": what that course file held


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _design_json(design: Mapping[str, Any]) -> str:
    return json.dumps(design, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _checked_design(text: str, digest: str) -> Design | None:
    """The stored design, or None when the row is damaged (no JSON object, wrong digest).

    The digest was taken of the validated design when it was written, so a match means the
    row is what was validated then.
    """
    try:
        value = json.loads(text)
        intact = isinstance(value, dict) and design_digest(value) == digest
    except (ValueError, RecursionError, TypeError):
        return None
    return value if intact else None


def store_path(path: str | os.PathLike[str]) -> Path:
    """``path`` under the one path rule (:mod:`constraintlab.userpaths`)."""
    try:
        return user_path(path, "ledger store")
    except PathError as problem:
        raise LedgerError(None, str(problem), LedgerErrorKind.USAGE) from None


def _enter_wal(conn: sqlite3.Connection, path: Path) -> bool:
    """Check the file is ours (reads only) and switch it to WAL; True if it needs migrating."""
    needs_migration = schema.check_identity(conn, path)
    conn.execute("PRAGMA journal_mode = WAL")
    return needs_migration


def _retry_while_locked(step: Callable[[], bool]) -> bool:
    """Run ``step`` again while SQLite says "locked", up to the busy timeout.

    Switching a fresh file to WAL needs it to itself; when two processes open a new store at
    the same moment SQLite can answer "database is locked" at once, without waiting in the
    busy handler (it would risk a deadlock), so the opener backs off and tries again.
    """
    deadline = time.monotonic() + schema.BUSY_TIMEOUT_MS / 1000
    delay_s = 0.005
    while True:
        try:
            return step()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(delay_s)
            delay_s = min(delay_s * 2, 0.2)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Open an existing store without writing anything (not even in a read-only folder)."""
    found = files.lookup(path)
    if found is None:
        raise LedgerError(
            path, "there is no ledger store here; nothing was created", LedgerErrorKind.NO_STORE
        )
    if stat.S_ISDIR(found.st_mode):
        raise LedgerError(path, "is a folder, not a ledger store", LedgerErrorKind.UNREADABLE)
    schema.check_header(path)
    uri = "file:" + urllib.parse.quote(str(path.absolute()))
    try:
        return _checked_read_only(sqlite3.connect(uri + "?mode=ro", **_READ_ONLY), path)
    except sqlite3.Error as error:
        first = error
    # A WAL store needs its -shm file; where the folder is read-only and none is there, SQLite
    # can open the file only as immutable, which ignores the -wal file: right when there is
    # none (nobody can be writing then), a stale read when it holds committed saves. Then the
    # store and its -wal are read from a private copy, which SQLite recovers in full.
    wal = files.lookup(path.with_name(path.name + "-wal"))
    try:
        if wal is None or wal.st_size == 0:
            return _checked_read_only(
                sqlite3.connect(uri + "?mode=ro&immutable=1", **_READ_ONLY), path
            )
        return _checked_read_only(_read_from_copy(path), path)
    except (sqlite3.Error, OSError) as error:
        reason = sqlite_reason(error) if isinstance(error, sqlite3.Error) else os_reason(error)
        raise LedgerError(
            path,
            f"cannot read the ledger store: {reason} (first: {sqlite_reason(first)})",
            LedgerErrorKind.UNREADABLE,
        ) from None


_READ_ONLY: dict[str, Any] = {
    "uri": True,
    "timeout": schema.BUSY_TIMEOUT_MS / 1000,
    "isolation_level": None,
    "check_same_thread": False,
}


def _checked_read_only(conn: sqlite3.Connection, path: Path) -> sqlite3.Connection:
    """``conn`` if it holds our store; closed and :class:`LedgerError` (or sqlite's) if not."""
    try:
        if schema.check_identity(conn, path):
            raise LedgerError(
                path,
                "is not a ledger store yet (empty or from an older version); nothing was changed",
                LedgerErrorKind.NO_STORE,
            )
    except BaseException:
        conn.close()
        raise
    return conn


def _read_from_copy(path: Path) -> sqlite3.Connection:
    """The store and its -wal copied to a private temporary folder, recovered there by SQLite
    (every committed save), and held in memory; the copy is removed before this returns."""
    with tempfile.TemporaryDirectory(prefix="constraintlab-read-") as folder:
        copy = Path(folder) / "store.sqlite3"
        shutil.copyfile(path, copy)
        shutil.copyfile(path.with_name(path.name + "-wal"), Path(folder) / "store.sqlite3-wal")
        source = sqlite3.connect(copy, isolation_level=None)
        try:
            memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            source.backup(memory)
        finally:
            source.close()
    return memory


def _create_new(path: Path, what: str) -> list[Path]:
    """:func:`files.create_new`, a refusal worded as a LedgerError naming ``what``."""
    try:
        return files.create_new(path)
    except OSError as error:
        raise LedgerError(
            path, f"cannot create {what}: {os_reason(error)}", LedgerErrorKind.CANNOT_WRITE
        ) from None


def _connect(path: Path) -> tuple[sqlite3.Connection, list[Path]]:
    """Open (creating if absent) the SQLite file, refusing anything that is not our store;
    the connection and what was created for it (:func:`files.create_new`; removed again if
    opening fails)."""
    found = files.lookup(path)
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise LedgerError(path, "is a folder, not a ledger store")
    schema.check_header(path)
    created = _create_new(path, "the ledger store")
    try:
        return _connect_created(path), created
    except BaseException:
        files.remove_created(created)
        raise


def _connect_created(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(
            path,
            timeout=schema.BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
    except sqlite3.Error as error:
        raise LedgerError(
            path, f"cannot open the ledger store: {error}", LedgerErrorKind.CANNOT_WRITE
        ) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {schema.BUSY_TIMEOUT_MS}")
        needs_migration = _retry_while_locked(lambda: _enter_wal(conn, path))
        conn.execute("PRAGMA synchronous = FULL")
        if needs_migration:
            schema.migrate(conn, path)
    except LedgerError:
        conn.close()
        raise
    except sqlite3.Error as error:
        conn.close()
        raise LedgerError(
            path, f"cannot open the ledger store ({sqlite_reason(error)}); it was left as it is"
        ) from None
    return conn


class Ledger:
    """A student's Design Ledger: entries by chapter, capstone attempts, metadata."""

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        *,
        read_only: bool = False,
        created: list[Path] | None = None,
    ) -> None:
        self._path = path
        self._conn = conn
        self._created = list(created or [])  # what opening it created (files.create_new)
        self._lock = threading.RLock()
        self._import_note: str | None = None
        self._damaged: dict[str, str] = {}
        self.read_only = read_only

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False) -> Ledger:
        """Open the store at ``path`` (no default, no course-file import).

        ``read_only``: the store must exist (else :class:`LedgerError` of kind ``NO_STORE``);
        nothing is created, migrated or written, even in a read-only folder.
        """
        where = store_path(path)
        if read_only:
            return cls(where, _connect_read_only(where), read_only=True)
        conn, created = _connect(where)
        return cls(where, conn, created=created)

    @property
    def damaged(self) -> list[str]:
        """Rows met so far that could not be read (left out), e.g. ``"entry 5: ..."``."""
        return list(self._damaged.values())

    def _note_damaged(self, where: str) -> None:
        self._damaged[where] = (
            f"{where}: the stored design is damaged (it does not parse or does not match its"
            " digest); it was left out"
        )

    # --- plumbing ----------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        """The store's file."""
        return self._path

    def close(self, *, discard_created: bool = False) -> None:
        """Close the connection (further use raises :class:`LedgerError`).

        ``discard_created``: also remove the store and the folders that opening it created
        (tracked when they were made, never inferred; a link or a file that was there already
        is never removed). For a command that failed and should leave the disk as it was.
        """
        with self._lock:
            self._conn.close()
            if discard_created:
                files.remove_created(self._created)
                self._created = []

    @property
    def created(self) -> list[Path]:
        """The store file and folders that opening this ledger created (oldest first)."""
        return list(self._created)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({str(self._path)!r})"

    @contextlib.contextmanager
    def _sqlite(self, action: str) -> Iterator[sqlite3.Connection]:
        """Run SQL under the lock; SQLite failures become :class:`LedgerError`."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as error:
                kind = LedgerErrorKind.CANNOT_WRITE if action != "read" else LedgerErrorKind.DAMAGED
                raise LedgerError(
                    self._path, f"cannot {action} the ledger store: {sqlite_reason(error)}", kind
                ) from None

    @contextlib.contextmanager
    def _write(self, action: str = "write to") -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back otherwise."""
        with self._sqlite(action) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: a consistent snapshot across several queries."""
        with self._sqlite("read") as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    # --- entries -----------------------------------------------------------------------------
    def save(self, chapter_key: str | int, design: Mapping[str, Any]) -> bool:
        """Make ``design`` the latest design of ``chapter_key``; False when it already was.

        The key may be any spelling the course uses (``5``, ``"5"``, ``"v2_17"``); the design
        must be a flat object of JSON scalars (:func:`validate_design`). An identical design
        (same fields and values, in any order) writes nothing.
        """
        key = require_key(chapter_key)
        clean = validate_design(design, f"the design for chapter {key}")
        digest = design_digest(clean)
        with self._sqlite("read") as conn:
            row = conn.execute("SELECT digest FROM entries WHERE chapter = ?", (key,)).fetchone()
        if row is not None and row[0] == digest:
            return False
        with self._write() as conn:
            changed = _put(conn, key, clean, "saved") != "unchanged"
            self._check_size(conn)
            return changed

    def entries(self) -> dict[str, Design]:
        """Chapter key -> latest design, in course order."""
        return {r.chapter: r.design for r in self.entry_records()}

    def entry_records(self) -> list[EntryRecord]:
        """Every entry with when it was saved and its origin, in course order."""
        with self._sqlite("read") as conn:
            rows = conn.execute(
                "SELECT chapter, design_json, saved_at, origin, digest FROM entries"
            ).fetchall()
        records: dict[str, EntryRecord] = {}
        for chapter, text, saved_at, origin, digest in rows:
            design = _checked_design(text, digest)
            if design is None:
                self._note_damaged(f"entry {chapter}")
            else:
                records[chapter] = EntryRecord(chapter, design, saved_at, origin)
        return [records[key] for key in course_sorted(set(records))]

    def is_empty(self) -> bool:
        """True when the store holds no entry and no attempt."""
        with self._sqlite("read") as conn:
            return _is_empty(conn)

    # --- attempts ----------------------------------------------------------------------------
    def record_attempt(self, design: Mapping[str, Any], chapter_key: str = CAPSTONE_KEY) -> bool:
        """Keep one submitted design; False when it repeats the attempt recorded just before."""
        key = require_key(chapter_key)
        clean = validate_design(design, f"the attempt for chapter {key}")
        digest = design_digest(clean)
        with self._write() as conn:
            last = conn.execute(
                "SELECT chapter, digest FROM attempts ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if last is not None and tuple(last) == (key, digest):
                return False
            conn.execute(
                "INSERT INTO attempts (chapter, design_json, digest, recorded_at)"
                " VALUES (?, ?, ?, ?)",
                (key, _design_json(clean), digest, now_iso()),
            )
            self._check_size(conn)
            return True

    def attempts(self) -> list[Attempt]:
        """Every recorded attempt, oldest first."""
        with self._sqlite("read") as conn:
            rows = conn.execute(
                "SELECT id, chapter, design_json, recorded_at, digest FROM attempts ORDER BY id"
            ).fetchall()
        attempts: list[Attempt] = []
        for row_id, chapter, text, recorded_at, digest in rows:
            design = _checked_design(text, digest)
            if design is None:
                self._note_damaged(f"attempt row {row_id} ({chapter})")
            else:
                attempts.append(Attempt(len(attempts) + 1, chapter, design, recorded_at))
        return attempts

    # --- metadata ----------------------------------------------------------------------------
    @property
    def metadata(self) -> dict[str, str]:
        """The store's metadata rows (``sample``, ``auto_imported_from``, ...)."""
        with self._sqlite("read") as conn:
            return dict(conn.execute("SELECT key, value FROM meta").fetchall())

    @property
    def is_sample(self) -> bool:
        """True for a store written by ``constraintlab ledger sample`` (made-up data)."""
        return self.metadata.get(META_SAMPLE) == "1"

    @property
    def auto_imported_from(self) -> list[str] | None:
        """The course files imported automatically on first use, or None."""
        raw = self.metadata.get(META_AUTO_IMPORTED)
        files = json.loads(raw) if raw else None
        return [str(f) for f in files] if isinstance(files, list) and files else None

    @property
    def import_note(self) -> str | None:
        """What the first-use import did when this ledger was opened (None if nothing)."""
        return self._import_note

    @property
    def auto_import_note(self) -> str | None:
        """Same as :attr:`import_note`."""
        return self._import_note

    def set_import_note(self, note: str | None) -> None:
        """Record what the first-use import did (called by :func:`open_ledger`)."""
        self._import_note = note

    def source(self) -> dict[str, Any]:
        """Where the entries come from: ``{"path", "sample", "auto_imported_from", ...}``."""
        return {
            "path": str(self._path),
            "sample": self.is_sample,
            "auto_imported_from": self.auto_imported_from,
            "schema_version": schema.SCHEMA_VERSION,
        }

    def load_sample(self, entries: Mapping[str, Mapping[str, Any]]) -> None:
        """Make this store a sample store holding exactly ``entries`` (one transaction).

        Refused when the store holds anything and is not already a sample store: sample data
        never goes into a student's own ledger.
        """
        clean = {
            require_key(k): validate_design(d, f"sample design {k}") for k, d in entries.items()
        }
        with self._write() as conn:
            if not _is_empty(conn) and _get_meta(conn, META_SAMPLE) != "1":
                raise LedgerError(
                    self._path,
                    "already holds a ledger that is not sample data; the sample goes into a"
                    " ledger file of its own (choose another --ledger path)",
                )
            conn.execute("DELETE FROM entries")
            conn.execute("DELETE FROM attempts")
            _set_meta(conn, META_SAMPLE, "1")
            for key, design in clean.items():
                _put(conn, key, design, "sample journey")

    # --- import / export ---------------------------------------------------------------------
    def import_file(self, path: str | os.PathLike[str], volume: int | None = None) -> ImportReport:
        """Read a ledger file (course layout A or B, or our export) into the store.

        The file is only read. Its entries replace the store's for the same chapters (the
        file's last save wins); a native file's attempts are added unless already present.
        Any problem with the file raises :class:`LedgerError` before the store is touched.
        """
        return self.import_parsed(read_ledger_file(store_path(path), volume))

    def import_parsed(self, parsed: ParsedLedger) -> ImportReport:
        """Store what :func:`read_ledger_file` read, in one transaction."""
        if parsed.is_sample and not self.is_sample:
            raise LedgerError(
                parsed.path,
                "holds sample data; it is not imported into your own ledger (use a ledger of"
                " its own, e.g. constraintlab ledger sample)",
                LedgerErrorKind.SAMPLE,
            )
        with self._write("import into") as conn:
            report = _apply(conn, parsed)
            self._check_size(conn)
            return report

    def course_digests(self) -> dict[str, str]:
        """Course file path -> SHA-256 of the content last imported from it."""
        with self._sqlite("read") as conn:
            return _digests(conn)

    def course_file_rewritten(self, path: str | os.PathLike[str], before: str, after: str) -> None:
        """The write-back replaced a course file whose content had SHA-256 ``before`` with
        ``after``: if ``before`` is what was last imported from it, ``after`` is now, so the
        auto-import does not take our own write for a change by the course's tools."""
        with self._write("record the course file's digest in") as conn:
            known = _digests(conn)
            if known.get(str(path)) == before:
                known[str(path)] = after
                _set_meta(conn, META_COURSE_DIGESTS, json.dumps(known, sort_keys=True))

    def import_course_files(self, files: list[tuple[ParsedLedger, str]]) -> list[ImportReport]:
        """Import each ``(parsed course file, its digest)`` whose digest is not the one recorded
        for that file (new or changed), in one transaction; record the digests.

        Nothing happens in a sample store. Another process that imported the same content
        first is noticed under the write lock, so a file is imported once per change.
        """
        with self._write("import into") as conn:
            if _get_meta(conn, META_SAMPLE) == "1":
                return []
            known = _digests(conn)
            reports = []
            for parsed, digest in files:
                if known.get(str(parsed.path)) == digest:
                    continue
                reports.append(_apply(conn, parsed))
                known[str(parsed.path)] = digest
            if reports:
                _set_meta(conn, META_COURSE_DIGESTS, json.dumps(known, sort_keys=True))
                before = json.loads(_get_meta(conn, META_AUTO_IMPORTED) or "[]")
                paths = list(dict.fromkeys([*before, *(str(r.source) for r in reports)]))
                _set_meta(conn, META_AUTO_IMPORTED, json.dumps(paths))
                self._check_size(conn)
            return reports

    def _check_size(self, conn: sqlite3.Connection) -> None:
        """Refuse (roll back) a change after which the export would exceed the file limit."""
        size = _export_size(conn)
        if size > MAX_FILE_BYTES:
            raise LedgerError(
                self._path,
                f"this change would make the ledger's export {size:,} bytes, over the"
                f" {MAX_FILE_BYTES:,}-byte ({MAX_FILE_BYTES / 2**20:g} MiB) limit of a ledger"
                " file; nothing was changed. Export the ledger and reset it to make room",
                LedgerErrorKind.TOO_LARGE,
            )

    def snapshot(self) -> tuple[dict[str, Design], list[Attempt]]:
        """Entries and attempts read in one transaction (consistent with each other)."""
        with self._read():
            return self.entries(), self.attempts()

    def course_state(self, volume: int | None = None) -> tuple[str | None, int | str | None]:
        """The ``track`` and ``current_step`` of the course file last imported for ``volume``.

        ``volume``: 1 or 2 for ``ledger_vol1/2.json``, None for ``ledger.json``; (None, None)
        for what no imported course file said.
        """
        meta = self.metadata
        raw = meta.get(f"{META_COURSE_STEP}_{volume or 0}")
        step = json.loads(raw) if raw else None
        return meta.get(META_COURSE_TRACK), step if isinstance(step, (int, str)) else None

    def export(
        self,
        path: str | os.PathLike[str],
        format: str = "native",
        *,
        overwrite: bool = False,
        volume: int | None = None,
    ) -> Path:
        """Write the ledger to ``path``: ``"native"`` (ours), ``"course"`` (mlsysim 0.3's
        layout B; ``volume`` 1 or 2 for the ``ledger_vol1/2.json`` files) or ``"course-list"``
        (the published lab's layout A).

        Written atomically; an existing file is replaced only with ``overwrite=True``, and the
        store's own files never.
        """
        if format not in exporting.EXPORT_FORMATS:
            choices = ", ".join(exporting.EXPORT_FORMATS)
            raise LedgerError(
                None,
                f"unknown export format {format!r}; use one of {choices}",
                LedgerErrorKind.USAGE,
            )
        if volume is not None and format != "course":
            raise LedgerError(
                None,
                "a volume is written only in the course format (--format course)",
                LedgerErrorKind.USAGE,
            )
        target = store_path(path)
        self._refuse_own_files(target)
        entries, attempts = self.snapshot()
        stamp = now_iso()
        if format == "course":
            track, step = self.course_state(volume)
            entries = self._as_the_course_file_had(entries, volume)
            document = exporting.course_document(
                entries, exported_at=stamp, volume=volume, track=track, current_step=step
            )
        elif format == "course-list":
            document = exporting.course_list_document(entries, exported_at=stamp)
        else:
            document = exporting.native_document(
                entries,
                [a.to_dict() for a in attempts],
                exported_at=stamp,
                sample=self.is_sample,
                student_id=self.metadata.get(META_STUDENT_ID),
            )
        exporting.write_document(document, target, overwrite=overwrite)
        return target

    def _as_the_course_file_had(
        self, entries: dict[str, Design], volume: int | None
    ) -> dict[str, Design]:
        """``entries`` for the course file of ``volume``: where the store's design of a lab
        is only another course file's copy (ledger.json and ledger_vol2.json both hold
        v2_01, and the other was imported last), the design this file held is written, so
        mlsysim sees no lab changed that nobody changed. A design saved since (in the lab,
        or by an import of another file) is written as the store holds it."""
        held = self._course_designs()
        own = held.get(volume or 0, {})
        others = [designs for v, designs in held.items() if v != (volume or 0)]
        result = dict(entries)
        for key, design in entries.items():
            mine = own.get(key)
            if mine is None or design_digest(mine) == design_digest(design):
                continue
            if any(key in o and design_digest(o[key]) == design_digest(design) for o in others):
                result[key] = mine
        return result

    def _course_designs(self) -> dict[int, dict[str, Design]]:
        """Course file volume (0: ledger.json) -> the designs it held when last imported."""
        meta = self.metadata
        held: dict[int, dict[str, Design]] = {}
        for volume in (0, 1, 2):
            raw = meta.get(f"{META_COURSE_DESIGNS}_{volume}")
            try:
                value = json.loads(raw) if raw else None
            except ValueError:
                value = None
            if isinstance(value, dict):
                held[volume] = {str(k): d for k, d in value.items() if isinstance(d, dict)}
        return held

    def _refuse_own_files(self, target: Path) -> None:
        own = {os.path.realpath(self._path)} | {
            os.path.realpath(self._path.with_name(self._path.name + s)) for s in ("-wal", "-shm")
        }
        if os.path.realpath(target) in own:
            raise LedgerError(
                target, "is the ledger store itself; export to another file", LedgerErrorKind.USAGE
            )

    # --- backup / reset ----------------------------------------------------------------------
    def backup(self, destination: str | os.PathLike[str]) -> Path:
        """Copy the whole store to a new file with SQLite's online backup."""
        target = store_path(destination)
        self._backup_into(target)
        return target

    def _backup_into(self, target: Path) -> list[Path]:
        """Back up into the new file ``target``; what was created (removed again on failure)."""
        created = _create_new(target, "the backup")
        if target not in created:
            files.remove_created(created)
            raise LedgerError(target, "the backup file already exists", LedgerErrorKind.EXISTS)
        try:
            copy = sqlite3.connect(target)
            try:
                with self._sqlite("back up"):
                    self._conn.backup(copy)
            finally:
                copy.close()
        except sqlite3.Error as error:
            files.remove_created(created)
            raise LedgerError(target, f"cannot create the backup: {sqlite_reason(error)}") from None
        except BaseException:
            files.remove_created(created)
            raise
        return created

    def reset(self, backup_to: str | os.PathLike[str] | None = None) -> Path:
        """Back the store up, then remove every entry, attempt and sample label.

        Returns the backup's path (default: ``<store>.backup-<UTC time>`` beside it). The
        first-use import does not run again on the emptied store. When the store cannot be
        emptied (a read-only file), the backup just made is removed again: nothing changed.
        """
        target = store_path(backup_to) if backup_to is not None else self._default_backup_path()
        created = self._backup_into(target)
        try:
            with self._write("reset") as conn:
                conn.execute("DELETE FROM entries")
                conn.execute("DELETE FROM attempts")
                conn.execute(
                    "DELETE FROM meta WHERE key IN (?, ?)", (META_SAMPLE, META_AUTO_IMPORTED)
                )
                _set_meta(conn, META_AUTO_IMPORT_DONE, now_iso())
        except BaseException:
            files.remove_created(created)
            raise
        return target

    def _default_backup_path(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        candidate = self._path.with_name(f"{self._path.name}.backup-{stamp}")
        n = 1
        while files.lookup(candidate, follow=False) is not None:
            n += 1
            candidate = self._path.with_name(f"{self._path.name}.backup-{stamp}-{n}")
        return candidate


# --- SQL helpers (called inside a transaction) -------------------------------------------------
def _is_empty(conn: sqlite3.Connection) -> bool:
    entries = conn.execute("SELECT EXISTS (SELECT 1 FROM entries)").fetchone()[0]
    attempts = conn.execute("SELECT EXISTS (SELECT 1 FROM attempts)").fetchone()[0]
    return not entries and not attempts


def _digests(conn: sqlite3.Connection) -> dict[str, str]:
    raw = _get_meta(conn, META_COURSE_DIGESTS)
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        value = {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


# Bytes an export may spend on one record beyond its design's JSON, and on its header: the
# record's key, time and punctuation (JSON escapes make a character at most 6 bytes).
_ROW_BYTES = "length(CAST(design_json AS BLOB)) + 6 * length(chapter) + 64"
_HEADER_BYTES = 4096


def _export_size(conn: sqlite3.Connection) -> int:
    """The size of the larger of the store's two exports, in bytes.

    A bound from SQL first (each record's design as stored, plus the most its key, time and
    punctuation can add); only when that bound is over the limit is the export encoded.
    """
    bound = conn.execute(
        f"SELECT (SELECT coalesce(sum({_ROW_BYTES}), 0) FROM entries)"
        f" + (SELECT coalesce(sum({_ROW_BYTES} + 6 * length(recorded_at)), 0) FROM attempts)"
    ).fetchone()[0]
    if int(bound) + _HEADER_BYTES <= MAX_FILE_BYTES:
        return int(bound) + _HEADER_BYTES
    entries = {
        chapter: design
        for chapter, text in conn.execute("SELECT chapter, design_json FROM entries")
        if (design := _parsed_or_none(text)) is not None
    }
    attempts = [
        {"chapter": chapter, "recorded_at": at, "design": design}
        for chapter, at, text in conn.execute(
            "SELECT chapter, recorded_at, design_json FROM attempts ORDER BY id"
        )
        if (design := _parsed_or_none(text)) is not None
    ]
    native = exporting.native_document(
        entries,
        attempts,
        exported_at=now_iso(),
        sample=_get_meta(conn, META_SAMPLE) == "1",
        student_id=_get_meta(conn, META_STUDENT_ID),
    )
    course = exporting.course_document(entries, exported_at=now_iso())
    course_list = exporting.course_list_document(entries, exported_at=now_iso())
    return max(len(exporting.encode_document(d)) for d in (native, course, course_list))


def _parsed_or_none(text: str) -> Design | None:
    """A stored design as it will be exported; None for a damaged row (export leaves it out)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _put(conn: sqlite3.Connection, key: str, design: Design, origin: str) -> str:
    """Insert or replace one entry: "added", "replaced" or "unchanged"."""
    digest = design_digest(design)
    row = conn.execute("SELECT digest FROM entries WHERE chapter = ?", (key,)).fetchone()
    if row is not None and row[0] == digest:
        return "unchanged"
    conn.execute(
        "INSERT INTO entries (chapter, design_json, digest, saved_at, origin)"
        " VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (chapter) DO UPDATE SET design_json = excluded.design_json,"
        " digest = excluded.digest, saved_at = excluded.saved_at, origin = excluded.origin",
        (key, _design_json(design), digest, now_iso(), origin),
    )
    return "added" if row is None else "replaced"


def _add_attempt(conn: sqlite3.Connection, chapter: str, design: Design, at: str | None) -> bool:
    """Add an imported attempt unless the same (chapter, design, time) is already there."""
    digest = design_digest(design)
    if at is not None:
        found = conn.execute(
            "SELECT 1 FROM attempts WHERE chapter = ? AND digest = ? AND recorded_at = ?",
            (chapter, digest, at),
        ).fetchone()
        if found:
            return False
    conn.execute(
        "INSERT INTO attempts (chapter, design_json, digest, recorded_at) VALUES (?, ?, ?, ?)",
        (chapter, _design_json(design), digest, at or now_iso()),
    )
    return True


def _apply(conn: sqlite3.Connection, parsed: ParsedLedger) -> ImportReport:
    """Write one parsed file's entries and attempts; report what changed."""
    outcome: dict[str, list[str]] = {"added": [], "replaced": [], "unchanged": []}
    origin = f"imported from {parsed.path} ({parsed.layout_description})"
    for key, design in parsed.entries.items():
        outcome[_put(conn, key, design, origin)].append(key)
    added = sum(_add_attempt(conn, a.chapter, a.design, a.recorded_at) for a in parsed.submitted)
    if parsed.student_id is not None and _get_meta(conn, META_STUDENT_ID) is None:
        _set_meta(conn, META_STUDENT_ID, parsed.student_id)
    if parsed.track is not None:
        _set_meta(conn, META_COURSE_TRACK, parsed.track)
    if parsed.current_step is not None:
        _set_meta(conn, f"{META_COURSE_STEP}_{parsed.volume or 0}", json.dumps(parsed.current_step))
    if parsed.layout != "native":
        _set_meta(conn, f"{META_COURSE_DESIGNS}_{parsed.volume or 0}", _design_json(parsed.entries))
    return ImportReport(
        source=parsed.path,
        layout=parsed.layout_description,
        added=tuple(outcome["added"]),
        replaced=tuple(outcome["replaced"]),
        unchanged=tuple(outcome["unchanged"]),
        attempts_added=added,
        unplaced=parsed.unplaced,
        skipped=parsed.skipped,
    )
