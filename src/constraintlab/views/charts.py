"""Plotly figures for the lab: every one has a title, axis titles with units, and fits 900 px.

This module imports plotly; import it only where a page is drawn. Domain names may come from a
ledger: plotly renders trace text and tick labels as text (it escapes them), and this module
escapes them anyway before they reach a label, so no markup survives either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from constraintlab.views.html import esc

PASS_COLOUR = "#1b7f3b"
FAIL_COLOUR = "#b42318"
WARN_COLOUR = "#b54708"
MUTED_COLOUR = "#667085"
ACCENT_COLOUR = "#3538cd"
FONT = dict(family="Inter, system-ui, -apple-system, Segoe UI, sans-serif", size=12)


def _layout(fig: go.Figure, title: str, height: int, **extra: Any) -> go.Figure:
    fig.update_layout(
        title=dict(text=esc(title), x=0.0, xanchor="left", font=dict(size=14)),
        height=height,
        autosize=True,
        font=FONT,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(t=56, b=56, l=16, r=16),
        **extra,
    )
    return fig


def hit_rate_bar(
    domains: Sequence[str],
    hit_rates: Sequence[float | None],
    labs_done: Sequence[int],
    labs_total: Sequence[int],
) -> go.Figure:
    """How often the student's designs hit a constraint, per domain (0-100 %).

    A domain without data gets no bar and says so, instead of a made-up 0 % or 50 %.
    """
    names = [esc(d) for d in domains]
    values = [None if r is None else r * 100.0 for r in hit_rates]
    colours = [
        MUTED_COLOUR
        if v is None
        else (FAIL_COLOUR if v >= 60 else WARN_COLOUR if v >= 30 else PASS_COLOUR)
        for v in values
    ]
    labels = [
        "no labs recorded"
        if v is None
        else f"{v:.0f}% of {done} lab{'s' if done != 1 else ''} (of {total} in the domain)"
        for v, done, total in zip(values, labs_done, labs_total, strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=[0.0 if v is None else v for v in values],
            y=names,
            orientation="h",
            marker_color=colours,
            text=labels,
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="Labs that hit a constraint (% of the domain's completed labs)")
    fig.update_xaxes(range=[0, 165], ticksuffix="%", tickvals=[0, 25, 50, 75, 100])
    fig.update_yaxes(title_text="Domain", autorange="reversed", automargin=True)
    return _layout(fig, "Constraint hits by domain (from the Design Ledger)", 360, showlegend=False)


def accuracy_radar(domains: Sequence[str], accuracy: Sequence[float | None]) -> go.Figure:
    """Prediction accuracy per domain (0-100 %); domains without data are labelled, not drawn."""
    theta = [
        esc(d) if a is not None else f"{esc(d)} (no data)"
        for d, a in zip(domains, accuracy, strict=True)
    ]
    r = [None if a is None else a * 100.0 for a in accuracy]
    fig = go.Figure()
    fig.add_trace(
        go.Scatterpolar(
            r=[100.0] * (len(theta) + 1),
            theta=[*theta, theta[0]],
            mode="lines",
            line=dict(color=MUTED_COLOUR, dash="dot", width=1),
            name="every prediction right (100%)",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatterpolar(
            r=[*r, r[0]],
            theta=[*theta, theta[0]],
            mode="lines+markers",
            fill="toself",
            line=dict(color=ACCENT_COLOUR, width=2),
            connectgaps=False,
            name="predictions right (%)",
            hovertemplate="%{theta}: %{r:.0f}% correct<extra></extra>",
        )
    )
    fig.update_layout(
        polar=dict(
            radialaxis=dict(range=[0, 100], ticksuffix="%", tickvals=[25, 50, 75, 100], angle=90),
            angularaxis=dict(direction="clockwise"),
        ),
        legend=dict(orientation="h", y=-0.12, x=0.5, xanchor="center"),
    )
    return _layout(fig, "Prediction accuracy by domain (% of predictions that were right)", 400)
