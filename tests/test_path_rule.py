"""One path rule for every command (issue 13, finding 4).

Before: ``--out '~/rep'`` (quoted) put the CSVs in ``./~/rep`` and DuckDB's parquet in
``$HOME/rep``, then a traceback; ``run --ledger '~/x'`` used ``./~/x`` while ``ledger show
--ledger '~/x'`` used ``$HOME/x``; an unknown ``~user`` gave a traceback; an empty string meant
the current folder (``class-report ''`` scanned it, ``--out ''`` wrote into it).
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from cli_runner import run_cli
from conftest import LabEnv
from constraintlab.classreport.testdata import generate_class
from constraintlab.cli import run as run_cli_module
from constraintlab.ledger import open_ledger
from constraintlab.userpaths import PathError, user_path

NO_SUCH_USER = "~no_such_user_cl13"


def test_the_rule_expands_home_and_refuses_empty_and_unknown_users(lab_env: LabEnv) -> None:
    assert user_path("~/x") == lab_env.home / "x"
    assert user_path("rel/x") == Path("rel/x")
    for bad, words in (("", "empty"), ("  ", "empty"), (f"{NO_SUCH_USER}/x", "no user")):
        with pytest.raises(PathError, match=words):
            user_path(bad, "--out")


def test_class_report_out_with_a_quoted_tilde_goes_to_home_whole(
    lab_env: LabEnv,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    generate_class(tmp_path / "in", 2, seed=1, bad_files=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    code, _, err = run_cli(capsys, "class-report", str(tmp_path / "in"), "--out", "~/rep")
    assert code == 0, err
    assert (lab_env.home / "rep" / "students.csv").is_file()
    assert (lab_env.home / "rep" / "entries.parquet").is_file()
    assert list(work.iterdir()) == []  # no ./~ folder


@pytest.mark.parametrize(
    "args",
    [
        ["class-report", "IN", "--out", ""],
        ["class-report", "", "--out", "OUT"],
        ["class-report", "IN", "--out", f"{NO_SUCH_USER}/rep"],
        ["ledger", "show", "--ledger", ""],
        ["ledger", "show", "--ledger", f"{NO_SUCH_USER}/x.sqlite3"],
        ["ledger", "export", "", "--ledger", "LEDGER"],
        ["ledger", "import", "", "--ledger", "LEDGER"],
        ["run", "--ledger", "", "--port", "8999"],
        ["run", "--ledger", f"{NO_SUCH_USER}/x.sqlite3", "--port", "8999"],
    ],
)
def test_empty_paths_and_unknown_users_are_one_line_exit_2(
    args: list[str],
    lab_env: LabEnv,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    generate_class(tmp_path / "in", 1, seed=1, bad_files=False)
    with open_ledger(tmp_path / "l.sqlite3") as ledger:
        ledger.save("5", {"a": 1})
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    fills = {
        "IN": str(tmp_path / "in"),
        "OUT": str(tmp_path / "out"),
        "LEDGER": str(tmp_path / "l.sqlite3"),
    }
    code, out, err = run_cli(capsys, *[fills.get(a, a) for a in args])
    assert code == 2, (out, err)
    assert err.startswith("error:") and err.count("\n") == 1 and "Traceback" not in err
    assert "empty path" in err or "no user" in err
    assert list(work.iterdir()) == []  # nothing written into the current folder


def test_run_and_ledger_show_mean_the_same_store_for_a_quoted_tilde(
    lab_env: LabEnv, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_ledger(lab_env.home / "x.sqlite3") as ledger:
        ledger.save("5", {"where": "home"})
    code, out, _ = run_cli(capsys, "ledger", "path", "--ledger", "~/x.sqlite3")
    assert out.strip() == str(lab_env.home / "x.sqlite3")
    code, out, _ = run_cli(capsys, "ledger", "show", "--json", "--ledger", "~/x.sqlite3")
    assert code == 0 and '"where": "home"' in out

    started: dict[str, str] = {}

    class Started(Exception):
        pass

    def fake_popen(*args: object, env: dict[str, str], **kwargs: object) -> None:
        started.update(env)
        raise Started

    monkeypatch.setattr(run_cli_module, "check_port", lambda host, port: None)
    monkeypatch.setattr(run_cli_module.subprocess, "Popen", fake_popen)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(Started):
            run_cli_module.run_command(port=8999, host="127.0.0.1", ledger="~/x.sqlite3")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert started[run_cli_module.LEDGER_ENV] == str(lab_env.home / "x.sqlite3")
