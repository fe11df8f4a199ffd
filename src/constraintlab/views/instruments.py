"""Act II instruments: the feasibility heat map, the sensitivity tornado and the nearest
approved design. Figures take the explorer's results; this module imports plotly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import plotly.graph_objects as go

from constraintlab.design import CONTROLS, Design, NumericControl
from constraintlab.views.charts import FAIL_COLOUR, FONT, MUTED_COLOUR, PASS_COLOUR, WARN_COLOUR
from constraintlab.views.html import esc, join, tag, text

# n_met 0..6 (6 = all six pass but the GPU budget does not), 7 = approved
_LEVEL_COLOURS = (
    "#4a1212",
    "#7a1f1f",
    "#a83232",
    "#cf5c3f",
    "#e98f5b",
    "#f3c08a",
    WARN_COLOUR,
    PASS_COLOUR,
)
_LEVEL_NAMES = ("0/6", "1/6", "2/6", "3/6", "4/6", "5/6", "6/6, over GPU budget", "approved")


def axis_label(name: str) -> str:
    """Dropdown text for a control: its label and unit."""
    control = CONTROLS[name]
    if isinstance(control, NumericControl):
        return f"{control.label} ({control.unit})"
    return control.label


def axis_options() -> dict[str, str]:
    """Dropdown options: label -> control name, for every control."""
    return {axis_label(name): name for name in CONTROLS}


def _format_value(name: str, value: object) -> str:
    control = CONTROLS[name]
    if isinstance(control, NumericControl) and isinstance(value, int | float):
        return f"{value:.{control.decimals}f} {control.unit}"
    return str(value)


class SliceLike(Protocol):
    x_values: Sequence[Any]
    y_values: Sequence[Any]
    n_met: Any  # rows = y, columns = x
    approved: Any


def _discrete_scale() -> list[list[Any]]:
    """A stepwise colour scale: one flat band per level 0..7."""
    steps = len(_LEVEL_COLOURS)
    scale: list[list[Any]] = []
    for level, colour in enumerate(_LEVEL_COLOURS):
        scale.append([level / steps, colour])
        scale.append([(level + 1) / steps, colour])
    return scale


def heatmap_figure(result: SliceLike, design: Design, x: str, y: str) -> go.Figure:
    """Constraints met over two controls (others as in ``design``), the design marked."""
    levels = np.asarray(result.n_met, dtype=np.int64) + np.asarray(result.approved, dtype=bool)
    fig = go.Figure(
        go.Heatmap(
            x=list(result.x_values),
            y=list(result.y_values),
            z=levels,
            zmin=-0.5,
            zmax=len(_LEVEL_COLOURS) - 0.5,
            colorscale=_discrete_scale(),
            colorbar=dict(
                title=dict(text="constraints met"),
                tickvals=list(range(len(_LEVEL_NAMES))),
                ticktext=list(_LEVEL_NAMES),
                len=1.0,
                thickness=14,
            ),
            hovertemplate="x %{x}<br>y %{y}<br>level %{z} (7 = approved)<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[getattr(design, x)],
            y=[getattr(design, y)],
            mode="markers+text",
            marker=dict(symbol="x", size=14, color="white", line=dict(color="black", width=2)),
            text=["your design"],
            textposition="top center",
            textfont=dict(color="black"),
            name="your design",
            hovertemplate="your design<extra></extra>",
        )
    )
    fig.update_xaxes(title_text=esc(axis_label(x)))
    fig.update_yaxes(title_text=esc(axis_label(y)))
    fig.update_layout(
        title=dict(
            text="Feasibility map: constraints met as two controls vary (the rest as set)",
            x=0.0,
            xanchor="left",
            font=dict(size=14),
        ),
        height=460,
        font=FONT,
        margin=dict(t=56, b=56, l=16, r=16),
        showlegend=False,
        paper_bgcolor="white",
    )
    return fig


class SensitivityRow(Protocol):
    control: str


def tornado_figure(rows: Sequence[Any], design: Design) -> go.Figure:
    """For each control: how many constraints pass across its range, others fixed."""
    names = [esc(axis_label(r.control)) for r in rows]
    now = rows[0].n_met_now if rows else 0
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=names,
            x=[r.n_met_high - r.n_met_low for r in rows],
            base=[r.n_met_low for r in rows],
            orientation="h",
            marker_color=[PASS_COLOUR if r.n_met_high > now else MUTED_COLOUR for r in rows],
            text=[
                f"{r.n_met_low}-{r.n_met_high} of 6, best at"
                f" {_format_value(r.control, r.high_value)}"
                for r in rows
            ],
            textposition="auto",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.add_vline(x=now, line=dict(color="black", dash="dash"), annotation_text="your design")
    fig.update_xaxes(title_text="Constraints met (of 6) across the control's range", range=[0, 6.2])
    fig.update_yaxes(autorange="reversed", automargin=True, title_text="Control")
    fig.update_layout(
        title=dict(
            text="Sensitivity: what each control alone can change", x=0.0, font=dict(size=14)
        ),
        height=380,
        font=FONT,
        margin=dict(t=56, b=56, l=16, r=16),
        showlegend=False,
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    return fig


class ChangeLike(Protocol):
    control: str
    from_value: object
    to_value: object


class NearestLike(Protocol):
    to_design: Design
    changes: Sequence[Any]


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
            text("strong", axis_label(c.control))
            + esc(f": {_format_value(c.control, c.from_value)}")
            + esc(f" → {_format_value(c.control, c.to_value)}"),
        )
        for c in result.changes
    )
    count = len(result.changes)
    return tag(
        "div",
        text("p", f"The nearest approved design changes {count} control(s):")
        + tag("ul", items)
        + text("p", "Not applied: move the controls yourself to try it.", cls="cl-muted"),
        cls="cl-nearest",
        id_="nearest",
    )


__all__ = [
    "FAIL_COLOUR",
    "axis_label",
    "axis_options",
    "heatmap_figure",
    "nearest_html",
    "tornado_figure",
]
