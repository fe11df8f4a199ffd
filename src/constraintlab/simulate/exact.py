"""Exact response-time distributions of the M/M/c and M/D/c queues, to check simulations.

Notation: arrival rate lambda, c servers, mean service E[S] (``mean_service``, which is the
fixed service time D of M/D/c), mu = 1 / E[S], offered load a = lambda E[S], utilisation
rho = a / c < 1; W the wait in queue, T = W + S the response time, of a customer in the
stationary FCFS queue. Times are in the unit of the service time.

M/M/c (A. K. Erlang 1917; L. Kleinrock, "Queueing Systems" vol. 1, 1975, sec. 3.5; D. Gross
and C. M. Harris, "Fundamentals of Queueing Theory", sec. 2.3):

    P(W > 0) = C(c, a)  (Erlang C),   P(W > t) = C e^{-(c mu - lambda) t},
    E[W] = C / (c mu - lambda),
    P(T > t) = (1 - C) e^{-mu t} + C P(E_theta + E_mu > t),   theta = c mu - lambda,

the last a sum of two independent exponentials. For c = 1, T ~ Exp(mu - lambda) and the
P99 is ln(100) / (mu - lambda).

M/D/c (C. D. Crommelin, "Delay probability formulae when the holding times are constant",
P.O. Elec. Eng. J. 25, 1932; G. J. Franx, "A simple solution for the M/D/c waiting time
distribution", Oper. Res. Lett. 29, 2001; H. C. Tijms, "A First Course in Stochastic
Models", 2003). Every customer in service at time t has left by t + D, and every customer
waiting at t or arriving in (t, t + D] is still there, so the number in system N satisfies

    N(t + D) = max(N(t) - c, 0) + A,   A ~ Poisson(lambda D) independent of N(t),

a Markov chain whose stationary law p is the time-stationary law of N (solved here as a
truncated sparse linear system, truncated where the neglected mass is below 1e-17). A
customer arriving at t waits at most x = k D + u (0 <= u < D) iff at most (k + 1) c - 1 of
the customers ahead of it are present at t + u, and those are max(N(t + u - D) - c, 0) plus
the arrivals in (t + u - D, t), so (PASTA)

    P(W <= k D + u) = P( max(N - c, 0) + A_u <= (k + 1) c - 1 ),  A_u ~ Poisson(lambda (D - u)),

a finite sum over p and a Poisson law: exact up to the truncation and rounding, about 1e-14.
M/D/1 also has Erlang's closed form (1909), :func:`md1_wait_cdf_erlang`, which tests use to
check the chain method at c = 1.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from functools import lru_cache

import numpy as np

from constraintlab.simulate.fcfs import FloatArray
from constraintlab.simulate.queue import Service, check_queue


def _check_probability(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and 0.0 < value < 1.0):
        raise ValueError(f"{name} must be a number strictly between 0 and 1; got {value!r}")
    return float(value)


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C: probability that an arriving M/M/c customer waits, C(c, a).

    ``C = c B / (c - a (1 - B))`` with Erlang B from the stable recursion
    ``B_0 = 1, B_k = a B_{k-1} / (k + a B_{k-1})`` (Kleinrock 1975, eqs. 3.40 and 3.46).
    """
    if not (isinstance(servers, int) and servers >= 1):
        raise ValueError(f"servers must be an integer >= 1; got {servers!r}")
    if not (math.isfinite(offered_load) and 0.0 < offered_load < servers):
        raise ValueError(
            f"offered_load must be a number in (0, servers = {servers}) for a "
            f"stable queue; got {offered_load!r}"
        )
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return servers * blocking / (servers - offered_load * (1.0 - blocking))


def mmc_mean_wait(arrival_rate: float, servers: int, mean_service: float = 1.0) -> float:
    """M/M/c mean wait in queue, E[W] = C(c, a) / (c mu - lambda)."""
    check_queue(arrival_rate, servers, "exp", mean_service)
    probability = erlang_c(servers, arrival_rate * mean_service)
    return probability / (servers / mean_service - arrival_rate)


def _two_exponentials_tail(t: float, rate_1: float, rate_2: float) -> float:
    """P(E_1 + E_2 > t) for independent exponentials, without cancellation.

    With a <= b the two rates: ``e^{-a t} (1 + a t phi((b - a) t))``,
    phi(z) = (1 - e^{-z}) / z (phi(0) = 1), which is the textbook
    ``(b e^{-a t} - a e^{-b t}) / (b - a)`` rewritten so that b -> a is safe.
    """
    low, high = min(rate_1, rate_2), max(rate_1, rate_2)
    z = (high - low) * t
    phi = 1.0 if z == 0.0 else -math.expm1(-z) / z
    return math.exp(-low * t) * (1.0 + low * t * phi)


def mmc_response_tail(
    t: float, arrival_rate: float, servers: int, mean_service: float = 1.0
) -> float:
    """M/M/c response-time tail P(T > t) = (1 - C) e^{-mu t} + C P(E_theta + E_mu > t)."""
    check_queue(arrival_rate, servers, "exp", mean_service)
    if math.isnan(t):
        raise ValueError(f"t must be a number; got {t!r}")
    if t <= 0.0:
        return 1.0
    mu = 1.0 / mean_service
    probability = erlang_c(servers, arrival_rate * mean_service)
    theta = servers * mu - arrival_rate
    return (1.0 - probability) * math.exp(-mu * t) + probability * _two_exponentials_tail(
        t, theta, mu
    )


def mmc_response_quantile(
    arrival_rate: float, servers: int, mean_service: float = 1.0, q: float = 0.99
) -> float:
    """q-quantile of the M/M/c response time: the root of P(T > t) = 1 - q (Brent's method)."""
    from scipy.optimize import brentq

    check_queue(arrival_rate, servers, "exp", mean_service)
    _check_probability("q", q)
    high = mean_service
    while mmc_response_tail(high, arrival_rate, servers, mean_service) > 1.0 - q:
        high *= 2.0
    root = brentq(
        lambda t: mmc_response_tail(t, arrival_rate, servers, mean_service) - (1.0 - q),
        0.0,
        high,
        xtol=1e-14 * high,
        rtol=4 * np.finfo(float).eps,
    )
    return float(root)


def _poisson_reach(mean: float) -> int:
    """A count beyond which a Poisson(mean) variable has mass far below 1e-18."""
    return int(mean + 12.0 * math.sqrt(mean) + 40.0)


def _solve_truncated_chain(load: float, servers: int, top: int) -> FloatArray:
    """Stationary law of N' = max(N - c, 0) + Poisson(load), truncated to 0..top.

    The balance equations p_j = sum_i p_i P_ij for j < top (moves past ``top`` are lumped
    on it; its own balance follows from the others), and p_m = 1 at m = floor(load), near the
    mode, so that the sparse system stays banded and nothing under- or overflows; the
    caller normalises.
    """
    from scipy import sparse, stats
    from scipy.sparse.linalg import spsolve

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
    solution = np.asarray(spsolve(matrix, rhs), dtype=np.float64)
    return np.clip(solution, 0.0, None)


def _decay_root(load: float, servers: int) -> float:
    """The root z0 > 1 of z^c = e^{load (z - 1)}: P(N = n) falls like z0^{-n} for large n.

    (The generating function of N has its pole there; Tijms 2003, sec. on M/D/c.)
    """
    from scipy.optimize import brentq

    def gap(z: float) -> float:
        return servers * math.log(z) - load * (z - 1.0)

    high = 2.0
    while gap(high) > 0.0:
        high *= 2.0
    low = 1.0 + (servers - load) / (2.0 * servers * servers)  # gap(low) > 0 by concavity
    while gap(low) <= 0.0:
        low = 1.0 + (low - 1.0) / 2.0
    return float(brentq(gap, low, high))


MAX_CHAIN_STATES = 20_000  # about 0.5 s and 200 MB for the sparse solve; past it, no reference


def mdc_chain_states(arrival_rate: float, servers: int, mean_service: float) -> int:
    """The truncation ``top`` the chain below needs: it grows like 1 / (1 - rho) near rho = 1,
    so callers that must stay bounded check it against :data:`MAX_CHAIN_STATES` first."""
    load = arrival_rate * mean_service
    return servers + _poisson_reach(load) + math.ceil(40.0 / math.log(_decay_root(load, servers)))


@lru_cache(maxsize=64)
def mdc_number_in_system(arrival_rate: float, servers: int, mean_service: float) -> FloatArray:
    """Stationary distribution p[n] = P(N = n) of the number in an M/D/c system.

    Solves the chain N(t + D) = max(N(t) - c, 0) + Poisson(lambda D) on 0..top with
    top = c + (Poisson reach) + 40 / ln z0, so that the mass beyond top, of order
    z0^{-(top - c - reach)}, is about e^{-40} ~ 4e-18. Read-only.
    """
    check_queue(arrival_rate, servers, "det", mean_service)
    load = arrival_rate * mean_service
    top = mdc_chain_states(arrival_rate, servers, mean_service)
    p = _solve_truncated_chain(load, servers, top)
    normalised: FloatArray = p / p.sum()
    normalised.setflags(write=False)
    return normalised


def mdc_wait_cdf(x: float, arrival_rate: float, servers: int, mean_service: float = 1.0) -> float:
    """P(W <= x) for M/D/c: P(max(N - c, 0) + A_u <= (k + 1) c - 1), x = k D + u.

    (Crommelin 1932; Franx 2001; see the module docstring for the derivation.)
    """
    cumulative = np.cumsum(mdc_number_in_system(arrival_rate, servers, mean_service))
    if math.isnan(x):
        raise ValueError(f"x must be a number; got {x!r}")
    if x < 0.0:
        return 0.0
    if math.isinf(x):
        return 1.0
    periods = math.floor(x / mean_service)
    rest = min(max(x - periods * mean_service, 0.0), mean_service)  # rounding of x / D
    limit = (periods + 1) * servers - 1
    return _wait_cdf(cumulative, arrival_rate * (mean_service - rest), servers, limit)


def _wait_cdf(cumulative: FloatArray, arrivals_mean: float, servers: int, limit: int) -> float:
    """sum_{j=0}^{limit} P(A = j) P(N <= limit - j + c) with A ~ Poisson(arrivals_mean)."""
    from scipy import stats

    counts = np.arange(min(limit, _poisson_reach(arrivals_mean)) + 1)
    index = np.minimum(limit - counts + servers, len(cumulative) - 1)
    return float(np.dot(stats.poisson.pmf(counts, arrivals_mean), cumulative[index]))


def mdc_mean_wait(arrival_rate: float, servers: int, mean_service: float = 1.0) -> float:
    """M/D/c mean wait by Little's law, E[W] = E[max(N - c, 0)] / lambda."""
    p = mdc_number_in_system(arrival_rate, servers, mean_service)
    waiting = np.maximum(np.arange(len(p)) - servers, 0)
    return float(np.dot(p, waiting)) / arrival_rate


def mdc_response_quantile(
    arrival_rate: float, servers: int, mean_service: float = 1.0, q: float = 0.99
) -> float:
    """q-quantile of the M/D/c response time, D + (q-quantile of W).

    P(W <= k D) = P(N <= (k + 1) c - 1) locates the period holding the quantile; Brent's
    method finds it inside, where the CDF is continuous and increasing. If P(W = 0) >= q the
    quantile is D itself.
    """
    from scipy.optimize import brentq

    _check_probability("q", q)
    cumulative = np.cumsum(mdc_number_in_system(arrival_rate, servers, mean_service))
    periods = 0
    while (periods + 1) * servers <= len(cumulative) and cumulative[
        (periods + 1) * servers - 1
    ] < q:
        periods += 1
    if periods == 0:
        return mean_service

    def excess(rest: float) -> float:
        arrivals_mean = arrival_rate * (mean_service - rest)
        return _wait_cdf(cumulative, arrivals_mean, servers, periods * servers - 1) - q

    rest = brentq(excess, 0.0, mean_service, xtol=1e-14 * mean_service)
    return mean_service + (periods - 1) * mean_service + float(rest)


def md1_wait_cdf_erlang(x: float, arrival_rate: float, mean_service: float = 1.0) -> float:
    """Erlang's M/D/1 wait distribution (1909), evaluated in exact decimal arithmetic:

        P(W <= x) = (1 - rho) sum_{k=0}^{floor(x/D)} y_k^k / k! e^{-y_k},  y_k = lambda (k D - x).

    The terms alternate in sign and reach about e^{2 lambda x}, so floats would lose every
    digit for large x; ``decimal`` carries 2 lambda x / ln 10 + 30 significant digits.
    """
    check_queue(arrival_rate, 1, "det", mean_service)
    if x < 0.0:
        return 0.0
    digits = 30 + int(2.0 * arrival_rate * x / math.log(10.0))
    with localcontext() as context:
        context.prec = digits
        rate, period, limit = Decimal(arrival_rate), Decimal(mean_service), Decimal(x)
        total = (rate * limit).exp()  # the k = 0 term
        factorial = Decimal(1)
        for k in range(1, math.floor(x / mean_service) + 1):
            factorial *= k
            y = rate * (k * period - limit)
            total += y**k / factorial * (-y).exp()
        return float((1 - rate * period) * total)


def response_quantile(
    arrival_rate: float,
    servers: int,
    service: Service = "exp",
    mean_service: float = 1.0,
    q: float = 0.99,
) -> float:
    """Exact q-quantile of the response time of the queue :func:`response_times` simulates."""
    check_queue(arrival_rate, servers, service, mean_service)
    if service == "exp":
        return mmc_response_quantile(arrival_rate, servers, mean_service, q)
    return mdc_response_quantile(arrival_rate, servers, mean_service, q)
