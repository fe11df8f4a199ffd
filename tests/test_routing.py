"""Issue 26 item 4, routing: the serving model states its routing policy (``pooled``, one FCFS
queue, the default; ``random``, each replica its own M/D/1 fed lambda / c), the plan store is
keyed by it, random routing never needs fewer replicas than pooled, and the default changes
no plan and no census figure."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_runner import run_cli
from constraintlab.model import queueing, serving
from constraintlab.model import scenario as sc
from constraintlab.model.planstore import PLAN_INPUTS, plan_key

RANDOM = '[serving]\nrouting_policy = "random"\n'


@pytest.fixture
def random_routing(tmp_path: Path) -> Path:
    path = tmp_path / "random.toml"
    path.write_text(RANDOM, encoding="utf-8")
    return path


def test_the_shipped_policy_is_pooled_with_its_sources_and_range() -> None:
    policy = sc.constant("serving.routing_policy")
    assert policy.value == sc.ROUTING_POLICY == "pooled"
    assert policy.range == ("pooled", "random")
    assert "Weber 1978" in policy.source and "Kiefer and Wolfowitz" in policy.source
    assert "Poisson thinning" in policy.range_source


@pytest.mark.parametrize("value", ['"jsq"', '"Pooled"', "1", "true"])
def test_a_bad_policy_is_refused_naming_the_key(value: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f"[serving]\nrouting_policy = {value}\n", encoding="utf-8")
    with pytest.raises(sc.ScenarioError) as refused:
        sc.load_constants(path)
    assert refused.value.key == "serving.routing_policy"
    assert refused.value.allowed == "one of pooled, random"


def test_a_bad_policy_is_one_line_and_exit_2_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[serving]\nrouting_policy = "jsq"\n', encoding="utf-8")
    code, out, err = run_cli(capsys, "evaluate", "--scenario", str(path))
    assert code == 2 and out == ""
    assert "serving.routing_policy" in err and "'jsq'" in err and "pooled, random" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_plan_store_is_keyed_by_the_policy(random_routing: Path) -> None:
    assert "serving.routing_policy" in PLAN_INPUTS
    pooled = plan_key()
    sc.use_scenario(random_routing)
    assert plan_key() != pooled
    assert serving.serving_plan(30.0, "3d").routing_policy == "random"


def test_pooled_is_the_m_d_c_queue_and_random_the_m_d_1_at_lambda_over_c() -> None:
    """Both P99s straight from the queueing module: the policy changes only which queue."""
    service_s, servers = 0.02, 30
    rate = sc.ARRIVAL_RATE_PER_S
    pooled = serving.p99(servers, service_s, 0.0, "pooled").value_s
    single = serving.p99(servers, service_s, 0.0, "random").value_s
    assert pooled == queueing.response_quantile(rate, servers, service_s, 0.0).value_s
    assert single == queueing.response_quantile(rate / servers, 1, service_s, 0.0).value_s
    assert single > pooled


@settings(max_examples=40, deadline=None)
@given(
    service_ms=st.floats(0.5, 150.0),
    fixed_ms=st.floats(0.0, 40.0),
)
def test_random_never_needs_fewer_replicas_than_pooled(service_ms: float, fixed_ms: float) -> None:
    pooled = serving.fewest_replicas(service_ms / 1e3, fixed_ms / 1e3, "pooled")
    single = serving.fewest_replicas(service_ms / 1e3, fixed_ms / 1e3, "random")
    assert (pooled is None) == (single is None)  # the unloaded floor is the same
    if pooled is not None and single is not None:
        assert single >= pooled


def test_every_grid_plan_needs_at_least_as_many_replicas_under_random(
    random_routing: Path,
) -> None:
    pairs = serving.grid_pairs()
    pooled = {pair: serving.serving_plan(*pair) for pair in pairs}
    sc.use_scenario(random_routing)
    single = {pair: serving.serving_plan(*pair) for pair in pairs}
    more = 0
    for pair in pairs:
        assert single[pair].slo_feasible == pooled[pair].slo_feasible, pair
        assert single[pair].replicas_required >= pooled[pair].replicas_required, pair
        more += single[pair].replicas_required > pooled[pair].replicas_required
    assert more > len(pairs) // 2  # and it is a real cost, not a tie


def test_the_default_changes_no_census_figure() -> None:
    from constraintlab.explore.census import census

    result = census()
    assert result.approved == 137_056  # the shipped census (tests/test_checkpoint_write.py)
    assert dict(result.approved_by_context) == {"fleet": 30_678, "renewable": 106_378}
    assert len(result.families) == 6


def test_the_p99_line_says_which_routing_the_figure_assumes() -> None:
    """The scorecard's working names the policy in force (its derivation carries it), so a
    student reading 92 % busy knows it is one pooled queue, not replicas on their own."""
    from constraintlab import Design, evaluate
    from constraintlab.model.constraints import ROUTING_WORDS
    from constraintlab.model.explain import derivation_line

    assert set(ROUTING_WORDS) == set(sc.ROUTING_POLICIES)
    for policy in sc.ROUTING_POLICIES:
        with sc.using(sc.SHIPPED.with_value("serving.routing_policy", policy)):
            card = evaluate(Design())
            line = derivation_line(card["p99_latency"], card)
        assert card["p99_latency"].derivation["routing_policy"] == policy
        assert ROUTING_WORDS[policy] in line
        others = [w for p, w in ROUTING_WORDS.items() if p != policy]
        assert not any(w in line for w in others), line
