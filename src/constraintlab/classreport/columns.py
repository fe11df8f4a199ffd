"""The class tables as compact columns, built straight from parsed designs (no object per row).

The loader fills one :class:`ClassColumns` per chunk of files (in a worker process when the
class is read in parallel) and the analytics layer inserts it into DuckDB as it is. A chunk
crosses from a worker to the report's process and into DuckDB as a few flat buffers, not as a
Python object per value, which is what makes both steps cheap:

* students: one row per file read as a student (``students`` table columns, plain lists);
* entries and attempts (the capstone's saves: no query reads another lab's, so they are not
  kept): ``student`` (index into :attr:`ClassColumns.ids`) and ``chapter``
  (index into the course's lab keys) as integer arrays; the text fields as integer codes into
  :attr:`ClassColumns.texts` (-1 = NULL); booleans as bytes (:data:`FALSE`, :data:`TRUE`,
  :data:`UNKNOWN`); ``act2_result`` as doubles (NaN = NULL: NaN is never a valid value);
  ``act2_result_text`` and ``design_json`` as lists of strings. ``design_json`` is
  :func:`~constraintlab.ledger.validation.canonical_json`, the one time a design is
  serialised on the way in.

The typed views of untrusted JSON values are defined here (:func:`as_bool`,
:func:`as_number`, :func:`as_text`); the column builders apply them to whole columns. This
module imports nothing heavy (no DuckDB, no NumPy): worker processes load it.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any, Final

from constraintlab.classreport.model import CAPSTONE_FLAGS, CAPSTONE_KEY, JsonScalar
from constraintlab.ledger.keys import CHAPTER_KEYS
from constraintlab.ledger.validation import canonical_json

TEXT_FIELDS = ("context", "act1_prediction", "act2_decision")
BOOL_FIELDS = ("act1_correct", "constraint_hit", "constraints_all_met", *CAPSTONE_FLAGS)
VERDICT_FIELDS = BOOL_FIELDS[2:]
"""The capstone's verdict fields, kept for each of its saves (the ``attempts`` table)."""

FALSE: Final = 0
TRUE: Final = 1
UNKNOWN: Final = 2
"""Byte codes of a boolean column: false, true, and NULL (missing or not a JSON boolean)."""

LAB_INDEX: Final = {key: i for i, key in enumerate(CHAPTER_KEYS)}
"""A chapter column holds the position of the lab's key in :data:`CHAPTER_KEYS`."""

Design = Mapping[str, JsonScalar]
Column = array | bytes | list[Any]  # type: ignore[type-arg]


# --- typed views of untrusted JSON scalars ------------------------------------------------------
def as_bool(value: JsonScalar) -> bool | None:
    """A JSON boolean as itself; anything else (missing, "true", 1) as unknown."""
    return value if isinstance(value, bool) else None


def as_number(value: JsonScalar) -> float | None:
    """A finite JSON number as a float; anything else (text, booleans, NaN) as unknown."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def as_text(value: JsonScalar) -> str | None:
    """A JSON scalar as text (strings as they are, others as JSON); missing/null as unknown."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, default=str)


# --- the columns ----------------------------------------------------------------------------
@dataclass
class ClassColumns:
    """Students, their entries and their saves, as columns (see the module docstring).

    Fill it with :meth:`add_student`, then :meth:`seal` it, which builds the entry and attempt
    columns and drops the designs, before it is inserted or sent to another process.
    ``entry_rows[i]`` and ``attempt_rows[i]`` say how many rows the i-th student has.
    """

    students: list[list[Any]] = field(default_factory=lambda: [[] for _ in range(5)])
    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    entries: dict[str, Column] = field(default_factory=dict)
    attempts: dict[str, Column] = field(default_factory=dict)
    entry_rows: list[int] = field(default_factory=list)
    attempt_rows: list[int] = field(default_factory=list)
    _entry_chapters: list[str] = field(default_factory=list)
    _designs: list[Design] = field(default_factory=list)
    _saves: list[tuple[str, int, Design]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def add_student(
        self,
        row: tuple[str, str, str, str, int],
        entries: Mapping[str, Design],
        saves: Iterable[tuple[str, int, Design]],
    ) -> None:
        """One student: its ``students`` row, its entries (chapter -> design) and its saves.

        ``saves`` are (chapter, attempt number, design) in the order the ledger recorded them;
        the capstone's are kept.
        """
        for column, value in zip(self.students, row, strict=True):
            column.append(value)
        self.ids.append(row[0])
        self._entry_chapters.extend(entries)
        self._designs.extend(entries.values())
        self.entry_rows.append(len(entries))
        before = len(self._saves)
        self._saves.extend(save for save in saves if save[0] == CAPSTONE_KEY)
        self.attempt_rows.append(len(self._saves) - before)

    def seal(self) -> None:
        """Build the entry and attempt columns; drop the designs."""
        if self.entries:
            raise RuntimeError("ClassColumns.seal() was called twice")
        designs, codes = self._designs, _TextCodes(self.texts)
        self.entries = {
            "student": _owners(self.entry_rows),
            "chapter": _lab_positions(self._entry_chapters),
            **{name: codes.column(_texts(designs, name)) for name in TEXT_FIELDS},
            "act2_result": array("d", [_number_or_nan(d.get("act2_result")) for d in designs]),
            "act2_result_text": _texts(designs, "act2_result"),
            **{name: _bool_bytes(designs, name) for name in BOOL_FIELDS},
            "design_json": [canonical_json(d) for d in designs],
        }
        saved = [design for _, _, design in self._saves]
        self.attempts = {
            "student": _owners(self.attempt_rows),
            "chapter": _lab_positions([chapter for chapter, _, _ in self._saves]),
            "attempt": array("i", [number for _, number, _ in self._saves]),
            **{name: _bool_bytes(saved, name) for name in VERDICT_FIELDS},
        }
        self._entry_chapters, self._designs, self._saves = [], [], []

    def keep(self, kept: Sequence[bool]) -> ClassColumns:
        """A sealed copy with only the students marked True (``ids`` and ``texts`` unchanged)."""
        out = ClassColumns(ids=self.ids, texts=self.texts)
        out.students = [list(compress(column, kept)) for column in self.students]
        out.entry_rows = list(compress(self.entry_rows, kept))
        out.attempt_rows = list(compress(self.attempt_rows, kept))
        out.entries = _keep_rows(self.entries, self.entry_rows, kept)
        out.attempts = _keep_rows(self.attempts, self.attempt_rows, kept)
        return out


class _TextCodes:
    """Codes of distinct texts in one chunk (the text fields repeat a few values)."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.codes: dict[str, int] = {}

    def column(self, values: Iterable[str | None]) -> array:  # type: ignore[type-arg]
        codes, texts = self.codes, self.texts
        out = array("i")
        for value in values:
            if value is None:
                out.append(-1)
                continue
            code = codes.get(value)
            if code is None:
                code = codes[value] = len(texts)
                texts.append(value)
            out.append(code)
        return out


def _texts(designs: Sequence[Design], name: str) -> list[str | None]:
    """:func:`as_text` of one field of every design (strings and nulls pass as they are)."""
    return [v if (v := d.get(name)) is None or type(v) is str else as_text(v) for d in designs]


def _bool_bytes(designs: Sequence[Design], name: str) -> bytes:
    """:func:`as_bool` of one field of every design, as byte codes (only True/False are bools)."""
    return bytes(
        [TRUE if (v := d.get(name)) is True else FALSE if v is False else UNKNOWN for d in designs]
    )


def _number_or_nan(value: JsonScalar) -> float:
    number = as_number(value)
    return math.nan if number is None else number


def _owners(rows: Sequence[int]) -> array:  # type: ignore[type-arg]
    """Each row's student index, from the number of rows of each student."""
    out = array("i")
    for student, count in enumerate(rows):
        out.extend([student] * count)
    return out


def _lab_positions(chapters: Sequence[str]) -> bytes:
    return bytes([LAB_INDEX[chapter] for chapter in chapters])


def _keep_rows(
    columns: dict[str, Column], rows: Sequence[int], kept: Sequence[bool]
) -> dict[str, Column]:
    """The rows of the kept students (each student's rows are contiguous, in order)."""
    keep_row = [keep for count, keep in zip(rows, kept, strict=True) for _ in range(count)]
    out: dict[str, Column] = {}
    for name, column in columns.items():
        picked = list(compress(column, keep_row))
        if isinstance(column, array):
            out[name] = array(column.typecode, picked)
        elif isinstance(column, bytes):
            out[name] = bytes(picked)
        else:
            out[name] = picked
    return out
