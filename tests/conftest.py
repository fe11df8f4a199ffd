"""Shared fixtures: a private HOME and ledger path, so no test ever touches ~/.mlsys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# The model's serving plans take a few seconds to build and are kept on disk under
# ~/.cache/constraintlab (keyed by the constants and the code). Tests give each lab a private
# HOME; without this they (and every lab server they start) would build the plans again.
os.environ.setdefault("CONSTRAINTLAB_CACHE", str(Path.home() / ".cache" / "constraintlab"))


@dataclass(frozen=True)
class LabEnv:
    home: Path
    ledger: Path


@pytest.fixture
def lab_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LabEnv:
    """A temporary HOME, and CONSTRAINTLAB_LEDGER pointing at a ledger file beside it."""
    home = tmp_path / "home"
    home.mkdir()
    ledger = tmp_path / "ledger.sqlite3"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CONSTRAINTLAB_LEDGER", str(ledger))
    return LabEnv(home, ledger)


@pytest.fixture
def own_lab_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LabEnv:
    """A temporary HOME whose default store is used (no CONSTRAINTLAB_LEDGER): the student's
    own store, the only one that takes in ``~/.mlsys``'s course files without being asked."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CONSTRAINTLAB_LEDGER", raising=False)
    monkeypatch.delenv("CONSTRAINTLAB_COURSE_LEDGER", raising=False)
    return LabEnv(home, home / ".mlsys" / "constraintlab.sqlite3")


@pytest.fixture(autouse=True)
def _scenario_left_as_shipped() -> Iterator[None]:
    """An in-process ``--scenario`` also sets CONSTRAINTLAB_SCENARIO (for the lab's child
    process); without this a later test's CLI call would load the earlier test's file."""
    yield
    os.environ.pop("CONSTRAINTLAB_SCENARIO", None)
    from constraintlab.model import scenario as sc

    if sc.SCENARIO_PATH is not None:
        sc.use_scenario(None)
