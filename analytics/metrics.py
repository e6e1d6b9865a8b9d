"""Every figure of metrics.md, once: the pages, ``summary`` and the exports all call these functions."""
from __future__ import annotations

import dataclasses
from typing import Any

import duckdb

from .config import Config
from .filters import Filters, where
from .rollups import GRADE_TOTALS, pillar_rows, total


def pct(numerator: int | float, denominator: int | float) -> float | None:
    """A percentage 0-100, or None when the denominator is empty."""
    return None if not denominator else numerator / denominator * 100


def resolve_period(con: duckdb.DuckDBPyConnection, f: Filters) -> Filters:
    """Fill a missing end of the period from the audits: earliest and latest month with an audit."""
    if f.month_from and f.month_to:
        return f
    first, last = con.execute("SELECT strftime(min(audit_date), '%Y-%m'), strftime(max(audit_date), '%Y-%m') "
                              "FROM audits").fetchone()
    if first is None:
        import datetime as dt
        first = last = dt.date.today().strftime("%Y-%m")
    month_to = f.month_to or max(last, f.month_from or first)
    month_from = f.month_from or min(first, month_to)
    return dataclasses.replace(f, month_from=month_from, month_to=month_to)


# --- audits -------------------------------------------------------------------------------
def audit_headline(con, f: Filters, config: Config) -> dict[str, Any]:
    cond, params = where(f, "month", audit_columns=True)
    # One pass over the per-month counts (rollups.py): every figure adds up the final-rank totals.
    by_rank = {rank: (n, provisional) for rank, n, provisional in con.execute(
        f"SELECT final_rank, {total()}, {total('provisional')} FROM audit_rollup WHERE {cond} GROUP BY 1",
        params).fetchall()}
    n = sum(v[0] for v in by_rank.values())
    good = sum(v[0] for r, v in by_rank.items() if r is not None and r <= 2)
    inadequate = sum(v[0] for r, v in by_rank.items() if r == 4)
    return {
        "count": n, "provisional": sum(v[1] for v in by_rank.values()),
        "good_or_better_pct": pct(good, n), "inadequate_pct": pct(inadequate, n),
        "by_grade": {label: by_rank.get(rank, (0,))[0] for rank, label in enumerate(config.grade_labels, start=1)},
    }


def audits_by(con, f: Filters, column: str) -> list[tuple]:
    """(key, count, % good or better, % inadequate) per service, team, cohort or month with audits."""
    assert column in ("service", "team", "cohort", "auditor_role", "audit_month")
    key = "strftime(month, '%Y-%m')" if column == "audit_month" else column
    cond, params = where(f, "month", audit_columns=True)
    rows = con.execute(f"SELECT {key}, {GRADE_TOTALS} FROM audit_rollup WHERE {cond} GROUP BY 1 ORDER BY 1",
                       params).fetchall()
    return [(key, n, pct(good, n), pct(inad, n)) for key, n, _, good, inad in rows]


def audits_by_service(con, f: Filters, config: Config) -> dict[str, dict]:
    rows = {k: (n, g, i) for k, n, g, i in audits_by(con, f, "service")}
    order = [s for s in config.service_codes if s in rows] + sorted(s for s in rows if s not in config.service_codes)
    return {s: {"count": rows[s][0], "good_or_better_pct": rows[s][1], "inadequate_pct": rows[s][2]} for s in order}


def audits_by_month(con, f: Filters) -> dict[str, dict]:
    return {m: {"count": n, "good_or_better_pct": g} for m, n, g, _ in audits_by(con, f, "audit_month")}


def pillar_summary(con, f: Filters, config: Config) -> dict[str, dict]:
    source, params = pillar_rows(f)   # the per-month pillar counts (rollups.py)
    rows = {p: (n, good, inad) for p, n, good, inad in con.execute(
        f"SELECT pillar, {total()}, {total('final_rank <= 2')}, {total('final_rank = 4')} "
        f"FROM {source} GROUP BY 1", params).fetchall()}
    return {p: {"count": rows[p][0], "good_or_better_pct": pct(rows[p][1], rows[p][0]),
                "inadequate_pct": pct(rows[p][2], rows[p][0])} for p in config.pillars if p in rows}


def grade_pairs(con, f: Filters) -> list[tuple[int, int, int]]:
    """(auditor rank, moderated rank, count) over the moderated audits."""
    cond, params = where(f, "month", audit_columns=True)
    return con.execute(f"SELECT auditor_rank, moderated_rank, {total()} FROM audit_rollup "
                       f"WHERE {cond} AND moderated_rank IS NOT NULL GROUP BY 1, 2", params).fetchall()


def weighted_kappa(pairs: list[tuple[int, int, int]], categories: int = 4) -> float | None:
    """Cohen's kappa with linear weights over (rater A rank, rater B rank, count), all categories present."""
    total = sum(n for _, _, n in pairs)
    if not total:
        return None
    rows = [0.0] * categories
    cols = [0.0] * categories
    observed = 0.0
    for a, b, n in pairs:
        rows[a - 1] += n
        cols[b - 1] += n
        observed += abs(a - b) / (categories - 1) * n / total
    expected = sum(abs(i - j) / (categories - 1) * rows[i] * cols[j] / total ** 2
                   for i in range(categories) for j in range(categories))
    if expected == 0:
        return 1.0 if observed == 0 else None
    return 1 - observed / expected


def moderation(con, f: Filters) -> dict[str, Any]:
    pairs = grade_pairs(con, f)
    n = sum(c for _, _, c in pairs)
    agree = sum(c for a, m, c in pairs if a == m)
    within_one = sum(c for a, m, c in pairs if abs(a - m) <= 1)
    return {
        "moderated": n,
        "agreement_pct": pct(agree, n),
        "within_one_pct": pct(within_one, n),
        "downgraded": sum(c for a, m, c in pairs if m > a),
        "upgraded": sum(c for a, m, c in pairs if m < a),
        "net_drift": (sum((m - a) * c for a, m, c in pairs) / n) if n else None,
        "weighted_kappa": weighted_kappa(pairs),
    }


def benchmarking(con, f: Filters) -> dict[str, int]:
    cond, params = where(f, "month", audit_columns=True)
    benchmarked, changed = con.execute(
        f"SELECT {total('benchmarked')}, {total('benchmark_changed')} FROM audit_rollup WHERE {cond}",
        params).fetchone()
    return {"benchmarked": benchmarked, "changed": changed}


# --- learning loop ---------------------------------------------------------------------------
# Finished by D: completed by D, or marked Complete or Closed with no completion date.
ACTION_FINISHED = "(coalesce(completed_date <= ?, FALSE) OR (completed_date IS NULL AND status IN ('Complete', 'Closed')))"


def learning_actions(con, f: Filters) -> dict[str, Any]:
    """Actions raised in the period: open and overdue on D, and % completed on time."""
    cond, params = where(f, "raised_date")
    open_, overdue, on_time, completed = con.execute(
        f"SELECT count(*) FILTER (NOT finished), count(*) FILTER (NOT finished AND due_date < ?), "
        f"count(*) FILTER (status = 'Complete' AND completed_date <= due_date), "
        f"count(*) FILTER (status = 'Complete' AND completed_date IS NOT NULL) "
        f"FROM (SELECT *, {ACTION_FINISHED} AS finished FROM learning_actions WHERE {cond})",
        [f.end, f.end, *params]).fetchone()
    return {"open": open_, "overdue": overdue, "completed_on_time_pct": pct(on_time, completed)}


def escalations(con, f: Filters) -> dict[str, Any]:
    cond, params = where(f, "raised_date")
    raised, open_at_end, median_days = con.execute(
        f"SELECT count(*), count(*) FILTER (resolved_date IS NULL OR resolved_date > ?), "
        f"median(date_diff('day', raised_date, resolved_date)) FILTER (resolved_date IS NOT NULL) "
        f"FROM escalations WHERE {cond}", [f.end, *params]).fetchone()
    return {"raised": raised, "open_at_end": open_at_end,
            "median_days_to_resolve": None if median_days is None else float(median_days)}


# --- the summary ---------------------------------------------------------------------------
def summary(con, f: Filters, config: Config) -> dict[str, Any]:
    """The ``qa-dashboard summary`` object of metrics.md."""
    f = resolve_period(con, f)
    return {
        "period": {"from": f.month_from, "to": f.month_to},
        "audits": audit_headline(con, f, config),
        "by_service": audits_by_service(con, f, config),
        "by_month": audits_by_month(con, f),
        "pillars": pillar_summary(con, f, config),
        "moderation": {k: v for k, v in moderation(con, f).items() if k != "within_one_pct"},
        "benchmarking": benchmarking(con, f),
        "learning_actions": learning_actions(con, f),
        "escalations": escalations(con, f),
    }
