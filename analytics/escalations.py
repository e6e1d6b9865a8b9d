"""IRO and CP chair escalations (Resolving Professional Differences) and Need to Know notifications.

Escalations belong to the period by ``raised_date``, Need to Know by ``notified_date`` (metrics.md
"Periods"); the service filter and scope apply through ``filters.where``. The headline (raised, open at the
period's end, median days to resolve) is ``metrics.escalations``, the same function as ``summary``.

metrics.md: open on D = ``raised_date <= D`` and (``resolved_date`` blank or after D); days to resolve =
``resolved_date - raised_date``, median over the escalations raised in the period that have a resolved date
(whenever it falls; an even count gives the mean of the two middle values).

The ageing of open escalations counts every escalation open on D, raised in the period or before it, since
the oldest ones are the ones to chase; the headline's "open at end" counts only those raised in the period
(as ``summary`` does). ``child_ref`` is never read.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

import numpy as np
import pandas as pd

from . import metrics
from .filters import Filters, financial_quarter, part_quarter_labels, where
from .frames import fetch_df
from .voice import _with_periods, months, quarters

RAISERS = ("IRO", "CP Chair")
STAGES = ("Informal", "Formal 1", "Formal 2", "Formal 3")
# Days open on D: upper bounds of the bands (inclusive).
AGE_BANDS = ((14, "0–14 days"), (28, "15–28 days"), (56, "29–56 days"), (90, "57–90 days"),
             (None, "over 90 days"))
EARLIEST = "1900-01"
COLUMNS = "escalation_id, raised_date, raised_by, service, team, stage, themes, resolved_date, outcome"


def headline(con, f: Filters) -> dict:
    """Raised, open at the period's end, median days to resolve: ``summary``'s escalations object."""
    return metrics.escalations(con, f)


def rows(con, f: Filters) -> pd.DataFrame:
    """Escalations raised in the period (never the child's reference)."""
    cond, params = where(f, "raised_date")
    # The month comes from the database: formatting dates in pandas is slow.
    df = con.execute(f"SELECT {COLUMNS}, strftime(raised_date, '%Y-%m') AS month FROM escalations WHERE {cond} "
                     "ORDER BY raised_date, escalation_id", params).df()
    df = _with_periods(df, "raised_date", f)
    df["days_to_resolve"] = (pd.to_datetime(df["resolved_date"]) - pd.to_datetime(df["raised_date"])).dt.days
    return df


# --- the counts the figures are summed from ---------------------------------------------------------
# The page's figures are sums over a few groups (month x service x raiser x stage; theme x month x raiser),
# so the database counts the groups and Python adds them up: the period's rows never leave the database.
# The roll-ups they are read from (refreshed at load time, ``database.DERIVED_GROUPS`` "escalations"): per month
# and service, so a period adds up a few thousand rows rather than counting every escalation. A period is whole
# months and the service filter is on a column kept here: ``where(f, "month")`` selects exactly the escalations
# ``where(f, "raised_date")`` does. An escalation naming a theme twice counts once (its first naming).
ROLLUPS = {
    "escalation_months": "SELECT CAST(date_trunc('month', raised_date) AS DATE) AS month, service, raised_by, stage, "
                         "count(*) AS n FROM escalations GROUP BY ALL",
    "escalation_theme_months": "SELECT month, service, raised_by, theme, count(*) AS n FROM ("
                               "SELECT CAST(date_trunc('month', raised_date) AS DATE) AS month, service, raised_by, "
                               "themes, unnest(themes) AS theme, unnest(generate_series(1, len(themes))) AS i "
                               "FROM escalations) WHERE list_position(themes, theme) = i GROUP BY ALL",
}


def refresh(con) -> None:
    """Rebuild the escalation roll-ups (inside the write that changed the escalations)."""
    for name, sql in ROLLUPS.items():
        con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql} ORDER BY month")


def _both_counts(con, f: Filters) -> tuple[list[tuple], list[tuple]]:
    """``_counts`` and ``_theme_counts`` from one query (a query's planning costs more than its few rows)."""
    cond, params = where(f, "month")
    counts, themes = [], []
    for kind, month, service, raiser, stage, theme, n in con.execute(
            f"SELECT 0, strftime(month, '%Y-%m'), service, raised_by, stage, NULL, CAST(sum(n) AS BIGINT) "
            f"FROM escalation_months WHERE {cond} GROUP BY ALL UNION ALL "
            f"SELECT 1, strftime(month, '%Y-%m'), NULL, raised_by, NULL, theme, CAST(sum(n) AS BIGINT) "
            f"FROM escalation_theme_months WHERE {cond} GROUP BY ALL", params * 2).fetchall():
        if kind == 0:
            counts.append((month, service, raiser, stage, n))
        elif theme is not None and theme.strip() != "":
            themes.append((month, raiser, theme, n))
    return counts, themes


def _counts(con, f: Filters) -> list[tuple]:
    """(month, service, raised_by, stage, n) of the escalations raised in the period."""
    return _both_counts(con, f)[0]


def _theme_counts(con, f: Filters) -> list[tuple]:
    """(month, raised_by, theme, n): escalations naming each theme, a theme repeated in one counted once."""
    return _both_counts(con, f)[1]


def _resolve_days(con, f: Filters) -> dict[str, list[tuple]]:
    """Per service and per stage: (key, raised, resolved, median days to resolve) of the period's escalations."""
    cond, params = where(f, "raised_date")
    out: dict[str, list[tuple]] = {"service": [], "stage": []}
    for by_stage, service, stage, raised, resolved, median in con.execute(
            f"SELECT grouping(service) = 1, service, stage, count(*), count(resolved_date), "
            f"median(date_diff('day', raised_date, resolved_date)) FROM escalations WHERE {cond} "
            f"GROUP BY GROUPING SETS ((service), (stage))", params).fetchall():
        if by_stage:
            out["stage"].append((stage, raised, resolved, median))
        else:
            out["service"].append((service, raised, resolved, median))
    return out


def raised_by_month(con, f: Filters) -> pd.DataFrame:
    """Escalations raised per month, service and raiser (months without any listed as zeros per raiser)."""
    return _raised_by_month(_counts(con, f), f)


def _raised_by_month(counts: list[tuple], f: Filters) -> pd.DataFrame:
    n: dict = {}
    for month, service, raiser, _, k in counts:
        if service is not None and raiser is not None:
            n[(month, service, raiser)] = n.get((month, service, raiser), 0) + k
    seen = {(m, r) for m, _, r in n}
    out = [(m, s, r, k) for (m, s, r), k in n.items()]
    out += [(m, None, r, 0) for m in months(f) for r in RAISERS if (m, r) not in seen]
    # month, raiser, then service (a month's zero row, with no service, first)
    out.sort(key=lambda x: (x[0], x[2], x[1] is not None, x[1] or ""))
    services = [x[1] for x in out]
    # a zero row has no service: the column then holds None (object), as a table of counts and blanks does
    return pd.DataFrame({"month": [x[0] for x in out],
                         "service": pd.Series(services, dtype=object if None in services else None),
                         "raised_by": [x[2] for x in out], "n": pd.array([x[3] for x in out], dtype="int64")})


def stage_mix(con, f: Filters) -> pd.DataFrame:
    """Escalations raised in the period by stage (all four) and raiser, with each stage's share of the raiser's."""
    return _stage_mix(_counts(con, f))


def _stage_mix(counts: list[tuple]) -> pd.DataFrame:
    out = []
    for r in RAISERS:
        mine = [(stage, k) for _, _, raiser, stage, k in counts if raiser == r]
        total = sum(k for _, k in mine)
        for s in STAGES:
            k = sum(n for stage, n in mine if stage == s)
            out.append({"raised_by": r, "stage": s, "n": k, "pct": k / total * 100 if total else None})
    return pd.DataFrame(out)


def band_sql(days: str) -> str:
    """The age band (AGE_BANDS) of a number of days, as SQL over the column ``days`` (a name from this module)."""
    return "CASE " + " ".join(f"WHEN {days} <= {upper} THEN '{label}'" for upper, label in AGE_BANDS if upper) + \
        f" ELSE '{AGE_BANDS[-1][1]}' END"


def open_on(con, f: Filters) -> pd.DataFrame:
    """Every escalation open on D (the period's last day), however long ago it was raised, with its age."""
    d = f.end
    # The period's start does not apply: an escalation raised before it and still open is open on D.
    cond, params = where(dataclasses.replace(f, month_from=EARLIEST), "raised_date")
    return fetch_df(con, f"""
        SELECT *, {band_sql("age_days")} AS age_band, raised_date >= CAST(? AS DATE) AS raised_in_period FROM (
            SELECT escalation_id, raised_date, raised_by, service, team, stage,
                   date_diff('day', raised_date, CAST(? AS DATE)) AS age_days
            FROM escalations WHERE {cond} AND (resolved_date IS NULL OR resolved_date > ?))
        ORDER BY raised_date, escalation_id""", [f.start, d, *params, d])


def open_by_age(con, f: Filters) -> pd.DataFrame:
    """Open escalations on D by age band and stage (every band and stage listed)."""
    return _open_by_age(open_on(con, f))


def _open_by_age(df: pd.DataFrame) -> pd.DataFrame:
    # Counted over whole columns (a Counter over tens of thousands of pairs cost most of the page): the band
    # from the days as band_sql gives it, the stage by its place in STAGES (another stage is in no cell).
    uppers = np.array([upper for upper, _ in AGE_BANDS if upper is not None])
    band = np.searchsorted(uppers, df["age_days"].to_numpy(dtype="int64"), side="left")
    codes, names = pd.factorize(df["stage"])       # (a few distinct stages: each looked up once)
    place = np.array([STAGES.index(x) if x in STAGES else -1 for x in names] + [-1], dtype="int64")
    stage = place[codes]                             # a blank stage (code -1) takes the -1 at the end
    known = stage >= 0
    n = np.bincount(band[known] * len(STAGES) + stage[known], minlength=len(AGE_BANDS) * len(STAGES))
    full = [(b, s) for _, b in AGE_BANDS for s in STAGES]
    return pd.DataFrame({"age_band": [b for b, _ in full], "stage": [s for _, s in full],
                         "n": pd.array(n, dtype="int64")})


def days_to_resolve(con, f: Filters, by: str) -> pd.DataFrame:
    """Median days to resolve per service, raiser or stage: n raised, n resolved, the median (None if none)."""
    if by == "raised_by":
        cond, params = where(f, "raised_date")
        got = con.execute(f"SELECT raised_by, count(*), count(resolved_date), "
                          f"median(date_diff('day', raised_date, resolved_date)) FROM escalations WHERE {cond} "
                          f"GROUP BY 1", params).fetchall()
        return _days_to_resolve(got, by)
    if by not in ("service", "stage"):
        raise ValueError(by)
    return _days_to_resolve(_resolve_days(con, f)[by], by)


def _days_to_resolve(got: list[tuple], by: str) -> pd.DataFrame:
    found = {k: (raised, resolved, median) for k, raised, resolved, median in got if k is not None}
    keys = {"raised_by": RAISERS, "stage": STAGES}.get(by) or sorted(found)
    out = []
    for k in keys:
        raised, resolved, median = found.get(k, (0, 0, None))
        out.append({by: k, "raised": raised, "resolved": resolved,
                    "median_days": float(median) if resolved else None})
    return pd.DataFrame(out, columns=[by, "raised", "resolved", "median_days"])


def themes(con, f: Filters) -> pd.DataFrame:
    """Escalation themes ranked by the escalations that name them, by raiser, with share of the period's."""
    return _themes_ranked(*_both_counts(con, f))


def _themes_ranked(counts: list[tuple], theme_counts: list[tuple]) -> pd.DataFrame:
    cols = ["rank", "theme", "n", "pct", "IRO", "CP Chair"]
    if not theme_counts:
        return pd.DataFrame(columns=cols)
    raised = sum(r[-1] for r in counts)
    per: dict = {}
    for _, raiser, theme, k in theme_counts:
        t = per.setdefault(theme, {"n": 0, **{r: 0 for r in RAISERS}})
        t["n"] += k
        if raiser in t:
            t[raiser] += k
    ranked = sorted(per.items(), key=lambda kv: (-kv[1]["n"], kv[0]))
    return pd.DataFrame({"rank": range(1, len(ranked) + 1), "theme": [k for k, _ in ranked],
                         "n": pd.array([t["n"] for _, t in ranked], dtype="int64"),
                         "pct": [t["n"] / raised * 100 for _, t in ranked],
                         **{r: pd.array([t[r] for _, t in ranked], dtype="int64") for r in RAISERS}})[cols]


def theme_trend(con, f: Filters, top: int = 5) -> pd.DataFrame:
    """The ``top`` themes: escalations naming them per financial quarter."""
    counts, theme_counts = _both_counts(con, f)
    return _theme_trend(counts, theme_counts, f, top)


def _quarter_of(f: Filters) -> dict[str, str]:
    part = part_quarter_labels(f)
    return {m: part.get(q, q) for m in months(f) for q in [financial_quarter(dt.date(int(m[:4]), int(m[5:]), 1))]}


def _theme_trend(counts: list[tuple], theme_counts: list[tuple], f: Filters, top: int = 5,
                 ranked: pd.DataFrame | None = None) -> pd.DataFrame:
    ranked = _themes_ranked(counts, theme_counts) if ranked is None else ranked
    keep = list(ranked["theme"][:top])
    quarter = _quarter_of(f)
    raised, named = Counter(), Counter()
    for r in counts:
        raised[quarter.get(r[0])] += r[-1]
    for month, _, theme, k in theme_counts:
        named[(quarter.get(month), theme)] += k
    out = [{"quarter": q, "theme": th, "n": named[(q, th)], "raised": raised[q]} for q in quarters(f) for th in keep]
    return pd.DataFrame(out, columns=["quarter", "theme", "n", "raised"])


# --- Need to Know --------------------------------------------------------------------------------
def ntk_rows(con, f: Filters) -> pd.DataFrame:
    cond, params = where(f, "notified_date")
    df = con.execute("SELECT ntk_id, notified_date, service, category, rapid_review, national_panel_notified, "
                     f"strftime(notified_date, '%Y-%m') AS month FROM need_to_know WHERE {cond} "
                     "ORDER BY notified_date, ntk_id", params).df()
    return _with_periods(df, "notified_date", f)


def _ntk_counts(con, f: Filters) -> list[tuple]:
    """(month, category, service, notifications, rapid reviews, national panel); a blank yes/no counts as no."""
    cond, params = where(f, "notified_date")
    return con.execute(
        "SELECT strftime(m, '%Y-%m'), category, service, n, rapid, panel FROM ("
        "SELECT date_trunc('month', notified_date) AS m, category, service, count(*) AS n, "
        "count(*) FILTER (coalesce(rapid_review, false)) AS rapid, "
        "count(*) FILTER (coalesce(national_panel_notified, false)) AS panel "
        f"FROM need_to_know WHERE {cond} GROUP BY ALL)", params).fetchall()


def ntk_headline(con, f: Filters) -> dict:
    return _ntk_headline(_ntk_counts(con, f))


def _ntk_headline(counts: list[tuple]) -> dict:
    return {"notifications": sum(r[3] for r in counts), "rapid_review": sum(r[4] for r in counts),
            "national_panel": sum(r[5] for r in counts)}


def ntk_by_quarter(con, f: Filters, by: str) -> pd.DataFrame:
    """Need to Know per financial quarter and category (or service): notifications, Rapid Reviews, panel.

    A blank yes/no is unknown and counts as no.
    """
    return _ntk_by_quarter(_ntk_counts(con, f), f, by)


def _ntk_by_quarter(counts: list[tuple], f: Filters, by: str) -> pd.DataFrame:
    if by not in ("category", "service"):
        raise ValueError(by)
    quarter = _quarter_of(f)
    sums: dict = {}
    for month, category, service, n, rapid, panel in counts:
        key = (quarter.get(month), category if by == "category" else service)
        if key[1] is None:
            continue
        a = sums.setdefault(key, [0, 0, 0])
        a[0], a[1], a[2] = a[0] + n, a[1] + rapid, a[2] + panel
    order = {q: i for i, q in enumerate(quarters(f))}
    keys = sorted(sums, key=lambda k: (order.get(k[0], len(order)), -sums[k][0], k[1]))
    return pd.DataFrame({"quarter": [k[0] for k in keys], by: [k[1] for k in keys],
                         **{c: pd.array([sums[k][i] for k in keys], dtype="int64")
                            for i, c in enumerate(("notifications", "rapid_review", "national_panel"))}})


def ntk_quarter_totals(con, f: Filters) -> pd.DataFrame:
    """Every financial quarter of the period: notifications, and how many led to a Rapid Review or the panel."""
    return _ntk_quarter_totals(ntk_by_quarter(con, f, "service"), f)


def _ntk_quarter_totals(by_service: pd.DataFrame, f: Filters) -> pd.DataFrame:
    by = by_service.groupby("quarter")[["notifications", "rapid_review", "national_panel"]].sum()
    return by.reindex(quarters(f), fill_value=0).rename_axis("quarter").reset_index()


def page_figures(con, f: Filters) -> dict:
    """Everything the Escalations page shows, from a few grouped counts (not one query per figure)."""
    (counts, theme_counts), days, ntk = _both_counts(con, f), _resolve_days(con, f), _ntk_counts(con, f)
    open_now = open_on(con, f)
    ranked = _themes_ranked(counts, theme_counts)
    ntk_service = _ntk_by_quarter(ntk, f, "service")
    return {"headline": headline(con, f), "monthly": _raised_by_month(counts, f), "stages": _stage_mix(counts),
            "open_now": open_now, "ageing": _open_by_age(open_now),
            "by_service": _days_to_resolve(days["service"], "service"),
            "by_stage": _days_to_resolve(days["stage"], "stage"),
            "themes": ranked, "trend": _theme_trend(counts, theme_counts, f, ranked=ranked),
            "ntk": _ntk_headline(ntk), "ntk_category": _ntk_by_quarter(ntk, f, "category"),
            "ntk_service": ntk_service, "ntk_totals": _ntk_quarter_totals(ntk_service, f)}
