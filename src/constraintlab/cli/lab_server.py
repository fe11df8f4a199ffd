"""The lab's server process: marimo's own ``marimo run``, with :class:`LabAccessGuard` added.

``python -m constraintlab.cli.lab_server run LAB.py --host ... --port ...`` is what
``constraintlab run`` starts. It reads the access rules from
:data:`~constraintlab.cli.lab_access.RULES_ENV` (and refuses to start without them),
registers the guard in marimo's server-middleware registry (the hook marimo offers for
extensions, ``marimo.server.asgi.middleware``), then hands the arguments to marimo's CLI, so
every marimo option (``--token-password-file``, ``--base-url``, ...) works as documented.

For the page's latency, marimo's lookup of its plugins' entry points, which it repeats on
every run of cells (scanning every installed package's metadata, ~5 ms of the kernel's time
per slider step here), is answered from the first lookup.
"""

from __future__ import annotations

import functools
import sys

GUARD_NAME = "constraintlab-lab-access"


def look_up_entry_points_once() -> None:
    """marimo's entry-point lookup, cached for the life of the server process.

    The installed packages do not change while a server runs (a plugin installed later needs
    a restart with or without this)."""
    from marimo._entrypoints import registry

    lookup = registry.get_entry_points
    if not hasattr(lookup, "cache_info"):
        registry.get_entry_points = functools.cache(lookup)  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> None:
    """Register the guard and run marimo's CLI with ``argv``."""
    from marimo._cli.cli import main as marimo_main
    from marimo._server.registry import MIDDLEWARE_REGISTRY
    from starlette.middleware import Middleware

    from constraintlab.cli.lab_access import AccessRules, LabAccessGuard

    try:
        rules = AccessRules.from_environment()
    except (KeyError, ValueError, TypeError) as problem:
        print(f"error: no valid access rules for the lab server ({problem})", file=sys.stderr)
        sys.exit(2)
    MIDDLEWARE_REGISTRY.register(GUARD_NAME, Middleware(LabAccessGuard, rules=rules))
    if GUARD_NAME not in MIDDLEWARE_REGISTRY.names():  # e.g. a marimo denylist: fail closed
        print("error: marimo refused the lab's access guard; not serving", file=sys.stderr)
        sys.exit(2)
    look_up_entry_points_once()
    marimo_main(args=sys.argv[1:] if argv is None else argv, prog_name="marimo")


if __name__ == "__main__":  # pragma: no cover - run as a process by constraintlab run
    main()
