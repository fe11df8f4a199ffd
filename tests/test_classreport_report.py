"""class-report end to end: a generated class with known answers, bad files and XSS ids."""

from __future__ import annotations

import csv
import json
import re
import statistics
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constraintlab.classreport import charts
from constraintlab.classreport.analytics import ChunkBatches, ClassDatabase
from constraintlab.classreport.build import ClassReportError, build_class_report
from constraintlab.classreport.charts import plot_label
from constraintlab.classreport.html import PLOTLY_BEGIN, PLOTLY_END
from constraintlab.classreport.inputs import expand_inputs
from constraintlab.classreport.load import DOMAIN_LABS, LAB_KEYS, load_class, read_student
from constraintlab.classreport.model import Problem, StudentLedger
from constraintlab.classreport.parallel import read_chunks
from constraintlab.classreport.testdata import (
    COURSE_DOMAINS,
    XSS_BAD_FILE,
    XSS_IDS,
    XSS_NAMED_ID,
    ClassAnswers,
    generate_class,
)
from constraintlab.ledger import archaeology
from constraintlab.ledger.formats import read_ledger_file

N_STUDENTS = 60
OVERSIZE_BYTES = 64 * 1024 * 1024  # replaced below by the parser's limit + 1 when it has one


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _num(cell: str) -> float | None:
    return None if cell == "" else float(cell)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, ClassAnswers]:
    root = tmp_path_factory.mktemp("class")
    answers = generate_class(
        root / "in", N_STUDENTS, seed=7, skip_chapters=("v2_07",), oversize_bytes=_oversize()
    )
    build_class_report([str(root / "in")], root / "out")
    return root / "in", root / "out", answers


def _oversize() -> int:
    """One byte over the parser's size limit (whatever it is named), else 64 MiB."""
    from constraintlab.ledger import formats

    for name in dir(formats):
        if "MAX" in name and "BYTES" in name and isinstance(getattr(formats, name), int):
            return int(getattr(formats, name)) + 1
    return OVERSIZE_BYTES


def test_students_csv_matches_the_known_answers(report: tuple[Path, Path, ClassAnswers]) -> None:
    _, out, answers = report
    rows = {r["student_id"]: r for r in _rows(out / "students.csv")}
    assert set(rows) == set(answers.students)
    for sid, expected in answers.students.items():
        row = rows[sid]
        assert int(row["labs_done"]) == expected.labs_done, sid
        assert int(row["constraint_hits"]) == expected.constraint_hits, sid
        assert _num(row["prediction_accuracy"]) == pytest.approx(expected.prediction_accuracy)
        approved = {"true": True, "false": False, "": None}[row["capstone_approved"]]
        assert approved == expected.capstone_approved, sid


def test_domains_csv_matches_the_known_answers(report: tuple[Path, Path, ClassAnswers]) -> None:
    _, out, answers = report
    rows = _rows(out / "domains.csv")
    assert [r["domain"] for r in rows] == list(COURSE_DOMAINS)
    for row in rows:
        expected = answers.domains[row["domain"]]
        assert int(row["students_with_data"]) == expected.students_with_data
        assert _num(row["hit_rate_mean"]) == pytest.approx(expected.hit_rate_mean)
        assert _num(row["hit_rate_std"]) == pytest.approx(expected.hit_rate_std)
        assert _num(row["prediction_accuracy_mean"]) == pytest.approx(
            expected.prediction_accuracy_mean
        )
    reliability = next(r for r in rows if r["domain"] == "Reliability")
    assert reliability["students_with_data"] == "0"  # nobody saved v2_07: no data, not 0% / 50%
    assert reliability["hit_rate_mean"] == reliability["prediction_accuracy_mean"] == ""


def test_domain_rates_are_act_ones_own(report: tuple[Path, Path, ClassAnswers]) -> None:
    """domains.csv from the report == the archaeology applied to each kept file, aggregated."""
    _, out, _ = report
    kept = [Path(r["source_path"]) for r in _rows(out / "students.csv")]
    per_student = [archaeology.domain_stats(dict(read_ledger_file(p).entries)) for p in kept]
    rows = {r["domain"]: r for r in _rows(out / "domains.csv")}
    for domain in COURSE_DOMAINS:
        hits = [rate for s in per_student if (rate := s[domain].hit_rate) is not None]
        assert int(rows[domain]["students_with_data"]) == len(hits)
        if hits:
            assert _num(rows[domain]["hit_rate_mean"]) == pytest.approx(statistics.fmean(hits))
            assert _num(rows[domain]["hit_rate_std"]) == pytest.approx(statistics.pstdev(hits))
    assert set(archaeology.DOMAIN_CHAPTERS) == set(COURSE_DOMAINS)
    assert {d: tuple(c) for d, c in archaeology.DOMAIN_CHAPTERS.items()} == dict(COURSE_DOMAINS)


def test_student_totals_are_act_ones_own(report: tuple[Path, Path, ClassAnswers]) -> None:
    """students.csv (SQL) == archaeology.totals / prediction_accuracy of each kept file."""
    _, out, _ = report
    for row in _rows(out / "students.csv"):
        entries = dict(read_ledger_file(row["source_path"]).entries)
        totals = archaeology.totals(entries)
        accuracy = archaeology.prediction_accuracy(entries).overall.share
        assert int(row["labs_done"]) == totals.labs_done
        assert int(row["constraint_hits"]) == totals.constraint_hits
        assert _num(row["prediction_accuracy"]) == pytest.approx(accuracy)


def test_ids_named_in_the_file_win_over_the_file_name(
    report: tuple[Path, Path, ClassAnswers],
) -> None:
    _, out, _ = report
    rows = {r["student_id"]: r for r in _rows(out / "students.csv")}
    assert XSS_NAMED_ID in rows
    assert Path(rows[XSS_NAMED_ID]["source_path"]).stem.startswith("export_")
    assert not any(sid.startswith("export_") for sid in rows)
    layouts = {r["layout"] for r in rows.values()}
    assert {"course layout A", "course layout B", "constraintlab export"} <= layouts


def test_problems_csv_lists_every_bad_file_with_its_reason(
    report: tuple[Path, Path, ClassAnswers],
) -> None:
    inputs, out, answers = report
    rows = _rows(out / "problems.csv")
    got = {str(Path(r["path"]).relative_to(inputs)): (r["problem"], r["skipped"]) for r in rows}
    expected = {name: (kind, "true") for name, kind in answers.problems.items()}
    expected |= {name: (kind, "false") for name, kind in answers.caveats.items()}
    assert got == expected
    assert all(r["detail"] for r in rows)


def test_entries_parquet_holds_every_kept_entry(report: tuple[Path, Path, ClassAnswers]) -> None:
    _, out, answers = report
    ((count, students),) = duckdb.sql(
        f"SELECT count(*), count(DISTINCT student_id) FROM '{out / 'entries.parquet'}'"
    ).fetchall()
    assert count == sum(s.labs_saved for s in answers.students.values())
    assert students == sum(s.labs_saved > 0 for s in answers.students.values())


def test_html_escapes_student_strings(report: tuple[Path, Path, ClassAnswers]) -> None:
    _, out, _ = report
    page = (out / "report.html").read_text(encoding="utf-8")
    for raw in (*XSS_IDS, XSS_NAMED_ID, XSS_BAD_FILE, "<img src", "<svg onload", "<b onmouse"):
        assert raw not in page
    assert "<script>alert" not in page and "onerror=alert(1)>" not in page
    # the strings are shown, escaped: in the heat map (plotly draws &lt; as <) ...
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert(5)&lt;" in page  # plotly writes the "/" as \\u002f
    assert "'&gt;&lt;svg onload=alert(2)&gt;" in page
    # ... and in the problems table (a file name of a malformed file)
    assert "&lt;b onmouseover=alert(3)&gt;broken.json" in page


def test_plot_labels_are_escaped_and_shortened() -> None:
    assert plot_label("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert plot_label("a&b") == "a&amp;b"
    assert plot_label("x" * 100) == "x" * 31 + "…"


def test_html_is_self_contained(report: tuple[Path, Path, ClassAnswers]) -> None:
    _, out, _ = report
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count(PLOTLY_BEGIN) == 1 and page.count(PLOTLY_END) == 1
    head, rest = page.split(PLOTLY_BEGIN)
    bundle, tail = rest.split(PLOTLY_END)
    assert "Plotly" in bundle and len(bundle) > 1_000_000  # the library itself, inlined
    outside = head + tail
    assert not re.search(r"<script[^>]*\bsrc=", outside)
    assert not re.search(r"<link\b", outside)
    assert "http://" not in outside and "https://" not in outside
    assert "cdn" not in outside.lower()
    assert outside.count("Plotly.newPlot") == 7


def test_html_says_how_many_files_were_read_and_skipped(
    report: tuple[Path, Path, ClassAnswers],
) -> None:
    _, out, answers = report
    page = (out / "report.html").read_text(encoding="utf-8")
    read = len(answers.students)
    assert f"Read {read:,} ledger files, <span class='warn'>{len(answers.problems)} skipped" in page


def test_a_class_of_only_bad_files_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.json").write_text("{nope")
    with pytest.raises(ClassReportError, match=r"none of the 1 ledger file could be read.*1 mal"):
        build_class_report([str(tmp_path / "in")], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_default_file_names_take_the_folder_as_student_id(tmp_path: Path) -> None:
    for student in ("alice", "bob"):
        (tmp_path / student).mkdir()
        (tmp_path / student / "ledger.json").write_text(
            f'{{"history": {{"5": {{"constraint_hit": {str(student == "bob").lower()}}}}}}}'
        )
    build_class_report([str(tmp_path)], tmp_path / "out")
    rows = _rows(tmp_path / "out" / "students.csv")
    assert [(r["student_id"], r["constraint_hits"]) for r in rows] == [("alice", "0"), ("bob", "1")]


def test_a_large_class_is_binned_in_the_heat_map(tmp_path: Path) -> None:
    generate_class(tmp_path / "in", 30, seed=3, bad_files=False)
    build_class_report([str(tmp_path / "in")], tmp_path / "out", heatmap_rows=10)
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "grouped into 10 rows of about 3 students" in page
    completion = page[page.index("<section id='completion'>") :]
    completion = completion[: completion.index("</section>")]
    assert "student_00001" not in completion  # no individual rows when binned


def test_progress_is_reported_for_every_file(tmp_path: Path) -> None:
    generate_class(tmp_path / "in", 5, seed=1, bad_files=False)
    calls: list[tuple[str, int, int]] = []
    build_class_report(
        [str(tmp_path / "in")], tmp_path / "out", on_progress=lambda *c: calls.append(c)
    )
    reading = [c for c in calls if c[0] == "reading ledgers"]
    assert reading == [("reading ledgers", n, 5) for n in range(1, 6)]
    assert calls[-1] == ("writing report", 1, 1)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(
                        [
                            "history",
                            "format",
                            "5",
                            "v2_17",
                            "chapter",
                            "design",
                            "entries",
                            "student_id",
                        ]
                    ),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=12,
        ).map(lambda doc: __import__("json").dumps(doc).encode()),
    )
)
def test_any_file_content_is_a_student_or_a_problem_never_an_exception(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(content)
    result = read_student(path)
    assert isinstance(result, StudentLedger | Problem)
    if isinstance(result, Problem):
        assert result.skipped and result.detail.startswith(str(path))


def test_non_boolean_flags_count_as_no_data_exactly_as_act_one(tmp_path: Path) -> None:
    designs = {"5": {"constraint_hit": "yes"}, "8": {"constraint_hit": 1}, "10": {}}
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "odd.json").write_text(__import__("json").dumps({"history": designs}))
    build_class_report([str(tmp_path / "in")], tmp_path / "out")
    memory = next(r for r in _rows(tmp_path / "out" / "domains.csv") if r["domain"] == "Memory")
    assert archaeology.domain_stats(designs)["Memory"].hit_rate is None
    assert (memory["students_with_data"], memory["hit_rate_mean"]) == ("0", "")
    (student,) = _rows(tmp_path / "out" / "students.csv")
    assert (student["labs_done"], student["constraint_hits"]) == ("3", "0")


@pytest.mark.parametrize("n_students", [1, 2, 3, 5])
def test_tiny_generated_classes_report_their_known_answers(tmp_path: Path, n_students: int) -> None:
    answers = generate_class(tmp_path / "in", n_students, seed=n_students)
    outcome = build_class_report([str(tmp_path / "in")], tmp_path / "out")
    assert outcome.files_read == len(answers.students)
    assert outcome.files_skipped == len(answers.problems)
    ids = {r["student_id"] for r in _rows(tmp_path / "out" / "students.csv")}
    assert ids == set(answers.students)


@pytest.mark.parametrize("max_rows", [10, 2000])  # the heat map binned and one row a student
def test_every_chart_is_a_valid_plotly_figure(
    report: tuple[Path, Path, ClassAnswers], max_rows: int
) -> None:
    """The charts are plain JSON (no validation while the report runs); plotly's own schema
    checks them here: a misspelt or misplaced property raises."""
    folder, _, _ = report
    db = ClassDatabase.create(DOMAIN_LABS, LAB_KEYS)
    batches = ChunkBatches(db)
    load_class(read_chunks(expand_inputs([str(folder)]).files, workers=1), batches)
    batches.flush()
    db.derive_student_domains()
    figures = [
        charts.domain_hit_rate_figure(db.domain_stats()),
        charts.accuracy_radar_figure(db.domain_stats()),
        charts.approval_funnel_figure(db.funnel()),
        charts.failing_constraints_figure(db.failing_constraints()),
        charts.attempts_figure(db.attempts_to_approval()),
        charts.lab_completion_figure(db.lab_completion()),
        charts.completion_heatmap_figure(db.completion_matrix(max_rows)),
    ]
    for spec in figures:
        checked = go.Figure(spec).to_dict()  # raises ValueError on anything plotly rejects
        assert len(checked["data"]) == len(spec["data"])
        assert set(spec["layout"]) <= set(checked["layout"])


def test_the_template_and_bundle_are_plotlys_own() -> None:
    """The page reads plotly_white and plotly.js from plotly's package data, where plotly's
    template registry and get_plotlyjs read them; an upgrade that moves them fails here."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    assert charts.template_json() == pio.templates[charts.TEMPLATE].to_plotly_json()
    assert charts.plotly_js() == get_plotlyjs()


def test_figure_json_cannot_close_the_script_element() -> None:
    """Student text reaches the figures' JSON (heat-map rows): written for a <script>
    element, ``</script>`` and ``<!--`` cannot appear in it, and it reads back unchanged."""
    from constraintlab.classreport.html import _script_json

    text = "</script><script>alert(1)</script><!-- \u2028 é"
    written = _script_json({"y": [text]})
    assert "<" not in written and ">" not in written and "/" not in written
    assert json.loads(written) == {"y": [text]}
