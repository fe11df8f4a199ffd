"""Canonical chapter keys and design validation (the gate every design passes on the way in)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constraintlab.ledger import LedgerError
from constraintlab.ledger.keys import (
    CHAPTER_KEYS,
    EARLIER_LAB_KEYS,
    canonical_key,
    course_sorted,
    lab_label,
    require_key,
)
from constraintlab.ledger.validation import (
    MAX_DESIGN_BYTES,
    MAX_FIELDS,
    MAX_NESTING,
    canonical_json,
    checked_design,
    checked_designs,
    design_digest,
    validate_design,
)


def _nested(depth: int) -> object:
    """``depth`` levels of lists and objects around a 1."""
    value: object = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def test_there_are_33_canonical_keys_in_course_order() -> None:
    assert len(CHAPTER_KEYS) == 33
    assert CHAPTER_KEYS[:3] == ("1", "2", "3") and CHAPTER_KEYS[15] == "16"
    assert CHAPTER_KEYS[16] == "v2_01" and CHAPTER_KEYS[-1] == "v2_17"
    assert len(EARLIER_LAB_KEYS) == 32 and "v2_17" not in EARLIER_LAB_KEYS
    assert course_sorted(["v2_01", "16", "2", "10"]) == ["2", "10", "16", "v2_01"]


@pytest.mark.parametrize(
    ("raw", "volume", "expected"),
    [
        (5, 1, "5"),
        ("5", 1, "5"),
        (" 05 ", 1, "5"),
        ("16", 1, "16"),
        ("v2_07", 1, "v2_07"),
        ("V2_7", 1, "v2_07"),
        ("v2_17", 2, "v2_17"),
        (17, 2, "v2_17"),
        ("17", 2, "v2_17"),
        ("3", 2, "v2_03"),
        (17, 1, None),  # Volume I has 16 labs
        (0, 1, None),
        (-3, 1, None),
        ("v2_18", 1, None),
        ("v2_00", 1, None),
        ("v3_01", 1, None),
        (True, 1, None),  # a bool is not a chapter, though Python calls it an int
        (5.0, 1, None),
        (None, 1, None),
        ("", 1, None),
        ("٥", 1, None),  # a non-ASCII digit
        ("5a", 1, None),
    ],
)
def test_canonical_key(raw: object, volume: int, expected: str | None) -> None:
    assert canonical_key(raw, volume) == expected


def test_every_canonical_key_maps_to_itself_and_has_a_label() -> None:
    for key in CHAPTER_KEYS:
        assert canonical_key(key) == key
    assert lab_label("5") == "V1-05" and lab_label("v2_17") == "V2-17"


def test_require_key_names_the_bad_key() -> None:
    with pytest.raises(LedgerError, match=r"'v9_99' is not a chapter key"):
        require_key("v9_99")


def test_valid_design_is_copied_with_unknown_fields_kept() -> None:
    design = {"context": "cloud", "act1_correct": True, "x": None, "n": 3, "f": -0.5}
    clean = validate_design(design)
    assert clean == design and clean is not design


INVALID_DESIGNS = [
    (["not", "an", "object"], "is a list, expected an object"),
    ("text", "is a string, expected an object"),
    ({"nested": {"a": {5: 1}}}, "field 'nested'.a has key 5, not a string"),
    ({"values": [1, [2, math.nan]]}, "field 'values'[1][1] is nan, not a finite number"),
    ({"deep": _nested(MAX_NESTING + 1)}, "nested more than"),
    ({"odd": {1, 2}}, "field 'odd' is a Python set"),
    ({"x": math.nan}, "not a finite number"),
    ({"x": math.inf}, "not a finite number"),
    ({"x": 2**63}, "integer outside"),
    ({"x": "\ud800"}, "not valid Unicode"),
    ({5: "int key"}, "field name 5 is a number"),
    ({"": 1}, "field name is empty"),
    ({"k" * 201: 1}, "longer than 200"),
    ({f"f{i}": i for i in range(MAX_FIELDS + 1)}, f"limit is {MAX_FIELDS}"),
    ({"big": "x" * MAX_DESIGN_BYTES}, "too large"),
    ({"big": "\u00e9" * (MAX_DESIGN_BYTES // 2)}, "too large"),  # 2 UTF-8 bytes a letter
    ({"a": 1, "x": -(2**63)}, "integer outside"),
    ({"a": "b", "\udc80": 1}, "not valid Unicode"),
]


@pytest.mark.parametrize(("design", "problem"), INVALID_DESIGNS)
@pytest.mark.parametrize("check", [validate_design, checked_design])
def test_invalid_designs_are_refused_with_the_reason(
    check: object, design: object, problem: str
) -> None:
    """The parser's single-pass check (``checked_design``) refuses what ``validate_design``
    refuses, with the same words."""
    with pytest.raises(LedgerError) as info:
        check(design, "the design for chapter 5")  # type: ignore[operator]
    assert problem in str(info.value)
    assert str(info.value).startswith("the design for chapter 5")


def test_digest_ignores_field_order_but_not_types() -> None:
    assert design_digest({"a": 1, "b": 2}) == design_digest({"b": 2, "a": 1})
    assert len({design_digest({"a": v}) for v in (1, 1.0, True, "1")}) == 4


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=20), scalars, max_size=12))
def test_any_flat_scalar_design_is_accepted_unchanged(design: dict[str, object]) -> None:
    assert validate_design(design) == design


json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=20), json_values, max_size=8))
def test_any_nested_json_design_is_accepted_unchanged(design: dict[str, object]) -> None:
    """mlsysim's evidence records: nested objects and lists are kept as they are."""
    assert validate_design(design) == design
    assert json.loads(canonical_json(design)) == design


edge_scalars = st.one_of(
    scalars,
    st.sampled_from([2**63 - 1, -(2**63) + 1, 2**63, -(2**63), math.inf, -math.inf, math.nan]),
    st.sampled_from(["\ud800", "a\udfff", "\u00e9" * 40, "\U0001f600", '\x00\n"\\']),
)
any_keys = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "k" * 200, "k" * 201, "\ud800", "\u00e9"]),
    st.integers(-3, 3),
)


@settings(max_examples=400, derandomize=True, database=None, deadline=None)
@given(st.dictionaries(any_keys, st.one_of(edge_scalars, json_values), max_size=8))
def test_the_parsers_single_pass_check_agrees_with_validate_design(
    design: dict[object, object],
) -> None:
    """``checked_design`` (what the ledger's parser calls) is ``validate_design`` plus the
    canonical text, made once: the same copy and text, or the same refusal."""
    try:
        expected = validate_design(design, "d")
    except LedgerError as refused:
        with pytest.raises(LedgerError) as info:
            checked_design(design, "d")
        assert str(info.value) == str(refused)
        return
    clean, text = checked_design(design, "d")
    assert clean == expected and clean is not design
    assert (
        text
        == canonical_json(expected)
        == json.dumps(
            expected, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    )


def _one_by_one(designs: list[object]) -> list[object]:
    out: list[object] = []
    for design in designs:
        try:
            out.append(checked_design(design, "d"))
        except LedgerError as refused:
            out.append(str(refused))
    return out


traps = st.sampled_from(['x},{"', '},{"a', "},{", '"},{"', "{}", "\\", "\u2028"])
batch_designs = st.one_of(
    st.dictionaries(st.text(min_size=1, max_size=6), st.one_of(scalars, traps), max_size=5),
    st.dictionaries(any_keys, st.one_of(edge_scalars, json_values), max_size=4),
    st.sampled_from([{}, [], "text", None, {"x": {"y": "},{"}}]),
)


@settings(max_examples=400, derandomize=True, database=None, deadline=None)
@given(st.lists(batch_designs, max_size=8))
def test_a_files_designs_checked_as_one_batch_agree_with_one_by_one(designs: list[object]) -> None:
    """The parser checks a file's designs as one batch (serialised together, then cut
    apart): each result is what ``checked_design`` gives that design alone, including
    string values that contain the very sequence the batch is cut at."""
    batch = [r if isinstance(r, tuple) else str(r) for r in checked_designs(designs, "d")]
    assert batch == _one_by_one(designs)


def test_a_string_ending_in_the_cut_sequence_does_not_split_a_design() -> None:
    designs: list[object] = [{"a": 'x},{"', "b": 1}, {"c": "},{"}, {"d": 2.5}]
    assert [text for _, text in checked_designs(designs)] == [  # type: ignore[misc]
        canonical_json(d)  # type: ignore[arg-type]
        for d in designs
    ]


def test_nesting_up_to_the_limit_is_kept() -> None:
    assert validate_design({"x": _nested(MAX_NESTING)}) == {"x": _nested(MAX_NESTING)}
