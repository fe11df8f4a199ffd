"""Monte Carlo checks of a design's fleet: serving P99, serving availability, fine-tuning goodput.

The checks take the model's primitives, not a design: the simulator re-creates the very
process the engine's formula describes and compares like with like (contract claim 15).

* :class:`FleetPrimitives` holds the three sets of primitives:
  :class:`~constraintlab.simulate.checks.ServingQueue` (M/G/c serving),
  :class:`~constraintlab.simulate.availability.FleetAvailability` (failures and restarts) and
  :class:`~constraintlab.simulate.goodput.CheckpointedJob` (the checkpointed fine-tuning job);
  :class:`AnalyticValues` the engine's three figures for them.
* :func:`check_fleet` runs the three checks (:mod:`constraintlab.simulate.checks`) and returns
  a report of plain JSON types and one replication's response times.
* :func:`primitives_from_design` is the one place that reads a design's primitives and the
  engine's figures from the scorecard; :func:`check_design` and :func:`quick_check` (the
  lab's button) call it and then :func:`check_fleet`.

The scorecard this adapter reads (model v2): M/G/c serving with the scenario's service-time
variability (deterministic by default) and the pipeline's fixed delay, all n provisioned
replicas serving; availability as the binomial share of time with at least r replicas up
(each replica alternating up and down, restart included); the job's exact renewal goodput.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from constraintlab.model import scenario as sc
from constraintlab.model import serving
from constraintlab.model.decide import meets
from constraintlab.model.design import Design
from constraintlab.model.engine import Scorecard, evaluate
from constraintlab.model.serving import serving_plan
from constraintlab.simulate import routing
from constraintlab.simulate.availability import MOST_EVENTS_PER_REPLICATION, FleetAvailability
from constraintlab.simulate.checks import (
    MetricCheck,
    ServingQueue,
    check_availability,
    check_goodput,
    check_p99,
)
from constraintlab.simulate.goodput import CheckpointedJob
from constraintlab.simulate.goodput import exact_goodput as exact_job_goodput
from constraintlab.simulate.routing_check import RoutingModel, compare_routing
from constraintlab.simulate.stats import Interval, t_interval

__all__ = [
    "AnalyticValues",
    "FleetPrimitives",
    "Interval",
    "analytic_goodput",
    "check_design",
    "check_fleet",
    "exact_goodput",
    "primitives_from_design",
    "quick_check",
    "t_interval",
]

StageProgress = Callable[[str, int, int], None]  # (stage, replications done, replications)
P99_REPLICATIONS, AVAILABILITY_REPLICATIONS, GOODPUT_REPLICATIONS = 10, 12, 10
GOODPUT_YEARS = 10.0 / GOODPUT_REPLICATIONS  # ten simulated years in all


@dataclass(frozen=True)
class FleetPrimitives:
    """Everything the three simulations need, and nothing the engine has not stated."""

    serving: ServingQueue
    availability: FleetAvailability
    job: CheckpointedJob

    def to_dict(self) -> dict[str, dict[str, object]]:
        return {
            "serving": asdict(self.serving),
            "availability": asdict(self.availability),
            "job": asdict(self.job),
        }


@dataclass(frozen=True)
class AnalyticValues:
    """The engine's figures for the same primitives: P99 (ms), availability and goodput
    (fractions)."""

    p99_ms: float
    availability: float
    goodput: float


def check_fleet(
    primitives: FleetPrimitives,
    analytic: AnalyticValues,
    requests: int = 1_000_000,
    seed: int = 0,
    progress: StageProgress | None = None,
    slo_ms: float | None = None,
    availability_events: int = MOST_EVENTS_PER_REPLICATION,
) -> tuple[dict[str, object], np.ndarray]:
    """The three checks as plain JSON types, and one replication's response times (ms).

    P99 from ``requests`` simulated studies over 10 replications; availability over the
    rare-event horizon (12 replications of at most ``availability_events`` failures and
    returns each); goodput over 10 simulated years (10 replications).
    Seeds make every number reproducible.
    """

    def stage(name: str, total: int) -> Callable[[int], None] | None:
        return (lambda done: progress(name, done, total)) if progress else None

    started = time.perf_counter()
    p99, sample_ms = check_p99(
        primitives.serving,
        analytic.p99_ms,
        customers=requests,
        replications=P99_REPLICATIONS,
        seed=seed,
        progress=stage("P99", P99_REPLICATIONS),
    )
    availability = check_availability(
        primitives.availability,
        analytic.availability,
        replications=AVAILABILITY_REPLICATIONS,
        seed=seed,
        progress=stage("availability", AVAILABILITY_REPLICATIONS),
        most_events=availability_events,
    )
    goodput = check_goodput(
        primitives.job,
        analytic.goodput,
        years=GOODPUT_YEARS,
        replications=GOODPUT_REPLICATIONS,
        seed=seed,
        progress=stage("goodput", GOODPUT_REPLICATIONS),
    )
    checks: tuple[MetricCheck, ...] = (p99, availability, goodput)
    report: dict[str, object] = {check.quantity: check.to_dict() for check in checks}
    report |= {
        "all_inside": all(check.inside for check in checks),
        "primitives": primitives.to_dict(),
        "slo_ms": sc.P99_SLO_MS if slo_ms is None else slo_ms,
        "requests": requests,
        "replications": {
            "p99_ms": P99_REPLICATIONS,
            "availability": AVAILABILITY_REPLICATIONS,
            "goodput": GOODPUT_REPLICATIONS,
        },
        "seed": seed,
        "seconds": time.perf_counter() - started,
    }
    return report, sample_ms


# ---- today's scorecard (model v1) -> primitives: the adapter model v2 replaces ---------------


def analytic_goodput(card: Scorecard) -> float:
    """The engine's exact renewal goodput for the job the scorecard sized."""
    derivation = card.constraints["fault_tolerance"].derivation
    return float(derivation["training_goodput"])


def primitives_from_design(design: Design) -> tuple[FleetPrimitives, AnalyticValues]:
    """The design's primitives and the engine's figures, read from its scorecard and plan."""
    card = evaluate(design)
    plan = serving_plan(design.model_size_b, design.parallelism)
    avail = plan.availability
    primitives = FleetPrimitives(
        serving=ServingQueue(
            servers=plan.replicas,  # every provisioned replica serves while it is up
            service_mean_ms=plan.service_mean_ms,
            service_scv=plan.service_scv,
            fixed_delay_ms=plan.fixed_delay_ms,
            arrival_rate_per_s=plan.arrival_rate_per_s,
            routing=routing.policy(plan.routing_policy),
        ),
        availability=FleetAvailability(
            n_replicas=avail.n_replicas,
            gpus_per_replica=avail.gpus_per_replica,
            gpu_mtbf_h=sc.GPU_MTBF_H,
            restart_min=sc.COLD_RESTART_MIN,
            replicas_required=avail.replicas_required,
        ),
        job=CheckpointedJob(
            job_gpus=_job_gpus(card),
            interval_min=design.checkpoint_interval_min,
            checkpoint_s=card.budget.checkpoint_write_s,
            restart_min=sc.COLD_RESTART_MIN,
            gpu_mtbf_h=sc.GPU_MTBF_H,
        ),
    )
    analytic = AnalyticValues(  # the engine's exact figures, not the digits a card shows
        p99_ms=card["p99_latency"].exact_value,
        availability=card["fault_tolerance"].exact_value / 100.0,
        goodput=analytic_goodput(card),
    )
    return primitives, analytic


def _job_gpus(card: Scorecard) -> float:
    """The fine-tuning job's GPUs as sized (0 when it cannot keep up: nothing to simulate)."""
    gpus = float(card.budget.training_gpus)
    return gpus if math.isfinite(gpus) else 0.0


def routing_model(design: Design) -> RoutingModel:
    """The model's P99 at the design's replicas and its fewest replicas for the SLO, under
    pooled and under random routing (:func:`constraintlab.model.serving.p99_ms`)."""
    plan = serving_plan(design.model_size_b, design.parallelism)
    service_s, fixed_s = plan.service_mean_ms / 1e3, plan.fixed_delay_ms / 1e3
    return RoutingModel(
        pooled_p99_ms=serving.p99_ms(plan.replicas, service_s, fixed_s, "pooled"),
        random_p99_ms=serving.p99_ms(plan.replicas, service_s, fixed_s, "random"),
        pooled_replicas=serving.fewest_replicas(service_s, fixed_s, "pooled"),
        random_replicas=serving.fewest_replicas(service_s, fixed_s, "random"),
    )


def check_design(
    design: Design,
    requests: int = 1_000_000,
    seed: int = 0,
    progress: StageProgress | None = None,
    availability_events: int = MOST_EVENTS_PER_REPLICATION,
    with_routing: bool = False,
) -> tuple[dict[str, object], np.ndarray]:
    """:func:`check_fleet` for one design (its primitives from the scorecard), with the design;
    ``with_routing`` adds ``validate``'s routing comparison (:mod:`routing_check`)."""
    primitives, analytic = primitives_from_design(design)
    report, sample_ms = check_fleet(
        primitives, analytic, requests, seed, progress, availability_events=availability_events
    )
    if with_routing:
        started = time.perf_counter()
        report["routing"] = compare_routing(
            primitives.serving,
            routing_model(design),
            lambda p99_ms: bool(meets("p99_latency", p99_ms)),
            sc.ROUTING_POLICY,
            studies=requests,
            replications=P99_REPLICATIONS,
            seed=seed,
            progress=(lambda done, total: progress("routing", done, total)) if progress else None,
        )
        seconds = report["seconds"]
        assert isinstance(seconds, float)
        report["seconds"] = seconds + time.perf_counter() - started
    return {"design": design.to_dict(), **report}, sample_ms


QUICK_CHECK_REQUESTS = 200_000  # the lab's button: about a second on a laptop
QUICK_CHECK_AVAILABILITY_EVENTS = 200_000  # per replication: a shorter, wider availability run


def quick_check(design: Design, seed: int = 0) -> tuple[dict[str, object], np.ndarray]:
    """The lab's "Monte Carlo check": :func:`check_design` sized to answer in about a second."""
    return check_design(
        design,
        requests=QUICK_CHECK_REQUESTS,
        seed=seed,
        availability_events=QUICK_CHECK_AVAILABILITY_EVENTS,
    )


def exact_goodput(interval_min: float, failure_rate_per_h: float, checkpoint_s: float) -> float:
    """Exact renewal goodput with a ``checkpoint_s`` write and today's restart (see
    ``goodput``). Kept for callers of the first simulator; new code builds a ``CheckpointedJob``.
    """
    job = CheckpointedJob(
        job_gpus=failure_rate_per_h * sc.GPU_MTBF_H,
        interval_min=interval_min,
        checkpoint_s=checkpoint_s,
        restart_min=sc.COLD_RESTART_MIN,
        gpu_mtbf_h=sc.GPU_MTBF_H,
    )
    return exact_job_goodput(job)
