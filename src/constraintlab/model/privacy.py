"""Constraint 3, differential privacy: the training mechanism's epsilon must be at most 1.

HIPAA-grade privacy is taken, as in the published lab, to mean (epsilon, delta)-DP with
epsilon <= 1 for the DP-SGD fine-tuning job (Dwork and Roth 2014 discuss epsilon <= 1 as
the strong-privacy regime). The value *is* the control: this constraint has no model, only
consequences elsewhere (accuracy cost, robustness wash-out, training cost).
"""

from __future__ import annotations

from constraintlab.model import scenario as sc
from constraintlab.model._numeric import Real


def privacy_met(dp_epsilon: Real) -> Real:
    """True where epsilon <= the HIPAA-grade limit."""
    return dp_epsilon <= sc.DP_EPSILON_LIMIT
