"""The outputs a slider step redraws go to the page as a one-entry mime bundle of their HTML
(``constraintlab.app.step_html``): drawn as HTML, embeddable as HTML, and without headings,
so marimo's outline (built only from text/html outputs) misses nothing."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import marimo as mo
from marimo._output.formatting import try_format

from constraintlab import Design
from constraintlab.app.step_html import MIME_BUNDLE, StepHtml
from test_app_headless import both_predictions, designed

if TYPE_CHECKING:
    from conftest import LabEnv


def test_a_step_output_is_a_bundle_of_its_html_and_embeds_as_html() -> None:
    html = '<div id="x" title="a &amp; &quot;b&quot;">\u00e9 </script></div>'
    formatted = try_format(StepHtml(html))
    assert formatted.mimetype == MIME_BUNDLE
    assert json.loads(formatted.data) == {"text/html": html}
    assert mo.as_html(StepHtml(html)).text == html
    assert html in mo.vstack([StepHtml(html), mo.md("after")]).text


def test_the_four_cells_a_step_reruns_send_bundles_without_headings(lab_env: LabEnv) -> None:
    from constraintlab.app.lab import app

    for design in (Design(), Design(model_size_b=60, dp_epsilon=0.5, parallelism="3d")):
        outputs, _ = app.run(defs={**both_predictions(), **designed(design)})
        steps = [o for o in outputs if isinstance(o, StepHtml)]
        ids = ["arch-status", "card-accuracy", "heatmap", "hud"]  # in page order
        assert len(steps) == len(ids)
        for step, element in zip(steps, ids, strict=True):
            assert f'id="{element}"' in step.text
            assert not re.search(r"<h[1-6][\s>]", step.text), "a heading the outline misses"
