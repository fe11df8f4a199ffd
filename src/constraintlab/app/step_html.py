"""The outputs a slider step redraws, sent to the page as a one-entry marimo mime bundle.

marimo's page keeps a table-of-contents outline per cell, and it rebuilds it from the cell's
output on every message about that cell (queued, running, its output, idle): it parses the
output's HTML with ``DOMParser`` and looks for headings. A slider step re-runs four cells whose
outputs hold about 25 KB of HTML, so a key press paid for some forty parses, about 12 ms of the
browser's main thread (chromium's profiler, ``parseFromString``), on top of drawing them.

The outline is built only for ``text/html`` and ``text/markdown`` outputs. An output of
marimo's own mime-bundle type holding one ``text/html`` entry is drawn by the same HTML renderer
as a ``text/html`` output, but is not parsed for an outline. These outputs hold no headings
(``tests/test_app_step_html.py`` checks it), so the outline loses nothing.
"""

from __future__ import annotations

import json
from typing import Any

import marimo as mo

MIME_BUNDLE = "application/vnd.marimo+mimebundle"


class StepHtml(mo.Html):
    """``mo.Html`` whose output is a mime bundle of its HTML (embeds in other HTML as usual)."""

    def _mime_(self) -> tuple[Any, str]:
        return MIME_BUNDLE, json.dumps({"text/html": self.text})
