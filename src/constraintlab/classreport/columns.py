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
  ``act2_result_text`` and ``design_json`` as lists of strings. A save also keeps the help
  the student had asked for (``hints_used``, ``reveals_used``: doubles, NaN = NULL) and when
  it was recorded (``recorded_at``: text, our export's attempts only). ``design_json`` is
  :func:`~constraintlab.ledger.validation.canonical_json`, which the ledger's parser makes
  while it checks the design: the one time a design is serialised on the way in.

The builders look fields up a whole column at a time in C (``map(dict.get, ...)``), not in a
Python loop per row: a class of 10,000 students is 330,000 entries of a dozen fields.

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
from itertools import compress, repeat
from operator import is_, not_
from typing import Any, Final, cast

from constraintlab.classreport.model import CAPSTONE_KEY, JsonScalar, capstone_flags
from constraintlab.ledger.keys import CHAPTER_KEYS
from constraintlab.ledger.validation import canonical_json

TEXT_FIELDS = ("context", "act1_prediction", "act2_decision")
LAB_BOOL_FIELDS = ("act1_correct", "constraint_hit")
"""The boolean fields every lab saves."""


def verdict_fields() -> tuple[str, ...]:
    """The capstone's verdict fields, kept for each of its saves (the ``attempts`` table)."""
    return ("constraints_all_met", *capstone_flags())


def bool_fields() -> tuple[str, ...]:
    """Every boolean column of ``entries``: the labs' own, then the capstone's verdicts."""
    return (*LAB_BOOL_FIELDS, *verdict_fields())


HELP_FIELDS = ("hints_used", "reveals_used")
"""The help counters the lab saves with each capstone attempt (per session, cumulative)."""

FALSE: Final = 0
TRUE: Final = 1
UNKNOWN: Final = 2
"""Byte codes of a boolean column: false, true, and NULL (missing or not a JSON boolean)."""

LAB_INDEX: Final = {key: i for i, key in enumerate(CHAPTER_KEYS)}
"""A chapter column holds the position of the lab's key in :data:`CHAPTER_KEYS`."""

Design = Mapping[str, JsonScalar]
Save = tuple[str, int, Design] | tuple[str, int, Design, str | None]
"""(chapter, attempt number, design) of one save, optionally with its ``recorded_at``."""
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
    _saves: list[Save] = field(default_factory=list)
    _design_json: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def add_student(
        self,
        row: tuple[str, str, str, str, int],
        entries: Mapping[str, Design],
        saves: Iterable[Save],
        entry_json: Mapping[str, str] | None = None,
    ) -> None:
        """One student: its ``students`` row, its entries (chapter -> design) and its saves.

        ``saves`` are (chapter, attempt number, design[, recorded_at]) in the order the ledger
        recorded them; the capstone's are kept. ``entry_json``: each entry's canonical JSON
        where the caller has it already (the ledger's parser makes it while checking the
        design); else it is made here.
        """
        for column, value in zip(self.students, row, strict=True):
            column.append(value)
        self.ids.append(row[0])
        self._entry_chapters.extend(entries)
        self._designs.extend(entries.values())
        if entry_json is None:
            self._design_json.extend(map(canonical_json, entries.values()))
        else:
            self._design_json.extend(entry_json[chapter] for chapter in entries)
        self.entry_rows.append(len(entries))
        before = len(self._saves)
        self._saves.extend(save for save in saves if save[0] == CAPSTONE_KEY)
        self.attempt_rows.append(len(self._saves) - before)

    def seal(self) -> None:
        """Build the entry and attempt columns; drop the designs."""
        if self.entries:
            raise RuntimeError("ClassColumns.seal() was called twice")
        designs, codes = self._designs, _TextCodes(self.texts)
        results = _field(designs, "act2_result")
        self.entries = {
            "student": _owners(self.entry_rows),
            "chapter": _lab_positions(self._entry_chapters),
            **{name: codes.column(_field(designs, name)) for name in TEXT_FIELDS},
            "act2_result": _numbers(results),
            "act2_result_text": _texts(results),
            **{name: _bool_bytes(_field(designs, name)) for name in LAB_BOOL_FIELDS},
            **_sparse_bool_columns(designs, verdict_fields()),
            "design_json": self._design_json,
        }
        saved = [save[2] for save in self._saves]
        self.attempts = {
            "student": _owners(self.attempt_rows),
            "chapter": _lab_positions([save[0] for save in self._saves]),
            "attempt": array("i", [save[1] for save in self._saves]),
            **{name: _bool_bytes(_field(saved, name)) for name in verdict_fields()},
            **{name: _numbers(_field(saved, name)) for name in HELP_FIELDS},
            "recorded_at": [save[3] if len(save) > 3 else None for save in self._saves],
        }
        self._entry_chapters, self._designs, self._saves, self._design_json = [], [], [], []

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
        self.codes: dict[str | None, int] = {None: -1}

    def column(self, values: Sequence[JsonScalar]) -> array:  # type: ignore[type-arg]
        """The codes of :func:`as_text` of ``values`` (-1 for unknown)."""
        texts = _texts(values)
        codes = self.codes
        for text in [t for t in dict.fromkeys(texts) if t not in codes]:  # first-seen order
            codes[text] = len(self.texts)
            self.texts.append(text)  # type: ignore[arg-type]  # None is never new
        return array("i", map(codes.__getitem__, texts))


def _field(designs: Sequence[Design], name: str) -> list[JsonScalar]:
    """One field of every design (None where missing), looked up in C (no Python frame a row)."""
    return list(map(dict.get, designs, repeat(name)))  # type: ignore[arg-type]


def _texts(values: Sequence[JsonScalar]) -> list[str | None]:
    """:func:`as_text` of each value (strings and nulls pass as they are)."""
    kinds = set(map(type, values))
    if kinds <= _TEXT_KINDS:
        return values  # type: ignore[return-value]
    if kinds <= _FLOAT_KINDS:  # act2_result: a float's text is its repr, mapped in C
        texts: list[str | None] = list(map(repr, values))
        for row in _null_rows(values):
            texts[row] = None
        return texts
    return [
        v if v is None or type(v) is str else repr(v) if type(v) is float else as_text(v)
        for v in values
    ]


_TEXT_KINDS: Final = frozenset({str, type(None)})
_BOOL_CODES: Final = {id(True): TRUE, id(False): FALSE}
"""By identity: only the JSON booleans are the objects True and False (1 and 0 are not)."""


def _bool_bytes(values: Sequence[JsonScalar]) -> bytes:
    """:func:`as_bool` of each value, as byte codes (only True/False are bools)."""
    return bytes(map(_BOOL_CODES.get, map(id, values), repeat(UNKNOWN)))


def _sparse_bool_columns(designs: Sequence[Design], names: Sequence[str]) -> dict[str, bytes]:
    """:func:`_bool_bytes` of fields that few designs hold (the capstone's verdict: one lab in
    33): the designs holding any of ``names`` are found in one C pass and only they are read;
    every other row is unknown."""
    wanted = frozenset(names)
    holders = list(compress(range(len(designs)), map(not_, map(wanted.isdisjoint, designs))))
    held = [designs[row] for row in holders]
    columns = {}
    for name in names:
        column = bytearray([UNKNOWN]) * len(designs)
        for row, code in zip(holders, _bool_bytes(_field(held, name)), strict=True):
            column[row] = code
        columns[name] = bytes(column)
    return columns


def _numbers(values: Sequence[JsonScalar]) -> array:  # type: ignore[type-arg]
    """:func:`as_number` of each value as doubles, NaN for unknown."""
    if set(map(type, values)) <= _FLOAT_KINDS:
        floats = cast("Sequence[float | None]", values)
        numbers: array[float] = array("d", map(_NULL_AS_NAN.get, floats, floats))  # type: ignore[arg-type]
        if not any(map(math.isinf, numbers)):
            return numbers  # nulls (and NaN, never valid) are NaN, finite floats themselves
    return array("d", map(_number_or_nan, values))


def _null_rows(values: Sequence[JsonScalar]) -> list[int]:
    """The positions of the nulls in ``values``."""
    return list(compress(range(len(values)), map(is_, values, repeat(None))))


_FLOAT_KINDS: Final = frozenset({float, type(None)})
_NULL_AS_NAN: Final[dict[float | None, float]] = {None: math.nan}


def _number_or_nan(value: JsonScalar) -> float:
    """:func:`as_number` as a double (NaN for unknown; a valid value is never NaN)."""
    if type(value) is float and math.isfinite(value):
        return value
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
