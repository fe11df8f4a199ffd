"""The DP + adversarial fine-tuning job: its cost, its checkpoints and its exact goodput.

Every day the model is fine-tuned on the newly labelled studies, with DP-SGD (privacy) and
PGD adversarial examples (robustness). The job competes with serving for the GPU budget and
for the carbon target. Equations (modelling assumptions are marked):

* **Work**, in ideal GPUs (GPUs busy all day at the training MFU, nothing ever failing):
  ``a = 6 P D (1 + k_pgd w)(1 + c_dp / epsilon) / (86,400 s x F x mfu)``.
  6 P FLOP per token for forward + backward (Kaplan et al. 2020); D = 1e10 tokens/day
  (assumption); PGD-7 costs 7 extra forward-backward passes per adversarial example
  (Madry et al. 2018): compute factor ``1 + 7 w``; DP-SGD's per-example clipping and the
  larger batches that drown its noise: compute factor ``1 + c_dp / epsilon`` (assumption,
  2x at epsilon = 1).
* **Failures**: the job is synchronous, so any of its N GPUs failing interrupts it:
  ``lambda = N / MTBF`` (MTBF = 2,000 h per GPU, the published lab's figure).
* **Exact goodput** of the checkpointed job (a renewal process; the simulator checks it):
  a segment of wall time T (work T - C, then the C = 120 s write) completes only if no
  failure falls inside it; each failure costs the time since the segment began plus the
  R = 30-minute restart. The mean time to complete a segment is (1/lambda + R)(e^{lambda T} - 1),
  so ``goodput(N, T) = (T - C) / ((1/lambda + R)(e^{lambda T} - 1))``.
* **Optimal interval**: maximising it over T gives
  ``lambda T* = 1 + lambda C + W0(-e^{-(1 + lambda C)})`` (Lambert W; independent of R);
  first order in lambda this is Young's sqrt(2 C / lambda) (Young 1974; Daly 2006).
* **Sizing**: the job must finish a day's work each day: the smallest whole N with
  ``N goodput(N, T) >= a``. N goodput(N) rises, peaks and falls (past the peak each added GPU
  fails often enough to cost more than it adds), so when even the peak is below a, no size
  keeps up at this interval: the lab says so and shows the job's true demand, the GPUs it
  would need at the interval that suits it best, never a capped figure.

GPUs lost to checkpoints, rework and restarts: N - a >= 0.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from constraintlab.model import scenario as sc
from constraintlab.model._numeric import Real

NEVER = 2**40  # the job size reported by the tables when no size keeps up (never within budget)


def checkpoint_write_h() -> float:
    return float(sc.CHECKPOINT_WRITE_S) / 3600.0


def restart_h() -> float:
    return float(sc.COLD_RESTART_MIN) / 60.0


def pgd_compute_factor(adv_weight: Real) -> Real:
    """PGD adversarial training: 1 + k_pgd w forward-backward passes per example."""
    return 1.0 + sc.PGD_STEPS * adv_weight


def dp_compute_factor(dp_epsilon: Real) -> Real:
    """DP-SGD: 1 + c_dp / epsilon."""
    return 1.0 + sc.DP_COST_AT_EPSILON_1 / dp_epsilon


def training_cost_multiplier(dp_epsilon: Real, adv_weight: Real) -> Real:
    """How many times a plain fine-tune the DP + PGD job costs."""
    return pgd_compute_factor(adv_weight) * dp_compute_factor(dp_epsilon)


def ideal_training_gpus(model_size_b: Real, dp_epsilon: Real, adv_weight: Real) -> Real:
    """a: GPUs that would do the day's fine-tuning if nothing ever failed."""
    flops_per_day = (
        sc.TRAINING_FLOP_PER_PARAM_TOKEN
        * model_size_b
        * 1e9
        * sc.FINETUNE_TOKENS_PER_DAY
        * training_cost_multiplier(dp_epsilon, adv_weight)
    )
    return flops_per_day / (sc.SECONDS_PER_DAY * sc.H100_DENSE_FP16_TFLOPS * 1e12 * sc.TRAINING_MFU)


def goodput(job_gpus: Real, interval_min: Real) -> Real:
    """Exact renewal goodput (T - C) / ((1/lambda + R)(e^{lambda T} - 1)), lambda = N / MTBF."""
    rate = np.asarray(job_gpus, dtype=np.float64) / sc.GPU_MTBF_H
    t_h = np.asarray(interval_min, dtype=np.float64) / 60.0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        value = (t_h - checkpoint_write_h()) / ((1.0 / rate + restart_h()) * np.expm1(rate * t_h))
    value = np.where(rate > 0, value, (t_h - checkpoint_write_h()) / t_h)
    return float(value) if np.ndim(value) == 0 else value


def optimal_interval_min(failure_rate_per_h: float) -> float:
    """T* maximising the exact goodput: lambda T* = 1 + lambda C + W0(-e^{-(1 + lambda C)}).

    With y = lambda T* - lambda C = 1 + W0(...), the Lambert equation is y + ln(1 - y) =
    -lambda C: solved for y by Newton from sqrt(2 lambda C), directly in y, so no digits are
    lost near W0's branch point (small lambda C, where 1 + W0 is the difference of two
    numbers close to 1) and no scipy is needed.
    """
    lam_c = failure_rate_per_h * checkpoint_write_h()
    y = lambert_gap(lam_c)
    return (y + lam_c) / failure_rate_per_h * 60.0


def lambert_gap(epsilon: float) -> float:
    """y in (0, 1) with y + ln(1 - y) = -epsilon (epsilon > 0): 1 + W0(-e^{-(1 + epsilon)})."""

    def f(y: float) -> float:
        if y < 1e-4:  # y + ln(1 - y) = -(y^2/2 + y^3/3 + ...), without the cancellation
            return -(y * y * (0.5 + y * (1.0 / 3.0 + y * (0.25 + y * 0.2)))) + epsilon
        return y + math.log1p(-y) + epsilon

    y = min(math.sqrt(2.0 * epsilon), 0.5)
    for _ in range(100):
        slope = -y / (1.0 - y)
        step = f(y) / slope
        nxt = y - step
        if nxt >= 1.0:
            nxt = 0.5 * (y + 1.0)
        elif nxt <= 0.0:
            nxt = 0.5 * y
        if abs(nxt - y) <= 1e-15 * y:
            return nxt
        y = nxt
    return y


def goodput_inputs() -> tuple[float, float, float]:
    """The scenario values :func:`goodput` reads (MTBF, checkpoint write, restart): the key of
    every job-size cache, so a scenario that differs elsewhere (a reveal trying PUE values,
    say) shares the tables."""
    return (float(sc.GPU_MTBF_H), float(sc.CHECKPOINT_WRITE_S), float(sc.COLD_RESTART_MIN))


def delivery_table(interval_min: float) -> NDArray[np.float64]:
    """N goodput(N, T) for N = 0, 1, ... up to its peak (rising part only), at interval T.

    Cached per :func:`goodput_inputs` and interval; the table is read-only."""
    return _delivery_table(goodput_inputs(), float(interval_min))


@lru_cache(maxsize=256)
def _delivery_table(inputs: tuple[float, float, float], interval_min: float) -> NDArray[np.float64]:
    t_h = interval_min / 60.0
    peak_guess = int(4.0 * sc.GPU_MTBF_H / t_h) + 64  # lambda T ~ 4 is past the peak
    n = np.arange(peak_guess + 1, dtype=np.float64)
    delivered = np.asarray(n * goodput(np.maximum(n, 1e-12), interval_min), dtype=np.float64)
    delivered[0] = 0.0
    peak = int(np.argmax(delivered))
    table = np.ascontiguousarray(delivered[: peak + 1])
    table.setflags(write=False)
    return table


def size_training_job(ideal_gpus: Real, interval_min: float) -> tuple[Real, Real]:
    """(N, keeps_up): the fewest whole GPUs with N goodput(N, T) >= a, and whether any N does.

    ``interval_min`` is one interval; ``ideal_gpus`` a float or an array. Where no size keeps
    up, N is :data:`NEVER` (the tables' marker: never within any budget).
    """
    table = delivery_table(float(interval_min))
    ideal = np.asarray(ideal_gpus, dtype=np.float64)
    index = np.searchsorted(table, ideal, side="left")
    keeps_up = index < len(table)
    gpus = np.where(keeps_up, index, NEVER).astype(np.int64)
    if np.ndim(ideal_gpus) == 0:
        return int(gpus), bool(keeps_up)
    return gpus, keeps_up


def demand_envelope(intervals_min: tuple[float, ...]) -> NDArray[np.float64]:
    """E[N]: the most work N GPUs deliver at any of the intervals, as a running maximum.

    ``E[N] = max_{k <= N} max_T {k goodput(k, T) : k <= peak_T}`` over the intervals T (each
    :func:`delivery_table` rises strictly up to its peak, where it ends). The fewest N with
    ``E[N] >= a`` is ``min_T size_training_job(a, T)``: the first N where the running maximum
    reaches a is the first N where some interval's table does. So the job's true demand over
    every interval is one search of E, not one search per interval (:func:`true_demand_many`).
    """
    return _demand_envelope(goodput_inputs(), tuple(intervals_min))


@lru_cache(maxsize=8)
def _demand_envelope(
    inputs: tuple[float, float, float], intervals_min: tuple[float, ...]
) -> NDArray[np.float64]:
    """:func:`demand_envelope` for the :func:`goodput_inputs` in force (``inputs``)."""
    tables = [delivery_table(float(t)) for t in intervals_min]
    envelope = np.full(max(len(t) for t in tables), -np.inf)
    for table in tables:
        np.maximum(envelope[: len(table)], table, out=envelope[: len(table)])
    envelope = np.maximum.accumulate(envelope)
    envelope.setflags(write=False)
    return envelope


def true_demand_many(
    ideal_gpus: NDArray[np.float64], intervals_min: list[float]
) -> NDArray[np.float64]:
    """Per element, the GPUs of :func:`true_demand` (inf where no interval keeps up):
    ``min_T size_training_job(a, T)`` over the keeping-up intervals, by one search of
    :func:`demand_envelope`."""
    envelope = demand_envelope(tuple(float(t) for t in intervals_min))
    index = np.searchsorted(envelope, ideal_gpus, side="left")
    return np.where(index < len(envelope), index, np.inf).astype(np.float64)


def most_delivered_gpus(interval_min: float) -> tuple[int, float]:
    """(N_peak, the most ideal GPUs' worth of work any job size delivers at this interval)."""
    table = delivery_table(float(interval_min))
    return len(table) - 1, float(table[-1])


def true_demand(ideal_gpus: float, intervals_min: list[float]) -> tuple[float, float]:
    """(GPUs, interval) of the cheapest keeping-up job over the intervals; (inf, nan) if none."""
    best = (math.inf, math.nan)
    for interval in intervals_min:
        gpus, keeps = size_training_job(ideal_gpus, interval)
        if keeps and gpus < best[0]:
            best = (float(gpus), interval)
    return best


def best_grid_interval(
    ideal_gpus: Real, intervals_min: list[float], here_min: float
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Per job a, (T_best, N_best) over EVERY grid interval, not only the neighbours of T:

    ``N_best = min_T size_training_job(a, T)``, and ``T_best`` the grid interval nearest
    ``here_min`` among those that need only N_best (``here_min`` itself when it is one; the
    shorter on a tie). Where no interval keeps up, N_best is :data:`NEVER` and T_best nan.
    One search per interval for the whole array (contract claim 18).
    """
    ideal = np.atleast_1d(np.asarray(ideal_gpus, dtype=np.float64))
    grid = np.asarray(intervals_min, dtype=np.float64)
    jobs = np.stack([np.asarray(size_training_job(ideal, t)[0]) for t in grid], axis=1)
    fewest = jobs.min(axis=1)
    distance = np.where(jobs == fewest[:, None], np.abs(grid - here_min), np.inf)
    best = np.where(fewest < NEVER, grid[np.argmin(distance, axis=1)], np.nan)
    return best, fewest.astype(np.int64)


def interval_advice(
    ideal_gpus: float, interval_min: float, intervals_min: list[float]
) -> tuple[str, float, float]:
    """("keep" | "lengthen" | "shorten", T_best, N_best) over EVERY grid interval.

    T_best is the grid interval nearest the design's T among those whose job needs the fewest
    GPUs (:func:`best_grid_interval`); "keep" exactly when T is one of them. When no interval
    keeps up, ("none", nan, inf).
    """
    best, fewest = best_grid_interval(ideal_gpus, intervals_min, interval_min)
    best_t, best_n = float(best[0]), int(fewest[0])
    if best_n >= NEVER:
        return "none", math.nan, math.inf
    if best_t == interval_min:
        return "keep", best_t, float(best_n)
    return ("lengthen" if best_t > interval_min else "shorten"), best_t, float(best_n)
