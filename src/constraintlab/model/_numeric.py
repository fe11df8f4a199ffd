"""A type for formulas that work on Python floats and on numpy arrays alike.

The model's closed-form formulas use only arithmetic operators, ``**`` and comparisons, so the
same function serves :func:`constraintlab.evaluate` (floats, fast) and
:func:`constraintlab.evaluate_many` (numpy arrays, broadcast): both paths run the same code.
"""

from __future__ import annotations

import math
from typing import Any, TypeAlias

Real: TypeAlias = Any  # a float or a numpy array of float64 (duck-typed arithmetic)


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float (inf, nan) replaced by None, recursively.

    JSON has no inf or nan (RFC 8259); where a quantity does not exist, the document carries
    null and the result that holds it says why in words (contract claim 19).
    """
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        return json_safe(value.item())
    return value
