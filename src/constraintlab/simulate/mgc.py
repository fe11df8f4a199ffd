"""Response times of an M/G/c queue with a stated service-time variability, simulated.

The queue the serving model describes: Poisson arrivals at ``arrival_rate`` join one FCFS
queue in front of ``servers`` identical replicas; a study's service time S has mean
``mean_service`` and squared coefficient of variation ``scv`` = Var S / (E S)^2. The law of S
is named, because a P99 depends on more than the first two moments:

* ``scv == 0``: deterministic, S = E S (M/D/c), whatever the family;
* ``family="gamma"`` (the default): S ~ Gamma(shape 1/scv, scale E S scv). Shape 1 is the
  exponential law, so ``scv == 1`` is M/M/c; shape k > 1 (scv < 1) is an Erlang-like law
  with a light, exponentially decaying tail, the usual model of a near-deterministic job
  with some jitter (Tijms, "A First Course in Stochastic Models", 2003, sec. 2.5);
* ``family="lognormal"``: ln S ~ Normal(m, s^2), s^2 = ln(1 + scv), m = ln E S - s^2 / 2;
  a heavier tail than the gamma law of the same scv.

The response time of a study is ``fixed_delay + W + S``: W and S from the queue, and a pure
delay that every study pays outside the queue (for a pipelined replica, the pipeline fill
beyond its bottleneck stage). The queue starts empty; see :mod:`constraintlab.simulate.queue`
for the warm-up argument and :mod:`constraintlab.simulate.fcfs` for the exact recursions.

``routing`` names how studies reach the replicas (:mod:`constraintlab.simulate.routing`):
``pooled``, the one FCFS queue above (the default); ``jsq``, join-the-shortest-queue, each
replica its own FCFS queue; ``random``, each study to a replica drawn uniformly. Under random
routing the replicas are independent single-server queues fed lambda / c each (Poisson
thinning), so the run follows :func:`routing.replicas_sampled` of them (the studies random
routing sends there, at rate lambda k / c): enough studies reach each to leave the empty
start behind, where c replicas sharing the same studies would see too few each.

Exact references (:func:`exact_response_quantile`): M/D/c (scv 0) and M/M/c (gamma, scv 1)
from :mod:`constraintlab.simulate.exact`. No exact P99 exists for other M/G/c queues; for one
server the Pollaczek-Khinchine mean wait (:func:`mg1_mean_wait`) is exact for any law.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from constraintlab.simulate import fcfs, routing
from constraintlab.simulate.queue import _count, _positive

Family = Literal["gamma", "lognormal"]
FAMILIES: tuple[str, ...] = ("gamma", "lognormal")
_TIME_PARALLEL_FROM = 50_000  # as in queue.py: below it the heap loop is as fast
_TIME_PARALLEL_MAX_SERVERS = 64  # above it the no-wait stretches method is faster


def _scv(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"scv must be a finite number >= 0; got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number >= 0.0):
        raise ValueError(f"scv must be a finite number >= 0; got {value!r}")
    return number


def _family(value: object) -> Family:
    if value == "gamma":
        return "gamma"
    if value == "lognormal":
        return "lognormal"
    raise ValueError(f"family must be one of {', '.join(map(repr, FAMILIES))}; got {value!r}")


def check_mgc(
    arrival_rate: object, servers: object, mean_service: object, scv: object, family: object
) -> float:
    """Check an M/G/c queue's parameters; returns rho = lambda E[S] / c, which must be < 1.

    Raises ValueError naming the argument, the value given and what is allowed.
    """
    rate = _positive("arrival_rate", arrival_rate)
    count = _count("servers", servers, 1)
    mean = _positive("mean_service", mean_service)
    _scv(scv)
    _family(family)
    rho = rate * mean / count
    if not rho < 1.0:
        raise ValueError(
            f"utilisation arrival_rate * mean_service / servers must be < 1 for a stable "
            f"queue; got {rho:.6g} (arrival_rate={arrival_rate!r}, "
            f"mean_service={mean_service!r}, servers={servers!r})"
        )
    return rho


def service_times(
    rng: np.random.Generator, size: int, mean_service: float, scv: float, family: Family = "gamma"
) -> fcfs.FloatArray:
    """``size`` service times of mean ``mean_service`` and squared CV ``scv`` (module doc)."""
    if scv == 0.0:
        return np.full(size, float(mean_service))
    if family == "gamma":
        return rng.gamma(1.0 / scv, mean_service * scv, size=size)
    sigma2 = math.log1p(scv)
    return rng.lognormal(math.log(mean_service) - sigma2 / 2.0, math.sqrt(sigma2), size=size)


def start_times(
    arrivals: fcfs.FloatArray, services: fcfs.FloatArray, servers: int, *, equal_service: bool
) -> fcfs.FloatArray:
    """FCFS start times by the fastest exact recursion for this queue (see :mod:`fcfs`)."""
    if equal_service:
        return fcfs.start_times_equal_service(arrivals, float(services[0]), servers)
    if servers == 1:
        return fcfs.start_times_single_server(arrivals, services)
    if servers > _TIME_PARALLEL_MAX_SERVERS:
        return fcfs.start_times_many_servers(arrivals, services, servers)
    if len(arrivals) < _TIME_PARALLEL_FROM:
        return fcfs.start_times_sequential(arrivals, services, servers)
    return fcfs.start_times_time_parallel(arrivals, services, servers)


def _routed_start_times(
    rng: np.random.Generator,
    arrivals: fcfs.FloatArray,
    services: fcfs.FloatArray,
    servers: int,
    policy: routing.Policy,
    scv: float,
) -> fcfs.FloatArray:
    """Start times under ``policy``; the random draws of the routing come after the rest."""
    if policy == "random":
        replica = rng.integers(servers, size=len(arrivals))
        return routing.start_times_random(arrivals, services, replica, servers)
    if policy == "jsq":
        return routing.start_times_jsq(arrivals, services, servers, int(rng.integers(2**62)))
    return start_times(arrivals, services, servers, equal_service=scv == 0.0)


def mgc_response_times(
    arrival_rate: float,
    servers: int,
    customers: int,
    seed: int,
    mean_service: float = 1.0,
    scv: float = 1.0,
    family: Family = "gamma",
    *,
    fixed_delay: float = 0.0,
    warmup_customers: int = 0,
    policy: routing.Policy = "pooled",
) -> fcfs.FloatArray:
    """Response times ``fixed_delay + W + S`` of ``customers`` successive customers.

    The time unit is that of ``mean_service``, ``fixed_delay`` and ``1 / arrival_rate``.
    ``numpy.random.default_rng(seed)`` draws all inter-arrival gaps, then all service times,
    then the routing's choices (``policy``, module doc): the policies see the same studies.

    >>> times = mgc_response_times(0.5, servers=2, customers=1000, seed=1, scv=0.0)
    >>> times.shape, bool(times.min() >= 1.0)
    ((1000,), True)
    """
    check_mgc(arrival_rate, servers, mean_service, scv, family)
    delay = float(fixed_delay)
    if not (math.isfinite(delay) and delay >= 0.0):
        raise ValueError(f"fixed_delay must be a finite number >= 0; got {fixed_delay!r}")
    servers, seed = int(servers), _count("seed", seed, 0)
    total = _count("customers", customers, 1) + _count("warmup_customers", warmup_customers, 0)
    policy = routing.policy(policy)
    if policy == "random":  # follow k of the c independent replicas (module doc)
        sampled = routing.replicas_sampled(servers, total)
        arrival_rate, servers = arrival_rate * sampled / servers, sampled
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / arrival_rate, size=total))
    services = service_times(rng, total, float(mean_service), float(scv), _family(family))
    starts = _routed_start_times(rng, arrivals, services, servers, policy, float(scv))
    times = starts - arrivals
    times += services
    if delay:
        times += delay
    return times[warmup_customers:]


def exact_response_quantile(
    arrival_rate: float,
    servers: int,
    mean_service: float,
    scv: float,
    family: Family = "gamma",
    q: float = 0.99,
    *,
    fixed_delay: float = 0.0,
) -> float | None:
    """The exact q-quantile of ``fixed_delay + W + S`` where one is known, else None.

    M/D/c for scv = 0 (Crommelin 1932, Franx 2001), M/M/c for the gamma law with scv = 1
    (Erlang C); see :mod:`constraintlab.simulate.exact`. None too for an M/D/c queue so close
    to rho = 1 that its chain would pass ``MAX_CHAIN_STATES`` (the simulation still judges).
    """
    from constraintlab.simulate.exact import (
        MAX_CHAIN_STATES,
        mdc_chain_states,
        mdc_response_quantile,
        mmc_response_quantile,
    )

    check_mgc(arrival_rate, servers, mean_service, scv, family)
    if scv == 0.0:
        if mdc_chain_states(arrival_rate, servers, mean_service) > MAX_CHAIN_STATES:
            return None
        return fixed_delay + mdc_response_quantile(arrival_rate, servers, mean_service, q)
    if scv == 1.0 and family == "gamma":
        return fixed_delay + mmc_response_quantile(arrival_rate, servers, mean_service, q)
    return None


def mg1_mean_wait(arrival_rate: float, mean_service: float, scv: float) -> float:
    """Pollaczek-Khinchine: E[W] = rho (1 + scv) E[S] / (2 (1 - rho)) for M/G/1, any law."""
    rho = check_mgc(arrival_rate, 1, mean_service, scv, "gamma")
    return rho * (1.0 + scv) * mean_service / (2.0 * (1.0 - rho))
