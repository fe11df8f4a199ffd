"""The lab serves only its student (findings 1 and 2 of issue 13).

Finding 1: ``run --host 0.0.0.0`` served a token-less lab to the network with no warning, and a
remote ``POST /api/kernel/set_ui_element_value`` (with the skew token ``GET /`` hands out)
could drive it. Finding 2: on loopback, a WebSocket from any Origin was accepted and received
the page's messages; ``Host: evil.example`` was served (DNS rebinding).

Unit tests check the rules; the live tests start ``constraintlab run`` itself and talk to it
as another website, another machine and the student would.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cli_runner import run_cli
from constraintlab.cli.lab_access import AccessRules
from constraintlab.cli.run import lab_url

START_S = 90.0


# --- the rules --------------------------------------------------------------------------------
def test_loopback_rules_accept_only_the_served_names_and_port() -> None:
    rules = AccessRules.for_address("127.0.0.1", 2718)
    assert rules.host_allowed("127.0.0.1:2718") and rules.host_allowed("localhost:2718")
    for host in ("evil.example:2718", "127.0.0.1:2719", "127.0.0.1", "", "[::1]:2718"):
        assert not rules.host_allowed(host), host


def test_only_the_labs_own_origin_may_send_requests() -> None:
    rules = AccessRules.for_address("127.0.0.1", 2718)
    own = [(b"host", b"127.0.0.1:2718"), (b"origin", b"http://127.0.0.1:2718")]
    assert rules.refusal(own) is None
    assert rules.refusal([(b"host", b"127.0.0.1:2718")]) is None  # a navigation: no Origin
    for origin in (b"http://evil.example", b"http://localhost:8080", b"null", b"file://"):
        refused = rules.refusal([(b"host", b"127.0.0.1:2718"), (b"origin", origin)])
        assert refused is not None and "Origin" in refused
    assert "Host" in (rules.refusal([(b"host", b"evil.example:2718")]) or "")


def test_a_wildcard_address_accepts_ip_literals_but_no_foreign_name() -> None:
    rules = AccessRules.for_address("0.0.0.0", 8000)
    assert rules.host_allowed("192.168.1.20:8000") and rules.host_allowed("[fe80::1]:8000")
    assert rules.host_allowed("localhost:8000")
    assert not rules.host_allowed("evil.example:8000")
    assert AccessRules.from_json(rules.to_json()) == rules


def test_the_printed_url_carries_the_token() -> None:
    assert lab_url("127.0.0.1", 80, "abc") == "http://127.0.0.1:80?access_token=abc"


def test_no_token_is_refused_on_a_network_address(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", "--host", "0.0.0.0", "--no-token", "--port", "8999")
    assert code == 2 and out == "" and "--no-token" in err and err.count("\n") == 1


# --- the live server --------------------------------------------------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Lab:
    def __init__(self, url: str, output: list[str]) -> None:
        self.url = url
        self.output = output
        parts = urlsplit(url)
        self.port = int(parts.port or 0)
        self.token = parts.query.removeprefix("access_token=")

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: str = ""
    ) -> tuple[int, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, path, body=body or None, headers=headers or {})
            response = conn.getresponse()
            response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()

    def cookie(self) -> str:
        status, headers = self.request("GET", f"/?access_token={self.token}")
        assert status in (200, 303), status
        return headers["set-cookie"].split(";", 1)[0]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """``constraintlab run --host 0.0.0.0`` on a free port, as a student would start it."""
    folder = tmp_path_factory.mktemp("lab-access")
    env = {**os.environ, "HOME": str(folder), "CONSTRAINTLAB_LEDGER": str(folder / "l.sqlite3")}
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("constraintlab")),
        "run",
        "--host",
        "0.0.0.0",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(x) for x in server.stdout or []], daemon=True
    ).start()
    seen: list[str] = []
    deadline = time.monotonic() + START_S
    try:
        while time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=0.5))
            except queue.Empty:
                assert server.poll() is None, "".join(seen)
                continue
            found = re.search(r"http://\S+", seen[-1])
            if found:
                yield Lab(found.group(0).rstrip(".").replace("localhost", "127.0.0.1"), seen)
                break
        else:
            raise AssertionError(f"no URL within {START_S} s: {''.join(seen)}")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


@pytest.mark.slow
def test_a_network_address_warns_in_one_line_and_prints_the_token_url(lab: Lab) -> None:
    warnings = [line for line in lab.output if line.startswith("warning:")]
    assert len(warnings) == 1 and "reachable from the network" in warnings[0]
    assert len(lab.token) >= 24


@pytest.mark.slow
def test_without_the_token_nothing_is_served_and_nothing_can_be_driven(lab: Lab) -> None:
    status, _ = lab.request("GET", "/")
    assert status in (303, 401, 403)  # the login page, not the lab
    body = '{"objectIds": ["x"], "values": [1]}'
    headers = {"Content-Type": "application/json", "Marimo-Session-Id": "s1"}
    status, _ = lab.request("POST", "/api/kernel/set_ui_element_value", headers, body)
    assert status in (401, 403)
    status, _ = lab.request("GET", "/?access_token=wrong-token")
    assert status in (303, 401, 403)
    assert lab.request("GET", "/", {"Cookie": lab.cookie()})[0] == 200  # the student gets in


@pytest.mark.slow
def test_a_foreign_host_header_is_refused_even_with_the_token(lab: Lab) -> None:
    cookie = lab.cookie()
    status, _ = lab.request("GET", "/", {"Cookie": cookie, "Host": f"evil.example:{lab.port}"})
    assert status == 403
    assert lab.request("GET", "/", {"Cookie": cookie, "Host": f"127.0.0.1:{lab.port}"})[0] == 200


@pytest.mark.slow
def test_a_websocket_from_another_origin_is_refused_and_the_own_origin_works(lab: Lab) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    cookie = lab.cookie()
    own = f"http://127.0.0.1:{lab.port}"
    where = f"ws://127.0.0.1:{lab.port}/ws?session_id=s-access-test"

    async def first_message(origin: str) -> str:
        async with connect(where, origin=origin, additional_headers={"Cookie": cookie}) as ws:  # type: ignore[arg-type]
            return str(await asyncio.wait_for(ws.recv(), 30))

    for foreign in ("http://evil.example", f"http://localhost:{lab.port + 1}"):
        with pytest.raises(InvalidStatus) as refused:
            asyncio.run(first_message(foreign))
        assert refused.value.response.status_code == 403
    assert "kernel-ready" in asyncio.run(first_message(own))
