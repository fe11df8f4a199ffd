"""Words for the scorecard: each card's one-line derivation, the GPU sum, the checkpoint advice.

Every number in these sentences comes from the scorecard (or from the same model functions),
so the prose cannot drift from the model. No inf, nan or n/a is ever written: a quantity that
does not exist is said in words (the result's ``missing``, the budget's ``reason``; contract
claim 19). Plain text: views escape it like any other string.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from constraintlab.model import scenario as sc
from constraintlab.model.design import Design
from constraintlab.model.engine import ConstraintResult, GpuUsage, Scorecard, evaluate
from constraintlab.model.serving import replica_layout


def layout_name(strategy: str, times: str = "x") -> str:
    """``1 GPU per replica``, ``TP 8 in one node``, ``TP 8 x PP 4 over 4 nodes``: the replica
    of ``strategy`` as :func:`serving.replica_layout` builds it from the scenario."""
    tp, pp = replica_layout(strategy)
    if pp == 1:
        return "1 GPU per replica" if tp == 1 else f"TP {tp} in one node"
    return f"TP {tp} {times} PP {pp} over {count(pp, 'node')}"


def megawatts(watts: float) -> str:
    """``5.6 MW``, ``7 MW``, ``0.0007 MW``: three significant digits (no exponent), so a
    product shown beside it still multiplies (8,000 x 700 W is 5.6 MW, never "6 MW")."""
    mw = watts / 1e6
    decimals = max(0, 2 - math.floor(math.log10(abs(mw)))) if mw else 0
    shown = f"{mw:,.{decimals}f}"
    return (shown.rstrip("0").rstrip(".") if "." in shown else shown) + " MW"


def shown_number(result: ConstraintResult) -> str:
    """The value with exactly the digits that decided the verdict (contract claim 14), or, when
    it does not exist, the reason in words."""
    if result.missing or not math.isfinite(result.value):
        return result.missing or "not computed"
    return f"{result.value:,.{result.decimals}f}"


def count(number: float, noun: str) -> str:
    """``1 GPU``, ``8 GPUs``, ``1,263 GPUs``: a whole count with its noun, singular or plural."""
    return f"{number:,.0f} {noun}" + ("" if round(number) == 1 else "s")


def gpu_terms(budget: GpuUsage) -> list[tuple[str, float]]:
    """Every term of the GPUs needed, in the order they are added (deferral included)."""
    return [
        ("serving", float(budget.serving_gpus)),
        ("spares", float(budget.spare_gpus)),
        ("fine-tuning", budget.training_gpus),
        ("deferral", budget.deferral_gpus),
    ]


def gpu_use_phrase(budget: GpuUsage) -> str:
    """``uses 384 of 10,000 GPUs``, or what stands in for it when the job cannot keep up."""
    if not math.isfinite(budget.gpus_needed):
        return f"has no GPU total ({budget.reason})"
    phrase = f"uses {budget.gpus_needed:,.0f} of {budget.gpus_budget:,} GPUs"
    return phrase if budget.training_keeps_up else f"{phrase} ({budget.reason})"


def gpu_sum_text(budget: GpuUsage) -> str:
    """``GPUs: serving 56 + spares 8 + fine-tuning 7 + deferral 5 = 76 of 10,000 (...)``."""
    if not math.isfinite(budget.gpus_needed):
        return (
            f"GPUs: serving {budget.serving_gpus:,} + spares {budget.spare_gpus:,} + fine-tuning"
            f" with no total: {budget.reason} (budget {budget.gpus_budget:,})"
        )
    terms = " + ".join(f"{name} {value:,.0f}" for name, value in gpu_terms(budget))
    verdict = "within budget" if budget.within_budget else "NOT within budget"
    return (
        f"GPUs: {terms} = {budget.gpus_needed:,.0f} of {budget.gpus_budget:,}"
        f" ({verdict}: {budget.reason})"
    )


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
    layout = layout_name(card.design.parallelism)
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
        f" {count(d['replicas'], 'replica')} ({d['replicas_required']:,} needed) at"
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
        return r.missing
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
    """Advice for the job's interval, from the exact goodput and EVERY grid interval."""
    d = card.constraints["fault_tolerance"].derivation
    b = card.budget
    if not b.training_keeps_up:
        return _cannot_keep_up_advice(card)
    interval, gpus = d["checkpoint_interval_min"], b.training_gpus
    if gpus == 0:
        return "Fine-tuning job: no work to do (0 GPUs), so its interval costs nothing."
    head = (
        f"Fine-tuning job: the exact optimum T* = {d['optimal_interval_min']:.0f} min for its"
        f" {count(gpus, 'GPU')}"
    )
    advice, best, fewest = d["interval_advice"], d["best_interval_min"], d["best_interval_gpus"]
    if advice == "keep":
        return (
            f"{head}; your {interval:g} min is the best grid interval for this job: no grid"
            f" interval needs fewer GPUs."
        )
    return (
        f"{head}; at {interval:g} min {_mechanism(advice, interval, d['optimal_interval_min'])}"
        f" {'Lengthen' if advice == 'lengthen' else 'Shorten'} the interval: at {best:g} min,"
        f" the nearest grid interval that needs the fewest, the job needs {count(fewest, 'GPU')}."
    )


def _mechanism(advice: str, interval: float, optimum: float) -> str:
    """Why this interval costs GPUs: the side of T* it lies on, when that agrees with the way
    to move (whole GPUs can make a grid interval on the other side the cheaper one)."""
    if advice == "lengthen" and interval < optimum:
        return "you checkpoint too often: the writes cost more than the rework they save."
    if advice == "shorten" and interval > optimum:
        return "each failure throws away too much work."
    return "the job needs more whole GPUs than at another grid interval."


def _cannot_keep_up_advice(card: Scorecard) -> str:
    d = card.constraints["fault_tolerance"].derivation
    b = card.budget
    head = (
        f"Fine-tuning job: at {b.checkpoint_interval_min:g} min no job size keeps up (the most"
        f" it delivers is {d['training_most_delivered_gpus']:,.0f} GPUs' worth of work, and a"
        f" day's data needs {b.training_ideal_gpus:,.0f})"
    )
    if math.isfinite(b.training_gpus):
        return (
            f"{head}; it needs {count(b.training_gpus, 'GPU')} at"
            f" {b.training_demand_interval_min:g} min, the grid interval that suits it best."
        )
    return (
        f"{head}; no grid interval keeps up at any job size: the job itself must shrink (a"
        " smaller model, a larger epsilon or a lower adversarial weight)."
    )


def describe(design: Design) -> list[str]:
    """All six derivation lines of a design, in scorecard order (handy for the CLI)."""
    card = evaluate(design)
    return [derivation_line(r, card) for r in card.constraints.values()]


__all__ = [
    "checkpoint_advice",
    "count",
    "derivation_line",
    "describe",
    "gpu_sum_text",
    "gpu_terms",
    "gpu_use_phrase",
    "shown_number",
]
