"""The audits behind any figure: one row per audit with its grades and its pillar grades."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import Config
from .filters import Filters, where
from .frames import fetch_df

COLUMNS = ["audit_id", "audit_date", "service", "team", "cohort", "child_ref", "auditor_id", "auditor_role",
           "practitioner_id", "auditor_grade", "moderated_grade", "benchmarked_grade", "final_grade", "provisional"]


@dataclass(frozen=True)
class Drill:
    """What a click on a chart narrows the explorer to, beyond the shared filters (all optional)."""
    grades: tuple[str, ...] | None = None      # final grades
    auditor_grade: str | None = None
    moderated_grade: str | None = None
    pillar: str | None = None
    pillar_grade: str | None = None             # the pillar's final grade

    @classmethod
    def from_params(cls, params: dict, config: Config) -> tuple["Drill", list[str]]:
        """Read drill values from a link, dropping (and naming) those that are not valid."""
        ignored, values = [], {}
        for key, allowed in (("auditor_grade", config.grade_labels), ("moderated_grade", config.grade_labels),
                             ("pillar", config.pillars), ("pillar_grade", config.grade_labels)):
            value = params.get(key)
            if value is None:
                continue
            if value in allowed:
                values[key] = value
            else:
                ignored.append(f"{key.replace('_', ' ')} {value!r}")
        return cls(**values), ignored

    def describe(self) -> list[str]:
        out = []
        if self.auditor_grade:
            out.append(f"auditor grade {self.auditor_grade}")
        if self.moderated_grade:
            out.append(f"moderated grade {self.moderated_grade}")
        if self.pillar:
            out.append(f"pillar {self.pillar}" + (f" graded {self.pillar_grade}" if self.pillar_grade else ""))
        return out


def _conditions(f: Filters, drill: Drill) -> tuple[str, list]:
    """The WHERE of the audits in the filters and the drill-down (on audits_final)."""
    cond, params = where(f, "audit_date", audit_columns=True)
    if drill.grades:
        cond += " AND list_contains(?, final_grade)"
        params.append(list(drill.grades))
    for column in ("auditor_grade", "moderated_grade"):
        if getattr(drill, column):
            cond += f" AND {column} = ?"
            params.append(getattr(drill, column))
    if drill.pillar:
        cond += " AND audit_id IN (SELECT audit_id FROM audit_pillars_final WHERE pillar = ?"
        params.append(drill.pillar)
        if drill.pillar_grade:
            cond += " AND final_grade = ?"
            params.append(drill.pillar_grade)
        cond += ")"
    return cond, params


def audit_totals(con, f: Filters, drill: Drill = Drill()) -> tuple[int, int]:
    """How many audits are in the filters and the drill-down, and how many of them are provisional."""
    cond, params = _conditions(f, drill)
    n, provisional = con.execute(f"SELECT count(*), count(*) FILTER (provisional) FROM audits_final WHERE {cond}",
                                 params).fetchone()
    return int(n), int(provisional or 0)


def audit_rows(con, f: Filters, config: Config, drill: Drill = Drill(), limit: int | None = None) -> pd.DataFrame:
    """Audits in the filters and the drill-down, newest first, with final pillar grades as columns.

    ``limit``: only the newest ``limit`` audits (what the screen shows; pillar columns are then those of
    these audits)."""
    cond, params = _conditions(f, drill)
    tail, extra = ("LIMIT ?", [int(limit)]) if limit is not None else ("", [])
    # Through Arrow (frames.fetch_df): .df() converts the texts one by one.
    df = fetch_df(con, f"SELECT {', '.join(COLUMNS)} FROM audits_final WHERE {cond} "
                       f"ORDER BY audit_date DESC, audit_id {tail}", [*params, *extra])
    if df.empty:
        return df
    # The pillar rows of these audits, one per (audit, pillar), pivoted here: grouping them in SQL into one
    # column per pillar cost several times the reading. A pillar row carries its audit's date and columns, so
    # the filters and the audits' earliest day bound the rows to read (a few blocks of the date-ordered rows).
    period, period_params = where(f, "audit_date", audit_columns=True)
    narrowed, narrowed_params = "", []
    if drill != Drill():
        # A drill-down leaves out audits of those days: only these audits' rows are read.
        narrowed, narrowed_params = " AND audit_id IN (SELECT unnest(?))", [list(df["audit_id"])]
    long = con.sql(f"SELECT audit_id, list_position(?, pillar) AS k, final_grade FROM audit_pillars_final "
                   f"WHERE {period} AND audit_date >= ? AND list_contains(?, pillar){narrowed}",
                   params=[config.pillars, *period_params, df["audit_date"].min().date(), config.pillars,
                           *narrowed_params]).to_arrow_table()
    row = pd.Index(df["audit_id"]).get_indexer(long.column("audit_id").to_numpy(zero_copy_only=False))
    pillar = long.column("k").to_numpy()
    grade = long.column("final_grade").to_pandas().array     # text as .df() gives it (missing: NaN)
    mine = row >= 0
    for i, name in enumerate(config.pillars, start=1):
        rows = np.flatnonzero(mine & (pillar == i))
        if not len(rows):      # a pillar no audit of the set has gets no column
            continue
        source = np.full(len(df), -1)
        source[row[rows]] = rows
        values = grade.take(source, allow_fill=True)
        # As .df() gives a text column with no value at all: None all through.
        df[name] = pd.Series([None] * len(df), index=df.index, dtype=object) if values.isna().all() else values
    return df


HEADINGS = {"audit_id": "Audit", "audit_date": "Audit date", "service": "Service", "team": "Team",
            "cohort": "Cohort", "child_ref": "Child ref", "auditor_id": "Auditor", "auditor_role": "Auditor role",
            "practitioner_id": "Practitioner", "auditor_grade": "Auditor grade", "moderated_grade": "Moderated grade",
            "benchmarked_grade": "Benchmarked grade", "final_grade": "Final grade", "provisional": "Provisional"}
FIRST = ["audit_id", "audit_date", "final_grade", "provisional", "service", "team", "cohort"]


def readable(df: pd.DataFrame) -> pd.DataFrame:
    """The table as people read it: final grade beside the audit, plain headings, dates without a time, blanks
    where a grade is not given yet (not "None")."""
    order = [c for c in FIRST if c in df.columns] + [c for c in df.columns if c not in FIRST]
    out = df[order].copy()
    if "audit_date" in out:
        out["audit_date"] = pd.to_datetime(out["audit_date"]).dt.date
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].fillna("")
    return out.rename(columns=HEADINGS)


SHOWN_ROWS = 2_000


def on_screen(table: pd.DataFrame, limit: int = SHOWN_ROWS, total: int | None = None
              ) -> tuple[pd.DataFrame, str | None]:
    """The first ``limit`` rows for the browser (a year of a big council is ~100,000 audits: sending them all
    takes seconds) and the sentence saying so; the downloads keep every row. ``total``: how many audits there
    are when ``table`` holds only the first of them (default: its length)."""
    total = len(table) if total is None else total
    if total <= limit:
        return table, None
    return table.head(limit), (f"Showing the newest {limit:,} of {total:,} audits: the CSV and XLSX downloads "
                               "below hold all of them.")
