"""`constraintlab explore`: census, nearest, sensitivity and slice, as tables and as --json,
with evaluate's design flags and exit 2 with one line for any bad input."""

from __future__ import annotations

import io
import json
import time

import pytest

from cli_runner import run_cli as run_main
from constraintlab import Design, evaluate
from constraintlab.cli import explore as explore_cli
from constraintlab.explore import census


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``constraintlab explore ARGS...``."""
    return run_main(capsys, "explore", *args)


def test_census_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "census", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {
        "grid_size",
        "approved",
        "passing",
        "approved_ranges",
        "examples",
        "seconds",
    }
    assert data == json.loads(json.dumps(census().to_dict()))
    assert data["grid_size"] == 232_848_000
    for example in data["examples"]:
        assert set(example) == set(Design().to_dict())
        assert evaluate(Design(**example)).approved


def test_census_table_names_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "census")
    assert code == 0
    assert f"{census().approved:,}" in out and "232,848,000" in out
    assert "Accuracy" in out and "Approved examples" in out


def test_nearest_json_from_the_flags_is_approved(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "nearest", "--model-size-b", "8", "--dp-epsilon", "0.5", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"from", "to", "changes", "approved"}
    assert data["from"] == Design(model_size_b=8, dp_epsilon=0.5).to_dict()
    assert data["approved"] is True and evaluate(Design(**data["to"])).approved
    for change in data["changes"]:
        assert set(change) == {"control", "from", "to"}
        assert data["from"][change["control"]] == change["from"]
        assert data["to"][change["control"]] == change["to"]


def test_nearest_table_and_an_already_approved_design(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "nearest")
    assert code == 0 and "Nearest approved design" in out and "APPROVED" in out
    approved = ("--model-size-b", "14", "--adv-weight", "0.8", "--context", "renewable")
    code, out, _ = run_cli(capsys, "nearest", *approved)
    assert code == 0 and "already approved" in out


def test_sensitivity_json_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "sensitivity", "--parallelism", "3d", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["design"]["parallelism"] == "3d" and len(data["rows"]) == 7
    code, out, _ = run_cli(capsys, "sensitivity")
    assert code == 0 and "Sensitivity" in out and "tp_dp" in out and "Margin =" in out


def test_slice_json_and_map(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys,
        "slice",
        "--x",
        "flexible_job_pct",
        "--y",
        "context",
        "--adv-weight",
        "0.8",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["x"] == "flexible_job_pct" and data["y_values"] == ["fleet", "renewable"]
    assert data["current"] == [20.0, "fleet"]
    code, out, _ = run_cli(capsys, "slice", "--x", "model_size_b", "--y", "parallelism")
    assert code == 0 and "best over the others" in out and "A" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("slice", "--x", "size", "--y", "context"), "--x: 'size'"),
        (("slice", "--x", "context", "--y", "context"), "--y: 'context'"),
        (("slice", "--x", "context"), "--y"),
        (("nearest", "--dp-epsilon", "0"), "--dp-epsilon"),
        (("sensitivity", "--model-size-b", "big"), "--model-size-b: 'big'"),
        (("census", "--model-size-b", "7"), "--model-size-b"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err


@pytest.mark.parametrize("command", ["census", "nearest", "sensitivity", "slice"])
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = run_cli(capsys, command, "--help")
    assert code == 0 and "--json" in out
    assert "Usage" in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_only_past_the_delay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[str] = []
    monkeypatch.setattr(explore_cli, "PROGRESS_DELAY_S", 0.05)
    monkeypatch.setattr("rich.progress.Progress.start", lambda self: started.append("bar"))
    monkeypatch.setattr("sys.stdout", io.StringIO())
    with explore_cli.working("slow"):
        time.sleep(0.2)
    assert started == []  # not a terminal
    monkeypatch.setattr("sys.stdout", _Terminal())
    with explore_cli.working("fast"):
        pass
    assert started == []  # finished before the delay
    with explore_cli.working("slow"):
        time.sleep(0.3)
    assert started == ["bar"]
