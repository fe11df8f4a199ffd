"""Issue 25, finding 8: the class report says who is stuck.

A generated class (stuck, missing and damaged students among them) goes through the whole
report; students.csv must carry each capstone's progress and report.html must name the students
without an approved capstone, most attempts first, and those with no capstone at all.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import pytest

from constraintlab.classreport.build import build_class_report
from constraintlab.classreport.testdata import ClassAnswers, generate_class, help_asked_for

N_STUDENTS = 45


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, ClassAnswers]:
    root = tmp_path_factory.mktemp("class")
    answers = generate_class(root / "in", N_STUDENTS, seed=11)
    build_class_report([str(root / "in")], root / "out")
    return root / "in", root / "out", answers


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def _int(cell: str) -> int | None:
    return None if cell == "" else int(cell)


def _section(page: str, anchor: str) -> str:
    start = page.index(f"<section id='{anchor}'>")
    return page[start : page.index("</section>", start)]


def _first_cells(fragment: str) -> list[str]:
    """The first cell of every body row of the tables in ``fragment``, unescaped."""
    return [html.unescape(cell) for cell in re.findall(r"<tr><td>(.*?)</td>", fragment)]


def test_the_generated_class_has_stuck_missing_and_damaged_students(
    report: tuple[Path, Path, ClassAnswers],
) -> None:
    _, _, answers = report
    assert len(answers.stuck) >= 5 and len(answers.without_capstone) >= 5
    assert len({answers.capstones[sid].attempts for sid in answers.stuck}) >= 2  # an order
    assert any(kind == "malformed" for kind in answers.problems.values())
    assert any(c.hints_used is None for c in answers.capstones.values())  # an older lab
    assert any((c.hints_used or 0) > 0 for c in answers.capstones.values())


def test_students_csv_has_each_capstones_progress(report: tuple[Path, Path, ClassAnswers]) -> None:
    _, out, answers = report
    rows = _rows(out / "students.csv")
    assert set(rows) == set(answers.students)
    for sid in answers.students:
        row, expected = rows[sid], answers.capstones.get(sid)
        if expected is None:  # no capstone: 0 attempts, nothing else to say
            assert row["capstone_attempts"] == "0", sid
            assert row["hints_used"] == row["failing_in_last_attempt"] == "", sid
            continue
        assert int(row["capstone_attempts"]) == expected.attempts, sid
        assert _int(row["hints_used"]) == expected.hints_used, sid
        assert _int(row["reveals_used"]) == expected.reveals_used, sid
        assert (row["failing_in_last_attempt"] or None) == expected.failing_in_last_attempt, sid
        assert (row["last_attempt_at"] or None) == expected.last_attempt_at, sid


def test_report_names_who_needs_help_most_attempts_first(
    report: tuple[Path, Path, ClassAnswers],
) -> None:
    _, out, answers = report
    page = (out / "report.html").read_text(encoding="utf-8")
    help_section = _section(page, "help")
    stuck_part, none_part = help_section.split("<h3 id='help-none'>")
    assert _first_cells(stuck_part) == answers.stuck
    assert sorted(_first_cells(none_part)) == answers.without_capstone
    assert f"{len(answers.stuck)} students saved a capstone that is not approved" in stuck_part
    assert f"{len(answers.without_capstone)} students saved no capstone" in none_part
    approved = {sid for sid, s in answers.students.items() if s.capstone_approved}
    assert approved and not approved & set(_first_cells(help_section))


def test_damaged_files_are_named_in_the_report(report: tuple[Path, Path, ClassAnswers]) -> None:
    inputs, out, answers = report
    problems = _section((out / "report.html").read_text(encoding="utf-8"), "problems")
    for name in answers.problems:
        assert html.escape(str(inputs / name), quote=True) in problems, name


def test_help_counts_add_each_rise_and_restart_after_a_new_session() -> None:
    assert help_asked_for([1, 3, 3, 0, 2]) == 3 + 2
    assert help_asked_for([None, None]) is None
    assert help_asked_for([]) is None
