"""Shared fixtures: a private HOME and ledger path, so no test ever touches ~/.mlsys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


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
