"""Benchmark: `constraintlab class-report` on 10,000 generated student ledgers. Prints JSON.

The class (layouts A, B and our export mixed, every student with all 33 labs, so 330,000
entries, plus the generator's bad files) is written to a temporary folder first (not timed).
The timed run is the command itself in a fresh interpreter, as an instructor runs it:
start-up, imports, reading every file, DuckDB, charts, HTML, CSV, parquet.
Goal: under 30 s on the project's 2-core machine. ``--students N`` changes the class size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from constraintlab.classreport.testdata import generate_class

GOAL_S = 30.0


def bench_class_report(n_students: int, seed: int = 2024) -> dict[str, object]:
    """Generate a class, run the command once, and measure it."""
    with tempfile.TemporaryDirectory(prefix="bench-class-report-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        answers = generate_class(root / "in", n_students, seed=seed, every_lab=True)
        generate_s = time.perf_counter() - start
        start = time.perf_counter()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "constraintlab.cli.main",
                "class-report",
                str(root / "in"),
                "--out",
                str(root / "out"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        report_s = time.perf_counter() - start
        sizes = {p.name: p.stat().st_size for p in (root / "out").glob("*") if p.is_file()}
    return {
        "benchmark": "class_report",
        "students": n_students,
        "ledger_files": answers.files_written + len(answers.problems),
        "entries": sum(s.labs_saved for s in answers.students.values()),
        "class_report_s": round(report_s, 3),
        "goal_s": GOAL_S,
        "goal_met": run.returncode == 0 and report_s < GOAL_S,
        "exit_code": run.returncode,
        "summary": run.stdout.strip().splitlines()[:1],
        "generate_class_s": round(generate_s, 3),
        "output_bytes": sizes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000, help="class size (10,000)")
    args = parser.parse_args()
    print(json.dumps(bench_class_report(args.students), indent=2))


if __name__ == "__main__":
    main()
