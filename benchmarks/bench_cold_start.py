"""Benchmark: commands as a user types them, and the lab's first start, cold and warm. JSON.

Every figure is a whole process (``constraintlab ...`` started, run to its end), timed
against ``constraintlab --version`` in the same run (the anchor: Python, typer and the
package's import), with its peak resident memory (``ru_maxrss`` of that child alone):

* ``evaluate`` (the README's first command) and ``explore sensitivity`` with a warm plan
  cache; ``evaluate`` with an empty one;
* ``explore census`` with an empty plan cache, on the shipped scenario and on one with
  ``serving_mfu = 0.55`` (every plan changes);
* the lab's first start with an empty plan cache and a new HOME, as a student on a hub:
  ``constraintlab run`` to the Act II scorecards drawn in Debian's chromium, and the peak
  memory of the server's process tree (sampled every 50 ms).

Goals (issue 23): evaluate <= 5x and sensitivity <= 8x the anchor; each cold census <= 15x
and < 400 MiB; the lab's cold start to Act II < 15 s and < 400 MiB.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_hub_memory import memory_mib, start

CLI = str(Path(sys.executable).with_name("constraintlab"))
CHROMIUM = "/usr/bin/chromium"
RUNS = 3
GOALS = {"evaluate": 5.0, "sensitivity": 8.0, "census_cold": 15.0, "census_cold_mfu": 15.0}


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one whole ``constraintlab ARGS`` process."""
    started = time.perf_counter()
    child = subprocess.Popen([CLI, *args], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"constraintlab {' '.join(args)} failed")
    return seconds, usage.ru_maxrss / 1024.0


def best(args: list[str], env: dict[str, str], fresh_cache: bool = False) -> dict[str, float]:
    """Median wall time over RUNS runs (each with an empty plan cache if ``fresh_cache``)."""
    walls, peaks = [], []
    for _ in range(RUNS):
        if fresh_cache:
            env = {**env, "CONSTRAINTLAB_CACHE": tempfile.mkdtemp(prefix="plans-")}
        wall, peak = timed(args, env)
        walls.append(wall)
        peaks.append(peak)
    return {"seconds": round(statistics.median(walls), 3), "peak_rss_mib": round(max(peaks), 1)}


def lab_cold_start(env: dict[str, str], ledger: Path) -> dict[str, float]:
    """``constraintlab run`` with an empty plan cache, until Act II's scorecards are drawn."""
    from playwright.sync_api import sync_playwright

    from bench_lab import _seed, open_lab

    _seed(ledger)
    peak = [0.0]
    started = time.perf_counter()
    server, url = start([CLI, "run", "--port", "0", "--ledger", str(ledger)], env)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            with contextlib.suppress(OSError, StopIteration):
                peak[0] = max(peak[0], memory_mib(server.pid)["rss_mib"])
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url, timeout=120_000)
            open_lab(page)
            seconds = time.perf_counter() - started
            page.wait_for_timeout(1000)
            browser.close()
    finally:
        done.set()
        sampler.join()
        server.terminate()
        server.wait(20)
    return {"seconds_to_act_two": round(seconds, 2), "peak_rss_mib": round(peak[0], 1)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        home = folder / "home"
        home.mkdir()
        warm = folder / "warm-plans"
        env = {**os.environ, "HOME": str(home), "CONSTRAINTLAB_CACHE": str(warm)}
        env.pop("CONSTRAINTLAB_LEDGER", None)
        edited = folder / "mfu.toml"
        edited.write_text("[serving]\nserving_mfu = 0.55\n", encoding="utf-8")
        timed(["explore", "census"], env)  # fills the warm cache
        anchor = best(["--version"], env)
        figures = {
            "version": anchor,
            "evaluate": best(["evaluate"], env),
            "evaluate_cold": best(["evaluate"], env, fresh_cache=True),
            "sensitivity": best(["explore", "sensitivity"], env),
            "census_cold": best(["explore", "census"], env, fresh_cache=True),
            "census_cold_mfu": best(
                ["explore", "census", "--scenario", str(edited)], env, fresh_cache=True
            ),
        }
        lab_env = {**env, "CONSTRAINTLAB_CACHE": str(folder / "lab-plans")}
        lab = lab_cold_start(lab_env, folder / "ledger.sqlite3")
    ratios = {
        name: round(figures[name]["seconds"] / anchor["seconds"], 2)
        for name in ("evaluate", "evaluate_cold", "sensitivity", "census_cold", "census_cold_mfu")
    }
    within = {name: ratios[name] <= goal for name, goal in GOALS.items()}
    within["census_memory"] = (
        max(figures["census_cold"]["peak_rss_mib"], figures["census_cold_mfu"]["peak_rss_mib"])
        < 400
    )
    within["lab_cold_start"] = lab["seconds_to_act_two"] < 15 and lab["peak_rss_mib"] < 400
    print(
        json.dumps(
            {
                "benchmark": "cold_start",
                "processes": figures,
                "ratios_over_version": ratios,
                "lab_cold_start": lab,
                "goals": {
                    **GOALS,
                    "census_peak_rss_mib": 400,
                    "lab_s": 15,
                    "lab_peak_rss_mib": 400,
                },
                "within_goals": within,
                "machine": {"cpus": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2)},
            }
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
