"""Constraint 6, fault tolerance: the service holds its P99 SLO 99.9 % of the time.

Availability is the long-run share of time in which the replicas that are up can still
serve the arrival rate within the P99 SLO (modelling assumptions, shown to the student):

* A replica is down whenever one of its g GPUs has failed: GPUs fail independently at
  1 / MTBF each (MTBF = 2,000 h, the published lab's figure, pessimistic next to large
  production fleets), so a replica fails at g / MTBF and is back after the R = 30-minute
  cold restart. Its long-run share of time down is ``q = R / (MTBF/g + R)`` (an alternating
  renewal process; the share does not depend on the up-time distribution's shape).
* Replicas fail independently, so the number up of n is Binomial(n, 1 - q) at any instant.
* r = the fewest replicas that keep the P99 under the SLO at the arrival rate
  (:mod:`serving`). Availability = ``P(up >= r) = P(Binomial(n, q) <= n - r)``.
* The fleet's spare capacity is derived, not a rule of thumb: n is the smallest count
  >= r whose availability reaches the target (99.9 %); the spares, (n - r) replicas, are
  counted in GPUs and paid for by the budget and the carbon footprint.

A 32-GPU 3d replica fails 32 times as often as a 1-GPU dp replica, so its fleet needs more
spare GPUs; the number follows the failure model, with no sawtooth in model size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from constraintlab.model import scenario as sc


@dataclass(frozen=True)
class AvailabilityPlan:
    """Replicas the SLO needs, the spares that keep it 99.9 % of the time, and the result."""

    replicas_required: int
    n_replicas: int  # including spares
    gpus_per_replica: int
    replica_down_share: float  # q: long-run share of time one replica is down
    replica_failures_per_day: float  # whole fleet
    availability: float  # P(up >= replicas_required)

    @property
    def spare_replicas(self) -> int:
        return self.n_replicas - self.replicas_required

    @property
    def spare_gpus(self) -> int:
        return self.spare_replicas * self.gpus_per_replica


def replica_down_share(gpus_per_replica: int) -> float:
    """q = R / (MTBF / g + R): long-run share of time one replica is down."""
    restart_h = sc.COLD_RESTART_MIN / 60.0
    return float(restart_h / (sc.GPU_MTBF_H / gpus_per_replica + restart_h))


def binomial_cdf(count: int, trials: int, p: float) -> float:
    """P(X <= count) for X ~ Binomial(trials, p), summed in logs over the counts within 40
    standard deviations of the mean (the rest is below 1e-300): bounded for any n, no scipy."""
    if count < 0:
        return 0.0
    if count >= trials or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    mean = trials * p
    spread = 40.0 * math.sqrt(mean * (1.0 - p)) + 40.0
    low = max(0, math.floor(mean - spread))
    high = min(count, math.ceil(mean + spread))
    if high < low:  # count lies below every count that carries mass
        return 0.0
    log_first = (
        math.lgamma(trials + 1.0)
        - math.lgamma(low + 1.0)
        - math.lgamma(trials - low + 1.0)
        + low * math.log(p)
        + (trials - low) * math.log1p(-p)
    )
    k = np.arange(low + 1, high + 1, dtype=np.float64)
    steps = np.log((trials - k + 1.0) / k) + (math.log(p) - math.log1p(-p))
    log_pmf = np.concatenate(([log_first], log_first + np.cumsum(steps)))
    return float(min(1.0, np.exp(log_pmf).sum()))


def availability(n_replicas: int, replicas_required: int, gpus_per_replica: int) -> float:
    """P(at least r of n replicas are up) = P(Binomial(n, q) <= n - r)."""
    q = replica_down_share(gpus_per_replica)
    return binomial_cdf(n_replicas - replicas_required, n_replicas, q)


def availability_met(value: float) -> bool:
    """The verdict's rule: the availability in %, rounded to the 3 decimals shown, >= target."""
    from constraintlab.model.decide import meets

    return bool(meets("fault_tolerance", value * 100.0))


def availability_plan(replicas_required: int, gpus_per_replica: int) -> AvailabilityPlan:
    """The fewest replicas n >= r whose availability reaches the target (see module doc).

    Availability rises with n (one more replica can only help), so n is found by galloping
    up from r and bisecting: a few evaluations, whatever the fleet's size.
    """
    q = replica_down_share(gpus_per_replica)
    r = replicas_required

    def met(n: int) -> bool:
        return availability_met(availability(n, r, gpus_per_replica))

    high, step = r, 1
    while not met(high):
        high, step = high + step, 2 * step
    low = high - step // 2 if step > 1 else r - 1
    while high - low > 1:  # met(high); not met(low), or low = r - 1
        middle = (low + high) // 2
        if met(middle):
            high = middle
        else:
            low = middle
    value = availability(high, r, gpus_per_replica)
    rate_per_day = high * gpus_per_replica / sc.GPU_MTBF_H * 24.0
    return AvailabilityPlan(r, high, gpus_per_replica, q, rate_per_day, value)


def unavailable_plan(replicas: int, gpus_per_replica: int) -> AvailabilityPlan:
    """A fleet that cannot hold the SLO with any number of replicas: availability 0."""
    q = replica_down_share(gpus_per_replica)
    rate_per_day = replicas * gpus_per_replica / sc.GPU_MTBF_H * 24.0
    return AvailabilityPlan(replicas, replicas, gpus_per_replica, q, rate_per_day, 0.0)


__all__ = ["AvailabilityPlan", "availability", "availability_plan", "math"]
