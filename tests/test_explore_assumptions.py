"""`explore assumptions`: the census at both ends of each stated range is the census of that
scenario, an edited value is marked, and a design's flip point is where its verdict changes
(issue 26, item 2; contract claim 20)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_runner import run_cli
from constraintlab import Design, evaluate
from constraintlab.explore.assumptions import design_flips, with_value
from constraintlab.model import scenario as sc

BUDGET_DECIDED = Design(
    model_size_b=50.0,
    dp_epsilon=1.0,
    adv_weight=1.0,
    checkpoint_interval_min=20.0,
    context="renewable",
)


def _census_with(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str) -> int:
    path = tmp_path / "one.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, "explore", "census", "--scenario", str(path), "--json")
    sc.use_scenario(None)
    assert code == 0, err
    return int(json.loads(out)["approved"])


def test_each_end_is_the_census_of_that_scenario(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_cli(
        capsys,
        "explore",
        "assumptions",
        "--only",
        "reliability.gpu_mtbf_h",
        "--only",
        "carbon.pue",
        "--json",
    )
    assert code == 0, err
    found = {c["key"]: c for c in json.loads(out)["constants"]}
    mtbf, pue = found["reliability.gpu_mtbf_h"], found["carbon.pue"]
    assert mtbf["high"]["value"] == 50000.0
    assert mtbf["high"]["approved"] == _census_with(
        capsys, tmp_path, "[reliability]\ngpu_mtbf_h = 50000.0\n"
    )
    assert mtbf["high"]["claims"]["the_budget_decides_some_designs"] is False
    assert pue["low"]["approved"] == _census_with(capsys, tmp_path, "[carbon]\npue = 1.1\n")
    assert not mtbf["edited"] and not pue["edited"]


def test_an_edited_value_is_marked_edited(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "class.toml"
    path.write_text("[carbon]\npue = 1.3\n", encoding="utf-8")
    try:
        code, out, err = run_cli(
            capsys,
            "explore",
            "assumptions",
            "--scenario",
            str(path),
            "--only",
            "carbon.pue",
            "--json",
        )
    finally:
        sc.use_scenario(None)
    assert code == 0, err
    (pue,) = json.loads(out)["constants"]
    assert pue["edited"] and pue["value"] == 1.3 and pue["source"] == "edited in class.toml"


def test_a_design_refused_by_the_budget_flips_where_the_mtbf_says() -> None:
    (flip,) = design_flips(BUDGET_DECIDED, None, ["reliability.gpu_mtbf_h"])
    assert flip.approved_now is False and 2000.0 < flip.flips_at < 50000.0
    with with_value(None, "reliability.gpu_mtbf_h", flip.flips_at):
        assert evaluate(BUDGET_DECIDED).approved
    with with_value(None, "reliability.gpu_mtbf_h", flip.flips_at * (1 - 1e-6)):
        assert not evaluate(BUDGET_DECIDED).approved
    assert sc.SCENARIO_PATH is None and sc.GPU_MTBF_H == 2000.0


def test_an_unknown_key_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "explore", "assumptions", "--only", "carbon.nope")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "carbon.nope" in err


def test_a_context_that_loses_designs_where_the_grid_gains_is_explained_by_its_baseline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 26 item 1: at MTBF 50,000 h the grid approves far more designs but the fleet
    context fewer; the note says why (the baseline, scored under the same values, is cheaper)
    with the baseline that `explore census --scenario` reports for that file."""
    code, out, err = run_cli(
        capsys, "explore", "assumptions", "--only", "reliability.gpu_mtbf_h", "--json"
    )
    assert code == 0, err
    (mtbf,) = json.loads(out)["constants"]
    high, (note,) = mtbf["high"], mtbf["notes"]
    code, out, _ = run_cli(capsys, "explore", "assumptions", "--only", "reliability.gpu_mtbf_h")
    assert code == 0 and " ".join(note.split()) in " ".join(out.split())  # printed as well
    path = tmp_path / "reliable.toml"
    path.write_text("[reliability]\ngpu_mtbf_h = 50000.0\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "explore", "census", "--scenario", str(path), "--json")
    sc.use_scenario(None)
    assert code == 0, err
    census = json.loads(out)
    assert high["baseline"]["gpus"] == census["baseline"]["gpus"]
    assert high["approved_by_context"]["fleet"] == census["approved_by_context"]["fleet"]
    assert f"needs {census['baseline']['gpus']:,} GPUs there" in note
    assert f"fleet context approves fewer ({census['approved_by_context']['fleet']:,}" in note


def test_no_baseline_note_where_the_baseline_got_heavier_or_the_grid_lost() -> None:
    from constraintlab.explore.assumptions import EndFigures, baseline_note

    now = EndFigures("now", 100, {"fleet": 40, "renewable": 60}, 6, 1, {}, "", 2_000, 0.19)
    gains_lighter = EndFigures(5.0, 150, {"fleet": 30, "renewable": 120}, 6, 1, {}, "", 1_500, 0.15)
    gains_heavier = EndFigures(5.0, 150, {"fleet": 30, "renewable": 120}, 6, 1, {}, "", 2_500, 0.25)
    loses = EndFigures(5.0, 90, {"fleet": 30, "renewable": 60}, 6, 1, {}, "", 1_500, 0.15)
    assert "fleet context approves fewer (30, 40 now)" in baseline_note("k", now, gains_lighter)
    assert baseline_note("k", now, gains_heavier) == "" == baseline_note("k", now, loses)
