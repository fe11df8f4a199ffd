"""Monte Carlo checks of a design's fleet, through today's scorecard (the adapter), and the CLI."""

from __future__ import annotations

import json

import pytest

from cli_runner import run_cli
from constraintlab import Design
from constraintlab.model import scenario as sc
from constraintlab.model import training
from constraintlab.simulate import fleet
from constraintlab.simulate.checks import check_availability, check_goodput, check_p99

# three contrasting designs: the published defaults, an approved one, a 3d fleet that fails uptime
DESIGNS = {
    "default": Design(),
    "approved": Design(model_size_b=14, adv_weight=0.8, context="renewable"),
    "3d_small": Design(model_size_b=7, parallelism="3d", checkpoint_interval_min=60),
}


@pytest.mark.parametrize("name", list(DESIGNS))
def test_engine_p99_lies_inside_the_simulated_99_percent_interval(name: str) -> None:
    primitives, analytic = fleet.primitives_from_design(DESIGNS[name])
    check, sample = check_p99(
        primitives.serving, analytic.p99_ms, customers=600_000, replications=12, seed=11
    )
    assert check.inside, check.sentence()
    assert abs(check.relative_difference) < 0.01
    assert check.reference == pytest.approx(analytic.p99_ms, rel=1e-6)  # v1 is exact M/M/c
    assert len(sample) > 10_000


@pytest.mark.parametrize("name", list(DESIGNS))
def test_simulated_availability_contains_the_binomial_value(name: str) -> None:
    primitives, analytic = fleet.primitives_from_design(DESIGNS[name])
    check = check_availability(
        primitives.availability, analytic.availability, seed=5, most_events=400_000
    )
    assert check.reference is not None and check.simulated.contains(check.reference)


def test_v1_poisson_uptime_is_outside_where_it_departs_from_the_binomial_law() -> None:
    """The v1 engine's M/G/infinity step lets a restarting replica fail again; with 3d's
    32-GPU replicas that understates uptime by more than the simulation's noise."""
    primitives, analytic = fleet.primitives_from_design(DESIGNS["3d_small"])
    check = check_availability(
        primitives.availability, analytic.availability, seed=5, horizon_hours=20 * 8_760.0
    )
    assert not check.inside and check.analytic < check.simulated.low
    assert "outside" in check.sentence() and "engine formula's" in check.sentence()


@pytest.mark.parametrize("name", list(DESIGNS))
def test_simulated_goodput_matches_the_exact_renewal_value(name: str) -> None:
    primitives, _ = fleet.primitives_from_design(DESIGNS[name])
    check = check_goodput(primitives.job, years=1, replications=10, seed=9)
    assert check.inside, check.sentence()


@pytest.mark.parametrize(
    ("job_gpus", "interval_min", "low_pct", "high_pct"),
    [(100, 30, 0.05, 0.2), (1_000, 30, 1.5, 2.5), (1_000, 120, 15.0, 19.0)],
)
def test_first_order_young_daly_drift_is_documented(
    job_gpus: int, interval_min: float, low_pct: float, high_pct: float
) -> None:
    """How far the first-order waste drifts from the exact renewal value as lambda T grows."""
    rate = job_gpus / sc.GPU_MTBF_H
    first = 1 - training.checkpoint_waste(interval_min, rate)
    exact = fleet.exact_goodput(interval_min, rate)
    drift_pct = (exact - first) / exact * 100
    assert low_pct <= drift_pct <= high_pct


def test_check_design_reports_what_it_simulated_and_words_each_verdict() -> None:
    report, sample = fleet.check_design(DESIGNS["default"], requests=50_000, seed=2)
    assert report["design"] == DESIGNS["default"].to_dict()
    assert report["primitives"]["serving"]["service_scv"] == 1.0  # type: ignore[index]
    for key in ("p99_ms", "availability", "goodput"):
        row = report[key]
        assert isinstance(row, dict)
        assert ("inside" if row["analytic_inside_interval"] else "outside") in row["sentence"]
    assert len(sample) == 5_000


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
        "--availability-events",
        "200000",
        "--json",
    )
    assert code == 0
    report = json.loads(out)
    for key in ("p99_ms", "availability", "goodput"):
        row = report[key]
        assert {"analytic", "simulated", "relative_difference", "analytic_inside_interval"} <= set(
            row
        )
        assert row["simulated"]["low"] <= row["simulated"]["estimate"] <= row["simulated"]["high"]
    assert report["p99_ms"]["analytic_inside_interval"] is True
    assert set(report["primitives"]) == {"serving", "availability", "job"}
    assert report["seed"] == 3


def test_validate_cli_table_words_each_check(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "validate", "--requests", "20000", "--seed", "1", "--availability-events", "50000"
    )
    assert code == 0
    for label in ("P99 response time.", "Serving availability.", "Fine-tuning goodput."):
        assert label in out
    assert "-0.00 %" not in out and "small gap" not in out


def test_validate_cli_refuses_bad_values(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "validate", "--requests", "5")
    assert code == 2
    assert "--requests" in err
