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
from constraintlab.cli.plans import build_plans, counting, grid_pairs, sweep_pairs
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

    build_plans(grid_pairs())
    with working("counting the grid"):
        result = census()
    if as_json:
        _echo_json(result.to_dict())
        return
    print_census(result, Console())


def print_census(result: Any, console: Console) -> None:
    """Rich tables: the census figures (stable keys of ``--json``), passing counts, families."""
    from constraintlab.model import scenario as sc
    from constraintlab.model.engine import CONSTRAINT_LABELS

    size = result.grid_size
    table = Table(title=f"Census of the grid ({size:,} designs, {result.seconds:.2f} s)")
    table.add_column("figure (json key)")
    table.add_column("value", justify="right")
    table.add_row("[bold]approved[/]", f"{result.approved:,} ({result.approved / size:.4%})")
    for context, count in result.approved_by_context.items():
        table.add_row(f"approved_by_context: {context}", f"{count:,}")
    table.add_row("families (strategy x context)", f"{len(result.families)}")
    for name, count in result.flips_by_control.items():
        table.add_row(f"flips_by_control: {CONTROLS[name].label}", f"{count:,}")
    table.add_row("budget_only_refusals", f"{result.budget_only_refusals:,}")
    table.add_row(
        "  of which: the job cannot keep up at its interval",
        f"{result.budget_only_cannot_keep_up:,}",
    )
    sizes = result.size_range_b
    table.add_row("size_range_b", f"{sizes[0]:g} to {sizes[1]:g}" if sizes else "none")
    band = result.epsilon_band
    table.add_row("epsilon_band", f"{band[0]:g} to {band[1]:g}" if band else "none")
    table.add_row("renewable_fail_carbon_only_beyond_ppa", f"{result.ppa_outgrown:,}")
    best = result.best_fleet_reduction_pct
    table.add_row("best_fleet_reduction_pct", "none" if best is None else f"{best:.2f} %")
    table.add_row("within GPU budget", f"{result.within_budget:,}")
    for name, count in result.passing.items():
        table.add_row(f"passing {CONSTRAINT_LABELS[name]}", f"{count:,} ({count / size:.2%})")
    console.print(table)
    families = Table(title="Families of the approved region")
    for column in ("strategy", "context", "approved", "sizes (B)", "deferral (%)"):
        families.add_column(
            column, justify="left" if column in ("strategy", "context") else "right"
        )
    for family in result.families:
        lo, hi = family["size_range_b"]
        flo, fhi = family["flexible_job_pct_range"]
        families.add_row(
            family["parallelism"],
            family["context"],
            f"{family['approved']:,}",
            f"{lo:g} to {hi:g}",
            f"{flo:g} to {fhi:g}",
        )
    console.print(families)
    base = result.baseline
    design = base["design"]
    console.print(
        "Carbon baseline (meets every constraint but carbon on the"
        f" {sc.GRID_FLEET_G_PER_KWH:g} g/kWh grid): {design['model_size_b']:g} B,"
        f" epsilon {design['dp_epsilon']:g}, weight"
        f" {design['adv_weight']:g}, {design['parallelism']}, checkpoints every"
        f" {design['checkpoint_interval_min']:g} min, no deferral: {base['gpus']:,} GPUs,"
        f" {base['g_per_study']:.3f} g CO2 per study.",
        highlight=False,
    )
    if result.examples:
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

    build_plans(grid_pairs())
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
    from constraintlab.model.explain import count

    table = Table(title=f"Nearest approved design: {count(len(result.changes), 'change')}")
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

    build_plans(sweep_pairs(design))
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

    build_plans(grid_pairs())
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


OnlyKeys = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        help="A ranged constant to sweep (dotted, as in scenario.toml); repeat for more."
        " Default: every constant that states a range.",
        metavar="KEY",
    ),
]


@explore_app.command("assumptions")
@with_design_flags
def assumptions_command(design: Design, as_json: JsonFlag = False, only: OnlyKeys = None) -> None:
    """The census at both ends of every stated range, and where this design's verdict flips."""
    from constraintlab.explore.assumptions import design_flips, ranged_keys, sweep_assumptions
    from constraintlab.model import scenario as sc

    scenario = sc.current()  # the --scenario file, loaded and checked once
    ranged = ranged_keys()
    for key in only or []:
        if key not in ranged:
            typer.echo(
                f"error: --only {key!r} is not allowed; expected one of {', '.join(ranged)}",
                err=True,
            )
            raise typer.Exit(2)
    keys = only or ranged
    with counting("assumptions") as step:
        sweeps = sweep_assumptions(scenario, keys, progress=step)
    with counting("flip points") as step:
        flips = design_flips(design, scenario, keys, progress=step)
    if as_json:
        _echo_json(
            {
                "scenario": str(scenario.path) if scenario.path else None,
                "constants": [s.to_dict() for s in sweeps],
                "design": design.to_dict(),
                "flips": [f.to_dict() for f in flips],
            }
        )
        return
    print_assumptions(sweeps, flips, Console())


def print_assumptions(sweeps: list[Any], flips: list[Any], console: Console) -> None:
    """One row per ranged constant, most moving first; then the design's flip points."""
    table = Table(title="Approved designs at both ends of each stated range")
    for column in ("constant", "value", "low end", "high end", "claims that fail"):
        table.add_column(column, overflow="fold")
    for item in sweeps:
        value = _show(item.value) + (" (edited)" if item.edited else "")
        ends, failing = [], []
        for end in (item.low, item.high):
            if end.refused:
                ends.append(f"{_show(end.value)}: refused ({end.refused})")
                continue
            ends.append(f"{_show(end.value)}: {end.approved:,} approved")
            failing += [
                f"{name} at {_show(end.value)}" for name, ok in end.claims.items() if not ok
            ]
        table.add_row(item.key, value, *ends, "; ".join(failing) or "none")
    console.print(table)
    for item in sweeps:
        for note in item.notes:
            console.print(note, highlight=False)
    if not flips:
        console.print("This design's verdict holds across every stated range.", highlight=False)
    for flip in flips:
        verdict = "approved" if flip.approved_now else "not approved"
        console.print(
            f"This design is {verdict}; its verdict flips at {flip.key} = {flip.flips_at:g}.",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Add the ``explore`` command group to the main app."""
    app.add_typer(
        explore_app,
        name="explore",
        help="Explore the design space: census, nearest approved design, sensitivity, slices.",
    )
