"""The lab page as a student sees it, against a bare marimo app measured in the same run.

Both are served by marimo on this machine and driven in Debian's chromium. The lab starts
through the browser test's own helper (``tests/test_browser.py: lab_server``), so it is the
``constraintlab run`` a student gets; the bare app is one slider and one HTML output.

What is timed, in the page (``performance.now()``):

* ``status_ms``: a slider key press (keydown) to the ``#arch-status`` element showing the new
  design (a MutationObserver sees its ``data-design`` change). The lab has both acts open and
  every chart drawn; each press reaches a design the page has not shown before (no cache of a
  whole design can answer it).
* ``settle_ms``: the same key press to the last change anywhere in the page (after
  ``QUIET_MS`` without one).
* ``load_ms``: navigation start to the first question on screen (the lab: Act I's prediction;
  the bare app: its slider), each load a fresh page and a fresh marimo session; loads of the
  two apps alternate.

Presses alternate too: one on the bare app, one on the lab, so both are timed under the same
load on a shared machine.

Prints JSON: medians, p95, every sample, the ratios lab / bare with the goals of issue 12, and
the machine's load average (timings on a shared 2-core machine are noisy: the ratio is the
figure to read).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_browser import (  # noqa: E402  (the tests folder is not a package)
    CHROMIUM,
    CHROMIUM_ARGS,
    START_S,
    free_port,
    lab_server,
)

PRESSES = 20  # timed key presses per app
WARMUP = 2  # untimed presses first (the first change of a session pays one-off costs)
LOADS = 3  # page loads per app
QUIET_MS = 400  # no DOM change for this long: the page has settled
GOALS = {"status_median": 2.0, "settle_median": 3.0, "load_median": 1.5}

BARE_APP = """import marimo

app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    return (mo,)


@app.cell
def _(mo):
    value = mo.ui.slider(0, 100, value=10, label="A value", show_value=True)
    value
    return (value,)


@app.cell
def _(mo, value):
    mo.Html(f'<div id="arch-status" data-design="{value.value}">value {value.value}</div>')
    return


if __name__ == "__main__":
    app.run()
"""

# Times the first appearance of the first question (installed before any page script runs):
# a marimo widget of the given tag and label whose control has been drawn in its shadow root.
FIRST_QUESTION_JS = """([tag, label]) => {
  const drawn = () => [...document.querySelectorAll(tag)].some(
    (el) => (el.dataset.label ?? '').includes(label)
      && el.shadowRoot?.querySelector('[role=radio], [role=slider], input'));
  const poll = () => {
    if (drawn()) window.__firstQuestion = performance.now();
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
}"""

# Per key press: t0 at keydown, status when #arch-status names a new design, last = the last
# DOM change after the key press.
WATCH_JS = """() => {
  const w = window.__bench = {t0: null, status: null, last: null, before: null};
  const current = () => document.querySelector('#arch-status')?.dataset.design ?? null;
  document.addEventListener('keydown', () => {
    w.t0 = performance.now(); w.status = null; w.last = w.t0; w.before = current();
  }, true);
  new MutationObserver(() => {
    if (w.t0 === null) return;
    w.last = performance.now();
    if (w.status === null && current() !== null && current() !== w.before) w.status = w.last;
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true});
}"""

SETTLED_JS = f"""() => window.__bench.status !== null
  && performance.now() - window.__bench.last > {QUIET_MS}"""


def summary(samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median": round(statistics.median(ordered), 1),
        "p95": round(p95, 1),
        "min": round(ordered[0], 1),
        "max": round(ordered[-1], 1),
        "n": len(ordered),
        "all": [round(x, 1) for x in samples],
    }


@contextmanager
def bare_server(folder: Path) -> Iterator[str]:
    """A bare marimo app (one slider, one HTML output) served the way the lab is."""
    app_path = folder / "bare_app.py"
    app_path.write_text(BARE_APP)
    port = free_port()
    command = [sys.executable, "-m", "marimo", "run", str(app_path), "--headless", "--no-token"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            assert server.poll() is None, "the bare marimo app exited"
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the bare marimo app did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(20)


def load_page(context: Any, url: str, question: tuple[str, str]) -> tuple[Any, float]:
    """Open a fresh page; return it and the time to its first question (ms)."""
    page = context.new_page()
    page.set_default_timeout(START_S * 1000)
    page.add_init_script(f"({FIRST_QUESTION_JS})({json.dumps(question)})")
    page.goto(url)
    page.wait_for_function("() => window.__firstQuestion !== undefined")
    return page, float(page.evaluate("() => window.__firstQuestion"))


def press_and_time(page: Any, key: str) -> tuple[float, float]:
    """One key press on the focused slider: (status_ms, settle_ms)."""
    page.keyboard.press(key)
    page.wait_for_function(SETTLED_JS, timeout=60_000, polling=50)
    t0, t_status, last = page.evaluate(
        "() => [window.__bench.t0, window.__bench.status, window.__bench.last]"
    )
    return float(t_status - t0), float(last - t0)


def interleaved_presses(bare: Any, lab: Any, plan: list[tuple[Any, str]]) -> dict[str, Any]:
    """Alternate one press on the bare app and one on the lab, so both see the same machine
    load; ``plan`` is the lab's (slider, key) per press. WARMUP untimed presses first."""
    for page in (bare, lab):
        page.evaluate(WATCH_JS)
    timed: dict[str, list[list[float]]] = {"bare": [[], []], "lab": [[], []]}
    bare_thumb = bare.locator('marimo-slider [role="slider"]')
    for n, (lab_thumb, key) in enumerate(plan):
        for name, page, thumb, pressed in (
            ("bare", bare, bare_thumb, "ArrowRight"),
            ("lab", lab, lab_thumb, key),
        ):
            page.bring_to_front()
            thumb.focus()
            status, settle = press_and_time(page, pressed)
            if n >= WARMUP:
                timed[name][0].append(status)
                timed[name][1].append(settle)
    return timed


LAB_FIRST_QUESTION = ("marimo-radio", "Your prediction")
BARE_FIRST_QUESTION = ("marimo-slider", "A value")


def open_lab(page: Any) -> None:
    """Both acts open, every chart drawn: the page a student has in front of them."""
    page.get_by_text("None in particular", exact=False).click()
    page.locator("#ledger-summary").wait_for()
    page.get_by_text("No architecture meets them all", exact=False).click()
    for hook in ("#arch-status", "#heatmap", "#tornado", "#hud", "#chart-hit-rate"):
        page.locator(hook).wait_for()


def lab_slider(page: Any, label: str) -> Any:
    return page.locator(f'marimo-slider[data-label*="{label}"] [role="slider"]')


def run() -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    with (
        sandbox() as (folder, home, ledger),
        lab_server(ledger, home) as lab_url,
        bare_server(folder) as bare_url,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        loads: dict[str, list[float]] = {"lab": [], "bare": []}
        for _ in range(LOADS):
            for name, url, question in (
                ("bare", bare_url, BARE_FIRST_QUESTION),
                ("lab", lab_url, LAB_FIRST_QUESTION),
            ):
                page, ms = load_page(context, url, question)
                loads[name].append(ms)
                page.close()
        bare, _ = load_page(context, bare_url, BARE_FIRST_QUESTION)
        lab, _ = load_page(context, lab_url, LAB_FIRST_QUESTION)
        open_lab(lab)
        # every lab press reaches a design not shown before: model size up, then the
        # adversarial weight up (a deferrable-work step first, untimed, as a warm-up)
        plan = [(lab_slider(lab, "Deferred fine-tuning"), "ArrowRight")] * WARMUP
        plan += [(lab_slider(lab, "Model size"), "ArrowRight")] * (PRESSES // 2)
        plan += [(lab_slider(lab, "Adversarial training weight"), "ArrowRight")] * (
            PRESSES - PRESSES // 2
        )
        timed = interleaved_presses(bare, lab, plan)
        browser.close()
    figures = {
        "lab": {
            "status_ms": summary(timed["lab"][0]),
            "settle_ms": summary(timed["lab"][1]),
            "load_ms": summary(loads["lab"]),
        },
        "bare": {
            "status_ms": summary(timed["bare"][0]),
            "settle_ms": summary(timed["bare"][1]),
            "load_ms": summary(loads["bare"]),
        },
    }
    ratios = {
        "status_median": _ratio(figures, "status_ms"),
        "settle_median": _ratio(figures, "settle_ms"),
        "load_median": _ratio(figures, "load_ms"),
    }
    return {
        "benchmark": "lab_page",
        **figures,
        "ratios_lab_over_bare": ratios,
        "goals": GOALS,
        "within_goals": {k: ratios[k] <= GOALS[k] for k in GOALS},
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_1m_before": round(load_before[0], 2),
            "loadavg_1m_after": round(os.getloadavg()[0], 2),
        },
    }


def _ratio(figures: dict[str, Any], key: str) -> float:
    return round(figures["lab"][key]["median"] / figures["bare"][key]["median"], 2)


@contextmanager
def sandbox() -> Iterator[tuple[Path, Path, Path]]:
    """(a temporary folder, a private HOME in it, a ledger beside it seeded with two labs).

    HOME is set in this process's environment, for the lab server it starts. The model's
    serving-plan cache stays where it is (as tests/conftest.py does): under a private HOME the
    lab would first rebuild the plans (~40 s) and time out opening."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        home = folder / "home"
        home.mkdir()
        ledger = folder / "ledger.sqlite3"
        os.environ.setdefault("CONSTRAINTLAB_CACHE", str(Path.home() / ".cache" / "constraintlab"))
        os.environ["HOME"] = str(home)
        _seed(ledger)
        yield folder, home, ledger


def _seed(ledger: Path) -> None:
    from constraintlab.ledger import open_ledger

    store = open_ledger(ledger)
    store.save("5", {"act1_prediction": "A", "act1_correct": False, "constraint_hit": True})
    store.save("v2_07", {"act1_prediction": "B", "act1_correct": True, "constraint_hit": False})


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
