"""Issue 25, finding 9: collect_exports.sh collects every student and names every one it skips.

A homes folder with students of every kind: two with the lab's store, one who did the
course's labs but never opened the capstone (course files, no store), one whose store is
damaged, one whose course file is damaged, and a home with no ledger at all (not a student).
The script runs with root's override rights dropped (a permission problem must show as it
would for a real user).
"""

from __future__ import annotations

import csv
import html
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from constraintlab.ledger import open_ledger
from constraintlab.ledger.paths import STORE_NAME

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "jupyterhub"
NO_OVERRIDES = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner")


def _cli() -> str:
    script = Path(sys.executable).with_name("constraintlab")
    assert script.exists(), "the package's console script (make .venv/.installed)"
    return str(script)


def _store(home: Path) -> None:
    with open_ledger(home / ".mlsys" / STORE_NAME) as ledger:
        ledger.save("5", {"constraint_hit": True, "act1_correct": True})


def _course_file(home: Path) -> None:
    """Layout A of volume 1: every lab of the volume, no capstone (the lab never opened)."""
    history = [{"chapter": n, "design": {"constraint_hit": n % 2 == 0}} for n in range(1, 17)]
    folder = home / ".mlsys"
    folder.mkdir(parents=True)
    (folder / "ledger_vol1.json").write_text(json.dumps({"track": None, "history": history}))


def _homes(root: Path) -> Path:
    homes = root / "home"
    for name in ("alice", "bob"):
        _store(homes / name)
    _course_file(homes / "dave")
    (homes / "carol" / ".mlsys").mkdir(parents=True)
    (homes / "carol" / ".mlsys" / STORE_NAME).write_text("not a ledger")
    (homes / "frank" / ".mlsys").mkdir(parents=True)
    (homes / "frank" / ".mlsys" / "ledger.json").write_text('{"history": [ broken')
    (homes / "erin" / "notes").mkdir(parents=True)  # a home, but no ledger: not a student
    return homes


def _run(homes: Path, out: Path) -> subprocess.CompletedProcess[str]:
    command = ["bash", str(DEPLOY / "collect_exports.sh"), str(out), str(homes)]
    if os.geteuid() == 0:
        assert shutil.which("setpriv"), "setpriv (util-linux) drops root's override rights"
        command = [*NO_OVERRIDES, *command]
    return subprocess.run(
        command,
        env={**os.environ, "CONSTRAINTLAB": _cli()},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def collected(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("hub")
    out = root / "class"
    return out, _run(_homes(root), out)


def test_every_home_with_a_store_or_a_course_file_is_collected(
    collected: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, done = collected
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.glob("*.json")) == ["alice.json", "bob.json", "dave.json"]
    with (out / "report" / "students.csv").open(newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"alice", "bob", "dave"}
    assert rows["dave"]["labs_done"] == "16" and rows["dave"]["capstone_attempts"] == "0"


def test_every_skipped_student_is_named_in_problems_csv_and_the_report(
    collected: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, done = collected
    assert "skipped carol" in done.stderr and "skipped frank" in done.stderr
    with (out / "report" / "problems.csv").open(newline="") as f:
        problems = [r for r in csv.DictReader(f) if r["problem"] == "not collected"]
    assert sorted(Path(r["path"]).parent.name for r in problems) == ["carol", "frank"]
    assert all(r["skipped"] == "true" and "could not be exported" in r["detail"] for r in problems)
    page = (out / "report" / "report.html").read_text(encoding="utf-8")
    section = page[page.index("<section id='problems'>") :]
    for name in ("carol", "frank"):
        assert html.escape(f"student '{name}'", quote=True) in section, name
    assert "<span class='warn'>2 skipped</span>" in page


def test_the_summary_counts_every_student_with_a_ledger(
    collected: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, done = collected
    assert "5 students with a ledger: collected 3, skipped 2" in done.stdout
    assert "erin" not in done.stdout + done.stderr  # no ledger: not a student, not skipped


def test_a_bad_skipped_list_is_one_line_and_exit_2(tmp_path: Path) -> None:
    listed = tmp_path / "skipped.csv"
    listed.write_text("who,why\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "alice.json").write_text('{"history": []}')
    done = subprocess.run(
        [
            _cli(),
            "class-report",
            str(tmp_path / "in"),
            "--out",
            str(tmp_path / "out"),
            "--skipped",
            str(listed),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "--skipped" in done.stderr and "student,path,reason" in done.stderr
    assert not (tmp_path / "out").exists()
