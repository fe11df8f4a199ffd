"""``constraintlab run``: serve the lab (the marimo app shipped in the package) in a browser.

It starts ``marimo run <package>/app/lab.py --headless --no-token`` as a child process with the
same Python, waits until the server answers, prints the URL and stays in the foreground.
Ctrl-C (or SIGTERM) stops marimo and exits 0.

``--ledger PATH`` reaches the app through the ``CONSTRAINTLAB_LEDGER`` environment variable of
the child process, which :func:`constraintlab.ledger.open_ledger` reads when no path is given.
A ledger that cannot be read is not an error here: the page shows a warning and still works.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

LEDGER_ENV = "CONSTRAINTLAB_LEDGER"
DEFAULT_PORT = 2718
STARTUP_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 10.0

Port = Annotated[
    int,
    typer.Option(
        "--port",
        "-p",
        min=1,
        max=65535,
        help="TCP port to serve the lab on (1-65535); must be free.",
    ),
]
Host = Annotated[
    str,
    typer.Option("--host", help="Address to listen on; 0.0.0.0 serves every interface."),
]
LedgerPath = Annotated[
    Path | None,
    typer.Option(
        "--ledger",
        help=(
            "Design Ledger file to read and write (default: $CONSTRAINTLAB_LEDGER, else"
            " ~/.mlsys/constraintlab.sqlite3). Passed to the app as CONSTRAINTLAB_LEDGER."
        ),
        dir_okay=False,
        resolve_path=True,
    ),
]


NoWriteback = Annotated[
    bool,
    typer.Option(
        "--no-course-writeback",
        help="Do not write your submitted capstone (v2_17) into the course's ledger files"
        " (~/.mlsys/ledger.json, ledger_vol2.json); it is still saved in your ledger store.",
    ),
]


def lab_path() -> Path:
    """The marimo notebook shipped inside the package."""
    return Path(__file__).resolve().parent.parent / "app" / "lab.py"


def check_port(host: str, port: int) -> None:
    """Refuse an address that cannot be resolved or a port something else already holds."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as problem:
        raise typer.BadParameter(
            f"cannot use host {host!r}: {problem}", param_hint="--host"
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        try:
            probe.bind(address)
        except OSError as problem:
            raise typer.BadParameter(
                f"port {port} on {host} is not available ({problem.strerror});"
                " choose another with --port",
                param_hint="--port",
            ) from None


def lab_url(host: str, port: int) -> str:
    """The address to open: a wildcard host is shown as localhost."""
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def marimo_command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "marimo",
        "run",
        str(lab_path()),
        "--host",
        host,
        "--port",
        str(port),
        "--headless",
        "--no-token",
        "--no-sandbox",
    ]


def _wait_until_serving(server: subprocess.Popen[bytes], host: str, port: int) -> bool:
    """True once the port accepts connections; False if marimo exited first."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            with socket.create_connection((target, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGINT)
    try:
        server.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM when this command dies, even if it is killed outright."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_command(
    port: Port = DEFAULT_PORT,
    host: Host = "127.0.0.1",
    ledger: LedgerPath = None,
    no_course_writeback: NoWriteback = False,
) -> None:
    """Serve the lab in a browser; Ctrl-C stops it."""
    from constraintlab.ledger.writeback import WRITEBACK_ENV

    check_port(host, port)
    env = dict(os.environ)
    if ledger is not None:
        env[LEDGER_ENV] = str(ledger)
    if no_course_writeback:
        env[WRITEBACK_ENV] = "0"
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    server = subprocess.Popen(
        marimo_command(host, port),
        env=env,
        stdout=subprocess.DEVNULL,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    try:
        if not _wait_until_serving(server, host, port):
            code = server.poll()
            typer.echo(f"error: the lab server did not start (marimo exit code {code})", err=True)
            raise typer.Exit(1)
        where = f" (ledger: {ledger})" if ledger is not None else ""
        typer.echo(f"The lab is running at {lab_url(host, port)}{where}. Press Ctrl-C to stop.")
        sys.stdout.flush()
        code = server.wait()
        if code not in (0, None):
            raise typer.Exit(code)
    except KeyboardInterrupt:
        typer.echo("stopping the lab")
    finally:
        _stop(server)
        signal.signal(signal.SIGTERM, previous)


def register(app: typer.Typer) -> None:
    """Add ``run`` to the main app."""
    app.command("run", help="Serve the lab in your browser (marimo); Ctrl-C stops it.")(run_command)
