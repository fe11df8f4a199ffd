"""Run the ``constraintlab`` entry point in-process, as a shell would, for the CLI tests."""

from __future__ import annotations

import pytest

from constraintlab.cli.main import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``constraintlab ARGS...``."""
    with pytest.raises(SystemExit) as stop:
        main(list(args))
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err
