"""class-report inputs: files, folders and globs in any mix, each file once, in sorted order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from constraintlab.classreport.inputs import expand_inputs
from constraintlab.classreport.model import ProblemKind


def _touch(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_folders_are_searched_recursively_for_json_only_skipping_hidden(tmp_path: Path) -> None:
    a = _touch(tmp_path / "class" / "b.json")
    b = _touch(tmp_path / "class" / "sub" / "deeper" / "a.JSON")
    _touch(tmp_path / "class" / "notes.txt")
    _touch(tmp_path / "class" / ".hidden.json")
    _touch(tmp_path / "class" / ".git" / "x.json")
    found = expand_inputs([str(tmp_path / "class")])
    assert found.files == (a, b)
    assert found.problems == ()


def test_a_named_file_is_taken_whatever_its_extension(tmp_path: Path) -> None:
    f = _touch(tmp_path / "export.ledger")
    assert expand_inputs([str(f)]).files == (f,)


def test_glob_patterns_including_double_star_and_matching_folders(tmp_path: Path) -> None:
    one = _touch(tmp_path / "s1" / "ledger.json")
    two = _touch(tmp_path / "s2" / "nested" / "ledger.json")
    _touch(tmp_path / "s2" / "other.json")
    found = expand_inputs([str(tmp_path / "**" / "ledger.json")])
    assert found.files == (one, two)
    folders = expand_inputs([str(tmp_path / "s*")])
    assert len(folders.files) == 3


def test_the_same_file_reached_twice_is_read_once_and_is_not_a_problem(tmp_path: Path) -> None:
    f = _touch(tmp_path / "c" / "x.json")
    link = tmp_path / "link.json"
    link.symlink_to(f)
    hard = tmp_path / "hard.json"
    hard.hardlink_to(f)
    found = expand_inputs(
        [str(f), str(tmp_path / "c"), str(tmp_path / "c" / "*.json"), str(link), str(hard)]
    )
    assert found.files == (f,)
    assert found.problems == ()


def test_inputs_that_match_nothing_are_problems_not_errors(tmp_path: Path) -> None:
    f = _touch(tmp_path / "ok.json")
    found = expand_inputs([str(f), str(tmp_path / "missing.json"), str(tmp_path / "*.nothing")])
    assert found.files == (f,)
    assert [p.kind for p in found.problems] == [ProblemKind.NO_MATCH] * 2
    assert all(p.skipped for p in found.problems)


def test_fifos_and_broken_links_are_listed_and_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # opening it for reading would block forever
    broken = tmp_path / "broken.json"
    broken.symlink_to(tmp_path / "gone.json")
    found = expand_inputs([str(fifo), str(broken)])
    assert found.files == ()
    assert {(p.path, p.kind) for p in found.problems} == {
        (str(fifo), ProblemKind.NOT_A_FILE),
        (str(broken), ProblemKind.NOT_A_FILE),
    }
    assert "broken symbolic link" in {p.detail for p in found.problems}


def test_files_come_back_in_sorted_path_order(tmp_path: Path) -> None:
    names = ["zed.json", "alpha.json", "Mid.json", "b/a.json"]
    for name in names:
        _touch(tmp_path / name)
    found = expand_inputs([str(tmp_path / n) for n in reversed(names)])
    assert [str(f) for f in found.files] == sorted(str(tmp_path / n) for n in names)


@pytest.mark.parametrize("inputs", [[], ["/definitely/not/here/*.json"]])
def test_no_files_at_all(inputs: list[str]) -> None:
    assert expand_inputs(inputs).files == ()
