"""Build a class report: inputs -> ledgers -> DuckDB -> report.html, CSVs, parquet.

:func:`build_class_report` is the whole pipeline; the CLI only adds a progress bar and the
exit codes. It raises :class:`ClassReportError` only when there is nothing to report on (no
input matched, or none could be read) or nowhere to write; every bad file is a listed problem,
never an exception. All outputs are written into a hidden folder inside ``--out`` and moved in
at the end (one rename each, on ``--out``'s own file system), so any writable ``--out`` works
and a run that fails leaves ``--out`` as it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from constraintlab.classreport import outputs
from constraintlab.classreport.inputs import expand_inputs
from constraintlab.classreport.load import DOMAIN_LABS, LAB_KEYS, load_class
from constraintlab.classreport.model import Problem, ProblemKind
from constraintlab.classreport.parallel import available_cpus, read_chunks
from constraintlab.userpaths import os_reason

if TYPE_CHECKING:
    from constraintlab.classreport.analytics import ClassDatabase
    from constraintlab.classreport.html import ReportPage

OnProgress = Callable[[str, int, int], None]
"""Called as ``on_progress(phase, done, total)`` while the report is built."""

DEFAULT_HEATMAP_ROWS = 200
OUTPUT_FILES = ("report.html", "students.csv", "domains.csv", "entries.parquet", "problems.csv")
_NOT_FILES = (ProblemKind.NO_MATCH,)  # an input pattern, not a file: not counted as skipped


class ClassReportError(ValueError):
    """Nothing to report on, or nowhere to write: the one-line message says which."""


@dataclass(frozen=True)
class ReportOutcome:
    """What a run read, skipped and wrote."""

    out_dir: Path
    files_found: int
    files_read: int
    files_skipped: int
    problems: tuple[Problem, ...]

    @property
    def paths(self) -> dict[str, Path]:
        """The files written, by name."""
        return {name: self.out_dir / name for name in OUTPUT_FILES}


def build_class_report(
    inputs: Sequence[str],
    out_dir: Path,
    *,
    on_progress: OnProgress | None = None,
    heatmap_rows: int = DEFAULT_HEATMAP_ROWS,
    workers: int | None = None,
    not_collected: Sequence[Problem] = (),
) -> ReportOutcome:
    """Read every input, analyse the class and write the report files into ``out_dir``.

    ``workers``: processes that parse the files (default: as many as pay off for the class
    size, up to the CPUs; 1 reads in this process). The outputs do not depend on it.
    ``not_collected``: students a collector could not export
    (:mod:`~constraintlab.classreport.skipped`), listed and counted as skipped.
    """
    progress = on_progress or _no_progress
    found = expand_inputs(inputs)
    unreadable = [p for p in found.problems if p.kind == ProblemKind.UNREADABLE]
    if not found.files and unreadable:
        raise ClassReportError(_nothing_read(len(unreadable), unreadable))
    if not found.files:
        raise ClassReportError(
            f"no ledger file matched {_listed(inputs)} (give files, folders with *.json"
            " files, or glob patterns)"
        )
    try:
        outputs.check_out_dir(out_dir, OUTPUT_FILES)
    except OSError as problem:
        raise ClassReportError(str(problem)) from None
    chunks = read_chunks(  # a pool's workers start now ...
        found.files,
        workers=workers,
        on_file=lambda done: progress("reading ledgers", done, len(found.files)),
    )
    # ... while this process imports DuckDB and NumPy (a fifth of a second) and sets up
    from constraintlab.classreport.analytics import ChunkBatches, ClassDatabase

    db = ClassDatabase.create(DOMAIN_LABS, LAB_KEYS)
    batches = ChunkBatches(db)
    loaded = load_class(chunks, batches)
    batches.flush()
    problems = (*found.problems, *loaded.problems, *not_collected)
    if not loaded.students_read:
        raise ClassReportError(_nothing_read(len(found.files), loaded.problems))
    progress("analysing", 0, 1)
    db.use_threads(available_cpus() - 1)
    skipped = sum(p.skipped and p.kind not in _NOT_FILES for p in problems)
    try:
        with outputs.staged_outputs(out_dir, OUTPUT_FILES) as staging:
            _write_everything(
                staging, db, (problems, loaded.students_read, skipped), heatmap_rows, progress
            )
    except outputs.OutputFolderError as problem:
        raise ClassReportError(str(problem)) from None
    except OSError as problem:
        reason = os_reason(problem)
        raise ClassReportError(
            f"--out {out_dir}: the report could not be written ({reason}); --out was left as it was"
        ) from None
    progress("writing report", 1, 1)
    return ReportOutcome(out_dir, len(found.files), loaded.students_read, skipped, problems)


def _listed(inputs: Sequence[str], most: int = 3) -> str:
    """``a, b, c and 7 more``: the inputs for a one-line message."""
    shown = ", ".join(inputs[:most]) or "the inputs"
    return shown if len(inputs) <= most else f"{shown} and {len(inputs) - most:,} more"


def _no_progress(phase: str, done: int, total: int) -> None:
    """The default progress hook: say nothing."""


def _nothing_read(files: int, problems: Sequence[Problem]) -> str:
    """One line: no file could be read (the first problem as an example); nothing written."""
    skipped = [p for p in problems if p.skipped]
    kinds = Counter(p.kind for p in skipped)
    counted = ", ".join(f"{n:,} {kind}" for kind, n in sorted(kinds.items()))
    example = f"; first: {skipped[0].detail}" if skipped else ""
    return (
        f"none of the {files:,} ledger file{'s' if files != 1 else ''} could be read"
        f" ({counted}{example}). Nothing was written"
    )


def _write_everything(
    staging: Path,
    db: ClassDatabase,
    counts: tuple[tuple[Problem, ...], int, int],
    heatmap_rows: int,
    progress: OnProgress,
) -> None:
    """Every output into ``staging``: entries.parquet in the background, the rest here.
    ``counts``: the problems, the files read and the files skipped."""
    from constraintlab.classreport.html import ReportPage

    problems, files_read, skipped = counts
    with ThreadPoolExecutor(1, thread_name_prefix="entries-parquet") as background:
        # DuckDB writes entries.parquet on its own connection, without holding the GIL, while
        # this thread derives the domain table, runs the queries and draws the page (the
        # export is the longest of these, so it starts first)
        parquet = background.submit(_write_parquet, staging, db)
        db.derive_student_domains()
        page = ReportPage(
            totals=db.totals(),
            domains=db.domain_stats(),
            funnel=db.funnel(),
            failing=db.failing_constraints(),
            attempts=db.attempts_to_approval(),
            completion=db.completion_matrix(max(heatmap_rows, 1)),
            labs=db.lab_completion(),
            problems=problems,
            files_read=files_read,
            files_skipped=skipped,
            generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            students=db.students(),
        )
        progress("writing report", 0, 1)
        _write_outputs(staging, db, page)
        parquet.result()


def _write_parquet(out_dir: Path, db: ClassDatabase) -> None:
    """Write ``entries.parquet``."""
    outputs.write_atomically(
        out_dir / "entries.parquet", lambda p: db.write_entries_parquet(str(p))
    )


def _write_outputs(out_dir: Path, db: ClassDatabase, page: ReportPage) -> None:
    """Write the output files but entries.parquet."""
    from constraintlab.classreport.html import render_report

    outputs.write_students_csv(out_dir / "students.csv", page.students)
    outputs.write_domains_csv(out_dir / "domains.csv", page.domains)
    outputs.write_problems_csv(out_dir / "problems.csv", page.problems)
    outputs.write_text(out_dir / "report.html", render_report(page))
