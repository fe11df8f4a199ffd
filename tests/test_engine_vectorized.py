"""The vectorised engine's shortcuts give what the plain definitions give (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from constraintlab.model import training
from constraintlab.model.engine import interval_grid
from constraintlab.model.vectorized import distinct_pairs

PROFILE = settings(max_examples=200, deadline=None, derandomize=True)

WRITE_S = float(training.checkpoint_write_s(7.0))  # the 7 B job's checkpoint write
# the most work any job size delivers at any interval (ideal GPUs)
MOST = max(training.most_delivered_gpus(t, WRITE_S)[1] for t in interval_grid())
# table entries themselves: where a search's "left" side decides the answer
EDGES = sorted(
    {float(v) for t in interval_grid() for v in training.delivery_table(t)[::97].tolist()}
)


@PROFILE
@given(
    st.lists(
        st.one_of(
            st.floats(min_value=0.0, max_value=1.5 * MOST, allow_nan=False),
            st.sampled_from(EDGES),
            st.just(MOST),
            st.just(math.nextafter(MOST, math.inf)),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_the_many_demand_search_is_the_cheapest_interval(ideal: list[float]) -> None:
    many = training.true_demand_many(np.array(ideal), WRITE_S, interval_grid())
    for a, found in zip(ideal, many.tolist(), strict=True):
        assert found == training.true_demand(a, WRITE_S, interval_grid())[0]


def test_past_the_most_any_interval_delivers_no_job_keeps_up() -> None:
    assert training.true_demand_many(np.array([MOST]), WRITE_S, interval_grid())[0] < math.inf
    assert training.true_demand_many(np.array([MOST * 1.0001]), WRITE_S, interval_grid())[0] == (
        math.inf
    )


@settings(max_examples=120, deadline=None, derandomize=True)
@given(
    st.floats(min_value=0.01, max_value=3_000.0),
    st.sampled_from([5.0, 10.0, 30.0, 120.0]),
    st.floats(min_value=0.5, max_value=1_000.0),
)
def test_the_scaled_c0_table_sizes_the_job_as_the_exact_goodput_with_its_write(
    ideal: float, interval_min: float, write_s: float
) -> None:
    """One C = 0 table per interval, searched for a T / (T - C), gives the fewest N with
    N goodput(N, T, C) >= a computed directly with the write (or none, past the peak)."""
    n = np.arange(1, len(training.delivery_table(interval_min)) + 2, dtype=np.float64)
    delivered = n * np.asarray(training.goodput(n, interval_min, write_s))
    enough = np.flatnonzero(delivered >= ideal * (1 + 1e-12))
    barely = np.flatnonzero(delivered >= ideal * (1 - 1e-12))
    gpus, keeps = training.size_training_job(ideal, interval_min, write_s)
    if not keeps:
        assert len(enough) == 0
    else:
        assert len(barely) > 0 and gpus >= int(n[barely[0]])
        assert len(enough) == 0 or gpus <= int(n[enough[0]])


@PROFILE
@given(
    st.lists(
        st.tuples(st.sampled_from([7.0, 13.5, 70.0, 0.5]), st.integers(0, 2)),
        min_size=1,
        max_size=40,
    )
)
def test_distinct_pairs_are_numpys_unique_columns(pairs: list[tuple[float, int]]) -> None:
    sizes = np.array([s for s, _ in pairs])
    codes = np.array([c for _, c in pairs], dtype=np.int64)
    (first, second), inverse = distinct_pairs(sizes, codes)
    expected, expected_inverse = np.unique(
        np.stack([sizes, codes.astype(np.float64)]), axis=1, return_inverse=True
    )
    assert first.tolist() == expected[0].tolist()
    assert second.tolist() == expected[1].astype(np.int64).tolist()
    assert inverse.tolist() == expected_inverse.ravel().tolist()
    assert [(first[i], second[i]) for i in inverse] == pairs
