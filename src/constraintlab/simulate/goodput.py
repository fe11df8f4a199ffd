"""Goodput of a checkpointed fine-tuning job: the exact renewal value and sample paths.

The job (the training model's stated assumptions): N GPUs run one synchronous job, so any
GPU's failure interrupts it; GPU lifetimes are exponential with mean MTBF, so failures come
at lambda = N / MTBF. The job's wall time is cut into segments of T (``interval_min``): T - C
of new work, then a checkpoint write of C (``checkpoint_s``). A segment counts only if no
failure falls inside it; a failure loses the time since the segment began and costs a
restart R (``restart_min``, deterministic), after which the segment starts again.

By memorylessness each attempt at a segment is a fresh exponential race, so the time to
complete one segment has mean (1/lambda + R)(e^{lambda T} - 1), and the long-run goodput
(share of wall time doing new work, renewal-reward theorem) is exactly

    G = (T - C) / ((1/lambda + R)(e^{lambda T} - 1)).

The first-order Young-Daly waste C/T + lambda (T/2 + R) is this expanded in lambda T.

The simulation (:func:`simulate_goodput`) draws the exponential gaps between failures and
walks the segments: a gap >= T completes a segment (clock + T, work + T - C), a shorter one
costs gap + R. It is vectorised: the clock advance of every draw is known in advance, so a
cumulative sum finds where the horizon ends.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from constraintlab.simulate.stats import Interval, t_interval

Progress = Callable[[int], None]


@dataclass(frozen=True)
class CheckpointedJob:
    """The primitives of the fine-tuning job's failure model (see the module docstring)."""

    job_gpus: float
    interval_min: float
    checkpoint_s: float
    restart_min: float
    gpu_mtbf_h: float

    def __post_init__(self) -> None:
        for name in ("job_gpus", "interval_min", "gpu_mtbf_h"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
        for name in ("checkpoint_s", "restart_min"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
        if self.checkpoint_s / 60.0 >= self.interval_min:
            raise ValueError(
                f"interval_min must exceed the checkpoint write ({self.checkpoint_s / 60.0:g} "
                f"min); got {self.interval_min!r}"
            )

    @property
    def failure_rate_per_h(self) -> float:
        """lambda = N / MTBF: the synchronous job stops when any of its GPUs fails."""
        return self.job_gpus / self.gpu_mtbf_h


def exact_goodput(job: CheckpointedJob) -> float:
    """G = (T - C) / ((1/lambda + R)(e^{lambda T} - 1)), the renewal process's exact mean."""
    interval_h, rate = job.interval_min / 60.0, job.failure_rate_per_h
    per_segment_h = (1.0 / rate + job.restart_min / 60.0) * math.expm1(rate * interval_h)
    return (interval_h - job.checkpoint_s / 3600.0) / per_segment_h


def _one_replication(job: CheckpointedJob, horizon_h: float, rng: np.random.Generator) -> float:
    interval_h, rate = job.interval_min / 60.0, job.failure_rate_per_h
    restart_h, work_h = job.restart_min / 60.0, interval_h - job.checkpoint_s / 3600.0
    # mean clock advance per draw, to size the batch of draws
    per_draw = interval_h * math.exp(-rate * interval_h) + (
        -math.expm1(-rate * interval_h) * (1.0 / rate + restart_h)
    )
    clock = useful = 0.0
    while clock < horizon_h:
        draws = int((horizon_h - clock) / max(per_draw, 1e-12) * 1.05) + 64
        gaps = rng.exponential(1.0 / rate, size=min(draws, 4_000_000))
        completes = gaps >= interval_h
        advance = np.where(completes, interval_h, gaps + restart_h)
        ends = clock + np.cumsum(advance)
        last = int(np.searchsorted(ends, horizon_h))  # the draw that reaches the horizon
        last = min(last, len(ends) - 1)
        useful += work_h * float(np.count_nonzero(completes[: last + 1]))
        clock = float(ends[last])
    return useful / clock


def simulate_goodput(
    job: CheckpointedJob,
    years: float = 1.0,
    replications: int = 10,
    seed: int = 0,
    confidence: float = 0.99,
    progress: Progress | None = None,
) -> Interval:
    """Simulated goodput (share of wall time doing new work) with its ``confidence`` interval.

    Each replication runs until its clock passes ``years`` of wall time (the last segment or
    failure is counted whole); the ratio's bias is of order 1 / (segments per run).
    """
    if not (math.isfinite(years) and years > 0):
        raise ValueError(f"years must be a finite number > 0; got {years!r}")
    rng = np.random.default_rng(seed)
    results = []
    for done in range(1, replications + 1):
        results.append(_one_replication(job, years * 8_760.0, rng))
        if progress:
            progress(done)
    return t_interval(np.array(results), confidence)
