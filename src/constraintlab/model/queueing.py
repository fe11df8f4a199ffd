"""The response-time tail of the serving queue: M/G/c with a stated service-time variability.

Arrivals are Poisson at rate lambda (many independent hospitals); c identical servers
(replicas) serve FCFS; the service time S has mean D and squared coefficient of variation
SCV (``scenario.SERVICE_TIME_SCV``). The P99 of the response time W + S:

* **SCV = 0, M/D/c, exact** (C. D. Crommelin, P.O. Elec. Eng. J. 25, 1932; G. J. Franx,
  Oper. Res. Lett. 29, 2001; H. C. Tijms, "A First Course in Stochastic Models", 2003). The
  number in system N satisfies N(t + D) = max(N(t) - c, 0) + Poisson(lambda D); its
  stationary law p is solved as a truncated sparse linear system (the neglected tail mass is
  about e^-30), and by PASTA
  ``P(W <= k D + u) = P(max(N - c, 0) + A_u <= (k + 1) c - 1)``, A_u ~ Poisson(lambda (D - u)).
  (The same method as :mod:`constraintlab.simulate.exact`, kept here so the model does not
  import the simulator that checks it.)
* **SCV = 1, M/M/c, exact** (Erlang 1917): P(W > 0) = C(c, a), W | W > 0 ~ Exp(c mu - lambda).
* **Other SCV: a published approximation** (W. Whitt, "Approximations for the GI/G/m
  queue", Prod. Oper. Manag. 2, 1993; the Kingman-Whitt scaling): P(W > 0) = C(c, a) and
  W | W > 0 ~ Exp with mean (1 + SCV)/2 / (c mu - lambda); S is taken as gamma with that
  SCV, and P(S + E > t) is computed in closed form. At SCV = 1 it is the exact M/M/c.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
P99_TAIL = 0.01


def erlang_c(servers: int, offered_load: float) -> float:
    """P(wait > 0) in M/M/c from the stable Erlang B recursion (Jagerman 1974)."""
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    rho = offered_load / servers
    return blocking / (1.0 - rho * (1.0 - blocking))


def _poisson_reach(mean: float) -> int:
    """A count beyond which a Poisson(mean) variable has mass below about 1e-15."""
    return int(mean + 9.0 * math.sqrt(mean) + 20.0)


def _decay_root(load: float, servers: int) -> float:
    from scipy.optimize import brentq

    def gap(z: float) -> float:
        return servers * math.log(z) - load * (z - 1.0)

    high = 2.0
    while gap(high) > 0.0:
        high *= 2.0
    low = 1.0 + (servers - load) / (2.0 * servers * servers)
    while gap(low) <= 0.0:
        low = 1.0 + (low - 1.0) / 2.0
    return float(brentq(gap, low, high))


@lru_cache(maxsize=8)
def mdc_number_in_system(load: float, servers: int) -> FloatArray:
    """Stationary P(N = n) of M/D/c with offered load a = lambda D (see the module doc)."""
    from scipy import sparse, stats
    from scipy.sparse.linalg import spsolve

    top = servers + _poisson_reach(load) + math.ceil(30.0 / math.log(_decay_root(load, servers)))
    reach = _poisson_reach(load)
    pmf = stats.poisson.pmf(np.arange(reach + 1), load)
    source = np.repeat(np.arange(top + 1), reach + 1)
    target = np.maximum(source - servers, 0) + np.tile(np.arange(reach + 1), top + 1)
    keep = target < top
    states = np.arange(top)
    pinned = min(math.floor(load), top - 1)
    rows = np.concatenate([target[keep], states, [top]])
    cols = np.concatenate([source[keep], states, [pinned]])
    values = np.concatenate([np.tile(pmf, top + 1)[keep], -np.ones(top), [1.0]])
    matrix = sparse.csc_matrix((values, (rows, cols)), shape=(top + 1, top + 1))
    rhs = np.zeros(top + 1)
    rhs[top] = 1.0
    p = np.clip(np.asarray(spsolve(matrix, rhs), dtype=np.float64), 0.0, None)
    normalised: FloatArray = p / p.sum()
    normalised.setflags(write=False)
    return normalised


def _mdc_wait_cdf_units(
    cumulative: FloatArray, arrivals_mean: float, servers: int, limit: int
) -> float:
    from scipy import stats

    counts = np.arange(min(limit, _poisson_reach(arrivals_mean)) + 1)
    index = np.minimum(limit - counts + servers, len(cumulative) - 1)
    return float(np.dot(stats.poisson.pmf(counts, arrivals_mean), cumulative[index]))


def mdc_response_quantile_s(arrival_rate: float, servers: int, service_s: float, q: float) -> float:
    """q-quantile of the M/D/c response time D + W (seconds), exact (Crommelin/Franx)."""
    from scipy.optimize import brentq

    load = arrival_rate * service_s
    cumulative = np.cumsum(mdc_number_in_system(load, servers))
    periods = 0
    while (periods + 1) * servers <= len(cumulative) and cumulative[
        (periods + 1) * servers - 1
    ] < q:
        periods += 1
    if periods == 0:
        return service_s

    def excess(rest: float) -> float:
        mean = arrival_rate * (service_s - rest)
        return _mdc_wait_cdf_units(cumulative, mean, servers, periods * servers - 1) - q

    rest = float(brentq(excess, 0.0, service_s, xtol=1e-13 * service_s))
    return service_s * periods + rest


def mgc_tail_approx(
    t_s: float, arrival_rate: float, servers: int, service_s: float, scv: float
) -> float:
    """P(S + W > t) under Whitt's (1993) approximation with gamma service (see module doc)."""
    from scipy import special

    load = arrival_rate * service_s
    wait_p = erlang_c(servers, load)
    theta = 2.0 * (servers / service_s - arrival_rate) / (1.0 + scv)
    shape = 1.0 / scv
    scale = service_s * scv
    served = float(special.gammaincc(shape, t_s / scale))
    rate = 1.0 / scale - theta  # S + E: integrate f_S(s) e^{-theta (t - s)}
    if rate > 0:
        mgf = (1.0 / (1.0 - theta * scale)) ** shape
        inner = mgf * float(special.gammainc(shape, t_s * rate))
    else:  # exponential dominates: bound by direct quadrature
        grid = np.linspace(0.0, t_s, 2001)
        density = np.exp(
            (shape - 1) * np.log(np.maximum(grid, 1e-300))
            - grid / scale
            - special.gammaln(shape)
            - shape * math.log(scale)
            + theta * grid
        )
        inner = float(np.trapezoid(density, grid))
    waited = served + math.exp(-theta * t_s) * inner
    return float((1.0 - wait_p) * served + wait_p * min(waited, 1.0))


def response_quantile_s(
    arrival_rate: float, servers: int, service_s: float, scv: float, q: float = 0.99
) -> float:
    """The q-quantile of the M/G/c response time (s): exact at SCV 0 and 1, else Whitt."""
    if servers <= arrival_rate * service_s:
        return math.inf
    if scv == 0.0:
        return mdc_response_quantile_s(arrival_rate, servers, service_s, q)
    from scipy.optimize import brentq

    def gap(t: float) -> float:
        return mgc_tail_approx(t, arrival_rate, servers, service_s, scv) - (1.0 - q)

    high = service_s * 10.0
    while gap(high) > 0.0:
        high *= 2.0
    return float(brentq(gap, 0.0, high, xtol=1e-12 * service_s))
