"""Two processes writing at once lose nothing; a writer killed with SIGKILL loses nothing either.

* Two ``spawn`` processes open the same (new) store at the same moment; each records 500
  distinct attempts and saves 500 designs over the 33 chapter keys. All 1,000 attempts must be
  there, each process's in its own order, and every chapter must hold the last design one of
  the two processes saved for it. (Chapter keys are only 33, so "500 different entries" per
  process is shown with the attempts table; the entries show last-save-wins under contention.)
* A writer subprocess saves and records in a loop and prints an acknowledgement after each call
  returned; it is killed with SIGKILL at a seeded random moment, 50 times (every tenth time on
  a new store, so some kills land while the store is being created). After each kill the store
  must open, pass ``PRAGMA integrity_check``, and hold every acknowledged save and attempt.
"""

from __future__ import annotations

import itertools
import multiprocessing
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from constraintlab.ledger import Ledger
from constraintlab.ledger.keys import CHAPTER_KEYS

PER_PROCESS = 500
PAUSE_S = 0.0005
KILLS = 50


def _writer(path: str, name: str, barrier: Any) -> None:
    """Child process: open the store, wait for the other one, then write.

    A pause of PAUSE_S between writes keeps the two writers interleaved: unpaced, one process
    can finish all its writes while SQLite's busy handler has the other one backing off.
    """
    with Ledger.open(path) as ledger:
        barrier.wait(timeout=60)  # a partner that died fails the test, it does not hang it
        for i in range(PER_PROCESS):
            ledger.record_attempt({"writer": name, "i": i})
            ledger.save(CHAPTER_KEYS[i % len(CHAPTER_KEYS)], {"writer": name, "i": i})
            time.sleep(PAUSE_S)


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [
        context.Process(target=_writer, args=(str(path), name, barrier)) for name in ("a", "b")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    with Ledger.open(path) as ledger:
        attempts = ledger.attempts()
        entries = ledger.entries()
    assert len(attempts) == 2 * PER_PROCESS
    order = [a.design["writer"] for a in attempts]
    switches = sum(x != y for x, y in itertools.pairwise(order))
    assert switches >= 10, "the two writers hardly overlapped: little concurrency was tested"
    for name in ("a", "b"):
        mine = [a.design["i"] for a in attempts if a.design["writer"] == name]
        assert mine == list(range(PER_PROCESS))
    last_i = {
        key: max(i for i in range(PER_PROCESS) if i % len(CHAPTER_KEYS) == n)
        for n, key in enumerate(CHAPTER_KEYS)
    }
    assert set(entries) == set(CHAPTER_KEYS)
    for key, design in entries.items():
        assert design["i"] == last_i[key], key  # one writer's last save, whole and unmixed


def _opener(path: str, name: str, barrier: Any) -> None:
    barrier.wait(timeout=60)
    with Ledger.open(path) as ledger:
        ledger.record_attempt({"opener": name})


def test_many_processes_creating_one_store_at_the_same_moment_all_get_in(tmp_path: Path) -> None:
    """Creating a store switches it to WAL, which needs the file alone: openers must back off."""
    path = tmp_path / "fresh.sqlite3"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(6)
    openers = [context.Process(target=_opener, args=(str(path), str(n), barrier)) for n in range(6)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join(timeout=120)
    assert [o.exitcode for o in openers] == [0] * 6
    with Ledger.open(path) as ledger:
        assert sorted(a.design["opener"] for a in ledger.attempts()) == [str(n) for n in range(6)]


WRITER = """
import sys
from constraintlab.ledger import Ledger
from constraintlab.ledger.keys import CHAPTER_KEYS
path, start = sys.argv[1], int(sys.argv[2])
ledger = Ledger.open(path)
print("ready", flush=True)
n = start
while True:
    ledger.save(CHAPTER_KEYS[n % len(CHAPTER_KEYS)], {"n": n})
    print(f"save {n}", flush=True)
    ledger.record_attempt({"n": n})
    print(f"attempt {n}", flush=True)
    n += 1
"""


def _kill_at_random(path: Path, start: int, rng: random.Random) -> list[str]:
    """Run the writer, SIGKILL it at a random moment, return the lines it acknowledged."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert writer.stdout is not None
    if rng.random() < 0.3:
        time.sleep(rng.uniform(0.0, 0.12))  # often before or while the store opens
    else:
        assert writer.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.0, 0.06))
    writer.send_signal(signal.SIGKILL)
    rest = writer.stdout.read()
    writer.wait()
    assert writer.returncode == -signal.SIGKILL
    return [line for line in rest.decode().splitlines() if line != "ready"]


def _check(path: Path, acknowledged: dict[str, int], attempts: set[int]) -> None:
    """The store opens, is intact, and holds every acknowledged save and attempt."""
    with Ledger.open(path) as ledger:
        assert ledger._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        entries = ledger.entries()
        stored_attempts = {a.design["n"] for a in ledger.attempts()}
    for key, n in acknowledged.items():
        stored = entries[key]["n"]
        assert isinstance(stored, int) and stored >= n  # a later, unacknowledged save may win
    assert attempts <= stored_attempts


def test_a_writer_killed_at_random_moments_loses_nothing_it_acknowledged(
    tmp_path: Path,
) -> None:
    rng = random.Random(1_729)
    acknowledged: dict[str, int] = {}
    attempts: set[int] = set()
    total_acks = 0
    path = tmp_path / "store-0.sqlite3"
    for kill in range(KILLS):
        if kill % 10 == 0:
            path = tmp_path / f"store-{kill // 10}.sqlite3"
            acknowledged, attempts = {}, set()
        start = kill * 1_000_000
        for line in _kill_at_random(path, start, rng):
            kind, number = line.split()
            n = int(number)
            if kind == "save":
                acknowledged[CHAPTER_KEYS[n % len(CHAPTER_KEYS)]] = n
            else:
                attempts.add(n)
            total_acks += 1
        if path.exists():
            _check(path, acknowledged, attempts)
    assert total_acks > KILLS  # the writer did get work done between kills
