"""Numbers into words for the Monte Carlo comparison: every phrase follows from the figures.

Two rules (issue 11, item 5):

* a signed difference never prints as "-0.00 %": zero prints as "0", and anything else with
  as many decimals as it takes to show two significant digits;
* whether the analytic value agrees is said from the interval alone (inside or outside the
  99 % interval), with how far: the gap in the quantity's unit, relative to the estimate,
  and in half-widths of the interval. Why a gap exists is said only when a number shows it
  (the exact value of the simulated process lies inside the interval, or does not).
"""

from __future__ import annotations

import math


def decimals_for(step: float, least: int = 0, most: int = 10) -> int:
    """Decimals that show ``step`` (> 0) with two significant digits, within [least, most]."""
    if not (math.isfinite(step) and step > 0.0):
        return least
    step = float(f"{step:.2g}")  # 0.00999999 shows as 0.010, not 0.0100
    return max(least, min(most, 1 - math.floor(math.log10(step))))


def signed(value: float, unit: str = "", least: int = 1) -> str:
    """``value`` with its sign and two significant digits; exactly zero is "0" (no sign).

    >>> signed(-0.0000123, " %"), signed(0.0, " %"), signed(15.234, " %")
    ('-0.000012 %', '0 %', '+15.2 %')
    """
    if value == 0.0:
        return f"0{unit}"
    if abs(value) < 1e-10:
        return f"{value:+.1e}{unit}"
    return f"{value:+.{decimals_for(abs(value), least)}f}{unit}"


def times_text(ratio: float) -> str:
    """A multiple in plain figures: 0.43, 3.1, 27, 1,200."""
    if math.isinf(ratio):
        return "infinitely many"
    if ratio < 10.0:
        return f"{ratio:.2f}" if ratio < 1.0 else f"{ratio:.1f}"
    return f"{ratio:,.0f}"


def chance_text(probability: float) -> str:
    """A probability in words a student reads at once: "4.2 %", "below 1 in a million"."""
    if probability < 1e-6:
        return "below 1 in a million"
    if probability < 0.001:
        return f"about 1 in {1.0 / probability:,.0f}"
    return f"{probability * 100:.2g} %"


def agreement_sentence(
    *,
    analytic: str,
    estimate: str,
    low: str,
    high: str,
    inside: bool,
    difference: str,
    relative: str,
    half_widths: float,
    outside_by: str,
    above: bool,
    confidence_pct: str,
    noise_probability: float,
) -> str:
    """The verdict of one comparison, from pre-formatted figures (see ``checks.MetricCheck``).

    ``noise_probability`` is the chance that simulation noise alone puts the estimate this
    far (or farther) from the analytic value, from the replications' Student-t law.
    """
    if inside and half_widths == 0.0:
        return (
            f"The engine's {analytic} lies inside the simulator's {confidence_pct} interval"
            f" ({low} to {high}) and equals the simulated {estimate}."
        )
    if inside:
        return (
            f"The engine's {analytic} lies inside the simulator's {confidence_pct} interval"
            f" ({low} to {high}): it differs from the simulated {estimate} by {difference}"
            f" ({relative} of it), {times_text(half_widths)} of the interval's half-width,"
            " a gap simulation noise explains."
        )
    side = "above the interval's upper end" if above else "below the interval's lower end"
    if math.isinf(half_widths):
        return (
            f"The engine's {analytic} lies outside the simulator's {confidence_pct} interval:"
            f" every replication gave exactly {estimate}, so the interval has no width, and the"
            f" engine's value is {difference} ({relative}) away from it."
        )
    return (
        f"The engine's {analytic} lies outside the simulator's {confidence_pct} interval"
        f" ({low} to {high}), {outside_by} {side}: the gap to the simulated {estimate} is"
        f" {difference} ({relative} of it), {times_text(half_widths)} times the interval's"
        f" half-width. Simulation noise alone gives a gap this large with probability"
        f" {chance_text(noise_probability)}."
    )


def reference_sentence(reference: str, name: str, inside: bool, engine_inside: bool) -> str:
    """What the exact value of the simulated process says about a gap (or its absence)."""
    where = "inside" if inside else "outside"
    sentence = (
        f"The exact value of the simulated process ({name}) is {reference}, {where} the interval"
    )
    if inside and not engine_inside:
        return sentence + ": the gap is the engine formula's, not the simulator's."
    if not inside:
        return sentence + ": the simulation itself misses it here (run longer or check the seed)."
    return sentence + "."
