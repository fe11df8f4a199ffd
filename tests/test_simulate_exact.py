"""Exact M/M/c and M/D/c results, checked against each other and against classical formulas."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from constraintlab.simulate import exact

UTILISATIONS = (0.3, 0.7, 0.9)


# ---- M/M/c -------------------------------------------------------------------------------


def _erlang_c_by_sums(servers: int, load: float) -> float:
    """Erlang C from its defining sums (Kleinrock 1975, eq. 3.40), for moderate c."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    return top / (sum(load**k / math.factorial(k) for k in range(servers)) + top)


@pytest.mark.parametrize(("servers", "load"), [(1, 0.5), (2, 1.0), (8, 7.2), (20, 15.0)])
def test_erlang_c_matches_its_defining_sums(servers: int, load: float) -> None:
    assert exact.erlang_c(servers, load) == pytest.approx(_erlang_c_by_sums(servers, load), 1e-12)


def test_erlang_c_known_values() -> None:
    assert exact.erlang_c(1, 0.7) == pytest.approx(0.7, abs=1e-15)  # M/M/1: P(wait) = rho
    assert exact.erlang_c(2, 1.0) == pytest.approx(1 / 3, 1e-15)  # 2 rho^2 / (1 + rho)


def test_erlang_c_recursion_is_stable_where_factorials_overflow() -> None:
    value = exact.erlang_c(1_000, 950.0)
    assert 0.0 < value < 1.0
    assert exact.erlang_c(1_000, 990.0) > value


@pytest.mark.parametrize(("rate", "mean_service"), [(0.3, 1.0), (0.9, 1.0), (2.0, 0.25)])
def test_mm1_p99_is_ln100_over_mu_minus_lambda(rate: float, mean_service: float) -> None:
    expected = math.log(100.0) / (1.0 / mean_service - rate)
    assert exact.mmc_response_quantile(rate, 1, mean_service) == pytest.approx(expected, 1e-12)
    assert exact.mmc_response_tail(expected, rate, 1, mean_service) == pytest.approx(0.01, 1e-12)


@pytest.mark.parametrize("servers", [1, 2, 8, 32])
@pytest.mark.parametrize("rho", UTILISATIONS)
def test_mmc_tail_integrates_to_the_erlang_c_mean(servers: int, rho: float) -> None:
    """E[T] = int_0^inf P(T > t) dt must equal E[W] + E[S] = C / (c mu - lambda) + 1/mu."""
    rate, mean_service = rho * servers / 0.5, 0.5
    mean, _ = integrate.quad(
        lambda t: exact.mmc_response_tail(t, rate, servers, mean_service),
        0,
        np.inf,
        epsabs=1e-13,
        epsrel=1e-11,
    )
    expected = exact.mmc_mean_wait(rate, servers, mean_service) + mean_service
    assert mean == pytest.approx(expected, rel=1e-9)


def test_mmc_tail_is_continuous_where_the_two_rates_meet() -> None:
    """c = 2, lambda = mu: theta = c mu - lambda = mu, the Erlang-2 case (1 + mu t) e^{-mu t}."""
    t = 3.0
    tail = exact.mmc_response_tail(t, 1.0, 2, 1.0)
    probability = exact.erlang_c(2, 1.0)
    erlang_2 = (1.0 + t) * math.exp(-t)
    assert tail == pytest.approx((1 - probability) * math.exp(-t) + probability * erlang_2, 1e-14)
    nearby = exact.mmc_response_tail(t, 1.0 + 1e-9, 2, 1.0)
    assert nearby == pytest.approx(tail, abs=1e-8)


@settings(max_examples=40, deadline=None)
@given(
    servers=st.integers(1, 64),
    rho=st.floats(0.05, 0.97),
    q=st.sampled_from([0.5, 0.9, 0.99, 0.999]),
)
def test_mmc_quantile_solves_its_tail_equation(servers: int, rho: float, q: float) -> None:
    rate = rho * servers
    quantile = exact.mmc_response_quantile(rate, servers, 1.0, q)
    assert exact.mmc_response_tail(quantile, rate, servers) == pytest.approx(1 - q, rel=1e-9)


# ---- M/D/c -------------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [*UTILISATIONS, 0.98])
def test_md1_erlang_closed_form_equals_the_chain_method(rho: float) -> None:
    """Two independent exact methods for M/D/1: Erlang (1909) and the embedded chain, c = 1."""
    xs = [0.0, 0.3, 1.0, 1.7, 4.0, 9.5, 25.0, 60.0]
    for x in xs:
        closed = exact.md1_wait_cdf_erlang(x, rho, 1.0)
        chain = exact.mdc_wait_cdf(x, rho, 1, 1.0)
        assert chain == pytest.approx(closed, abs=1e-10), x


def test_md1_erlang_form_survives_the_cancellation_at_large_x() -> None:
    """At x = 200 D the alternating terms reach e^{360}; the tail must still be tiny and right."""
    value = exact.md1_wait_cdf_erlang(200.0, 0.9, 1.0)
    assert value == pytest.approx(exact.mdc_wait_cdf(200.0, 0.9, 1, 1.0), abs=1e-12)
    assert 1.0 - 1e-12 < value <= 1.0 + 1e-12


@pytest.mark.parametrize("rho", [*UTILISATIONS, 0.98])
def test_md1_mean_wait_is_pollaczek_khinchine(rho: float) -> None:
    """P-K: E[W] = lambda E[S^2] / (2 (1 - rho)) = rho D / (2 (1 - rho)) for M/D/1."""
    expected = rho / (2.0 * (1.0 - rho))
    assert exact.mdc_mean_wait(rho, 1, 1.0) == pytest.approx(expected, rel=1e-10)


def _crommelin_mean_wait(servers: int, rho: float, terms: int = 4_000) -> float:
    """E[W] / D = sum_{k>=1} [P(Pois(k c rho) >= k c) - P(Pois(k c rho) >= k c + 1) / rho].

    Crommelin's series for the M/D/c mean wait: uses no stationary distribution at all.
    """
    k = np.arange(1, terms + 1)
    load = k * servers * rho
    series = stats.poisson.sf(k * servers - 1, load) - stats.poisson.sf(k * servers, load) / rho
    return float(series.sum())


@pytest.mark.parametrize("servers", [2, 8, 32])
@pytest.mark.parametrize("rho", UTILISATIONS)
def test_mdc_mean_wait_matches_crommelins_series(servers: int, rho: float) -> None:
    expected = _crommelin_mean_wait(servers, rho)
    assert exact.mdc_mean_wait(rho * servers, servers, 1.0) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("servers", "rho"), [(1, 0.7), (8, 0.3), (8, 0.9), (16, 0.7)])
def test_mdc_wait_cdf_integrates_to_the_mean_wait(servers: int, rho: float) -> None:
    """int_0^inf (1 - F_W(x)) dx, period by period, equals Little's E[(N - c)^+] / lambda."""
    rate = rho * servers
    mean = 0.0
    for k in range(400):
        piece, _ = integrate.quad(
            lambda x: 1.0 - exact.mdc_wait_cdf(x, rate, servers), k, k + 1, epsabs=1e-14
        )
        mean += piece
    assert mean == pytest.approx(exact.mdc_mean_wait(rate, servers), rel=1e-8, abs=1e-12)


@pytest.mark.parametrize("servers", [1, 8, 32])
@pytest.mark.parametrize("rho", UTILISATIONS)
def test_mdc_distribution_keeps_the_servers_busy_rho_of_the_time(servers: int, rho: float) -> None:
    """E[min(N, c)] = lambda D (busy servers), and F_W(0) = P(N < c) (PASTA)."""
    p = exact.mdc_number_in_system(rho * servers, servers, 1.0)
    assert p.sum() == pytest.approx(1.0, abs=1e-14)
    busy = float(np.dot(p, np.minimum(np.arange(len(p)), servers)))
    assert busy == pytest.approx(rho * servers, rel=1e-11)
    assert exact.mdc_wait_cdf(0.0, rho * servers, servers) == pytest.approx(
        p[:servers].sum(), 1e-12
    )


@pytest.mark.parametrize("servers", [1, 3, 8])
def test_mdc_wait_cdf_is_continuous_and_increasing_across_periods(servers: int) -> None:
    rate = 0.9 * servers
    xs = np.linspace(0.0, 12.0, 1201)
    values = np.array([exact.mdc_wait_cdf(x, rate, servers) for x in xs])
    assert np.all(np.diff(values) >= -1e-14)
    for k in range(1, 12):
        before = exact.mdc_wait_cdf(k - 1e-10, rate, servers)
        assert before == pytest.approx(exact.mdc_wait_cdf(float(k), rate, servers), abs=1e-8)


@pytest.mark.parametrize("servers", [1, 8])
@pytest.mark.parametrize("rho", UTILISATIONS)
def test_mdc_quantile_solves_its_cdf_equation(servers: int, rho: float) -> None:
    rate, service = rho * servers, 0.02
    quantile = exact.mdc_response_quantile(rate / service, servers, service)
    wait = quantile - service
    cdf = exact.mdc_wait_cdf(wait, rate / service, servers, service)
    if wait == 0.0:  # the atom at 0 already holds 99 %
        assert cdf >= 0.99
    else:
        assert cdf == pytest.approx(0.99, abs=1e-10)
        assert exact.mdc_wait_cdf(wait * (1 - 1e-6), rate / service, servers, service) < 0.99


def test_wait_distributions_at_the_ends() -> None:
    assert exact.mdc_wait_cdf(-0.5, 0.5, 2) == 0.0
    assert exact.mdc_wait_cdf(float("inf"), 0.5, 2) == 1.0
    assert exact.mmc_response_tail(0.0, 0.5, 2) == 1.0


def test_mdc_p99_is_d_when_fewer_than_1_percent_wait() -> None:
    assert exact.mdc_response_quantile(2.4, 8, 1.0) == 1.0
    assert 1.0 - exact.mdc_wait_cdf(0.0, 2.4, 8) < 0.01


def test_response_quantile_dispatches_on_the_service_law() -> None:
    assert exact.response_quantile(0.5, 1, "exp") == exact.mmc_response_quantile(0.5, 1)
    assert exact.response_quantile(0.5, 1, "det") == exact.mdc_response_quantile(0.5, 1)


def test_md1_has_a_shorter_p99_than_mm1() -> None:
    """Less service variability, less waiting: a sanity ordering that could fail on a bug."""
    for rho in UTILISATIONS:
        assert exact.mdc_response_quantile(rho, 1) < exact.mmc_response_quantile(rho, 1)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: exact.erlang_c(0, 0.5), "servers"),
        (lambda: exact.erlang_c(2, 2.0), "offered_load"),
        (lambda: exact.mmc_response_quantile(1.0, 1), "utilisation"),
        (lambda: exact.mmc_response_quantile(0.5, 1, q=1.0), "q must"),
        (lambda: exact.mdc_response_quantile(-1.0, 2), "arrival_rate"),
        (lambda: exact.mdc_wait_cdf(1.0, 0.5, 1, float("nan")), "mean_service"),
        (lambda: exact.mdc_wait_cdf(-1.0, 2.0, 1), "utilisation"),
        (lambda: exact.mdc_wait_cdf(float("nan"), 0.5, 1), "x must be a number"),
        (lambda: exact.mmc_response_tail(float("nan"), 0.5, 1), "t must be a number"),
    ],
)
def test_exact_functions_reject_bad_queues(call: Callable[[], object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        call()
