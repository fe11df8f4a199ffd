"""Constraint 5, carbon: emit more than 40 % less CO2 than the baseline deployment.

* **Baseline**: the lab's starting architecture (the published default design) running on
  the 386 g CO2/kWh mixed global grid with no carbon-aware scheduling. Its GPU count comes
  from this same engine at run time.
* **Energy**: every allocated GPU (serving, hot spares, fine-tuning) draws its 700 W TDP
  (modelling assumption: idle draw, host power and cooling ignored on both sides).
* **Effective intensity**: a share f of the work is deferrable and runs in hours 70 %
  cleaner (carbon-aware scheduling; the published lab's factor):
  ``I_eff = I_context (1 - 0.7 f)``, I_context = 386 (fleet) or 40 (renewable PPA) g/kWh.
* **Reduction**: ``1 - (N_used / N_baseline) x (I_eff / 386)``.

Jevons: with grid, deferral and context fixed, every extra GPU lowers the reduction; a design
that is more accurate and more robust but needs more GPUs can emit more in total.
On the global-fleet grid the target needs ``N_used < 0.6 N_baseline / (1 - 0.7 f)``:
see :func:`max_gpus_for_target`.
"""

from __future__ import annotations

from functools import lru_cache

from constraintlab.model import scenario as sc
from constraintlab.model._numeric import Real

CONTEXT_INTENSITY_G_PER_KWH = {
    "fleet": sc.GRID_FLEET_G_PER_KWH,
    "renewable": sc.GRID_RENEWABLE_G_PER_KWH,
}


def effective_intensity(context_intensity: Real, flexible_job_pct: Real) -> Real:
    """g CO2/kWh after shifting the deferrable share to cleaner hours: I (1 - 0.7 f)."""
    return context_intensity * (1.0 - sc.CARBON_SHIFT_REDUCTION * flexible_job_pct / 100.0)


def carbon_reduction(gpus_used: Real, intensity_g_per_kwh: Real, baseline_gpus: float) -> Real:
    """1 - (N_used / N_baseline)(I_eff / I_baseline), as a fraction."""
    return 1.0 - (gpus_used / baseline_gpus) * (intensity_g_per_kwh / sc.CARBON_BASELINE_G_PER_KWH)


def emissions_t_per_day(gpus_used: Real, intensity_g_per_kwh: Real) -> Real:
    """Tonnes of CO2 a day: N x 700 W x 24 h x intensity."""
    return gpus_used * sc.H100_TDP_W / 1000.0 * 24.0 * intensity_g_per_kwh / 1e6


def max_gpus_for_target(context: str, flexible_job_pct: float) -> float:
    """The most GPUs a design may use and still beat the carbon target (strictly fewer)."""
    intensity = effective_intensity(CONTEXT_INTENSITY_G_PER_KWH[context], flexible_job_pct)
    allowed_ratio = (1.0 - sc.CARBON_REDUCTION_TARGET) * sc.CARBON_BASELINE_G_PER_KWH / intensity
    return float(allowed_ratio * baseline_gpus())


@lru_cache(maxsize=1)
def baseline_gpus() -> float:
    """GPUs of the published default design (serving + spares + fine-tuning), from the engine."""
    from constraintlab.model.design import Design
    from constraintlab.model.engine import gpu_usage

    return gpu_usage(Design()).gpus_needed
