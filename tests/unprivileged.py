"""Run ``constraintlab ARGS...`` as a user for whom permission bits bind, as a student is.

The tests run as root here, and root reads and writes through any ``chmod``: a permission bug
would hide. :func:`run_cli_unprivileged` runs the command in a subprocess; when this process is
root it is wrapped in ``setpriv`` with root's override capabilities dropped (``dac_override``,
``dac_read_search``, ``fowner``), so a folder without search permission or a read-only file
stops it exactly as it stops a student. As any other user the command runs as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

DROPPED = "-dac_override,-dac_read_search,-fowner"
_ENTRY = "from constraintlab.cli.main import main; main()"


def unprivileged_prefix() -> list[str]:
    """The command prefix that drops root's override rights (empty when not root)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is needed to drop root's override rights"
    return [setpriv, "--bounding-set", DROPPED]


def run_cli_unprivileged(
    *args: str,
    home: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``constraintlab ARGS...`` with ``HOME=home``, without root's override rights.

    ``env`` adds to (or with a value of ``""`` removes from) the environment; the ledger
    variable is removed unless ``env`` sets it.
    """
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CONSTRAINTLAB_")}
    environ["HOME"] = str(home)
    for key, value in (env or {}).items():
        if value:
            environ[key] = value
        else:
            environ.pop(key, None)
    command = [*unprivileged_prefix(), sys.executable, "-c", _ENTRY, *args]
    return subprocess.run(
        command,
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The command's stderr, checked to be one ``error:`` line and no traceback (exit 2)."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` ("256k", "32m") mounted on the new folder ``where`` (root only),
    unmounted afterwards: a small disk that fills, or another file system."""
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)
