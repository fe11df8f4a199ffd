"""Every value the scenario validator accepts either gives finite results or is refused at
load by name, in bounded time and memory: each value that used to crash, exhaust memory or
take minutes (issue 23, Why 3) is run as a user types it, under a 2 GB address-space limit
and a 30 s time limit, through `evaluate`, `explore census` and the lab's own cells."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from constraintlab.model import scenario as sc

LIMIT_BYTES = 2 * 2**30
LIMIT_S = 30.0
CASES = {
    "serving_mfu_0.45": "[serving]\nserving_mfu = 0.45\n",
    "hospital_count_10000000": "[workload]\nhospital_count = 10000000\n",
    "hospital_count_2000": "[workload]\nhospital_count = 2000\n",
    "p99_slo_ms_1000000": "[targets]\np99_slo_ms = 1000000\n",
    "service_time_scv_2.5": "[serving]\nservice_time_scv = 2.5\n",
    "service_time_scv_4": "[serving]\nservice_time_scv = 4.0\n",
}
NOT_FINITE = re.compile(r"\b(nan|inf|infinity|n/a)\b", re.IGNORECASE)


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def _constraintlab(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    code = "from constraintlab.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=LIMIT_S,
        preexec_fn=_limited,
        env={**os.environ, "CONSTRAINTLAB_CACHE": str(cache), "COLUMNS": "200"},
        check=False,
    )


def _strict(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _refused_by_name(done: subprocess.CompletedProcess[str], key: str) -> bool:
    """Exit 2, one line, naming the key or the baseline the value made impossible."""
    lines = done.stderr.strip().splitlines()
    named = key.split(".")[-1] in lines[0] or "carbon.baseline" in lines[0] if lines else False
    return done.returncode == 2 and len(lines) == 1 and named


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_accepted_value_gives_finite_results_or_is_refused_by_name(
    name: str, tmp_path: Path
) -> None:
    scenario = tmp_path / f"{name}.toml"
    scenario.write_text(CASES[name], encoding="utf-8")
    key = CASES[name].split("\n")[1].split(" =")[0]  # the leaf, as the refusal names it
    cache = tmp_path / "cache"  # the census's plans are the ones evaluate then reads
    census = _constraintlab("explore", "census", "--scenario", str(scenario), "--json", cache=cache)
    card = _constraintlab(
        "evaluate",
        "--scenario",
        str(scenario),
        "--model-size-b",
        "21",
        "--parallelism",
        "3d",
        cache=cache,
    )
    for done in (census, card):
        assert "Traceback" not in done.stderr, done.stderr[-2000:]
        if done.returncode == 2:
            assert _refused_by_name(done, key), done.stderr
            continue
        assert done.returncode == 0, done.stderr[-2000:]
    if census.returncode == 0:
        _strict(census.stdout)
    if card.returncode == 0:
        assert not NOT_FINITE.search(card.stdout), card.stdout


def test_scv_past_one_is_refused_where_validate_showed_the_formula_optimistic(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "scv.toml"
    scenario.write_text(CASES["service_time_scv_2.5"], encoding="utf-8")
    done = _constraintlab("evaluate", "--scenario", str(scenario), cache=tmp_path / "c")
    assert done.returncode == 2
    assert "serving.service_time_scv" in done.stderr and "[0, 1]" in done.stderr


@pytest.mark.parametrize("name", ["serving_mfu_0.45", "hospital_count_2000", "p99_slo_ms_1000000"])
def test_the_lab_draws_act_two_under_each_accepted_value(name: str, tmp_path: Path) -> None:
    """21 B on 3d under each value the scenario accepts: serving_mfu = 0.45 put 20.99998
    studies' worth of load on 21 replicas and the page said "An internal error occurred"."""
    from constraintlab import Design
    from test_app_headless import both_predictions, designed, run_lab

    scenario = tmp_path / f"{name}.toml"
    scenario.write_text(CASES[name], encoding="utf-8")
    sc.use_scenario(scenario)
    try:
        html, _ = run_lab(
            **both_predictions(), **designed(Design(model_size_b=21.0, parallelism="3d"))
        )
    finally:
        sc.use_scenario(None)
    assert "P99 latency" in html
    assert "internal error" not in html.lower()
    assert not NOT_FINITE.search(re.sub(r"<[^>]+>", " ", html)), "a non-finite word on the page"


def test_an_edited_grid_and_budget_reach_the_census_line_and_the_act_two_message(
    tmp_path: Path,
) -> None:
    """Claim 12 under edits: the census named "the 386 g/kWh grid" whatever the file said, and
    "8,000 x 700 W = 6 MW" did not multiply (5.6 MW)."""
    from constraintlab.views.prose import act2_message_html

    scenario = tmp_path / "edited.toml"
    scenario.write_text(
        "[targets]\ngpu_budget = 8000\n[carbon]\ngrid_fleet_g_per_kwh = 300.0\n", encoding="utf-8"
    )
    census = _constraintlab("explore", "census", "--scenario", str(scenario), cache=tmp_path)
    assert census.returncode == 0, census.stderr
    assert "300 g/kWh grid" in census.stdout and "386" not in census.stdout
    sc.use_scenario(scenario)
    try:
        message = act2_message_html()
    finally:
        sc.use_scenario(None)
    assert "8,000 × 700 W = 5.6 MW" in message


def test_the_act_two_prediction_and_its_feedback_quote_the_edited_budget_and_epsilon(
    tmp_path: Path,
) -> None:
    """Claim 12 under edits: options A and C said "ε ≤ 1" and "10,000 H100s" whatever the
    scenario said (they were built at import time)."""
    from constraintlab import Design, evaluate
    from constraintlab.views import questions as qs

    scenario = tmp_path / "edited.toml"
    scenario.write_text("[targets]\ngpu_budget = 8000\ndp_epsilon_limit = 2.0\n", encoding="utf-8")
    sc.use_scenario(scenario)
    try:
        shown = " ".join(qs.ACT2_PREDICTION.labels())
        reveal = qs.act2_reveal("A", evaluate(Design()), None, False)
    finally:
        sc.use_scenario(None)
    assert "8,000 H100s" in shown and "10,000" not in shown
    assert "ε ≤ 2" in shown and "ε ≤ 1 " not in shown
    assert "ε ≤ 2" in " ".join(reveal.paragraphs)
    assert "10,000 H100s" in " ".join(qs.ACT2_PREDICTION.labels())  # back to the shipped file
