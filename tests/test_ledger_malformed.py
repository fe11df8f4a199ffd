"""Thousands of malformed files fed to import: a bad file ends in LedgerError, a bad entry is
skipped by name, and nothing else is ever stored.

Five hypothesis properties (wrong types, truncated JSON, huge strings and sizes, deep nesting,
non-UTF-8 bytes, plus plain random bytes), 400 derandomized examples each, and a seeded
byte-mutation loop of 1,500 files that may or may not still be valid: ~3,900 files in all.
Every rejection of the file must be a :class:`LedgerError` whose one-line message starts with
the file's path, with the store's entries, attempts and metadata as before; a problem inside one
entry (its design not an object, too large, a number JSON cannot hold, nested too deeply) skips
that entry only, and the import report names it. The file's bytes are never changed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constraintlab.ledger import Ledger, LedgerError
from constraintlab.ledger.validation import (
    MAX_DESIGN_BYTES,
    MAX_FIELD_NAME_CHARS,
    MAX_FIELDS,
    MAX_NESTING,
)
from ledger_fixtures.builders import ALL_KEYS, design, layout_a, layout_b

EXAMPLES = 400
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ENTRIES = {k: design(i) for i, k in enumerate(ALL_KEYS[:6] + ALL_KEYS[20:24])}


def _native() -> dict[str, Any]:
    return {
        "format": "constraintlab-ledger",
        "format_version": 1,
        "sample": False,
        "entries": dict(ENTRIES),
        "attempts": [{"chapter": "v2_17", "recorded_at": "2025-01-01T00:00:00Z", "design": {}}],
    }


def valid_documents() -> list[dict[str, Any]]:
    return [layout_a(ENTRIES), layout_b(ENTRIES), _native()]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    """A store with entries and attempts, so "unchanged" means something."""
    ledger = Ledger.open(tmp_path_factory.mktemp("store") / "store.sqlite3")
    ledger.save("5", {"context": "kept"})
    ledger.save("v2_17", {"act2_result": "approved"})
    ledger.record_attempt({"try": 1})
    yield ledger
    ledger.close()


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("files") / "student.json"


def assert_rejected(store: Ledger, path: Path, content: bytes) -> str:
    """Import must raise LedgerError naming ``path``; store and file must be unchanged."""
    path.write_bytes(content)
    before = (store.snapshot(), store.metadata)
    with pytest.raises(LedgerError) as info:
        store.import_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert len(info.value.problem) >= 10 and "\n" not in message
    assert (store.snapshot(), store.metadata) == before
    assert path.read_bytes() == content
    return message


def assert_rejected_or_skipped(store: Ledger, path: Path, content: bytes) -> str:
    """The file is refused as a whole, or the bad entry is skipped (or left unplaced) by name."""
    path.write_bytes(content)
    before = (store.snapshot(), store.metadata)
    try:
        report = store.import_file(path)
    except LedgerError as error:
        assert str(error).startswith(f"{path}: ") and "\n" not in str(error)
        assert (store.snapshot(), store.metadata) == before
        message = str(error)
    else:
        assert report.skipped or report.unplaced
        for skipped in report.skipped:
            assert str(skipped).startswith(("history[", "entries[", "attempts["))
        message = " ".join(str(s) for s in (*report.skipped, *report.unplaced))
    assert path.read_bytes() == content
    return message


# --- wrong types ------------------------------------------------------------------------------
not_objects = st.one_of(
    st.lists(st.integers(), max_size=3),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=10),
    st.booleans(),
    st.none(),
)


def _first_design(document: dict[str, Any]) -> dict[str, Any]:
    history = document.get("history", document.get("entries"))
    return history[0]["design"] if isinstance(history, list) else next(iter(history.values()))


@st.composite
def wrong_types(draw: st.DrawFn) -> bytes:
    """A valid document with one node replaced by a value of the wrong JSON type."""
    document = draw(st.sampled_from(valid_documents()))
    where = draw(st.sampled_from(["top", "history", "item", "design", "student", "native"]))
    if where == "top":
        return json.dumps(draw(not_objects)).encode()
    if where == "student":
        document["student_id"] = draw(
            not_objects.filter(lambda v: v is not None and not isinstance(v, str))
        )
    elif where == "native" or "history" not in document:
        native = _native()
        field = draw(st.sampled_from(["entries", "attempts", "format_version", "sample"]))
        native[field] = draw(
            not_objects.filter(
                lambda v: (
                    not isinstance(v, dict | list)
                    and not (field == "sample" and isinstance(v, bool))
                )
            )
        )
        if field == "format_version" and native[field] == 1 and native[field] is not True:
            native[field] = "1"
        return json.dumps(native).encode()
    elif where == "history":
        document["history"] = draw(not_objects.filter(lambda v: not isinstance(v, list)))
    elif where == "item" and isinstance(document["history"], list):
        document["history"][draw(st.integers(0, len(document["history"]) - 1))] = draw(
            not_objects.filter(lambda v: not isinstance(v, dict))
        )
    else:
        history = document["history"]
        key = 0 if isinstance(history, list) else next(iter(history))
        wrong = draw(not_objects.filter(lambda v: not isinstance(v, dict)))
        if isinstance(history, list):
            history[key]["design"] = wrong
        else:
            history[key] = wrong
    return json.dumps(document).encode()


@SETTINGS
@given(content=wrong_types())
def test_wrong_types_reject_the_file_or_skip_the_entry(
    store: Ledger, target: Path, content: bytes
) -> None:
    assert_rejected_or_skipped(store, target, content)


# --- truncated JSON and random bytes ------------------------------------------------------------
@st.composite
def truncated(draw: st.DrawFn) -> bytes:
    text = json.dumps(
        draw(st.sampled_from(valid_documents())), indent=draw(st.sampled_from([None, 1]))
    )
    return text[: draw(st.integers(0, len(text) - 1))].encode()


@SETTINGS
@given(content=st.one_of(truncated(), st.binary(max_size=300)))
def test_truncated_json_and_random_bytes_are_rejected(
    store: Ledger, target: Path, content: bytes
) -> None:
    assert_rejected(store, target, content)


# --- huge strings, too many fields, numbers JSON cannot hold --------------------------------------
@st.composite
def oversized(draw: st.DrawFn) -> bytes:
    document = draw(st.sampled_from(valid_documents()))
    target_design = _first_design(document)
    kind = draw(st.sampled_from(["string", "name", "fields", "number"]))
    if kind == "string":
        target_design["big"] = "x" * draw(st.integers(MAX_DESIGN_BYTES, 3 * MAX_DESIGN_BYTES))
    elif kind == "name":
        target_design["n" * draw(st.integers(MAX_FIELD_NAME_CHARS + 1, 5000))] = 1
    elif kind == "fields":
        count = draw(st.integers(MAX_FIELDS + 1, 2 * MAX_FIELDS))
        target_design.update({f"f{i}": i for i in range(count)})
    else:
        target_design["n"] = 0
        text = json.dumps(document)
        literal = draw(
            st.sampled_from(["1e999", "-1e999", "NaN", "Infinity", "9" * 5000, "2" * 20])
        )
        return text.replace('"n": 0', f'"n": {literal}', 1).encode()
    return json.dumps(document).encode()


@SETTINGS
@given(content=oversized())
def test_huge_values_reject_the_file_or_skip_the_entry(
    store: Ledger, target: Path, content: bytes
) -> None:
    message = assert_rejected_or_skipped(store, target, content)
    assert any(
        word in message
        for word in ("too large", "longer than", "limit is", "finite", "outside", "JSON")
    )


# --- deep nesting ------------------------------------------------------------------------------
@st.composite
def deep(draw: st.DrawFn) -> bytes:
    depth = draw(st.integers(3, 60_000))  # {"history": {"a": {"a": 1}}} is a valid file
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    inner = opener * depth + "1" + closer * depth
    where = draw(st.sampled_from(["top", "history", "value"]))
    if where == "top":
        return inner.encode()
    if where == "history":
        return ('{"history": ' + inner + "}").encode()
    depth = max(depth, MAX_NESTING + 1)  # nested values are kept up to MAX_NESTING deep
    inner = opener * depth + "1" + closer * depth
    return ('{"history": {"5": {"x": ' + inner + "}}}").encode()


@SETTINGS
@given(content=deep())
def test_deep_nesting_rejects_the_file_or_skips_the_entry(
    store: Ledger, target: Path, content: bytes
) -> None:
    assert_rejected_or_skipped(store, target, content)


# --- bytes that are not UTF-8 ----------------------------------------------------------------
INVALID_UTF8 = [b"\xff", b"\xfe", b"\x80", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]


@st.composite
def not_utf8(draw: st.DrawFn) -> bytes:
    data = json.dumps(draw(st.sampled_from(valid_documents()))).encode()  # ASCII
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.sampled_from(INVALID_UTF8)) + data[at:]


@SETTINGS
@given(content=not_utf8())
def test_non_utf8_bytes_are_rejected(store: Ledger, target: Path, content: bytes) -> None:
    assert "not UTF-8" in assert_rejected(store, target, content)


# --- seeded byte mutations: valid or LedgerError, never anything else ---------------------------
def _mutate(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data))
    span = rng.randint(1, 12)
    kind = rng.randrange(5)
    if kind == 0:
        return data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]
    if kind == 1:
        return data[:at] + data[at + span :]
    if kind == 2:
        return data[:at] + rng.randbytes(span) + data[at:]
    if kind == 3:
        return data[:at] + data[at : at + span] * 2 + data[at + span :]
    return data[:at] + rng.choice([b"[", b"{", b'"', b"null", b"-", b"1e999"]) + data[at:]


def test_seeded_byte_mutations_end_in_ledger_error_or_a_clean_import(
    store: Ledger, target: Path
) -> None:
    rng = random.Random(20_240_611)
    sources = [json.dumps(d, indent=i).encode() for d in valid_documents() for i in (None, 2)]
    rejected = 0
    for _ in range(1_500):
        content = _mutate(rng, rng.choice(sources))
        target.write_bytes(content)
        before = (store.snapshot(), store.metadata)
        try:
            store.import_file(target)
        except LedgerError as error:
            rejected += 1
            assert str(error).startswith(f"{target}: ")
            assert (store.snapshot(), store.metadata) == before
        assert target.read_bytes() == content
    assert rejected > 500  # most mutations break the file; the rest imported cleanly
