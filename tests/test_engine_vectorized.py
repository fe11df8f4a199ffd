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

# the most work any job size delivers at any interval (ideal GPUs)
MOST = max(training.most_delivered_gpus(t)[1] for t in interval_grid())
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
def test_one_search_of_the_envelope_is_the_cheapest_interval(ideal: list[float]) -> None:
    many = training.true_demand_many(np.array(ideal), interval_grid())
    for a, found in zip(ideal, many.tolist(), strict=True):
        assert found == training.true_demand(a, interval_grid())[0]


def test_the_envelope_is_non_decreasing_and_ends_at_the_most_any_interval_delivers() -> None:
    envelope = training.demand_envelope(tuple(interval_grid()))
    assert (np.diff(envelope) >= 0).all()
    assert envelope[-1] == MOST
    assert training.true_demand_many(np.array([MOST * 1.0001]), interval_grid())[0] == math.inf


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
