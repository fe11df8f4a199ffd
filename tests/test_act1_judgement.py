"""Act I is judged by the student's own ledger: ledgers built so that each of A-D is right,
and ledgers that cannot grade (too few labs, a tie, no hit at all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from constraintlab.app import wiring
from constraintlab.ledger import open_ledger
from constraintlab.ledger.archaeology import DOMAIN_CHAPTERS
from constraintlab.views import journey, questions

LETTERS = ("A", "B", "C", "D")


def ledger_with_hits(path: Path, hit_domains: set[str]) -> questions.LedgerFacts:
    """Every earlier lab of every domain recorded; labs of ``hit_domains`` hit a constraint."""
    ledger = open_ledger(path)
    hit_labs = {lab for d in hit_domains for lab in DOMAIN_CHAPTERS[d]}
    for labs in DOMAIN_CHAPTERS.values():
        for lab in labs:
            ledger.save(lab, {"constraint_hit": lab in hit_labs, "act1_correct": True})
    ledger.close()
    access = wiring.open_ledger_safely(str(path))
    return journey.ledger_facts(wiring.read_journey(access))


@pytest.mark.parametrize(
    ("hit_domains", "right"),
    [
        ({"Memory"}, "A"),
        ({"Networking"}, "B"),
        ({"Economics"}, "C"),
        ({"Memory", "Networking", "Serving"}, "D"),
    ],
)
def test_the_answer_the_ledger_supports_is_right(
    tmp_path: Path, hit_domains: set[str], right: str
) -> None:
    facts = ledger_with_hits(tmp_path / "ledger.sqlite3", hit_domains)
    judged = questions.judge_act1(facts)
    assert judged.right == right
    for letter in LETTERS:
        fb = questions.act1_reveal(letter, facts)
        assert (fb.kind == "success") == (letter == right), letter
        assert fb.title.startswith("Right") == (letter == right), letter
        # the explanation quotes the student's own figures and the rule
        assert "100%" in fb.paragraphs[0] and "The rule" in fb.paragraphs[0]
        if letter != right:
            assert right in fb.title


def test_the_reported_memory_ledger_now_grades_memory_right(tmp_path: Path) -> None:
    facts = ledger_with_hits(tmp_path / "ledger.sqlite3", {"Memory"})
    fb = questions.act1_reveal("A", facts)
    assert fb.kind == "success" and "Memory dominates" in fb.paragraphs[0]
    assert "Not quite" not in fb.title


def test_two_domains_leading_together_is_a_tie_and_is_not_graded(tmp_path: Path) -> None:
    facts = ledger_with_hits(tmp_path / "ledger.sqlite3", {"Memory", "Networking"})
    judged = questions.judge_act1(facts)
    assert judged.kind == "tie" and not judged.graded
    for letter in LETTERS:
        fb = questions.act1_reveal(letter, facts)
        assert fb.kind == "info" and "cannot grade" in fb.title
        assert "Memory" in fb.paragraphs[0] and "Networking" in fb.paragraphs[0]


def test_a_dominant_domain_no_option_names_is_not_graded(tmp_path: Path) -> None:
    facts = ledger_with_hits(tmp_path / "ledger.sqlite3", {"Reliability", "Scale"})
    # Reliability has one lab only: it does not count; Scale leads alone
    judged = questions.judge_act1(facts)
    assert judged.kind == "unlisted" and judged.leaders[0][0] == "Scale"
    assert not judged.graded


def test_an_empty_or_thin_ledger_is_not_graded(tmp_path: Path) -> None:
    empty = journey.ledger_facts(journey.empty_journey())
    assert questions.judge_act1(empty).kind == "no_data"
    assert "no domain has 2 or more labs" in questions.act1_reveal("A", empty).paragraphs[0]
    ledger = open_ledger(tmp_path / "thin.sqlite3")
    ledger.save("5", {"constraint_hit": True})
    ledger.save("8", {"constraint_hit": True})  # one domain with two labs: nothing to compare
    ledger.close()
    facts = journey.ledger_facts(
        wiring.read_journey(wiring.open_ledger_safely(str(tmp_path / "thin.sqlite3")))
    )
    judged = questions.judge_act1(facts)
    assert judged.kind == "no_data"
    said = questions.act1_reveal("A", facts).paragraphs[0]
    assert "not enough" in said and "only one domain has 2 or more labs" in said
    assert "(s)" not in said


def test_a_ledger_with_no_hit_at_all_is_not_graded(tmp_path: Path) -> None:
    facts = ledger_with_hits(tmp_path / "ledger.sqlite3", set())
    assert questions.judge_act1(facts).kind == "no_hits"
    assert questions.act1_reveal("D", facts).kind == "info"
