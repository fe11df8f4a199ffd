"""Issue 25, finding 1: the README teaches how to read a scorecard without handing over an
approved design.

Every design the "Try the engine" section shows, on the command line or in the Python
example, is scored by the engine: none may be approved. The Python example must run as
printed, and the section must say how to read each part of a scorecard.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from itertools import pairwise
from pathlib import Path

import constraintlab as cl

README = Path(__file__).resolve().parents[1] / "README.md"
FLAG_FIELDS = {
    "--model-size-b": ("model_size_b", float),
    "--dp-epsilon": ("dp_epsilon", float),
    "--adv-weight": ("adv_weight", float),
    "--parallelism": ("parallelism", str),
    "--checkpoint-interval-min": ("checkpoint_interval_min", float),
    "--flexible-job-pct": ("flexible_job_pct", float),
    "--context": ("context", str),
}


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Try the engine")
    return text[start : text.index("\n## ", start + 1)]


def _command_designs(section: str) -> list[cl.Design]:
    """The design of every ``constraintlab evaluate`` line of the section."""
    designs = []
    for line in re.findall(r"constraintlab evaluate[^\n#]*", section):
        words = shlex.split(line)[2:]
        fields = {}
        for flag, value in pairwise(words):
            if flag in FLAG_FIELDS:
                name, kind = FLAG_FIELDS[flag]
                fields[name] = kind(value)
        designs.append(cl.Design(**fields))
    return designs


def _python_example(section: str) -> str:
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return code


def test_no_command_in_the_section_shows_an_approved_design() -> None:
    designs = _command_designs(_section())
    assert len(designs) >= 3  # the defaults, --json, and a changed control
    assert not [d for d in designs if cl.evaluate(d).approved]


def test_the_python_example_runs_and_approves_nothing() -> None:
    scope: dict[str, object] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(_python_example(_section()), scope)  # our own README
    card, many = scope["card"], scope["many"]
    assert isinstance(card, cl.Scorecard) and not card.approved
    assert not many.approved.any()  # type: ignore[attr-defined]


def test_the_section_says_how_to_read_a_scorecard_not_which_answer_passes() -> None:
    section = _section()
    assert "How to read a scorecard" in section
    for part in ("One row per constraint", "GPU", "failing constraint", "verdict"):
        assert part in section, part
    assert "an approved architecture\n" not in section and "True, 6" not in section
