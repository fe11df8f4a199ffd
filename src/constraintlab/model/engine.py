"""The scorecard: one design in, every constraint and the GPU budget out.

``evaluate(design)`` scores each constraint of the registry (:mod:`registry`; the shipped
ones are in :mod:`constraints`, over the modules :mod:`accuracy`, :mod:`serving`,
:mod:`privacy`, :mod:`robustness`, :mod:`carbon`, :mod:`uptime`) and sizes the fine-tuning job
(:mod:`training`). The 10,000-GPU budget is shared by the serving replicas the SLO needs,
the spares that keep it 99.9 % available, the fine-tuning job (with what checkpoints and
restarts cost) and the extra GPUs deferral needs. A design is *approved* when every
constraint passes and its GPUs fit the budget. Every verdict is decided on the value rounded
to the digits the lab shows (:mod:`decide`, contract claim 14).

A value that does not exist (the P99 of a model that does not fit, the carbon of a job that
keeps up at no interval) is never a number in words or JSON: ``ConstraintResult.missing`` and
``GpuUsage.cause`` / ``reason`` say why, and ``to_dict`` carries null (claims 18-19). The
carbon baseline is scored here once per scenario (:func:`carbon_baseline`), and
:func:`load_scenario` refuses a scenario whose baseline fails (claim 17).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from constraintlab.model import carbon as carbon_model
from constraintlab.model import registry, training
from constraintlab.model import scenario as sc
from constraintlab.model._numeric import json_safe
from constraintlab.model.constraints import NO_INTERVAL_KEEPS_UP as NO_INTERVAL_KEEPS_UP
from constraintlab.model.constraints import NOT_FITTING as NOT_FITTING
from constraintlab.model.decide import meets, passing_margin, shown
from constraintlab.model.design import Design
from constraintlab.model.design import interval_grid as interval_grid
from constraintlab.model.registry import Constraint, Point, Reading
from constraintlab.model.serving import ServingPlan, serving_plan

CONSTRAINT_NAMES: Final = registry.Names()  # live views of the registry, in scorecard order
CONSTRAINT_LABELS: Final = registry.Labels()


@dataclass(frozen=True)
class ConstraintResult:
    """One scorecard: value against target, in ``unit``; ``derivation`` holds the working."""

    name: str
    label: str
    value: float
    target: float
    unit: str
    comparison: str  # ">=", ">", "<=" or "<": how value must relate to target
    met: bool
    derivation: dict[str, Any] = field(default_factory=dict)
    exact_value: float = math.nan  # before rounding to the shown digits
    decimals: int = 2  # the digits shown, which decide the verdict
    missing: str = ""  # why the value does not exist (it is then never shown as a number)

    @property
    def display(self) -> str:
        """The value with exactly the digits that decided the verdict."""
        return f"{self.value:.{self.decimals}f}"

    @property
    def margin(self) -> float:
        """Distance to the target on the passing side (positive = passing), in ``unit``."""
        return passing_margin(self.comparison, self.value, self.target)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: a value that does not exist is null, with ``missing`` saying why."""
        document: dict[str, Any] = json_safe(
            {
                "value": None if self.missing else self.value,
                "target": self.target,
                "met": self.met,
                "unit": self.unit,
                "comparison": self.comparison,
                "decimals": self.decimals,
                "exact_value": None if self.missing else self.exact_value,
                "missing": self.missing or None,
                "derivation": dict(self.derivation),
            }
        )
        return document


@dataclass(frozen=True)
class GpuUsage:
    """Where the GPUs go: serving, spares, the fine-tuning job (with its waste) and deferral.

    When the job cannot keep up at the chosen interval, ``training_gpus`` is its true demand:
    the GPUs it needs at the grid interval that suits it best (``training_demand_interval_min``),
    or infinity if none does; ``training_keeps_up`` is false and the budget refuses.
    :attr:`cause` names why the budget refuses (or ``"within"``) and :attr:`reason` says it in
    words with the figures; every wording of the budget reads these two (contract claim 18).
    """

    serving_gpus: int
    spare_gpus: int
    training_ideal_gpus: float
    training_gpus: float
    training_keeps_up: bool
    deferral_gpus: float = 0.0
    training_demand_interval_min: float = math.nan
    gpus_budget: int = 0
    checkpoint_interval_min: float = math.nan  # the design's interval T
    checkpoint_write_s: float = math.nan  # C(P): the job's write at each checkpoint

    @property
    def checkpoint_waste_gpus(self) -> float:
        """GPUs lost to checkpoints, rework and restarts: N - a (>= 0)."""
        return self.training_gpus - self.training_ideal_gpus

    @property
    def gpus_needed(self) -> float:
        """S + N + deferral GPUs (:func:`carbon.gpus_needed`: the one definition)."""
        return self.serving_gpus + self.spare_gpus + self.training_gpus + self.deferral_gpus

    @property
    def within_budget(self) -> bool:
        return self.training_keeps_up and self.gpus_needed <= self.gpus_budget

    @property
    def cause(self) -> str:
        """``"cannot_keep_up"`` (the job, at its interval), ``"over_budget"`` or ``"within"``."""
        if not self.training_keeps_up:
            return "cannot_keep_up"
        return "within" if self.within_budget else "over_budget"

    @property
    def reason(self) -> str:
        """:attr:`cause` in words, with the figures that decide it (no inf or nan)."""
        if self.cause == "within":
            return f"needs {self.gpus_needed:,.0f} of {self.gpus_budget:,} GPUs"
        if self.cause == "over_budget":
            return f"needs {self.gpus_needed:,.0f} > {self.gpus_budget:,} GPUs"
        head = f"the fine-tuning job cannot keep up at T = {self.checkpoint_interval_min:g} min"
        if not math.isfinite(self.training_gpus):
            return f"{head}, and no grid interval keeps up at any job size"
        plural = "" if self.training_gpus == 1 else "s"
        return (
            f"{head} (at {self.training_demand_interval_min:g} min it would need"
            f" {self.training_gpus:,.0f} GPU{plural})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: a figure that does not exist is null; ``cause_text`` says why."""
        document: dict[str, Any] = json_safe(self._fields())
        return document

    def _fields(self) -> dict[str, Any]:
        return {
            "gpus_needed": self.gpus_needed,
            "gpus_budget": self.gpus_budget,
            "within_budget": self.within_budget,
            "cause": self.cause,
            "cause_text": self.reason,
            "serving_gpus": self.serving_gpus,
            "spare_gpus": self.spare_gpus,
            "training_gpus": self.training_gpus,
            "training_ideal_gpus": self.training_ideal_gpus,
            "checkpoint_waste_gpus": self.checkpoint_waste_gpus,
            "deferral_gpus": self.deferral_gpus,
            "training_keeps_up": self.training_keeps_up,
            "training_demand_interval_min": self.training_demand_interval_min,
            "checkpoint_interval_min": self.checkpoint_interval_min,
            "checkpoint_write_s": self.checkpoint_write_s,
        }


@dataclass(frozen=True)
class Scorecard:
    """Every constraint of one design, its GPU budget and the verdict."""

    design: Design
    constraints: dict[str, ConstraintResult]
    budget: GpuUsage

    @property
    def n_met(self) -> int:
        return sum(result.met for result in self.constraints.values())

    @property
    def approved(self) -> bool:
        return self.n_met == len(self.constraints) and self.budget.within_budget

    @property
    def failing(self) -> list[str]:
        return [name for name, result in self.constraints.items() if not result.met]

    def __getitem__(self, name: str) -> ConstraintResult:
        return self.constraints[name]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: design, constraints, n_met, approved, budget."""
        return {
            "design": self.design.to_dict(),
            "constraints": {name: r.to_dict() for name, r in self.constraints.items()},
            "n_met": self.n_met,
            "approved": self.approved,
            "budget": self.budget.to_dict(),
        }


def job_gpus(design: Design, write_s: float) -> tuple[float, float, bool, float]:
    """(a, N, keeps_up, interval of N): ideal GPUs, job size (true demand if it cannot keep up),
    for a job whose checkpoint write takes ``write_s`` (:func:`training.checkpoint_write_s`)."""
    ideal = float(
        training.ideal_training_gpus(design.model_size_b, design.dp_epsilon, design.adv_weight)
    )
    gpus, keeps_up = training.size_training_job(ideal, design.checkpoint_interval_min, write_s)
    if keeps_up:
        return ideal, float(gpus), True, design.checkpoint_interval_min
    demand, interval = training.true_demand(ideal, write_s, interval_grid())
    return ideal, demand, False, interval


def _gpu_usage(design: Design, plan: ServingPlan) -> GpuUsage:
    write_s = float(training.checkpoint_write_s(design.model_size_b))
    ideal, gpus, keeps_up, interval = job_gpus(design, write_s)
    extra = carbon_model.deferral_gpus(gpus, design.flexible_job_pct)
    return GpuUsage(
        serving_gpus=plan.serving_gpus,
        spare_gpus=plan.spare_gpus,
        training_ideal_gpus=ideal,
        training_gpus=gpus,
        training_keeps_up=keeps_up,
        deferral_gpus=float(extra),
        training_demand_interval_min=interval,
        gpus_budget=int(sc.GPU_BUDGET),
        checkpoint_interval_min=design.checkpoint_interval_min,
        checkpoint_write_s=write_s,
    )


def _result(constraint: Constraint, reading: Reading) -> ConstraintResult:
    """A constraint decided by the stated rule on its shown value (``reading.met`` may add a
    condition). A non-finite value always has a reason (``missing``)."""
    exact, name = reading.exact, constraint.key
    finite = math.isfinite(exact)
    decided = bool(meets(name, exact)) if finite else False
    if reading.met is not None:
        decided = decided and reading.met
    missing = reading.missing or ("" if finite else "not computed")
    return ConstraintResult(
        name,
        constraint.label,
        float(shown(name, exact)) if finite else exact,
        constraint.target,
        constraint.unit,
        constraint.comparison,
        decided,
        reading.derivation,
        exact_value=exact,
        decimals=constraint.decimals,
        missing=missing,
    )


_SKIPPED: Final = Reading(math.nan, {}, met=False, missing="not computed")


def evaluate(design: Design, *, with_carbon: bool = True) -> Scorecard:
    """The scorecard of one design (every constraint, the GPU budget, the verdict).

    ``with_carbon=False`` skips the constraints that read the carbon baseline (the baseline's
    own scoring)."""
    if not isinstance(design, Design):
        raise TypeError(f"evaluate() takes a Design, not {type(design).__name__}")
    plan = serving_plan(design.model_size_b, design.parallelism)
    usage = _gpu_usage(design, plan)
    point = Point(design, plan, usage, carbon_baseline)
    results = {
        c.key: _result(c, c.score(point) if with_carbon or not c.reads_baseline else _SKIPPED)
        for c in registry.constraints()
    }
    return Scorecard(design, results, usage)


# --- the carbon baseline: sized once per scenario, checked at load (contract claim 17) -------
def carbon_baseline() -> carbon_model.Baseline:
    """The baseline design of the scenario in force, scored by this engine (carbon aside) and
    sized once per scenario (keyed by its fingerprint).

    Raises :class:`~constraintlab.model.scenario.ScenarioError` naming ``carbon.baseline`` and
    what it fails when it does not meet every constraint that does not read the baseline (all
    but carbon) and the budget.
    """
    return _carbon_baseline(sc.FINGERPRINT)


@lru_cache(maxsize=8)
def _carbon_baseline(fingerprint: str) -> carbon_model.Baseline:
    design = Design(
        model_size_b=sc.BASELINE_MODEL_SIZE_B,
        dp_epsilon=sc.BASELINE_DP_EPSILON,
        adv_weight=sc.BASELINE_ADV_WEIGHT,
        parallelism=sc.BASELINE_PARALLELISM,
        checkpoint_interval_min=sc.BASELINE_CHECKPOINT_INTERVAL_MIN,
        flexible_job_pct=0.0,
        context="fleet",
    )
    card = evaluate(design, with_carbon=False)
    failures = baseline_failures(card)
    if failures:
        described = (
            f"{design.model_size_b:g} B {design.parallelism}, epsilon {design.dp_epsilon:g},"
            f" adversarial weight {design.adv_weight:g}, {design.checkpoint_interval_min:g} min"
        )
        raise sc.ScenarioError(
            "carbon.baseline",
            described,
            "a design that meets every constraint but carbon and the GPU budget;"
            f" it fails {'; '.join(failures)}",
        )
    b = card.budget
    return carbon_model.baseline_of(design, b.serving_gpus + b.spare_gpus, int(b.training_gpus))


def baseline_failures(card: Scorecard) -> list[str]:
    """What a baseline candidate fails, in words: each card that does not read the baseline
    (all but carbon), then the budget."""
    failures = []
    for name, result in card.constraints.items():
        if registry.get(name).reads_baseline or result.met:
            continue
        value = result.missing or f"{result.value:,.{result.decimals}f} {result.unit}"
        failures.append(
            f"{result.label.lower()} ({value}; needs {result.comparison} {result.target:g}"
            f" {result.unit})"
        )
    if not card.budget.within_budget:
        failures.append(f"the GPU budget ({card.budget.reason})")
    return failures


def checked_scenario(scenario: sc.Scenario) -> sc.Scenario:
    """``scenario`` if it holds as a whole (its carbon baseline, sized here once), else
    :class:`~constraintlab.model.scenario.ScenarioError` naming ``carbon.baseline``."""
    with sc.using(scenario):
        carbon_baseline()
    return scenario


def load_scenario(path: Path | str | None) -> list[sc.Constant]:
    """Load a scenario file, check it as a whole (every key, then :func:`checked_scenario`)
    and make it the process's. A refused file leaves the previous scenario in force and
    raises :class:`~constraintlab.model.scenario.ScenarioError`."""
    scenario = checked_scenario(sc.Scenario.load(path))
    sc.install(scenario)
    return list(scenario.constants)
