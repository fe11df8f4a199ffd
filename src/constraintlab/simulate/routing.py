"""Start times of c replicas that each keep their own FCFS queue, under a routing policy.

The serving model's ``serving.routing_policy`` (:mod:`constraintlab.model.serving`) says what
load balancer the fleet has; the simulator runs each policy on the same arrivals and service
times so ``validate`` can compare them:

* ``pooled``: one FCFS queue in front of all replicas, the Kiefer-Wolfowitz recursion of
  :mod:`constraintlab.simulate.fcfs`. It is the same as sending each study, on arrival, to
  the replica with the least work left (the one that frees first).
* ``jsq``, join-the-shortest-queue: each study goes, on arrival, to the replica with the
  fewest studies in it (waiting or in service), ties broken uniformly at random, and waits
  there (no jockeying). It sees counts, not work: a replica with two short studies and one
  with two long ones look alike. Simulated event by event (:func:`start_times_jsq`): the
  departures up to each arrival leave a heap, and the replicas sit in buckets by count, so
  the shortest queue is found without scanning all c.
* ``random``: each study goes to a replica drawn uniformly, whatever its queue. The replicas
  are then independent single-server queues, each fed a Poisson stream of rate lambda / c
  (thinning), and each is Lindley's recursion (:func:`start_times_random`).

Each function returns the start times in the arrivals' order (response = start - a + s).
"""

from __future__ import annotations

import heapq
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from constraintlab.simulate import fcfs

FloatArray = NDArray[np.float64]
Policy = Literal["pooled", "jsq", "random"]
POLICIES: Final[tuple[str, ...]] = ("pooled", "jsq", "random")
STUDIES_PER_SAMPLED_REPLICA: Final = 20_000  # random routing: what each followed replica sees


def policy(value: object) -> Policy:
    """``value`` as a policy, or ValueError naming it and what is allowed."""
    if value == "pooled":
        return "pooled"
    if value == "jsq":
        return "jsq"
    if value == "random":
        return "random"
    raise ValueError(f"policy must be one of {', '.join(map(repr, POLICIES))}; got {value!r}")


def replicas_sampled(servers: int, studies: int) -> int:
    """k: how many of the c independent replicas of a randomly routed fleet a run of
    ``studies`` follows, so that each sees about :data:`STUDIES_PER_SAMPLED_REPLICA` (at
    least one replica, at most c). Their studies' response times have the fleet's law."""
    return max(1, min(servers, studies // STUDIES_PER_SAMPLED_REPLICA))


def start_times_random(
    arrivals: FloatArray, services: FloatArray, replica: NDArray[np.int64], servers: int
) -> FloatArray:
    """Start times when study i goes to replica ``replica[i]`` (drawn uniformly by the caller):
    every replica runs ``start_j = C_j + max_{m <= j}(a_m - C_m)`` on its own studies."""
    order = np.argsort(replica, kind="stable")
    bounds = np.searchsorted(replica[order], np.arange(servers + 1))
    starts = np.empty_like(arrivals)
    for low, high in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if high > low:
            own = order[low:high]
            starts[own] = fcfs.start_times_single_server(arrivals[own], services[own])
    return starts


class _Buckets:
    """Replicas grouped by their count of studies, each group a list with O(1) removal."""

    def __init__(self, servers: int) -> None:
        self.groups: list[list[int]] = [list(range(servers))]
        self.place = list(range(servers))  # replica -> its index in its group
        self.count = [0] * servers
        self.lowest = 0

    def move(self, replica: int, step: int) -> None:
        """Change ``replica``'s count by ``step`` (+1 or -1)."""
        level, groups, place = self.count[replica], self.groups, self.place
        group = groups[level]
        last = group.pop()
        if last != replica:  # the last one fills the hole
            group[place[replica]] = last
            place[last] = place[replica]
        level += step
        if level == len(groups):
            groups.append([])
        place[replica] = len(groups[level])
        groups[level].append(replica)
        self.count[replica] = level
        if level < self.lowest:
            self.lowest = level

    def shortest(self, draw: float) -> int:
        """A replica with the fewest studies, chosen by ``draw`` in [0, 1) among the ties."""
        while not self.groups[self.lowest]:
            self.lowest += 1
        group = self.groups[self.lowest]
        return group[int(draw * len(group))]


def start_times_jsq(
    arrivals: FloatArray, services: FloatArray, servers: int, seed: int
) -> FloatArray:
    """Start times under join-the-shortest-queue (module doc), ties by ``seed``'s draws.

    A replica's queue is FCFS, so a study that joins replica j starts at ``max(a, the end of
    the last study j holds)``; the count of j falls by one at each of its departures."""
    draws = np.random.default_rng(seed).random(len(arrivals)).tolist()
    buckets = _Buckets(servers)
    ends = [0.0] * servers  # when each replica's last study finishes
    departures: list[tuple[float, int]] = []
    starts = []
    push, pop = heapq.heappush, heapq.heappop
    for a, s, draw in zip(arrivals.tolist(), services.tolist(), draws, strict=True):
        while departures and departures[0][0] <= a:
            buckets.move(pop(departures)[1], -1)
        j = buckets.shortest(draw)
        start = a if a > ends[j] else ends[j]
        ends[j] = start + s
        push(departures, (ends[j], j))
        buckets.move(j, +1)
        starts.append(start)
    return np.array(starts, dtype=np.float64)
