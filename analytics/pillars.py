"""Pillar breakdown: how each pillar of practice is graded, by service and over time (metrics.md).

Every figure is over pillar rows (one per audit and pillar) by the final pillar grade (moderated, else
the auditor's); % good or better = rows graded Outstanding or Good over rows, the same definition as
``summary``'s ``pillars``. A pillar row is *provisional* when its audit has not been moderated.
Pillars come in the configured order, services in the configured order.
"""
from __future__ import annotations

import pandas as pd

from .audits import per_period_sql, with_intervals
from .config import Config
from .filters import Filters, mark_part_quarters, where

ALL_SERVICES = "All services"

# Pillar rows with their audit's provisional flag and final rank; the columns where() filters on.
PILLAR_ROWS = """(SELECT audit_id, pillar, final_grade, final_rank, audit_date, service, team,
                         cohort, auditor_role, provisional, audit_rank
                  FROM audit_pillars_final)"""
COUNTS = ("count(*) AS n, count(*) FILTER (final_rank <= 2) AS good, count(*) FILTER (final_rank = 4) AS inadequate, "
          "count(*) FILTER (provisional) AS provisional")


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


def by_pillar(con, f: Filters, config: Config) -> pd.DataFrame:
    """Per pillar: n rows, good, inadequate, provisional, % good or better (Wilson interval), % inadequate.

    The same figures as ``summary``'s ``pillars`` for the same filters.
    """
    cond, params = where(f, "audit_date", audit_columns=True)
    df = con.execute(f"SELECT pillar, {COUNTS} FROM {PILLAR_ROWS} WHERE {cond} GROUP BY ALL", params).df()
    return _sort(with_intervals(df), config)


def by_service(con, f: Filters, config: Config) -> pd.DataFrame:
    """The heatmap's cells: per service and pillar, the same columns as ``by_pillar``."""
    cond, params = where(f, "audit_date", audit_columns=True)
    df = con.execute(f"SELECT service, pillar, {COUNTS} FROM {PILLAR_ROWS} WHERE {cond} GROUP BY ALL",
                     params).df()
    return _sort(with_intervals(df), config, service=True)


def heatmap(con, f: Filters, config: Config) -> pd.DataFrame:
    """Service x pillar cells plus an "All services" column per pillar (which equals ``summary``'s pillars)."""
    cells = by_service(con, f, config)
    total = by_pillar(con, f, config).assign(service=ALL_SERVICES)
    return pd.concat([cells, total[cells.columns]], ignore_index=True) if not cells.empty else cells


def distribution(con, f: Filters, config: Config) -> pd.DataFrame:
    """Pillar rows per final pillar grade: pillar, grade, rank, n, share_pct (every grade listed, 0 included)."""
    cond, params = where(f, "audit_date", audit_columns=True)
    counts = con.execute(f"SELECT pillar, final_rank AS rank, count(*) AS n FROM {PILLAR_ROWS} WHERE {cond} "
                         f"GROUP BY ALL", params).df()
    if counts.empty:
        return pd.DataFrame(columns=["pillar", "grade", "rank", "n", "share_pct"])
    grid = pd.MultiIndex.from_product([counts["pillar"].unique(), range(1, 5)], names=["pillar", "rank"])
    df = counts.set_index(["pillar", "rank"])["n"].reindex(grid, fill_value=0).reset_index()
    df["grade"] = [config.grade_labels[r - 1] for r in df["rank"]]
    df["share_pct"] = df["n"] / df.groupby("pillar")["n"].transform("sum") * 100
    return _sort(df[["pillar", "grade", "rank", "n", "share_pct"]], config)


def trend(con, f: Filters, config: Config, grain: str = "month") -> pd.DataFrame:
    """% good or better per pillar per period (month, financial quarter, or rolling 3 months to each month)."""
    sql, params = per_period_sql(f, grain, PILLAR_ROWS, "period, pillar", COUNTS)
    return mark_part_quarters(_sort(with_intervals(con.execute(sql, params).df()), config), f, grain)


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


def held_back(con, f: Filters, config: Config) -> pd.DataFrame:
    """How often each pillar is graded below the audit's overall final grade (the pillar that holds audits back).

    below = pillar rows whose final pillar rank is worse (higher) than their audit's final rank;
    below_pct = below / the pillar's rows x 100 (with its Wilson interval); same and above for context.
    """
    cond, params = where(f, "audit_date", audit_columns=True)
    df = con.execute(
        f"SELECT pillar, count(*) AS n, count(*) FILTER (final_rank > audit_rank) AS below, "
        f"count(*) FILTER (final_rank = audit_rank) AS same, count(*) FILTER (final_rank < audit_rank) AS above, "
        f"count(*) FILTER (provisional) AS provisional FROM {PILLAR_ROWS} WHERE {cond} GROUP BY ALL", params).df()
    df = with_intervals(df.assign(_i=0), good="below", inadequate="_i")
    df = df.rename(columns={"good_pct": "below_pct", "good_ci_low": "below_ci_low", "good_ci_high": "below_ci_high"})
    df = df.drop(columns=["_i", "inadequate_pct"])
    return _sort(df, config)


def provisional_audits(con, f: Filters) -> tuple[int, int]:
    """(audits with pillar grades, of which provisional) behind the page's figures."""
    cond, params = where(f, "audit_date", audit_columns=True)
    return con.execute(f"SELECT count(DISTINCT audit_id), count(DISTINCT audit_id) FILTER (provisional) "
                       f"FROM {PILLAR_ROWS} WHERE {cond}", params).fetchone()
