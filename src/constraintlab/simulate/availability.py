"""Availability of a serving fleet with failures and restarts: the exact value and sample paths.

The model (the serving model's stated assumptions):

* The fleet has n replicas of g GPUs each. Every GPU fails after an exponential time of mean
  MTBF (``gpu_mtbf_h``), independently; a replica is down as soon as any of its GPUs fails, so
  a running replica fails at rate lambda_r = g / MTBF.
* A failed replica is back after a restart of fixed length R (``restart_min``, deterministic),
  after which it runs again as new. While it restarts it cannot fail again.
* The service holds its SLO while at least m replicas are up (``replicas_required``).
  Availability is the long-run share of time with up replicas >= m.

Each replica is an alternating renewal process (up ~ Exp(lambda_r), down = R), and the
replicas are independent, so in the long run a replica is down a share
``u = lambda_r R / (1 + lambda_r R)`` of the time, independently of the others, and

    availability = P(Binomial(n, 1 - u) >= m)

(Barlow and Proschan, "Statistical Theory of Reliability and Life Testing", 1975, ch. 7; the
long-run share equals the stationary probability by the renewal-reward theorem).

The simulation (:func:`simulate_availability`) draws each replica's sample path over a
horizon of H hours, starting in the stationary state (each replica down with probability u,
then with a uniform share of its restart left; an up replica's residual life is exponential
by memorylessness), so no warm-up is needed. A sweep over all failure and return times gives
the share of [0, H] with fewer than m replicas up. Independent replications give a Student-t
99 % interval.

Rare events: a fleet sized for 99.9 % is short of replicas in brief episodes (each shorter
than R: the replica that has been down longest returns within R). A replication that sees
no episode says little; :func:`horizon_h` sizes H so that a few dozen episodes are expected
(from the analytic value, which sizes the run and never enters the estimate), capped by
memory. When no replication sees any shortfall, the interval is not [1, 1]: its low end is
the 99 % upper bound on the episode rate (ln 100 / total hours, Poisson zero count) times
the longest episode, R. No variance reduction (importance sampling) is used: the price is
long horizons, and above about 99.9999 % the interval is this one-sided bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from constraintlab.simulate.stats import Interval, t_interval

Progress = Callable[[int], None]
MOST_EVENTS_PER_REPLICATION = 2_000_000  # failures + returns of one replication (memory, time)


@dataclass(frozen=True)
class FleetAvailability:
    """The primitives of the availability model (see the module docstring)."""

    n_replicas: int
    gpus_per_replica: int
    gpu_mtbf_h: float
    restart_min: float
    replicas_required: int

    def __post_init__(self) -> None:
        for name in ("n_replicas", "gpus_per_replica", "replicas_required"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
        if self.replicas_required > self.n_replicas:
            raise ValueError(
                f"replicas_required must be <= n_replicas = {self.n_replicas}; "
                f"got {self.replicas_required!r}"
            )
        for name in ("gpu_mtbf_h", "restart_min"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0; got {value!r}")

    @property
    def replica_failure_rate_per_h(self) -> float:
        """lambda_r = g / MTBF: a running replica fails when any of its GPUs does."""
        return self.gpus_per_replica / self.gpu_mtbf_h

    @property
    def restart_h(self) -> float:
        return self.restart_min / 60.0

    @property
    def replica_unavailability(self) -> float:
        """u = lambda_r R / (1 + lambda_r R), the long-run share of time a replica is down."""
        load = self.replica_failure_rate_per_h * self.restart_h
        return load / (1.0 + load)


def binomial_availability(fleet: FleetAvailability) -> float:
    """Exact long-run availability P(Binomial(n, 1 - u) >= m) (module docstring).

    Computed as 1 - P(down > n - m) with the survival function, so that 99.9999 % keeps its
    digits.
    """
    from scipy import stats

    spares = fleet.n_replicas - fleet.replicas_required
    short = float(stats.binom.sf(spares, fleet.n_replicas, fleet.replica_unavailability))
    return 1.0 - short


def expected_shortfall_episodes_per_h(fleet: FleetAvailability) -> float:
    """Rate of entering "fewer than m up": P(exactly n - m down) x (m up replicas) x lambda_r."""
    from scipy import stats

    spares = fleet.n_replicas - fleet.replicas_required
    at_edge = float(stats.binom.pmf(spares, fleet.n_replicas, fleet.replica_unavailability))
    return at_edge * fleet.replicas_required * fleet.replica_failure_rate_per_h


def horizon_h(
    fleet: FleetAvailability,
    episodes: float = 40.0,
    most_events: int = MOST_EVENTS_PER_REPLICATION,
) -> float:
    """Hours per replication so that about ``episodes`` shortfall episodes are expected in it.

    At least a year, unless that takes more than ``most_events`` failures and returns (about
    0.2 s per million); then as many hours as that many events take, at least a month.
    """
    rate = max(expected_shortfall_episodes_per_h(fleet), 1e-300)
    events_per_h = (
        2.0 * fleet.n_replicas / (1.0 / fleet.replica_failure_rate_per_h + fleet.restart_h)
    )
    most = most_events / events_per_h
    return float(min(max(episodes / rate, 8_760.0), max(most, 8_760.0 / 12.0)))


def _replica_events(
    fleet: FleetAvailability, horizon: float, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """Failure and return times in (0, horizon] of all replicas, and how many start down."""
    n, rate, restart = fleet.n_replicas, fleet.replica_failure_rate_per_h, fleet.restart_h
    starts_down = rng.random(n) < fleet.replica_unavailability
    # time of the first failure-free start: a down replica returns after a uniform share of R
    first_up = np.where(starts_down, rng.uniform(0.0, restart, size=n), 0.0)
    returns_at_start = first_up[starts_down]
    cycle = 1.0 / rate + restart
    columns = max(4, math.ceil(horizon / cycle * 1.2 + 6.0 * math.sqrt(horizon / cycle) + 4))
    failures_chunks, returns_chunks = [], []
    clock = first_up.copy()  # when each replica is next up and running
    alive = np.arange(n)
    while alive.size:
        ups = rng.exponential(1.0 / rate, size=(alive.size, columns))
        fail = clock[alive, None] + np.cumsum(ups + restart, axis=1) - restart
        back = fail + restart
        failures_chunks.append(fail[fail <= horizon])
        returns_chunks.append(back[back <= horizon])
        clock[alive] = back[:, -1]
        alive = alive[clock[alive] <= horizon]
        columns = max(4, columns // 4)
    return (
        np.concatenate([returns_at_start[returns_at_start <= horizon], *returns_chunks]),
        np.concatenate(failures_chunks),
        int(starts_down.sum()),
    )


def short_time_h(
    failures: NDArray[np.float64],
    returns: NDArray[np.float64],
    down_at_start: int,
    most_down: int,
    horizon: float,
) -> tuple[float, int]:
    """(Hours of [0, horizon] with more than ``most_down`` replicas down, episodes seen).

    A sweep over the sorted event times; at equal times a return counts before a failure.
    A shortfall under way at time 0 counts as an episode seen.
    """
    times = np.concatenate([returns, failures])
    steps = np.concatenate([-np.ones(returns.size), np.ones(failures.size)])
    order = np.lexsort((steps, times))
    times = np.concatenate([[0.0], times[order]])
    down = down_at_start + np.concatenate([[0.0], np.cumsum(steps[order])])
    spans = np.diff(np.append(times, horizon))
    short = down > most_down
    episodes = int(short[0]) + int(np.count_nonzero(short[1:] & ~short[:-1]))
    return float(spans[short].sum()), episodes


def simulate_availability(
    fleet: FleetAvailability,
    replications: int = 12,
    seed: int = 0,
    horizon_hours: float | None = None,
    confidence: float = 0.99,
    progress: Progress | None = None,
    most_events: int = MOST_EVENTS_PER_REPLICATION,
) -> tuple[Interval, int, float]:
    """Simulated long-run availability with its ``confidence`` interval, episodes seen, hours
    simulated per replication.

    Replications are independent (``default_rng(seed)`` then one stream); each runs
    ``horizon_hours`` (default :func:`horizon_h` with ``most_events``) from the stationary state.
    """
    horizon = horizon_h(fleet, most_events=most_events) if horizon_hours is None else horizon_hours
    if not (math.isfinite(horizon) and horizon > 0):
        raise ValueError(f"horizon_hours must be a finite number > 0; got {horizon_hours!r}")
    rng = np.random.default_rng(seed)
    spares = fleet.n_replicas - fleet.replicas_required
    shares, episodes = [], 0
    for done in range(1, replications + 1):
        returns, failures, down0 = _replica_events(fleet, horizon, rng)
        short_h, begun = short_time_h(failures, returns, down0, spares, horizon)
        shares.append(1.0 - short_h / horizon)
        episodes += begun
        if progress:
            progress(done)
    interval = t_interval(np.array(shares), confidence)
    # a share of time lies in [0, 1]: the t interval's ends are cut there
    interval = Interval(
        interval.estimate,
        max(interval.low, 0.0),
        min(interval.high, 1.0),
        replications,
        confidence,
    )
    if episodes == 0:  # nothing seen: a one-sided bound, not a zero-width interval
        bound = math.log(1.0 / (1.0 - confidence)) / (horizon * replications) * fleet.restart_h
        interval = Interval(1.0, max(0.0, 1.0 - bound), 1.0, replications, confidence)
    return interval, episodes, horizon
