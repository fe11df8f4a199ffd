"""Model v3's words (issue 23, Why 4-6; issue 25, finding 4; contract claims 17-19).

A scenario whose carbon baseline cannot serve as one is refused at load; the interval advice
is true over the whole grid; no inf, nan or n/a reaches a sentence or a JSON document; a
refusal names its real cause; every GPU sum lists all of its terms.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cli_runner import run_cli
from constraintlab.model import engine, serving, training
from constraintlab.model import scenario as sc
from constraintlab.model.design import CONTROLS, Design, NumericControl
from constraintlab.model.engine import evaluate, interval_grid
from constraintlab.model.explain import checkpoint_advice, derivation_line, gpu_sum_text
from constraintlab.model.scenario import ScenarioError
from constraintlab.views.coach import headline
from constraintlab.views.scorecards import budget_html, card_html, shown_value, status_text
from designs import NEIGHBOURS_ONLY, NO_INTERVAL, NOT_AT_120, NOT_FITTING

SRC = Path(engine.__file__).parent
NOT_A_NUMBER = re.compile(r"\b(inf|nan|n/a|infinity)\b", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _shipped_scenario_after(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test on the shipped scenario's plans (read from the plan cache, not re-solved)."""
    monkeypatch.delenv("CONSTRAINTLAB_SCENARIO", raising=False)
    shipped = sc.FINGERPRINT
    sizes = [float(v) for v in CONTROLS["model_size_b"].grid()]
    serving.warm_grid_plans(sizes, list(CONTROLS["parallelism"].grid()))
    yield
    if shipped != sc.FINGERPRINT or sc.SCENARIO_PATH is not None:
        sc.use_scenario(None)


def _words(card: engine.Scorecard) -> list[str]:
    """Every sentence the CLI and the lab say about one scorecard's budget and cards."""
    lines = [derivation_line(r, card) for r in card.constraints.values()]
    lines += [shown_value(r) for r in card.constraints.values()]
    lines += [checkpoint_advice(card), status_text(card), gpu_sum_text(card.budget)]
    lines += [budget_html(card), headline(card, "gpu_budget")]
    return lines


# --- Why 4 and claim 17: the baseline is checked at load --------------------------------------
@pytest.mark.parametrize(
    ("text", "fails"),
    [
        ("[carbon.baseline]\nmodel_size_b = 1.0\n", "accuracy"),
        (
            "[carbon.baseline]\nmodel_size_b = 70.0\ndp_epsilon = 0.1\nadv_weight = 1.0\n",
            "cannot keep up",
        ),
    ],
)
def test_a_baseline_that_fails_is_refused_at_load_naming_carbon_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, fails: str
) -> None:
    path = tmp_path / "baseline.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as error:
        engine.load_scenario(path)
    assert error.value.key == "carbon.baseline" and fails in str(error.value).lower()
    assert sc.SCENARIO_PATH is None  # the refused file is not left in force
    code, out, err = run_cli(capsys, "evaluate", "--json", "--scenario", str(path))
    assert code == 2 and out == ""
    assert "carbon.baseline" in err and fails in err.lower() and len(err.strip().splitlines()) == 1


def test_the_shipped_baseline_meets_the_five_and_the_budget() -> None:
    base = engine.carbon_baseline()
    assert base.meets_five and base.gpus > 0 and math.isfinite(base.g_per_study)


def test_carbon_does_not_import_the_engine() -> None:
    """Issue 23 item 6: the one import circle of the tree (carbon -> engine) is gone."""
    tree = ast.parse((SRC / "carbon.py").read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {m for m in imported if m.endswith(("engine", "explain"))}


# --- Why 5 and claim 18: the interval advice over the whole grid ------------------------------
def _grid_ideals() -> np.ndarray:
    names = ("model_size_b", "dp_epsilon", "adv_weight")
    grids = []
    for name in names:
        control = CONTROLS[name]
        assert isinstance(control, NumericControl)
        grids.append(np.asarray(control.grid(), dtype=np.float64))
    size, eps, weight = np.meshgrid(*grids, indexing="ij")
    ideal = training.ideal_training_gpus(size.ravel(), eps.ravel(), weight.ravel())
    write_s = training.checkpoint_write_s(size.ravel())
    pairs = np.unique(np.stack([np.asarray(ideal, dtype=np.float64), write_s], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def test_interval_advice_names_the_best_of_every_grid_interval_on_the_whole_grid() -> None:
    """For every (size, epsilon, weight) job of the grid and every interval it keeps up at,
    the advice's best interval needs the fewest GPUs of all 24 grid intervals, and "keep" is
    said exactly when the design's own interval is one of those."""
    ideal, write_s = _grid_ideals()
    grid = interval_grid()
    jobs = np.stack([training.size_training_job(ideal, t, write_s)[0] for t in grid], axis=1)
    keeps = jobs < training.NEVER
    fewest = jobs.min(axis=1)
    for k, here in enumerate(grid):
        rows = keeps[:, k]
        best_t, best_n = training.best_grid_interval(ideal[rows], write_s[rows], grid, here)
        assert np.array_equal(best_n, fewest[rows])
        at_best = jobs[rows][np.arange(rows.sum()), [grid.index(t) for t in best_t]]
        assert np.array_equal(at_best, fewest[rows])
        assert np.array_equal(best_t == here, jobs[rows, k] == fewest[rows])


def test_the_advice_example_of_issue_23_is_no_longer_keep() -> None:
    card = evaluate(NEIGHBOURS_ONLY)
    a, c = card.budget.training_ideal_gpus, card.budget.checkpoint_write_s
    at = {t: training.size_training_job(a, t, c)[0] for t in (10, 20)}
    assert at[20] < at[10]  # the finding still stands in the model
    advice = checkpoint_advice(card)
    assert "is the best grid interval" not in advice and "Lengthen" in advice
    assert f"{at[20]:,} GPUs" in advice


# --- Why 5 and claim 19: no inf or nan in words or JSON ---------------------------------------
def _refuse_constant(name: str) -> float:
    raise ValueError(f"not JSON: {name}")


def _sampled_grid(count: int) -> list[Design]:
    rng = np.random.default_rng(23)
    designs = [NO_INTERVAL, NOT_AT_120, NOT_FITTING, NEIGHBOURS_ONLY, Design()]
    for _ in range(count):
        values = {}
        for name, control in CONTROLS.items():
            grid = list(control.grid()) if isinstance(control, NumericControl) else control.choices
            values[name] = grid[int(rng.integers(len(grid)))]
        designs.append(Design(**values))
    return designs


def test_every_scorecard_of_a_sampled_grid_is_strict_json_and_finite_words() -> None:
    for design in _sampled_grid(1500):
        card = evaluate(design)
        document = json.loads(json.dumps(card.to_dict()), parse_constant=_refuse_constant)
        assert document["budget"]["cause"] in {"within", "over_budget", "cannot_keep_up"}
        for line in _words(card):
            assert not NOT_A_NUMBER.search(line), (design, line)


def test_evaluate_json_parses_strictly_when_no_interval_keeps_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(
        capsys, "evaluate", "--json", "--model-size-b", "70", "--dp-epsilon", "0.1",
        "--adv-weight", "1", "--parallelism", "3d",
    )  # fmt: skip
    assert code == 0
    card = json.loads(out, parse_constant=_refuse_constant)
    budget = card["budget"]
    assert budget["training_gpus"] is None and budget["gpus_needed"] is None
    assert budget["cause"] == "cannot_keep_up" and "no grid interval" in budget["cause_text"]
    carbon = card["constraints"]["carbon_reduction"]
    assert carbon["value"] is None and carbon["missing"]


def test_the_cli_says_in_words_that_no_interval_keeps_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(
        capsys, "evaluate", "--model-size-b", "70", "--dp-epsilon", "0.1", "--adv-weight", "1",
        "--parallelism", "3d",
    )  # fmt: skip
    assert code == 0 and "no grid interval" in out
    assert not NOT_A_NUMBER.search(out), out


# --- issue 25 finding 4 and claim 18: the refusal names its real cause ------------------------
def test_a_job_that_cannot_keep_up_is_not_called_over_budget() -> None:
    card = evaluate(NOT_AT_120)
    assert card.budget.gpus_needed <= card.budget.gpus_budget and not card.budget.training_keeps_up
    assert card.budget.cause == "cannot_keep_up"
    for line in (status_text(card), budget_html(card), headline(card, "gpu_budget")):
        assert "over the GPU budget" not in line and "cannot keep up at T = 120 min" in line


def test_over_budget_names_the_gpus_and_the_budget() -> None:
    design = Design(model_size_b=30, dp_epsilon=0.5, adv_weight=1.0, parallelism="3d",
                    checkpoint_interval_min=20, flexible_job_pct=50)  # fmt: skip
    card = evaluate(design)
    assert card.budget.training_keeps_up and not card.budget.within_budget
    assert card.budget.cause == "over_budget"
    assert f"needs {card.budget.gpus_needed:,.0f} > {card.budget.gpus_budget:,} GPUs" in (
        status_text(card)
    )


def test_a_model_that_does_not_fit_has_no_uptime_figure() -> None:
    card = evaluate(NOT_FITTING)
    uptime = card["fault_tolerance"]
    assert uptime.missing and "does not fit" in uptime.missing
    assert "0.000" not in shown_value(uptime) and "does not fit" in shown_value(uptime)
    assert "does not fit" in card_html(uptime, derivation_line(uptime, card))
    assert "does not fit in memory" in status_text(card)


# --- Why 6 and claim 19: every sum lists all of its terms -------------------------------------
def _terms(text: str) -> tuple[list[int], int]:
    body = text.split(" of ")[0]
    left, total = body.split(" = ")
    numbers = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", left)]
    return numbers, int(total.replace(",", ""))


def test_the_gpu_sum_lists_deferral_and_adds_up(capsys: pytest.CaptureFixture[str]) -> None:
    card = evaluate(NEIGHBOURS_ONLY)
    assert card.budget.deferral_gpus > 0
    line = gpu_sum_text(card.budget)
    assert "deferral" in line
    parts, total = _terms(line)
    assert sum(parts) == total == card.budget.gpus_needed
    code, out, _ = run_cli(capsys, "evaluate", "--model-size-b", "1", "--dp-epsilon", "0.5",
                           "--adv-weight", "0", "--checkpoint-interval-min", "10")  # fmt: skip
    assert code == 0 and line in " ".join(out.split())  # rich wraps at the width


def test_the_budget_bars_legend_adds_up_to_the_gpus_needed() -> None:
    for design in (Design(), NEIGHBOURS_ONLY, NOT_AT_120):
        card = evaluate(design)
        html = budget_html(card)
        legend = re.findall(r"<li>.*?</li>", html)
        numbers = [int(re.findall(r": ([\d,]+)", item)[-1].replace(",", "")) for item in legend]
        assert sum(numbers) == card.budget.gpus_needed, html
        assert f"{card.budget.gpus_needed:,.0f} GPUs" in html


def test_counts_are_singular_or_plural() -> None:
    card = evaluate(Design(model_size_b=1, parallelism="dp"))
    line = derivation_line(card["fault_tolerance"], card)
    assert "(s)" not in line and "of 1 GPU;" in line
    for design in _sampled_grid(200):
        card = evaluate(design)
        for text in _words(card):
            assert "(s)" not in text and not re.search(r"\b1 (GPUs|spares|replicas)\b", text)


# --- claim 17: every accepted value gives finite results, or is refused at load by name -------
@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[reliability]\ngpu_mtbf_h = 1e9\n", "reliability.gpu_mtbf_h"),  # 30 GiB of tables
        ("[carbon]\ngrid_fleet_g_per_kwh = 1e308\n", "carbon.grid_fleet_g_per_kwh"),  # inf g
    ],
)
def test_a_value_that_gives_no_finite_result_is_refused_by_name(
    tmp_path: Path, text: str, key: str
) -> None:
    path = tmp_path / "edge.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as error:
        engine.load_scenario(path)
    assert error.value.key == key and "]" in error.value.allowed  # the allowed range


def test_no_fine_tuning_work_is_said_in_words(tmp_path: Path) -> None:
    """``finetune_tokens_per_day = 0`` (allowed): no job, so no T*; words, and null in JSON."""
    path = tmp_path / "nojob.toml"
    path.write_text("[training]\nfinetune_tokens_per_day = 0.0\n")
    engine.load_scenario(path)
    card = evaluate(Design())
    assert card.budget.training_gpus == 0 and "no work to do" in checkpoint_advice(card)
    document = json.loads(json.dumps(card.to_dict()), parse_constant=_refuse_constant)
    assert document["constraints"]["fault_tolerance"]["derivation"]["optimal_interval_min"] is None
    for line in _words(card):
        assert not NOT_A_NUMBER.search(line), line


def test_a_banner_without_a_value_names_its_cause_once() -> None:
    from constraintlab.explore.advice import advise
    from constraintlab.model.engine import CONSTRAINT_LABELS
    from constraintlab.views.coach import advice_lines

    for design in (NO_INTERVAL, NOT_FITTING):
        card = evaluate(design)
        for line in advice_lines(card, advise(card), CONSTRAINT_LABELS):
            label = line.split(":")[0]
            assert f"{label}: {label}" not in line and not NOT_A_NUMBER.search(line), line


def test_the_act2_reveal_never_says_inf_gpus() -> None:
    from constraintlab.explore.census import census
    from constraintlab.views import questions

    facts = census()
    for design in (NO_INTERVAL, NOT_AT_120, Design()):
        card = evaluate(design)
        for earned in (False, True):
            feedback = questions.act2_reveal("C", card, facts, earned=earned)
            text = " ".join([feedback.title, *feedback.paragraphs])
            assert not NOT_A_NUMBER.search(text), text
            assert card.budget.training_keeps_up or "cannot keep up" in text


def test_the_census_splits_budget_refusals_by_their_real_cause() -> None:
    from constraintlab.explore.census import census

    document = census().to_dict()
    split = document["budget_only_refusals_by_cause"]
    assert split["cannot_keep_up"] + split["over_budget"] == document["budget_only_refusals"]
    assert split["cannot_keep_up"] > 0 and split["over_budget"] > 0


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        (
            (
                "--model-size-b",
                "70",
                "--dp-epsilon",
                "0.1",
                "--adv-weight",
                "1",
                "--parallelism",
                "3d",
            ),
            "cannot keep up at T = 30 min",
        ),
        (("--model-size-b", "70", "--parallelism", "dp"), "does not fit in memory"),
    ],
)
def test_validate_says_in_one_line_why_a_design_cannot_be_simulated(
    capsys: pytest.CaptureFixture[str], flags: tuple[str, ...], reason: str
) -> None:
    """Before: a ValueError traceback (job_gpus 0.0), or a run past two minutes (a fleet of
    a model that does not fit, at a load near 1)."""
    code, out, err = run_cli(capsys, "validate", *flags, "--requests", "10000")
    assert code == 2 and out == "" and reason in err and len(err.strip().splitlines()) == 1
