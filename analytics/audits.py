"""Audit quality over time, by service, team or cohort: the figures behind the audit pages.

Percentages follow metrics.md (final grade; good or better = rank 1-2) and carry their 95% Wilson
interval, which the pages show when a percentage rests on fewer than 20 records.
"""
from __future__ import annotations

import pandas as pd

from .config import Config
from .filters import Filters, add_months, mark_part_quarters, month_start, where
from .impact import wilson_interval
from . import rollups

SMALL_N = 20

# Financial quarter label (April-March), e.g. 2025-04-10 -> '2025-26 Q1'.
QUARTER_SQL = ("(CAST(year({d}) - CASE WHEN month({d}) < 4 THEN 1 ELSE 0 END AS VARCHAR) || '-' || "
               "lpad(CAST((year({d}) + CASE WHEN month({d}) < 4 THEN 0 ELSE 1 END) % 100 AS VARCHAR), 2, '0') "
               "|| ' Q' || CAST((month({d}) + 8) % 12 // 3 + 1 AS VARCHAR))")
BY_COLUMNS = ("service", "team", "cohort", "auditor_role", "child_age_band", "child_gender",
              "child_ethnicity_group", "child_disability")


def period_sql(grain: str, date_col: str = "audit_date") -> str:
    if grain == "month":
        return f"strftime({date_col}, '%Y-%m')"
    if grain == "quarter":
        return QUARTER_SQL.format(d=date_col)
    raise ValueError(grain)


def with_intervals(df: pd.DataFrame, n: str = "n", good: str = "good", inadequate: str = "inadequate") -> pd.DataFrame:
    """Add % good or better and % inadequate, each with its Wilson interval (good_ci_*, inadequate_ci_*)."""
    df = df.copy()
    for name, count in (("good", good), ("inadequate", inadequate)):
        df[f"{name}_pct"] = [k / c * 100 if c else None for k, c in zip(df[count], df[n])]
        cis = [wilson_interval(int(k), int(c)) for k, c in zip(df[count], df[n])]
        df[f"{name}_ci_low"] = [c[0] for c in cis]
        df[f"{name}_ci_high"] = [c[1] for c in cis]
    return df


def grade_series(con, f: Filters, grain: str = "month", by: str | None = None) -> pd.DataFrame:
    """n, good, inadequate, provisional and the percentages per period (and per ``by``)."""
    if by is not None and by not in BY_COLUMNS:
        raise ValueError(by)
    group = f", {by}" if by else ""
    if by is None or by in rollups.KEYS:
        sql, params = per_period_sql(f, grain, "audit_rollup", f"period{group}", ROLLUP_COUNTS, date_col="month")
    else:
        counts = ("count(*) AS n, count(*) FILTER (final_rank <= 2) AS good, "
                  "count(*) FILTER (final_rank = 4) AS inadequate, count(*) FILTER (provisional) AS provisional")
        sql, params = per_period_sql(f, grain, "audits_final", f"period{group}", counts)
    return mark_part_quarters(with_intervals(con.execute(sql, params).df()), f, grain)


# grade_series' counts over the per-month roll-up (rollups.py), in its column order.
ROLLUP_COUNTS = (f"{rollups.total()} AS n, {rollups.total('final_rank <= 2')} AS good, "
                 f"{rollups.total('final_rank = 4')} AS inadequate, {rollups.total('provisional')} AS provisional")


def per_period_sql(f: Filters, grain: str, source: str, keys: str, counts: str,
                   date_col: str = "audit_date") -> tuple[str, list]:
    """SELECT <keys>, <counts> FROM <source> grouped per period of the grain.

    ``keys`` starts with the period. For rolling 3 months each month stands for itself and the two
    months before it, so the rows reach two months back before the period's start. ``date_col``: the
    rows' day (``month``, the first day of the month, on the roll-up).
    """
    if grain == "rolling3":
        cond, params = where(_widen(f, -2), date_col, audit_columns=True)
        select = keys.replace("period", "strftime(m, '%Y-%m') AS period", 1)
        return (f"WITH months AS (SELECT unnest(generate_series(CAST(? AS DATE), CAST(? AS DATE), "
                f"INTERVAL 1 MONTH)) AS m) SELECT {select}, "
                f"{counts} FROM months JOIN {source} r ON r.{date_col} >= m - INTERVAL 2 MONTH "
                f"AND r.{date_col} < m + INTERVAL 1 MONTH WHERE {cond} GROUP BY ALL ORDER BY ALL",
                [f.start, month_start(f.month_to), *params])
    cond, params = where(f, date_col, audit_columns=True)
    select = keys.replace("period", period_sql(grain, date_col) + " AS period", 1)
    return (f"SELECT {select}, {counts} FROM {source} "
            f"WHERE {cond} GROUP BY ALL ORDER BY ALL", params)


def _widen(f: Filters, months: int) -> Filters:
    import dataclasses
    start = add_months(f.start, months)
    return dataclasses.replace(f, month_from=start.strftime("%Y-%m"))


def grades_by(con, f: Filters, by: str) -> pd.DataFrame:
    """n, good, inadequate and the percentages per service, team, cohort or child characteristic."""
    if by not in BY_COLUMNS:
        raise ValueError(by)
    if by in rollups.KEYS:
        cond, params = where(f, "month", audit_columns=True)
        source, counts = "audit_rollup", ROLLUP_COUNTS
    else:
        cond, params = where(f, "audit_date", audit_columns=True)
        source = "audits_final"
        counts = ("count(*) AS n, count(*) FILTER (final_rank <= 2) AS good, "
                  "count(*) FILTER (final_rank = 4) AS inadequate, count(*) FILTER (provisional) AS provisional")
    df = con.execute(f"SELECT CAST({by} AS VARCHAR) AS {by}, {counts} FROM {source} WHERE {cond} "
                     f"GROUP BY ALL ORDER BY ALL", params).df()
    return with_intervals(df)


def grade_distribution(con, f: Filters, config: Config, grain: str | None = None) -> pd.DataFrame:
    """Audits per final grade (and per period of the grain): columns [period,] grade, rank, n, share_pct.

    With the rolling grain a period counts the audits of its month and the two before it.
    """
    if grain:
        sql, params = per_period_sql(f, grain, "audit_rollup", "period, final_grade AS grade, final_rank AS rank",
                                     f"{rollups.total()} AS n", date_col="month")
        df = mark_part_quarters(con.execute(sql, params).df(), f, grain)
    else:
        cond, params = where(f, "month", audit_columns=True)
        df = con.execute(
            f"SELECT final_grade AS grade, final_rank AS rank, {rollups.total()} AS n FROM audit_rollup "
            f"WHERE {cond} GROUP BY ALL ORDER BY rank", params).df()
    keys = ["period"] if grain else []
    total = df.groupby(keys, sort=False)["n"].transform("sum") if keys else df["n"].sum()
    df["share_pct"] = df["n"] / total * 100
    return df


def completion(con, f: Filters, config: Config, grain: str = "month") -> pd.DataFrame:
    """Audit completion per service and period (metrics.md), columns period, service, expected, completed,
    completion_pct.

    Per month: distinct auditors with an audit that month among staff in post on the month's last day
    with an auditing role in that service, over those staff. A quarter or a rolling 3 months adds up its
    months' manager-months (completed over expected), so a month with more managers weighs more.
    """
    first = add_months(f.start, -2) if grain == "rolling3" else f.start
    sql, params = _completion_sql(f, config, first)
    monthly = con.execute(f"{sql} SELECT strftime(e.m, '%Y-%m') AS period, e.service, count(*) AS expected, "
                          f"count(done.auditor_id) AS completed FROM {_COMPLETION_JOIN} GROUP BY ALL ORDER BY ALL",
                          params).df()
    if grain == "quarter":
        from .filters import financial_quarter
        monthly["period"] = [financial_quarter(month_start(m)) for m in monthly["period"]]
        monthly = monthly.groupby(["period", "service"], as_index=False, sort=False)[["expected", "completed"]].sum()
        monthly = mark_part_quarters(monthly, f, grain)
    elif grain == "rolling3":
        monthly = monthly.sort_values(["service", "period"])
        rolled = (monthly.groupby("service", sort=False)[["expected", "completed"]]
                  .rolling(3, min_periods=1).sum().reset_index(level=0, drop=True))
        monthly[["expected", "completed"]] = rolled.astype("int64")
        monthly = monthly[monthly["period"] >= f.month_from].sort_values(["period", "service"])
    elif grain != "month":
        raise ValueError(grain)
    monthly = monthly.reset_index(drop=True)
    monthly["completion_pct"] = monthly["completed"] * 100.0 / monthly["expected"]
    cis = [wilson_interval(int(k), int(c)) for k, c in zip(monthly["completed"], monthly["expected"])]
    monthly["completion_ci_low"] = [c[0] for c in cis]
    monthly["completion_ci_high"] = [c[1] for c in cis]
    return monthly


def _completion_sql(f: Filters, config: Config, first) -> tuple[str, list]:
    """The WITH of completion: each month's expected auditors (staff in post on its last day with an auditing
    role in the services) and the auditors with an audit that month (rollups.auditor_months)."""
    services = f.effective_services()
    if services is None:  # an empty scope stays empty: it never widens to every service
        services = tuple(config.service_codes)
    return ("""WITH months AS (
               SELECT unnest(generate_series(CAST(? AS DATE), CAST(? AS DATE), INTERVAL 1 MONTH)) AS m),
           expected AS (
               SELECT m, last_day(m) AS d, s.service, s.staff_id FROM months
               JOIN staff s ON (s.start_date IS NULL OR s.start_date <= last_day(m))
                           AND (s.end_date IS NULL OR s.end_date >= last_day(m))
               WHERE list_contains(?, s.role) AND list_contains(?, s.service)),
           done AS (SELECT month AS m, auditor_id FROM auditor_months)""",
            [first, month_start(f.month_to), list(config["auditor_roles"]), list(services)])


_COMPLETION_JOIN = "expected e LEFT JOIN done ON done.m = e.m AND done.auditor_id = e.staff_id"


def completion_totals(con, f: Filters, config: Config) -> tuple[int, int]:
    """(completed, expected) manager-months over the period: ``completion``'s columns added up, in one query."""
    sql, params = _completion_sql(f, config, f.start)
    return con.execute(f"{sql} SELECT count(done.auditor_id), count(*) FROM {_COMPLETION_JOIN}", params).fetchone()


def latest_month(con, f: Filters) -> str | None:
    cond, params = where(f, "audit_date", audit_columns=True)
    return con.execute(f"SELECT strftime(max(audit_date), '%Y-%m') FROM audits_final WHERE {cond}",
                       params).fetchone()[0]
