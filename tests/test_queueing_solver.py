"""Contract claim 16: the serving queue's P99 is exact where the exact method fits a fixed
budget, bounded by a stated, tested error bound where it does not, and never costs more than
that budget whatever the load, the replica count or the arrival rate."""

from __future__ import annotations

import itertools
import math
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constraintlab.model import queueing
from constraintlab.simulate import exact
from constraintlab.simulate.checks import ServingQueue, check_p99

SHIPPED_RATE = 1157.4


def _queue(servers: int, rho: float, service_s: float) -> tuple[float, int, float]:
    return rho * servers / service_s, servers, service_s


@pytest.mark.parametrize(
    ("servers", "rho", "service_s"),
    [
        (1, 0.5, 0.02),
        (2, 0.75, 0.015),
        (8, 0.72, 0.005),
        (21, 0.915, 0.0166),
        (20, 0.995, 0.0172),
        (120, 0.9645, 0.1),
        (700, 0.9755, 0.59),
        (300, 0.9, 0.3),
    ],
)
def test_the_fft_factorisation_equals_the_independent_truncated_chain(
    servers: int, rho: float, service_s: float
) -> None:
    rate, c, d = _queue(servers, rho, service_s)
    found = queueing.mdc_response_quantile(rate, c, d)
    assert found.method == "exact"
    assert found.value_s == pytest.approx(exact.mdc_response_quantile(rate, c, d, 0.99), rel=1e-8)


@settings(max_examples=60, deadline=None)
@given(
    servers=st.integers(1, 3000),
    rho=st.floats(0.05, 0.9999999),
    service_ms=st.floats(0.5, 2000.0),
)
def test_kingmans_bracket_holds_the_quantile_and_is_at_most_d_wide(
    servers: int, rho: float, service_ms: float
) -> None:
    rate, c, d = _queue(servers, rho, service_ms / 1e3)
    low, high = queueing.mdc_p99_bracket_s(rate, c, d)
    assert 0.0 <= high - low <= d + 1e-12 * high
    found = queueing.mdc_response_quantile(rate, c, d)
    assert math.isfinite(found.value_s)
    assert low * (1 - 1e-9) <= found.value_s <= high * (1 + 1e-9)


@settings(max_examples=40, deadline=None)
@given(
    servers=st.integers(1, 10_000_000),
    rho=st.floats(0.01, 1.0 - 1e-12, exclude_max=True),
    service_ms=st.floats(0.05, 5000.0),
)
def test_no_quantile_passes_the_memory_budget_or_returns_nan(
    servers: int, rho: float, service_ms: float
) -> None:
    rate, c, d = _queue(servers, rho, service_ms / 1e3)
    if c <= rate * d:  # rounding put the load on the servers: unstable, said as inf
        return
    tracemalloc.start()
    try:
        found = queueing.mdc_response_quantile(rate, c, d)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert math.isfinite(found.value_s) and found.value_s >= d
    assert peak < 64 * 2**20  # a few arrays of at most MAX_POINTS complex numbers
    assert queueing.fft_points(rate * d, c) <= queueing.MAX_POINTS or found.method == "bounded"


def test_heavy_traffic_is_bracketed_not_truncated() -> None:
    """serving_mfu = 0.45 put 20.99998 studies' worth of load on 21 replicas: the old chain
    asked for 10 GiB. The bracket answers at once, and its P99 is far past any SLO."""
    found = queueing.mdc_response_quantile(SHIPPED_RATE, 21, 20.99998 / SHIPPED_RATE)
    assert found.method == "bounded"
    assert found.high_s - found.low_s <= 20.99998 / SHIPPED_RATE
    assert found.low_s > 1_000.0  # seconds


@pytest.mark.parametrize("scv", [0.0, 0.05, 0.5, 1.0, 2.5, 4.0])
@pytest.mark.parametrize(("servers", "rho"), [(1, 0.3), (21, 0.9), (21, 0.9999999), (5000, 0.99)])
def test_every_scv_gives_a_finite_quantile_above_the_service_time(
    scv: float, servers: int, rho: float
) -> None:
    rate, c, d = _queue(servers, rho, 0.0166)
    value = queueing.response_quantile_s(rate, c, d, scv)
    assert math.isfinite(value) and value > 0.5 * d


def test_the_approximation_joins_the_exact_m_d_c_as_scv_goes_to_zero() -> None:
    rate, c, d = _queue(21, 0.915, 0.0166)
    at_zero = queueing.response_quantile_s(rate, c, d, 0.0)
    nearby = [queueing.response_quantile_s(rate, c, d, s) for s in (1e-9, 1e-6, 1e-4)]
    assert nearby[0] == pytest.approx(at_zero, rel=1e-6)
    assert nearby[1] == pytest.approx(at_zero, rel=1e-4)
    assert abs(nearby[2] - at_zero) < abs(nearby[1] - at_zero) * 200
    assert queueing.response_quantile_s(rate, c, d, 1.0 - 1e-9) == pytest.approx(
        queueing.response_quantile_s(rate, c, d, 1.0 + 1e-9), rel=1e-6
    )


def test_the_quantile_falls_as_replicas_are_added_across_the_method_boundary() -> None:
    d = 0.0166
    rate = 20.99998 / d
    values = [queueing.mdc_response_quantile(rate, c, d).value_s for c in range(21, 40)]
    assert all(a >= b for a, b in itertools.pairwise(values))


def test_the_simulator_judges_the_solver_near_rho_one() -> None:
    """The engine's P99 lies inside the simulated queue's 99 % interval at rho = 0.97."""
    rate, c, d = _queue(20, 0.97, 0.010)
    engine_ms = queueing.mdc_response_quantile(rate, c, d).value_s * 1e3
    queue = ServingQueue(c, d * 1e3, 0.0, 0.0, rate)
    check, _ = check_p99(queue, engine_ms, customers=600_000, replications=10, seed=3)
    assert check.inside, check.sentence


def test_the_simulator_judges_whitts_approximation_at_scv_one_half() -> None:
    """Gamma service with SCV 0.5 at rho = 0.92: the engine's P99 inside the 99 % interval."""
    rate, c, d = _queue(56, 0.923, 0.0166)
    engine_ms = queueing.response_quantile_s(rate, c, d, 0.5) * 1e3
    queue = ServingQueue(c, d * 1e3, 0.5, 0.0, rate, "gamma")
    check, _ = check_p99(queue, engine_ms, customers=400_000, replications=10, seed=5)
    assert check.inside, check.sentence
