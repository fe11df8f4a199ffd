"""Writing ledger files: our own export (``native``) and the course's layout A (``course``).

Both are built as plain JSON documents and written atomically
(:func:`~constraintlab.ledger.files.write_atomic`), one record (an entry, an attempt, a
history item) per line, each as compact JSON. Export writes whatever the store holds; the
store keeps what it holds within :data:`~constraintlab.ledger.formats.MAX_FILE_BYTES` of
export (it refuses a change past that), which is what import reads, so every export can be
imported again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from constraintlab.ledger.errors import LedgerError, LedgerErrorKind
from constraintlab.ledger.files import write_atomic
from constraintlab.ledger.formats import FORMAT_NAME, FORMAT_VERSION
from constraintlab.ledger.keys import course_sorted, lab_number, volume_of
from constraintlab.ledger.validation import Design

EXPORT_FORMATS: Final = ("native", "course")


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


def course_document(entries: Mapping[str, Design], *, exported_at: str) -> dict[str, Any]:
    """The course's layout A: one history item per lab (its latest design), in course order."""
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
    if path.exists() and not overwrite:
        raise LedgerError(
            path,
            "the file already exists; choose another name or allow overwriting (--overwrite)",
            LedgerErrorKind.EXISTS,
        )
    write_atomic(path, encode_document(document, path))
