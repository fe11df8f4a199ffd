"""Issue 25, finding 3: the sample path tells the truth.

``ledger sample`` offers two journeys chosen for what Act I can show (one graded, one that
cannot be graded); a capstone submitted in a sample store says it went there; and the saved
``curriculum_complete`` is true only for a student's own ledger holding the curriculum.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_runner import run_cli
from conftest import LabEnv
from constraintlab import Design, evaluate
from constraintlab.app import wiring
from constraintlab.ledger import Ledger, audit, open_ledger
from constraintlab.ledger.keys import EARLIER_LAB_KEYS
from constraintlab.ledger.sample import CANNOT_GRADE, GRADED, sample_entries, write_sample
from constraintlab.views import journey as journey_views
from constraintlab.views.questions import LEAD_MARGIN, judge_act1


def _judgement(journey_name: str) -> tuple[object, list[float]]:
    """Act I's judgement of a sample journey, and every counted domain's hit rate (highest
    first), by the rule the lab states."""
    journey = journey_views.Journey(audit(sample_entries(journey_name)), is_sample=True)
    facts = journey_views.ledger_facts(journey)
    rates = sorted(
        (hits / recorded for _, recorded, hits in facts.domain_hits if recorded >= 2),
        reverse=True,
    )
    return judge_act1(facts), rates


def test_the_default_sample_lets_act_one_grade_by_more_than_the_margin() -> None:
    judged, rates = _judgement(GRADED)
    assert judged.graded and judged.kind == "dominant"  # type: ignore[attr-defined]
    assert rates[0] - rates[1] > LEAD_MARGIN + 0.05  # not on the edge of the rule
    assert sample_entries() == sample_entries(GRADED)


def test_the_cannot_grade_sample_is_a_clear_tie_chosen_on_purpose() -> None:
    judged, rates = _judgement(CANNOT_GRADE)
    assert judged.kind == "tie" and not judged.graded  # type: ignore[attr-defined]
    assert rates[0] == rates[1] and rates[1] - rates[2] > LEAD_MARGIN + 0.05


def test_ledger_sample_writes_the_journey_asked_for_and_refuses_another(
    capsys: pytest.CaptureFixture[str], lab_env: LabEnv, tmp_path: Path
) -> None:
    store = tmp_path / "tie.sqlite3"
    code, out, _ = run_cli(
        capsys, "ledger", "sample", "--journey", CANNOT_GRADE, "--ledger", str(store)
    )
    assert code == 0 and "saved into the sample store, not into a ledger of your own" in out
    with Ledger.open(store) as ledger:
        assert ledger.entries() == sample_entries(CANNOT_GRADE)
    code, out, err = run_cli(
        capsys, "ledger", "sample", "--journey", "tied", "--ledger", str(store)
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--journey" in err and "'tied'" in err and "graded or cannot-grade" in err


def test_submit_in_a_sample_store_says_where_it_went(lab_env: LabEnv, tmp_path: Path) -> None:
    store = write_sample(tmp_path / "sample.sqlite3")
    access = wiring.open_ledger_safely(str(store))
    banner = journey_views.ledger_notes_html(wiring.read_journey(access))
    assert "still saved to your own ledger" not in banner and str(store) in banner
    entry = wiring.capstone_entry(evaluate(Design()), "D", True, "B")
    note = wiring.EntrySaver(access).submit(entry)
    assert f"Saved to the SAMPLE store {store} as v2_17, not to a ledger of your own." in note
    assert not lab_env.ledger.exists()  # no own ledger was made
    assert entry["curriculum_complete"] is False  # sample labs are not the student's
    with Ledger.open(store) as ledger:
        assert ledger.entries()["v2_17"]["curriculum_complete"] is False


def test_curriculum_complete_only_with_the_curriculum(lab_env: LabEnv) -> None:
    saver = wiring.EntrySaver(wiring.open_ledger_safely())
    entry = wiring.capstone_entry(evaluate(Design()), "D", True, "B")
    saver.submit(entry)
    assert open_ledger().entries()["v2_17"]["curriculum_complete"] is False  # 0 earlier labs
    with open_ledger() as ledger:
        for key in EARLIER_LAB_KEYS:
            ledger.save(key, {"constraint_hit": False})
    entry = wiring.capstone_entry(evaluate(Design(model_size_b=14)), "D", True, "B")
    saver.submit(entry)
    assert open_ledger().entries()["v2_17"]["curriculum_complete"] is True


def test_a_sample_shown_beside_the_own_ledger_still_says_it_saves_there(lab_env: LabEnv) -> None:
    access = wiring.open_ledger_safely()
    banner = journey_views.ledger_notes_html(wiring.read_journey(access, load_sample=True))
    assert "Your capstone is still saved to your own ledger." in banner
