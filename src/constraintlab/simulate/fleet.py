"""Monte Carlo checks of a design's fleet: serving P99, serving uptime, fine-tuning goodput.

Each simulation re-creates the engine's model with an independent method and reports an
estimate with a confidence interval from independent replications (Student's t over the
per-replication results), so the analytic number can be checked against it:

* **Serving P99**: Poisson arrivals at the fleet's rate into the engine's replicas, FCFS,
  exponential service with the engine's mean service time (the engine's stated assumption),
  simulated customer by customer with :func:`constraintlab.simulate.response_times`.
* **Serving availability**: each of the n replicas alternates between up, for an
  exponential time of mean MTBF / g, and down for the 30-minute restart; the SLO holds while
  at most n - r replicas are down. Sample paths over simulated years check the engine's
  binomial availability.
* **Fine-tuning goodput**: the checkpointed job, segment by segment: each interval of T
  minutes of wall time is T - C of work and a C = 120 s checkpoint write; failures at
  lambda = N / MTBF interrupt it, each costing the work since the last checkpoint plus the
  restart R. The engine's Young-Daly waste ``C/T + lambda (T/2 + R)`` is first order in
  lambda T; :func:`exact_goodput` gives this renewal process's exact mean,
  ``(T - C) / ((1/lambda + R)(e^{lambda T} - 1))``, and the tests document how far the
  first-order formula drifts when lambda T is not small.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from constraintlab.model import scenario as sc
from constraintlab.model import training
from constraintlab.model.design import Design
from constraintlab.model.engine import Scorecard, evaluate
from constraintlab.model.serving import serving_plan

Progress = Callable[[int], None]  # called with the number of replications finished


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval (same unit)."""

    estimate: float
    low: float
    high: float
    replications: int
    confidence: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def to_dict(self) -> dict[str, float | int]:
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "replications": self.replications,
            "confidence": self.confidence,
        }


def t_interval(samples: np.ndarray, confidence: float = 0.99) -> Interval:
    """Mean and Student-t interval of independent replication results (see ``stats``)."""
    from constraintlab.simulate.stats import replication_ci

    values = np.asarray(samples, dtype=np.float64)
    if float(values.std(ddof=1)) == 0.0:  # e.g. no shortfall in any replication
        mean = float(values.mean())
        return Interval(mean, mean, mean, len(values), confidence)
    ci = replication_ci(values, confidence)
    return Interval(ci.estimate, ci.low, ci.high, len(values), confidence)


def simulate_p99_ms(
    design: Design,
    customers: int = 400_000,
    replications: int = 10,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[Interval, np.ndarray]:
    """Simulated P99 of the design's serving fleet (ms), and one replication's response times."""
    from constraintlab.simulate import response_times

    plan = serving_plan(design.model_size_b, design.parallelism)
    per_run = max(1_000, customers // replications)
    p99s, sample = [], np.empty(0)
    for i in range(replications):
        times_s = response_times(
            sc.ARRIVAL_RATE_PER_S,
            plan.replicas,
            per_run,
            seed + i,
            service="det" if plan.service_scv == 0.0 else "exp",
            mean_service=plan.service_mean_ms / 1e3,
        )
        times_s = times_s + plan.fixed_delay_ms / 1e3
        p99s.append(float(np.quantile(times_s, 0.99)) * 1e3)
        if i == 0:
            sample = times_s * 1e3
        if progress:
            progress(i + 1)
    return t_interval(np.array(p99s)), sample


def _down_fraction(
    failure_times_h: np.ndarray, repair_h: float, spares: int, horizon_h: float
) -> float:
    """Share of [0, horizon] with more than ``spares`` replicas under repair (a sweep)."""
    starts = failure_times_h
    ends = np.minimum(failure_times_h + repair_h, horizon_h)
    times = np.concatenate([starts, ends])
    steps = np.concatenate([np.ones_like(starts), -np.ones_like(ends)])
    order = np.lexsort((steps, times))  # at equal times, repairs (-1) before failures
    times, steps = times[order], steps[order]
    down = np.cumsum(steps)
    spans = np.diff(np.append(times, horizon_h))
    return float(spans[down > spares].sum() / horizon_h)


def uptime_horizon_years(design: Design, episodes: float = 5.0) -> float:
    """Years per replication so that about ``episodes`` capacity shortfalls are expected.

    Shortfalls are rare events (an approved fleet runs short ~1e-7 of the time); a fixed
    horizon would see none. Expected episodes ~ hours x unavailability x (s + 1) / R.
    The analytic value only sizes the run; it does not enter the estimate.
    """
    plan = serving_plan(design.model_size_b, design.parallelism)
    up = plan.availability
    unavailable = max(1.0 - up.availability, 1e-12)
    repair_h = sc.COLD_RESTART_MIN / 60.0
    hours = episodes * repair_h / ((up.spare_replicas + 1) * unavailable)
    failures_per_year = up.replica_failures_per_day * 365.0
    most_years = 2_000_000 / max(failures_per_year, 1.0)  # memory: ~2 M failures a replication
    return float(min(max(hours / 8_760.0, 5.0), most_years))


def simulate_uptime(
    design: Design,
    years: float | None = None,
    replications: int = 12,
    seed: int = 0,
    progress: Progress | None = None,
) -> Interval:
    """Simulated full-capacity uptime (fraction) of the design's serving fleet."""
    plan = serving_plan(design.model_size_b, design.parallelism)
    up = plan.availability
    horizon_h = (years if years is not None else uptime_horizon_years(design)) * 8_760.0
    repair_h = sc.COLD_RESTART_MIN / 60.0
    mean_up_h = sc.GPU_MTBF_H / up.gpus_per_replica
    cycles = int(
        horizon_h / (mean_up_h + repair_h) * 1.3 + 20 * (horizon_h / mean_up_h) ** 0.5 + 20
    )
    rng = np.random.default_rng(seed)
    results = []
    for i in range(replications):
        # each replica alternates: up for Exp(MTBF / g), then down for the restart R
        ups = rng.exponential(mean_up_h, size=(up.n_replicas, cycles))
        failures = np.cumsum(ups + repair_h, axis=1) - repair_h
        failures = np.sort(failures[failures < horizon_h])
        down = _down_fraction(failures, repair_h, up.spare_replicas, horizon_h)
        results.append(1.0 - down)
        if progress:
            progress(i + 1)
    return t_interval(np.array(results))


def _one_job_goodput(
    rng: np.random.Generator, interval_h: float, rate_per_h: float, horizon_h: float
) -> float:
    checkpoint_h, restart_h = training.checkpoint_write_h(), training.restart_h()
    work_h = interval_h - checkpoint_h  # the interval runs from one checkpoint start to the next
    clock = useful = 0.0
    while clock < horizon_h:
        gaps = rng.exponential(1.0 / rate_per_h, size=256)
        for gap in gaps:
            if gap >= interval_h:
                clock += interval_h
                useful += work_h
            else:
                clock += gap + restart_h
            if clock >= horizon_h:
                break
    return useful / clock


def simulate_goodput(
    design: Design,
    years: float = 1.0,
    replications: int = 10,
    seed: int = 0,
    progress: Progress | None = None,
) -> Interval:
    """Simulated goodput (fraction of wall time doing new work) of the fine-tuning job."""
    card = evaluate(design)
    rate_per_h = card.budget.training_gpus / sc.GPU_MTBF_H
    rng = np.random.default_rng(seed)
    results = []
    for i in range(replications):
        results.append(
            _one_job_goodput(
                rng, design.checkpoint_interval_min / 60.0, rate_per_h, years * 8_760.0
            )
        )
        if progress:
            progress(i + 1)
    return t_interval(np.array(results))


def exact_goodput(interval_min: float, failure_rate_per_h: float) -> float:
    """Exact mean goodput of the simulated job: (T - C) / ((1/lambda + R)(e^{lambda T} - 1)).

    A segment of wall time T (work T - C, then the write C) completes only if no failure
    falls inside it; each failure costs the time since the segment began plus R. The mean
    time to complete a segment of such a renewal process is (1/lambda + R)(e^{lambda T} - 1).
    """
    t_h = interval_min / 60.0
    rate = failure_rate_per_h
    per_segment_h = (1.0 / rate + training.restart_h()) * math.expm1(rate * t_h)
    return (t_h - training.checkpoint_write_h()) / per_segment_h


def analytic_goodput(card: Scorecard) -> float:
    """The engine's exact renewal goodput for the job the scorecard sized."""
    derivation = card.constraints["fault_tolerance"].derivation
    return float(derivation["training_goodput"])


StageProgress = Callable[[str, int, int], None]  # (stage, replications done, replications)


def _row(analytic: float, simulated: Interval) -> dict[str, object]:
    return {
        "analytic": analytic,
        "simulated": simulated.to_dict(),
        "relative_difference": (analytic - simulated.estimate) / simulated.estimate,
        "analytic_inside_interval": simulated.contains(analytic),
    }


def check_design(
    design: Design,
    requests: int = 1_000_000,
    seed: int = 0,
    progress: StageProgress | None = None,
) -> tuple[dict[str, object], np.ndarray]:
    """The three checks of one design, as plain JSON types, and simulated response times (ms).

    P99 from ``requests`` simulated requests over 10 replications; uptime over the rare-event
    horizon; goodput over 10 simulated years. Seeds make every number reproducible.
    """

    def stage(name: str, total: int) -> Progress | None:
        return (lambda done: progress(name, done, total)) if progress else None

    card = evaluate(design)
    started = time.perf_counter()
    p99, sample_ms = simulate_p99_ms(
        design, customers=requests, seed=seed, progress=stage("P99", 10)
    )
    uptime = simulate_uptime(design, seed=seed, progress=stage("uptime", 12))
    goodput = simulate_goodput(design, seed=seed, progress=stage("goodput", 10))
    rate = card.budget.training_gpus / sc.GPU_MTBF_H
    report: dict[str, object] = {
        "design": design.to_dict(),
        "p99_ms": _row(card["p99_latency"].value, p99),
        "uptime": _row(card["fault_tolerance"].value / 100.0, uptime),
        "goodput": {
            **_row(analytic_goodput(card), goodput),
            "exact_renewal": exact_goodput(design.checkpoint_interval_min, rate),
        },
        "slo_ms": sc.P99_SLO_MS,
        "requests": requests,
        "seed": seed,
        "seconds": time.perf_counter() - started,
    }
    return report, sample_ms


QUICK_CHECK_REQUESTS = 200_000  # the lab's button: about a second on a laptop


def quick_check(design: Design, seed: int = 0) -> tuple[dict[str, object], np.ndarray]:
    """The lab's "Monte Carlo check": :func:`check_design` sized to answer in about a second."""
    return check_design(design, requests=QUICK_CHECK_REQUESTS, seed=seed)
