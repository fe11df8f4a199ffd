"""Monte Carlo checks of the engine: serving P99, serving uptime and fine-tuning goodput."""

from __future__ import annotations

import json

import pytest

from cli_runner import run_cli
from constraintlab import Design, evaluate
from constraintlab.model import scenario as sc
from constraintlab.model import training
from constraintlab.simulate import fleet

# three contrasting designs: the published defaults, an approved one, a 3d fleet that fails uptime
DESIGNS = {
    "default": Design(),
    "approved": Design(model_size_b=14, adv_weight=0.8, context="renewable"),
    "3d_small": Design(model_size_b=7, parallelism="3d", checkpoint_interval_min=60),
}


@pytest.mark.parametrize("name", list(DESIGNS))
def test_engine_p99_lies_inside_the_simulated_99_percent_interval(name: str) -> None:
    design = DESIGNS[name]
    interval, sample = fleet.simulate_p99_ms(design, customers=2_400_000, replications=8, seed=11)
    analytic = evaluate(design)["p99_latency"].exact_value
    assert interval.contains(analytic), (analytic, interval)
    assert abs(interval.estimate - analytic) / analytic < 0.02
    assert len(sample) > 10_000


@pytest.mark.parametrize("name", list(DESIGNS))
def test_engine_uptime_lies_inside_the_simulated_99_percent_interval(name: str) -> None:
    design = DESIGNS[name]
    interval = fleet.simulate_uptime(design, seed=5)
    analytic = evaluate(design)["fault_tolerance"].exact_value / 100
    assert interval.contains(analytic), (analytic, interval)


@pytest.mark.parametrize("name", list(DESIGNS))
def test_simulated_goodput_matches_the_exact_renewal_value(name: str) -> None:
    design = DESIGNS[name]
    card = evaluate(design)
    rate = card.budget.training_gpus / sc.GPU_MTBF_H
    interval = fleet.simulate_goodput(design, years=1, replications=10, seed=9)
    assert interval.contains(fleet.exact_goodput(design.checkpoint_interval_min, rate))


@pytest.mark.parametrize("name", list(DESIGNS))
def test_engine_goodput_is_the_exact_renewal_value(name: str) -> None:
    """Model v2 sizes the job with the exact renewal goodput, the value the simulator checks."""
    design = DESIGNS[name]
    card = evaluate(design)
    rate = card.budget.training_gpus / sc.GPU_MTBF_H
    exact = fleet.exact_goodput(design.checkpoint_interval_min, rate)
    assert fleet.analytic_goodput(card) == pytest.approx(exact, rel=1e-12)
    assert float(training.goodput(card.budget.training_gpus, design.checkpoint_interval_min)) == (
        pytest.approx(exact, rel=1e-12)
    )


def test_validate_cli_json_reports_all_three_checks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys,
        "validate",
        "--model-size-b",
        "14",
        "--adv-weight",
        "0.8",
        "--context",
        "renewable",
        "--requests",
        "200000",
        "--seed",
        "3",
        "--json",
    )
    assert code == 0
    report = json.loads(out)
    for key in ("p99_ms", "uptime", "goodput"):
        row = report[key]
        assert {"analytic", "simulated", "relative_difference", "analytic_inside_interval"} <= set(
            row
        )
        assert row["simulated"]["low"] <= row["simulated"]["estimate"] <= row["simulated"]["high"]
    assert report["p99_ms"]["analytic_inside_interval"] is True
    assert report["seed"] == 3


def test_validate_cli_refuses_bad_values(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "validate", "--requests", "5")
    assert code == 2
    assert "--requests" in err
