"""The scorecard: one design in, six constraints and the GPU budget out.

``evaluate(design)`` composes the constraint modules (:mod:`accuracy`, :mod:`serving`,
:mod:`privacy`, :mod:`robustness`, :mod:`carbon`, :mod:`uptime`) and the fine-tuning job
(:mod:`training`). The 10,000-GPU budget is shared by the serving replicas, their hot spares
and the fine-tuning job (including what checkpoints waste). A design is *approved* when all
six constraints pass and its GPUs fit the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from constraintlab.model import accuracy as acc_model
from constraintlab.model import carbon as carbon_model
from constraintlab.model import robustness as rob_model
from constraintlab.model import scenario as sc
from constraintlab.model import training
from constraintlab.model.design import Design
from constraintlab.model.serving import ServingPlan, serving_plan
from constraintlab.model.uptime import UptimePlan, uptime_plan

CONSTRAINT_NAMES: Final = (
    "accuracy",
    "p99_latency",
    "dp_privacy",
    "adversarial_robustness",
    "carbon_reduction",
    "fault_tolerance",
)

CONSTRAINT_LABELS: Final = {
    "accuracy": "Accuracy",
    "p99_latency": "P99 latency",
    "dp_privacy": "DP privacy (HIPAA)",
    "adversarial_robustness": "Adversarial robustness",
    "carbon_reduction": "Carbon reduction",
    "fault_tolerance": "Fault tolerance",
}


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

    @property
    def margin(self) -> float:
        """Distance to the target on the passing side (positive = passing), in ``unit``."""
        if self.comparison in (">=", ">"):
            return self.value - self.target
        return self.target - self.value

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "target": self.target,
            "met": self.met,
            "unit": self.unit,
            "comparison": self.comparison,
            "derivation": dict(self.derivation),
        }


@dataclass(frozen=True)
class GpuUsage:
    """Where the GPUs go: serving, hot spares and the fine-tuning job (incl. its waste)."""

    serving_gpus: int
    spare_gpus: int
    training_ideal_gpus: float
    training_gpus: float
    training_keeps_up: bool
    gpus_budget: int = sc.GPU_BUDGET

    @property
    def checkpoint_waste_gpus(self) -> float:
        """GPUs lost to checkpoints, rework and restarts: N - a."""
        return self.training_gpus - self.training_ideal_gpus

    @property
    def gpus_needed(self) -> float:
        return self.serving_gpus + self.spare_gpus + self.training_gpus

    @property
    def within_budget(self) -> bool:
        return self.training_keeps_up and self.gpus_needed <= self.gpus_budget

    def to_dict(self) -> dict[str, Any]:
        return {
            "gpus_needed": self.gpus_needed,
            "gpus_budget": self.gpus_budget,
            "within_budget": self.within_budget,
            "serving_gpus": self.serving_gpus,
            "spare_gpus": self.spare_gpus,
            "training_gpus": self.training_gpus,
            "training_ideal_gpus": self.training_ideal_gpus,
            "checkpoint_waste_gpus": self.checkpoint_waste_gpus,
            "training_keeps_up": self.training_keeps_up,
        }


@dataclass(frozen=True)
class Scorecard:
    """The six constraints of one design, its GPU budget and the verdict."""

    design: Design
    constraints: dict[str, ConstraintResult]
    budget: GpuUsage

    @property
    def n_met(self) -> int:
        return sum(result.met for result in self.constraints.values())

    @property
    def approved(self) -> bool:
        return self.n_met == len(CONSTRAINT_NAMES) and self.budget.within_budget

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


def _plans(design: Design) -> tuple[ServingPlan, UptimePlan]:
    plan = serving_plan(design.model_size_b, design.parallelism)
    return plan, uptime_plan(plan.replicas, plan.gpus_per_replica)


def gpu_usage(design: Design) -> GpuUsage:
    """GPUs the design needs: serving replicas, hot spares, fine-tuning job (with waste)."""
    return _gpu_usage(design, *_plans(design))


def _gpu_usage(design: Design, plan: ServingPlan, up: UptimePlan) -> GpuUsage:
    ideal = training.ideal_training_gpus(design.model_size_b, design.dp_epsilon, design.adv_weight)
    gpus, keeps_up = training.size_training_job(ideal, design.checkpoint_interval_min)
    return GpuUsage(
        serving_gpus=plan.serving_gpus,
        spare_gpus=up.spare_gpus,
        training_ideal_gpus=ideal,
        training_gpus=gpus,
        training_keeps_up=bool(keeps_up),
    )


def _accuracy(design: Design) -> ConstraintResult:
    parts = acc_model.accuracy_breakdown(design.model_size_b, design.dp_epsilon, design.adv_weight)
    return ConstraintResult(
        "accuracy",
        CONSTRAINT_LABELS["accuracy"],
        parts.accuracy * 100.0,
        sc.ACCURACY_TARGET * 100.0,
        "%",
        ">=",
        parts.accuracy >= sc.ACCURACY_TARGET,
        {
            "clean_accuracy_pct": parts.clean_accuracy * 100.0,
            "dp_cost_pct": parts.dp_cost * 100.0,
            "adversarial_cost_pct": parts.adversarial_cost * 100.0,
        },
    )


def _latency(plan: ServingPlan) -> ConstraintResult:
    met = plan.fits_in_memory and plan.p99_ms < sc.P99_SLO_MS
    return ConstraintResult(
        "p99_latency",
        CONSTRAINT_LABELS["p99_latency"],
        plan.p99_ms,
        sc.P99_SLO_MS,
        "ms",
        "<",
        met,
        {
            "gpus_per_replica": plan.gpus_per_replica,
            "tensor_parallel": plan.tensor_parallel,
            "pipeline_parallel": plan.pipeline_parallel,
            "weights_gb": plan.weights_gb,
            "memory_per_gpu_gb": plan.memory_per_gpu_gb,
            "fits_in_memory": plan.fits_in_memory,
            "arithmetic_intensity_flop_per_byte": plan.arithmetic_intensity_flop_per_byte,
            "ridge_point_flop_per_byte": sc.RIDGE_POINT_FLOP_PER_BYTE,
            "compute_ms": plan.compute_ms,
            "tensor_parallel_comm_ms": plan.tensor_parallel_comm_ms,
            "pipeline_hop_ms": plan.pipeline_hop_ms,
            "service_ms": plan.service_ms,
            "replicas": plan.replicas,
            "utilization": plan.utilization,
            "wait_probability": plan.wait_probability,
            "mean_response_ms": plan.mean_response_ms,
            "arrival_rate_per_s": sc.ARRIVAL_RATE_PER_S,
        },
    )


def _privacy(design: Design) -> ConstraintResult:
    return ConstraintResult(
        "dp_privacy",
        CONSTRAINT_LABELS["dp_privacy"],
        design.dp_epsilon,
        sc.DP_EPSILON_LIMIT,
        "epsilon",
        "<=",
        design.dp_epsilon <= sc.DP_EPSILON_LIMIT,
        {"dp_accuracy_cost_pct": acc_model.dp_accuracy_cost(design.dp_epsilon) * 100.0},
    )


def _robustness(design: Design) -> ConstraintResult:
    value = rob_model.robustness(design.dp_epsilon, design.adv_weight)
    return ConstraintResult(
        "adversarial_robustness",
        CONSTRAINT_LABELS["adversarial_robustness"],
        value * 100.0,
        sc.ROBUSTNESS_TARGET * 100.0,
        "%",
        ">=",
        value >= sc.ROBUSTNESS_TARGET,
        {
            "undefended_pct": sc.ROBUSTNESS_UNDEFENDED * 100.0,
            "adv_weight": design.adv_weight,
            "dp_signal_retained": rob_model.dp_signal_retained(design.dp_epsilon),
        },
    )


def _carbon(design: Design, usage: GpuUsage) -> ConstraintResult:
    context_intensity = carbon_model.CONTEXT_INTENSITY_G_PER_KWH[design.context]
    intensity = carbon_model.effective_intensity(context_intensity, design.flexible_job_pct)
    baseline = carbon_model.baseline_gpus()
    reduction = carbon_model.carbon_reduction(usage.gpus_needed, intensity, baseline)
    return ConstraintResult(
        "carbon_reduction",
        CONSTRAINT_LABELS["carbon_reduction"],
        reduction * 100.0,
        sc.CARBON_REDUCTION_TARGET * 100.0,
        "%",
        ">",
        reduction > sc.CARBON_REDUCTION_TARGET,
        {
            "gpus_used": usage.gpus_needed,
            "baseline_gpus": baseline,
            "context_intensity_g_per_kwh": context_intensity,
            "effective_intensity_g_per_kwh": intensity,
            "power_mw": usage.gpus_needed * sc.H100_TDP_W / 1e6,
            "emissions_t_per_day": carbon_model.emissions_t_per_day(usage.gpus_needed, intensity),
            "baseline_emissions_t_per_day": carbon_model.emissions_t_per_day(
                baseline, sc.CARBON_BASELINE_G_PER_KWH
            ),
            "max_gpus_for_target": carbon_model.max_gpus_for_target(
                design.context, design.flexible_job_pct
            ),
        },
    )


def _fault_tolerance(design: Design, up: UptimePlan, usage: GpuUsage) -> ConstraintResult:
    failure_rate = usage.training_gpus / sc.GPU_MTBF_H
    waste = training.checkpoint_waste(design.checkpoint_interval_min, failure_rate)
    return ConstraintResult(
        "fault_tolerance",
        CONSTRAINT_LABELS["fault_tolerance"],
        up.uptime * 100.0,
        sc.UPTIME_TARGET * 100.0,
        "%",
        ">=",
        up.uptime >= sc.UPTIME_TARGET,
        {
            "active_replicas": up.active_replicas,
            "spare_replicas": up.spare_replicas,
            "gpus_per_replica": up.gpus_per_replica,
            "replica_failures_per_day": up.replica_failures_per_day,
            "mean_replicas_down": up.mean_replicas_down,
            "training_gpus": usage.training_gpus,
            "training_failures_per_h": failure_rate,
            "optimal_interval_min": training.optimal_interval_min(failure_rate),
            "checkpoint_interval_min": design.checkpoint_interval_min,
            "training_goodput": 1.0 - waste,
            "training_keeps_up": usage.training_keeps_up,
        },
    )


def evaluate(design: Design) -> Scorecard:
    """The scorecard of one design (six constraints, GPU budget, verdict)."""
    if not isinstance(design, Design):
        raise TypeError(f"evaluate() takes a Design, not {type(design).__name__}")
    plan, up = _plans(design)
    usage = _gpu_usage(design, plan, up)
    results = (
        _accuracy(design),
        _latency(plan),
        _privacy(design),
        _robustness(design),
        _carbon(design, usage),
        _fault_tolerance(design, up, usage),
    )
    return Scorecard(design, {r.name: r for r in results}, usage)
