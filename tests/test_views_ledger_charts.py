"""Act I's SVG charts: titled, every number also in a table, nothing made up, text escaped."""

from __future__ import annotations

import re

from constraintlab.views import ledger_charts


def test_hit_rate_chart_draws_no_bar_for_a_domain_without_data() -> None:
    html = ledger_charts.hit_rate_svg(["<b>Memory</b>", "Scale"], [0.5, None], [2, 0], [3, 2])
    assert "Constraint hits by domain" in html
    assert ">50% of 2 labs</text>" in html and ">no labs recorded</text>" in html
    widths = [float(w) for w in re.findall(r'<rect x="[^"]+" y="[^"]+" width="([^"]+)"', html)]
    assert widths[1] == 0.0 and widths[0] > 0.0
    assert "<b>" not in html and "&lt;b&gt;Memory&lt;/b&gt;" in html


def test_hit_rate_chart_has_its_numbers_in_a_table() -> None:
    html = ledger_charts.hit_rate_svg(["Memory", "Scale"], [0.5, None], [2, 0], [3, 2])
    table = html[html.index("<details>") :]
    assert "<td>Memory</td><td>50%</td><td>2</td><td>3</td>" in table
    assert "<td>Scale</td><td>no data</td><td>0</td><td>2</td>" in table
    assert 'role="img" aria-label="Constraint hits by domain' in html


def test_radar_marks_domains_without_data_and_draws_no_outline_through_them() -> None:
    html = ledger_charts.accuracy_radar_svg(["Memory", "Scale", "Serving"], [0.75, None, 0.5])
    assert "Scale<tspan" in html and "(no data)</tspan>" in html
    assert html.count('class="cl-svg-dot"') == 2
    assert 'class="cl-svg-area"' not in html  # a gap is not drawn as zero
    full = ledger_charts.accuracy_radar_svg(["Memory", "Scale", "Serving"], [0.75, 0.25, 0.5])
    assert full.count('class="cl-svg-area"') == 1
    assert "<td>Scale</td><td>25%</td>" in full


def test_chart_text_is_never_smaller_than_the_page_can_read() -> None:
    """Sized for a 390 px phone: about 350 px of chart width for 420 units, so text stays at
    or above 13 units (11 px on screen)."""
    for html in (
        ledger_charts.hit_rate_svg(["Memory"], [0.5], [2], [3]),
        ledger_charts.accuracy_radar_svg(["Memory", "Scale", "Serving"], [0.75, 0.25, 0.5]),
    ):
        assert 'viewBox="0 0 420 ' in html
        sizes = [float(s) for s in re.findall(r'font-size="([0-9.]+)"', html)]
        assert sizes and min(sizes) >= 13
