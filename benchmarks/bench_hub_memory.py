"""Benchmark: the memory one student's lab holds at rest, against a bare marimo app.

Prints one JSON object. In the same run: ``constraintlab run --port 0`` (the lab) and
``marimo run`` of a one-cell notebook (the anchor), each opened in Debian's chromium until its
page is drawn (the lab: the Act I question), then the resident memory (RSS) and proportional
set size (PSS) of each server's process tree, in MiB, after 2 s at rest; ratio = lab / anchor.
The figure after a full play-through comes from ``tests/test_hub.py``
(``artifacts/hub-memory.json``), which drives the lab through jupyter-server-proxy.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from constraintlab.cli.run import free_port

BARE = """import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo

    mo.md("bare marimo page")
    return
"""
CHROMIUM = "/usr/bin/chromium"


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found = [pid]
    for parent in found:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(stat.parent.name))
            except (OSError, ValueError):
                continue
    return found


def memory_mib(pid: int) -> dict[str, float]:
    rss = pss = 0
    for member in tree(pid):
        rss += _field(Path(f"/proc/{member}/status"), "VmRSS:")
        pss += _field(Path(f"/proc/{member}/smaps_rollup"), "Pss:")
    return {"rss_mib": round(rss / 1024, 1), "pss_mib": round(pss / 1024, 1)}


def _field(path: Path, name: str) -> int:
    line = next(x for x in path.read_text().splitlines() if x.startswith(name))
    return int(line.split()[1])


def start(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """Start a server and return it with the URL it prints."""
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert server.stdout is not None
    for line in server.stdout:
        found = re.search(r"http://127\.0\.0\.1:\d+\S*", line)
        if found:
            return server, found.group(0).rstrip(".")
    raise RuntimeError(f"server exited: {command}")


def at_rest(page: Any, url: str, ready_text: str) -> None:
    page.goto(url, timeout=120_000)
    page.get_by_text(ready_text, exact=False).first.wait_for(timeout=120_000)
    page.wait_for_timeout(2000)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HOME": tmp}
        env.pop("CONSTRAINTLAB_LEDGER", None)
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        script = str(Path(sys.executable).with_name("constraintlab"))
        lab, lab_url = start([script, "run", "--port", "0"], env)
        port = free_port("127.0.0.1")
        anchor = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "marimo",
                "run",
                str(bare),
                "--headless",
                "--no-token",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        anchor_url = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
                )
                at_rest(browser.new_page(), lab_url, "None in particular")
                at_rest(browser.new_page(), anchor_url, "bare marimo page")
                result = {
                    "lab_at_rest": memory_mib(lab.pid),
                    "bare_marimo_at_rest": memory_mib(anchor.pid),
                }
                browser.close()
        finally:
            for server in (lab, anchor):
                server.terminate()
                server.wait(20)
    result["ratio_rss"] = round(
        result["lab_at_rest"]["rss_mib"] / result["bare_marimo_at_rest"]["rss_mib"], 2
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
