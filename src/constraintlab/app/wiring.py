"""Glue between the marimo page and the package: no formulas, no HTML.

The notebook (``lab.py``) calls these to turn control values into a :class:`Design`, to open the
Design Ledger without ever crashing the page, and to save the capstone's entry only when it
changed. Widgets themselves are created in the notebook (marimo is imported there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from constraintlab.ledger import Ledger, audit, open_ledger
from constraintlab.ledger.archaeology import LAB_DONE, LAB_TODO
from constraintlab.ledger.keys import CAPSTONE_KEY
from constraintlab.ledger.sample import write_sample
from constraintlab.ledger.writeback import sync_capstone, writeback_enabled
from constraintlab.model.design import CONTROLS, Design, NumericControl
from constraintlab.model.engine import Scorecard
from constraintlab.views.coach import HINT_STEPS
from constraintlab.views.journey import Journey


def _scenario_from_environment() -> None:
    """``constraintlab run --scenario FILE`` hands the file to the page through the environment."""
    import os

    from constraintlab.model import scenario
    from constraintlab.model.engine import load_scenario  # the baseline checked at load

    path = os.environ.get("CONSTRAINTLAB_SCENARIO")
    if path and scenario.SCENARIO_PATH is None:
        load_scenario(path)


_scenario_from_environment()

# the published lab's names for the six pass flags
MET_FIELDS: Final = {
    "accuracy": "accuracy_met",
    "p99_latency": "latency_met",
    "dp_privacy": "dp_met",
    "adversarial_robustness": "adversarial_met",
    "carbon_reduction": "carbon_met",
    "fault_tolerance": "fault_tolerance_met",
}

SLIDERS: Final = (
    "model_size_b",
    "dp_epsilon",
    "adv_weight",
    "checkpoint_interval_min",
    "flexible_job_pct",
)


def slider_range(name: str) -> tuple[float | int, float | int, float | int]:
    """(start, stop, step) of the control's evenly spaced grid.

    A slider built from these announces its value itself (``aria-valuenow`` is the value, not
    the step's position, as it is for a slider given a list of steps).
    """
    control = CONTROLS[name]
    assert isinstance(control, NumericControl)
    if control.decimals == 0:
        return int(control.low), int(control.high), int(control.step)
    return control.low, control.high, control.step


def slider_default(name: str) -> float | int:
    control = CONTROLS[name]
    assert isinstance(control, NumericControl)
    return int(control.default) if control.decimals == 0 else control.default


def design_from_controls(values: Mapping[str, Any], context: str) -> Design:
    """The design the page's controls describe (values rounded to their step's decimals)."""
    fields: dict[str, Any] = {"context": context}
    for name, value in values.items():
        control = CONTROLS[name]
        if isinstance(control, NumericControl):
            value = round(float(value), control.decimals)
        fields[name] = value
    return Design(**fields)


@dataclass
class LedgerAccess:
    """The opened ledger, or why it could not be opened (the page shows ``problem``)."""

    ledger: Ledger | None = None
    problem: str | None = None
    note: str | None = None  # e.g. "imported your course ledger from ..."


def open_ledger_safely(path: str | None = None) -> LedgerAccess:
    """Open the student's ledger; any failure becomes a message instead of an exception."""
    try:
        ledger = open_ledger(path)
    except Exception as problem:  # LedgerError, or anything sqlite or the disk throws
        return LedgerAccess(problem=f"{type(problem).__name__}: {problem}")
    return LedgerAccess(ledger=ledger, note=ledger.import_note)


def read_journey(access: LedgerAccess, *, load_sample: bool = False) -> Journey:
    """Act I's journey: the student's ledger, or the sample journey in its own store.

    Never raises: whatever goes wrong becomes a warning the page shows (the lab still works).
    """
    warnings = [access.problem] if access.problem else []
    notes = (access.note,) if access.note else ()
    if load_sample:
        try:
            with Ledger.open(write_sample()) as sample:
                return Journey(audit(sample.entries()), True, tuple(warnings), notes)
        except Exception as problem:
            warnings.append(f"The sample journey could not be loaded: {problem}")
    entries: dict[str, Any] = {}
    is_sample = False
    if access.ledger is not None:
        try:
            entries = dict(access.ledger.entries())
            is_sample = access.ledger.is_sample
        except Exception as problem:
            warnings.append(f"{type(problem).__name__}: {problem}")
    return Journey(audit(entries), is_sample, tuple(warnings), notes)


def redraw_if_changed(get: Callable[[], str], set_: Callable[[str], None], html: str) -> bool:
    """Hand ``html`` to a view's state only if it differs from what the view shows.

    A marimo state's setter re-runs every cell that reads it, even for an equal value, and
    each re-run cell costs the page a round of messages and a redraw; a slider step that does
    not change a view's words should not redraw it. Returns whether the view was redrawn."""
    if get() == html:
        return False
    set_(html)
    return True


def count_click(clicks: int) -> int:
    """A hint button's ``on_click``: its value counts the clicks."""
    return clicks + 1


def hint_levels(clicks: Mapping[str, int]) -> dict[str, int]:
    """Hint steps shown per target: the clicks on its button, at most ``HINT_STEPS``."""
    return {target: min(int(n), HINT_STEPS) for target, n in clicks.items()}


def capstone_on_record(
    submitted: Mapping[str, Any] | None, journey: Journey
) -> dict[str, Any] | None:
    """The capstone as the timeline shows it: this session's submission, else the v2_17 entry
    the student's ledger already held (an earlier session's submission), else None.

    The HUD and the region's lock read this, so they agree with the timeline."""
    if submitted is not None:
        return dict(submitted)
    if journey.is_sample:
        return None
    lab = next((lab for lab in journey.audit.timeline if lab.key == CAPSTONE_KEY), None)
    if lab is None or lab.state == LAB_TODO:
        return None
    result = "approved" if lab.state == LAB_DONE else "infeasible"
    return {"act2_result": result, "earlier_session": True}


def region_earned(submitted: Mapping[str, Any] | None, reveals: int) -> bool:
    """The approved region's facts are shown once earned: an approved design was submitted,
    or the student asked to be shown the nearest approved design."""
    approved = submitted is not None and submitted.get("act2_result") == "approved"
    return approved or reveals > 0


def capstone_entry(
    card: Scorecard,
    act1_prediction: str | None,
    act1_correct: bool,
    act2_prediction: str | None,
    *,
    hints_used: int = 0,
    reveals_used: int = 0,
) -> dict[str, Any]:
    """The v2_17 ledger entry with the published field names, plus the help the student asked
    for before submitting (``hints_used``: hint steps shown; ``reveals_used``: "show me")."""
    d = card.design
    entry: dict[str, Any] = {
        "context": d.context,
        "model_size_b": float(d.model_size_b),
        "dp_epsilon": float(d.dp_epsilon),
        "adv_train_weight": float(d.adv_weight),
        "parallelism_strategy": d.parallelism,
        "checkpoint_interval_min": float(d.checkpoint_interval_min),
        "flexible_job_pct": float(d.flexible_job_pct),
    }
    for name, key in MET_FIELDS.items():
        entry[key] = bool(card.constraints[name].met)
    entry.update(
        {
            "gpu_budget_met": bool(card.budget.within_budget),
            "constraints_all_met": card.n_met == len(MET_FIELDS),
            "act1_prediction": act1_prediction,
            "act1_correct": bool(act1_correct),
            "act2_prediction": act2_prediction,
            "act2_result": "approved" if card.approved else "infeasible",
            "act2_decision": d.parallelism,
            "constraint_hit": not card.approved,
            "curriculum_complete": True,
            "hints_used": int(hints_used),
            "reveals_used": int(reveals_used),
        }
    )
    return entry


@dataclass
class EntrySaver:
    """Saves the capstone entry when (and only when) it differs from the last one saved."""

    access: LedgerAccess
    last_saved: dict[str, Any] | None = None
    attempts: int = 0

    def save(self, entry: dict[str, Any]) -> str:
        """Save if changed; returns a one-line status for the page."""
        if self.access.ledger is None:
            return f"Not saved: the ledger could not be opened ({self.access.problem})."
        if entry == self.last_saved:
            return f"Saved to your Design Ledger as {CAPSTONE_KEY} (no change since)."
        try:
            self.access.ledger.save(CAPSTONE_KEY, entry)
        except Exception as problem:  # a failed save is reported in the page, not raised
            return f"Not saved: {type(problem).__name__}: {problem}"
        self.last_saved = dict(entry)
        return f"Saved to your Design Ledger as {CAPSTONE_KEY}."

    def record_attempt(self, entry: dict[str, Any]) -> str:
        """Record one submitted architecture; returns a one-line status."""
        if self.access.ledger is None:
            return f"Attempt not recorded: the ledger could not be opened ({self.access.problem})."
        try:
            self.access.ledger.record_attempt(entry)
        except Exception as problem:
            return f"Attempt not recorded: {type(problem).__name__}: {problem}"
        self.attempts += 1
        verdict = "approved" if entry.get("act2_result") == "approved" else "not approved"
        return f"Attempt {self.attempts} of this session recorded ({verdict})."

    def submit(self, entry: dict[str, Any]) -> str:
        """A submission: the attempt is recorded, the entry becomes the ledger's v2_17, and
        the course's ledger files learn it (:func:`write_back_capstone`).

        Only a submission writes v2_17 (moving a slider writes nothing), so the ledger, the
        timeline and the HUD all show what was submitted."""
        attempt = self.record_attempt(entry)
        saved = self.save(entry)
        note = attempt if saved.startswith("Saved") else f"{attempt} {saved}"
        return f"{note} {write_back_capstone(self.access)}".strip()


def write_back_capstone(access: LedgerAccess) -> str:
    """After a Submit: the store's v2_17 into the course's ledger files; a note ("" if none).

    Off when ``CONSTRAINTLAB_COURSE_WRITEBACK=0`` (``constraintlab run --no-course-writeback``),
    for a sample store, and when no course ledger file exists. Never raises.
    """
    ledger = access.ledger
    if ledger is None or not writeback_enabled():
        return ""
    try:
        if ledger.is_sample:
            return ""
        results = sync_capstone(ledger)
    except Exception as problem:  # the page reports it; the attempt is recorded anyway
        return f"Your course ledger was not updated: {problem}"
    return " ".join(result.line() for result in results)
