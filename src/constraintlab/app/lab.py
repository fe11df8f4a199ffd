# /// script
# requires-python = ">=3.11"
#
# [tool.marimo.display]
# theme = "system"  # follow the reader's prefers-color-scheme (the lab's CSS follows marimo)
# ///
import marimo

__generated_with = "0.25.2"
app = marimo.App(
    width="medium",
    app_title="The Constraints Never Lie",
    css_file="lab.css",
    html_head_file="lab_head.html",
)

with app.setup:
    # The notebook only wires controls to the engine, the explorer, the ledger and the view
    # builders: every formula lives in the package, every HTML string is built (and escaped)
    # by constraintlab.views.
    import marimo as mo

    from constraintlab.app import wiring
    from constraintlab.app.cached import cached_heatmap_html, cached_sensitivity
    from constraintlab.app.step_html import StepHtml
    from constraintlab.explore import census
    from constraintlab.explore.advice import TARGETS, advise
    from constraintlab.model.design import CONTROLS
    from constraintlab.model.engine import CONSTRAINT_LABELS, evaluate
    from constraintlab.model.explain import derivation_line
    from constraintlab.views import (
        chart_text,
        coach,
        instruments,
        journey,
        montecarlo,
        prose,
        scorecards,
    )
    from constraintlab.views import questions as qs
    from constraintlab.views.assumptions import assumption_reveal_html, assumptions_panel_html
    from constraintlab.views.html import callout, esc, tag


@app.cell(hide_code=True)
def _():
    mo.Html(prose.header_html())
    return


@app.cell(hide_code=True)
def _():
    mo.callout(
        mo.md(
            """
            **Read first.** This lab draws on the closing chapter of the book:

            - *Constraints drive architecture*: the one principle behind every invariant, and
              why physical limits cannot be abstracted away;
            - *Volume I in one view*: the single-machine invariant families and how they
              combine as systems grow;
            - *Volume II in one view*: the distributed-systems invariants that appear only at
              fleet scale;
            - *Planet-scale case study*: real hyperscaler decisions read as negotiations
              between competing constraints.
            """
        ),
        kind="info",
    )
    return


@app.cell(hide_code=True)
def _():
    mo.md("""
    ---
    ## Act I · Design Ledger archaeology
    *Calibrate your intuition · 12-15 minutes*
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.Html(prose.act1_message_html())
    return


@app.cell
def _():
    ledger_access = wiring.open_ledger_safely()
    return (ledger_access,)


@app.cell
def _():
    sample_button = mo.ui.run_button(label="Load a sample journey (sample data, not yours)")
    return (sample_button,)


@app.cell
def _(ledger_access, sample_button):
    lab_journey = wiring.read_journey(ledger_access, load_sample=sample_button.value)
    return (lab_journey,)


@app.cell(hide_code=True)
def _(lab_journey):
    # a ledger that cannot be read is said at once; the lab works on without it
    mo.Html(journey.ledger_notes_html(lab_journey) + journey.domain_table_html(lab_journey))
    return


@app.cell(hide_code=True)
def _():
    act1_pred = mo.ui.radio(
        options=qs.ACT1_PREDICTION.labels(),
        label=f"**Your prediction.** {qs.ACT1_PREDICTION.prompt}",
    )
    act1_pred
    return (act1_pred,)


@app.cell(hide_code=True)
def _(act1_pred, lab_journey, sample_button):
    mo.stop(
        act1_pred.value is None,
        mo.Html(callout("warn", "Locked", esc("Choose a prediction above to open your ledger."))),
    )
    mo.vstack(
        [
            mo.Html(journey.empty_state_html(lab_journey)),
            sample_button if lab_journey.is_empty else mo.md(""),
            mo.Html(journey.summary_cards_html(lab_journey)),
            mo.Html(journey.hit_rate_chart_html(lab_journey)),
            mo.Html(journey.accuracy_chart_html(lab_journey)),
        ]
    )
    return


@app.cell(hide_code=True)
def _(act1_pred, lab_journey):
    mo.stop(act1_pred.value is None)
    mo.Html(qs.feedback_html(qs.act1_reveal(act1_pred.value, journey.ledger_facts(lab_journey))))
    return


@app.cell
def _():
    # the reflections' answers, so a reflection rebuilt because the student changed their
    # prediction keeps the answer already given (written by the radio, read only at rebuild)
    answer_memory = {}
    return (answer_memory,)


@app.cell(hide_code=True)
def _(act1_pred, answer_memory):
    # the reflection opens after the prediction, so its feedback cannot give that answer away
    mo.stop(
        act1_pred.value is None,
        mo.Html(callout("warn", "Locked", esc("The reflection opens after your prediction."))),
    )
    act1_reflection = mo.ui.radio(
        options=qs.ACT1_REFLECTION.labels(),
        value=wiring.remembered(answer_memory, qs.ACT1_REFLECTION),
        label=f"**Reflection.** {qs.ACT1_REFLECTION.prompt}",
        on_change=wiring.remember(answer_memory, qs.ACT1_REFLECTION),
    )
    act1_reflection
    return (act1_reflection,)


@app.cell(hide_code=True)
def _(act1_pred, act1_reflection):
    mo.stop(act1_pred.value is None)
    mo.Html(
        callout("warn", "Your turn", esc("Choose an answer above to see the feedback."))
        if act1_reflection.value is None
        else qs.feedback_html(qs.act1_reflection_feedback(act1_reflection.value))
    )
    return


@app.cell(hide_code=True)
def _():
    mo.accordion(
        {"The governing equations of the invariant families": mo.md(prose.governing_equations_md())}
    )
    return


@app.cell(hide_code=True)
def _():
    mo.md("""
    ---
    ## Act II · The final architecture challenge
    *Design under all the constraints at once · 20-25 minutes*
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.Html(prose.act2_message_html())
    return


@app.cell
def _():
    _missing = wiring.missing_grid_plans()
    if _missing:  # a first start (or a new scenario): a visible line while the plans build
        with mo.status.progress_bar(
            total=len(_missing), title=prose.PLANS_BUILDING_TITLE, remove_on_exit=True
        ) as _bar:
            wiring.build_plans(_missing, _bar.update)
    lab_census = census()
    return (lab_census,)


@app.cell(hide_code=True)
def _():
    context_toggle = mo.ui.radio(
        options=prose.context_labels(),
        value=next(iter(prose.context_labels())),
        label="**Deployment context**",
        inline=True,
    )
    context_toggle
    return (context_toggle,)


@app.cell(hide_code=True)
def _():
    act2_pred = mo.ui.radio(
        options=qs.ACT2_PREDICTION.labels(),
        label=f"**Your prediction.** {qs.ACT2_PREDICTION.prompt}",
    )
    act2_pred
    return (act2_pred,)


@app.cell
def _():
    # the controls' latest values, so the synthesiser keeps them when it is rebuilt because the
    # student changed their prediction (written by the design cell, read only at rebuild)
    control_memory = {}
    # the design on screen, for the buttons' answers (a click asks about the design shown then;
    # a slider step does not re-run them, and each answer names the design it is for)
    design_on_screen = {}
    return control_memory, design_on_screen


@app.cell
def _():
    # The feedback on the Act II prediction and reflection, as drawn: the design cell sets them
    # only when their words change, so a slider step that changes neither redraws neither
    get_reveal_view, set_reveal_view = mo.state("")
    get_reflection_view, set_reflection_view = mo.state("")
    return get_reflection_view, get_reveal_view, set_reflection_view, set_reveal_view


@app.cell(hide_code=True)
def _(act2_pred, control_memory):
    mo.stop(
        act2_pred.value is None,
        mo.Html(
            callout(
                "warn", "Locked", esc("Commit to a prediction above to unlock the instruments.")
            )
        ),
    )
    controls = mo.ui.dictionary(
        {
            name: mo.ui.slider(
                *wiring.slider_range(name),
                value=control_memory.get(name, wiring.slider_default(name)),
                label=prose.control_label(name),
                show_value=True,
                full_width=True,
            )
            for name in wiring.SLIDERS
        }
        | {
            "parallelism": mo.ui.radio(
                options=prose.strategy_labels(),
                value=prose.strategy_label(
                    control_memory.get("parallelism", CONTROLS["parallelism"].default)
                ),
                label="**Parallelism strategy**",
            )
        }
    )
    mo.vstack(
        [
            mo.md("### Architecture synthesiser"),
            # two columns on a wide screen, one on a phone (.cl-sliders in lab.css)
            mo.Html(
                tag("div", "".join(controls[n].text for n in wiring.SLIDERS), cls="cl-sliders")
            ),
            controls["parallelism"],
        ]
    )
    return (controls,)


@app.cell(hide_code=True)
def _(act2_pred, context_toggle, control_memory, controls, design_on_screen):
    # The design and the status strip (the verdict, fixed at the foot of the window) first, in
    # a cell of their own: the smallest output a step sends, so the verdict is drawn as soon as
    # the kernel has it. The context toggle is live before the controls exist: wait for the
    # prediction. The four cells a step re-runs draw StepHtml: marimo's page then does not
    # re-parse their HTML for its outline on every message about them (see step_html).
    mo.stop(act2_pred.value is None)
    control_memory.update(controls.value)
    design = wiring.design_from_controls(controls.value, context_toggle.value)
    design_on_screen["design"] = design
    card = evaluate(design)
    StepHtml(scorecards.status_html(card))
    return card, design


@app.cell(hide_code=True)
def _(
    act2_pred,
    act2_reflection,
    card,
    get_reflection_view,
    get_reveal_view,
    hint_buttons,
    hint_levels,
    lab_census,
    region_earned,
    set_reflection_view,
    set_reveal_view,
):
    # The scorecards, the GPU budget and the coaching banners in one cell: each cell a step
    # re-runs costs the page a round of messages and a redraw, so these views share one.
    _cards = mo.Html(
        scorecards.scorecards_html(
            card, {r.name: derivation_line(r, card) for r in card.constraints.values()}
        )
        + scorecards.budget_html(card)
    )
    if card.approved:
        _coaching = [mo.Html(scorecards.approved_html(card))]
    else:
        _advice = advise(card)
        _coaching = [
            mo.vstack(
                [
                    mo.Html(
                        coach.banner_html(
                            card, _advice, target, hint_levels[target], CONSTRAINT_LABELS
                        )
                    ),
                    hint_buttons[target],
                ]
            )
            for target in _advice.failing
        ]
    # the Act II feedback further down follows the design; redrawn only when its words change
    wiring.redraw_if_changed(
        get_reveal_view,
        set_reveal_view,
        qs.feedback_html(qs.act2_reveal(act2_pred.value, card, lab_census, region_earned)),
    )
    wiring.redraw_if_changed(
        get_reflection_view,
        set_reflection_view,
        callout("warn", "Your turn", esc("Choose an answer above to see the feedback."))
        if act2_reflection.value is None
        else qs.feedback_html(
            qs.act2_reflection_feedback(act2_reflection.value, card, lab_census, region_earned)
        ),
    )
    StepHtml(mo.vstack([_cards, *_coaching]).text)
    return


@app.cell
def _():
    # one hint button per constraint (and the GPU budget); each counts its clicks
    hint_buttons = mo.ui.dictionary(
        {
            target: mo.ui.button(
                value=0,
                on_click=wiring.count_click,
                label=f"Next hint: {coach.target_label(target, CONSTRAINT_LABELS)}",
            )
            for target in TARGETS
        }
    )
    return (hint_buttons,)


@app.cell
def _(hint_buttons):
    hint_levels = wiring.hint_levels(hint_buttons.value)
    return (hint_levels,)


@app.cell(hide_code=True)
def _():
    # drawn here, not by the note's cell: a widget redrawn on every slider step is rebuilt
    submit_button = mo.ui.run_button(label="Submit architecture", kind="success")
    submit_button
    return (submit_button,)


@app.cell(hide_code=True)
def _(attempt_note):
    mo.Html(esc(attempt_note))
    return


@app.cell(hide_code=True)
def _():
    # what was submitted last (None: nothing yet), how often "show me" was pressed and how
    # often the assumptions reveal answered (both are reveals in the record)
    get_submitted, set_submitted = mo.state(None)
    get_reveals, set_reveals = mo.state(0)
    get_assumption_reveals, set_assumption_reveals = mo.state(0)
    return (
        get_assumption_reveals,
        get_reveals,
        get_submitted,
        set_assumption_reveals,
        set_reveals,
        set_submitted,
    )


@app.cell
def _(get_reveals, get_submitted, lab_journey):
    # the capstone on record: this session's submission, else the one the ledger already held
    capstone_record = wiring.capstone_on_record(get_submitted(), lab_journey)
    region_earned = wiring.region_earned(capstone_record, get_reveals())
    return capstone_record, region_earned


@app.cell(hide_code=True)
def _():
    # widgets are drawn by the cell that makes them, never by a cell a slider re-runs (a
    # redrawn widget is a new element for the browser to build)
    montecarlo_button = mo.ui.run_button(label="Monte Carlo check: simulate this fleet")
    mo.vstack([mo.md("### Do the scorecards tell the truth? Simulate them"), montecarlo_button])
    return (montecarlo_button,)


@app.cell(hide_code=True)
def _(design_on_screen, montecarlo_button):
    # runs only on a click (a few seconds at most), for the design on screen at that moment
    mo.stop(
        not montecarlo_button.value or "design" not in design_on_screen,
        mo.Html(montecarlo.montecarlo_html(None, None)),
    )
    with mo.status.spinner(title="Simulating requests, failures and checkpoints..."):
        _answer = wiring.monte_carlo(design_on_screen["design"])
    # the result, or one sentence saying why there is none (never a blank panel)
    mo.Html(
        scorecards.answer_for_html(design_on_screen["design"])
        + (
            montecarlo.cannot_simulate_html(_answer.cannot)
            if _answer.cannot
            else montecarlo.montecarlo_html(_answer.report, _answer.sample_ms)
        )
    )
    return


@app.cell(hide_code=True)
def _():
    heat_axes = mo.ui.dictionary(
        {
            "x": mo.ui.dropdown(
                options=instruments.axis_options(),
                value=CONTROLS["model_size_b"].label,
                label="Across (x)",
            ),
            "y": mo.ui.dropdown(
                options=instruments.axis_options(),
                value=CONTROLS["dp_epsilon"].label,
                label="Up (y)",
            ),
        }
    )
    mo.vstack(
        [
            mo.md("### Instruments"),
            mo.hstack([heat_axes["x"], heat_axes["y"]], justify="start", wrap=True),
        ]
    )
    return (heat_axes,)


@app.cell(hide_code=True)
def _(card, design, footer_drawn, heat_axes):
    # the heat map and the tornado in one cell: each cell a slider re-runs costs the page a
    # round of messages and a redraw, so the instruments share one. They are the slowest
    # output of a step, so they come last: reading footer_drawn runs the footer first.
    mo.stop(not footer_drawn)
    if heat_axes.value["x"] == heat_axes.value["y"]:
        _view = callout("warn", "Pick two different controls", esc("The map needs two axes."))
    else:
        _view = cached_heatmap_html(
            design,
            heat_axes.value["x"],
            heat_axes.value["y"],
            CONSTRAINT_LABELS | {"gpu_budget": "GPU budget"},
        )
    _rows = cached_sensitivity(design)
    StepHtml(_view + chart_text.sensitivity_figure(_rows, card.n_met, CONSTRAINT_LABELS))
    return


@app.cell(hide_code=True)
def _():
    nearest_button = mo.ui.run_button(
        label="Show me the nearest approved design (counts as a reveal in your record)"
    )
    nearest_button
    return (nearest_button,)


@app.cell(hide_code=True)
def _(design_on_screen, nearest_button, set_reveals):
    # runs only on a click, for the design on screen at that moment; a reveal in the record
    mo.stop(
        not nearest_button.value or "design" not in design_on_screen,
        mo.Html(instruments.nearest_html(None, asked=False)),
    )
    set_reveals(wiring.count_click)
    _nearest, _stopped = wiring.nearest_answer(design_on_screen["design"])
    mo.Html(
        scorecards.answer_for_html(design_on_screen["design"])
        + (
            callout("warn", "No answer this time", esc(_stopped))
            if _stopped
            else instruments.nearest_html(_nearest, asked=True)
        )
    )
    return


@app.cell(hide_code=True)
def _(get_reveal_view):
    # drawn by the design cell (the feedback follows the design on screen)
    mo.Html(get_reveal_view())
    return


@app.cell(hide_code=True)
def _(act2_pred, answer_memory):
    mo.stop(
        act2_pred.value is None,
        mo.Html(callout("warn", "Locked", esc("The reflection opens after your prediction."))),
    )
    act2_reflection = mo.ui.radio(
        options=qs.ACT2_REFLECTION.labels(),
        value=wiring.remembered(answer_memory, qs.ACT2_REFLECTION),
        label=f"**Reflection.** {qs.ACT2_REFLECTION.prompt}",
        on_change=wiring.remember(answer_memory, qs.ACT2_REFLECTION),
    )
    act2_reflection
    return (act2_reflection,)


@app.cell(hide_code=True)
def _(get_reflection_view):
    # drawn by the design cell (the feedback quotes the design on screen)
    mo.Html(get_reflection_view())
    return


@app.cell(hide_code=True)
def _(lab_census, region_earned):
    mo.accordion(
        {
            "The fundamental conflict: DP noise against adversarial robustness": mo.md(
                prose.dp_vs_adversarial_md(lab_census, region_earned)
            )
        }
    )
    return


@app.cell(hide_code=True)
def _(get_submitted, lab_journey):
    # the capstone's chip follows what was submitted, never the sliders
    mo.vstack(
        [
            mo.md("---\n## Your journey through the course"),
            mo.Html(journey.timeline_html(lab_journey, get_submitted())),
        ]
    )
    return


@app.cell
def _(ledger_access):
    saver = wiring.EntrySaver(ledger_access)
    return (saver,)


@app.cell(hide_code=True)
def _(
    act1_pred,
    act2_pred,
    design_on_screen,
    get_assumption_reveals,
    get_reveals,
    hint_levels,
    lab_journey,
    saver,
    set_submitted,
    submit_button,
):
    # only a submission writes the ledger: the attempt and the v2_17 entry, with the help used;
    # it submits the design on screen at the click, so a slider step does not re-run this cell
    mo.stop(act2_pred.value is None)
    attempt_note = ""
    if submit_button.value and "design" in design_on_screen:
        _judged = qs.judge_act1(journey.ledger_facts(lab_journey))
        _entry = wiring.capstone_entry(
            evaluate(design_on_screen["design"]),
            act1_pred.value,
            _judged.right is not None and _judged.right == act1_pred.value,
            act2_pred.value,
            hints_used=sum(hint_levels.values()),
            reveals_used=wiring.reveals_used(get_reveals(), get_assumption_reveals()),
        )
        attempt_note = saver.submit(_entry)
        set_submitted(_entry)
    return (attempt_note,)


@app.cell(hide_code=True)
def _(act2_pred, capstone_record, card, get_assumption_reveals, get_reveals, hint_levels):
    # the footer; the instruments wait for it (footer_drawn), so it is not held up by them.
    # The submission's note is drawn once, under the Submit button; the footer says what is
    # on record (capstone_record), not the note again.
    footer_drawn = True
    StepHtml(
        scorecards.hud_html(
            card,
            prediction=act2_pred.value,
            prediction_correct=qs.ACT2_PREDICTION.is_correct(act2_pred.value),
            notes=(),
            help_used=(
                sum(hint_levels.values()),
                wiring.reveals_used(get_reveals(), get_assumption_reveals()),
            ),
            submitted=capstone_record,
        )
    )
    return (footer_drawn,)


@app.cell(hide_code=True)
def _():
    mo.md("""
    ---
    ## The meta-principle

    Every invariant in this course comes back to one root: **physical and mathematical laws set
    hard ceilings that no amount of engineering dissolves.** HBM bandwidth is fixed by signalling
    physics and pin count. Amdahl's serial fraction caps speedup whatever the cluster size.
    Chouldechova's theorem follows from conditional probability whenever base rates differ.
    Young-Daly is what you get by minimising expected waste under random failures. Little's law
    is steady-state queueing. Differential privacy and adversarial robustness pull the same loss
    landscape in opposite directions, so neither comes free while the other is present.

    What you *can* do is navigate them. An ML systems architect does not ask how to escape the
    memory wall; they ask which architecture that respects the memory wall best meets the
    throughput, latency, cost and safety targets at once. That is the question this course
    trained you to ask.

    ## Key takeaways

    1. **Constraints are the specification, not the obstacle.** Every architectural choice is a
       decision about which constraint to favour when they cannot all be met; the invariants
       give you the exact shape of that trade-off. Read them.
    2. **The bottleneck moves with scale, and that is the whole course.** Memory rules
       single-node inference, communication rules multi-node training, privacy and fairness bind
       at any scale but stay invisible until you look across populations. Knowing which law
       binds when, and why, is the intuition you now carry.
    """)
    return


@app.cell(hide_code=True)
def _():
    # the panel lists every constant up front; what they mean for the student's design is a
    # reveal, asked for one constant (or all) at a time
    _options = wiring.assumption_options()
    assumption_choice = mo.ui.dropdown(
        options=_options,
        value=next(iter(_options)),
        label="Constant",
        full_width=True,
    )
    assumption_button = mo.ui.run_button(
        label="Does my verdict survive its published range? (counts as a reveal in your record)"
    )
    mo.vstack(
        [
            mo.Html(assumptions_panel_html()),
            mo.md("### Does your design rest on an assumption?"),
            mo.hstack([assumption_choice, assumption_button], justify="start", wrap=True),
        ]
    )
    return assumption_button, assumption_choice


@app.cell(hide_code=True)
def _(assumption_button, assumption_choice, design_on_screen, set_assumption_reveals):
    # runs only on a click, for the design on screen at that moment; a reveal in the record
    mo.stop(
        not assumption_button.value or "design" not in design_on_screen,
        mo.Html(assumption_reveal_html(None, asked=False)),
    )
    set_assumption_reveals(wiring.count_click)
    with mo.status.progress_bar(
        total=len(assumption_choice.value),
        title="Checking your design across the published range",
        remove_on_exit=True,
    ) as _bar:
        _found, _stopped = wiring.assumption_reveal(
            design_on_screen["design"], assumption_choice.value, _bar.update
        )
    mo.Html(
        scorecards.answer_for_html(design_on_screen["design"])
        + assumption_reveal_html(_found, asked=True, stopped=_stopped)
    )
    return


if __name__ == "__main__":
    app.run()
