"""A new user on a fresh clone (issue 13, finding 14).

Before: ``make run`` could not take options (``make run --port 8000`` is make's own option;
``PORT=8000`` was ignored) though the README said ``constraintlab run [--port ...]``; the
README's bare ``constraintlab ...`` commands were not on PATH after ``make test``/``make run``;
the prerequisites were unstated; there was no ``--version``.
"""

from __future__ import annotations

import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

from cli_runner import run_cli

ROOT = Path(__file__).resolve().parents[1]


def _make_run(*assignments: str) -> str:
    """The command ``make run`` would run (make -n prints it without running it)."""
    make = shutil.which("make")
    assert make is not None, "make is a prerequisite (README)"
    done = subprocess.run(
        [make, "-n", "--no-print-directory", "-C", str(ROOT), "run", *assignments],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
    )
    return next(line for line in done.stdout.splitlines() if "constraintlab run" in line).strip()


def test_make_run_passes_args_and_port_to_the_command() -> None:
    assert _make_run("ARGS=--port 8000 --host 127.0.0.1").endswith(
        "constraintlab run  --port 8000 --host 127.0.0.1"
    )
    assert "constraintlab run --port 8001" in _make_run("PORT=8001")
    assert _make_run().endswith("constraintlab run")


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--version")
    assert (code, out, err) == (0, f"constraintlab {version('constraintlab')}\n", "")


def test_the_readme_says_how_to_start_with_what_and_how_to_reach_the_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for needed in (
        "Python 3.11",  # the supported versions
        "python3-venv",  # Debian's venv module
        "sudo",  # apt-get for chromium needs root
        ". .venv/bin/activate",  # puts constraintlab on PATH
        ".venv/bin/constraintlab",
        'make run ARGS="--port 8000"',
        "constraintlab --version",
        "access_token",  # the URL the lab prints carries its token
        "neutralised",  # what the CSVs do to formulas
    ):
        assert needed in readme, needed
