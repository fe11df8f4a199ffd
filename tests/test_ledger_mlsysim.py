"""The course's own package on both ends: mlsysim 0.3's DesignLedger writes, constraintlab
imports and exports (or writes the capstone back), and DesignLedger reads the result.

Nothing here imitates mlsysim: every course file is written by ``mlsysim.labs.DesignLedger``
and every check of what the course sees is a fresh ``DesignLedger`` loading the file (its
``last_load_error`` must stay None, which is how mlsysim says it did not start empty).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from mlsysim.labs import DesignLedger
from mlsysim.labs import state as mlsysim_state

from cli_runner import run_cli
from conftest import LabEnv
from constraintlab.ledger import Ledger, LedgerError, open_ledger
from constraintlab.ledger.writeback import merge_into_file, sync_capstone, write_back

LABS_VOL1 = (5, 8, 11, 13, 15)


@pytest.fixture
def lab_env(own_lab_env: LabEnv) -> LabEnv:
    """The student's own default store: the one that takes in ~/.mlsys's course files and
    writes the capstone back into them (a store named by --ledger does neither unasked)."""
    return own_lab_env


def lab_design(n: int, **extra: Any) -> dict[str, Any]:
    """What a course lab saves: the six common fields, plus whatever it adds."""
    return {
        "context": ("cloud", "edge", "mobile", "tiny")[n % 4],
        "act1_prediction": "ABCD"[n % 4],
        "act1_correct": n % 3 == 0,
        "act2_result": n * 1.25,
        "act2_decision": f"decision-{n}",
        "constraint_hit": n % 2 == 0,
        **extra,
    }


def evidence_record(lab_id: str, track: str = "cloud") -> dict[str, Any]:
    """A ``schema_version: 1`` record with nested evidence, shaped as mlsysim's lab-16 and
    capstone audits read it (``schema_version``, ``lab_id``, ``model_id``, ``evidence``)."""
    return {
        **lab_design(16),
        "schema_version": 1,
        "lab_id": lab_id,
        "model_id": "c3_step_time",
        "track_id": track,
        "recommendation": "shard the optimizer state",
        "rejected_alternative": "bigger batch",
        "evidence": {
            "baseline": {
                "track": track,
                "model_key": "c3",
                "inputs": {"configuration": {"gpus": 512, "tp": [8, 4], "link": None}},
                "outputs": {
                    "status": "FEASIBLE",
                    "failed_constraints": [],
                    "c3": {"step_time": {"magnitude": 1.5, "unit": "second", "finite": True}},
                },
            },
            "stress": {"track": track, "model_key": "c3", "inputs": {}, "outputs": {"x": [[1]]}},
        },
    }


def mlsysim(home: Path, monkeypatch: pytest.MonkeyPatch, volume: str | None = None) -> Any:
    """A fresh DesignLedger of the student whose home is ``home`` (it loads on creation)."""
    monkeypatch.setenv("HOME", str(home))
    ledger = DesignLedger(volume)
    assert ledger.last_load_error is None, ledger.last_load_error
    return ledger


def course_state(home: Path, monkeypatch: pytest.MonkeyPatch, volume: str | None = None) -> Any:
    state = mlsysim(home, monkeypatch, volume)._state
    return state.track, state.current_step, state.history


def write_course_journey(home: Path, monkeypatch: pytest.MonkeyPatch, files: str = "both") -> None:
    """Labs 5, 8, 11, 13, 15, v2_07, v2_13 through mlsysim's own API; lab 5 saved twice.

    ``files``: "plain" (the volume-less ledger.json), "volumes" (ledger_vol1/2.json) or
    "both". The volume files hold other designs for the same labs than ledger.json.
    """
    if files in ("plain", "both"):
        plain = mlsysim(home, monkeypatch)
        plain.save(track="cloud", chapter=5, design=lab_design(5, attempt=1))
        for n in LABS_VOL1:
            plain.save(chapter=n, design=lab_design(n))
        plain.save(chapter="v2_07", design=lab_design(27, shards=[1, 2, {"pp": 4}]))
        plain.save(chapter="v2_13", design=evidence_record("v2_13"))
        plain.save(chapter=5, design=lab_design(5, attempt=2))
    if files == "plain":
        return
    vol1 = mlsysim(home, monkeypatch, "vol1")
    for n in LABS_VOL1:
        vol1.save(track="cloud", chapter=n, design=lab_design(100 + n))
    vol2 = mlsysim(home, monkeypatch, "vol2")
    vol2.save(track="cloud", chapter=7, design=lab_design(207))
    vol2.save(chapter=13, design=evidence_record("v2_13"))
    vol2.save(chapter=16, design=evidence_record("v2_16"))
    vol2.save(chapter=10, design=evidence_record("v2_10"))  # last save: current_step 10


# --- mlsysim -> constraintlab -> mlsysim -------------------------------------------------------
def first_use_pickup() -> str:
    """Open the store for writing as the lab does: the course files are imported; the note."""
    from constraintlab.ledger import open_ledger

    with open_ledger() as ledger:
        return ledger.import_note or ""


VOLUME_FILES = {None: ("ledger.json", []), "vol1": ("ledger_vol1.json", ["--volume", "1"])}
VOLUME_FILES["vol2"] = ("ledger_vol2.json", ["--volume", "2"])


@pytest.mark.parametrize(("files", "volumes"), [("plain", [None]), ("volumes", ["vol1", "vol2"])])
def test_round_trip_keeps_every_entry_track_and_step(
    capsys: pytest.CaptureFixture[str],
    lab_env: LabEnv,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    files: str,
    volumes: list[str | None],
) -> None:
    write_course_journey(lab_env.home, monkeypatch, files)
    before = {v: course_state(lab_env.home, monkeypatch, v) for v in volumes}
    assert "Imported" in first_use_pickup()
    other = tmp_path / "other"
    (other / ".mlsys").mkdir(parents=True)
    for volume in volumes:
        name, flags = VOLUME_FILES[volume]
        target = other / ".mlsys" / name
        code, _, err = run_cli(
            capsys,
            *("ledger", "export", str(target), "--format", "course", *flags),
            *("--ledger", str(lab_env.ledger)),  # HOME moves to other/ below
        )
        assert code == 0, err
        after = course_state(other, monkeypatch, volume)
        assert after == before[volume]  # track, current step, every entry, key types too
        for key, design in before[volume][2].items():
            assert json.dumps(after[2][key]) == json.dumps(design)  # field order, types


def test_mlsysim_keeps_every_exported_entry_when_it_saves_again(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bug this replaces: the old export made mlsysim start empty and overwrite the file."""
    write_course_journey(lab_env.home, monkeypatch, "plain")
    first_use_pickup()
    target = lab_env.home / ".mlsys" / "ledger.json"
    code, _, err = run_cli(
        capsys, "ledger", "export", str(target), "--format", "course", "--overwrite"
    )
    assert code == 0, err
    course = mlsysim(lab_env.home, monkeypatch)
    course.save(chapter=16, design=lab_design(16))
    _, _, history = course_state(lab_env.home, monkeypatch)
    assert set(history) == {5, 8, 11, 13, 15, 16, "v2_07", "v2_13"}


def test_a_vol2_file_with_nested_evidence_imports_every_entry(
    lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    vol2 = mlsysim(lab_env.home, monkeypatch, "vol2")
    records = {n: evidence_record(f"v2_{n:02d}") for n in (10, 11, 13, 16)}
    records[3] = lab_design(3)
    for n, record in records.items():
        vol2.save(track="cloud", chapter=n, design=record)
    with open_ledger() as store:
        assert store.import_note is not None and "Imported 5 lab entries" in store.import_note
        entries = store.entries()
    assert entries == {f"v2_{n:02d}": record for n, record in sorted(records.items())}
    assert entries["v2_16"]["evidence"]["baseline"]["outputs"]["c3"]["step_time"]["finite"]


def test_a_bad_entry_beside_good_ones_is_skipped_and_named(
    lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    vol2 = mlsysim(lab_env.home, monkeypatch, "vol2")
    vol2.save(chapter=10, design=evidence_record("v2_10"))
    vol2.save(chapter=11, design=["not", "a", "design"])  # mlsysim stores whatever it is given
    vol2.save(chapter=12, design=lab_design(12))
    with open_ledger() as store:
        assert set(store.entries()) == {"v2_10", "v2_12"}
        note = store.import_note
    assert note is not None and "Imported 2 lab entries" in note
    assert "1 entry skipped" in note and "history['11']" in note


# --- the write-back ----------------------------------------------------------------------------
def capstone(n: int = 0) -> dict[str, Any]:
    return {**lab_design(17), "model_size_b": 14.0 + n, "act2_result": "approved"}


def test_sync_puts_v2_17_into_both_course_files_and_keeps_everything_else(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_course_journey(lab_env.home, monkeypatch)
    plain_before = course_state(lab_env.home, monkeypatch)
    vol2_before = course_state(lab_env.home, monkeypatch, "vol2")
    vol1_bytes = (lab_env.home / ".mlsys" / "ledger_vol1.json").read_bytes()
    with open_ledger() as store:
        store.save("v2_17", capstone())
    code, out, err = run_cli(capsys, "ledger", "sync")
    assert code == 0, err
    assert out.count("Wrote your capstone (v2_17) into the course ledger") == 2
    track, step, history = course_state(lab_env.home, monkeypatch)
    assert (track, step) == plain_before[:2]
    assert history == {**plain_before[2], "v2_17": capstone()}
    track, step, history = course_state(lab_env.home, monkeypatch, "vol2")
    assert (track, step) == vol2_before[:2]
    assert history == {**vol2_before[2], 17: capstone()}
    assert mlsysim(lab_env.home, monkeypatch, "vol2").get_design(17) == capstone()
    assert (lab_env.home / ".mlsys" / "ledger_vol1.json").read_bytes() == vol1_bytes
    code, out, _ = run_cli(capsys, "ledger", "sync")
    assert code == 0 and out.count("already holds this capstone design") == 2


def test_sync_refuses_what_it_cannot_read_and_leaves_it(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = lab_env.home / ".mlsys"
    folder.mkdir()
    code, out, _ = run_cli(capsys, "ledger", "sync")
    assert code == 0 and "No course ledger file" in out
    layout_a = b'{"track": null, "current_chapter": 5, "history": [{"chapter": 5, "design": {}}]}'
    (folder / "ledger.json").write_bytes(layout_a)
    (folder / "ledger_vol2.json").write_bytes(b'{"history": {"3": {"a": 1}}, "x": ')
    code, _, err = run_cli(capsys, "ledger", "sync")
    assert code == 2 and "no v2_17 design yet" in err
    with open_ledger() as store:
        store.save("v2_17", capstone())
    code, out, err = run_cli(capsys, "ledger", "sync")
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert code == 2 and out == "" and len(errors) == 2  # (the auto-import's note names it too)
    assert f"error: {folder / 'ledger.json'}: is not a course ledger in mlsysim's layout" in err
    assert f"error: {folder / 'ledger_vol2.json'}: not valid JSON" in err
    assert (folder / "ledger.json").read_bytes() == layout_a
    assert (folder / "ledger_vol2.json").read_bytes() == b'{"history": {"3": {"a": 1}}, "x": '
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_the_digest_check_wins_against_an_mlsysim_save_at_either_moment(
    lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mlsysim saves (1) after our temporary file is written, before the digest check, and
    (2) after the check, just before the rename, where its save lands in the replaced file.
    Both saves survive and v2_17 is written."""
    vol2 = mlsysim(lab_env.home, monkeypatch, "vol2")
    vol2.save(track="cloud", chapter=3, design=lab_design(3))
    path = lab_env.home / ".mlsys" / "ledger_vol2.json"
    fired: list[str] = []

    def concurrent_save(moment: str) -> None:
        if moment in fired:
            return
        fired.append(moment)
        chapter = {"temp written": 9, "checked": 10}[moment]
        mlsysim(lab_env.home, monkeypatch, "vol2").save(chapter=chapter, design=lab_design(chapter))

    result = merge_into_file(path, "v2_17", capstone(), hook=concurrent_save)
    assert fired == ["temp written", "checked"]
    assert result.outcome == "written" and result.tries == 3
    _, _, history = course_state(lab_env.home, monkeypatch, "vol2")
    assert history == {3: lab_design(3), 9: lab_design(9), 10: lab_design(10), 17: capstone()}


MLSYSIM_WRITER = textwrap.dedent(
    """
    import importlib.util, json, sys, time
    # mlsysim's own state.py (standard library only), loaded without the package's heavy init
    spec = importlib.util.spec_from_file_location("mlsysim_state", sys.argv[2])
    state = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(state)
    DesignLedger = state.DesignLedger
    print("ready", flush=True)
    errors = []
    for n in range(1, int(sys.argv[1]) + 1):
        if n == 17:  # the capstone's own step, which the write-back owns
            continue
        ledger = DesignLedger("vol2")
        if ledger.last_load_error:
            errors.append(ledger.last_load_error)
        ledger.save(chapter=n, design={"n": n, "evidence": {"i": [n]}})
        time.sleep(0.02)
    print(json.dumps(errors))
    """
)


@pytest.mark.slow
def test_write_back_while_mlsysim_keeps_saving_loses_nothing(
    lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    saves = 40
    mlsysim(lab_env.home, monkeypatch, "vol2").save(track="cloud", chapter=0, design={"n": 0})
    writer = subprocess.Popen(
        [sys.executable, "-c", MLSYSIM_WRITER, str(saves), mlsysim_state.__file__],
        env={"HOME": str(lab_env.home), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    outcomes: list[str] = []
    done = threading.Event()

    def keep_writing_back() -> None:
        n = 0
        while not done.is_set():
            n += 1
            outcomes.extend(r.outcome for r in write_back(capstone(n), lab_env.home / ".mlsys"))

    thread = threading.Thread(target=keep_writing_back)
    thread.start()
    out, _ = writer.communicate(timeout=300)
    done.set()
    thread.join()
    assert writer.returncode == 0 and json.loads(out) == []  # mlsysim never started empty
    assert outcomes.count("written") > 10 and "refused" not in outcomes
    _, _, history = course_state(lab_env.home, monkeypatch, "vol2")
    for n in (n for n in range(saves + 1) if n != 17):  # every save mlsysim made is there
        assert history[n] == ({"n": n, "evidence": {"i": [n]}} if n else {"n": 0})
    assert write_back(capstone(), lab_env.home / ".mlsys")[0].outcome == "written"
    assert mlsysim(lab_env.home, monkeypatch, "vol2").get_design(17) == capstone()


# --- Submit in the lab (headless, through app/wiring's submit path) -----------------------------
def test_submit_writes_v2_17_that_mlsysim_reads(
    lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from constraintlab import Design, evaluate
    from constraintlab.app import wiring

    write_course_journey(lab_env.home, monkeypatch)
    access = wiring.open_ledger_safely()
    saver = wiring.EntrySaver(access)
    entry = wiring.capstone_entry(evaluate(Design(model_size_b=14)), "D", True, "B")
    note = saver.submit(entry)
    assert "Attempt 1 of this session recorded" in note
    assert note.count("Wrote your capstone (v2_17) into the course ledger") == 2
    assert mlsysim(lab_env.home, monkeypatch, "vol2").get_design(17) == entry
    assert mlsysim(lab_env.home, monkeypatch).get_design("v2_17") == entry


def test_submit_leaves_the_course_files_alone_when_turned_off(
    lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from constraintlab import Design, evaluate
    from constraintlab.app import wiring

    write_course_journey(lab_env.home, monkeypatch)
    files = sorted((lab_env.home / ".mlsys").glob("ledger*.json"))
    before = [f.read_bytes() for f in files]
    monkeypatch.setenv("CONSTRAINTLAB_COURSE_WRITEBACK", "0")
    saver = wiring.EntrySaver(wiring.open_ledger_safely())
    entry = wiring.capstone_entry(evaluate(Design()), "D", True, "B")
    assert "course ledger" not in saver.submit(entry)
    assert [f.read_bytes() for f in files] == before


def test_a_sample_store_is_never_written_back(
    lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from constraintlab.ledger.sample import write_sample

    mlsysim(lab_env.home, monkeypatch, "vol2").save(chapter=3, design=lab_design(3))
    with (
        Ledger.open(write_sample(lab_env.home / "sample.sqlite3")) as sample,
        pytest.raises(LedgerError, match="sample data"),
    ):
        sync_capstone(sample)


def test_run_passes_the_opt_out_to_the_lab(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from constraintlab.cli import run as run_cli_module

    seen: dict[str, str] = {}

    class Stop(Exception):
        pass

    def fake_popen(command: list[str], env: dict[str, str], **_: Any) -> None:
        seen.update(env)
        raise Stop

    monkeypatch.setattr(run_cli_module.subprocess, "Popen", fake_popen)
    monkeypatch.setattr(run_cli_module, "check_port", lambda host, port: None)
    with pytest.raises(Stop):
        run_cli_module.run_command(
            port=2718, host="127.0.0.1", ledger=None, no_course_writeback=True
        )
    assert seen["CONSTRAINTLAB_COURSE_WRITEBACK"] == "0"
    code, out, _ = run_cli(capsys, "run", "--help")
    assert code == 0 and "--no-course-writeback" in out


def test_a_second_import_of_the_picked_up_file_says_why_nothing_changed(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    vol2 = mlsysim(lab_env.home, monkeypatch, "vol2")
    vol2.save(chapter=13, design=evidence_record("v2_13"))
    course_file = lab_env.home / ".mlsys" / "ledger_vol2.json"
    code, out, _ = run_cli(capsys, "ledger", "import", str(course_file))
    assert code == 0 and "0 added, 0 replaced, 1 unchanged" in out
    assert "already imported automatically when the ledger was first used" in out
    code, out, _ = run_cli(capsys, "ledger", "--help")
    assert "Course files" in out and "Write-back" in out and "--no-course-writeback" in out


def test_submit_in_the_notebook_writes_v2_17_that_mlsysim_reads(
    lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole notebook run headless with Submit pressed (the browser test's path, without
    the browser): the course's vol2 file then holds the v2_17 the store holds."""
    from types import SimpleNamespace

    from test_app_headless import both_predictions, run_lab

    write_course_journey(lab_env.home, monkeypatch, "volumes")
    _, names = run_lab(**both_predictions(), submit_button=SimpleNamespace(value=True))
    assert "Wrote your capstone (v2_17) into the course ledger" in names["attempt_note"]
    with open_ledger() as store:
        stored = store.entries()["v2_17"]
    assert mlsysim(lab_env.home, monkeypatch, "vol2").get_design(17) == stored
    _, _, history = course_state(lab_env.home, monkeypatch, "vol2")
    assert set(history) == {7, 10, 13, 16, 17}


def test_a_linked_course_file_is_written_through_the_link(
    lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    synced = tmp_path / "synced"
    synced.mkdir()
    (lab_env.home / ".mlsys").mkdir()
    link = lab_env.home / ".mlsys" / "ledger_vol2.json"
    link.symlink_to(synced / "vol2.json")
    mlsysim(lab_env.home, monkeypatch, "vol2").save(chapter=3, design=lab_design(3))
    assert [r.outcome for r in write_back(capstone(), lab_env.home / ".mlsys")] == ["written"]
    assert link.is_symlink()
    assert mlsysim(lab_env.home, monkeypatch, "vol2").get_design(17) == capstone()


def test_our_own_write_back_is_not_taken_for_a_course_change(
    lab_env: LabEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a write-back, the next open imports nothing and says nothing; a later save by
    mlsysim is still noticed (the digest recorded is that of our own write only)."""
    write_course_journey(lab_env.home, monkeypatch)
    assert "Imported" in first_use_pickup()
    with open_ledger() as store:
        store.save("v2_17", capstone())
        outcomes = [r.outcome for r in sync_capstone(store)]
    assert outcomes and set(outcomes) == {"written"}
    assert first_use_pickup() == ""
    mlsysim(lab_env.home, monkeypatch, "vol2").save(chapter=16, design=lab_design(16))
    assert "changed since the last import" in first_use_pickup()
