"""``constraintlab evaluate``: the scorecard of one design, as a table or as JSON.

Exit 0 whether or not the design is approved; exit 2 (one line on stderr) for a bad flag/value.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from constraintlab.cli.options import with_design_flags
from constraintlab.model.design import Design

JsonFlag = Annotated[bool, typer.Option("--json", help="Print Scorecard.to_dict() as JSON.")]


@with_design_flags
def evaluate_command(design: Design, as_json: JsonFlag = False) -> None:
    """Score one design against every constraint and the GPU budget."""
    from constraintlab.cli.plans import build_plans, sweep_pairs
    from constraintlab.model.engine import evaluate

    if not as_json:  # the table's advice sweeps every size at the design's strategy
        build_plans(sweep_pairs(design))
    card = evaluate(design)
    if as_json:
        typer.echo(json.dumps(card.to_dict(), indent=2, allow_nan=False))
        return
    print_scorecard(card, Console())


def print_scorecard(card: object, console: Console) -> None:
    """A rich table: one row per constraint with its derivation, then budget and verdict."""
    from constraintlab.explore.advice import advise
    from constraintlab.model.engine import CONSTRAINT_LABELS, Scorecard
    from constraintlab.model.explain import (
        checkpoint_advice,
        derivation_line,
        gpu_sum_text,
        shown_number,
    )
    from constraintlab.views.coach import advice_lines

    assert isinstance(card, Scorecard)
    table = Table(title="Scorecard", show_lines=True)
    for column in ("constraint", "value", "target", "status", "derivation"):
        table.add_column(column, overflow="fold")
    for result in card.constraints.values():
        status = "[green]PASS ✓[/]" if result.met else "[red]FAIL ✗[/]"
        table.add_row(
            result.label,
            shown_number(result) if result.missing else f"{shown_number(result)} {result.unit}",
            f"{result.comparison} {result.target:g} {result.unit}",
            status,
            derivation_line(result, card),
        )
    console.print(table)
    console.print(gpu_sum_text(card.budget), highlight=False, markup=False)
    console.print(checkpoint_advice(card), highlight=False)
    # found by search at this design (explore.advice), as the lab's banners and hints are
    for line in advice_lines(card, advise(card), CONSTRAINT_LABELS):
        console.print(f"- {line}", highlight=False, markup=False)
    verdict = "[bold green]APPROVED[/]" if card.approved else "[bold red]NOT APPROVED[/]"
    console.print(f"{verdict}: {card.n_met}/{len(card.constraints)} constraints met")


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` to the main app."""
    app.command("evaluate", help="Score one design against every constraint and the GPU budget.")(
        evaluate_command
    )
