"""Issue 26 item 4, the checkpoint write that grows with the model: C(P) = C0 + b P / B, the
published lab's fixed 120 s plus the training state (b bytes per parameter) over the storage's
write bandwidth B. The job is sized, simulated and explained with its own model's write; with
b = 0 the model is the published lab's size-independent write again, and the census with it.
"""

from __future__ import annotations

import numpy as np
import pytest

from constraintlab import Design, evaluate
from constraintlab.explore.census import census
from constraintlab.model import scenario as sc
from constraintlab.model import training
from constraintlab.model.design import CONTROLS, NumericControl
from constraintlab.model.explain import checkpoint_advice
from constraintlab.views.prose import governing_equations_md
from designs import RESTS_ON_STORAGE

BYTES, STORAGE = "reliability.checkpoint_bytes_per_param", "reliability.checkpoint_storage_gb_per_s"


def _sizes() -> list[float]:
    control = CONTROLS["model_size_b"]
    assert isinstance(control, NumericControl)
    return [float(v) for v in control.grid()]


def test_the_write_is_the_fixed_stall_plus_the_state_over_the_storage_bandwidth() -> None:
    sizes = np.array(_sizes())
    write_s = np.asarray(training.checkpoint_write_s(sizes))
    state_gb = sc.CHECKPOINT_BYTES_PER_PARAM * sizes  # b x P x 1e9 bytes
    assert write_s == pytest.approx(
        sc.CHECKPOINT_WRITE_S + state_gb / sc.CHECKPOINT_STORAGE_GB_PER_S
    )
    assert (np.diff(write_s) > 0).all()  # grows with the model, at every grid step
    for size in (1.0, 70.0):
        assert evaluate(Design(model_size_b=size)).budget.checkpoint_write_s == pytest.approx(
            float(training.checkpoint_write_s(size))
        )


def test_the_two_new_constants_state_their_sources_and_ranges() -> None:
    per_param, storage = sc.constant(BYTES), sc.constant(STORAGE)
    assert "ZeRO" in per_param.source and per_param.range == (12.0, 16.0)
    assert "Llama 3" in storage.source and "Tectonic" in storage.source
    assert storage.range is not None and storage.range[0] < storage.value < storage.range[1]
    assert "published lab" in sc.constant("reliability.checkpoint_write_s").source


def test_without_the_state_term_the_model_is_the_published_labs_size_independent_write() -> None:
    """b = 0: every size writes the published 120 s and the census is the one the published
    structure gave (137,132 approved); the shipped b = 14, B = 2,000 GB/s adds 0.01-0.49 s a
    checkpoint and takes 76 designs out (137,056): a few jobs on the edge of a whole GPU."""
    shipped = census()
    assert shipped.approved == 137_056
    with sc.using(sc.process().with_value(BYTES, 0.0)):
        assert {float(training.checkpoint_write_s(s)) for s in _sizes()} == {sc.CHECKPOINT_WRITE_S}
        published = census()
    assert published.approved == 137_132
    assert published.approved_by_context["fleet"] == 30_687


def test_slow_storage_costs_the_large_models_job_and_hardly_the_small_ones() -> None:
    large, small = Design(model_size_b=70.0, adv_weight=0.5), Design(model_size_b=1.0)
    before = {d: evaluate(d).budget for d in (large, small)}
    with sc.using(sc.process().with_value(STORAGE, 40.0)):
        after = {d: evaluate(d).budget for d in (large, small)}
    assert after[large].checkpoint_write_s == pytest.approx(120.0 + 14.0 * 70.0 / 40.0)
    assert after[large].training_gpus > before[large].training_gpus
    assert after[small].checkpoint_write_s - before[small].checkpoint_write_s < 0.5


def test_the_student_reads_the_write_where_it_acts_and_it_follows_an_edit() -> None:
    card = evaluate(Design())
    assert f"{card.budget.checkpoint_write_s:,.1f} s checkpoint write" in checkpoint_advice(card)
    shipped_text = governing_equations_md()
    assert f"{float(training.checkpoint_write_s(70.0)):,.1f} s at 70 B" in shipped_text
    with sc.using(sc.process().with_value(STORAGE, 40.0)):
        edited_text = governing_equations_md()
        assert f"{float(training.checkpoint_write_s(70.0)):,.1f} s at 70 B" in edited_text
    assert edited_text != shipped_text


def test_the_reveal_finds_where_slow_storage_flips_a_large_models_verdict() -> None:
    from constraintlab.app import wiring

    found, _ = wiring.assumption_reveal(RESTS_ON_STORAGE, (STORAGE,))
    (flip, changes), *_ = found.verdicts[0].flips
    low, value = sc.constant(STORAGE).range[0], sc.CHECKPOINT_STORAGE_GB_PER_S  # type: ignore[index]
    assert low < flip.flips_at < value and flip.approved_now
    assert [c.name for c in changes] == ["carbon_reduction"]
    for storage, approved in ((flip.flips_at * 1.01, True), (flip.flips_at * 0.99, False)):
        with sc.using(sc.process().with_value(STORAGE, storage)):
            assert evaluate(RESTS_ON_STORAGE).approved is approved
