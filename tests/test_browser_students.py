"""Three students play Act II in a real browser, each with their own ledger and server.

1. No hints: follows a scripted path (the explorer's nearest approved design from the default,
   played on the sliders and radios) to approval and submits.
2. Hints: asks one constraint's hints step by step (which way -> why -> how far), then
   follows the same path and submits.
3. Gives up: presses "show me" and submits the design it has.

Each run checks that no fact of the approved region (the census's count, size window and
epsilon band) is on the page before it is earned, and that it is there once earned; and reads
the ledger afterwards: one attempt, and a v2_17 entry that is the submitted design with its
verdict and the help asked for, unchanged by slider moves after the submission.
Expected values come from the engine and the explorer, never typed in. Screenshots at 1280 px
go to ``artifacts/``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from constraintlab.explore import census, nearest_approved
from constraintlab.explore.grid import full_grid, neighbours
from constraintlab.ledger import open_ledger
from constraintlab.ledger.archaeology import DOMAIN_CHAPTERS
from constraintlab.model.design import CONTROLS, Design, NumericControl
from constraintlab.model.engine import CONSTRAINT_LABELS, evaluate
from constraintlab.views import prose, scorecards
from constraintlab.views.questions import ACT1_PREDICTION, ACT2_PREDICTION, judge_act1
from test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    START_S,
    STEP_S,
    full_page,
    lab_server,
    slider,
)

if TYPE_CHECKING:
    from conftest import LabEnv

pytestmark = pytest.mark.browser

WIDTH = 1280


def region_facts() -> list[str]:
    """Sentences only a student who earned the region may read (from the census)."""
    c = census()
    facts = [f"{c.approved:,} of the {c.grid_size:,} designs"]
    if c.min_model_size_b is not None and c.max_model_size_b is not None:
        facts.append(f"models from {c.min_model_size_b:g} to {c.max_model_size_b:g} B")
    if c.epsilon_band is not None:
        facts.append(f"ε from {c.epsilon_band[0]:g} to {c.epsilon_band[1]:g}")
    return facts


def page_text(page: Any) -> str:
    """Everything in the notebook, hidden accordion panes included."""
    return str(page.evaluate("() => document.getElementById('App').textContent"))


def assert_region_hidden(page: Any) -> None:
    text = page_text(page)
    for fact in region_facts():
        assert fact not in text, f"region fact shown before it was earned: {fact}"


def wait_for_design(page: Any, design: Design) -> None:
    key = scorecards.design_key(evaluate(design))
    page.wait_for_function(
        "key => document.querySelector('#arch-status')?.dataset.design === key",
        arg=key,
        timeout=STEP_S * 3000,
    )


def move_to(page: Any, start: Design, target: Design) -> None:
    """Play the change from ``start`` to ``target`` on the page's controls, one at a time."""
    current = start
    for name, control in CONTROLS.items():
        before, after = getattr(current, name), getattr(target, name)
        if before == after:
            continue
        if isinstance(control, NumericControl):
            steps = round((float(after) - float(before)) / control.step)
            handle = slider(page, control.label)
            handle.focus()
            for _ in range(abs(steps)):
                page.keyboard.press("ArrowRight" if steps > 0 else "ArrowLeft")
        elif name == "parallelism":
            page.get_by_text(prose.strategy_label(str(after)), exact=True).click()
        else:
            label = next(k for k, v in prose.context_labels().items() if v == after)
            page.get_by_text(label, exact=True).click()
        current = current.replace(**{name: after})
        wait_for_design(page, current)


def view_of(page: Any, selector: str, name: str) -> None:
    """A 1280 px screenshot of the window scrolled to ``selector`` (cheaper than a full page)."""
    page.locator(selector).first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / name))


def one_step_out(design: Design) -> Design:
    """A design one slider step from ``design`` that the engine does not approve."""
    grid = full_grid()
    for name in CONTROLS:
        for value in neighbours(grid, name, getattr(design, name)):
            if value is not None and not evaluate(design.replace(**{name: value})).approved:
                return design.replace(**{name: value})
    raise AssertionError("every neighbour is approved")


def open_act2(page: Any, act1_letter: str) -> None:
    page.get_by_text(ACT1_PREDICTION.label_for(act1_letter), exact=True).click(
        timeout=START_S * 1000
    )
    page.locator("#journey-timeline").wait_for()
    page.get_by_text(ACT2_PREDICTION.label_for("B"), exact=True).click()
    page.locator("#arch-status").wait_for(timeout=START_S * 1000)
    wait_for_design(page, Design())


def submit(page: Any, verdict: str) -> None:
    page.get_by_role("button", name="Submit architecture").click()
    page.get_by_text(f"Attempt 1 of this session recorded ({verdict})").first.wait_for()
    page.locator("#hud-record").get_by_text(f"Capstone submitted: {verdict}").wait_for()


def seed_memory_ledger(path: Path) -> None:
    """Memory labs hit a limit every time, no other lab did: the student's data say A."""
    ledger = open_ledger(path)
    for domain, labs in DOMAIN_CHAPTERS.items():
        for lab in labs:
            ledger.save(lab, {"constraint_hit": domain == "Memory", "act1_correct": True})
    ledger.close()


def play(lab_env: LabEnv, tmp_path: Path, ledger: Path, script: Callable[[Any], None]) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with lab_server(ledger, lab_env.home) as url, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / f"profile-{ledger.stem}"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": WIDTH, "height": 900},
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(STEP_S * 1000)
            page.goto(url, timeout=START_S * 1000)
            script(page)
            for crash in ("Traceback", "NameError", "An ancestor raised"):
                assert crash not in page_text(page)
        finally:
            browser.close()


def write_empty_course_file(home: Path) -> Path:
    """A ledger_vol2.json in mlsysim 0.3's layout with no labs saved yet."""
    course = home / ".mlsys" / "ledger_vol2.json"
    course.parent.mkdir(parents=True, exist_ok=True)
    state = {"track": "cloud", "current_step": 0, "history": {}, "last_updated": ""}
    course.write_text(json.dumps(state), encoding="utf-8")
    return course


def approval_path() -> Design:
    found = nearest_approved(Design())
    assert found is not None and found.approved
    return found.to_design


def check_submitted(ledger_path: Path, design: Design, *, hints: int, reveals: int) -> None:
    ledger = open_ledger(ledger_path)
    entry = ledger.entries()["v2_17"]
    attempts = ledger.attempts()
    card = evaluate(design)
    assert len(attempts) == 1 and attempts[0].design == entry
    assert entry["act2_result"] == ("approved" if card.approved else "infeasible")
    assert entry["model_size_b"] == design.model_size_b
    assert entry["dp_epsilon"] == design.dp_epsilon
    assert entry["adv_train_weight"] == design.adv_weight
    assert entry["parallelism_strategy"] == design.parallelism
    assert entry["context"] == design.context
    assert entry["hints_used"] == hints and entry["reveals_used"] == reveals
    ledger.close()


def test_a_student_without_hints_reaches_approval_on_the_controls(
    lab_env: LabEnv, tmp_path: Path
) -> None:
    # the student's own default store: the one whose Submit writes ~/.mlsys's course files
    ledger = lab_env.home / ".mlsys" / "constraintlab.sqlite3"
    seed_memory_ledger(ledger)
    course = write_empty_course_file(lab_env.home)  # the course's vol2 file, no labs in it yet
    target = approval_path()
    right = judge_act1(_facts(ledger)).right
    assert right == "A"

    def script(page: Any) -> None:
        # the reflection waits for the prediction
        page.get_by_text("The reflection opens after your prediction.").first.wait_for(
            timeout=START_S * 1000
        )
        open_act2(page, "A")
        assert "Right, by your own data" in page_text(page)
        assert_region_hidden(page)
        view_of(page, "#arch-status", "students-1280-default.png")
        move_to(page, Design(), target)
        page.locator("#approved").wait_for()
        assert_region_hidden(page)  # approval alone is not a submission
        submit(page, "approved")
        page.wait_for_function(
            "fact => document.getElementById('App').textContent.includes(fact)",
            arg=region_facts()[0],
        )
        full_page(page, ARTIFACTS / "students-1280-approved-submitted.png", WIDTH)
        # exploring on after the submission changes nothing in the ledger or the timeline
        move_to(page, target, one_step_out(target))
        timeline = page.locator("#journey-timeline").inner_text()
        assert "capstone: submitted, approved" in timeline

    play(lab_env, tmp_path, ledger, script)
    check_submitted(ledger, target, hints=0, reveals=0)
    assert open_ledger(ledger).entries()["v2_17"]["act1_correct"] is True
    # the Submit also wrote the capstone back: the course's own package reads it
    from mlsysim.labs import DesignLedger

    course_ledger = DesignLedger("vol2")  # HOME is lab_env.home
    assert course_ledger.last_load_error is None, course_ledger.last_load_error
    assert course_ledger.get_design(17) == open_ledger(ledger).entries()["v2_17"], course


def _facts(ledger: Path) -> Any:
    from constraintlab.app import wiring
    from constraintlab.views import journey

    return journey.ledger_facts(wiring.read_journey(wiring.open_ledger_safely(str(ledger))))


def test_a_student_who_asks_for_hints_gets_them_step_by_step(
    lab_env: LabEnv, tmp_path: Path
) -> None:
    ledger = tmp_path / "hints.sqlite3"
    target = approval_path()
    asked = evaluate(Design()).failing[0]
    label = CONSTRAINT_LABELS[asked]

    def script(page: Any) -> None:
        open_act2(page, "D")
        banner = page.locator(f"#banner-{asked}")
        text = banner.inner_text()
        assert "Which way" not in text and "How far" not in text
        button = page.get_by_role("button", name=f"Next hint: {label}")
        steps = ["Which way:", "Why, in this design's numbers:", "How far:"]
        for k, shown in enumerate(steps):
            button.click()
            page.wait_for_function(
                "([id, word]) => document.getElementById(id)?.textContent.includes(word)",
                arg=[f"banner-{asked}", shown],
            )
            text = banner.inner_text()
            assert not [later for later in steps[k + 1 :] if later in text]  # one step a click
            banner.screenshot(path=str(ARTIFACTS / f"students-1280-hint-{k + 1}.png"))
        assert "How far" in banner.inner_text()
        assert "Hints used: 3" in page.locator("#hud-record").inner_text()
        assert_region_hidden(page)
        view_of(page, f"#banner-{asked}", "students-1280-hints.png")
        move_to(page, Design(), target)
        page.locator("#approved").wait_for()
        submit(page, "approved")

    play(lab_env, tmp_path, ledger, script)
    check_submitted(ledger, target, hints=3, reveals=0)


def test_a_student_who_gives_up_is_shown_and_it_is_recorded(
    lab_env: LabEnv, tmp_path: Path
) -> None:
    ledger = tmp_path / "show-me.sqlite3"

    def script(page: Any) -> None:
        page.get_by_text("Commit to a prediction above").first.wait_for(timeout=START_S * 1000)
        view_of(page, "text=Commit to a prediction above", "students-1280-locked.png")
        open_act2(page, "C")
        assert "cannot grade" in page_text(page)  # an empty ledger grades nothing
        assert_region_hidden(page)
        page.get_by_role("button", name="Show me the nearest approved design").click()
        page.locator("#nearest").wait_for()
        page.wait_for_function(
            "fact => document.getElementById('App').textContent.includes(fact)",
            arg=region_facts()[0],
        )
        assert "reveals used: 1" in page.locator("#hud-record").inner_text()
        full_page(page, ARTIFACTS / "students-1280-show-me.png", WIDTH)
        submit(page, "not approved")
        timeline = page.locator("#journey-timeline").inner_text()
        assert "capstone: submitted, not approved" in timeline

    play(lab_env, tmp_path, ledger, script)
    check_submitted(ledger, Design(), hints=0, reveals=1)
