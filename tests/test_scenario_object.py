"""The scenario is one frozen value in force per context (issue 27 item 3).

Two scenarios live in one process: a block under ``sc.using`` (or ``with_value``) sees its own,
another thread (a second lab session under ``marimo run``) keeps the process's, no module
attribute is rewritten, and every cache that depends on the scenario is keyed by it.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from constraintlab.explore.assumptions import with_value
from constraintlab.model import scenario as sc
from constraintlab.model import training
from constraintlab.model.design import Design, interval_grid
from constraintlab.model.engine import carbon_baseline, evaluate, load_scenario
from designs import JOB_CANNOT_KEEP_UP

MTBF = "reliability.gpu_mtbf_h"


def test_using_puts_a_scenario_in_force_for_the_block_only() -> None:
    edited = sc.SHIPPED.with_value(MTBF, 5_000.0)
    assert sc.GPU_MTBF_H == 2_000.0
    with sc.using(edited):
        assert sc.GPU_MTBF_H == 5_000.0
        assert sc.FINGERPRINT == edited.fingerprint != sc.SHIPPED.fingerprint
        with sc.using(sc.SHIPPED):
            assert sc.GPU_MTBF_H == 2_000.0
        assert sc.constant(MTBF).edited
    assert sc.GPU_MTBF_H == 2_000.0
    assert sc.current() == sc.SHIPPED


def test_no_module_attribute_is_rewritten_by_loading_a_scenario(tmp_path: Path) -> None:
    names_before = set(vars(sc))
    path = tmp_path / "class.toml"
    path.write_text("[reliability]\ngpu_mtbf_h = 5000.0\n", encoding="utf-8")
    load_scenario(path)
    assert sc.GPU_MTBF_H == 5_000.0 and path == sc.SCENARIO_PATH
    assert set(vars(sc)) == names_before
    assert "GPU_MTBF_H" not in vars(sc)  # read through the scenario in force, never stored


def test_a_thread_under_another_scenario_does_not_move_this_one() -> None:
    """Another session's reveal (a thread, as ``marimo run`` runs sessions) scores a design
    under an edited constant while this thread scores the same design under the shipped one."""
    design = JOB_CANNOT_KEEP_UP
    shipped_card = evaluate(design).to_dict()
    inside, outside = threading.Barrier(2), threading.Barrier(2)
    seen: dict[str, object] = {}

    def other_session() -> None:
        with with_value(None, MTBF, 50_000.0):
            inside.wait()  # the main thread scores now, while this block is open
            seen["mtbf"] = sc.GPU_MTBF_H
            seen["card"] = evaluate(design).to_dict()
            outside.wait()

    worker = threading.Thread(target=other_session)
    worker.start()
    inside.wait()
    here = evaluate(design).to_dict()
    mtbf_here = sc.GPU_MTBF_H
    outside.wait()
    worker.join(timeout=60)
    assert mtbf_here == 2_000.0 and seen["mtbf"] == 50_000.0
    assert here == shipped_card
    assert seen["card"] != shipped_card  # the edit reached the other session's scorecard


def test_caches_are_keyed_by_the_scenario_so_none_goes_stale() -> None:
    """The job-size tables and the carbon baseline: shipped, edited, shipped again."""
    design = Design()
    first = evaluate(design).to_dict()
    table = training.delivery_table(30.0)
    base = carbon_baseline()
    with sc.using(sc.SHIPPED.with_value(MTBF, 5_000.0)):
        assert len(training.delivery_table(30.0)) > len(table)
        assert carbon_baseline().gpus != base.gpus
        assert evaluate(design).to_dict() != first
    assert training.delivery_table(30.0) is table
    assert carbon_baseline() is base
    with sc.using(sc.SHIPPED.with_value("carbon.pue", 1.5)):  # goodput reads none of it
        assert training.delivery_table(30.0) is table
        assert carbon_baseline() is not base
    assert evaluate(design).to_dict() == first


def test_a_scenario_is_frozen_and_its_values_read_only() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.SHIPPED.path = Path("x.toml")  # type: ignore[misc]
    with pytest.raises(TypeError):
        sc.SHIPPED.values["GPU_BUDGET"] = 1  # type: ignore[index]
    assert sc.Scenario.load(None) == sc.SHIPPED  # equal values, equal scenarios


def test_with_value_is_validated_like_a_file_and_marks_the_edit() -> None:
    with pytest.raises(sc.ScenarioError) as refused:
        sc.SHIPPED.with_value(MTBF, 1e9)
    assert refused.value.key == MTBF and "50000" in refused.value.allowed
    with pytest.raises(sc.ScenarioError):
        sc.SHIPPED.with_value("reliability.no_such_key", 1.0)
    edited = sc.SHIPPED.with_value(MTBF, 5_000.0, "class.toml").constant(MTBF)
    assert edited.edited and edited.source == "edited in class.toml"
    assert edited.range == sc.SHIPPED.constant(MTBF).range
    same = sc.SHIPPED.with_value(MTBF, 2_000.0)
    assert same == sc.SHIPPED and not same.constant(MTBF).edited


def test_a_refused_variation_leaves_the_scenario_in_force() -> None:
    """A baseline that fails is refused before the block; nothing changed here."""
    with pytest.raises(sc.ScenarioError) as refused, with_value(None, "targets.gpu_budget", 1):
        pytest.fail("the block must not run")
    assert refused.value.key == "carbon.baseline"
    assert sc.current() == sc.SHIPPED


def test_the_packages_own_example_of_a_scenario_in_force_runs() -> None:
    import doctest

    import constraintlab

    outcome = doctest.testmod(constraintlab, verbose=False)
    assert outcome.attempted >= 5 and outcome.failed == 0


def test_a_reveal_bisecting_the_mtbf_holds_two_scenarios_tables_not_every_steps() -> None:
    """The job-size tables are cached per (MTBF, restart, interval); a bisection tries a new
    MTBF per step, so the cache is bounded to two scenarios' worth (the one in force and the
    one being tried): about 15 MB at the highest MTBF the scenario allows."""
    for step in range(12):
        with sc.using(sc.SHIPPED.with_value("reliability.gpu_mtbf_h", 2_000.0 + 4_000.0 * step)):
            for interval in interval_grid():
                training.delivery_table(interval)
    held = training._delivery_table.cache_info().currsize
    assert held <= training.TABLES_HELD <= 2 * (len(interval_grid()) + 1)
    assert held == training.TABLES_HELD  # the twelve scenarios did not all stay
