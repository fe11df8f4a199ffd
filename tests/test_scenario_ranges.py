"""Contract claim 20, first part: every modelling assumption states a range with the source of
both ends, read from the shipped file itself; ranges are validated like values; an edited
value is marked as edited and shown with the file that edited it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from constraintlab.model import scenario as sc
from constraintlab.model.engine import load_scenario
from constraintlab.views.assumptions import assumptions_panel_html


def _entries(table: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for key, item in table.items():
        if isinstance(item, dict) and "value" not in item:
            found.update(_entries(item, f"{prefix}{key}."))
        elif isinstance(item, dict):
            found[f"{prefix}{key}"] = item
    return found


SHIPPED = _entries(tomllib.loads(sc.SHIPPED_PATH.read_text(encoding="utf-8")))


def test_no_modelling_assumption_lacks_a_range_with_its_sources() -> None:
    assumed = {k: v for k, v in SHIPPED.items() if "modelling assumption" in v["source"]}
    assert len(assumed) >= 25
    lacking = [k for k, v in assumed.items() if "range" not in v or not v.get("range_source")]
    assert lacking == []


def test_the_published_lab_mtbf_states_the_llama_3_alternative() -> None:
    mtbf = sc.constant("reliability.gpu_mtbf_h")
    assert mtbf.value == 2000.0 and mtbf.range == (2000.0, 50000.0)
    assert "Llama 3" in mtbf.range_source and "published lab" in mtbf.range_source


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[carbon]\npue = { value = 1.2, range = [1.3, 1.5] }\n", "carbon.pue.range"),
        ("[carbon]\npue = { value = 1.2, range = [0.5, 1.5] }\n", "carbon.pue.range"),
        ("[carbon]\npue = { value = 1.2, range = 1.3 }\n", "carbon.pue.range"),
        ("[carbon]\npue = { value = 1.2, span = [1.1, 1.3] }\n", "carbon.pue"),
    ],
    ids=["value-outside", "end-outside-rule", "not-a-list", "unknown-field"],
)
def test_a_bad_range_is_refused_by_name(text: str, named: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(sc.ScenarioError) as refused:
        sc.load_constants(path)
    assert refused.value.key == named


@pytest.mark.parametrize("key", [k for k in SHIPPED if k.startswith("carbon.baseline.")])
def test_both_ends_of_each_baseline_range_give_a_baseline_that_serves(
    key: str, tmp_path: Path
) -> None:
    """The baseline's ranges are a definition: every end must pass the load-time check."""
    section, _, leaf = key.rpartition(".")
    ends = sc.constant(key).range
    assert ends is not None
    try:
        for end in (ends[0], ends[-1]):
            path = tmp_path / "end.toml"
            value = f'"{end}"' if isinstance(end, str) else repr(end)
            path.write_text(f"[{section}]\n{leaf} = {value}\n", encoding="utf-8")
            load_scenario(path)
    finally:
        sc.use_scenario(None)


def test_an_edited_value_is_marked_and_shown_with_its_file_not_the_shipped_source(
    tmp_path: Path,
) -> None:
    path = tmp_path / "class.toml"
    path.write_text("[carbon]\nppa_capacity_mw = 2.0\npue = 1.2\n", encoding="utf-8")
    try:
        sc.use_scenario(path)
        ppa, pue = sc.constant("carbon.ppa_capacity_mw"), sc.constant("carbon.pue")
        panel = assumptions_panel_html()
    finally:
        sc.use_scenario(None)
    assert ppa.edited and ppa.source == "edited in class.toml" and ppa.range == (2.0, 8.0)
    assert not pue.edited and pue.source.startswith("modelling assumption")
    assert "edited in class.toml" in panel and "4 MW firm" not in panel
    assert "Uptime Institute" in panel  # the range's sources are shown
