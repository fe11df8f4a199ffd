"""Files and folders as users really have them (issue 24): links kept, permissions answered in
one line, no ledger mixed into another.

Every command here runs as a user for whom the permission bits bind (:mod:`unprivileged`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from constraintlab.ledger import Ledger
from ledger_fixtures.builders import design, layout_b, write_json
from unprivileged import one_error_line, run_cli_unprivileged, tmpfs


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A private HOME with no course files."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def ok_file(tmp_path: Path) -> Path:
    """A valid course ledger file (layout B) holding two labs."""
    return write_json(tmp_path / "ok.json", layout_b({"1": design(1), "2": design(2)}))


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A folder without any permission (``chmod 000``), opened again afterwards."""
    folder = tmp_path / "locked"
    folder.mkdir()
    yield folder
    folder.chmod(0o700)


def _listing(folder: Path) -> dict[str, str]:
    """Every name under ``folder`` (links not followed) -> what it is or points to."""
    found = {}
    for root, dirs, names in os.walk(folder):
        for name in dirs + names:
            path = Path(root) / name
            found[str(path)] = f"-> {os.readlink(path)}" if path.is_symlink() else "entry"
    return found


# --- 1. a failed command removes only what it created ------------------------------------------
@pytest.mark.parametrize("link_to", ["/unmounted/x.sqlite3", "store"])  # dangling; a loop
def test_failed_import_keeps_the_users_symbolic_link(
    tmp_path: Path, home: Path, ok_file: Path, link_to: str
) -> None:
    """``ledger import ok.json --ledger dl/store`` with dl/store a link that cannot be opened
    exits 2 and leaves the link (and everything else) as it was."""
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "store").symlink_to(link_to)
    before = _listing(folder)
    result = run_cli_unprivileged(
        "ledger", "import", str(ok_file), "--ledger", str(folder / "store"), home=home
    )
    assert "dl/store" in one_error_line(result)
    assert _listing(folder) == before
    assert os.readlink(folder / "store") == link_to


@pytest.fixture
def sample_export(tmp_path: Path) -> Path:
    """A sample store's export: importing it into a student's store fails at the store."""
    with Ledger.open(tmp_path / "sample.sqlite3") as store:
        store.load_sample({"1": design(1)})
        return store.export(tmp_path / "sample.json")


def test_failed_import_removes_the_store_and_folders_it_created(
    tmp_path: Path, home: Path, sample_export: Path
) -> None:
    """What this process created (folders, store, -wal, -shm) goes again when it fails."""
    target = tmp_path / "new" / "deeper" / "store.sqlite3"
    result = run_cli_unprivileged(
        "ledger", "import", str(sample_export), "--ledger", str(target), home=home
    )
    assert "sample data" in one_error_line(result)
    assert not (tmp_path / "new").exists()


def test_failed_import_leaves_an_existing_store_and_its_link(
    tmp_path: Path, home: Path, sample_export: Path
) -> None:
    """A link to an existing store is followed for the import; a failure keeps both."""
    real = tmp_path / "real.sqlite3"
    with Ledger.open(real) as store:
        store.save("3", design(3))
    link = tmp_path / "link.sqlite3"
    link.symlink_to(real)
    args = ("ledger", "import", str(sample_export), "--ledger", str(link))
    assert "sample data" in one_error_line(run_cli_unprivileged(*args, home=home))
    assert link.is_symlink() and real.is_file()
    with Ledger.open(real, read_only=True) as store:
        assert set(store.entries()) == {"3"}


# --- 2. one line for every OS error: the path and the cause, exit 2 ----------------------------
LEDGER_COMMANDS = [
    ("ledger", "show"),
    ("ledger", "show", "--json"),
    ("ledger", "import", "{ok}"),
    ("ledger", "export", "{out}"),
    ("ledger", "sync"),
    ("ledger", "sample"),
    ("ledger", "reset", "-y"),
]


@pytest.mark.parametrize("command", LEDGER_COMMANDS, ids=lambda c: "-".join(c[1:]))
def test_a_store_in_a_folder_without_search_permission_is_one_line(
    tmp_path: Path, home: Path, ok_file: Path, locked: Path, command: tuple[str, ...]
) -> None:
    """``--ledger locked/store.sqlite3`` with ``chmod 000 locked``: exit 2, one line naming
    the store and the cause; nothing is created anywhere."""
    with Ledger.open(locked / "store.sqlite3") as store:
        store.save("1", design(1))
    locked.chmod(0)
    args = [a.format(ok=ok_file, out=tmp_path / "out.json") for a in command]
    before = _listing(tmp_path)
    result = run_cli_unprivileged(*args, "--ledger", str(locked / "store.sqlite3"), home=home)
    line = one_error_line(result)
    assert str(locked / "store.sqlite3") in line and "permission denied" in line.lower()
    assert _listing(tmp_path) == before


def test_show_when_the_mlsys_folder_cannot_be_read(home: Path) -> None:
    """``ledger show`` with ``~/.mlsys`` at ``chmod 000``: one line naming it."""
    mlsys = home / ".mlsys"
    mlsys.mkdir()
    mlsys.chmod(0)
    try:
        line = one_error_line(run_cli_unprivileged("ledger", "show", home=home))
    finally:
        mlsys.chmod(0o700)
    assert str(mlsys) in line and "permission denied" in line.lower()


@pytest.mark.parametrize("link_to", ["loop.json", "/unmounted/x.json"])  # a loop; dangling
def test_export_onto_a_link_that_cannot_be_followed(
    tmp_path: Path, home: Path, link_to: str
) -> None:
    """``ledger export loop.json`` where loop.json links to itself (was "RuntimeError: Symlink
    loop"), or to a file on a disk not mounted: one line naming it, the link kept."""
    with Ledger.open(tmp_path / "store.sqlite3") as store:
        store.save("1", design(1))
    link = tmp_path / "loop.json"
    link.symlink_to(link_to)
    args = ("ledger", "export", str(link), "--ledger", str(tmp_path / "store.sqlite3"))
    line = one_error_line(run_cli_unprivileged(*args, home=home))
    assert str(link) in line and "link" in line
    assert os.readlink(link) == link_to


def test_the_lab_starts_and_names_what_it_could_not_read(home: Path, locked: Path) -> None:
    """The lab's ledger opening (the notebook's first step) on an unreadable store: no
    exception, one sentence naming the store and the cause."""
    script = (
        "from constraintlab.app.wiring import open_ledger_safely;"
        " access = open_ledger_safely(); print(access.problem)"
    )
    import subprocess
    import sys

    from unprivileged import unprivileged_prefix

    env = {**os.environ, "HOME": str(home), "CONSTRAINTLAB_LEDGER": str(locked / "s.sqlite3")}
    locked.chmod(0)
    result = subprocess.run(
        [*unprivileged_prefix(), sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    problem = result.stdout.strip()
    assert str(locked / "s.sqlite3") in problem and "permission denied" in problem.lower()
    assert "Errno" not in problem and "\n" not in problem


# --- 3. no ledger mixed into another ------------------------------------------------------------
@pytest.fixture
def assistant_home(home: Path) -> Path:
    """A teaching assistant's HOME whose own course ledger holds 16 labs of theirs."""
    labs = {str(n): design(n, owner="assistant") for n in range(1, 17)}
    (home / ".mlsys").mkdir()
    write_json(home / ".mlsys" / "ledger.json", layout_b(labs))
    return home


def test_a_store_named_by_ledger_does_not_take_in_the_callers_course_ledger(
    tmp_path: Path, assistant_home: Path, ok_file: Path
) -> None:
    """``ledger import student.json --ledger studentA.sqlite3`` by an assistant: studentA
    holds the student's 2 labs, none of the assistant's 16."""
    store = tmp_path / "studentA.sqlite3"
    args = ("ledger", "import", str(ok_file), "--ledger", str(store))
    result = run_cli_unprivileged(*args, home=assistant_home)
    assert result.returncode == 0, result.stderr
    with Ledger.open(store, read_only=True) as opened:
        assert set(opened.entries()) == {"1", "2"}
        assert all("owner" not in d for d in opened.entries().values())
        assert opened.auto_imported_from is None
    assert "not your default ledger store" in result.stderr  # said, and how to ask for it


def test_with_course_ledger_imports_when_asked(
    tmp_path: Path, assistant_home: Path, ok_file: Path
) -> None:
    """``--with-course-ledger ~/.mlsys`` asks for the course files: then they come in."""
    store = tmp_path / "mine.sqlite3"
    args = ("ledger", "import", str(ok_file), "--ledger", str(store))
    course = str(assistant_home / ".mlsys")
    result = run_cli_unprivileged(*args, "--with-course-ledger", course, home=assistant_home)
    assert result.returncode == 0, result.stderr
    with Ledger.open(store, read_only=True) as opened:
        assert len(opened.entries()) == 16
    missing = run_cli_unprivileged(
        *args, "--with-course-ledger", str(tmp_path / "nope"), home=assistant_home
    )
    assert "--with-course-ledger" in one_error_line(missing)


def test_the_default_store_still_takes_in_the_course_ledger(
    assistant_home: Path, ok_file: Path
) -> None:
    """No --ledger and no CONSTRAINTLAB_LEDGER: the student's own store imports ~/.mlsys."""
    result = run_cli_unprivileged("ledger", "import", str(ok_file), home=assistant_home)
    assert result.returncode == 0, result.stderr
    with Ledger.open(assistant_home / ".mlsys" / "constraintlab.sqlite3", read_only=True) as own:
        assert len(own.entries()) == 16 and own.auto_imported_from is not None


def test_submit_in_a_named_store_does_not_write_the_callers_course_ledger(
    tmp_path: Path, assistant_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lab on ``run --ledger other.sqlite3`` (CONSTRAINTLAB_LEDGER in the app): a Submit
    records the attempt and v2_17 in that store, and leaves ~/.mlsys/ledger.json as it was;
    ``ledger sync --ledger other.sqlite3`` writes nothing either."""
    from constraintlab.app import wiring

    course = assistant_home / ".mlsys" / "ledger.json"
    before = course.read_bytes()
    other = tmp_path / "other.sqlite3"
    monkeypatch.setenv("HOME", str(assistant_home))
    monkeypatch.setenv("CONSTRAINTLAB_LEDGER", str(other))
    access = wiring.open_ledger_safely()
    assert access.ledger is not None
    try:
        access.ledger.save("v2_17", design(17))
        assert wiring.write_back_capstone(access) == ""
    finally:
        access.ledger.close()
    assert course.read_bytes() == before
    result = run_cli_unprivileged("ledger", "sync", "--ledger", str(other), home=assistant_home)
    assert result.returncode == 0 and "nothing was written" in result.stdout
    assert course.read_bytes() == before
    with Ledger.open(other, read_only=True) as opened:
        assert set(opened.entries()) == {"v2_17"}


# --- 5. a read-only copy with its -wal but no -shm: every committed save is read ----------------
def test_a_read_only_backup_with_its_wal_shows_the_last_save(tmp_path: Path, home: Path) -> None:
    """A store copied with its -wal (the last save not yet checkpointed) but not its -shm,
    into a read-only folder: ``ledger show`` sees the last save (was silently without it)."""
    live = tmp_path / "live" / "store.sqlite3"
    with Ledger.open(live) as store:
        store.save("1", design(1))
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # "1" is in the main file
        store._conn.execute("PRAGMA wal_autocheckpoint = 0")
        store.save("2", design(2))  # "2" only in the -wal
        backup = tmp_path / "backup"
        backup.mkdir()
        for suffix in ("", "-wal"):
            (backup / f"store.sqlite3{suffix}").write_bytes(
                live.with_name(f"store.sqlite3{suffix}").read_bytes()
            )
    backup.chmod(0o555)
    try:
        args = ("ledger", "show", "--json", "--ledger", str(backup / "store.sqlite3"))
        result = run_cli_unprivileged(*args, home=home)
    finally:
        backup.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)["entries"]) == {"1", "2"}
    assert sorted(p.name for p in backup.iterdir()) == ["store.sqlite3", "store.sqlite3-wal"]


# --- 6. the smaller ones ------------------------------------------------------------------------
def test_reset_of_a_read_only_store_leaves_no_backup(tmp_path: Path, home: Path) -> None:
    """``ledger reset -y`` on a 0444 store: one line, the store as it was, no backup left."""
    store_file = tmp_path / "store.sqlite3"
    with Ledger.open(store_file) as store:
        store.save("1", design(1))
    store_file.chmod(0o444)
    before = _listing(tmp_path)
    result = run_cli_unprivileged("ledger", "reset", "-y", "--ledger", str(store_file), home=home)
    one_error_line(result)
    assert _listing(tmp_path) == before
    with Ledger.open(store_file, read_only=True) as store:
        assert set(store.entries()) == {"1"}


def test_sync_leaves_a_read_only_course_ledger_as_it_is(home: Path) -> None:
    """``ledger sync`` with ~/.mlsys/ledger.json at 0444: refused naming it, not rewritten."""
    mlsys = home / ".mlsys"
    mlsys.mkdir()
    course = write_json(mlsys / "ledger.json", layout_b({"1": design(1)}))
    with Ledger.open(mlsys / "constraintlab.sqlite3") as store:
        store.save("v2_17", design(17))
    course.chmod(0o444)
    before = (course.read_bytes(), course.stat().st_ino)
    line = one_error_line(run_cli_unprivileged("ledger", "sync", home=home))
    assert str(course) in line and "read-only" in line
    assert (course.read_bytes(), course.stat().st_ino) == before


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (mounted as root, removed afterwards): a disk that fills up."""
    assert os.geteuid() == 0, "mounting the small tmpfs needs root (the tests run as root)"
    with tmpfs(tmp_path / "small-disk", "256k") as where:
        yield where


def test_a_full_disk_during_import_says_the_disk_is_full(
    tmp_path: Path, home: Path, full_disk: Path
) -> None:
    """An import larger than the free space: one line saying the disk is full, nothing lost."""
    labs = {str(n): design(n, notes="x" * 30_000) for n in range(1, 17)}
    big = write_json(tmp_path / "big.json", layout_b(labs))
    store_file = full_disk / "store.sqlite3"
    with Ledger.open(store_file) as store:
        store.save("v2_17", design(17))
    result = run_cli_unprivileged(
        "ledger", "import", str(big), "--ledger", str(store_file), home=home
    )
    line = one_error_line(result)
    assert str(store_file) in line and "the disk is full" in line
    with Ledger.open(store_file, read_only=True) as store:
        assert set(store.entries()) == {"v2_17"}


def test_export_course_writes_each_lab_as_its_own_course_file_held(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ledger.json and ledger_vol2.json both hold v2_01-03, differently; the volume file is
    imported last. ``export --format course`` (ledger.json) writes ledger.json's three, and
    ``--volume 2`` the volume file's: mlsysim sees no lab changed (it saw 3). A lab saved
    since is written as saved."""
    from constraintlab.ledger import open_ledger

    mlsys = home / ".mlsys"
    mlsys.mkdir()
    plain = {f"v2_0{n}": design(n, source="ledger.json") for n in (1, 2, 3)}
    plain["5"] = design(5)
    write_json(mlsys / "ledger.json", layout_b(plain))
    os.utime(mlsys / "ledger.json", ns=(10**9, 10**9))  # older: imported first
    vol2 = {f"v2_0{n}": design(n, source="vol2") for n in (1, 2, 3)}
    write_json(mlsys / "ledger_vol2.json", layout_b(vol2, volume=2))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CONSTRAINTLAB_LEDGER", raising=False)
    with open_ledger() as store:
        assert store.entries()["v2_01"]["source"] == "vol2"  # the newer file wins in the store
        written = json.loads(store.export(home / "plain.json", "course").read_text())
        assert {k: written["history"][k] for k in plain} == plain
        volume = json.loads(store.export(home / "v2.json", "course", volume=2).read_text())
        assert {volume["history"][str(n)]["source"] for n in (1, 2, 3)} == {"vol2"}
        store.save("v2_02", design(2, source="the lab"))
        again = json.loads(store.export(home / "again.json", "course").read_text())
        assert again["history"]["v2_02"]["source"] == "the lab"
        assert again["history"]["v2_01"]["source"] == "ledger.json"
