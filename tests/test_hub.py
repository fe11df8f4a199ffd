"""The lab as JupyterHub serves it: behind jupyter-server-proxy in each student's Jupyter server.

The fast tests check the entry point's configuration and ``constraintlab run``'s new options.
The browser test starts two real ``jupyter server`` processes on loopback, each with its own
token and its own temporary HOME (two students), and a ``CONSTRAINTLAB_LEDGER`` that points
both at one shared file (an image that sets it by mistake). Student A plays the whole lab in
chromium through ``/constraintlab/``; student B opens the lab and submits the default design.
Each v2_17 entry must land in that student's own home and nowhere else. On the way it checks
the three doors of the decision in ``constraintlab.hub``: no Jupyter credentials, no lab; a
WebSocket from another site is refused by the Jupyter server; the lab's loopback port refuses
anyone without the lab's token (which appears on no command line). It also records the memory
of one student's lab (``constraintlab run`` + marimo, kernel included) at rest and after the
play-through in ``artifacts/hub-memory.json``.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from cli_runner import run_cli
from constraintlab import hub
from constraintlab.cli.run import TOKEN_ENV, marimo_command, normalise_base_url
from constraintlab.cli.run import free_port as free_port_on
from constraintlab.ledger.paths import STORE_NAME
from test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PAYLOAD,
    START_S,
    STEP_S,
    WATCH_JS,
    _check_ledger,
    card_states,
    children_of,
    cli_command,
    free_port,
    press_and_time,
    seed_ledger,
    slider,
)

LAB_START_S = 180.0  # two labs start at once on a busy 2-core machine
HUB_STEP_S = 3 * STEP_S  # two labs, two Jupyter servers and chromium share those 2 cores


# ---------------------------------------------------------------- the entry point, no server


def test_the_entry_point_is_registered_for_jupyter_server_proxy() -> None:
    found = {ep.name: ep for ep in entry_points(group="jupyter_serverproxy_servers")}
    assert found["constraintlab"].load() is hub.server_proxy_config


def test_the_config_starts_run_on_loopback_under_the_users_base_url(lab_env: Any) -> None:
    config = hub.server_proxy_config()
    command = config["command"]
    assert command[:4] == [sys.executable, "-m", "constraintlab.cli.main", "run"]
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "{port}"
    assert command[command.index("--base-url") + 1] == "{base_url}constraintlab"
    # the ledger is the home's, whatever CONSTRAINTLAB_LEDGER says (lab_env sets it)
    assert command[command.index("--ledger") + 1] == str(lab_env.home / ".mlsys" / STORE_NAME)
    assert config["absolute_url"] is True
    assert config["timeout"] >= 60
    assert config["launcher_entry"]["title"] == "The Constraints Never Lie"
    assert Path(config["launcher_entry"]["icon_path"]).is_file()


def test_each_server_gets_its_own_token_and_no_command_line_shows_it() -> None:
    first, second = hub.server_proxy_config(), hub.server_proxy_config()
    token = first["environment"][TOKEN_ENV]
    assert len(token) >= 40 and token != second["environment"][TOKEN_ENV]
    headers = first["request_headers_override"]
    assert headers["Authorization"] == f"Bearer {token}"
    assert headers["Host"] == "127.0.0.1:{port}"
    assert headers["Origin"] == "http://127.0.0.1:{port}"
    assert not any(token in part for part in first["command"])


def test_jupyter_server_proxy_accepts_the_config() -> None:
    from jupyter_server_proxy.config import ServerProcess

    process = ServerProcess(name="constraintlab", **hub.server_proxy_config())
    assert process.launcher_entry.title == "The Constraints Never Lie"
    assert process.absolute_url


def test_a_ledger_path_with_braces_survives_the_proxys_formatting(tmp_path: Path) -> None:
    odd = tmp_path / "{port} home" / "x.sqlite3"
    rendered = [part.format(port=1, base_url="/", unix_socket="") for part in hub.lab_command(odd)]
    assert rendered[rendered.index("--ledger") + 1] == str(odd)


# ---------------------------------------------------------------- the deployment examples

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "jupyterhub"


def test_the_one_machine_hub_config_opens_the_lab_after_login() -> None:
    from traitlets.config import Config

    config = Config()
    source = (DEPLOY / "jupyterhub_config.py").read_text()
    exec(compile(source, "jupyterhub_config.py", "exec"), {"get_config": lambda: config})
    assert config.Spawner.default_url == f"/{hub.NAME}/"
    assert config.Spawner.cmd[0].endswith("/bin/jupyterhub-singleuser")
    assert config.Spawner.start_timeout >= 60
    assert any(s["name"] == "idle-culler" for s in config.JupyterHub.services)


def test_the_kubernetes_values_open_the_lab_and_export_each_ledger_on_stop() -> None:
    import yaml

    single = yaml.safe_load((DEPLOY / "config.yaml").read_text())["singleuser"]
    assert single["defaultUrl"] == f"/{hub.NAME}/"
    assert single["storage"]["type"] == "dynamic"  # a home volume per student
    (mount,) = single["storage"]["extraVolumeMounts"]
    assert mount["subPath"].endswith("/{username}")  # each student sees only their own folder
    hook = " ".join(single["lifecycleHooks"]["preStop"]["exec"]["command"])
    assert "constraintlab ledger export" in hook
    assert f"{mount['mountPath']}/${{JUPYTERHUB_USER}}.json" in hook
    assert "[hub]" in (DEPLOY / "Dockerfile").read_text()


def test_collect_exports_exports_each_ledger_and_builds_the_class_report(tmp_path: Path) -> None:
    homes = tmp_path / "home"
    for name in ("alice", "bob"):
        seed_ledger(homes / name / ".mlsys" / STORE_NAME)
    broken = homes / "carol" / ".mlsys" / STORE_NAME
    broken.parent.mkdir(parents=True)
    broken.write_text("not a ledger")
    out = tmp_path / "class"
    done = subprocess.run(
        ["bash", str(DEPLOY / "collect_exports.sh"), str(out), str(homes)],
        env={**os.environ, "CONSTRAINTLAB": cli_command()[0]},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.glob("*.json")) == ["alice.json", "bob.json"]
    assert "skipped carol" in done.stderr
    students = (out / "report" / "students.csv").read_text()
    assert "alice" in students and "bob" in students
    assert broken.read_text() == "not a ledger"


# ---------------------------------------------------------------- run's new options


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("", ""),
        ("/", ""),
        ("/user/alice/constraintlab", "/user/alice/constraintlab"),
        ("/user/alice/constraintlab/", "/user/alice/constraintlab"),
        ("/user/a%40b.c/constraintlab", "/user/a%40b.c/constraintlab"),
    ],
)
def test_base_url_is_normalised_for_marimo(given: str, used: str) -> None:
    assert normalise_base_url(given) == used


@pytest.mark.parametrize("bad", ["user/alice", "/a b", "/a?b=1", "/a#x", "//evil.example/x"])
def test_a_bad_base_url_is_refused_with_one_line(
    capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    code, out, err = run_cli(capsys, "run", "--base-url", bad, "--port", "0")
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "--base-url" in lines[0] and repr(bad) in lines[0]


def test_port_zero_means_a_port_the_system_reports_free() -> None:
    port = free_port_on("127.0.0.1")
    assert 1 <= port <= 65535
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_marimo_gets_the_base_url_and_reads_a_token_from_stdin() -> None:
    command = marimo_command("127.0.0.1", 4321, base_url="/user/a/constraintlab")
    assert command[command.index("--base-url") + 1] == "/user/a/constraintlab"
    assert command[command.index("--token-password-file") + 1] == "-"
    assert "--no-token" not in command
    assert "--base-url" not in marimo_command("127.0.0.1", 4321)


# ---------------------------------------------------------------- two students on real servers


@dataclass
class Student:
    """One student's Jupyter server: its URL, token, HOME and process."""

    name: str
    home: Path
    url: str
    token: str
    server: subprocess.Popen[bytes]

    @property
    def ledger(self) -> Path:
        return self.home / ".mlsys" / STORE_NAME

    @property
    def lab_url(self) -> str:
        return f"{self.url}/constraintlab/"

    def lab_pids(self) -> list[int]:
        """``constraintlab run`` under this server, and everything it started (marimo, kernel)."""
        found = [pid for pid in children_of(self.server.pid) if b" run" in _cmdline(pid)]
        for pid in found:
            found.extend(p for p in children_of(pid) if p not in found)
        return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return b""


@contextmanager
def jupyter_server(name: str, home: Path, shared_ledger: Path) -> Iterator[Student]:
    """A real ``jupyter server`` on loopback as one student; stopped (lab and all) at the end."""
    home.mkdir(parents=True)
    port, token = free_port(), secrets.token_hex(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(HOME=str(home), CONSTRAINTLAB_LEDGER=str(shared_ledger))
    command = [
        *(sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root"),
        *("--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0"),
        f"--ServerApp.root_dir={home}",
        f"--IdentityProvider.token={token}",
    ]
    log = (home.parent / f"{name}-jupyter.log").open("wb")
    server = subprocess.Popen(
        command, env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    student = Student(name, home, f"http://127.0.0.1:{port}", token, server)
    try:
        _wait_for_jupyter(student)
        yield student
    finally:
        lab = student.lab_pids()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
        log.close()
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{p}").exists() for p in lab) and time.monotonic() < deadline:
            time.sleep(0.2)
        survivors = [p for p in lab if Path(f"/proc/{p}").exists()]
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
        assert not survivors, "the lab outlived its Jupyter server"


def _wait_for_jupyter(student: Student) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        assert student.server.poll() is None, "jupyter server exited"
        try:
            status = _get(f"{student.url}/api/status", token=student.token)
        except OSError:
            time.sleep(0.3)
            continue
        if status == 200:
            return
    raise AssertionError(f"jupyter server not up within {START_S} s")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str, token: str | None = None, timeout: float = 10.0) -> int:
    """The status code of a GET, redirects not followed."""
    headers = {"Authorization": f"token {token}"} if token else {}
    return _request("GET", url, headers, timeout)


def _request(method: str, url: str, headers: dict[str, str], timeout: float = 10.0) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    data = b"{}" if method == "POST" else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with opener.open(request, timeout=timeout) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as problem:
        return int(problem.code)


def _start_lab(student: Student) -> None:
    """The first request starts the lab (jupyter-server-proxy waits until it answers)."""
    assert _get(student.lab_url, token=student.token, timeout=LAB_START_S) == 200


def lab_memory(student: Student) -> dict[str, Any]:
    """RSS and PSS (MiB) of the student's lab: ``constraintlab run``, marimo and its kernel."""
    pids = student.lab_pids()
    rss = pss = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        rss += next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:"))
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        pss += next(int(x.split()[1]) for x in rollup.splitlines() if x.startswith("Pss:"))
    return {
        "processes": len(pids),
        "rss_mib": round(rss / 1024, 1),
        "pss_mib": round(pss / 1024, 1),
    }


def _jupyter_rss_mib(student: Student) -> float:
    status = Path(f"/proc/{student.server.pid}/status").read_text()
    kib = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:"))
    return round(kib / 1024, 1)


def _login_cookie(student: Student) -> str:
    """The cookie a browser gets from ``?token=``: what a student's browser sends afterwards."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{student.url}/api/status?token={student.token}", timeout=10):
        pass
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert cookies, "the Jupyter server set no login cookie"
    return cookies


def _check_the_doors(student: Student) -> None:
    """Jupyter's login, Jupyter's Origin check and the lab's token, each tried from outside."""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    # 1. no Jupyter credentials: the Jupyter server sends you to its login, not to the lab
    assert _get(student.lab_url) in (302, 403)
    # 2. a page of another site opens the lab's WebSocket with the student's login cookie
    #    (a browser sends it): the Jupyter server refuses the foreign Origin. (A request that
    #    carries the token itself skips the check: no other site can know the token.)
    cookie = _login_cookie(student)
    ws_url = student.url.replace("http", "ws") + "/constraintlab/ws?session_id=s-door"

    async def handshake(origin: str) -> int:
        headers = {"Origin": origin, "Cookie": cookie}
        try:
            socket = await websocket_connect(HTTPRequest(ws_url, headers=headers))
        except HTTPClientError as problem:
            return int(problem.code)
        socket.close()
        return 101

    assert asyncio.run(handshake("http://evil.example")) == 403
    assert asyncio.run(handshake(student.url)) == 101
    # 3. another site's request to the lab's API: a custom header needs a pre-flight, which
    #    carries no cookie, so the Jupyter server refuses it; a plain cross-site POST that does
    #    carry the cookie reaches the lab (Host/Origin rewritten) and the lab refuses it
    api = student.lab_url + "api/kernel/set_ui_element_value"
    evil = {"Origin": "http://evil.example"}
    preflight = {**evil, "Access-Control-Request-Method": "POST"}
    assert _request("OPTIONS", api, preflight) in (302, 403)
    assert _request("POST", api, {**evil, "Cookie": cookie, "Content-Type": "text/plain"}) == 401
    # 4. the lab's own port, reached directly (any user of the machine can): token required
    run_pid, *_ = student.lab_pids()
    arguments = _cmdline(run_pid).split()
    direct = f"http://127.0.0.1:{int(arguments[arguments.index(b'--port') + 1])}/constraintlab/"
    assert _get(direct) in (303, 401)
    assert _get(direct + "api/status") == 401
    environ = Path(f"/proc/{run_pid}/environ").read_bytes().split(b"\0")
    token = next(x.split(b"=", 1)[1] for x in environ if x.startswith(TOKEN_ENV.encode() + b"="))
    assert len(token) >= 40
    assert not any(token in _cmdline(pid) for pid in student.lab_pids())


@pytest.mark.browser
@pytest.mark.slow
def test_two_students_each_play_the_lab_through_the_proxy_into_their_own_ledger(
    tmp_path: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    shared = tmp_path / "shared" / "one-ledger-for-everyone.sqlite3"
    memory: dict[str, Any] = {}
    with ExitStack() as stack:
        alice = stack.enter_context(jupyter_server("alice", tmp_path / "alice", shared))
        bob = stack.enter_context(jupyter_server("bob", tmp_path / "bob", shared))
        seed_ledger(alice.ledger)  # alice took the course: two earlier labs, one hostile string
        _start_lab(alice)
        _start_lab(bob)
        time.sleep(2)
        memory["started"] = lab_memory(alice)
        _check_the_doors(alice)
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        page_a = _open_lab(browser, alice)
        _answer_act1(page_a, "None in particular")
        page_a.locator("#journey-timeline").wait_for()
        assert PAYLOAD in page_a.locator("#journey-timeline").inner_text()
        page_a.wait_for_timeout(2000)
        memory["at_rest"] = lab_memory(alice)
        latencies = _play_act2_to_approval(page_a)
        _finish_the_lab(page_a)
        page_a.wait_for_timeout(2000)
        memory["after_play_through"] = lab_memory(alice)
        memory["jupyter_server_rss_mib"] = _jupyter_rss_mib(alice)

        page_b = _open_lab(browser, bob)
        _answer_act1(page_b, "Memory bandwidth")
        page_b.get_by_text("Privacy is the wall", exact=False).click()
        status = page_b.locator("#arch-status")
        status.wait_for(timeout=START_S * 1000)
        assert "INFEASIBLE" in status.inner_text()
        page_b.get_by_role("button", name="Submit architecture").click()
        page_b.get_by_text("Attempt 1 of this session recorded (not approved)").first.wait_for()
        page_a.close()
        page_b.close()
        _check_the_logs(alice, bob)
    _check_ledger(alice.ledger)  # exactly alice's one approved attempt: nothing of bob's
    _check_bobs_ledger(bob.ledger)
    assert not shared.exists() and not shared.parent.exists()
    memory["key_press_to_verdict_ms"] = {
        "median": round(statistics.median(latencies), 1),
        "max": round(max(latencies), 1),
    }
    (ARTIFACTS / "hub-memory.json").write_text(json.dumps(memory, indent=2) + "\n")
    print(f"\none student's lab (run + marimo + kernel): {json.dumps(memory)}")
    assert memory["after_play_through"]["rss_mib"] >= memory["started"]["rss_mib"] > 0


def _open_lab(browser: Any, student: Student) -> Any:
    """A fresh browser (own cookies) logged in with the Jupyter token, on the lab's page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(HUB_STEP_S * 1000)
    outside: list[str] = []

    def this_server_only(route: Any) -> None:
        if route.request.url.startswith(student.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", this_server_only)
    page.goto(f"{student.lab_url}?token={student.token}", timeout=START_S * 1000)
    assert page.url.startswith(student.lab_url)
    return page


def _answer_act1(page: Any, choice: str) -> None:
    page.get_by_text(choice, exact=False).click(timeout=START_S * 1000)


def _play_act2_to_approval(page: Any) -> list[float]:
    """Alice: predict, see the default fail, ask for the nearest design, move there, submit.

    Returns the milliseconds from each key press to the new verdict, through the proxy.
    """
    page.get_by_text("No architecture meets them all", exact=False).click()
    status = page.locator("#arch-status")
    status.wait_for(timeout=START_S * 1000)
    assert "INFEASIBLE" in status.inner_text()
    page.get_by_role("button", name="Show me the nearest approved design").click()
    page.locator("#nearest").wait_for()
    page.evaluate(WATCH_JS)
    latencies = []
    for label, presses in (("Model size", 7), ("Adversarial training weight", 10)):
        slider(page, label).focus()
        latencies.extend(press_and_time(page, "ArrowRight") for _ in range(presses))
    page.get_by_text("Carbon-optimised", exact=False).click()
    page.wait_for_function(
        "() => document.querySelector('#arch-status')?.textContent.includes('APPROVED')",
        timeout=START_S * 1000,
    )
    assert all("PASS" in text and "FAIL" not in text for text in card_states(page).values())
    page.get_by_role("button", name="Submit architecture").click()
    page.get_by_text("Attempt 1 of this session recorded (approved)").first.wait_for()
    return latencies


def _finish_the_lab(page: Any) -> None:
    """The rest of a full play-through: the Monte Carlo check and both reflections."""
    page.get_by_role("button", name="Monte Carlo check: simulate this fleet").click()
    page.locator("#mc-table").wait_for(timeout=60_000)
    page.locator("#mc-histogram").wait_for()
    page.locator("label", has_text="B) A system is ruled by its scarcest resource").click()
    page.locator("label", has_text="B) Differential privacy and adversarial robustness").click()
    page.wait_for_timeout(1000)
    text = page.locator("#App").inner_text()
    for sign_of_a_crash in ("Traceback", "NameError", "An ancestor raised", "Error:"):
        assert sign_of_a_crash not in text


def _check_bobs_ledger(path: Path) -> None:
    from constraintlab.ledger import open_ledger

    ledger = open_ledger(path)
    entries = ledger.entries()
    assert set(entries) == {"v2_17"}, "bob's ledger holds someone else's labs"
    entry = entries["v2_17"]
    assert entry["act1_prediction"] == "A" and entry["act1_correct"] is False
    assert entry["model_size_b"] == 7.0 and entry["constraints_all_met"] is False
    attempts = ledger.attempts()
    assert len(attempts) == 1 and attempts[0].design["act2_result"] != "approved"


def _check_the_logs(*students: Student) -> None:
    """No traceback; each lab says it serves under /constraintlab with the home's ledger."""
    for student in students:
        text = (student.home.parent / f"{student.name}-jupyter.log").read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]
        assert f"The lab is running (ledger: {student.ledger})" in text
        assert re.search(r"http://127\.0\.0\.1:\d+/\S*constraintlab\s", text)
        assert "access_token" not in text  # the proxy's token stays out of the log
