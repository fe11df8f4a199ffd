"""The lab's "Monte Carlo check": analytic against simulated, and a histogram of response times.

Built from :func:`constraintlab.simulate.fleet.check_design`'s report (plain numbers) and its
simulated response times. The histogram is a small SVG (title, axis titles with units, a
legend) marking the simulated P99, the engine's P99 and the 200 ms SLO.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from constraintlab.model.engine import Scorecard

from constraintlab.views.html import callout, esc, join, paragraphs, tag, text

_CHECKS = ("p99_ms", "availability", "goodput")
_W, _H, _LEFT, _BOTTOM, _TOP = 640, 262, 56, 56, 34


def _shown(row: Mapping[str, Any], value: float) -> str:
    from constraintlab.simulate.checks import display

    return display(value, float(row["scale"]), str(row["unit"]), int(row["decimals"]))


def comparison_table_html(report: Mapping[str, Any]) -> str:
    """Engine, simulated, 99 % interval, exact value, gap and verdict for each check, then
    one sentence per check worded from those numbers (``simulate.wording``)."""
    from constraintlab.simulate.wording import signed

    head = tag(
        "tr",
        join(
            text("th", h)
            for h in (
                "quantity",
                "engine (analytic)",
                "simulated",
                "99 % interval",
                "exact for the simulated process",
                "gap",
                "inside?",
            )
        ),
    )
    rows, sentences = [], []
    for key in _CHECKS:
        row = report[key]
        sim = row["simulated"]
        inside = bool(row["analytic_inside_interval"])
        cells = (
            row["label"],
            _shown(row, row["analytic"]),
            _shown(row, sim["estimate"]),
            f"{_shown(row, sim['low'])} to {_shown(row, sim['high'])}",
            "-" if row["reference"] is None else _shown(row, row["reference"]),
            signed(row["relative_difference"] * 100.0, " %"),
            "✓ inside" if inside else "✗ outside",
        )
        rows.append(tag("tr", join(text("td", c) for c in cells)))
        sentences.append(tag("li", text("strong", f"{row['label']}: ") + esc(row["sentence"])))
    replications = report["replications"]
    note = (
        f"{report['requests']:,} simulated requests over {replications['p99_ms']} replications,"
        f" seed {report['seed']}; {report['seconds']:.1f} s."
    )
    return (
        tag("table", head + join(rows), cls="cl-table", id_="mc-table")
        + tag("ul", join(sentences), id_="mc-verdicts")
        + text("p", note, cls="cl-muted")
    )


def histogram_svg(
    sample_ms: np.ndarray, p99_sim_ms: float, p99_engine_ms: float, slo_ms: float
) -> str:
    """Histogram of simulated response times with the two P99s and the SLO marked."""
    top = max(float(np.quantile(sample_ms, 0.999)), slo_ms) * 1.05
    counts, edges = np.histogram(sample_ms, bins=40, range=(0.0, top))
    peak = max(int(counts.max()), 1)
    plot_w, plot_h = _W - _LEFT - 12, _H - _BOTTOM - _TOP

    def x(ms: float) -> float:
        return _LEFT + ms / top * plot_w

    bars = join(
        f'<rect x="{x(lo):.1f}" y="{_TOP + plot_h * (1 - c / peak):.1f}" '
        f'width="{max(x(hi) - x(lo) - 1, 1):.1f}" height="{plot_h * c / peak:.1f}" fill="#7aa2d6">'
        f"<title>{esc(f'{lo:.0f}-{hi:.0f} ms: {c:,} requests')}</title></rect>"
        for lo, hi, c in zip(edges[:-1], edges[1:], counts, strict=True)
    )
    marks = join(
        f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{_TOP}" y2="{_TOP + plot_h}" stroke="{colour}"'
        f' stroke-width="2" stroke-dasharray="{dash}"><title>{esc(f"{name}: {v:.1f} ms")}</title>'
        "</line>"
        for name, v, colour, dash in (
            ("simulated P99", p99_sim_ms, "#1b7f3b", "0"),
            ("engine P99", p99_engine_ms, "#101828", "5 3"),
            ("SLO", slo_ms, "#b42318", "2 2"),
        )
    )
    ticks = join(
        f'<text x="{x(v):.1f}" y="{_TOP + plot_h + 16}" font-size="11" text-anchor="middle">'
        f"{v:.0f}</text>"
        for v in np.linspace(0, top, 6)
    )
    legend = (
        f'<text x="{_LEFT}" y="{_H - 6}" font-size="11">solid green: simulated P99 '
        f"{p99_sim_ms:.1f} ms · dashed black: engine P99 {p99_engine_ms:.1f} ms · dotted red:"
        f" SLO {slo_ms:.0f} ms</text>"
    )
    return (
        f'<svg viewBox="0 0 {_W} {_H}" width="100%" role="img" id="mc-histogram"'
        ' style="max-width:640px;font-family:Inter,system-ui,sans-serif">'
        f'<text x="{_W / 2}" y="18" font-size="13" font-weight="700" text-anchor="middle">'
        "Simulated response times of one replication</text>"
        f'<text x="14" y="{_TOP + plot_h / 2}" font-size="11" transform="rotate(-90 14 '
        f'{_TOP + plot_h / 2})" text-anchor="middle">requests</text>'
        f"{bars}{marks}{ticks}"
        f'<text x="{_LEFT + plot_w / 2}" y="{_TOP + plot_h + 30}" font-size="11"'
        ' text-anchor="middle">response time (ms)</text>'
        f"{legend}</svg>"
    )


def montecarlo_html(report: Mapping[str, Any] | None, sample_ms: np.ndarray | None) -> str:
    """The whole panel: an invitation before the click, the comparison and histogram after."""
    if report is None or sample_ms is None:
        return text(
            "p",
            "Press the button to simulate this fleet request by request (and its failures over"
            " simulated years) and compare the simulation with the scorecards.",
            cls="cl-muted",
        )
    p99 = report["p99_ms"]
    return comparison_table_html(report) + histogram_svg(
        sample_ms, p99["simulated"]["estimate"], p99["analytic"], float(report["slo_ms"])
    )


def why_not_simulated(card: Scorecard) -> str | None:
    """Why the Monte Carlo check has nothing to simulate for this design, or None if it has.

    A fine-tuning job that cannot keep up at its checkpoint interval has no size: there is no
    job whose failures, checkpoints and restarts could be replayed. The sentence names that,
    the engine's numbers for it (the work the job needs against the most any job size delivers
    at this interval) and the direction that shrinks the job."""
    usage = card.budget
    if usage.training_keeps_up:
        return None
    derivation = card.constraints["fault_tolerance"].derivation
    interval = card.design.checkpoint_interval_min
    needs = (
        f"it needs {usage.training_ideal_gpus:,.0f} GPUs' worth of work a day, and at"
        f" {interval:g} min between checkpoints the most any job size delivers is"
        f" {float(derivation['training_most_delivered_gpus']):,.0f}"
    )
    demand = usage.training_demand_interval_min
    elsewhere = (
        f" (at {demand:g} min it would keep up with {usage.training_gpus:,.0f} GPUs)"
        if np.isfinite(demand) and np.isfinite(usage.training_gpus)
        else " (no checkpoint interval on the grid lets it keep up)"
    )
    return (
        "This design cannot be simulated: its fine-tuning job cannot keep up, so there is no"
        f" job to replay. The more GPUs it gets, the more often one fails: {needs}{elsewhere}."
        " Shrink the job to simulate it: a smaller model, less adversarial training or a larger"
        " ε each make the day's fine-tuning smaller."
    )


def cannot_simulate_html(reason: str) -> str:
    """The panel when there is nothing to simulate, or the simulation stopped: one reason."""
    return callout(
        "warn", "No Monte Carlo check for this design", paragraphs(reason), id_="mc-cannot"
    )


def simulation_failed_sentence(problem: Exception) -> str:
    """One sentence for a simulation that raised: what stopped it, and that nothing is lost."""
    return (
        f"The simulation stopped before it finished ({type(problem).__name__}: {problem})."
        " The scorecards above are unaffected; change the design and press the button again."
    )
