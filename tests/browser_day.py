"""A student's day in chromium (issue 25): no silent button, no lost answer, a page that fits
a phone: the steps that ``test_browser_page`` runs on its own lab server (one server start
for both of its tests).

One page, driven as a student would:

* by keyboard, Tab into a radio group with an answer checked lands on that answer (marimo's
  group landed on its last one; the lab's head script moves it);
* a changed Act I prediction keeps the reflection already answered;
* the Monte Carlo button on a design whose fine-tuning job cannot keep up (70 B, ε 0.1,
  w 0.75, tp_dp, 30 min, 20 %, renewable) says why instead of going blank, and the server's
  log has no exception (``lab_server`` checks it when the server stops);
* a submission's note is on the page once;
* at 390 px, with the assumptions panel open: no element is wider than the window, no chart
  sits in a box that scrolls sideways, the charts drawn are their phone layouts with text of
  11 px or more, and no chart label runs past its chart.

Screenshots at 390 and 1280 px go to ``artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from constraintlab import evaluate
from constraintlab.views.questions import ACT1_REFLECTION
from constraintlab.views.scorecards import design_key
from designs import JOB_CANNOT_KEEP_UP
from test_browser import ARTIFACTS, START_S, STEP_S, full_page, seed_ledger, slider

# the answer in focus inside the first radio group on the page (its value is its label)
FOCUSED_ANSWER_JS = """() => {
  const host = document.activeElement;
  const inner = host && host.shadowRoot ? host.shadowRoot.activeElement : null;
  return inner && inner.getAttribute('role') === 'radio' ? inner.getAttribute('value') : null;
}"""

# every drawn element sticking out of the window, and every box around a chart that scrolls
LAYOUT_JS = """() => {
  const wide = [], scrolling = [];
  const limit = document.documentElement.clientWidth + 1;
  for (const el of document.querySelectorAll('#App *')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    if (box.right > limit || box.left < -1) {
      wide.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className?.baseVal ?? el.className}`
                + ` ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  for (const svg of document.querySelectorAll('#App svg.cl-chart, #App figure svg')) {
    if (!svg.getBoundingClientRect().width) continue;
    for (let el = svg.parentElement; el && el.id !== 'App'; el = el.parentElement) {
      const overflow = getComputedStyle(el).overflowX;
      if ((overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
        scrolling.push(`${svg.id || svg.getAttribute('aria-label')} in ${el.className}`);
      }
    }
  }
  return {wide, scrolling, page: [document.getElementById('App').scrollWidth, limit - 1]};
}"""

# per drawn chart: its smallest text in CSS px, and any text running past its viewBox
CHART_TEXT_JS = """() => {
  const out = {};
  for (const svg of document.querySelectorAll('#App svg.cl-chart')) {
    const shown = svg.getBoundingClientRect().width;
    if (!shown || getComputedStyle(svg).visibility === 'hidden') continue;
    const view = svg.viewBox.baseVal;
    const scale = shown / view.width;
    const texts = [...svg.querySelectorAll('text')];
    const edge = svg.getBoundingClientRect();
    const past = texts.filter((t) => { const b = t.getBoundingClientRect();
      return b.width && (b.left < edge.left - 1 || b.right > edge.right + 1); })
      .map((t) => t.textContent);
    const px = texts.map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
    out[svg.id || svg.getAttribute('aria-label').slice(0, 30)] = {smallest: Math.min(...px), past};
  }
  return out;
}"""


def seed_day_ledger(path: Path) -> None:
    """The browser tests' ledger, plus three Memory labs that all hit a constraint (the hit
    chart's longest note, "100% of 3 labs")."""
    from constraintlab.ledger import open_ledger

    seed_ledger(path)
    ledger = open_ledger(path)
    for key in ("5", "8", "10"):
        ledger.save(key, {"constraint_hit": True, "act1_correct": False})


def students_day(page: Any) -> None:
    """Every step below, in order, on a page just opened at 1280 px."""
    ARTIFACTS.mkdir(exist_ok=True)
    _tab_lands_on_the_checked_answer(page)
    _a_changed_prediction_keeps_the_reflection(page)
    _the_monte_carlo_button_says_why_it_cannot(page)
    _a_submission_says_its_note_once(page)
    _the_page_fits_a_phone(page)


def _tab_lands_on_the_checked_answer(page: Any) -> None:
    page.get_by_text("Power and heat", exact=False).click()
    page.wait_for_timeout(800)
    page.keyboard.press("Shift+Tab")  # out of the group
    page.keyboard.press("Tab")  # and back in
    page.wait_for_function(f"() => ({FOCUSED_ANSWER_JS})() !== null")
    focused = page.evaluate(FOCUSED_ANSWER_JS)
    assert focused.startswith("C)"), f"Tab landed on {focused!r}, not the checked answer"
    # the kernel answers the first click once its start-up (the census) is done: on a busy
    # 2-core machine that can take longer than a server's start
    page.get_by_text("Choose a prediction above to open your ledger").wait_for(
        state="detached", timeout=3 * START_S * 1000
    )


def _a_changed_prediction_keeps_the_reflection(page: Any) -> None:
    reflection = page.get_by_role("radiogroup", name=re.compile("Reflection")).first
    reflection.wait_for()  # opened by the prediction, named by the head script
    reflection.locator('[role="radio"]').nth(1).click()
    checked = '[role="radio"][aria-checked="true"]'
    reflection.locator(checked).wait_for()
    page.get_by_text("None in particular", exact=False).click()
    page.wait_for_timeout(1500)  # the reflection's cell re-runs after the prediction's
    reflection = page.get_by_role("radiogroup", name=re.compile("Reflection")).first
    reflection.locator(checked).wait_for()
    assert reflection.locator(checked).get_attribute("value") == ACT1_REFLECTION.label_for("B")


def _the_monte_carlo_button_says_why_it_cannot(page: Any) -> None:
    page.get_by_text("No architecture meets them all", exact=False).click()
    status = page.locator("#arch-status")
    status.wait_for(timeout=START_S * 1000)
    for label, key, times in (
        ("Model size", "End", 1),
        ("Differential-privacy epsilon", "Home", 1),
        ("Adversarial training weight", "ArrowRight", 9),
    ):
        slider(page, label).focus()
        for _ in range(times):
            page.keyboard.press(key)
    page.get_by_text("Carbon-optimised (", exact=False).click()
    page.wait_for_function(
        "key => document.querySelector('#arch-status')?.dataset.design === key",
        arg=design_key(evaluate(JOB_CANNOT_KEEP_UP)),
        timeout=STEP_S * 3000,
    )
    page.get_by_role("button", name="Monte Carlo check: simulate this fleet").click()
    cannot = page.locator("#mc-cannot")
    cannot.wait_for(timeout=60_000)
    said = cannot.inner_text()
    assert "cannot be simulated" in said and "cannot keep up" in said, said
    assert "smaller model" in said


def _a_submission_says_its_note_once(page: Any) -> None:
    page.get_by_role("button", name="Submit architecture").click()
    page.get_by_text("Attempt 1 of this session recorded").first.wait_for()
    page.wait_for_timeout(500)
    text = page.locator("#App").inner_text()
    assert text.count("Attempt 1 of this session recorded") == 1


def _the_page_fits_a_phone(page: Any) -> None:
    full_page(page, ARTIFACTS / "day-1280.png", 1280)
    page.set_viewport_size({"width": 390, "height": 900})
    page.get_by_text("Assumptions: every constant", exact=False).click()
    page.wait_for_timeout(800)
    full_page(page, ARTIFACTS / "day-390.png", 390)
    layout = page.evaluate(LAYOUT_JS)
    assert layout["wide"] == [], f"wider than the 390 px window: {layout['wide'][:12]}"
    assert layout["scrolling"] == [], f"charts in sideways-scrolling boxes: {layout['scrolling']}"
    assert layout["page"][0] <= layout["page"][1], layout["page"]
    charts = page.evaluate(CHART_TEXT_JS)
    assert {"heatmap-narrow", "tornado-narrow"} <= set(charts), sorted(charts)
    assert "heatmap" not in charts and "tornado" not in charts  # the phone layouts are drawn
    for name, found in charts.items():
        assert found["smallest"] >= 11, (name, found)
        assert found["past"] == [], (name, found["past"])
    for figure in ("heatmap-figure", "tornado-figure", "chart-hit-rate", "domain-table"):
        page.locator(f"#{figure}").screenshot(path=str(ARTIFACTS / f"day-390-{figure}.png"))
    page.emulate_media(color_scheme="dark")
    page.wait_for_timeout(300)
    for figure in ("heatmap-figure", "tornado-figure"):
        page.locator(f"#{figure}").screenshot(path=str(ARTIFACTS / f"day-390-dark-{figure}.png"))
    page.emulate_media(color_scheme="light")
    marker = page.locator("#heat-current-narrow").bounding_box()
    assert marker is not None and marker["x"] >= 0 and marker["x"] + marker["width"] <= 390
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_timeout(500)
    charts = page.evaluate(CHART_TEXT_JS)
    assert "heatmap" in charts and "heatmap-narrow" not in charts  # the wide map on a desktop
    for figure in ("heatmap-figure", "tornado-figure"):
        page.locator(f"#{figure}").screenshot(path=str(ARTIFACTS / f"day-1280-{figure}.png"))
