"""Text alternatives and phone layout for the instruments' wide charts.

The heat map and the tornado are drawn 760 and 940 units wide
(:mod:`constraintlab.views.instruments`) and again for a phone
(:mod:`constraintlab.views.narrow_charts`); each pair sits in a box of its own that shows the
layout its width fits (``.cl-chart-box`` in ``lab.css``), so no box scrolls sideways. The box is
a region named by the chart, and carries the chart's numbers as text: a description of the heat
map (where the design stands, how many cells pass) with its verdicts as a table, and the
tornado as a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from constraintlab.model import registry
from constraintlab.model.design import CONTROLS
from constraintlab.views.html import counted, esc, tag, text
from constraintlab.views.instruments import (
    SensitivityRowLike,
    SliceLike,
    Verdicts,
    step_effect,
    verdict_of,
    verdicts_of,
)
from constraintlab.views.ledger_charts import numbers_table
from constraintlab.views.prose import format_value


def chart_figure(chart_html: str, name: str, description_html: str, id_: str) -> str:
    """``chart_html`` (its wide and its phone layout) in a region named ``name``, described by
    the text. The region is the container whose width picks the layout (``.cl-chart-box``)."""
    described = f"{id_}-text"
    return tag(
        "figure",
        f'<div class="cl-chart-box" role="region" aria-label="{esc(name)}"'
        f' aria-describedby="{esc(described)}">{chart_html}</div>'
        + tag("div", description_html, id_=described, cls="cl-chart-text"),
        cls="cl-figure",
        id_=id_,
    )


def heatmap_summary(result: SliceLike, x: str, y: str) -> str:
    """One paragraph: where the design sits on the map, and how many cells pass."""
    approved = np.asarray(result.approved, dtype=bool)
    reach = np.asarray(result.best_approved, dtype=bool) & ~approved
    cx, cy = result.current
    xs, ys = list(result.x_values), list(result.y_values)
    here = int(result.n_met[ys.index(cy)][xs.index(cx)]) if cx in xs and cy in ys else None
    where = f"{format_value(x, cx)} and {format_value(y, cy)}"
    met = f" meets {here} of {registry.count()} constraints" if here is not None else ""
    return (
        f"Your design, at {where},{met}. {int(approved.sum()):,} of"
        f" {counted(int(approved.size), 'cell')} on this map are approved as the other controls"
        f" stand; {int(reach.sum()):,} more could be with"
        " other settings of the other controls (hatched)."
    )


def verdict_rows(
    result: SliceLike,
    x: str,
    y: str,
    labels: Mapping[str, str],
    verdicts: Verdicts | None = None,
) -> list[tuple[str, str, str, str]]:
    """Per verdict on the map (most constraints met first): its words, how many cells have
    it, and the span of ``x`` and ``y`` values where it occurs."""
    found = verdicts or verdicts_of(result)
    xs, ys = list(result.x_values), list(result.y_values)

    def between(name: str, values: list[object], cells: Sequence[int]) -> str:
        low, high = int(min(cells)), int(max(cells))
        if low == high:
            return format_value(name, values[low])
        return f"{format_value(name, values[low])} to {format_value(name, values[high])}"

    rows = []
    for kind, (level, failing) in enumerate(found.kinds):
        rows_at, columns_at = np.nonzero(found.index == kind)
        cells = (
            verdict_of(level, failing, labels),
            f"{len(rows_at):,}",
            between(x, xs, columns_at.tolist()),
            between(y, ys, rows_at.tolist()),
        )
        rows.append(((-level, -len(rows_at)), cells))
    return [cells for _, cells in sorted(rows)]


def verdict_table(
    result: SliceLike,
    x: str,
    y: str,
    labels: Mapping[str, str],
    verdicts: Verdicts | None = None,
) -> str:
    """The map's verdicts as a table (what each colour means here, how many cells, where)."""
    return numbers_table(
        "The numbers: the verdicts on this map",
        ("Verdict", "Cells", f"{CONTROLS[x].label} (across)", f"{CONTROLS[y].label} (up)"),
        verdict_rows(result, x, y, labels, verdicts),
    )


def heatmap_figure(
    chart_html: str,
    result: SliceLike,
    x: str,
    y: str,
    labels: Mapping[str, str] | None = None,
    *,
    table_html: str | None = None,
) -> str:
    """The heat map in its box with :func:`heatmap_summary` under it, and its
    :func:`verdict_table` (``table_html``, if the caller kept it for this slice)."""
    name = f"Feasibility map: {CONTROLS[x].label} across, {CONTROLS[y].label} up"
    if table_html is None:
        table_html = verdict_table(result, x, y, labels or {})
    summary = text("p", heatmap_summary(result, x, y), cls="cl-muted") + table_html
    return chart_figure(chart_html, name, summary, "heatmap-figure")


def tornado_figure(
    chart_html: str, rows: Sequence[SensitivityRowLike], labels: Mapping[str, str]
) -> str:
    """The tornado in its box, every bar also a row of a table."""
    table_rows = [
        (
            CONTROLS[row.control].label,
            f"{int(row.n_met_low)} to {int(row.n_met_high)}",
            format_value(row.control, row.high_value),
            step_effect(row, labels),
        )
        for row in rows
    ]
    table = numbers_table(
        "The numbers: what each control alone can change",
        ("Control", "Constraints met across its range", "Most met at", "One step"),
        table_rows,
    )
    name = "Sensitivity: what each control alone can change"
    return chart_figure(chart_html, name, table, "tornado-figure")


def sensitivity_figure(
    rows: Sequence[SensitivityRowLike], now: int, labels: Mapping[str, str]
) -> str:
    """The tornado, wide and rotated for a phone, in its box with its table."""
    from constraintlab.views.instruments import tornado_html
    from constraintlab.views.narrow_charts import narrow_tornado_html

    chart = tornado_html(rows, now, labels) + narrow_tornado_html(rows, now, labels)
    return tornado_figure(chart, rows, labels)
