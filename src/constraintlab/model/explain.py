"""Words for the scorecard: each card's one-line derivation, the GPU sum, the checkpoint advice.

Every number in these sentences comes from the scorecard (or from the same model functions),
so the prose cannot drift from the model. No inf, nan or n/a is ever written: a quantity that
does not exist is said in words (the result's ``missing``, the budget's ``reason``; contract
claim 19). Plain text: views escape it like any other string.
"""

from __future__ import annotations

import math

from constraintlab.model import registry
from constraintlab.model.design import Design
from constraintlab.model.engine import ConstraintResult, GpuUsage, Scorecard, evaluate
from constraintlab.model.serving import replica_layout
from constraintlab.model.wording import count, layout_words, shown_number
from constraintlab.model.wording import megawatts as megawatts


def layout_name(strategy: str, times: str = "x") -> str:
    """``1 GPU per replica``, ``TP 8 in one node``, ``TP 8 x PP 4 over 4 nodes``: the replica
    of ``strategy`` as :func:`serving.replica_layout` builds it from the scenario."""
    return layout_words(*replica_layout(strategy), times=times)


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


def derivation_line(result: ConstraintResult, card: Scorecard) -> str:
    """One line of working for a scorecard, with the model's own numbers (its record's)."""
    return registry.get(result.name).explain(result, card)


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
        f" {count(gpus, 'GPU')} and its {d['checkpoint_s']:,.1f} s checkpoint write"
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
    """Every constraint's derivation line of a design, in scorecard order (for the CLI)."""
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
    "layout_name",
    "megawatts",
    "shown_number",
]
