"""class-report at scale: a parallel run gives the single-process run's outputs, to the byte.

Also the fast paths the load path relies on, each against the plain rule it replaces: design
validation, canonical JSON, canonical chapter keys.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import re
import shutil
import sys
import tempfile
import types
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constraintlab.classreport import parallel
from constraintlab.classreport.build import build_class_report
from constraintlab.classreport.columns import (
    FALSE,
    TEXT_FIELDS,
    TRUE,
    UNKNOWN,
    ClassColumns,
    as_bool,
    as_number,
    as_text,
    bool_fields,
)
from constraintlab.classreport.load import ChunkRead, StudentFile, read_chunk
from constraintlab.classreport.model import Problem
from constraintlab.classreport.testdata import generate_class
from constraintlab.ledger.errors import LedgerError
from constraintlab.ledger.keys import canonical_key
from constraintlab.ledger.validation import (
    MAX_DESIGN_BYTES,
    MAX_FIELD_NAME_CHARS,
    MAX_FIELDS,
    MAX_INT_ABS,
    MAX_NESTING,
    canonical_json,
    validate_design,
)

N_STUDENTS = 150
CSV_FILES = ("students.csv", "domains.csv", "problems.csv")


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same class (bad files included) reported by 2 worker processes and by this one."""
    root = tmp_path_factory.mktemp("parallel")
    generate_class(root / "in", N_STUDENTS, seed=11)
    # a duplicate and an id conflict whose originals sit in an earlier chunk
    early = sorted((root / "in").glob("student_*.json"))
    (root / "in" / "zz_late").mkdir()  # same name, so the same student id: a true duplicate
    shutil.copy(early[5], root / "in" / "zz_late" / early[5].name)
    (root / "in" / "zz_late_conflict.json").write_text(
        json.dumps({"student_id": early[9].stem, "history": {"3": {"constraint_hit": True}}})
    )
    (root / "in" / "zz_unreadable.json").write_bytes(b"\xff\xfe{")
    for workers in (2, 1):
        build_class_report([str(root / "in")], root / f"out{workers}", workers=workers)
    return root / "out2", root / "out1"


def test_the_class_is_read_in_several_chunks_by_worker_processes() -> None:
    files = N_STUDENTS + 15
    assert parallel.worker_count(files, 2) == 2
    assert files / parallel.chunk_size(files, 2) > 4  # duplicates can cross chunk borders
    assert parallel.worker_count(files) == 1  # a small class is read here by default


@pytest.mark.parametrize("name", CSV_FILES)
def test_parallel_and_single_process_csvs_are_identical(
    two_runs: tuple[Path, Path], name: str
) -> None:
    parallel_out, single_out = two_runs
    assert (parallel_out / name).read_bytes() == (single_out / name).read_bytes()


def test_the_late_duplicate_and_conflict_are_caught_across_chunks(
    two_runs: tuple[Path, Path],
) -> None:
    problems = (two_runs[0] / "problems.csv").read_text(encoding="utf-8")
    assert re.search(
        r"zz_late/student_\w+\.json,duplicate content,same content as .*student_", problems
    )
    assert "zz_late_conflict.json,student id conflict" in problems
    assert "zz_unreadable.json,malformed" in problems


def test_parallel_and_single_process_parquet_tables_are_equal(
    two_runs: tuple[Path, Path],
) -> None:
    tables = [
        duckdb.sql(f"SELECT * FROM '{out / 'entries.parquet'}'").fetchall() for out in two_runs
    ]
    assert tables[0] == tables[1]
    assert len(tables[0]) > N_STUDENTS * 5


def test_parallel_and_single_process_reports_say_the_same(two_runs: tuple[Path, Path]) -> None:
    """Every number and chart of report.html: the pages differ only in the time they were made
    (the figures' element ids are named, not random)."""
    pages = [(out / "report.html").read_text(encoding="utf-8") for out in two_runs]
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")
    assert all(stamp.search(page) for page in pages)
    same = [stamp.sub("<time>", page) for page in pages]
    assert same[0] == same[1]


def test_progress_from_the_pool_counts_files_in_order(tmp_path: Path) -> None:
    generate_class(tmp_path, 40, seed=2, bad_files=False)
    files = sorted(tmp_path.glob("*.json"), key=str)
    seen: list[int] = []
    chunks = list(parallel.read_chunks(files, workers=2, on_file=seen.append))
    assert seen == sorted(seen) and seen[-1] == len(files) and len(seen) == len(chunks) > 1
    outcomes = [o for chunk in chunks for o in chunk.outcomes]
    assert [o.path for o in outcomes] == [str(f) for f in files]


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_give_a_student_or_a_problem_in_a_chunk(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "x.json"
        file.write_bytes(content)
        chunk = read_chunk([file])
    assert isinstance(chunk, ChunkRead)
    (outcome,) = chunk.outcomes
    assert isinstance(outcome, StudentFile | Problem)
    assert len(chunk.columns) == isinstance(outcome, StudentFile)


# --- the fast paths against the plain rules ----------------------------------------------------
def _plain_problem(design: dict[object, object]) -> bool:
    """The rule validate_design implements, written plainly: True when it must refuse."""
    if len(design) > MAX_FIELDS:
        return True
    for name, value in design.items():
        if not isinstance(name, str) or not 0 < len(name) <= MAX_FIELD_NAME_CHARS:
            return True
        if not _utf8(name) or _plain_value_problem(value, 1):
            return True
    text = json.dumps(design, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return len(text.encode("utf-8")) > MAX_DESIGN_BYTES


def _plain_value_problem(value: object, depth: int) -> bool:
    """Any JSON value (objects with text keys, lists) nested at most MAX_NESTING deep."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        return not _utf8(value)
    if isinstance(value, int):
        return abs(value) > MAX_INT_ABS
    if isinstance(value, float):
        return not math.isfinite(value)
    if depth > MAX_NESTING:
        return True
    if isinstance(value, list):
        return any(_plain_value_problem(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return any(
            not isinstance(k, str) or not _utf8(k) or _plain_value_problem(v, depth + 1)
            for k, v in value.items()
        )
    return True


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["\ud800", "a\udfffb", '\x00\x1f"\\', "é" * 5, "x" * 20_000]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
names = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", "\ud800", "k" * (MAX_FIELD_NAME_CHARS + 1), "ü" * 7]),
    st.integers(0, 3),
)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(st.dictionaries(names, values, max_size=8))
def test_validate_design_refuses_exactly_what_the_plain_rule_refuses(
    design: dict[object, object],
) -> None:
    expect_problem = _plain_problem(design)
    try:
        clean = validate_design(design, "the design")
    except LedgerError as error:
        assert expect_problem, str(error)
        assert str(error).startswith("the design")
    else:
        assert not expect_problem
        assert clean == design


def test_the_size_bound_only_passes_designs_under_the_limit() -> None:
    """Near the limit the exact size decides (escapes make JSON up to 6x the characters)."""
    control = "\x01" * ((MAX_DESIGN_BYTES - 10) // 6)  # 6 bytes of JSON per character
    assert len(canonical_json({"k": control}).encode()) <= MAX_DESIGN_BYTES
    validate_design({"k": control})
    with pytest.raises(LedgerError, match="too large"):
        validate_design({"k": control, "m": "x" * 100})


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.dictionaries(st.text(max_size=6), values.filter(lambda v: not isinstance(v, float))))
def test_canonical_json_is_json_dumps_sorted_and_compact(design: dict[str, object]) -> None:
    try:
        expected = json.dumps(
            design, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError:
        return
    assert canonical_json(design) == expected  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_canonical_json_writes_floats_as_json_dumps(number: float) -> None:
    assert canonical_json({"x": number}) == json.dumps({"x": number}, separators=(",", ":"))


def _plain_key(raw: object, volume: int) -> str | None:
    """canonical_key's documented rule without its look-up table."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if re.fullmatch(r"v2_[0-9]{1,2}", text, re.IGNORECASE):
            number, volume = int(text[3:]), 2
        elif re.fullmatch(r"[0-9]{1,3}", text):
            number = int(text)
        else:
            return None
    else:
        number = raw
    if volume == 2:
        return f"v2_{number:02d}" if 1 <= number <= 17 else None
    return str(number) if 1 <= number <= 16 else None


@pytest.mark.parametrize("volume", [1, 2])
def test_canonical_key_look_up_agrees_with_the_rule(volume: int) -> None:
    raws: list[object] = [True, False, 5.0, None, "5a", " 7 ", "007", "V2_3", "v2_017"]
    raws += list(range(-2, 40)) + [str(n) for n in range(-2, 40)]
    raws += [f"v2_{n:02d}" for n in range(0, 20)] + [f"v2_{n}" for n in range(0, 20)]
    for raw in raws:
        assert canonical_key(raw, volume) == _plain_key(raw, volume), raw


def _main_was_run_again() -> bool:
    """In a spawned worker: did spawn run the parent's main module again (by path or name)?
    Without that, ``__main__`` is the bare ``-c`` module spawn starts the worker with."""
    main = sys.modules["__main__"]
    return hasattr(main, "__file__") or getattr(main, "__spec__", None) is not None


def test_workers_start_without_running_the_programs_main_module_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's main module (typer, rich, every command) is half a worker's start-up; the
    pool starts its workers with a bare ``__main__`` and puts the real one back. A program
    file stands in for the CLI (how pytest itself was started must not matter)."""
    program = types.ModuleType("__main__")
    program.__file__ = str(tmp_path / "program.py")
    (tmp_path / "program.py").write_text("", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "__main__", program)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        assert pool.submit(_main_was_run_again).result() is True  # spawn re-ran program.py
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        with parallel._bare_main():
            started = pool.submit(_main_was_run_again)
        assert sys.modules["__main__"] is program
        assert started.result() is False


field_values = st.sampled_from(
    [True, False, 1, 0, None, "true", 2.5, "x", "", -0.0, math.inf, math.nan]
)


@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from([*bool_fields(), *TEXT_FIELDS, "act2_result"]), field_values
        ),
        max_size=12,
    )
)
def test_entry_columns_follow_the_typed_views_row_by_row(designs: list[dict[str, object]]) -> None:
    """The column builders (C look-ups, sparse verdict flags, text codes) give, per row,
    exactly as_bool / as_number / as_text of the field, wherever the fields appear."""
    columns = ClassColumns()
    chapters = {str(i + 1): d for i, d in enumerate(designs)}
    texts = dict.fromkeys(chapters, "{}")  # NaN and infinities have no JSON: not tested here
    columns.add_student(("s", "s.json", "A", "file", 0), chapters, (), texts)
    columns.seal()
    entries = columns.entries
    for row, design in enumerate(designs):
        for name in bool_fields():
            code = entries[name][row]  # type: ignore[index]
            assert {TRUE: True, FALSE: False, UNKNOWN: None}[code] is as_bool(design.get(name))
        for name in TEXT_FIELDS:
            code = entries[name][row]  # type: ignore[index]
            assert (None if code < 0 else columns.texts[code]) == as_text(design.get(name))
        number = entries["act2_result"][row]  # type: ignore[index]
        expected = as_number(design.get("act2_result"))
        assert (math.isnan(number) and expected is None) or number == expected
        assert entries["act2_result_text"][row] == as_text(design.get("act2_result"))  # type: ignore[index]
