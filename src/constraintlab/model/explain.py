"""Words for the scorecard: each card's one-line derivation and the levers that fix a failure.

Every number in these sentences comes from the scorecard (or from the same model functions),
so the prose cannot drift from the model. Plain text: views escape it like any other string.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from constraintlab.model import scenario as sc
from constraintlab.model.design import CONTROLS, PARALLELISM_STRATEGIES, Design
from constraintlab.model.engine import ConstraintResult, Scorecard, evaluate
from constraintlab.model.serving import serving_plan

LAYOUT_NAMES = {
    "dp": "1 GPU per replica",
    "tp_dp": "TP 8 in one node",
    "3d": "TP 8 x PP 4 over 4 nodes",
}


@dataclass(frozen=True)
class Lever:
    """What to change to fix one failing constraint (or the GPU budget)."""

    constraint: str  # a constraint name, or "gpu_budget"
    headline: str
    detail: str


# decimals each card starts with; more are added when rounding would hide which side we are on
_DECIMALS = {
    "accuracy": 1,
    "p99_latency": 0,
    "dp_privacy": 1,
    "adversarial_robustness": 1,
    "carbon_reduction": 1,
    "fault_tolerance": 3,
}


def _holds(value: float, target: float, comparison: str) -> bool:
    return {
        ">=": value >= target,
        ">": value > target,
        "<=": value <= target,
        "<": value < target,
    }[comparison]


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


def _accuracy_lever(card: Scorecard) -> Lever:
    r, x = card.constraints["accuracy"], card.design
    d = r.derivation
    room = 100.0 - r.target - d["dp_cost_pct"] - d["adversarial_cost_pct"]
    if room <= 0:
        detail = (
            f"At epsilon {x.dp_epsilon:g} and adversarial weight {x.adv_weight:.2f} the privacy and"
            f" robustness costs alone take {100.0 - r.target - room:.1f} points:"
            " no model is big enough. Raise epsilon toward 1.0 or lower the adversarial weight."
        )
    else:
        needed = sc.CLEAN_ERROR_AT_1B / (room / 100.0)
        needed_b = needed ** (1.0 / sc.CLEAN_ERROR_SIZE_EXPONENT)
        detail = (
            f"At this epsilon and weight you need a model of at least {needed_b:.1f} B parameters"
            f" (you have {x.model_size_b:g} B); or raise epsilon toward 1.0, or lower the"
            " adversarial weight (which costs robustness)."
        )
    return Lever("accuracy", f"Accuracy {r.value:.1f}% is below {r.target:.0f}%", detail)


def _largest_servable_b(strategy: str) -> float | None:
    sizes = CONTROLS["model_size_b"].grid()
    ok = [
        s
        for s in sizes
        if (p := serving_plan(float(s), strategy)).fits_in_memory and p.p99_ms < sc.P99_SLO_MS
    ]
    return float(max(ok)) if ok else None


def _strategies_passing(card: Scorecard, name: str) -> list[str]:
    others = [s for s in PARALLELISM_STRATEGIES if s != card.design.parallelism]
    return [s for s in others if evaluate(card.design.replace(parallelism=s))[name].met]


def _latency_lever(card: Scorecard) -> Lever:
    r, x = card.constraints["p99_latency"], card.design
    largest = _largest_servable_b(x.parallelism)
    better = _strategies_passing(card, "p99_latency")
    parts = []
    if better:
        parts.append(f"switch the strategy to {' or '.join(better)}")
    if largest is not None:
        parts.append(f"with {x.parallelism} use a model of at most {largest:g} B")
    fix = "; ".join(parts) if parts else "no layout serves this model in time: shrink the model"
    head = f"P99 {r.value:.0f} ms misses the {r.target:.0f} ms SLO"
    if not r.derivation["fits_in_memory"]:
        head = f"The model does not fit in a {x.parallelism} replica's memory"
    note = " More replicas only cut the queueing; P99 stays above ln(100) x the service time."
    return Lever("p99_latency", head, fix[0].upper() + fix[1:] + "." + note)


def _privacy_lever(card: Scorecard) -> Lever:
    r = card.constraints["dp_privacy"]
    return Lever(
        "dp_privacy",
        f"epsilon {r.value:g} breaks the HIPAA-grade limit of {r.target:g}",
        "Lower epsilon to 1.0 or less. Stronger privacy costs accuracy and washes out part of"
        " the adversarial training signal, so expect to rebalance both.",
    )


def _robustness_lever(card: Scorecard) -> Lever:
    r, x = card.constraints["adversarial_robustness"], card.design
    retained = r.derivation["dp_signal_retained"]
    need = sc.ROBUSTNESS_TARGET - sc.ROBUSTNESS_UNDEFENDED
    weight = need / (sc.ROBUSTNESS_GAIN_AT_FULL_WEIGHT * retained)
    if weight <= 1.0:
        detail = (
            f"Raise the adversarial weight to at least {weight:.2f} (you have {x.adv_weight:.2f});"
            " each step costs a little clean accuracy and a lot of fine-tuning compute."
        )
    else:
        share = need / sc.ROBUSTNESS_GAIN_AT_FULL_WEIGHT
        eps_min = share * sc.DP_WASHOUT_EPSILON / (1.0 - share)
        detail = (
            f"At epsilon {x.dp_epsilon:g} DP noise leaves only {retained:.0%} of the adversarial"
            f" signal: even weight 1.0 falls short. Raise epsilon above {eps_min:.2f} first."
        )
    return Lever("adversarial_robustness", f"PGD robustness {r.value:.0f}% is below 50%", detail)


def _carbon_lever(card: Scorecard) -> Lever:
    r, x = card.constraints["carbon_reduction"], card.design
    parts = [f"This design emits {shown_number(r)}% less per study than the baseline."]
    if x.context == "fleet":
        green = evaluate(x.replace(context="renewable"))["carbon_reduction"]
        parts.append(f"With the renewable PPA it would be {shown_number(green)}%.")
    if x.flexible_job_pct < 50:
        deferred = evaluate(x.replace(flexible_job_pct=50.0))["carbon_reduction"]
        parts.append(
            f"Deferring half the fine-tuning job would make it {shown_number(deferred)}%"
            " (at the price of more GPUs)."
        )
    parts.append(
        "Fewer GPUs also work (Jevons): a smaller model, a lighter fine-tuning job (lower"
        " adversarial weight, epsilon nearer 1.0), a checkpoint interval near T*."
    )
    return Lever(
        "carbon_reduction", f"Carbon reduction {shown_number(r)}% is not above 40%", " ".join(parts)
    )


def _uptime_lever(card: Scorecard) -> Lever:
    r = card.constraints["fault_tolerance"]
    better = _strategies_passing(card, "fault_tolerance")
    detail = (
        "No number of replicas holds the P99 SLO with this model and layout, so the service"
        " never holds it; spares cannot help."
    )
    if better:
        detail += f" Layouts that can: {' or '.join(better)}."
    else:
        detail += " A smaller model shortens every replica's service time."
    return Lever("fault_tolerance", f"Availability {shown_number(r)}% is below 99.9%", detail)


def _budget_lever(card: Scorecard) -> Lever:
    b = card.budget
    if not b.training_keeps_up:
        head = "The fine-tuning job cannot keep up with a day's data"
        detail = (
            f"It needs {b.training_ideal_gpus:,.0f} GPUs of work a day, but at this interval its"
            " own failures and restarts eat every GPU you add. Shrink the job: lower the"
            " adversarial weight, raise epsilon toward 1.0, choose a smaller model, or"
            " checkpoint near T*."
        )
    else:
        head = f"{b.gpus_needed:,.0f} GPUs needed, over the {b.gpus_budget:,} budget"
        detail = (
            f"Serving {b.serving_gpus:,} + spares {b.spare_gpus:,} + fine-tuning"
            f" {b.training_gpus:,.0f} (of which {b.checkpoint_waste_gpus:,.0f} lost to checkpoints"
            f" and failures) + {b.deferral_gpus:,.0f} for deferral. Shrink the model or the"
            " fine-tuning job, or defer less of it."
        )
    return Lever("gpu_budget", head, detail + " " + checkpoint_advice(card))


_LEVERS: dict[str, Callable[[Scorecard], Lever]] = {
    "accuracy": _accuracy_lever,
    "p99_latency": _latency_lever,
    "dp_privacy": _privacy_lever,
    "adversarial_robustness": _robustness_lever,
    "carbon_reduction": _carbon_lever,
    "fault_tolerance": _uptime_lever,
}


def levers(card: Scorecard) -> list[Lever]:
    """One lever per failing constraint, plus the GPU budget when it is exceeded."""
    found = [_LEVERS[name](card) for name in card.failing]
    if not card.budget.within_budget:
        found.append(_budget_lever(card))
    return found


def describe(design: Design) -> list[str]:
    """All six derivation lines of a design, in scorecard order (handy for the CLI)."""
    card = evaluate(design)
    return [derivation_line(r, card) for r in card.constraints.values()]


__all__ = [
    "Lever",
    "checkpoint_advice",
    "derivation_line",
    "describe",
    "levers",
    "shown_number",
]
