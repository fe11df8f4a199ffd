"""Confidence intervals from independent replications (of a quantile, or of any result).

Each replication (an independent run, its own seed) gives one sample quantile Q_r. The Q_r are
i.i.d. and close to normal for long runs (a sample quantile is asymptotically normal:
Bahadur 1966; Serfling, "Approximation Theorems of Mathematical Statistics", 1980, sec. 2.3),
so with R replications, mean Q and standard deviation s,

    Q +- t_{(1 + confidence)/2, R - 1} s / sqrt(R)

is the Student-t interval for the mean of the Q_r (Law, "Simulation Modeling and Analysis",
5th ed., 2015, sec. 9.4.1). The mean of the Q_r estimates the quantile with a bias of order
1/n per run of n observations, far below the interval's width for the runs used here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike


class QuantileCI(NamedTuple):
    """A quantile estimate with the low and high ends of its confidence interval."""

    estimate: float
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def _fraction(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and 0.0 < value < 1.0):
        raise ValueError(f"{name} must be a number strictly between 0 and 1; got {value!r}")
    return float(value)


def replication_ci(per_replication: ArrayLike, confidence: float = 0.99) -> QuantileCI:
    """Mean of independent replication results and its Student-t ``confidence`` interval.

    >>> replication_ci([2.0, 3.0]).estimate
    2.5
    """
    from scipy import stats

    _fraction("confidence", confidence)
    values = np.asarray(per_replication, dtype=np.float64).reshape(-1)
    if values.size < 2:
        raise ValueError(f"need at least 2 replications; got {values.size}")
    mean = float(values.mean())
    spread = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2.0, values.size - 1)) * spread
    half /= math.sqrt(values.size)
    return QuantileCI(mean, mean - half, mean + half)


def p_quantile_ci(
    samples_per_replication: Sequence[ArrayLike], q: float = 0.99, confidence: float = 0.99
) -> QuantileCI:
    """Mean of the per-replication q-quantiles and its Student-t ``confidence`` interval.

    >>> p_quantile_ci([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], q=0.5).estimate
    2.5
    """
    _fraction("q", q)
    if len(samples_per_replication) < 2:
        raise ValueError(
            "samples_per_replication must hold at least 2 replications; "
            f"got {len(samples_per_replication)}"
        )
    quantiles = []
    for index, sample in enumerate(samples_per_replication):
        values = np.asarray(sample, dtype=np.float64)
        if values.size == 0:
            raise ValueError(f"samples_per_replication[{index}] is empty")
        quantiles.append(float(np.quantile(values, q)))
    return replication_ci(quantiles, confidence)


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval (same unit), from independent replications."""

    estimate: float
    low: float
    high: float
    replications: int
    confidence: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "replications": self.replications,
            "confidence": self.confidence,
        }


def t_interval(samples: ArrayLike, confidence: float = 0.99) -> Interval:
    """Mean and Student-t ``confidence`` interval of independent replication results.

    Identical results in every replication (e.g. no shortfall anywhere) give a zero-width
    interval; callers that can bound the quantity otherwise (see ``availability``) do so.
    """
    values = np.asarray(samples, dtype=np.float64).reshape(-1)
    if values.size >= 2 and float(values.std(ddof=1)) == 0.0:
        mean = float(values.mean())
        return Interval(mean, mean, mean, int(values.size), confidence)
    ci = replication_ci(values, confidence)
    return Interval(ci.estimate, ci.low, ci.high, int(values.size), confidence)
