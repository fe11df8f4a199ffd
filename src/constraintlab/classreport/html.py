"""``report.html``: one self-contained page (plotly's JavaScript inlined once, no network).

Every string that came from a ledger or a file name is escaped with :func:`html.escape` here;
figure text is escaped in :mod:`constraintlab.classreport.charts`. The plotly bundle sits
between the markers :data:`PLOTLY_BEGIN` and :data:`PLOTLY_END`, so a test can check that the
rest of the page loads nothing from the network.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass

from constraintlab.classreport import charts
from constraintlab.classreport.model import Problem
from constraintlab.classreport.results import (
    AttemptsBucket,
    ClassTotals,
    CompletionMatrix,
    DomainStat,
    FailingConstraint,
    FunnelStage,
    LabCompletion,
    StudentRow,
)

PLOTLY_BEGIN = "<!-- plotly.js (inlined) -->"
PLOTLY_END = "<!-- /plotly.js -->"
MAX_PROBLEM_ROWS = 500
MAX_HELP_ROWS = 500
FIGURE_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1c2833;
     background:#f8f9f9}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{margin:0 0 4px 0;font-size:1.7rem} h2{margin:32px 0 8px 0;font-size:1.25rem}
.sub{color:#566573;margin:0 0 16px 0}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.card{background:#fff;border:1px solid #d5d8dc;border-radius:8px;padding:12px 16px}
.card .v{font-size:1.8rem;font-weight:700} .card .k{color:#566573;font-size:.9rem}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.panel{background:#fff;border:1px solid #d5d8dc;border-radius:8px;padding:8px;min-width:0}
table{border-collapse:collapse;background:#fff;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #e5e8e8;padding:4px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.path{font-family:ui-monospace,monospace;word-break:break-all}
.note{color:#566573;font-size:.9rem}
.warn{color:#a04000}
.tw{overflow-x:auto;max-width:100%}
@media (max-width:600px){main{padding:12px} .cards{grid-template-columns:repeat(2,1fr)}
  .grid2{grid-template-columns:1fr} th,td{padding:4px}}
"""


@dataclass(frozen=True)
class ReportPage:
    """Everything the page shows (all numbers already computed)."""

    totals: ClassTotals
    domains: Sequence[DomainStat]
    funnel: Sequence[FunnelStage]
    failing: Sequence[FailingConstraint]
    attempts: Sequence[AttemptsBucket]
    completion: CompletionMatrix
    labs: Sequence[LabCompletion]
    problems: Sequence[Problem]
    files_read: int
    files_skipped: int
    generated_at: str
    students: Sequence[StudentRow] = ()


def render_report(page: ReportPage) -> str:
    """The whole page as one string."""
    body = "\n".join(
        [
            _header(page),
            _section(
                "domains", "Design Ledger archaeology, class view", _domain_section(page.domains)
            ),
            _section("capstone", "The capstone", _capstone_section(page)),
            _section("help", "Who needs help", _help_section(page.students)),
            _section("completion", "Lab completion", _completion_section(page)),
            _section("problems", "Files that could not be used", _problems_section(page.problems)),
            _section("notes", "How the numbers are computed", _NOTES),
        ]
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Class report: The Constraints Never Lie</title><style>{_CSS}</style>\n"
        f"{PLOTLY_BEGIN}<script type='text/javascript'>{charts.plotly_js()}</script>{PLOTLY_END}\n"
        f"</head><body><main>\n{body}\n</main></body></html>\n"
    )


def _e(value: object) -> str:
    """Escape anything for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def _section(anchor: str, title: str, content: str) -> str:
    return f"<section id='{anchor}'><h2>{_e(title)}</h2>\n{content}\n</section>"


def _figure(name: str, fig: charts.Figure) -> str:
    """The figure's element and the script that draws it with plotly.js (inlined in the head).

    What plotly's ``to_html`` writes, without importing plotly's Python side (a quarter of a
    second): a sized div, and ``Plotly.newPlot`` with the figure, the chart template and
    :data:`FIGURE_CONFIG` as script-safe JSON (:func:`_script_json`).
    """
    element = f"figure-{name}"
    height_px = int(fig["layout"].get("height", 450))
    layout = {**fig["layout"], "template": charts.template_json()}
    arguments = ", ".join(
        [_script_json(element), *map(_script_json, (fig["data"], layout, FIGURE_CONFIG))]
    )
    return (
        f"<div class='panel'><div style='height:{height_px}px; width:100%;'>"
        f"<div id='{element}' class='plotly-graph-div' style='height:100%; width:100%;'></div>"
        f"<script>if (document.getElementById('{element}')) {{ Plotly.newPlot({arguments}); }}"
        "</script></div></div>"
    )


_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "/": "\\u002f", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _script_json(value: object) -> str:
    """JSON that is safe inside a ``<script>`` element: ``<``, ``>`` and ``/`` (and the two
    line separators JavaScript reads as line ends) as ``\\u`` escapes, so no string from a
    ledger can close the element or open a tag. A NaN is written as JavaScript's ``NaN``
    (plotly.js draws it as a gap)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)


def _pct(value: float | None) -> str:
    return "no data" if value is None else f"{100 * value:.0f}%"


def _header(page: ReportPage) -> str:
    t = page.totals
    skipped = (
        f"<span class='warn'>{page.files_skipped:,} skipped</span> (listed below and in"
        " problems.csv)"
        if page.files_skipped
        else "none skipped"
    )
    cards = [
        (f"{t.students:,}", "students"),
        (f"{t.capstones_saved:,}", "capstone designs saved"),
        (_pct(t.approval_rate), f"approved ({t.approved:,} of {t.approved + t.not_approved:,})"),
        (f"{page.files_skipped:,}", "files skipped"),
    ]
    card_html = "".join(
        f"<div class='card'><div class='v'>{_e(v)}</div><div class='k'>{_e(k)}</div></div>"
        for v, k in cards
    )
    return (
        "<h1>Class report: The Constraints Never Lie</h1>"
        f"<p class='sub'>Read {page.files_read:,} ledger files, {skipped}."
        f" Generated {_e(page.generated_at)}.</p><div class='cards'>{card_html}</div>"
    )


def _domain_section(domains: Sequence[DomainStat]) -> str:
    figures = (
        f"<div class='grid2'>{_figure('domain-hit-rate', charts.domain_hit_rate_figure(domains))}"
        f"{_figure('accuracy-radar', charts.accuracy_radar_figure(domains))}</div>"
    )
    head = (
        "<tr><th>domain</th><th class='n'>students with data</th><th class='n'>hit rate"
        "</th><th class='n'>spread (SD)</th><th class='n'>prediction accuracy</th>"
        "<th class='n'>spread (SD)</th></tr>"
    )
    rows = "".join(
        f"<tr><td>{_e(d.domain)}</td><td class='n'>{d.students_with_data:,}</td>"
        f"<td class='n'>{_pct(d.hit_rate_mean)}</td><td class='n'>{_pct(d.hit_rate_std)}</td>"
        f"<td class='n'>{_pct(d.prediction_accuracy_mean)}</td>"
        f"<td class='n'>{_pct(d.prediction_accuracy_std)}</td></tr>"
        for d in domains
    )
    return f"{figures}<div class='tw'><table>{head}{rows}</table></div>"


def _capstone_section(page: ReportPage) -> str:
    return (
        "<div class='grid2'>"
        f"{_figure('approval-funnel', charts.approval_funnel_figure(page.funnel))}"
        f"{_figure('failing-constraints', charts.failing_constraints_figure(page.failing))}</div>"
        f"<div class='grid2' style='margin-top:12px'>"
        f"{_figure('attempts', charts.attempts_figure(page.attempts))}"
        f"<div class='panel'>{_capstone_table(page)}</div></div>"
    )


def _capstone_table(page: ReportPage) -> str:
    """Capstone outcomes in numbers, and what "attempts" can and cannot tell."""
    t = page.totals
    approved_students = sum(b.students for b in page.attempts)
    first_try = sum(b.students for b in page.attempts if b.attempts == 1)
    rows = [
        ("students", f"{t.students:,}"),
        ("capstone designs saved", f"{t.capstones_saved:,}"),
        ("approved", f"{t.approved:,}"),
        ("not approved", f"{t.not_approved:,}"),
        (
            "saved with no verdict (left out of the rate)",
            f"{t.capstones_saved - t.approved - t.not_approved:,}",
        ),
        ("approval rate (approved / with a verdict)", _pct(t.approval_rate)),
        (
            "approved at the first recorded save",
            f"{first_try:,} of {approved_students:,}" if approved_students else "none approved",
        ),
    ]
    body = "".join(f"<tr><td>{_e(k)}</td><td class='n'>{_e(v)}</td></tr>" for k, v in rows)
    return (
        f"<h3 style='margin:8px'>Capstone outcomes</h3><div class='tw'><table>{body}</table></div>"
        "<p class='note' style='margin:8px'>Attempts count the capstone saves a ledger"
        " recorded, up to the first approved one. Layout B ledgers keep only the last save of"
        " each lab, so those students show as one attempt.</p>"
    )


def _help_section(students: Sequence[StudentRow]) -> str:
    """The students without an approved capstone: those who saved one, most attempts first,
    then those who saved none, most labs first (every name escaped)."""
    stuck = sorted(
        (s for s in students if s.needs_help and s.capstone_attempts > 0),
        key=lambda s: (-s.capstone_attempts, s.student_id),
    )
    never = sorted(
        (s for s in students if s.capstone_attempts == 0),
        key=lambda s: (-s.labs_done, s.student_id),
    )
    stuck_head = (
        "<tr><th>student</th><th class='n'>attempts</th><th class='n'>hints</th>"
        "<th class='n'>reveals</th><th>failing in the last attempt</th><th>last attempt</th></tr>"
    )
    stuck_rows = "".join(
        f"<tr><td>{_e(s.student_id)}</td><td class='n'>{s.capstone_attempts:,}</td>"
        f"<td class='n'>{_count(s.hints_used)}</td><td class='n'>{_count(s.reveals_used)}</td>"
        f"<td>{_e(s.failing_in_last_attempt or _NO_FAILING)}</td>"
        f"<td>{_e(s.last_attempt_at or 'not recorded')}</td></tr>"
        for s in stuck[:MAX_HELP_ROWS]
    )
    never_head = "<tr><th>student</th><th class='n'>labs done (of 32)</th><th>file</th></tr>"
    never_rows = "".join(
        f"<tr><td>{_e(s.student_id)}</td><td class='n'>{s.labs_done:,}</td>"
        f"<td class='path'>{_e(s.source_path)}</td></tr>"
        for s in never[:MAX_HELP_ROWS]
    )
    return (
        f"<h3 id='help-stuck'>{_students(len(stuck))} saved a capstone that is not approved</h3>"
        + (f"<div class='tw'><table>{stuck_head}{stuck_rows}</table></div>" if stuck else "")
        + _more(len(stuck))
        + f"<h3 id='help-none'>{_students(len(never))} saved no capstone</h3>"
        + (f"<div class='tw'><table>{never_head}{never_rows}</table></div>" if never else "")
        + _more(len(never))
        + "<p class='note'>Hints and reveals are the help the lab showed before each attempt"
        " (—: the lab that saved them did not count it); the last attempt's time is recorded"
        " in constraintlab's own export only. A student whose file could not be read is not"
        " here: see the files that could not be used below.</p>"
    )


_NO_FAILING = "none recorded as failing"


def _students(n: int) -> str:
    return "No student" if n == 0 else f"{n:,} student{'' if n == 1 else 's'}"


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _more(rows: int) -> str:
    if rows <= MAX_HELP_ROWS:
        return ""
    return f"<p class='note'>Showing {MAX_HELP_ROWS:,} of {rows:,}; students.csv has all.</p>"


def _completion_section(page: ReportPage) -> str:
    matrix = page.completion
    if matrix.binned:
        per_row = -(-matrix.students // max(len(matrix.row_labels), 1))
        note = (
            f"<p class='note'>{matrix.students:,} students are too many to show one row each:"
            f" they are sorted by labs saved (most first, then by id) and grouped into"
            f" {len(matrix.row_labels)} rows of about {per_row} students; a cell is the share of"
            " that row's students who saved the lab. Every student is in students.csv.</p>"
        )
    else:
        note = (
            "<p class='note'>One row per student, sorted by labs saved (most first), then by"
            " id.</p>"
        )
    return (
        _figure("lab-completion", charts.lab_completion_figure(page.labs))
        + note
        + _figure("completion-heatmap", charts.completion_heatmap_figure(matrix))
    )


def _problems_section(problems: Sequence[Problem]) -> str:
    if not problems:
        return "<p>Every input was read.</p>"
    shown = problems[:MAX_PROBLEM_ROWS]
    rows = "".join(
        f"<tr><td class='path'>{_e(p.path)}</td><td>{_e(p.kind)}</td><td>{_e(p.detail)}</td>"
        f"<td>{'skipped' if p.skipped else 'read, with this caveat'}</td></tr>"
        for p in shown
    )
    more = (
        f"<p class='note'>Showing {len(shown):,} of {len(problems):,}; problems.csv has all.</p>"
        if len(problems) > len(shown)
        else ""
    )
    return (
        "<div class='tw'><table><tr><th>input</th><th>problem</th><th>detail</th>"
        "<th>what happened</th></tr>"
        f"{rows}</table></div>{more}"
    )


_NOTES = """<ul class='note'>
<li>A student's hit rate in a domain is the share of that domain's labs in their ledger that
recorded <code>constraint_hit</code> as true/false; prediction accuracy likewise with
<code>act1_correct</code>. These are computed by Act I's own archaeology, so each student's
numbers are the ones Act I shows them. A student with no such labs has <em>no data</em> in
the domain (never a default): the class mean and spread are over the students who have data.</li>
<li>Spread is the population standard deviation across those students.</li>
<li>students.csv follows Act I's totals: labs done, constraint hits and prediction accuracy over
the 32 labs before the capstone; the capstone is its own column. The heat map shows all 33.</li>
<li>A capstone is approved when its saved <code>constraints_all_met</code> is true (or, if that
is missing, when every constraint flag it saved is true and none is missing).</li>
<li>Attempts count the capstone saves a ledger recorded (layout A history, or the attempts of
our export) up to the first approved one; layout B keeps only the last save (one attempt).</li>
<li>"Who needs help" and the capstone columns of students.csv (capstone_attempts, hints_used,
reveals_used, failing_in_last_attempt, last_attempt_at) read every capstone save. The lab counts
hints and reveals per session, so each save adds its rise over the save before it, or its whole
count after a drop (a new session began); layout B keeps only the last save, so its counts are
those of the last session. The last attempt's time is in constraintlab's own export only.</li>
<li>Duplicates: of files with identical content, the first in sorted path order is read. Of
different files naming the same student, the first in sorted path order is kept and the others
are listed as conflicts. Files marked as sample data are skipped.</li>
<li>The data behind this page: students.csv, domains.csv, entries.parquet, problems.csv.</li>
</ul>"""
