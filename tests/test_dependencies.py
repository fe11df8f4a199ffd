"""Every package the code imports at run time is installed by `pip install constraintlab`:
the simulator (`validate`, the lab's Monte Carlo check) imported scipy, which only the test
extras installed, so a plain install failed there."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_top_level_modules() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "src" / "constraintlab").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "constraintlab"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _closure(names: set[str]) -> set[str]:
    """The declared distributions and everything they require here (no extras; requirements
    whose environment marker does not hold on this Python are left out)."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(_name(requirement.name))
    return seen


def test_every_module_imported_at_run_time_comes_with_the_runtime_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    installed = _closure({_name(r) for r in project["dependencies"]})
    owners = metadata.packages_distributions()
    missing = {
        module: owners.get(module, ["?"])
        for module in _imported_top_level_modules()
        if not {d.lower().replace("_", "-") for d in owners.get(module, [])} & installed
    }
    assert not missing, f"imported by src/ but not installed by the dependencies: {missing}"
