"""The parallelism strategies: one record each, the only list of them.

A strategy lays one serving replica out over ``TP x PP`` GPUs: TP is one node's GPUs
(``hardware.gpus_per_node``) where it splits layers over a node's NVLink, else 1; PP is its
pipeline stages, one node each (:func:`serving.replica_layout` reads the node size). The
design's choice control, the scenario's baseline rule, the serving model and the lab's radio
labels all read :data:`STRATEGIES`. Plain data: it imports nothing of the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Strategy:
    """One strategy: its key, its replica layout and the name the lab gives it."""

    key: str
    over_node: bool  # tensor parallelism over one node's GPUs
    stages: int  # pipeline stages, one node each
    name: str  # the radio's name, before the layout (``Full 3D (TP 8 × PP 4 over 4 nodes)``)


STRATEGIES: Final = (
    Strategy("dp", over_node=False, stages=1, name="Data parallel only"),
    Strategy("tp_dp", over_node=True, stages=1, name="Tensor + data parallel"),
    Strategy("3d", over_node=True, stages=4, name="Full 3D"),
)
STRATEGY_KEYS: Final = tuple(s.key for s in STRATEGIES)
BY_KEY: Final = {s.key: s for s in STRATEGIES}

__all__ = ["BY_KEY", "STRATEGIES", "STRATEGY_KEYS", "Strategy"]
