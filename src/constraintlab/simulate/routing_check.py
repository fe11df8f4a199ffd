"""``validate``'s routing check: the same fleet under pooled, join-the-shortest-queue and random.

The serving model states a routing policy (``serving.routing_policy``): ``pooled``, one FCFS
queue in front of the replicas, which it says join-the-shortest-queue sits close to, or
``random``. This check puts numbers on both halves of that sentence for one design's queue:

* at the design's c replicas, the simulated P99 (99 % interval over independent
  replications) under each of the three policies, beside the model's P99 for pooled (M/G/c)
  and random (M/G/1 at lambda / c); join-the-shortest-queue has no formula here, the pooled
  model stands for it, and the gap between the two is the figure the check reports;
* the replicas the SLO needs under each policy: the model's fewest for pooled and random
  (:func:`constraintlab.model.serving.fewest_replicas`), and for join-the-shortest-queue the
  fewest whose simulated P99 meets the SLO (one run per count, the same studies for every
  count: common random numbers), searched between the pooled and the random counts.

It takes primitives and the model's figures (:class:`RoutingModel`), as the other checks do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

import numpy as np

from constraintlab.simulate.checks import ServingQueue, simulate_p99_ms
from constraintlab.simulate.mgc import mgc_response_times
from constraintlab.simulate.routing import Policy
from constraintlab.simulate.stats import Interval

LABELS: Final[dict[str, str]] = {
    "pooled": "pooled (one queue)",
    "jsq": "shortest queue",
    "random": "random",
}
SEARCH_STUDIES: Final = 200_000  # one run per replica count in the JSQ search
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RoutingModel:
    """The model's figures for one queue: P99 (ms) at its c replicas, and the fewest replicas
    the SLO needs, under pooled and under random routing (None: no count holds the SLO)."""

    pooled_p99_ms: float
    random_p99_ms: float
    pooled_replicas: int | None
    random_replicas: int | None


def simulated_p99_at(queue: ServingQueue, servers: int, studies: int, seed: int) -> float:
    """One run's P99 (ms) of ``queue`` with ``servers`` replicas (a tenth more as warm-up)."""
    times = mgc_response_times(
        queue.arrival_rate_per_s,
        servers,
        studies,
        seed,
        queue.service_mean_ms / 1e3,
        queue.service_scv,
        queue.family,
        fixed_delay=queue.fixed_delay_ms / 1e3,
        warmup_customers=studies // 10,
        policy=queue.routing,
    )
    return float(np.quantile(times, 0.99)) * 1e3


def fewest_simulated(
    queue: ServingQueue,
    meets: Callable[[float], bool],
    low: int,
    high: int,
    seed: int,
    studies: int = SEARCH_STUDIES,
) -> int:
    """The fewest replicas in [low, high] whose simulated P99 (one run of ``studies``)
    ``meets`` the SLO (``high`` if none below it does), galloping up from ``low``, then
    bisecting. Every count sees the same studies (the same seed)."""

    def passes(servers: int) -> bool:
        return meets(simulated_p99_at(queue, servers, studies, seed))

    if passes(low):
        return low
    failing, step, passing = low, 1, high
    while failing + step < high:
        if passes(failing + step):
            passing = failing + step
            break
        failing, step = failing + step, 2 * step
    while passing - failing > 1:
        middle = (failing + passing) // 2
        if passes(middle):
            passing = middle
        else:
            failing = middle
    return passing


def _row(
    policy: Policy, model_p99_ms: float | None, interval: Interval, replicas: int | None, how: str
) -> dict[str, object]:
    return {
        "policy": policy,
        "label": LABELS[policy],
        "model_p99_ms": model_p99_ms,
        "simulated_p99_ms": interval.to_dict(),
        "replicas_for_slo": replicas,
        "replicas_from": how,
    }


def compare_routing(
    queue: ServingQueue,
    model: RoutingModel,
    meets: Callable[[float], bool],
    policy_in_force: str,
    *,
    studies: int = 1_000_000,
    replications: int = 10,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, object]:
    """The three policies at ``queue.servers`` replicas, and the replicas each needs (module
    doc); plain JSON types. ``progress(done, 4)`` after each policy and the search."""
    simulated: dict[str, Interval] = {}
    policies: tuple[Policy, ...] = ("pooled", "jsq", "random")
    for done, policy in enumerate(policies, start=1):
        interval, _ = simulate_p99_ms(replace(queue, routing=policy), studies, replications, seed)
        simulated[policy] = interval
        if progress:
            progress(done, 4)
    jsq_replicas = None
    if model.pooled_replicas is not None and model.random_replicas is not None:
        jsq = replace(queue, routing="jsq")
        jsq_replicas = fewest_simulated(
            jsq,
            meets,
            model.pooled_replicas,
            model.random_replicas,
            seed,
            min(SEARCH_STUDIES, studies),
        )
    if progress:
        progress(4, 4)
    rows = [
        _row("pooled", model.pooled_p99_ms, simulated["pooled"], model.pooled_replicas, "model"),
        _row("jsq", None, simulated["jsq"], jsq_replicas, "simulation"),
        _row("random", model.random_p99_ms, simulated["random"], model.random_replicas, "model"),
    ]
    return {
        "policy_in_force": policy_in_force,
        "replicas": queue.servers,
        "rows": rows,
        "jsq_over_pooled_p99": simulated["jsq"].estimate / simulated["pooled"].estimate,
        "jsq_over_pooled_replicas": _ratio(jsq_replicas, model.pooled_replicas),
        "random_over_pooled_replicas": _ratio(model.random_replicas, model.pooled_replicas),
        "sentence": sentence(rows, queue.servers),
    }


def _ratio(more: int | None, fewer: int | None) -> float | None:
    return None if more is None or not fewer else more / fewer


def sentence(rows: list[dict[str, object]], servers: int) -> str:
    """What the numbers say, from the numbers: JSQ beside pooled, random's extra replicas."""
    by = {str(row["policy"]): row for row in rows}

    def p99(policy: str) -> float:
        interval = by[policy]["simulated_p99_ms"]
        assert isinstance(interval, dict)
        return float(interval["estimate"])

    text = (
        f"At {servers:,} replicas the simulated P99 is {p99('pooled'):,.1f} ms pooled,"
        f" {p99('jsq'):,.1f} ms with join-the-shortest-queue and {p99('random'):,.1f} ms"
        " with random routing."
    )
    pooled, jsq, single = (by[p]["replicas_for_slo"] for p in ("pooled", "jsq", "random"))
    if isinstance(pooled, int) and isinstance(jsq, int) and isinstance(single, int):
        text += (
            f" The SLO needs {pooled:,} replicas pooled, {jsq:,} with join-the-shortest-queue"
            f" ({jsq / pooled:.2f} x, simulated) and {single:,} with random routing"
            f" ({single / pooled:.2f} x)."
        )
    return text
