"""Constraint 1, clinical accuracy: clean top-1 accuracy must be at least 95 %.

    accuracy = 1 - e0 * M^(-alpha) - k_dp / epsilon - k_adv * w

* ``e0 * M^(-alpha)``: clean error of an M-billion-parameter classifier trained without privacy
  or adversarial examples. Error falling as a power law in parameters follows the scaling-law
  literature (Kaplan et al. 2020; Hestness et al. 2017); e0 = 0.18 and alpha = 1 are a
  modelling assumption for this task.
* ``k_dp / epsilon``: DP-SGD's clipping and Gaussian noise cost accuracy; the noise multiplier
  grows as 1/epsilon (Abadi et al. 2016), so we take the cost ~ 1/epsilon, 2 points at
  epsilon = 1 (modelling assumption; the published lab used 5 points).
* ``k_adv * w``: training on a share w of PGD adversarial examples trades clean accuracy for
  robustness (Madry et al. 2018; Tsipras et al. 2019), 2 points at w = 1 (assumption).

Accuracy rises with model size and falls as epsilon falls or adversarial weight rises.
"""

from __future__ import annotations

from dataclasses import dataclass

from constraintlab.model import scenario as sc
from constraintlab.model._numeric import Real


def clean_error(model_size_b: Real) -> Real:
    """Error of the model with neither privacy nor adversarial training: e0 * M^-alpha."""
    return sc.CLEAN_ERROR_AT_1B * model_size_b ** (-sc.CLEAN_ERROR_SIZE_EXPONENT)


def dp_accuracy_cost(dp_epsilon: Real) -> Real:
    """Accuracy lost to DP-SGD: k_dp / epsilon (fraction)."""
    return sc.DP_ACCURACY_COST_AT_EPSILON_1 / dp_epsilon


def adversarial_accuracy_cost(adv_weight: Real) -> Real:
    """Clean accuracy lost to adversarial training: k_adv * w (fraction)."""
    return sc.ADV_ACCURACY_COST_AT_FULL_WEIGHT * adv_weight


@dataclass(frozen=True)
class AccuracyBreakdown:
    """Accuracy and its three terms, all as fractions (0.95 = 95 %)."""

    accuracy: float
    clean_accuracy: float
    dp_cost: float
    adversarial_cost: float


def accuracy(model_size_b: Real, dp_epsilon: Real, adv_weight: Real) -> Real:
    """Clean accuracy as a fraction: 1 - e0 M^-alpha - k_dp/epsilon - k_adv w."""
    return (
        1.0
        - clean_error(model_size_b)
        - dp_accuracy_cost(dp_epsilon)
        - adversarial_accuracy_cost(adv_weight)
    )


def accuracy_breakdown(
    model_size_b: float, dp_epsilon: float, adv_weight: float
) -> AccuracyBreakdown:
    """The terms the scorecard shows as its derivation."""
    return AccuracyBreakdown(
        accuracy=accuracy(model_size_b, dp_epsilon, adv_weight),
        clean_accuracy=1.0 - clean_error(model_size_b),
        dp_cost=dp_accuracy_cost(dp_epsilon),
        adversarial_cost=adversarial_accuracy_cost(adv_weight),
    )
