"""The page's explorer caches answer exactly what the explorer itself answers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from constraintlab.app import cached
from constraintlab.explore import feasibility_slice, sensitivity
from constraintlab.model.design import Design

AXES = [("model_size_b", "dp_epsilon"), ("adv_weight", "parallelism"), ("context", "model_size_b")]
DESIGNS = [
    Design(),
    replace(Design(), model_size_b=14.0, adv_weight=0.8, context="renewable"),
    replace(Design(), dp_epsilon=0.3, parallelism="3d", flexible_job_pct=45.0),
]


@pytest.mark.parametrize(("x", "y"), AXES)
def test_a_cached_slice_equals_the_explorers_slice_for_every_design(x: str, y: str) -> None:
    for design in DESIGNS:
        assert cached.cached_slice(design, x, y) == feasibility_slice(design, x, y)


def test_moving_along_a_map_axis_reuses_the_slice_and_moves_only_the_marker() -> None:
    first = cached.cached_slice(Design(), "model_size_b", "dp_epsilon")
    moved = cached.cached_slice(replace(Design(), model_size_b=30.0), "model_size_b", "dp_epsilon")
    assert moved.n_met is first.n_met  # the same computed table, not a recomputation
    assert moved.current[0] == 30.0 and first.current[0] == Design().model_size_b


def test_a_cached_sensitivity_equals_the_explorers() -> None:
    design = DESIGNS[1]
    assert cached.cached_sensitivity(design) == sensitivity(design)
    assert cached.cached_sensitivity(design) is cached.cached_sensitivity(design)


def test_a_cached_heat_map_is_the_map_drawn_afresh_for_every_design() -> None:
    from constraintlab.model.engine import CONSTRAINT_LABELS
    from constraintlab.views.chart_text import heatmap_figure
    from constraintlab.views.instruments import heatmap_html
    from constraintlab.views.narrow_charts import narrow_heatmap_html

    labels = CONSTRAINT_LABELS | {"gpu_budget": "GPU budget"}
    x, y = "model_size_b", "dp_epsilon"
    for design in [*DESIGNS, replace(DESIGNS[0], model_size_b=30.0, dp_epsilon=0.5)]:
        fresh = feasibility_slice(design, x, y)
        chart = heatmap_html(fresh, x, y, labels) + narrow_heatmap_html(fresh, x, y)
        drawn = heatmap_figure(chart, fresh, x, y, labels)
        assert cached.cached_heatmap_html(design, x, y, labels) == drawn


def test_a_view_is_redrawn_only_when_its_words_change() -> None:
    from constraintlab.app.wiring import redraw_if_changed

    shown: list[str] = ["old words"]

    def set_(html: str) -> None:
        shown.append(html)

    assert redraw_if_changed(lambda: shown[-1], set_, "old words") is False
    assert shown == ["old words"]  # the setter (which re-runs the view's cell) was not called
    assert redraw_if_changed(lambda: shown[-1], set_, "new words") is True
    assert shown == ["old words", "new words"]
