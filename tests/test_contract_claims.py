"""One test per claim of shared/spec/MODEL_CONTRACT.md, named after the claim."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from constraintlab import CONSTRAINT_NAMES, Design, evaluate, evaluate_many
from constraintlab.model import carbon as carbon_model
from constraintlab.model import scenario as sc
from constraintlab.model import serving, training
from constraintlab.model.design import CONTROLS
from constraintlab.model.explain import checkpoint_advice, levers
from engine_grid import GRID, approved_designs, passing_all_but_carbon

APPROVED_EXAMPLE = Design(model_size_b=14, adv_weight=0.8, context="renewable")


def test_claim_01_the_feasible_region_exists() -> None:
    approved = approved_designs()
    assert len(approved["model_size_b"]) > 0
    first = Design(
        **{k: (v[0].item() if hasattr(v[0], "item") else v[0]) for k, v in approved.items()}
    )
    assert evaluate(first).approved
    assert evaluate(APPROVED_EXAMPLE).approved


def test_claim_02_default_fails_at_least_two_constraints() -> None:
    card = evaluate(Design())
    assert not card.approved
    assert len(card.failing) >= 2


def test_claim_02_no_single_control_change_from_the_default_is_approved() -> None:
    default = Design()
    tried = 0
    for name, values in GRID.items():
        for value in values:
            if value == getattr(default, name):
                continue
            tried += 1
            assert not evaluate(default.replace(**{name: value})).approved, (name, value)
    assert tried == sum(len(v) - 1 for v in GRID.values())


def test_claim_03_every_constraint_binds_somewhere() -> None:
    rng = np.random.default_rng(3)
    sample = {name: rng.choice(np.array(values), size=20_000) for name, values in GRID.items()}
    result = evaluate_many(**sample)
    for name in CONSTRAINT_NAMES:
        assert result.met[name].any(), f"{name} never passes"
        assert (~result.met[name]).any(), f"{name} never fails"


def test_claim_04_the_strategy_matters_and_the_derivation_shows_why() -> None:
    tp = evaluate(Design())
    dp = evaluate(Design(parallelism="dp"))
    assert tp["p99_latency"].met and not dp["p99_latency"].met
    assert dp["p99_latency"].derivation["gpus_per_replica"] == 1
    assert tp["p99_latency"].derivation["gpus_per_replica"] == 8
    assert (
        dp["p99_latency"].derivation["service_ms"] > 4 * tp["p99_latency"].derivation["service_ms"]
    )
    three_d = evaluate(Design(parallelism="3d"))
    assert tp["fault_tolerance"].met and not three_d["fault_tolerance"].met
    assert three_d["fault_tolerance"].derivation["gpus_per_replica"] == 32


def test_claim_05_accuracy_rises_with_model_size() -> None:
    sizes = np.array(GRID["model_size_b"], dtype=float)
    values = evaluate_many(model_size_b=sizes).values["accuracy"]
    assert np.all(np.diff(values) > 0)


@pytest.mark.parametrize("strategy", CONTROLS["parallelism"].grid())
def test_claim_05_p99_rises_with_model_size_for_a_fixed_strategy(strategy: str) -> None:
    p99 = [serving.serving_plan(float(m), strategy).p99_ms for m in GRID["model_size_b"]]
    assert np.all(np.diff(p99) > 0)


def test_claim_05_approved_designs_need_a_model_inside_a_band() -> None:
    sizes = approved_designs()["model_size_b"]
    assert 1 < sizes.min() <= sizes.max() < 70


def test_claim_06_privacy_and_robustness_fight() -> None:
    eps = np.array(GRID["dp_epsilon"])
    weight = np.array(GRID["adv_weight"])
    by_eps = evaluate_many(dp_epsilon=eps, adv_weight=0.5)
    assert np.all(np.diff(by_eps.values["accuracy"]) > 0)  # falls as epsilon falls
    assert np.all(np.diff(by_eps.values["adversarial_robustness"]) > 0)
    by_weight = evaluate_many(adv_weight=weight[1:])
    assert np.all(np.diff(by_weight.values["accuracy"]) < 0)  # falls as weight rises
    assert np.all(np.diff(by_weight.values["adversarial_robustness"]) > 0)


def test_claim_06_approved_epsilon_lies_in_a_band_above_its_minimum() -> None:
    eps = approved_designs()["dp_epsilon"]
    assert eps.min() > 0.1 and eps.max() <= 1.0


def test_claim_07_more_gpus_mean_less_carbon_reduction() -> None:
    gpus = np.linspace(10, 10_000, 200)
    for context, intensity in carbon_model.CONTEXT_INTENSITY_G_PER_KWH.items():
        for flex in GRID["flexible_job_pct"]:
            eff = carbon_model.effective_intensity(intensity, flex)
            reduction = carbon_model.carbon_reduction(gpus, eff, carbon_model.baseline_gpus())
            assert np.all(np.diff(reduction) < 0), (context, flex)
    # the same through whole designs: a bigger fleet, same grid/deferral/context, emits more
    small, big = evaluate(Design(model_size_b=7)), evaluate(Design(model_size_b=30))
    assert big.budget.gpus_needed > small.budget.gpus_needed
    assert big["carbon_reduction"].value < small["carbon_reduction"].value


def test_claim_07_renewable_context_and_deferral_raise_the_reduction() -> None:
    flex = np.array(GRID["flexible_job_pct"], dtype=float)
    fleet = evaluate_many(flexible_job_pct=flex, context="fleet").values["carbon_reduction"]
    green = evaluate_many(flexible_job_pct=flex, context="renewable").values["carbon_reduction"]
    assert np.all(green > fleet)
    assert np.all(np.diff(fleet) > 0) and np.all(np.diff(green) > 0)


def test_claim_07_the_fleet_context_cannot_reach_the_target_and_the_lab_says_why() -> None:
    _, gpus = passing_all_but_carbon("fleet")
    assert len(gpus) > 0
    allowed = carbon_model.max_gpus_for_target("fleet", max(GRID["flexible_job_pct"]))
    assert gpus.min() >= allowed  # no fleet design can meet carbon with the other five
    assert "fleet" not in set(approved_designs()["context"])
    card = evaluate(Design(model_size_b=14, adv_weight=0.8, context="fleet", flexible_job_pct=50))
    carbon_lever = next(lv for lv in levers(card) if lv.constraint == "carbon_reduction")
    assert f"{allowed:,.0f}" in carbon_lever.detail and "renewable" in carbon_lever.detail


def test_claim_08_young_daly_uses_the_failure_rate_of_the_checkpointed_job() -> None:
    card = evaluate(Design(model_size_b=14, adv_weight=0.8))
    d = card["fault_tolerance"].derivation
    rate = card.budget.training_gpus / sc.GPU_MTBF_H
    assert d["training_failures_per_h"] == pytest.approx(rate)
    c_h = sc.CHECKPOINT_WRITE_S / 3600
    assert d["optimal_interval_min"] == pytest.approx(math.sqrt(2 * c_h / rate) * 60)


def test_claim_08_waste_has_the_checkpoint_and_the_rework_terms() -> None:
    rate, c_h, r_h = 0.5, sc.CHECKPOINT_WRITE_S / 3600, sc.TRAINING_RESTART_MIN / 60
    for interval in (5.0, 30.0, 120.0):
        t_h = interval / 60
        expected = c_h / t_h + rate * (t_h / 2 + r_h)
        assert training.checkpoint_waste(interval, rate) == pytest.approx(expected)


@pytest.mark.parametrize("job_gpus", [60.0, 400.0, 1_500.0, 6_000.0])
def test_claim_08_efficiency_peaks_at_the_grid_point_nearest_t_star(job_gpus: float) -> None:
    rate = job_gpus / sc.GPU_MTBF_H
    grid = np.array(GRID["checkpoint_interval_min"], dtype=float)
    efficiency = 1.0 - training.checkpoint_waste(grid, rate)
    best = int(np.argmax(efficiency))
    t_star = training.optimal_interval_min(rate)
    assert grid[0] < t_star < grid[-1]
    # waste ~ T/T* + T*/T: "nearest" is nearest in ratio, one of the two neighbours of T*
    nearest = int(np.argmin(np.abs(np.log(grid / t_star))))
    assert best == nearest
    assert np.all(np.diff(efficiency[: best + 1]) > 0)
    assert np.all(np.diff(efficiency[best:]) < 0)


def test_claim_08_advice_points_toward_t_star_from_either_side() -> None:
    short = evaluate(Design(model_size_b=14, adv_weight=0.8, checkpoint_interval_min=5))
    long = evaluate(Design(model_size_b=14, adv_weight=0.8, checkpoint_interval_min=120))
    for card in (short, long):
        assert 5 < card["fault_tolerance"].derivation["optimal_interval_min"] < 120
    assert "Lengthen" in checkpoint_advice(short) and "Shorten" not in checkpoint_advice(short)
    assert "Shorten" in checkpoint_advice(long) and "Lengthen" not in checkpoint_advice(long)


def test_claim_09_uptime_comes_from_replicas_spares_and_restart() -> None:
    for design in (Design(), Design(parallelism="3d"), Design(model_size_b=30, parallelism="3d")):
        d = evaluate(design)["fault_tolerance"].derivation
        n, s, g = d["active_replicas"], d["spare_replicas"], d["gpus_per_replica"]
        assert s == math.ceil(n / sc.SPARE_REPLICA_RATIO)
        mean_down = (n + s) * g / sc.GPU_MTBF_H * sc.COLD_RESTART_MIN / 60
        expected = stats.poisson.cdf(s, mean_down) * 100
        assert evaluate(design)["fault_tolerance"].value == pytest.approx(expected, rel=1e-9)


def test_claim_09_what_consumes_the_budget_is_visible() -> None:
    budget = evaluate(Design(model_size_b=30, parallelism="3d", adv_weight=1.0)).to_dict()["budget"]
    parts = budget["serving_gpus"] + budget["spare_gpus"] + budget["training_gpus"]
    assert budget["gpus_needed"] == pytest.approx(parts)
    assert budget["checkpoint_waste_gpus"] == pytest.approx(
        budget["training_gpus"] - budget["training_ideal_gpus"]
    )
    assert budget["checkpoint_waste_gpus"] > 0


def _exact_mmc_p99_ms(arrival: float, service_s: float, servers: int) -> float:
    """Independent check: M/M/c response-time tail from Erlang C, solved with brentq."""
    a = arrival * service_s
    pmf = stats.poisson.pmf(servers, a)
    erlang_b = pmf / stats.poisson.cdf(servers, a)
    rho = a / servers
    wait = erlang_b / (1 - rho * (1 - erlang_b))
    mu, theta = 1 / service_s, servers / service_s - arrival

    def tail(t: float) -> float:
        waited = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
        return (1 - wait) * math.exp(-mu * t) + wait * waited - 0.01

    return optimize.brentq(tail, 0, 100 * service_s) * 1e3


@pytest.mark.parametrize(
    "design",
    [Design(), Design(model_size_b=30, parallelism="3d"), Design(model_size_b=2, parallelism="dp")],
)
def test_claim_10_p99_comes_from_erlang_c_not_a_multiple_of_the_mean(design: Design) -> None:
    plan = serving.serving_plan(design.model_size_b, design.parallelism)
    exact = _exact_mmc_p99_ms(sc.ARRIVAL_RATE_PER_S, plan.service_ms / 1e3, plan.replicas)
    assert evaluate(design)["p99_latency"].value == pytest.approx(exact, rel=1e-6)


def test_claim_10_p99_is_not_a_fixed_multiple_of_the_mean_and_says_its_assumption() -> None:
    ratios = {
        round(
            serving.serving_plan(float(m), s).p99_ms
            / serving.serving_plan(float(m), s).mean_response_ms,
            3,
        )
        for m in (1, 7, 30)
        for s in ("dp", "tp_dp", "3d")
    }
    assert len(ratios) > 3 and 3.0 not in ratios
    assert "exponential service" in (serving.__doc__ or "")


def test_claim_11_the_gpu_budget_can_fail_and_the_lab_says_what_to_change() -> None:
    card = evaluate(Design(model_size_b=70, parallelism="3d", dp_epsilon=0.1, adv_weight=1.0))
    assert not card.budget.within_budget and not card.approved
    budget_lever = [lv for lv in levers(card) if lv.constraint == "gpu_budget"]
    assert budget_lever and "adversarial weight" in budget_lever[0].detail
    over = evaluate(
        Design(
            model_size_b=69,
            parallelism="3d",
            dp_epsilon=0.5,
            adv_weight=0.8,
            checkpoint_interval_min=5,
        )
    )
    assert over.budget.training_keeps_up and over.budget.gpus_needed > sc.GPU_BUDGET
    assert not over.budget.within_budget


def test_claim_12_quoted_figures_are_computed_from_the_model_constants() -> None:
    assert pytest.approx(989e12 / 3350e9) == sc.RIDGE_POINT_FLOP_PER_BYTE
    assert round(sc.RIDGE_POINT_FLOP_PER_BYTE) == 295
    assert sc.FLEET_POWER_BUDGET_W == 10_000 * 700
    assert pytest.approx(1_000 * 100_000 / 86_400) == sc.ARRIVAL_RATE_PER_S
    card = evaluate(Design())
    d = card["fault_tolerance"].derivation
    assert f"{d['optimal_interval_min']:.0f} min" in checkpoint_advice(card)
