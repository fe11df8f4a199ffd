"""The serving plans' one owner: computed once per scenario, kept in memory and on disk.

Every caller (the scalar engine, the vectorised engine, the advice sweeps, the census tables,
the simulator's fleet checks, the carbon baseline) asks :func:`constraintlab.model.serving.
serving_plan`, which asks the store below. A plan depends on (model size, strategy) and on
the scenario constants it reads (:data:`PLAN_INPUTS`), nothing else, so the key is exactly
those values and a digest of the code that turns them into a plan: an edit of the carbon
target or the training constants keeps every plan.

On disk (``$CONSTRAINTLAB_CACHE``, default ``~/.cache/constraintlab``) each plan is one small
JSON file, written as it is computed (a temporary file renamed over it), so a killed process
keeps what it finished and a reader never sees half a file. JSON, not pickle: a cache folder
shared by a class (read-only for students, filled by the instructor) can hold no code. A
folder that cannot be written is only read. Plan folders of other keys beyond the
:data:`KEEP_KEYS` used last (a folder read from counts as used) are removed each time the
process starts writing a folder (a reveal tries a value per step), and so are the version-2
pickles; the shipped scenario's and the process's folders are never removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from constraintlab.model import scenario as sc

PLAN_INPUTS: Final = (
    "workload.hospital_count",
    "workload.inferences_per_hospital_per_day",
    "targets.p99_slo_ms",
    "targets.uptime_target",
    "hardware.h100_hbm_bandwidth_gb_per_s",
    "hardware.h100_dense_fp16_tflops",
    "hardware.h100_memory_gb",
    "hardware.gpus_per_node",
    "hardware.nvlink_gb_per_s_per_direction",
    "hardware.infiniband_gbit_per_s",
    "hardware.tp_collective_latency_us",
    "hardware.pipeline_hop_latency_us",
    "reliability.gpu_mtbf_h",
    "reliability.cold_restart_min",
    "serving.images_per_study",
    "serving.tokens_per_image",
    "serving.bytes_per_param_serving",
    "serving.serving_memory_usable_fraction",
    "serving.serving_mfu",
    "serving.model_aspect_ratio",
    "serving.service_time_scv",
    "serving.routing_policy",
)
CODE_FILES: Final = (
    "serving.py",
    "queueing.py",
    "uptime.py",
    "decide.py",
    "planstore.py",
    "strategies.py",  # the replica layouts
    "registry.py",  # with constraints.py: the P99 and uptime rule (decimals, comparison, target)
    "constraints.py",
)
KEEP_KEYS: Final = 16
PREFIX: Final = "serving-v3-"

Progress = Callable[[int, int], None]


def cache_root() -> Path:
    """$CONSTRAINTLAB_CACHE, or ~/.cache/constraintlab."""
    configured = os.environ.get("CONSTRAINTLAB_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "constraintlab"


_CODE_DIGEST: list[str] = []


def _code_digest() -> str:
    if not _CODE_DIGEST:
        digest = hashlib.sha256()
        for name in CODE_FILES:
            digest.update(Path(__file__).with_name(name).read_bytes())
        _CODE_DIGEST.append(digest.hexdigest())
    return _CODE_DIGEST[0]


_KEYS: dict[str, str] = {}  # scenario fingerprint -> plan key


def plan_key(scenario: sc.Scenario | None = None) -> str:
    """A digest of the plan code and the values of :data:`PLAN_INPUTS` in ``scenario`` (the
    scenario in force if None)."""
    scenario = scenario or sc.current()
    key = _KEYS.get(scenario.fingerprint)
    if key is None:
        digest = hashlib.sha256(_code_digest().encode())
        for name in PLAN_INPUTS:
            digest.update(f"{name}={scenario.constant(name).value!r};".encode())
        key = _KEYS[scenario.fingerprint] = digest.hexdigest()[:20]
    return key


class PlanStore:
    """Plans by (key, model size, strategy): memory first, then the disk folder of the key."""

    def __init__(
        self,
        compute: Callable[[float, str], Any],
        encode: Callable[[Any], dict[str, Any]],
        decode: Callable[[dict[str, Any]], Any],
    ) -> None:
        self._compute, self._encode, self._decode = compute, encode, decode
        self._memory: dict[tuple[str, float, str], Any] = {}
        self._made: set[Path] = set()  # key folders known to exist (made or found)
        self._used: set[Path] = set()  # key folders this process has marked as used
        self.computed = 0  # plans computed (not read) by this process, for tests and benchmarks

    def folder(self, key: str | None = None) -> Path:
        return cache_root() / f"{PREFIX}{key or plan_key()}"

    def get(self, model_size_b: float, strategy: str) -> Any:
        """The plan of one pair: from memory, else from disk, else computed and written."""
        key = plan_key()
        slot = (key, float(model_size_b), strategy)
        plan = self._memory.get(slot)
        if plan is None:
            plan = self._read(key, slot[1], strategy)
            if plan is None:
                plan = self._compute(slot[1], strategy)
                self.computed += 1
                self._write(key, slot[1], strategy, plan)
            self._memory[slot] = plan
        return plan

    def warm(self, pairs: list[tuple[float, str]], progress: Progress | None = None) -> None:
        """Make every pair's plan available, reporting ``progress(done, total)`` as it goes."""
        key = plan_key()
        total = len(pairs)
        for done, (size, strategy) in enumerate(pairs, start=1):
            if (key, float(size), strategy) not in self._memory:
                self.get(size, strategy)
            if progress is not None:
                progress(done, total)

    def missing(self, pairs: list[tuple[float, str]]) -> list[tuple[float, str]]:
        """The pairs whose plan is neither in memory nor on disk (what :meth:`warm` computes)."""
        key = plan_key()
        return [
            (size, strategy)
            for size, strategy in pairs
            if (key, float(size), strategy) not in self._memory
            and not self._file(key, float(size), strategy).is_file()
        ]

    def forget(self) -> None:
        """Drop the plans held in memory (the disk keeps them)."""
        self._memory.clear()

    def _file(self, key: str, size: float, strategy: str) -> Path:
        return self.folder(key) / f"{size!r}-{strategy}.json"

    def _read(self, key: str, size: float, strategy: str) -> Any:
        try:
            with self._file(key, size, strategy).open(encoding="utf-8") as handle:
                plan = self._decode(json.load(handle))
        except (OSError, ValueError, TypeError, KeyError):
            return None
        self._mark_used(self.folder(key))
        return plan

    def _mark_used(self, folder: Path) -> None:
        """A folder read from is recent: pruning keeps the folders used last, not written last."""
        if folder not in self._used:
            self._used.add(folder)
            with contextlib.suppress(OSError):  # a read-only class cache is never pruned anyway
                os.utime(folder)

    def _write(self, key: str, size: float, strategy: str, plan: Any) -> None:
        folder = self.folder(key)
        try:
            new_folder = folder not in self._made
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".plan-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(self._encode(plan), stream)
            os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide a shared cache from a class
            os.replace(temporary, self._file(key, size, strategy))
        except OSError:
            return  # a read-only or full cache folder: the plan stays in memory only
        if new_folder:  # each folder this process starts writing: a reveal's steps add many
            self._made.add(folder)
            shipped, process = (self.folder(plan_key(s)) for s in (sc.SHIPPED, sc.process()))
            prune(folder.parent, keep={folder, shipped, process})


def prune(root: Path, keep: set[Path]) -> None:
    """Remove version-2 pickles and plan folders beyond the :data:`KEEP_KEYS` used last.

    The folders in ``keep`` (the plans being written, the shipped scenario's and the
    process's) are never removed: a sweep over many values (``explore assumptions``, the lab's
    reveal) writes a folder per value and must not evict the plans every start reads."""
    with contextlib.suppress(OSError):
        entries = [p for p in root.iterdir() if p.name.startswith("serving-") and p not in keep]
        for old in [p for p in entries if p.suffix == ".pickle"]:
            with contextlib.suppress(OSError):
                old.unlink()
        folders = [p for p in entries if p.is_dir() and p.name.startswith(PREFIX)]
        folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in folders[max(KEEP_KEYS - len(keep), 0) :]:
            shutil.rmtree(old, ignore_errors=True)
