"""constraintlab: "The Constraints Never Lie", the capstone lab of a two-volume ML Systems course.

The package root stays light: ``import constraintlab`` loads the engine's names lazily and never
imports marimo or plotly (those load only where a page is drawn).

    >>> import constraintlab
    >>> card = constraintlab.evaluate(constraintlab.Design())
    >>> card.approved
    False
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Design": "constraintlab.design",
    "DesignError": "constraintlab.design",
    "CONTROLS": "constraintlab.design",
    "evaluate": "constraintlab.engine",
    "Scorecard": "constraintlab.engine",
    "ConstraintResult": "constraintlab.engine",
    "CONSTRAINT_NAMES": "constraintlab.engine",
    "evaluate_many": "constraintlab.vectorized",
    "ManyResult": "constraintlab.vectorized",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:  # pragma: no cover
    from constraintlab.design import CONTROLS as CONTROLS
    from constraintlab.design import Design as Design
    from constraintlab.design import DesignError as DesignError
    from constraintlab.engine import CONSTRAINT_NAMES as CONSTRAINT_NAMES
    from constraintlab.engine import ConstraintResult as ConstraintResult
    from constraintlab.engine import Scorecard as Scorecard
    from constraintlab.engine import evaluate as evaluate
    from constraintlab.vectorized import ManyResult as ManyResult
    from constraintlab.vectorized import evaluate_many as evaluate_many


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'constraintlab' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
