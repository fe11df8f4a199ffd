"""Feasibility slices: a heat map over two controls, the others held or optimised.

``feasibility_slice(design, x, y)`` tabulates, over the grid values of ``x`` (columns) and
``y`` (rows):

* with the other controls at the design's own values (``evaluate_many`` on the
  2-D grid): constraints met, which fail (plus ``"gpu_budget"`` when the GPUs do not fit), and
  whether the design is approved;
* *best over the other controls*: the most constraints met by any grid design with those x
  and y values, and whether any of them is approved. This part does not depend on the design;
  it is computed once per pair of controls from the census tables and cached.

Best over the others, method. n_met = base(M, eps, w, s) + sum over the K ``JOB`` constraints
k of [N <= Lk(f, c)], where base counts the ``MODEL`` and ``SERVING`` constraints and N is the
job GPUs of (M, eps, w, s, T) (the tables check that each Lk verdict falls with N). Within a
cell the most is max base + g for some g in 0..K, reached by a design with base >= max base -
l (l < K) whose job passes l + g thresholds; the fewest GPUs over the cell's T pass the most.
With K = 1 (the shipped carbon) that is max base, plus one iff the fewest GPUs among the cell's
designs reaching max base are <= the largest L over the cell's free (f, c). Approval is the
cell's approved designs (:attr:`GridTables.approved_index`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from constraintlab.explore.grid import CONTROL_NAMES, Grid, nearest_index, require_control
from constraintlab.explore.tables import GridTables, IntArray, tables
from constraintlab.model import registry
from constraintlab.model.design import Design, DesignError
from constraintlab.model.engine import CONSTRAINT_NAMES
from constraintlab.model.vectorized import evaluate_many

BUDGET_FAILURE: Final = "gpu_budget"
FAILURE_NAMES: Final = registry.Names(BUDGET_FAILURE)  # a live view of the registry


@dataclass(frozen=True)
class FeasibilitySlice:
    """Constraints met over two controls' grid values; rows are y values, columns x values."""

    x: str
    y: str
    x_values: list[Any]
    y_values: list[Any]
    n_met: list[list[int]]
    failing: list[list[list[str]]]
    approved: list[list[bool]]
    best_n_met: list[list[int]]
    best_approved: list[list[bool]]
    current: tuple[Any, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "x": self.x,
            "y": self.y,
            "x_values": list(self.x_values),
            "y_values": list(self.y_values),
            "n_met": self.n_met,
            "failing": self.failing,
            "approved": self.approved,
            "best_n_met": self.best_n_met,
            "best_approved": self.best_approved,
            "current": list(self.current),
        }


def feasibility_slice(
    design: Design, x: str, y: str, *, grid: Grid | None = None
) -> FeasibilitySlice:
    """The heat map of ``design`` over controls ``x`` (columns) and ``y`` (rows).

    Raises DesignError for an unknown control name or when ``x == y``.
    """
    x, y = require_control(x, "x"), require_control(y, "y")
    if x == y:
        raise DesignError("y", y, f"a control other than x ({x})")
    t = tables(grid)
    x_values, y_values = list(t.grid.axis(x)), list(t.grid.axis(y))
    controls: dict[str, Any] = design.to_dict()
    controls[x] = np.array(x_values)[None, :]
    controls[y] = np.array(y_values)[:, None]
    result = evaluate_many(**controls)
    best_n_met, best_approved = best_tables(t, x, y)
    values = design.to_dict()
    return FeasibilitySlice(
        x=x,
        y=y,
        x_values=x_values,
        y_values=y_values,
        n_met=result.n_met.tolist(),
        failing=_failing(result.met, result.within_budget),
        approved=result.approved.tolist(),
        best_n_met=best_n_met.tolist(),
        best_approved=best_approved.tolist(),
        current=(
            x_values[nearest_index(t.grid, x, values[x])],
            y_values[nearest_index(t.grid, y, values[y])],
        ),
    )


def _failing(
    met: dict[str, NDArray[np.bool_]], within_budget: NDArray[np.bool_]
) -> list[list[list[str]]]:
    """Per cell, the names of what fails: one list per distinct failure pattern, shared by
    the cells with that pattern (a slice is read, never changed)."""
    flags = [~met[name] for name in CONSTRAINT_NAMES] + [~within_budget]
    code = sum(flag.astype(np.int64) << bit for bit, flag in enumerate(flags))
    codes = np.asarray(code)
    names = {
        int(c): [FAILURE_NAMES[bit] for bit in range(len(flags)) if int(c) >> bit & 1]
        for c in np.unique(codes)
    }
    return [list(map(names.__getitem__, row)) for row in codes.tolist()]


def best_tables(t: GridTables, x: str, y: str) -> tuple[IntArray, NDArray[np.bool_]]:
    """(best n_met, any approved) over the other controls; rows y, columns x.

    Computed once per unordered pair of controls and kept with the tables.
    """
    first, second = sorted((x, y), key=CONTROL_NAMES.index)
    key = ("best", first, second)
    if key not in t.memo:
        t.memo[key] = _best_in_control_order(t, first, second)
    best, approved = t.memo[key]  # dims (first, second)
    if first == x:  # rows must be y
        return best.T, approved.T
    return best, approved


def _loosest(limit: IntArray, axes: set[int]) -> IntArray:
    """A threshold (M, s, f, c) at its largest over deferral and context where they are free."""
    if 5 not in axes:
        limit = limit.max(axis=2, keepdims=True)
    if 6 not in axes:
        limit = limit.max(axis=3, keepdims=True)
    return limit


def _best_in_control_order(
    t: GridTables, first: str, second: str
) -> tuple[IntArray, NDArray[np.bool_]]:
    """(best n_met, any approved) per cell of (first, second), over every other control."""
    i, j = CONTROL_NAMES.index(first), CONTROL_NAMES.index(second)
    axes = {i, j}
    shape = t.grid.shape()
    approved = np.zeros((shape[i], shape[j]), dtype=bool)
    index = t.approved_index
    approved[index[:, i], index[:, j]] = True
    base = t.base_met  # (M, eps, w, s)
    drop = tuple(d for d in range(4) if d not in axes)
    most = base.max(axis=drop, keepdims=True) if drop else base
    job = t.train_gpus if 4 in axes else t.train_gpus.min(axis=3, keepdims=True)
    limits = list(t.job_max.values())  # each (M, s, f, c)
    if len(limits) == 1:  # one threshold: the loosest over a free (f, c) is the one to beat
        limits = [_loosest(limits[0], axes)]
    n_f, n_c = limits[0].shape[2:] if limits else (1, 1)
    reach = [base >= most - level for level in range(len(limits))]
    cell = tuple(n if d in axes else 1 for d, n in enumerate(shape))
    plus = np.zeros(cell, dtype=np.int8)
    free = tuple(a for a, d in enumerate((0, 1, 2, 4)) if d not in axes)
    for s in range(shape[3]):
        for f in range(n_f):
            for c in range(n_c):
                passes = sum(
                    (job <= limit[:, s, f, c][:, None, None, None]).astype(np.int8)
                    for limit in limits
                )
                target = plus[
                    :, :, :, s if 3 in axes else 0, :, f if 5 in axes else 0, c if 6 in axes else 0
                ]
                for level, near in enumerate(reach):
                    gain = np.where(near[:, :, :, s, None], passes - level, 0).astype(np.int8)
                    if free:
                        gain = gain.max(axis=free, keepdims=True)
                    np.maximum(target, gain, out=target)
    best = most[..., None, None, None] + plus
    best = best.max(axis=3, keepdims=True) if 3 not in axes else best
    others = tuple(d for d in range(len(CONTROL_NAMES)) if d not in axes)
    squeezed = best.squeeze(axis=others).astype(np.int64)
    return squeezed, approved
