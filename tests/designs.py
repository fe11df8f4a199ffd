"""Designs several test modules name by what they are."""

from __future__ import annotations

from constraintlab import Design

# issue 25, finding 2: 70 B, epsilon 0.1, w 0.75, tp_dp, 30 min, 20 %, renewable: the Monte
# Carlo button raised ValueError (job_gpus 0.0) and the panel went blank
JOB_CANNOT_KEEP_UP = Design(
    model_size_b=70,
    dp_epsilon=0.1,
    adv_weight=0.75,
    parallelism="tp_dp",
    checkpoint_interval_min=30,
    flexible_job_pct=20,
    context="renewable",
)
