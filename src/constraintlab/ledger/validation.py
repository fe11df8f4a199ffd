"""Design validation: JSON objects within size limits, checked on the way in.

A design is what one lab saved: field name -> any JSON value. The fields every lab writes are
scalars (string, number, true/false, null); mlsysim's lab-16 and capstone code also write
``schema_version: 1`` records whose ``evidence`` is a nested object holding lists, so nested
objects and lists are kept too (object keys are strings, at most :data:`MAX_NESTING` deep).
Fields the project does not know are kept as they are. Everything that reaches the store or a
file passes :func:`validate_design`, which returns a plain ``dict`` copy or raises
:class:`LedgerError`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Final, TypeAlias

from constraintlab.ledger.errors import LedgerError, describe

JsonScalar: TypeAlias = str | int | float | bool | None
JsonValue: TypeAlias = "JsonScalar | list[JsonValue] | dict[str, JsonValue]"
Design: TypeAlias = dict[str, JsonValue]

MAX_DESIGN_BYTES: Final = 64 * 1024  # one design, as compact UTF-8 JSON
MAX_FIELDS: Final = 512  # fields in one design
MAX_FIELD_NAME_CHARS: Final = 200
MAX_INT_ABS: Final = 2**63 - 1  # what SQLite and most JSON readers hold exactly
MAX_NESTING: Final = 32  # objects and lists inside a design's field


def json_type(value: object) -> str:
    """The JSON name of a Python value's type, for messages ("a list", "an object", ...)."""
    names: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "true/false"),
        ((int, float), "a number"),
        (str, "a string"),
        (type(None), "null"),
        ((list, tuple), "a list"),
        (Mapping, "an object"),
    ]
    for kind, name in names:
        if isinstance(value, kind):
            return name
    return f"a Python {type(value).__name__}"


def valid_text(text: str) -> bool:
    """True when ``text`` can be stored as UTF-8 (no lone surrogates from a ``\\ud800``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_name(name: object) -> str | None:
    """The problem with a field name, or None."""
    if not isinstance(name, str):
        return f"field name {describe(name)} is {json_type(name)}, expected a string"
    if not name:
        return "a field name is empty"
    if len(name) > MAX_FIELD_NAME_CHARS:
        return f"field name {describe(name)} is longer than {MAX_FIELD_NAME_CHARS} characters"
    if not valid_text(name):
        return f"field name {describe(name)} is not valid Unicode text"
    return None


def _check_value(name: str, value: object) -> str | None:
    """The problem with one field's value (any JSON, nested at most MAX_NESTING), or None."""
    if value is None or isinstance(value, (bool, str, int, float)):
        problem = _scalar_problem(value)  # the common case: no label is built
        return None if problem is None else f"field {describe(name)} {problem}"
    # nested objects and lists (mlsysim's evidence records): walk them without recursion
    stack: list[tuple[str, object, int]] = [(f"field {describe(name)}", value, 1)]
    while stack:
        where, item, depth = stack.pop()
        if item is None or isinstance(item, (bool, str, int, float)):
            problem = _scalar_problem(item)
        elif not isinstance(item, (list, tuple, Mapping)):
            problem = f"is {json_type(item)}; a design holds only JSON values"
        elif depth > MAX_NESTING:
            problem = f"is nested more than {MAX_NESTING} levels deep"
        elif isinstance(item, Mapping):
            bad = [k for k in item if not isinstance(k, str) or not valid_text(k)]
            problem = f"has key {describe(bad[0])}, not a string" if bad else None
            stack.extend((f"{where}.{k}", v, depth + 1) for k, v in item.items())
        else:
            stack.extend((f"{where}[{i}]", v, depth + 1) for i, v in enumerate(item))
            problem = None
        if problem:
            return f"{where} {problem}"
    return None


def _scalar_problem(value: object) -> str | None:
    """What is wrong with a JSON scalar ("is nan, not a finite number"), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return "holds an integer outside +/-(2**63 - 1)" if abs(value) > MAX_INT_ABS else None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"is {value!r}, not a finite number"
    if isinstance(value, str):
        return None if valid_text(value) else "is not valid Unicode text"
    return f"is {json_type(value)}; a design holds only JSON values"


def canonical_json(design: Mapping[str, JsonValue]) -> str:
    """Compact JSON with sorted keys: equal designs give equal text."""
    return json.dumps(
        design, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def design_digest(design: Mapping[str, JsonValue]) -> str:
    """SHA-256 of :func:`canonical_json`: two designs are identical when their digests are."""
    return hashlib.sha256(canonical_json(design).encode("utf-8")).hexdigest()


def validate_design(design: object, what: str = "design") -> Design:
    """A plain-dict copy of ``design``, or :class:`LedgerError` naming ``what`` and the problem.

    Checks: an object of at most :data:`MAX_FIELDS` fields; names are non-empty strings of at
    most :data:`MAX_FIELD_NAME_CHARS` characters; values are JSON (finite numbers, 64-bit
    integers, valid Unicode strings, and objects with string keys and lists of those, at most
    :data:`MAX_NESTING` deep); at most :data:`MAX_DESIGN_BYTES` as JSON.
    """
    if not isinstance(design, Mapping):
        raise LedgerError(None, f"{what} is {json_type(design)}, expected an object of fields")
    if len(design) > MAX_FIELDS:
        raise LedgerError(None, f"{what} has {len(design)} fields; the limit is {MAX_FIELDS}")
    for name, value in design.items():
        problem = _check_name(name) or _check_value(name, value)
        if problem:
            raise LedgerError(None, f"{what}: {problem}")
    copy: Design = dict(design)
    size = len(canonical_json(copy).encode("utf-8"))
    if size > MAX_DESIGN_BYTES:
        raise LedgerError(
            None,
            f"{what} is too large: {size:,} bytes as JSON, over the limit of"
            f" {MAX_DESIGN_BYTES:,} bytes (64 KiB)",
        )
    return copy
