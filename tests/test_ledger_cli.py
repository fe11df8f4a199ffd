"""``constraintlab ledger ...``: every command, and exit 2 with one line for a bad file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cli_runner import run_cli
from conftest import LabEnv
from constraintlab.cli import ledger as ledger_cli
from constraintlab.ledger import Ledger, open_ledger
from constraintlab.ledger.sample import sample_entries
from ledger_fixtures.builders import design, layout_a, layout_b, write_json


def test_path_follows_option_then_environment(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv, tmp_path: Path
) -> None:
    assert run_cli(capsys, "ledger", "path") == (0, f"{lab_env.ledger}\n", "")
    other = tmp_path / "other.sqlite3"
    assert run_cli(capsys, "ledger", "path", "--ledger", str(other))[1] == f"{other}\n"
    assert not lab_env.ledger.exists()  # 'path' only says where


def test_show_json_has_entries_attempts_and_source(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv
) -> None:
    with open_ledger() as ledger:
        ledger.save("5", {"context": "<script>alert(1)</script>", "act1_correct": True})
        ledger.record_attempt({"act2_result": "approved"})
    code, out, err = run_cli(capsys, "ledger", "show", "--json")
    assert code == 0 and err == ""
    document = json.loads(out)
    assert document["entries"] == {
        "5": {"context": "<script>alert(1)</script>", "act1_correct": True}
    }
    assert [a["design"] for a in document["attempts"]] == [{"act2_result": "approved"}]
    assert document["source"] == {
        "path": str(lab_env.ledger),
        "sample": False,
        "auto_imported_from": None,
        "schema_version": 1,
    }


def test_show_table_prints_ledger_strings_literally(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no folding inside the cell we look at
    with open_ledger() as ledger:
        ledger.save("5", {"context": "[red]x[/red]\x1b[2J", "constraint_hit": True})
    code, out, _ = run_cli(capsys, "ledger", "show")
    assert code == 0
    assert "V1-05" in out and "[red]x[/red]" in out  # rich markup shown, not interpreted
    assert "\x1b" not in out and "\\x1b" in out  # a terminal escape is shown escaped
    assert "1 of 32 earlier labs saved; 1 hit a constraint" in out


def test_show_names_a_course_ledger_it_did_not_import(
    capsys: pytest.CaptureFixture[str], own_lab_env: LabEnv
) -> None:
    lab_env = own_lab_env
    (lab_env.home / ".mlsys").mkdir()
    course = write_json(lab_env.home / ".mlsys" / "ledger.json", layout_a({"5": design(5)}))
    code, out, err = run_cli(capsys, "ledger", "show", "--json")
    assert code == 0
    assert err.startswith("note: your course ledger") and str(course) in err
    assert "constraintlab ledger import" in err
    assert json.loads(out)["entries"] == {}  # a read command imports nothing...
    assert not lab_env.ledger.exists()  # ...and creates nothing
    with open_ledger() as ledger:  # the lab (a write-mode open) imports it
        assert ledger.import_note is not None and str(course) in ledger.import_note
    code, out, err = run_cli(capsys, "ledger", "show", "--json")
    assert err == "" and json.loads(out)["source"]["auto_imported_from"] == [str(course)]


def test_empty_ledger_is_said_to_be_empty(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv
) -> None:
    code, out, _ = run_cli(capsys, "ledger", "show")
    assert code == 0 and "No lab has saved anything yet" in out


def test_import_reports_and_lists_unplaced_entries(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv, tmp_path: Path
) -> None:
    source = write_json(
        tmp_path / "ledger_vol2.json", layout_b({"v2_03": design(3), "v2_17": design(17)}, 2)
    )
    document = json.loads(source.read_text())
    document["history"]["99"] = {}
    source.write_text(json.dumps(document))
    code, out, _ = run_cli(capsys, "ledger", "import", str(source))
    assert code == 0
    assert "2 added" in out and "course layout B (Volume II file)" in out
    assert "not placed: history['99']" in out
    with open_ledger() as ledger:
        assert set(ledger.entries()) == {"v2_03", "v2_17"}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"history": 5}', "'history' is a number"),
        (b"\xff\xfe garbage", "not UTF-8"),
        (b'{"history": {"5": {"x": ', "not valid JSON"),
    ],
)
def test_import_of_a_bad_file_exits_2_naming_it_and_leaves_it(
    capsys: pytest.CaptureFixture[str],
    lab_env: LabEnv,
    tmp_path: Path,
    content: bytes,
    problem: str,
) -> None:
    bad = tmp_path / "bad ledger.json"
    bad.write_bytes(content)
    code, out, err = run_cli(capsys, "ledger", "import", str(bad))
    assert code == 2 and out == ""
    assert err.startswith(f"error: {bad}: ") and problem in err and err.count("\n") == 1
    assert bad.read_bytes() == content
    with open_ledger() as ledger:
        assert ledger.entries() == {}


def test_a_garbage_store_exits_2_and_is_left_alone(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv
) -> None:
    lab_env.ledger.write_bytes(b"not sqlite")
    code, _, err = run_cli(capsys, "ledger", "show")
    assert code == 2 and f"error: {lab_env.ledger}: not a constraintlab ledger store" in err
    assert lab_env.ledger.read_bytes() == b"not sqlite"


def test_export_native_and_course(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv, tmp_path: Path
) -> None:
    with open_ledger() as ledger:
        ledger.save("v2_17", {"act2_result": "approved"})
    native, course = tmp_path / "mine.json", tmp_path / "course.json"
    assert run_cli(capsys, "ledger", "export", str(native))[0] == 0
    code, out, _ = run_cli(capsys, "ledger", "export", str(course), "--format", "course")
    assert code == 0 and "Wrote 1 lab entries" in out
    assert json.loads(native.read_text())["format"] == "constraintlab-ledger"
    assert json.loads(course.read_text()) == {  # what mlsysim 0.3's DesignLedger reads
        "track": None,
        "current_step": "v2_17",
        "history": {"v2_17": {"act2_result": "approved"}},
        "last_updated": json.loads(course.read_text())["last_updated"],
    }
    vol2 = tmp_path / "ledger_vol2.json"
    code, out, _ = run_cli(
        capsys, "ledger", "export", str(vol2), "--format", "course", "--volume", "2"
    )
    assert code == 0 and json.loads(vol2.read_text())["history"] == {
        "17": {"act2_result": "approved"}
    }
    assert json.loads(vol2.read_text())["current_step"] == 17
    code, _, err = run_cli(capsys, "ledger", "export", str(vol2), "--volume", "2")
    assert code == 2 and "--volume needs --format course" in err
    listed = tmp_path / "list.json"
    assert run_cli(capsys, "ledger", "export", str(listed), "--format", "course-list")[0] == 0
    assert json.loads(listed.read_text())["history"] == [
        {"chapter": "v2_17", "design": {"act2_result": "approved"}}
    ]
    code, _, err = run_cli(capsys, "ledger", "export", str(course))
    assert code == 2 and "already exists" in err
    assert run_cli(capsys, "ledger", "export", str(course), "--overwrite")[0] == 0
    code, _, err = run_cli(capsys, "ledger", "export", str(course), "--format", "xml")
    assert code == 2 and "--format" in err


def test_sample_goes_to_its_own_store_and_show_says_sample(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv, tmp_path: Path
) -> None:
    code, out, _ = run_cli(capsys, "ledger", "sample")
    default = lab_env.home / ".mlsys" / "constraintlab-sample.sqlite3"
    assert code == 0 and str(default) in out and "SAMPLE" in out
    assert not lab_env.ledger.exists()  # the student's own ledger is not touched
    code, out, _ = run_cli(capsys, "ledger", "show", "--ledger", str(default))
    assert out.startswith("SAMPLE DATA") and "32 of 32 earlier labs saved" in out
    document = json.loads(run_cli(capsys, "ledger", "show", "--json", "--ledger", str(default))[1])
    assert document["source"]["sample"] is True and document["entries"] == sample_entries()
    chosen = tmp_path / "mine-sample.sqlite3"
    assert run_cli(capsys, "ledger", "sample", "--ledger", str(chosen))[0] == 0
    with Ledger.open(chosen) as ledger:
        assert ledger.is_sample


def test_sample_refuses_a_real_ledger(capsys: pytest.CaptureFixture[str], lab_env: LabEnv) -> None:
    with open_ledger() as ledger:
        ledger.save("5", {"mine": True})
    code, _, err = run_cli(capsys, "ledger", "sample", "--ledger", str(lab_env.ledger))
    assert code == 2 and "not sample data" in err
    with open_ledger() as ledger:
        assert ledger.entries() == {"5": {"mine": True}}


def test_reset_with_yes_backs_up_then_empties(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv
) -> None:
    with open_ledger() as ledger:
        ledger.save("5", {"a": 1})
    code, out, _ = run_cli(capsys, "ledger", "reset", "--yes")
    assert code == 0 and "Backed up to" in out
    backups = list(lab_env.ledger.parent.glob("ledger.sqlite3.backup-*"))
    assert len(backups) == 1
    with Ledger.open(backups[0]) as saved, open_ledger() as emptied:
        assert saved.entries() == {"5": {"a": 1}} and emptied.entries() == {}


def test_reset_without_yes_refuses_when_it_cannot_ask(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv
) -> None:
    with open_ledger() as ledger:
        ledger.save("5", {"a": 1})
    code, out, err = run_cli(capsys, "ledger", "reset")
    assert code == 2 and "needs --yes" in err and out == ""
    with open_ledger() as ledger:
        assert ledger.entries() == {"5": {"a": 1}}


@pytest.mark.parametrize(("answer", "code", "left"), [("n\n", 1, 1), ("y\n", 0, 0)])
def test_reset_asks_in_a_terminal(
    capsys: pytest.CaptureFixture[str],
    lab_env: LabEnv,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    code: int,
    left: int,
) -> None:
    with open_ledger() as ledger:
        ledger.save("5", {"a": 1})
    monkeypatch.setattr(ledger_cli, "stdin_is_interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO(answer))
    got, out, _ = run_cli(capsys, "ledger", "reset")
    assert got == code and "Empty the ledger" in out
    with open_ledger() as ledger:
        assert len(ledger.entries()) == left


def test_every_command_and_option_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("path", "show", "import", "export", "sync", "sample", "reset"):
        code, out, _ = run_cli(capsys, "ledger", command, "--help")
        assert code == 0 and "--ledger" in out
    _, out, _ = run_cli(capsys, "ledger", "export", "--help")
    assert "--format" in out and "--overwrite" in out and "--volume" in out
    assert "mlsysim" in out and "course-list" in out


def test_reset_of_a_missing_ledger_creates_nothing(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv
) -> None:
    code, out, _ = run_cli(capsys, "ledger", "reset", "--yes")
    assert code == 0 and "nothing to reset" in out
    assert not lab_env.ledger.exists()
