"""Per-month counts of the audits, built once per load: what most audit figures add up (issue 8).

Most audit figures count audits per month, service, team, cohort, auditor role and grade. At a million
audits, counting a year's 100,000 rows again for each of a page's figures costs more than the figures;
``audit_rollup`` holds those counts (a year is about 20,000 rows of it), and ``auditor_months`` the
auditors with an audit in each month (for completion), ``audit_teams`` each team's service (the filter bar), ``audit_service_months`` the months each
service has audits (the Data page). They are tables rebuilt by
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

# Each team with its service (the first by name, should a team appear under two): the filter bar's options on
# every page, read from two dozen rows rather than by grouping the roll-up's (about 5 ms at a million audits).
AUDIT_TEAMS = """
SELECT team, min(service) AS service
FROM audit_rollup
WHERE team IS NOT NULL
GROUP BY team
ORDER BY team"""

# The months in which each service has audits (the Data page's gaps), from a few hundred rows.
AUDIT_SERVICE_MONTHS = """
SELECT DISTINCT month, service
FROM audit_rollup
ORDER BY month, service"""

TABLES = ("audit_rollup", "auditor_months", "audit_teams", "audit_service_months")
# The columns a figure may group or filter the roll-up by (the rest are grades and flags).
KEYS = ("service", "team", "cohort", "auditor_role")


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the roll-ups from audits_final (called by refresh_derived, after audits_final)."""
    con.execute(f"CREATE OR REPLACE TABLE audit_rollup AS {AUDIT_ROLLUP}")
    con.execute(f"CREATE OR REPLACE TABLE auditor_months AS {AUDITOR_MONTHS}")
    con.execute(f"CREATE OR REPLACE TABLE audit_teams AS {AUDIT_TEAMS}")
    con.execute(f"CREATE OR REPLACE TABLE audit_service_months AS {AUDIT_SERVICE_MONTHS}")


def total(condition: str | None = None) -> str:
    """SQL adding up the audits of the roll-up rows (those meeting ``condition``): as count(*) would count
    them, a BIGINT and 0 when there are none."""
    where = f" FILTER ({condition})" if condition else ""
    return f"CAST(coalesce(sum(n){where}, 0) AS BIGINT)"


# n, provisional, good or better, inadequate per group of the roll-up.
GRADE_TOTALS = (f"{total()} AS n, {total('provisional')} AS provisional, "
                f"{total('final_rank <= 2')} AS good, {total('final_rank = 4')} AS inadequate")
