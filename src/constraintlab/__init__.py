"""constraintlab: "The Constraints Never Lie", the capstone lab of a two-volume ML Systems course.

The package root stays light: ``import constraintlab`` loads the engine's names lazily and never
imports marimo or plotly (those load only where a page is drawn).

    >>> import constraintlab
    >>> card = constraintlab.evaluate(constraintlab.Design())
    >>> card.approved
    False

A scenario is one frozen value; ``using`` puts another in force for a block (this thread only):

    >>> big = constraintlab.Design(model_size_b=50, adv_weight=1, checkpoint_interval_min=20,
    ...                            context="renewable")
    >>> constraintlab.evaluate(big).approved
    False
    >>> mtbf = constraintlab.Scenario.load().with_value("reliability.gpu_mtbf_h", 50_000.0)
    >>> with constraintlab.using(mtbf):
    ...     constraintlab.evaluate(big).approved
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Design": "constraintlab.model.design",
    "DesignError": "constraintlab.model.design",
    "CONTROLS": "constraintlab.model.design",
    "evaluate": "constraintlab.model.engine",
    "Scorecard": "constraintlab.model.engine",
    "ConstraintResult": "constraintlab.model.engine",
    "CONSTRAINT_NAMES": "constraintlab.model.engine",
    "evaluate_many": "constraintlab.model.vectorized",
    "ManyResult": "constraintlab.model.vectorized",
    "Scenario": "constraintlab.model.scenario",
    "using": "constraintlab.model.scenario",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:  # pragma: no cover
    from constraintlab.model.design import CONTROLS as CONTROLS
    from constraintlab.model.design import Design as Design
    from constraintlab.model.design import DesignError as DesignError
    from constraintlab.model.engine import CONSTRAINT_NAMES as CONSTRAINT_NAMES
    from constraintlab.model.engine import ConstraintResult as ConstraintResult
    from constraintlab.model.engine import Scorecard as Scorecard
    from constraintlab.model.engine import evaluate as evaluate
    from constraintlab.model.scenario import Scenario as Scenario
    from constraintlab.model.scenario import using as using
    from constraintlab.model.vectorized import ManyResult as ManyResult
    from constraintlab.model.vectorized import evaluate_many as evaluate_many


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
