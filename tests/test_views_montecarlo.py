"""The lab's Monte Carlo panel: analytic against simulated, with a histogram."""

from __future__ import annotations

import numpy as np

from constraintlab import Design
from constraintlab.simulate.fleet import check_design
from constraintlab.views.montecarlo import histogram_svg, montecarlo_html


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
