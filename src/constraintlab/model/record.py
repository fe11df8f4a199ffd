"""A constraint's record: everything the lab says or computes about one constraint.

A :class:`Constraint` holds its key, label, unit, shown decimals and comparison, the scenario
key of its target, its scalar evaluation (:class:`Point` in, :class:`Reading` out), its array
evaluation (:class:`Arrays` in, values and an extra pass condition out), its explanation line
and mechanism sentence, the field the Design Ledger saves its verdict under, and which
controls it reads (:data:`KINDS`, which the census factors by). A record with a missing or
wrong piece fails when it is built, naming the constraint. The records live in
:mod:`registry` (the shipped ones are written in :mod:`constraints`).

A verdict is decided on the value rounded to ``decimals`` (contract claim 14):
``met = round(value, decimals) <comparison> target_scale * sc.<TARGET>``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from constraintlab.model import scenario as sc

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

COMPARISONS: Final = (">=", ">", "<=", "<")
MODEL: Final = "model"  # reads model size, epsilon and adversarial weight
SERVING: Final = "serving"  # reads the serving fleet of (model size, strategy)
JOB: Final = "job"  # reads the job's GPUs with (model size, strategy, deferral, context) and
#                     passes exactly when they are at most a threshold (it falls as they grow)
KINDS: Final = (MODEL, SERVING, JOB)


class RegistryError(ValueError):
    """A constraint record that is incomplete or clashes with another, named."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"constraint {key!r}: {problem}")
        self.key = key


@dataclass(frozen=True)
class Reading:
    """A scalar evaluation: the exact value (in the card's unit), its working, an extra pass
    condition (``None``: the rule on the value alone) and why a value does not exist."""

    exact: float
    derivation: dict[str, Any]
    met: bool | None = None
    missing: str = ""


@dataclass(frozen=True)
class Point:
    """What a scalar evaluation reads: the design, its serving plan, its GPU usage and the
    carbon baseline (a call: it is sized once per scenario, on first use)."""

    design: Any  # Design
    plan: Any  # ServingPlan
    usage: Any  # engine.GpuUsage
    baseline: Callable[[], Any]  # -> carbon.Baseline


@dataclass(frozen=True)
class Arrays:
    """What an array evaluation reads, broadcast together. The census tables fill only what a
    constraint's kind reads: ``MODEL`` the three model controls, ``SERVING`` the serving
    table, ``JOB`` the held GPUs, job GPUs, deferral, PPA and GPUs needed."""

    model_size_b: Any = None
    dp_epsilon: Any = None
    adv_weight: Any = None
    serve: Any = None  # vectorized.ServingTable: p99_ms, latency_ok, uptime, ...
    held_gpus: Any = None  # serving replicas' GPUs + spares' GPUs
    job_gpus: Any = None  # the job's GPUs (0 where they do not exist)
    job_finite: Any = True  # the job's GPUs exist (it keeps up at some grid interval)
    flexible_job_pct: Any = None
    ppa_kw: Any = None
    gpus_needed: Any = None  # held + job + deferral GPUs
    baseline_g_per_study: float = float("nan")  # the carbon baseline's (engine.carbon_baseline)


Signature = tuple[tuple[str, float], ...]  # (key, target) of every constraint, in order
ArrayScore = Callable[[Arrays], tuple[Any, Any]]  # (values in the unit, extra pass condition)


@dataclass(frozen=True)
class Constraint:
    """One constraint, whole (module docstring). ``explain(result, card)`` is its line of
    working; ``reads_baseline`` marks one the carbon baseline's own scoring must skip."""

    key: str
    label: str
    unit: str
    decimals: int
    comparison: str
    target_key: str  # dotted scenario key, e.g. "targets.accuracy_target"
    score: Callable[[Point], Reading]
    score_many: ArrayScore
    explain: Callable[[Any, Any], str]  # (ConstraintResult, Scorecard) -> str
    mechanism: str
    ledger_field: str
    kind: str
    target_scale: float = 1.0  # 100 for a fraction shown in %
    report_label: str = ""  # the class report's column title (default: label)
    reads_baseline: bool = False
    target_name: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("key", "label", "unit", "target_key", "mechanism", "ledger_field"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise RegistryError(str(self.key), f"{name} must be a non-empty string")
        if self.comparison not in COMPARISONS:
            raise RegistryError(
                self.key, f"comparison {self.comparison!r} is not one of {COMPARISONS}"
            )
        if not isinstance(self.decimals, int) or not 0 <= self.decimals <= 6:
            raise RegistryError(self.key, f"decimals {self.decimals!r} is not a whole 0 to 6")
        if self.kind not in KINDS:
            raise RegistryError(self.key, f"kind {self.kind!r} is not one of {KINDS}")
        for name in ("score", "score_many", "explain"):
            if not callable(getattr(self, name)):
                raise RegistryError(self.key, f"{name} must be a function")
        if not math.isfinite(self.target_scale) or self.target_scale <= 0:
            raise RegistryError(self.key, "target_scale must be a positive number")
        leaf = self.target_key.rpartition(".")[2]
        object.__setattr__(self, "target_name", leaf.upper())
        if not self.report_label:
            object.__setattr__(self, "report_label", self.label)

    @property
    def target(self) -> float:
        """The target in the card's unit: ``target_scale * sc.<TARGET>``."""
        return float(getattr(sc, self.target_name)) * self.target_scale
