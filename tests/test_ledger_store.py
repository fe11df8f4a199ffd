"""The SQLite store: saves, attempts, schema and migrations, refusing foreign files, paths,
the first-use import of the course ledger, sample stores, export and reset."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from constraintlab.ledger import Ledger, LedgerError, open_ledger, schema
from constraintlab.ledger.sample import sample_entries, write_sample
from ledger_fixtures.builders import ALL_KEYS, design, layout_a, layout_b, write_json


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Ledger]:
    ledger = Ledger.open(tmp_path / "store.sqlite3")
    yield ledger
    ledger.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _changes(ledger: Ledger) -> int:
    """Rows this connection has written so far (SQLite's own counter)."""
    return int(ledger._conn.total_changes)


# --- entries ----------------------------------------------------------------------------------
def test_save_replaces_and_an_identical_save_writes_nothing(store: Ledger) -> None:
    assert store.save("v2_17", {"a": 1, "b": "x"}) is True
    written = _changes(store)
    saved_at = store.entry_records()[0].saved_at
    assert store.save("v2_17", {"b": "x", "a": 1}) is False  # same design, other field order
    assert _changes(store) == written
    assert store.entry_records()[0].saved_at == saved_at
    assert store.save("v2_17", {"a": 2}) is True
    assert store.entries() == {"v2_17": {"a": 2}}


def test_any_course_spelling_of_a_key_is_one_chapter(store: Ledger) -> None:
    store.save(5, {"n": 1})
    store.save("5", {"n": 2})
    store.save(" 05", {"n": 3})
    store.save("V2_3", {"n": 4})
    assert store.entries() == {"5": {"n": 3}, "v2_03": {"n": 4}}


def test_entries_come_back_in_course_order_with_types_kept(store: Ledger) -> None:
    values = {"s": "é<b>", "i": 2**62, "f": 0.1, "t": True, "n": None}
    for key in reversed(ALL_KEYS):
        store.save(key, values)
    assert list(store.entries()) == list(ALL_KEYS)
    assert store.entries()["1"] == values
    assert type(store.entries()["1"]["t"]) is bool


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("17", {"a": 1}, "'17' is not a chapter key"),
        ("v2_18", {"a": 1}, "not a chapter key"),
        ("5", {"a": [1, float("inf")]}, "field 'a'\\[1\\] is inf"),
        ("5", ["a"], "is a list, expected an object"),
        ("5", {"a": "x" * 70_000}, "too large"),
    ],
)
def test_bad_saves_raise_and_change_nothing(
    store: Ledger, key: str, value: object, problem: str
) -> None:
    store.save("1", {"kept": True})
    written = _changes(store)
    with pytest.raises(LedgerError, match=problem):
        store.save(key, value)  # type: ignore[arg-type]
    assert _changes(store) == written
    assert store.entries() == {"1": {"kept": True}}


# --- attempts ---------------------------------------------------------------------------------
def test_attempts_keep_order_and_collapse_consecutive_repeats(store: Ledger) -> None:
    assert store.record_attempt({"try": 1}) is True
    assert store.record_attempt({"try": 1}) is False
    assert store.record_attempt({"try": 2}) is True
    assert store.record_attempt({"try": 1}) is True  # not consecutive: a new attempt
    attempts = store.attempts()
    assert [(a.number, a.chapter, a.design) for a in attempts] == [
        (1, "v2_17", {"try": 1}),
        (2, "v2_17", {"try": 2}),
        (3, "v2_17", {"try": 1}),
    ]
    assert attempts[0].recorded_at <= attempts[2].recorded_at
    assert attempts[1].to_dict()["design"] == {"try": 2}


def test_a_bad_attempt_is_refused(store: Ledger) -> None:
    with pytest.raises(LedgerError, match="the attempt for chapter v2_17"):
        store.record_attempt({"x": {"nested": float("nan")}})
    assert store.attempts() == []


def test_a_closed_ledger_raises_ledger_error(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "s.sqlite3")
    ledger.close()
    with pytest.raises(LedgerError, match="cannot"):
        ledger.entries()


# --- files that are not our store -------------------------------------------------------------
@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all" * 10, b"SQLite format 3\x00" + b"\x07" * 2000],
)
def test_a_garbage_store_is_refused_and_left_alone(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ledger.sqlite3"
    path.write_bytes(content)
    with pytest.raises(LedgerError) as info:
        open_ledger(path)
    assert str(info.value).startswith(f"{path}: ")
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.sqlite3"]


def test_another_programs_sqlite_database_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.close()
    before = _digest(path)
    with pytest.raises(LedgerError, match="not a constraintlab ledger store"):
        open_ledger(path)
    assert _digest(path) == before


def test_a_store_from_a_newer_version_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    Ledger.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = _digest(path)
    with pytest.raises(LedgerError, match=r"newer constraintlab \(schema version 99"):
        open_ledger(path)
    assert _digest(path) == before


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="is a folder"):
        open_ledger(tmp_path)


# --- schema and migrations --------------------------------------------------------------------
def test_a_new_store_is_marked_and_versioned_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "s.sqlite3"  # missing folders are created
    Ledger.open(path).close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_an_older_store_is_migrated_with_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.sqlite3"
    with Ledger.open(path) as old:
        old.save("5", {"a": 1})
        old.record_attempt({"b": 2})

    def add_notes(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE notes (body TEXT)")

    monkeypatch.setitem(schema.MIGRATIONS, 2, add_notes)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    with Ledger.open(path) as new:
        assert new.entries() == {"5": {"a": 1}}
        assert [a.design for a in new.attempts()] == [{"b": 2}]
        assert new._conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert new._conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 0


def test_a_failing_migration_leaves_the_old_version_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.sqlite3"
    with Ledger.open(path) as old:
        old.save("5", {"a": 1})

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk on fire")

    monkeypatch.setitem(schema.MIGRATIONS, 2, broken)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    with pytest.raises(LedgerError, match="disk on fire"):
        Ledger.open(path)
    monkeypatch.undo()
    with Ledger.open(path) as again:
        assert again.entries() == {"5": {"a": 1}}
        tables = {r[0] for r in again._conn.execute("SELECT name FROM sqlite_master")}
        assert "half_done" not in tables


# --- where the store lives --------------------------------------------------------------------
def test_path_comes_from_argument_then_environment_then_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CONSTRAINTLAB_LEDGER", raising=False)
    with open_ledger() as default:
        assert default.path == tmp_path / "home" / ".mlsys" / "constraintlab.sqlite3"
    monkeypatch.setenv("CONSTRAINTLAB_LEDGER", str(tmp_path / "env.sqlite3"))
    with open_ledger() as from_env:
        assert from_env.path == tmp_path / "env.sqlite3"
    with open_ledger(tmp_path / "arg.sqlite3") as explicit:
        assert explicit.path == tmp_path / "arg.sqlite3"


# --- first-use import of the course ledger ----------------------------------------------------
@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME with an empty ~/.mlsys; the store is its default one (the student's own,
    which takes in the course files without being asked)."""
    home = tmp_path / "home"
    (home / ".mlsys").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CONSTRAINTLAB_LEDGER", raising=False)
    return home / ".mlsys"


def test_first_use_imports_the_course_ledger_once_and_says_so(course: Path) -> None:
    entries = {"5": design(5), "v2_07": design(7)}
    course_file = write_json(course / "ledger.json", layout_a(entries))
    with open_ledger() as ledger:
        assert ledger.entries() == entries
        assert ledger.import_note is not None and str(course_file) in ledger.import_note
        assert "2 lab entries" in ledger.import_note
        assert ledger.source()["auto_imported_from"] == [str(course_file)]
        ledger.save("v2_17", {"a": 1})
        ledger.save("5", {"changed": "in the lab"})
    with open_ledger() as again:
        assert again.import_note is None  # the course file did not change: not imported again
        assert set(again.entries()) == {"5", "v2_07", "v2_17"}
        assert again.entries()["5"] == {"changed": "in the lab"}


def test_the_course_file_is_never_written(course: Path) -> None:
    course_file = write_json(course / "ledger.json", layout_b({"3": design(3)}))
    os.utime(course_file, ns=(10**9, 10**9))
    before = _digest(course_file)
    with open_ledger() as ledger:
        ledger.save("3", {"changed": True})
        ledger.export(course / "elsewhere.json", "course")
    assert _digest(course_file) == before and course_file.stat().st_mtime_ns == 10**9


def test_volume_files_are_imported_and_the_newest_file_wins(course: Path) -> None:
    write_json(course / "ledger_vol1.json", layout_b({"5": {"from": "vol1"}}, volume=1))
    vol2 = write_json(course / "ledger_vol2.json", layout_b({"v2_17": {"from": "vol2"}}, volume=2))
    older = write_json(course / "ledger.json", layout_b({"5": {"from": "old"}}))
    os.utime(older, ns=(10**9, 10**9))  # ledger.json is the oldest: vol1's "5" wins
    with open_ledger() as ledger:
        assert ledger.entries() == {"5": {"from": "vol1"}, "v2_17": {"from": "vol2"}}
        assert str(vol2) in (ledger.import_note or "")


def test_a_bad_course_file_is_named_left_alone_and_the_store_still_opens(course: Path) -> None:
    bad = course / "ledger.json"
    bad.write_bytes(b'{"history": [{"chapter": 5, "design": ')
    with open_ledger() as ledger:
        assert ledger.entries() == {}
        note = ledger.import_note or ""
        assert str(bad) in note and "not valid JSON" in note and "left as it is" in note
    with open_ledger() as again:  # still empty: tried again, and says so again
        assert "not valid JSON" in (again.import_note or "")
    assert bad.read_bytes() == b'{"history": [{"chapter": 5, "design": '


def test_no_first_use_import_into_a_sample_store(course: Path, tmp_path: Path) -> None:
    write_json(course / "ledger.json", layout_a({"5": {"real": True}}))
    sample_path = write_sample(tmp_path / "sample.sqlite3")
    with open_ledger(sample_path) as ledger:
        assert ledger.is_sample and ledger.import_note is None
        assert ledger.entries() == sample_entries()


def test_auto_import_can_be_turned_off(course: Path) -> None:
    write_json(course / "ledger.json", layout_a({"5": {"real": True}}))
    with open_ledger(auto_import=False) as ledger:
        assert ledger.entries() == {} and ledger.import_note is None


# --- import reports ---------------------------------------------------------------------------
def test_import_reports_added_replaced_unchanged_and_unplaced(
    store: Ledger, tmp_path: Path
) -> None:
    store.save("1", design(1))
    store.save("2", {"old": True})
    history = {"1": design(1), "2": design(2), "3": design(3), "v7_01": {}}
    report = store.import_file(write_json(tmp_path / "ledger.json", {"history": history}))
    assert (report.added, report.replaced, report.unchanged) == (("3",), ("2",), ("1",))
    assert [u.key for u in report.unplaced] == ["'v7_01'"]
    assert "1 added, 1 replaced, 1 unchanged" in report.summary()
    assert store.entries()["2"] == design(2)


def test_sample_data_is_not_imported_into_a_real_ledger(store: Ledger, tmp_path: Path) -> None:
    with Ledger.open(write_sample(tmp_path / "sample.sqlite3")) as sample:
        exported = sample.export(tmp_path / "s.json")
    with pytest.raises(LedgerError, match="sample data"):
        store.import_file(exported)
    assert store.entries() == {}


# --- sample stores ----------------------------------------------------------------------------
def test_the_sample_is_deterministic_labelled_and_complete(tmp_path: Path) -> None:
    first = write_sample(tmp_path / "a.sqlite3")
    second = write_sample(tmp_path / "b.sqlite3")
    with Ledger.open(first) as a, Ledger.open(second) as b:
        assert a.entries() == b.entries() == sample_entries()
        assert a.is_sample and a.source()["sample"] is True
    assert len(sample_entries()) == 32 and "v2_17" not in sample_entries()
    assert all(d["sample_data"] is True for d in sample_entries().values())
    write_sample(first)  # rewriting a sample store is fine


def test_the_sample_never_overwrites_a_real_ledger(store: Ledger) -> None:
    store.save("5", {"mine": True})
    with pytest.raises(LedgerError, match="not sample data"):
        write_sample(store.path)
    assert store.entries() == {"5": {"mine": True}} and not store.is_sample


# --- export and reset -------------------------------------------------------------------------
def test_export_refuses_to_replace_unless_told_and_never_the_store(
    store: Ledger, tmp_path: Path
) -> None:
    store.save("5", {"a": 1})
    target = tmp_path / "out.json"
    target.write_text("keep me")
    with pytest.raises(LedgerError, match="already exists"):
        store.export(target)
    assert target.read_text() == "keep me"
    store.export(target, "course", overwrite=True)
    assert json.loads(target.read_text())["history"] == {"5": {"a": 1}}
    store.export(target, "course-list", overwrite=True)
    assert json.loads(target.read_text())["history"] == [{"chapter": 5, "design": {"a": 1}}]
    with pytest.raises(LedgerError, match="ledger store itself"):
        store.export(store.path, overwrite=True)
    with pytest.raises(LedgerError, match="unknown export format 'xml'"):
        store.export(tmp_path / "x.json", "xml")
    with pytest.raises(LedgerError, match="does not exist"):
        store.export(tmp_path / "no" / "such" / "folder.json")
    assert not list(tmp_path.glob(".out.json.*.tmp"))  # no temporary file left behind


def test_native_export_document(store: Ledger, tmp_path: Path) -> None:
    store.save("v2_01", {"a": 1})
    store.save("3", {"b": 2})
    store.record_attempt({"c": 3})
    document = json.loads(store.export(tmp_path / "n.json").read_text())
    assert document["format"] == "constraintlab-ledger" and document["format_version"] == 1
    assert list(document["entries"]) == ["3", "v2_01"]
    assert document["attempts"][0]["design"] == {"c": 3}
    assert document["sample"] is False


def test_reset_backs_up_first_then_empties(store: Ledger) -> None:
    store.save("5", {"a": 1})
    store.record_attempt({"b": 2})
    backup = store.reset()
    assert backup.exists() and backup.name.startswith("store.sqlite3.backup-")
    assert store.entries() == {} and store.attempts() == []
    with Ledger.open(backup) as saved:
        assert saved.entries() == {"5": {"a": 1}}
        assert [a.design for a in saved.attempts()] == [{"b": 2}]
    assert store.reset() != backup  # a second reset gets its own backup


def test_reset_does_not_bring_the_course_ledger_back(course: Path) -> None:
    write_json(course / "ledger.json", layout_a({"5": {"a": 1}}))
    with open_ledger() as ledger:
        assert ledger.entries() == {"5": {"a": 1}}
        ledger.reset()
    with open_ledger() as again:
        assert again.entries() == {} and again.import_note is None


def test_importing_the_ledger_stays_light() -> None:
    """The app and the CLI import it at start-up: standard library only."""
    code = (
        "import sys, constraintlab.ledger, constraintlab.ledger.sample;"
        "heavy = {'numpy', 'marimo', 'plotly', 'duckdb', 'typer', 'rich'};"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
