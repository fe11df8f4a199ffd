"""`constraintlab evaluate`: table, --json, and exit 2 with one line for any bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cli_runner import run_cli
from constraintlab import Design, evaluate


def test_json_on_the_defaults_is_the_scorecard_and_not_approved(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(capsys, "evaluate", "--json")
    assert code == 0
    data = json.loads(out)
    assert data == json.loads(json.dumps(evaluate(Design()).to_dict()))
    assert set(data) >= {"design", "constraints", "n_met", "approved", "budget"}
    assert data["approved"] is False
    assert sum(not c["met"] for c in data["constraints"].values()) >= 2
    for result in data["constraints"].values():
        assert set(result) >= {"value", "target", "met", "unit"}
    assert set(data["budget"]) >= {"gpus_needed", "gpus_budget", "within_budget"}


def test_readme_example_is_approved(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys,
        "evaluate",
        "--model-size-b",
        "14",
        "--adv-weight",
        "0.8",
        "--context",
        "renewable",
        "--json",
    )
    assert code == 0 and json.loads(out)["approved"] is True


def test_table_names_each_constraint_and_the_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "evaluate")
    assert code == 0
    for label in ("Accuracy", "P99 latency", "Carbon reduction", "Fault tolerance"):
        assert label in out
    assert "NOT APPROVED" in out and "FAIL" in out and "PASS" in out


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--dp-epsilon", "abc"], ["--dp-epsilon", "'abc'", "0.1 to 10"]),
        (["--dp-epsilon", "nan"], ["--dp-epsilon", "nan"]),
        (["--model-size-b", "71"], ["--model-size-b", "71", "1 to 70"]),
        (["--adv-weight", "-0.1"], ["--adv-weight", "-0.1", "0 to 1"]),
        (["--parallelism", "pp"], ["--parallelism", "'pp'", "dp, tp_dp, 3d"]),
        (["--context", "coal"], ["--context", "'coal'", "fleet, renewable"]),
        (["--checkpoint-interval-min", "inf"], ["--checkpoint-interval-min", "inf"]),
        (["--flexible-job-pct", ""], ["--flexible-job-pct", "''"]),
        (["--bogus"], ["--bogus"]),
        (["--model-size-b"], ["--model-size-b"]),
    ],
)
def test_bad_flags_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], names: list[str]
) -> None:
    code, out, err = run_cli(capsys, "evaluate", *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    for name in names:
        assert name in err
    assert "Traceback" not in err


def test_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "nosuch")
    assert code == 2 and "nosuch" in err


def test_help_lists_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "evaluate", "--help")
    assert code == 0
    for flag in (
        "--model-size-b",
        "--dp-epsilon",
        "--adv-weight",
        "--parallelism",
        "--checkpoint-interval-min",
        "--flexible-job-pct",
        "--context",
        "--json",
    ):
        assert flag in out


def test_installed_command_runs_without_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "constraintlab.cli.main", "evaluate", "--dp-epsilon", "x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_import_constraintlab_does_not_load_marimo_plotly_or_numpy() -> None:
    code = (
        "import sys, constraintlab; "
        "print(sorted(m for m in ('marimo', 'plotly', 'numpy', 'typer') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]"
