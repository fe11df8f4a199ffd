"""The tree shows the architecture: rooms (subsystems), the arrows between them, no circles.

Read from the source (every import, lazy ones included), so a new arrow is a decision someone
writes down here, not a drift (issue 27: "one owner per concept"; the guide's "model/carbon.py
should not reach back into model/engine.py").
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "constraintlab"

# room -> the rooms it may import; a room is a subpackage (or a top-level module)
ALLOWED_ARROWS: dict[str, set[str]] = {
    "(top)": {"model"},  # constraintlab/__init__.py: the version and the model's front door
    "userpaths": set(),
    "model": set(),  # the engine imports nothing of the lab around it
    "explore": {"model"},
    "simulate": {"model"},
    "ledger": {"userpaths"},
    # the class report reads the constraint registry (each constraint's ledger field and label)
    "classreport": {"ledger", "userpaths", "model"},
    "views": {"model", "explore", "simulate", "ledger"},
    "app": {"model", "explore", "simulate", "ledger", "views", "userpaths"},
    "cli": {"model", "explore", "simulate", "ledger", "views", "classreport", "userpaths"},
    "hub": {"cli", "ledger"},
}
# the model's own floor: the scorecard composes these, none of them asks the scorecard back
MODEL_COMPOSERS = {"engine", "vectorized", "explain"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> Iterator[str]:
    """Every constraintlab module that ``path`` imports, at import time or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        yield from (name for name in names if name in modules)


def _graph() -> dict[str, set[str]]:
    paths = {_module(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {
        name: {target for target in _imports(path, modules) if not target.startswith(name + ".")}
        - {name}
        for name, path in paths.items()
    }


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(top)"


def test_every_room_imports_only_the_rooms_below_it() -> None:
    found = sorted(
        f"{source} -> {target}"
        for source, targets in _graph().items()
        for target in targets
        if _room(target) != _room(source)
        and _room(target) not in ALLOWED_ARROWS.get(_room(source), set())
    )
    assert set(_room(m) for m in _graph()) <= set(ALLOWED_ARROWS), "a room no one placed"
    assert found == [], "arrows that break the layering:\n" + "\n".join(found)


def test_no_module_circle_anywhere() -> None:
    """Depth-first search for a back edge over every import (lazy ones included)."""
    graph = _graph()
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def circle_from(node: str, path: list[str]) -> list[str]:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target] if target in path else [target]
            if target not in state and (found := circle_from(target, [*path, target])):
                return found
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state:
            found = circle_from(start, [start])
            assert not found, " -> ".join(found)


def test_the_models_parts_never_reach_back_into_the_scorecard() -> None:
    graph = _graph()
    back = sorted(
        f"{source} -> {target}"
        for source, targets in graph.items()
        if source.startswith("constraintlab.model.")
        and source.rsplit(".", 1)[1] not in MODEL_COMPOSERS
        for target in targets
        if target.rsplit(".", 1)[1] in MODEL_COMPOSERS and target.startswith("constraintlab.model")
    )
    assert back == []
