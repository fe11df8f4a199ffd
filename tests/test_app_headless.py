"""The notebook without a browser: ``app.run()`` with cell overrides, ``marimo check --strict``,
and the file run as a script. HOME and the ledger always point into tmp_path."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from constraintlab import Design, evaluate
from constraintlab.cli.run import lab_path
from constraintlab.model.engine import CONSTRAINT_LABELS, CONSTRAINT_NAMES
from constraintlab.views import questions as qs
from designs import JOB_CANNOT_KEEP_UP

if TYPE_CHECKING:
    from conftest import LabEnv

LAB = lab_path()


def answered(question: qs.Question, letter: str) -> Any:
    """The question's radio with an answer chosen, as the page would hold it."""
    import marimo as mo

    return mo.ui.radio(options=question.labels(), value=question.label_for(letter))


def run_lab(**defs: Any) -> tuple[str, Any]:
    """Run the notebook with ``defs`` overriding cells; all outputs as one HTML string."""
    import marimo as mo

    from constraintlab.app.lab import app

    outputs, names = app.run(defs=defs)
    html = "\n".join(mo.as_html(o).text for o in outputs if o is not None)
    return html, names


def both_predictions() -> dict[str, Any]:
    return {
        "act1_pred": answered(qs.ACT1_PREDICTION, "D"),
        "act2_pred": answered(qs.ACT2_PREDICTION, "B"),
    }


def designed(design: Design) -> dict[str, Any]:
    """The page's controls (and context toggle) set to ``design``, as marimo holds them."""
    from types import SimpleNamespace

    from constraintlab.app import wiring

    values = {name: getattr(design, name) for name in (*wiring.SLIDERS, "parallelism")}
    return {
        "controls": SimpleNamespace(value=values),
        "context_toggle": SimpleNamespace(value=design.context),
    }


def status_of(html: str) -> str:
    match = re.search(r'<div id="arch-status"[^>]*>([^<]*)</div>', html)
    assert match is not None, "no #arch-status in the page"
    return match.group(1)


def card_verdicts(html: str) -> dict[str, str]:
    found = dict(
        re.findall(r'<div id="card-([a-z0-9_]+)" class="cl-card (cl-pass|cl-fail)">', html)
    )
    assert set(found) == set(CONSTRAINT_NAMES)
    return found


def test_default_design_is_not_approved_and_names_its_failures(lab_env: LabEnv) -> None:
    html, names = run_lab(**both_predictions())
    card = evaluate(Design())
    assert names["design"] == Design()
    status = status_of(html)
    assert "INFEASIBLE" in status and "APPROVED" not in status
    for name in card.failing:
        assert CONSTRAINT_LABELS[name] in status
    verdicts = card_verdicts(html)
    assert verdicts == {n: "cl-pass" if r.met else "cl-fail" for n, r in card.constraints.items()}
    assert html.count("✗ FAIL") == len(card.failing)
    # every failing constraint has its banner with the lever that fixes it
    assert html.count('class="cl-callout cl-danger"') == len(card.failing)


def test_an_approved_design_from_the_census_is_approved(lab_env: LabEnv) -> None:
    from constraintlab.explore import census

    example = census().examples[0]
    html, names = run_lab(**both_predictions(), **designed(example))
    assert names["design"] == example
    assert "APPROVED" in status_of(html)
    assert set(card_verdicts(html).values()) == {"cl-pass"}
    assert 'id="approved"' in html


def submitted() -> Any:
    """The submit button as marimo holds it in the run after a click."""
    from types import SimpleNamespace

    return SimpleNamespace(value=True)


def test_answering_the_predictions_writes_nothing_to_the_ledger(lab_env: LabEnv) -> None:
    from constraintlab.ledger import open_ledger

    _, names = run_lab(**both_predictions())
    assert names["attempt_note"] == ""
    assert open_ledger(lab_env.ledger).entries() == {}  # not completed until submitted
    assert open_ledger(lab_env.ledger).attempts() == []


def test_the_capstone_entry_is_saved_with_the_published_fields(lab_env: LabEnv) -> None:
    from constraintlab.ledger import open_ledger

    _, names = run_lab(**both_predictions(), submit_button=submitted())
    assert names["attempt_note"].startswith("Attempt 1 of this session recorded")
    entry = open_ledger(lab_env.ledger).entries()["v2_17"]
    assert open_ledger(lab_env.ledger).attempts()[0].design == entry
    published = {
        "context": "fleet",
        "model_size_b": 7.0,
        "dp_epsilon": 1.0,
        "adv_train_weight": 0.3,
        "parallelism_strategy": "tp_dp",
        "checkpoint_interval_min": 30.0,
        "flexible_job_pct": 20.0,
        "accuracy_met": False,
        "latency_met": True,
        "dp_met": True,
        "adversarial_met": False,
        "carbon_met": True,  # model v2: the default emits far less per study than the baseline
        "fault_tolerance_met": True,
        "constraints_all_met": False,
        "act1_prediction": "D",
        "act1_correct": False,  # an empty ledger cannot grade Act I
        "act2_result": "infeasible",
        "act2_decision": "tp_dp",
        "constraint_hit": True,
        "curriculum_complete": False,  # an empty ledger is not the curriculum (issue 25)
        "hints_used": 0,
        "reveals_used": 0,
    }
    assert {k: entry[k] for k in published} == published


def test_a_ledger_that_cannot_be_read_is_a_warning_not_a_crash(lab_env: LabEnv) -> None:
    lab_env.ledger.write_bytes(b"this is not a ledger\x00" * 20)
    before = lab_env.ledger.read_bytes()
    html, names = run_lab(**both_predictions(), submit_button=submitted())
    assert "Your ledger could not be read" in html
    assert "INFEASIBLE" in status_of(html)  # Act II still works
    assert names["attempt_note"].startswith("Attempt not recorded")
    assert 'id="ledger-empty"' in html  # Act I falls back to the empty state
    assert lab_env.ledger.read_bytes() == before  # and the file is left as it was


def test_an_empty_ledger_gets_the_empty_state_and_the_sample_button(lab_env: LabEnv) -> None:
    html, names = run_lab(act1_pred=answered(qs.ACT1_PREDICTION, "A"))
    assert 'id="ledger-empty"' in html
    assert "Load a sample journey" in html
    assert "design" not in names  # Act II stays locked until its prediction
    assert "Commit to a prediction above" in html


def test_one_click_loads_the_sample_journey_clearly_labelled(lab_env: LabEnv) -> None:
    from types import SimpleNamespace

    from constraintlab.ledger import open_ledger

    pressed = SimpleNamespace(value=True)  # the run button, as marimo holds it after a click
    html, names = run_lab(act1_pred=answered(qs.ACT1_PREDICTION, "D"), sample_button=pressed)
    assert names["lab_journey"].is_sample
    assert "SAMPLE DATA" in html and 'id="sample-banner"' in html
    assert 'id="ledger-summary"' in html and 'id="ledger-empty"' not in html
    assert open_ledger(lab_env.ledger).entries() == {}  # the student's own ledger is untouched


def test_the_sample_journey_is_labelled_and_kept_out_of_the_students_ledger(
    lab_env: LabEnv,
) -> None:
    from constraintlab.app import wiring
    from constraintlab.ledger import open_ledger

    access = wiring.open_ledger_safely()
    journey = wiring.read_journey(access, load_sample=True)
    assert journey.is_sample and not journey.is_empty
    assert journey.audit.most_violated is not None
    assert open_ledger(lab_env.ledger).entries() == {}


def cell_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    return [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("app.cell" in ast.unparse(d) for d in node.decorator_list)
    ]


def returned_names(func: ast.FunctionDef) -> Sequence[str]:
    names: list[str] = []
    for node in ast.walk(func):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            items = value.elts if isinstance(value, ast.Tuple) else [value]
            names += [item.id for item in items if isinstance(item, ast.Name)]
    return names


def test_no_name_shared_between_cells_starts_with_an_underscore() -> None:
    cells = cell_functions(ast.parse(LAB.read_text()))
    assert len(cells) > 30
    for cell in cells:
        shared = [a.arg for a in cell.args.args] + list(returned_names(cell))
        assert not [n for n in shared if n.startswith("_")], cell.lineno


def test_the_notebook_holds_no_formula() -> None:
    """Numbers come from the package: no numeric literal other than 0/1/2 layout values."""
    tree = ast.parse(LAB.read_text())
    numbers = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float)
    }
    assert numbers <= {0, 1, 2, 3}, numbers
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not imported & {"math", "numpy"}


def test_marimo_check_strict_is_clean() -> None:
    marimo = Path(sys.executable).with_name("marimo")
    done = subprocess.run(
        [str(marimo), "check", "--strict", str(LAB)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_running_the_file_as_a_script_exits_0(lab_env: LabEnv) -> None:
    env = {**os.environ, "HOME": str(lab_env.home), "CONSTRAINTLAB_LEDGER": str(lab_env.ledger)}
    done = subprocess.run(
        [sys.executable, str(LAB)], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (lab_env.home / ".mlsys" / "constraintlab.sqlite3").exists()


def test_a_submission_says_its_note_once_not_twice(lab_env: LabEnv) -> None:
    """Issue 25, finding 7: "Attempt 1 ... recorded" was drawn under Submit and in the footer."""
    html, names = run_lab(**both_predictions(), submit_button=submitted())
    note = names["attempt_note"]
    assert note.startswith("Attempt 1 of this session recorded")
    assert html.count("Attempt 1 of this session recorded") == 1


def test_the_monte_carlo_button_on_a_job_that_cannot_keep_up_says_why(lab_env: LabEnv) -> None:
    """Issue 25, finding 2: the panel went blank and the log had a ValueError."""
    html, names = run_lab(
        **both_predictions(), **designed(JOB_CANNOT_KEEP_UP), montecarlo_button=submitted()
    )
    assert names["design"] == JOB_CANNOT_KEEP_UP
    assert 'id="mc-cannot"' in html and "cannot be simulated" in html
    assert "Press the button to simulate" not in html  # replaced by the reason, not blank
