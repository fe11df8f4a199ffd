"""The shipped six constraints, each whole in one record (:mod:`record`; :mod:`registry`
registers them).

Each record's scalar evaluation reads a :class:`~record.Point` (the design, its serving plan
and GPU usage) and returns the exact value in the card's unit with its working; its array
evaluation reads :class:`~record.Arrays` and returns the values and any extra pass
condition, with the very functions of the constraint's own module (:mod:`accuracy`,
:mod:`serving`, :mod:`robustness`, :mod:`carbon`, :mod:`uptime`); its explanation line words the
working. The verdict is the rule of :mod:`decide` on the value. Nothing here imports the
scorecard (:mod:`engine`): a result and a card are read by their fields. Adding a constraint:
docs/adding-a-constraint.md.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np

from constraintlab.model import accuracy as acc_model
from constraintlab.model import carbon as carbon_model
from constraintlab.model import robustness as rob_model
from constraintlab.model import scenario as sc
from constraintlab.model import training
from constraintlab.model.design import interval_grid
from constraintlab.model.record import JOB, MODEL, SERVING, Arrays, Constraint, Point, Reading
from constraintlab.model.wording import count, layout_words, shown_number

Pair = tuple[Any, Any]
NOT_FITTING: Final = "does not fit in memory"
NO_INTERVAL_KEEPS_UP: Final = (
    "the fine-tuning job keeps up at no grid interval, so its emissions are unbounded"
)


def _accuracy(p: Point) -> Reading:
    d = p.design
    parts = acc_model.accuracy_breakdown(d.model_size_b, d.dp_epsilon, d.adv_weight)
    return Reading(
        parts.accuracy * 100.0,
        {
            "clean_accuracy_pct": parts.clean_accuracy * 100.0,
            "dp_cost_pct": parts.dp_cost * 100.0,
            "adversarial_cost_pct": parts.adversarial_cost * 100.0,
        },
    )


def _accuracy_many(a: Arrays) -> Pair:
    return acc_model.accuracy(a.model_size_b, a.dp_epsilon, a.adv_weight) * 100.0, True


def _latency(p: Point) -> Reading:
    plan = p.plan
    return Reading(
        plan.p99_ms,
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
            "collectives_per_stage": plan.collectives_per_stage,
            "nvlink_gb_per_s_per_direction": sc.NVLINK_GB_PER_S_PER_DIRECTION,
            "collective_latency_us": sc.TP_COLLECTIVE_LATENCY_US,
            "pipeline_hop_ms": plan.pipeline_hop_ms,
            "service_mean_ms": plan.service_mean_ms,
            "service_ms": plan.service_ms,
            "service_scv": plan.service_scv,
            "fixed_delay_ms": plan.fixed_delay_ms,
            "slo_feasible": plan.slo_feasible,
            "replicas": plan.replicas,
            "replicas_required": plan.replicas_required,
            "routing_policy": plan.routing_policy,
            "offered_load": plan.offered_load,
            "utilization": plan.utilization,
            "p99_at_required_ms": plan.p99_at_required_ms,
            "p99_over_service": plan.p99_ms / plan.service_ms,
            "arrival_rate_per_s": sc.ARRIVAL_RATE_PER_S,
        },
        met=plan.fits_in_memory and plan.slo_feasible,
        missing="" if plan.fits_in_memory else NOT_FITTING,
    )


# how the P99 line names the scenario's routing policy (serving.routing_policy)
ROUTING_WORDS: Final = {
    "pooled": "sharing one queue",
    "random": "each with its own queue (random routing)",
}


def _latency_many(a: Arrays) -> Pair:
    return a.serve.p99_ms, a.serve.latency_ok


def _privacy(p: Point) -> Reading:
    epsilon = p.design.dp_epsilon
    return Reading(epsilon, {"dp_accuracy_cost_pct": acc_model.dp_accuracy_cost(epsilon) * 100.0})


def _privacy_many(a: Arrays) -> Pair:
    return np.asarray(a.dp_epsilon, dtype=np.float64), True


def _robustness(p: Point) -> Reading:
    d = p.design
    return Reading(
        rob_model.robustness(d.dp_epsilon, d.adv_weight) * 100.0,
        {
            "undefended_pct": sc.ROBUSTNESS_UNDEFENDED * 100.0,
            "adv_weight": d.adv_weight,
            "dp_signal_retained": rob_model.dp_signal_retained(d.dp_epsilon),
        },
    )


def _robustness_many(a: Arrays) -> Pair:
    return rob_model.robustness(a.dp_epsilon, a.adv_weight) * 100.0, True


def _carbon(p: Point) -> Reading:
    base, usage, design = p.baseline(), p.usage, p.design
    if not math.isfinite(usage.training_gpus):
        return Reading(-math.inf, {"baseline_gpus": base.gpus}, False, NO_INTERVAL_KEEPS_UP)
    serve = usage.serving_gpus + usage.spare_gpus
    day = carbon_model.design_emissions(
        serve, usage.training_gpus, design.flexible_job_pct, design.context
    )
    return Reading(
        float(carbon_model.reduction(day.g_per_study, base.g_per_study)) * 100.0,
        {
            "gpus_used": usage.gpus_needed,
            "g_per_study": float(day.g_per_study),
            "baseline_g_per_study": base.g_per_study,
            "baseline_gpus": base.gpus,
            "baseline_design": base.design.to_dict(),
            "emissions_t_per_day": float(day.total_kg) / 1000.0,
            "baseline_emissions_t_per_day": base.t_per_day,
            "ppa_t_per_day": float(day.ppa_kg) / 1000.0,
            "grid_t_per_day": float(day.grid_kg) / 1000.0,
            "clean_hours_t_per_day": float(day.clean_hours_kg) / 1000.0,
            "embodied_t_per_day": float(day.embodied_kg) / 1000.0,
            "energy_mwh_per_day": float(day.energy_mwh),
            "power_mw": float(day.energy_mwh) / 24.0,
            "ppa_capacity_mw": carbon_model.ppa_kw(design.context) / 1000.0,
            "context_intensity_g_per_kwh": carbon_model.context_intensity(design.context),
            "grid_g_per_kwh": sc.GRID_FLEET_G_PER_KWH,
            "pue": sc.PUE,
            "deferral_gpus": usage.deferral_gpus,
        },
    )


def _carbon_many(a: Arrays) -> Pair:
    """reduction = 1 - g/study / baseline g/study (in %; -inf where the job has no size)."""
    day = carbon_model.emissions(
        a.held_gpus, a.job_gpus, a.flexible_job_pct, a.ppa_kw, float(sc.GRID_RENEWABLE_G_PER_KWH)
    )
    value = carbon_model.reduction(day.g_per_study, a.baseline_g_per_study)
    return np.where(a.job_finite, value, -np.inf) * 100.0, a.job_finite


def _fault_tolerance(p: Point) -> Reading:
    design, plan, usage = p.design, p.plan, p.usage
    avail = plan.availability
    job = usage.training_gpus if math.isfinite(usage.training_gpus) else 0.0
    failure_rate = job / sc.GPU_MTBF_H
    interval, write_s = design.checkpoint_interval_min, usage.checkpoint_write_s
    goodput = float(training.goodput(job, interval, write_s)) if job > 0 else 0.0
    t_star = training.optimal_interval_min(failure_rate, write_s) if failure_rate else math.nan
    peak_gpus, most = training.most_delivered_gpus(interval, write_s)
    advice, best_t, best_n = training.interval_advice(
        usage.training_ideal_gpus, write_s, interval, interval_grid()
    )
    return Reading(
        avail.availability * 100.0,
        {
            "replicas_required": avail.replicas_required,
            "n_replicas": avail.n_replicas,
            "active_replicas": avail.replicas_required,
            "spare_replicas": avail.spare_replicas,
            "gpus_per_replica": avail.gpus_per_replica,
            "replica_down_share": avail.replica_down_share,
            "replica_failures_per_day": avail.replica_failures_per_day,
            "gpu_mtbf_h": sc.GPU_MTBF_H,
            "restart_min": sc.COLD_RESTART_MIN,
            "slo_feasible": plan.slo_feasible,
            "training_gpus": usage.training_gpus,
            "training_failures_per_h": failure_rate,
            "optimal_interval_min": t_star,
            "checkpoint_interval_min": design.checkpoint_interval_min,
            "checkpoint_s": write_s,
            "training_goodput": goodput,
            "training_keeps_up": usage.training_keeps_up,
            "training_most_delivered_gpus": most,
            "training_peak_gpus": peak_gpus,
            "interval_advice": advice,
            "best_interval_min": best_t,
            "best_interval_gpus": best_n,
        },
        met=plan.slo_feasible,
        missing="" if plan.fits_in_memory else NOT_FITTING,
    )


def _fault_tolerance_many(a: Arrays) -> Pair:
    return a.serve.uptime * 100.0, a.serve.latency_ok


def _accuracy_line(r: Any, card: Any) -> str:
    d, x = r.derivation, card.design
    return (
        f"clean {d['clean_accuracy_pct']:.2f}% for {x.model_size_b:g} B params"
        f" - DP {d['dp_cost_pct']:.2f} pts (epsilon {x.dp_epsilon:g})"
        f" - adversarial {d['adversarial_cost_pct']:.2f} pts (weight {x.adv_weight:.2f})"
        f" = {shown_number(r)}%"
    )


def _latency_line(r: Any, card: Any) -> str:
    d = r.derivation
    layout = layout_words(d["tensor_parallel"], d["pipeline_parallel"])
    if not d["fits_in_memory"]:
        usable = sc.SERVING_MEMORY_USABLE_FRACTION * sc.H100_MEMORY_GB
        return (
            f"{d['weights_gb']:.0f} GB of FP16 weights need {d['memory_per_gpu_gb']:.0f} GB per GPU"
            f" with {layout}: more than the {usable:.0f} GB usable, so it cannot be served"
        )
    comm = ""
    if d["tensor_parallel_comm_ms"] > 0:
        comm = (
            f" + {d['tensor_parallel_comm_ms']:.1f} ms for {d['collectives_per_stage']:.0f}"
            f" all-reduces at {d['nvlink_gb_per_s_per_direction']:.0f} GB/s per direction"
        )
    pipe = ""
    if d["fixed_delay_ms"] > 0:
        pipe = (
            f"; {d['pipeline_parallel']} stages stream studies, adding {d['fixed_delay_ms']:.1f} ms"
        )
    if not d["slo_feasible"]:
        return (
            f"{d['weights_gb']:.0f} GB of weights on {layout}: a study takes"
            f" {d['compute_ms']:.1f} ms of compute{comm}{pipe}; even with no queue its P99 is"
            f" {shown_number(r)} ms, so no number of replicas meets the SLO"
        )
    return (
        f"{d['weights_gb']:.0f} GB of weights on {layout}: {d['compute_ms']:.1f} ms of compute"
        f"{comm}{pipe}; service time {d['service_mean_ms']:.1f} ms (SCV {d['service_scv']:g});"
        f" {count(d['replicas'], 'replica')} ({d['replicas_required']:,} needed)"
        f" {ROUTING_WORDS[d['routing_policy']]} at {d['utilization']:.0%} busy"
        f" -> P99 {shown_number(r)} ms"
        f" ({d['p99_over_service']:.2f}x the unloaded latency)"
    )


def _privacy_line(r: Any, card: Any) -> str:
    sign = "<=" if r.met else ">"
    retained = card.constraints["adversarial_robustness"].derivation["dp_signal_retained"]
    return (
        f"epsilon {shown_number(r)} {sign} {r.target:g}; it costs"
        f" {r.derivation['dp_accuracy_cost_pct']:.2f} accuracy points and leaves {retained:.0%}"
        " of the adversarial training signal"
    )


def _robustness_line(r: Any, card: Any) -> str:
    d = r.derivation
    gain = sc.ROBUSTNESS_GAIN_AT_FULL_WEIGHT * 100.0
    return (
        f"{d['undefended_pct']:.0f}% undefended + {gain:.0f} pts x weight {d['adv_weight']:.2f}"
        f" x {d['dp_signal_retained']:.1%} of the signal DP leaves = {shown_number(r)}%"
    )


def _carbon_line(r: Any, card: Any) -> str:
    d = r.derivation
    if "g_per_study" not in d:
        return str(r.missing)
    base = d["baseline_design"]
    return (
        f"{d['g_per_study']:.3f} g CO2 per study ({d['gpus_used']:,.0f} GPUs,"
        f" {d['power_mw']:.2f} MW mean at PUE {d['pue']:g}; grid {d['grid_t_per_day']:.1f} t/day,"
        f" PPA {d['ppa_t_per_day']:.1f}, clean hours {d['clean_hours_t_per_day']:.1f},"
        f" embodied {d['embodied_t_per_day']:.1f}) vs. {d['baseline_g_per_study']:.3f} g for the"
        f" baseline ({base['model_size_b']:g} B {base['parallelism']}, {d['baseline_gpus']:,} GPUs"
        f" on the {d['grid_g_per_kwh']:.0f} g/kWh grid) -> a {shown_number(r)}% reduction"
    )


def _uptime_line(r: Any, card: Any) -> str:
    d = r.derivation
    if r.missing:
        return f"the model {r.missing}, so no replica can serve it and there is no uptime to count"
    if not d["slo_feasible"]:
        return "no number of replicas holds the P99 SLO, so the service never holds it"
    return (
        f"the SLO needs {count(d['replicas_required'], 'replica')} of"
        f" {count(d['gpus_per_replica'], 'GPU')}; each is"
        f" down {d['replica_down_share']:.3%} of the time (any of its GPUs failing, MTBF"
        f" {d['gpu_mtbf_h']:,.0f} h, {d['restart_min']:.0f}-min restart);"
        f" {count(d['spare_replicas'], 'spare')}, the fewest that reach the target -> the SLO"
        f" holds {shown_number(r)}% of the time"
    )


SHIPPED: Final = (
    Constraint(
        key="accuracy",
        label="Accuracy",
        unit="%",
        decimals=2,  # 95.00
        comparison=">=",
        target_key="targets.accuracy_target",
        target_scale=100.0,
        score=_accuracy,
        score_many=_accuracy_many,
        explain=_accuracy_line,
        mechanism=(
            "Clean accuracy grows with model size; the noise that buys privacy and the"
            " adversarial examples that buy robustness each take points off it."
        ),
        ledger_field="accuracy_met",
        kind=MODEL,
    ),
    Constraint(
        key="p99_latency",
        label="P99 latency",
        unit="ms",
        decimals=1,  # 199.9
        comparison="<",
        target_key="targets.p99_slo_ms",
        score=_latency,
        score_many=_latency_many,
        explain=_latency_line,
        mechanism=(
            "A study's P99 is its service time on one replica plus the time it waits in the"
            " queue; a bigger model takes longer and must fit in a replica's memory, and the"
            " parallelism strategy sets both."
        ),
        ledger_field="latency_met",
        kind=SERVING,
    ),
    Constraint(
        key="dp_privacy",
        label="DP privacy (HIPAA)",
        report_label="Differential privacy",
        unit="epsilon",
        decimals=2,  # 1.00
        comparison="<=",
        target_key="targets.dp_epsilon_limit",
        score=_privacy,
        score_many=_privacy_many,
        explain=_privacy_line,
        mechanism=(
            "Epsilon is the privacy budget itself: the guarantee holds only at or below the limit."
        ),
        ledger_field="dp_met",
        kind=MODEL,
    ),
    Constraint(
        key="adversarial_robustness",
        label="Adversarial robustness",
        unit="%",
        decimals=2,  # 50.00
        comparison=">=",
        target_key="targets.robustness_target",
        target_scale=100.0,
        score=_robustness,
        score_many=_robustness_many,
        explain=_robustness_line,
        mechanism=(
            "Robustness comes from adversarial training, and the noise added for privacy washes"
            " out part of that training signal."
        ),
        ledger_field="adversarial_met",
        kind=MODEL,
    ),
    Constraint(
        key="carbon_reduction",
        label="Carbon reduction",
        unit="%",
        decimals=2,  # 40.01
        comparison=">",
        target_key="targets.carbon_reduction_target",
        target_scale=100.0,
        score=_carbon,
        score_many=_carbon_many,
        explain=_carbon_line,
        mechanism=(
            "Emissions grow with the GPUs the fleet keeps busy and with the carbon intensity of"
            " the grid that powers them; work deferred to clean hours lowers the intensity."
        ),
        ledger_field="carbon_met",
        kind=JOB,
        reads_baseline=True,
    ),
    Constraint(
        key="fault_tolerance",
        label="Fault tolerance",
        unit="%",
        decimals=3,  # 99.900
        comparison=">=",
        target_key="targets.uptime_target",
        target_scale=100.0,
        score=_fault_tolerance,
        score_many=_fault_tolerance_many,
        explain=_uptime_line,
        mechanism=(
            "Uptime depends on how often a replica's GPUs fail and whether hot spares cover each"
            " restart; the parallelism strategy sets how big a failure domain is."
        ),
        ledger_field="fault_tolerance_met",
        kind=SERVING,
    ),
)
