"""Properties of the engine over random designs (hypothesis)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from constraintlab import CONSTRAINT_NAMES, Design, DesignError, evaluate, evaluate_many
from constraintlab.model.design import CONTROLS, NumericControl

PROFILE = settings(max_examples=300, deadline=None, derandomize=True)


def _numeric(name: str) -> st.SearchStrategy[float]:
    c = CONTROLS[name]
    assert isinstance(c, NumericControl)
    return st.floats(min_value=c.low, max_value=c.high, allow_nan=False)


designs = st.builds(
    Design,
    model_size_b=_numeric("model_size_b"),
    dp_epsilon=_numeric("dp_epsilon"),
    adv_weight=_numeric("adv_weight"),
    parallelism=st.sampled_from(CONTROLS["parallelism"].grid()),
    checkpoint_interval_min=_numeric("checkpoint_interval_min"),
    flexible_job_pct=_numeric("flexible_job_pct"),
    context=st.sampled_from(CONTROLS["context"].grid()),
)

grid_designs = st.builds(
    Design, **{name: st.sampled_from(c.grid()) for name, c in CONTROLS.items()}
)


def _invalid_for(name: str) -> st.SearchStrategy[Any]:
    c = CONTROLS[name]
    junk = st.one_of(
        st.none(), st.booleans(), st.text(max_size=5), st.lists(st.integers(), max_size=2)
    )
    if isinstance(c, NumericControl):
        outside = st.one_of(
            st.floats(max_value=c.low, exclude_max=True, allow_nan=False),
            st.floats(min_value=c.high, exclude_min=True, allow_nan=False),
            st.just(math.nan),
            st.just(math.inf),
            st.just(-math.inf),
        )
        return st.one_of(outside, junk)
    return st.one_of(junk.filter(lambda v: v not in c.grid()), st.integers())


@PROFILE
@given(st.sampled_from(list(CONTROLS)), st.data())
def test_every_invalid_input_is_refused_with_a_design_error(name: str, data: st.DataObject) -> None:
    value = data.draw(_invalid_for(name))
    try:
        Design(**{name: value})
    except DesignError as error:
        assert error.control == name
    else:
        raise AssertionError(f"{name}={value!r} was accepted")


@PROFILE
@given(designs)
def test_every_output_is_finite_for_every_valid_input(design: Design) -> None:
    card = evaluate(design)
    numbers: list[float] = []
    for result in card.constraints.values():
        numbers += [result.value, result.target, result.margin]
        numbers += [v for v in result.derivation.values() if isinstance(v, int | float)]
    numbers += [v for v in card.budget.to_dict().values() if isinstance(v, int | float)]
    if not math.isfinite(card.budget.training_gpus):
        # a job that keeps up at no interval: its true demand is unbounded, said as such
        assert not card.budget.training_keeps_up and not card.budget.within_budget
        assert not card["carbon_reduction"].met
        numbers = [x for x in numbers if not math.isinf(x)]
    assert all(math.isfinite(x) for x in numbers if not math.isnan(x))
    assert 0 <= card.n_met <= 6


@PROFILE
@given(st.lists(st.one_of(designs, grid_designs), min_size=1, max_size=40))
def test_evaluate_many_equals_evaluate(batch: list[Design]) -> None:
    columns = {name: np.array([getattr(d, name) for d in batch]) for name in CONTROLS}
    many = evaluate_many(**columns)
    for i, design in enumerate(batch):
        card = evaluate(design)
        for name in CONSTRAINT_NAMES:
            assert many.met[name][i] == card[name].met, (design, name)
            assert many.values[name][i] == card[name].value, (design, name)
        assert many.approved[i] == card.approved
        assert many.gpus_needed[i] == card.budget.gpus_needed
        assert many.within_budget[i] == card.budget.within_budget


@PROFILE
@given(designs, st.floats(min_value=0.01, max_value=10))
def test_accuracy_rises_with_model_size(design: Design, step: float) -> None:
    bigger = design.replace(model_size_b=min(70.0, design.model_size_b + step))
    if bigger.model_size_b > design.model_size_b + 1e-9:
        assert evaluate(bigger)["accuracy"].exact_value > evaluate(design)["accuracy"].exact_value


@PROFILE
@given(designs, st.floats(min_value=0.01, max_value=1))
def test_lower_epsilon_costs_accuracy_and_robustness(design: Design, step: float) -> None:
    lower = design.replace(dp_epsilon=max(0.1, design.dp_epsilon - step))
    if lower.dp_epsilon < design.dp_epsilon - 1e-9:  # a real step, not a rounding hair
        before, after = evaluate(design), evaluate(lower)
        assert after["accuracy"].exact_value < before["accuracy"].exact_value
        assert (
            after["adversarial_robustness"].exact_value
            <= before["adversarial_robustness"].exact_value
        )


@PROFILE
@given(designs, st.floats(min_value=0.01, max_value=1))
def test_adversarial_weight_buys_robustness_with_accuracy(design: Design, step: float) -> None:
    more = design.replace(adv_weight=min(1.0, design.adv_weight + step))
    if more.adv_weight > design.adv_weight + 1e-9:
        before, after = evaluate(design), evaluate(more)
        assert (
            after["adversarial_robustness"].exact_value
            > before["adversarial_robustness"].exact_value
        )
        assert after["accuracy"].exact_value < before["accuracy"].exact_value


@PROFILE
@given(grid_designs, grid_designs)
def test_carbon_falls_as_gpus_rise_with_grid_deferral_and_context_fixed(
    a: Design, b: Design
) -> None:
    # with no deferral every GPU the design holds draws power (deferral's extra GPUs sit idle)
    a = a.replace(flexible_job_pct=0)
    b = b.replace(context=a.context, flexible_job_pct=0)
    ca, cb = evaluate(a), evaluate(b)
    if ca.budget.gpus_needed < cb.budget.gpus_needed:
        assert ca["carbon_reduction"].value > cb["carbon_reduction"].value


@PROFILE
@given(grid_designs)
def test_renewable_and_deferral_raise_the_reduction(design: Design) -> None:
    fleet = evaluate(design.replace(context="fleet"))["carbon_reduction"].value
    green = evaluate(design.replace(context="renewable"))["carbon_reduction"].value
    assert green >= fleet
    fleet_design = design.replace(context="fleet")
    if design.flexible_job_pct < 50 and math.isfinite(evaluate(fleet_design).budget.training_gpus):
        # on the grid, deferring more of the job into clean hours lowers the emissions
        more = fleet_design.replace(flexible_job_pct=design.flexible_job_pct + 5)
        before = evaluate(fleet_design)["carbon_reduction"].exact_value
        assert evaluate(more)["carbon_reduction"].exact_value > before


@PROFILE
@given(st.lists(grid_designs, min_size=1, max_size=5))
def test_evaluate_many_broadcasts_scalars_with_arrays(batch: list[Design]) -> None:
    sizes = np.array([d.model_size_b for d in batch])
    many = evaluate_many(model_size_b=sizes, context="renewable")
    assert many.approved.shape == sizes.shape
    for i, size in enumerate(sizes):
        card = evaluate(Design(model_size_b=float(size), context="renewable"))
        assert many.values["p99_latency"][i] == card["p99_latency"].value


def test_evaluate_many_refuses_bad_arrays_naming_the_control() -> None:
    for kwargs, control in [
        ({"dp_epsilon": np.array([0.5, 11.0])}, "dp_epsilon"),
        ({"adv_weight": np.array([np.nan])}, "adv_weight"),
        ({"parallelism": np.array(["dp", "zz"])}, "parallelism"),
        ({"model_size_b": "7"}, "model_size_b"),
        ({"context": np.array([1, 2])}, "context"),
    ]:
        try:
            evaluate_many(**kwargs)
        except DesignError as error:
            assert error.control == control
        else:
            raise AssertionError(kwargs)
