"""Impact of an intervention: % good or better in a window before it and after it (metrics.md)."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from .filters import add_months

Z95 = 1.959964
MIN_EVIDENCE = 10


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | tuple[None, None]:
    """95% Wilson score interval for a proportion, as percentages."""
    if n == 0:
        return None, None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half) * 100, min(1.0, centre + half) * 100


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided z-test p-value with the pooled proportion; 1 when it is 0 or 1, None when a side is empty."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 1.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (x2 / n2 - x1 / n1) / se
    return math.erfc(abs(z) / math.sqrt(2))


def side(successes: int, n: int) -> dict[str, Any]:
    low, high = wilson_interval(successes, n)
    return {"n": n, "good_or_better_pct": (successes / n * 100) if n else None, "ci_low": low, "ci_high": high}


def _counts(con, start: dt.date, end: dt.date, include_start: bool, service: str, pillar: str | None
            ) -> tuple[int, int]:
    lower = ">=" if include_start else ">"
    upper = "<" if include_start else "<="
    source, extra, params = "audits_final", "", []
    if pillar:
        source, extra, params = "audit_pillars_final", " AND pillar = ?", [pillar]
    n, good = con.execute(
        f"SELECT count(*), count(*) FILTER (final_rank <= 2) FROM {source} "
        f"WHERE audit_date {lower} ? AND audit_date {upper} ? AND (? = 'ALL' OR service = ?){extra}",
        [start, end, service, service, *params]).fetchone()
    return n, good


def intervention_impact(con, row: dict, window: int) -> dict[str, Any]:
    start = row["start_date"]
    end = row["end_date"] or start
    service = row["service"] or "ALL"
    pillar = row["target_pillar"]
    n1, x1 = _counts(con, add_months(start, -window), start, True, service, pillar)
    n2, x2 = _counts(con, end, add_months(end, window), False, service, pillar)
    before, after = side(x1, n1), side(x2, n2)
    diff = None if not (n1 and n2) else after["good_or_better_pct"] - before["good_or_better_pct"]
    return {
        "intervention_id": row["intervention_id"],
        "target": pillar or "overall",
        "before": before,
        "after": after,
        "difference_pts": diff,
        "p_value": two_proportion_p_value(x1, n1, x2, n2),
        "too_little_evidence": n1 < MIN_EVIDENCE or n2 < MIN_EVIDENCE,
    }


def impact(con, window: int = 6, intervention_id: str | None = None) -> dict[str, Any]:
    sql = "SELECT intervention_id, start_date, end_date, service, target_pillar FROM interventions"
    params: list = []
    if intervention_id:
        sql += " WHERE intervention_id = ?"
        params.append(intervention_id)
    cur = con.execute(sql + " ORDER BY intervention_id", params)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    return {"window_months": window, "interventions": [intervention_impact(con, r, window) for r in rows]}
