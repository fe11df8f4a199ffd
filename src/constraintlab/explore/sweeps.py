"""One batch per design: every control swept over its grid values, the others held.

Advice (:func:`constraintlab.explore.advice.sweeps`) and the tornado's reach
(:func:`constraintlab.explore.sensitivity.sensitivity`) read the same designs: for each
control, each of its grid values with the other controls at the design's (``sum(len(axis))``
designs, 231 on the full grid). They are scored once, by one
:func:`~constraintlab.model.vectorized.evaluate_many` call, and kept for the last few designs
(keyed by the scenario's fingerprint and the registry's constraints too), so a lab step scores
them once, not twice. The vectorised engine scores each design on its own, so a row of the
batch is what a call of its own would give.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from constraintlab.explore.grid import CONTROL_NAMES, Grid, full_grid
from constraintlab.model import registry
from constraintlab.model import scenario as sc
from constraintlab.model.design import Design
from constraintlab.model.vectorized import ManyResult, evaluate_many

DESIGNS_KEPT = 8  # a lab step asks for one design's batch two or three times


@dataclass(frozen=True, eq=False)
class ControlSweeps:
    """The scored batch and, per control, the slice of its rows (in its grid order)."""

    result: ManyResult
    spans: dict[str, slice]


def control_sweeps(design: Design, grid: Grid | None = None) -> ControlSweeps:
    """Each control over ``grid``'s values (default: the full grid), the others as in
    ``design``, scored in one call (and kept; see the module docstring)."""
    return _sweeps(design, grid or full_grid(), sc.FINGERPRINT, registry.signature())


@lru_cache(maxsize=DESIGNS_KEPT)
def _sweeps(
    design: Design, grid: Grid, fingerprint: str, constraints: registry.Signature
) -> ControlSweeps:
    held = design.to_dict()
    columns: dict[str, list[object]] = {name: [] for name in CONTROL_NAMES}
    spans, start = {}, 0
    for name in CONTROL_NAMES:
        values = list(grid.axis(name))
        for control, column in columns.items():
            column.extend(values if control == name else [held[control]] * len(values))
        spans[name] = slice(start, start + len(values))
        start += len(values)
    result = evaluate_many(**{control: np.array(column) for control, column in columns.items()})
    return ControlSweeps(result, spans)


__all__ = ["ControlSweeps", "control_sweeps"]
