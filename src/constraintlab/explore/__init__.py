"""The design-space explorer: census, feasibility slices, nearest approved design, sensitivity.

Everything here runs on the engine's own functions (``evaluate_many`` and the constraint
modules on arrays), factored by the few controls each constraint reads
(:mod:`constraintlab.explore.tables`), so its verdicts agree with
:func:`constraintlab.evaluate` exactly while the full grid of 232,848,000 designs is counted
in well under a second. Not imported by ``import constraintlab`` (it builds numpy tables).
"""

from __future__ import annotations

from constraintlab.explore.census import Census, census
from constraintlab.explore.nearest import Change, NearestResult, nearest_approved
from constraintlab.explore.sensitivity import Sensitivity, SensitivityRow, sensitivity
from constraintlab.explore.slices import FeasibilitySlice, feasibility_slice

__all__ = [
    "Census",
    "Change",
    "FeasibilitySlice",
    "NearestResult",
    "Sensitivity",
    "SensitivityRow",
    "census",
    "feasibility_slice",
    "nearest_approved",
    "sensitivity",
]
