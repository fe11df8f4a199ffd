"""What the lab says before and after the student earns it, and what a submission records.

The approved region's facts (the census's count, size window, epsilon band) appear only once
earned; banners give directions and magnitudes only through hints; the timeline's capstone
follows the submitted entry and counts the same earlier labs as Act I's cards.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from constraintlab.app import wiring
from constraintlab.explore import census
from constraintlab.explore.advice import advise
from constraintlab.ledger import open_ledger
from constraintlab.model.design import CONTROLS, Design
from constraintlab.model.engine import CONSTRAINT_LABELS, evaluate
from constraintlab.views import coach, journey, prose, questions
from constraintlab.views.prose import format_value


def region_facts() -> list[str]:
    c = census()
    facts = [f"{c.approved:,} of the {c.grid_size:,} designs"]
    assert c.min_model_size_b is not None and c.max_model_size_b is not None
    facts.append(f"models from {c.min_model_size_b:g} to {c.max_model_size_b:g} B")
    assert c.epsilon_band is not None
    facts.append(f"ε from {c.epsilon_band[0]:g} to {c.epsilon_band[1]:g}")
    return facts


def all_text(feedback: questions.Feedback) -> str:
    return " ".join(feedback.paragraphs)


@pytest.mark.parametrize("letter", ["A", "B", "C", "D"])
def test_the_act2_reveal_keeps_the_region_until_it_is_earned(letter: str) -> None:
    card, c = evaluate(Design()), census()
    hidden = all_text(questions.act2_reveal(letter, card, c, earned=False))
    for fact in region_facts():
        assert fact not in hidden
    assert questions.REGION_LOCKED in hidden
    if letter == "B":
        shown = all_text(questions.act2_reveal(letter, card, c, earned=True))
        assert all(fact in shown for fact in region_facts())


@pytest.mark.parametrize("letter", ["A", "B", "C", "D"])
def test_the_reflection_and_the_math_peek_keep_the_region_until_earned(letter: str) -> None:
    card, c = evaluate(Design()), census()
    text = all_text(questions.act2_reflection_feedback(letter, card, c, earned=False))
    text += prose.dp_vs_adversarial_md(c, earned=False)
    for fact in region_facts():
        assert fact not in text
    assert region_facts()[0] in prose.dp_vs_adversarial_md(c, earned=True)


def test_the_region_is_earned_by_an_approved_submission_or_a_reveal() -> None:
    assert not wiring.region_earned(None, 0)
    assert not wiring.region_earned({"act2_result": "infeasible"}, 0)
    assert wiring.region_earned({"act2_result": "approved"}, 0)
    assert wiring.region_earned(None, 1)


def test_banners_give_no_magnitude_until_the_third_hint() -> None:
    card = evaluate(Design())
    advice = advise(card)
    for target in advice.failing:
        magnitudes = [
            format_value(m.control, m.to_value)
            for m in advice.targets[target].moves
            if m.control != "context"
        ]
        for level in (0, 1, 2):
            html = coach.banner_html(card, advice, target, level, CONSTRAINT_LABELS)
            assert "How far" not in html
            hints = re.findall(r"<li>(.*?)</li>", html)
            assert len(hints) == level
            for value in magnitudes:
                assert f"to {value}" not in html, (target, level, value)
        html = coach.banner_html(card, advice, target, 3, CONSTRAINT_LABELS)
        for value in magnitudes:
            assert f"to {value}" in html


def test_hint_levels_stop_at_the_last_step() -> None:
    assert wiring.hint_levels({"accuracy": 7, "dp_privacy": 1}) == {
        "accuracy": coach.HINT_STEPS,
        "dp_privacy": 1,
    }


def test_a_submission_writes_v2_17_and_the_attempt_with_the_help_used(tmp_path: Path) -> None:
    access = wiring.open_ledger_safely(str(tmp_path / "ledger.sqlite3"))
    saver = wiring.EntrySaver(access)
    card = evaluate(Design())
    entry = wiring.capstone_entry(card, "D", False, "B", hints_used=4, reveals_used=1)
    note = saver.submit(entry)
    assert note.startswith("Attempt 1 of this session recorded (not approved)")
    ledger = open_ledger(tmp_path / "ledger.sqlite3")
    saved = ledger.entries()["v2_17"]
    assert saved["hints_used"] == 4 and saved["reveals_used"] == 1
    assert saved["act2_result"] == ("approved" if card.approved else "infeasible")
    assert [a.design for a in ledger.attempts()] == [saved]


def test_the_timeline_counts_the_same_earlier_labs_as_the_cards(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.sqlite3")
    ledger.save("5", {"constraint_hit": True})
    ledger.save("v2_02", {"constraint_hit": False})
    ledger.close()
    lab = wiring.read_journey(wiring.open_ledger_safely(str(tmp_path / "ledger.sqlite3")))
    totals = lab.audit.totals
    unsubmitted = journey.timeline_html(lab, None)
    assert f"Earlier labs completed: {totals.labs_done}/{totals.labs_total}" in unsubmitted
    assert f"constraints hit in them: {totals.constraint_hits}" in unsubmitted
    assert "capstone: not submitted" in unsubmitted
    failed = wiring.capstone_entry(evaluate(Design()), "D", False, "B")
    html = journey.timeline_html(lab, failed)
    assert f"constraints hit in them: {totals.constraint_hits}" in html  # unchanged by v2_17
    assert "capstone: submitted, not approved" in html


def test_no_banner_names_a_move_outside_the_range_or_a_no_op_at_the_reported_designs() -> None:
    """The issue's designs: epsilon 1.0 (no "raise toward 1.0") and epsilon 2 (conflict)."""
    for design in (Design(), Design(dp_epsilon=2.0), Design(dp_epsilon=2.0, adv_weight=0.8)):
        card = evaluate(design)
        advice = advise(card)
        for target in advice.failing:
            for move in advice.targets[target].moves:
                assert move.to_value != getattr(design, move.control)
                control = CONTROLS[move.control]
                assert move.to_value in control.grid()


def test_an_earlier_sessions_submission_is_on_record_for_the_hud_and_the_lock(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite3"
    fresh = wiring.read_journey(wiring.open_ledger_safely(str(path)))
    assert wiring.capstone_on_record(None, fresh) is None
    approved = wiring.capstone_entry(evaluate(census().examples[0]), "D", False, "B")
    assert approved["act2_result"] == "approved"
    wiring.EntrySaver(wiring.open_ledger_safely(str(path))).submit(approved)
    later = wiring.read_journey(wiring.open_ledger_safely(str(path)))
    record = wiring.capstone_on_record(None, later)
    assert record is not None and record["act2_result"] == "approved"
    assert wiring.region_earned(record, 0)
    assert "capstone: submitted, approved" in journey.timeline_html(later, None)
    # this session's submission wins over what the ledger held
    failed = wiring.capstone_entry(evaluate(Design()), "D", False, "B")
    assert wiring.capstone_on_record(failed, later) == failed


def test_tornado_percentages_are_capped_with_the_raw_value_on_hover() -> None:
    from constraintlab.explore import sensitivity
    from constraintlab.views import instruments

    assert instruments.capped_percent(28.099) == "up by more than 100%"
    assert instruments.capped_percent(-3.0) == "down by more than 100%"
    assert instruments.capped_percent(0.056) == "+5.6%"
    design = Design()
    rows = sensitivity(design)
    html = instruments.tornado_html(rows, evaluate(design).n_met, CONSTRAINT_LABELS)
    raw = [instruments.step_effect_raw(row, CONSTRAINT_LABELS) for row in rows]
    for text in raw:
        assert esc_text(text) in html  # every raw figure is in a tooltip
    for match in re.findall(r"margin ([+-][0-9.]+)% of target</text>", html):
        assert abs(float(match)) <= 100


def esc_text(text: str) -> str:
    from constraintlab.views.html import esc

    return esc(text)


def test_a_rebuilt_reflection_keeps_the_answer_already_given() -> None:
    """Issue 25, finding 6: changing the Act I prediction rebuilt the reflection empty. The
    radio's on_change keeps the letter; the rebuilt radio starts from its label."""
    import marimo as mo

    memory: dict[str, str] = {}
    question = questions.ACT1_REFLECTION
    assert wiring.remembered(memory, question) is None
    wiring.remember(memory, question)("B")
    label = wiring.remembered(memory, question)
    assert label == question.label_for("B")
    rebuilt = mo.ui.radio(options=question.labels(), value=label)
    assert rebuilt.value == "B"
    wiring.remember(memory, question)(None)
    assert wiring.remembered(memory, question) is None
    assert wiring.remembered(memory, questions.ACT2_REFLECTION) is None  # one key per question


def test_the_show_me_button_answers_or_says_what_stopped_it() -> None:
    """Issue 25, finding 2: every button shows its result or one sentence why it cannot."""
    from constraintlab.explore import nearest_approved

    found, stopped = wiring.nearest_answer(Design())
    assert stopped is None and found == nearest_approved(Design())

    def broken(design: Design) -> object:
        raise MemoryError("no room for the grid's tables")

    found, stopped = wiring.nearest_answer(Design(), broken)
    assert found is None and stopped is not None
    assert "MemoryError: no room for the grid's tables" in stopped
