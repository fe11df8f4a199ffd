"""The heat map and the tornado redrawn for a phone (a box about 335 px wide).

The wide charts (:mod:`constraintlab.views.instruments`) are 760 and 940 units across: on a
phone their text would shrink below 11 px or the box would scroll sideways. These are the same
charts laid out for :data:`WIDTH` units, drawn at their own size on a 390 px screen:

* the heat map keeps every cell (it reuses the wide map's ``#heat-cells`` through ``<use>``,
  scaled into the narrow plot, so nothing is sent twice) with fewer axis labels, the titles
  wrapped and the legend stacked under the plot in two columns;
* the tornado is rotated into rows: each control's name on a line, its bar across the full
  width (0 to every constraint met), and its best move and one step as wrapped lines below.

The page shows one of each pair by the width its box gets (``.cl-chart-wide`` and
``.cl-chart-narrow`` in ``lab.css``); no box scrolls.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

from constraintlab.model import registry
from constraintlab.model.design import CONTROLS
from constraintlab.views.html import esc, join
from constraintlab.views.instruments import (
    _FONT,
    SensitivityRowLike,
    SliceLike,
    _Frame,
    _index_of,
    _marker,
    _ticks,
    best_move_text,
    level_colours,
    level_names,
    step_effect,
    step_effect_raw,
)
from constraintlab.views.prose import control_label, format_value

WIDTH = 320.0  # drawn at about its own size in a 335 px box: 11 px text stays 11 px
CHAR_PX = 6.6  # a 12 px character of the chart's font, on average (for wrapping)
TITLE_PX = 17.0  # a 15 px bold title wraps like 17 px regular text
X_TICKS = 4  # axis labels across the narrow map


def wrapped(text: str, font_px: float = 12.0, width: float = WIDTH) -> list[str]:
    """``text`` in lines that fit ``width`` at ``font_px`` (an average character's width)."""
    per_line = max(int(width / (CHAR_PX * font_px / 12.0)), 8)
    return textwrap.wrap(text, per_line) or [""]


def _lines(lines: Sequence[str], x: float, y: float, step: float, attrs: str = "") -> str:
    return join(
        f'<text x="{x:.1f}" y="{y + k * step:.1f}"{attrs}>{esc(line)}</text>'
        for k, line in enumerate(lines)
    )


def _heat_frame(result: SliceLike, y: str, title_lines: int) -> _Frame:
    """The narrow map's geometry: room at the left for the widest y label and the wrapped
    y title, the title's lines above, the x labels and wrapped x title below."""
    ys = list(result.y_values)
    widest = max(len(format_value(y, v, unit=False)) for v in ys)
    y_title_lines = len(wrapped(control_label(y), width=260.0))
    left = 14.0 * y_title_lines + 14.0 + CHAR_PX * widest
    top = 18.0 * title_lines + 34.0
    return _Frame(
        len(result.x_values), len(ys), width=WIDTH, left=left, right=8.0, top=top, bottom=66.0
    )


def _heat_axes(frame: _Frame, result: SliceLike, x: str, y: str) -> str:
    xs, ys = list(result.x_values), list(result.y_values)
    bottom = frame.top + frame.ny * frame.ch
    parts = [
        f'<rect x="{frame.left:.1f}" y="{frame.top:.1f}" width="{frame.nx * frame.cw:.2f}"'
        f' height="{frame.ny * frame.ch:.2f}" fill="none" stroke="#475467"/>'
    ]
    for i in _ticks(xs, X_TICKS):
        cx = frame.x(i + 0.5)
        parts.append(
            f'<text x="{cx:.1f}" y="{bottom + 16:.1f}" text-anchor="middle">'
            f"{esc(format_value(x, xs[i], unit=False))}</text>"
        )
    for j in _ticks(ys, 5):
        cy = frame.y(j) + frame.ch / 2
        parts.append(
            f'<text x="{frame.left - 6:.1f}" y="{cy + 4:.1f}" text-anchor="end">'
            f"{esc(format_value(y, ys[j], unit=False))}</text>"
        )
    mid_x = frame.left + frame.nx * frame.cw / 2
    parts.append(
        _lines(
            wrapped(control_label(x), width=WIDTH - 10),
            mid_x,
            bottom + 34,
            14,
            ' text-anchor="middle" font-weight="600"',
        )
    )
    mid_y = frame.top + frame.ny * frame.ch / 2
    for k, line in enumerate(wrapped(control_label(y), width=260.0)):
        parts.append(
            f'<text transform="translate({12 + 14 * k} {mid_y:.1f}) rotate(-90)"'
            f' text-anchor="middle" font-weight="600">{esc(line)}</text>'
        )
    return join(parts)


def _stacked_legend(top: float) -> tuple[str, float]:
    """The legend under the plot, two columns; returns it and the height it takes."""
    parts = [f'<text x="0" y="{top + 12:.1f}" font-weight="600">Constraints met</text>']
    names, colours = level_names(), level_colours()
    order = list(range(len(names) - 1, -1, -1))
    rows = (len(order) + 1) // 2
    for n, k in enumerate(order):
        lx, ly = (n // rows) * WIDTH / 2, top + 22 + (n % rows) * 20
        parts.append(
            f'<rect x="{lx:.1f}" y="{ly:.1f}" width="14" height="14" fill="{colours[k]}"'
            ' stroke="#475467" stroke-width="0.5"/>'
            f'<text x="{lx + 20:.1f}" y="{ly + 11:.1f}">{esc(names[k])}</text>'
        )
    hy = top + 22 + rows * 20 + 4
    parts.append(
        f'<rect x="0" y="{hy:.1f}" width="14" height="14" fill="#c2502f"/>'
        f'<rect x="0" y="{hy:.1f}" width="14" height="14" fill="url(#cl-hatch)"'
        ' stroke="#475467" stroke-width="0.5"/>'
        f'<text x="20" y="{hy + 11:.1f}">'
        f"{esc('hatched: approvable if other controls change')}</text>"
    )
    return join(parts), hy + 20 - top


def narrow_heatmap_html(result: SliceLike, x: str, y: str) -> str:
    """The heat map for a phone (see the module's docstring); ``#heat-cells`` is the wide
    map's, drawn on the same page."""
    title = f"Feasibility map: constraints met across {CONTROLS[x].label} × {CONTROLS[y].label}"
    title_lines = wrapped(title, font_px=TITLE_PX)
    frame = _heat_frame(result, y, len(title_lines))
    wide = _Frame(frame.nx, frame.ny)
    sx, sy = frame.cw / wide.cw, frame.ch / wide.ch
    cells = (
        f'<use href="#heat-cells" transform="translate({frame.left:.2f} {frame.top:.2f})'
        f' scale({sx:.5f} {sy:.5f}) translate({-wide.left:.2f} {-wide.top:.2f})"/>'
    )
    legend, legend_h = _stacked_legend(frame.top + frame.ny * frame.ch + frame.bottom)
    height = frame.top + frame.ny * frame.ch + frame.bottom + legend_h
    i = _index_of(list(result.x_values), result.current[0])
    j = _index_of(list(result.y_values), result.current[1])
    heading = (
        f"<title>{esc(title)}</title>"
        + _lines(title_lines, 0, 18, 18, ' font-size="15" font-weight="700"')
        + f'<text x="0" y="{18 * len(title_lines) + 16}" fill="#475467">'
        "the other controls stay as you set them</text>"
    )
    body = join(
        [
            heading,
            cells,
            _heat_axes(frame, result, x, y),
            legend,
            _marker(frame, i, j, "heat-current-narrow"),
        ]
    )
    return (
        f'<svg id="heatmap-narrow" class="cl-chart cl-chart-narrow" viewBox="0 0 {WIDTH:.0f}'
        f' {height:.0f}" role="img" style="{_FONT}" font-size="12">{body}</svg>'
    )


def _tornado_row(
    row: SensitivityRowLike, now: int, labels: Mapping[str, str], top: float
) -> tuple[str, float]:
    """One control of the rotated tornado: name, bar, best move, one step; and its height."""
    total = registry.count()
    scale = (WIDTH - 16) / total
    low, high = int(row.n_met_low), int(row.n_met_high)
    colour = "#1b7f3b" if high > now else ("#b42318" if low < now else "#98a2b3")
    name = CONTROLS[row.control].label
    best, raw = best_move_text(row, now, labels), step_effect_raw(row, labels)
    tip = f"{name}: {low} to {high} of {total} across its range; {best}; one step {raw}"
    best_lines = wrapped(best)
    effect_lines = wrapped(step_effect(row, labels), font_px=11.0)
    bar_y = top + 20
    text_y = bar_y + 31
    parts = [
        f'<text x="0" y="{top + 12:.1f}" font-weight="600">{esc(name)}</text>',
        f'<rect x="{8 + low * scale:.1f}" y="{bar_y:.1f}"'
        f' width="{max((high - low) * scale, 3):.1f}" height="16" fill="{colour}">'
        f"<title>{esc(tip)}</title></rect>",
        _lines(best_lines, 0, text_y, 15),
        _lines(
            effect_lines, 0, text_y + 15 * len(best_lines), 14, ' fill="#475467" font-size="11"'
        ),
    ]
    height = text_y - top + 15 * len(best_lines) + 14 * len(effect_lines) + 6
    return join(parts), height


def narrow_tornado_html(
    rows: Sequence[SensitivityRowLike], now: int, labels: Mapping[str, str]
) -> str:
    """The tornado for a phone, rotated into rows (see the module's docstring)."""
    total = registry.count()
    scale = (WIDTH - 16) / total
    title = "Sensitivity: what each control alone can change"
    title_lines = wrapped(title, font_px=TITLE_PX)
    sub_lines = wrapped("bar: constraints met as one control sweeps its range, the rest as set")
    top = 18.0 * len(title_lines) + 14.0 * len(sub_lines) + 16
    axis = [
        f'<text x="{8 + k * scale:.1f}" y="{top + 12:.1f}" text-anchor="middle">{k}</text>'
        for k in range(total + 1)
    ]
    axis.append(
        f'<text x="{WIDTH / 2:.1f}" y="{top + 28:.1f}" text-anchor="middle" font-weight="600">'
        f"{esc(f'Constraints met (of {total}); your design: {now}/{total}')}</text>"
    )
    y = top + 40
    body = []
    for row in rows:
        drawn, height = _tornado_row(row, now, labels, y)
        body.append(drawn)
        y += height
    nx = 8 + now * scale
    marker = (
        f'<line x1="{nx:.1f}" x2="{nx:.1f}" y1="{top + 16:.1f}" y2="{y:.1f}" stroke="black"'
        ' stroke-dasharray="5 4" stroke-width="1.5" stroke-opacity="0.5"/>'
    )
    heading = (
        f"<title>{esc(title)}</title>"
        + _lines(title_lines, 0, 18, 18, ' font-size="15" font-weight="700"')
        + _lines(sub_lines, 0, 18 * len(title_lines) + 16, 14, ' fill="#475467"')
    )
    return (
        f'<svg id="tornado-narrow" class="cl-chart cl-chart-narrow" viewBox="0 0 {WIDTH:.0f}'
        f' {y + 4:.0f}" role="img" style="{_FONT}" font-size="12">'
        f"{heading}{join(axis)}{marker}{join(body)}</svg>"
    )
