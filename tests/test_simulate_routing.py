"""Issue 26 item 4, routing, checked by simulation: random routing and join-the-shortest-queue
in the simulator, exact against a brute-force reference; their P99 against the model on small
queues; and ``validate`` showing JSQ beside pooled and random's extra replicas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_runner import run_cli
from constraintlab.model import queueing
from constraintlab.simulate import fcfs, routing
from constraintlab.simulate.checks import ServingQueue, check_p99
from constraintlab.simulate.routing_check import RoutingModel, compare_routing

SERVICE_S = 0.02


def test_jsq_with_one_replica_is_the_fcfs_queue() -> None:
    rng = np.random.default_rng(4)
    arrivals = np.cumsum(rng.exponential(1.0, 2_000))
    services = rng.gamma(2.0, 0.45, 2_000)
    jsq = routing.start_times_jsq(arrivals, services, 1, seed=0)
    assert np.array_equal(jsq, fcfs.start_times_sequential(arrivals, services, 1))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), servers=st.integers(2, 6), load=st.floats(0.3, 0.95))
def test_jsq_sends_every_study_to_a_shortest_queue(seed: int, servers: int, load: float) -> None:
    """Whatever the ties: at its arrival each study joins a replica holding the fewest
    studies, and starts when that replica's last study ends (FCFS, no jockeying)."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / (load * servers), 400))
    services = rng.gamma(2.0, 0.5, 400)
    starts = routing.start_times_jsq(arrivals, services, servers, seed)
    _check_shortest(arrivals, services, starts, servers)


def _check_shortest(
    arrivals: np.ndarray, services: np.ndarray, starts: np.ndarray, servers: int
) -> None:
    """Replay the studies, giving each to a replica that holds the fewest studies at its
    arrival and would start it at the simulated time: one must exist for every study. (Two
    replicas that both fit are idle, or equal to the last bit: either choice is the same.)"""
    queues: list[list[float]] = [[] for _ in range(servers)]  # end times per replica
    for a, s, start in zip(arrivals, services, starts, strict=True):
        counts = [sum(end > a for end in q) for q in queues]
        fewest = min(counts)
        fits = [
            j
            for j, q in enumerate(queues)
            if counts[j] == fewest and np.isclose(max(a, q[-1] if q else 0.0), start, 0, 1e-12)
        ]
        assert fits, (a, start, counts)
        queues[fits[0]].append(start + s)


def test_random_routing_gives_each_replica_its_own_lindley_queue() -> None:
    rng = np.random.default_rng(2)
    arrivals = np.cumsum(rng.exponential(0.5, 3_000))
    services = rng.gamma(3.0, 0.4, 3_000)
    replica = rng.integers(3, size=3_000)
    starts = routing.start_times_random(arrivals, services, replica, 3)
    for j in range(3):
        own = replica == j
        expected = fcfs.start_times_sequential(arrivals[own], services[own], 1)
        assert np.allclose(starts[own], expected, rtol=1e-12, atol=0.0)


def _queue(servers: int, rho: float, scv: float, policy: routing.Policy) -> ServingQueue:
    rate = rho * servers / SERVICE_S
    return ServingQueue(servers, SERVICE_S * 1e3, scv, 0.0, rate, routing=policy)


@pytest.mark.parametrize(("servers", "rho", "scv"), [(4, 0.7, 0.0), (3, 0.8, 0.5), (2, 0.8, 1.0)])
def test_random_routing_p99_agrees_with_the_model_in_its_interval(
    servers: int, rho: float, scv: float
) -> None:
    """The model under random routing: M/G/1 at lambda / c (exact M/D/1, Whitt, M/M/1)."""
    queue = _queue(servers, rho, scv, "random")
    model = queueing.response_quantile(queue.arrival_rate_per_s / servers, 1, SERVICE_S, scv)
    check, _ = check_p99(queue, model.value_s * 1e3, customers=300_000, replications=10)
    assert check.inside, check.sentence()
    pooled = queueing.response_quantile(queue.arrival_rate_per_s, servers, SERVICE_S, scv)
    assert model.value_s > 1.5 * pooled.value_s  # and it is a different queue


def test_jsq_p99_agrees_with_the_pooled_model_in_its_interval_on_a_small_queue() -> None:
    """Two replicas at load 0.7: join-the-shortest-queue is the pooled M/D/c within noise."""
    queue = _queue(2, 0.7, 0.0, "jsq")
    model = queueing.response_quantile(queue.arrival_rate_per_s, 2, SERVICE_S, 0.0)
    check, _ = check_p99(queue, model.value_s * 1e3, customers=300_000, replications=10)
    assert check.inside, check.sentence()
    assert check.reference is None  # no exact JSQ formula is claimed


def test_compare_routing_orders_the_policies_and_states_the_ratios() -> None:
    servers, rho = 6, 0.8
    queue = _queue(servers, rho, 0.0, "pooled")
    rate = queue.arrival_rate_per_s
    model = RoutingModel(
        pooled_p99_ms=queueing.response_quantile(rate, servers, SERVICE_S, 0.0).value_s * 1e3,
        random_p99_ms=queueing.response_quantile(rate / servers, 1, SERVICE_S, 0.0).value_s * 1e3,
        pooled_replicas=servers,
        random_replicas=14,
    )
    report = compare_routing(
        queue, model, lambda p99_ms: p99_ms <= 70.0, "pooled", studies=60_000, replications=5
    )
    rows = {row["policy"]: row for row in report["rows"]}  # type: ignore[attr-defined]
    p99 = {k: row["simulated_p99_ms"]["estimate"] for k, row in rows.items()}
    assert p99["pooled"] <= p99["jsq"] < p99["random"]
    jsq = rows["jsq"]["replicas_for_slo"]
    assert servers <= jsq <= 14 and rows["jsq"]["replicas_from"] == "simulation"
    assert report["random_over_pooled_replicas"] == 14 / servers
    assert f"{jsq:,} with join-the-shortest-queue" in str(report["sentence"])


def test_validate_shows_jsq_beside_pooled_and_random_needing_more_replicas(
    capsys: pytest.CaptureFixture[str],
) -> None:
    flags = ("--model-size-b", "14", "--parallelism", "tp_dp", "--requests", "100000")
    code, out, _ = run_cli(capsys, "validate", *flags, "--availability-events", "50000")
    assert code == 0
    assert "Routing at" in out and "shortest queue" in out and "'pooled'" in out
    code, out, _ = run_cli(capsys, "validate", *flags, "--availability-events", "50000", "--json")
    routing_report = json.loads(out)["routing"]
    rows = {row["policy"]: row for row in routing_report["rows"]}
    pooled, jsq, single = (rows[p]["replicas_for_slo"] for p in ("pooled", "jsq", "random"))
    assert pooled <= jsq < single
    assert routing_report["random_over_pooled_replicas"] > 1.2
    assert routing_report["jsq_over_pooled_replicas"] < 1.1


def test_validate_under_random_routing_simulates_random_routing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "random.toml"
    path.write_text('[serving]\nrouting_policy = "random"\n', encoding="utf-8")
    args = ("--model-size-b", "14", "--parallelism", "tp_dp", "--requests", "200000")
    code, out, _ = run_cli(
        capsys,
        "validate",
        *args,
        "--availability-events",
        "50000",
        "--scenario",
        str(path),
        "--json",
    )
    assert code == 0
    report = json.loads(out)
    assert report["primitives"]["serving"]["routing"] == "random"
    assert report["p99_ms"]["analytic_inside_interval"] is True
    assert report["p99_ms"]["reference_name"].startswith("M/D/1")
    assert report["routing"]["policy_in_force"] == "random"
