"""A lab author adds a seventh constraint in one place, and everything carries it.

Issue 27 item 4 (docs/adding-a-constraint.md): the toy operating-cost constraint of
tests/toy_cost.py is registered by a fixture (its two scenario constants set as a scenario file
would set them), and `evaluate`, `evaluate_many`, the census, slices, the lab's scorecards, the
banners, the ledger entry and the class report all carry it, while the shipped six keep every
figure (137,056 approved). With a target that binds, the census and the "best over the other
controls" maps still equal brute force: two job-GPU thresholds at once (carbon and cost). The
fixture removes it again, so no other test sees it. On the code before the registry, adding it
took 15 edited files and was still not finished (slices and the class report could not follow).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import toy_cost
from constraintlab.classreport.analytics import ClassDatabase
from constraintlab.classreport.model import StudentLedger
from constraintlab.classreport.testdata import COURSE_DOMAINS, VOLUME1, VOLUME2
from constraintlab.explore import census, feasibility_slice
from constraintlab.explore.advice import advise
from constraintlab.explore.census import Census
from constraintlab.explore.tables import NEVER, tables
from constraintlab.model import registry
from constraintlab.model import scenario as sc
from constraintlab.model.design import Design
from constraintlab.model.engine import CONSTRAINT_LABELS, CONSTRAINT_NAMES, Scorecard, evaluate
from constraintlab.model.explain import derivation_line
from constraintlab.model.vectorized import evaluate_many
from test_explore_census import _assert_census_equals_brute_force
from test_explore_grid import SMALL_GRID, every_design
from test_explore_slices import (
    test_best_over_the_other_controls_equals_brute_force_for_every_pair as best_is_brute_force,
)
from test_explore_slices import test_every_cell_of_a_slice_agrees_with_scalar_evaluate

KEY = toy_cost.COST.key
NEVER_BINDS = 1e15  # $/day: no fleet on the grid costs this much
BINDS = 120_000.0  # $/day: 2,000 GPUs at $2.50 an hour, about half the approved designs
PRICE_USD = 2.5
DESIGNS = (
    Design(),
    Design(model_size_b=14, adv_weight=0.8, context="renewable"),
    Design(model_size_b=70, dp_epsilon=0.1, adv_weight=1.0, checkpoint_interval_min=5),
)


@pytest.fixture(scope="module")
def shipped() -> tuple[Census, dict[Design, Scorecard]]:
    """The census and some cards before the toy is registered (the module's own fixture)."""
    assert KEY not in CONSTRAINT_NAMES
    return census(), {d: evaluate(d) for d in DESIGNS}


def _register(monkeypatch: pytest.MonkeyPatch, target: float) -> Iterator[None]:
    monkeypatch.setattr(sc, "OPERATING_COST_USD_PER_DAY", target, raising=False)
    monkeypatch.setattr(sc, "GPU_HOUR_PRICE_USD", PRICE_USD, raising=False)
    every_design.cache_clear()  # the brute force's own cache of verdicts
    registry.register(toy_cost.COST)
    try:
        yield
    finally:
        registry.unregister(KEY)
        every_design.cache_clear()
    assert KEY not in CONSTRAINT_NAMES


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The toy constraint with a target that never binds."""
    yield from _register(monkeypatch, NEVER_BINDS)


@pytest.fixture
def binding_toy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The toy constraint with a target that some grid designs miss."""
    yield from _register(monkeypatch, BINDS)


def test_evaluate_and_evaluate_many_carry_it_and_keep_the_six(
    shipped: tuple[Census, dict[Design, Scorecard]], toy: None
) -> None:
    _, before = shipped
    assert tuple(CONSTRAINT_NAMES)[-1] == KEY and registry.count() == 7
    for design, old in before.items():
        card = evaluate(design)
        cost = card[KEY]
        assert list(card.constraints) == [*old.constraints, KEY]
        assert {k: card[k].to_dict() for k in old.constraints} == {
            k: r.to_dict() for k, r in old.constraints.items()
        }
        assert card.budget == old.budget
        if old.budget.training_keeps_up:
            assert cost.met and cost.value == round(old.budget.gpus_needed * 24 * PRICE_USD)
            assert "per GPU-hour" in derivation_line(cost, card)
        assert card.n_met == old.n_met + cost.met
        assert card.approved == old.approved
        assert card.to_dict()["constraints"][KEY]["unit"] == "$/day"
    columns = {n: np.array([d.to_dict()[n] for d in DESIGNS]) for n in Design().to_dict()}
    many = evaluate_many(**columns)
    for i, design in enumerate(DESIGNS):
        card = evaluate(design)
        assert many.met[KEY][i] == card[KEY].met
        assert many.n_met[i] == card.n_met and many.approved[i] == card.approved
        if card[KEY].met:
            assert many.values[KEY][i] == card[KEY].value


def test_the_census_carries_it_and_the_shipped_figures_stand(
    shipped: tuple[Census, dict[Design, Scorecard]], toy: None
) -> None:
    before, _ = shipped
    after = census()
    assert after.approved == before.approved == 137_056
    t = tables()
    n_s, n_f, n_c = t.grid.shape()[3], *t.grid.shape()[5:]
    sized = int((t.train_gpus < NEVER).sum()) * n_s * n_f * n_c
    assert after.passing == {**before.passing, KEY: sized}  # every design whose job has a size
    old, new = before.to_dict(), after.to_dict()
    for document in (old, new):
        document.pop("seconds")
        document.pop("passing")
    assert new == old


def test_slices_carry_it(toy: None) -> None:
    result = feasibility_slice(Design(), "checkpoint_interval_min", "model_size_b")
    assert max(map(max, result.best_n_met)) == 7
    test_every_cell_of_a_slice_agrees_with_scalar_evaluate(Design())


def test_a_slice_names_it_where_it_fails(binding_toy: None) -> None:
    result = feasibility_slice(Design(), "checkpoint_interval_min", "model_size_b")
    assert any(KEY in cell for row in result.failing for cell in row)
    test_every_cell_of_a_slice_agrees_with_scalar_evaluate(Design())


def test_census_and_best_maps_equal_brute_force_when_it_binds(binding_toy: None) -> None:
    _, many = every_design(SMALL_GRID)
    assert 0 < many.met[KEY].sum() < many.met[KEY].size  # the target binds on this grid
    _assert_census_equals_brute_force(SMALL_GRID)
    best_is_brute_force()


def test_scorecards_banners_and_the_ledger_entry_carry_it(binding_toy: None) -> None:
    from constraintlab.app.wiring import capstone_entry
    from constraintlab.views import coach, scorecards

    card = evaluate(Design(model_size_b=24, adv_weight=0.8, dp_epsilon=0.9))
    assert not card[KEY].met and card.n_met == 6  # 2,056 GPUs: over $120,000 a day
    lines = {name: derivation_line(r, card) for name, r in card.constraints.items()}
    page = scorecards.scorecards_html(card, lines)
    assert "Operating cost" in page and "per GPU-hour" in page
    assert f"{card.n_met}/7 constraints met" in scorecards.status_text(card)
    assert "Operating cost" in scorecards.status_text(card)
    banner = coach.banner_html(card, advise(card), KEY, 1, CONSTRAINT_LABELS)
    assert "paid for by the hour" in banner
    entry = capstone_entry(card, None, False, None)
    assert entry["operating_cost_met"] is False and entry["constraints_all_met"] is False


def test_the_class_report_carries_it(toy: None) -> None:
    flags = {c.ledger_field: True for c in registry.constraints()}
    saved = {"constraints_all_met": False, **flags, "operating_cost_met": False}
    ann = StudentLedger("ann", "ann.json", "A", "file name", {"v2_17": saved})
    db = ClassDatabase.build([ann], COURSE_DOMAINS, VOLUME1 + VOLUME2)
    failing = {f.flag: (f.label, f.failing) for f in db.failing_constraints()}
    assert failing["operating_cost_met"] == ("Operating cost", 1)
    assert sum(count for _, count in failing.values()) == 1
    assert len(failing) == 7
