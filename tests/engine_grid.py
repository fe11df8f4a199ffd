"""Exact enumeration of the approved region for the contract tests (independent of the explorer).

Approval needs epsilon <= 1, accuracy and robustness, which depend only on (size, epsilon,
weight): filter those 70 x 10 x 21 triples first, then evaluate every remaining grid design
(all strategies, intervals, deferral shares and contexts) with ``evaluate_many``. Every grid
design with epsilon <= 1 that passes accuracy and robustness is evaluated, so the result is
exact for the whole grid.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from constraintlab.model import accuracy, robustness
from constraintlab.model import scenario as sc
from constraintlab.model.decide import meets
from constraintlab.model.design import CONTROLS
from constraintlab.model.vectorized import evaluate_many

GRID = {name: control.grid() for name, control in CONTROLS.items()}


@lru_cache(maxsize=1)
def candidate_designs() -> dict[str, np.ndarray]:
    """Flat arrays of every grid design that passes privacy, accuracy and robustness."""
    size, eps, weight = np.meshgrid(
        np.array(GRID["model_size_b"], dtype=float),
        np.array([e for e in GRID["dp_epsilon"] if e <= sc.DP_EPSILON_LIMIT]),
        np.array(GRID["adv_weight"], dtype=float),
        indexing="ij",
    )
    ok = meets("accuracy", accuracy.accuracy(size, eps, weight) * 100) & meets(
        "adversarial_robustness", robustness.robustness(eps, weight) * 100
    )
    triples = np.stack([size[ok], eps[ok], weight[ok]], axis=1)
    rest = np.array(
        np.meshgrid(
            np.arange(3),
            np.array(GRID["checkpoint_interval_min"], dtype=float),
            np.array(GRID["flexible_job_pct"], dtype=float),
            np.arange(2),
            indexing="ij",
        )
    ).reshape(4, -1)
    t_idx = np.repeat(np.arange(len(triples)), rest.shape[1])
    r_idx = np.tile(np.arange(rest.shape[1]), len(triples))
    return {
        "model_size_b": triples[t_idx, 0],
        "dp_epsilon": triples[t_idx, 1],
        "adv_weight": triples[t_idx, 2],
        "parallelism": np.array(GRID["parallelism"])[rest[0, r_idx].astype(int)],
        "checkpoint_interval_min": rest[1, r_idx],
        "flexible_job_pct": rest[2, r_idx],
        "context": np.array(GRID["context"])[rest[3, r_idx].astype(int)],
    }


@lru_cache(maxsize=1)
def approved_designs() -> dict[str, np.ndarray]:
    """Every approved grid design, as flat arrays keyed by control."""
    designs = candidate_designs()
    result = evaluate_many(**designs)
    return {name: values[result.approved] for name, values in designs.items()}


def passing_all_but_carbon(context: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Grid designs in ``context`` passing every constraint but carbon, within budget."""
    designs = candidate_designs()
    result = evaluate_many(**designs)
    keep = (designs["context"] == context) & result.within_budget
    for name in (
        "accuracy",
        "p99_latency",
        "dp_privacy",
        "adversarial_robustness",
        "fault_tolerance",
    ):
        keep &= result.met[name]
    return {k: v[keep] for k, v in designs.items()}, result.gpus_needed[keep]
