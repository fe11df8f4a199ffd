"""`constraintlab class-report`: exit 0 with a summary, exit 2 with one line, help everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli_runner import run_cli
from constraintlab.classreport.testdata import generate_class


def test_writes_the_report_and_says_what_was_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = generate_class(tmp_path / "in", 8, seed=2)
    out_dir = tmp_path / "new" / "out"
    code, out, err = run_cli(capsys, "class-report", str(tmp_path / "in"), "--out", str(out_dir))
    assert code == 0, err
    assert f"Read {len(answers.students)} ledger files, skipped {len(answers.problems)}" in out
    for name in ("report.html", "students.csv", "domains.csv", "entries.parquet", "problems.csv"):
        assert (out_dir / name).stat().st_size > 0
    assert not list(out_dir.glob(".*"))  # no partial or probe files left behind
    assert err == ""  # no progress bar when stderr is not a terminal


def test_globs_and_files_mix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate_class(tmp_path / "in", 4, seed=2, bad_files=False)
    code, out, _ = run_cli(
        capsys,
        "class-report",
        str(tmp_path / "in" / "student_0000[12].json"),
        str(tmp_path / "in" / "student_00003.json"),
        str(tmp_path / "nothing-here.json"),
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 0
    assert "Read 3 ledger files, skipped none" in out
    problems = (tmp_path / "out" / "problems.csv").read_text()
    assert "nothing-here.json,no match" in problems


def test_no_input_matched_is_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        capsys, "class-report", str(tmp_path / "none*.json"), "--out", str(tmp_path / "out")
    )
    assert code == 2
    assert out == ""
    assert err.startswith("error: no ledger file matched") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()  # nothing created when there is nothing to read
    many = [str(tmp_path / f"missing-{n}.json") for n in range(50)]
    code, _, err = run_cli(capsys, "class-report", *many, "--out", str(tmp_path / "out"))
    assert code == 2 and "and 47 more" in err and err.count("\n") == 1


def test_out_that_cannot_be_written_is_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate_class(tmp_path / "in", 2, seed=2, bad_files=False)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = run_cli(capsys, "class-report", str(tmp_path / "in"), "--out", str(blocker))
    assert code == 2
    assert err.startswith(f"error: --out {blocker}: cannot write there") and err.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [["class-report"], ["class-report", "x.json"], ["class-report", "--out"]],
)
def test_missing_arguments_are_usage_errors(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1


def test_help_describes_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "class-report", "--help")
    assert code == 0
    text = re.sub(r"\x1b\[[0-9;]*m", "", out)
    text = re.sub(r"[\s│╭╮╰╯─]+", " ", text)
    for phrase in ("INPUT", "--out DIR", "problems.csv", "--heatmap-rows", "glob patterns"):
        assert phrase in text
    code, out, _ = run_cli(capsys, "--help")
    assert "class-report" in out
