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
