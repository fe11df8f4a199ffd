"""Constraint 3, differential privacy: the training mechanism's epsilon must be at most 1.

HIPAA-grade privacy is taken, as in the published lab, to mean (epsilon, delta)-DP with
epsilon <= 1 for the DP-SGD fine-tuning job (Dwork and Roth 2014 discuss epsilon <= 1 as
the strong-privacy regime). The value *is* the control: this constraint has no model, only
consequences elsewhere (accuracy cost, robustness wash-out, training cost). Its record, with
the verdict rule on the shown value (``epsilon <= limit`` at two decimals), is in
:mod:`constraints`.
"""
