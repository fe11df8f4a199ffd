"""The explorer's answers for the page, cached, so a slider step recomputes only what it changed.

A feasibility slice over controls ``x`` and ``y`` does not depend on the design's own values of
``x`` and ``y`` (the map sweeps both axes), only on the other five controls: it is cached under
the design with ``x`` and ``y`` at their defaults, and so is everything the map draws but the
"your design" marker (its cells, axes and legend, and its table of verdicts). Moving a slider
along one of the map's axes therefore costs no explorer call and no redrawing of cells. The
sensitivity of a design is cached by the design itself (a student who steps back and forth sees
each design again). Every cache is bounded (a few MB in all) and keyed by the scenario in force
(its fingerprint), so a session that scores under another scenario never reads this one's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from constraintlab.explore import FeasibilitySlice, Sensitivity, feasibility_slice, sensitivity
from constraintlab.explore.grid import full_grid, nearest_index
from constraintlab.model import scenario as sc
from constraintlab.model.design import CONTROLS, Design
from constraintlab.views.chart_text import heatmap_figure, verdict_table
from constraintlab.views.instruments import heatmap_html, heatmap_map_html, verdicts_of
from constraintlab.views.narrow_charts import narrow_heatmap_html

SLICES_KEPT = 64  # distinct (other five controls, axes) combinations, ~40 KB drawn each
DESIGNS_KEPT = 256  # about 4 KB of sensitivity each


def slice_key(design: Design, x: str, y: str) -> Design:
    """The design with the slice's own axes at their defaults: what the slice depends on."""
    defaults: dict[str, Any] = {x: CONTROLS[x].default, y: CONTROLS[y].default}
    return replace(design, **defaults)


@lru_cache(maxsize=SLICES_KEPT)
def _slice(fingerprint: str, key: Design, x: str, y: str) -> FeasibilitySlice:
    return feasibility_slice(key, x, y)


def cached_slice(design: Design, x: str, y: str) -> FeasibilitySlice:
    """``feasibility_slice(design, x, y)``, computed once per (other five controls, x, y)."""
    result = _slice(sc.FINGERPRINT, slice_key(design, x, y), x, y)
    grid, values = full_grid(), design.to_dict()
    current = (
        result.x_values[nearest_index(grid, x, values[x])],
        result.y_values[nearest_index(grid, y, values[y])],
    )
    return replace(result, current=current)


def cached_sensitivity(design: Design) -> Sensitivity:
    """``sensitivity(design)``, once per design."""
    return _sensitivity(sc.FINGERPRINT, design)


@lru_cache(maxsize=DESIGNS_KEPT)
def _sensitivity(fingerprint: str, design: Design) -> Sensitivity:
    return sensitivity(design)


@lru_cache(maxsize=SLICES_KEPT)
def _drawn_map(
    fingerprint: str, key: Design, x: str, y: str, labels: tuple[tuple[str, str], ...]
) -> tuple[str, str]:
    """(the map without its marker, its table of verdicts), once per slice."""
    result, names = _slice(fingerprint, key, x, y), dict(labels)
    verdicts = verdicts_of(result)
    return (
        heatmap_map_html(result, x, y, names, verdicts),
        verdict_table(result, x, y, names, verdicts),
    )


def cached_heatmap_html(design: Design, x: str, y: str, labels: Mapping[str, str]) -> str:
    """The heat map of ``design`` over ``x`` and ``y`` (see :func:`cached_slice`), drawn, in
    its box with its text alternative."""
    result = cached_slice(design, x, y)
    key = slice_key(design, x, y)
    map_html, table_html = _drawn_map(sc.FINGERPRINT, key, x, y, tuple(labels.items()))
    chart = heatmap_html(result, x, y, map_html=map_html) + narrow_heatmap_html(result, x, y)
    return heatmap_figure(chart, result, x, y, table_html=table_html)
