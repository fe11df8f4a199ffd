"""Canonical chapter keys: "1" ... "16" for Volume I, "v2_01" ... "v2_17" for Volume II.

The course writes chapters as integers, digit strings, ``"v2_NN"`` strings, or (in the volume
files of layout B) as a step number whose volume comes from the file. :func:`canonical_key`
maps each of those to one canonical key, or to ``None`` when it names no lab of the course
(the caller reports such entries; nothing is guessed).
"""

from __future__ import annotations

import re
from typing import Final

from constraintlab.ledger.errors import LedgerError, LedgerErrorKind, describe

VOLUME1_LABS: Final = 16
VOLUME2_LABS: Final = 17
VOLUME1_KEYS: Final[tuple[str, ...]] = tuple(str(n) for n in range(1, VOLUME1_LABS + 1))
VOLUME2_KEYS: Final[tuple[str, ...]] = tuple(f"v2_{n:02d}" for n in range(1, VOLUME2_LABS + 1))
CHAPTER_KEYS: Final[tuple[str, ...]] = VOLUME1_KEYS + VOLUME2_KEYS
CAPSTONE_KEY: Final = "v2_17"
EARLIER_LAB_KEYS: Final[tuple[str, ...]] = tuple(k for k in CHAPTER_KEYS if k != CAPSTONE_KEY)
COURSE_ORDER: Final[dict[str, int]] = {key: i for i, key in enumerate(CHAPTER_KEYS)}

_DIGITS = re.compile(r"[0-9]{1,3}")
_VOLUME2 = re.compile(r"v2_([0-9]{1,2})", re.IGNORECASE)
KEY_RULE: Final = "Volume I labs are 1-16, Volume II labs are v2_01-v2_17"


def _in_volume(number: int, volume: int) -> str | None:
    if volume == 2:
        return f"v2_{number:02d}" if 1 <= number <= VOLUME2_LABS else None
    return str(number) if 1 <= number <= VOLUME1_LABS else None


def _spellings(volume: int) -> dict[int | str, str]:
    """The usual spellings of each lab (int, digit string, canonical key) in a volume's file."""
    numbers = VOLUME2_KEYS if volume == 2 else VOLUME1_KEYS
    table: dict[int | str, str] = {key: key for key in VOLUME2_KEYS}
    for number, key in enumerate(numbers, 1):
        table[number] = table[str(number)] = key
    return table


# canonical_key runs once per ledger entry: the usual spellings are one dict look-up away
_USUAL_SPELLINGS: Final = (_spellings(1), _spellings(2))


def canonical_key(raw: object, volume: int = 1) -> str | None:
    """The canonical key for ``raw``, or ``None`` when it names no lab.

    ``raw`` may be an int (never a bool), a digit string, or ``"v2_NN"``. A bare number is a
    lab of ``volume`` (1 unless the entry comes from a Volume II file); ``"v2_NN"`` is always
    Volume II. Floats, booleans and anything else give ``None``.
    """
    if type(raw) is int or type(raw) is str:  # exact types: True == 1 and 5.0 == 5 hash alike
        usual = _USUAL_SPELLINGS[volume == 2].get(raw)
        if usual is not None:
            return usual
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return _in_volume(raw, volume)
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if _DIGITS.fullmatch(text):
        return _in_volume(int(text), volume)
    match = _VOLUME2.fullmatch(text)
    return _in_volume(int(match.group(1)), 2) if match else None


def usual_keys(raws: list[object], volume: int = 1) -> list[str] | None:
    """:func:`canonical_key` of each of ``raws`` when every one is a usual spelling (an int,
    a digit string or a canonical key, of exact type: ``True`` is not lab 1), in one pass in
    C; None when any is not (then ask :func:`canonical_key` one by one)."""
    if not set(map(type, raws)) <= {int, str}:
        return None
    spellings: dict[object, str] = _USUAL_SPELLINGS[volume == 2]  # type: ignore[assignment]
    keys = list(map(spellings.get, raws))
    return None if None in keys else keys  # type: ignore[return-value]


def require_key(raw: object) -> str:
    """The canonical key for ``raw``; :class:`LedgerError` when it names no lab."""
    key = canonical_key(raw)
    if key is None:
        raise LedgerError(
            None, f"{describe(raw)} is not a chapter key ({KEY_RULE})", LedgerErrorKind.USAGE
        )
    return key


def volume_of(key: str) -> int:
    """1 or 2 for a canonical key."""
    return 2 if key.startswith("v2_") else 1


def lab_number(key: str) -> int:
    """The lab's number within its volume (``"v2_07"`` -> 7)."""
    return int(key[3:]) if key.startswith("v2_") else int(key)


def lab_label(key: str) -> str:
    """A short label for a canonical key: ``"5"`` -> ``"V1-05"``, ``"v2_17"`` -> ``"V2-17"``."""
    return f"V{volume_of(key)}-{lab_number(key):02d}"


def course_sorted(keys: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    """Canonical keys in course order (Volume I 1-16, then Volume II 1-17)."""
    return sorted(keys, key=COURSE_ORDER.__getitem__)
