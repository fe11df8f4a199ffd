"""Contract claim 12 under an instructor's edits (issue 26, Why 8 and item 5).

Every option, hint, feedback and panel the lab shows (through the notebook itself, as
tests/test_app_headless.py runs it, and the view builders it calls), and every CLI command's
text, is rendered under a scenario that edits the GPU budget, the grid intensity, the epsilon
limit, the P99 SLO, the uptime target, the HBM bandwidth, the MTBF and a few more; none may
still show a shipped value the edit changed, in any of the forms it is written. Each shown
power product multiplies, and the layout names follow ``hardware.gpus_per_node``.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest

from constraintlab import Design, evaluate
from constraintlab.cli.main import main
from constraintlab.explore.advice import BUDGET, advise
from constraintlab.model import engine
from constraintlab.model import scenario as sc
from constraintlab.model.engine import CONSTRAINT_LABELS, CONSTRAINT_NAMES
from constraintlab.model.explain import checkpoint_advice, derivation_line, gpu_sum_text
from constraintlab.views import coach, montecarlo, prose, scorecards
from constraintlab.views import questions as qs
from constraintlab.views.assumptions import assumptions_panel_html
from designs import JOB_CANNOT_KEEP_UP

# Every value edited, each more lenient than shipped or neutral, so the carbon baseline
# (30 B, 3d) still meets the five non-carbon constraints and the budget and the file loads.
EDITED = """\
[targets]
gpu_budget = 8000
p99_slo_ms = 250.0
dp_epsilon_limit = 2.0
uptime_target = 0.995
[hardware]
h100_hbm_bandwidth_gb_per_s = 3900.0
h100_tdp_w = 650.0
gpus_per_node = 4
nvlink_gb_per_s = 600.0
[reliability]
gpu_mtbf_h = 3000.0
cold_restart_min = 20.0
[carbon]
grid_fleet_g_per_kwh = 300.0
clean_hours_reduction = 0.6
"""
_NUM = r"(?<![\d.,])"  # no digit (or a digit's separator) before
_END = r"(?![\d]|[.,]\d)"  # and none after
# the shipped value of each edited constant, in every form the lab or the CLI writes it
SHIPPED_FORMS = {
    "targets.gpu_budget": [_NUM + r"10[, ]?000" + _END, r"\b10k\b"],
    "carbon.grid_fleet_g_per_kwh": [_NUM + r"386" + _END],
    "targets.dp_epsilon_limit": [r"(ε|epsilon|eps)\s*(≤|<=|<)\s*1" + _END, r"(≤|<=)\s*1" + _END],
    "targets.p99_slo_ms": [_NUM + r"200(\.0)?\s*ms", r"<\s*200" + _END],
    "targets.uptime_target": [_NUM + r"99\.9" + _END + r"\s*%", _NUM + r"0\.999" + _END],
    "hardware.h100_hbm_bandwidth_gb_per_s": [_NUM + r"3[, ]?350" + _END, _NUM + r"3\.35\s*TB"],
    "hardware.h100_tdp_w": [_NUM + r"700(\.0)?\s*W\b"],
    "hardware.gpus_per_node": [r"\bTP 8\b", _NUM + r"8 GPUs per node"],
    "hardware.nvlink_gb_per_s": [_NUM + r"900(\.0)?\s*GB/s"],
    "reliability.gpu_mtbf_h": [
        _NUM + r"2[, ]?000(\.0)?\s*(h\b|hours|GPU-h)",
        r"MTBF[^.\n]{0,20}" + _NUM + r"2[, ]?000" + _END,
    ],
    "reliability.cold_restart_min": [_NUM + r"30-min", _NUM + r"30 min(ute)?s? (cold )?restart"],
    "carbon.clean_hours_reduction": [_NUM + r"70\s*% (cleaner|below)"],
}
# ... and the edited value, which each must show somewhere (a scan of nothing finds nothing)
EDITED_FORMS = {
    "targets.gpu_budget": "8,000",
    "carbon.grid_fleet_g_per_kwh": "300 g",
    "targets.dp_epsilon_limit": "ε ≤ 2",
    "targets.p99_slo_ms": "250 ms",
    "targets.uptime_target": "99.5%",
    "hardware.h100_hbm_bandwidth_gb_per_s": "3,900 GB/s",
    "hardware.h100_tdp_w": "650 W",
    "hardware.gpus_per_node": "TP 4",
    "reliability.gpu_mtbf_h": "MTBF 3,000 h",
    "reliability.cold_restart_min": "20-min restart",
}
LETTERS = "ABCD"
ONE_VALUE_RANGE = "carbon.baseline.adv_weight"
DESIGNS = (
    Design(),
    Design(model_size_b=70, parallelism="3d"),
    Design(model_size_b=30, parallelism="3d", context="renewable", flexible_job_pct=50),
    Design(model_size_b=14, adv_weight=0.8, checkpoint_interval_min=20),
    JOB_CANNOT_KEEP_UP,
)


def plain(html: str) -> str:
    """The words a reader sees: tags dropped, entities read."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


def cli(*args: str) -> str:
    """stdout and stderr of ``constraintlab ARGS...`` run in-process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as stop:
            assert not stop.code, (args, err.getvalue()[-2000:])
    return out.getvalue() + err.getvalue()


def lab_pages() -> list[str]:
    """The notebook for each design (each with another answer letter), every hint asked, the
    Monte Carlo check and the nearest design asked for, the sample journey loaded for some."""
    from test_app_headless import answered, designed, run_lab

    pressed = SimpleNamespace(value=True)
    every_hint = {target: coach.HINT_STEPS for target in (*CONSTRAINT_NAMES, BUDGET)}
    pages = []
    for k, design in enumerate(DESIGNS):  # every letter's feedback is also in view_texts
        letter = LETTERS[k % len(LETTERS)]
        html, _ = run_lab(
            act1_pred=answered(qs.ACT1_PREDICTION, letter),
            act1_reflection=answered(qs.ACT1_REFLECTION, letter),
            act2_pred=answered(qs.ACT2_PREDICTION, letter),
            act2_reflection=answered(qs.ACT2_REFLECTION, letter),
            hint_levels=every_hint,
            montecarlo_button=pressed,
            nearest_button=pressed,
            sample_button=SimpleNamespace(value=letter in "AB"),
            **designed(design),
        )
        pages.append(plain(html))
    return pages


def view_texts() -> list[str]:
    """The view builders the notebook calls, for every letter, level and earned state."""
    from constraintlab.explore import census

    facts = census()
    ledgers = [
        qs.LedgerFacts(0, (), None, None),
        qs.LedgerFacts(
            6,
            (("Memory", 0.9),),
            ("Memory", 0.9),
            ("Ethics", 0.2),
            False,
            (("Memory", 3, 3), ("Networking", 3, 0), ("Economics", 3, 0)),
        ),
    ]
    texts = [
        prose.header_html(),
        prose.act1_message_html(),
        prose.act2_message_html(),
        prose.governing_equations_md(),
        prose.dp_vs_adversarial_md(facts, True),
        prose.dp_vs_adversarial_md(facts, False),
        " ".join(prose.context_labels()),
        " ".join(prose.strategy_labels()),
        assumptions_panel_html(),
    ]
    for question in (
        qs.ACT1_PREDICTION,
        qs.ACT1_REFLECTION,
        qs.ACT2_PREDICTION,
        qs.ACT2_REFLECTION,
    ):
        texts.append(question.prompt + " " + " ".join(question.labels()))
    for letter in LETTERS:
        texts += [qs.feedback_html(qs.act1_reveal(letter, f)) for f in ledgers]
        texts.append(qs.feedback_html(qs.act1_reflection_feedback(letter)))
        for design in DESIGNS:
            card = evaluate(design)
            for earned in (True, False):
                texts.append(qs.feedback_html(qs.act2_reveal(letter, card, facts, earned)))
                texts.append(
                    qs.feedback_html(qs.act2_reflection_feedback(letter, card, facts, earned))
                )
    for design in DESIGNS:
        card = evaluate(design)
        advice = advise(card)
        lines = {r.name: derivation_line(r, card) for r in card.constraints.values()}
        texts += [scorecards.scorecards_html(card, lines), scorecards.budget_html(card)]
        texts += [scorecards.status_html(card), checkpoint_advice(card), gpu_sum_text(card.budget)]
        texts.append(montecarlo.why_not_simulated(card) or "")
        for target in advice.failing:
            for level in range(coach.HINT_STEPS + 1):
                texts.append(coach.banner_html(card, advice, target, level, CONSTRAINT_LABELS))
        texts += coach.advice_lines(card, advice, CONSTRAINT_LABELS)
    return [plain(t) for t in texts]


def cli_texts(scenario: Path) -> list[str]:
    """Every command's text (tables and JSON) under the scenario."""
    flags = ["--scenario", str(scenario)]
    texts = []
    for design in DESIGNS[:3]:
        design_flags = [
            f"--{name.replace('_', '-')}={value}" for name, value in design.to_dict().items()
        ]
        for json_flag in ([], ["--json"]):
            texts.append(cli("evaluate", *flags, *design_flags, *json_flag))
            texts.append(cli("explore", "sensitivity", *flags, *design_flags, *json_flag))
            texts.append(cli("explore", "nearest", *flags, *design_flags, *json_flag))
    for json_flag in ([], ["--json"]):
        texts.append(cli("explore", "census", *flags, *json_flag))
        texts.append(
            cli("explore", "slice", *flags, "--x", "model_size_b", "--y", "parallelism", *json_flag)
        )
        texts.append(
            # a constant whose published range is one value: two censuses already counted
            cli("explore", "assumptions", *flags, "--only", ONE_VALUE_RANGE, *json_flag)
        )
        texts.append(
            cli(
                "validate",
                *flags,
                "--requests",
                "20000",
                "--availability-events",
                "20000",
                *json_flag,
            )
        )
    return texts


@pytest.fixture(scope="module")
def edited_scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("claim12") / "edited.toml"
    path.write_text(EDITED, encoding="utf-8")
    yield path
    sc.use_scenario(None)


@pytest.fixture(scope="module")
def shown(edited_scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Everything the lab and the CLI say under the edited scenario, by where it was said."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("CONSTRAINTLAB_LEDGER", str(home / "ledger.sqlite3"))
        patch.setenv("COLUMNS", "200")
        engine.load_scenario(edited_scenario)
        try:
            texts = {"lab": "\n".join(lab_pages()), "views": "\n".join(view_texts())}
            texts["cli"] = "\n".join(cli_texts(edited_scenario))
        finally:
            patch.delenv("CONSTRAINTLAB_SCENARIO", raising=False)
            sc.use_scenario(None)
    return texts


def stale(text: str) -> list[str]:
    """Each shipped value the edit changed that ``text`` still shows, with its context."""
    found = []
    for key, forms in SHIPPED_FORMS.items():
        for form in forms:
            for hit in re.finditer(form, text):
                where = text[max(0, hit.start() - 100) : hit.end() + 40].replace("\n", " ")
                found.append(f"{key}: ...{where}...")
    return sorted(set(found))


def test_the_edited_scenario_loads_and_moves_the_verdicts(edited_scenario: Path) -> None:
    shipped = evaluate(Design(parallelism="3d", model_size_b=30)).to_dict()
    engine.load_scenario(edited_scenario)
    try:
        assert engine.carbon_baseline().meets_five
        edited = evaluate(Design(parallelism="3d", model_size_b=30)).to_dict()
    finally:
        sc.use_scenario(None)
    assert edited != shipped


@pytest.mark.parametrize("where", ["lab", "views", "cli"])
def test_no_shipped_value_the_edit_changed_is_shown(shown: dict[str, str], where: str) -> None:
    found = stale(shown[where])
    assert not found, "\n".join(found[:20])


@pytest.mark.parametrize("where", ["lab", "views"])
def test_the_edited_values_are_what_is_shown(shown: dict[str, str], where: str) -> None:
    """The scan above saw the edit's words, not an empty or unrelated page."""
    text = re.sub(r"\s+", " ", shown[where])
    missing = [key for key, form in EDITED_FORMS.items() if form not in text]
    assert not missing


POWER = re.compile(r"([\d,]+) (?:×|x|H100s at) ([\d.]+) W (?:=|draw) ([\d.,]+) MW")


@pytest.mark.parametrize("where", ["lab", "views"])
def test_every_shown_power_product_multiplies(shown: dict[str, str], where: str) -> None:
    """ "8,000 x 700 W = 6 MW" read wrong (5.6 MW): each shown product is within 0.5 % of
    the product of the figures shown beside it (three significant digits)."""
    products = POWER.findall(re.sub(r"\s+", " ", shown[where]))
    assert products
    for gpus, watts, mw in products:
        exact = int(gpus.replace(",", "")) * float(watts) / 1e6
        assert float(mw.replace(",", "")) == pytest.approx(exact, rel=0.005), (gpus, watts, mw)


def test_a_smaller_node_resizes_tensor_parallelism_and_is_named(tmp_path: Path) -> None:
    """``hardware.gpus_per_node`` acts: 4 gives TP 4 (and 4 x 4 GPUs for 3d), named so;
    the shipped 8 keeps the shipped layout."""
    from constraintlab.model.explain import layout_name

    shipped = evaluate(Design(parallelism="3d")).constraints["p99_latency"].derivation
    assert (shipped["tensor_parallel"], shipped["gpus_per_replica"]) == (8, 32)
    assert layout_name("3d") == "TP 8 x PP 4 over 4 nodes"
    path = tmp_path / "node4.toml"
    path.write_text("[hardware]\ngpus_per_node = 4\n", encoding="utf-8")
    engine.load_scenario(path)
    try:
        card = evaluate(Design(parallelism="3d"))
        labels = prose.strategy_labels()
    finally:
        sc.use_scenario(None)
    latency = card.constraints["p99_latency"]
    assert (latency.derivation["tensor_parallel"], latency.derivation["gpus_per_replica"]) == (
        4,
        16,
    )
    assert latency.value != evaluate(Design(parallelism="3d")).constraints["p99_latency"].value
    assert set(labels.values()) == {"dp", "tp_dp", "3d"}
    assert "Full 3D (TP 4 × PP 4 over 4 nodes)" in labels
    assert "Tensor + data parallel (TP 4 in one node)" in labels


# derived names the plan code reads -> the constants they are computed from
DERIVED_FROM = {
    "ARRIVAL_RATE_PER_S": (
        "workload.hospital_count",
        "workload.inferences_per_hospital_per_day",
    ),
    "INFINIBAND_GB_PER_S": ("hardware.infiniband_gbit_per_s",),
}


def test_every_constant_the_plan_code_reads_keys_the_plan_cache() -> None:
    """``gpus_per_node`` read by the serving plan but left out of the plan key would serve
    TP 8 plans under a file that says 4: every ``sc.NAME`` the plan code reads is a key input."""
    from constraintlab.model import planstore

    names = {item.name: item.key for item in sc.CONSTANTS}
    read = set()
    for module in ("serving.py", "queueing.py", "uptime.py"):
        code = (Path(planstore.__file__).with_name(module)).read_text(encoding="utf-8")
        read |= set(re.findall(r"\bsc\.([A-Z][A-Z0-9_]*)\b", code))
    keys = {names[n] for n in read if n in names}
    keys |= {key for n in read & set(DERIVED_FROM) for key in DERIVED_FROM[n]}
    assert read <= set(names) | set(DERIVED_FROM)
    assert "hardware.gpus_per_node" in keys
    assert keys <= set(planstore.PLAN_INPUTS)
