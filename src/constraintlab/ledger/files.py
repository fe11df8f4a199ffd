"""Careful file access: bounded reads that never block or follow a FIFO, atomic writes.

:func:`read_bounded` reads a regular file of at most ``limit`` bytes and turns every OS
problem into :class:`LedgerError` naming the file. :func:`write_atomic` writes a temporary file
beside the target, fsyncs it, renames it over the target and fsyncs the folder, so a crash
leaves either the old file or the new one, never a truncated mix.

:func:`create_new` makes a file and the folders leading to it and returns exactly what it
made (each ``mkdir`` and the ``O_EXCL`` create succeeded, so this process made it);
:func:`remove_created` removes those again and nothing else. A path is never taken to be ours
because it seems absent: a dangling symbolic link or a link loop "does not exist" to
``Path.exists`` but is the user's.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from constraintlab.ledger.errors import LedgerError, LedgerErrorKind, os_reason

UNREADABLE = LedgerErrorKind.UNREADABLE


_ABSENT = (errno.ENOENT, errno.ENOTDIR)


def _os_problem(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "is a folder, not a file"
    return f"cannot read the file: {os_reason(error)}"


def lookup(path: Path, *, follow: bool = True) -> os.stat_result | None:
    """``stat`` (``lstat`` with ``follow=False``) of ``path``; None when nothing is there.

    Every other OS error (a folder on the way without search permission, a link loop) is a
    :class:`LedgerError` naming the path and the cause, where ``Path.exists`` would raise a
    bare ``PermissionError`` or quietly say False.
    """
    try:
        return os.stat(path) if follow else os.lstat(path)
    except OSError as error:
        if error.errno in _ABSENT:
            return None
        raise LedgerError(path, os_reason(error), UNREADABLE) from None


def maybe_file(path: Path) -> bool:
    """True when ``path`` is a regular file, or when it cannot be told (no permission, a link
    loop): such a file is then named with its problem when it is read, never skipped."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError as error:
        return error.errno not in _ABSENT


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``; :class:`LedgerError` if over ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise LedgerError(path, _os_problem(error), UNREADABLE) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise LedgerError(path, f"is {kind}; expected a JSON ledger file", UNREADABLE)
        if info.st_size > limit:
            raise LedgerError(path, _too_large(info.st_size, limit), LedgerErrorKind.TOO_LARGE)
        data = _read_up_to(fd, limit + 1)
    except OSError as error:
        raise LedgerError(path, _os_problem(error), UNREADABLE) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise LedgerError(path, _too_large(len(data), limit), LedgerErrorKind.TOO_LARGE)
    return data


def _read_up_to(fd: int, size: int) -> bytes:
    """Read until end of file or ``size`` bytes."""
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> str:
    return (
        f"the file is too large: {size:,} bytes, over the limit of {limit:,} bytes"
        f" ({limit / 2**20:g} MiB)"
    )


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temp file + fsync + rename + folder fsync)."""
    folder = path.parent
    found = lookup(folder)
    if found is None or not stat.S_ISDIR(found.st_mode):
        raise LedgerError(
            path, f"cannot write: the folder {folder} does not exist", LedgerErrorKind.CANNOT_WRITE
        )
    found = lookup(path)
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise LedgerError(path, "cannot write: it is a folder", LedgerErrorKind.CANNOT_WRITE)
    mode = _mode_for(path)
    try:
        fd, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise LedgerError(
            path, f"cannot write: {os_reason(error)}", LedgerErrorKind.CANNOT_WRITE
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise LedgerError(
            path, f"cannot write: {os_reason(error)}", LedgerErrorKind.CANNOT_WRITE
        ) from None
    fsync_folder(folder)


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new file is readable by all, writable by owner."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o644


def create_new(path: Path, mode: int = 0o644) -> list[Path]:
    """Create the missing folders up to ``path`` and ``path`` itself (an empty file) where
    nothing is there, not even a link; what this call created, in the order it was created.

    An entry that is there already (any kind, a dangling link included) is left alone and not
    listed. On an :class:`OSError` what was created so far is removed again and the error
    raised.
    """
    missing: list[Path] = []
    folder = path.parent
    while folder != folder.parent and not _lexists(folder):
        missing.append(folder)
        folder = folder.parent
    created: list[Path] = []
    try:
        for folder in reversed(missing):
            with contextlib.suppress(FileExistsError):
                os.mkdir(folder)
                created.append(folder)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, flags | getattr(os, "O_CLOEXEC", 0), mode))
            created.append(path)
    except OSError:
        remove_created(created)
        raise
    return created


def _lexists(path: Path) -> bool:
    """True when there is an entry at ``path`` (a dangling link counts); errors say yes."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell (no search permission): not ours to create or remove
    return True


SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def remove_created(created: list[Path]) -> None:
    """Remove what :func:`create_new` created (newest first), with a store's SQLite side files.

    Only a regular file or an empty folder is removed; anything else found there now (a link
    someone put in its place) is left. Never raises.
    """
    for path in reversed(created):
        try:
            info = os.lstat(path)
        except OSError:
            continue
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(info.st_mode):
                os.rmdir(path)  # only if empty: what someone put in it stays
            elif stat.S_ISREG(info.st_mode):
                for side in SQLITE_SIDE_FILES:  # SQLite made these for the file we made
                    _unlink_regular(path.with_name(path.name + side))
                os.unlink(path)


def _unlink_regular(path: Path) -> None:
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
