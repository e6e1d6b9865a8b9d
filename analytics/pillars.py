"""Pillar breakdown: how each pillar of practice is graded, by service and over time (metrics.md).

Every figure is over pillar rows (one per audit and pillar) by the final pillar grade (moderated, else
the auditor's); % good or better = rows graded Outstanding or Good over rows, the same definition as
``summary``'s ``pillars``. A pillar row is *provisional* when its audit has not been moderated.
Pillars come in the configured order, services in the configured order.
"""
from __future__ import annotations

import pandas as pd

from . import rollups
from .audits import _widen, with_intervals
from .config import Config
from .impact import wilson_interval
from .filters import Filters, add_months, financial_quarter, mark_part_quarters, month_span, month_start, where

ALL_SERVICES = "All services"

def ordered(values, configured: list[str]) -> list[str]:
    """Configured values first in configured order, then any others (from older settings) alphabetically."""
    present = list(dict.fromkeys(values))
    return [v for v in configured if v in present] + sorted(v for v in present if v not in configured)


def _sort(df: pd.DataFrame, config: Config, pillar: bool = True, service: bool = False) -> pd.DataFrame:
    keys = []
    if service:
        order = ordered(df["service"], config.service_codes)
        df = df.assign(_s=df["service"].map({s: i for i, s in enumerate(order)}))
        keys.append("_s")
    if "period" in df.columns:
        keys.insert(0, "period")
    if pillar:
        order = ordered(df["pillar"], config.pillars)
        df = df.assign(_p=df["pillar"].map({p: i for i, p in enumerate(order)}))
        keys.append("_p")
    if "rank" in df.columns:
        keys.append("rank")
    df = df.sort_values(keys, kind="stable") if keys else df
    return df.drop(columns=[c for c in ("_s", "_p") if c in df.columns]).reset_index(drop=True)


def pillar_counts(con, f: Filters, grain: str | None = None) -> pd.DataFrame:
    """Pillar rows counted per month, service, pillar, final pillar rank, provisional flag and how the pillar
    compares with its audit's final rank (``cmp``: 1 below, 0 same, -1 above): a few thousand rows that
    every figure of this module adds up, so a page reads the year's pillar rows once, not once a figure.
    With the rolling grain the months reach two back before the period (each month stands for three)."""
    g = _widen(f, -2) if grain == "rolling3" else f
    rows, params = rollups.pillar_rows(g)   # the per-month counts (rollups.py), kept at load
    return con.execute(
        f"SELECT strftime(month, '%Y-%m') AS month, service, pillar, final_rank, provisional, cmp, "
        f"{rollups.total()} AS n FROM {rows} GROUP BY ALL", params).df()


def _add_up(counts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """COUNTS (n, good, inadequate, provisional) per ``keys`` from ``pillar_counts``' rows, as int64."""
    rank = counts["final_rank"]
    n = counts["n"].astype("int64")
    parts = pd.DataFrame({k: counts[k] for k in keys} | {
        "n": n, "good": n.where(rank <= 2, 0), "inadequate": n.where(rank == 4, 0),
        "provisional": n.where(counts["provisional"].fillna(False).astype(bool), 0)})
    return parts.groupby(keys, sort=False, dropna=False).sum().reset_index()


def by_pillar(con, f: Filters, config: Config, counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per pillar: n rows, good, inadequate, provisional, % good or better (Wilson interval), % inadequate.

    The same figures as ``summary``'s ``pillars`` for the same filters.
    """
    counts = pillar_counts(con, f) if counts is None else counts
    return _sort(with_intervals(_add_up(counts, ["pillar"])), config)


def by_service(con, f: Filters, config: Config, counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The heatmap's cells: per service and pillar, the same columns as ``by_pillar``."""
    counts = pillar_counts(con, f) if counts is None else counts
    return _sort(with_intervals(_add_up(counts, ["service", "pillar"])), config, service=True)


def heatmap(con, f: Filters, config: Config, counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Service x pillar cells plus an "All services" column per pillar (which equals ``summary``'s pillars)."""
    counts = pillar_counts(con, f) if counts is None else counts
    cells = by_service(con, f, config, counts)
    total = by_pillar(con, f, config, counts).assign(service=ALL_SERVICES)
    return pd.concat([cells, total[cells.columns]], ignore_index=True) if not cells.empty else cells


def distribution(con, f: Filters, config: Config, counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Pillar rows per final pillar grade: pillar, grade, rank, n, share_pct (every grade listed, 0 included)."""
    counts = pillar_counts(con, f) if counts is None else counts
    if counts.empty:
        return pd.DataFrame(columns=["pillar", "grade", "rank", "n", "share_pct"])
    counts = counts.assign(rank=counts["final_rank"], n=counts["n"].astype("int64"))
    counts = counts.groupby(["pillar", "rank"], sort=False, dropna=False)["n"].sum().reset_index()
    grid = pd.MultiIndex.from_product([counts["pillar"].unique(), range(1, 5)], names=["pillar", "rank"])
    ranked = counts[counts["rank"].notna()].astype({"rank": "int64"})
    df = ranked.set_index(["pillar", "rank"])["n"].reindex(grid, fill_value=0).reset_index()
    df["grade"] = [config.grade_labels[r - 1] for r in df["rank"]]
    df["share_pct"] = df["n"] / df.groupby("pillar")["n"].transform("sum") * 100
    return _sort(df[["pillar", "grade", "rank", "n", "share_pct"]], config)


def trend(con, f: Filters, config: Config, grain: str = "month", counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """% good or better per pillar per period (month, financial quarter, or rolling 3 months to each month).

    ``counts``: ``pillar_counts(con, f, grain)`` when the caller has them."""
    counts = pillar_counts(con, f, grain) if counts is None else counts
    if grain not in ("month", "quarter", "rolling3"):
        raise ValueError(grain)
    if grain == "month" or counts.empty:
        df = _add_up(counts.rename(columns={"month": "period"}), ["period", "pillar"])
    elif grain == "quarter":
        quarter = {m: financial_quarter(month_start(m)) for m in counts["month"].unique()}
        df = _add_up(counts.assign(period=counts["month"].map(quarter)), ["period", "pillar"])
    elif grain == "rolling3":
        months = month_span(f.start, month_start(f.month_to))
        spans = [counts[(counts["month"] >= add_months(month_start(m), -2).strftime("%Y-%m"))
                        & (counts["month"] <= m)].assign(period=m) for m in months]
        df = _add_up(pd.concat(spans, ignore_index=True), ["period", "pillar"])
    df = df.sort_values(["period", "pillar"]).reset_index(drop=True)
    return mark_part_quarters(_sort(with_intervals(df), config), f, grain)


def strongest_weakest(cells: pd.DataFrame, config: Config) -> pd.DataFrame:
    """For each service, its strongest and weakest pillar by % good or better (``by_service`` rows).

    Ties are all listed (one row each), so no pillar is singled out by an arbitrary rule.
    Columns: service, position ("Strongest"/"Weakest"), pillar and the cell's figures.
    """
    out = []
    for service, rows in cells[cells["service"] != ALL_SERVICES].groupby("service", sort=False):
        rows = rows[rows["n"] > 0]
        if rows.empty:
            continue
        for position, value in (("Strongest", rows["good_pct"].max()), ("Weakest", rows["good_pct"].min())):
            # Compare on the exact counts (good/n), not floats, so 1/3 ties 2/6.
            tied = rows[[abs(g / n * 100 - value) < 1e-9 for g, n in zip(rows["good"], rows["n"])]]
            out.append(tied.assign(position=position))
    columns = ["service", "position", "pillar", "n", "good", "good_pct", "good_ci_low", "good_ci_high", "provisional"]
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)[columns]


def held_back(con, f: Filters, config: Config, counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """How often each pillar is graded below the audit's overall final grade (the pillar that holds audits back).

    below = pillar rows whose final pillar rank is worse (higher) than their audit's final rank;
    below_pct = below / the pillar's rows x 100 (with its Wilson interval); same and above for context.
    """
    counts = pillar_counts(con, f) if counts is None else counts
    n = counts["n"].astype("int64")
    df = pd.DataFrame({"pillar": counts["pillar"], "n": n, "below": n.where(counts["cmp"] == 1, 0),
                       "same": n.where(counts["cmp"] == 0, 0), "above": n.where(counts["cmp"] == -1, 0),
                       "provisional": n.where(counts["provisional"].fillna(False).astype(bool), 0)})
    df = df.groupby("pillar", sort=False, dropna=False).sum().reset_index()
    df = with_intervals(df.assign(_i=0), good="below", inadequate="_i")
    df = df.rename(columns={"good_pct": "below_pct", "good_ci_low": "below_ci_low", "good_ci_high": "below_ci_high"})
    df = df.drop(columns=["_i", "inadequate_pct"])
    return _sort(df, config)


def page_figures(con, f: Filters, config: Config, grain: str = "month") -> dict:
    """The Pillar breakdown page's figures: heatmap cells, distribution, trend over the grain, held back, and
    (audits, provisional) behind them; each equal to its function's own (tests/test_pillars.py).

    Every figure over the period is one grouping set of one query over the per-month counts (and the monthly
    trend another), built into frames directly: the pandas regrouping of ``pillar_counts`` per figure cost
    more than the query. The quarterly and rolling trends come from ``trend``."""
    rows, params = rollups.pillar_rows(f)
    t = rollups.total
    sets = ["(service, pillar)", "(pillar)", "(pillar, final_rank)"] + (["(month, pillar)"] if grain == "month" else [])
    monthly = grain == "month"
    by_month, period = (("GROUPING(month) = 0 AS by_month", "strftime(month, '%Y-%m') AS period") if monthly
                        else ("FALSE AS by_month", "NULL AS period"))
    got = con.execute(
        f"SELECT GROUPING(service) = 0 AS by_service, GROUPING(final_rank) = 0 AS by_rank, "
        f"{by_month}, service, pillar, final_rank, {period}, "
        f"{t()}, {t('final_rank <= 2')}, {t('final_rank = 4')}, {t('provisional')}, {t('cmp = 1')}, "
        f"{t('cmp = 0')}, {t('cmp = -1')} FROM {rows} GROUP BY GROUPING SETS ({', '.join(sets)})", params).fetchall()
    if not got:   # no pillar rows: the functions' own empty frames
        return {"cells": heatmap(con, f, config), "distribution": distribution(con, f, config),
                "trend": trend(con, f, config, grain), "held_back": held_back(con, f, config),
                "audits": provisional_audits(con, f)}
    cells = [r for r in got if r[0]]
    ranks = [r for r in got if r[1]]
    months = [r for r in got if r[2]]
    totals = [r for r in got if not (r[0] or r[1] or r[2])]
    pillar_key, service_key = _order_key(config.pillars), _order_key(config.service_codes)
    cells.sort(key=lambda r: (service_key(r[3]), pillar_key(r[4])))
    totals.sort(key=lambda r: pillar_key(r[4]))
    by_service = _counts_frame({"service": [r[3] for r in cells], "pillar": [r[4] for r in cells]}, cells)
    every = _counts_frame({"service": [ALL_SERVICES] * len(totals), "pillar": [r[4] for r in totals]}, totals)
    if grain == "month":
        months.sort(key=lambda r: (r[6], pillar_key(r[4])))
        monthly = _counts_frame({"period": [r[6] for r in months], "pillar": [r[4] for r in months]}, months)
    else:
        monthly = trend(con, f, config, grain)
    return {"cells": pd.concat([by_service, every], ignore_index=True),
            "distribution": _distribution_frame(totals, ranks, config), "trend": monthly,
            "held_back": _held_back_frame(totals), "audits": provisional_audits(con, f)}


def _order_key(configured: list[str]):
    """A sort key giving ``ordered``'s order: configured values first in configured order, others alphabetically."""
    index = {v: i for i, v in enumerate(configured)}
    return lambda v: (index[v], "") if v in index else (len(index), v)


def _counts_frame(keys: dict[str, list], rows: list) -> pd.DataFrame:
    """``with_intervals(_add_up(...))``'s frame from ``page_figures``' rows (n, good, inadequate, provisional at
    7-10), in their order."""
    data = {k: pd.Series(v, dtype="str") for k, v in keys.items()}
    for i, name in enumerate(("n", "good", "inadequate", "provisional"), start=7):
        data[name] = pd.Series([r[i] for r in rows], dtype="int64")
    for name, i in (("good", 8), ("inadequate", 9)):
        cis = [wilson_interval(r[i], r[7]) for r in rows]
        data[f"{name}_pct"] = pd.Series([r[i] / r[7] * 100 for r in rows], dtype="float64")
        data[f"{name}_ci_low"] = pd.Series([c[0] for c in cis], dtype="float64")
        data[f"{name}_ci_high"] = pd.Series([c[1] for c in cis], dtype="float64")
    return pd.DataFrame(data)


def _distribution_frame(totals: list, ranks: list, config: Config) -> pd.DataFrame:
    """``distribution``'s frame: every pillar with rows x the four ranks, 0 included."""
    n = {(r[4], r[5]): r[7] for r in ranks if r[5] is not None}
    pillars, grades, rank_list, counts, shares = [], [], [], [], []
    for t in totals:
        values = [n.get((t[4], rank), 0) for rank in range(1, 5)]
        whole = sum(values)
        for rank, v in enumerate(values, start=1):
            pillars.append(t[4])
            grades.append(config.grade_labels[rank - 1])
            rank_list.append(rank)
            counts.append(v)
            shares.append(v / whole * 100 if whole else float("nan"))
    return pd.DataFrame({"pillar": pd.Series(pillars, dtype="str"), "grade": pd.Series(grades, dtype="str"),
                         "rank": pd.Series(rank_list, dtype="int64"), "n": pd.Series(counts, dtype="int64"),
                         "share_pct": pd.Series(shares, dtype="float64")})


def _held_back_frame(totals: list) -> pd.DataFrame:
    """``held_back``'s frame (its columns, the unused inadequate interval included) from the per-pillar rows."""
    data = {"pillar": pd.Series([r[4] for r in totals], dtype="str")}
    for name, i in (("n", 7), ("below", 11), ("same", 12), ("above", 13), ("provisional", 10)):
        data[name] = pd.Series([r[i] for r in totals], dtype="int64")
    below = [wilson_interval(r[11], r[7]) for r in totals]
    none = [wilson_interval(0, r[7]) for r in totals]
    data["below_pct"] = pd.Series([r[11] / r[7] * 100 for r in totals], dtype="float64")
    data["below_ci_low"] = pd.Series([c[0] for c in below], dtype="float64")
    data["below_ci_high"] = pd.Series([c[1] for c in below], dtype="float64")
    data["inadequate_ci_low"] = pd.Series([c[0] for c in none], dtype="float64")
    data["inadequate_ci_high"] = pd.Series([c[1] for c in none], dtype="float64")
    return pd.DataFrame(data)


def provisional_audits(con, f: Filters) -> tuple[int, int]:
    """(audits with pillar grades, of which provisional) behind the page's figures."""
    cond, params = where(f, "month", audit_columns=True)
    return con.execute(f"SELECT {rollups.total()}, {rollups.total('provisional')} FROM pillar_audits WHERE {cond}",
                       params).fetchone()
