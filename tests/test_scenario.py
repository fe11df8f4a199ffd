"""The scenario file: shipped with units and sources, validated on load, ``--scenario FILE``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_runner import run_cli
from constraintlab import Design, evaluate
from constraintlab.model import scenario as sc
from constraintlab.model.scenario import RULES, ScenarioError, load_constants, use_scenario


@pytest.fixture(autouse=True)
def _shipped_scenario_after(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CONSTRAINTLAB_SCENARIO", raising=False)
    yield
    os.environ.pop("CONSTRAINTLAB_SCENARIO", None)  # set by the CLI itself, for the lab's child
    use_scenario(None)


def test_every_shipped_constant_has_a_rule_a_unit_and_a_source() -> None:
    constants = load_constants(None)
    assert {c.key for c in constants} == set(RULES)
    for item in constants:
        assert item.unit and item.source, item.key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[targets]\nnot_a_constant = 3\n", "targets.not_a_constant"),
        ("[targets]\np99_slo_ms = 'fast'\n", "targets.p99_slo_ms"),
        ("[targets]\np99_slo_ms = -5.0\n", "targets.p99_slo_ms"),
        ("[targets]\ngpu_budget = 10.5\n", "targets.gpu_budget"),
        ("[carbon.baseline]\nparallelism = 'zero'\n", "carbon.baseline.parallelism"),
        ("this is = = not toml", "file"),
    ],
)
def test_a_bad_scenario_is_refused_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as error:
        load_constants(path)
    assert error.value.key == key


def test_cli_exits_2_with_one_line_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[targets]\np99_slo_ms = -5.0\n")
    code, _, err = run_cli(capsys, "evaluate", "--scenario", str(path))
    assert code == 2 and "p99_slo_ms" in err and len(err.strip().splitlines()) == 1


def test_one_changed_constant_changes_the_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    design = ["--model-size-b", "14", "--adv-weight", "0.8", "--checkpoint-interval-min", "20"]
    code, out, _ = run_cli(capsys, "evaluate", "--json", *design)
    assert code == 0 and json.loads(out)["approved"] is True
    path = tmp_path / "strict.toml"
    path.write_text("[targets]\naccuracy_target = 0.955\n")  # the 30 B baseline still meets it
    code, out, _ = run_cli(capsys, "evaluate", "--json", "--scenario", str(path), *design)
    assert code == 0
    card = json.loads(out)
    assert card["approved"] is False and card["constraints"]["accuracy"]["met"] is False


def test_use_scenario_changes_the_model_and_back() -> None:
    design = Design(model_size_b=14, adv_weight=0.8, checkpoint_interval_min=20)
    assert evaluate(design).approved
    fingerprint = sc.FINGERPRINT
    use_scenario(None)
    assert fingerprint == sc.FINGERPRINT


def test_a_scenario_file_not_in_utf8_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Latin-1 scenario file: exit 2, one line naming the file (was a UnicodeDecodeError)."""
    path = tmp_path / "latin1.toml"
    path.write_bytes("# caf\xe9\n[targets]\naccuracy_target = 0.97\n".encode("latin-1"))
    code, _, err = run_cli(capsys, "evaluate", "--json", "--scenario", str(path))
    assert code == 2 and "Traceback" not in err
    assert err.count("\n") == 1 and str(path) in err and "UTF-8" in err


def test_a_scenario_file_with_a_byte_order_mark_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Notepad's UTF-8 with a BOM: read as the same TOML (the stricter target applies)."""
    design = ["--model-size-b", "14", "--adv-weight", "0.8", "--checkpoint-interval-min", "20"]
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf[targets]\naccuracy_target = 0.955\n")
    code, out, err = run_cli(capsys, "evaluate", "--json", "--scenario", str(path), *design)
    assert code == 0, err
    assert json.loads(out)["approved"] is False
