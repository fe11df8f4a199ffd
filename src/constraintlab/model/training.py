"""The DP + adversarial fine-tuning job: its cost, its checkpoints and Young-Daly.

Every day the model is fine-tuned on the newly labelled studies, with DP-SGD (privacy) and
PGD adversarial examples (robustness). The job competes with serving for the GPU budget
and for the carbon target. Equations (modelling assumptions are marked):

* **Work**, in ideal GPUs (GPUs busy all day at the training MFU):
  ``a = 6 P D (1 + k_pgd w)(1 + c_dp / epsilon) / (86,400 s x F x mfu)``.
  6 P FLOP per token for forward + backward (Kaplan et al. 2020); D = 1e10 tokens/day
  (assumption); PGD-7 costs 7 extra forward-backward passes per adversarial example
  (Madry et al. 2018); DP-SGD's per-example clipping and the larger batches that drown its
  noise cost ~ 1/epsilon (assumption, 2x at epsilon = 1).
* **Failures**: the job is synchronous, so any of its N GPUs failing interrupts it:
  ``lambda = N / MTBF`` (MTBF = 2,000 h per GPU, the published lab's figure).
* **Waste per unit time** with checkpoint interval T (wall time from one checkpoint's start
  to the next, the write included), checkpoint write C = 120 s and restart R (the job resumes
  on a hot-spare node and reads its checkpoint back: R = 2 min, assumption):
  ``waste = C / T + lambda (T / 2 + R)`` (Young 1974; Daly 2006, first order in lambda T).
  Goodput = 1 - waste. The formula is first order and pessimistic: against the exact mean of
  the same renewal process (``simulate.fleet.exact_goodput``) it underestimates goodput by
  about 0.1 % at lambda T ~ 0.01 (the published defaults), 0.5 % at lambda T ~ 0.1, 2 % at
  lambda T ~ 0.25 and 17 % at lambda T = 1; tests/test_simulate_fleet.py measures it.
* **Young-Daly optimum**: d waste / dT = 0 gives ``T* = sqrt(2 C / lambda)``.
* **Sizing**: the job must finish a day's work each day, N (1 - waste(N)) = a, i.e.
  ``k N^2 - b N + a = 0`` with k = (T/2 + R) / MTBF and b = 1 - C/T, so
  ``N = 2a / (b + sqrt(b^2 - 4ka))``. If b^2 < 4ka no size keeps up: beyond
  N_peak = b / (2k) each added GPU fails often enough to cost more than it contributes.
  The engine then reports the job at N_peak and flags that it falls behind.

The checkpoint waste (N - a GPUs) is GPU budget and carbon spent on nothing.
"""

from __future__ import annotations

from constraintlab.model import scenario as sc
from constraintlab.model._numeric import Real

CHECKPOINT_WRITE_H = sc.CHECKPOINT_WRITE_S / 3600.0
TRAINING_RESTART_H = sc.TRAINING_RESTART_MIN / 60.0


def training_cost_multiplier(dp_epsilon: Real, adv_weight: Real) -> Real:
    """How many times a plain fine-tune the DP + PGD job costs: (1 + k_pgd w)(1 + c_dp/eps)."""
    return (1.0 + sc.PGD_STEPS * adv_weight) * (1.0 + sc.DP_COST_AT_EPSILON_1 / dp_epsilon)


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


def checkpoint_waste(interval_min: Real, failure_rate_per_h: Real) -> Real:
    """Young-Daly waste fraction: C/T + lambda (T/2 + R)."""
    interval_h = interval_min / 60.0
    return CHECKPOINT_WRITE_H / interval_h + failure_rate_per_h * (
        interval_h / 2.0 + TRAINING_RESTART_H
    )


def optimal_interval_min(failure_rate_per_h: Real) -> Real:
    """Young-Daly T* = sqrt(2 C / lambda), in minutes."""
    return (2.0 * CHECKPOINT_WRITE_H / failure_rate_per_h) ** 0.5 * 60.0


def size_training_job(ideal_gpus: Real, interval_min: Real) -> tuple[Real, Real]:
    """(N, keeps_up): whole GPUs the job needs so N (1 - waste(N)) >= a, and whether any N does.

    Works on floats and numpy arrays alike (same arithmetic on both paths).
    When the quadratic has no real root the job is reported at N_peak = b / 2k.
    """
    interval_h = interval_min / 60.0
    k = (interval_h / 2.0 + TRAINING_RESTART_H) / sc.GPU_MTBF_H
    b = 1.0 - CHECKPOINT_WRITE_H / interval_h
    discriminant = b * b - 4.0 * k * ideal_gpus
    keeps_up = discriminant >= 0.0
    root = 2.0 * ideal_gpus / (b + abs(discriminant) ** 0.5)
    peak = b / (2.0 * k)
    gpus = keeps_up * root + (discriminant < 0.0) * peak
    return -(-gpus // 1.0), keeps_up  # whole GPUs: ceil, written to work on arrays too
