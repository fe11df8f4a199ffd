"""``constraintlab validate``: the engine's P99, uptime and goodput against Monte Carlo.

For one design: the analytic value, the simulated estimate with its 99 % interval from
independent replications, their relative difference and whether the analytic value lies in
the interval. Seeds make runs reproducible; a progress bar shows on a terminal.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from constraintlab.cli.numbers import whole
from constraintlab.cli.options import with_design_flags
from constraintlab.model.design import Design

Requests = Annotated[
    int,
    typer.Option(
        "--requests",
        parser=whole(10_000, 50_000_000),
        metavar="N",
        help="Simulated requests for the P99 check (split over 10 replications).",
    ),
]
Seed = Annotated[
    int,
    typer.Option(
        "--seed", parser=whole(0), metavar="SEED", help="Seed of the first replication (0 or more)."
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")]


def run_validation(design: Design, requests: int, seed: int, show_progress: bool) -> dict[str, Any]:
    """Run the three checks with a rich progress bar (one task per check)."""
    from rich.progress import Progress

    from constraintlab.simulate.fleet import check_design

    with Progress(transient=True, disable=not show_progress) as bar:
        tasks: dict[str, Any] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"simulating {stage}", total=total)
            bar.update(tasks[stage], completed=done)

        report, _ = check_design(design, requests, seed, progress=advance)
    return report


@with_design_flags
def validate_command(
    design: Design,
    requests: Requests = 1_000_000,
    seed: Seed = 0,
    as_json: JsonFlag = False,
) -> None:
    """Check the engine's P99, uptime and goodput against independent simulations."""
    report = run_validation(design, requests, seed, show_progress=sys.stderr.isatty())
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    table = Table(title=f"Analytic vs. simulated (99 % intervals, seed {seed})")
    for column in ("quantity", "analytic", "simulated", "99 % interval", "difference", "inside"):
        table.add_column(column)
    for key, label, scale, fmt in (
        ("p99_ms", "P99 response time (ms)", 1.0, "{:.1f}"),
        ("uptime", "serving uptime (%)", 100.0, "{:.5f}"),
        ("goodput", "fine-tuning goodput (%)", 100.0, "{:.2f}"),
    ):
        row = report[key]
        sim = row["simulated"]
        table.add_row(
            label,
            fmt.format(row["analytic"] * scale),
            fmt.format(sim["estimate"] * scale),
            f"[{fmt.format(sim['low'] * scale)}, {fmt.format(sim['high'] * scale)}]",
            f"{row['relative_difference']:+.2%}",
            "yes" if row["analytic_inside_interval"] else "no",
        )
    console = Console()
    console.print(table)
    console.print(
        f"Exact renewal goodput of the checkpointed job: {report['goodput']['exact_renewal']:.4%}"
        f" (the engine's Young-Daly formula is first order). {report['seconds']:.1f} s."
    )


def register(app: typer.Typer) -> None:
    """Add ``validate`` to the main app."""
    app.command("validate", help="Check the engine against Monte Carlo simulations.")(
        validate_command
    )
