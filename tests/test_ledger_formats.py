"""Reading the course's layouts A and B (volume files too) and our export; round trips."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constraintlab.ledger import Ledger, LedgerError
from constraintlab.ledger.formats import MAX_FILE_BYTES, read_ledger_file
from ledger_fixtures.builders import ALL_KEYS, design, layout_a, layout_b, write_json


def test_layout_a_last_save_wins_and_keys_are_canonical(tmp_path: Path) -> None:
    document = {
        "track": None,
        "current_chapter": "v2_16",
        "history": [
            {"chapter": 5, "design": design(1)},
            {"chapter": "v2_07", "design": design(2)},
            {"chapter": "5", "design": design(3, note="a later save of the same lab")},
            {"chapter": "v9_99", "design": design(4)},
        ],
        "last_updated": "",
    }
    parsed = read_ledger_file(write_json(tmp_path / "ledger.json", document))
    assert parsed.layout == "A"
    assert parsed.entries == {
        "5": design(3, note="a later save of the same lab"),
        "v2_07": design(2),
    }
    assert [(s.chapter, s.design) for s in parsed.attempts] == [
        ("5", design(1)),
        ("v2_07", design(2)),
        ("5", design(3, note="a later save of the same lab")),
    ]
    assert [u.key for u in parsed.unplaced] == ["'v9_99'"]
    assert "history[3]" in str(parsed.unplaced[0])


def test_layout_b_volume_less_file(tmp_path: Path) -> None:
    history = {"5": design(1), "v2_07": design(2), "17": design(3), "0": design(4)}
    parsed = read_ledger_file(write_json(tmp_path / "ledger.json", {"history": history}))
    assert parsed.layout == "B" and parsed.volume is None
    assert parsed.entries == {"5": design(1), "v2_07": design(2)}
    assert sorted(u.key for u in parsed.unplaced) == ["'0'", "'17'"]  # no Volume I lab 17


def test_layout_b_volume_files_read_steps_in_their_volume(tmp_path: Path) -> None:
    vol1 = read_ledger_file(write_json(tmp_path / "ledger_vol1.json", {"history": {"5": {"a": 1}}}))
    vol2 = read_ledger_file(
        write_json(tmp_path / "ledger_vol2.json", {"history": {"17": {"b": 2}, "3": {"c": 3}}})
    )
    assert vol1.entries == {"5": {"a": 1}} and vol1.volume == 1
    assert vol2.entries == {"v2_03": {"c": 3}, "v2_17": {"b": 2}} and vol2.volume == 2
    assert vol2.layout_description == "course layout B (Volume II file)"


def test_layout_b_list_with_steps(tmp_path: Path) -> None:
    history = [{"step": 4, "design": {"a": 1}}, {"step": "4", "design": {"a": 2}}]
    parsed = read_ledger_file(write_json(tmp_path / "ledger_vol2.json", {"history": history}))
    assert parsed.layout == "B" and parsed.entries == {"v2_04": {"a": 2}}


def test_an_explicit_volume_overrides_the_file_name(tmp_path: Path) -> None:
    path = write_json(tmp_path / "renamed.json", {"history": {"2": {"a": 1}}})
    assert read_ledger_file(path, volume=2).entries == {"v2_02": {"a": 1}}
    assert read_ledger_file(path).entries == {"2": {"a": 1}}


def test_entries_without_chapter_are_reported_not_dropped(tmp_path: Path) -> None:
    history = [{"design": {"a": 1}}, {"chapter": True, "design": {}}, {"chapter": 3, "design": {}}]
    parsed = read_ledger_file(write_json(tmp_path / "l.json", {"history": history}))
    assert parsed.entries == {"3": {}}
    assert [u.where for u in parsed.unplaced] == ["history[0]", "history[1]"]


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"history": {"1": {"a": "é"}}}).encode())
    assert read_ledger_file(path).entries == {"1": {"a": "é"}}


def test_student_id_is_read_when_the_file_names_one(tmp_path: Path) -> None:
    path = write_json(tmp_path / "l.json", {"student_id": "alice", "history": {}})
    assert read_ledger_file(path).student_id == "alice"
    assert read_ledger_file(write_json(tmp_path / "m.json", {"history": {}})).student_id is None


def test_reading_never_changes_the_file(tmp_path: Path) -> None:
    path = write_json(tmp_path / "ledger.json", layout_a({"5": design(1)}))
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = path.read_bytes()
    read_ledger_file(path)
    Ledger.open(tmp_path / "s.sqlite3").import_file(path)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == 1_000_000_000


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[1, 2, 3]", "the top level is a list"),
        (b'"text"', "the top level is a string"),
        (b"{}", "no 'history'"),
        (b'{"history": 42}', "'history' is a number"),
        (b'{"history": {"5": {"x": NaN}}}', "NaN is not a JSON number"),
        (b'{"history": [{"chapter": 5, "design": {"co', "not valid JSON"),
        (b"", "the file is empty"),
        (b"  \n", "the file is empty"),
        (b'{"history": {"5": {"x": "\xff"}}}', "not UTF-8 text: byte 0xff"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"student_id": 7, "history": {}}', "'student_id' is a number"),
        (b'{"format": "other"}', "'format' is 'other'"),
        (b'{"format": "constraintlab-ledger", "format_version": 9}', "newer constraintlab"),
        (b'{"format": "constraintlab-ledger", "format_version": 1, "entries": []}', "'entries'"),
    ],
)
def test_bad_files_raise_ledger_error_naming_file_and_problem(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "student.json"
    path.write_bytes(content)
    with pytest.raises(LedgerError) as info:
        read_ledger_file(path)
    assert str(info.value).startswith(f"{path}: ")
    assert problem in str(info.value)
    assert info.value.path == path
    assert path.read_bytes() == content


@pytest.mark.parametrize(
    ("bad_item", "where", "problem"),
    [
        ("5", "history[0]", "is a number"),
        ('{"chapter": 5}', "history[0]", "has no 'design'"),
        ('{"chapter": 5, "design": "oops"}', "history[0]", "design is a string"),
        ('{"chapter": 5, "design": {"x": 1e999}}', "history[0]", "not a finite number"),
        (
            '{"chapter": 5, "design": {"x": {"y": ' + "[" * 40 + "]" * 40 + "}}}",
            "history[0]",
            "nested more than",
        ),
    ],
)
def test_a_bad_entry_is_skipped_by_key_and_the_good_ones_are_read(
    tmp_path: Path, bad_item: str, where: str, problem: str
) -> None:
    path = tmp_path / "student.json"
    path.write_text(
        '{"history": [' + bad_item + ', {"chapter": 6, "design": {"a": 1}},'
        ' {"chapter": "v2_07", "design": {"evidence": {"part": [1, {"b": null}]}}}]}'
    )
    parsed = read_ledger_file(path)
    assert parsed.entries == {"6": {"a": 1}, "v2_07": {"evidence": {"part": [1, {"b": None}]}}}
    assert [s.where for s in parsed.skipped] == [where]
    assert problem in str(parsed.skipped[0])
    with Ledger.open(tmp_path / "s.sqlite3") as store:
        report = store.import_file(path)
        assert store.entries() == parsed.entries
    assert report.skipped == parsed.skipped
    assert "2 added" in report.summary() and "1 entry skipped" in report.summary()


def test_a_bad_design_in_layout_b_is_skipped_by_its_key(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "ledger.json",
        {"history": {"5": [1], "6": {"x": {"y": 1}}, "7": "oops"}},
    )
    parsed = read_ledger_file(path)
    assert parsed.entries == {"6": {"x": {"y": 1}}}  # nested objects are kept
    assert [str(s) for s in parsed.skipped] == [
        "history['5']: design is a list, expected an object of fields",
        "history['7']: design is a string, expected an object of fields",
    ]


def test_oversized_missing_folder_and_fifo_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:  # sparse: costs no disk
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(LedgerError, match="too large"):
        read_ledger_file(big)
    with pytest.raises(LedgerError, match="no such file"):
        read_ledger_file(tmp_path / "missing.json")
    with pytest.raises(LedgerError, match="folder"):
        read_ledger_file(tmp_path)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(LedgerError, match="not a regular file"):
        read_ledger_file(fifo)  # must not block waiting for a writer


def test_a_file_exactly_at_the_limit_is_read(tmp_path: Path) -> None:
    text = json.dumps({"history": {}})
    path = tmp_path / "limit.json"
    path.write_text(text[:-1] + " " * (MAX_FILE_BYTES - len(text)) + "}")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert read_ledger_file(path).entries == {}


# --- round trips ------------------------------------------------------------------------------
def _round_trip(
    tmp: Path, source: Path, export_format: str = "course"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Import ``source``, export in a course layout, import that: (first, second) entries."""
    first = Ledger.open(tmp / "first.sqlite3")
    first.import_file(source)
    exported = first.export(tmp / "exported.json", export_format)
    second = Ledger.open(tmp / "second.sqlite3")
    second.import_file(exported)
    result = first.entries(), second.entries()
    first.close()
    second.close()
    return result


@pytest.mark.parametrize("export_format", ["course", "course-list"])
@pytest.mark.parametrize("layout", ["A", "B", "vol1", "vol2"])
def test_full_course_files_round_trip_through_the_course_exports(
    tmp_path: Path, layout: str, export_format: str
) -> None:
    keys = {"A": ALL_KEYS, "B": ALL_KEYS, "vol1": ALL_KEYS[:16], "vol2": ALL_KEYS[16:]}[layout]
    entries = {k: design(i) for i, k in enumerate(keys)}
    document, name = {
        "A": (layout_a(entries), "ledger.json"),
        "B": (layout_b(entries), "ledger.json"),
        "vol1": (layout_b(entries, volume=1), "ledger_vol1.json"),
        "vol2": (layout_b(entries, volume=2), "ledger_vol2.json"),
    }[layout]
    source = write_json(tmp_path / name, document)
    first, second = _round_trip(tmp_path, source, export_format)
    assert first == entries
    assert second == first
    exported = json.loads((tmp_path / "exported.json").read_text())
    if export_format == "course":  # mlsysim's LedgerState: exactly these keys, history an object
        assert list(exported) == ["track", "current_step", "history", "last_updated"]
        assert set(exported["history"]) == set(keys)  # "5" and "v2_07" in ledger.json
        return
    assert isinstance(exported["history"], list)  # layout A, the published lab's
    for item in exported["history"]:  # Volume I as integers, Volume II as "v2_NN"
        chapter = item["chapter"]
        assert (type(chapter) is int and 1 <= chapter <= 16) or chapter in ALL_KEYS[16:]


def test_native_export_round_trips_entries_and_attempts(tmp_path: Path) -> None:
    store = Ledger.open(tmp_path / "a.sqlite3")
    store.save("5", design(5))
    store.save("v2_17", design(17))
    store.record_attempt({"act2_result": "infeasible"})
    store.record_attempt({"act2_result": "approved"})
    path = store.export(tmp_path / "mine.json")
    other = Ledger.open(tmp_path / "b.sqlite3")
    report = other.import_file(path)
    assert other.entries() == store.entries()
    assert [(a.chapter, a.design, a.recorded_at) for a in other.attempts()] == [
        (a.chapter, a.design, a.recorded_at) for a in store.attempts()
    ]
    assert report.attempts_added == 2
    assert other.import_file(path).attempts_added == 0  # importing again adds nothing
    parsed = read_ledger_file(path)
    assert parsed.layout == "native"
    assert [a.chapter for a in parsed.attempts] == ["5", "v2_17", "v2_17"]


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
designs = st.dictionaries(st.text(min_size=1, max_size=12), json_scalars, max_size=6)


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(
    entries=st.dictionaries(st.sampled_from(ALL_KEYS), designs, max_size=33),
    layout=st.sampled_from(["A", "B", "vol1", "vol2"]),
)
def test_any_course_file_round_trips(entries: dict[str, dict[str, Any]], layout: str) -> None:
    if layout == "vol1":
        entries = {k: v for k, v in entries.items() if not k.startswith("v2_")}
    if layout == "vol2":
        entries = {k: v for k, v in entries.items() if k.startswith("v2_")}
    document, name = {
        "A": (layout_a(entries), "ledger.json"),
        "B": (layout_b(entries), "ledger.json"),
        "vol1": (layout_b(entries, volume=1), "ledger_vol1.json"),
        "vol2": (layout_b(entries, volume=2), "ledger_vol2.json"),
    }[layout]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        first, second = _round_trip(tmp, write_json(tmp / name, document))
    assert first == entries
    assert second == entries


_labs = st.sampled_from([1, 5, 16, 17, "5", "16", "v2_07", "v2_17", True, 5.0, " 7 ", "x", 0])
_designs = st.one_of(
    st.fixed_dictionaries({"context": st.sampled_from(["cloud", "edge"]), "n": st.integers(0, 9)}),
    st.sampled_from([{}, {"x": float("nan")}, {"": 1}, {"deep": [1, {"a": 2}]}, "text"]),
)
_items = st.one_of(
    st.fixed_dictionaries({"chapter": _labs, "design": _designs}),
    st.fixed_dictionaries({"step": _labs, "design": _designs}),
    st.fixed_dictionaries({"chapter": _labs, "step": _labs, "design": _designs}),
    st.sampled_from([{"chapter": 3}, {"design": {"a": 1}}, 7, None]),
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(history=st.lists(_items, max_size=6), volume=st.sampled_from([1, 2]))
def test_a_plain_history_list_is_read_as_the_item_by_item_loop_reads_it(
    history: list[Any], volume: int
) -> None:
    """The column-at-a-time path for plain history lists gives what the loop gives: the
    layout, the saves (designs and their JSON), and nothing unplaced or skipped."""
    from unittest import mock

    from constraintlab.ledger import formats

    skipped: list[Any] = []
    fast = formats._parse_history_list(history, volume, skipped)
    with mock.patch.object(formats, "_plain_history_list", lambda *_: None):
        loop_skipped: list[Any] = []
        loop = formats._parse_history_list(history, volume, loop_skipped)
    assert fast == loop
    assert skipped == loop_skipped
