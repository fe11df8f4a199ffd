"""Benchmark: our FCFS queue simulator against SimPy and Ciw on one M/M/8 queue. Prints JSON.

The queue: Poisson arrivals at 5.6 per unit time, 8 servers, exponential service of mean 1
(utilisation 0.7), starting empty, no warm-up discarded, for every system. Each system's P99
of the response time is compared with the exact Erlang-C value
(:func:`constraintlab.simulate.mmc_response_quantile`).

* constraintlab: :func:`constraintlab.simulate.response_times`, 1,000,000 customers; wall time
  is the median of 5 runs (seeds 0-4, random draws included), the P99 is seed 0's.
* SimPy: the textbook model (a source process, one process per customer holding a
  ``Resource`` of capacity 8); random draws made up front with numpy, which only helps it.
* Ciw: ``create_network`` / ``simulate_until_max_customers(..., method="Finish")``, response
  time = exit date - arrival date from the records.

SimPy gets the very draws ours uses for seed 0, so it simulates the same sample path; the
largest difference between the two sorted sets of response times is reported (rounding only).
SimPy and Ciw run once each, Ciw on 200,000 customers (see ``customers``) to keep the whole
benchmark under a minute; customers/s do not depend on the run length. Also reported: our other
code paths (M/M/1 and M/D/c use vectorised Lindley forms, M/M/c the time-parallel repair,
and the plain heap recursion they are checked against).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from constraintlab.simulate import fcfs, mmc_response_quantile, response_times

RATE, SERVERS, MEAN_SERVICE = 5.6, 8, 1.0
OURS_CUSTOMERS, SIMPY_CUSTOMERS, CIW_CUSTOMERS = 1_000_000, 1_000_000, 200_000


def _simpy_response_times(customers: int, seed: int) -> np.ndarray:
    import simpy

    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / RATE, customers).tolist()
    services = rng.exponential(MEAN_SERVICE, customers).tolist()
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    times: list[float] = []

    def customer(service: float) -> Any:
        arrived = env.now
        with servers.request() as request:
            yield request
            yield env.timeout(service)
        times.append(env.now - arrived)

    def source() -> Any:
        for gap, service in zip(gaps, services, strict=True):
            yield env.timeout(gap)
            env.process(customer(service))

    env.process(source())
    env.run()
    return np.array(times)


def _ciw_response_times(customers: int, seed: int) -> np.ndarray:
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=RATE)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / MEAN_SERVICE)],
        number_of_servers=[SERVERS],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(customers, method="Finish")
    records = simulation.get_all_records()
    return np.array([r.exit_date - r.arrival_date for r in records if r.record_type == "service"])


def _timed(run: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    times = run()
    return time.perf_counter() - start, times


def _row(
    customers: int, wall_s: float, times: np.ndarray, exact: float, how: str
) -> dict[str, Any]:
    p99 = float(np.quantile(times, 0.99))
    return {
        "customers": customers,
        "customers_returned": int(times.size),
        "wall_s": wall_s,
        "customers_per_s": customers / wall_s,
        "p99": p99,
        "p99_relative_error": p99 / exact - 1.0,
        "timing": how,
    }


def bench_ours(exact: float) -> tuple[dict[str, Any], np.ndarray]:
    response_times(RATE, SERVERS, 10_000, 99)  # first-call imports out of the timing
    runs = [
        _timed(partial(response_times, RATE, SERVERS, OURS_CUSTOMERS, seed)) for seed in range(5)
    ]
    wall = statistics.median(w for w, _ in runs)
    row = _row(OURS_CUSTOMERS, wall, runs[0][1], exact, "median of 5 runs; P99 of seed 0")
    return row, runs[0][1]


def _paths_customers_per_s(customers: int = 1_000_000) -> dict[str, float]:
    """Customers/s of each code path (best of 3; random draws included except for the heap)."""

    def best(run: Callable[[], object]) -> float:
        walls = []
        for _ in range(3):
            start = time.perf_counter()
            run()
            walls.append(time.perf_counter() - start)
        return customers / min(walls)

    rng = np.random.default_rng(7)
    arrivals = np.cumsum(rng.exponential(1.0 / RATE, customers))
    services = rng.exponential(MEAN_SERVICE, customers)
    return {
        "M/M/1 rho 0.7 (Lindley, vectorised)": best(lambda: response_times(0.7, 1, customers, 1)),
        "M/D/8 rho 0.7 (c interleaved Lindley)": best(
            lambda: response_times(RATE, SERVERS, customers, 1, "det")
        ),
        "M/M/8 rho 0.9 (time-parallel)": best(lambda: response_times(7.2, 8, customers, 1)),
        "M/M/8 rho 0.97 (time-parallel, many repairs)": best(
            lambda: response_times(7.76, 8, customers, 1)
        ),
        "M/M/8 rho 0.7 heap recursion, no draws (the reference)": best(
            lambda: fcfs.start_times_sequential(arrivals, services, SERVERS)
        ),
    }


def _model_paths() -> dict[str, Any]:
    """The paths the model's checks use (contract claim 15): customers/s of M/G/c with the
    stated service laws, events/s of the availability sweep, and one whole design check."""
    from constraintlab import Design
    from constraintlab.simulate.availability import FleetAvailability, simulate_availability
    from constraintlab.simulate.fleet import check_design
    from constraintlab.simulate.goodput import CheckpointedJob, simulate_goodput
    from constraintlab.simulate.mgc import mgc_response_times

    def wall(run: Callable[[], object]) -> float:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    customers, rate = 1_000_000, 1157.4
    queues = {
        "M/D/32 rho 0.7 (deterministic, interleaved Lindley)": (32, 0.0, "gamma"),
        "M/G/32 rho 0.7, gamma scv 0.1 (time-parallel)": (32, 0.1, "gamma"),
        "M/G/192 rho 0.7, gamma scv 0.1 (no-wait stretches: c > 64)": (192, 0.1, "gamma"),
        "M/G/1918 rho 0.7, gamma scv 0.1 (no-wait stretches: c > 64)": (1918, 0.1, "gamma"),
        "M/G/32 rho 0.7, lognormal scv 0.5 (time-parallel)": (32, 0.5, "lognormal"),
    }
    mgc = {
        name: customers
        / wall(
            lambda c=c, scv=scv, family=family: mgc_response_times(
                rate, c, customers, 1, 0.7 * c / rate, scv, family
            )
        )
        for name, (c, scv, family) in queues.items()
    }
    # anchor for the many-server path: the heap recursion on the same draws, same run
    rng = np.random.default_rng(3)
    arrivals = np.cumsum(rng.exponential(1.0 / rate, customers))
    services = rng.gamma(10.0, 0.7 * 1918 / rate / 10.0, customers)
    heap_s = wall(lambda: fcfs.start_times_sequential(arrivals, services, 1918))
    stretches_s = wall(lambda: fcfs.start_times_many_servers(arrivals, services, 1918))
    fleet = FleetAvailability(64, 8, 2_000.0, 30.0, 60)
    events_h = (
        2 * 64 * fleet.replica_failure_rate_per_h / (1 + fleet.replica_failure_rate_per_h * 0.5)
    )
    hours = 2_000_000 / events_h
    availability_s = wall(lambda: simulate_availability(fleet, 2, 0, horizon_hours=hours)) / 2
    job = CheckpointedJob(1_000.0, 30.0, 120.0, 2.0, 2_000.0)
    goodput_s = wall(lambda: simulate_goodput(job, years=5.0, replications=2))
    check_design(Design(), requests=10_000, availability_events=10_000)  # imports out of timing
    design_s = {
        "quick_check (200k requests, 200k availability events)": wall(
            lambda: check_design(Design(), requests=200_000, availability_events=200_000)
        ),
        "validate default (1M requests, 2M availability events)": wall(
            lambda: check_design(Design())
        ),
    }
    return {
        "mgc_customers_per_s": mgc,
        "many_servers_c1918_vs_heap_same_draws": {
            "stretches_s": stretches_s,
            "heap_s": heap_s,
            "speedup": heap_s / stretches_s,
        },
        "availability_events_per_s": 2_000_000 / availability_s,
        "goodput_simulated_years_per_s": 10.0 / goodput_s,
        "check_design_wall_s_published_default": design_s,
    }


def main() -> None:
    exact = mmc_response_quantile(RATE, SERVERS, MEAN_SERVICE, 0.99)
    load = os.getloadavg()[0]
    ours, our_times = bench_ours(exact)
    wall, times = _timed(lambda: _simpy_response_times(SIMPY_CUSTOMERS, 0))
    simpy_row = _row(SIMPY_CUSTOMERS, wall, times, exact, "one run, seed 0")
    # same seed, same draws (gaps then services): SimPy must reproduce our sample path
    same_path = float(np.max(np.abs(np.sort(times) - np.sort(our_times[: times.size]))))
    wall, times = _timed(lambda: _ciw_response_times(CIW_CUSTOMERS, 0))
    ciw_row = _row(CIW_CUSTOMERS, wall, times, exact, "one run, seed 0")
    import ciw
    import simpy

    speedup = ours["customers_per_s"] / simpy_row["customers_per_s"]
    report = {
        "queue": {
            "model": "M/M/8 FCFS, starts empty",
            "arrival_rate": RATE,
            "servers": SERVERS,
            "mean_service": MEAN_SERVICE,
            "utilisation": RATE * MEAN_SERVICE / SERVERS,
        },
        "exact_p99": exact,
        "exact_method": "Erlang C response-time tail P(T > t) = 0.01, Brent's method",
        "systems": {"constraintlab": ours, "simpy": simpy_row, "ciw": ciw_row},
        "simpy_same_draws_max_abs_difference": same_path,
        "speedup_customers_per_s": {
            "vs_simpy": speedup,
            "vs_ciw": ours["customers_per_s"] / ciw_row["customers_per_s"],
        },
        "goals": {
            "at_least_100x_simpy": speedup >= 100.0,
            "p99_within_1_percent_of_exact": abs(ours["p99_relative_error"]) < 0.01,
        },
        "our_code_paths_customers_per_s": _paths_customers_per_s(),
        "model_check_paths": _model_paths(),
        "environment": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "simpy": simpy.__version__,
            "ciw": ciw.__version__,
            "cpus": os.cpu_count(),
            "load_average_1min_at_start": load,
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
