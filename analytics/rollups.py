"""Per-month counts of the audits, built once per load: what most audit figures add up (issue 8).

Most audit figures count audits per month, service, team, cohort, auditor role and grade. At a million
audits, counting a year's 100,000 rows again for each of a page's figures costs more than the figures;
``audit_rollup`` holds those counts (a year is about 20,000 rows of it), ``auditor_months`` the
auditors with an audit in each month (for completion), ``audit_options`` what the filter bar offers and
``audit_service_months`` the months each service has audits (the Data page). They are tables rebuilt by
``database.refresh_derived`` in the same write that changes the audits, so no reader sees them stale.

A period is whole months and every filter of ``filters.where`` is on a column kept here, so a month's
row is in a period exactly when its audits are: ``where(f, "month", audit_columns=True)`` selects the
same audits as ``where(f, "audit_date", audit_columns=True)`` on ``audits_final``. Add up ``n`` with
``total()``, never ``count(*)``.
"""
from __future__ import annotations

import duckdb

AUDIT_ROLLUP = """
SELECT CAST(date_trunc('month', audit_date) AS DATE) AS month, service, team, cohort, auditor_role,
       final_grade, final_rank, provisional, auditor_rank, moderated_rank, benchmarked_rank,
       benchmarked_grade IS NOT NULL AS benchmarked,
       benchmarked_grade IS NOT NULL AND benchmarked_grade IS DISTINCT FROM moderated_grade AS benchmark_changed,
       count(*) AS n
FROM audits_final
GROUP BY ALL
ORDER BY month"""

AUDITOR_MONTHS = """
SELECT DISTINCT CAST(date_trunc('month', audit_date) AS DATE) AS month, auditor_id
FROM audits
ORDER BY month"""

# Each team (NULL: audits with no team) with its service and first and last month: what the filter bar offers,
# from a few dozen rows rather than the roll-up's (every page reads it).
AUDIT_OPTIONS = """
SELECT team, min(service) AS service, min(month) AS first_month, max(month) AS last_month
FROM audit_rollup
GROUP BY team
ORDER BY team"""

# Pillar rows counted per month, service, pillar, final pillar rank, provisional flag and how the pillar compares
# with its audit's final rank (cmp: 1 below, 0 same, -1 above): about 10,000 rows a year for 700,000 pillar rows.
# Team, cohort and auditor role are not kept (with them it is a quarter of the rows' size): a figure filtered on
# one of those reads the pillar rows themselves (``pillar_rows``).
PILLAR_ROLLUP = """
SELECT CAST(date_trunc('month', audit_date) AS DATE) AS month, service, pillar, final_rank, provisional,
       sign(final_rank - audit_rank) AS cmp, count(*) AS n
FROM audit_pillars_final
GROUP BY ALL
ORDER BY month"""

# The audits that have pillar rows, counted per month and the audit columns the filters use (count(DISTINCT
# audit_id) over a year's pillar rows costs more than every pillar figure of a page).
PILLAR_AUDITS = """
SELECT CAST(date_trunc('month', audit_date) AS DATE) AS month, service, team, cohort, auditor_role, provisional,
       count(*) AS n
FROM audits_final a
WHERE EXISTS (SELECT 1 FROM audit_pillars p WHERE p.audit_id = a.audit_id)
GROUP BY ALL
ORDER BY month"""

# The months in which each service has audits (the Data page's gaps), from a few hundred rows.
AUDIT_SERVICE_MONTHS = """
SELECT DISTINCT month, service
FROM audit_rollup
ORDER BY month, service"""

TABLES = ("audit_rollup", "auditor_months", "audit_options", "audit_service_months", "pillar_rollup", "pillar_audits",
          "equality_rollup")
# The columns a figure may group or filter the roll-up by (the rest are grades and flags).
KEYS = ("service", "team", "cohort", "auditor_role")


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the roll-ups from audits_final and audit_pillars_final (called by refresh_derived, after both)."""
    con.execute(f"CREATE OR REPLACE TABLE audit_rollup AS {AUDIT_ROLLUP}")
    con.execute(f"CREATE OR REPLACE TABLE auditor_months AS {AUDITOR_MONTHS}")
    con.execute(f"CREATE OR REPLACE TABLE audit_options AS {AUDIT_OPTIONS}")
    con.execute(f"CREATE OR REPLACE TABLE audit_service_months AS {AUDIT_SERVICE_MONTHS}")
    con.execute(f"CREATE OR REPLACE TABLE pillar_rollup AS {PILLAR_ROLLUP}")
    con.execute(f"CREATE OR REPLACE TABLE pillar_audits AS {PILLAR_AUDITS}")
    from .equality import rollup_sql   # the equality page's counts: its module owns the group labels
    con.execute(f"CREATE OR REPLACE TABLE equality_rollup AS {rollup_sql()}")


def total(condition: str | None = None) -> str:
    """SQL adding up the audits of the roll-up rows (those meeting ``condition``): as count(*) would count
    them, a BIGINT and 0 when there are none."""
    where = f" FILTER ({condition})" if condition else ""
    return f"CAST(coalesce(sum(n){where}, 0) AS BIGINT)"


# n, provisional, good or better, inadequate per group of the roll-up.
GRADE_TOTALS = (f"{total()} AS n, {total('provisional')} AS provisional, "
                f"{total('final_rank <= 2')} AS good, {total('final_rank = 4')} AS inadequate")


def pillar_rows(f) -> tuple[str, list]:
    """SQL to read FROM (and its parameters): the pillar rows in the filters, counted as ``pillar_rollup``'s rows
    (month, service, pillar, final_rank, provisional, cmp, n). Add up ``n`` with ``total()``.

    From the roll-up, unless the filters name teams, cohorts or auditor roles (which it does not keep): then
    the pillar rows themselves, each counted 1, in the same columns."""
    from .filters import where
    if f.teams is None and f.cohorts is None and f.auditor_roles is None:
        cond, params = where(f, "month", audit_columns=True)
        return f"(SELECT * FROM pillar_rollup WHERE {cond})", params
    cond, params = where(f, "audit_date", audit_columns=True)
    return (f"(SELECT CAST(date_trunc('month', audit_date) AS DATE) AS month, service, pillar, final_rank, "
            f"provisional, sign(final_rank - audit_rank) AS cmp, 1 AS n FROM audit_pillars_final WHERE {cond})",
            params)
