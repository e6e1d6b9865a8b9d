"""The audits behind any figure: one row per audit with its grades and its pillar grades."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .config import Config
from .datasets import qi
from .filters import Filters, where

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
    these audits). Pivoting a year of a big council's pillars costs over half a second."""
    cond, params = _conditions(f, drill)
    order = "audit_date DESC, audit_id"
    if limit is not None:
        cond += f" ORDER BY {order} LIMIT ?"
        params.append(int(limit))
    # The pillar grades pivoted in SQL, one column per configured pillar; a pillar no audit of the set has
    # gets no column. count(*) per pillar tells which ones exist (a grade may be missing).
    cols = [(qi(f"_p{i}"), qi(f"_n{i}")) for i in range(len(config.pillars))]
    pivot = ", ".join(f"any_value(final_grade) FILTER (WHERE pillar = ?) AS {g}, "
                      f"count(*) FILTER (WHERE pillar = ?) AS {n}" for g, n in cols)
    pivot_params = [p for pillar in config.pillars for p in (pillar, pillar)]
    select = ", ".join(f"p.{g}, coalesce(p.{n}, 0) AS {n}" for g, n in cols)
    # A pillar row carries its audit's date and columns, so the audits' filters and their earliest day bound
    # the pillar rows to read: a few blocks of the date-ordered rows, not every pillar row's id.
    period, period_params = where(f, "audit_date", audit_columns=True)
    df = con.execute(
        f"""WITH a AS (SELECT {', '.join(COLUMNS)} FROM audits_final WHERE {cond}),
                 p AS (SELECT audit_id{', ' + pivot if pivot else ''} FROM audit_pillars_final
                       WHERE {period} AND audit_date >= (SELECT min(audit_date) FROM a)
                         AND audit_id IN (SELECT audit_id FROM a) GROUP BY audit_id)
            SELECT a.*{', ' + select if select else ''} FROM a LEFT JOIN p USING (audit_id)
            ORDER BY a.audit_date DESC, a.audit_id""", params + pivot_params + period_params).df()
    keep = [i for i in range(len(config.pillars)) if df[f"_n{i}"].sum() > 0]
    df = df.drop(columns=[f"_n{i}" for i in range(len(config.pillars))]
                 + [f"_p{i}" for i in range(len(config.pillars)) if i not in keep])
    return df.rename(columns={f"_p{i}": config.pillars[i] for i in keep})


HEADINGS = {"audit_id": "Audit", "audit_date": "Audit date", "service": "Service", "team": "Team",
            "cohort": "Cohort", "child_ref": "Child ref", "auditor_id": "Auditor", "auditor_role": "Auditor role",
            "practitioner_id": "Practitioner", "auditor_grade": "Auditor grade", "moderated_grade": "Moderated grade",
            "benchmarked_grade": "Benchmarked grade", "final_grade": "Final grade", "provisional": "Provisional"}
FIRST = ["audit_id", "audit_date", "final_grade", "provisional", "service", "team", "cohort"]


def readable(df: pd.DataFrame) -> pd.DataFrame:
    """The table as people read it: final grade beside the audit, plain headings, dates without a time."""
    order = [c for c in FIRST if c in df.columns] + [c for c in df.columns if c not in FIRST]
    out = df[order].copy()
    if "audit_date" in out:
        out["audit_date"] = pd.to_datetime(out["audit_date"]).dt.date
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
