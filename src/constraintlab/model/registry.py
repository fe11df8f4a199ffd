"""The constraint registry: the only list of the constraints, in the scorecard's order.

The engine, the vectorized engine, the census tables, slices, advice, views, the ledger wiring
and the class report iterate over :func:`constraints`, and every count ("n of N") is
:func:`count`. The shipped records (:mod:`constraints`) are registered when this module is
imported; a lab author adds one with :func:`register` (docs/adding-a-constraint.md), which
refuses a key or ledger field already taken, or a target the scenario lacks, naming it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import overload

from constraintlab.model import scenario as sc
from constraintlab.model.constraints import SHIPPED
from constraintlab.model.record import (
    JOB,
    KINDS,
    MODEL,
    SERVING,
    Arrays,
    Constraint,
    Point,
    Reading,
    RegistryError,
    Signature,
)

_REGISTRY: dict[str, Constraint] = {}  # key -> record, in the scorecard's order


def register(constraint: Constraint) -> Constraint:
    """Add ``constraint`` after the others; its key and ledger field must be new."""
    known = _REGISTRY
    if constraint.key in known:
        raise RegistryError(constraint.key, "is registered already")
    if constraint.ledger_field in {c.ledger_field for c in known.values()}:
        raise RegistryError(constraint.key, f"ledger field {constraint.ledger_field!r} is taken")
    if not hasattr(sc, constraint.target_name):
        raise RegistryError(constraint.key, f"the scenario has no target {constraint.target_key!r}")
    known[constraint.key] = constraint
    return constraint


def unregister(key: str) -> None:
    """Remove a constraint (a test's toy one, say)."""
    _REGISTRY.pop(key)


def constraints() -> tuple[Constraint, ...]:
    """Every constraint, in the scorecard's order."""
    return tuple(_REGISTRY.values())


def get(key: str) -> Constraint:
    """The constraint named ``key`` (KeyError for an unknown one)."""
    return _REGISTRY[key]


def count() -> int:
    """How many constraints there are (the N of every "n of N")."""
    return len(_REGISTRY)


def signature() -> Signature:
    """The registered keys and targets, in order: part of the key of every cache of verdicts
    (with the scenario's fingerprint)."""
    return tuple((c.key, c.target) for c in _REGISTRY.values())


def of_kind(kind: str) -> tuple[Constraint, ...]:
    return tuple(c for c in _REGISTRY.values() if c.kind == kind)


class Names(Sequence[str]):
    """The constraint keys in order, then ``extra`` names (the budget, say), read from the
    registry each time (a live view: a constraint registered later is in it)."""

    def __init__(self, *extra: str) -> None:
        self._extra = extra

    def _all(self) -> tuple[str, ...]:
        return (*_REGISTRY, *self._extra)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(_REGISTRY) + len(self._extra)

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


class Labels(Mapping[str, str]):
    """Key -> label of every constraint, read from the registry each time (a live view)."""

    def __getitem__(self, key: str) -> str:
        return _REGISTRY[key].label

    def __len__(self) -> int:
        return len(_REGISTRY)

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(_REGISTRY))

    def __or__(self, other: Mapping[str, str]) -> dict[str, str]:
        return {**self, **other}

    def __repr__(self) -> str:
        return repr(dict(self))


for _shipped in SHIPPED:
    register(_shipped)

__all__ = [
    "JOB",
    "KINDS",
    "MODEL",
    "SERVING",
    "Arrays",
    "Constraint",
    "Labels",
    "Names",
    "Point",
    "Reading",
    "RegistryError",
    "Signature",
    "constraints",
    "count",
    "get",
    "register",
    "signature",
    "unregister",
]
