"""The report's plotly figures, one function per chart, each from plain analytics records.

Each figure is a plain dict in plotly.js's JSON schema (``{"data": [...], "layout": {...}}``),
not a ``plotly.graph_objects.Figure``: plotly's Python objects validate every property on
every assignment, which cost more than the rest of the report's page (0.3 s for 10,000
students). The tests validate every figure with plotly's own schema instead
(``go.Figure(spec)``), so a misspelt property still fails, there rather than in each run.

Student-provided text (ids in the heat map) goes through :func:`plot_label` first: plotly draws
labels and hover text as a small HTML subset, so ``<``, ``>`` and ``&`` are escaped (plotly
shows ``&lt;`` etc. as the original characters, and with no ``<`` left no tag can take effect;
quotes matter only inside a tag, and plotly would show ``&quot;`` literally, so they stay).
"""

from __future__ import annotations

import functools
import html
import json
import pkgutil
from collections.abc import Sequence
from typing import Any

from constraintlab.classreport.results import (
    AttemptsBucket,
    CompletionMatrix,
    DomainStat,
    FailingConstraint,
    FunnelStage,
    LabCompletion,
)
from constraintlab.ledger.keys import lab_number, volume_of

TEMPLATE = "plotly_white"
HIT_COLOUR = "#c0392b"
ACCURACY_COLOUR = "#2471a3"
APPROVED_COLOUR = "#1e8449"
UNKNOWN_COLOUR = "#b3b6b7"
LABEL_CHARS = 32
HEATMAP_ROW_PX = 12

Figure = dict[str, Any]
"""A plotly figure as JSON: ``data`` (traces) and ``layout``."""


@functools.cache
def template_json() -> dict[str, Any]:
    """:data:`TEMPLATE` as plain JSON, read once from plotly's package data, where plotly's
    own template registry reads it (a test checks the two agree); importing ``plotly.io``
    for it would cost more than drawing every chart."""
    return json.loads(_plotly_data(f"package_data/templates/{TEMPLATE}.json"))  # type: ignore[no-any-return]


@functools.cache
def plotly_js() -> str:
    """The plotly.js bundle that ships with the plotly package (``plotly.offline.get_plotlyjs``
    reads the same file), inlined in the page so that it loads nothing from the network."""
    return _plotly_data("package_data/plotly.min.js").decode("utf-8")


def _plotly_data(path: str) -> bytes:
    data = pkgutil.get_data("plotly", path)
    if data is None:  # pragma: no cover - plotly installed without its package data
        raise FileNotFoundError(f"plotly's {path} is missing; reinstall plotly")
    return data


def plot_label(text: str, limit_chars: int = LABEL_CHARS) -> str:
    """Shorten untrusted text to ``limit_chars`` (with an ellipsis) and escape it for plotly."""
    short = text if len(text) <= limit_chars else text[: limit_chars - 1] + "…"
    return html.escape(short, quote=False)


def lab_label(chapter: str) -> str:
    """ "5" -> "I·5", "v2_07" -> "II·7": short axis labels for the 33 labs."""
    volume, lab = volume_of(chapter), lab_number(chapter)
    return f"{'I' * volume}·{lab}"


def _unique(labels: Sequence[str]) -> list[str]:
    """Make labels distinct (plotly merges equal category labels): "x", "x (2)", ..."""
    used: set[str] = set()
    out = []
    for label in labels:
        candidate, n = label, 1
        while candidate in used:
            n += 1
            candidate = f"{label} ({n})"
        used.add(candidate)
        out.append(candidate)
    return out


def _percent(value: float | None) -> float | None:
    return None if value is None else 100.0 * value


def _figure(traces: list[Figure], layout: Figure | None = None) -> Figure:
    return {"data": traces, "layout": layout or {}}


def _layout(fig: Figure, title: str, height_px: int) -> Figure:
    """Title, size, margins and font; the page adds :data:`TEMPLATE` when it draws the figure
    (:func:`template_json`)."""
    fig["layout"].update(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        height=height_px,
        margin={"l": 10, "r": 20, "t": 60, "b": 40},
        font={"size": 13},
    )
    return fig


def _axis(fig: Figure, name: str, **settings: Any) -> None:
    """Merge ``settings`` into the layout's ``xaxis`` / ``yaxis`` (a title given as text)."""
    if isinstance(settings.get("title"), str):
        settings["title"] = {"text": settings["title"]}
    fig["layout"].setdefault(name, {}).update(settings)


def domain_hit_rate_figure(stats: Sequence[DomainStat]) -> Figure:
    """Horizontal bars: mean constraint-hit rate per domain, error bars = spread across students."""
    labels = [s.domain if s.students_with_data else f"{s.domain} (no data)" for s in stats]
    text = [
        f"{100 * s.hit_rate_mean:.0f}% ± {100 * (s.hit_rate_std or 0.0):.0f}"
        f"  (n={s.students_with_data:,})"
        if s.hit_rate_mean is not None
        else "no data"
        for s in stats
    ]
    bars = {
        "type": "bar",
        "y": labels,
        "x": [_percent(s.hit_rate_mean) or 0.0 for s in stats],
        "orientation": "h",
        "marker": {"color": HIT_COLOUR},
        "error_x": {
            "type": "data",
            "array": [_percent(s.hit_rate_std) or 0.0 for s in stats],
            "color": "#566573",
        },
        "customdata": text,
        "hovertemplate": "%{y}: %{customdata}<extra></extra>",
    }
    numbers = [  # the numbers, in a column on the right
        {
            "x": 1.0,
            "xref": "paper",
            "xanchor": "right",
            "y": label,
            "yref": "y",
            "text": value,
            "showarrow": False,
            "font": {"size": 12, "color": "#566573"},
        }
        for label, value in zip(labels, text, strict=True)
    ]
    fig = _figure([bars], {"annotations": numbers})
    _axis(
        fig,
        "xaxis",
        title="share of a student's labs in the domain that hit a constraint",
        range=[0, 100],
        ticksuffix="%",
        domain=[0.0, 0.68],
    )
    _axis(fig, "yaxis", autorange="reversed")
    return _layout(fig, "Constraint-hit rate by domain (class mean ± 1 SD)", 420)


def accuracy_radar_figure(stats: Sequence[DomainStat]) -> Figure:
    """Radar of the class's mean prediction accuracy per domain; domains without data left open."""
    theta = [
        s.domain if s.prediction_accuracy_mean is not None else f"{s.domain} (no data)"
        for s in stats
    ]
    mean = [_percent(s.prediction_accuracy_mean) for s in stats]
    spread = [_percent(s.prediction_accuracy_std) or 0.0 for s in stats]
    radar = {
        "type": "scatterpolar",
        "r": [*mean, mean[0]] if mean else [],
        "theta": [*theta, theta[0]] if theta else [],
        "mode": "lines+markers",
        "line": {"color": ACCURACY_COLOUR},
        "fill": "toself",
        "fillcolor": "rgba(36,113,163,0.15)",
        "connectgaps": False,
        "name": "class mean",
        "customdata": [*spread, spread[0]] if spread else [],
        "hovertemplate": "%{theta}: %{r:.0f}% ± %{customdata:.0f}<extra></extra>",
    }
    layout = {
        "polar": {
            "radialaxis": {
                "range": [0, 100],
                "ticksuffix": "%",
                "tickvals": [25, 50, 75, 100],
                "angle": 90,
                "tickangle": 90,
                "tickfont": {"size": 10},
            }
        },
        "showlegend": False,
    }
    return _layout(_figure([radar], layout), "Prediction accuracy by domain (class mean)", 420)


def approval_funnel_figure(stages: Sequence[FunnelStage]) -> Figure:
    """Funnel from "ledger read" to "capstone approved", with shares of the first stage."""
    funnel = {
        "type": "funnel",
        "y": [s.stage for s in stages],
        "x": [s.students for s in stages],
        "texttemplate": "%{value:,}<br>%{percentInitial:.0%}",
        "hovertemplate": "%{y}: %{value:,} students<extra></extra>",
        "marker": {"color": [ACCURACY_COLOUR] * (len(stages) - 1) + [APPROVED_COLOUR]},
    }
    return _layout(_figure([funnel]), "Capstone approval funnel (students)", 360)


def failing_constraints_figure(failing: Sequence[FailingConstraint]) -> Figure:
    """Stacked bars: per constraint, capstones not approved that failed it / did not record it."""
    labels = [f.label for f in failing]
    failed = {
        "type": "bar",
        "y": labels,
        "x": [f.failing for f in failing],
        "name": "failed",
        "orientation": "h",
        "marker": {"color": HIT_COLOUR},
        "text": [f"{f.failing:,}" for f in failing],
        "textposition": "auto",
    }
    unknown = {
        "type": "bar",
        "y": labels,
        "x": [f.unknown for f in failing],
        "name": "not recorded",
        "orientation": "h",
        "marker": {"color": UNKNOWN_COLOUR},
    }
    layout = {"barmode": "stack", "legend": {"orientation": "h", "y": -0.25, "x": 0}}
    fig = _figure([failed, unknown], layout)
    _axis(fig, "xaxis", title="capstones not approved")
    _axis(fig, "yaxis", autorange="reversed")
    return _layout(fig, "Constraints the non-approved capstones fail", 360)


def attempts_figure(buckets: Sequence[AttemptsBucket]) -> Figure:
    """Bars: approved students by the number of capstone saves they needed."""
    bars = {
        "type": "bar",
        "x": [str(b.attempts) for b in buckets],
        "y": [b.students for b in buckets],
        "marker": {"color": APPROVED_COLOUR},
        "text": [f"{b.students:,}" for b in buckets],
        "textposition": "auto",
    }
    fig = _figure([bars])
    _axis(fig, "xaxis", title="capstone saves up to the first approved one", type="category")
    _axis(fig, "yaxis", title="approved students")
    return _layout(fig, "Attempts needed before approval", 360)


def lab_completion_figure(labs: Sequence[LabCompletion]) -> Figure:
    """Bars: share of the class that saved each lab, in course order."""
    bars = {
        "type": "bar",
        "x": [lab_label(lab.chapter) for lab in labs],
        "y": [100 * lab.completion_rate for lab in labs],
        "customdata": [lab.students_done for lab in labs],
        "marker": {
            "color": [
                ACCURACY_COLOUR if volume_of(lab.chapter) == 1 else APPROVED_COLOUR for lab in labs
            ]
        },
        "hovertemplate": "lab %{x}: %{y:.0f}% (%{customdata:,} students)<extra></extra>",
    }
    fig = _figure([bars])
    _axis(
        fig,
        "xaxis",
        type="category",
        tickfont={"size": 10},
        title="lab (I = Volume I, II = Volume II)",
    )
    _axis(fig, "yaxis", range=[0, 100], ticksuffix="%", title="students who saved it")
    return _layout(fig, "Completion by lab (share of the class)", 320)


def completion_heatmap_figure(matrix: CompletionMatrix) -> Figure:
    """Students (or bins of students) by lab; colour = saved (share of the bin when binned)."""
    rows = _unique([plot_label(label) for label in matrix.row_labels])
    hover = (
        "%{y} · lab %{x}: "
        + ("%{z:.0%} saved" if matrix.binned else "%{customdata}")
        + "<extra></extra>"
    )
    heatmap = {
        "type": "heatmap",
        "z": matrix.values,
        "x": [lab_label(c) for c in matrix.chapters],
        "y": rows,
        "zmin": 0,
        "zmax": 1,
        "colorscale": [[0.0, "#f4f6f6"], [1.0, APPROVED_COLOUR]],
        "showscale": matrix.binned,
        "colorbar": {
            "title": {"text": "saved"},
            "tickformat": ".0%",
            "len": 260,
            "lenmode": "pixels",
            "y": 1.0,
            "yanchor": "top",
        },
        "customdata": [["saved" if v else "not saved" for v in row] for row in matrix.values],
        "hovertemplate": hover,
        "xgap": 1,
        "ygap": 1,
    }
    fig = _figure([heatmap])
    _axis(fig, "yaxis", autorange="reversed", type="category", tickfont={"size": 10})
    _axis(fig, "xaxis", side="top", type="category", tickfont={"size": 10})
    title = (
        f"Lab completion: {matrix.students:,} students in {len(rows)} rows, most labs first"
        if matrix.binned
        else "Lab completion by student (most labs first)"
    )
    return _layout(fig, title, 160 + HEATMAP_ROW_PX * max(len(rows), 1))
