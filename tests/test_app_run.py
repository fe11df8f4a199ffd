"""`constraintlab run`: bad ports and hosts end in exit 2 with one clear line; the command
it would start is marimo on the packaged lab, headless and without a token."""

from __future__ import annotations

import socket
import sys

import pytest

from cli_runner import run_cli
from constraintlab.cli.run import lab_path, lab_url, marimo_command


def test_a_port_in_use_is_refused_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        code, out, err = run_cli(capsys, "run", "--port", str(port))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error:")
    assert f"port {port}" in lines[0]
    assert "--port" in lines[0]


@pytest.mark.parametrize("port", ["65536", "-5", "http"])  # 0 picks a free port
def test_an_invalid_port_is_refused(capsys: pytest.CaptureFixture[str], port: str) -> None:
    code, out, err = run_cli(capsys, "run", "--port", port)
    assert code == 2
    assert out == ""
    assert err.startswith("error:")
    assert "--port" in err


def test_an_unknown_host_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "run", "--host", "no-such-host.invalid", "--port", "8999")
    assert code == 2
    assert err.startswith("error:")
    assert "--host" in err


def test_every_option_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "run", "--help")
    assert code == 0
    for option in ("--port", "--host", "--ledger", "CONSTRAINTLAB_LEDGER"):
        assert option in out


def test_the_lab_ships_inside_the_package() -> None:
    path = lab_path()
    assert path.name == "lab.py"
    assert path.parent.name == "app"
    assert path.is_file()
    assert (path.parent / "lab.css").is_file()


def test_marimo_is_started_headless_with_a_token_on_stdin_on_the_packaged_lab() -> None:
    command = marimo_command("127.0.0.1", 4321)
    assert command[:4] == [sys.executable, "-m", "constraintlab.cli.lab_server", "run"]
    assert command[4] == str(lab_path())
    assert command[command.index("--port") + 1] == "4321"
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert "--headless" in command
    assert "--no-token" not in command
    assert command[command.index("--token-password-file") + 1] == "-"  # never on argv


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:80"),
        ("0.0.0.0", "http://localhost:80"),
        ("::1", "http://[::1]:80"),
    ],
)
def test_the_printed_url(host: str, url: str) -> None:
    assert lab_url(host, 80) == url


def test_the_lab_server_looks_up_marimos_entry_points_once_with_the_same_answer() -> None:
    from marimo._entrypoints import registry

    from constraintlab.cli.lab_server import look_up_entry_points_once

    before = list(registry.get_entry_points("marimo.cell.executor"))
    look_up_entry_points_once()
    look_up_entry_points_once()  # idempotent: one cache, not a cache of a cache
    assert list(registry.get_entry_points("marimo.cell.executor")) == before
    assert registry.get_entry_points.cache_info().currsize >= 1  # type: ignore[attr-defined]
