"""Course ledger files (layouts A and B, volume files) and designs, built for the ledger tests.

Written from LEDGER_FORMATS.md, not from the parser, so the tests compare two readings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

VOLUME1 = tuple(str(n) for n in range(1, 17))
VOLUME2 = tuple(f"v2_{n:02d}" for n in range(1, 18))
ALL_KEYS = VOLUME1 + VOLUME2


def design(n: int, **extra: Any) -> dict[str, Any]:
    """A lab design with the six common fields and one unknown field."""
    return {
        "context": ["cloud", "edge", "mobile", "tiny"][n % 4],
        "act1_prediction": "ABCD"[n % 4],
        "act1_correct": n % 3 != 0,
        "act2_result": 1.5 * n,
        "act2_decision": f"decision-{n}",
        "constraint_hit": n % 2 == 0,
        "lab_specific_knob": n,
        **extra,
    }


def course_chapter(key: str, as_string: bool = False) -> int | str:
    """How layout A spells a chapter: Volume I as an int (or a digit string), else v2_NN."""
    if key.startswith("v2_"):
        return key
    return key if as_string else int(key)


def layout_a(entries: Mapping[str, Mapping[str, Any]], earlier: bool = True) -> dict[str, Any]:
    """Layout A; with ``earlier``, each lab first has an older save that the later one beats."""
    history: list[dict[str, Any]] = []
    for i, (key, value) in enumerate(entries.items()):
        if earlier:
            history.append({"chapter": course_chapter(key), "design": {"stale": True}})
        history.append({"chapter": course_chapter(key, as_string=i % 2 == 1), "design": value})
    return {"track": None, "current_chapter": "v2_16", "history": history, "last_updated": ""}


def layout_b(entries: Mapping[str, Mapping[str, Any]], volume: int | None = None) -> dict[str, Any]:
    """Layout B; in a volume file, keys are step numbers of that volume."""
    history: dict[str, Any] = {}
    for key, value in entries.items():
        if volume is None:
            history[key] = value
        else:
            history[str(int(key[3:]) if key.startswith("v2_") else int(key))] = value
    return {"track": None, "current_step": 17, "history": history, "last_updated": ""}


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
