"""Constraint 6, fault tolerance: the serving fleet has full capacity 99.9 % of the time.

The serving model (modelling assumptions, shown to the student):

* A replica fails when any of its g GPUs fails: rate g / MTBF, with the published lab's
  per-GPU MTBF of 2,000 h (pessimistic next to large production fleets).
* The fleet keeps hot-spare replicas, one per 16 active ones: ``s = ceil(n / 16)``. A hot
  spare takes over at once; the failed replica comes back after a 30-minute cold restart.
* Replicas under repair form an M/G/infinity system, so their number is Poisson with mean
  ``m = (n + s) g R / MTBF`` (Palm's theorem; R = 30 min, failures independent).
* The fleet has full capacity while at most s replicas are down, so
  ``uptime = P(Poisson(m) <= s) = sum_{k<=s} e^-m m^k / k!``.

Large failure domains (3d's 32-GPU replicas) with few replicas are what break 99.9 %.
Checkpointing does not enter here: it protects the fine-tuning job (see :mod:`training`),
a separate efficiency question.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from constraintlab.model import scenario as sc


@dataclass(frozen=True)
class UptimePlan:
    """Spares and availability of one serving fleet."""

    active_replicas: int
    spare_replicas: int
    gpus_per_replica: int
    replica_failures_per_day: float
    mean_replicas_down: float
    uptime: float  # fraction of time with all active replicas serving

    @property
    def spare_gpus(self) -> int:
        return self.spare_replicas * self.gpus_per_replica


def spare_replicas(active_replicas: int) -> int:
    """Hot spares kept for n active replicas: ceil(n / 16)."""
    return math.ceil(active_replicas / sc.SPARE_REPLICA_RATIO)


def poisson_cdf(count: int, mean: float) -> float:
    """P(X <= count) for X ~ Poisson(mean), summed term by term."""
    term = math.exp(-mean)
    total = term
    for k in range(1, count + 1):
        term *= mean / k
        total += term
    return min(total, 1.0)


@lru_cache(maxsize=4096)
def uptime_plan(active_replicas: int, gpus_per_replica: int) -> UptimePlan:
    """Availability of n active replicas of g GPUs with ceil(n/16) hot spares."""
    spares = spare_replicas(active_replicas)
    replica_rate_per_h = gpus_per_replica / sc.GPU_MTBF_H
    total = active_replicas + spares
    mean_down = total * replica_rate_per_h * sc.COLD_RESTART_MIN / 60.0
    return UptimePlan(
        active_replicas=active_replicas,
        spare_replicas=spares,
        gpus_per_replica=gpus_per_replica,
        replica_failures_per_day=total * replica_rate_per_h * 24.0,
        mean_replicas_down=mean_down,
        uptime=poisson_cdf(spares, mean_down),
    )
