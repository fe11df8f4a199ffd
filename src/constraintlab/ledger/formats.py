"""Reading ledger files: the course's layouts A and B (volume files included) and our export.

:func:`read_ledger_file` is the one entry point. It needs no store, so tools that only read
(the instructor's class report) use it directly. It detects the layout from the shape of the
file, maps every entry to a canonical chapter key (:mod:`constraintlab.ledger.keys`), lets the
last save of a chapter win, and lists the entries it could not place instead of guessing.
Whatever is wrong with a file as a whole ends in :class:`LedgerError` naming the file and the
problem; an entry whose design is not valid is reported by key (``skipped``) and the file's good
entries are still read. The file is only read, never written.

Layouts (see LEDGER_FORMATS.md):

* ``"A"``: ``history`` is a list of ``{"chapter": 5 | "5" | "v2_07", "design": {...}}``.
* ``"B"``: ``history`` is an object ``{"5": {...}, "v2_07": {...}}``, or a list of
  ``{"step": N, "design": {...}}``. In a Volume II file (``ledger_vol2.json``) step N is lab
  ``v2_NN``; in a Volume I file or the volume-less one it is Volume I lab N. This is what
  mlsysim 0.3's ``DesignLedger`` writes; its top-level ``track`` and ``current_step`` are kept
  (``ParsedLedger.track`` / ``current_step``) so an export can write them back.
* ``"native"``: our own export (``{"format": "constraintlab-ledger", ...}``), entries and the
  capstone attempts the store recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any, Final, NamedTuple, NoReturn

from constraintlab.ledger import validation
from constraintlab.ledger.errors import LedgerError, LedgerErrorKind, describe
from constraintlab.ledger.files import read_bounded
from constraintlab.ledger.keys import KEY_RULE, canonical_key, course_sorted, usual_keys

MAX_FILE_BYTES: Final = 8 * 1024 * 1024
FORMAT_NAME: Final = "constraintlab-ledger"
FORMAT_VERSION: Final = 1
MAX_TEXT_FIELD_CHARS: Final = 200  # student_id, recorded_at, track, a string current_step
LAYOUTS: Final = ("A", "B", "native")


@dataclass(frozen=True)
class Unplaced:
    """An entry that names no lab of the course: where it is, its key, and why."""

    where: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.key} ({self.reason})"


@dataclass(frozen=True)
class Skipped:
    """An entry left out because it is not a valid design: where it is and the problem."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


class ParsedSave(NamedTuple):
    """One save of one lab, in file order; ``recorded_at`` only for our own attempt records.

    ``design_json`` is the design's :func:`~constraintlab.ledger.validation.canonical_json`,
    made while it was checked (readers that store or compare designs need not make it again).
    A named tuple, not a dataclass: a class of 10,000 students makes 370,000 of them, and a
    frozen dataclass costs about ten times as much to create.
    """

    chapter: str
    design: validation.Design
    design_json: str
    recorded_at: str | None = None


@dataclass(frozen=True)
class ParsedLedger:
    """What a ledger file holds, in canonical form.

    ``entries``: canonical key -> the last design saved for it, in course order;
    ``entry_json``: the same keys -> that design's canonical JSON.
    ``attempts``: every save the file recorded, in order (layout A: each history item; layout
    B: one per lab, as B keeps only the last; native: the recorded capstone attempts, plus
    one save for each lab without attempts). ``submitted``: the capstone attempts of a native
    file (what a store imports into its attempts table). ``unplaced``: entries naming no lab.
    ``volume``: 1 or 2 for a layout B volume file. ``student_id``: the id the file names, if any.
    ``skipped``: entries left out because their design is not valid (key and problem).
    ``track`` / ``current_step``: the course file's top-level values (mlsysim's
    ``LedgerState``), None when absent, null or not of a kind mlsysim writes.
    """

    path: Path
    layout: str
    entries: dict[str, validation.Design]
    entry_json: dict[str, str]
    attempts: tuple[ParsedSave, ...] = ()
    submitted: tuple[ParsedSave, ...] = ()
    unplaced: tuple[Unplaced, ...] = ()
    volume: int | None = None
    student_id: str | None = None
    is_sample: bool = False
    skipped: tuple[Skipped, ...] = ()
    track: str | None = None
    current_step: int | str | None = None

    @property
    def layout_description(self) -> str:
        """E.g. ``"course layout B (Volume II file)"``, ``"constraintlab export"``."""
        if self.layout == "native":
            return "constraintlab export"
        volume = {1: " (Volume I file)", 2: " (Volume II file)"}.get(self.volume or 0, "")
        return f"course layout {self.layout}{volume}"


def volume_from_name(path: Path) -> int | None:
    """1 for ``*_vol1.json``, 2 for ``*_vol2.json``, else None (the volume-less file)."""
    stem = path.stem.lower()
    return 1 if stem.endswith("_vol1") else 2 if stem.endswith("_vol2") else None


def read_ledger_file(path: str | Path, volume: int | None = None) -> ParsedLedger:
    """Read one ledger file (any layout) without a store; never writes to it.

    ``volume`` says how bare step numbers of layout B are read (1 or 2); by default it comes
    from the file name (``ledger_vol2.json`` -> 2). Raises :class:`LedgerError` whose message
    starts with the path: unreadable, not a regular file, over :data:`MAX_FILE_BYTES`, not
    UTF-8, not JSON, nested too deeply, or not a ledger's shape. An entry whose design is not
    a valid design (:func:`~constraintlab.ledger.validation.validate_design`) is left out and
    listed in ``skipped``; the other entries are read.
    """
    where = Path(path)
    data = read_bounded(where, MAX_FILE_BYTES)
    return parse_ledger_bytes(data, where, volume if volume else volume_from_name(where))


def parse_ledger_bytes(data: bytes, path: Path, volume: int | None = None) -> ParsedLedger:
    """Parse the bytes of a ledger file named ``path`` (used in messages only)."""
    if len(data) > MAX_FILE_BYTES:
        raise LedgerError(
            path,
            f"the file is too large: {len(data):,} bytes, over {MAX_FILE_BYTES:,}",
            LedgerErrorKind.TOO_LARGE,
        )
    document = _parse_json(_decode(data, path), path)
    if not isinstance(document, dict):
        _fail(
            path,
            f"the top level is {validation.json_type(document)}; a ledger file is a JSON"
            " object with a 'history' (course ledger) or 'entries' (constraintlab export)",
        )
    try:
        if "format" in document:
            return _parse_native(document, path)
        return _parse_course(document, path, volume)
    except LedgerError as error:
        if error.path is not None:
            raise
        raise LedgerError(path, error.problem, error.kind) from None


def _fail(path: Path, problem: str) -> NoReturn:
    raise LedgerError(path, problem)


def _decode(data: bytes, path: Path) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a byte-order mark some editors add
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = data[error.start]
        _fail(path, f"not UTF-8 text: byte 0x{bad:02x} at offset {error.start} is not valid")
    if not text.strip():
        _fail(path, "the file is empty; a ledger file is a JSON object")
    return text


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _parse_json(text: str, path: Path) -> object:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        _fail(path, f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})")
    except RecursionError:
        _fail(path, "not a ledger: the JSON is nested too deeply")
    except ValueError as error:  # NaN/Infinity, or an integer with thousands of digits
        if "integer string conversion" in str(error):  # CPython's limit; not its advice
            _fail(path, "an integer of thousands of digits, outside what a design holds")
        _fail(path, f"not valid JSON: {error}")


def _text_field(document: Mapping[str, Any], name: str, where: str = "") -> str | None:
    """An optional short string (``student_id``, an attempt's ``recorded_at``)."""
    value = document.get(name)
    label = f"{where} '{name}'".strip()
    if value is None:
        return None
    if not isinstance(value, str):
        raise LedgerError(None, f"{label} is {validation.json_type(value)}, expected a string")
    if len(value) > MAX_TEXT_FIELD_CHARS or not validation.valid_text(value):
        raise LedgerError(
            None, f"{label} is not a valid string of at most {MAX_TEXT_FIELD_CHARS} characters"
        )
    return value


def _checked(designs: list[object]) -> Iterator[tuple[validation.Design, str] | LedgerError]:
    """Each design checked (with its canonical JSON) or refused, in order: one batch a file."""
    return iter(validation.checked_designs(designs, "design"))


def _accepted(
    result: tuple[validation.Design, str] | LedgerError,
    section: str,
    position: object,
    skipped: list[Skipped],
) -> tuple[validation.Design, str] | None:
    """The checked design at ``section[position]``, or None after noting in ``skipped`` why
    it is left out (the place is named only then)."""
    if isinstance(result, LedgerError):
        skipped.append(Skipped(f"{section}[{describe(position)}]", result.problem))
        return None
    return result


def _is_course_step(step: object) -> bool:
    """An int (not bool) within 64 bits, or a short valid string (mlsysim's "v2_07")."""
    if isinstance(step, int) and not isinstance(step, bool):
        return abs(step) <= validation.MAX_INT_ABS
    if isinstance(step, str):
        return len(step) <= MAX_TEXT_FIELD_CHARS and validation.valid_text(step)
    return False


def _course_state(document: Mapping[str, Any]) -> tuple[str | None, int | str | None]:
    """``track`` and ``current_step`` as mlsysim writes them (else None: not kept)."""
    track = document.get("track")
    step = document.get("current_step")
    if not (
        isinstance(track, str)
        and len(track) <= MAX_TEXT_FIELD_CHARS
        and validation.valid_text(track)
    ):
        track = None
    if not _is_course_step(step):
        step = None
    return track, step


def _entries_in_order(
    saves: Sequence[ParsedSave],
) -> tuple[dict[str, validation.Design], dict[str, str]]:
    """Last save wins; the designs and their canonical JSON, in course order."""
    last = {save.chapter: save for save in saves}
    keys = course_sorted(set(last))
    return {key: last[key].design for key in keys}, {key: last[key].design_json for key in keys}


def _unplaced(where: str, raw: object, volume: int) -> Unplaced:
    reason = f"not a lab of the course; {KEY_RULE}"
    if volume == 2 and not isinstance(raw, bool):
        reason += " (in a Volume II file, step N is v2_N)"
    return Unplaced(where, describe(raw), reason)


# --- the course's layouts --------------------------------------------------------------------
def _parse_course(document: dict[str, Any], path: Path, volume: int | None) -> ParsedLedger:
    if "history" not in document:
        raise LedgerError(
            None,
            "no 'history' (course ledger) or 'format' (constraintlab export): not a Design"
            " Ledger file",
        )
    history = document["history"]
    skipped: list[Skipped] = []
    if isinstance(history, list):
        layout, saves, unplaced = _parse_history_list(history, volume or 1, skipped)
    elif isinstance(history, dict):
        layout, saves, unplaced = "B", *_parse_history_object(history, volume or 1, skipped)
    else:
        raise LedgerError(
            None,
            f"'history' is {validation.json_type(history)}; expected a list (layout A) or an"
            " object of chapter -> design (layout B)",
        )
    track, step = _course_state(document)
    entries, entry_json = _entries_in_order(saves)
    return ParsedLedger(
        path=path,
        layout=layout,
        entries=entries,
        entry_json=entry_json,
        attempts=tuple(saves),
        unplaced=tuple(unplaced),
        volume=volume,
        student_id=_text_field(document, "student_id"),
        skipped=tuple(skipped),
        track=track,
        current_step=step,
    )


def _parse_history_list(
    history: list[Any], volume: int, skipped: list[Skipped]
) -> tuple[str, list[ParsedSave], list[Unplaced]]:
    """Layout A (items carry "chapter") or the list-shaped layout B (items carry "step")."""
    saves = _plain_history_list(history, volume)
    if saves is not None:
        return ("A" if history and "chapter" in history[0] else "B"), saves, []
    saves = []
    unplaced: list[Unplaced] = []
    uses_step = bool(history)
    results = _checked([i["design"] for i in history if isinstance(i, dict) and "design" in i])
    for index, item in enumerate(history):
        if not isinstance(item, dict):
            problem = (
                f"is {validation.json_type(item)}; expected an object with 'chapter' and 'design'"
            )
            skipped.append(Skipped(f"history[{index}]", problem))
            continue
        if "design" not in item:
            skipped.append(Skipped(f"history[{index}]", "it has no 'design'"))
            continue
        checked = _accepted(next(results), "history", index, skipped)
        if checked is None:
            continue
        if "chapter" in item:
            uses_step = False
            raw, item_volume = item["chapter"], 1
        elif "step" in item:
            raw, item_volume = item["step"], volume
        else:
            unplaced.append(
                Unplaced(f"history[{index}]", "-", "it has neither 'chapter' nor 'step'")
            )
            continue
        key = canonical_key(raw, item_volume)
        if key is None:
            unplaced.append(_unplaced(f"history[{index}]", raw, item_volume))
        else:
            saves.append(ParsedSave(key, *checked))
    return ("B" if uses_step else "A"), saves, unplaced


def _plain_history_list(history: list[Any], volume: int) -> list[ParsedSave] | None:
    """The saves of a history list with nothing to report, read a column at a time; else None.

    The common file: every item an object naming its lab the same way (all ``chapter``, or
    all ``step``) with a design, every design valid, every lab one of the course's usual
    spellings. Then the loop in :func:`_parse_history_list` would note nothing, and this
    gives the same saves (a test checks it) without a Python frame per item; any other list
    returns None and goes through that loop, which says what is wrong where.
    """
    if not history or set(map(type, history)) != {dict}:
        return None
    field, item_volume = ("chapter", 1) if "chapter" in history[0] else ("step", volume)
    try:
        raws = list(map(itemgetter(field), history))
        designs = list(map(itemgetter("design"), history))
    except KeyError:
        return None
    if field == "step" and any(map(methodcaller("__contains__", "chapter"), history)):
        return None  # a list mixing both ways: the loop decides the layout
    keys = usual_keys(raws, item_volume)
    results = validation.checked_designs(designs, "design")
    if keys is None or any(isinstance(result, LedgerError) for result in results):
        return None
    return [
        ParsedSave(key, *result)  # type: ignore[misc]
        for key, result in zip(keys, results, strict=True)
    ]


def _parse_history_object(
    history: dict[str, Any], volume: int, skipped: list[Skipped]
) -> tuple[list[ParsedSave], list[Unplaced]]:
    """Layout B: chapter/step key -> design."""
    saves: list[ParsedSave] = []
    unplaced: list[Unplaced] = []
    results = _checked(list(history.values()))
    for raw in history:
        checked = _accepted(next(results), "history", raw, skipped)
        if checked is None:
            continue
        key = canonical_key(raw, volume)
        if key is None:
            unplaced.append(_unplaced(f"history[{describe(raw)}]", raw, volume))
        else:
            saves.append(ParsedSave(key, *checked))
    return saves, unplaced


# --- our own export --------------------------------------------------------------------------
def _parse_native(document: dict[str, Any], path: Path) -> ParsedLedger:
    if document["format"] != FORMAT_NAME:
        raise LedgerError(None, f"'format' is {describe(document['format'])}, not {FORMAT_NAME!r}")
    version = document.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise LedgerError(None, f"'format_version' is {describe(version)}, expected 1")
    if version > FORMAT_VERSION:
        raise LedgerError(
            None,
            f"written by a newer constraintlab (format version {version}); this one reads"
            f" version {FORMAT_VERSION}",
        )
    sample = document.get("sample", False)
    if not isinstance(sample, bool):
        raise LedgerError(None, f"'sample' is {validation.json_type(sample)}, expected true/false")
    skipped: list[Skipped] = []
    entry_saves, unplaced = _native_entries(document.get("entries"), skipped)
    submitted, more_unplaced = _native_attempts(document.get("attempts", []), skipped)
    with_attempts = {a.chapter for a in submitted}
    saves = [save for save in entry_saves if save.chapter not in with_attempts]
    entries, entry_json = _entries_in_order(entry_saves)
    return ParsedLedger(
        path=path,
        layout="native",
        entries=entries,
        entry_json=entry_json,
        attempts=(*saves, *submitted),
        submitted=submitted,
        unplaced=(*unplaced, *more_unplaced),
        student_id=_text_field(document, "student_id"),
        is_sample=sample,
        skipped=tuple(skipped),
    )


def _native_entries(raw: object, skipped: list[Skipped]) -> tuple[list[ParsedSave], list[Unplaced]]:
    """One save per lab of ``entries`` (a later spelling of the same lab replaces an earlier)."""
    if not isinstance(raw, dict):
        raise LedgerError(None, f"'entries' is {validation.json_type(raw)}, expected an object")
    entries: dict[str, ParsedSave] = {}
    unplaced: list[Unplaced] = []
    results = _checked(list(raw.values()))
    for raw_key in raw:
        checked = _accepted(next(results), "entries", raw_key, skipped)
        if checked is None:
            continue
        key = canonical_key(raw_key)
        if key is None:
            unplaced.append(_unplaced(f"entries[{describe(raw_key)}]", raw_key, 1))
        else:
            entries[key] = ParsedSave(key, *checked)
    return list(entries.values()), unplaced


def _native_attempts(
    raw: object, skipped: list[Skipped]
) -> tuple[tuple[ParsedSave, ...], list[Unplaced]]:
    if not isinstance(raw, list):
        raise LedgerError(None, f"'attempts' is {validation.json_type(raw)}, expected a list")
    attempts: list[ParsedSave] = []
    unplaced: list[Unplaced] = []
    results = _checked([i["design"] for i in raw if isinstance(i, dict) and "design" in i])
    for index, item in enumerate(raw):
        where = f"attempts[{index}]"
        if not isinstance(item, dict) or "design" not in item:
            skipped.append(Skipped(where, "it is not an object with 'chapter' and 'design'"))
            continue
        checked = _accepted(next(results), "attempts", index, skipped)
        if checked is None:
            continue
        recorded_at = _text_field(item, "recorded_at", where)
        key = canonical_key(item.get("chapter"))
        if key is None:
            unplaced.append(_unplaced(where, item.get("chapter"), 1))
        else:
            attempts.append(ParsedSave(key, *checked, recorded_at))
    return tuple(attempts), unplaced
