"""Issue 25, finding 10: a lab restarted on the port of one just killed starts.

jupyter-server-proxy restarts a killed lab on the same port. The killed lab's connections
linger in TIME_WAIT for a minute; ``constraintlab run`` probed the port without
``SO_REUSEADDR`` (which the server itself binds with), so every restart in that minute ended
in "port ... not available (Address already in use)". A port with a live listener must still
be refused.
"""

from __future__ import annotations

import socket

import pytest
import typer

from constraintlab.cli.run import check_port

HOST = "127.0.0.1"


def _listener() -> tuple[socket.socket, int]:
    """A listening socket on a free port, with SO_REUSEADDR as the lab's server sets it
    (asyncio's default on POSIX); its accepted connections inherit the flag."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, 0))
    listener.listen()
    return listener, int(listener.getsockname()[1])


def _port_left_in_time_wait() -> int:
    """A port whose server closed its side of a connection first (so the server's end is in
    TIME_WAIT on that port), and then stopped listening: what a killed lab leaves."""
    listener, port = _listener()
    client = socket.create_connection((HOST, port))
    served, _ = listener.accept()
    served.close()  # the server closes first: its end of the connection goes to TIME_WAIT
    client.recv(1)  # the client sees the close ...
    client.close()  # ... and answers it
    listener.close()
    return port


def test_a_port_with_only_time_wait_connections_is_free() -> None:
    port = _port_left_in_time_wait()
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind((HOST, port))  # the old probe's bind: refused (the finding)
    check_port(HOST, port)  # the lab's probe binds as the server does: accepted


def test_a_port_with_a_listener_is_still_refused() -> None:
    listener, port = _listener()
    with listener, pytest.raises(typer.BadParameter, match="not available"):
        check_port(HOST, port)


def test_a_port_whose_old_server_still_closes_its_connections_is_free() -> None:
    """A killed lab's server stops listening first and then closes its open connections (the
    proxy's WebSockets) over its graceful shutdown; a restart may come in between."""
    listener, port = _listener()
    with listener:
        client = socket.create_connection((HOST, port))
        served, _ = listener.accept()
    with client, served:  # the listener is gone; the connection is still open
        check_port(HOST, port)
