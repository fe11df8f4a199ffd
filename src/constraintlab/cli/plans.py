"""A progress line while serving plans are built ("serving plans 37/210"), on a terminal.

Plans are built once per scenario and then read from the plan store (memory and disk), so
this shows only on a cold cache: a command first asks which plans its work will read are
missing, builds those under a rich progress bar on stderr, and then runs as usual.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from constraintlab.model.design import Design

PROGRESS_FROM = 8  # plans: fewer are built in well under a second


def grid_pairs() -> list[tuple[float, str]]:
    """Every (model size, strategy) pair of the grid: what the census and slices read."""
    from constraintlab.model.serving import grid_pairs as pairs

    return pairs()


def sweep_pairs(design: Design) -> list[tuple[float, str]]:
    """The pairs one design's advice sweeps read (:func:`serving.sweep_pairs`)."""
    from constraintlab.model.serving import sweep_pairs as pairs

    return pairs(design.model_size_b, design.parallelism)


@contextmanager
def counting(what: str) -> Iterator[Callable[[int, int], None]]:
    """A "what k/n" progress bar on a terminal stderr (rich, transient), fed by the callback
    it yields, ``step(done, total)``; off a terminal the callback does nothing."""
    if not sys.stderr.isatty():
        yield lambda _done, _total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn(what), MofNCompleteColumn(), BarColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(what, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def build_plans(pairs: list[tuple[float, str]]) -> None:
    """Build the missing plans of ``pairs``, with a progress bar on a terminal stderr when
    there are enough of them to take a moment."""
    from constraintlab.model.serving import PLANS

    missing = PLANS.missing(pairs)
    if len(missing) < PROGRESS_FROM:
        PLANS.warm(missing)
        return
    with counting("serving plans") as step:
        PLANS.warm(missing, step)
