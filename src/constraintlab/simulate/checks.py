"""One Monte Carlo check per metric, taking the model's primitives: analytic against simulated.

Each check simulates the process the engine's formula describes (same primitives, same
distributions), reports the estimate with its 99 % interval from independent replications,
the analytic value it was given, the exact value of the simulated process where one is known,
whether the analytic value lies inside the interval and how far it is from it, and a
sentence that says so from the numbers (:mod:`constraintlab.simulate.wording`).

* :func:`check_p99`: :class:`ServingQueue` (c replicas, mean and squared CV of the service
  time, a fixed delay, Poisson arrivals, a routing policy); P99 = fixed delay + the response
  quantile of the queue the routing makes (pooled: FCFS M/G/c; random: M/G/1 at lambda / c;
  join-the-shortest-queue: simulated only, :mod:`constraintlab.simulate.routing`).
* :func:`check_availability`: :class:`~constraintlab.simulate.availability.FleetAvailability`;
  exact reference P(Binomial(n, 1 - u) >= m).
* :func:`check_goodput`: :class:`~constraintlab.simulate.goodput.CheckpointedJob`; exact
  reference the renewal goodput.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from constraintlab.simulate import routing, wording
from constraintlab.simulate.availability import (
    MOST_EVENTS_PER_REPLICATION,
    FleetAvailability,
    binomial_availability,
    simulate_availability,
)
from constraintlab.simulate.goodput import CheckpointedJob, exact_goodput, simulate_goodput
from constraintlab.simulate.mgc import (
    Family,
    check_mgc,
    exact_response_quantile,
    mgc_response_times,
)
from constraintlab.simulate.stats import Interval, t_interval

Progress = Callable[[int], None]  # called with the number of replications finished


@dataclass(frozen=True)
class ServingQueue:
    """The primitives of the serving queue: P99 = fixed delay + M/G/c response quantile.

    ``service_scv`` is Var S / (E S)^2 (0 = deterministic); ``family`` names the law for
    scv > 0 (gamma: scv 1 is exponential; or lognormal), see :mod:`constraintlab.simulate.mgc`;
    ``routing`` how studies reach the replicas (:mod:`constraintlab.simulate.routing`).
    """

    servers: int
    service_mean_ms: float
    service_scv: float
    fixed_delay_ms: float
    arrival_rate_per_s: float
    family: Family = "gamma"
    routing: routing.Policy = "pooled"

    def __post_init__(self) -> None:
        routing.policy(self.routing)
        check_mgc(
            self.arrival_rate_per_s,
            self.servers,
            self.service_mean_ms / 1e3,
            self.service_scv,
            self.family,
        )
        if not (math.isfinite(self.fixed_delay_ms) and self.fixed_delay_ms >= 0.0):
            raise ValueError(
                f"fixed_delay_ms must be a finite number >= 0; got {self.fixed_delay_ms!r}"
            )

    @property
    def utilisation(self) -> float:
        return self.arrival_rate_per_s * self.service_mean_ms / 1e3 / self.servers


def display(value: float, scale: float, unit: str, decimals: int) -> str:
    """A stored value in its displayed unit: ``display(0.9991, 100, "%", 2)`` is "99.91 %"."""
    return f"{value * scale:,.{decimals}f} {unit}"


@dataclass(frozen=True)
class MetricCheck:
    """Analytic against simulated for one metric, with everything needed to word it.

    ``scale`` turns the stored value (ms, or a fraction) into the displayed unit
    (ms, or %); ``reference`` is the exact value of the simulated process where one is known.
    """

    quantity: str
    label: str
    unit: str
    scale: float
    analytic: float
    simulated: Interval
    reference: float | None = None
    reference_name: str | None = None
    note: str | None = None

    @property
    def inside(self) -> bool:
        """Inside the interval, up to a rounding tolerance (relative 1e-9) at its ends.

        The tolerance matters when the interval has zero width: a deterministic service
        time below the 99 % waiting point makes every replication's P99 exactly D.
        """
        sim = self.simulated
        slack = 1e-9 * max(abs(sim.low), abs(sim.high), abs(self.analytic))
        return sim.low - slack <= self.analytic <= sim.high + slack

    @property
    def noise_probability(self) -> float:
        """P(|estimate - analytic| this large or larger | the analytic value is the truth).

        The replications' mean is Student-t with R - 1 degrees of freedom around the truth,
        its scale the half-width / t_{(1 + confidence)/2}.
        """
        from scipy import stats

        sim, degrees = self.simulated, self.simulated.replications - 1
        if not math.isfinite(self.half_widths):
            return 0.0
        critical = float(stats.t.ppf(0.5 + sim.confidence / 2.0, degrees))
        return float(2.0 * stats.t.sf(self.half_widths * critical, degrees))

    @property
    def difference(self) -> float:
        """analytic - simulated estimate, in the stored unit."""
        return self.analytic - self.simulated.estimate

    @property
    def relative_difference(self) -> float:
        estimate = self.simulated.estimate
        return self.difference / estimate if estimate else math.copysign(math.inf, self.difference)

    @property
    def outside_by(self) -> float:
        """Distance from the analytic value to the interval (0 when inside)."""
        return max(self.simulated.low - self.analytic, self.analytic - self.simulated.high, 0.0)

    @property
    def half_widths(self) -> float:
        """|analytic - estimate| in half-widths of the interval (inf for a zero-width one)."""
        half = self.simulated.half_width
        if half > 0.0:
            return abs(self.difference) / half
        return 0.0 if self.difference == 0.0 else math.inf

    def displayed(self, value: float, decimals: int) -> str:
        return display(value, self.scale, self.unit, decimals)

    def decimals(self) -> int:
        """Enough decimals to tell the interval's ends, the estimate and the analytic apart."""
        sim = self.simulated
        steps = [
            sim.half_width,
            abs(self.difference),
            abs(self.analytic - sim.low),
            abs(self.analytic - sim.high),
        ]
        steps = [s * self.scale for s in steps]
        positive = [s for s in steps if s > 0.0]
        return wording.decimals_for(min(positive), least=1) if positive else 1

    def _difference_unit(self) -> str:
        return " percentage points" if self.unit == "%" else f" {self.unit}"

    def sentence(self) -> str:
        """The verdict, worded from the numbers (module :mod:`constraintlab.simulate.wording`)."""
        d, sim = self.decimals(), self.simulated
        text = wording.agreement_sentence(
            analytic=self.displayed(self.analytic, d),
            estimate=self.displayed(sim.estimate, d),
            low=self.displayed(sim.low, d),
            high=self.displayed(sim.high, d),
            inside=self.inside,
            difference=wording.signed(self.difference * self.scale, self._difference_unit()),
            relative=wording.signed(self.relative_difference * 100.0, " %"),
            half_widths=self.half_widths,
            outside_by=wording.signed(self.outside_by * self.scale, self._difference_unit()).lstrip(
                "+"
            ),
            above=self.analytic > sim.high,
            confidence_pct=f"{sim.confidence * 100:g} %",
            noise_probability=self.noise_probability,
        )
        if self.reference is not None and self.reference_name is not None:
            text += " " + wording.reference_sentence(
                self.displayed(self.reference, d),
                self.reference_name,
                sim.contains(self.reference),
                self.inside,
            )
        if self.note:
            text += " " + self.note
        return text

    def to_dict(self) -> dict[str, object]:
        """Plain JSON types; the first four keys are those of the first ``validate`` report."""
        return {
            "analytic": self.analytic,
            "simulated": self.simulated.to_dict(),
            "relative_difference": self.relative_difference,
            "analytic_inside_interval": self.inside,
            "difference": self.difference,
            "outside_by": self.outside_by,
            "half_widths": self.half_widths if math.isfinite(self.half_widths) else None,
            "noise_probability": self.noise_probability,
            "reference": self.reference,
            "reference_name": self.reference_name,
            "reference_inside_interval": (
                None if self.reference is None else self.simulated.contains(self.reference)
            ),
            "label": self.label,
            "unit": self.unit,
            "scale": self.scale,
            "decimals": self.decimals(),
            "sentence": self.sentence(),
        }


def _queue_reference(queue: ServingQueue) -> tuple[float | None, str | None]:
    """The exact P99 (ms) of the simulated queue where one is known: pooled M/D/c or M/M/c;
    random routing's M/D/1 or M/M/1 at lambda / c; none for join-the-shortest-queue."""
    if queue.routing == "jsq":
        return None, None
    single = queue.routing == "random"
    rate = queue.arrival_rate_per_s / queue.servers if single else queue.arrival_rate_per_s
    exact = exact_response_quantile(
        rate,
        1 if single else queue.servers,
        queue.service_mean_ms / 1e3,
        queue.service_scv,
        queue.family,
        0.99,
        fixed_delay=queue.fixed_delay_ms / 1e3,
    )
    if exact is None:
        return None, None
    name = "M/D/c, Crommelin" if queue.service_scv == 0.0 else "M/M/c, Erlang C"
    if single:
        name = name.replace("/c", "/1") + ", each replica at lambda / c"
    return exact * 1e3, name


def simulate_p99_ms(
    queue: ServingQueue,
    customers: int = 1_000_000,
    replications: int = 10,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[Interval, np.ndarray]:
    """Simulated P99 (ms) over ``replications`` independent runs, and the first run's times (ms).

    Each run simulates ``customers / replications`` studies after a warm-up of a tenth as many
    (at most 10,000), from an empty queue.
    """
    per_run = max(1_000, customers // replications)
    warmup = min(per_run // 10, 10_000)
    p99s, sample_ms = [], np.empty(0)
    for i in range(replications):
        times_ms = 1e3 * mgc_response_times(
            queue.arrival_rate_per_s,
            queue.servers,
            per_run,
            seed + i,
            queue.service_mean_ms / 1e3,
            queue.service_scv,
            queue.family,
            fixed_delay=queue.fixed_delay_ms / 1e3,
            warmup_customers=warmup,
            policy=queue.routing,
        )
        p99s.append(float(np.quantile(times_ms, 0.99)))
        if i == 0:
            sample_ms = times_ms
        if progress:
            progress(i + 1)
    return t_interval(np.array(p99s)), sample_ms


def check_p99(
    queue: ServingQueue,
    analytic_p99_ms: float,
    *,
    customers: int = 1_000_000,
    replications: int = 10,
    seed: int = 0,
    progress: Progress | None = None,
    with_reference: bool = True,
) -> tuple[MetricCheck, np.ndarray]:
    """The engine's P99 (ms) against the simulated M/G/c queue; and the first run's times.

    ``with_reference`` adds the exact quantile where one exists (M/D/c, M/M/c); the M/D/c
    chain costs up to about half a second for the largest fleets (c ~ 2,000), more than the
    simulation, so a sweep over many queues may leave it out.
    """
    interval, sample_ms = simulate_p99_ms(queue, customers, replications, seed, progress)
    reference, name = _queue_reference(queue) if with_reference else (None, None)
    check = MetricCheck(
        "p99_ms", "P99 response time", "ms", 1.0, analytic_p99_ms, interval, reference, name
    )
    return check, sample_ms


def check_availability(
    fleet: FleetAvailability,
    analytic_availability: float | None = None,
    *,
    replications: int = 12,
    seed: int = 0,
    horizon_hours: float | None = None,
    progress: Progress | None = None,
    most_events: int = MOST_EVENTS_PER_REPLICATION,
) -> MetricCheck:
    """The engine's availability (a fraction; default the exact binomial value) against
    simulated sample paths of the fleet's failures and restarts."""
    interval, episodes, hours = simulate_availability(
        fleet,
        replications,
        seed,
        horizon_hours=horizon_hours,
        progress=progress,
        most_events=most_events,
    )
    exact = binomial_availability(fleet)
    years = interval.replications * hours / 8_760.0
    note = f"{episodes:,} shortfall episodes seen in {years:,.0f} simulated years."
    if 0 < episodes < 5 * replications:
        note += (
            " With under five episodes a replication, the interval is approximate: a longer"
            " run (constraintlab validate) narrows it."
        )
    if episodes == 0:
        note = (
            f"No shortfall in {years:,.0f} simulated years: the interval's low end is a 99 %"
            " bound from that absence, not an estimate."
        )
    return MetricCheck(
        "availability",
        "Serving availability",
        "%",
        100.0,
        exact if analytic_availability is None else analytic_availability,
        interval,
        exact,
        "binomial, independent replicas",
        note,
    )


def check_goodput(
    job: CheckpointedJob,
    analytic_goodput: float | None = None,
    *,
    years: float = 1.0,
    replications: int = 10,
    seed: int = 0,
    progress: Progress | None = None,
) -> MetricCheck:
    """The engine's goodput (a fraction; default the exact renewal value) against sample paths."""
    interval = simulate_goodput(job, years, replications, seed, progress=progress)
    exact = exact_goodput(job)
    return MetricCheck(
        "goodput",
        "Fine-tuning goodput",
        "%",
        100.0,
        exact if analytic_goodput is None else analytic_goodput,
        interval,
        exact,
        "renewal, (T - C) / ((1/lambda + R)(e^(lambda T) - 1))",
    )
