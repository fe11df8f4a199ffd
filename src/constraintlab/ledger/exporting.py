"""Writing ledger files: our own export and the course's two layouts.

* ``native``: constraintlab's JSON (entries, attempts, format version).
* ``course``: exactly what mlsysim 0.3's ``DesignLedger`` writes and reads back
  (``LedgerState``): the four top-level keys ``track``, ``current_step``, ``history`` (an object
  keyed by the course's chapter keys) and ``last_updated``, nothing else: mlsysim loads with
  ``LedgerState(**data)``, so any other key would make it start empty and overwrite the file.
  Keys: the volume-less ``ledger.json`` writes Volume I labs as ``"5"`` and Volume II labs as
  ``"v2_07"``; ``ledger_vol1.json`` / ``ledger_vol2.json`` hold one volume each, keyed by the
  lab's step number (``"17"`` in the Volume II file is ``v2_17``).
* ``course-list``: the published lab's layout A (a list-shaped ``history`` with
  ``current_chapter``), which mlsysim 0.3 cannot load.

All are built as plain JSON documents and written atomically
(:func:`~constraintlab.ledger.files.write_atomic`), one record (an entry, an attempt, a
history item) per line, each as compact JSON. Export writes whatever the store holds; the
store keeps what it holds within :data:`~constraintlab.ledger.formats.MAX_FILE_BYTES` of
export (it refuses a change past that), which is what import reads, so every export can be
imported again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from constraintlab.ledger.errors import LedgerError, LedgerErrorKind
from constraintlab.ledger.files import lookup, write_atomic
from constraintlab.ledger.formats import FORMAT_NAME, FORMAT_VERSION
from constraintlab.ledger.keys import course_sorted, lab_number, volume_of
from constraintlab.ledger.validation import Design

EXPORT_FORMATS: Final = ("native", "course", "course-list")
COURSE_VOLUMES: Final = (1, 2)


def native_document(
    entries: Mapping[str, Design],
    attempts: Sequence[Mapping[str, Any]],
    *,
    exported_at: str,
    sample: bool = False,
    student_id: str | None = None,
) -> dict[str, Any]:
    """Our export: every entry (course order) and every attempt, with a format version.

    Each attempt is ``{"chapter", "recorded_at", "design"}``.
    """
    document: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "exported_at": exported_at,
        "sample": sample,
    }
    if student_id is not None:
        document["student_id"] = student_id
    document["entries"] = {key: dict(entries[key]) for key in course_sorted(list(entries))}
    document["attempts"] = [
        {"chapter": a["chapter"], "recorded_at": a["recorded_at"], "design": dict(a["design"])}
        for a in attempts
    ]
    return document


def course_chapter(key: str) -> int | str:
    """How layout A writes a chapter: Volume I as an integer, Volume II as ``"v2_NN"``."""
    return lab_number(key) if volume_of(key) == 1 else key


def course_history_key(key: str, volume: int | None) -> str:
    """The key mlsysim uses for a canonical key in a file of ``volume`` (None: volume-less).

    In a volume file the key is the step number (``"v2_17"`` -> ``"17"`` in ``ledger_vol2``);
    in the volume-less file Volume I labs are digit strings and Volume II labs ``"v2_NN"``.
    """
    return str(lab_number(key)) if volume is not None or volume_of(key) == 1 else key


def course_document(
    entries: Mapping[str, Design],
    *,
    exported_at: str,
    volume: int | None = None,
    track: str | None = None,
    current_step: int | str | None = None,
) -> dict[str, Any]:
    """mlsysim 0.3's ``LedgerState`` as JSON: track, current_step, history, last_updated.

    ``volume`` 1 or 2 keeps only that volume's labs (the ``ledger_vol1`` / ``ledger_vol2``
    file); None writes every lab (``ledger.json``). ``current_step`` is the one the imported
    course file held; when unknown it is the last lab written (what mlsysim's ``save`` leaves
    after saving the labs in course order), or 0 (mlsysim's default) for an empty history.
    """
    if volume not in (None, *COURSE_VOLUMES):
        raise LedgerError(None, f"volume {volume!r} is not a volume of the course; use 1 or 2")
    keys = [k for k in course_sorted(list(entries)) if volume is None or volume_of(k) == volume]
    history = {course_history_key(k, volume): dict(entries[k]) for k in keys}
    if current_step is None:
        last = course_history_key(keys[-1], volume) if keys else "0"
        current_step = int(last) if last.isdigit() else last
    return {
        "track": track,
        "current_step": current_step,
        "history": history,
        "last_updated": exported_at,
    }


def course_list_document(entries: Mapping[str, Design], *, exported_at: str) -> dict[str, Any]:
    """The published lab's layout A: one history item per lab (its latest design), in order."""
    keys = course_sorted(list(entries))
    return {
        "track": None,
        "current_chapter": course_chapter(keys[-1]) if keys else None,
        "history": [{"chapter": course_chapter(k), "design": dict(entries[k])} for k in keys],
        "last_updated": exported_at,
    }


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _member(value: object) -> str:
    """A top-level value: an object or list with one member per line, else compact JSON."""
    if isinstance(value, Mapping) and value:
        lines = (f"    {_compact(k)}:{_compact(v)}" for k, v in value.items())
        return "{\n" + ",\n".join(lines) + "\n  }"
    if isinstance(value, list) and value:
        return "[\n" + ",\n".join(f"    {_compact(item)}" for item in value) + "\n  ]"
    return _compact(value)


def encode_document(document: Mapping[str, Any], path: Path | None = None) -> bytes:
    """UTF-8 JSON (NaN refused): one top-level field, entry or list item per line."""
    lines = (f"  {_compact(name)}:{_member(value)}" for name, value in document.items())
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode()


def write_document(document: Mapping[str, Any], path: Path, *, overwrite: bool) -> None:
    """Write ``document`` to ``path`` atomically; refuse to replace a file unless told to."""
    if lookup(path, follow=False) is not None and lookup(path) is None:
        raise LedgerError(
            path,
            f"is a symbolic link to {os.readlink(path)}, which does not exist; it was left as it"
            " is (remove the link or export to another file)",
            LedgerErrorKind.EXISTS,
        )
    if lookup(path) is not None and not overwrite:
        raise LedgerError(
            path,
            "the file already exists; choose another name or allow overwriting (--overwrite)",
            LedgerErrorKind.EXISTS,
        )
    write_atomic(path, encode_document(document, path))
