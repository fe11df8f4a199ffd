"""nearest_approved is exact: it equals the true nearest found by brute force on a reduced
grid (every design evaluated), and on the full grid it matches the best over the contract
tests' independent enumeration of approved designs. Every answer is checked with evaluate."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constraintlab import Design, evaluate
from constraintlab.explore import NearestResult, nearest_approved
from constraintlab.explore.grid import CONTROL_NAMES, Grid, full_grid
from constraintlab.model.design import CONTROLS, NumericControl
from engine_grid import approved_designs
from test_explore_grid import SMALL_GRID, every_design


def _cost(name: str, to: Any, frm: Any) -> tuple[int, float]:
    """One control's (changed, normalised move), written out independently of the explorer."""
    control = CONTROLS[name]
    if not isinstance(control, NumericControl):
        return (1, 1.0) if to != frm else (0, 0.0)
    gap = abs(float(to) - float(frm))
    if gap <= 1e-9 * control.step:
        return 0, 0.0
    return 1, gap / (control.high - control.low)


def brute_force_nearest(grid: Grid, design: Design) -> tuple[Design, int, float] | None:
    """Scan every approved design of ``grid`` in grid order: fewest changes, then the least
    move (ties within 1e-9 keep the earlier design)."""
    index, many = every_design(grid)
    best: tuple[int, float, int] | None = None
    for row in np.nonzero(many.approved)[0].tolist():
        changed, move = 0, 0.0
        for i, name in enumerate(CONTROL_NAMES):
            c, m = _cost(name, grid.axis(name)[index[row, i]], getattr(design, name))
            changed, move = changed + c, move + m
        if best is None or changed < best[0] or (changed == best[0] and move < best[1] - 1e-9):
            best = (changed, move, row)
    if best is None:
        return None
    return grid.design(index[best[2]]), best[0], best[1]


def _check_answer(result: NearestResult | None, design: Design) -> NearestResult:
    assert result is not None
    assert result.approved and evaluate(result.to_design).approved
    assert result.from_design == design
    changed = {c.control for c in result.changes}
    for name in CONTROL_NAMES:  # unchanged controls: the same slider position
        here, there = getattr(design, name), getattr(result.to_design, name)
        assert _cost(name, there, here)[0] == (name in changed)
    for change in result.changes:
        assert getattr(design, change.control) == change.from_value != change.to_value
        assert getattr(result.to_design, change.control) == change.to_value
    assert result.normalised_move == pytest.approx(sum(c.normalised_move for c in result.changes))
    return result


def _value(name: str) -> st.SearchStrategy[Any]:
    control = CONTROLS[name]
    on_grid = st.sampled_from(SMALL_GRID.axis(name) + full_grid().axis(name))
    if not isinstance(control, NumericControl):
        return on_grid
    return st.one_of(on_grid, st.floats(control.low, control.high))


designs = st.builds(Design, **{name: _value(name) for name in CONTROL_NAMES})


@settings(max_examples=40, deadline=None)
@given(design=designs)
def test_nearest_equals_brute_force_on_a_reduced_grid(design: Design) -> None:
    truth = brute_force_nearest(SMALL_GRID, design)
    result = nearest_approved(design, grid=SMALL_GRID)
    assert truth is not None  # the reduced grid has approved designs
    target, changed, move = truth
    result = _check_answer(result, design)
    assert (len(result.changes), result.to_design) == (changed, target)
    assert result.normalised_move == pytest.approx(move, abs=1e-12)


def test_a_tie_in_move_goes_to_the_design_first_in_grid_order() -> None:
    grid = full_grid().subset(
        model_size_b=[15, 16],  # 16, 17 B
        dp_epsilon=[8, 9],
        adv_weight=[15, 16],
        checkpoint_interval_min=[5, 6],
        flexible_job_pct=[4, 5],  # 20, 25 %
    )
    start = Design(model_size_b=16.5, adv_weight=0.8, context="renewable", flexible_job_pct=22.5)
    for size in (16, 17):  # four designs, all approved, all 0.5 / 69 + 2.5 / 50 away
        for share in (20, 25):
            assert evaluate(start.replace(model_size_b=size, flexible_job_pct=share)).approved
    truth = brute_force_nearest(grid, start)
    result = _check_answer(nearest_approved(start, grid=grid), start)
    assert truth is not None and result.to_design == truth[0]
    assert (result.to_design.model_size_b, result.to_design.flexible_job_pct) == (16.0, 20.0)


def _full_grid_best(design: Design) -> tuple[int, float]:
    """Fewest changes and least move over every approved design of the full grid, enumerated
    by the contract tests (tests/engine_grid.py), independently of the explorer."""
    approved = approved_designs()
    n = len(approved["model_size_b"])
    changed, move = np.zeros(n, dtype=int), np.zeros(n)
    for name, values in approved.items():
        control = CONTROLS[name]
        here = getattr(design, name)
        if isinstance(control, NumericControl):
            gap = np.abs(values.astype(float) - here)
            moved = gap > 1e-9 * control.step
            changed += moved
            move += np.where(moved, gap / (control.high - control.low), 0.0)
        else:
            changed += values != here
            move += values != here
    fewest = changed.min()
    return int(fewest), float(move[changed == fewest].min())


FULL_GRID_STARTS = [
    Design(),
    Design(model_size_b=70, dp_epsilon=10, adv_weight=0, parallelism="dp", context="fleet"),
    Design(model_size_b=14, adv_weight=0.8, context="renewable"),  # approved already
    Design(model_size_b=14.3, dp_epsilon=0.55, adv_weight=0.81, checkpoint_interval_min=7.5),
    Design(model_size_b=40, dp_epsilon=0.1, adv_weight=1.0, parallelism="3d"),
]


@pytest.mark.parametrize("design", FULL_GRID_STARTS)
def test_nearest_on_the_full_grid_matches_the_independent_enumeration(design: Design) -> None:
    result = _check_answer(nearest_approved(design), design)
    fewest, least = _full_grid_best(design)
    assert len(result.changes) == fewest
    assert result.normalised_move == pytest.approx(least, abs=1e-9)


def test_an_approved_grid_design_is_its_own_nearest() -> None:
    design = Design(model_size_b=14, adv_weight=0.8, context="renewable")
    result = _check_answer(nearest_approved(design), design)
    assert result.changes == [] and result.to_design == design and result.normalised_move == 0


def test_the_default_needs_at_least_two_changes() -> None:
    result = _check_answer(nearest_approved(Design()), Design())
    assert len(result.changes) >= 2  # contract claim 2


def test_an_off_grid_control_always_changes() -> None:
    design = Design(model_size_b=14.5, adv_weight=0.8, context="renewable")
    result = _check_answer(nearest_approved(design), design)
    assert [c.control for c in result.changes] == ["model_size_b"]
    assert result.changes[0].normalised_move == pytest.approx(0.5 / 69)


def test_no_approved_design_on_the_grid_gives_none() -> None:
    grid = full_grid().subset(model_size_b=[0, 1, 2])  # 1-3 B: accuracy never reaches 95 %
    assert nearest_approved(Design(), grid=grid) is None


def test_to_dict_has_from_to_changes_and_approved() -> None:
    result = nearest_approved(Design())
    assert result is not None
    data = json.loads(json.dumps(result.to_dict()))
    assert data["from"] == Design().to_dict() and data["to"] == result.to_design.to_dict()
    assert data["approved"] is True
    assert data["changes"][0] == {
        "control": result.changes[0].control,
        "from": result.changes[0].from_value,
        "to": result.changes[0].to_value,
    }
