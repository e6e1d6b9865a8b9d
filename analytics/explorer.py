"""The audits behind any figure: one row per audit with its grades and its pillar grades."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .config import Config
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


def audit_rows(con, f: Filters, config: Config, drill: Drill = Drill()) -> pd.DataFrame:
    """Audits in the filters and the drill-down, newest first, with final pillar grades as columns."""
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
    df = con.execute(f"SELECT {', '.join(COLUMNS)} FROM audits_final WHERE {cond} "
                     f"ORDER BY audit_date DESC, audit_id", params).df()
    pillars = con.execute(
        f"SELECT p.audit_id, p.pillar, p.final_grade FROM audit_pillars_final p "
        f"WHERE p.audit_id IN (SELECT audit_id FROM audits_final WHERE {cond})", params).df()
    if not pillars.empty:
        wide = pillars.pivot(index="audit_id", columns="pillar", values="final_grade")
        wide = wide[[p for p in config.pillars if p in wide.columns]]
        df = df.merge(wide, how="left", left_on="audit_id", right_index=True)
    return df


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
