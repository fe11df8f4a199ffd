"""The census: its tables agree with scalar evaluate, its counts with brute force on reduced
grids and with the contract tests' own enumeration of the full grid."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constraintlab import CONSTRAINT_NAMES, Design, evaluate
from constraintlab.explore import Census, census
from constraintlab.explore.census import compute_census, with_examples
from constraintlab.explore.grid import CONTROL_NAMES, Grid, full_grid
from constraintlab.explore.tables import tables
from test_explore_grid import SMALL_GRID, every_design

SAMPLE = 10_000


def _scalar_verdicts(grid: Grid, index: np.ndarray) -> dict[str, list[bool]]:
    verdicts: dict[str, list[bool]] = {k: [] for k in (*CONSTRAINT_NAMES, "within", "approved")}
    for row in index:
        card = evaluate(grid.design(row))
        for name in CONSTRAINT_NAMES:
            verdicts[name].append(card[name].met)
        verdicts["within"].append(card.budget.within_budget)
        verdicts["approved"].append(card.approved)
    return verdicts


def test_census_tables_agree_with_scalar_evaluate_on_10000_random_grid_designs() -> None:
    grid, t = full_grid(), tables()
    rng = np.random.default_rng(20240611)
    sample = np.stack([rng.integers(0, n, SAMPLE) for n in grid.shape()], axis=1)
    # plus approved designs and designs one carbon verdict away, which random draws rarely hit
    approved = t.approved_index[rng.choice(len(t.approved_index), 300, replace=False)]
    fleet = approved.copy()
    fleet[:, CONTROL_NAMES.index("context")] = 0
    index = np.concatenate([sample, approved, fleet])
    looked_up = t.verdicts(index)
    scalar = _scalar_verdicts(grid, index)
    for name in CONSTRAINT_NAMES:
        assert looked_up[name].tolist() == scalar[name], name
    assert looked_up["within_budget"].tolist() == scalar["within"]
    assert looked_up["approved"].tolist() == scalar["approved"]
    assert sum(scalar["approved"]) >= 300  # the sample exercised both verdicts
    for name in CONSTRAINT_NAMES:
        assert 0 < sum(scalar[name]) < len(index)


def _brute_census(grid: Grid) -> dict[str, object]:
    index, result = every_design(grid)
    ok = result.approved
    ranges: dict[str, list[object]] = {}
    for i, name in enumerate(CONTROL_NAMES):
        present = [grid.axis(name)[k] for k in np.unique(index[ok, i]).tolist()]
        numeric = not isinstance(grid.axis(name)[0], str)
        ranges[name] = [present[0], present[-1]] if numeric and present else present
    six = np.logical_and.reduce([result.met[n] for n in CONSTRAINT_NAMES])
    others = np.logical_and.reduce(
        [result.met[n] for n in CONSTRAINT_NAMES if n != "carbon_reduction"]
    )
    strategies = index[ok, CONTROL_NAMES.index("parallelism")]
    contexts = index[:, CONTROL_NAMES.index("context")]
    cube = ok.reshape(grid.shape())  # every_design enumerates in grid order
    flips = {
        name: int(cube.sum() - (cube & cube.all(axis=k, keepdims=True)).sum())
        for k, name in enumerate(CONTROL_NAMES)
    }
    green = [c == "renewable" for c in grid.axis("context")]
    renewable = np.array(green)[contexts]
    return {
        "approved": int(ok.sum()),
        "passing": {n: int(result.met[n].sum()) for n in CONSTRAINT_NAMES},
        "within_budget": int(result.within_budget.sum()),
        "approved_ranges": ranges,
        "by_strategy": {
            s: int((strategies == i).sum()) for i, s in enumerate(grid.axis("parallelism"))
        },
        "flips": flips,
        "budget_only": int((six & ~result.within_budget).sum()),
        "ppa": int(
            (others & result.within_budget & ~result.met["carbon_reduction"] & renewable).sum()
        ),
        "families": len({(index[r, 3], index[r, 6]) for r in np.nonzero(ok)[0].tolist()}),
    }


def _assert_census_equals_brute_force(grid: Grid) -> None:
    fast, slow = compute_census(grid), _brute_census(grid)
    fast = with_examples(fast, tables(grid))
    assert fast.grid_size == grid.size
    assert fast.approved == slow["approved"]
    assert fast.passing == slow["passing"]
    assert fast.within_budget == slow["within_budget"]
    assert fast.approved_ranges == slow["approved_ranges"]
    assert fast.approved_by_strategy == slow["by_strategy"]
    assert fast.flips_by_control == slow["flips"]
    assert fast.budget_only_refusals == slow["budget_only"]
    assert fast.ppa_outgrown == slow["ppa"]
    assert len(fast.families) == slow["families"]
    for example in fast.examples:
        assert evaluate(example).approved


def test_census_counts_equal_brute_force_on_a_reduced_grid() -> None:
    _assert_census_equals_brute_force(SMALL_GRID)
    assert compute_census(SMALL_GRID).approved > 0  # the reduced grid reaches approval


@st.composite
def reduced_grids(draw: st.DrawFn) -> Grid:
    keep = {}
    for name, n in zip(CONTROL_NAMES, full_grid().shape(), strict=True):
        count = draw(st.integers(1, min(n, 3)))
        keep[name] = sorted(draw(st.sets(st.integers(0, n - 1), min_size=count, max_size=count)))
    return full_grid().subset(**keep)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=reduced_grids())
def test_census_equals_brute_force_on_random_reduced_grids(grid: Grid) -> None:
    _assert_census_equals_brute_force(grid)


def test_census_facts_satisfy_the_contract_claims() -> None:
    result = census()
    assert result.grid_size == 232_848_000
    for name in CONSTRAINT_NAMES:  # claim 3: every constraint binds somewhere
        assert 0 < result.passing[name] < result.grid_size
    assert result.min_model_size_b is not None and result.max_model_size_b is not None
    assert 1 < result.min_model_size_b <= result.max_model_size_b < 70  # claim 5
    assert result.epsilon_band is not None
    lo, hi = result.epsilon_band
    assert 0.1 < lo <= hi == 1.0  # claim 6
    assert all(n > 0 for n in result.approved_by_context.values())  # claim 10
    assert sum(result.approved_by_context.values()) == result.approved
    assert result.budget_only_refusals > 0  # claim 11
    assert all(n > 0 for n in result.flips_by_control.values())  # claim 13
    assert len(result.families) >= 2


def test_examples_are_twenty_distinct_approved_and_spread_out() -> None:
    result = census()
    assert len(result.examples) == 20 == len(set(result.examples))
    for example in result.examples:
        assert evaluate(example).approved
    assert {e.parallelism for e in result.examples} == set(result.approved_ranges["parallelism"])
    sizes = [e.model_size_b for e in result.examples]
    assert min(sizes) == result.min_model_size_b and max(sizes) > min(sizes) + 10


def test_census_is_cached_and_serialises_with_the_documented_keys() -> None:
    result = census()
    assert census() is result and isinstance(result, Census)
    assert result.seconds > 0
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) >= {
        "approved",
        "approved_by_context",
        "families",
        "flips_by_control",
        "budget_only_refusals",
        "size_range_b",
        "epsilon_band",
        "renewable_fail_carbon_only_beyond_ppa",
        "passing",
        "examples",
    }
    assert data["examples"][0] == result.examples[0].to_dict()
    assert list(data["passing"]) == list(CONSTRAINT_NAMES)
    assert list(data["flips_by_control"]) == list(CONTROL_NAMES)


@pytest.mark.parametrize(
    ("name", "axes"),
    [
        ("p99_latency", ("model_size_b", "parallelism")),
        ("fault_tolerance", ("model_size_b", "parallelism")),
        ("adversarial_robustness", ("dp_epsilon", "adv_weight")),
        ("dp_privacy", ("dp_epsilon",)),
    ],
)
def test_passing_counts_are_scalar_counts_over_the_controls_read_times_the_rest(
    name: str, axes: tuple[str, ...]
) -> None:
    """P99 reads (M, s) only, so it passes on (passing pairs) x 100 x 21 x 24 x 11 x 2 designs;
    counted here with scalar evaluate over every (M, s) pair, and likewise for the others."""
    grid = full_grid()
    rest = grid.size // int(np.prod([len(grid.axis(a)) for a in axes]))
    count = sum(
        evaluate(Design(**dict(zip(axes, values, strict=True))))[name].met
        for values in itertools.product(*(grid.axis(a) for a in axes))
    )
    assert census().passing[name] == count * rest
