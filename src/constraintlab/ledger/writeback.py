"""Writing the capstone back into the course's own ledger files, without losing anything.

The course's other tools read ``~/.mlsys/ledger.json`` and ``ledger_vol2.json`` through mlsysim
0.3's ``DesignLedger``. When the student submits the capstone (or runs ``constraintlab ledger
sync``), :func:`write_back` puts the ``v2_17`` design into each of those files that exists and
belongs to the store's own student (the store imported it: :func:`owned_course_files`), in
mlsysim's layout (``"v2_17"`` in ``ledger.json``, ``"17"`` in ``ledger_vol2.json``), and changes
nothing else but ``last_updated``:

1. read the file's bytes and their SHA-256; parse them; refuse a file that is not a course
   ledger we can read (``history`` must be an object, as mlsysim writes it);
2. merge: the one history entry is set, every other key and value is kept as it was read;
3. write the result to a temporary file beside it and fsync it;
4. read the file again: if its digest changed (mlsysim saved meanwhile), drop the temporary
   file and start over from 1 with the new content; otherwise rename the temporary file over
   it (atomic) and fsync the folder;
5. mlsysim writes in place (``open(path, "w")``), so a save that opened the file just before
   the rename lands in the old, now unlinked, file: the handle kept from step 4 still sees it,
   and if it changed the merge starts over from that content.

mlsysim itself writes without locks, so no reader can be perfectly safe against it; what this
guarantees is that nothing mlsysim wrote before the rename is lost, and that every failure
leaves the file as it was. A file identical in meaning (same ``v2_17`` design) is not written.
``CONSTRAINTLAB_COURSE_WRITEBACK=0`` (``constraintlab run --no-course-writeback``) turns the
write-back on Submit off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from constraintlab.ledger.errors import LedgerError, os_reason
from constraintlab.ledger.exporting import course_history_key, encode_document
from constraintlab.ledger.files import fsync_folder, maybe_file, read_bounded
from constraintlab.ledger.formats import MAX_FILE_BYTES, parse_ledger_bytes, volume_from_name
from constraintlab.ledger.keys import CAPSTONE_KEY
from constraintlab.ledger.paths import is_own_default_store, mlsys_dir
from constraintlab.ledger.validation import canonical_json, validate_design

if TYPE_CHECKING:
    from constraintlab.ledger.store import Ledger

WRITEBACK_ENV: Final = "CONSTRAINTLAB_COURSE_WRITEBACK"
WRITEBACK_FILE_NAMES: Final = ("ledger.json", "ledger_vol2.json")  # the files that hold v2_17
MAX_TRIES: Final = 20
RETRY_DELAY_S: Final = 0.01


@dataclass(frozen=True)
class WriteBack:
    """What happened to one course file: ``"written"``, ``"unchanged"`` or ``"refused"``."""

    path: Path
    outcome: str
    detail: str = ""
    tries: int = 1
    sha256_before: str = ""  # "written": the digests of the file's content before and after
    sha256_after: str = ""

    def line(self) -> str:
        """One line for the page or the terminal."""
        if self.outcome == "written":
            return f"Wrote your capstone ({CAPSTONE_KEY}) into the course ledger {self.path}."
        if self.outcome == "unchanged":
            return f"The course ledger {self.path} already holds this capstone design."
        return f"Did not write the course ledger: {self.detail}"


def writeback_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False when ``$CONSTRAINTLAB_COURSE_WRITEBACK`` is ``0``, ``no``, ``off`` or ``false``."""
    value = (os.environ if environ is None else environ).get(WRITEBACK_ENV, "")
    return value.strip().lower() not in ("0", "no", "off", "false")


def course_files_to_write(folder: Path | None = None) -> list[Path]:
    """The course files that exist and hold Volume II labs: ledger.json, ledger_vol2.json."""
    base = mlsys_dir() if folder is None else folder
    return [base / name for name in WRITEBACK_FILE_NAMES if maybe_file(base / name)]


def owned_course_files(ledger: Ledger) -> list[Path]:
    """The course files of the store's own student that hold Volume II labs and are there:
    ``~/.mlsys``'s when the store is the student's own default store, and any the store
    imported (``--with-course-ledger``; told by its recorded digests). Another store owns
    none, so a Submit in ``run --ledger other.sqlite3`` never writes the caller's files."""
    named = {Path(p) for p in ledger.course_digests() if Path(p).name in WRITEBACK_FILE_NAMES}
    if is_own_default_store(ledger.path):
        named.update(course_files_to_write())
    return sorted((p for p in named if maybe_file(p)), key=str)


def write_back(
    design: Mapping[str, Any],
    folder: Path | None = None,
    *,
    stamp: str | None = None,
    files: list[Path] | None = None,
) -> list[WriteBack]:
    """Put ``design`` as ``v2_17`` into ``files``, else every course file under ``folder``
    (``~/.mlsys``).

    Returns one :class:`WriteBack` per file found (none when there is no course file). Never
    raises for a bad course file: that file is ``"refused"`` with the reason and left as it was.
    """
    clean = validate_design(design, f"the {CAPSTONE_KEY} design")
    results = []
    for path in course_files_to_write(folder) if files is None else files:
        try:
            result = merge_into_file(path, CAPSTONE_KEY, clean, stamp=stamp)
            results.append(replace(result, path=path))  # named as the auto-import names it
        except LedgerError as error:
            results.append(WriteBack(path, "refused", str(error)))
    return results


def merge_into_file(
    path: Path,
    key: str,
    design: Mapping[str, Any],
    *,
    stamp: str | None = None,
    hook: Callable[[str], None] | None = None,
) -> WriteBack:
    """Set one lab's design in the course file ``path``: read, merge, temp, digest check, rename.

    ``hook`` is called with ``"temp written"`` (before the digest check) and ``"checked"``
    (after it, just before the rename); tests use it to save through mlsysim at exactly those
    moments. Raises :class:`LedgerError` naming the file when it is not a course ledger we can
    read or cannot be written; the file is then as it was. A symbolic link is followed: the
    file it points to is replaced, the link stays.
    """
    history_key = course_history_key(key, volume_from_name(path))
    path = Path(os.path.realpath(path))
    for tries in range(1, MAX_TRIES + 1):
        data, handle = _read_with_handle(path)
        try:
            document = _document(data, path, tries == MAX_TRIES)
            if document is None:  # caught mid-write by mlsysim: read again
                time.sleep(RETRY_DELAY_S)
                continue
            history = document["history"]
            if history_key in history and _same(history[history_key], design):
                return WriteBack(path, "unchanged", tries=tries)
            merged = dict(document, history={**history, history_key: dict(design)})
            if stamp is not None or "last_updated" in document:
                merged["last_updated"] = stamp if stamp is not None else _now()
            written = encode_document(merged, path)
            if _replace_if_unchanged(path, data, written, hook):
                lost = _written_meanwhile(handle, data)
                if lost is None:
                    return WriteBack(
                        path,
                        "written",
                        tries=tries,
                        sha256_before=hashlib.sha256(data).hexdigest(),
                        sha256_after=hashlib.sha256(written).hexdigest(),
                    )
                # mlsysim wrote into the old file just before the rename: put its save back
                # (unless the file changed again since) and merge into it on the next try
                _replace_if_unchanged(path, written, lost, None)
        finally:
            os.close(handle)
        time.sleep(RETRY_DELAY_S)
    raise LedgerError(
        path,
        f"kept changing while {CAPSTONE_KEY} was being written ({MAX_TRIES} tries); it was left"
        " as the course's tools wrote it. Try 'constraintlab ledger sync' later",
    )


def _read_with_handle(path: Path) -> tuple[bytes, int]:
    """The file's bytes and an open handle on the very file (inode) they came from."""
    data = read_bounded(path, MAX_FILE_BYTES)
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise LedgerError(path, f"cannot read the file: {os_reason(error)}") from None
    again = _read_fd(handle)
    if again != data:  # changed between the two opens: use what the handle sees
        data = again
    return data, handle


def _read_fd(handle: int) -> bytes:
    chunks = []
    offset = 0
    while chunk := os.pread(handle, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
        if offset > MAX_FILE_BYTES:
            break
    return b"".join(chunks)


def _document(data: bytes, path: Path, last_try: bool) -> dict[str, Any] | None:
    """The file as a JSON object with an object ``history``; None if it looks half-written."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        if not last_try:
            return None  # mlsysim truncates before it writes: try again shortly
        if data.strip():
            parse_ledger_bytes(data, path)  # raises the reader's own message
        raise LedgerError(path, "is empty or not JSON; it is not a course ledger") from None
    if not isinstance(document, dict) or not isinstance(document.get("history"), dict):
        shape = "its 'history' is not an object" if isinstance(document, dict) else "not an object"
        raise LedgerError(
            path,
            f"is not a course ledger in mlsysim's layout ({shape}; expected a 'history' object"
            " of lab -> design); it was left as it is",
        )
    parse_ledger_bytes(data, path)  # the same checks as an import (size, shape, keys)
    return document


def _same(stored: object, design: Mapping[str, Any]) -> bool:
    if not isinstance(stored, dict):
        return False
    try:
        return canonical_json(stored) == canonical_json(design)
    except (TypeError, ValueError):
        return False


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _replace_if_unchanged(
    path: Path, original: bytes, data: bytes, hook: Callable[[str], None] | None
) -> bool:
    """Write ``data`` beside ``path``; rename it over ``path`` only if ``path`` still holds
    ``original`` (SHA-256). False (temporary file removed) when it changed meanwhile."""
    folder = path.parent
    if not os.access(path, os.W_OK, effective_ids=os.access in os.supports_effective_ids):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        raise LedgerError(
            path,
            f"is read-only (mode {mode:04o}), so the capstone was not written into it; it was"
            " left as it is (make it writable, e.g. chmod u+w, then run 'constraintlab ledger"
            " sync')",
        )
    try:
        fd, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise LedgerError(path, f"cannot write: {os_reason(error)}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), os.stat(path).st_mode & 0o7777)
            os.fsync(handle.fileno())
        if hook is not None:
            hook("temp written")
        try:
            current = read_bounded(path, MAX_FILE_BYTES)
        except LedgerError:
            current = b""
        if _digest(current) != _digest(original):
            os.unlink(temp_name)
            return False
        if hook is not None:
            hook("checked")
        os.replace(temp_name, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise LedgerError(path, f"cannot write: {os_reason(error)}") from None
    fsync_folder(folder)
    return True


def _written_meanwhile(handle: int, original: bytes) -> bytes | None:
    """What a writer put into the replaced file after we read it, or None if nothing.

    mlsysim truncates and then writes; a save still under way is waited for (briefly) until
    the old file holds JSON again.
    """
    for _ in range(50):
        content = _read_fd(handle)
        if content == original:
            return None
        try:
            json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            time.sleep(RETRY_DELAY_S)
            continue
        return content
    return None


def _now() -> str:
    from constraintlab.ledger.store import now_iso

    return now_iso()


def sync_capstone(ledger: Ledger, folder: Path | None = None) -> list[WriteBack]:
    """Write the store's ``v2_17`` design into the course files (``constraintlab ledger sync``):
    those in ``folder`` when it is given (``--course-dir``: asked for by name), else only the
    store's own (:func:`owned_course_files`).

    Raises :class:`LedgerError` for a sample store (made-up data never reaches a course file)
    and when the store holds no ``v2_17`` design yet.
    """
    if ledger.is_sample:
        raise LedgerError(
            ledger.path, "holds sample data; it is never written into a course ledger"
        )
    design = ledger.entries().get(CAPSTONE_KEY)
    if design is None:
        raise LedgerError(
            None,
            f"the ledger holds no {CAPSTONE_KEY} design yet: submit an architecture in the lab"
            " first",
        )
    files = None if folder is not None else owned_course_files(ledger)
    results = write_back(design, folder, files=files)
    for result in results:  # our own write is not a change the auto-import should report
        if result.outcome == "written":
            ledger.course_file_rewritten(result.path, result.sha256_before, result.sha256_after)
    return results
