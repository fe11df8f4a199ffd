"""What the analytics queries return: plain records, no DuckDB types (floats, ints, None)."""

from __future__ import annotations

from dataclasses import dataclass

from constraintlab.classreport.model import capstone_flag_labels


@dataclass(frozen=True)
class ClassTotals:
    """Class size and capstone outcomes (a capstone with no verdict is neither)."""

    students: int
    capstones_saved: int
    approved: int
    not_approved: int

    @property
    def approval_rate(self) -> float | None:
        """Approved over capstones with a verdict; None when there are none."""
        decided = self.approved + self.not_approved
        return self.approved / decided if decided else None


@dataclass(frozen=True)
class DomainStat:
    """One row of ``domains.csv``: mean and population spread over students with data."""

    domain: str
    students_with_data: int
    hit_rate_mean: float | None
    hit_rate_std: float | None
    prediction_accuracy_mean: float | None
    students_with_accuracy_data: int
    prediction_accuracy_std: float | None


@dataclass(frozen=True)
class StudentRow:
    """One row of ``students.csv``: Act I's totals, then the capstone's progress.

    ``capstone_attempts``: saves of the capstone (0: none yet); ``hints_used`` and
    ``reveals_used``: help asked for over all of them (None: the saves did not say);
    ``failing_in_last_attempt``: the constraints the last save failed ("; " between, None
    when none or not saved); ``last_attempt_at``: when it was recorded (our export only).
    """

    student_id: str
    labs_done: int
    constraint_hits: int
    prediction_accuracy: float | None
    capstone_approved: bool | None
    source_path: str
    layout: str
    capstone_attempts: int = 0
    hints_used: int | None = None
    reveals_used: int | None = None
    failing_in_last_attempt: str | None = None
    last_attempt_at: str | None = None

    @property
    def needs_help(self) -> bool:
        """No approved capstone: none saved, or the last verdict not an approval."""
        return self.capstone_approved is not True


@dataclass(frozen=True)
class LabCompletion:
    """How many students saved one lab, and their share of the class."""

    chapter: str
    students_done: int
    completion_rate: float


@dataclass(frozen=True)
class FunnelStage:
    """One stage of the approval funnel."""

    stage: str
    students: int


@dataclass(frozen=True)
class FailingConstraint:
    """Among capstones not approved: how many failed this constraint, how many did not say."""

    flag: str
    failing: int
    unknown: int

    @property
    def label(self) -> str:
        """The constraint's name as the lab shows it."""
        return capstone_flag_labels().get(self.flag, self.flag)


@dataclass(frozen=True)
class AttemptsBucket:
    """How many approved students needed exactly ``attempts`` capstone saves."""

    attempts: int
    students: int


@dataclass(frozen=True)
class CompletionMatrix:
    """Heat-map data: rows (students, or bins of students), columns (labs), values 0..1."""

    row_labels: list[str]
    chapters: list[str]
    values: list[list[float]]
    binned: bool
    students: int
