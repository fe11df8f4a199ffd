"""Sensitivity: each row's margin changes are evaluate's own, steps stop at the ends of the
ranges, rows are in tornado order, and the reach over a control's range is brute force's."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constraintlab import CONSTRAINT_NAMES, Design, evaluate
from constraintlab.explore import Sensitivity, sensitivity
from constraintlab.explore.grid import CONTROL_NAMES
from constraintlab.model.design import CONTROLS, NumericControl
from constraintlab.model.vectorized import evaluate_many

DESIGNS = [
    Design(),
    Design(model_size_b=14, adv_weight=0.8, context="renewable"),
    Design(model_size_b=1, dp_epsilon=10, adv_weight=1, parallelism="3d", flexible_job_pct=50),
    Design(model_size_b=23.5, dp_epsilon=0.95, checkpoint_interval_min=7.5, context="renewable"),
]


@pytest.mark.parametrize("design", DESIGNS, ids=["default", "approved", "edges", "off-grid"])
def test_margin_changes_are_evaluate_of_the_stepped_design(design: Design) -> None:
    result = sensitivity(design)
    now = evaluate(design)
    for row in result:
        for direction, value in (("down", row.down_value), ("up", row.up_value)):
            for name in CONSTRAINT_NAMES:
                change = row.margins[name]
                delta = getattr(change, direction)
                fraction = getattr(change, f"{direction}_fraction")
                if value is None:
                    assert delta is None and fraction is None
                    continue
                stepped = evaluate(design.replace(**{row.control: value}))
                expected = stepped[name].margin - now[name].margin
                assert delta == expected  # the batch scores each neighbour as evaluate does
                assert fraction == expected / abs(now[name].target)
                assert change.unit == now[name].unit
            if value is not None:
                stepped_n_met = evaluate(design.replace(**{row.control: value})).n_met
                assert getattr(row, f"n_met_{direction}") == stepped_n_met
    assert result.margins_now == {name: now[name].margin for name in CONSTRAINT_NAMES}


def test_steps_are_grid_neighbours_and_none_past_the_ends() -> None:
    result = sensitivity(DESIGNS[2])
    assert (result.row("model_size_b").down_value, result.row("model_size_b").up_value) == (
        None,
        2.0,
    )
    assert result.row("dp_epsilon").up_value is None
    assert result.row("adv_weight").down_value == 0.95
    assert (result.row("parallelism").down_value, result.row("parallelism").up_value) == (
        "tp_dp",
        None,
    )
    assert result.row("context").down_value is None
    off = sensitivity(DESIGNS[3])
    assert (off.row("model_size_b").down_value, off.row("model_size_b").up_value) == (23.0, 24.0)
    assert off.row("checkpoint_interval_min").down_value == 5.0
    assert off.row("checkpoint_interval_min").up_value == 10.0


@pytest.mark.parametrize("design", DESIGNS[:2])
def test_rows_are_in_tornado_order(design: Design) -> None:
    result = sensitivity(design)
    assert sorted(row.control for row in result) == sorted(CONTROL_NAMES)
    keys = [row.largest_fraction for row in result]
    assert keys == sorted(keys, reverse=True) and keys[0] > 0
    for row in result:
        biggest = max(
            abs(f)
            for change in row.margins.values()
            for f in (change.down_fraction, change.up_fraction)
            if f is not None
        )
        assert row.largest_fraction == biggest


@pytest.mark.parametrize("control", ["model_size_b", "parallelism", "adv_weight"])
def test_reach_over_the_range_is_the_scalar_minimum_and_maximum(control: str) -> None:
    design = DESIGNS[0]
    row = sensitivity(design).row(control)
    counts = {v: evaluate(design.replace(**{control: v})).n_met for v in CONTROLS[control].grid()}
    assert row.n_met_low == min(counts.values())
    assert row.n_met_high == max(counts.values())
    assert counts[row.high_value] == row.n_met_high
    assert row.n_met_now == evaluate(design).n_met


def test_sensitivity_is_a_sequence_of_rows_and_serialises() -> None:
    result = sensitivity(Design())
    assert isinstance(result, Sensitivity) and len(result) == 7
    assert result[0] is result.rows[0] and list(result) == result.rows
    data = json.loads(json.dumps(result.to_dict()))
    assert data["rows"][0]["control"] == result[0].control
    assert set(data["rows"][0]["margins"]) == set(CONSTRAINT_NAMES)


@pytest.mark.parametrize("design", DESIGNS, ids=["default", "approved", "edges", "off-grid"])
def test_all_reaches_from_one_batch_equal_one_call_each(design: Design) -> None:
    """The tornado scores every control's whole range in one vectorised call: each row's
    reach is what a call for that control alone gives (on the grid and off it)."""
    import importlib

    from constraintlab.explore.grid import full_grid

    module = importlib.import_module("constraintlab.explore.sensitivity")
    grid = full_grid()
    alone = {}
    for name in CONTROL_NAMES:
        values = list(grid.axis(name))
        controls = design.to_dict() | {name: np.array(values)}
        many = evaluate_many(**controls)
        alone[name] = module._reach_of(name, values, getattr(design, name), many.n_met, many.met)
    assert module._reaches(grid, design) == alone


numeric = {
    name: st.floats(min_value=c.low, max_value=c.high, allow_nan=False)
    for name, c in CONTROLS.items()
    if isinstance(c, NumericControl)
}
choices = {name: st.sampled_from(c.grid()) for name, c in CONTROLS.items() if name not in numeric}


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    st.builds(
        Design,
        **{
            name: st.one_of(numeric[name], st.sampled_from(CONTROLS[name].grid()))
            if name in numeric
            else choices[name]
            for name in CONTROLS
        },
    )
)
def test_every_step_scored_in_one_batch_is_evaluate_of_that_step(design: Design) -> None:
    now = evaluate(design)
    for row in sensitivity(design):
        for direction, value in (("down", row.down_value), ("up", row.up_value)):
            if value is None:
                continue
            stepped = evaluate(design.replace(**{row.control: value}))
            assert getattr(row, f"n_met_{direction}") == stepped.n_met
            for name in CONSTRAINT_NAMES:
                change = getattr(row.margins[name], direction)
                expected = stepped[name].margin - now[name].margin
                if math.isfinite(expected):
                    assert change == expected
                else:  # no margin on one side (inf - inf, or a value that does not exist)
                    assert change is None
