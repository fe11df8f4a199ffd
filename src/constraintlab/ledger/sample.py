"""A sample journey: made-up, clearly labelled ledger entries for all 32 labs before the capstone.

It lets a newcomer try Act I without having taken the course. The data is fixed (no randomness)
and every design carries ``"sample_data": true``; the store it goes into is marked as a sample
store, so the app and ``constraintlab ledger show`` say "sample data". It never goes into a
student's own ledger.

There are two journeys, each chosen for what Act I can show with it (Act I's rule,
:func:`constraintlab.views.questions.judge_act1`: a domain dominates when its hit rate beats
every other counted domain's by more than 25 points):

* ``graded`` (the default): Networking hits a constraint in every lab (100%), the next domain
  (Memory) in two of three (67%), 33 points behind: Networking dominates and Act I's answer
  is graded.
* ``cannot-grade``: Privacy/Ethics hits in all four of its labs too, so two domains lead at
  100% together: a tie, and Act I says it cannot grade the answer.

In both, Privacy/Ethics has the weakest predictions (1 of 4), Compute never hits one, and
"cloud" is the most common context.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from constraintlab.ledger.keys import EARLIER_LAB_KEYS, lab_number, volume_of
from constraintlab.ledger.paths import default_sample_path
from constraintlab.ledger.store import Ledger, store_path
from constraintlab.ledger.validation import Design

SAMPLE_FIELD: Final = "sample_data"
GRADED: Final = "graded"
CANNOT_GRADE: Final = "cannot-grade"
SAMPLE_JOURNEYS: Final = (GRADED, CANNOT_GRADE)
"""The sample journeys, the default first."""
# labs whose design hit a constraint, and labs whose Act I prediction was wrong
_HITS_GRADED: Final = frozenset(
    {"3", "5", "8", "13", "15", "v2_01", "v2_02", "v2_03", "v2_06", "v2_08", "v2_12", "v2_13"}
)
_HITS: Final = {GRADED: _HITS_GRADED, CANNOT_GRADE: _HITS_GRADED | {"16", "v2_16"}}
_WRONG: Final = frozenset({"2", "6", "10", "15", "16", "v2_04", "v2_13", "v2_14"})
_VOLUME1_CONTEXTS: Final = ("cloud", "edge", "mobile", "tiny")
_VOLUME2_CONTEXTS: Final = ("cloud", "fleet")
_DECISIONS: Final = ("quantize", "batch", "shard", "replicate", "cache", "checkpoint")


def _design(index: int, key: str, hits: frozenset[str]) -> Design:
    number = lab_number(key)
    contexts = _VOLUME1_CONTEXTS if volume_of(key) == 1 else _VOLUME2_CONTEXTS
    return {
        "context": contexts[(number - 1) % len(contexts)],
        "act1_prediction": "ABCD"[index % 4],
        "act1_correct": key not in _WRONG,
        "act2_result": round(12.5 + 7.25 * index, 2),
        "act2_decision": _DECISIONS[index % len(_DECISIONS)],
        "constraint_hit": key in hits,
        SAMPLE_FIELD: True,
    }


def sample_entries(journey: str = GRADED) -> dict[str, Design]:
    """A sample journey (one of :data:`SAMPLE_JOURNEYS`): chapter key -> design for the 32
    labs before the capstone. An unknown name is a ``ValueError`` naming the allowed ones."""
    if journey not in _HITS:
        raise ValueError(f"sample journey {journey!r}: expected one of {', '.join(_HITS)}")
    hits = _HITS[journey]
    return {key: _design(i, key, hits) for i, key in enumerate(EARLIER_LAB_KEYS)}


def write_sample(path: str | os.PathLike[str] | None = None, journey: str = GRADED) -> Path:
    """Write a sample journey into its own store (default ``~/.mlsys/constraintlab-sample...``).

    Rewrites an existing sample store; refuses (:class:`LedgerError`) a store holding a real
    ledger. Returns the store's path.
    """
    entries = sample_entries(journey)
    target = store_path(path) if path is not None else default_sample_path()
    with Ledger.open(target) as ledger:
        ledger.load_sample(entries)
    return target
