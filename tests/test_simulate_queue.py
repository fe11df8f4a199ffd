"""The FCFS queue simulator: exact recursions, the sampled queue against exact results, errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constraintlab.simulate import (
    exact,
    fcfs,
    p_quantile_ci,
    replication_ci,
    response_quantile,
    response_times,
)
from constraintlab.simulate.queue import Service


def _naive_starts(arrivals: np.ndarray, services: np.ndarray, servers: int) -> np.ndarray:
    """The definition, spelled out: each customer takes the server that frees first."""
    free = [0.0] * servers
    starts = []
    for arrival, service in zip(arrivals.tolist(), services.tolist(), strict=True):
        server = min(range(servers), key=free.__getitem__)
        start = max(arrival, free[server])
        free[server] = start + service
        starts.append(start)
    return np.array(starts)


@st.composite
def _queues(draw: st.DrawFn, max_customers: int = 300) -> tuple[np.ndarray, np.ndarray, int]:
    """Arrival and service times on a grid of quarters, so ties and zero services occur."""
    count = draw(st.integers(1, max_customers))
    servers = draw(st.integers(1, 6))
    gaps = draw(st.lists(st.integers(0, 6), min_size=count, max_size=count))
    services = draw(st.lists(st.integers(0, 12 * servers), min_size=count, max_size=count))
    return np.cumsum(np.array(gaps) / 4.0), np.array(services) / 4.0, servers


# ---- the recursions ----------------------------------------------------------------------


def test_a_hand_worked_two_server_queue() -> None:
    arrivals = np.array([0.0, 0.0, 0.0, 5.0, 5.5])
    services = np.array([1.0, 2.0, 3.0, 1.0, 1.0])
    # third waits for the first server (free at 1); at 5 both are free again
    expected = np.array([0.0, 0.0, 1.0, 5.0, 5.5])
    assert np.array_equal(fcfs.start_times_sequential(arrivals, services, 2), expected)
    assert np.array_equal(fcfs.start_times_time_parallel(arrivals, services, 2), expected)


@settings(max_examples=150, deadline=None)
@given(_queues())
def test_heap_recursion_is_the_definition(queue: tuple[np.ndarray, np.ndarray, int]) -> None:
    arrivals, services, servers = queue
    expected = _naive_starts(arrivals, services, servers)
    assert np.array_equal(fcfs.start_times_sequential(arrivals, services, servers), expected)


@settings(max_examples=150, deadline=None)
@given(
    _queues(max_customers=600),
    st.sampled_from([(8, 4), (16, 8), (32, 8), (64, 64)]),
    st.integers(0, 4),
)
def test_time_parallel_equals_the_sequential_recursion_bit_for_bit(
    queue: tuple[np.ndarray, np.ndarray, int], chunking: tuple[int, int], rounds: int
) -> None:
    arrivals, services, servers = queue
    length, every = chunking
    parallel = fcfs.start_times_time_parallel(
        arrivals,
        services,
        servers,
        chunk_length=length,
        checkpoint_every=every,
        vector_rounds=rounds,
    )
    assert np.array_equal(parallel, fcfs.start_times_sequential(arrivals, services, servers))


@settings(max_examples=100, deadline=None)
@given(_queues())
def test_lindley_forms_match_the_recursion(queue: tuple[np.ndarray, np.ndarray, int]) -> None:
    arrivals, services, servers = queue
    single = fcfs.start_times_single_server(arrivals, services)
    assert np.allclose(single, fcfs.start_times_sequential(arrivals, services, 1), 1e-12, 1e-9)
    service = float(services[0])
    equal = np.full(len(arrivals), service)
    assert np.allclose(
        fcfs.start_times_equal_service(arrivals, service, servers),
        fcfs.start_times_sequential(arrivals, equal, servers),
        1e-12,
        1e-9,
    )


@pytest.mark.parametrize("rho", [0.7, 0.97])
def test_time_parallel_on_a_long_busy_run_equals_the_recursion(rho: float) -> None:
    """200k customers, default chunking: several repair rounds, then sequential repairs."""
    rng = np.random.default_rng(5)
    arrivals = np.cumsum(rng.exponential(1 / (8 * rho), 200_000))
    services = rng.exponential(1.0, 200_000)
    expected = fcfs.start_times_sequential(arrivals, services, 8)
    assert np.array_equal(fcfs.start_times_time_parallel(arrivals, services, 8), expected)


def test_time_parallel_rejects_a_chunk_not_made_of_checkpoints() -> None:
    with pytest.raises(ValueError, match="multiple of checkpoint_every"):
        fcfs.start_times_time_parallel(
            np.zeros(3), np.ones(3), 2, chunk_length=10, checkpoint_every=4
        )


# ---- response_times: what it draws and returns -------------------------------------------


@pytest.mark.parametrize(("servers", "customers"), [(1, 2_000), (8, 2_000), (8, 60_000)])
def test_response_times_are_the_recursion_on_the_seeded_draws(servers: int, customers: int) -> None:
    """Gaps then services from default_rng(seed); 60k customers takes the time-parallel path."""
    rate, mean_service, seed = 0.8 * servers / 2.0, 2.0, 17
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / rate, customers))
    services = rng.exponential(mean_service, customers)
    starts = fcfs.start_times_sequential(arrivals, services, servers)
    times = response_times(rate, servers, customers, seed, "exp", mean_service)
    assert times.dtype == np.float64
    assert times.shape == (customers,)
    assert np.allclose(times, starts - arrivals + services, rtol=1e-12, atol=1e-9)


def test_deterministic_service_response_is_d_plus_a_wait() -> None:
    times = response_times(6.0, 8, 50_000, 3, "det", 1.0)
    assert times.min() == 1.0
    assert np.mean(times == 1.0) > 0.5  # most customers find a free server at rho = 0.75


def test_warmup_customers_are_simulated_then_dropped() -> None:
    full = response_times(0.9, 1, 12_000, 8)
    tail = response_times(0.9, 1, 10_000, 8, warmup_customers=2_000)
    assert np.array_equal(tail, full[2_000:])


def test_seeds_fix_and_change_the_sample_path() -> None:
    first = response_times(5.6, 8, 10_000, 1)
    assert np.array_equal(first, response_times(5.6, 8, 10_000, 1))
    assert not np.array_equal(first, response_times(5.6, 8, 10_000, 2))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"arrival_rate": 0.0}, "arrival_rate must be a finite number > 0; got 0.0"),
        ({"arrival_rate": float("inf")}, "arrival_rate must be a finite number > 0; got inf"),
        ({"arrival_rate": "1"}, "arrival_rate must be a finite number > 0; got '1'"),
        ({"servers": 0}, "servers must be an integer >= 1; got 0"),
        ({"servers": 2.0}, "servers must be an integer >= 1; got 2.0"),
        ({"servers": True}, "servers must be an integer >= 1; got True"),
        ({"customers": 0}, "customers must be an integer >= 1; got 0"),
        ({"seed": -1}, "seed must be an integer >= 0; got -1"),
        ({"service": "gamma"}, "service must be one of 'exp', 'det'; got 'gamma'"),
        ({"mean_service": -1.0}, "mean_service must be a finite number > 0; got -1.0"),
        ({"mean_service": float("nan")}, "mean_service must be a finite number > 0; got nan"),
        ({"arrival_rate": 2.0}, "utilisation .* must be < 1 .* got 1 "),
        ({"warmup_customers": -5}, "warmup_customers must be an integer >= 0; got -5"),
    ],
)
def test_bad_arguments_name_the_argument_value_and_range(
    kwargs: dict[str, Any], fragment: str
) -> None:
    arguments: dict[str, Any] = {
        "arrival_rate": 1.0,
        "servers": 2,
        "customers": 10,
        "seed": 0,
        "service": "exp",
        "mean_service": 1.0,
    } | kwargs
    with pytest.raises(ValueError, match=fragment):
        response_times(**arguments)


# ---- the simulated queue against exact results ---------------------------------------------

# (service, servers, rho, customers per replication, replications, relative tolerance).
# Measured spread of one run's P99 (relative, sd over 20 seeds): at 1e6 customers c = 8 gives
# 0.22 % / 0.25 % / 2.8 % (M/M, rho = 0.3 / 0.7 / 0.9) and 0 / 0.35 % / 1.6 % (M/D); c = 1 gives
# 0.41 % / 1.3 % / 4.0 % (M/M) and 0.19 % / 0.71 % / 2.1 % (M/D); rho = 0.9 runs 1.2 % / 1.0 %
# (M/M/1, M/D/1) and 1.3 % / 1.1 % (M/M/8, M/D/8) at 5e6. Each case pools enough replications
# for its tolerance (1 % for c = 8, 3 % for c = 1) to be at least 3.5 pooled sds.
P99_CASES = [
    ("exp", 1, 0.3, 1_000_000, 2, 0.03),
    ("exp", 1, 0.7, 1_000_000, 8, 0.03),
    ("exp", 1, 0.9, 5_000_000, 8, 0.03),
    ("det", 1, 0.3, 1_000_000, 2, 0.03),
    ("det", 1, 0.7, 1_000_000, 4, 0.03),
    ("det", 1, 0.9, 5_000_000, 8, 0.03),
    ("exp", 8, 0.3, 1_000_000, 2, 0.01),
    ("exp", 8, 0.7, 1_000_000, 4, 0.01),
    ("exp", 8, 0.9, 5_000_000, 24, 0.01),
    ("det", 8, 0.3, 1_000_000, 2, 0.01),
    ("det", 8, 0.7, 1_000_000, 4, 0.01),
    ("det", 8, 0.9, 5_000_000, 20, 0.01),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("service", "servers", "rho", "customers", "replications", "tolerance"),
    P99_CASES,
    ids=[f"M/{'M' if s == 'exp' else 'D'}/{c}-rho{r}" for s, c, r, *_ in P99_CASES],
)
def test_simulated_p99_matches_the_exact_value(
    service: Service, servers: int, rho: float, customers: int, replications: int, tolerance: float
) -> None:
    mean_service = 0.05  # seconds, so that units other than 1 are exercised
    rate = rho * servers / mean_service
    expected = response_quantile(rate, servers, service, mean_service)
    p99s = [
        float(
            np.quantile(
                response_times(
                    rate,
                    servers,
                    customers,
                    seed,
                    service,
                    mean_service,
                ),
                0.99,
            )
        )
        for seed in range(replications)
    ]
    interval = replication_ci(p99s, confidence=0.999)
    assert abs(interval.estimate / expected - 1.0) < tolerance, (interval, expected)
    assert interval.contains(expected), (interval, expected)


@pytest.mark.parametrize("service", ["exp", "det"])
def test_simulated_mean_response_matches_the_exact_mean(service: Service) -> None:
    """M/M/8 and M/D/8 at rho = 0.7: E[T] = E[W] + E[S] (Erlang C; Little on the chain)."""
    rate, servers = 5.6, 8
    waits = (
        exact.mmc_mean_wait(rate, servers)
        if service == "exp"
        else exact.mdc_mean_wait(rate, servers)
    )
    means = [response_times(rate, servers, 500_000, seed, service).mean() for seed in range(4)]
    assert np.mean(means) == pytest.approx(1.0 + waits, rel=0.004)
    assert replication_ci(means, 0.999).contains(1.0 + waits)


def test_simulated_share_of_waiting_customers_matches_the_chain() -> None:
    """M/D/8 at rho = 0.3, where the P99 is D itself: P(W > 0) = P(N >= c) is what is left."""
    probability = 1.0 - exact.mdc_wait_cdf(0.0, 2.4, 8)
    shares = [
        float(np.mean(response_times(2.4, 8, 1_000_000, seed, "det") > 1.0)) for seed in range(4)
    ]
    sd = math.sqrt(probability * (1 - probability) / 1_000_000)  # i.i.d. bound; clustering adds
    assert abs(np.mean(shares) - probability) < 12 * sd
    assert abs(np.mean(shares) / probability - 1) < 0.05


# ---- confidence intervals from replications ------------------------------------------------


def test_p_quantile_ci_uses_the_t_quantile_over_replications() -> None:
    interval = p_quantile_ci([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], q=0.5, confidence=0.99)
    half = 63.65674116287399 * math.sqrt(0.5) / math.sqrt(2)  # t_{0.995, 1} s / sqrt(R)
    assert interval.estimate == 2.5
    assert interval.low == pytest.approx(2.5 - half, 1e-12)
    assert interval.high == pytest.approx(2.5 + half, 1e-12)
    assert interval.contains(30.0) and not interval.contains(40.0)


def test_p_quantile_ci_covers_a_known_quantile() -> None:
    """Exponential(1) samples: the P99 is ln 100; 10 replications of 20k, 99 % interval."""
    rng = np.random.default_rng(4)
    interval = p_quantile_ci([rng.exponential(1.0, 20_000) for _ in range(10)])
    assert interval.contains(math.log(100.0))
    assert interval.high - interval.low < 0.2


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: p_quantile_ci([[1.0]]), "at least 2 replications"),
        (lambda: p_quantile_ci([[1.0], []]), r"samples_per_replication\[1\] is empty"),
        (lambda: p_quantile_ci([[1.0], [2.0]], q=1.5), "q must be"),
        (lambda: replication_ci([1.0, 2.0], confidence=0.0), "confidence must be"),
    ],
)
def test_interval_helpers_reject_bad_input(call: Callable[[], object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        call()
