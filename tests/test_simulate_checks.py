"""The simulator follows the model: M/G/c, availability with restarts, renewal goodput, wording."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constraintlab.simulate import fcfs, replication_ci
from constraintlab.simulate.availability import (
    FleetAvailability,
    binomial_availability,
    short_time_h,
    simulate_availability,
)
from constraintlab.simulate.checks import (
    MetricCheck,
    ServingQueue,
    check_availability,
    check_goodput,
    check_p99,
)
from constraintlab.simulate.goodput import CheckpointedJob, exact_goodput, simulate_goodput
from constraintlab.simulate.mgc import (
    exact_response_quantile,
    mg1_mean_wait,
    mgc_response_times,
    service_times,
)
from constraintlab.simulate.stats import Interval
from constraintlab.simulate.wording import signed

# ---- M/G/c ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("servers", "scv", "name"), [(8, 0.0, "M/D/c, Crommelin"), (6, 1.0, "M/M/c, Erlang C")]
)
def test_simulated_p99_contains_the_exact_quantile_with_the_fixed_delay(
    servers: int, scv: float, name: str
) -> None:
    queue = ServingQueue(servers, 10.0, scv, 7.5, servers * 0.85 / 10e-3)
    check, sample = check_p99(queue, analytic_p99_ms=0.0, customers=400_000, seed=4)
    assert check.reference_name == name and check.reference is not None
    assert check.simulated.contains(check.reference), (check.reference, check.simulated)
    assert sample.min() >= 7.5 + (10.0 if scv == 0 else 0.0) - 1e-9


@pytest.mark.parametrize(("scv", "family"), [(0.5, "gamma"), (2.0, "lognormal"), (0.1, "gamma")])
def test_one_server_mean_wait_matches_pollaczek_khinchine(scv: float, family: str) -> None:
    rate, mean = 0.75, 1.0
    waits = []
    for seed in range(8):
        times = mgc_response_times(rate, 1, 60_000, seed, mean, scv, family, warmup_customers=2_000)  # type: ignore[arg-type]
        waits.append(float(times.mean()) - mean)
    assert replication_ci(waits).contains(mg1_mean_wait(rate, mean, scv))


@pytest.mark.parametrize(("scv", "family"), [(0.25, "gamma"), (1.0, "gamma"), (0.6, "lognormal")])
def test_service_times_have_the_stated_mean_and_scv(scv: float, family: str) -> None:
    draws = service_times(np.random.default_rng(0), 400_000, 3.0, scv, family)  # type: ignore[arg-type]
    assert abs(draws.mean() / 3.0 - 1) < 0.01
    assert abs(draws.var() / draws.mean() ** 2 - scv) < 0.04 * max(scv, 0.25)


def test_no_exact_quantile_is_claimed_where_none_is_known() -> None:
    assert exact_response_quantile(1.0, 2, 1.0, 0.3) is None
    assert exact_response_quantile(1.0, 2, 1.0, 1.0, "lognormal") is None


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.floats(0.05, 0.95),
    st.sampled_from([0.0, 0.3, 1.0, 2.5]),
    st.integers(0, 10_000),
)
def test_one_more_server_never_delays_anyone(
    servers: int, rho: float, scv: float, seed: int
) -> None:
    """FCFS with identical servers: the same arrivals and services, one more server, every
    response time is the same or shorter (and never below the service plus the delay)."""
    rate = rho * servers
    fewer = mgc_response_times(rate, servers, 400, seed, 1.0, scv, fixed_delay=2.0)
    more = mgc_response_times(rate, servers + 1, 400, seed, 1.0, scv, fixed_delay=2.0)
    assert np.all(more <= fewer + 1e-9)
    assert np.all(more >= 2.0)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.floats(0.1, 0.9), st.integers(0, 1000))
def test_deterministic_fast_path_equals_the_heap_recursion(
    servers: int, rho: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / (rho * servers), 500))
    services = np.full(500, 1.0)
    fast = fcfs.start_times_equal_service(arrivals, 1.0, servers)
    assert np.allclose(fast, fcfs.start_times_sequential(arrivals, services, servers), atol=1e-9)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(2, 300),
    st.floats(0.3, 0.98),
    st.sampled_from([0.05, 1.0, 3.0]),
    st.integers(0, 10_000),
    st.sampled_from([16, 256]),
)
def test_many_servers_method_equals_the_heap_recursion_bit_for_bit(
    servers: int, rho: float, scv: float, seed: int, block: int
) -> None:
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / (rho * servers), 3_000))
    services = service_times(rng, 3_000, 1.0, scv)
    fast = fcfs.start_times_many_servers(arrivals, services, servers, heap_block=block)
    assert np.array_equal(fast, fcfs.start_times_sequential(arrivals, services, servers))


def test_many_servers_method_falls_back_on_ties_and_zero_services() -> None:
    arrivals = np.array([0.0, 0.0, 1.0, 1.0, 1.5])
    services = np.array([2.0, 0.0, 1.0, 3.0, 0.5])
    expected = fcfs.start_times_sequential(arrivals, services, 2)
    assert np.array_equal(fcfs.start_times_many_servers(arrivals, services, 2), expected)


def test_bad_queue_parameters_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="scv"):
        mgc_response_times(1.0, 2, 10, 0, 1.0, -0.5)
    with pytest.raises(ValueError, match="family"):
        mgc_response_times(1.0, 2, 10, 0, 1.0, 0.5, "pareto")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="utilisation"):
        ServingQueue(2, 1_000.0, 0.0, 0.0, 5.0)


# ---- availability ----------------------------------------------------------------------------


def test_a_hand_worked_shortfall_sweep() -> None:
    # 3 replicas, at most 1 may be down: two down from 1.0 to 1.5, three from 2 to 2.2
    failures = np.array([0.5, 1.0, 1.8, 2.0])
    returns = np.array([1.5, 2.2, 2.3])
    short, episodes = short_time_h(failures, returns, 0, 1, 3.0)
    # down: 0.5->1, 1.0->2, 1.5->1, 1.8->2, 2.0->3, 2.2->2, 2.3->1
    assert short == pytest.approx(0.5 + 0.5) and episodes == 2


@pytest.mark.parametrize(
    "fleet",
    [
        FleetAvailability(10, 8, 2_000.0, 30.0, 9),
        FleetAvailability(40, 32, 2_000.0, 30.0, 37),
        FleetAvailability(12, 8, 500.0, 120.0, 12),
    ],
)
def test_simulated_availability_contains_the_binomial_value(fleet: FleetAvailability) -> None:
    check = check_availability(fleet, seed=2, most_events=300_000)
    assert check.reference == pytest.approx(binomial_availability(fleet))
    assert check.inside, check.sentence()
    assert 0.0 <= check.simulated.low <= check.simulated.high <= 1.0


def test_every_replica_up_is_one_minus_u_to_the_n() -> None:
    fleet = FleetAvailability(5, 4, 100.0, 60.0, 5)
    u = fleet.replica_unavailability
    assert binomial_availability(fleet) == pytest.approx((1 - u) ** 5)


def test_nothing_seen_gives_a_one_sided_bound_not_a_zero_width_interval() -> None:
    fleet = FleetAvailability(200, 1, 2_000.0, 30.0, 190)  # about 1e-25 short
    interval, episodes, hours = simulate_availability(fleet, 3, 0, horizon_hours=5_000.0)
    assert episodes == 0 and interval.high == 1.0
    assert interval.low == pytest.approx(1 - math.log(100) / (3 * hours) * 0.5)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.integers(1, 32), st.floats(0.0, 1.0))
def test_binomial_availability_grows_with_each_spare(
    required: int, gpus: int, spare_share: float
) -> None:
    spares = int(spare_share * 4)
    fleet = FleetAvailability(required + spares, gpus, 2_000.0, 30.0, required)
    more = FleetAvailability(required + spares + 1, gpus, 2_000.0, 30.0, required)
    assert 0.0 <= binomial_availability(fleet) <= binomial_availability(more) <= 1.0


# ---- goodput -------------------------------------------------------------------------------


@pytest.mark.parametrize("job_gpus", [100.0, 1_000.0, 4_000.0])
def test_simulated_goodput_contains_the_exact_renewal_value(job_gpus: float) -> None:
    job = CheckpointedJob(job_gpus, 30.0, 120.0, 2.0, 2_000.0)
    check = check_goodput(job, seed=9)
    assert check.analytic == exact_goodput(job) and check.inside, check.sentence()


@settings(max_examples=60, deadline=None)
@given(st.floats(1.0, 10_000.0), st.floats(3.0, 240.0), st.floats(0.0, 20.0))
def test_renewal_goodput_is_below_the_failure_free_share_and_falls_with_job_size(
    job_gpus: float, interval_min: float, restart_min: float
) -> None:
    job = CheckpointedJob(job_gpus, interval_min, 120.0, restart_min, 2_000.0)
    bigger = CheckpointedJob(job_gpus * 2, interval_min, 120.0, restart_min, 2_000.0)
    failure_free = (interval_min - 2.0) / interval_min
    assert 0.0 < exact_goodput(bigger) < exact_goodput(job) < failure_free


def test_goodput_simulation_is_reproducible_by_seed() -> None:
    job = CheckpointedJob(500.0, 20.0, 120.0, 2.0, 2_000.0)
    assert simulate_goodput(job, 0.2, 3, seed=5) == simulate_goodput(job, 0.2, 3, seed=5)


# ---- wording comes from the numbers --------------------------------------------------------


@settings(max_examples=200)
@given(st.floats(-1e6, 1e6, allow_nan=False))
def test_a_signed_difference_never_reads_as_zero_unless_it_is(value: float) -> None:
    words = signed(value, " %")
    assert "-0.00 %" not in words and "+0.00 %" not in words
    if value == 0.0:
        assert words == "0 %"
    else:
        assert re.search(r"[1-9]", words) and words[0] == ("+" if value > 0 else "-")


def _check(analytic: float, estimate: float, half: float) -> MetricCheck:
    interval = Interval(estimate, estimate - half, estimate + half, 10, 0.99)
    return MetricCheck("goodput", "Fine-tuning goodput", "%", 100.0, analytic, interval)


def test_a_fifteen_percent_gap_is_called_outside_and_not_small() -> None:
    check = _check(0.6800, 0.8000, 0.0020)  # -15 % of the estimate
    words = check.sentence()
    assert not check.inside and "outside" in words and "small gap" not in words
    assert "-15.0 %" in words and "60 times the interval's half-width" in words
    assert "below 1 in a million" in words


def test_an_agreeing_value_is_called_inside_with_its_distance() -> None:
    words = _check(0.8001, 0.8000, 0.0020).sentence()
    assert "inside" in words and "0.05 of the interval's half-width" in words
    assert "-0.00" not in words


def test_a_value_just_outside_gives_the_chance_that_noise_did_it() -> None:
    check = _check(0.8021, 0.8000, 0.0020)
    assert not check.inside and 0.005 < check.noise_probability < 0.01
    assert f"with probability {check.noise_probability * 100:.2g} %" in check.sentence()


def test_a_zero_width_interval_is_said_to_be_one() -> None:
    check = _check(0.1170, 0.1160, 0.0)
    assert not check.inside and check.noise_probability == 0.0
    assert "every replication gave exactly" in check.sentence()
    assert _check(0.1160, 0.1160, 0.0).inside  # equal is inside, not "infinitely far"
