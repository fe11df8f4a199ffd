"""View builders: hostile strings come out as text, states are shown by word and icon, and the
figures the prose quotes are computed from the model at run time."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import pytest

from constraintlab import CONTROLS, Design, evaluate
from constraintlab.model import scenario
from constraintlab.model.engine import CONSTRAINT_LABELS, CONSTRAINT_NAMES, ConstraintResult
from constraintlab.model.explain import derivation_line
from constraintlab.views import instruments, journey, prose, questions, scorecards
from constraintlab.views.html import esc

HOSTILE = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"onmouseover='alert(1)' x=\"",
)
APPROVED = Design(model_size_b=14, adv_weight=0.8, context="renewable")
CONTROLS_LIST = list(CONTROLS)


def assert_inert(html: str, payload: str) -> None:
    """The payload is present only in escaped form: no tag or attribute came from it."""
    assert payload not in html
    assert esc(payload) in html
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert not re.search(r"<[^>]*\sonerror\s*=", html, re.IGNORECASE)
    assert not re.search(r"<[^>]*\sonmouseover\s*=", html, re.IGNORECASE)


@pytest.mark.parametrize("payload", HOSTILE)
def test_esc_turns_markup_into_text(payload: str) -> None:
    out = esc(payload)
    assert "<" not in out and ">" not in out and '"' not in out and "'" not in out


def test_default_design_status_is_infeasible_and_names_the_failures() -> None:
    card = evaluate(Design())
    html = scorecards.status_html(card)
    assert 'id="arch-status"' in html
    assert "INFEASIBLE" in html and "APPROVED" not in html
    assert "✗" in html
    for name in card.failing:
        assert CONSTRAINT_LABELS[name] in html
    assert f'data-design="{esc(scorecards.design_key(card))}"' in html


def test_approved_design_status() -> None:
    card = evaluate(APPROVED)
    assert card.approved
    html = scorecards.status_html(card)
    assert "APPROVED" in html and "INFEASIBLE" not in html and "✓" in html
    assert "cl-pass" in html


def test_six_cards_with_ids_words_and_icons() -> None:
    card = evaluate(Design())
    lines = {r.name: derivation_line(r, card) for r in card.constraints.values()}
    html = scorecards.scorecards_html(card, lines)
    for name in CONSTRAINT_NAMES:
        match = re.search(
            rf'<div id="card-{name}" class="cl-card (cl-pass|cl-fail)">(.*?)</div></div>', html
        )
        assert match is not None, name
        met = card.constraints[name].met
        assert match.group(1) == ("cl-pass" if met else "cl-fail")
        assert ("✓ PASS" if met else "✗ FAIL") in match.group(2)
        assert esc(lines[name]) in html
    assert html.count("✗ FAIL") == len(card.failing)


def _result(**changes: object) -> ConstraintResult:
    base = ConstraintResult("accuracy", "Accuracy", 94.96, 95.0, "%", ">=", False, decimals=2)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_shown_number_is_the_value_that_decided_the_verdict() -> None:
    """Contract claim 14: the card shows exactly the digits its verdict was decided on."""
    assert scorecards.shown_number(_result()) == "94.96"
    card = evaluate(Design(model_size_b=12, adv_weight=0.75))
    for result in card.constraints.values():
        assert scorecards.shown_number(result) == f"{result.value:,.{result.decimals}f}"
    accuracy = card["accuracy"]
    assert scorecards.shown_number(accuracy) == "95.00" and accuracy.met


@dataclass
class FakeCensus:
    grid_size: int = 1_000
    approved: int = 17
    min_model_size_b: float | None = 11.0
    max_model_size_b: float | None = 19.0
    epsilon_band: tuple[float, float] | None = (0.7, 1.0)
    approved_by_context: dict[str, int] = field(default_factory=lambda: {"renewable": 17})
    best_fleet_reduction_pct: float | None = 52.5
    ppa_outgrown: int = 3
    budget_only_refusals: int = 5


def test_act2_feedback_quotes_the_census_not_typed_numbers() -> None:
    census = FakeCensus()
    card = evaluate(Design())
    right = questions.act2_reveal("B", card, census)
    body = " ".join(right.paragraphs)
    assert right.kind == "success"
    for figure in ("17 of the 1,000", "11 to 19 B", "0.7 to 1"):
        assert figure in body
    carbon = " ".join(questions.act2_reveal("D", card, census).paragraphs)
    assert "no design is approved" in carbon and "52.50%" in carbon and "3 designs" in carbon
    peek = prose.dp_vs_adversarial_md(census)
    assert "17 of the 1,000" in peek
    assert "achievable" not in peek


def test_act2_feedback_names_the_failing_constraints() -> None:
    card = evaluate(Design())
    fb = questions.act2_reveal("C", card, FakeCensus())
    assert fb.kind == "info"
    for name in card.failing:
        assert CONSTRAINT_LABELS[name] in fb.paragraphs[0]


def test_reflection_feedback_for_every_option() -> None:
    card = evaluate(Design())
    for letter in "ABCD":
        one = questions.act1_reflection_feedback(letter)
        two = questions.act2_reflection_feedback(letter, card, FakeCensus())
        assert one.kind == ("success" if letter == "B" else "warn")
        assert two.kind == ("success" if letter == "B" else "warn")
        assert one.paragraphs[0] and two.paragraphs[0]
        # the title gives the verdict; the body explains it without saying it again
        for feedback in (one, two):
            assert not feedback.paragraphs[0].startswith(("Right", "Not quite")), letter


@pytest.mark.parametrize("payload", HOSTILE)
def test_act1_reveal_escapes_domain_names_from_the_ledger(payload: str) -> None:
    facts = questions.LedgerFacts(
        labs_done=3, top_hit_domains=[(payload, 1.0)], most_hit=(payload, 1.0), weakest=None
    )
    html = questions.feedback_html(questions.act1_reveal("D", facts))
    assert_inert(html, payload)


def test_act1_reveal_with_an_empty_ledger_invents_nothing() -> None:
    facts = questions.LedgerFacts(labs_done=0, top_hit_domains=[], most_hit=None, weakest=None)
    fb = questions.act1_reveal("A", facts)
    text = " ".join(fb.paragraphs)
    assert "no labs recorded" in text
    assert "50%" not in text and "weakest in" not in text


def test_prose_numbers_follow_the_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scenario, "HOSPITAL_COUNT", 1_234)
    monkeypatch.setattr(scenario, "GPU_BUDGET", 4_321)
    html = prose.act2_message_html()
    assert "1,234 hospitals" in html and "4,321 H100s" in html
    monkeypatch.setattr(scenario, "RIDGE_POINT_FLOP_PER_BYTE", 123.0)
    assert "≈ 123 FLOP/byte" in prose.governing_equations_md()


# --- journey (Act I) --------------------------------------------------------------------


def _journey(context: str = "cloud", **extra: object) -> journey.Journey:
    from constraintlab.ledger import audit

    entries = {
        "5": {"context": context, "constraint_hit": True, "act1_correct": False},
        "8": {"context": context, "constraint_hit": False},
        "v2_01": {"context": "edge", "constraint_hit": False, "act1_correct": False},
    }
    return journey.Journey(audit(entries), **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize("payload", HOSTILE)
def test_journey_views_escape_every_ledger_string(payload: str) -> None:
    j = _journey(context=payload, warnings=(payload,), notes=(payload,))
    assert j.audit.dominant_context == payload.strip()
    j = replace(j, audit=replace(j.audit, most_violated=(payload, 0.5), weakest=(payload, 0.0)))
    for html in (
        journey.summary_cards_html(j),
        journey.timeline_html(j),
        journey.ledger_notes_html(j),
    ):
        assert_inert(html, payload.strip())


def test_domain_table_comes_from_the_archaeology_mapping() -> None:
    from constraintlab.ledger.archaeology import DOMAIN_CHAPTERS, DOMAIN_INVARIANTS

    html = journey.domain_table_html(_journey())
    assert html.count("<tr>") == len(DOMAIN_CHAPTERS) + 1
    for domain in DOMAIN_CHAPTERS:
        assert esc(domain) in html and esc(DOMAIN_INVARIANTS[domain]) in html
    assert "<td>v2_02, v2_03, v2_06</td>" in html


def test_empty_ledger_shows_an_empty_state_and_no_made_up_figures() -> None:
    j = journey.empty_journey()
    assert "Your Design Ledger is empty" in journey.empty_state_html(j)
    assert journey.summary_cards_html(j) == ""
    assert journey.empty_state_html(_journey()) == ""
    facts = journey.ledger_facts(j)
    assert facts.labs_done == 0 and facts.top_hit_domains == []
    assert facts.most_hit is None and facts.weakest is None
    chart = journey.hit_rate_chart_html(j)
    assert chart.count(">no labs recorded</text>") == len(j.audit.domains)
    assert ' width="0.0"' in chart and "% of " not in chart


def test_summary_cards_say_what_cannot_be_decided() -> None:
    j = _journey()
    html = journey.summary_cards_html(j)
    assert "Memory" in html  # the only domain with a hit: decidable
    assert "not decidable" in html  # Memory and Scale tie at 0% right: no weakest domain
    assert "0 of 2 predictions right" in html


def test_sample_data_is_labelled() -> None:
    j = _journey(is_sample=True)
    html = journey.ledger_notes_html(j)
    assert "SAMPLE DATA" in html and 'id="sample-banner"' in html
    reveal = " ".join(questions.act1_reveal("D", journey.ledger_facts(j)).paragraphs)
    assert "In the sample journey" in reveal and "your ledger" not in reveal


def test_timeline_has_33_labs_with_words_for_each_state() -> None:
    html = journey.timeline_html(_journey())
    assert html.count('class="cl-lab ') == 33
    assert 'title="V1-05: a constraint was hit"' in html
    assert 'title="V1-08: completed, no constraint hit"' in html
    assert 'title="V2-17: not completed"' in html
    live = journey.timeline_html(_journey(), {"constraint_hit": False})
    assert 'title="V2-17: completed, no constraint hit"' in live


# --- instruments --------------------------------------------------------------------------


def _verdict_areas(html: str) -> dict[str, list[tuple[float, float, float, float]]]:
    """The heat map's tooltips, each with the rectangles (x, y, width, height) it covers."""
    areas: dict[str, list[tuple[float, float, float, float]]] = {}
    for d, tip in re.findall(r'<path fill="[^"]*" d="([^"]*)"><title>([^<]*)</title></path>', html):
        boxes = re.findall(r"M([\d.]+) ([\d.]+)h([\d.]+)v([\d.]+)h-[\d.]+z", d)
        assert len(boxes) == d.count("M"), d  # every piece of the path is a rectangle
        areas[tip] = [(float(a), float(b), float(c), float(e)) for a, b, c, e in boxes]
    return areas


def _tooltip_at(html: str, px: float, py: float) -> list[str]:
    """The tooltips a pointer at (px, py) on the map would show."""
    return [
        tip
        for tip, boxes in _verdict_areas(html).items()
        if any(x <= px <= x + w and y <= py <= y + h for x, y, w, h in boxes)
    ]


def test_heatmap_has_title_axes_units_legend_and_the_design_marked() -> None:
    from constraintlab.explore import feasibility_slice
    from constraintlab.views import instruments

    design = APPROVED
    cut = feasibility_slice(design, "model_size_b", "dp_epsilon")
    html = instruments.heatmap_html(cut, "model_size_b", "dp_epsilon", CONSTRAINT_LABELS)
    assert html.startswith('<svg id="heatmap"') and "viewBox" in html
    assert "Feasibility map" in html
    assert "Model size (billion parameters)" in html
    assert "Differential-privacy epsilon (lower is more private)" in html
    assert all(esc(name) in html for name in instruments.level_names())
    assert 'id="heat-current"' in html and "your design" in html
    # the pointer on the design's own cell says it is approved
    cx, cy = re.search(r'id="heat-current"[^>]*><circle cx="([\d.]+)" cy="([\d.]+)"', html).groups()
    assert "approved" in _tooltip_at(html, float(cx), float(cy))
    assert "failing: Accuracy" in html  # small models fail accuracy
    assert 'fill="url(#cl-hatch)"' in html
    # one mark per verdict, not per cell: the map stays small enough to redraw on every key
    assert html.count("<path") < 40 and html.count("<rect") < 40


def test_heatmap_runs_follow_the_slice() -> None:
    from constraintlab.views import chart_text, instruments

    @dataclass
    class Cut:
        x_values: list[float]
        y_values: list[float]
        n_met: list[list[int]]
        failing: list[list[list[str]]]
        approved: list[list[bool]]
        best_approved: list[list[bool]]
        current: tuple[float, float]

    cut = Cut(
        [7.0, 14.0, 21.0],
        [0.9, 1.0],
        [[3, 6, 6], [4, 6, 6]],
        [[["a"], [], ["gpu_budget"]], [["a"], [], []]],
        [[False, True, False], [False, True, True]],
        [[False, False, False], [False, False, False]],
        (14.0, 1.0),
    )
    html = instruments.heatmap_html(cut, "model_size_b", "dp_epsilon", {"a": "<A>"})
    areas = _verdict_areas(html)
    # one path per verdict; the approved one covers its three cells in two runs (one per row)
    assert sorted(areas) == sorted(
        [
            "3/6; failing: &lt;A&gt;",
            "4/6; failing: &lt;A&gt;",
            "6/6, over GPU budget; failing: gpu_budget",
            "approved",
        ]
    )
    assert [len(areas[tip]) for tip in sorted(areas)] == [1, 1, 1, 2]
    # the frame, 8 level swatches and the 2-rect hatch swatch; no rectangle per cell
    assert html.count("<rect") == 1 + 8 + 2
    # the rows are drawn bottom-up: y = 0.9 is the lower row, where 7 B fails <A> with 3/6
    (low,) = areas["3/6; failing: &lt;A&gt;"]
    (high,) = areas["4/6; failing: &lt;A&gt;"]
    assert low[1] > high[1] and low[0] == high[0]
    # the same verdicts as words, with how many cells and where
    rows = chart_text.verdict_rows(cut, "model_size_b", "dp_epsilon", {"a": "<A>"})
    assert rows[0] == ("approved", "3", "14 B to 21 B", "0.9 to 1.0")
    assert ("3/6; failing: <A>", "1", "7 B", "0.9") in rows
    figure = chart_text.heatmap_figure(html, cut, "model_size_b", "dp_epsilon", {"a": "<A>"})
    assert "<td>3/6; failing: &lt;A&gt;</td>" in figure and "<A>" not in figure
    assert "at 14 B and 1.0, meets 6 of 6 constraints. 3 of 6 cells" in figure
    assert "; 0 more could be" in figure


def test_tornado_and_nearest_name_controls_with_units() -> None:
    from constraintlab.explore import nearest_approved, sensitivity
    from constraintlab.views import instruments

    card = evaluate(Design())
    rows = sensitivity(Design())
    html = instruments.tornado_html(rows, card.n_met, CONSTRAINT_LABELS)
    assert "Sensitivity" in html and "Constraints met (of 6)" in html
    assert f"your design: {card.n_met}/6" in html
    # the chart, and per control its bar, its best-move line and its step line
    assert html.count("<title>") == 1 + 3 * len(CONTROLS_LIST)
    model = rows.row("model_size_b")
    way = "higher" if model.high_value > model.value else "lower"
    assert esc(f"best {model.n_met_high}/6 {way}") in html
    assert "% of target" in html

    found = nearest_approved(Design())
    assert found is not None
    html = instruments.nearest_html(found, asked=True)
    for change in found.changes:
        assert esc(prose.format_value(change.control, change.to_value)) in html
    assert "Not applied" in html
    assert "Press the button" in instruments.nearest_html(None, asked=False)
    assert "No approved design" in instruments.nearest_html(None, asked=True)
    assert "already approved" in instruments.nearest_html(nearest_approved(APPROVED), asked=True)


def test_every_pair_of_controls_draws_a_map() -> None:
    import itertools

    from constraintlab.explore import feasibility_slice
    from constraintlab.views import instruments

    for x, y in itertools.permutations(CONTROLS_LIST, 2):
        html = instruments.heatmap_html(feasibility_slice(Design(), x, y), x, y)
        assert 'id="heat-current"' in html, (x, y)
        assert esc(prose.control_label(x)) in html and esc(prose.control_label(y)) in html
        assert html.count("<rect") < 1500, (x, y)


def _verdicts_by_loop(result: object) -> tuple[tuple[tuple[int, tuple[str, ...]], ...], list]:
    """The definition: each cell's (level, *what fails), numbered as first seen, row by row."""
    kinds: dict[tuple[object, ...], int] = {}
    index = []
    for levels, failing_row, approved_row in zip(
        result.n_met,
        result.failing,
        result.approved,
        strict=True,  # type: ignore[attr-defined]
    ):
        index.append(
            [
                kinds.setdefault((level + approved, *failing), len(kinds))
                for level, failing, approved in zip(levels, failing_row, approved_row, strict=True)
            ]
        )
    return tuple((int(k[0]), tuple(k[1:])) for k in kinds), index


@pytest.mark.parametrize(
    ("x", "y", "design"),
    [
        ("model_size_b", "dp_epsilon", Design()),
        ("adv_weight", "checkpoint_interval_min", Design(model_size_b=60, parallelism="dp")),
        ("flexible_job_pct", "parallelism", Design(model_size_b=60, context="renewable")),
    ],
)
def test_verdicts_are_the_cells_verdicts_in_order_of_first_sight(
    x: str, y: str, design: Design
) -> None:
    import copy

    from constraintlab.explore import feasibility_slice
    from constraintlab.views.instruments import verdicts_of

    result = feasibility_slice(design, x, y)
    expected_kinds, expected_index = _verdicts_by_loop(result)
    assert len(expected_kinds) > 1
    # the slice shares one list per failure pattern; equal lists not shared are one verdict too
    for cut in (result, replace(result, failing=copy.deepcopy(result.failing))):
        found = verdicts_of(cut)
        assert found.kinds == expected_kinds
        assert found.index.tolist() == expected_index


# --- issue 25, finding 7: the page's words ---------------------------------------------


def test_the_act2_reveal_says_right_once_in_title_and_body() -> None:
    from constraintlab.explore import census

    card = evaluate(Design())
    for earned in (False, True):
        fb = questions.act2_reveal("B", card, census(), earned=earned)
        words = " ".join((fb.title, *fb.paragraphs))
        assert fb.title.startswith("Right") and words.count("Right") == 1, (earned, words)


def test_the_nearest_design_counts_its_changes_in_words() -> None:
    from types import SimpleNamespace

    change = SimpleNamespace(control="model_size_b", from_value=7, to_value=14)
    one = instruments.nearest_html(SimpleNamespace(changes=[change]), asked=True)
    two = instruments.nearest_html(SimpleNamespace(changes=[change, change]), asked=True)
    assert "changes 1 control:" in one and "changes 2 controls:" in two
    assert "(s)" not in one + two


def test_the_heatmap_summary_counts_cells_with_thousands_separators() -> None:
    from types import SimpleNamespace

    from constraintlab.views.chart_text import heatmap_summary

    xs, ys = list(range(70)), list(range(100))
    grid = SimpleNamespace(
        x_values=xs,
        y_values=ys,
        n_met=[[6] * 70 for _ in ys],
        approved=[[True] * 70 for _ in ys],
        best_approved=[[True] * 70 for _ in ys],
        current=(7, 50),
    )
    words = heatmap_summary(grid, "model_size_b", "flexible_job_pct")
    assert "7,000 of 7,000 cells" in words and "7000" not in words


def test_one_leading_domain_is_named_in_the_singular() -> None:
    one = questions.LedgerFacts(
        labs_done=3, top_hit_domains=[("Memory", 1.0)], most_hit=None, weakest=None
    )
    two = questions.LedgerFacts(
        labs_done=3,
        top_hit_domains=[("Memory", 1.0), ("Networking", 0.5)],
        most_hit=None,
        weakest=None,
    )
    said_one = " ".join(questions.act1_reveal("D", one).paragraphs)
    said_two = " ".join(questions.act1_reveal("D", two).paragraphs)
    assert "the domain with the highest hit rate is Memory (100%)" in said_one
    assert "the domains with the highest hit rates are Memory (100%), Networking" in said_two


def test_the_not_enough_data_line_states_the_rule_it_applies() -> None:
    facts = questions.LedgerFacts(
        labs_done=1, top_hit_domains=[], most_hit=None, weakest=None, domain_hits=[("Memory", 1, 1)]
    )
    said = " ".join(questions.act1_reveal("D", facts).paragraphs)
    assert "labs that recorded whether a constraint was hit" in said
    assert "recorded a hit" not in said


# --- issue 25, finding 5: the phone's layouts of the wide charts ----------------------------


def test_the_phone_heat_map_reuses_the_wide_maps_cells_at_its_own_width() -> None:
    from constraintlab.explore import feasibility_slice
    from constraintlab.views import narrow_charts

    cut = feasibility_slice(APPROVED, "model_size_b", "dp_epsilon")
    wide = instruments.heatmap_html(cut, "model_size_b", "dp_epsilon", CONSTRAINT_LABELS)
    narrow = narrow_charts.narrow_heatmap_html(cut, "model_size_b", "dp_epsilon")
    assert 'id="heat-cells"' in wide and '<use href="#heat-cells"' in narrow
    assert narrow.count("<path") < 5  # the cells are not drawn twice
    assert f'viewBox="0 0 {narrow_charts.WIDTH:.0f} ' in narrow
    assert 'id="heat-current-narrow"' in narrow and "your design" in narrow
    assert all(esc(name) in narrow for name in instruments.level_names())
    # the hatching is defined once, outside both charts (a hidden chart's pattern draws nothing)
    assert wide.count('id="cl-hatch"') == 1 and 'id="cl-hatch"' not in narrow
    assert 'class="cl-svg-defs"' in wide


def test_the_phone_tornado_has_every_control_and_lines_that_fit_its_width() -> None:
    from constraintlab.explore import sensitivity
    from constraintlab.views import narrow_charts

    rows = sensitivity(Design())
    drawn = narrow_charts.narrow_tornado_html(rows, evaluate(Design()).n_met, CONSTRAINT_LABELS)
    assert drawn.startswith('<svg id="tornado-narrow"')
    for row in rows:
        assert esc(CONTROLS[row.control].label) in drawn
    lines = re.findall(r"<text [^>]*>([^<]*)", drawn)
    per_line = narrow_charts.WIDTH / (narrow_charts.CHAR_PX * 11 / 12)  # the 11 px lines' room
    assert lines and max(len(line) for line in lines) <= per_line, max(lines, key=len)
