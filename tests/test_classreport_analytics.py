"""The DuckDB analytics layer on a hand-built class whose every number was worked out by hand."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constraintlab.classreport.analytics import ClassDatabase, as_bool, as_number, as_text
from constraintlab.classreport.model import Attempt, DomainScore, StudentLedger, capstone_flags
from constraintlab.classreport.results import AttemptsBucket, ClassTotals, FunnelStage
from constraintlab.classreport.testdata import COURSE_DOMAINS, VOLUME1, VOLUME2

LABS = VOLUME1 + VOLUME2
ALL_MET = dict.fromkeys(capstone_flags(), True)


def _scores(**given: tuple[float | None, float | None]) -> list[DomainScore]:
    """Domain scores: the given ones, "no data" for the rest."""
    return [DomainScore(d, *given.get(d.split("/")[0], (None, None))) for d in COURSE_DOMAINS]


def _student(sid: str, entries: dict[str, dict], **kw: object) -> StudentLedger:
    return StudentLedger(sid, f"{sid}.json", "A", "file name", entries, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def db() -> ClassDatabase:
    ann = _student(
        "ann",
        {
            "5": {"constraint_hit": True, "act1_correct": True},
            "8": {"constraint_hit": False, "act1_correct": False},
            "v2_07": {"constraint_hit": True},
            "v2_17": {"constraints_all_met": True, **ALL_MET},
        },
        attempts=[
            Attempt("v2_17", 1, {"constraints_all_met": False}),
            Attempt("v2_17", 2, {"constraints_all_met": True}),
        ],
        domains=_scores(Memory=(0.5, 0.5), Reliability=(1.0, None)),
    )
    bob = _student(
        "bob",
        {
            "5": {"constraint_hit": True, "act1_correct": True, "act2_result": 12.5},
            "v2_17": {
                "constraints_all_met": False,
                "accuracy_met": False,
                "latency_met": True,
                "dp_met": False,
            },
        },
        attempts=[Attempt("v2_17", 1, {"constraints_all_met": False})],
        domains=_scores(Memory=(1.0, 1.0)),
    )
    cy = _student("cy", {}, domains=_scores())
    dee = _student(
        "dee",
        {"v2_17": {}, "v2_07": {"constraint_hit": False, "act1_correct": True}},
        domains=_scores(Reliability=(0.0, 1.0)),
    )
    return ClassDatabase.build([ann, bob, cy, dee], COURSE_DOMAINS, LABS)


def test_totals_and_approval_rate_leave_out_capstones_without_a_verdict(db: ClassDatabase) -> None:
    assert db.totals() == ClassTotals(students=4, capstones_saved=3, approved=1, not_approved=1)
    assert db.totals().approval_rate == 0.5


def test_domain_mean_and_population_spread_over_students_with_data(db: ClassDatabase) -> None:
    stats = {d.domain: d for d in db.domain_stats()}
    assert list(stats) == list(COURSE_DOMAINS)
    memory = stats["Memory"]
    assert (memory.students_with_data, memory.hit_rate_mean, memory.hit_rate_std) == (2, 0.75, 0.25)
    assert (memory.prediction_accuracy_mean, memory.prediction_accuracy_std) == (0.75, 0.25)
    reliability = stats["Reliability"]
    assert (reliability.students_with_data, reliability.hit_rate_mean) == (2, 0.5)
    assert reliability.hit_rate_std == 0.5
    # accuracy data only from dee: one student, so spread 0, not "no data"
    assert reliability.students_with_accuracy_data == 1
    assert (reliability.prediction_accuracy_mean, reliability.prediction_accuracy_std) == (1.0, 0.0)
    compute = stats["Compute"]
    assert compute.students_with_data == 0
    assert compute.hit_rate_mean is None and compute.hit_rate_std is None
    assert compute.prediction_accuracy_mean is None  # no data is None, never 50%


def test_student_rows(db: ClassDatabase) -> None:
    rows = {r.student_id: r for r in db.students()}
    assert list(rows) == ["ann", "bob", "cy", "dee"]
    got = {
        sid: (r.labs_done, r.constraint_hits, r.prediction_accuracy, r.capstone_approved)
        for sid, r in rows.items()
    }
    # Act I's totals leave out the capstone's own entry (v2_17)
    assert got == {
        "ann": (3, 2, 0.5, True),
        "bob": (1, 1, 1.0, False),
        "cy": (0, 0, None, None),
        "dee": (1, 0, 1.0, None),
    }


def test_funnel_failing_constraints_and_attempts(db: ClassDatabase) -> None:
    assert db.funnel() == [
        FunnelStage("Ledger read", 4),
        FunnelStage("Reached Volume II", 3),
        FunnelStage("Saved a capstone design", 3),
        FunnelStage("Capstone approved", 1),
    ]
    failing = {f.flag: (f.failing, f.unknown) for f in db.failing_constraints()}
    assert failing == {
        "accuracy_met": (1, 0),
        "latency_met": (0, 0),
        "dp_met": (1, 0),
        "adversarial_met": (0, 1),
        "carbon_met": (0, 1),
        "fault_tolerance_met": (0, 1),
    }
    assert db.attempts_to_approval() == [AttemptsBucket(attempts=2, students=1)]


def test_lab_completion_covers_every_lab_in_course_order(db: ClassDatabase) -> None:
    labs = db.lab_completion()
    assert [lab.chapter for lab in labs] == list(LABS)
    by_key = {lab.chapter: (lab.students_done, lab.completion_rate) for lab in labs}
    assert by_key["5"] == (2, 0.5)
    assert by_key["v2_17"] == (3, 0.75)
    assert by_key["1"] == (0, 0.0)


def test_completion_matrix_one_row_per_student_sorted_by_labs_saved(db: ClassDatabase) -> None:
    matrix = db.completion_matrix(max_rows=10)
    assert not matrix.binned
    assert matrix.row_labels == ["ann", "bob", "dee", "cy"]
    ann = dict(zip(matrix.chapters, matrix.values[0], strict=True))
    assert {c for c, v in ann.items() if v == 1.0} == {"5", "8", "v2_07", "v2_17"}


def test_completion_matrix_bins_a_large_class(db: ClassDatabase) -> None:
    matrix = db.completion_matrix(max_rows=2)
    assert matrix.binned and matrix.students == 4
    assert matrix.row_labels == ["#1–2 (4–2 labs)", "#3–4 (2–0 labs)"]
    col = {c: [row[i] for row in matrix.values] for i, c in enumerate(matrix.chapters)}
    assert col["5"] == [1.0, 0.0]
    assert col["v2_17"] == [1.0, 0.5]


def test_entries_parquet_round_trips(db: ClassDatabase, tmp_path: Path) -> None:
    path = tmp_path / "entries.parquet"
    db.write_entries_parquet(str(path))
    rows = duckdb.sql(
        f"SELECT student_id, chapter, volume, lab, act2_result, constraint_hit FROM '{path}'"
    ).fetchall()
    assert len(rows) == 8
    assert ("bob", "5", 1, 5, 12.5, True) in rows
    assert ("dee", "v2_07", 2, 7, None, False) in rows


def test_typed_views_of_untrusted_scalars() -> None:
    assert [as_bool(v) for v in (True, False, "true", 1, None)] == [True, False, None, None, None]
    assert [as_number(v) for v in (3, 2.5, True, "4", float("nan"))] == [3.0, 2.5, None, None, None]
    assert [as_text(v) for v in ("x", 3, True, None)] == ["x", "3", "true", None]


rates = st.one_of(st.none(), st.integers(0, 4).map(lambda n: n / 4))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(rates, rates), min_size=0, max_size=12))
def test_domain_mean_and_spread_match_python_statistics(
    scores: list[tuple[float | None, float | None]],
) -> None:
    students = [
        _student(f"s{i}", {}, domains=[DomainScore("Memory", hit, acc)])
        for i, (hit, acc) in enumerate(scores)
    ]
    (memory,) = ClassDatabase.build(students, {"Memory": ("5",)}, LABS).domain_stats()
    hits = [h for h, _ in scores if h is not None]
    accs = [a for _, a in scores if a is not None]
    assert memory.students_with_data == len(hits)
    assert memory.students_with_accuracy_data == len(accs)
    if hits:
        assert memory.hit_rate_mean == pytest.approx(statistics.fmean(hits))
        assert memory.hit_rate_std == pytest.approx(statistics.pstdev(hits), abs=1e-12)
    else:
        assert memory.hit_rate_mean is None and memory.hit_rate_std is None
    expected_acc = statistics.fmean(accs) if accs else None
    assert memory.prediction_accuracy_mean == (pytest.approx(expected_acc) if accs else None), (
        expected_acc
    )
    assert memory.hit_rate_mean is None or not math.isnan(memory.hit_rate_mean)
