"""``constraintlab class-report``: the instructor's view of a whole class of Design Ledgers.

Exit 0 when the report was written, even if some files were skipped (the summary says how
many); exit 2 with one line on stderr when no input matched, none could be read, or ``--out``
cannot be written (then ``--out`` is left as it was).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from constraintlab.cli.numbers import whole

if TYPE_CHECKING:
    from constraintlab.classreport.build import OnProgress

Inputs = Annotated[
    list[str],
    typer.Argument(
        help="Student ledger exports: files, folders (searched recursively for *.json) or"
        " glob patterns (quote them to let us expand '**'), in any mix. Layouts A and B of"
        " the course and our own export are all read. One student per file; the student id"
        " is the file's stem unless the file names one.",
        metavar="INPUT",
        show_default=False,
    ),
]
OutDir = Annotated[
    str,
    typer.Option(
        "--out",
        help="Folder for report.html, students.csv, domains.csv, entries.parquet and"
        " problems.csv (created if missing; existing files of those names are replaced).",
        metavar="DIR",
        show_default=False,
    ),
]
HeatmapRows = Annotated[
    int,
    typer.Option(
        "--heatmap-rows",
        parser=whole(10, 2000),
        metavar="ROWS",
        help="Most rows in the completion heat map; a larger class is grouped into this many"
        " rows of students.",
    ),
]

Workers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        parser=whole(1, 256),
        metavar="N",
        show_default=False,
        help="Processes that read the ledger files (default: one per 500 files, up to the"
        " CPUs available; 1 reads in this process). The report is the same either way.",
    ),
]

Skipped = Annotated[
    str | None,
    typer.Option(
        "--skipped",
        metavar="FILE",
        show_default=False,
        help="A CSV (student,path,reason) of students whose ledger could not be collected"
        " (deploy/jupyterhub/collect_exports.sh writes it): each is listed as skipped.",
    ),
]


def class_report_command(
    inputs: Inputs,
    out_text: OutDir,
    heatmap_rows: HeatmapRows = 200,
    workers: Workers = None,
    skipped_list: Skipped = None,
) -> None:
    """Read a class's ledger exports and write an HTML report with CSV and parquet data."""
    from constraintlab.classreport.build import ClassReportError, build_class_report
    from constraintlab.classreport.skipped import SkippedListError, read_skipped
    from constraintlab.userpaths import user_path

    out = user_path(out_text, "--out")
    try:
        listed = user_path(skipped_list, "--skipped") if skipped_list is not None else None
        not_collected = read_skipped(listed) if listed is not None else []
        with _progress_bar() as on_progress:
            outcome = build_class_report(
                inputs,
                out,
                on_progress=on_progress,
                heatmap_rows=heatmap_rows,
                workers=workers,
                not_collected=not_collected,
            )
    except (ClassReportError, SkippedListError) as problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2) from None
    skipped = (
        f", skipped {outcome.files_skipped:,} (see {out / 'problems.csv'})"
        if outcome.files_skipped
        else ", skipped none"
    )
    typer.echo(f"Read {outcome.files_read:,} ledger files{skipped}.")
    typer.echo(
        f"Wrote {out / 'report.html'} with students.csv, domains.csv, entries.parquet,"
        " problems.csv."
    )


@contextmanager
def _progress_bar() -> Iterator[OnProgress | None]:
    """A rich progress bar on stderr when stderr is a terminal; otherwise no hook at all."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("reading ledgers", total=None)

        def on_progress(phase: str, done: int, total: int) -> None:
            progress.update(task, description=phase, completed=done, total=total)

        yield on_progress


def register(app: typer.Typer) -> None:
    """Add ``class-report`` to the main app."""
    app.command(
        "class-report",
        help="Report on a whole class: read every student's ledger export and write"
        " report.html (offline charts), students.csv, domains.csv, entries.parquet and"
        " problems.csv into --out.",
    )(class_report_command)
