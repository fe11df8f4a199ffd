"""The lab's Monte Carlo panel: analytic against simulated, with a histogram."""

from __future__ import annotations

import numpy as np

from constraintlab import Design
from constraintlab.simulate.fleet import check_design
from constraintlab.views.montecarlo import histogram_svg, montecarlo_html
from designs import JOB_CANNOT_KEEP_UP


def test_before_the_click_the_panel_invites_without_numbers() -> None:
    html = montecarlo_html(None, None)
    assert "Press the button" in html and "mc-table" not in html


def test_after_the_click_the_panel_compares_all_three_checks() -> None:
    report, sample = check_design(Design(), requests=50_000, seed=1)
    html = montecarlo_html(report, sample)
    assert 'id="mc-table"' in html and 'id="mc-histogram"' in html
    for label in ("P99 response time", "Serving availability", "Fine-tuning goodput"):
        assert label in html
    p99 = report["p99_ms"]
    assert isinstance(p99, dict)
    assert f"{p99['analytic']:.{p99['decimals']}f} ms" in html  # the engine's own number
    assert "response time (ms)" in html and "SLO 200 ms" in html


def test_the_verdicts_come_from_the_numbers_not_from_a_typed_excuse() -> None:
    report, sample = check_design(Design(), requests=50_000, seed=1)
    html = montecarlo_html(report, sample)
    assert 'id="mc-verdicts"' in html
    assert "small gap" not in html and "not noise" not in html and "-0.00 %" not in html
    for key in ("p99_ms", "availability", "goodput"):
        row = report[key]
        assert isinstance(row, dict)
        word = "inside" if row["analytic_inside_interval"] else "outside"
        assert f"lies {word} the simulator" in html


def test_histogram_marks_both_p99s_and_the_slo() -> None:
    svg = histogram_svg(np.array([10.0, 20.0, 30.0, 250.0]), 90.0, 91.0, 200.0)
    assert svg.count("<line") == 3 and "simulated P99 90.0 ms" in svg and "SLO 200 ms" in svg


def test_a_design_whose_job_cannot_keep_up_is_not_simulated_and_the_panel_says_why() -> None:
    from constraintlab.app.wiring import monte_carlo
    from constraintlab.model.engine import evaluate
    from constraintlab.views.montecarlo import cannot_simulate_html

    card = evaluate(JOB_CANNOT_KEEP_UP)
    assert not card.budget.training_keeps_up  # the finding's design, as the engine sees it

    def must_not_run(design: Design) -> tuple[object, object]:
        raise AssertionError("simulated a job that has no size")

    answer = monte_carlo(JOB_CANNOT_KEEP_UP, must_not_run)
    assert answer.report is None and answer.cannot is not None
    assert "cannot be simulated" in answer.cannot and "cannot keep up" in answer.cannot
    # the engine's own numbers, with separators, and no inf or nan in the words
    assert f"{card.budget.training_ideal_gpus:,.0f} GPUs" in answer.cannot
    assert "inf" not in answer.cannot.split() and "nan" not in answer.cannot
    assert "smaller model" in answer.cannot  # the direction to move
    html = cannot_simulate_html(answer.cannot)
    assert 'id="mc-cannot"' in html and "cannot keep up" in html


def test_a_simulation_that_raises_becomes_one_sentence_not_a_traceback() -> None:
    from constraintlab.app.wiring import monte_carlo

    def broken(design: Design) -> tuple[object, object]:
        raise ValueError("job_gpus must be a finite number > 0; got 0.0")

    answer = monte_carlo(Design(), broken)
    assert answer.report is None and answer.cannot is not None
    assert "ValueError: job_gpus must be" in answer.cannot
    assert "press the button again" in answer.cannot


def test_a_design_that_can_be_simulated_gets_its_report() -> None:
    from constraintlab.app.wiring import monte_carlo

    answer = monte_carlo(Design(), lambda d: check_design(d, requests=20_000, seed=1))
    assert answer.cannot is None and answer.report is not None
    assert "p99_ms" in answer.report and answer.sample_ms is not None
