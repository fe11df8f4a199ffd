"""Students a collector could not export, as problems the report lists (``--skipped FILE``).

``deploy/jupyterhub/collect_exports.sh`` writes one CSV row per student whose ledger it found
but could not export (header ``student,path,reason``). The class report lists each of them in
problems.csv and report.html as skipped (kind ``not collected``) and counts them with the
skipped files, so a student who is missing from the report is named there, never only on a
terminal.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Final

from constraintlab.classreport.model import Problem, ProblemKind

SKIPPED_HEADER: Final = ("student", "path", "reason")
MAX_SKIPPED_BYTES: Final = 16 * 1024 * 1024


class SkippedListError(ValueError):
    """``--skipped FILE`` cannot be read as a list of skipped students; names the file and why."""


def read_skipped(path: Path) -> list[Problem]:
    """One skipped problem per row of ``path`` (see the module docstring), in file order."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SKIPPED_BYTES + 1)
        text = data.decode("utf-8")
    except OSError as problem:
        raise SkippedListError(f"--skipped {path}: cannot read it ({problem.strerror})") from None
    except UnicodeDecodeError:
        raise SkippedListError(f"--skipped {path}: not UTF-8 text") from None
    if len(data) > MAX_SKIPPED_BYTES:
        raise SkippedListError(f"--skipped {path}: larger than {MAX_SKIPPED_BYTES:,} bytes")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != SKIPPED_HEADER:
        raise SkippedListError(
            f"--skipped {path}: the first line must be {','.join(SKIPPED_HEADER)}"
        )
    problems = []
    for line, row in enumerate(rows[1:], 2):
        if len(row) != len(SKIPPED_HEADER):
            raise SkippedListError(
                f"--skipped {path}: line {line} has {len(row)} fields, expected"
                f" {len(SKIPPED_HEADER)} ({','.join(SKIPPED_HEADER)})"
            )
        student, where, reason = row
        detail = f"student {student!r}: {reason}; not in the report"
        problems.append(Problem(where or student, ProblemKind.NOT_COLLECTED, detail))
    return problems
