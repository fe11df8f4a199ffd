"""Turn the command line's INPUT... (files, folders, glob patterns) into a sorted list of files.

Rules, in order, for each input:

* an existing regular file is taken as is, whatever its extension;
* an existing folder is searched recursively for ``*.json`` files (any case), skipping hidden
  files and folders (names starting with ``.``) and not following symbolic links to folders;
* anything else containing ``*``, ``?`` or ``[`` is a glob pattern (``**`` matches any depth
  but never enters a symbolic link to a folder, so a link loop cannot hang the command);
  each matching file is taken and each matching folder is searched as above;
* ``~`` and an empty input follow :mod:`constraintlab.userpaths` (expanded; refused);
* an input that matches nothing, or names something that is not a regular file (a FIFO, a
  device), becomes a :class:`~constraintlab.classreport.model.Problem`;
* a file or folder the system will not let us see (no permission, a link loop), named or met
  while walking, becomes an ``unreadable`` problem naming it and the cause: listed in
  ``problems.csv`` and counted as skipped, never a reason to stop.

The same file reached twice (named and inside a folder, through a symlink or a hard link: the
same device and inode) is read once;
that is not a duplicate, it is the same input. Files are returned in sorted path order, which is
the order that decides which of two duplicates wins.
"""

from __future__ import annotations

import errno
import fnmatch
import glob
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from constraintlab.classreport.model import Problem, ProblemKind
from constraintlab.userpaths import expand_home, os_error_line, user_path

LEDGER_SUFFIX = ".json"


@dataclass(frozen=True)
class InputFiles:
    """The files to read, in sorted path order, and the inputs that gave none."""

    files: tuple[Path, ...]
    problems: tuple[Problem, ...]


def expand_inputs(inputs: Sequence[str]) -> InputFiles:
    """Expand files, folders and glob patterns into unique files (see the module docstring)."""
    found: dict[tuple[int, int], Path] = {}  # (device, inode): one stat a file, no realpath
    problems: list[Problem] = []
    for raw in inputs:
        matched = False
        known = len(problems)
        for candidate in _candidates(raw, problems):
            matched = True
            try:
                info = os.stat(candidate)  # follows a symlink to what it names
            except OSError as error:
                problems.append(_unreadable(candidate, error))
                continue
            if not stat.S_ISREG(info.st_mode):
                problems.append(
                    Problem(str(candidate), ProblemKind.NOT_A_FILE, _kind_of(info.st_mode))
                )
                continue
            found.setdefault((info.st_dev, info.st_ino), candidate)
        if not matched and len(problems) == known:
            problems.append(Problem(raw, ProblemKind.NO_MATCH, "no file, folder or glob match"))
    files = sorted(found.values(), key=str)
    return InputFiles(files=tuple(files), problems=tuple(problems))


def _unreadable(path: Path, error: OSError, what: str = "file") -> Problem:
    """A file or folder the system would not let us see: listed, counted, never fatal."""
    if error.errno == errno.ENOENT and os.path.islink(path):
        return Problem(str(path), ProblemKind.NOT_A_FILE, "broken symbolic link")
    detail = f"the {what} cannot be read: {os_error_line(error, path)}"
    if what == "folder":
        detail += "; the ledger files in it were not read"
    return Problem(str(path), ProblemKind.UNREADABLE, detail)


def _status(path: Path, problems: list[Problem]) -> os.stat_result | None:
    """``stat`` of an input; None when it is not there or cannot be seen (then a problem)."""
    try:
        return os.stat(path)
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR) and not os.path.islink(path):
            return None
        problems.append(_unreadable(path, error))
        return None


def _candidates(raw: str, problems: list[Problem]) -> Iterator[Path]:
    """Every path one input stands for: the file, the files of a folder, or the glob's
    matches; folders that cannot be listed go into ``problems``."""
    path = user_path(raw, "INPUT")
    known = len(problems)
    info = _status(path, problems)
    if info is not None and stat.S_ISDIR(info.st_mode):
        yield from _ledger_files_under(path, problems)
    elif info is not None:
        yield path
    elif glob.has_magic(raw) and len(problems) == known:
        for hit in sorted(glob_paths(expand_home(raw, "INPUT"), problems), key=str):
            if hit.is_dir():
                yield from _ledger_files_under(hit, problems)
            else:
                yield hit


def glob_paths(pattern: str, problems: list[Problem] | None = None) -> Iterator[Path]:
    """What ``glob.glob(pattern, recursive=True)`` finds, without entering folder symlinks at
    ``**`` (Python's glob follows them, and a link loop never ends). Hidden names match only
    a pattern part that starts with ``.``, as in glob. A folder that cannot be listed goes
    into ``problems`` when given."""
    parts = Path(pattern).parts
    fixed = 0
    while fixed < len(parts) and not glob.has_magic(parts[fixed]):
        fixed += 1
    base = Path(*parts[:fixed]) if fixed else Path(".")
    yield from _match(base, parts[fixed:], [] if problems is None else problems)


def _match(folder: Path, parts: tuple[str, ...], problems: list[Problem]) -> Iterator[Path]:
    if not parts:
        yield folder
        return
    head, rest = parts[0], parts[1:]
    if head == "**":
        yield from _match(folder, rest, problems)  # zero folders
        for entry in _entries(folder, problems, hidden=False):
            if entry.is_dir(follow_symlinks=False):
                yield from _match(folder / entry.name, parts, problems)
        return
    for entry in _entries(folder, problems, hidden=head.startswith(".")):
        if glob.has_magic(head) and not fnmatch.fnmatchcase(entry.name, head):
            continue
        if not glob.has_magic(head) and entry.name != head:
            continue
        if not rest:
            yield folder / entry.name
        elif entry.is_dir():
            yield from _match(folder / entry.name, rest, problems)


def _entries(folder: Path, problems: list[Problem], *, hidden: bool) -> list[os.DirEntry[str]]:
    """The folder's entries (hidden ones only when asked); none if it cannot be listed, and
    then the folder is a problem (a folder that is not there is not)."""
    try:
        with os.scandir(folder) as listing:
            return [e for e in listing if hidden or not e.name.startswith(".")]
    except OSError as error:
        if error.errno not in (errno.ENOENT, errno.ENOTDIR):
            problems.append(_unreadable(folder, error, "folder"))
        return []


def _ledger_files_under(folder: Path, problems: list[Problem]) -> Iterator[Path]:
    """``*.json`` files below ``folder``, hidden names skipped, folder symlinks not followed;
    a subfolder that cannot be listed goes into ``problems`` (its files are not read)."""

    def unlistable(error: OSError) -> None:
        where = Path(os.fsdecode(error.filename)) if error.filename is not None else folder
        problems.append(_unreadable(where, error, "folder"))

    for root, dirs, names in os.walk(folder, onerror=unlistable, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith(".") and name.lower().endswith(LEDGER_SUFFIX):
                yield Path(root) / name


def _kind_of(mode: int) -> str:
    """Say what a non-regular path is, for the problems list."""
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file (FIFO, socket or device); not read"
