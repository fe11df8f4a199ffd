"""The lab inside a Jupyter server: the entry point that jupyter-server-proxy reads.

With ``constraintlab[hub]`` installed in a single-user image, every student's Jupyter server
(JupyterHub, one machine or zero-to-jupyterhub) finds :func:`server_proxy_config` under the
``jupyter_serverproxy_servers`` entry-point group. The launcher then shows "The Constraints
Never Lie", and ``{base_url}constraintlab/`` (``/user/NAME/constraintlab/`` on a hub) starts
``constraintlab run`` for that student on the first request and forwards to it:

    browser --https--> JupyterHub proxy --> student's Jupyter server --loopback--> lab
                        (who: hub login)     (who: token/cookie,        (who: the lab's
                                              which site: Origin)         token)

How the lab authenticates behind the proxy (deploy/jupyterhub/README.md says the same):

* The Jupyter server is the front door. It authenticates every request to ``/constraintlab/``
  (the hub's login, or the server's own token) and refuses a WebSocket whose ``Origin`` is not
  its own host, before anything reaches the lab.
* The lab listens on ``127.0.0.1`` only, on a port jupyter-server-proxy picks, and keeps
  marimo's access token on. The token is made here, fresh for every Jupyter server, and reaches
  the lab through ``$CONSTRAINTLAB_TOKEN`` (never a command line, which every user of a shared
  machine can read); the proxy adds ``Authorization: Bearer <token>`` to every request it
  forwards. The student's browser never sees the token, and another user of the same machine,
  who can reach any loopback port, cannot drive this student's lab.
* The proxy presents the lab's own served origin: it sets ``Host`` and ``Origin`` to
  ``127.0.0.1:<port>`` on what it forwards. The lab's own Host/Origin checks therefore hold
  unchanged behind the proxy; the browser's real origin has already been checked by the
  Jupyter server, and only the proxy can present the token.

Each student's ledger is the store in the home folder of the user the Jupyter server runs as
(``~/.mlsys/constraintlab.sqlite3``), passed to the lab explicitly, so a
``CONSTRAINTLAB_LEDGER`` left in a shared image cannot make two students share one file.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Any, Final

from constraintlab.cli.run import TOKEN_ENV

NAME: Final = "constraintlab"  # the URL path under the user's base URL: {base_url}constraintlab/
TITLE: Final = "The Constraints Never Lie"
START_TIMEOUT_S: Final = 180.0  # marimo and the census warm up; a busy hub node is slow
TOKEN_BYTES: Final = 32


def icon_path() -> Path:
    """The launcher icon shipped beside the lab."""
    return Path(__file__).resolve().parent / "app" / "launcher-icon.svg"


def lab_command(ledger: Path) -> list[str]:
    """``constraintlab run`` on loopback; the proxy fills in ``{port}`` and ``{base_url}``."""
    return [
        sys.executable,
        "-m",
        "constraintlab.cli.main",
        "run",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--base-url",
        "{base_url}" + NAME,  # {base_url} ends with "/": /user/NAME/ -> /user/NAME/constraintlab
        "--ledger",
        str(ledger).replace("{", "{{").replace("}", "}}"),  # the proxy formats every argument
    ]


def server_proxy_config() -> dict[str, Any]:
    """The ``jupyter_serverproxy_servers`` entry point: how to start and reach the lab.

    Called once by each Jupyter server as it starts, as the user it serves; the home folder
    and the token are that server's own.
    """
    from constraintlab.ledger.paths import default_store_path

    token = secrets.token_urlsafe(TOKEN_BYTES)
    loopback = "127.0.0.1:{port}"
    return {
        "command": lab_command(default_store_path()),
        "environment": {TOKEN_ENV: token},
        "request_headers_override": {
            "Authorization": f"Bearer {token}",
            "Host": loopback,
            "Origin": f"http://{loopback}",
        },
        "absolute_url": True,  # marimo serves under --base-url, so it sees the whole path
        "timeout": START_TIMEOUT_S,
        "new_browser_tab": True,
        "launcher_entry": {
            "enabled": True,
            "title": TITLE,
            "icon_path": str(icon_path()),
            "category": "Notebook",
        },
    }
