"""The constraint registry owns every constraint: one record each, counts from it.

Issue 27 item 1: a constraint's name, label, unit, decimals, comparison, target, explanation,
mechanism and ledger field were written by hand in a dozen modules, 25 strings a student sees
typed the count ("/6", "of 6", "six constraints"), and a missing explanation was a KeyError at
run time. These tests fail on that code: the six keys appear together only in the registry's
module, no string a student can see types the count, and a record with a missing piece fails
when it is built, naming the constraint. Item 5: advice and the tornado score one batch.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from constraintlab.explore.advice import advise
from constraintlab.explore.sensitivity import sensitivity
from constraintlab.model import registry, vectorized
from constraintlab.model.design import CONTROLS, Design
from constraintlab.model.engine import CONSTRAINT_LABELS, CONSTRAINT_NAMES, evaluate

SRC = Path(__file__).resolve().parents[1] / "src" / "constraintlab"
REGISTRY_MODULES = {SRC / "model" / "constraints.py"}
SIX = (
    "accuracy",
    "p99_latency",
    "dp_privacy",
    "adversarial_robustness",
    "carbon_reduction",
    "fault_tolerance",
)
COUNT_TYPED = re.compile(
    r"\b\d/6\b|\{[^{}]*\}/6\b|\bof 6\b|\(of 6\)|\bsix constraints\b|\ball six\b"
    r"|\bfive non-carbon\b|\bother five\b",
    re.IGNORECASE,
)


def _sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*") if p.suffix in {".py", ".html", ".css", ".md"})


def test_the_six_keys_appear_together_only_in_the_registry() -> None:
    together = [
        path
        for path in _sources()
        if all(f'"{key}"' in path.read_text(encoding="utf-8") for key in SIX)
    ]
    assert set(together) == REGISTRY_MODULES, together
    assert tuple(CONSTRAINT_NAMES) == SIX  # the scorecard's order is the registry's


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string literal of a module that is not a docstring (f-strings' literal parts
    joined with a placeholder), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
            )
            found.append((node.lineno, text))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            found.append((node.lineno, node.value))
    return found


def test_no_string_a_student_sees_types_the_number_of_constraints() -> None:
    typed = [
        f"{path.relative_to(SRC)}:{line}: {text!r}"
        for path in _sources()
        if path.suffix == ".py"
        for line, text in _strings(path)
        if COUNT_TYPED.search(text)
    ]
    html = [
        f"{path.relative_to(SRC)}: {match.group(0)!r}"
        for path in _sources()
        if path.suffix in {".html", ".css"}
        for match in COUNT_TYPED.finditer(path.read_text(encoding="utf-8"))
    ]
    assert typed + html == []


def test_counts_on_the_page_and_in_the_cli_are_the_registrys() -> None:
    from constraintlab.views import instruments, scorecards

    card = evaluate(Design())
    total = registry.count()
    assert total == len(card.constraints) == len(CONSTRAINT_NAMES) == len(CONSTRAINT_LABELS)
    assert f"{card.n_met}/{total} constraints met" in scorecards.status_text(card)
    assert instruments.level_names()[-2] == f"{total}/{total}, over GPU budget"
    assert len(instruments.level_colours()) == total + 2


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("mechanism", "", "mechanism must be a non-empty string"),
        ("ledger_field", " ", "ledger_field must be a non-empty string"),
        ("comparison", "=>", "comparison '=>' is not one of"),
        ("decimals", 1.5, "decimals 1.5 is not a whole"),
        ("kind", "anything", "kind 'anything' is not one of"),
        ("explain", None, "explain must be a function"),
        ("score_many", "x", "score_many must be a function"),
    ],
)
def test_a_record_with_a_missing_piece_fails_when_built_naming_the_constraint(
    field: str, value: object, words: str
) -> None:
    shipped = registry.get("dp_privacy")
    with pytest.raises(registry.RegistryError, match=re.escape(words)) as caught:
        replace(shipped, key="dp_privacy_again", **{field: value})
    assert str(caught.value).startswith("constraint 'dp_privacy_again': ")


def test_registering_a_clash_is_refused_naming_it() -> None:
    shipped = registry.get("accuracy")
    with pytest.raises(registry.RegistryError, match="'accuracy': is registered already"):
        registry.register(shipped)
    with pytest.raises(registry.RegistryError, match="ledger field 'accuracy_met' is taken"):
        registry.register(replace(shipped, key="accuracy_too"))
    with pytest.raises(registry.RegistryError, match=re.escape("no target 'targets.not_a_target'")):
        registry.register(
            replace(
                shipped, key="accuracy_too", ledger_field="x_met", target_key="targets.not_a_target"
            )
        )
    assert tuple(CONSTRAINT_NAMES) == SIX


def test_advice_and_the_tornado_score_one_batch_per_design(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sizes: list[int] = []
    real = vectorized._evaluate_arrays

    def counting(n: dict[str, Any], *rest: Any) -> Any:
        sizes.append(int(n["model_size_b"].size))
        return real(n, *rest)

    monkeypatch.setattr(vectorized, "_evaluate_arrays", counting)
    design = Design(model_size_b=11.0, dp_epsilon=0.7)  # not in any earlier test's cache
    advise(evaluate(design))
    sensitivity(design)
    batch = sum(len(control.grid()) for control in CONTROLS.values())
    assert sizes.count(batch) == 1  # each control over its grid, the others held: once


def test_the_strategies_are_declared_once() -> None:
    """Issue 27 item 5: the three strategy keys were typed in design, scenario, serving,
    explain and prose; now only model/strategies.py names them together."""
    keys = ('"dp"', '"tp_dp"', '"3d"')
    together = [p for p in _sources() if all(k in p.read_text(encoding="utf-8") for k in keys)]
    assert together == [SRC / "model" / "strategies.py"]
