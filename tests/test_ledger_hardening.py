"""The ledger against damaged stores, big stores, read-only folders and changed course files
(issue 13, findings 6, 8, 9, 10 and 13).

6: a damaged row (``design_json='{'``, or a changed digit that integrity_check does not see)
made ``ledger show`` and ``ledger export`` exit 1 with a traceback, or was served silently
though a digest is stored.
8: a store that imported a large file could not be exported (export refused above 8 MiB that
import had accepted; 12,000 attempts were enough).
9: ``ledger show`` failed on a store in a read-only folder; ``ledger show --ledger <typo>``
created an empty store; a failed ``ledger import`` created the store and its missing folders.
10: a corrected course file next to the store was never imported again.
13: callers told errors apart by their wording (now :class:`LedgerErrorKind`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cli_runner import run_cli
from conftest import LabEnv
from constraintlab.ledger import Ledger, LedgerError, LedgerErrorKind, open_ledger
from constraintlab.ledger.formats import FORMAT_NAME, MAX_FILE_BYTES
from constraintlab.ledger.sample import write_sample
from ledger_fixtures.builders import design, layout_a, write_json


# --- finding 6: damaged rows ------------------------------------------------------------------
def _damage(store: Path, chapter: str, design_json: str) -> None:
    with sqlite3.connect(store) as conn:
        conn.execute("UPDATE entries SET design_json = ? WHERE chapter = ?", (design_json, chapter))
    conn.close()


@pytest.fixture
def damaged_store(lab_env: LabEnv) -> Path:
    with open_ledger() as ledger:
        ledger.save("3", {"ok": True})
        ledger.save("5", {"a": 1})
        ledger.save("v2_07", {"act2_result": 12.5})
        ledger.record_attempt({"act2_result": "approved"})
    _damage(lab_env.ledger, "5", "{")  # does not parse
    _damage(lab_env.ledger, "v2_07", '{"act2_result":92.5}')  # one digit changed
    return lab_env.ledger


def test_show_leaves_damaged_rows_out_naming_each_by_key(
    damaged_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "ledger", "show", "--json")
    assert code == 0 and "Traceback" not in err
    assert json.loads(out)["entries"] == {"3": {"ok": True}}
    warnings = err.strip().splitlines()
    assert len(warnings) == 2 and all(w.startswith("warning:") for w in warnings)
    assert "entry 5" in err and "entry v2_07" in err and "damaged" in err
    code, out, err = run_cli(capsys, "ledger", "show")
    assert code == 0 and "entry 5" in err


def test_export_writes_the_intact_rows_and_names_the_damaged_ones(
    damaged_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.json"
    code, out, err = run_cli(capsys, "ledger", "export", str(target))
    assert code == 0 and "Wrote 1 lab entries" in out
    assert "entry 5" in err and "entry v2_07" in err
    document = json.loads(target.read_text())
    assert document["entries"] == {"3": {"ok": True}} and len(document["attempts"]) == 1


def test_a_damaged_attempt_is_named_too(lab_env: LabEnv) -> None:
    with open_ledger() as ledger:
        ledger.record_attempt({"n": 1})
        ledger.record_attempt({"n": 2})
    with sqlite3.connect(lab_env.ledger) as conn:
        conn.execute("UPDATE attempts SET design_json = '[1]' WHERE id = 1")
    conn.close()
    with open_ledger(read_only=True) as ledger:
        assert [a.design for a in ledger.attempts()] == [{"n": 2}]
        assert ledger.damaged and "attempt row 1" in ledger.damaged[0]


# --- finding 8: one limit for export and import -----------------------------------------------
def _big_native_file(path: Path, attempts: int, note_chars: int = 560) -> Path:
    document = {
        "format": FORMAT_NAME,
        "format_version": 1,
        "entries": {"5": design(5)},
        "attempts": [
            {
                "chapter": "v2_17",
                "recorded_at": f"2026-01-01T00:00:{n % 60:02d}.000+00:00",
                "design": {"note": "x" * note_chars, "n": n},
            }
            for n in range(attempts)
        ],
    }
    path.write_text(json.dumps(document, separators=(",", ":")))
    return path


@pytest.mark.slow
def test_a_store_that_imported_a_large_file_exports_and_the_export_imports(
    tmp_path: Path,
) -> None:
    source = _big_native_file(tmp_path / "big.json", 12_000)
    assert 7 * 2**20 < source.stat().st_size <= MAX_FILE_BYTES
    indented = json.dumps(json.loads(source.read_text()), indent=2, ensure_ascii=False)
    assert len(indented.encode()) > MAX_FILE_BYTES  # what the old export wrote, and refused
    with Ledger.open(tmp_path / "a.sqlite3") as store:
        store.import_file(source)
        exported = store.export(tmp_path / "export.json")
    assert exported.stat().st_size <= MAX_FILE_BYTES
    with Ledger.open(tmp_path / "b.sqlite3") as again:
        report = again.import_file(exported)
        assert report.attempts_added == 12_000 and len(again.attempts()) == 12_000


@pytest.mark.slow
def test_an_import_that_would_not_export_within_the_limit_is_refused_whole(
    tmp_path: Path,
) -> None:
    source = _big_native_file(tmp_path / "big.json", 12_000, note_chars=600)
    assert source.stat().st_size <= MAX_FILE_BYTES  # import reads it...
    with Ledger.open(tmp_path / "a.sqlite3") as store:
        store.save("3", {"mine": True})
        with pytest.raises(LedgerError) as refused:  # ...but the store could not export it
            store.import_file(source)
        assert refused.value.kind is LedgerErrorKind.TOO_LARGE
        assert "nothing was changed" in str(refused.value)
        assert store.entries() == {"3": {"mine": True}} and store.attempts() == []


@pytest.mark.slow
def test_the_store_fills_exactly_to_the_limit_and_refuses_one_byte_more(tmp_path: Path) -> None:
    source = _big_native_file(tmp_path / "big.json", 150, note_chars=55_000)
    with Ledger.open(tmp_path / "a.sqlite3") as store:
        store.import_file(source)

        def export_size() -> int:
            return len(store.export(tmp_path / "probe.json", overwrite=True).read_bytes())

        n = 0
        while MAX_FILE_BYTES - export_size() > 60_000:  # fill in 50 kB steps
            n += 1
            store.record_attempt({"note": "z" * 50_000, "n": n})
        before = export_size()
        store.record_attempt({"note": "", "n": -1})  # what one more attempt costs with no note
        cost_without_note = export_size() - before
        fill = MAX_FILE_BYTES - export_size() - cost_without_note
        store.record_attempt({"note": "y" * fill, "n": -2})
        assert export_size() == MAX_FILE_BYTES  # exactly at the limit: accepted
        with pytest.raises(LedgerError) as refused:
            store.record_attempt({"note": "", "n": -3})
        assert refused.value.kind is LedgerErrorKind.TOO_LARGE
        with pytest.raises(LedgerError):
            store.save("v2_17", {"one more": "field"})
        at_limit = store.export(tmp_path / "at-limit.json")
        count = len(store.attempts())
    assert at_limit.stat().st_size == MAX_FILE_BYTES
    with Ledger.open(tmp_path / "b.sqlite3") as again:
        again.import_file(at_limit)  # import reads exactly what export wrote
        assert len(again.attempts()) == count


# --- finding 9: reads never write -------------------------------------------------------------
@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` and its files unwritable, even for root (who ignores modes: then the
    immutable attribute, which root obeys too)."""
    files = [folder, *folder.iterdir()]
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", *map(str, files)], check=True)
    else:
        folder.chmod(0o555)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", *map(str, files)], check=True)
        else:
            folder.chmod(0o755)


def test_show_and_export_work_on_a_store_in_a_read_only_folder(
    lab_env: LabEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "ledger" / "store.sqlite3"
    store.parent.mkdir()
    with open_ledger(store, auto_import=False) as ledger:
        ledger.save("5", {"a": 1})
    before = sorted((p.name, p.stat().st_mtime_ns) for p in store.parent.iterdir())
    with read_only(store.parent):
        code, out, err = run_cli(capsys, "ledger", "show", "--json", "--ledger", str(store))
        assert code == 0, err
        assert json.loads(out)["entries"] == {"5": {"a": 1}}
        target = tmp_path / "x.json"
        code, out, err = run_cli(capsys, "ledger", "export", str(target), "--ledger", str(store))
        assert code == 0, err
        assert json.loads(target.read_text())["entries"] == {"5": {"a": 1}}
    assert sorted((p.name, p.stat().st_mtime_ns) for p in store.parent.iterdir()) == before


def test_show_with_a_mistyped_ledger_creates_nothing(
    lab_env: LabEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "typo-folder" / "ledgr.sqlite3"
    code, out, _ = run_cli(capsys, "ledger", "show", "--ledger", str(typo))
    assert code == 0 and f"There is no ledger at {typo}" in out
    code, _, err = run_cli(
        capsys, "ledger", "export", str(tmp_path / "x.json"), "--ledger", str(typo)
    )
    assert code == 2 and "no ledger store" in err
    assert not typo.parent.exists() and not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("bad", ["not json", "sample"])
def test_a_failed_import_leaves_the_file_system_as_it_was(
    bad: str, lab_env: LabEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.json"
    if bad == "sample":
        with Ledger.open(write_sample(tmp_path / "sample.sqlite3")) as sample:
            sample.export(source)
    else:
        source.write_text("{")
    target = tmp_path / "new" / "deeper" / "store.sqlite3"
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = run_cli(capsys, "ledger", "import", str(source), "--ledger", str(target))
    assert code == 2 and err.startswith("error:")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no store, no folders


# --- finding 10: a new or corrected course file is imported -----------------------------------
def test_a_corrected_course_file_is_imported_again_with_a_note(own_lab_env: LabEnv) -> None:
    lab_env = own_lab_env
    mlsys = lab_env.home / ".mlsys"
    mlsys.mkdir()
    course = write_json(mlsys / "ledger.json", layout_a({"5": {"v": "typo"}}))
    with open_ledger() as ledger:
        assert ledger.entries()["5"] == {"v": "typo"}
        ledger.save("v2_17", {"mine": True})
    with open_ledger() as unchanged:
        assert unchanged.import_note is None
    write_json(course, layout_a({"5": {"v": "corrected"}, "6": design(6)}))
    with open_ledger() as again:
        note = again.import_note or ""
        assert str(course) in note and "changed since the last import" in note
        assert again.entries()["5"] == {"v": "corrected"} and "6" in again.entries()
        assert again.entries()["v2_17"] == {"mine": True}
    vol2 = write_json(mlsys / "ledger_vol2.json", {"history": {"3": design(3)}})
    with open_ledger() as newer:
        assert str(vol2) in (newer.import_note or "") and "new" in (newer.import_note or "")
        assert "v2_03" in newer.entries()


def test_a_sample_store_never_takes_course_files(lab_env: LabEnv, tmp_path: Path) -> None:
    (lab_env.home / ".mlsys").mkdir()
    write_json(lab_env.home / ".mlsys" / "ledger.json", layout_a({"5": design(5)}))
    with open_ledger(write_sample(tmp_path / "s.sqlite3")) as sample:
        assert sample.import_note is None and "5" in sample.entries()
        assert sample.entries()["5"].get("sample_data") is True


# --- finding 13: the kind, not the message ----------------------------------------------------
def test_ledger_errors_carry_a_kind_and_old_calls_keep_working(tmp_path: Path) -> None:
    assert LedgerError(None, "anything").kind is LedgerErrorKind.INVALID
    other = tmp_path / "other.sqlite3"
    other.write_bytes(b"not sqlite at all")
    with pytest.raises(LedgerError) as error:
        Ledger.open(other)
    assert error.value.kind is LedgerErrorKind.NOT_A_STORE
    with pytest.raises(LedgerError) as error:
        open_ledger(tmp_path / "missing.sqlite3", read_only=True)
    assert error.value.kind is LedgerErrorKind.NO_STORE
    with Ledger.open(tmp_path / "s.sqlite3") as store, pytest.raises(LedgerError) as error:
        store.save("v9_99", {})
    assert error.value.kind is LedgerErrorKind.USAGE
