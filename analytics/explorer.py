"""The audits behind any figure: one row per audit with its grades and its pillar grades."""
from __future__ import annotations

import pandas as pd

from .config import Config
from .filters import Filters, where

COLUMNS = ["audit_id", "audit_date", "service", "team", "cohort", "child_ref", "auditor_id", "auditor_role",
           "practitioner_id", "auditor_grade", "moderated_grade", "benchmarked_grade", "final_grade", "provisional"]


def audit_rows(con, f: Filters, config: Config, grades: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Audits in the filters (optionally only some final grades), newest first, with pillar grades as columns."""
    cond, params = where(f, "audit_date", audit_columns=True)
    if grades:
        cond += " AND list_contains(?, final_grade)"
        params.append(list(grades))
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
