"""The analytics layer: the class in an embedded DuckDB database, and the SQL that summarises it.

Tables (one in-memory database per report):

* ``labs(chapter, position, volume, lab)``: the 33 canonical chapter keys in course order.
* ``domain_labs(domain, position, chapter)``: Act I's eight domains and their labs.
* ``students(student_id, source_path, layout, id_source, unplaced_entries)``: one row a student.
* ``entries(student_id, chapter, context, ..., design_json)``: one row per lab a student saved
  (the canonical entry, i.e. the last save); the known fields typed, everything in
  ``design_json``. A boolean column is NULL when the field is missing or not a JSON boolean.
* ``attempts(student_id, chapter, attempt, constraints_all_met, <a flag per constraint>, hints_used,
  reveals_used, recorded_at)``: every save of the capstone, in the order the ledger recorded
  it (1-based), with the help the lab had counted by then and the time our export recorded
  (NULL in the course's layouts); the other labs' saves are not kept (no query reads them,
  and they are most of the rows).
* ``student_domains(student_id, domain, hit_rate, prediction_accuracy)``: each student's Act I
  numbers per domain (NULL = no data). A report derives them from ``entries`` by Act I's rule
  (:meth:`ClassDatabase.derive_student_domains`; a test checks them against the ledger's
  archaeology); :meth:`ClassDatabase.build` takes them as given.

Rows go in column-wise (:class:`~constraintlab.classreport.columns.ClassColumns`, a chunk of
students at a time): one dict of NumPy arrays per table, scanned by DuckDB in place (no
pandas, no pyarrow). Every query returns plain Python records (see
:mod:`constraintlab.classreport.results`).

"Spread" is the population standard deviation over the students who have data (the class is
the whole population, and one student gives a spread of 0 rather than none).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any

import duckdb
import numpy as np

from constraintlab.classreport.columns import (
    FALSE,
    HELP_FIELDS,
    LAB_INDEX,
    TEXT_FIELDS,
    TRUE,
    ClassColumns,
    Column,
    as_bool,
    as_number,
    as_text,
    bool_fields,
    verdict_fields,
)
from constraintlab.classreport.model import (
    CAPSTONE_KEY,
    StudentLedger,
    capstone_flag_labels,
    capstone_flags,
)
from constraintlab.classreport.results import (
    AttemptsBucket,
    ClassTotals,
    CompletionMatrix,
    DomainStat,
    FailingConstraint,
    FunnelStage,
    LabCompletion,
    StudentRow,
)

__all__ = ["TEXT_FIELDS", "ClassDatabase", "as_bool", "as_number", "as_text", "bool_fields"]


def _failing_names() -> str:
    """The names of the constraints a save failed, in the lab's order (a flag not saved: none)."""
    labels = capstone_flag_labels()
    return ", ".join(f"CASE WHEN NOT {flag} THEN '{labels[flag]}' END" for flag in labels)


def _approved_sql() -> str:
    """Approved: the lab's own verdict if it saved one, else every flag if every one was saved."""
    flags = capstone_flags()
    saved = " AND ".join(f"{flag} IS NOT NULL" for flag in flags)
    return f"coalesce(constraints_all_met, CASE WHEN {saved} THEN {' AND '.join(flags)} END)"


def _schema() -> str:
    """The tables, views and macros (module docstring), for the registry's constraints."""
    return f"""
CREATE TABLE labs (chapter VARCHAR PRIMARY KEY, position INTEGER, volume INTEGER, lab INTEGER);
CREATE TABLE domain_labs (domain VARCHAR, position INTEGER, chapter VARCHAR);
CREATE TABLE students (student_id VARCHAR PRIMARY KEY, source_path VARCHAR, layout VARCHAR,
                       id_source VARCHAR, unplaced_entries INTEGER);
CREATE TABLE entries (student_id VARCHAR, chapter VARCHAR,
                      {", ".join(f"{name} VARCHAR" for name in TEXT_FIELDS)},
                      act2_result DOUBLE, act2_result_text VARCHAR,
                      {", ".join(f"{name} BOOLEAN" for name in bool_fields())},
                      design_json VARCHAR);
CREATE TABLE attempts (student_id VARCHAR, chapter VARCHAR, attempt INTEGER,
                       {", ".join(f"{name} BOOLEAN" for name in verdict_fields())},
                       {", ".join(f"{name} DOUBLE" for name in HELP_FIELDS)},
                       recorded_at VARCHAR);
CREATE TABLE student_domains (student_id VARCHAR, domain VARCHAR, hit_rate DOUBLE,
                              prediction_accuracy DOUBLE);
CREATE VIEW capstones AS
    SELECT *, {_approved_sql()} AS approved
    FROM entries WHERE chapter = '{CAPSTONE_KEY}';
CREATE VIEW capstone_attempts AS
    SELECT *, {_approved_sql()} AS approved
    FROM attempts WHERE chapter = '{CAPSTONE_KEY}';
CREATE VIEW student_summary AS
    SELECT s.student_id, s.source_path, s.layout,
           count(e.chapter) AS labs_saved,
           -- Act I's totals: the 32 labs before the capstone
           count(e.chapter) FILTER (WHERE e.chapter <> '{CAPSTONE_KEY}') AS labs_done,
           count(*) FILTER (WHERE e.constraint_hit AND e.chapter <> '{CAPSTONE_KEY}')
               AS constraint_hits,
           avg(e.act1_correct::INTEGER) FILTER (WHERE e.chapter <> '{CAPSTONE_KEY}')
               AS prediction_accuracy,
           any_value(c.approved) AS capstone_approved
    FROM students s
    LEFT JOIN entries e USING (student_id)
    LEFT JOIN capstones c USING (student_id)
    GROUP BY ALL;
-- help asked for: the lab counts hints and reveals per session, cumulatively, so a save adds
-- its rise over the save before it, or its whole count after a drop (a new session began)
CREATE MACRO help_added(now, before) AS
    CASE WHEN before IS NULL OR now < before THEN now ELSE now - before END;
CREATE VIEW capstone_progress AS
    WITH a AS (
        SELECT *, lag(hints_used) OVER w AS hints_before, lag(reveals_used) OVER w
                   AS reveals_before,
               row_number() OVER (PARTITION BY student_id ORDER BY attempt DESC) AS from_last,
               nullif(concat_ws('; ', {_failing_names()}), '') AS failing
        FROM capstone_attempts WINDOW w AS (PARTITION BY student_id ORDER BY attempt))
    SELECT student_id, count(*) AS attempts,
           sum(help_added(hints_used, hints_before))::BIGINT AS hints_used,
           sum(help_added(reveals_used, reveals_before))::BIGINT AS reveals_used,
           any_value(failing) FILTER (WHERE from_last = 1) AS failing_in_last_attempt,
           any_value(recorded_at) FILTER (WHERE from_last = 1) AS last_attempt_at
    FROM a GROUP BY student_id;
"""


def lab_position(chapter: str) -> tuple[int, int]:
    """(volume, lab number) of a canonical key: "5" -> (1, 5), "v2_07" -> (2, 7)."""
    if chapter.startswith("v2_"):
        return 2, int(chapter[3:])
    return 1, int(chapter)


class ChunkBatches:
    """Hands chunks to :meth:`ClassDatabase.add` in batches of at least ``rows`` entries.

    Call it with each chunk, then :meth:`flush` once at the end. Holding a batch costs its
    chunks' memory (about 200 bytes an entry); each insert's fixed cost is paid once a batch.
    """

    def __init__(self, db: ClassDatabase, rows: int = 100_000) -> None:
        self.db, self.rows = db, rows
        self.waiting: list[ClassColumns] = []
        self.waiting_rows = 0

    def __call__(self, chunk: ClassColumns) -> None:
        self.waiting.append(chunk)
        self.waiting_rows += sum(chunk.entry_rows)
        if self.waiting_rows >= self.rows:
            self.flush()

    def flush(self) -> None:
        """Insert what is waiting."""
        waiting, self.waiting, self.waiting_rows = self.waiting, [], 0
        self.db.add(*waiting)


class ClassDatabase:
    """One class in DuckDB, and the queries the report and the CSV files are made of."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    @classmethod
    def create(
        cls, domain_labs: Mapping[str, Sequence[str]], lab_keys: Sequence[str]
    ) -> ClassDatabase:
        """The schema in a fresh in-memory database, with the course's labs and domains."""
        con = duckdb.connect(":memory:", config={"threads": 1})  # see :meth:`use_threads`
        con.execute(_schema())
        db = cls(con)
        db._insert("labs", _lab_columns(lab_keys))
        db._insert("domain_labs", _domain_lab_columns(domain_labs))
        return db

    @classmethod
    def build(
        cls,
        students: Sequence[StudentLedger],
        domain_labs: Mapping[str, Sequence[str]],
        lab_keys: Sequence[str],
    ) -> ClassDatabase:
        """A database of ``students`` as given, their domain scores included."""
        db = cls.create(domain_labs, lab_keys)
        db.add(student_columns(students))
        db._insert("student_domains", _student_domain_columns(students))
        return db

    def add(self, *chunks: ClassColumns) -> None:
        """Insert sealed chunks of students with their entries and saves, one statement a table.

        An insert costs a few milliseconds whatever its size, so a report hands over many
        chunks at once (:class:`ChunkBatches`); the chunks' codes are joined here (NumPy).
        """
        if not chunks:
            return
        students = zip(*(c.students for c in chunks), strict=True)  # column by column
        self._insert("students", [list(chain(*column)) for column in students])
        ids, texts = list(chain(*(c.ids for c in chunks))), list(chain(*(c.texts for c in chunks)))
        codes = {"ids": ids, "labs": list(LAB_INDEX), "texts": texts}
        self._insert_decoded("entries", _joined(chunks, "entries"), codes)
        self._insert_decoded("attempts", _joined(chunks, "attempts"), codes)

    def use_threads(self, threads: int) -> None:
        """Let DuckDB run queries on ``threads`` threads of its own (besides each caller's).

        A database starts with one: while a class is read, the worker processes hold the other
        cores, and inserting on one thread is both faster and cheaper than on two (0.28 s
        against 0.42 s of CPU for 10,000 students on 2 cores). Once everything is in, the
        report runs its queries and the parquet export side by side, each on its own caller's
        thread, so it asks for one thread fewer than the CPUs.
        """
        self.con.execute(f"SET threads = {max(int(threads), 1)}")

    def derive_student_domains(self) -> None:
        """Fill ``student_domains`` from ``entries`` by Act I's rule, once every student is in.

        Per student and domain: the share of the domain's saved labs whose ``constraint_hit``
        (``act1_correct``) is true, of those that recorded it as a JSON boolean; NULL when
        none did (:func:`constraintlab.ledger.archaeology.domain_stats`). A student with no
        lab of a domain has no row for it, which every query reads as "no data".
        """
        self.con.execute(
            """
            INSERT INTO student_domains
            SELECT e.student_id, d.domain,
                   count(*) FILTER (WHERE e.constraint_hit) / nullif(count(e.constraint_hit), 0),
                   count(*) FILTER (WHERE e.act1_correct) / nullif(count(e.act1_correct), 0)
            FROM entries e JOIN domain_labs d USING (chapter)
            GROUP BY e.student_id, d.domain
            ORDER BY e.student_id, d.domain
            """
        )

    def _insert(self, table: str, columns: Sequence[list[Any]]) -> None:
        """Insert equally long column lists into ``table`` (in its column order) at once.

        The columns go in as a dict of NumPy object arrays that DuckDB scans in place
        (``None`` becomes NULL): about 0.1 s for 330,000 entries, where ``executemany`` needs
        minutes and ``unnest`` of Python lists several seconds.
        """
        if not columns or not columns[0]:
            return
        view = f"_incoming_{table}"
        self.con.register(view, {f"c{i}": np.array(c, dtype=object) for i, c in enumerate(columns)})
        try:
            names = ", ".join(f"c{i}" for i in range(len(columns)))
            self.con.execute(f"INSERT INTO {table} SELECT {names} FROM {view}")
        finally:
            self.con.unregister(view)

    def _insert_decoded(
        self,
        table: str,
        columns: Mapping[str, np.ndarray[Any, Any]],
        codes: Mapping[str, list[str]],
    ) -> None:
        """Insert coded columns (:mod:`~constraintlab.classreport.columns`) into ``table``.

        Integer, double and byte columns are scanned by DuckDB in place (no Python object per
        value); the codes are turned back into values in SQL (:func:`_decoded`).
        """
        if not columns or not len(next(iter(columns.values()))):
            return
        view = f"_incoming_{table}"
        self.con.register(view, dict(columns))
        try:
            values = ", ".join(_decoded(name) for name in columns)
            used = {name: codes[name] for name in codes if f"${name}" in values}
            self.con.execute(f"INSERT INTO {table} SELECT {values} FROM {view}", used)
        finally:
            self.con.unregister(view)

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, list(params)).fetchall()

    # --- the class as a whole -------------------------------------------------------------
    def totals(self) -> ClassTotals:
        """How many students, capstones saved, approved and not approved."""
        ((students,),) = self._rows("SELECT count(*) FROM students")
        ((saved, approved, rejected),) = self._rows(
            "SELECT count(*), count(*) FILTER (WHERE approved),"
            " count(*) FILTER (WHERE NOT approved) FROM capstones"
        )
        return ClassTotals(students, saved, approved, rejected)

    def domain_stats(self) -> list[DomainStat]:
        """Per domain: students with data, mean and spread of hit rate and prediction accuracy."""
        rows = self._rows(
            """
            WITH d AS (SELECT DISTINCT domain, position FROM domain_labs)
            SELECT d.domain, count(sd.hit_rate), avg(sd.hit_rate), stddev_pop(sd.hit_rate),
                   avg(sd.prediction_accuracy), count(sd.prediction_accuracy),
                   stddev_pop(sd.prediction_accuracy)
            FROM d LEFT JOIN student_domains sd USING (domain)
            GROUP BY d.domain, d.position ORDER BY d.position
            """
        )
        return [DomainStat(*row) for row in rows]

    def students(self) -> list[StudentRow]:
        """One row per student, sorted by id (the numbers of ``students.csv``), with their
        capstone's progress (0 attempts and NULLs for a student with no capstone)."""
        rows = self._rows(
            "SELECT student_id, labs_done, constraint_hits, prediction_accuracy,"
            " capstone_approved, source_path, layout, coalesce(p.attempts, 0), p.hints_used,"
            " p.reveals_used, p.failing_in_last_attempt, p.last_attempt_at"
            " FROM student_summary LEFT JOIN capstone_progress p USING (student_id)"
            " ORDER BY student_id"
        )
        return [StudentRow(*row) for row in rows]

    def lab_completion(self) -> list[LabCompletion]:
        """Per lab, in course order: how many students saved it and what share of the class."""
        rows = self._rows(
            """
            SELECT l.chapter, count(e.student_id),
                   count(e.student_id) / greatest((SELECT count(*) FROM students), 1)
            FROM labs l LEFT JOIN entries e USING (chapter)
            GROUP BY l.chapter, l.position ORDER BY l.position
            """
        )
        return [LabCompletion(*row) for row in rows]

    def funnel(self) -> list[FunnelStage]:
        """Nested stages from "ledger read" to "capstone approved"."""
        ((read, volume2, saved, approved),) = self._rows(
            """
            SELECT (SELECT count(*) FROM students),
                   (SELECT count(DISTINCT student_id) FROM entries WHERE chapter LIKE 'v2\\_%'
                    ESCAPE '\\'),
                   (SELECT count(*) FROM capstones),
                   (SELECT count(*) FROM capstones WHERE approved)
            """
        )
        return [
            FunnelStage("Ledger read", read),
            FunnelStage("Reached Volume II", volume2),
            FunnelStage("Saved a capstone design", saved),
            FunnelStage("Capstone approved", approved),
        ]

    def failing_constraints(self) -> list[FailingConstraint]:
        """For capstones not approved: how many failed each constraint, and how many left it out."""
        selects = ", ".join(
            f"count(*) FILTER (WHERE NOT {flag}), count(*) FILTER (WHERE {flag} IS NULL)"
            for flag in capstone_flags()
        )
        ((*counts,),) = self._rows(f"SELECT {selects} FROM capstones WHERE NOT approved")
        return [
            FailingConstraint(flag, counts[2 * i], counts[2 * i + 1])
            for i, flag in enumerate(capstone_flags())
        ]

    def attempts_to_approval(self) -> list[AttemptsBucket]:
        """For approved capstones: the number of the first save the lab approved, as a histogram.

        A capstone whose saves include no approved one (only possible in a hand-edited ledger)
        is counted at its last save.
        """
        rows = self._rows(
            """
            WITH per_student AS (
                SELECT c.student_id,
                       coalesce(min(a.attempt) FILTER (WHERE a.approved), max(a.attempt), 1)
                           AS needed
                FROM capstones c LEFT JOIN capstone_attempts a
                     ON a.student_id = c.student_id
                WHERE c.approved GROUP BY c.student_id)
            SELECT needed, count(*) FROM per_student GROUP BY needed ORDER BY needed
            """
        )
        return [AttemptsBucket(*row) for row in rows]

    def completion_matrix(self, max_rows: int) -> CompletionMatrix:
        """Students by labs, 1 = saved. Over ``max_rows`` students, rows become equal bins.

        Students are sorted by labs saved (of all 33, most first), then id. Each binned row
        is the share of its students who saved the lab, labelled with their ranks and labs.
        """
        ((count,),) = self._rows("SELECT count(*) FROM students")
        binned = count > max_rows
        per_row = math.ceil(count / max_rows) if binned else 1
        rows = self._rows(
            """
            WITH ranked AS (
                SELECT student_id, labs_saved,
                       row_number() OVER (ORDER BY labs_saved DESC, student_id) AS rank,
                       ntile($1) OVER (ORDER BY labs_saved DESC, student_id) AS row_no
                FROM student_summary),
            grid AS (SELECT r.row_no, l.chapter, l.position,
                            avg((e.student_id IS NOT NULL)::INTEGER) AS done
                     FROM ranked r CROSS JOIN labs l
                     LEFT JOIN entries e ON e.student_id = r.student_id AND e.chapter = l.chapter
                     GROUP BY r.row_no, l.chapter, l.position),
            rows AS (SELECT row_no, min(rank) AS first, max(rank) AS last, any_value(student_id)
                            AS student, max(labs_saved) AS most, min(labs_saved) AS least
                     FROM ranked GROUP BY row_no)
            SELECT r.row_no, r.first, r.last, r.student, r.most, r.least,
                   list(g.done ORDER BY g.position)
            FROM rows r JOIN grid g USING (row_no) GROUP BY ALL ORDER BY r.row_no
            """,
            [max(math.ceil(count / per_row), 1)],
        )
        labels = [_row_label(row, binned) for row in rows]
        values = [[float(v) for v in row[6]] for row in rows]
        chapters = [c for (c,) in self._rows("SELECT chapter FROM labs ORDER BY position")]
        return CompletionMatrix(labels, chapters, values, binned, count)

    def write_entries_parquet(self, path: str) -> None:
        """Every entry, with its volume and lab number, sorted by student then course order.

        Runs on a connection of its own, so another thread may query meanwhile.
        """
        with self.con.cursor() as own:
            own.execute(
                f"COPY (SELECT e.student_id, e.chapter, l.volume, l.lab,"
                f" e.* EXCLUDE (student_id, chapter) FROM entries e JOIN labs l USING (chapter)"
                f" ORDER BY e.student_id, l.position) TO '{_sql_path(path)}' (FORMAT parquet)"
            )


def _row_label(row: tuple[Any, ...], binned: bool) -> str:
    """A heat-map row label: the student id, or "#1-50 (33-30 labs)" for a bin."""
    _, first, last, student, most, least = row[:6]
    if not binned:
        return str(student)
    labs = f"{most} labs" if most == least else f"{most}–{least} labs"
    return f"#{first:,}–{last:,} ({labs})"


def _sql_path(path: str) -> str:
    """A path as a SQL string literal body (single quotes doubled)."""
    return path.replace("'", "''")


# --- column builders: Python records -> equally long column lists ----------------------------
def _lab_columns(lab_keys: Sequence[str]) -> list[list[Any]]:
    positions = [lab_position(key) for key in lab_keys]
    return [
        list(lab_keys),
        list(range(len(lab_keys))),
        [volume for volume, _ in positions],
        [lab for _, lab in positions],
    ]


def _domain_lab_columns(domain_labs: Mapping[str, Sequence[str]]) -> list[list[Any]]:
    pairs = [
        (domain, position, chapter)
        for position, (domain, chapters) in enumerate(domain_labs.items())
        for chapter in chapters
    ]
    return [list(column) for column in zip(*pairs, strict=True)] if pairs else []


def _as_array(column: Column | np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """A column as a NumPy array: numbers and bytes without a copy, lists as object arrays."""
    if isinstance(column, np.ndarray):
        return column
    if isinstance(column, array):
        return np.frombuffer(column, dtype=np.dtype(column.typecode))
    if isinstance(column, bytes):
        return np.frombuffer(column, dtype=np.uint8)
    return np.array(column, dtype=object)


def _joined(chunks: Sequence[ClassColumns], table: str) -> dict[str, np.ndarray[Any, Any]]:
    """One table's columns of ``chunks`` end to end, their codes shifted to the joined lists.

    A chunk's student and text codes index its own ``ids`` and ``texts``; joined, they index
    the concatenation of all chunks' lists (-1, unknown text, stays -1).
    """
    first = getattr(chunks[0], table)
    if len(chunks) == 1:
        return {name: _as_array(column) for name, column in first.items()}
    id_base = np.cumsum([0, *(len(c.ids) for c in chunks[:-1])], dtype=np.int32)
    text_base = np.cumsum([0, *(len(c.texts) for c in chunks[:-1])], dtype=np.int32)
    out: dict[str, np.ndarray[Any, Any]] = {}
    for name in first:
        parts = [_as_array(getattr(c, table)[name]) for c in chunks]
        if name == "student":
            parts = [part + base for part, base in zip(parts, id_base, strict=True)]
        elif name in TEXT_FIELDS:
            parts = [np.where(p < 0, p, p + b) for p, b in zip(parts, text_base, strict=True)]
        out[name] = np.concatenate(parts)
    return out


def _decoded(name: str) -> str:
    """The SQL that turns coded column ``name`` back into its value (NULL where unknown)."""
    if name == "student":
        return "list_extract($ids::VARCHAR[], student + 1)"
    if name == "chapter":
        return "list_extract($labs::VARCHAR[], chapter + 1)"
    if name in TEXT_FIELDS:  # code -1 gives index 0, which is NULL
        return f"list_extract($texts::VARCHAR[], {name} + 1)"
    if name in bool_fields():
        return f"CASE {name} WHEN {TRUE} THEN true WHEN {FALSE} THEN false END"
    if name == "act2_result" or name in HELP_FIELDS:
        return f"CASE WHEN isnan({name}) THEN NULL ELSE {name} END"
    return name


def student_columns(students: Sequence[StudentLedger]) -> ClassColumns:
    """Sealed columns of students given as records (their saves numbered as given)."""
    columns = ClassColumns()
    for s in students:
        row = (s.student_id, s.source_path, s.layout, s.id_source, s.unplaced_entries)
        saves = ((a.chapter, a.number, a.design, a.recorded_at) for a in s.attempts)
        columns.add_student(row, s.entries, saves)
    columns.seal()
    return columns


def _student_domain_columns(students: Sequence[StudentLedger]) -> list[list[Any]]:
    rows = [(s.student_id, d) for s in students for d in s.domains]
    return [
        [student for student, _ in rows],
        [d.domain for _, d in rows],
        [d.hit_rate for _, d in rows],
        [d.prediction_accuracy for _, d in rows],
    ]
