"""Glue between the marimo page and the package: no formulas, no HTML.

The notebook (``lab.py``) calls these to turn control values into a :class:`Design`, to open the
Design Ledger without ever crashing the page, and to save the capstone's entry only when it
changed. Widgets themselves are created in the notebook (marimo is imported there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from constraintlab.ledger import Ledger, LedgerError, audit, open_ledger
from constraintlab.ledger.archaeology import LAB_DONE, LAB_TODO
from constraintlab.ledger.keys import CAPSTONE_KEY, EARLIER_LAB_KEYS
from constraintlab.ledger.sample import write_sample
from constraintlab.ledger.writeback import sync_capstone, writeback_enabled
from constraintlab.model import registry
from constraintlab.model.design import CONTROLS, Design, NumericControl
from constraintlab.model.engine import Scorecard, evaluate
from constraintlab.views.coach import HINT_STEPS
from constraintlab.views.journey import Journey
from constraintlab.views.questions import Question


def _scenario_from_environment() -> None:
    """``constraintlab run --scenario FILE`` hands the file to the page through the environment."""
    import os

    from constraintlab.model import scenario
    from constraintlab.model.engine import load_scenario  # the baseline checked at load

    path = os.environ.get("CONSTRAINTLAB_SCENARIO")
    if path and scenario.SCENARIO_PATH is None:
        load_scenario(path)


_scenario_from_environment()


def met_fields() -> dict[str, str]:
    """Constraint -> the ledger field its pass flag is saved under (its record's)."""
    return {c.key: c.ledger_field for c in registry.constraints()}


SLIDERS: Final = (
    "model_size_b",
    "dp_epsilon",
    "adv_weight",
    "checkpoint_interval_min",
    "flexible_job_pct",
)


def missing_grid_plans() -> list[tuple[float, str]]:
    """The grid's serving plans not yet in the plan store (all of them on a first start)."""
    from constraintlab.model.serving import PLANS, grid_pairs

    return PLANS.missing(grid_pairs())


def build_plans(pairs: list[tuple[float, str]], step: Callable[[], None]) -> None:
    """Build ``pairs``' plans, calling ``step()`` after each (the page's progress bar)."""
    from constraintlab.model.serving import PLANS

    PLANS.warm(pairs, lambda _done, _total: step())


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
        return LedgerAccess(problem=_could_not_open(problem))
    return LedgerAccess(ledger=ledger, note=ledger.import_note)


def _could_not_open(problem: Exception) -> str:
    """One sentence naming the store (or file) and the cause, as the CLI's error line does."""
    from constraintlab.userpaths import os_error_line

    if isinstance(problem, LedgerError):
        return str(problem)
    if isinstance(problem, OSError):
        return os_error_line(problem)
    return f"{type(problem).__name__}: {problem}"


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
    store = str(access.ledger.path) if is_sample and access.ledger is not None else None
    return Journey(audit(entries), is_sample, tuple(warnings), notes, sample_store=store)


@dataclass(frozen=True)
class MonteCarloAnswer:
    """What the Monte Carlo button shows: the simulation's report and response times, or the
    one sentence saying why there is none (``cannot``)."""

    report: dict[str, Any] | None = None
    sample_ms: Any = None
    cannot: str | None = None


def monte_carlo(
    design: Design, simulate: Callable[[Design], tuple[Any, Any]] | None = None
) -> MonteCarloAnswer:
    """The button's answer for ``design``. Never raises: a design with nothing to simulate
    (:func:`montecarlo.why_not_simulated`) says so before simulating, and a simulation that
    raises becomes a sentence on the page instead of a traceback in the server's log."""
    from constraintlab.simulate.fleet import quick_check
    from constraintlab.views import montecarlo

    try:
        reason = montecarlo.why_not_simulated(evaluate(design))
        if reason is not None:
            return MonteCarloAnswer(cannot=reason)
        report, sample_ms = (simulate or quick_check)(design)
    except Exception as problem:  # the page says what stopped it; the lab works on
        return MonteCarloAnswer(cannot=montecarlo.simulation_failed_sentence(problem))
    return MonteCarloAnswer(dict(report), sample_ms)


def nearest_answer(
    design: Design, find: Callable[[Design], Any] | None = None
) -> tuple[Any, str | None]:
    """The "show me" button's answer: (the nearest approved design or None, None), or
    (None, the sentence saying what stopped the search). Never raises."""
    from constraintlab.explore import nearest_approved

    try:
        return (find or nearest_approved)(design), None
    except Exception as problem:  # the page says what stopped it; the lab works on
        return None, (
            f"The search for the nearest approved design stopped ({type(problem).__name__}:"
            f" {problem}). Your design and its scorecards are unaffected; press the button again."
        )


def assumption_options() -> dict[str, tuple[str, ...]]:
    """The reveal's dropdown: label -> the constants to check, one entry per numeric ranged
    constant (its dotted key, as the answer names it, in the scenario file's order), then all
    of them. Labels stay short: the list must fit a phone's width."""
    from constraintlab.explore.reveal import revealable_keys

    keys = revealable_keys()
    options: dict[str, tuple[str, ...]] = {key: (key,) for key in keys}
    options[f"all {len(keys)} (several seconds)"] = tuple(keys)
    return options


def assumption_reveal(
    design: Design,
    keys: tuple[str, ...],
    progress: Callable[[], None] | None = None,
    reveal: Callable[..., Any] | None = None,
) -> tuple[Any, str | None]:
    """The assumptions reveal's answer for ``design`` under the scenario the page serves:
    (an :class:`~constraintlab.explore.reveal.AssumptionReveal`, None), or (None, the sentence
    saying what stopped it). ``progress()`` is called after each constant. Never raises."""
    from constraintlab.explore.reveal import reveal_assumptions
    from constraintlab.model import scenario

    def step(_done: int, _total: int) -> None:
        if progress is not None:
            progress()

    try:
        found = (reveal or reveal_assumptions)(design, list(keys), scenario.current(), step)
    except Exception as problem:  # the page says what stopped it; the lab works on
        return None, (
            f"The check of your design against the assumptions' ranges stopped"
            f" ({type(problem).__name__}: {problem}). Your design and its scorecards are"
            " unaffected; press the button again."
        )
    return found, None


def reveals_used(nearest: int, assumptions: int) -> int:
    """Every reveal the student asked for: "show me the nearest approved design" and the
    assumptions reveal (the approved region's facts are earned by the first alone)."""
    return int(nearest) + int(assumptions)


def redraw_if_changed(get: Callable[[], str], set_: Callable[[str], None], html: str) -> bool:
    """Hand ``html`` to a view's state only if it differs from what the view shows.

    A marimo state's setter re-runs every cell that reads it, even for an equal value, and
    each re-run cell costs the page a round of messages and a redraw; a slider step that does
    not change a view's words should not redraw it. Returns whether the view was redrawn."""
    if get() == html:
        return False
    set_(html)
    return True


def remember(memory: dict[str, str], question: Question) -> Callable[[str | None], None]:
    """A question's radio ``on_change``: keeps the answer (its letter) in ``memory``.

    A radio rebuilt by marimo (its cell re-ran because something it reads changed, such as
    the prediction above it) starts empty; built with ``value=remembered(memory, question)``
    it keeps the answer the student already gave."""

    def keep(letter: str | None) -> None:
        if letter is None:
            memory.pop(question.key, None)
        else:
            memory[question.key] = letter

    return keep


def remembered(memory: dict[str, str], question: Question) -> str | None:
    """The radio label of the answer ``memory`` holds for ``question`` (None: not answered)."""
    letter = memory.get(question.key)
    return None if letter is None else question.label_for(letter)


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
    for before submitting (``hints_used``: hint steps shown; ``reveals_used``: "show me").

    ``curriculum_complete`` is False here: only the store the entry goes into can say whether
    the student did the curriculum, and :meth:`EntrySaver.submit` sets it from that."""
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
    fields = met_fields()
    for name, key in fields.items():
        entry[key] = bool(card.constraints[name].met)
    entry.update(
        {
            "gpu_budget_met": bool(card.budget.within_budget),
            "constraints_all_met": card.n_met == len(fields),
            "act1_prediction": act1_prediction,
            "act1_correct": bool(act1_correct),
            "act2_prediction": act2_prediction,
            "act2_result": "approved" if card.approved else "infeasible",
            "act2_decision": d.parallelism,
            "constraint_hit": not card.approved,
            "curriculum_complete": False,  # EntrySaver.submit says, from the store it goes to
            "hints_used": int(hints_used),
            "reveals_used": int(reveals_used),
        }
    )
    return entry


def curriculum_complete(ledger: Ledger | None) -> bool:
    """The published ``curriculum_complete`` field, told honestly: true only for a student's
    own ledger (not a sample store) that holds every one of the 32 labs before the capstone.
    A store that cannot be read says False (never raises)."""
    try:
        if ledger is None or ledger.is_sample:
            return False
        return set(EARLIER_LAB_KEYS) <= set(ledger.entries())
    except Exception:  # the save that follows reports the store's problem
        return False


def is_sample_store(ledger: Ledger | None) -> bool:
    """True for a sample store; False for none, the student's own, or one that cannot be read."""
    try:
        return ledger is not None and ledger.is_sample
    except Exception:  # the save reports the store's problem
        return False


def store_name(ledger: Ledger | None) -> str:
    """How a status line names the store: the sample store by its path, else the student's."""
    if ledger is not None and is_sample_store(ledger):
        return f"the SAMPLE store {ledger.path}"
    return "your Design Ledger"


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
        where = store_name(self.access.ledger)
        if entry == self.last_saved:
            return f"Saved to {where} as {CAPSTONE_KEY} (no change since)."
        try:
            self.access.ledger.save(CAPSTONE_KEY, entry)
        except Exception as problem:  # a failed save is reported in the page, not raised
            return f"Not saved: {type(problem).__name__}: {problem}"
        self.last_saved = dict(entry)
        if is_sample_store(self.access.ledger):
            return f"Saved to {where} as {CAPSTONE_KEY}, not to a ledger of your own."
        return f"Saved to {where} as {CAPSTONE_KEY}."

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
        timeline and the HUD all show what was submitted. The entry's ``curriculum_complete``
        is set here, in place, from the store it goes into (:func:`curriculum_complete`), so
        the page shows what was saved."""
        entry["curriculum_complete"] = curriculum_complete(self.access.ledger)
        attempt = self.record_attempt(entry)
        saved = self.save(entry)
        sample = is_sample_store(self.access.ledger)
        note = attempt if saved.startswith("Saved") and not sample else f"{attempt} {saved}"
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
