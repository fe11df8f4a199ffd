"""The lab page itself in a real browser: accessibility (axe-core), phone and desktop layout,
dark mode, and no request that leaves this machine.

One lab server (started by ``test_browser.lab_server``, as a student starts it) serves one
journey through the page: Act II locked, then both acts open. In each state axe-core
(bundled by axe-playwright-python) checks the page in the light and the dark scheme at 1280
and 390 px; a serious or critical violation in markup the lab draws fails the test, and those
inside marimo's own widgets are listed in the output (``artifacts/axe-marimo.json``).
Screenshots at 390, 900 and 1280 px and in the dark scheme go to ``artifacts/``; every one of
them also checks that nothing sticks out sideways.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from browser_day import seed_day_ledger, students_day
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

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)
SCHEMES = ("light", "dark")
SERIOUS = {"serious", "critical"}
# an element the lab draws: its own classes and ids (everything else is marimo's)
LAB_MARKUP = '[class*="cl-"], [id^="card-"], #arch-status, #hud, #heatmap, #tornado'

IS_LAB_MARKUP_JS = """([target, labSelector]) => {
  if (target.length !== 1 || typeof target[0] !== 'string') return false;  // a shadow root
  const el = document.querySelector(target[0]);
  return !!(el && el.closest(labSelector));
}"""

# every marimo widget's shadow root: radio groups' names and sliders' value texts
WIDGET_ARIA_JS = """() => {
  const out = {groups: [], sliders: []};
  for (const host of document.querySelectorAll('marimo-radio, marimo-slider')) {
    const root = host.shadowRoot;
    if (!root) continue;
    for (const g of root.querySelectorAll('[role=radiogroup]')) {
      out.groups.push(g.getAttribute('aria-label'));
    }
    for (const s of root.querySelectorAll('[role=slider]')) {
      out.sliders.push([s.getAttribute('aria-valuenow'), s.getAttribute('aria-valuetext')]);
    }
  }
  return out;
}"""

# the smallest chart text on screen, in CSS px: font size x the SVG's scale (of the chart's
# phone layout, ``#heatmap-narrow``, where that is the one drawn)
SMALLEST_CHART_TEXT_JS = """(ids) => {
  const sizes = {};
  for (const id of ids) {
    const drawn = (sel) => { const el = document.querySelector(sel);
      return el && el.getBoundingClientRect().width ? el : null; };
    const svg = drawn(`${id} svg`) ?? drawn(id) ?? drawn(`${id}-narrow`);
    if (!svg || !svg.viewBox.baseVal) continue;
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    const px = [...svg.querySelectorAll('text')]
      .map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
    sizes[id] = Math.min(...px);
  }
  return sizes;
}"""

CHARTS = ("#chart-hit-rate", "#chart-accuracy", "#heatmap", "#tornado")

# every marimo button whose label is drawn (in part) outside its own border
LABELS_OUTSIDE_BUTTONS_JS = """() => {
  const out = [];
  for (const host of document.querySelectorAll('marimo-button')) {
    for (const b of host.shadowRoot?.querySelectorAll('button') ?? []) {
      const box = b.getBoundingClientRect();
      if (!box.width) continue;  // not on screen (a collapsed or locked part of the page)
      const range = document.createRange();
      range.selectNodeContents(b);
      const label = range.getBoundingClientRect();
      if (label.top < box.top - 1 || label.bottom > box.bottom + 1
          || label.left < box.left - 1 || label.right > box.right + 1) {
        out.push(b.textContent.trim());
      }
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A seeded ledger and the lab serving it, for the whole module (both tests)."""
    folder = tmp_path_factory.mktemp("page")
    home = folder / "home"
    home.mkdir()
    ledger = folder / "ledger.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("CONSTRAINTLAB_LEDGER", str(ledger))
        seed_day_ledger(ledger)
        with lab_server(ledger, home) as url:
            yield url, folder


def _axe(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    return list(Axe().run(page).response["violations"])


def _split(page: Any, violations: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Serious and critical findings: (in the lab's markup, in marimo's), one line per node."""
    ours, theirs = [], []
    for v in violations:
        if v["impact"] not in SERIOUS:
            continue
        for node in v["nodes"]:
            line = f"{v['id']} ({v['impact']}): {node['target']} {node['html'][:160]}"
            mine = page.evaluate(IS_LAB_MARKUP_JS, [node["target"], LAB_MARKUP])
            (ours if mine else theirs).append(line)
    return ours, theirs


def _check_every_scheme_and_width(page: Any, state: str, found: dict[str, list[str]]) -> None:
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(500)
            ours, theirs = _split(page, _axe(page))
            found[f"{state} {scheme} {width}px"] = theirs
            assert ours == [], f"{state}, {scheme}, {width} px:\n" + "\n".join(ours)


def test_the_page_is_accessible_legible_on_a_phone_dark_and_local(lab: tuple[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    url, folder = lab
    ARTIFACTS.mkdir(exist_ok=True)
    outside: list[str] = []
    marimo_findings: dict[str, list[str]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(folder / "chromium-profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            here = urlsplit(url).netloc  # this server, whatever query (a token) the URL has

            def local_only(route: Any) -> None:
                if urlsplit(route.request.url).netloc == here:
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            browser.route("**/*", local_only)
            page = browser.new_page()
            page.set_default_timeout(STEP_S * 1000)
            page.goto(url, timeout=START_S * 1000)
            page.get_by_text("None in particular", exact=False).wait_for(timeout=START_S * 1000)
            _check_every_scheme_and_width(page, "locked", marimo_findings)

            page.emulate_media(color_scheme="light")
            page.set_viewport_size({"width": 1280, "height": 900})
            page.get_by_text("None in particular", exact=False).click()
            page.get_by_text("No architecture meets them all", exact=False).click()
            for hook in ("#arch-status", "#heatmap", "#tornado", "#hud", "#chart-hit-rate"):
                page.locator(hook).wait_for(timeout=START_S * 1000)
            _check_widgets_speak(page)
            _check_radio_answer_by_keyboard(page)
            _check_status_strip_follows_focus(page)
            _check_every_scheme_and_width(page, "both acts open", marimo_findings)
            _screenshots_and_layout(page)
        finally:
            browser.close()
    (ARTIFACTS / "axe-marimo.json").write_text(json.dumps(marimo_findings, indent=2) + "\n")
    print("\nserious/critical axe findings inside marimo's widgets (not the lab's markup):")
    for where, lines in marimo_findings.items():
        for line in sorted(set(lines)):
            print(f"  {where}: {line}")
    assert outside == [], f"the page asked outside this machine: {sorted(set(outside))}"


def _check_widgets_speak(page: Any) -> None:
    """Radio groups are named by their question; sliders say value and unit."""
    # the head script names widgets once a burst of drawing has settled (60 ms after it):
    # a group drawn by the last step may take that long
    page.wait_for_function(
        f"() => !({WIDGET_ARIA_JS})().groups.includes('Radio Group')", timeout=5_000
    )
    aria = page.evaluate(WIDGET_ARIA_JS)
    assert aria["groups"] and "Radio Group" not in aria["groups"], aria["groups"]
    assert any(name and "Your prediction" in name for name in aria["groups"])
    assert len(aria["sliders"]) == 5
    for now, said in aria["sliders"]:
        assert said and said.startswith(f"{now}, "), (now, said)
    thumb = slider(page, "Model size")
    before = thumb.get_attribute("aria-valuenow")
    thumb.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "(b) => document.querySelector('#arch-status').dataset.design.split('|')[0] !== b",
        arg=str(float(before or 0)),
    )
    moved = thumb.get_attribute("aria-valuenow")
    assert moved == str(int(before or 0) + 1)  # the value itself, not a step's position
    assert thumb.get_attribute("aria-valuetext") == f"{moved}, billion parameters"
    ring = thumb.evaluate(
        "(t) => [getComputedStyle(t).outlineStyle, getComputedStyle(t).outlineWidth]"
    )
    assert ring == ["solid", "3px"], ring  # a clear focus ring, not marimo's faint one
    page.keyboard.press("ArrowLeft")
    assert page.locator(".modebar-btn, .js-plotly-plot").count() == 0  # no chart toolbars


def _check_radio_answer_by_keyboard(page: Any) -> None:
    """An answer is chosen with the keyboard alone: focus the group, an arrow key picks."""
    group = page.get_by_role("radiogroup", name=re.compile("Reflection")).first
    group.focus()
    page.keyboard.press("ArrowDown")
    group.locator('[role="radio"][aria-checked="true"]').wait_for()
    assert group.locator('[role="radio"][aria-checked="true"]').count() == 1


def _check_status_strip_follows_focus(page: Any) -> None:
    """While any control has focus, the verdict is on screen (a narrow window too)."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        for target in (
            slider(page, "Model size"),
            slider(page, "Deferred fine-tuning"),
            page.get_by_role("button", name="Show me the nearest approved design"),
        ):
            target.focus()
            page.wait_for_timeout(300)
            if width == 390:
                page.screenshot(path=str(ARTIFACTS / "page-390-status-strip.png"))
                spilled = page.evaluate(LABELS_OUTSIDE_BUTTONS_JS)
                assert spilled == [], f"labels drawn outside their buttons at 390 px: {spilled}"
            box = page.locator("#arch-status").bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 800
            assert box["height"] < 160  # a strip, not a second page


def _screenshots_and_layout(page: Any) -> None:
    page.emulate_media(color_scheme="light")
    for width in (1280, 900, 390):
        full_page(page, ARTIFACTS / f"page-{width}-light.png", width)
    sizes = page.evaluate(SMALLEST_CHART_TEXT_JS, list(CHARTS))
    assert set(sizes) == set(CHARTS)
    # at 390 px every chart's text stays at 11 px or more (wide charts redrawn for a phone)
    assert min(sizes.values()) >= 11, sizes
    columns = page.evaluate(
        "() => new Set([...document.querySelectorAll('.cl-sliders marimo-slider')]"
        ".map((s) => Math.round(s.getBoundingClientRect().left))).size"
    )
    assert columns == 1, "the sliders stack in one column on a phone"
    page.emulate_media(color_scheme="dark")
    for width in (390, 1280):
        full_page(page, ARTIFACTS / f"page-{width}-dark.png", width)
    background = page.evaluate(
        "() => getComputedStyle(document.querySelector('.cl-card')).backgroundColor"
    )
    assert background != "rgb(255, 255, 255)", "the scorecards follow the dark scheme"


@contextlib.contextmanager
def _desktop_page(url: str) -> Iterator[Any]:
    """A 1280 x 900 page of the lab in Debian's chromium, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(STEP_S * 1000)
            page.goto(url, timeout=START_S * 1000)
            yield page
        finally:
            browser.close()


def test_a_students_day_keyboard_answers_buttons_and_a_phone(lab: tuple[str, Path]) -> None:
    """Issue 25 (findings 2, 5, 6, 7) on this module's server: see ``browser_day``."""

    url, _ = lab
    with _desktop_page(url) as page:
        page.get_by_text("None in particular", exact=False).wait_for(timeout=START_S * 1000)
        students_day(page)


# four constants the panel must show with their source and range; the reveal is asked for the
# first, on a design whose verdict flips inside its range (test_assumption_reveal checks that)
PANEL_CONSTANTS = (
    "reliability.gpu_mtbf_h",
    "serving.service_time_scv",
    "carbon.pue",
    "reliability.checkpoint_storage_gb_per_s",  # the write that grows with the model
)


def _set_design_rests_on_mtbf(page: Any) -> None:
    """From the default design, by keyboard: 22 B and adversarial weight 0.75 (tp_dp, fleet)."""
    from constraintlab.model.design import CONTROLS, NumericControl
    from constraintlab.model.engine import evaluate
    from constraintlab.views.scorecards import design_key
    from designs import RESTS_ON_MTBF

    for label, name in (("Model size", "model_size_b"), ("Adversarial", "adv_weight")):
        control = CONTROLS[name]
        assert isinstance(control, NumericControl)
        slider(page, label).focus()
        for _ in range(round((getattr(RESTS_ON_MTBF, name) - control.default) / control.step)):
            page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "key => document.querySelector('#arch-status')?.dataset.design === key",
        arg=design_key(evaluate(RESTS_ON_MTBF)),
        timeout=STEP_S * 3000,
    )


def test_the_assumptions_panel_shows_sources_ranges_and_on_request_a_flip(
    lab: tuple[str, Path],
) -> None:
    """Issue 26 item 3: the panel shows four constants' source and range; the flip point of
    the student's design for one of them appears only after the student asks, and the footer
    counts it as a reveal."""

    from constraintlab.app import wiring
    from constraintlab.model import scenario as sc
    from constraintlab.views.assumptions import flip_figure, range_text
    from designs import RESTS_ON_MTBF

    url, _ = lab
    key = PANEL_CONSTANTS[0]
    found, _ = wiring.assumption_reveal(RESTS_ON_MTBF, (key,))
    (flip, _changes), *_ = found.verdicts[0].flips
    with _desktop_page(url) as page:
        page.get_by_text("No architecture meets them all", exact=False).click(
            timeout=START_S * 1000
        )
        page.locator("#arch-status").wait_for(timeout=START_S * 1000)
        page.get_by_text("Assumptions: every constant", exact=False).click()
        for dotted in PANEL_CONSTANTS:
            item = sc.constant(dotted)
            leaf = dotted.rpartition(".")[2]
            row = page.locator(f'details.assumptions tr:has(code:text-is("{leaf}"))')
            said = row.inner_text()
            assert item.source in said and range_text(item) in said, (dotted, said)
            row.screenshot(path=str(ARTIFACTS / f"assumption-row-{leaf}.png"))
        assert page.locator("#assumption-reveal").count() == 0  # not shown up front
        assert "flips at" not in page.locator("#App").inner_text()
        _set_design_rests_on_mtbf(page)
        choice = page.locator('marimo-dropdown[data-label*="Constant"] select')
        choice.select_option(label=key)
        page.wait_for_timeout(500)  # the choice reaches the kernel before the click
        page.get_by_role("button", name="Does my verdict survive").click()
        reveal = page.locator("#assumption-reveal")
        reveal.wait_for(timeout=STEP_S * 3000)
        said = reveal.inner_text()
        assert f"flips at {key} = {flip_figure(flip.flips_at)} {sc.constant(key).unit}" in said
        page.get_by_text("reveals used: 1", exact=False).wait_for()
        page.screenshot(path=str(ARTIFACTS / "assumption-reveal.png"), full_page=False)
