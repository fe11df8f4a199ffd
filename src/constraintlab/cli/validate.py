"""``constraintlab validate``: the engine's P99, availability and goodput against Monte Carlo.

For one design: the design's primitives (what was simulated), the engine's value, the
simulated estimate with its 99 % interval from independent replications, the exact value of
the simulated process where one is known, whether the engine's value lies inside the
interval and how far, and a sentence worded from those numbers. Then the routing check
(:mod:`constraintlab.simulate.routing_check`): the same fleet simulated under pooled,
join-the-shortest-queue and random routing, and the replicas the SLO needs under each, so
the output shows how close join-the-shortest-queue sits to the pooled queue the model
assumes by default and how many more replicas random routing needs. Seeds make runs
reproducible; a progress bar shows on a terminal.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

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
AvailabilityEvents = Annotated[
    int,
    typer.Option(
        "--availability-events",
        parser=whole(10_000, 20_000_000),
        metavar="N",
        help=(
            "Failures and restarts simulated per availability replication (12 replications):"
            " more gives a narrower interval for a rarely short fleet, at about 0.2 s a million."
        ),
    ),
]
Seed = Annotated[
    int,
    typer.Option(
        "--seed", parser=whole(0), metavar="SEED", help="Seed of the first replication (0 or more)."
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")]
CHECKS = ("p99_ms", "availability", "goodput")


def run_validation(
    design: Design,
    requests: int,
    seed: int,
    show_progress: bool,
    availability_events: int = 2_000_000,
) -> dict[str, Any]:
    """Run the three checks with a rich progress bar (one task per check)."""
    from rich.progress import Progress

    from constraintlab.simulate.fleet import check_design

    with Progress(transient=True, disable=not show_progress) as bar:
        tasks: dict[str, Any] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"simulating {stage}", total=total)
            bar.update(tasks[stage], completed=done)

        report, _ = check_design(
            design,
            requests,
            seed,
            progress=advance,
            availability_events=availability_events,
            with_routing=True,
        )
    return report


def unsimulable_reason(design: Design) -> str:
    """Why the three checks cannot run for this design ("" when they can), from the engine's
    own causes: a model that does not fit in memory or a fleet that cannot hold the SLO has no
    serving fleet to simulate; a job that cannot keep up at its interval has no job."""
    from constraintlab.model.engine import evaluate

    card = evaluate(design)
    latency = card["p99_latency"]
    if latency.missing:
        return f"the model {latency.missing}, so no replica can serve it"
    if not latency.derivation["slo_feasible"]:
        return "no number of replicas holds the P99 SLO, so there is no serving fleet to check"
    if not card.budget.training_keeps_up:
        return f"{card.budget.reason}, so there is no fine-tuning job to check"
    return ""


def comparison_table(report: dict[str, Any], seed: int) -> Table:
    """One row per check, every figure at the digits that tell them apart (``decimals``)."""
    from constraintlab.simulate.checks import display
    from constraintlab.simulate.wording import signed

    table = Table(title=f"Engine vs. simulation (99 % intervals, seed {seed})")
    for column in ("quantity", "engine", "simulated", "99 % interval", "exact", "gap", "inside"):
        table.add_column(column)
    for key in CHECKS:
        row = report[key]
        sim, digits = row["simulated"], row["decimals"]

        def shown(value: float, row: dict[str, Any] = row, digits: int = digits) -> str:
            return display(value, row["scale"], row["unit"], digits)

        exact = "-" if row["reference"] is None else shown(row["reference"])
        table.add_row(
            row["label"],
            shown(row["analytic"]),
            shown(sim["estimate"]),
            f"{shown(sim['low'])} to {shown(sim['high'])}",
            exact,
            signed(row["relative_difference"] * 100.0, " %"),
            "yes" if row["analytic_inside_interval"] else "no",
        )
    return table


def routing_table(routing: dict[str, Any]) -> Table:
    """One row per routing policy: the model's and the simulated P99 at the design's replicas,
    and the replicas the SLO needs (``replicas_from``: the model, or the simulated search)."""
    in_force = routing["policy_in_force"]
    table = Table(
        title=f"Routing at {routing['replicas']:,} replicas (the model uses {in_force!r})"
    )
    for column in ("policy", "model P99", "simulated P99 (99 % interval)", "SLO needs"):
        table.add_column(column)
    for row in routing["rows"]:
        sim, model, replicas = row["simulated_p99_ms"], row["model_p99_ms"], row["replicas_for_slo"]
        table.add_row(
            row["label"] + (" *" if row["policy"] == in_force else ""),
            "-" if model is None else f"{model:,.1f} ms",
            f"{sim['estimate']:,.1f} ms ({sim['low']:,.1f} to {sim['high']:,.1f})",
            "-" if replicas is None else f"{replicas:,} ({row['replicas_from']})",
        )
    return table


@with_design_flags
def validate_command(
    design: Design,
    requests: Requests = 1_000_000,
    seed: Seed = 0,
    availability_events: AvailabilityEvents = 2_000_000,
    as_json: JsonFlag = False,
) -> None:
    """Check the engine's P99, availability and goodput against independent simulations."""
    reason = unsimulable_reason(design)
    if reason:  # one line, exit 2: nothing to simulate, and no traceback or endless run
        typer.echo(f"validate: this design cannot be simulated: {reason}", err=True)
        raise typer.Exit(2)
    report = run_validation(
        design, requests, seed, sys.stderr.isatty(), availability_events=availability_events
    )
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    console = Console()
    console.print(comparison_table(report, seed))
    for key in CHECKS:
        console.print(Text.assemble((f"{report[key]['label']}. ", "bold"), report[key]["sentence"]))
    console.print(routing_table(report["routing"]))
    console.print(Text.assemble(("Routing. ", "bold"), report["routing"]["sentence"]))
    console.print(f"{report['seconds']:.1f} s.")


def register(app: typer.Typer) -> None:
    """Add ``validate`` to the main app."""
    app.command("validate", help="Check the engine against Monte Carlo simulations.")(
        validate_command
    )
