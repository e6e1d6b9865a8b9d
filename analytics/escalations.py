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

import pandas as pd

from . import metrics
from .filters import Filters, where
from .voice import _themes, _with_periods, months, quarters

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


def raised_by_month(con, f: Filters) -> pd.DataFrame:
    """Escalations raised per month, service and raiser (months without any listed as zeros per raiser)."""
    return _raised_by_month(rows(con, f), f)


def _raised_by_month(df: pd.DataFrame, f: Filters) -> pd.DataFrame:
    counts = df.groupby(["month", "service", "raised_by"]).size().rename("n").reset_index()
    blank = pd.DataFrame([{"month": m, "service": None, "raised_by": r, "n": 0} for m in months(f) for r in RAISERS
                          if not ((counts["month"] == m) & (counts["raised_by"] == r)).any()])
    out = pd.concat([counts, blank], ignore_index=True) if not blank.empty else counts
    return out.sort_values(["month", "raised_by", "service"], na_position="first").reset_index(drop=True)


def stage_mix(con, f: Filters) -> pd.DataFrame:
    """Escalations raised in the period by stage (all four) and raiser, with each stage's share of the raiser's."""
    return _stage_mix(rows(con, f))


def _stage_mix(df: pd.DataFrame) -> pd.DataFrame:
    out = []
    for r in RAISERS:
        d = df[df["raised_by"] == r]
        for s in STAGES:
            k = int((d["stage"] == s).sum())
            out.append({"raised_by": r, "stage": s, "n": k, "pct": k / len(d) * 100 if len(d) else None})
    return pd.DataFrame(out)


def _band(days: int) -> str:
    for upper, label in AGE_BANDS:
        if upper is None or days <= upper:
            return label
    raise AssertionError


def open_on(con, f: Filters) -> pd.DataFrame:
    """Every escalation open on D (the period's last day), however long ago it was raised, with its age."""
    d = f.end
    # The period's start does not apply: an escalation raised before it and still open is open on D.
    cond, params = where(dataclasses.replace(f, month_from=EARLIEST), "raised_date")
    df = con.execute(f"SELECT {COLUMNS} FROM escalations WHERE {cond} AND (resolved_date IS NULL OR resolved_date > ?) "
                     "ORDER BY raised_date, escalation_id", [*params, d]).df()
    df["age_days"] = (pd.Timestamp(d) - pd.to_datetime(df["raised_date"])).dt.days.astype(int)
    df["age_band"] = [_band(a) for a in df["age_days"]]
    df["raised_in_period"] = pd.to_datetime(df["raised_date"]) >= pd.Timestamp(f.start)
    return df.drop(columns=["themes", "resolved_date", "outcome"])


def open_by_age(con, f: Filters) -> pd.DataFrame:
    """Open escalations on D by age band and stage (every band and stage listed)."""
    return _open_by_age(open_on(con, f))


def _open_by_age(df: pd.DataFrame) -> pd.DataFrame:
    full = pd.MultiIndex.from_product([[b for _, b in AGE_BANDS], STAGES], names=["age_band", "stage"])
    return df.groupby(["age_band", "stage"]).size().reindex(full, fill_value=0).rename("n").reset_index()


def days_to_resolve(con, f: Filters, by: str) -> pd.DataFrame:
    """Median days to resolve per service, raiser or stage: n raised, n resolved, the median (None if none)."""
    return _days_to_resolve(rows(con, f), by)


def _days_to_resolve(df: pd.DataFrame, by: str) -> pd.DataFrame:
    if by not in ("service", "raised_by", "stage"):
        raise ValueError(by)
    keys = {"raised_by": RAISERS, "stage": STAGES}.get(by) or sorted(df["service"].unique())
    out = []
    for k in keys:
        d = df[df[by] == k]
        done = d["days_to_resolve"].dropna()
        out.append({by: k, "raised": len(d), "resolved": len(done),
                    "median_days": float(done.median()) if len(done) else None})
    return pd.DataFrame(out, columns=[by, "raised", "resolved", "median_days"])


def themes(con, f: Filters) -> pd.DataFrame:
    """Escalation themes ranked by the escalations that name them, by raiser, with share of the period's."""
    return _themes_ranked(rows(con, f))


def _themes_ranked(df: pd.DataFrame, t: pd.DataFrame | None = None) -> pd.DataFrame:
    cols = ["rank", "theme", "n", "pct", "IRO", "CP Chair"]
    t = _themes(df) if t is None else t
    if t.empty:
        return pd.DataFrame(columns=cols)
    out = t.groupby("theme").size().rename("n").to_frame()
    out["pct"] = out["n"] / len(df) * 100
    for r in RAISERS:
        out[r] = t[t["raised_by"] == r].groupby("theme").size().reindex(out.index, fill_value=0)
    out = out.reset_index().sort_values(["n", "theme"], ascending=[False, True])
    out.insert(0, "rank", range(1, len(out) + 1))
    return out[cols].reset_index(drop=True)


def theme_trend(con, f: Filters, top: int = 5) -> pd.DataFrame:
    """The ``top`` themes: escalations naming them per financial quarter."""
    return _theme_trend(rows(con, f), f, top)


def _theme_trend(df: pd.DataFrame, f: Filters, top: int = 5, t: pd.DataFrame | None = None) -> pd.DataFrame:
    t = _themes(df) if t is None else t       # (escalation, theme) pairs, made once for ranking and trend
    keep = list(_themes_ranked(df, t)["theme"][:top])
    out = [{"quarter": q, "theme": th, "n": int(((t["quarter"] == q) & (t["theme"] == th)).sum()),
            "raised": int((df["quarter"] == q).sum())} for q in quarters(f) for th in keep]
    return pd.DataFrame(out, columns=["quarter", "theme", "n", "raised"])


# --- Need to Know --------------------------------------------------------------------------------
def ntk_rows(con, f: Filters) -> pd.DataFrame:
    cond, params = where(f, "notified_date")
    df = con.execute("SELECT ntk_id, notified_date, service, category, rapid_review, national_panel_notified, "
                     f"strftime(notified_date, '%Y-%m') AS month FROM need_to_know WHERE {cond} "
                     "ORDER BY notified_date, ntk_id", params).df()
    return _with_periods(df, "notified_date", f)


def ntk_headline(con, f: Filters) -> dict:
    return _ntk_headline(ntk_rows(con, f))


def _ntk_headline(df: pd.DataFrame) -> dict:
    return {"notifications": len(df), "rapid_review": int(df["rapid_review"].fillna(False).astype(bool).sum()),
            "national_panel": int(df["national_panel_notified"].fillna(False).astype(bool).sum())}


def ntk_by_quarter(con, f: Filters, by: str) -> pd.DataFrame:
    """Need to Know per financial quarter and category (or service): notifications, Rapid Reviews, panel.

    A blank yes/no is unknown and counts as no.
    """
    return _ntk_by_quarter(ntk_rows(con, f), f, by)


def _ntk_by_quarter(df: pd.DataFrame, f: Filters, by: str) -> pd.DataFrame:
    if by not in ("category", "service"):
        raise ValueError(by)
    df = df.copy()      # the flags are made boolean here; the caller's rows stay as fetched
    df["rapid_review"] = df["rapid_review"].fillna(False).astype(bool)
    df["national_panel_notified"] = df["national_panel_notified"].fillna(False).astype(bool)
    out = (df.groupby(["quarter", by]).agg(notifications=("ntk_id", "size"), rapid_review=("rapid_review", "sum"),
                                           national_panel=("national_panel_notified", "sum")).reset_index())
    order = {q: i for i, q in enumerate(quarters(f))}
    out = out.sort_values(["quarter", "notifications", by], ascending=[True, False, True],
                          key=lambda s: s.map(order) if s.name == "quarter" else s)
    return out.astype({"rapid_review": int, "national_panel": int}).reset_index(drop=True)


def ntk_quarter_totals(con, f: Filters) -> pd.DataFrame:
    """Every financial quarter of the period: notifications, and how many led to a Rapid Review or the panel."""
    return _ntk_quarter_totals(ntk_by_quarter(con, f, "service"), f)


def _ntk_quarter_totals(by_service: pd.DataFrame, f: Filters) -> pd.DataFrame:
    by = by_service.groupby("quarter")[["notifications", "rapid_review", "national_panel"]].sum()
    return by.reindex(quarters(f), fill_value=0).rename_axis("quarter").reset_index()


def page_figures(con, f: Filters) -> dict:
    """Everything the Escalations page shows, from one fetch of each table (not one per figure)."""
    df, open_now, ntk = rows(con, f), open_on(con, f), ntk_rows(con, f)
    t = _themes(df)
    ntk_service = _ntk_by_quarter(ntk, f, "service")
    return {"headline": headline(con, f), "monthly": _raised_by_month(df, f), "stages": _stage_mix(df),
            "open_now": open_now, "ageing": _open_by_age(open_now),
            "by_service": _days_to_resolve(df, "service"), "by_stage": _days_to_resolve(df, "stage"),
            "themes": _themes_ranked(df, t), "trend": _theme_trend(df, f, t=t), "ntk": _ntk_headline(ntk),
            "ntk_category": _ntk_by_quarter(ntk, f, "category"), "ntk_service": ntk_service,
            "ntk_totals": _ntk_quarter_totals(ntk_service, f)}
