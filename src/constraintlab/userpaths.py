"""One rule for every path a person types: flags, arguments and ``CONSTRAINTLAB_LEDGER``.

* ``~`` and ``~user`` are expanded the same way everywhere (``~`` is ``$HOME``, ``~user`` that
  user's home folder); a ``~user`` this machine does not know is refused.
* An empty (or blank) path is refused: it would quietly mean the current folder.
* Nothing else changes: a relative path stays relative to the current folder.

Every command applies :func:`user_path` before it touches the file system, so ``--out '~/rep'``
and ``--ledger '~/x'`` mean the same folder for every part of every command. Walking folders
(``class-report DIR`` and ``**`` patterns) never follows a symbolic link to a folder, so a
link loop cannot make a command run forever.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class PathError(ValueError):
    """A path that the rule refuses; ``str(error)`` names where it came from and why."""

    def __init__(self, what: str, value: str, problem: str) -> None:
        self.what = what
        self.value = value
        self.problem = problem
        super().__init__(f"{what} {value!r}: {problem}")


def expand_home(text: str, what: str = "path") -> str:
    """``text`` with a leading ``~`` or ``~user`` expanded; :class:`PathError` if unknown."""
    if not text.startswith("~"):
        return text
    expanded = os.path.expanduser(text)
    if expanded.startswith("~"):
        user = text[1:].split(os.sep, 1)[0]
        problem = (
            f"there is no user {user!r} on this machine, so '~{user}' has no home folder"
            if user
            else "the home folder is unknown ($HOME is not set)"
        )
        raise PathError(what, text, problem)
    return expanded


def user_path(raw: str | os.PathLike[str], what: str = "path") -> Path:
    """The path a person meant by ``raw`` (see the module docstring); :class:`PathError`."""
    text = os.fspath(raw)
    if not text.strip():
        raise PathError(what, text, "an empty path; give a file or folder name ('.' for here)")
    if "\x00" in text:
        raise PathError(what, text, "a path cannot contain a NUL character")
    return Path(expand_home(text, what))


_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ELOOP: "too many levels of symbolic links (a link loop)",
    errno.ENOSPC: "the disk is full (no space left on the device)",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.EXDEV: "it is on another file system (device)",
    errno.ENAMETOOLONG: "the name is too long",
}


def os_reason(error: OSError) -> str:
    """The cause of an OS error in plain words (``permission denied``, ``the disk is full``).

    A permission error on a path whose folder cannot be searched says so: that is what a
    student meets in another user's home folder.
    """
    reason = _REASONS.get(error.errno or 0) or (error.strerror or type(error).__name__).lower()
    if error.errno == errno.EACCES and error.filename is not None:
        blocked = _unsearchable_folder(Path(os.fsdecode(error.filename)))
        if blocked is not None:
            reason += f" (the folder {blocked} cannot be searched)"
    return reason


def _unsearchable_folder(path: Path) -> Path | None:
    """The first folder on the way to ``path`` that this process may not enter, if any."""
    for folder in reversed(path.absolute().parents):
        if not os.access(folder, os.X_OK, effective_ids=os.access in os.supports_effective_ids):
            return folder
    return None


def os_error_line(error: OSError, path: str | os.PathLike[str] | None = None) -> str:
    """``<path>: <cause>`` for an OS error; ``path`` when given, else the error's file name."""
    where = path if path is not None else error.filename
    if where is None:
        return os_reason(error)
    text = os.fsdecode(where) if isinstance(where, (str, bytes, os.PathLike)) else str(where)
    second = f" -> {os.fsdecode(error.filename2)}" if error.filename2 and path is None else ""
    return f"{text}{second}: {os_reason(error)}"
