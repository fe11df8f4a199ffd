import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="The Constraints Never Lie", css_file="lab.css")

with app.setup:
    # The notebook only wires controls to the engine, the explorer, the ledger and the view
    # builders: every formula lives in the package, every HTML string is built (and escaped)
    # by constraintlab.views.
    import marimo as mo

    from constraintlab.app import wiring
    from constraintlab.explore import census, feasibility_slice, nearest_approved, sensitivity
    from constraintlab.model.design import CONTROLS
    from constraintlab.model.engine import CONSTRAINT_LABELS, evaluate
    from constraintlab.model.explain import derivation_line, levers
    from constraintlab.simulate.fleet import quick_check
    from constraintlab.views import instruments, journey, montecarlo, prose, scorecards
    from constraintlab.views import questions as qs
    from constraintlab.views.assumptions import assumptions_panel_html
    from constraintlab.views.html import callout, esc


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
            mo.ui.plotly(journey.hit_rate_figure(lab_journey)),
            mo.ui.plotly(journey.accuracy_figure(lab_journey)),
        ]
    )
    return


@app.cell(hide_code=True)
def _(act1_pred, lab_journey):
    mo.stop(act1_pred.value is None)
    mo.Html(qs.feedback_html(qs.act1_reveal(act1_pred.value, journey.ledger_facts(lab_journey))))
    return


@app.cell(hide_code=True)
def _():
    act1_reflection = mo.ui.radio(
        options=qs.ACT1_REFLECTION.labels(), label=f"**Reflection.** {qs.ACT1_REFLECTION.prompt}"
    )
    act1_reflection
    return (act1_reflection,)


@app.cell(hide_code=True)
def _(act1_reflection):
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
    *Design under six constraints · 20-25 minutes*
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.Html(prose.act2_message_html())
    return


@app.cell
def _():
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
    return (control_memory,)


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
                steps=wiring.slider_steps(name),
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
                value=prose.STRATEGY_LABELS[
                    control_memory.get("parallelism", CONTROLS["parallelism"].default)
                ],
                label="**Parallelism strategy**",
            )
        }
    )
    mo.vstack(
        [
            mo.md("### Architecture synthesiser"),
            mo.hstack(
                [
                    mo.vstack([controls[name] for name in wiring.SLIDERS[:3]]),
                    mo.vstack([controls[name] for name in wiring.SLIDERS[3:]]),
                ],
                widths="equal",
                gap=2,
                wrap=True,
            ),
            controls["parallelism"],
        ]
    )
    return (controls,)


@app.cell
def _(act2_pred, context_toggle, control_memory, controls):
    # the context toggle is live before the controls exist: wait for the prediction
    mo.stop(act2_pred.value is None)
    control_memory.update(controls.value)
    design = wiring.design_from_controls(controls.value, context_toggle.value)
    return (design,)


@app.cell
def _(design):
    card = evaluate(design)
    return (card,)


@app.cell(hide_code=True)
def _(card):
    mo.Html(scorecards.status_html(card))
    return


@app.cell(hide_code=True)
def _(card):
    mo.Html(
        scorecards.scorecards_html(
            card, {r.name: derivation_line(r, card) for r in card.constraints.values()}
        )
        + scorecards.budget_html(card)
    )
    return


@app.cell(hide_code=True)
def _(card):
    mo.Html(
        scorecards.approved_html(card)
        if card.approved
        else scorecards.levers_html(levers(card), CONSTRAINT_LABELS)
    )
    return


@app.cell
def _():
    submit_button = mo.ui.run_button(label="Submit architecture", kind="success")
    return (submit_button,)


@app.cell(hide_code=True)
def _(attempt_note, submit_button):
    mo.hstack([submit_button, mo.Html(esc(attempt_note))], justify="start", align="center")
    return


@app.cell
def _():
    montecarlo_button = mo.ui.run_button(label="Monte Carlo check: simulate this fleet")
    return (montecarlo_button,)


@app.cell(hide_code=True)
def _(design, montecarlo_button):
    # runs only on a click (a few seconds at most); a control change clears the result
    if montecarlo_button.value:
        with mo.status.spinner(title="Simulating requests, failures and checkpoints..."):
            montecarlo_result = quick_check(design)
    else:
        montecarlo_result = (None, None)
    mo.vstack(
        [
            mo.md("### Do the scorecards tell the truth? Simulate them"),
            montecarlo_button,
            mo.Html(montecarlo.montecarlo_html(*montecarlo_result)),
        ]
    )
    return


@app.cell
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
    nearest_button = mo.ui.run_button(label="Show me the nearest approved design")
    return heat_axes, nearest_button


@app.cell(hide_code=True)
def _(design, heat_axes):
    if heat_axes.value["x"] == heat_axes.value["y"]:
        _view = callout("warn", "Pick two different controls", esc("The map needs two axes."))
    else:
        _view = instruments.heatmap_html(
            feasibility_slice(design, heat_axes.value["x"], heat_axes.value["y"]),
            heat_axes.value["x"],
            heat_axes.value["y"],
            CONSTRAINT_LABELS | {"gpu_budget": "GPU budget"},
        )
    mo.vstack(
        [
            mo.md("### Instruments"),
            mo.hstack([heat_axes["x"], heat_axes["y"]], justify="start", wrap=True),
            mo.Html(_view),
        ]
    )
    return


@app.cell(hide_code=True)
def _(card, design):
    mo.Html(instruments.tornado_html(sensitivity(design), card.n_met, CONSTRAINT_LABELS))
    return


@app.cell(hide_code=True)
def _(design, nearest_button):
    mo.vstack(
        [
            nearest_button,
            mo.Html(
                instruments.nearest_html(
                    nearest_approved(design) if nearest_button.value else None,
                    asked=nearest_button.value,
                )
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(act2_pred, card, lab_census):
    mo.Html(qs.feedback_html(qs.act2_reveal(act2_pred.value, card, lab_census)))
    return


@app.cell(hide_code=True)
def _():
    act2_reflection = mo.ui.radio(
        options=qs.ACT2_REFLECTION.labels(), label=f"**Reflection.** {qs.ACT2_REFLECTION.prompt}"
    )
    act2_reflection
    return (act2_reflection,)


@app.cell(hide_code=True)
def _(act2_pred, act2_reflection, card, lab_census):
    # card is undefined until the prediction unlocks Act II: stop before reading it
    mo.stop(act2_pred.value is None)
    mo.Html(
        callout("warn", "Your turn", esc("Choose an answer above to see the feedback."))
        if act2_reflection.value is None
        else qs.feedback_html(qs.act2_reflection_feedback(act2_reflection.value, card, lab_census))
    )
    return


@app.cell(hide_code=True)
def _(lab_census):
    mo.accordion(
        {
            "The fundamental conflict: DP noise against adversarial robustness": mo.md(
                prose.dp_vs_adversarial_md(lab_census)
            )
        }
    )
    return


@app.cell
def _():
    get_capstone, set_capstone = mo.state(None)
    return get_capstone, set_capstone


@app.cell(hide_code=True)
def _(get_capstone, lab_journey):
    mo.vstack(
        [
            mo.md("---\n## Your journey through the course"),
            mo.Html(journey.timeline_html(lab_journey, get_capstone())),
        ]
    )
    return


@app.cell
def _(ledger_access):
    saver = wiring.EntrySaver(ledger_access)
    return (saver,)


@app.cell
def _(act1_pred, act2_pred, card, saver, set_capstone):
    # re-run by act1_pred even while Act II is locked, when card does not exist yet
    mo.stop(act2_pred.value is None)
    capstone_entry = wiring.capstone_entry(
        card, act1_pred.value, qs.ACT1_PREDICTION.is_correct(act1_pred.value), act2_pred.value
    )
    save_note = saver.save(capstone_entry)
    set_capstone(capstone_entry)
    return capstone_entry, save_note


@app.cell(hide_code=True)
def _(capstone_entry, saver, submit_button):
    attempt_note = saver.record_attempt(capstone_entry) if submit_button.value else ""
    return (attempt_note,)


@app.cell(hide_code=True)
def _(act2_pred, attempt_note, card, save_note):
    mo.Html(
        scorecards.hud_html(
            card,
            prediction=act2_pred.value,
            prediction_correct=qs.ACT2_PREDICTION.is_correct(act2_pred.value),
            notes=[save_note, attempt_note],
        )
    )
    return


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
    mo.Html(assumptions_panel_html())
    return


if __name__ == "__main__":
    app.run()
