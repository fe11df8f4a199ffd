"""Advice that is true together, checked on a walk over the explorer's grid.

The walk is a reduced grid (:meth:`Grid.subset`: a spread of slider positions on every control,
every strategy and context) evaluated with the explorer's ``evaluate_many``; every design on it
that is not approved gets its advice, and every suggested move is checked with the engine:
inside the control's range, not a no-op, and fixing the constraint it names. The banners and the
tornado are then compared on designs one step from the census's approved examples.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from constraintlab.explore import census, sensitivity
from constraintlab.explore.advice import BUDGET, DOWN, UP, advise, smallest_fix, sweeps
from constraintlab.explore.grid import CONTROL_NAMES, Grid, full_grid, neighbours
from constraintlab.model.design import CONTROLS, Design, NumericControl
from constraintlab.model.engine import CONSTRAINT_LABELS, CONSTRAINT_NAMES, Scorecard, evaluate
from constraintlab.model.vectorized import evaluate_many
from constraintlab.views import coach

WALK_INDICES = {
    "model_size_b": [0, 6, 10, 13, 20, 40, 69],
    "dp_epsilon": [0, 5, 8, 9, 10, 19, 99],
    "adv_weight": [0, 4, 10, 15, 20],
    "checkpoint_interval_min": [0, 5, 23],
    "flexible_job_pct": [0, 10],
}


GRIDS = {name: frozenset(control.grid()) for name, control in CONTROLS.items()}


def walk_grid() -> Grid:
    return full_grid().subset(**WALK_INDICES)


def walk_designs(grid: Grid) -> list[Design]:
    """Every design of the reduced grid that is not approved, found through the explorer."""
    designs = [
        dict(zip(CONTROL_NAMES, values, strict=True)) for values in itertools.product(*grid.axes)
    ]
    columns = {name: np.array([d[name] for d in designs]) for name in CONTROL_NAMES}
    many = evaluate_many(**columns)
    return [Design(**d) for d, ok in zip(designs, many.approved.tolist(), strict=True) if not ok]


def passes(card: Scorecard, target: str) -> bool:
    return card.budget.within_budget if target == BUDGET else card[target].met


def test_every_suggested_move_is_in_range_not_a_no_op_and_fixes_what_it_names() -> None:
    grid = walk_grid()
    start = time.perf_counter()
    designs = walk_designs(grid)
    assert len(designs) > 1000
    before: list[Design] = []
    after: list[dict[str, object]] = []
    moves = []
    conflicts = 0
    for design in designs:
        card = evaluate(design)
        advice = advise(card)
        assert set(advice.failing) == set(card.failing) | (
            set() if card.budget.within_budget else {BUDGET}
        )
        for target, mine in advice.targets.items():
            for move in mine.moves:
                control = CONTROLS[move.control]
                assert move.to_value != getattr(design, move.control)  # not a no-op
                assert move.to_value in GRIDS[move.control]  # a slider position: inside the range
                if isinstance(control, NumericControl):
                    assert control.low <= float(move.to_value) <= control.high
                    went_up = float(move.to_value) > float(getattr(design, move.control))
                    assert move.direction == (UP if went_up else DOWN)
                before.append(design)
                after.append({**design.to_dict(), move.control: move.to_value})
                moves.append((target, move))
        for conflict in advice.conflicts:
            conflicts += 1
            assert {conflict.first_direction, conflict.second_direction} == {UP, DOWN}
            for target in (conflict.first, conflict.second):
                html = coach.banner_html(card, advice, target, 0, CONSTRAINT_LABELS)
                assert "Conflict" in html and CONTROLS[conflict.control].label.lower() in html
    # every moved design, scored by the explorer in one call: the move fixes what it names,
    # and breaks exactly what it says
    was = verdicts([d.to_dict() for d in before])
    now = verdicts(after)
    for k, (target, move) in enumerate(moves):
        assert now[target][k], (before[k], move)
        broken = {t for t in now if was[t][k] and not now[t][k]}
        assert set(move.breaks) == broken, (before[k], move)
    assert len(moves) > 1000 and conflicts > 0
    took = time.perf_counter() - start
    print(f"\n{len(designs)} designs, {len(moves)} moves checked in {took:.1f} s")


def verdicts(designs: list[dict[str, object]]) -> dict[str, np.ndarray]:
    """Pass flags of many designs (the six constraints and the budget) through the explorer."""
    columns = {name: np.array([d[name] for d in designs]) for name in CONTROL_NAMES}
    many = evaluate_many(**columns)
    return {**many.met, BUDGET: many.within_budget}


def test_a_move_is_the_smallest_change_of_its_control_that_fixes_the_constraint() -> None:
    """Independently of the sweep: no grid value of that control strictly closer fixes it."""
    rng = np.random.default_rng(17)
    designs = walk_designs(walk_grid())
    for k in rng.choice(len(designs), size=60, replace=False).tolist():
        design = designs[k]
        advice = advise(evaluate(design))
        for target, mine in advice.targets.items():
            for move in mine.moves:
                control = CONTROLS[move.control]
                if not isinstance(control, NumericControl):
                    continue
                here = float(getattr(design, move.control))
                gap = abs(float(move.to_value) - here)
                closer = [v for v in control.grid() if 0 < abs(v - here) < gap - 1e-9]
                for value in closer:
                    card = evaluate(design.replace(**{move.control: value}))
                    assert not passes(card, target), (design, move, value)


def test_no_advice_for_a_constraint_no_single_control_can_fix() -> None:
    # at the published default some targets may have no single fixing move: then the banner
    # says so instead of naming a move
    card = evaluate(Design())
    advice = advise(card)
    found = sweeps(Design())
    for target, mine in advice.targets.items():
        for name, sweep in found.items():
            here = sweep.values.index(getattr(Design(), name))
            now = {t: passes(card, t) for t in (*CONSTRAINT_NAMES, BUDGET)}
            move = smallest_fix(sweep, here, target, now)
            assert (move is None) == (mine.move_for(name) is None)
        html = coach.banner_html(card, advice, target, 0, CONSTRAINT_LABELS)
        if not mine.moves:
            assert "No single control fixes it" in html


def near_region() -> list[Design]:
    """Designs one grid step from the census's approved examples that are not approved."""
    grid = full_grid()
    found = []
    for example in census().examples:
        for name in CONTROL_NAMES:
            for value in neighbours(grid, name, getattr(example, name)):
                if value is not None:
                    design = example.replace(**{name: value})
                    if not evaluate(design).approved:
                        found.append(design)
    return found


def test_the_tornado_never_contradicts_the_banners_near_the_region() -> None:
    designs = near_region()
    assert len(designs) >= 5
    for design in designs:
        card = evaluate(design)
        advice = advise(card)
        rows = sensitivity(design)
        for row in rows:
            # what the tornado says its best value fixes and breaks is what the engine says
            there = evaluate(design.replace(**{row.control: row.high_value}))
            assert there.n_met == row.n_met_high
            assert set(row.high_fixes) == {
                c for c in CONSTRAINT_NAMES if there[c].met and not card[c].met
            }
            assert set(row.high_breaks) == {
                c for c in CONSTRAINT_NAMES if card[c].met and not there[c].met
            }
        for mine in advice.targets.values():
            for move in mine.moves:
                row = rows.row(move.control)
                # a banner's move never reaches more constraints than the tornado says it can
                assert move.n_met_after <= row.n_met_high, (design, move)
                if not move.breaks:
                    assert row.n_met_high > card.n_met or mine.target == BUDGET


@pytest.mark.parametrize("payload", ["<b>x</b>"])
def test_banner_text_is_escaped(payload: str) -> None:
    card = evaluate(Design())
    advice = advise(card)
    target = advice.failing[0]
    html = coach.banner_html(card, advice, target, 3, {target: payload})
    assert payload not in html
