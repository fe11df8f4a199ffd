"""The explorer's grid: axes, on/off-grid values, snapping, steps, move costs; and the
brute-force helpers other explorer tests share (every design of a small grid, evaluated)."""

from __future__ import annotations

import itertools
import subprocess
import sys
from functools import lru_cache
from typing import Any

import numpy as np
import pytest

from constraintlab import Design
from constraintlab.explore.grid import (
    CONTROL_NAMES,
    Grid,
    full_grid,
    grid_index,
    is_on_grid,
    move_costs,
    nearest_index,
    neighbours,
    require_control,
    snap,
)
from constraintlab.model.design import CONTROLS, DesignError, grid_size
from constraintlab.model.vectorized import ManyResult, evaluate_many

# A reduced grid around the approved region (and far from it), small enough for brute force.
SMALL_GRID = full_grid().subset(
    model_size_b=[0, 6, 10, 11, 12, 15, 19, 23, 33, 34, 69],  # 1, 7, 11-13, 16, 20, 24, 34, 35, 70
    dp_epsilon=[0, 6, 7, 8, 9, 10, 99],  # 0.1, 0.7, 0.8, 0.9, 1.0, 1.1, 10
    adv_weight=[0, 6, 14, 15, 16, 18, 20],  # 0, 0.3, 0.7, 0.75, 0.8, 0.9, 1.0
    checkpoint_interval_min=[0, 5, 11, 23],  # 5, 30, 60, 120 min
    flexible_job_pct=[0, 3, 5, 10],  # 0, 15, 25, 50 %
)


@lru_cache(maxsize=4)
def every_design(grid: Grid) -> tuple[np.ndarray, ManyResult]:
    """All designs of ``grid`` as rows of grid indices (grid order), and evaluate_many on them."""
    index = np.array(list(itertools.product(*(range(n) for n in grid.shape()))), dtype=np.int64)
    controls: dict[str, Any] = {
        name: np.array(grid.axis(name))[index[:, i]] for i, name in enumerate(CONTROL_NAMES)
    }
    return index, evaluate_many(**controls)


def test_full_grid_is_every_slider_position_as_floats() -> None:
    grid = full_grid()
    assert grid.size == grid_size() == 232_848_000
    assert grid.shape() == (70, 100, 21, 3, 24, 11, 2)
    for name, control in CONTROLS.items():
        assert [v for v in grid.axis(name)] == control.grid()
    assert all(isinstance(v, float) for v in grid.axis("model_size_b"))
    assert grid.design([6, 9, 6, 1, 5, 4, 0]) == Design()


def test_subset_keeps_the_chosen_values_and_refuses_unknown_controls() -> None:
    assert SMALL_GRID.axis("model_size_b")[:3] == (1.0, 7.0, 11.0)
    assert SMALL_GRID.axis("parallelism") == ("dp", "tp_dp", "3d")
    assert SMALL_GRID.size == 11 * 7 * 7 * 3 * 4 * 4 * 2
    with pytest.raises(ValueError):
        full_grid().subset(model_size=[0])
    with pytest.raises(ValueError):
        Grid(full_grid().axes[:6])


def test_grid_index_accepts_float_noise_but_not_off_grid_values() -> None:
    grid = full_grid()
    assert grid_index(grid, "adv_weight", 0.1 + 0.2) == 6
    assert grid_index(grid, "adv_weight", 0.31) is None
    assert grid_index(grid, "model_size_b", 7.5) is None
    assert grid_index(grid, "context", "renewable") == 1
    assert grid_index(SMALL_GRID, "model_size_b", 8.0) is None  # on the full grid only


def test_nearest_index_snaps_to_the_closest_value_lower_on_a_tie() -> None:
    grid = full_grid()
    assert nearest_index(grid, "model_size_b", 7.4) == 6
    assert nearest_index(grid, "model_size_b", 7.6) == 7
    assert nearest_index(grid, "model_size_b", 7.5) == 6
    assert nearest_index(SMALL_GRID, "model_size_b", 60.0) == 10  # 70 B: nearer than 35 B
    assert snap(Design(model_size_b=7.6, dp_epsilon=0.33)) == Design(model_size_b=8, dp_epsilon=0.3)
    assert is_on_grid(Design()) and not is_on_grid(Design(model_size_b=7.6))


def test_neighbours_step_on_and_off_the_grid_and_stop_at_the_ends() -> None:
    grid = full_grid()
    assert neighbours(grid, "model_size_b", 7.0) == (6.0, 8.0)
    assert neighbours(grid, "model_size_b", 7.5) == (7.0, 8.0)
    assert neighbours(grid, "model_size_b", 1.0) == (None, 2.0)
    assert neighbours(grid, "dp_epsilon", 10.0) == (9.9, None)
    assert neighbours(grid, "parallelism", "tp_dp") == ("dp", "3d")
    assert neighbours(grid, "context", "fleet") == (None, "renewable")


def test_move_costs_are_normalised_by_the_full_range() -> None:
    changed, move = move_costs(full_grid(), "checkpoint_interval_min", 30.0)
    assert not changed[5] and changed.sum() == 23
    assert move[5] == 0.0 and move[6] == pytest.approx(5 / 115)
    changed, move = move_costs(full_grid(), "model_size_b", 7.25)
    assert changed.all() and move[6] == pytest.approx(0.25 / 69)
    changed, move = move_costs(full_grid(), "parallelism", "3d")
    assert changed.tolist() == [True, True, False] and move.tolist() == [1.0, 1.0, 0.0]


def test_unknown_control_names_raise_design_error_naming_the_argument() -> None:
    with pytest.raises(DesignError, match="x: 'size'"):
        require_control("size", "x")
    assert require_control("context", "y") == "context"


def test_import_constraintlab_does_not_import_the_explorer() -> None:
    code = "import sys, constraintlab; assert 'constraintlab.explore' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
