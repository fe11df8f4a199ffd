"""Monte Carlo checks of a design's fleet, through the v2 scorecard (the adapter), and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli_runner import run_cli
from constraintlab import Design
from constraintlab.model import scenario as sc
from constraintlab.model import training
from constraintlab.simulate import fleet
from constraintlab.simulate.checks import check_availability, check_goodput, check_p99

# three contrasting designs: the published defaults, an approved one, a small 3d fleet
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
    assert check.reference == pytest.approx(analytic.p99_ms, rel=1e-6)  # exact M/D/c, both
    assert len(sample) > 10_000
    # Deterministic service puts an atom in the response time at D (+ the pipeline's delay),
    # and a P99 near that atom's edge makes the simulated quantile jump between replications;
    # the share of studies served within the engine's P99 is the steady statistic to compare.
    share_within = float(np.mean(sample <= analytic.p99_ms * (1 + 1e-9)))
    assert abs(share_within - 0.99) < 0.004, (share_within, check.sentence())


@pytest.mark.parametrize("name", list(DESIGNS))
def test_simulated_availability_contains_the_binomial_value(name: str) -> None:
    primitives, analytic = fleet.primitives_from_design(DESIGNS[name])
    check = check_availability(
        primitives.availability, analytic.availability, seed=5, most_events=400_000
    )
    assert check.reference is not None and check.simulated.contains(check.reference)


@pytest.mark.parametrize("name", list(DESIGNS))
def test_the_engines_availability_is_the_binomial_law_the_simulation_follows(name: str) -> None:
    """Model v2: each replica alternates up and down (restart included) independently, so the
    engine's availability is exactly the simulated process's binomial value."""
    primitives, analytic = fleet.primitives_from_design(DESIGNS[name])
    check = check_availability(primitives.availability, analytic.availability, seed=5)
    assert check.reference == pytest.approx(analytic.availability, abs=1e-12)


@pytest.mark.parametrize("name", list(DESIGNS))
def test_simulated_goodput_matches_the_exact_renewal_value(name: str) -> None:
    primitives, _ = fleet.primitives_from_design(DESIGNS[name])
    check = check_goodput(primitives.job, years=1, replications=10, seed=9)
    assert check.inside, check.sentence()


@pytest.mark.parametrize(("job_gpus", "interval_min"), [(100, 30), (1_000, 30), (1_000, 120)])
def test_the_engines_goodput_is_the_exact_renewal_value(job_gpus: int, interval_min: float) -> None:
    """Model v2 sizes the job with the exact renewal goodput (no first-order Young-Daly)."""
    rate, write_s = job_gpus / sc.GPU_MTBF_H, float(training.checkpoint_write_s(70.0))
    engine = training.goodput(job_gpus, interval_min, write_s)
    assert engine == pytest.approx(fleet.exact_goodput(interval_min, rate, write_s), rel=1e-12)


def test_the_simulated_job_writes_its_own_models_checkpoint() -> None:
    """validate replays the job with the write of its model size, not one figure for all."""
    small, _ = fleet.primitives_from_design(Design(model_size_b=1.0))
    large, _ = fleet.primitives_from_design(Design(model_size_b=70.0))
    assert small.job.checkpoint_s == training.checkpoint_write_s(1.0)
    assert large.job.checkpoint_s == training.checkpoint_write_s(70.0) > small.job.checkpoint_s


def test_check_design_reports_what_it_simulated_and_words_each_verdict() -> None:
    report, sample = fleet.check_design(DESIGNS["default"], requests=50_000, seed=2)
    assert report["design"] == DESIGNS["default"].to_dict()
    scv = report["primitives"]["serving"]["service_scv"]  # type: ignore[index]
    assert scv == sc.SERVICE_TIME_SCV
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
