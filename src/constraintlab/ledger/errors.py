"""The ledger's one exception type: every failure caused by bad input ends in it."""

from __future__ import annotations

from pathlib import Path


class LedgerError(Exception):
    """A ledger file or store that cannot be used, with a message naming it and the problem.

    ``path`` is the file concerned (``None`` when the problem is not about a file, e.g. a bad
    chapter key passed to :meth:`~constraintlab.ledger.store.Ledger.save`); ``problem`` is the
    message without the path. ``str(error)`` is ``"<path>: <problem>"``.
    """

    def __init__(self, path: Path | str | None, problem: str) -> None:
        self.path = None if path is None else Path(path)
        self.problem = problem
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
