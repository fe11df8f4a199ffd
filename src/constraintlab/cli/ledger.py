"""``constraintlab ledger``: look at, import, export, sample and reset the Design Ledger.

Every command takes ``--ledger PATH`` (default ``$CONSTRAINTLAB_LEDGER``, else
``~/.mlsys/constraintlab.sqlite3``), except ``sample``, whose ``--ledger`` defaults to a store
of its own. A bad file raises :class:`~constraintlab.ledger.LedgerError`, which
:func:`constraintlab.cli.main.main` prints as one line (``error: <file>: <problem>``) with exit
code 2; the file is left as it was.

Strings from a ledger are untrusted: the table shows them as plain text (no rich markup, control
characters escaped), and ``--json`` escapes everything outside ASCII.

Reads never write: ``show`` and ``export`` open the store read-only and never create it (a
missing store reads as empty); ``import`` reads its file before it touches the store, and
when it fails it removes the store and folders this process created (tracked as it made
them; a symbolic link or anything else that was there is never removed), so the file system
is as it was.
A damaged stored row is left out with a ``warning:`` line naming it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.text import Text

    from constraintlab.ledger import Ledger

LEDGER_HELP = (
    "Ledger store to use (default: $CONSTRAINTLAB_LEDGER, else ~/.mlsys/constraintlab.sqlite3)."
)
LedgerPath = Annotated[
    str | None, typer.Option("--ledger", help=LEDGER_HELP, metavar="PATH", show_default=False)
]
SampleLedgerPath = Annotated[
    str | None,
    typer.Option(
        "--ledger",
        help="Where to write the sample store (default: ~/.mlsys/constraintlab-sample.sqlite3;"
        " never your own ledger).",
        metavar="PATH",
        show_default=False,
    ),
]
SampleJourney = Annotated[
    str,
    typer.Option(
        "--journey",
        help="Which sample: 'graded' (one domain dominates, so Act I grades the answer) or"
        " 'cannot-grade' (two domains tie, so Act I says it cannot grade).",
        metavar="NAME",
    ),
]
JsonFlag = Annotated[
    bool,
    typer.Option(
        "--json", help='Print {"entries": ..., "attempts": [...], "source": {...}} as JSON.'
    ),
]
InputFile = Annotated[
    str,
    typer.Argument(
        help="A ledger file: the course's ledger.json / ledger_vol1.json / ledger_vol2.json"
        " (layout A or B) or a constraintlab export. It is only read.",
        metavar="FILE",
        show_default=False,
    ),
]
OutputFile = Annotated[
    str,
    typer.Argument(help="The file to write (atomically).", metavar="FILE", show_default=False),
]


class ExportFormat(StrEnum):
    """``native``: ours; ``course``: mlsysim 0.3's layout B; ``course-list``: layout A."""

    native = "native"
    course = "course"
    course_list = "course-list"


FormatOption = Annotated[
    ExportFormat,
    typer.Option(
        "--format",
        help="native: constraintlab's JSON (entries, attempts, format version);"
        " course: the layout mlsysim 0.3's DesignLedger writes and reads (what the course's"
        " labs use); course-list: the published lab's list layout (mlsysim cannot read it).",
        case_sensitive=False,
    ),
]
VolumeOption = Annotated[
    int | None,
    typer.Option(
        "--volume",
        min=1,
        max=2,
        help="With --format course: write only that volume's labs, keyed by step, as"
        " mlsysim's ledger_vol1.json / ledger_vol2.json (default: every lab, as ledger.json).",
        show_default=False,
    ),
]
CourseFolder = Annotated[
    Path | None,
    typer.Option(
        "--course-dir",
        help="Folder of the course's ledger files (default: ~/.mlsys).",
        metavar="DIR",
        show_default=False,
        file_okay=False,
    ),
]
WithCourseLedger = Annotated[
    str | None,
    typer.Option(
        "--with-course-ledger",
        help="Also import this course ledger file (or the course files in this folder, e.g."
        " ~/.mlsys) into the store. Only your own default store takes in ~/.mlsys's files"
        " without being asked.",
        metavar="PATH",
        show_default=False,
    ),
]
OverwriteFlag = Annotated[
    bool, typer.Option("--overwrite", help="Replace FILE if it exists (default: refuse).")
]
YesFlag = Annotated[
    bool, typer.Option("--yes", "-y", help="Reset without asking (needed when not in a terminal).")
]

LEDGER_APP_HELP = "\n\n".join(
    [
        "The Design Ledger: what your labs saved (show, import, export, sync, ...).",
        "Course files: when the lab or a ledger command that writes opens your own default"
        " store (no --ledger, no CONSTRAINTLAB_LEDGER), it imports each of the course's own"
        " ledger files (~/.mlsys/ledger.json, ledger_vol1.json, ledger_vol2.json, written by"
        " mlsysim's DesignLedger) that is new or changed, reading them only, and says so on"
        " stderr. Any other store takes them in only when asked: --with-course-ledger PATH.",
        "Write-back: when you Submit the capstone in the lab, its v2_17 design is also written"
        " into the course files this store imported (its own student's: ledger.json as"
        ' "v2_17", ledger_vol2.json as step "17"), in mlsysim\'s layout, keeping every other'
        " entry: read, merge, temporary file, check that the file did not change meanwhile"
        " (digest), atomic rename. 'ledger sync' does the same from the command line;"
        " 'constraintlab run --no-course-writeback' (or CONSTRAINTLAB_COURSE_WRITEBACK=0)"
        " turns it off.",
    ]
)

ledger_app = typer.Typer(
    help=LEDGER_APP_HELP,
    no_args_is_help=True,
    add_completion=False,
)


def _open(path: str | None, course_ledger: str | None = None) -> Ledger:
    """Open the store for writing; say on stderr when course files were imported."""
    from constraintlab.ledger import open_ledger

    ledger = open_ledger(path, course_ledger=course_ledger)
    if ledger.import_note:
        typer.echo(f"note: {ledger.import_note}", err=True)
    return ledger


def _open_to_read(path: str | None) -> Ledger | None:
    """Open the store read-only; None when there is none (nothing is created)."""
    from constraintlab.ledger import LedgerError, LedgerErrorKind, open_ledger
    from constraintlab.ledger.files import lookup
    from constraintlab.ledger.paths import resolve_store_path

    try:
        return open_ledger(resolve_store_path(path), read_only=True)
    except LedgerError as error:
        missing = error.path is not None and lookup(error.path) is None
        if error.kind is LedgerErrorKind.NO_STORE and missing:
            return None
        raise


def _warn_damaged(store: Ledger) -> None:
    for problem in store.damaged:
        typer.echo(f"warning: {store.path}: {problem}", err=True)


def _say_pending(store: Ledger | None, path: str | None) -> None:
    """Course files the lab would import next time into the student's own default store
    (read commands do not import; another store takes none in unasked)."""
    from constraintlab.ledger.autoimport import pending_course_files
    from constraintlab.ledger.paths import is_own_default_store

    if not is_own_default_store(path):
        return
    for course_file in pending_course_files(store):
        typer.echo(
            f"note: your course ledger {course_file} is new or changed and not imported yet;"
            f" the lab imports it when it starts, or run: constraintlab ledger import"
            f" {course_file}",
            err=True,
        )


@ledger_app.command("path")
def path_command(ledger: LedgerPath = None) -> None:
    """Print where the ledger store is (it may not exist yet)."""
    from constraintlab.ledger.paths import resolve_store_path

    typer.echo(str(resolve_store_path(ledger)))


@ledger_app.command("show")
def show_command(as_json: JsonFlag = False, ledger: LedgerPath = None) -> None:
    """Show every lab entry and capstone attempt, and where they came from (read only)."""
    from constraintlab.ledger.paths import resolve_store_path

    store = _open_to_read(ledger)
    if store is None:  # nothing saved yet: say so, create nothing
        _say_pending(None, ledger)
        where = resolve_store_path(ledger)
        if as_json:
            source = {"path": str(where), "sample": False, "auto_imported_from": None}
            empty = {"entries": {}, "attempts": [], "source": source}
            typer.echo(json.dumps(empty, indent=2, ensure_ascii=True))
            return
        typer.echo(f"There is no ledger at {where} yet (nothing was created).")
        typer.echo(
            "No lab has saved anything yet. For an example, run: constraintlab ledger sample"
        )
        return
    with store:
        entries, attempts = store.snapshot()
        source = store.source()
        _warn_damaged(store)
        _say_pending(store, ledger)
        if as_json:
            document = {
                "entries": entries,
                "attempts": [a.to_dict() for a in attempts],
                "source": source,
            }
            typer.echo(json.dumps(document, indent=2, ensure_ascii=True))
            return
        _print_ledger(store, entries, len(attempts))


@ledger_app.command("import")
def import_command(
    file: InputFile, ledger: LedgerPath = None, with_course_ledger: WithCourseLedger = None
) -> None:
    """Import a ledger file; its entries replace yours for the same labs (last save wins)."""
    from constraintlab.ledger.formats import read_ledger_file
    from constraintlab.userpaths import user_path

    source = user_path(file, "FILE")
    parsed = read_ledger_file(source)  # a bad file stops here: nothing touched
    with _undone_if_failed(_open(ledger, with_course_ledger)) as store:
        report = store.import_parsed(parsed)
        first_use = store.auto_imported_from or []
    typer.echo(report.summary())
    for item in report.unplaced:
        typer.echo(f"  not placed: {_escape(str(item))}")
    for skipped in report.skipped:
        typer.echo(f"  skipped: {_escape(str(skipped), 160)}")
    if report.entries_read and not report.changed and _same_file(source, first_use):
        typer.echo(
            "  (nothing new: this file was already imported automatically when the ledger was"
            " first used)"
        )


def _same_file(file: Path, paths: list[str]) -> bool:
    return any(os.path.realpath(file) == os.path.realpath(p) for p in paths)


@ledger_app.command("export")
def export_command(
    file: OutputFile,
    export_format: FormatOption = ExportFormat.native,
    volume: VolumeOption = None,
    overwrite: OverwriteFlag = False,
    ledger: LedgerPath = None,
) -> None:
    """Write the ledger to FILE as constraintlab JSON or in a course layout.

    --format course writes what mlsysim 0.3 reads (track, current_step, history, last_updated),
    keeping the track and current step of the course file you imported.
    """
    from constraintlab.ledger import LedgerError, LedgerErrorKind
    from constraintlab.ledger.keys import volume_of
    from constraintlab.ledger.paths import resolve_store_path
    from constraintlab.userpaths import user_path

    if volume is not None and export_format is not ExportFormat.course:
        raise typer.BadParameter("--volume needs --format course", param_hint="--volume")
    target = user_path(file, "FILE")
    store = _open_to_read(ledger)
    if store is None:
        raise LedgerError(
            resolve_store_path(ledger),
            "there is no ledger store here, so nothing to export (nothing was created)",
            LedgerErrorKind.NO_STORE,
        )
    with store:
        written = store.export(target, export_format.value, overwrite=overwrite, volume=volume)
        count = len([k for k in store.entries() if volume is None or volume_of(k) == volume])
        _warn_damaged(store)
    typer.echo(f"Wrote {count} lab entries to {written} ({export_format.value} format).")


@ledger_app.command("sync")
def sync_command(
    ledger: LedgerPath = None,
    course_dir: CourseFolder = None,
    with_course_ledger: WithCourseLedger = None,
) -> None:
    """Write your capstone (v2_17) into your course ledger files, keeping all else.

    The files are those this store imported (ledger.json and ledger_vol2.json of its own
    student), or those in --course-dir when given; a file that is not a course ledger we can
    read is left as it is.
    """
    from constraintlab.ledger.writeback import (
        course_files_to_write,
        owned_course_files,
        sync_capstone,
    )

    with _open(ledger, with_course_ledger) as store:
        targets = course_files_to_write(course_dir) if course_dir else owned_course_files(store)
        if not targets:
            where = course_dir or "the course ledger files this store imported"
            typer.echo(
                f"No course ledger file (ledger.json, ledger_vol2.json) in {where};"
                " nothing was written (--course-dir DIR names a folder of them)."
            )
            return
        results = sync_capstone(store, course_dir)
    for result in results:
        if result.outcome == "refused":
            typer.echo(f"error: {_escape(result.detail, 400)}", err=True)
        else:
            typer.echo(_escape(result.line(), 400))
    if any(result.outcome == "refused" for result in results):
        raise typer.Exit(2)


@ledger_app.command("sample")
def sample_command(ledger: SampleLedgerPath = None, journey: SampleJourney = "graded") -> None:
    """Write a made-up, clearly labelled journey (all 32 earlier labs) into its own store."""
    from constraintlab.ledger.sample import SAMPLE_JOURNEYS, write_sample

    if journey not in SAMPLE_JOURNEYS:
        allowed = " or ".join(SAMPLE_JOURNEYS)
        raise typer.BadParameter(f"{journey!r} is not {allowed}", param_hint="--journey")
    written = write_sample(ledger, journey)
    typer.echo(f"Wrote a SAMPLE journey ({journey!r}: 32 labs, made-up data) to {written}.")
    typer.echo(f"Try it:  constraintlab run --ledger {written}")
    typer.echo(f"         constraintlab ledger show --ledger {written}")
    typer.echo(
        "A capstone you submit in that lab is saved into the sample store, not into a ledger"
        " of your own; run the lab without --ledger to keep your work."
    )


@contextmanager
def _undone_if_failed(store: Ledger) -> Iterator[Ledger]:
    """Use ``store``; if the block fails, remove the store and folders that opening it
    created (tracked when they were made: a link or file that was there is never removed)."""
    try:
        yield store
    except BaseException:
        store.close(discard_created=True)
        raise
    store.close()


def stdin_is_interactive() -> bool:
    """True when a person can answer a question on stdin."""
    return sys.stdin is not None and sys.stdin.isatty()


@ledger_app.command("reset")
def reset_command(yes: YesFlag = False, ledger: LedgerPath = None) -> None:
    """Back the store up, then empty it (entries, attempts and sample label)."""
    from constraintlab.ledger import Ledger, LedgerError, LedgerErrorKind
    from constraintlab.ledger.files import lookup
    from constraintlab.ledger.paths import resolve_store_path

    target = resolve_store_path(ledger)
    if lookup(target) is None:
        typer.echo(f"There is no ledger at {target}; nothing to reset.")
        return
    if not yes:
        if not stdin_is_interactive():
            typer.echo(
                "error: reset needs --yes when it cannot ask (stdin is not a terminal);"
                " nothing was changed",
                err=True,
            )
            raise typer.Exit(2)
        if not typer.confirm(f"Empty the ledger {target}? A backup is made first"):
            typer.echo("Nothing was changed.")
            raise typer.Exit(1)
    if not os.access(target, os.W_OK, effective_ids=os.access in os.supports_effective_ids):
        raise LedgerError(
            target,
            "is read-only, so it cannot be emptied; nothing was changed and no backup was made",
            LedgerErrorKind.CANNOT_WRITE,
        )
    with Ledger.open(target) as store:
        backup = store.reset()
    typer.echo(f"Backed up to {backup}; the ledger {target} is now empty.")


# --- the table ---------------------------------------------------------------------------------
def _escape(text: str, limit: int = 80) -> str:
    """Untrusted text made safe for a terminal: control characters escaped, length cut."""
    safe = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


def _cell(value: object) -> Text:
    """A table cell that rich shows literally (no markup is interpreted)."""
    from rich.text import Text

    if value is None:
        return Text("-")
    if isinstance(value, str):
        return Text(_escape(value, 40))
    return Text(_escape(json.dumps(value), 40))


_SHOWN = ("context", "act1_prediction", "act1_correct", "constraint_hit", "act2_decision")
_COLUMNS = ("lab", "context", "guess", "correct", "hit", "decision", "result", "+fields")


def _entry_row(key: str, design: Mapping[str, object]) -> list[Text]:
    from rich.text import Text

    from constraintlab.ledger.keys import lab_label

    others = len([name for name in design if name not in (*_SHOWN, "act2_result")])
    return [
        Text(lab_label(key)),
        *(_cell(design.get(name)) for name in _SHOWN),
        _cell(design.get("act2_result")),
        Text(str(others)),
    ]


def _print_ledger(
    store: Ledger, entries: Mapping[str, Mapping[str, object]], attempts: int
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from constraintlab.ledger import archaeology

    console = Console(highlight=False)
    if store.is_sample:
        console.print(Text("SAMPLE DATA: made-up entries, not a student's own labs.", "bold"))
    console.print(Text(f"Design Ledger: {store.path}"))
    if not entries:
        console.print(
            "No lab has saved anything yet. For an example, run: constraintlab ledger sample"
        )
    else:
        table = Table(show_lines=False)
        for title in _COLUMNS:
            table.add_column(title, overflow="fold")
        for key, design in entries.items():
            table.add_row(*_entry_row(key, design))
        console.print(table)
    found = archaeology.totals(entries)
    console.print(
        Text(
            f"{found.labs_done} of {found.labs_total} earlier labs saved;"
            f" {found.constraint_hits} hit a constraint; capstone attempts recorded: {attempts}."
        )
    )
    imported = store.auto_imported_from
    if imported:
        console.print(Text(f"Imported on first use from: {', '.join(imported)}"))


def register(app: typer.Typer) -> None:
    """Add ``constraintlab ledger ...`` to the main app."""
    app.add_typer(
        ledger_app,
        name="ledger",
        help=LEDGER_APP_HELP,
        short_help="The Design Ledger: what your labs saved (show, import, export, sync, ...).",
    )
