"""Strict number flags: ASCII digits only, one message naming the flag, value and range.

Python's ``int()`` and ``float()`` accept more than a person means on a command line: digits of
other scripts (full-width ``７``, Arabic-Indic ``٧``), underscores (``1_0``), and integers of
thousands of digits fail with advice about ``sys.set_int_max_str_digits()``. Every number flag
is parsed here instead: ``whole(low, high)`` gives a typer ``parser`` for a bounded integer
flag, :func:`parse_decimal` reads a decimal number.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import typer

MAX_NUMBER_CHARS = 40  # far more than any value any flag allows
_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_whole(text: str) -> int | None:
    """The integer ``text`` spells in ASCII digits (optional sign), else None."""
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS or not _WHOLE.fullmatch(text):
        return None
    return int(text)


def parse_decimal(text: str) -> float | None:
    """The decimal number ``text`` spells in ASCII (``12``, ``-0.5``, ``1e3``), else None."""
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS or not _DECIMAL.fullmatch(text):
        return None
    return float(text)


def whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """A typer ``parser``: an integer from ``low`` to ``high`` in ASCII digits."""
    allowed = (
        f"a whole number from {low:,} to {high:,}"
        if high is not None
        else (f"a whole number of at least {low:,}")
    )

    def parse(text: str) -> int:
        if isinstance(text, int):  # a default value, already a number
            return text
        value = parse_whole(text)
        if value is None or value < low or (high is not None and value > high):
            shown = text if len(text) <= MAX_NUMBER_CHARS else text[:MAX_NUMBER_CHARS] + "..."
            raise typer.BadParameter(f"{shown!r} is not {allowed} (ASCII digits 0-9)")
        return value

    return parse
