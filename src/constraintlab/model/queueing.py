"""The response-time tail of the serving queue: M/G/c with a stated service-time variability.

Arrivals are Poisson at rate lambda (many independent hospitals); c identical servers
(replicas) serve FCFS; the service time S has mean D and squared coefficient of variation
SCV (``scenario.SERVICE_TIME_SCV``); a = lambda D is the offered load, rho = a / c < 1.
Every function here takes time and memory bounded whatever a, c and lambda are (contract
claim 16): no array is longer than :data:`MAX_POINTS`.

**SCV = 0, M/D/c, exact** (C. D. Crommelin, P.O. Elec. Eng. J. 25, 1932; G. J. Franx, Oper.
Res. Lett. 29, 2001). Watched every D, the number in system obeys N' = max(N - c, 0) + A,
A ~ Poisson(a). The number waiting beyond the servers, M = max(N - c, 0), has the generating
function (N. T. J. Bailey, J. R. Stat. Soc. B 16, 1954, the bulk-service queue)

    M(z) = G(1) / G(z),  where  1 - A(z) z^-c = P(z) z^-c G(z),  A(z) = e^{a (z - 1)},

P(z) holding the c roots of z^c = A(z) in the closed unit disc and G the factor without
zeros in |z| < z0, z0 > 1 the decay root (c ln z0 = a (z0 - 1)). The factorisation is the
split of the Laurent series of log(1 - A(z) z^-c) on the circle |z| = sqrt(z0) into its
negative powers (log P z^-c) and the rest (log G); both are read off one FFT of n points.
Its aliasing error is bounded: the coefficient of z^-k of log P z^-c is at most c R^-k / k,
that of z^k of log G decays like (R / z0)^k, and M's own coefficients, read on the unit
circle, alias at most P(M >= n) <= z0^-n (Lundberg's inequality). n is chosen so that every
bound is below 1e-15 (:func:`fft_points`). By PASTA the response time R = W + D has

    P(R <= k D + u) = P(M + A_v <= k c - 1),  A_v ~ Poisson(lambda (D - u)),  0 <= u < D.

**Heavy traffic** (rho so close to 1 that n would pass :data:`MAX_POINTS`): the M/D/c
waiting time is that of an E_c/D/1 queue (FCFS with equal service times hands customer i
the server of customer i - c), so Kingman's bounds for GI/G/1 hold with the same decay
rate theta = lambda (z0 - 1): ``e^{-theta (x + D)} <= P(W > x) <= e^{-theta x}`` (J. F. C.
Kingman, J. R. Stat. Soc. B 26, 1964; S. M. Ross, J. Appl. Prob. 11, 1974: the constant
lies in [e^{-theta D}, 1] because U = D - T <= D). The P99 is then bracketed within D:
``[max(D, L), L + D]``, L = ln(100) / theta; the upper end is used (a verdict may be
conservative by at most D, never optimistic). The same bracket decides most candidates of
the fewest-replicas search without any FFT (:func:`mdc_p99_bracket_s`).

**SCV = 1, M/M/c, exact** (Erlang 1917): P(W > 0) = C(c, a), W | W > 0 ~ Exp(c mu - lambda).

**SCV > 0: Whitt's approximation** (W. Whitt, "Approximations for the GI/G/m queue", Prod.
Oper. Manag. 2, 1993; the Kingman-Whitt scaling): P(W > 0) = C(c, a), W | W > 0 ~ Exp with
mean (1 + SCV)/2 / (c mu - lambda), S gamma with that SCV and independent of W; at SCV = 1 it
is the exact M/M/c. Below SCV = :data:`BLEND_SCV` the P99 is the straight line between the
exact M/D/c at 0 and Whitt's at :data:`BLEND_SCV`, so it joins the exact M/D/c continuously
(Whitt's formula at SCV -> 0 misses it by a fraction of a percent). `validate` judges it
against the simulated gamma queue: inside the 99 % interval at SCV 0.05 and 0.5 on the
14 B design; past SCV 1 the formula was 28 % optimistic (SCV 2.5 and 4), so the scenario
allows SCV in [0, 1] only.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
MAX_POINTS: Final = 2**16  # the longest FFT: 1 MiB a complex array, a few ms
ALIASING_TOLERANCE: Final = 1e-15


@dataclass(frozen=True)
class Quantile:
    """A response-time quantile (s) and how it was found: ``exact`` (low = high = value) or
    ``bounded`` (Kingman's bracket; value = high, the conservative end)."""

    value_s: float
    low_s: float
    high_s: float
    method: str


# --- small pieces --------------------------------------------------------------------------


def decay_root(load: float, servers: int) -> float:
    """z0 - 1 > 0 with c ln z0 = a (z0 - 1): Newton from the right on the concave
    f(x) = c log1p(x) - a x (f(0) = 0, f'(0) = c - a > 0), which converges monotonically."""
    c, a = float(servers), float(load)
    x = max(2.0 * (c - a) / a, 1e-300)
    while c * math.log1p(x) - a * x > 0.0:  # move right of the root
        x *= 2.0
    for _ in range(200):
        f = c * math.log1p(x) - a * x
        step = f / (c / (1.0 + x) - a)
        x_new = x - step
        if not x_new < x or x_new <= 0.0:
            break
        if x - x_new <= 1e-15 * x:
            x = x_new
            break
        x = x_new
    return x


def poisson_pmf(mean: float, counts: NDArray[np.int64]) -> FloatArray:
    """Poisson(mean) probabilities at consecutive non-negative ``counts`` (log space: the first
    from lgamma, the rest by the ratio mean / k; no scipy)."""
    if mean <= 0.0:
        return np.asarray(counts == 0, dtype=np.float64)
    first = int(counts[0])
    log_first = first * math.log(mean) - mean - math.lgamma(first + 1.0)
    steps = math.log(mean) - np.log(counts[1:].astype(np.float64))
    log_pmf = np.concatenate(([log_first], log_first + np.cumsum(steps)))
    return np.asarray(np.exp(log_pmf), dtype=np.float64)


def poisson_window(mean: float) -> NDArray[np.int64]:
    """The counts that hold all but about 1e-16 of Poisson(mean): mean +/- 9 sd, plus 30."""
    spread = 9.0 * math.sqrt(mean) + 30.0
    low = max(0, math.floor(mean - spread))
    return np.arange(low, math.ceil(mean + spread) + 1, dtype=np.int64)


def erlang_c(servers: int, offered_load: float) -> float:
    """P(wait > 0) in M/M/c: C = B / (1 - rho (1 - B)), Erlang B = Poisson pmf(c) / cdf(c)."""
    window = poisson_window(offered_load)
    counts = window[window <= servers]
    if counts.size == 0:  # every count of the window is above c: B = 1 to double precision
        return 1.0
    pmf = poisson_pmf(offered_load, counts)
    if counts[-1] < servers:  # c is past the window: nothing waits
        return 0.0
    blocking = float(pmf[-1] / pmf.sum()) if pmf.sum() > 0 else 1.0
    rho = offered_load / servers
    return blocking / (1.0 - rho * (1.0 - blocking))


def fft_points(load: float, servers: int) -> int:
    """n: the power of two that makes every aliasing bound of the module doc < 1e-15."""
    log_z0 = math.log1p(decay_root(load, servers))
    half = (math.log(1.0 / ALIASING_TOLERANCE) + math.log(servers)) / (0.5 * log_z0)
    return 1 << max(6, math.ceil(math.log2(max(2.0 * half + 2.0, 64.0))))


# --- M/D/c ---------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def mdc_waiting_cdf(load: float, servers: int) -> FloatArray | None:
    """P(M <= m) for m = 0 .. n - 1 (M = max(N - c, 0), module doc), or None when n would
    pass :data:`MAX_POINTS` (heavy traffic: use :func:`mdc_p99_bracket_s`)."""
    points = fft_points(load, servers)
    if points > MAX_POINTS:
        return None
    log_z0 = math.log1p(decay_root(load, servers))
    log_radius = 0.5 * log_z0
    angle = 2.0 * math.pi * np.arange(points) / points
    log_w = load * (math.exp(log_radius) * np.exp(1j * angle) - 1.0) - servers * (
        log_radius + 1j * angle
    )
    laurent = np.fft.fft(np.log1p(-np.exp(log_w))) / points  # coefficient k times R^k
    half = points // 2
    log_g = laurent[:half] * np.exp(-log_radius * np.arange(half))  # log G's series
    log_g_at_1 = log_g.sum()
    on_circle = np.fft.ifft(log_g, n=points) * points  # log G(e^{i angle})
    pmf = np.fft.fft(np.exp(log_g_at_1 - on_circle)).real / points
    cdf = np.minimum(np.cumsum(np.clip(pmf, 0.0, None)), 1.0)
    cdf.setflags(write=False)
    return cdf


def _mdc_cdf_at(cdf: FloatArray, index: NDArray[np.int64]) -> FloatArray:
    """P(M <= index): 0 below 0, 1 past the array (the tail there is below 1e-15)."""
    inside = np.clip(index, 0, len(cdf) - 1)
    return np.where(index < 0, 0.0, np.where(index >= len(cdf), 1.0, cdf[inside]))


def _mdc_response_cdf(
    cdf: FloatArray, arrival_rate: float, servers: int, service_s: float, periods: int, rest: float
) -> float:
    """P(R <= periods D + rest) = P(M + A_v <= periods c - 1), v = lambda (D - rest)."""
    mean = arrival_rate * (service_s - rest)
    counts = poisson_window(mean)
    weights = poisson_pmf(mean, counts)
    limit = periods * servers - 1
    return float(np.dot(weights, _mdc_cdf_at(cdf, limit - counts)))


def mdc_p99_bracket_s(
    arrival_rate: float, servers: int, service_s: float, q: float = 0.99
) -> tuple[float, float]:
    """Kingman's bracket of the M/D/c response-time q-quantile (s): [max(D, L), L + D]."""
    load = arrival_rate * service_s
    theta = arrival_rate * decay_root(load, servers)
    spread = math.log(1.0 / (1.0 - q)) / theta
    return max(service_s, spread), spread + service_s


def _increasing_root(
    function: Callable[[float], float], low: float, high: float, tolerance: float
) -> float:
    """The root of an increasing function on [low, high] (f(low) < 0 <= f(high)), by the
    Illinois variant of regula falsi: the bracket always holds the root, and it converges
    superlinearly (a few evaluations where bisection takes forty)."""
    f_low, f_high = float(function(low)), float(function(high))
    if f_low >= 0.0:
        return low
    if f_high < 0.0:
        return high
    side = 0
    for _ in range(200):
        if high - low <= tolerance:
            break
        middle = (low * f_high - high * f_low) / (f_high - f_low)
        if not low < middle < high:
            middle = 0.5 * (low + high)
        f_middle = float(function(middle))
        if f_middle < 0.0:
            low, f_low = middle, f_middle
            if side == -1:
                f_high *= 0.5
            side = -1
        else:
            high, f_high = middle, f_middle
            if side == 1:
                f_low *= 0.5
            side = 1
    return high


def mdc_response_quantile(
    arrival_rate: float, servers: int, service_s: float, q: float = 0.99
) -> Quantile:
    """q-quantile of the M/D/c response time D + W: exact, or Kingman's bracket (module doc)."""
    load = arrival_rate * service_s
    cdf = mdc_waiting_cdf(load, servers)
    if cdf is None:
        low, high = mdc_p99_bracket_s(arrival_rate, servers, service_s, q)
        return Quantile(high, low, high, "bounded")
    if _mdc_response_cdf(cdf, arrival_rate, servers, service_s, 1, 0.0) >= q:
        return Quantile(service_s, service_s, service_s, "exact")
    first = int(np.searchsorted(cdf, q, side="left"))
    periods = max(1, math.ceil((first + 1) / servers))

    def excess(rest: float) -> float:
        return _mdc_response_cdf(cdf, arrival_rate, servers, service_s, periods, rest) - q

    rest = _increasing_root(excess, 0.0, service_s, 1e-13 * service_s)
    value = periods * service_s + rest
    return Quantile(value, value, value, "exact")


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(32)
_PANELS = 12
BLEND_SCV: Final = 0.1  # below it, the P99 is blended from the exact M/D/c (module doc)


def gamma_tail(t_s: float, mean_s: float, scv: float) -> float:
    """P(S > t) for S gamma with that mean and SCV: 1 - the integral of its density."""
    return max(0.0, 1.0 - _gamma_integral(t_s, mean_s, scv, 0.0))


def _gamma_integral(t_s: float, mean_s: float, scv: float, rate: float) -> float:
    """int_0^t f_S(s) e^{-rate (t - s)} ds for S gamma (shape k = 1/SCV, scale b = mean SCV).

    The integrand is, up to a constant, a gamma density of the same shape tilted by the rate:
    for k > 1 it is smooth and unimodal, integrated by composite Gauss-Legendre over the
    window that holds it (60 widths of the tilted law, or up to t where the tilt makes it
    rise to t); for k <= 1 the density's singularity at 0 is removed by s = t x^{1/k}. Every
    term is at most the density, in logs: no overflow, no NaN."""
    if t_s <= 0.0:
        return 0.0
    shape, scale = 1.0 / scv, mean_s * scv
    if shape <= 1.0:
        return min(1.0, _singular_integral(t_s, shape, scale, rate))
    tilted = 1.0 / scale - rate  # the integrand is s^{k-1} e^{-tilted s}
    if tilted > 0.0:
        centre, width = shape / tilted, math.sqrt(shape) / tilted
        low, high = max(0.0, centre - 14.0 * width), min(t_s, centre + 60.0 * width)
    else:  # rises all the way to t
        width = 1.0 / ((shape - 1.0) / t_s - tilted)
        low, high = max(0.0, t_s - 60.0 * width), t_s
    return min(1.0, _panels(low, high, t_s, shape, scale, rate))


def _singular_integral(t_s: float, shape: float, scale: float, rate: float) -> float:
    """The same integral for k <= 1, where f_S is singular at 0: in u = s^k the integrand is
    e^{-s/b - rate (t - s)} / (Gamma(k + 1) b^k), smooth, integrated by composite
    Gauss-Legendre between the points where its mass lies (the first 60 scale lengths of
    the tilted law; the last 60 tilt lengths before t)."""
    points = {0.0, t_s}
    tilted = 1.0 / scale - rate
    if tilted > 0.0:
        points.add(min(t_s, 60.0 / tilted))
    if rate > 0.0:
        points.add(max(0.0, t_s - 60.0 / rate))
    edges = sorted(points)
    constant = -math.lgamma(shape + 1.0) - shape * math.log(scale)
    total = 0.0
    for low, high in itertools.pairwise(edges):
        if high <= low:
            continue
        cuts = np.linspace(low**shape, high**shape, _PANELS + 1)
        half = 0.5 * np.diff(cuts)
        u = ((cuts[:-1] + half)[:, None] + half[:, None] * _NODES[None, :]).ravel()
        s = u ** (1.0 / shape)
        values = np.exp(constant - s / scale - rate * (t_s - s)).reshape(_PANELS, -1)
        total += float(np.sum(half[:, None] * values * _WEIGHTS[None, :]))
    return total


def _panels(low: float, high: float, t_s: float, shape: float, scale: float, rate: float) -> float:
    """Composite Gauss-Legendre of f_S(s) e^{-rate (t - s)} over [low, high] (0 < low or k > 1)."""
    if high <= low:
        return 0.0
    edges = np.linspace(low, high, _PANELS + 1)
    half = 0.5 * np.diff(edges)
    s = ((edges[:-1] + half)[:, None] + half[:, None] * _NODES[None, :]).ravel()
    log_f = (shape - 1.0) * np.log(s) - s / scale - math.lgamma(shape) - shape * math.log(scale)
    values = np.exp(log_f - rate * (t_s - s)).reshape(_PANELS, -1)
    return float(np.sum(half[:, None] * values * _WEIGHTS[None, :]))


def whitt_response_tail(
    t_s: float, arrival_rate: float, servers: int, service_s: float, scv: float
) -> float:
    """P(S + W > t) under Whitt's approximation: gamma service, exponential wait (module doc)."""
    wait_p = erlang_c(servers, arrival_rate * service_s)
    theta = 2.0 * (servers / service_s - arrival_rate) / (1.0 + scv)
    served = gamma_tail(t_s, service_s, scv)
    waited = served + _gamma_integral(t_s, service_s, scv, theta)
    return (1.0 - wait_p) * served + wait_p * min(waited, 1.0)


def quantile_of_tail(tail: Callable[[float], float], scale_s: float, q: float) -> float:
    """The smallest t with tail(t) <= 1 - q: doubling, then :func:`_increasing_root`."""
    high = scale_s
    for _ in range(2000):
        if tail(high) <= 1.0 - q:
            break
        high *= 2.0
    return _increasing_root(lambda t: (1.0 - q) - tail(t), 0.0, high, 1e-12 * high)


def whitt_quantile_s(
    arrival_rate: float, servers: int, service_s: float, scv: float, q: float = 0.99
) -> float:
    """The q-quantile of Whitt's approximate response time (SCV > 0)."""
    return quantile_of_tail(
        lambda t: whitt_response_tail(t, arrival_rate, servers, service_s, scv), service_s, q
    )


def response_quantile(
    arrival_rate: float, servers: int, service_s: float, scv: float, q: float = 0.99
) -> Quantile:
    """The q-quantile of the M/G/c response time under the module's model for this SCV:
    exact M/D/c at 0, Whitt's approximation from :data:`BLEND_SCV` on (exact M/M/c at 1),
    and between 0 and :data:`BLEND_SCV` the straight line between the two, so the P99 is
    continuous in SCV and exact at both ends."""
    if servers <= arrival_rate * service_s:
        return Quantile(math.inf, math.inf, math.inf, "unstable")
    if scv == 0.0:
        return mdc_response_quantile(arrival_rate, servers, service_s, q)
    method = "exact" if scv == 1.0 else "approximation"
    if scv >= BLEND_SCV:
        value = whitt_quantile_s(arrival_rate, servers, service_s, scv, q)
        return Quantile(value, value, value, method)
    exact = mdc_response_quantile(arrival_rate, servers, service_s, q)
    whitt = whitt_quantile_s(arrival_rate, servers, service_s, BLEND_SCV, q)
    share = scv / BLEND_SCV
    value = (1.0 - share) * exact.value_s + share * whitt
    return Quantile(value, value, value, "bounded" if exact.method == "bounded" else method)


def response_quantile_s(
    arrival_rate: float, servers: int, service_s: float, scv: float, q: float = 0.99
) -> float:
    """The q-quantile of the M/G/c response time (s); inf for an unstable queue."""
    return response_quantile(arrival_rate, servers, service_s, scv, q).value_s


def unloaded_quantile_s(service_s: float, scv: float, q: float = 0.99) -> float:
    """The q-quantile of the response time with no queue: D at SCV 0; below
    :data:`BLEND_SCV` the same straight line as :func:`response_quantile`; else the gamma
    service time's own quantile."""
    if scv == 0.0:
        return service_s
    top = quantile_of_tail(lambda t: gamma_tail(t, service_s, max(scv, BLEND_SCV)), service_s, q)
    if scv >= BLEND_SCV:
        return top
    share = scv / BLEND_SCV
    return (1.0 - share) * service_s + share * top
