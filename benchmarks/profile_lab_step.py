"""What one slider step costs the lab page: which cells re-run, how big their outputs are, and
when each reaches the page (not a benchmark: ``make bench`` does not run it).

Starts the lab as ``bench_lab`` does (both acts open, every chart drawn), wraps the page's
WebSocket before marimo's scripts run, and presses a slider's right arrow a few times. Per
press it prints JSON: the status and settle times (as ``bench_lab`` times them), the number of
messages marimo sent, and per re-run cell its output's bytes and arrival (ms after keydown).

    .venv/bin/python benchmarks/profile_lab_step.py ["Model size"] [presses]

For where the time goes inside the server or the browser, run py-spy on the lab server
(``py-spy record -p PID --subprocesses``), start a chromium trace around the presses
(``browser.start_tracing``), or sample the page's JavaScript with the DevTools protocol
(``cdp = context.new_cdp_session(page)``, then ``Profiler.start`` / ``Profiler.stop`` and sum
each function's self time); all three were used to find the costs this page was cut by. The
JavaScript profile is how marimo's outline parsing of every re-run output was found
(``constraintlab.app.step_html``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lab import (  # the benchmarks folder is not a package: found on sys.path
    CHROMIUM,
    CHROMIUM_ARGS,
    LAB_FIRST_QUESTION,
    WATCH_JS,
    lab_server,
    lab_slider,
    load_page,
    open_lab,
    press_and_time,
    sandbox,
)

# every message marimo sends the page: arrival time, op, cell, whether it carries an output
MESSAGES_JS = """() => {
  window.__messages = [];
  const Socket = window.WebSocket;
  window.WebSocket = function (...args) {
    const socket = new Socket(...args);
    socket.addEventListener('message', (event) => {
      let op = '?', cell = '', output = false;
      try {
        const message = JSON.parse(event.data);
        op = message.op; cell = message.data?.cell_id ?? ''; output = !!message.data?.output;
      } catch (error) { /* not JSON */ }
      window.__messages.push([performance.now(), op, cell, output, event.data.length]);
    });
    return socket;
  };
  window.WebSocket.prototype = Socket.prototype;
  Object.assign(window.WebSocket, Socket);
}"""


def profile(label: str, presses: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    found = []
    with sandbox() as (_, home, ledger), lab_server(ledger, home) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(f"({MESSAGES_JS})()")
        page, _ = load_page(context, url, LAB_FIRST_QUESTION)
        open_lab(page)
        page.wait_for_timeout(1000)
        page.evaluate(WATCH_JS)
        thumb = lab_slider(page, label)
        for _ in range(presses):
            page.evaluate("() => { window.__messages = []; }")
            thumb.focus()
            status, settle = press_and_time(page, "ArrowRight")
            t0 = page.evaluate("() => window.__bench.t0")
            messages = page.evaluate("() => window.__messages")
            outputs = [
                {"cell": cell, "bytes": size, "at_ms": round(at - t0, 1)}
                for at, _op, cell, output, size in messages
                if output
            ]
            found.append(
                {
                    "status_ms": round(status, 1),
                    "settle_ms": round(settle, 1),
                    "messages": len(messages),
                    "outputs": outputs,
                }
            )
        browser.close()
    return found


if __name__ == "__main__":
    slider = sys.argv[1] if len(sys.argv) > 1 else "Model size"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    print(json.dumps({"slider": slider, "presses": profile(slider, count)}, indent=2))
