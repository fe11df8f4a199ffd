"""The class report against hostile and ordinary mistakes (issue 13, findings 3, 5, 7, 11, 13).

3: ids or file names starting with ``=``, ``+``, ``-``, ``@``, tab or CR went raw into the
CSVs (a leading space was stripped, so ``" =1+1"`` became ``=1+1``), and an id holding ``\\r``
was written unquoted, breaking the file for Python's csv and DuckDB's read_csv.
5: ``class-report 'd/**/*.json'`` hung on a symbolic-link loop.
7: an output name that was a folder (``students.csv/``) gave a traceback after some outputs
had already been replaced; report.html was not written.
11: inputs of which none was readable gave exit 0 and an empty report; two students whose
files were byte-identical (two empty ledgers) became one.
13: problem kinds were told apart by the wording of LedgerError.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cli_runner import run_cli
from constraintlab.classreport.build import OUTPUT_FILES, ClassReportError, build_class_report
from constraintlab.classreport.load import _problem_kind
from constraintlab.classreport.model import ProblemKind
from constraintlab.classreport.outputs import csv_text
from constraintlab.classreport.testdata import generate_class
from constraintlab.ledger.errors import LedgerError, LedgerErrorKind

HOSTILE_IDS = ["=1+1", " =2+2", "+cmd", "-2+3", "@SUM(A1)", "a\rb", 'q"uote, c']
HOSTILE_STEMS = ["\ttab", "\rcr"]  # ids from file names keep their leading tab or CR


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write_class(folder: Path, ids: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n, student_id in enumerate(ids):
        document = {"student_id": student_id, "history": {"5": {"constraint_hit": n % 2 == 0}}}
        (folder / f"s{n:02d}.json").write_text(json.dumps(document), encoding="utf-8")
    for stem in HOSTILE_STEMS:
        (folder / f"{stem}.json").write_text('{"history": {"3": {}}}', encoding="utf-8")


# --- finding 3: CSV injection -----------------------------------------------------------------
def test_csv_cells_a_spreadsheet_would_evaluate_are_neutralised(tmp_path: Path) -> None:
    _write_class(tmp_path / "in", HOSTILE_IDS)
    (tmp_path / "in" / "=HYPERLINK(1).json").write_text("{broken", encoding="utf-8")
    build_class_report([str(tmp_path / "in")], tmp_path / "out")
    students = _rows(tmp_path / "out" / "students.csv")
    assert len(students) == len(HOSTILE_IDS) + len(HOSTILE_STEMS)  # CR kept inside quotes
    for row in students:
        first = row["student_id"].lstrip(" ")[:1]
        assert first not in ("=", "+", "-", "@", "\t", "\r"), row["student_id"]
    shown = {row["student_id"] for row in students}
    # an id is kept as written (its leading space too), then neutralised
    assert {"'=1+1", "' =2+2", "'+cmd", "'-2+3", "'@SUM(A1)", "'\ttab", "'\rcr"} <= shown
    assert "a\rb" in shown and 'q"uote, c' in shown  # harmless ids are untouched
    problems = _rows(tmp_path / "out" / "problems.csv")
    assert all(not row["path"].startswith("=") for row in problems)


def test_every_csv_reads_back_the_same_in_duckdb_and_python(tmp_path: Path) -> None:
    _write_class(tmp_path / "in", HOSTILE_IDS)
    build_class_report([str(tmp_path / "in")], tmp_path / "out")
    for name in ("students.csv", "domains.csv", "problems.csv"):
        path = tmp_path / "out" / name
        in_python = _rows(path)
        table = duckdb.sql(f"SELECT * FROM read_csv('{path}', all_varchar = true, header = true)")
        assert len(table.fetchall()) == len(in_python), name


def test_entries_parquet_keeps_the_raw_ids(tmp_path: Path) -> None:
    _write_class(tmp_path / "in", HOSTILE_IDS)
    build_class_report([str(tmp_path / "in")], tmp_path / "out")
    parquet = tmp_path / "out" / "entries.parquet"
    ids = {row[0] for row in duckdb.sql(f"SELECT student_id FROM '{parquet}'").fetchall()}
    assert "=1+1" in ids and "@SUM(A1)" in ids


def test_csv_text_quotes_cr_lf_quotes_commas_and_edge_spaces() -> None:
    text = csv_text(["a", "b"], [["x\ry", " pad"], ['q"', "1,2"]])
    assert text == 'a,b\n"x\ry"," pad"\n"q""","1,2"\n'
    assert list(csv.reader(text.splitlines(keepends=True))) == [
        ["a", "b"],
        ["x\ry", " pad"],
        ['q"', "1,2"],
    ]


# --- finding 5: link loops --------------------------------------------------------------------
def test_a_glob_over_a_symlink_loop_finishes(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    (folder / "sub").mkdir(parents=True)
    for student in ("alice", "bob"):
        (folder / "sub" / f"{student}.json").write_text('{"history": {"5": {}}}')
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "sub" / "deeper").mkdir()
    (folder / "sub" / "deeper" / "carol.json").write_text('{"history": {"5": {}}}')
    command = [
        sys.executable,
        "-c",
        "from constraintlab.cli.main import main; main()",
        "class-report",
        str(folder / "**" / "*.json"),
        "--out",
        str(tmp_path / "out"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Read 3 ledger files" in done.stdout
    ids = sorted(r["student_id"] for r in _rows(tmp_path / "out" / "students.csv"))
    assert ids == ["alice", "bob", "carol"]


# --- finding 7: outputs staged, --out untouched on failure ------------------------------------
def test_an_output_name_that_is_a_folder_leaves_out_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate_class(tmp_path / "in", 3, seed=4, bad_files=False)
    out = tmp_path / "out"
    out.mkdir()
    (out / "students.csv").mkdir()
    (out / "domains.csv").write_text("old domains\n")
    (out / "report.html").write_text("old report\n")
    code, stdout, err = run_cli(capsys, "class-report", str(tmp_path / "in"), "--out", str(out))
    assert code == 2 and stdout == "" and err.count("\n") == 1
    assert err.startswith("error: --out") and "students.csv" in err and "Traceback" not in err
    assert (out / "domains.csv").read_text() == "old domains\n"
    assert (out / "report.html").read_text() == "old report\n"
    assert sorted(p.name for p in out.iterdir()) == ["domains.csv", "report.html", "students.csv"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.report-")]


def test_a_failure_while_writing_leaves_out_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from constraintlab.classreport import outputs

    generate_class(tmp_path / "in", 3, seed=4, bad_files=False)
    out = tmp_path / "out"
    build_class_report([str(tmp_path / "in")], out)
    before = {name: (out / name).read_bytes() for name in OUTPUT_FILES}

    def fail(path: Path, problems: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "write_problems_csv", fail)
    (tmp_path / "in" / "new.json").write_text('{"history": {"7": {}}}')
    with pytest.raises(ClassReportError, match=r"disk is full.*left as it was"):
        build_class_report([str(tmp_path / "in")], out)
    assert {name: (out / name).read_bytes() for name in OUTPUT_FILES} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_a_new_out_folder_appears_whole(tmp_path: Path) -> None:
    generate_class(tmp_path / "in", 2, seed=5, bad_files=False)
    build_class_report([str(tmp_path / "in")], tmp_path / "new" / "out")
    assert sorted(p.name for p in (tmp_path / "new" / "out").iterdir()) == sorted(OUTPUT_FILES)
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["out"]


# --- finding 11: nothing readable; distinct ids ----------------------------------------------
def test_nothing_readable_is_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.json").write_text("{nope")
    (tmp_path / "in" / "b.json").write_text("[]")
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "class-report", str(tmp_path / "in"), "--out", str(out))
    assert code == 2 and stdout == ""
    assert (
        err.startswith("error: none of the 2 ledger files could be read") and "2 malformed" in err
    )
    assert err.count("\n") == 1 and not out.exists()


def test_byte_identical_files_of_different_students_are_two_students(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for student in ("alice", "bob"):
        (tmp_path / "in" / f"{student}.json").write_text('{"history": {}}')
    (tmp_path / "in" / "again").mkdir()
    (tmp_path / "in" / "again" / "alice.json").write_text('{"history": {}}')
    outcome = build_class_report([str(tmp_path / "in")], tmp_path / "out")
    ids = [r["student_id"] for r in _rows(tmp_path / "out" / "students.csv")]
    assert sorted(ids) == ["alice", "bob"]
    kinds = [(p.path, p.kind) for p in outcome.problems]
    assert kinds == [(str(tmp_path / "in" / "alice.json"), ProblemKind.DUPLICATE)]  # sorted 2nd


# --- finding 13: kinds, not wording -----------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (LedgerErrorKind.TOO_LARGE, ProblemKind.OVERSIZED),
        (LedgerErrorKind.UNREADABLE, ProblemKind.UNREADABLE),
        (LedgerErrorKind.INVALID, ProblemKind.MALFORMED),
    ],
)
def test_problem_kinds_come_from_the_error_kind_not_its_wording(
    kind: LedgerErrorKind, expected: str
) -> None:
    for wording in ("cannot read it", "too large", "the file is too large", "any new wording"):
        assert _problem_kind(LedgerError(Path("x.json"), wording, kind)) == expected


def test_real_parser_errors_carry_their_kind(tmp_path: Path) -> None:
    from constraintlab.ledger.formats import MAX_FILE_BYTES, read_ledger_file

    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    (tmp_path / "bad.json").write_text("{")
    for path, kind in (
        (big, LedgerErrorKind.TOO_LARGE),
        (fifo, LedgerErrorKind.UNREADABLE),
        (tmp_path, LedgerErrorKind.UNREADABLE),
        (tmp_path / "missing.json", LedgerErrorKind.UNREADABLE),
        (tmp_path / "bad.json", LedgerErrorKind.INVALID),
    ):
        with pytest.raises(LedgerError) as error:
            read_ledger_file(path)
        assert error.value.kind is kind, path
