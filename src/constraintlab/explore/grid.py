"""The explorer's grid: slider positions of the seven controls, and designs on and off it.

A :class:`Grid` holds, for every control in :data:`~constraintlab.model.design.CONTROLS` order, the
values the explorer enumerates. :func:`full_grid` is the contract's grid (every slider
position, ``CONTROLS[name].grid()``: 232,848,000 designs); tests build reduced grids with
:meth:`Grid.subset` to check the explorer against brute force.

A design's value is *on the grid* when it equals a grid value to within
``ON_GRID_TOLERANCE`` grid steps (so ``0.1 + 0.2`` counts as the slider position 0.3);
otherwise it is off the grid and every grid value is a move away from it.

Distances (the nearest-approved order and the examples' spread) use the *normalised move*:
``|to - from| / (high - low)`` for a numeric control (its full range counts 1) and 1 for a
changed categorical control.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from constraintlab.model.design import (
    CONTROLS,
    NUMERIC_CONTROLS,
    ChoiceControl,
    Design,
    DesignError,
    NumericControl,
)

CONTROL_NAMES: Final = tuple(CONTROLS)
ON_GRID_TOLERANCE: Final = 1e-9  # in grid steps

Value = float | str
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Grid:
    """Values of each control that the explorer enumerates, in ``CONTROLS`` order."""

    axes: tuple[tuple[Value, ...], ...]

    def __post_init__(self) -> None:
        if len(self.axes) != len(CONTROL_NAMES):
            raise ValueError(f"a grid needs {len(CONTROL_NAMES)} axes, got {len(self.axes)}")
        axes = tuple(
            tuple(float(v) for v in values) if name in NUMERIC_CONTROLS else tuple(values)
            for name, values in zip(CONTROL_NAMES, self.axes, strict=True)
        )
        object.__setattr__(self, "axes", axes)  # numbers as floats, as Design holds them
        for name, values in zip(CONTROL_NAMES, self.axes, strict=True):
            if not values:
                raise ValueError(f"{name}: a grid axis needs at least one value")
            if isinstance(CONTROLS[name], NumericControl) and list(values) != sorted(values):
                raise ValueError(f"{name}: grid values must be sorted")
            for value in values:
                CONTROLS[name].validate(value)

    def axis(self, name: str) -> tuple[Value, ...]:
        """The grid values of one control."""
        return self.axes[position(name)]

    def numbers(self, name: str) -> NDArray[np.float64]:
        """A numeric control's grid values as a float array."""
        return np.asarray(self.axis(name), dtype=np.float64)

    def shape(self) -> tuple[int, ...]:
        """Number of grid values per control."""
        return tuple(len(values) for values in self.axes)

    @property
    def size(self) -> int:
        """Number of designs on the grid: the product of the axis lengths."""
        return int(np.prod(self.shape(), dtype=np.int64))

    def design(self, indices: tuple[int, ...] | list[int] | NDArray[np.int64]) -> Design:
        """The grid design at one index per control."""
        values: dict[str, Any] = {
            name: self.axes[i][int(index)]
            for i, (name, index) in enumerate(zip(CONTROL_NAMES, indices, strict=True))
        }
        return Design(**values)

    def subset(self, **keep: list[int]) -> Grid:
        """A reduced grid: for each named control, keep the values at these indices."""
        unknown = set(keep) - set(CONTROL_NAMES)
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}")
        axes = tuple(
            tuple(values[i] for i in keep[name]) if name in keep else values
            for name, values in zip(CONTROL_NAMES, self.axes, strict=True)
        )
        return Grid(axes)


@lru_cache(maxsize=1)
def full_grid() -> Grid:
    """The contract's grid: every slider position of every control."""
    return Grid(tuple(tuple(control.grid()) for control in CONTROLS.values()))


def position(name: str) -> int:
    """Index of a control in ``CONTROLS`` order; DesignError for an unknown name."""
    try:
        return CONTROL_NAMES.index(name)
    except ValueError:
        raise DesignError(name, name, "one of the controls " + ", ".join(CONTROL_NAMES)) from None


def require_control(name: object, label: str) -> str:
    """``name`` if it names a control, else DesignError naming ``label`` (e.g. ``x``)."""
    if not isinstance(name, str) or name not in CONTROLS:
        raise DesignError(label, name, "one of the controls " + ", ".join(CONTROL_NAMES))
    return name


def span(name: str) -> float:
    """The control's full range, high - low (1.0 for a categorical control)."""
    control = CONTROLS[name]
    return control.high - control.low if isinstance(control, NumericControl) else 1.0


def _tolerance(name: str) -> float:
    control = CONTROLS[name]
    return ON_GRID_TOLERANCE * control.step if isinstance(control, NumericControl) else 0.0


def grid_index(grid: Grid, name: str, value: Value) -> int | None:
    """The index of ``value`` on the control's grid axis, or None when it is off the grid."""
    values = grid.axis(name)
    if isinstance(CONTROLS[name], ChoiceControl):
        return values.index(value) if value in values else None
    nearest = nearest_index(grid, name, value)
    gap = abs(float(values[nearest]) - float(value))
    return nearest if gap <= _tolerance(name) else None


def nearest_index(grid: Grid, name: str, value: Value) -> int:
    """The index of the grid value closest to ``value`` (the lower one on a tie).

    A categorical value not on the axis snaps to the axis's first value.
    """
    values = grid.axis(name)
    if isinstance(CONTROLS[name], ChoiceControl):
        return values.index(value) if value in values else 0
    numbers = [float(v) for v in values]
    right = bisect.bisect_left(numbers, float(value))
    if right == 0:
        return 0
    if right == len(numbers):
        return len(numbers) - 1
    below, above = numbers[right - 1], numbers[right]
    return right - 1 if float(value) - below <= above - float(value) else right


def neighbours(grid: Grid, name: str, value: Value) -> tuple[Value | None, Value | None]:
    """The grid values one step below and above ``value`` (None past either end).

    On the grid these are the adjacent slider positions. Off the grid they are the closest
    grid values strictly below and strictly above. For a categorical control they are the
    previous and next choices in the control's list order.
    """
    values = grid.axis(name)
    here = grid_index(grid, name, value)
    if here is not None:
        below, above = here - 1, here + 1
    else:
        numbers = [float(v) for v in values]
        below = bisect.bisect_left(numbers, float(value)) - 1
        above = below + 1
    return (
        values[below] if below >= 0 else None,
        values[above] if above < len(values) else None,
    )


def snap(design: Design, grid: Grid | None = None) -> Design:
    """The grid design closest to ``design`` in every control."""
    grid = grid or full_grid()
    values = design.to_dict()
    indices = [nearest_index(grid, name, values[name]) for name in CONTROL_NAMES]
    return grid.design(indices)


def is_on_grid(design: Design, grid: Grid | None = None) -> bool:
    """True when every control of ``design`` is a grid value."""
    grid = grid or full_grid()
    values = design.to_dict()
    return all(grid_index(grid, name, values[name]) is not None for name in CONTROL_NAMES)


def move_costs(
    grid: Grid, name: str, value: Value
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """For each grid value of one control: whether moving there changes it, and the move.

    The move is ``|grid value - value| / span`` for a numeric control and 1 for a changed
    categorical one; the grid value equal to ``value`` (within tolerance) costs nothing.
    """
    values = grid.axis(name)
    here = grid_index(grid, name, value)
    changed = np.ones(len(values), dtype=bool)
    if here is not None:
        changed[here] = False
    if isinstance(CONTROLS[name], ChoiceControl):
        return changed, changed.astype(np.float64)
    moves = np.abs(grid.numbers(name) - float(value)) / span(name)
    return changed, np.where(changed, moves, 0.0)
