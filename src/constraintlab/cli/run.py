"""``constraintlab run``: serve the lab (the marimo app shipped in the package) in a browser.

It starts ``marimo run <package>/app/lab.py --headless`` (through
:mod:`constraintlab.cli.lab_server`, which adds the Host/Origin guard of
:mod:`constraintlab.cli.lab_access`) as a child process with the same Python, waits until the
server answers, prints the URL, which carries the access token, and stays in the foreground.
Ctrl-C (or SIGTERM) stops marimo and exits 0. A non-loopback ``--host`` prints a one-line
warning that the lab is reachable from the network, and needs the token.

``--ledger PATH`` reaches the app through the ``CONSTRAINTLAB_LEDGER`` environment variable of
the child process, which :func:`constraintlab.ledger.open_ledger` reads when no path is given.
A ledger that cannot be read is not an error here: the page shows a warning and still works.
Such a store (``--ledger`` or ``$CONSTRAINTLAB_LEDGER``) takes in no course ledger file unless
``--with-course-ledger PATH`` asks (``$CONSTRAINTLAB_COURSE_LEDGER`` in the child), and a Submit
writes back only into the course files that store imported.

Behind a reverse proxy (JupyterHub's jupyter-server-proxy, see :mod:`constraintlab.hub`),
``--base-url /user/NAME/constraintlab`` makes marimo serve under that path, ``--port 0`` picks a
free port, and a token in ``$CONSTRAINTLAB_TOKEN`` turns marimo's access token on with that
value, handed to marimo on its standard input so that it never shows on a command line.
"""

from __future__ import annotations

import errno
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

from constraintlab.cli import lab_access
from constraintlab.cli.numbers import whole

LEDGER_ENV = "CONSTRAINTLAB_LEDGER"
TOKEN_ENV = "CONSTRAINTLAB_TOKEN"
DEFAULT_PORT = 2718
STARTUP_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 10.0

Port = Annotated[
    int,
    typer.Option(
        "--port",
        "-p",
        parser=whole(0, 65535),
        metavar="PORT",
        help="TCP port to serve the lab on (1-65535); must be free. 0 picks a free port.",
    ),
]
Host = Annotated[
    str,
    typer.Option("--host", help="Address to listen on; 0.0.0.0 serves every interface."),
]
BaseUrl = Annotated[
    str,
    typer.Option(
        "--base-url",
        help=(
            "URL path to serve the lab under, e.g. /user/NAME/constraintlab behind"
            " JupyterHub (marimo's --base-url). Default: the root."
        ),
    ),
]
LedgerPath = Annotated[
    str | None,
    typer.Option(
        "--ledger",
        help=(
            "Design Ledger file to read and write (default: $CONSTRAINTLAB_LEDGER, else"
            " ~/.mlsys/constraintlab.sqlite3). Passed to the app as CONSTRAINTLAB_LEDGER."
        ),
        metavar="PATH",
        show_default=False,
    ),
]
WithCourseLedger = Annotated[
    str | None,
    typer.Option(
        "--with-course-ledger",
        help="Import this course ledger file (or the course files in this folder) into the"
        " store the lab opens; without it only your own default store takes in ~/.mlsys's"
        " files, so a --ledger store never gets your labs unasked.",
        metavar="PATH",
        show_default=False,
    ),
]
NoToken = Annotated[
    bool,
    typer.Option(
        "--no-token",
        help="Serve without marimo's access token (loopback --host only; not recommended).",
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
        if os.name == "posix":
            # judge the port as the server will bind it (uvicorn sets SO_REUSEADDR): a port
            # whose last connections are in TIME_WAIT (a lab just killed, and restarted by
            # jupyter-server-proxy on the same port) is free; one with a listener is not
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as problem:
            if problem.errno == errno.EADDRNOTAVAIL:
                raise typer.BadParameter(
                    f"{host} is not an address of this machine ({problem.strerror}); use"
                    " 127.0.0.1 for this machine only, or 0.0.0.0 for every network interface",
                    param_hint="--host",
                ) from None
            raise typer.BadParameter(
                f"port {port} on {host} is not available ({problem.strerror});"
                " choose another with --port",
                param_hint="--port",
            ) from None


def free_port(host: str) -> int:
    """A port the operating system reports free on ``host`` (for ``--port 0``)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        probe.bind(address)
        return int(probe.getsockname()[1])


def normalise_base_url(text: str) -> str:
    """``/a/b/`` -> ``/a/b``; ``""`` and ``/`` -> ``""`` (the root); anything else: exit 2.

    marimo wants a path that starts with ``/`` and does not end with one; JupyterHub's
    ``{base_url}`` ends with ``/``, so a trailing slash is dropped rather than refused.
    """
    path = text.rstrip("/")
    allowed = "a path that starts with / (letters, digits and -._~%!$&'()*+,;=:@/)"
    bad = [c for c in path if c.isspace() or c in '?#\\"<>^`{|}' or not c.isprintable()]
    if text and (not text.startswith("/") or bad or "//" in path):
        raise typer.BadParameter(
            f"{text!r} is not a URL path; expected {allowed}", param_hint="--base-url"
        )
    return path


def lab_url(host: str, port: int, token: str | None = None, *, base_url: str = "") -> str:
    """The address to open: a wildcard host is shown as localhost; with the access token."""
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    query = f"?access_token={token}" if token else ""
    return f"http://{shown}:{port}{base_url}{query}"


def marimo_command(host: str, port: int, *, token: bool = True, base_url: str = "") -> list[str]:
    """marimo's ``run`` through the guarded launcher; the token comes on stdin."""
    extra = ["--base-url", base_url] if base_url else []
    return [
        sys.executable,
        "-m",
        "constraintlab.cli.lab_server",
        "run",
        str(lab_path()),
        "--host",
        host,
        "--port",
        str(port),
        "--headless",
        *(["--token", "--token-password-file", "-"] if token else ["--no-token"]),
        "--no-sandbox",
        *extra,
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


def _hand_over_token(server: subprocess.Popen[bytes], token: str | None) -> None:
    """Give marimo the token on its stdin (``--token-password-file -``), then close it."""
    if server.stdin is None:
        return
    try:
        if token is not None:
            server.stdin.write(token.encode() + b"\n")
        server.stdin.close()
    except OSError:  # marimo exited already; the start-up check says so
        pass


def _ledger_in_use(ledger: Path | None) -> Path:
    """The store the app will open: ``--ledger``, else $CONSTRAINTLAB_LEDGER, else ~/.mlsys/."""
    from constraintlab.ledger.paths import resolve_store_path

    return resolve_store_path(ledger)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_command(
    port: Port = DEFAULT_PORT,
    host: Host = "127.0.0.1",
    ledger: LedgerPath = None,
    no_course_writeback: NoWriteback = False,
    no_token: NoToken = False,
    base_url: BaseUrl = "",
    with_course_ledger: WithCourseLedger = None,
) -> None:
    """Serve the lab in a browser; Ctrl-C stops it."""
    from constraintlab.ledger.paths import COURSE_LEDGER_ENV, course_files_in
    from constraintlab.ledger.writeback import WRITEBACK_ENV
    from constraintlab.userpaths import user_path

    ledger_path = None if ledger is None else user_path(ledger, "--ledger").absolute()
    course_ledger = None
    if with_course_ledger is not None:  # checked here: a wrong path is one line, exit 2
        course_files_in(with_course_ledger)
        course_ledger = user_path(with_course_ledger, "--with-course-ledger").absolute()
    if no_token and not lab_access.is_loopback(host):
        raise typer.BadParameter(
            f"--no-token is allowed only on a loopback --host (127.0.0.1, localhost), not on"
            f" {host}: the network would reach a lab without a token",
            param_hint="--no-token",
        )
    base_url = normalise_base_url(base_url)
    check_port(host, port)
    if port == 0:
        port = free_port(host)
    env = dict(os.environ)
    env[lab_access.RULES_ENV] = lab_access.AccessRules.for_address(host, port).to_json()
    if ledger_path is not None:
        env[LEDGER_ENV] = str(ledger_path)
    if course_ledger is not None:
        env[COURSE_LEDGER_ENV] = str(course_ledger)
    if not lab_access.is_loopback(host):
        typer.echo(
            f"warning: the lab is reachable from the network on {host}:{port}; anyone who has"
            " its URL (it carries the access token) can use it",
            err=True,
        )
    if no_course_writeback:
        env[WRITEBACK_ENV] = "0"
    # behind jupyter-server-proxy the token comes from the proxy's config and stays out of the log
    given_token = env.pop(TOKEN_ENV, "")
    token = None if no_token else (given_token or lab_access.new_token())
    shown_token = None if given_token else token
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    server = subprocess.Popen(
        marimo_command(host, port, token=token is not None, base_url=base_url),
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    _hand_over_token(server, token)
    try:
        if not _wait_until_serving(server, host, port):
            code = server.poll()
            typer.echo(f"error: the lab server did not start (marimo exit code {code})", err=True)
            raise typer.Exit(1)
        where = f" (ledger: {_ledger_in_use(ledger_path)})"
        typer.echo(f"The lab is running{where}. Open it at (Ctrl-C stops it):")
        typer.echo(f"    {lab_url(host, port, shown_token, base_url=base_url)}")
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
