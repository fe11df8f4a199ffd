"""Constraint 4, adversarial robustness: accuracy under PGD attack must be at least 50 %.

    robustness = r0 + g * w * epsilon / (epsilon + epsilon_half)

* ``r0``: an undefended model keeps about 5 % accuracy under PGD (published lab).
* ``g * w``: adversarial training on a share w of PGD examples buys robustness
  (Madry et al. 2018); up to 75 points at w = 1 (modelling assumption).
* ``epsilon / (epsilon + epsilon_half)``: DP noise washes out the adversarial signal. DP-SGD
  clips every per-example gradient and adds noise with multiplier ~ 1/epsilon, which
  attenuates the sharp, sample-specific gradients adversarial training depends on
  (the "DP vs. robustness" tension: Tursynbek et al. 2020, Boenisch et al. 2021). At
  epsilon_half = 0.25 half of the signal is lost (modelling assumption).

Robustness rises with adversarial weight and falls as epsilon falls (stronger privacy).
"""

from __future__ import annotations

from constraintlab.model import scenario as sc
from constraintlab.model._numeric import Real


def dp_signal_retained(dp_epsilon: Real) -> Real:
    """Share of the adversarial training signal that survives DP noise: eps / (eps + eps_half)."""
    return dp_epsilon / (dp_epsilon + sc.DP_WASHOUT_EPSILON)


def robustness(dp_epsilon: Real, adv_weight: Real) -> Real:
    """PGD accuracy as a fraction: r0 + g * w * eps / (eps + eps_half)."""
    gain = sc.ROBUSTNESS_GAIN_AT_FULL_WEIGHT * adv_weight * dp_signal_retained(dp_epsilon)
    return sc.ROBUSTNESS_UNDEFENDED + gain
