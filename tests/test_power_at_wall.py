"""Power per GPU at the wall: the host's share is a stated constant with its published range
(issue 26 item 4). The default is the published lab's (TDP only), so no shipped figure moves;
the high end is a DGX H100's rated wall power shared over its 8 GPUs."""

from __future__ import annotations

import pytest

from constraintlab.model import scenario as sc
from constraintlab.model.design import Design
from constraintlab.model.engine import evaluate

HOST = "hardware.host_power_w_per_gpu"


def test_the_default_is_tdp_only_and_the_range_reaches_a_dgx_at_the_wall() -> None:
    item = sc.constant(HOST)
    assert item.value == 0.0
    assert item.range == (0.0, 575.0)
    assert "10.2 kW" in item.range_source and "DGX H100" in item.range_source
    dgx_wall_w_per_gpu = 10_200.0 / sc.GPUS_PER_NODE
    assert item.range[1] == pytest.approx(dgx_wall_w_per_gpu - sc.H100_TDP_W)


def test_the_fleets_power_grows_by_the_hosts_share_and_its_carbon_with_it() -> None:
    design = Design(context="renewable")
    tdp_only = evaluate(design)["carbon_reduction"].derivation
    with sc.using(sc.SHIPPED.with_value(HOST, 575.0)):
        at_wall = evaluate(design)["carbon_reduction"].derivation
    ratio = (sc.H100_TDP_W + 575.0) / sc.H100_TDP_W
    assert at_wall["power_mw"] == pytest.approx(tdp_only["power_mw"] * ratio, rel=1e-12)
    assert at_wall["emissions_t_per_day"] > tdp_only["emissions_t_per_day"]


def test_a_host_share_outside_what_is_allowed_is_refused_naming_the_key() -> None:
    with pytest.raises(sc.ScenarioError) as refused:
        sc.SHIPPED.with_value(HOST, -1.0)
    assert refused.value.key == HOST
