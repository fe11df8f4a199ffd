"""Constraint 5, carbon: emit more than 40 % less CO2 per study served than the baseline.

* **Per study served**: a day's emissions over the day's 100 million studies. The day's
  emissions are operational (energy x grid intensity) plus embodied.
* **Energy**: every allocated GPU that runs (serving replicas, spares, the fine-tuning job)
  draws its TDP plus its share of the server's own power (CPUs, memory, NICs, fans), times
  the facility's PUE: ``P = (TDP + host) x PUE``. The published lab counts the TDP only
  (host = 0, the default, a modelling choice); a DGX H100 is rated up to 10.2 kW at the wall
  for 8 GPUs, 575 W a GPU above its TDP, the published range's other end. Spares are hot.
* **Embodied carbon** per allocated GPU-hour: 462 kg CO2e per GPU (its share of the server
  included) over a 6-year life (Luccioni et al. 2023, BLOOM), ~ 8.8 g per GPU-hour, charged
  to every GPU the design holds, idle or not.
* **Deferral** (the flexible-work control, f) moves a share f of the fine-tuning job (the
  only deferrable work; serving is real-time) into the grid's cleanest H = 6 hours a day,
  when intensity is 70 % below the day's mean (the published lab's factor). A job that runs
  its deferred share only in those hours needs ``f N (24 / H - 1)`` more GPUs (idle, powered
  down, outside the window), which the budget and the embodied carbon pay for.
* **Context**: ``fleet`` buys all energy from the 386 g/kWh mixed grid. ``renewable`` adds a
  firm PPA of 4 MW (modelling assumption) at 40 g/kWh; the facility power above it comes
  from the grid. So renewable helps less as the fleet grows.
* **Baseline**: a stated design (scenario file, ``[carbon.baseline]``) that meets
  every constraint but carbon, and the budget, on the 386 g/kWh grid without deferral, scored by
  the same engine at run time and checked when the scenario is loaded
  (``engine.carbon_baseline``). ``reduction = 1 - (g per study) / (baseline g per study)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from constraintlab.model import scenario as sc
from constraintlab.model._numeric import Real
from constraintlab.model.training import NEVER


def context_intensity(context: str) -> float:
    """The PPA's intensity in the renewable context, the grid's otherwise (g/kWh)."""
    return float(sc.GRID_RENEWABLE_G_PER_KWH if context == "renewable" else sc.GRID_FLEET_G_PER_KWH)


def ppa_kw(context: str) -> float:
    """Firm renewable power available to the design (kW): the PPA in ``renewable``, else 0."""
    return float(sc.PPA_CAPACITY_MW * 1000.0 if context == "renewable" else 0.0)


def gpu_facility_kw() -> float:
    """Facility power per running GPU at the wall: (TDP + host share) x PUE (kW)."""
    return float((sc.H100_TDP_W + sc.HOST_POWER_W_PER_GPU) * sc.PUE / 1000.0)


def deferral_gpus(job_gpus: Real, flexible_job_pct: Real) -> Real:
    """Extra whole GPUs so the deferred share runs only in the clean hours: ceil(f N (24/H - 1)),
    and none for a job with no size (N infinite, or the tables' :data:`training.NEVER`).

    The one definition of deferral GPUs: the scalar engine, the array engine and the census
    tables all call it."""
    job = np.asarray(job_gpus, dtype=np.float64)
    sized = np.isfinite(job) & (job < NEVER)
    share = np.asarray(flexible_job_pct, dtype=np.float64) / 100.0
    extra = np.ceil(
        np.where(sized, job, 0.0) * share * (24.0 / sc.CLEAN_HOURS_PER_DAY - 1.0) - 1e-9
    )
    extra = np.where(sized, np.maximum(extra, 0.0), 0.0)
    return float(extra) if np.ndim(extra) == 0 else extra


def gpus_needed(held_gpus: Real, job_gpus: Real, flexible_job_pct: Real) -> Real:
    """Every GPU a design holds: S + N + deferral GPUs(N, f), S the serving replicas' and
    spares' GPUs, N the job's (infinite when it has no size). The one definition the scalar
    engine, the array engine, the census tables and the emissions share."""
    job = np.asarray(job_gpus, dtype=np.float64)
    total = np.asarray(held_gpus, dtype=np.float64) + job + deferral_gpus(job, flexible_job_pct)
    return float(total) if np.ndim(total) == 0 else total


@dataclass(frozen=True)
class Emissions:
    """One design's day, in kg CO2 (operational split by source) and g per study."""

    ppa_kg: Any
    grid_kg: Any
    clean_hours_kg: Any
    embodied_kg: Any
    energy_mwh: Any

    @property
    def total_kg(self) -> Any:
        return self.ppa_kg + self.grid_kg + self.clean_hours_kg + self.embodied_kg

    @property
    def g_per_study(self) -> Any:
        return self.total_kg * 1000.0 / sc.STUDIES_PER_DAY


def emissions(
    serve_gpus: Real,
    job_gpus: Real,
    flexible_job_pct: Real,
    ppa_kw_available: Real,
    renewable_g: Real,
) -> Emissions:
    """A day's emissions (module doc): flat load first on the PPA, then the grid at its mean;
    the deferred share in the clean hours, on what the PPA has left, then the clean grid."""
    p = gpu_facility_kw()
    share = np.asarray(flexible_job_pct, dtype=np.float64) / 100.0
    hours = float(sc.CLEAN_HOURS_PER_DAY)
    flat_kw = (np.asarray(serve_gpus, dtype=np.float64) + (1.0 - share) * job_gpus) * p
    deferred_kw = share * job_gpus * p * 24.0 / hours  # during the clean hours only
    ppa = np.asarray(ppa_kw_available, dtype=np.float64)
    flat_ppa_kw = np.minimum(flat_kw, ppa)
    deferred_ppa_kw = np.minimum(deferred_kw, ppa - flat_ppa_kw)
    grid_mean = float(sc.GRID_FLEET_G_PER_KWH)
    clean = grid_mean * (1.0 - sc.CLEAN_HOURS_REDUCTION)
    ppa_kwh = flat_ppa_kw * 24.0 + deferred_ppa_kw * hours
    held = gpus_needed(serve_gpus, job_gpus, flexible_job_pct)
    return Emissions(
        ppa_kg=ppa_kwh * renewable_g / 1000.0,
        grid_kg=(flat_kw - flat_ppa_kw) * 24.0 * grid_mean / 1000.0,
        clean_hours_kg=(deferred_kw - deferred_ppa_kw) * hours * clean / 1000.0,
        embodied_kg=held * 24.0 * sc.EMBODIED_G_PER_GPU_H / 1000.0,
        energy_mwh=(flat_kw * 24.0 + deferred_kw * hours) / 1000.0,
    )


def design_emissions(
    serve_gpus: Real, job_gpus: Real, flexible_job_pct: Real, context: str
) -> Emissions:
    """Emissions of a design in a named context."""
    return emissions(
        serve_gpus, job_gpus, flexible_job_pct, ppa_kw(context), float(sc.GRID_RENEWABLE_G_PER_KWH)
    )


def reduction(g_per_study: Real, baseline_g_per_study: float) -> Real:
    """1 - (g per study) / (baseline g per study), as a fraction."""
    return 1.0 - g_per_study / baseline_g_per_study


@dataclass(frozen=True)
class Baseline:
    """The stated baseline design and its figures (it meets all but carbon, and the budget)."""

    design: Any  # a Design
    serve_gpus: int
    job_gpus: int
    gpus: int
    g_per_study: float
    t_per_day: float
    meets_five: bool


def baseline_of(design: Any, serve_gpus: int, job_gpus: int) -> Baseline:
    """The baseline's figures on the 386 g/kWh grid without deferral, from its GPUs.

    The engine scores and sizes the baseline design once per scenario (and refuses a scenario
    whose baseline fails a constraint other than carbon, or the budget); this module only
    turns its GPUs into emissions, so it needs nothing from the engine.
    """
    result = design_emissions(serve_gpus, job_gpus, 0.0, "fleet")
    return Baseline(
        design=design,
        serve_gpus=int(serve_gpus),
        job_gpus=int(job_gpus),
        gpus=int(serve_gpus + job_gpus),
        g_per_study=float(result.g_per_study),
        t_per_day=float(result.total_kg) / 1000.0,
        meets_five=True,
    )
