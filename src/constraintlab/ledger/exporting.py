"""Writing ledger files: our own export (``native``) and the course's layout A (``course``).

Both are built as plain JSON documents and written atomically
(:func:`~constraintlab.ledger.files.write_atomic`). A document that would be larger than the
import limit is refused, so every export can be imported again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from constraintlab.ledger.errors import LedgerError
from constraintlab.ledger.files import write_atomic
from constraintlab.ledger.formats import FORMAT_NAME, FORMAT_VERSION, MAX_FILE_BYTES
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


def encode_document(document: Mapping[str, Any], path: Path) -> bytes:
    """UTF-8 JSON (indented, NaN refused); :class:`LedgerError` when over the import limit."""
    data = (json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()
    if len(data) > MAX_FILE_BYTES:
        raise LedgerError(
            path,
            f"the export would be {len(data):,} bytes, over the {MAX_FILE_BYTES:,}-byte limit"
            " that import accepts; nothing was written",
        )
    return data


def write_document(document: Mapping[str, Any], path: Path, *, overwrite: bool) -> None:
    """Write ``document`` to ``path`` atomically; refuse to replace a file unless told to."""
    if path.exists() and not overwrite:
        raise LedgerError(
            path, "the file already exists; choose another name or allow overwriting (--overwrite)"
        )
    write_atomic(path, encode_document(document, path))
