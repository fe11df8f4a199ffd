"""A type for formulas that work on Python floats and on numpy arrays alike.

The model's closed-form formulas use only arithmetic operators, ``**`` and comparisons, so the
same function serves :func:`constraintlab.evaluate` (floats, fast) and
:func:`constraintlab.evaluate_many` (numpy arrays, broadcast): both paths run the same code.
"""

from __future__ import annotations

from typing import Any, TypeAlias

Real: TypeAlias = Any  # a float or a numpy array of float64 (duck-typed arithmetic)
