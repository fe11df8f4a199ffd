"""``constraintlab explore``: the census, the nearest approved design, sensitivity and slices.

Each command prints rich tables, or plain JSON with ``--json``. Design flags, defaults and
errors are those of ``constraintlab evaluate`` (a bad flag or value: exit 2, one line).
When stdout is a terminal, a progress bar appears for work that runs past one second.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from constraintlab.cli.options import with_design_flags
from constraintlab.model.design import CONTROLS, Design, DesignError

PROGRESS_DELAY_S = 1.0

explore_app = typer.Typer(
    help="Explore the design space: census, nearest approved design, sensitivity, slices.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print plain JSON instead of tables.")]
_CONTROL_LIST = ", ".join(CONTROLS)
XControl = Annotated[
    str,
    typer.Option(
        "--x", help=f"Control across the map (columns): {_CONTROL_LIST}.", metavar="CONTROL"
    ),
]
YControl = Annotated[
    str,
    typer.Option("--y", help=f"Control up the map (rows): {_CONTROL_LIST}.", metavar="CONTROL"),
]


@contextmanager
def working(description: str) -> Iterator[None]:
    """A transient rich progress bar on a terminal stdout, shown only past one second."""
    if not sys.stdout.isatty():
        yield
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True
    )
    progress.add_task(description, total=None)
    timer = threading.Timer(PROGRESS_DELAY_S, progress.start)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
        progress.stop()


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _echo_json(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, indent=2))


@explore_app.command("census")
def census_command(as_json: JsonFlag = False) -> None:
    """Count every design of the grid exactly: approved, passing each constraint, ranges."""
    from constraintlab.explore import census

    with working("counting the grid"):
        result = census()
    if as_json:
        _echo_json(result.to_dict())
        return
    print_census(result, Console())


def print_census(result: Any, console: Console) -> None:
    """Rich tables: counts, passing per constraint, approved ranges, facts and examples."""
    from constraintlab.model.engine import CONSTRAINT_LABELS

    size = result.grid_size
    table = Table(title=f"Census of the grid ({size:,} designs, {result.seconds:.2f} s)")
    for column in ("", "designs", "share"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row("[bold]approved[/]", f"{result.approved:,}", f"{result.approved / size:.4%}")
    table.add_row(
        "within GPU budget", f"{result.within_budget:,}", f"{result.within_budget / size:.2%}"
    )
    for name, count in result.passing.items():
        table.add_row(f"passing {CONSTRAINT_LABELS[name]}", f"{count:,}", f"{count / size:.2%}")
    console.print(table)
    ranges = Table(title="Controls among approved designs")
    ranges.add_column("control")
    ranges.add_column("approved values")
    for name, values in result.approved_ranges.items():
        shown = "none" if not values else ", ".join(_show(v) for v in values)
        if values and not isinstance(values[0], str):
            shown = f"{_show(values[0])} to {_show(values[1])}"
        ranges.add_row(CONTROLS[name].label, shown)
    console.print(ranges)
    by = {**result.approved_by_strategy, **result.approved_by_context}
    console.print(
        "Approved by strategy and context: " + ", ".join(f"{k} {v:,}" for k, v in by.items()),
        highlight=False,
    )
    fewest = result.fleet_context_min_gpus
    console.print(
        "Global-fleet context: the carbon target allows fewer than"
        f" {result.fleet_context_max_gpus_for_target:,.1f} GPUs even with the most deferral;"
        + (f" the leanest design passing the other five needs {fewest:,.0f}." if fewest else ""),
        highlight=False,
    )
    console.print(_designs_table("Approved examples", result.examples))


def _designs_table(title: str, designs: list[Design]) -> Table:
    table = Table(title=title)
    for name in CONTROLS:
        table.add_column(name, justify="right")
    for design in designs:
        table.add_row(*(_show(v) for v in design.to_dict().values()))
    return table


@explore_app.command("nearest")
@with_design_flags
def nearest_command(design: Design, as_json: JsonFlag = False) -> None:
    """The approved grid design reached with the fewest changes, then the smallest move."""
    from constraintlab.explore import nearest_approved

    with working("searching the approved designs"):
        result = nearest_approved(design)
    if as_json:
        if result is None:
            _echo_json({"from": design.to_dict(), "to": None, "changes": [], "approved": False})
        else:
            _echo_json(result.to_dict())
        return
    console = Console()
    if result is None:
        console.print("[red]No design on the grid is approved.[/]")
        return
    if not result.changes:
        console.print("[green]This design is already approved.[/]")
        return
    table = Table(title=f"Nearest approved design: {len(result.changes)} change(s)")
    for column in ("control", "from", "to", "normalised move"):
        table.add_column(column, justify="left" if column == "control" else "right")
    for change in result.changes:
        table.add_row(
            CONTROLS[change.control].label,
            _show(change.from_value),
            _show(change.to_value),
            f"{change.normalised_move:.3f}",
        )
    console.print(table)
    verdict = "[bold green]APPROVED[/]" if result.approved else "[bold red]NOT APPROVED[/]"
    console.print(f"Checked with evaluate: {verdict} (total move {result.normalised_move:.3f})")


@explore_app.command("sensitivity")
@with_design_flags
def sensitivity_command(design: Design, as_json: JsonFlag = False) -> None:
    """Each control's one-step-down and one-step-up effect on every constraint's margin."""
    from constraintlab.explore import sensitivity

    with working("stepping each control"):
        result = sensitivity(design)
    if as_json:
        _echo_json(result.to_dict())
        return
    print_sensitivity(result, Console())


def print_sensitivity(result: Any, console: Console) -> None:
    """One row per control, largest effect first: the constraint it moves most, both steps."""
    from constraintlab.model.engine import CONSTRAINT_LABELS

    table = Table(title="Sensitivity: one grid step of each control (largest effect first)")
    for column in ("control", "value", "down | up", "moves most", "down", "up", "of target"):
        table.add_column(column, justify="left" if column in ("control", "moves most") else "right")
    for row in result:
        top = max(row.margins.values(), key=lambda change: change.largest_fraction)
        steps = (_show(v) if v is not None else "-" for v in (row.down_value, row.up_value))
        table.add_row(
            CONTROLS[row.control].label,
            _show(row.value),
            " | ".join(steps),
            CONSTRAINT_LABELS[top.constraint],
            _delta(top.down, top.unit),
            _delta(top.up, top.unit),
            f"{top.largest_fraction:.1%}",
        )
    console.print(table)
    console.print("Margin = distance to the target on the passing side; down/up = its change.")


def _delta(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:+.4g} {unit}"


@explore_app.command("slice")
@with_design_flags
def slice_command(design: Design, x: XControl, y: YControl, as_json: JsonFlag = False) -> None:
    """Constraints met over two controls: at your other values, and the best over them."""
    from constraintlab.explore import feasibility_slice

    try:
        with working("mapping the slice"):
            result = feasibility_slice(design, x, y)
    except DesignError as problem:
        flag = "--" + problem.control if problem.control in ("x", "y") else problem.control
        raise DesignError(flag, problem.value, problem.allowed) from None
    if as_json:
        _echo_json(result.to_dict())
        return
    console = Console()
    console.print(_map(result, result.n_met, result.approved, "with your other controls"))
    console.print(_map(result, result.best_n_met, result.best_approved, "best over the others"))
    console.print(
        "Cells: constraints met (0-6); [bold green]A[/] = approved; your design is boxed."
    )


def _map(result: Any, n_met: list[list[int]], approved: list[list[bool]], title: str) -> Text:
    """A character heat map: one row per y value (highest first), one cell per x value."""
    styles = ("red", "red", "red", "yellow", "yellow", "yellow", "cyan")
    text = Text(f"{result.y} (rows) x {result.x} (columns), {title}\n", style="bold")
    cx = result.x_values.index(result.current[0])
    cy = result.y_values.index(result.current[1])
    for j in reversed(range(len(result.y_values))):
        text.append(f"{_show(result.y_values[j]):>9} ")
        for i in range(len(result.x_values)):
            mark = "A" if approved[j][i] else str(n_met[j][i])
            style = "bold green" if approved[j][i] else styles[n_met[j][i]]
            text.append(mark, style=style + (" reverse" if (i, j) == (cx, cy) else ""))
        text.append("\n")
    first, last = _show(result.x_values[0]), _show(result.x_values[-1])
    text.append(f"{'':>10}{first} ... {last}\n")
    return text


def register(app: typer.Typer) -> None:
    """Add the ``explore`` command group to the main app."""
    app.add_typer(
        explore_app,
        name="explore",
        help="Explore the design space: census, nearest approved design, sensitivity, slices.",
    )
