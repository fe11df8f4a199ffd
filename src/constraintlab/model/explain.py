"""Words for the scorecard: each card's one-line derivation and the checkpoint advice.

Every number in these sentences comes from the scorecard (or from the same model functions),
so the prose cannot drift from the model. Plain text: views escape it like any other string.
"""

from __future__ import annotations

from collections.abc import Callable

from constraintlab.model import scenario as sc
from constraintlab.model.design import Design
from constraintlab.model.engine import ConstraintResult, Scorecard, evaluate

LAYOUT_NAMES = {
    "dp": "1 GPU per replica",
    "tp_dp": "TP 8 in one node",
    "3d": "TP 8 x PP 4 over 4 nodes",
}


def shown_number(result: ConstraintResult) -> str:
    """The value with exactly the digits that decided the verdict (contract claim 14)."""
    if result.value != result.value or result.value in (float("inf"), float("-inf")):
        return "n/a"
    return f"{result.value:,.{result.decimals}f}"


def _accuracy_line(r: ConstraintResult, card: Scorecard) -> str:
    d, x = r.derivation, card.design
    return (
        f"clean {d['clean_accuracy_pct']:.2f}% for {x.model_size_b:g} B params"
        f" - DP {d['dp_cost_pct']:.2f} pts (epsilon {x.dp_epsilon:g})"
        f" - adversarial {d['adversarial_cost_pct']:.2f} pts (weight {x.adv_weight:.2f})"
        f" = {shown_number(r)}%"
    )


def _latency_line(r: ConstraintResult, card: Scorecard) -> str:
    d = r.derivation
    layout = LAYOUT_NAMES[card.design.parallelism]
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
        f" {d['replicas']} replicas ({d['replicas_required']} needed) at"
        f" {d['utilization']:.0%} busy -> P99 {shown_number(r)} ms"
        f" ({d['p99_over_service']:.2f}x the unloaded latency)"
    )


def _privacy_line(r: ConstraintResult, card: Scorecard) -> str:
    sign = "<=" if r.met else ">"
    retained = card.constraints["adversarial_robustness"].derivation["dp_signal_retained"]
    return (
        f"epsilon {shown_number(r)} {sign} {r.target:g}; it costs"
        f" {r.derivation['dp_accuracy_cost_pct']:.2f} accuracy points and leaves {retained:.0%}"
        " of the adversarial training signal"
    )


def _robustness_line(r: ConstraintResult, card: Scorecard) -> str:
    d = r.derivation
    gain = sc.ROBUSTNESS_GAIN_AT_FULL_WEIGHT * 100.0
    return (
        f"{d['undefended_pct']:.0f}% undefended + {gain:.0f} pts x weight {d['adv_weight']:.2f}"
        f" x {d['dp_signal_retained']:.1%} of the signal DP leaves = {shown_number(r)}%"
    )


def _carbon_line(r: ConstraintResult, card: Scorecard) -> str:
    d = r.derivation
    if "g_per_study" not in d:
        return "the fine-tuning job cannot keep up at any interval, so its emissions are unbounded"
    base = d["baseline_design"]
    return (
        f"{d['g_per_study']:.3f} g CO2 per study ({d['gpus_used']:,.0f} GPUs,"
        f" {d['power_mw']:.2f} MW at PUE {d['pue']:g}; grid {d['grid_t_per_day']:.1f} t/day,"
        f" PPA {d['ppa_t_per_day']:.1f}, clean hours {d['clean_hours_t_per_day']:.1f},"
        f" embodied {d['embodied_t_per_day']:.1f}) vs. {d['baseline_g_per_study']:.3f} g for the"
        f" baseline ({base['model_size_b']:g} B {base['parallelism']}, {d['baseline_gpus']:,} GPUs"
        f" on the {d['grid_g_per_kwh']:.0f} g/kWh grid) -> a {shown_number(r)}% reduction"
    )


def _uptime_line(r: ConstraintResult, card: Scorecard) -> str:
    d = r.derivation
    if not d["slo_feasible"]:
        return "no number of replicas holds the P99 SLO, so the service never holds it"
    return (
        f"the SLO needs {d['replicas_required']} replicas of {d['gpus_per_replica']} GPU(s);"
        " each is"
        f" down {d['replica_down_share']:.3%} of the time (any of its GPUs failing, MTBF"
        f" {d['gpu_mtbf_h']:,.0f} h, {d['restart_min']:.0f}-min restart); {d['spare_replicas']}"
        f" spare(s), the fewest that reach the target -> the SLO holds {shown_number(r)}%"
        " of the time"
    )


_LINES: dict[str, Callable[[ConstraintResult, Scorecard], str]] = {
    "accuracy": _accuracy_line,
    "p99_latency": _latency_line,
    "dp_privacy": _privacy_line,
    "adversarial_robustness": _robustness_line,
    "carbon_reduction": _carbon_line,
    "fault_tolerance": _uptime_line,
}


def derivation_line(result: ConstraintResult, card: Scorecard) -> str:
    """One line of working for a scorecard, with the model's own numbers."""
    return _LINES[result.name](result, card)


def checkpoint_advice(card: Scorecard) -> str:
    """Advice for the job's interval, from the exact goodput and the grid's neighbours."""
    d = card.constraints["fault_tolerance"].derivation
    interval, best = d["checkpoint_interval_min"], d["optimal_interval_min"]
    gpus = d["training_gpus"]
    if not d["training_keeps_up"]:
        return (
            f"Fine-tuning job: at {interval:g} min no job size keeps up (the most it delivers is"
            f" {d['training_most_delivered_gpus']:,.0f} GPUs' worth of work); it needs"
            f" {gpus:,.0f} GPUs at {card.budget.training_demand_interval_min:g} min."
        )
    head = f"Fine-tuning job: the exact optimum T* = {best:.0f} min for its {gpus:,.0f} GPUs"
    advice = d["interval_advice"]
    if advice == "keep":
        return f"{head}; your {interval:g} min is the best grid interval for this job."
    if advice == "lengthen":
        return (
            f"{head}; at {interval:g} min you checkpoint too often: the writes cost more than the"
            " rework they save. Lengthen the interval: the next grid step needs fewer GPUs."
        )
    return (
        f"{head}; at {interval:g} min each failure throws away too much work. Shorten the interval:"
        " the next grid step needs fewer GPUs."
    )


def describe(design: Design) -> list[str]:
    """All six derivation lines of a design, in scorecard order (handy for the CLI)."""
    card = evaluate(design)
    return [derivation_line(r, card) for r in card.constraints.values()]


__all__ = [
    "checkpoint_advice",
    "derivation_line",
    "describe",
    "shown_number",
]
