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
from collections.abc import Callable, Mapping, Sequence
from itertools import chain, compress, repeat
from operator import is_
from typing import Final, TypeAlias, cast

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
    """The problem with one field's value (any JSON, nested at most MAX_NESTING), or None:
    what a design may hold.

    :func:`validate_design` accepts the common scalars itself by these same rules (its fast
    path) and asks this function about every other value, and for the reason of any refusal.
    """
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


def _canonical_encoder() -> Callable[[object], str]:
    """Compact, key-sorted, non-ASCII kept, NaN refused: the one way designs become text.

    ``json.dumps`` (and ``JSONEncoder.encode``) build a new C encoder on every call, which for
    a design of a few fields costs about half the encoding; this builds CPython's C encoder
    once, with exactly the arguments ``JSONEncoder.encode`` would pass it (a test checks the
    text equals ``json.dumps``'s). Elsewhere it falls back to ``JSONEncoder.encode``.
    """
    options = json.JSONEncoder(
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:
        return options.encode
    encode_chunks = make_encoder(
        None,  # no cycle markers: designs come from JSON text or are checked before
        options.default,
        json.encoder.encode_basestring,
        None,
        options.key_separator,
        options.item_separator,
        options.sort_keys,
        options.skipkeys,
        options.allow_nan,
    )

    def encode(value: object) -> str:
        return "".join(encode_chunks(value, 0))

    return encode


_encode_canonical = _canonical_encoder()


def canonical_json(design: Mapping[str, JsonValue]) -> str:
    """Compact JSON with sorted keys: equal designs give equal text."""
    return _encode_canonical(design)


def design_digest(design: Mapping[str, JsonValue]) -> str:
    """SHA-256 of :func:`canonical_json`: two designs are identical when their digests are."""
    return hashlib.sha256(canonical_json(design).encode("utf-8")).hexdigest()


def validate_design(design: object, what: str = "design") -> Design:
    """A plain-dict copy of ``design``, or :class:`LedgerError` naming ``what`` and the problem.

    Checks: an object of at most :data:`MAX_FIELDS` fields; names are non-empty strings of at
    most :data:`MAX_FIELD_NAME_CHARS` characters; values pass :func:`_check_value` (JSON:
    finite numbers, 64-bit integers, valid Unicode strings, and objects with string keys and
    lists of those, at most :data:`MAX_NESTING` deep); at most :data:`MAX_DESIGN_BYTES` as
    compact JSON (:func:`canonical_json`, UTF-8).

    One pass over the fields, and no text is built unless a check fails: the common scalars
    are checked inline, and the size is bounded from above as the pass goes (a string of n
    characters is at most 6n + 2 bytes of JSON, its escapes included; a number at most 24);
    the design is serialised to measure it exactly only when that bound exceeds the limit.
    """
    if not isinstance(design, Mapping):
        raise LedgerError(None, f"{what} is {json_type(design)}, expected an object of fields")
    copy: Design = dict(design)
    if len(copy) > MAX_FIELDS:
        raise LedgerError(None, f"{what} has {len(copy)} fields; the limit is {MAX_FIELDS}")
    bound = 2  # bytes of "{}"; each field adds its name, quotes, colon and comma below
    for name, value in copy.items():
        if (
            type(name) is not str
            or not 0 < len(name) <= MAX_FIELD_NAME_CHARS
            or not (name.isascii() or valid_text(name))
        ):
            raise LedgerError(None, f"{what}: {_check_name(name)}")
        bound += 6 * len(name) + 4
        if type(value) is str and (value.isascii() or valid_text(value)):
            bound += 6 * len(value) + 2
        elif value is None or type(value) is bool:
            bound += 5
        elif (type(value) is float and math.isfinite(value)) or (
            type(value) is int and -MAX_INT_ABS <= value <= MAX_INT_ABS
        ):
            bound += 24  # repr of a float or a 64-bit integer
        elif problem := _check_value(name, value):
            raise LedgerError(None, f"{what}: {problem}")
        else:  # a value the fast path does not know: measure it
            bound += _json_bytes(value, f"{what}: field {describe(name)}")
    if bound > MAX_DESIGN_BYTES:
        size = _json_bytes(copy, what)
        if size > MAX_DESIGN_BYTES:
            raise LedgerError(
                None,
                f"{what} is too large: {size:,} bytes as JSON, over the limit of"
                f" {MAX_DESIGN_BYTES:,} bytes (64 KiB)",
            )
    return copy


_FLAT_KINDS: Final = frozenset({str, float, bool, type(None)})
"""Value types whose every value the canonical encoder checks itself: a string it cannot
write as UTF-8 fails ``str.encode``, a float that is not finite fails ``allow_nan=False``."""


_FLAT_OR_INT_KINDS: Final = _FLAT_KINDS | {int}  # integers: compared with the 64-bit limit


def checked_design(design: object, what: str = "design") -> tuple[Design, str]:
    """:func:`validate_design` and the design's :func:`canonical_json`, serialised once.

    The same verdict and copy as :func:`validate_design` (a property test checks it): a flat
    design goes through :func:`_flat_batch`'s checks, anything else (nested values, a
    problem) through :func:`validate_design`, which names the problem.
    """
    texts = _flat_batch([design])
    if texts is not None:
        return dict(design), texts[0]  # type: ignore[call-overload]
    clean = validate_design(design, what)
    return clean, canonical_json(clean)


def checked_designs(
    designs: Sequence[object], what: str = "design"
) -> list[tuple[Design, str] | LedgerError]:
    """:func:`checked_design` of each of ``designs`` (a file's, in order): the copy and its
    canonical JSON, or the :class:`LedgerError` that refuses it.

    The same results as one :func:`checked_design` call per design (a property test checks
    it). A ledger file holds a few dozen designs of a few fields each; checked one at a time,
    the calls cost more than the checks, so the whole batch is checked at once first
    (:func:`_flat_batch`) and only a batch that does not pass goes design by design.
    """
    texts = _flat_batch(designs)
    if texts is not None:
        objects = cast("Sequence[Design]", designs)
        return list(zip(map(dict, objects), texts, strict=True))
    results: list[tuple[Design, str] | LedgerError] = []
    for design in designs:
        try:
            results.append(checked_design(design, what))
        except LedgerError as error:
            results.append(error)
    return results


def _flat_batch(designs: Sequence[object]) -> list[str] | None:
    """The canonical JSON of each design when every one is a valid flat design, else None.

    The rules are :func:`validate_design`'s, for objects of scalars: names are checked as a
    set of types and lengths, integers against the 64-bit limit, and the rest by the
    serialisation itself (the encoder refuses NaN and infinities, ``str.encode`` lone
    surrogates); the size is the length of the text. Every check runs over the whole batch
    in C (``map``, ``set``, ``chain``), not in a Python loop per field. The designs are
    serialised in one call, as a JSON list, and cut apart where one design's ``}`` meets the
    next one's ``{"``. Inside a string that sequence would need an unescaped quote after
    ``{``, which a closing quote is: a string value ending in ``},{`` makes one cut too many,
    so the count of pieces is checked, and the batch is refused (checked design by design)
    when it is off. (The sequence cannot overlap itself, so no true cut is ever missed.)
    """
    if not designs:
        return []
    if set(map(type, designs)) != {dict}:
        return None
    objects = cast("Sequence[dict[object, object]]", designs)
    sizes = set(map(len, objects))
    if 0 in sizes or max(sizes) > MAX_FIELDS:
        return None
    names: list[object] = list(chain.from_iterable(objects))
    if set(map(type, names)) != {str} or not _name_lengths_ok(cast("list[str]", names)):
        return None
    values: list[object] = list(chain.from_iterable(map(dict.values, objects)))
    kinds = set(map(type, values))
    if not kinds <= _FLAT_OR_INT_KINDS:
        return None
    if int in kinds:
        ints = cast("list[int]", list(compress(values, map(is_, map(type, values), repeat(int)))))
        if min(ints) < -MAX_INT_ABS or max(ints) > MAX_INT_ABS:
            return None
    try:
        listed = _encode_canonical(designs)  # refuses NaN and infinities
        ascii_only = listed.isascii()
        if not ascii_only:
            listed.encode("utf-8")  # refuses lone surrogates (UnicodeEncodeError)
    except ValueError:
        return None
    texts = listed[1:-1].replace('},{"', '}\x00{"').split("\x00")  # JSON escapes a real NUL
    if len(texts) != len(designs):
        return None
    if len(listed) * (1 if ascii_only else 4) > MAX_DESIGN_BYTES and any(  # all small at once
        len(text.encode("utf-8")) > MAX_DESIGN_BYTES for text in texts
    ):
        return None
    return texts


def _name_lengths_ok(names: Sequence[str]) -> bool:
    lengths = set(map(len, names))
    return 0 not in lengths and max(lengths) <= MAX_FIELD_NAME_CHARS


def _json_bytes(value: object, what: str) -> int:
    """The size of ``value`` as canonical JSON in UTF-8; :class:`LedgerError` if it has none."""
    try:
        return len(_encode_canonical(value).encode("utf-8"))
    except (TypeError, ValueError, RecursionError) as error:  # UnicodeEncodeError is a ValueError
        raise LedgerError(None, f"{what} cannot be written as JSON ({error})") from None
