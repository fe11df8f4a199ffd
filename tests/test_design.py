"""The seven controls: ranges, grids, defaults and the errors that name what went wrong."""

from __future__ import annotations

import math

import numpy as np
import pytest

from constraintlab import Design, DesignError
from constraintlab.model.design import CONTROLS, grid_size


def test_grid_has_the_contracts_size() -> None:
    sizes = {name: len(c.grid()) for name, c in CONTROLS.items()}
    assert sizes == {
        "model_size_b": 70,
        "dp_epsilon": 100,
        "adv_weight": 21,
        "parallelism": 3,
        "checkpoint_interval_min": 24,
        "flexible_job_pct": 11,
        "context": 2,
    }
    assert grid_size() == 232_848_000


def test_grids_are_exact_decimals() -> None:
    assert CONTROLS["dp_epsilon"].grid()[:3] == [0.1, 0.2, 0.3]
    assert CONTROLS["dp_epsilon"].grid()[-1] == 10.0
    assert CONTROLS["adv_weight"].grid()[6] == 0.3


def test_defaults_are_the_published_ones() -> None:
    assert Design().to_dict() == {
        "model_size_b": 7.0,
        "dp_epsilon": 1.0,
        "adv_weight": 0.3,
        "parallelism": "tp_dp",
        "checkpoint_interval_min": 30.0,
        "flexible_job_pct": 20.0,
        "context": "fleet",
    }


def test_off_grid_values_inside_the_range_are_accepted() -> None:
    assert Design(model_size_b=13.7, dp_epsilon=0.55).model_size_b == 13.7


def test_numpy_numbers_are_accepted_as_floats() -> None:
    design = Design(model_size_b=np.int64(9), dp_epsilon=np.float32(0.5))
    assert isinstance(design.model_size_b, float) and design.model_size_b == 9.0


@pytest.mark.parametrize(
    ("control", "value"),
    [
        ("model_size_b", 0.5),
        ("model_size_b", 70.01),
        ("dp_epsilon", math.nan),
        ("dp_epsilon", math.inf),
        ("adv_weight", -0.05),
        ("adv_weight", "0.3"),
        ("adv_weight", True),
        ("checkpoint_interval_min", None),
        ("flexible_job_pct", 51),
        ("parallelism", "pp"),
        ("parallelism", 3),
        ("context", "coal"),
    ],
)
def test_bad_values_are_refused_with_control_value_and_range(control: str, value: object) -> None:
    with pytest.raises(DesignError) as caught:
        Design(**{control: value})
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.control == control
    assert control in str(error) and repr(value) in str(error)
    assert "expected" in str(error)


def test_replace_validates_and_refuses_unknown_controls() -> None:
    assert Design().replace(dp_epsilon=0.5).dp_epsilon == 0.5
    with pytest.raises(DesignError, match="epsilon"):
        Design().replace(epsilon=0.5)
    with pytest.raises(DesignError, match="dp_epsilon"):
        Design().replace(dp_epsilon=0)


def test_from_dict_round_trips() -> None:
    design = Design(model_size_b=20, parallelism="3d")
    assert Design.from_dict(design.to_dict()) == design


def test_numeric_grids_hold_floats_only() -> None:
    for control in CONTROLS.values():
        if control.name not in ("parallelism", "context"):
            assert all(type(v) is float for v in control.grid()), control.name
