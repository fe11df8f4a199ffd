"""The seven design flags, shared by every command that takes a design.

Each command declares the flags with these annotated types and turns them into a
:class:`~constraintlab.model.design.Design` with :func:`design_from_flags`; the Design validates the
values, so a bad value ends as a ``DesignError`` (exit 2, one line, naming flag and range).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any

import typer

from constraintlab.cli.numbers import MAX_NUMBER_CHARS, parse_decimal
from constraintlab.model.design import CONTROLS, NUMERIC_CONTROLS, Design, DesignError

_D = Design()


def _help(name: str) -> str:
    control = CONTROLS[name]
    return f"{control.label}: {control.allowed()}."


def _flag(name: str) -> Any:
    metavar = "NUMBER" if name in NUMERIC_CONTROLS else "|".join(CONTROLS[name].grid())  # type: ignore[arg-type]
    return typer.Option("--" + name.replace("_", "-"), help=_help(name), metavar=metavar)


# Numbers arrive as text and are parsed here, so every bad value gets the same message:
# the flag, the value and the allowed range.
ModelSizeB = Annotated[str, _flag("model_size_b")]
DpEpsilon = Annotated[str, _flag("dp_epsilon")]
AdvWeight = Annotated[str, _flag("adv_weight")]
Parallelism = Annotated[str, _flag("parallelism")]
CheckpointIntervalMin = Annotated[str, _flag("checkpoint_interval_min")]
FlexibleJobPct = Annotated[str, _flag("flexible_job_pct")]
Context = Annotated[str, _flag("context")]


class _Defaults:
    """The published defaults as flag text (``DEFAULTS.model_size_b == "7"``)."""

    def __getattr__(self, name: str) -> str:
        value = getattr(_D, name)
        return f"{value:g}" if isinstance(value, float) else str(value)


DEFAULTS = _Defaults()


def _number(name: str, text: str) -> float:
    """The flag's number (ASCII only: no ``７``, no ``1_0``); DesignError naming it otherwise."""
    value = parse_decimal(text)
    if value is None:
        shown = text if len(text) <= MAX_NUMBER_CHARS else text[:MAX_NUMBER_CHARS] + "..."
        raise DesignError(name, shown, CONTROLS[name].allowed())
    return value


def design_from_flags(
    model_size_b: str,
    dp_epsilon: str,
    adv_weight: str,
    parallelism: str,
    checkpoint_interval_min: str,
    flexible_job_pct: str,
    context: str,
) -> Design:
    """Parse and validate the flags into a Design; errors name the flag (``--dp-epsilon``)."""
    given = {
        "model_size_b": model_size_b,
        "dp_epsilon": dp_epsilon,
        "adv_weight": adv_weight,
        "parallelism": parallelism,
        "checkpoint_interval_min": checkpoint_interval_min,
        "flexible_job_pct": flexible_job_pct,
        "context": context,
    }
    try:
        values: dict[str, Any] = {
            k: _number(k, v) if k in NUMERIC_CONTROLS else v for k, v in given.items()
        }
        return Design(**values)
    except DesignError as problem:
        flag = "--" + problem.control.replace("_", "-")
        raise DesignError(flag, problem.value, problem.allowed) from None


_FLAG_TYPES: dict[str, Any] = {
    "model_size_b": ModelSizeB,
    "dp_epsilon": DpEpsilon,
    "adv_weight": AdvWeight,
    "parallelism": Parallelism,
    "checkpoint_interval_min": CheckpointIntervalMin,
    "flexible_job_pct": FlexibleJobPct,
    "context": Context,
}


def with_design_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the seven design flags; it receives them as ``design: Design``.

    The command's own first parameter must be ``design``; its other parameters stay as they
    are. Typer reads the wrapper's signature: the seven flags, then the command's options.
    """
    own = [p for p in inspect.signature(command).parameters.values() if p.name != "design"]
    flags = [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=getattr(DEFAULTS, name), annotation=kind
        )
        for name, kind in _FLAG_TYPES.items()
    ]
    hints = typing.get_type_hints(command, include_extras=True)  # resolve postponed annotations
    own = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints.get(p.name, p.annotation))
        for p in own
    ]

    @functools.wraps(command)
    def wrapper(**values: Any) -> Any:
        design = design_from_flags(**{name: values.pop(name) for name in _FLAG_TYPES})
        return command(design, **values)

    wrapper.__signature__ = inspect.Signature(flags + own)  # type: ignore[attr-defined]
    return wrapper
