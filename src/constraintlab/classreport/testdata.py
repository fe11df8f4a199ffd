"""Generate a class of student ledger files whose report numbers are known in advance.

Used by the tests and the benchmark. :func:`generate_class` writes one file per student in the
course's layouts A and B and our native export (written here from LEDGER_FORMATS.md and the
export's documented shape, independently of the ledger's parser and writer), optionally with
bad files (malformed, oversized, duplicate, conflicting, sample data, unplaced entries) and
ids that try to inject HTML, and returns the answers the report must give, computed from the
generated designs by the plain definitions below, not by the report code.

Deterministic: the same arguments and seed write byte-identical files.
"""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from constraintlab.classreport.model import CAPSTONE_KEY, capstone_flag_labels, capstone_flags

VOLUME1: Final = tuple(str(n) for n in range(1, 17))
VOLUME2: Final = tuple(f"v2_{n:02d}" for n in range(1, 18))
CAPSTONE: Final = CAPSTONE_KEY
ALL_MET: Final = "constraints_all_met"
# Act I's domains, written out from the course (not imported: the tests compare the two)
COURSE_DOMAINS: Final[Mapping[str, tuple[str, ...]]] = {
    "Memory": ("5", "8", "10"),
    "Compute": ("11", "12", "v2_09"),
    "Serving": ("13", "v2_10"),
    "Scale": ("v2_01", "v2_05"),
    "Networking": ("v2_02", "v2_03", "v2_06"),
    "Reliability": ("v2_07",),
    "Privacy/Ethics": ("15", "16", "v2_13", "v2_16"),
    "Economics": ("v2_08", "v2_09", "v2_15"),
}
# how often each domain's labs hit a constraint, to give the charts a shape
_HIT_BIAS: Final = {"Privacy/Ethics": 0.7, "Reliability": 0.6, "Networking": 0.5}
XSS_IDS: Final = ("<img src=x onerror=alert(1)>", "\"'><svg onload=alert(2)>")
XSS_NAMED_ID: Final = "<script>alert(5)</script>"  # not a possible file name: named in the file
XSS_BAD_FILE: Final = "<b onmouseover=alert(3)>broken.json"
Design = dict[str, Any]


@dataclass(frozen=True)
class ExpectedStudent:
    """One row of ``students.csv`` as it must come out (Act I's totals: labs before v2_17)."""

    labs_done: int
    constraint_hits: int
    prediction_accuracy: float | None
    capstone_approved: bool | None
    labs_saved: int  # all 33 labs, the capstone included (rows of entries.parquet)


@dataclass(frozen=True)
class ExpectedCapstone:
    """A student's capstone progress in ``students.csv`` as it must come out."""

    attempts: int
    hints_used: int | None
    reveals_used: int | None
    failing_in_last_attempt: str | None
    last_attempt_at: str | None


@dataclass(frozen=True)
class ExpectedDomain:
    """One row of ``domains.csv`` as it must come out (population SD)."""

    students_with_data: int
    hit_rate_mean: float | None
    hit_rate_std: float | None
    prediction_accuracy_mean: float | None


@dataclass
class ClassAnswers:
    """Everything the report must say about a generated class."""

    students: dict[str, ExpectedStudent] = field(default_factory=dict)
    capstones: dict[str, ExpectedCapstone] = field(default_factory=dict)
    domains: dict[str, ExpectedDomain] = field(default_factory=dict)
    attempts_needed: dict[int, int] = field(default_factory=dict)
    failing: dict[str, int] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    caveats: dict[str, str] = field(default_factory=dict)
    files_written: int = 0

    @property
    def approved(self) -> int:
        """Students whose capstone is approved."""
        return sum(s.capstone_approved is True for s in self.students.values())

    @property
    def stuck(self) -> list[str]:
        """Students who saved a capstone that is not approved, most attempts first."""
        ids = [sid for sid, s in self.students.items() if s.capstone_approved is False]
        return sorted(ids, key=lambda sid: (-self.capstones[sid].attempts, sid))

    @property
    def without_capstone(self) -> list[str]:
        """Students who never saved a capstone (read, but not one v2_17 save)."""
        return sorted(sid for sid, s in self.students.items() if s.capstone_approved is None)

    @property
    def not_approved(self) -> int:
        """Students whose capstone was saved and not approved."""
        return sum(s.capstone_approved is False for s in self.students.values())


@dataclass
class _Student:
    """A generated student: final designs and every capstone save in order."""

    student_id: str
    entries: dict[str, Design]
    capstone_saves: list[Design]
    layout: str  # "A", "B" or "native"
    file_stem: str  # the student id, or another name when a native file names the id


def generate_class(
    folder: Path,
    n_students: int,
    *,
    seed: int = 0,
    bad_files: bool = True,
    skip_chapters: Sequence[str] = (),
    oversize_bytes: int = 0,
    every_lab: bool = False,
) -> ClassAnswers:
    """Write ``n_students`` ledgers (plus bad files when asked) into ``folder``; return answers.

    ``skip_chapters`` are left out of every ledger (so a domain can have no data at all).
    ``oversize_bytes`` > 0 adds one syntactically valid ledger of that size (for the parser's
    size limit). ``every_lab`` makes every student save all 33 labs (the benchmark's worst
    case: 10,000 students are 330,000 entries). Student ids are ``student_00001`` ... plus,
    with ``bad_files``, the ids in :data:`XSS_IDS` as file names and :data:`XSS_NAMED_ID`
    named inside a native export.
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"student_{n:05d}" for n in range(1, n_students + 1)]
    if bad_files:
        ids[: len(XSS_IDS) + 1] = (*XSS_IDS, XSS_NAMED_ID)[: len(ids)]
    answers = ClassAnswers()
    students = [_make_student(rng, sid, skip_chapters, every_lab) for sid in ids]
    for student in students:
        (folder / f"{student.file_stem}.json").write_text(_file_text(rng, student))
        answers.students[student.student_id] = expected_student(student.entries)
    answers.files_written = len(students)
    read = [s.entries for s in students]
    if bad_files:
        read.append(_write_bad_files(rng, folder, students, answers))
    if oversize_bytes:
        _write_oversized(folder, oversize_bytes, answers)
    answers.domains = expected_domains(read)
    _capstone_answers(students, answers)
    return answers


# --- generating one student -----------------------------------------------------------------
def _make_student(
    rng: random.Random, student_id: str, skip: Sequence[str], every_lab: bool = False
) -> _Student:
    """Labs done in course order up to a random point, a few gaps, biased hit rates."""
    reach = rng.choice([16, 16, 16, 12, 8]), rng.choice([17, 17, 17, 17, 16, 10, 4, 0])
    done = [c for c in VOLUME1[: reach[0]] + VOLUME2[: reach[1]] if rng.random() > 0.08]
    if every_lab:
        done = list(VOLUME1 + VOLUME2)
    domain_of = {c: d for d, chapters in COURSE_DOMAINS.items() for c in chapters}
    entries: dict[str, Design] = {}
    for chapter in done:
        if chapter in skip:
            continue
        bias = _HIT_BIAS.get(domain_of.get(chapter, ""), 0.3)
        entries[chapter] = _design(rng, bias)
    saves: list[Design] = []
    if CAPSTONE in entries:
        saves = _with_help(student_id, _capstone_saves(rng))
        entries[CAPSTONE] = {**entries[CAPSTONE], **saves[-1]}
    layout = "native" if student_id == XSS_NAMED_ID else rng.choice(["A", "A", "B", "native"])
    named = layout == "native" and (student_id == XSS_NAMED_ID or rng.random() < 0.5)
    stem = f"export_{rng.randrange(10**9):09d}" if named else student_id
    return _Student(student_id, entries, saves if layout != "B" else saves[-1:], layout, stem)


def _design(rng: random.Random, hit_bias: float) -> Design:
    """One lab's design: the six common fields, sometimes without act1_correct."""
    design: Design = {
        "context": rng.choice(["cloud", "edge", "mobile", "tiny"]),
        "act1_prediction": rng.choice("ABCD"),
        "act2_result": round(rng.uniform(0.5, 500.0), 2),
        "act2_decision": rng.choice(["quantize", "shard", "batch", "replicate"]),
        "constraint_hit": rng.random() < hit_bias,
    }
    if rng.random() > 0.1:
        design["act1_correct"] = rng.random() < 0.6
    return design


def _capstone_saves(rng: random.Random) -> list[Design]:
    """1-4 saves of the capstone; the last is approved for about 40% of students."""
    count = rng.choice([1, 1, 2, 3, 4])
    approved_at = count if rng.random() < 0.4 else None
    saves = []
    for number in range(1, count + 1):
        if number == approved_at:
            flags = dict.fromkeys(capstone_flags(), True)
        else:
            flags = {flag: rng.random() < 0.6 for flag in capstone_flags()}
            flags[rng.choice(["accuracy_met", "fault_tolerance_met", "carbon_met"])] = False
        saves.append({**flags, "constraints_all_met": all(flags.values())})
    return saves


def _with_help(student_id: str, saves: list[Design]) -> list[Design]:
    """The lab's help counters on each save: per session and cumulative, so they rise, or
    start again from a new session's count; one student in ten's lab saved none (an older
    lab). A random stream of the student's own, so the rest of the class is unchanged."""
    rng = random.Random(f"help-{student_id}")
    if rng.random() < 0.1:
        return saves
    hints = reveals = 0
    out = []
    for save in saves:
        if rng.random() < 0.25:  # a new session
            hints = reveals = 0
        hints += rng.choice([0, 0, 1, 2, 3])
        reveals += rng.random() < 0.2
        out.append({**save, "hints_used": hints, "reveals_used": reveals})
    return out


def _file_text(rng: random.Random, student: _Student) -> str:
    """The student's ledger in layout A, B or our native export."""
    if student.layout == "B":
        history_b = dict(sorted(student.entries.items(), key=lambda kv: rng.random()))
        layout_b = {"track": None, "current_step": 17, "history": history_b, "last_updated": ""}
        return json.dumps(layout_b, indent=1)
    if student.layout == "native":
        return json.dumps(_native_document(student), indent=2)
    history: list[dict[str, Any]] = []
    for chapter, design in student.entries.items():
        key: int | str = chapter
        if not chapter.startswith("v2_"):
            key = int(chapter) if rng.random() < 0.8 else chapter  # sometimes a digit string
        if chapter == CAPSTONE:
            history += [{"chapter": key, "design": d} for d in _capstone_designs(student)]
            continue
        if rng.random() < 0.2:  # an earlier save of the same lab, later overwritten
            history.append({"chapter": key, "design": _design(rng, 0.5)})
        history.append({"chapter": key, "design": design})
    document: dict[str, Any] = {"track": None, "current_chapter": "v2_17", "history": history}
    return json.dumps(document)


def _capstone_designs(student: _Student) -> list[Design]:
    """Every capstone save as a full design (the lab's fields plus that save's verdicts)."""
    if CAPSTONE not in student.entries:
        return []
    final = student.entries[CAPSTONE]
    base = {k: v for k, v in final.items() if k not in (*capstone_flags(), ALL_MET)}
    return [{**base, **save} for save in student.capstone_saves]


def _native_document(student: _Student, sample: bool = False) -> dict[str, Any]:
    """Our export: entries by canonical key, the capstone attempts, the id when not the stem."""
    document: dict[str, Any] = {
        "format": "constraintlab-ledger",
        "format_version": 1,
        "exported_at": "2026-05-01T12:00:00Z",
        "sample": sample,
    }
    if student.file_stem != student.student_id:
        document["student_id"] = student.student_id
    document["entries"] = student.entries
    document["attempts"] = [
        {"chapter": CAPSTONE, "recorded_at": f"2026-04-{n:02d}T10:00:00Z", "design": design}
        for n, design in enumerate(_capstone_designs(student), 1)
    ]
    return document


# --- the plain definitions the report must reproduce ----------------------------------------
def _share(values: Sequence[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def expected_student(entries: Mapping[str, Design]) -> ExpectedStudent:
    """Act I's totals over the 32 labs before the capstone, and the capstone's own verdict."""
    capstone = entries.get(CAPSTONE)
    earlier = [d for key, d in entries.items() if key != CAPSTONE]
    return ExpectedStudent(
        labs_done=len(earlier),
        constraint_hits=sum(d.get("constraint_hit") is True for d in earlier),
        prediction_accuracy=_share(
            [d["act1_correct"] for d in earlier if isinstance(d.get("act1_correct"), bool)]
        ),
        capstone_approved=None if capstone is None else capstone.get(ALL_MET),
        labs_saved=len(entries),
    )


def student_domain_rates(entries: Mapping[str, Design], field_name: str) -> dict[str, float | None]:
    """Act I's rule: per domain, the share of its saved labs whose boolean field is true."""
    return {
        domain: _share(
            [
                entries[c][field_name]
                for c in chapters
                if c in entries and isinstance(entries[c].get(field_name), bool)
            ]
        )
        for domain, chapters in COURSE_DOMAINS.items()
    }


def expected_domains(classes: Sequence[Mapping[str, Design]]) -> dict[str, ExpectedDomain]:
    """Mean and population SD over the students with data in each domain."""
    hits = [student_domain_rates(e, "constraint_hit") for e in classes]
    accuracy = [student_domain_rates(e, "act1_correct") for e in classes]
    out = {}
    for domain in COURSE_DOMAINS:
        h = [rate for r in hits if (rate := r[domain]) is not None]
        a = [rate for r in accuracy if (rate := r[domain]) is not None]
        out[domain] = ExpectedDomain(
            students_with_data=len(h),
            hit_rate_mean=statistics.fmean(h) if h else None,
            hit_rate_std=statistics.pstdev(h) if h else None,
            prediction_accuracy_mean=statistics.fmean(a) if a else None,
        )
    return out


def help_asked_for(counts: Sequence[int | None]) -> int | None:
    """Help over a capstone's saves from the lab's per-session cumulative counters: each save
    adds its rise over the one before, or its whole count after a drop (a new session)."""
    if all(count is None for count in counts):
        return None
    total, before = 0, None
    for count in counts:
        if count is None:
            continue
        total += count if before is None or count < before else count - before
        before = count
    return total


def expected_capstone(student: _Student) -> ExpectedCapstone:
    """The capstone columns of ``students.csv`` for a student who saved one."""
    saves, last = student.capstone_saves, student.capstone_saves[-1]
    labels = capstone_flag_labels()
    failing = [labels[flag] for flag in capstone_flags() if last.get(flag) is False]
    return ExpectedCapstone(
        attempts=len(saves),
        hints_used=help_asked_for([s.get("hints_used") for s in saves]),
        reveals_used=help_asked_for([s.get("reveals_used") for s in saves]),
        failing_in_last_attempt="; ".join(failing) or None,
        last_attempt_at=f"2026-04-{len(saves):02d}T10:00:00Z"
        if student.layout == "native"
        else None,
    )


def _capstone_answers(students: Sequence[_Student], answers: ClassAnswers) -> None:
    """Attempts to approval (first approved save) and failing flags of non-approved capstones;
    each capstone's progress (attempts, help, the last save's failures and time)."""
    for student in students:
        final = student.entries.get(CAPSTONE)
        if final is None:
            continue
        answers.capstones[student.student_id] = expected_capstone(student)
        if final["constraints_all_met"]:
            needed = next(
                n for n, s in enumerate(student.capstone_saves, 1) if s["constraints_all_met"]
            )
            answers.attempts_needed[needed] = answers.attempts_needed.get(needed, 0) + 1
            continue
        for flag in capstone_flags():
            answers.failing[flag] = answers.failing.get(flag, 0) + (final[flag] is False)


# --- bad files --------------------------------------------------------------------------------
def _write_bad_files(
    rng: random.Random, folder: Path, students: Sequence[_Student], answers: ClassAnswers
) -> dict[str, Design]:
    """Malformed files, a duplicate, a conflict and unplaced entries; answers say what to expect.

    Returns the entries of the one extra student that is read (the file with an unplaced entry).
    """
    malformed = {
        "broken.json": '{"history": [{"chapter": 5, "design": {"context": "cl',
        "top_level_list.json": "[1, 2, 3]",
        "empty.json": "",
        "entries_not_object.json": json.dumps(
            {"format": "constraintlab-ledger", "format_version": 1, "entries": []}
        ),
        "history_is_number.json": json.dumps({"history": 42}),
        XSS_BAD_FILE: "<script>alert(4)</script>",
    }
    for name, text in malformed.items():
        (folder / name).write_text(text)
        answers.problems[name] = "malformed"
    (folder / "binary.json").write_bytes(bytes(rng.randrange(256) for _ in range(512)))
    answers.problems["binary.json"] = "malformed"
    if len(students) >= 2:
        _write_duplicate_and_conflict(folder, students, answers)
    sample = _Student("sample", {"5": {"constraint_hit": True}}, [], "native", "sample_journey")
    (folder / "sample_journey.json").write_text(json.dumps(_native_document(sample, sample=True)))
    answers.problems["sample_journey.json"] = "sample data"
    return _write_unplaced(folder, answers)


def _write_duplicate_and_conflict(
    folder: Path, students: Sequence[_Student], answers: ClassAnswers
) -> None:
    """A byte-identical copy of the last student's file (same name, so the same student id);
    another file naming the second last."""
    original = folder / f"{students[-1].file_stem}.json"
    copies = folder / "zz_copies"  # sorts after every student's file
    copies.mkdir(exist_ok=True)
    copy = copies / original.name
    copy.write_bytes(original.read_bytes())
    answers.problems[f"{copies.name}/{copy.name}"] = "duplicate content"
    resubmitted = folder / "zz_resubmitted"  # sorts after every student's file
    resubmitted.mkdir(exist_ok=True)
    conflict = {"student_id": students[-2].student_id, "history": {"1": {"constraint_hit": True}}}
    (resubmitted / "resubmission.json").write_text(json.dumps(conflict))
    answers.problems["zz_resubmitted/resubmission.json"] = "student id conflict"


def _write_unplaced(folder: Path, answers: ClassAnswers) -> dict[str, Design]:
    """A readable ledger with one entry no lab owns: read, with a caveat."""
    design = {"constraint_hit": True, "act1_correct": False}
    text = json.dumps(
        {"history": [{"chapter": 5, "design": design}, {"chapter": "v9_99", "design": design}]}
    )
    (folder / "unplaced_entry.json").write_text(text)
    answers.students["unplaced_entry"] = expected_student({"5": design})
    answers.caveats["unplaced_entry.json"] = "unplaced entries"
    answers.files_written += 1
    return {"5": design}


def _write_oversized(folder: Path, size_bytes: int, answers: ClassAnswers) -> None:
    """Valid JSON ledger padded with spaces to ``size_bytes``."""
    text = json.dumps({"history": {}})
    (folder / "oversized.json").write_text(text[:-1] + " " * max(size_bytes - len(text), 0) + "}")
    answers.problems["oversized.json"] = "oversized"
