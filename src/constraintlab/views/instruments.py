"""Act II instruments: the feasibility heat map, the sensitivity tornado and the nearest
approved design, as HTML/SVG strings.

They redraw on every control change, so they are plain SVG rather than plotly figures, which
cost tens of milliseconds to mount each time, and the heat map is a few dozen elements
however fine its grid (one path per verdict, not one rectangle per cell). Each chart has a
title, axis titles with units, a legend and a ``<title>`` tooltip per mark (per verdict on the
map); it scales with the page (``viewBox``), so it fits 900 px.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from constraintlab.model import registry
from constraintlab.model.design import CONTROLS
from constraintlab.views.html import counted, esc, join, tag, text
from constraintlab.views.prose import control_label, format_value

# levels: n_met 0..N (N = every constraint passes, GPU budget exceeded), N + 1 = approved
_FAILING_COLOURS = ("#3b0a0a", "#6b1a1a", "#9b2c2c", "#c2502f", "#dd7f4e", "#f0b27a")
_OVER_BUDGET_COLOUR = "#8e7cc3"
_APPROVED_COLOUR = "#1b7f3b"


def level_colours() -> tuple[str, ...]:
    """One colour per level: dark red (none met) to light orange (all but one), then the
    over-budget purple and the approved green (N levels of failing shades, N from the
    registry)."""
    total = registry.count()
    last = len(_FAILING_COLOURS) - 1
    shades = [_FAILING_COLOURS[round(k * last / max(total - 1, 1))] for k in range(total)]
    return (*shades, _OVER_BUDGET_COLOUR, _APPROVED_COLOUR)


def level_names() -> tuple[str, ...]:
    """``0/N`` .. ``N/N, over GPU budget``, ``approved``: what each level means."""
    total = registry.count()
    return (
        *(f"{k}/{total}" for k in range(total)),
        f"{total}/{total}, over GPU budget",
        "approved",
    )


BAR_PX = 240.0  # the tornado's bar axis, 0 to every constraint met
_FONT = "font-family:Inter,system-ui,sans-serif"


def axis_options() -> dict[str, str]:
    """Dropdown options: the control's short label -> its name, for every control."""
    return {control.label: name for name, control in CONTROLS.items()}


class SliceLike(Protocol):
    """What the heat map needs from :func:`constraintlab.explore.feasibility_slice`."""

    @property
    def x_values(self) -> Sequence[Any]: ...

    @property
    def y_values(self) -> Sequence[Any]: ...

    @property
    def n_met(self) -> Sequence[Sequence[int]]: ...  # rows = y, columns = x

    @property
    def failing(self) -> Sequence[Sequence[Sequence[str]]]: ...

    @property
    def approved(self) -> Sequence[Sequence[bool]]: ...

    @property
    def best_approved(self) -> Sequence[Sequence[bool]]: ...

    @property
    def current(self) -> tuple[Any, Any]: ...


def _heading(title: str, subtitle: str) -> str:
    """A chart's accessible name, its visible title and a one-line subtitle."""
    return (
        f"<title>{esc(title)}</title>"
        f'<text x="0" y="20" font-size="15" font-weight="700">{esc(title)}</text>'
        f'<text x="0" y="36" fill="#475467">{esc(subtitle)}</text>'
    )


def _ticks(values: Sequence[Any], wanted: int = 7) -> list[int]:
    """Indices of the values to label: round numbers about ``wanted`` apart, else spread."""
    count = len(values)
    if count <= wanted + 1 or isinstance(values[0], str):
        return list(range(count))
    numbers = np.asarray([float(v) for v in values])
    raw = (numbers[-1] - numbers[0]) / wanted
    power = 10.0 ** np.floor(np.log10(raw))
    step = min((m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw), default=raw)
    ratio = numbers / step
    nice = [i for i, r in enumerate(ratio) if abs(r - round(r)) < 1e-6]
    if len(nice) >= 3:
        return nice
    stride = int(np.ceil((count - 1) / wanted))
    return list(range(0, count, stride))


def _index_of(values: Sequence[Any], value: object) -> int:
    """The index of the grid value nearest ``value`` (exact for a categorical axis)."""
    if isinstance(value, str):
        return list(values).index(value) if value in values else 0
    numbers = np.asarray([float(v) for v in values])
    return int(np.abs(numbers - float(value)).argmin())  # type: ignore[arg-type]


class _Frame:
    """Plot geometry of a chart: cell sizes and data-to-pixel mapping.

    The defaults are the wide map's (legend at the right); the phone's map
    (:mod:`constraintlab.views.narrow_charts`) passes its own."""

    width, height = 760.0, 440.0
    left, right, top, bottom = 78.0, 190.0, 46.0, 60.0

    def __init__(self, nx: int, ny: int, **geometry: float) -> None:
        for name, value in geometry.items():
            setattr(self, name, value)
        self.nx, self.ny = nx, ny
        self.cw = (self.width - self.left - self.right) / nx
        self.ch = (self.height - self.top - self.bottom) / ny

    def x(self, i: float) -> float:
        return self.left + i * self.cw

    def y(self, j: float) -> float:
        """Row ``j`` counts from the bottom; this is the top edge of row ``j``."""
        return self.top + (self.ny - 1 - j) * self.ch


def verdict_of(level: int, failing: Sequence[str], labels: Mapping[str, str]) -> str:
    """What a cell's verdict says, e.g. ``4/6; failing: Accuracy, P99 latency``."""
    words = level_names()[level]
    if failing:
        words += "; failing: " + ", ".join(labels.get(n, n) for n in failing)
    return words


@dataclass(frozen=True)
class Verdicts:
    """Each cell's verdict on a map, as an index into ``kinds``; rows y, columns x."""

    kinds: tuple[tuple[int, tuple[str, ...]], ...]  # (level, as in level_names(); what fails)
    index: NDArray[np.int64]


def verdicts_of(result: SliceLike) -> Verdicts:
    """The verdicts of every cell of ``result``, numbered in the order the cells first show
    them (row by row).

    A verdict is (level, what fails), level = n_met + approved. The cells' failure lists are
    told apart by identity first (a slice shares one list per failure pattern), then by
    content, so equal lists are one verdict whether shared or not; the rest is numpy."""
    levels = np.asarray(result.n_met, dtype=np.int64) + np.asarray(result.approved, dtype=bool)
    cells = [failing for row in result.failing for failing in row]
    _, first_cell, list_of_cell = np.unique(
        np.fromiter(map(id, cells), dtype=np.uint64, count=len(cells)),
        return_index=True,
        return_inverse=True,
    )
    patterns: dict[tuple[str, ...], int] = {}
    pattern_of_list = [patterns.setdefault(tuple(cells[i]), len(patterns)) for i in first_cell]
    width = len(patterns)
    keys = levels.ravel() * width + np.asarray(pattern_of_list, dtype=np.int64)[list_of_cell]
    kind_keys, kind_of_cell = _numbered_by_first_sight(keys)
    names = list(patterns)
    kinds = tuple((key // width, names[key % width]) for key in kind_keys)
    return Verdicts(kinds, kind_of_cell.reshape(levels.shape))


def _numbered_by_first_sight(keys: NDArray[np.int64]) -> tuple[list[int], NDArray[np.int64]]:
    """(the distinct keys in order of first appearance, each element's number in that list)."""
    distinct, first_seen, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first_seen)
    number = np.empty(len(order), dtype=np.int64)
    number[order] = np.arange(len(order))
    return distinct[order].tolist(), number[inverse.ravel()]


def _row_runs(grid: NDArray[np.int64]) -> list[tuple[int, int, int, int]]:
    """(value, row j, start, length) of each run of equal values along each row."""
    rows, columns = grid.shape
    starts = np.ones(grid.shape, dtype=bool)
    starts[:, 1:] = grid[:, 1:] != grid[:, :-1]
    j, i = np.nonzero(starts)  # row by row, left to right: each row begins a run
    begin = j * columns + i
    lengths = np.diff(np.append(begin, rows * columns))
    return list(zip(grid[j, i].tolist(), j.tolist(), i.tolist(), lengths.tolist(), strict=True))


def _rectangles(grid: NDArray[np.int64]) -> dict[int, list[tuple[int, int, int, int]]]:
    """Per value of ``grid``: rectangles ``(first row, last row, start, length)`` covering its
    cells, each a run along a row stacked over the identical runs of the rows above it."""
    found: dict[int, list[tuple[int, int, int, int]]] = {}
    rows: dict[int, set[tuple[int, int, int]]] = {}
    for value, j, start, length in _row_runs(grid):
        rows.setdefault(j, set()).add((value, start, length))
    growing: dict[tuple[int, int, int], int] = {}  # run -> the row it began in
    for j in range(grid.shape[0] + 1):
        here = rows.get(j, set())
        for run in [run for run in growing if run not in here]:
            value, start, length = run
            found.setdefault(value, []).append((growing.pop(run), j - 1, start, length))
        for run in here:
            growing.setdefault(run, j)
    for boxes in found.values():
        boxes.sort()
    return found


def _rect_path(frame: _Frame, boxes: Sequence[tuple[int, int, int, int]]) -> str:
    """Path data for rectangles of cells ``(first row, last row, start, length)``."""
    return "".join(
        f"M{frame.x(start):.1f} {frame.y(last):.1f}h{length * frame.cw + 0.3:.1f}"
        f"v{(last - first + 1) * frame.ch + 0.3:.1f}h{-(length * frame.cw + 0.3):.1f}z"
        for first, last, start, length in boxes
    )


def _heat_cells(
    result: SliceLike, frame: _Frame, labels: Mapping[str, str], verdicts: Verdicts
) -> str:
    """One ``<path>`` per verdict (level and what fails), made of rectangles of cells with that
    verdict, its words as the tooltip; one hatched path where approval is reachable.

    A few dozen elements however fine the grid, so the map is cheap to send and to redraw on
    every key press; a cell's position is read off the axes, its verdict off its tooltip (and
    the verdicts are listed in the figure's table)."""
    groups = _rectangles(verdicts.index)
    colours = level_colours()
    parts = ['<g id="heat-cells" shape-rendering="crispEdges">']
    for kind in sorted(groups, key=lambda k: verdicts.kinds[k]):
        level, failing = verdicts.kinds[kind]
        parts.append(
            f'<path fill="{colours[level]}" d="{_rect_path(frame, groups[kind])}">'
            f"<title>{esc(verdict_of(level, failing, labels))}</title></path>"
        )
    reach = np.asarray(result.best_approved, dtype=bool) & ~np.asarray(result.approved, dtype=bool)
    reachable = _rectangles(reach.astype(np.int64)).get(1, [])
    if reachable:
        tip = "approved designs exist here with other settings of the other controls"
        parts.append(
            f'<path fill="url(#cl-hatch)" d="{_rect_path(frame, reachable)}">'
            f"<title>{esc(tip)}</title></path>"
        )
    return join(parts) + "</g>"


# The hatching, in an SVG of its own that is always rendered (zero-sized, never hidden): the
# wide map and the phone's map (which draws the wide map's cells through <use>) both fill with
# it, and a pattern inside a hidden SVG would draw nothing.
HATCH_DEFS = (
    '<svg class="cl-svg-defs" width="0" height="0" aria-hidden="true" focusable="false">'
    '<defs><pattern id="cl-hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
    ' patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="white"'
    ' stroke-width="2" stroke-opacity="0.85"/></pattern></defs></svg>'
)


def _axes(frame: _Frame, xs: Sequence[Any], ys: Sequence[Any], x: str, y: str) -> str:
    bottom = frame.height - frame.bottom
    parts = [
        f'<rect x="{frame.left}" y="{frame.top}" width="{frame.nx * frame.cw:.2f}"'
        f' height="{frame.ny * frame.ch:.2f}" fill="none" stroke="#475467"/>'
    ]
    for i in _ticks(xs):
        cx = frame.x(i + 0.5)
        parts.append(
            f'<line x1="{cx:.2f}" x2="{cx:.2f}" y1="{bottom}" y2="{bottom + 5}" stroke="#475467"/>'
        )
        parts.append(
            f'<text x="{cx:.2f}" y="{bottom + 18}" text-anchor="middle">'
            f"{esc(format_value(x, xs[i], unit=False))}</text>"
        )
    for j in _ticks(ys):
        cy = frame.y(j) + frame.ch / 2
        parts.append(
            f'<line x1="{frame.left - 5}" x2="{frame.left}" y1="{cy:.2f}" y2="{cy:.2f}"'
            ' stroke="#475467"/>'
        )
        parts.append(
            f'<text x="{frame.left - 8}" y="{cy + 4:.2f}" text-anchor="end">'
            f"{esc(format_value(y, ys[j], unit=False))}</text>"
        )
    mid_x = frame.left + frame.nx * frame.cw / 2
    mid_y = frame.top + frame.ny * frame.ch / 2
    parts.append(
        f'<text x="{mid_x:.2f}" y="{frame.height - 14}" text-anchor="middle"'
        f' font-weight="600">{esc(control_label(x))}</text>'
    )
    parts.append(
        f'<text transform="translate(16 {mid_y:.2f}) rotate(-90)" text-anchor="middle"'
        f' font-weight="600">{esc(control_label(y))}</text>'
    )
    return join(parts)


def _legend(frame: _Frame) -> str:
    left = frame.width - frame.right + 18
    parts = [f'<text x="{left}" y="{frame.top + 4}" font-weight="600">Constraints met</text>']
    names, colours = level_names(), level_colours()
    for k in range(len(names) - 1, -1, -1):
        top = frame.top + 16 + (len(names) - 1 - k) * 22
        parts.append(
            f'<rect x="{left}" y="{top}" width="14" height="14" fill="{colours[k]}"'
            ' stroke="#475467" stroke-width="0.5"/>'
            f'<text x="{left + 20}" y="{top + 11}">{esc(names[k])}</text>'
        )
    top = frame.top + 16 + len(names) * 22 + 8
    parts.append(
        f'<rect x="{left}" y="{top}" width="14" height="14" fill="#c2502f"/>'
        f'<rect x="{left}" y="{top}" width="14" height="14" fill="url(#cl-hatch)"'
        ' stroke="#475467" stroke-width="0.5"/>'
        f'<text x="{left + 20}" y="{top + 11}">{esc("hatched: approvable if")}</text>'
        f'<text x="{left + 20}" y="{top + 25}">{esc("other controls change")}</text>'
    )
    return join(parts)


def _marker(frame: _Frame, i: int, j: int, id_: str = "heat-current") -> str:
    cx, cy = frame.x(i + 0.5), frame.y(j) + frame.ch / 2
    anchor = "start" if i < frame.nx * 0.7 else "end"
    dx = 10 if anchor == "start" else -10
    return (
        f'<g id="{id_}" class="cl-heat-current"><circle cx="{cx:.2f}" cy="{cy:.2f}" r="7"'
        ' fill="white" stroke="black" stroke-width="2"/>'
        f'<path d="M{cx - 4:.2f} {cy - 4:.2f} L{cx + 4:.2f} {cy + 4:.2f} M{cx - 4:.2f} {cy + 4:.2f}'
        f' L{cx + 4:.2f} {cy - 4:.2f}" stroke="black" stroke-width="2"/>'
        f'<text x="{cx + dx:.2f}" y="{cy - 10:.2f}" text-anchor="{anchor}" font-weight="700"'
        ' paint-order="stroke" stroke="white" stroke-width="3">your design</text></g>'
    )


def heatmap_map_html(
    result: SliceLike,
    x: str,
    y: str,
    labels: Mapping[str, str],
    verdicts: Verdicts | None = None,
) -> str:
    """Everything the heat map draws except the design's marker: it depends on the slice
    alone, so a page keeps it while the design moves along the map's own axes.

    ``verdicts``: :func:`verdicts_of` the slice, if the caller has it."""
    xs, ys = list(result.x_values), list(result.y_values)
    frame = _Frame(len(xs), len(ys))
    title = f"Feasibility map: constraints met across {CONTROLS[x].label} × {CONTROLS[y].label}"
    return join(
        [
            _heading(title, "the other controls stay as you set them"),
            _heat_cells(result, frame, labels, verdicts or verdicts_of(result)),
            _axes(frame, xs, ys, x, y),
            _legend(frame),
        ]
    )


def heatmap_html(
    result: SliceLike,
    x: str,
    y: str,
    labels: Mapping[str, str] | None = None,
    *,
    map_html: str | None = None,
) -> str:
    """Constraints met over two controls (the others as set), the current design marked.

    ``map_html``: :func:`heatmap_map_html` of this slice, if the caller kept it."""
    xs, ys = list(result.x_values), list(result.y_values)
    frame = _Frame(len(xs), len(ys))
    if map_html is None:
        map_html = heatmap_map_html(result, x, y, labels or {})
    i, j = _index_of(xs, result.current[0]), _index_of(ys, result.current[1])
    return (
        f'<svg id="heatmap" class="cl-chart cl-chart-wide"'
        f' viewBox="0 0 {frame.width:.0f} {frame.height:.0f}" role="img" style="{_FONT}"'
        f' font-size="12">{map_html}{_marker(frame, i, j)}</svg>' + HATCH_DEFS
    )


class ChangeLike(Protocol):
    @property
    def control(self) -> str: ...

    @property
    def from_value(self) -> object: ...

    @property
    def to_value(self) -> object: ...


class NearestLike(Protocol):
    @property
    def changes(self) -> Sequence[ChangeLike]: ...


def nearest_html(result: NearestLike | None, *, asked: bool) -> str:
    """The changes that reach the nearest approved design; nothing is applied."""
    if not asked:
        return text(
            "p",
            "Press the button to see the fewest control changes that reach an approved design."
            " Nothing is applied: you move the controls yourself.",
            cls="cl-muted",
        )
    if result is None:
        return text("p", "No approved design exists on the control grid.", cls="cl-fail")
    if not result.changes:
        return text("p", "Your design is already approved.", cls="cl-pass")
    items = join(
        tag(
            "li",
            text("strong", CONTROLS[c.control].label)
            + esc(f": {format_value(c.control, c.from_value)}")
            + esc(f" → {format_value(c.control, c.to_value)}"),
        )
        for c in result.changes
    )
    count = len(result.changes)
    return tag(
        "div",
        text("p", f"The nearest approved design changes {counted(count, 'control')}:")
        + tag("ul", items)
        + text("p", "Not applied: move the controls yourself to try it.", cls="cl-muted"),
        cls="cl-nearest",
        id_="nearest",
    )


class MarginLike(Protocol):
    @property
    def constraint(self) -> str: ...

    @property
    def down_fraction(self) -> float | None: ...

    @property
    def up_fraction(self) -> float | None: ...

    @property
    def largest_fraction(self) -> float: ...


class SensitivityRowLike(Protocol):
    """What the tornado needs from a :class:`constraintlab.explore.SensitivityRow`."""

    @property
    def control(self) -> str: ...

    @property
    def value(self) -> object: ...

    @property
    def down_value(self) -> object: ...

    @property
    def up_value(self) -> object: ...

    @property
    def margins(self) -> Mapping[str, MarginLike]: ...

    @property
    def n_met_low(self) -> int: ...

    @property
    def n_met_high(self) -> int: ...

    @property
    def high_value(self) -> object: ...

    @property
    def high_fixes(self) -> Sequence[str]: ...

    @property
    def high_breaks(self) -> Sequence[str]: ...


# a margin change larger than this share of the target is shown as "over", the raw on hover
EFFECT_CAP = 1.0


def capped_percent(fraction: float) -> str:
    """``+5.6%`` or, past the cap, ``up by more than 100%`` / ``down by more than 100%`` (a
    signed "over -100%" read as a bound, not a direction; the raw figure is in the tooltip)."""
    if abs(fraction) > EFFECT_CAP:
        return f"{'up' if fraction > 0 else 'down'} by more than {EFFECT_CAP * 100:.0f}%"
    return f"{100 * fraction:+.1f}%"


def best_move_text(row: SensitivityRowLike, now: int, labels: Mapping[str, str]) -> str:
    """How many constraints the control can reach, which way, and what moving there fixes and
    breaks (the value itself is for the hints, not the chart)."""
    high = int(row.n_met_high)
    if high <= now and not row.high_fixes:
        return f"no value does better than now ({now}/{registry.count()})"
    where = f"best {high}/{registry.count()} {_where(row)}"
    fixes = ", ".join(labels.get(c, c) for c in row.high_fixes) or "nothing"
    breaks = ", ".join(labels.get(c, c) for c in row.high_breaks) or "nothing"
    return f"{where}: fixes {fixes}; breaks {breaks}"


def _where(row: SensitivityRowLike) -> str:
    """Which way the best value lies, without saying how far (magnitudes are hints)."""
    here, best = row.value, row.high_value
    if not isinstance(best, int | float) or not isinstance(here, int | float):
        return f"with {format_value(row.control, best)}"
    if best == here:
        return "where it is"
    return "higher" if best > here else "lower"


def _biggest_step(row: SensitivityRowLike) -> tuple[str, object, float] | None:
    if not row.margins:
        return None
    biggest = max(row.margins.values(), key=lambda m: m.largest_fraction)
    if biggest.largest_fraction == 0:
        return None
    down = abs(biggest.down_fraction or 0.0)
    up = abs(biggest.up_fraction or 0.0)
    value, fraction = (
        (row.up_value, biggest.up_fraction)
        if up >= down
        else (row.down_value, biggest.down_fraction)
    )
    return biggest.constraint, value, fraction or 0.0


def step_effect_raw(row: SensitivityRowLike, labels: Mapping[str, str]) -> str:
    """The biggest one-step effect with its uncapped percentage (for the tooltip)."""
    found = _biggest_step(row)
    if found is None:
        return "one step changes no margin"
    name, value, fraction = found
    label = labels.get(name, name)
    return f"to {format_value(row.control, value)}: {label} margin {100 * fraction:+.1f}% of target"


def step_effect(row: SensitivityRowLike, labels: Mapping[str, str]) -> str:
    """The biggest effect of one slider step, e.g. ``to 8 B: Accuracy margin +0.3% of target``,
    capped at ``EFFECT_CAP`` of the target."""
    found = _biggest_step(row)
    if found is None:
        return "one step changes no margin"
    name, value, fraction = found
    label = labels.get(name, name)
    return (
        f"one step, to {format_value(row.control, value)}: {label} margin"
        f" {capped_percent(fraction)} of target"
    )


def tornado_html(rows: Sequence[SensitivityRowLike], now: int, labels: Mapping[str, str]) -> str:
    """Per control, largest one-step effect first: the fewest and most constraints met across
    its range (the bar), where the most is reached, and what a single step does."""
    width, left, row_h, top = 940.0, 200.0, 34.0, 74.0
    total = registry.count()
    scale = BAR_PX / total  # px per constraint, 0..N
    height = top + row_h * len(rows) + 56
    title = "Sensitivity: what each control alone can change"
    sub = "bar: constraints met as one control sweeps its range, the rest as set"
    parts = [_heading(title, sub)]
    for k in range(total + 1):
        gx = left + k * scale
        parts.append(
            f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{top - 6}" y2="{height - 50:.1f}"'
            ' stroke="#eaecf0"/>'
            f'<text x="{gx:.1f}" y="{height - 34:.1f}" text-anchor="middle">{k}</text>'
        )
    for n, row in enumerate(rows):
        cy = top + n * row_h
        low, high = int(row.n_met_low), int(row.n_met_high)
        colour = "#1b7f3b" if high > now else ("#b42318" if low < now else "#98a2b3")
        name = CONTROLS[row.control].label
        best = best_move_text(row, now, labels)
        effect = step_effect(row, labels)
        raw = step_effect_raw(row, labels)
        tip = f"{name}: {low} to {high} of {total} across its range; {best}; one step {raw}"
        parts.append(
            f'<text x="{left - 10}" y="{cy + 19:.1f}" text-anchor="end">{esc(name)}</text>'
            f'<rect x="{left + low * scale:.1f}" y="{cy + 6:.1f}"'
            f' width="{max((high - low) * scale, 3):.1f}" height="{row_h - 12:.1f}"'
            f' fill="{colour}"><title>{esc(tip)}</title></rect>'
            f'<text x="{left + BAR_PX + 12:.1f}" y="{cy + 14:.1f}">{esc(best)}'
            f"<title>{esc(tip)}</title></text>"
            f'<text x="{left + BAR_PX + 12:.1f}" y="{cy + 28:.1f}" fill="#475467"'
            f' font-size="11">{esc(effect)}<title>{esc(raw)}</title></text>'
        )
    nx = left + now * scale
    parts.append(
        f'<line x1="{nx:.1f}" x2="{nx:.1f}" y1="{top - 8}" y2="{height - 50:.1f}" stroke="black"'
        ' stroke-dasharray="5 4" stroke-width="1.5"/>'
        f'<text x="{nx:.1f}" y="{top - 12}" text-anchor="middle" font-weight="700">'
        f"your design: {now}/{total}</text>"
        f'<text x="{left + BAR_PX / 2:.1f}" y="{height - 12:.1f}" text-anchor="middle"'
        f' font-weight="600">{esc(f"Constraints met (of {total})")}</text>'
    )
    return (
        f'<svg id="tornado" class="cl-chart cl-chart-wide" viewBox="0 0 {width:.0f} {height:.0f}"'
        ' role="img"'
        f' style="{_FONT}" font-size="12">{join(parts)}</svg>'
    )
