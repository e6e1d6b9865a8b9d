"""Final grades counted per day, service and pillar: the derived table the impact page sums.

The impact comparison counts the final grades (overall, or one pillar's) of the audits in a window of exact
days, before and after each intervention, and month by month around it. Read from ``audit_pillars_final``
that is a scan of millions of pillar rows for every window; from this table it is a sum over a few hundred
rows. ``pillar`` is NULL on the overall rows (one per audit, from ``audits_final``); ``good`` counts final
ranks 1-2 (good or better). Figures summed from it equal the counts over the audit tables exactly (every
filter the impact page applies is a day range, a service list and a pillar).

Rebuilt by ``refresh`` inside the write that rebuilds ``audits_final`` and ``audit_pillars_final``
(``database.refresh_derived``), so it is never stale: it derives from them alone.
"""
from __future__ import annotations

TABLE = "final_grade_days"


def refresh(con) -> None:
    con.execute(f"""CREATE OR REPLACE TABLE {TABLE} AS
        SELECT audit_date, service, pillar, count(*) AS n, count(*) FILTER (final_rank <= 2) AS good
        FROM audit_pillars_final GROUP BY ALL
        UNION ALL
        SELECT audit_date, service, NULL, count(*), count(*) FILTER (final_rank <= 2) FROM audits_final GROUP BY ALL""")


def source(pillar: str | None) -> tuple[str, list]:
    """The rows of the overall grades (``pillar`` None) or of one pillar's: a FROM/WHERE fragment and params."""
    if pillar:
        return f"{TABLE} WHERE pillar = ?", [pillar]
    return f"{TABLE} WHERE pillar IS NULL", []
