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
* **Checkpoint write** (a modelling choice): ``C(P) = C0 + b P / B``, the published lab's
  C0 = 120 s charged at every checkpoint whatever the size (the job stops, the ranks agree,
  the state leaves the GPUs), plus the model's training state, b = 14 bytes per parameter
  (bf16 weights and fp32 Adam state; Rajbhandari et al. 2020, ZeRO), over the storage's
  write bandwidth B = 2,000 GB/s (Meta's Tectonic under Llama 3, Dubey et al. 2024). So C
  grows with the model: 120.007 s at 1 B, 120.49 s at 70 B with the shipped values.
* **Exact goodput** of the checkpointed job (a renewal process; the simulator checks it):
  a segment of wall time T (work T - C, then the C-second write) completes only if no
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
* **One table per interval for every size**: C enters goodput only as the factor
  (T - C) / T, so ``N goodput_C(N, T) >= a`` exactly when ``N goodput_0(N, T) >= a T / (T - C)``
  (never when C >= T): the C = 0 table of each interval sizes the jobs of every model size,
  and its peak is the same N at every C.

GPUs lost to checkpoints, rework and restarts: N - a >= 0.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Final

import numpy as np
from numpy.typing import NDArray

from constraintlab.model import scenario as sc
from constraintlab.model._numeric import Real

NEVER = 2**40  # the job size reported by the tables when no size keeps up (never within budget)


def checkpoint_write_s(model_size_b: Real) -> Real:
    """C(P) = C0 + b P / B seconds: the fixed stall plus the training state (b bytes per
    parameter, P x 1e9 parameters) over the storage's write bandwidth (B GB/s)."""
    state_gb = sc.CHECKPOINT_BYTES_PER_PARAM * model_size_b  # b x P x 1e9 bytes, in GB
    return sc.CHECKPOINT_WRITE_S + state_gb / sc.CHECKPOINT_STORAGE_GB_PER_S


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


def goodput(job_gpus: Real, interval_min: Real, write_s: Real) -> Real:
    """Exact renewal goodput (T - C) / ((1/lambda + R)(e^{lambda T} - 1)), lambda = N / MTBF,
    for a C = ``write_s`` second checkpoint write (:func:`checkpoint_write_s`)."""
    rate = np.asarray(job_gpus, dtype=np.float64) / sc.GPU_MTBF_H
    t_h = np.asarray(interval_min, dtype=np.float64) / 60.0
    work_h = t_h - np.asarray(write_s, dtype=np.float64) / 3600.0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        value = work_h / ((1.0 / rate + restart_h()) * np.expm1(rate * t_h))
    value = np.where(rate > 0, value, work_h / t_h)
    return float(value) if np.ndim(value) == 0 else value


def useful_fraction(interval_min: float, write_s: Real) -> Real:
    """(T - C) / T: the share of a segment that is work; the factor by which a C-second write
    scales the C = 0 delivery table (<= 0: the write fills the interval, no job keeps up)."""
    return 1.0 - np.asarray(write_s, dtype=np.float64) / (60.0 * interval_min)


def optimal_interval_min(failure_rate_per_h: float, write_s: float) -> float:
    """T* maximising the exact goodput: lambda T* = 1 + lambda C + W0(-e^{-(1 + lambda C)}).

    With y = lambda T* - lambda C = 1 + W0(...), the Lambert equation is y + ln(1 - y) =
    -lambda C: solved for y by Newton from sqrt(2 lambda C), directly in y, so no digits are
    lost near W0's branch point (small lambda C, where 1 + W0 is the difference of two
    numbers close to 1) and no scipy is needed.
    """
    lam_c = failure_rate_per_h * write_s / 3600.0
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


def table_inputs() -> tuple[float, float]:
    """The scenario values a delivery table reads (MTBF, restart): the key of every job-size
    cache, so a scenario that differs elsewhere (a reveal trying PUE or the checkpoint write,
    say) shares the tables."""
    return (float(sc.GPU_MTBF_H), float(sc.COLD_RESTART_MIN))


def delivery_table(interval_min: float) -> NDArray[np.float64]:
    """N goodput(N, T) at C = 0 for N = 0, 1, ... up to its peak (rising part only).

    A C-second write scales every entry by :func:`useful_fraction` (T - C) / T, so the peak
    is the same N at every C. Cached per :func:`table_inputs` and interval; read-only."""
    return _delivery_table(table_inputs(), float(interval_min))


# two scenarios' tables (the one in force and one a reveal or a sweep is trying), each of the
# 24 grid intervals and a design's own: at MTBF 50,000 h (the most the scenario allows) a
# scenario's tables hold about 15 MB, so the cache stays under 30 MB. A reveal bisects the
# MTBF, a new scenario per step: with 256 tables held, two all-constant reveals in the lab
# raised the kernel's peak RSS from 155 to 262 MiB (185 MiB with 50)
TABLES_HELD: Final = 50


@lru_cache(maxsize=TABLES_HELD)
def _delivery_table(inputs: tuple[float, float], interval_min: float) -> NDArray[np.float64]:
    t_h = interval_min / 60.0
    peak_guess = int(4.0 * sc.GPU_MTBF_H / t_h) + 64  # lambda T ~ 4 is past the peak
    n = np.arange(peak_guess + 1, dtype=np.float64)
    delivered = np.asarray(n * goodput(np.maximum(n, 1e-12), interval_min, 0.0), np.float64)
    delivered[0] = 0.0
    peak = int(np.argmax(delivered))
    table = np.ascontiguousarray(delivered[: peak + 1])
    table.setflags(write=False)
    return table


def size_training_job(ideal_gpus: Real, interval_min: float, write_s: Real) -> tuple[Real, Real]:
    """(N, keeps_up): the fewest whole GPUs with N goodput(N, T) >= a, and whether any N does.

    ``interval_min`` is one interval; ``ideal_gpus`` and ``write_s`` (C, seconds) floats or
    arrays that broadcast. The search is the C = 0 table's for a / ((T - C) / T). Where no
    size keeps up, N is :data:`NEVER` (the tables' marker: never within any budget).
    """
    table = delivery_table(float(interval_min))
    needed = _c0_demand(ideal_gpus, useful_fraction(float(interval_min), write_s))
    gpus = _search(table, needed)
    if np.ndim(gpus) == 0:
        return int(gpus), bool(gpus < NEVER)
    return gpus, gpus < NEVER


def _c0_demand(ideal_gpus: Real, fraction: Real) -> NDArray[np.float64]:
    """a / ((T - C) / T): the work the C = 0 table must deliver (inf where C >= T)."""
    ok = np.asarray(fraction) > 0
    return np.where(
        ok, np.asarray(ideal_gpus, dtype=np.float64) / np.where(ok, fraction, 1.0), np.inf
    )


def _search(table: NDArray[np.float64], needed: NDArray[np.float64]) -> NDArray[np.int64]:
    """The fewest N with table[N] >= needed (the table rises to its peak), NEVER past it."""
    index = np.searchsorted(table, needed, side="left")
    return np.where(index < len(table), index, NEVER).astype(np.int64)


def jobs_at_intervals(
    ideal_gpus: Real, write_s: Real, intervals_min: list[float]
) -> NDArray[np.int64]:
    """(elements, intervals): :func:`size_training_job`'s N at each interval (NEVER where it
    cannot keep up), one search per interval for the whole array, a column at a time."""
    ideal = np.atleast_1d(np.asarray(ideal_gpus, dtype=np.float64))
    write = np.broadcast_to(np.asarray(write_s, dtype=np.float64), ideal.shape)
    inputs = table_inputs()  # read once: the tables of every interval share it
    jobs = np.empty((ideal.size, len(intervals_min)), dtype=np.int64)
    for k, interval in enumerate(intervals_min):
        needed = _c0_demand(ideal, useful_fraction(float(interval), write))
        jobs[:, k] = _search(_delivery_table(inputs, float(interval)), needed).ravel()
    return jobs


def true_demand_many(
    ideal_gpus: NDArray[np.float64], write_s: Real, intervals_min: list[float]
) -> NDArray[np.float64]:
    """Per element, the GPUs of :func:`true_demand` (inf where no interval keeps up):
    ``min_T size_training_job(a, T, C)`` over the keeping-up intervals, one search each."""
    fewest = jobs_at_intervals(ideal_gpus, write_s, intervals_min).min(axis=1)
    return np.where(fewest < NEVER, fewest, np.inf).astype(np.float64)


def most_delivered_gpus(interval_min: float, write_s: float) -> tuple[int, float]:
    """(N_peak, the most ideal GPUs' worth of work any job size delivers at this interval)."""
    table = delivery_table(float(interval_min))
    most = float(table[-1]) * float(useful_fraction(float(interval_min), write_s))
    return len(table) - 1, max(most, 0.0)


def true_demand(
    ideal_gpus: float, write_s: float, intervals_min: list[float]
) -> tuple[float, float]:
    """(GPUs, interval) of the cheapest keeping-up job over the intervals (the first of them on
    a tie); (inf, nan) if none keeps up."""
    jobs = jobs_at_intervals(ideal_gpus, write_s, intervals_min)[0]
    k = int(np.argmin(jobs))
    if jobs[k] >= NEVER:
        return math.inf, math.nan
    return float(jobs[k]), intervals_min[k]


def best_grid_interval(
    ideal_gpus: Real, write_s: Real, intervals_min: list[float], here_min: float
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Per job a (with its write C), (T_best, N_best) over EVERY grid interval, not only the
    neighbours of T:

    ``N_best = min_T size_training_job(a, T, C)``, and ``T_best`` the grid interval nearest
    ``here_min`` among those that need only N_best (``here_min`` itself when it is one; the
    shorter on a tie). Where no interval keeps up, N_best is :data:`NEVER` and T_best nan.
    One search per interval for the whole array (contract claim 18).
    """
    grid = np.asarray(intervals_min, dtype=np.float64)
    jobs = jobs_at_intervals(ideal_gpus, write_s, intervals_min)
    fewest = jobs.min(axis=1)
    distance = np.where(jobs == fewest[:, None], np.abs(grid - here_min), np.inf)
    best = np.where(fewest < NEVER, grid[np.argmin(distance, axis=1)], np.nan)
    return best, fewest.astype(np.int64)


def interval_advice(
    ideal_gpus: float, write_s: float, interval_min: float, intervals_min: list[float]
) -> tuple[str, float, float]:
    """("keep" | "lengthen" | "shorten", T_best, N_best) over EVERY grid interval.

    T_best is the grid interval nearest the design's T among those whose job needs the fewest
    GPUs (:func:`best_grid_interval`); "keep" exactly when T is one of them. When no interval
    keeps up, ("none", nan, inf).
    """
    best, fewest = best_grid_interval(ideal_gpus, write_s, intervals_min, interval_min)
    best_t, best_n = float(best[0]), int(fewest[0])
    if best_n >= NEVER:
        return "none", math.nan, math.inf
    if best_t == interval_min:
        return "keep", best_t, float(best_n)
    return ("lengthen" if best_t > interval_min else "shorten"), best_t, float(best_n)
