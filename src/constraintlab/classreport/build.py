"""Build a class report: inputs -> ledgers -> DuckDB -> report.html, CSVs, parquet.

:func:`build_class_report` is the whole pipeline; the CLI only adds a progress bar and the
exit codes. It raises :class:`ClassReportError` only when there is nothing to report on (no
input matched) or nowhere to write; every bad file is a listed problem, never an exception.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from constraintlab.classreport import outputs
from constraintlab.classreport.analytics import ClassDatabase
from constraintlab.classreport.html import ReportPage, render_report
from constraintlab.classreport.inputs import expand_inputs
from constraintlab.classreport.load import DOMAIN_LABS, LAB_KEYS, load_class
from constraintlab.classreport.model import Problem, ProblemKind
from constraintlab.classreport.parallel import read_chunks

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
) -> ReportOutcome:
    """Read every input, analyse the class and write the report files into ``out_dir``.

    ``workers``: processes that parse the files (default: as many as pay off for the class
    size, up to the CPUs; 1 reads in this process). The outputs do not depend on it.
    """
    progress = on_progress or _no_progress
    found = expand_inputs(inputs)
    if not found.files:
        raise ClassReportError(
            f"no ledger file matched {_listed(inputs)} (give files, folders with *.json"
            " files, or glob patterns)"
        )
    prepare_out_dir(out_dir)
    db = ClassDatabase.create(DOMAIN_LABS, LAB_KEYS)
    chunks = read_chunks(
        found.files,
        workers=workers,
        on_file=lambda done: progress("reading ledgers", done, len(found.files)),
    )
    loaded = load_class(chunks, db.add)
    problems = (*found.problems, *loaded.problems)
    progress("analysing", 0, 1)
    db.derive_student_domains()
    with ThreadPoolExecutor(1, thread_name_prefix="entries-parquet") as background:
        # DuckDB writes entries.parquet on its own connection, without holding the GIL, while
        # this thread runs the queries and draws the page
        parquet = background.submit(_write_parquet, out_dir, db)
        skipped = sum(p.skipped and p.kind not in _NOT_FILES for p in problems)
        page = ReportPage(
            totals=db.totals(),
            domains=db.domain_stats(),
            funnel=db.funnel(),
            failing=db.failing_constraints(),
            attempts=db.attempts_to_approval(),
            completion=db.completion_matrix(max(heatmap_rows, 1)),
            labs=db.lab_completion(),
            problems=problems,
            files_read=loaded.students_read,
            files_skipped=skipped,
            generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
        progress("writing report", 0, 1)
        _write_outputs(out_dir, db, page)
        parquet.result()
    progress("writing report", 1, 1)
    return ReportOutcome(out_dir, len(found.files), loaded.students_read, skipped, problems)


def _listed(inputs: Sequence[str], most: int = 3) -> str:
    """``a, b, c and 7 more``: the inputs for a one-line message."""
    shown = ", ".join(inputs[:most]) or "the inputs"
    return shown if len(inputs) <= most else f"{shown} and {len(inputs) - most:,} more"


def _no_progress(phase: str, done: int, total: int) -> None:
    """The default progress hook: say nothing."""


def prepare_out_dir(out_dir: Path) -> None:
    """Create ``out_dir`` if needed and check a file can be written there."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-check-"):
            pass
    except OSError as problem:
        reason = problem.strerror or type(problem).__name__
        raise ClassReportError(f"--out {out_dir}: cannot write there ({reason})") from None


def _write_parquet(out_dir: Path, db: ClassDatabase) -> None:
    """Write ``entries.parquet``."""
    outputs.write_atomically(
        out_dir / "entries.parquet", lambda p: db.write_entries_parquet(str(p))
    )


def _write_outputs(out_dir: Path, db: ClassDatabase, page: ReportPage) -> None:
    """Write the output files but entries.parquet."""
    outputs.write_students_csv(out_dir / "students.csv", db.students())
    outputs.write_domains_csv(out_dir / "domains.csv", page.domains)
    outputs.write_problems_csv(out_dir / "problems.csv", page.problems)
    outputs.write_text(out_dir / "report.html", render_report(page))
