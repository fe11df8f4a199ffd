"""The assumptions panel: every scenario constant with its value, unit and source (escaped)."""

from __future__ import annotations

from constraintlab.model import scenario as sc
from constraintlab.views.html import esc


def _value(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"


def _span(item: sc.Constant) -> str:
    """The published (or defended) range, its sources, and whether the value was edited."""
    if item.range is None:
        return ""
    ends = " to ".join(_value(end) for end in item.range)
    return f"{ends} ({item.range_source})"


def assumptions_panel_html() -> str:
    """A table of the loaded scenario's constants, grouped by section of the scenario file."""
    path = sc.SCENARIO_PATH
    origin = f"scenario file {esc(path)}" if path else "the shipped scenario file"
    rows = []
    section = ""
    for item in sc.CONSTANTS:
        group = item.key.rpartition(".")[0]
        if group != section:
            section = group
            rows.append(f'<tr><th colspan="5">{esc(group)}</th></tr>')
        rows.append(
            "<tr>"
            f"<td><code>{esc(item.key.rpartition('.')[2])}</code></td>"
            f"<td>{esc(_value(item.value))}</td>"
            f"<td>{esc(item.unit)}</td>"
            f"<td>{esc(item.source)}</td>"
            f"<td>{esc(_span(item))}</td>"
            "</tr>"
        )
    return (
        '<details class="assumptions"><summary>Assumptions: every constant of the model'
        f" ({len(sc.CONSTANTS)}, from {origin})</summary>"
        "<table><thead><tr><th>constant</th><th>value</th><th>unit</th><th>source</th>"
        "<th>published range</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></details>"
    )
