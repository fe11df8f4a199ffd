"""Who may use a running lab: marimo's access token, and the Host and Origin of each request.

``constraintlab run`` serves the lab to one student. Three rules keep it theirs:

* **Token.** marimo's access token is on: a fresh random token per run, handed to marimo on
  its stdin (never on a command line other users can read) and printed in the URL
  (``?access_token=...``); a request without it (or the session cookie it sets) is refused.
  ``--no-token`` is allowed on a loopback address only.
* **Host.** A request whose ``Host`` header does not name the served address is refused
  (403). This stops DNS rebinding: a page of ``evil.example`` whose name was pointed at
  127.0.0.1 sends ``Host: evil.example:PORT``. A wildcard address (0.0.0.0, ::) accepts any
  IP literal and this machine's own names; rebinding needs a name, never an IP.
* **Origin.** A request carrying an ``Origin`` header (every WebSocket, every cross-site
  ``fetch``) is refused unless the origin is the lab's own (``http://`` + the request's
  ``Host``), so another website in the same browser can neither drive the lab nor read its
  messages. Requests without ``Origin`` (a navigation, curl) still need the token.

:class:`AccessRules` decides; :class:`LabAccessGuard` is the ASGI middleware that applies it to
marimo's server (see :mod:`constraintlab.cli.lab_server`). The rules travel to the server
process as JSON in :data:`RULES_ENV`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

RULES_ENV = "CONSTRAINTLAB_LAB_ACCESS"
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def new_token() -> str:
    """A fresh access token (192 random bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def _split_host(value: str) -> tuple[str, int | None] | None:
    """``("name", port)`` from a Host header value (``[v6]:port`` too); None if malformed."""
    try:
        parts = urlsplit(f"//{value}")
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


@dataclass(frozen=True)
class AccessRules:
    """The names and port the lab answers to, and whether any IP literal will do."""

    port: int
    names: frozenset[str]
    any_ip: bool = False
    extra_origins: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_address(cls, host: str, port: int) -> AccessRules:
        """The rules for a lab served on ``host:port``."""
        bare = host.strip("[]").lower()
        if bare in WILDCARD_HOSTS:
            names = {"localhost", socket.gethostname().lower(), socket.getfqdn().lower()}
            return cls(port, frozenset(names), any_ip=True)
        names = {bare} | ({"localhost", "127.0.0.1"} if is_loopback(bare) else set())
        return cls(port, frozenset(names))

    def host_allowed(self, value: str) -> bool:
        """True when a ``Host`` header names the served address and port."""
        split = _split_host(value)
        if split is None:
            return False
        name, port = split
        if port != self.port and not (port is None and self.port == 80):
            return False
        return name in self.names or (self.any_ip and _is_ip(name))

    def origin_allowed(self, origin: str, host: str) -> bool:
        """True when ``origin`` is the lab's own origin for a request to ``host``."""
        if origin.rstrip("/") in self.extra_origins:
            return True
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()

    def refusal(self, headers: Iterable[tuple[bytes, bytes]]) -> str | None:
        """Why a request with these headers is refused, or None when it may go on."""
        seen = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}
        host = seen.get("host", "")
        if not self.host_allowed(host):
            return f"Host {host!r} is not this lab's address"
        origin = seen.get("origin")
        if origin is not None and not self.origin_allowed(origin, host):
            return f"Origin {origin!r} is not this lab's own page"
        return None

    def to_json(self) -> str:
        """The rules as JSON (for :data:`RULES_ENV`)."""
        return json.dumps(
            {
                "port": self.port,
                "names": sorted(self.names),
                "any_ip": self.any_ip,
                "extra_origins": sorted(self.extra_origins),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> AccessRules:
        """The rules :meth:`to_json` wrote."""
        raw = json.loads(text)
        return cls(
            port=int(raw["port"]),
            names=frozenset(str(n) for n in raw["names"]),
            any_ip=bool(raw.get("any_ip", False)),
            extra_origins=frozenset(str(o) for o in raw.get("extra_origins", [])),
        )

    @classmethod
    def from_environment(cls) -> AccessRules:
        """The rules in :data:`RULES_ENV`; KeyError when it is not set (fail closed)."""
        return cls.from_json(os.environ[RULES_ENV])


class LabAccessGuard:
    """ASGI middleware: refuse (403) HTTP requests and WebSockets that break the rules."""

    def __init__(self, app: ASGIApp, rules: AccessRules) -> None:
        self.app = app
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        problem = self.rules.refusal(scope.get("headers") or [])
        if problem is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await receive()  # websocket.connect; closing before accept is an HTTP 403
            await send({"type": "websocket.close", "code": 1008, "reason": "forbidden"})
        else:
            body = f"forbidden: {problem}\n".encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
