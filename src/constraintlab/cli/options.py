"""The seven design flags, shared by every command that takes a design.

Each command declares the flags with these annotated types and turns them into a
:class:`~constraintlab.design.Design` with :func:`design_from_flags`; the Design validates the
values, so a bad value ends as a ``DesignError`` (exit 2, one line, naming flag and range).
"""

from __future__ import annotations

from typing import Annotated

import typer

from constraintlab.design import CONTROLS, Design, DesignError

_D = Design()


def _help(name: str) -> str:
    control = CONTROLS[name]
    return f"{control.label}: {control.allowed()}."


ModelSizeB = Annotated[float, typer.Option("--model-size-b", help=_help("model_size_b"))]
DpEpsilon = Annotated[float, typer.Option("--dp-epsilon", help=_help("dp_epsilon"))]
AdvWeight = Annotated[float, typer.Option("--adv-weight", help=_help("adv_weight"))]
Parallelism = Annotated[str, typer.Option("--parallelism", help=_help("parallelism"))]
CheckpointIntervalMin = Annotated[
    float, typer.Option("--checkpoint-interval-min", help=_help("checkpoint_interval_min"))
]
FlexibleJobPct = Annotated[
    float, typer.Option("--flexible-job-pct", help=_help("flexible_job_pct"))
]
Context = Annotated[str, typer.Option("--context", help=_help("context"))]

DEFAULTS = _D


def design_from_flags(
    model_size_b: float,
    dp_epsilon: float,
    adv_weight: float,
    parallelism: str,
    checkpoint_interval_min: float,
    flexible_job_pct: float,
    context: str,
) -> Design:
    """Validate the flags into a Design; errors name the flag (``--dp-epsilon``), not the field."""
    try:
        return Design(
            model_size_b=model_size_b,
            dp_epsilon=dp_epsilon,
            adv_weight=adv_weight,
            parallelism=parallelism,
            checkpoint_interval_min=checkpoint_interval_min,
            flexible_job_pct=flexible_job_pct,
            context=context,
        )
    except DesignError as problem:
        flag = "--" + problem.control.replace("_", "-")
        raise DesignError(flag, problem.value, problem.allowed) from None
