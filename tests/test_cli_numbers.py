"""Number flags take ASCII digits only, and host/port messages blame the right flag
(issue 13, finding 12).

Before: ``7`` in full-width (``７``) or Arabic-Indic (``٧``) digits and ``1_0`` were accepted
(Python's ``int()`` and ``float()`` take them); ``--host 8.8.8.8`` blamed the port; a
5,000-digit integer suggested ``sys.set_int_max_str_digits()``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_runner import run_cli
from constraintlab.cli.numbers import parse_decimal, parse_whole

NOT_ASCII = ["７", "٧", "1_0", "१०", "7\u200b"]
HUGE = "9" * 5000


@pytest.mark.parametrize("text", NOT_ASCII)
@pytest.mark.parametrize(
    "args",
    [
        ["run", "--port"],
        ["class-report", "x.json", "--out", "o", "--heatmap-rows"],
        ["validate", "--requests"],
        ["validate", "--seed"],
        ["evaluate", "--model-size-b"],
        ["evaluate", "--dp-epsilon"],
    ],
)
def test_number_flags_refuse_digits_that_are_not_ascii(
    capsys: pytest.CaptureFixture[str], args: list[str], text: str
) -> None:
    code, out, err = run_cli(capsys, *args, text)
    assert code == 2 and out == ""
    assert err.startswith("error:") and err.count("\n") == 1 and args[-1] in err


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--port", HUGE],
        ["validate", "--seed", HUGE],
        ["evaluate", "--model-size-b", HUGE],
    ],
)
def test_a_huge_number_gets_the_flags_message_not_pythons(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and err.count("\n") == 1
    assert "set_int_max_str_digits" not in err and len(err) < 400
    assert args[1] in err


def test_ascii_numbers_still_work() -> None:
    assert parse_whole("8000") == 8000 and parse_whole("+7") == 7 and parse_whole(" 12 ") == 12
    assert parse_decimal("0.5") == 0.5 and parse_decimal("-1e3") == -1000.0
    assert parse_decimal(".5") == 0.5 and parse_decimal("7.") == 7.0
    for bad in ("", "nan", "inf", "0x10", "1,5", "--1"):
        assert parse_whole(bad) is None and parse_decimal(bad) is None


def test_evaluate_accepts_plain_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "evaluate", "--model-size-b", "14", "--json")
    assert code == 0 and '"approved"' in out


def test_a_host_that_is_not_this_machines_blames_the_host(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(capsys, "run", "--host", "8.8.8.8", "--port", "8999")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "--host" in err and "not an address of this machine" in err
    assert "--port" not in err and "port 8999" not in err


def test_a_ledger_file_with_a_5000_digit_integer_is_named_without_pythons_advice(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    huge = tmp_path / "huge.json"
    huge.write_text('{"history": {"5": {"x": ' + HUGE + "}}}")
    code, out, err = run_cli(
        capsys, "ledger", "import", str(huge), "--ledger", str(tmp_path / "l.sqlite3")
    )
    assert code == 2 and out == "" and err.startswith(f"error: {huge}: ")
    assert "thousands of digits" in err and "set_int_max_str_digits" not in err
    assert not (tmp_path / "l.sqlite3").exists()
