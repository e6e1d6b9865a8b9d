"""The inspection pool and the good-practice exemplars (metrics.md "Inspection pool").

Pool: the most recent audit of each child within the ``inspection_pool_months`` (default 6) months up
to D, the last day of the period's end month. The window is whole calendar months: with D = 30
September and 6 months it runs from 1 April to 30 September (the period's start month plays no part).
"Most recent" is chosen among every audit in the window that the viewer may see (their scope), and
only then do the service, team, cohort and auditor-role filters pick among the children: a child
whose latest audit is in another service is that service's child now, not this one's. Two audits of
one child on the same day: the larger ``audit_id`` counts as the later.

Exemplars: audits in the period marked ``exemplar`` (good-practice examples for Practice Week).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from .config import Config
from .filters import Filters, add_months, month_start, where
from .frames import fetch_df

NOT_RECORDED = "Not recorded"
LABELS = {"child_ref": "Child ref", "audit_id": "Audit", "audit_date": "Audit date", "service": "Service",
          "team": "Team", "cohort": "Cohort", "child_age_band": "Age band", "final_grade": "Final grade",
          "provisional": "Provisional", "exemplar": "Exemplar", "outstanding_pillars": "Pillars graded Outstanding"}
BREAKDOWNS = {"cohort": "Cohort", "service": "Service", "child_age_band": "Age band"}
AGE_BANDS = ["0-4", "5-9", "10-15", "16-17", "18+"]
COLUMNS = ("child_ref, audit_id, audit_date, service, team, cohort, child_age_band, final_grade, final_rank, "
           "provisional, exemplar")


def window(f: Filters, config: Config) -> tuple[dt.date, dt.date]:
    """First and last day of the pool's window: the configured number of whole months ending with D."""
    months = int(config["inspection_pool_months"])
    return add_months(month_start(f.month_to), -(months - 1)), f.end


def pool(con, f: Filters, config: Config) -> pd.DataFrame:
    """One row per child in the pool: their most recent audit in the window, filtered as above."""
    start, end = window(f, config)
    inner, inner_params = "audit_date BETWEEN ? AND ?", [start, end]
    if f.scope is not None:
        inner += " AND list_contains(?, service)"
        inner_params.append(list(f.scope))
    cond, params = where(dataclasses.replace(f, month_from=start.strftime("%Y-%m")), "audit_date",
                         audit_columns=True)
    # Sorted here rather than in pandas (a big council's pool is ~50,000 children): cohorts in their
    # configured order (CIN, CP, CIC, Court), others after alphabetically, then the lowest grades first.
    # Through Arrow (frames.fetch_df): .df() converts ~50,000 children's texts one by one, most of the time.
    df = fetch_df(
        con, f"""WITH latest AS (
                SELECT {COLUMNS}, auditor_role FROM audits_final WHERE {inner}
                QUALIFY row_number() OVER (PARTITION BY child_ref ORDER BY audit_date DESC, audit_id DESC) = 1)
            SELECT {COLUMNS} FROM latest WHERE {cond}
            ORDER BY list_position(?, cohort) NULLS LAST, cohort NULLS LAST, final_rank DESC NULLS LAST,
                     audit_date DESC NULLS LAST, child_ref NULLS LAST""",
        [*inner_params, *params, list(config.cohorts)])
    df["child_age_band"] = df["child_age_band"].fillna(NOT_RECORDED)
    return df


def pool_counts(pool_df: pd.DataFrame, config: Config, by: str = "cohort") -> pd.DataFrame:
    """Children in the pool per ``by`` (cohort, service or age band) and final grade.

    Long form: columns by, grade, rank, n, provisional; every grade listed for each group (zeros
    included) so a table reads across.
    """
    if by not in BREAKDOWNS:
        raise ValueError(by)
    groups = _order(by, pool_df[by].dropna().unique().tolist(), config)
    grid = pd.DataFrame([(g, label, rank) for g in groups
                         for rank, label in enumerate(config.grade_labels, start=1)],
                        columns=[by, "grade", "rank"])
    got = (pool_df.groupby([by, "final_rank"]).agg(n=("child_ref", "size"), provisional=("provisional", "sum"))
           .reset_index().rename(columns={"final_rank": "rank"}))
    out = grid.merge(got, on=[by, "rank"], how="left")
    out[["n", "provisional"]] = out[["n", "provisional"]].fillna(0).astype(int)
    return out


def pool_matrix(counts: pd.DataFrame, by: str) -> pd.DataFrame:
    """The counts as a table: one row per group, one column per grade, and the total and provisional."""
    wide = counts.pivot(index=by, columns="grade", values="n")
    grades = counts.drop_duplicates("rank").sort_values("rank")["grade"].tolist()
    order = counts[by].drop_duplicates().tolist()
    wide = wide.reindex(index=order, columns=grades)
    wide["Total"] = wide.sum(axis=1)
    wide["Provisional"] = counts.groupby(by, sort=False)["provisional"].sum().reindex(order)
    wide.columns.name = None
    return wide.reset_index().rename(columns={by: BREAKDOWNS[by]})


def _order(by: str, values: list, config: Config) -> list:
    """Groups in their configured order (cohorts, services, age bands), anything else after."""
    known = {"cohort": config.cohorts, "service": config.service_codes,
             "child_age_band": AGE_BANDS + [NOT_RECORDED]}[by]
    return [v for v in known if v in values] + sorted(v for v in values if v not in known)


def exemplars(con, f: Filters, config: Config) -> pd.DataFrame:
    """Audits in the period marked as good-practice exemplars, newest first, with their Outstanding pillars."""
    cond, params = where(f, "audit_date", audit_columns=True)
    # The Outstanding pillar rows of the exemplars, joined once: a pillar row carries its audit's date and
    # columns, so the same filters bound the pillar rows read (a year's blocks, not every row per audit).
    return fetch_df(
        con, f"""WITH a AS (SELECT audit_id, child_ref, audit_date, service, team, cohort, final_grade, provisional
                       FROM audits_final WHERE exemplar AND {cond}),
                 p AS (SELECT audit_id, string_agg(pillar, '; ' ORDER BY list_position(?, pillar)) AS outstanding_pillars
                       FROM audit_pillars_final
                       WHERE final_rank = 1 AND {cond} AND audit_id IN (SELECT audit_id FROM a) GROUP BY audit_id)
            SELECT a.*, p.outstanding_pillars FROM a LEFT JOIN p USING (audit_id)
            ORDER BY a.audit_date DESC, a.audit_id""", [*params, config.pillars, *params])
