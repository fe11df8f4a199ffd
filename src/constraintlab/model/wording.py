"""Two wording rules every explanation line follows (no inf, nan or n/a: contract claim 19).

Plain functions on a result's fields, so a constraint's own line (:mod:`constraints`) and the
scorecard's sentences (:mod:`explain`) word numbers alike without importing the scorecard.
"""

from __future__ import annotations

import math
from typing import Any


def shown_number(result: Any) -> str:
    """The value with exactly the digits that decided the verdict (contract claim 14), or, when
    it does not exist, the reason in words."""
    if result.missing or not math.isfinite(result.value):
        return result.missing or "not computed"
    return f"{result.value:,.{result.decimals}f}"


def count(number: float, noun: str) -> str:
    """``1 GPU``, ``8 GPUs``, ``1,263 GPUs``: a whole count with its noun, singular or plural."""
    return f"{number:,.0f} {noun}" + ("" if round(number) == 1 else "s")


def layout_words(tensor_parallel: int, pipeline_parallel: int, times: str = "x") -> str:
    """``1 GPU per replica``, ``TP 8 in one node``, ``TP 8 x PP 4 over 4 nodes``: a replica
    of TP x PP GPUs (each pipeline stage one node)."""
    if pipeline_parallel == 1:
        return "1 GPU per replica" if tensor_parallel == 1 else f"TP {tensor_parallel} in one node"
    return (
        f"TP {tensor_parallel} {times} PP {pipeline_parallel} over"
        f" {count(pipeline_parallel, 'node')}"
    )


def megawatts(watts: float) -> str:
    """``5.6 MW``, ``7 MW``, ``0.0007 MW``: three significant digits (no exponent), so a
    product shown beside it still multiplies (8,000 x 700 W is 5.6 MW, never "6 MW")."""
    mw = watts / 1e6
    decimals = max(0, 2 - math.floor(math.log10(abs(mw)))) if mw else 0
    shown = f"{mw:,.{decimals}f}"
    return (shown.rstrip("0").rstrip(".") if "." in shown else shown) + " MW"
