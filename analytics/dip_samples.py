"""Thematic dip samples: the year's schedule, repeat cycles of a theme (metrics.md "Repeat dip sample cycle"),
and the findings (strengths and learning) by theme tag.

A cycle is one ``dip_sample_id``; the cycles of a theme are ordered by their earliest ``sample_date``.
The service filter narrows the records a cycle is measured on; the period picks the cycles shown.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from .audits import SMALL_N
from .filters import Filters, add_months, where
from .impact import wilson_interval
from .metrics import pct
from .presentation import format_pct, round_half_away

EVER = dt.date(1900, 1, 1)   # "from the beginning": a cycle's change needs its theme's earlier cycles


def financial_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def financial_year_label(day: dt.date) -> str:
    start = financial_year_start(day).year
    return f"{start}-{(start + 1) % 100:02d}"


def _span(f: Filters, start: dt.date, end: dt.date) -> Filters:
    """The viewer's services and scope over other months (the schedule looks at whole financial years)."""
    return Filters(start.strftime("%Y-%m"), end.strftime("%Y-%m"), services=f.services, scope=f.scope)


def _schedule_sql(f: Filters) -> tuple[str, str, list]:
    fy = financial_year_start(f.end)
    # Samples after D are not known yet on D: a past period's schedule shows what was due then.
    cond, params = where(_span(f, add_months(fy, -12), f.end), "sample_date")
    return (f"SELECT strftime(sample_date, '%Y-%m') AS month, theme, dip_sample_id, min(sample_date) AS sample_date, "
            f"count(*) AS n FROM dip_samples WHERE {cond} GROUP BY ALL", "month, sample_date, dip_sample_id", params)


def schedule(con, f: Filters) -> pd.DataFrame:
    """The schedule of the financial year that holds D: one row per month and theme, as it stood on D.

    A theme sampled in a month is 'Done' (with its cycle, day and records). A month of the year with no
    sample at all shows as 'Due' the themes sampled in the same month of the previous financial year
    (the schedule repeats yearly; the council's own schedule is not a dataset).
    """
    return _schedule(_fetch(con, *_schedule_sql(f)), f)


def _schedule(rows: list[tuple], f: Filters) -> pd.DataFrame:
    fy = financial_year_start(f.end)
    # Plain tuples by month (a filtered frame per month cost more than the query).
    by_month: dict[str, list] = {}
    for row in rows:
        by_month.setdefault(row[0], []).append(row)
    out = []
    for k in range(12):
        month = add_months(fy, k)
        label, last_year = month.strftime("%Y-%m"), add_months(month, -12).strftime("%Y-%m")
        done = by_month.get(label, [])
        if done:
            for _, theme, dip_sample_id, sample_date, n in done:
                out.append((label, month.strftime("%b %Y"), theme, "Done", dip_sample_id, sample_date, int(n)))
        else:
            for theme in dict.fromkeys(r[1] for r in by_month.get(last_year, [])):
                out.append((label, month.strftime("%b %Y"), theme, "Due", None, None, 0))
    # Built as objects from tuples holding None for a blank: no NaN to turn back into None.
    return pd.DataFrame(out, columns=["month", "month_label", "theme", "status", "dip_sample_id", "sample_date",
                                      "records"], dtype=object)


def _cycles_sql(f: Filters) -> tuple[str, str, list]:
    cond, params = where(_span(f, EVER, f.end), "sample_date")
    return (f"SELECT dip_sample_id, min(theme) AS theme, min(sample_date) AS first_date, count(*) AS n, "
            f"count(g.rank) AS graded, count(*) FILTER (g.rank <= 2) AS good, "
            f"sum(criteria_met) FILTER (criteria_met IS NOT NULL AND criteria_total IS NOT NULL) AS criteria_met, "
            f"sum(criteria_total) FILTER (criteria_met IS NOT NULL AND criteria_total IS NOT NULL) AS criteria_total "
            # Ranks from the configured grade scale (1 best), as every audit figure does; ungraded records have none.
            f"FROM dip_samples LEFT JOIN grade_scale g ON g.label = grade WHERE {cond} "
            f"GROUP BY dip_sample_id", "theme, first_date, dip_sample_id", params)


def cycles(con, f: Filters) -> pd.DataFrame:
    """Every cycle up to D of the themes sampled in the period, numbered within its theme, with its measures
    and the change (percentage points) from the theme's previous cycle; ``in_period`` marks the period's."""
    return _cycles(_fetch(con, *_cycles_sql(f)), f)


CYCLE_COLUMNS = ["theme", "cycle", "dip_sample_id", "first_date", "n", "graded", "good", "good_pct", "good_ci_low",
                 "good_ci_high", "criteria_met", "criteria_total", "criteria_pct", "good_change_pts",
                 "criteria_change_pts", "in_period"]


def _cycles(rows: list[tuple], f: Filters) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=CYCLE_COLUMNS)
    # A few hundred cycles: plain tuples in theme order (pandas' per-column steps cost more than the query).
    out, count, prev = [], {}, {}
    for sample_id, theme, first, n, graded, good, met, total in rows:
        n, graded, good, met, total = (int(v or 0) for v in (n, graded, good, met, total))
        count[theme] = cycle = count.get(theme, 0) + 1
        good_pct, criteria_pct = pct(good, graded), pct(met, total)
        low, high = wilson_interval(good, graded)
        before = prev.get(theme, (None, None))
        change = [None if a is None or b is None else a - b for a, b in zip((good_pct, criteria_pct), before)]
        prev[theme] = (good_pct, criteria_pct)
        out.append((theme, cycle, sample_id, first, n, graded, good, good_pct, low, high, met, total, criteria_pct,
                    *change, f.start <= first <= f.end))
    shown = {r[0] for r in out if r[-1]}
    # Objects from tuples holding None for a blank (pct and the interval give None, never NaN): no NaN to undo.
    return pd.DataFrame([r for r in out if r[0] in shown], columns=CYCLE_COLUMNS, dtype=object)


def _findings_sql(f: Filters) -> tuple[str, str, list]:
    cond, params = where(_span(f, EVER, dt.date(9999, 12, 1)), "sample_date")
    # The cycles begun in the period that sampled a record of the viewer's services, in one pass over the
    # records (two IN lists over them cost several times more).
    return (f"WITH c AS (SELECT dip_sample_id FROM dip_samples GROUP BY 1 "
            f"HAVING min(sample_date) BETWEEN ? AND ? AND count(*) FILTER ({cond}) > 0) "
            # per tag and cycle first, then per tag (a DISTINCT count beside the others cost a second plan)
            f"SELECT theme_tag, sum(s)::BIGINT AS strengths, sum(l)::BIGINT AS learning, sum(n)::BIGINT AS findings, "
            f"count(*) AS cycles FROM (SELECT theme_tag, dip_sample_id, "
            f"count(*) FILTER (finding_type = 'Strength') AS s, count(*) FILTER (finding_type = 'Learning') AS l, "
            f"count(*) AS n FROM dip_sample_findings SEMI JOIN c USING (dip_sample_id) GROUP BY ALL) "
            f"GROUP BY theme_tag", "findings DESC, theme_tag", [f.start, f.end, *params])


def findings(con, f: Filters) -> pd.DataFrame:
    """Strengths and areas of learning by theme tag, from the cycles that began in the period (and, with a
    service filter, sampled at least one record of those services)."""
    return _findings(_fetch(con, *_findings_sql(f)))


def _findings(rows: list[tuple]) -> pd.DataFrame:
    cols = ["theme_tag", "strengths", "learning", "findings", "cycles"]
    return pd.DataFrame({"theme_tag": pd.Series([r[0] for r in rows], dtype=object if not rows else None),
                         **{c: pd.array([r[i] for r in rows], dtype="int64") for i, c in enumerate(cols) if i},
                         "strength_pct": [pct(r[1], r[3]) for r in rows]})


def _fetch(con, sql: str, order: str, params: list) -> list[tuple]:
    return con.execute(f"{sql} ORDER BY {order}", params).fetchall()


def page_figures(con, f: Filters) -> dict:
    """The schedule, the cycles and the findings from one query: each a list of its rows in its own order
    (three small reads cost a round trip each, more than their work)."""
    parts, params = [], []
    for sql, order, p in (_schedule_sql(f), _cycles_sql(f), _findings_sql(f)):
        parts.append(f"(SELECT coalesce(list(t ORDER BY {order}), []) FROM ({sql}) t)")
        params += p
    sched, cyc, found = (
        [tuple(r.values()) for r in rows] for rows in con.execute("SELECT " + ", ".join(parts), params).fetchone())
    return {"schedule": _schedule(sched, f), "cycles": _cycles(cyc, f), "findings": _findings(found)}


def pct_text(value, low, high, n) -> str:
    """A percentage for a table, with its 95% Wilson range where it rests on fewer than 20 records."""
    if value is None or pd.isna(value):
        return format_pct(None)
    if n < SMALL_N and low is not None:
        return f"{format_pct(value)} ({format_pct(low)}–{format_pct(high)})"
    return format_pct(value)


def change_text(value) -> str:
    if value is None or pd.isna(value):
        return format_pct(None)
    return f"{round_half_away(value):+.1f} pts"


def cycle_table(df: pd.DataFrame) -> pd.DataFrame:
    """The cycles for reading: one row per cycle, percentages written out (with ranges under 20 records)."""
    return pd.DataFrame({
        "Theme": df["theme"], "Cycle": df["cycle"], "Dip sample": df["dip_sample_id"], "First sampled": df["first_date"],
        "Records (n)": df["n"], "Graded": df["graded"], "Good or better": df["good"],
        "% good or better": [pct_text(v, lo, hi, n) for v, lo, hi, n in
                             zip(df["good_pct"], df["good_ci_low"], df["good_ci_high"], df["graded"])],
        "Change (good or better)": [change_text(v) for v in df["good_change_pts"]],
        "Criteria met": df["criteria_met"], "Criteria assessed": df["criteria_total"],
        "Criteria met %": [format_pct(v) for v in df["criteria_pct"]],
        "Change (criteria met)": [change_text(v) for v in df["criteria_change_pts"]],
        "In period": df["in_period"]})
