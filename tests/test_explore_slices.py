"""Feasibility slices: the design's own map agrees with evaluate cell by cell; the "best over
the other controls" map agrees with brute force on a reduced grid for every pair of controls
and with the contract tests' enumeration of approved designs on the full grid."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from constraintlab import CONSTRAINT_NAMES, Design, evaluate
from constraintlab.explore import FeasibilitySlice, feasibility_slice
from constraintlab.explore.grid import CONTROL_NAMES
from constraintlab.model.design import DesignError
from engine_grid import approved_designs
from test_explore_grid import SMALL_GRID, every_design

PAIRS = list(itertools.permutations(CONTROL_NAMES, 2))
DESIGNS = [
    Design(),
    Design(model_size_b=14, adv_weight=0.8, context="renewable"),
    Design(
        model_size_b=23.5, dp_epsilon=0.95, adv_weight=0.9, parallelism="3d", context="renewable"
    ),
]


def _failing(card: object) -> list[str]:
    from constraintlab.model.engine import Scorecard

    assert isinstance(card, Scorecard)
    names = [name for name in CONSTRAINT_NAMES if not card[name].met]
    return names + ([] if card.budget.within_budget else ["gpu_budget"])


@pytest.mark.parametrize("design", DESIGNS, ids=["default", "approved", "off-grid"])
def test_every_cell_of_a_slice_agrees_with_scalar_evaluate(design: Design) -> None:
    result = feasibility_slice(design, "checkpoint_interval_min", "model_size_b")
    assert len(result.n_met) == 70 and len(result.n_met[0]) == 24  # rows y, columns x
    for j, size in enumerate(result.y_values):
        for i, interval in enumerate(result.x_values):
            card = evaluate(design.replace(model_size_b=size, checkpoint_interval_min=interval))
            assert result.n_met[j][i] == card.n_met
            assert result.approved[j][i] == card.approved
            assert result.failing[j][i] == _failing(card)


@pytest.mark.parametrize(("x", "y"), PAIRS[::5])
def test_sampled_cells_of_many_pairs_agree_with_scalar_evaluate(x: str, y: str) -> None:
    design = DESIGNS[1]
    result = feasibility_slice(design, x, y)
    rng = np.random.default_rng(len(x) * 31 + len(y))
    for _ in range(40):
        j, i = rng.integers(len(result.y_values)), rng.integers(len(result.x_values))
        card = evaluate(design.replace(**{x: result.x_values[i], y: result.y_values[j]}))
        assert (result.n_met[j][i], result.approved[j][i]) == (card.n_met, card.approved)
        assert result.failing[j][i] == _failing(card)


def test_best_over_the_other_controls_equals_brute_force_for_every_pair() -> None:
    _, many = every_design(SMALL_GRID)
    shape = SMALL_GRID.shape()
    n_met = many.n_met.reshape(shape)
    approved = many.approved.reshape(shape)
    assert approved.any() and not approved.all()
    for x, y in PAIRS:
        result = feasibility_slice(Design(), x, y, grid=SMALL_GRID)
        ix, iy = CONTROL_NAMES.index(x), CONTROL_NAMES.index(y)
        others = tuple(d for d in range(7) if d not in (ix, iy))
        best = n_met.max(axis=others)
        any_approved = approved.any(axis=others)
        if ix < iy:  # the reduced array's dims are (x, y); the slice's rows are y
            best, any_approved = best.T, any_approved.T
        assert result.best_n_met == best.tolist(), (x, y)
        assert result.best_approved == any_approved.tolist(), (x, y)


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ("model_size_b", "dp_epsilon"),
        ("checkpoint_interval_min", "flexible_job_pct"),
        ("context", "parallelism"),
        ("adv_weight", "checkpoint_interval_min"),
    ],
)
def test_best_approved_on_the_full_grid_is_where_approved_designs_project(x: str, y: str) -> None:
    approved = approved_designs()
    expected = set(zip(approved[x].tolist(), approved[y].tolist(), strict=True))
    result = feasibility_slice(Design(), x, y)
    found = {
        (xv, yv)
        for j, yv in enumerate(result.y_values)
        for i, xv in enumerate(result.x_values)
        if result.best_approved[j][i]
    }
    assert found == expected


def test_best_is_at_least_the_designs_own_and_six_wherever_approval_is_possible() -> None:
    result = feasibility_slice(DESIGNS[0], "adv_weight", "dp_epsilon")
    for j in range(len(result.y_values)):
        for i in range(len(result.x_values)):
            assert result.best_n_met[j][i] >= result.n_met[j][i]
            assert result.best_approved[j][i] >= result.approved[j][i]
            if result.best_approved[j][i]:
                assert result.best_n_met[j][i] == 6
    assert any(map(any, result.best_approved)) and not any(map(any, result.approved))


def test_current_snaps_the_design_to_the_nearest_grid_values() -> None:
    result = feasibility_slice(DESIGNS[2], "model_size_b", "parallelism")
    assert result.current == (23.0, "3d")
    assert result.x_values == [float(m) for m in range(1, 71)]
    assert result.y_values == ["dp", "tp_dp", "3d"]


def test_bad_control_names_and_equal_axes_are_design_errors() -> None:
    with pytest.raises(DesignError, match=r"^x: 'size'"):
        feasibility_slice(Design(), "size", "context")
    with pytest.raises(DesignError, match=r"^y: "):
        feasibility_slice(Design(), "context", "nope")
    with pytest.raises(DesignError, match=r"^y: 'context'"):
        feasibility_slice(Design(), "context", "context")


def test_slice_serialises_to_plain_json() -> None:
    result = feasibility_slice(Design(), "flexible_job_pct", "context")
    assert isinstance(result, FeasibilitySlice)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["current"] == [20.0, "fleet"]
    assert data["failing"][0][0] == result.failing[0][0]
    assert set(data) >= {"n_met", "failing", "approved", "best_n_met", "best_approved"}
