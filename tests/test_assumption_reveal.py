"""The lab's assumptions reveal (issue 26 item 3): for the design on screen, whether its verdict
holds across a constant's published range or where it flips, and which scorecard changes
there; asked for, never shown up front, and counted as a reveal in the record."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from constraintlab.app import wiring
from constraintlab.explore.assumptions import Flip, with_value
from constraintlab.explore.reveal import (
    BUDGET,
    REFUSED,
    AssumptionReveal,
    Change,
    ConstantVerdict,
    revealable_keys,
)
from constraintlab.model import scenario as sc
from constraintlab.model.engine import evaluate
from constraintlab.views.assumptions import assumption_reveal_html, flip_figure
from designs import RESTS_ON_MTBF
from test_app_headless import both_predictions, designed, run_lab, submitted

if TYPE_CHECKING:
    from conftest import LabEnv

MTBF = "reliability.gpu_mtbf_h"
HOSTILE = "<script>alert(1)</script>"


def _verdict(*flips: tuple[Flip, tuple[Change, ...]]) -> ConstantVerdict:
    return ConstantVerdict(MTBF, 2000.0, "h", 2000.0, 50000.0, flips)


def _shown(*verdicts: ConstantVerdict, approved: bool = True) -> str:
    return assumption_reveal_html(AssumptionReveal(RESTS_ON_MTBF, approved, verdicts), asked=True)


def test_before_the_student_asks_the_reveal_shows_no_figure() -> None:
    said = assumption_reveal_html(None, asked=False)
    assert "counts as a reveal" in said
    assert not re.search(r"\d", html.unescape(said))


def test_a_flip_names_the_constant_the_value_the_direction_and_the_mechanism() -> None:
    change = Change("carbon_reduction", True, f"a 40.00% reduction {HOSTILE}")
    said = _shown(_verdict((Flip(MTBF, True, 3101.7), (change,))))
    assert "Your verdict (approved) flips at reliability.gpu_mtbf_h = 3,102 h" in said
    assert "above the value in force (2,000 h)" in said
    assert "Carbon reduction fails there (a 40.00% reduction &lt;script&gt;" in said
    assert "<script>" not in said


def test_a_flip_below_the_value_by_the_budget_or_a_refused_scenario_says_so() -> None:
    budget = Change(BUDGET, False, "needs 9,000 of 10,000 GPUs")
    refused = Change(REFUSED, True, f"carbon.baseline: {HOSTILE}")
    said = _shown(
        _verdict((Flip(MTBF, False, 1500.0), (budget,)), (Flip(MTBF, False, 45000.0), (refused,))),
        approved=False,
    )
    assert "Your verdict (not approved) flips at reliability.gpu_mtbf_h = 1,500 h, below" in said
    assert "the GPU budget passes there (needs 9,000 of 10,000 GPUs)" in said
    assert "past it the scenario itself is refused (carbon.baseline: &lt;script&gt;" in said
    assert "differently.</span> <span>" in said  # two flips, two sentences
    assert "<script>" not in said


def test_a_verdict_that_holds_names_the_range_it_holds_across() -> None:
    said = _shown(_verdict(), approved=False)
    assert (
        "Your verdict (not approved) holds across the published range of"
        " reliability.gpu_mtbf_h (2,000 to 50,000 h)"
    ) in said
    assert "flips" not in said


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (3101.7, "3,102"),
        (0.18060000004, "0.1806"),
        (9738611432.0, "9,739,000,000"),
        (27.3346, "27.33"),
    ],
)
def test_a_flip_point_is_shown_to_four_significant_digits(value: float, shown: str) -> None:
    assert flip_figure(value) == shown


def test_the_dropdown_offers_each_numeric_ranged_constant_then_all_of_them() -> None:
    options = wiring.assumption_options()
    singles = list(options.values())[:-1]
    assert [keys[0] for keys in singles] == revealable_keys()
    assert list(options.values())[-1] == tuple(revealable_keys())
    assert MTBF in options and all(len(label) <= 45 for label in options)  # fits a phone
    assert all(not isinstance(sc.constant(k).value, str) for k in revealable_keys())
    assert len(revealable_keys()) < len([c for c in sc.CONSTANTS if c.range is not None])


def test_a_reveal_that_raises_is_a_sentence_not_a_traceback() -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError(HOSTILE)

    found, stopped = wiring.assumption_reveal(RESTS_ON_MTBF, (MTBF,), reveal=broken)
    assert found is None and stopped is not None and "press the button again" in stopped
    said = assumption_reveal_html(found, asked=True, stopped=stopped)
    assert "RuntimeError" in said and "<script>" not in said


def test_the_flip_the_reveal_names_is_where_the_engine_changes_its_verdict() -> None:
    steps: list[None] = []
    found, stopped = wiring.assumption_reveal(RESTS_ON_MTBF, (MTBF,), lambda: steps.append(None))
    assert stopped is None and found is not None and steps == [None]
    assert found.approved == evaluate(RESTS_ON_MTBF).approved is True
    (verdict,) = found.verdicts
    assert verdict.flips, f"{RESTS_ON_MTBF} no longer rests on {MTBF}: pick another design"
    for flip, changes in verdict.flips:
        with with_value(None, MTBF, flip.flips_at):
            there = evaluate(RESTS_ON_MTBF)
        assert there.approved is not flip.approved_now
        assert changes and all(there.constraints[c.name].met is not c.met_now for c in changes)
    assert sc.SCENARIO_PATH is None and sc.constant(MTBF).value == verdict.value  # restored


def test_the_lab_shows_the_reveal_only_when_asked_for_the_design_on_screen(
    lab_env: LabEnv,
) -> None:
    asked = SimpleNamespace(value=True)
    html, _ = run_lab(
        **both_predictions(),
        **designed(RESTS_ON_MTBF),
        assumption_button=asked,
        assumption_choice=SimpleNamespace(value=(MTBF,)),
    )
    found, _ = wiring.assumption_reveal(RESTS_ON_MTBF, (MTBF,))
    (flip, _changes), *_ = found.verdicts[0].flips
    assert f"flips at {MTBF} = {flip_figure(flip.flips_at)} h" in html
    assert "For the design: Model size: 22 B" in html
    quiet, _ = run_lab(**both_predictions(), **designed(RESTS_ON_MTBF))
    assert 'id="assumption-reveal"' not in quiet and "flips at" not in quiet
    assert "counts as a reveal" in quiet


def test_an_assumption_reveal_is_counted_in_the_record_and_earns_no_region(
    lab_env: LabEnv,
) -> None:
    """Two assumption answers and no "show me": the entry and the footer say 2 reveals, and
    the approved region's facts stay locked (only "show me" or an approval earns them)."""
    from constraintlab.ledger import open_ledger

    html, names = run_lab(
        **both_predictions(),
        submit_button=submitted(),
        get_assumption_reveals=lambda: 2,
        set_assumption_reveals=lambda _: None,
        get_reveals=lambda: 0,
        set_reveals=lambda _: None,
        get_submitted=lambda: None,
        set_submitted=lambda _: None,
    )
    assert open_ledger(lab_env.ledger).entries()["v2_17"]["reveals_used"] == 2
    assert "reveals used: 2" in html
    assert names["region_earned"] is False
    assert wiring.reveals_used(1, 2) == 3  # with "show me": both kinds add up
