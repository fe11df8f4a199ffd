"""The parallelism strategies: one record each, the only list of them.

A strategy lays one serving replica out over ``tensor_parallel x pipeline_parallel`` GPUs
(``gpus_per_replica = TP x PP``; each pipeline stage a node of TP GPUs). The design's choice
control, the scenario's baseline rule, the serving model, the explanation lines and the lab's
radio labels all read :data:`STRATEGIES`. Plain data: it imports nothing of the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Strategy:
    """One strategy: its key, its replica layout and the two names the lab gives it."""

    key: str
    tensor_parallel: int
    pipeline_parallel: int
    layout: str  # the explanation line's short name
    label: str  # the radio button's label

    @property
    def gpus_per_replica(self) -> int:
        return self.tensor_parallel * self.pipeline_parallel


STRATEGIES: Final = (
    Strategy("dp", 1, 1, "1 GPU per replica", "Data parallel only (one GPU per replica)"),
    Strategy("tp_dp", 8, 1, "TP 8 in one node", "Tensor + data parallel (TP 8 in one node)"),
    Strategy("3d", 8, 4, "TP 8 x PP 4 over 4 nodes", "Full 3D (TP 8 × PP 4 over four nodes)"),
)
STRATEGY_KEYS: Final = tuple(s.key for s in STRATEGIES)
BY_KEY: Final = {s.key: s for s in STRATEGIES}

__all__ = ["BY_KEY", "STRATEGIES", "STRATEGY_KEYS", "Strategy"]
