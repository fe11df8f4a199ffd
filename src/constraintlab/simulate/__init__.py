"""Monte Carlo checks: a fast exact FCFS queue simulator and the exact results it must match.

* :func:`response_times`: response times of an M/M/c or M/D/c queue, simulated.
* Exact references: :func:`erlang_c`, :func:`mmc_response_tail`,
  :func:`mmc_response_quantile`, :func:`mdc_wait_cdf`, :func:`mdc_response_quantile`,
  :func:`response_quantile` (either queue).
* :func:`p_quantile_ci`, :func:`replication_ci`: confidence intervals from independent
  replications (of a quantile; of any per-replication result).
* :func:`mgc_response_times`: M/G/c with a stated service variability (deterministic, gamma,
  lognormal), a fixed delay (:mod:`constraintlab.simulate.mgc`) and a routing policy: one
  pooled FCFS queue, join-the-shortest-queue or random (:mod:`constraintlab.simulate.routing`;
  ``validate``'s comparison of the three in :mod:`constraintlab.simulate.routing_check`).
* Per-metric checks on the model's primitives (:mod:`constraintlab.simulate.checks`):
  :func:`check_p99` (:class:`ServingQueue`), :func:`check_availability`
  (:class:`FleetAvailability`, exact :func:`binomial_availability`), :func:`check_goodput`
  (:class:`CheckpointedJob`, exact :func:`exact_job_goodput`); the fleet's three at once in
  :mod:`constraintlab.simulate.fleet`.

Importing this package loads numpy, never scipy (the exact functions import it when called).
"""

from __future__ import annotations

from constraintlab.simulate.availability import FleetAvailability, binomial_availability
from constraintlab.simulate.checks import (
    MetricCheck,
    ServingQueue,
    check_availability,
    check_goodput,
    check_p99,
)
from constraintlab.simulate.exact import (
    erlang_c,
    mdc_response_quantile,
    mdc_wait_cdf,
    mmc_response_quantile,
    mmc_response_tail,
    response_quantile,
)
from constraintlab.simulate.goodput import CheckpointedJob
from constraintlab.simulate.goodput import exact_goodput as exact_job_goodput
from constraintlab.simulate.mgc import mgc_response_times
from constraintlab.simulate.queue import response_times
from constraintlab.simulate.stats import QuantileCI, p_quantile_ci, replication_ci

__all__ = [
    "CheckpointedJob",
    "FleetAvailability",
    "MetricCheck",
    "QuantileCI",
    "ServingQueue",
    "binomial_availability",
    "check_availability",
    "check_goodput",
    "check_p99",
    "erlang_c",
    "exact_job_goodput",
    "mdc_response_quantile",
    "mdc_wait_cdf",
    "mgc_response_times",
    "mmc_response_quantile",
    "mmc_response_tail",
    "p_quantile_ci",
    "replication_ci",
    "response_quantile",
    "response_times",
]
