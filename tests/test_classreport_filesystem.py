"""class-report on folders as users have them (issue 24): unreadable inputs are listed and
counted, never a traceback; any writable --out works and a failure leaves it as it was.

Every command runs as a user for whom the permission bits bind (:mod:`unprivileged`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger_fixtures.builders import design, layout_b, write_json
from unprivileged import one_error_line, run_cli_unprivileged, tmpfs


@pytest.fixture
def classroom(tmp_path: Path) -> Iterator[Path]:
    """``class/`` with two readable students and ``class/locked/`` (``chmod 000``) with one."""
    folder = tmp_path / "class"
    (folder / "locked").mkdir(parents=True)
    for name in ("alice", "bob"):
        write_json(folder / f"{name}.json", layout_b({"1": design(1), "v2_17": design(17)}))
    write_json(folder / "locked" / "carol.json", layout_b({"1": design(1)}))
    (folder / "locked").chmod(0)
    yield folder
    (folder / "locked").chmod(0o700)


def _problems(out: Path) -> list[dict[str, str]]:
    with (out / "problems.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_an_unreadable_subfolder_is_listed_and_counted(tmp_path: Path, classroom: Path) -> None:
    """The folder ``class/locked`` cannot be listed: the report is written from the two
    readable files, problems.csv names the folder and why, and the summary counts it."""
    out = tmp_path / "out"
    result = run_cli_unprivileged("class-report", str(classroom), "--out", str(out), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Read 2 ledger files, skipped 1" in result.stdout
    rows = [r for r in _problems(out) if r["path"] == str(classroom / "locked")]
    assert len(rows) == 1 and rows[0]["problem"] == "unreadable"
    assert "permission denied" in rows[0]["detail"] and rows[0]["skipped"] == "true"


def test_a_file_named_inside_an_unreadable_folder_is_one_line(
    tmp_path: Path, classroom: Path
) -> None:
    """``class-report class/locked/carol.json``: exit 2, one line naming it (no traceback)."""
    named = classroom / "locked" / "carol.json"
    result = run_cli_unprivileged(
        "class-report", str(named), "--out", str(tmp_path / "out"), home=tmp_path
    )
    line = one_error_line(result)
    assert str(named) in line and "permission denied" in line
    assert not (tmp_path / "out").exists()


def test_a_named_file_in_an_unreadable_folder_beside_readable_ones_is_listed(
    tmp_path: Path, classroom: Path
) -> None:
    """Named with readable files: the report is written and the locked file is a problem."""
    named = classroom / "locked" / "carol.json"
    out = tmp_path / "out"
    args = ("class-report", str(classroom / "alice.json"), str(named), "--out", str(out))
    result = run_cli_unprivileged(*args, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "skipped 1" in result.stdout
    assert [r["problem"] for r in _problems(out) if r["path"] == str(named)] == ["unreadable"]


@pytest.fixture
def readable_class(tmp_path: Path) -> Path:
    """Two readable students."""
    folder = tmp_path / "readable"
    folder.mkdir()
    for name in ("alice", "bob"):
        write_json(folder / f"{name}.json", layout_b({"1": design(1)}))
    return folder


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Path]:
    """A folder on another file system than tmp_path: a small tmpfs mounted for the test (as
    root), else /dev/shm (a tmpfs of its own on Linux)."""
    import os
    import shutil
    import tempfile

    if os.geteuid() != 0:
        where = Path(tempfile.mkdtemp(dir="/dev/shm"))
        yield where
        shutil.rmtree(where)
        return
    with tmpfs(tmp_path / "usb", "32m") as where:
        yield where


def test_out_on_another_file_system_works(
    tmp_path: Path, readable_class: Path, mounted: Path
) -> None:
    """``--out`` is a mount point (a USB stick): was 'Invalid cross-device link'."""
    assert mounted.stat().st_dev != tmp_path.stat().st_dev
    args = ("class-report", str(readable_class), "--out", str(mounted))
    result = run_cli_unprivileged(*args, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in mounted.iterdir()) == sorted(
        ["report.html", "students.csv", "domains.csv", "entries.parquet", "problems.csv"]
    )


def test_a_writable_out_in_a_read_only_folder_works(tmp_path: Path, readable_class: Path) -> None:
    """``--out`` writable, its parent not (a shared folder): was 'Permission denied'."""
    parent = tmp_path / "shared"
    out = parent / "mine"
    out.mkdir(parents=True)
    (out / "notes.txt").write_text("mine")
    parent.chmod(0o555)
    try:
        args = ("class-report", str(readable_class), "--out", str(out))
        result = run_cli_unprivileged(*args, home=tmp_path)
    finally:
        parent.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert (out / "report.html").is_file() and (out / "notes.txt").read_text() == "mine"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left


def test_a_failed_report_leaves_out_as_it_was(tmp_path: Path, readable_class: Path) -> None:
    """A new ``--out`` in a folder that cannot take it: one line, nothing created (a guard:
    the staging moved into ``--out``, and a failure must still leave no folder behind)."""
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        args = ("class-report", str(readable_class), "--out", str(parent / "new" / "out"))
        line = one_error_line(run_cli_unprivileged(*args, home=tmp_path))
    finally:
        parent.chmod(0o755)
    assert "permission denied" in line.lower() and list(parent.iterdir()) == []


def test_ids_that_differ_only_by_blanks_are_different_students(tmp_path: Path) -> None:
    """'alice', '\\talice', '\\ralice', '  alice' and 'alice\\u00a0': five students, no conflict
    (they were merged into one and four files skipped as conflicts)."""
    from constraintlab.classreport.build import build_class_report

    ids = ["alice", "\talice", "\ralice", "  alice", "alice\u00a0"]
    folder = tmp_path / "class"
    folder.mkdir()
    for n, student in enumerate(ids):
        write_json(folder / f"s{n}.json", {**layout_b({"1": design(n)}), "student_id": student})
    outcome = build_class_report([str(folder)], tmp_path / "out", workers=1)
    assert outcome.files_read == 5 and outcome.files_skipped == 0
    with (tmp_path / "out" / "students.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len({r["source_path"] for r in rows}) == 5
    assert not [p for p in outcome.problems if p.kind == "student id conflict"]
