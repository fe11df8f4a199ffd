"""Act I's two charts as inline SVG, each with its numbers in a table.

The constraint-hit bars and the prediction-accuracy radar were plotly figures: a 3 MB script
to load, a MathJax request to a CDN, eight toolbar buttons each in the tab order and labels
clipped on a phone. Drawn here as SVG they cost nothing to mount, scale with the page
(``viewBox``, text sized in the chart's own units so it stays readable on a phone), take their
colours from the lab's CSS variables (dark mode included), and are one stop for a keyboard:
the chart is an image with a one-sentence name, and the ``<details>`` under it holds every
number in a table.

Domain names may come from a ledger: every string goes through :func:`esc`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from constraintlab.views.html import esc, join, tag, text

_FONT = "font-family:Inter,system-ui,sans-serif"
# bar colour by hit rate: at least 60 % hit, at least 30 %, below 30 %, no data
_HIT_BANDS = ((60.0, "var(--cl-fail)"), (30.0, "var(--cl-warn)"), (0.0, "var(--cl-pass)"))


def _pct(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.0f}%"


def _hit_colour(rate: float | None) -> str:
    if rate is None:
        return "var(--cl-muted)"
    return next(colour for floor, colour in _HIT_BANDS if rate * 100 >= floor)


def numbers_table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The chart's figures as a table inside a closed ``<details>`` (the text alternative)."""
    thead = tag("tr", join(tag("th", esc(h), title="") for h in head))
    body = join(tag("tr", join(text("td", cell) for cell in row)) for row in rows)
    table = tag("table", tag("thead", thead) + tag("tbody", body), cls="cl-table")
    return tag("details", text("summary", caption) + tag("div", table, cls="cl-table-wrap"))


def _subtitle(words: str) -> str:
    return f'<text x="0" y="36" class="cl-svg-muted">{esc(words)}</text>'


def _figure(svg: str, table: str, id_: str) -> str:
    return tag("figure", svg + table, cls="cl-figure", id_=id_)


def hit_rate_svg(
    domains: Sequence[str],
    hit_rates: Sequence[float | None],
    labs_done: Sequence[int],
    labs_total: Sequence[int],
) -> str:
    """Horizontal bars: how often the student's designs hit a constraint, per domain (0-100 %).

    A domain without data gets no bar and says so, instead of a made-up 0 % or 50 %.
    """
    # right: room after a full bar for its note, "100% of 12 labs" at 13.5 px
    width, left, right, top, row_h = 420.0, 112.0, 122.0, 48.0, 32.0
    plot_w = width - left - right
    height = top + row_h * len(domains) + 44
    title = "Constraint hits by domain"
    parts = [
        f'<text x="0" y="18" font-size="15" font-weight="700">{esc(title)}</text>',
        _subtitle("labs in your Design Ledger that hit a constraint"),
    ]
    for pct in (0, 25, 50, 75, 100):
        gx = left + plot_w * pct / 100
        parts.append(
            f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{top - 4}" y2="{height - 40:.1f}"'
            ' class="cl-svg-grid"/>'
            f'<text x="{gx:.1f}" y="{height - 24:.1f}" text-anchor="middle">{pct}%</text>'
        )
    rows = []
    for n, (domain, rate, done, total) in enumerate(
        zip(domains, hit_rates, labs_done, labs_total, strict=True)
    ):
        cy = top + n * row_h
        note = (
            "no labs recorded"
            if rate is None
            else f"{rate * 100:.0f}% of {done} lab{'s' if done != 1 else ''}"
        )
        bar_w = 0.0 if rate is None else max(plot_w * rate, 2.0)
        parts.append(
            f'<text x="{left - 8}" y="{cy + 19:.1f}" text-anchor="end">{esc(domain)}</text>'
            f'<rect x="{left}" y="{cy + 6:.1f}" width="{bar_w:.1f}" height="{row_h - 12:.1f}"'
            f' style="fill:{_hit_colour(rate)}"><title>{esc(f"{domain}: {note}")}</title></rect>'
            f'<text x="{left + bar_w + 6:.1f}" y="{cy + 19:.1f}">{esc(note)}</text>'
        )
        rows.append((domain, _pct(rate), f"{done}", f"{total}"))
    summary = "; ".join(f"{d} {_pct(r)}" for d, r in zip(domains, hit_rates, strict=True))
    svg = (
        f'<svg class="cl-chart cl-svg" viewBox="0 0 {width:.0f} {height:.0f}" role="img"'
        f' aria-label="{esc(f"{title}: {summary}")}" style="{_FONT}" font-size="13.5">'
        f"{join(parts)}</svg>"
    )
    table = numbers_table(
        "The numbers: constraint hits by domain",
        ("Domain", "Labs that hit a constraint", "Labs completed", "Labs in the domain"),
        rows,
    )
    return _figure(svg, table, "chart-hit-rate")


def _polar(cx: float, cy: float, radius: float, k: int, count: int) -> tuple[float, float]:
    """Point ``k`` of ``count`` spokes, clockwise from the top."""
    angle = 2 * math.pi * k / count - math.pi / 2
    return cx + radius * math.cos(angle), cy + radius * math.sin(angle)


def accuracy_radar_svg(domains: Sequence[str], accuracy: Sequence[float | None]) -> str:
    """Prediction accuracy per domain on a radar (0-100 %); domains without data are labelled
    "(no data)" and break the outline instead of being drawn at zero."""
    width, height, radius = 420.0, 330.0, 80.0
    cx, cy = width / 2, 44 + radius + 24
    count = max(len(domains), 1)
    title = "Prediction accuracy by domain"
    parts = [
        f'<text x="0" y="18" font-size="15" font-weight="700">{esc(title)}</text>',
        _subtitle("% of your predictions that were right"),
    ]
    for pct in (25, 50, 75, 100):
        ring = " ".join(
            f"{x:.1f},{y:.1f}"
            for x, y in (_polar(cx, cy, radius * pct / 100, k, count) for k in range(count))
        )
        dash = ' stroke-dasharray="4 3"' if pct == 100 else ""
        parts.append(f'<polygon points="{ring}" class="cl-svg-grid" fill="none"{dash}/>')
        parts.append(
            f'<text x="{cx + 4:.1f}" y="{cy - radius * pct / 100 + 12:.1f}"'
            f' class="cl-svg-muted">{pct}%</text>'
        )
    for k, (domain, share) in enumerate(zip(domains, accuracy, strict=True)):
        sx, sy = _polar(cx, cy, radius, k, count)
        lx, ly = _polar(cx, cy, radius + 16, k, count)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        missing = "(no data)" if share is None else ""
        parts.append(
            f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{sx:.1f}" y2="{sy:.1f}" class="cl-svg-grid"/>'
            f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="{anchor}">{esc(domain)}'
            + (
                f'<tspan x="{lx:.1f}" dy="15" class="cl-svg-muted">{missing}</tspan>'
                if missing
                else ""
            )
            + "</text>"
        )
    points = [
        (_polar(cx, cy, radius * share, k, count), domains[k], share)
        for k, share in enumerate(accuracy)
        if share is not None
    ]
    if len(points) >= 2 and len(points) == len(accuracy):
        outline = " ".join(f"{x:.1f},{y:.1f}" for (x, y), _, _ in points)
        parts.append(f'<polygon points="{outline}" class="cl-svg-area"/>')
    for (x, y), domain, share in points:
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="cl-svg-dot">'
            f"<title>{esc(f'{domain}: {share * 100:.0f}% correct')}</title></circle>"
        )
    parts.append(
        f'<text x="{cx:.1f}" y="{height - 12:.1f}" text-anchor="middle" class="cl-svg-muted">'
        f"{esc('dots: your accuracy · dashed ring: 100%')}</text>"
    )
    summary = "; ".join(f"{d} {_pct(a)}" for d, a in zip(domains, accuracy, strict=True))
    svg = (
        f'<svg class="cl-chart cl-svg" viewBox="0 0 {width:.0f} {height:.0f}" role="img"'
        f' aria-label="{esc(f"{title}: {summary}")}" style="{_FONT}" font-size="13.5">'
        f"{join(parts)}</svg>"
    )
    table = numbers_table(
        "The numbers: prediction accuracy by domain",
        ("Domain", "Predictions right"),
        [(d, _pct(a)) for d, a in zip(domains, accuracy, strict=True)],
    )
    return _figure(svg, table, "chart-accuracy")
