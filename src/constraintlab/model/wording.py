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
