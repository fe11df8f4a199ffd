"""Monte Carlo checks: a fast exact FCFS queue simulator and the exact results it must match.

* :func:`response_times`: response times of an M/M/c or M/D/c queue, simulated.
* Exact references: :func:`erlang_c`, :func:`mmc_response_tail`,
  :func:`mmc_response_quantile`, :func:`mdc_wait_cdf`, :func:`mdc_response_quantile`,
  :func:`response_quantile` (either queue).
* :func:`p_quantile_ci`, :func:`replication_ci`: confidence intervals from independent
  replications (of a quantile; of any per-replication result).

Importing this package loads numpy, never scipy (the exact functions import it when called).
"""

from __future__ import annotations

from constraintlab.simulate.exact import (
    erlang_c,
    mdc_response_quantile,
    mdc_wait_cdf,
    mmc_response_quantile,
    mmc_response_tail,
    response_quantile,
)
from constraintlab.simulate.queue import response_times
from constraintlab.simulate.stats import QuantileCI, p_quantile_ci, replication_ci

__all__ = [
    "QuantileCI",
    "erlang_c",
    "mdc_response_quantile",
    "mdc_wait_cdf",
    "mmc_response_quantile",
    "mmc_response_tail",
    "p_quantile_ci",
    "replication_ci",
    "response_quantile",
    "response_times",
]
