"""The serving plans' one owner: computed once, shared by every caller, kept on disk per plan
under a key that holds only the constants a plan reads; safe to share read-only with a class."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from constraintlab.model import planstore, serving
from constraintlab.model import scenario as sc
from unprivileged import unprivileged_prefix


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CONSTRAINTLAB_CACHE", str(tmp_path / "cache"))
    serving.PLANS.forget()
    yield tmp_path / "cache"
    serving.PLANS.forget()
    sc.use_scenario(None)


def _scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edited.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_each_plan_is_written_as_it_is_computed_as_json(empty_cache: Path) -> None:
    before = serving.PLANS.computed
    serving.serving_plan(7.0, "tp_dp")
    serving.serving_plan(9.0, "3d")
    files = sorted(serving.PLANS.folder().glob("*.json"))
    assert [f.name for f in files] == ["7.0-tp_dp.json", "9.0-3d.json"]
    assert serving.PLANS.computed == before + 2
    data = json.loads(files[0].read_text(encoding="utf-8"))
    assert data["strategy"] == "tp_dp" and data["availability"]["replicas_required"] > 0
    assert stat.S_IMODE(files[0].stat().st_mode) & 0o044 == 0o044  # a class can read it


def test_a_new_process_reads_the_plans_instead_of_computing_them(empty_cache: Path) -> None:
    first = serving.serving_plan(12.0, "dp")
    serving.PLANS.forget()
    computed = serving.PLANS.computed
    assert serving.serving_plan(12.0, "dp") == first
    assert serving.PLANS.computed == computed


def test_an_edit_no_plan_reads_keeps_every_plan(empty_cache: Path, tmp_path: Path) -> None:
    key = planstore.plan_key()
    sc.use_scenario(_scenario(tmp_path, "[targets]\ncarbon_reduction_target = 0.3\n"))
    assert planstore.plan_key() == key
    sc.use_scenario(_scenario(tmp_path, "[reliability]\ngpu_mtbf_h = 5000.0\n"))
    assert planstore.plan_key() != key


READ_ONLY_CHECK = """
import sys
from constraintlab.model import serving
plan = serving.serving_plan(20.0, "tp_dp")
assert serving.PLANS.computed == 0, "the shared plan was computed again"
serving.serving_plan(21.0, "tp_dp")  # computed, kept in memory only
print(plan.replicas_required)
"""


def test_a_read_only_cache_folder_is_read_and_never_written(empty_cache: Path) -> None:
    """As a student on a hub, for whom the permission bits bind (root's override dropped)."""
    plan = serving.serving_plan(20.0, "tp_dp")
    folder = serving.PLANS.folder()
    os.chmod(folder, 0o555)
    try:
        done = subprocess.run(
            [*unprivileged_prefix(), sys.executable, "-c", READ_ONLY_CHECK],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "CONSTRAINTLAB_CACHE": str(empty_cache)},
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == str(plan.replicas_required)
        assert not (folder / "21.0-tp_dp.json").exists()
    finally:
        os.chmod(folder, 0o755)


def test_a_damaged_plan_file_is_computed_again(empty_cache: Path) -> None:
    plan = serving.serving_plan(5.0, "dp")
    path = serving.PLANS.folder() / "5.0-dp.json"
    path.write_text("{not json", encoding="utf-8")
    serving.PLANS.forget()
    assert serving.serving_plan(5.0, "dp") == plan


def test_old_pickles_and_surplus_key_folders_are_pruned(empty_cache: Path) -> None:
    empty_cache.mkdir(parents=True)
    (empty_cache / "serving-0123456789abcdef0123.pickle").write_bytes(b"old")
    for i in range(planstore.KEEP_KEYS + 3):
        old = empty_cache / f"{planstore.PREFIX}{i:020d}"
        old.mkdir()
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    serving.serving_plan(3.0, "dp")
    names = sorted(p.name for p in empty_cache.iterdir())
    assert not any(name.endswith(".pickle") for name in names)
    assert len(names) == planstore.KEEP_KEYS
    assert serving.PLANS.folder().name in names
    assert f"{planstore.PREFIX}{planstore.KEEP_KEYS + 2:020d}" in names  # the newest kept


def test_a_sweep_over_many_values_never_evicts_the_plans_every_start_reads(
    empty_cache: Path,
) -> None:
    """The lab's reveal writes a folder per value it tries; the shipped scenario's folder, the
    oldest on disk, survives a later process's pruning, and a folder read from counts as used."""
    serving.serving_plan(3.0, "dp")
    shipped = serving.PLANS.folder()
    os.utime(shipped, (1_000_000, 1_000_000))  # written long ago
    for i in range(planstore.KEEP_KEYS + 3):
        old = empty_cache / f"{planstore.PREFIX}{i:020d}"
        old.mkdir()
        os.utime(old, (2_000_000 + i, 2_000_000 + i))
    later = planstore.PlanStore(serving._serving_plan, serving._encode, serving._decode)
    assert later.get(3.0, "dp") == serving.serving_plan(3.0, "dp")  # read, not computed
    assert later.computed == 0 and shipped.stat().st_mtime > 2_000_000  # marked as used
    with sc.using(sc.SHIPPED.with_value("serving.serving_mfu", 0.45)):
        later.get(3.0, "dp")  # a value a reveal tries: computed, written, and the root pruned
        varied = later.folder()
    names = {p.name for p in empty_cache.iterdir()}
    assert {shipped.name, varied.name} <= names
    assert len(names) == planstore.KEEP_KEYS


def test_progress_reports_every_pair(empty_cache: Path) -> None:
    seen: list[tuple[int, int]] = []
    serving.warm_grid_plans([1.0, 2.0], ["dp", "3d"], progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_a_cold_census_shows_a_plan_progress_line_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal, building plans shows "serving plans k/210" on stderr (rich)."""
    import pty

    code = "from constraintlab.cli.main import main; main(['explore', 'census', '--json'])"
    leader, follower = pty.openpty()
    env = {**os.environ, "CONSTRAINTLAB_CACHE": str(tmp_path / "cold"), "COLUMNS": "100"}
    with open(os.devnull, "wb") as sink:
        done = subprocess.run(
            [sys.executable, "-c", code], stdout=sink, stderr=follower, env=env, check=False
        )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert done.returncode == 0
    # k/n with n the grid's 210 pairs, less any plan the command needed first (the baseline's)
    assert re.search(rb"serving plans\s*(\x1b\[[0-9;]*m)?\s*\d+/(209|210)", seen), seen[:300]


def test_a_reveal_in_one_process_keeps_the_cache_folder_bounded(empty_cache: Path) -> None:
    """Each value a reveal tries is a plan key: the root is pruned each time this process
    starts a folder, not once, so one lab session's reveals leave KEEP_KEYS folders, the
    shipped one among them (40 folders stayed on disk before)."""
    serving.serving_plan(3.0, "dp")
    shipped = serving.PLANS.folder()
    for step in range(40):
        with sc.using(sc.SHIPPED.with_value("serving.serving_mfu", 0.3 + step / 200)):
            serving.serving_plan(3.0, "dp")
    names = {p.name for p in empty_cache.iterdir()}
    assert len(names) == planstore.KEEP_KEYS and shipped.name in names
