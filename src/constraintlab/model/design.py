"""The seven controls of Act II: their ranges, grids, published defaults and validation.

A :class:`Design` is one point of the design space. Any value inside a control's range is
accepted (not only slider positions); the *grid* is the set of slider positions that the
explorer's census counts: 70 x 100 x 21 x 3 x 24 x 11 x 2 = 232,848,000 designs.
Nothing is clamped: a value out of range, of the wrong type, NaN or infinite raises
:class:`DesignError`, which names the control, the value and what is allowed.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from typing import Any, Final

from constraintlab.model.strategies import STRATEGY_KEYS

PARALLELISM_STRATEGIES: Final = STRATEGY_KEYS
DEPLOYMENT_CONTEXTS: Final = ("fleet", "renewable")


class DesignError(ValueError):
    """A control value outside what the model accepts. The message names control, value, range."""

    def __init__(self, control: str, value: object, allowed: str) -> None:
        self.control = control
        self.value = value
        self.allowed = allowed
        super().__init__(f"{control}: {value!r} is not allowed; expected {allowed}")


@dataclass(frozen=True)
class NumericControl:
    """A slider: values from ``low`` to ``high``; the grid steps by ``step`` (exact decimals)."""

    name: str
    label: str
    unit: str
    low: float
    high: float
    step: float
    default: float
    integer: bool = False

    @property
    def decimals(self) -> int:
        """Decimal places of the step (0 for 1 or 5, 1 for 0.1, 2 for 0.05)."""
        text = f"{self.step:.10f}".rstrip("0")
        return len(text.split(".")[1]) if "." in text else 0

    def grid(self) -> list[float]:
        """Every slider position, low to high, as floats rounded to the step's decimals."""
        count = round((self.high - self.low) / self.step) + 1
        return [float(round(self.low + i * self.step, self.decimals)) for i in range(count)]

    def allowed(self) -> str:
        kind = "an integer" if self.integer else "a number"
        return f"{kind} from {self.low:g} to {self.high:g} ({self.unit})"

    def validate(self, value: object) -> float:
        """Return ``value`` as a float, or raise :class:`DesignError`."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise DesignError(self.name, value, self.allowed())
        number = float(value)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            raise DesignError(self.name, value, self.allowed())
        if self.integer and number != int(number):
            raise DesignError(self.name, value, self.allowed())
        return number


@dataclass(frozen=True)
class ChoiceControl:
    """A radio button: one of a fixed set of strings."""

    name: str
    label: str
    choices: tuple[str, ...]
    default: str

    def grid(self) -> list[str]:
        return list(self.choices)

    def allowed(self) -> str:
        return "one of " + ", ".join(self.choices)

    def validate(self, value: object) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise DesignError(self.name, value, self.allowed())
        return value


CONTROLS: Final[dict[str, NumericControl | ChoiceControl]] = {
    "model_size_b": NumericControl(
        "model_size_b", "Model size", "billion parameters", 1, 70, 1, 7, integer=False
    ),
    "dp_epsilon": NumericControl(
        "dp_epsilon", "Differential-privacy epsilon", "lower is more private", 0.1, 10.0, 0.1, 1.0
    ),
    "adv_weight": NumericControl(
        "adv_weight",
        "Adversarial training weight",
        "share of adversarial examples",
        0.0,
        1.0,
        0.05,
        0.30,
    ),
    "parallelism": ChoiceControl(
        "parallelism", "Parallelism strategy", PARALLELISM_STRATEGIES, "tp_dp"
    ),
    "checkpoint_interval_min": NumericControl(
        "checkpoint_interval_min", "Checkpoint interval", "minutes", 5, 120, 5, 30
    ),
    "flexible_job_pct": NumericControl(
        "flexible_job_pct",
        "Deferred fine-tuning",
        "percent of the fine-tuning job run in clean hours",
        0,
        50,
        5,
        20,
    ),
    "context": ChoiceControl("context", "Deployment context", DEPLOYMENT_CONTEXTS, "fleet"),
}

NUMERIC_CONTROLS: Final = tuple(n for n, c in CONTROLS.items() if isinstance(c, NumericControl))


@dataclass(frozen=True)
class Design:
    """One architecture: the seven controls of Act II (defaults as published)."""

    model_size_b: float = 7.0
    dp_epsilon: float = 1.0
    adv_weight: float = 0.30
    parallelism: str = "tp_dp"
    checkpoint_interval_min: float = 30.0
    flexible_job_pct: float = 20.0
    context: str = "fleet"

    def __post_init__(self) -> None:
        for name, control in CONTROLS.items():
            clean = control.validate(getattr(self, name))
            object.__setattr__(self, name, clean)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types, keyed by control name."""
        return asdict(self)

    def replace(self, **changes: Any) -> Design:
        """A copy with some controls changed (validated like the constructor)."""
        values = self.to_dict()
        unknown = set(changes) - set(values)
        if unknown:
            name = sorted(unknown)[0]
            raise DesignError(name, changes[name], "one of the controls " + ", ".join(CONTROLS))
        values.update(changes)
        return Design(**values)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Design:
        """Build from a mapping of control names; unknown keys are refused by name."""
        unknown = set(values) - set(CONTROLS)
        if unknown:
            name = sorted(unknown)[0]
            raise DesignError(name, values[name], "one of the controls " + ", ".join(CONTROLS))
        return cls(**values)


def grid_size() -> int:
    """Number of designs on the slider grid (232,848,000)."""
    size = 1
    for control in CONTROLS.values():
        size *= len(control.grid())
    return size


def interval_grid() -> list[float]:
    """The checkpoint interval's grid values (min), as floats: the intervals a job may use."""
    control = CONTROLS["checkpoint_interval_min"]
    assert isinstance(control, NumericControl)
    return [float(v) for v in control.grid()]
