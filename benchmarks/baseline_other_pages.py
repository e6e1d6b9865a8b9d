"""Plain pandas baselines of the learning-loop and other pages (issue 8): the same figures the pages' analytics
calls give, computed the way a typical dashboard would, over tables read into DataFrames once.

    frames(con)                 -> the tables these pages need, read once (not timed)
    PAGES[stem](frames, f, cfg) -> the page's figures in plain pandas (timed: filtering and grouping only)
    CHECKS[stem](con, frames, f, cfg) asserts those figures equal the analytics answer, so a baseline cannot
                                  drift into computing something cheaper than the page does

Run alone, it times each baseline against the page's analytics calls on a database:

    PYTHONPATH=$PWD .venv/bin/python benchmarks/baseline_other_pages.py --db benchmarks/out/bench-stress-seed1.duckdb
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analytics import (actions, dip_samples, escalations, impact_evidence, kpis,  # noqa: E402
                       observations, reviews, spc, themes, voice)
from analytics.config import Config, fold  # noqa: E402
from analytics.filters import (Filters, add_months, filter_options, financial_quarter, month_span,  # noqa: E402
                               part_quarter_labels)
from analytics.impact import wilson_interval  # noqa: E402

SERVICE = "CF"


# --- the tables, read once ------------------------------------------------------------------------
def frames(con, config: Config | None = None) -> dict[str, pd.DataFrame]:
    """Every table the pages below need, as DataFrames (dates as datetime64; the grade scale's ranks joined;
    the KPI definitions as the page takes them, stored ones over the configured set)."""
    q = lambda sql: con.execute(sql).df()  # noqa: E731
    return {
        "kpi_definitions": kpis.definitions(con, config or Config()),
        "feedback": q("SELECT feedback_id, received_date, channel, sentiment, from_role, service, themes, "
                      "conversation_requested, became_complaint FROM feedback"),
        "complaints": q("SELECT complaint_id, received_date, service, stage, themes, outcome, response_due_date, "
                        "closed_date FROM complaints"),
        "escalations": q("SELECT escalation_id, raised_date, raised_by, service, team, stage, themes, resolved_date, "
                         "outcome FROM escalations"),
        "need_to_know": q("SELECT ntk_id, notified_date, service, category, rapid_review, national_panel_notified "
                          "FROM need_to_know"),
        "actions": q("SELECT * EXCLUDE (_load_id) FROM learning_actions"),
        "activities": q("SELECT * EXCLUDE (_load_id) FROM reflective_activities"),
        "reviews": q("SELECT * EXCLUDE (_load_id) FROM reviews"),
        "dip_samples": q("SELECT d.* EXCLUDE (_load_id), g.rank FROM dip_samples d "
                         "LEFT JOIN grade_scale g ON g.label = d.grade"),
        "findings": q("SELECT * EXCLUDE (_load_id) FROM dip_sample_findings"),
        "staff": q("SELECT * EXCLUDE (_load_id) FROM staff"),
        "observations": q("SELECT o.* EXCLUDE (_load_id), g.rank FROM observations o "
                          "LEFT JOIN grade_scale g ON g.label = o.grade"),
        "kpi_values": q("SELECT kpi_code, period_end, coalesce(service, 'ALL') AS service, value, numerator, "
                        "denominator FROM kpi_values"),
        "kpi_benchmarks": q("SELECT kpi_code, period_end, comparator, value FROM kpi_benchmarks"),
        "interventions": q("SELECT * EXCLUDE (_load_id) FROM interventions"),
        "audits": q("SELECT audit_id, audit_date, service, team, final_rank FROM audits_final"),
        "pillars": q("SELECT audit_id, audit_date, service, pillar, final_grade, final_rank, provisional "
                     "FROM audit_pillars_final"),
    }


# --- shared pieces --------------------------------------------------------------------------------
def in_period(df: pd.DataFrame, col: str, f: Filters, start: dt.date | None = None) -> pd.DataFrame:
    """Rows dated in the filter's period (or from ``start``) and of its services."""
    m = (df[col] >= pd.Timestamp(start or f.start)) & (df[col] <= pd.Timestamp(f.end))
    services = f.effective_services()
    if services is not None:
        m &= df["service"].isin(services)
    return df[m]


def month_col(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%Y-%m")


def quarter_labels(f: Filters, months: pd.Series) -> pd.Series:
    part = part_quarter_labels(f)
    labels = {m: financial_quarter(dt.date(int(m[:4]), int(m[5:]), 1)) for m in months.dropna().unique()}
    return months.map({m: part.get(q, q) for m, q in labels.items()})


def explode_themes(df: pd.DataFrame, ref: str, col: str = "themes") -> pd.DataFrame:
    """One row per (record, theme); a theme repeated within a record counts once; blanks dropped."""
    t = df.explode(col).dropna(subset=[col])
    t = t[t[col].str.strip() != ""]
    return t.drop_duplicates([ref, col]).rename(columns={col: "theme"})


def ranked(counts: pd.Series) -> pd.Series:
    """Counts sorted by count (most first), then name."""
    return counts.sort_index().sort_values(ascending=False, kind="stable")


def rate(k, n):
    low, high = wilson_interval(int(k), int(n))
    return (k / n * 100 if n else None), low, high


def close(a, b) -> bool:
    if a is None or (isinstance(a, float) and np.isnan(a)):
        return b is None or (isinstance(b, float) and np.isnan(b)) or pd.isna(b)
    return b is not None and not pd.isna(b) and abs(float(a) - float(b)) < 1e-9


# --- voice ----------------------------------------------------------------------------------------
def voice_pd(fr, f: Filters, config: Config) -> dict:
    fb = in_period(fr["feedback"], "received_date", f).copy()
    fb["month"] = month_col(fb["received_date"])
    fb["quarter"] = quarter_labels(f, fb["month"])
    headline = {"received": len(fb), **{s.lower(): int((fb["sentiment"] == s).sum()) for s in voice.SENTIMENTS}}
    for key, col in (("conversation", "conversation_requested"), ("complaint", "became_complaint")):
        answered = fb[col].dropna().astype(bool)
        headline[key] = {"n": len(answered), "yes": int(answered.sum())}
    volume = fb.groupby(["month", "channel", "sentiment"]).size()
    shares = fb.groupby("month").agg(conversation_n=("conversation_requested", "count"),
                                     complaint_n=("became_complaint", "count"))
    t = explode_themes(fb, "feedback_id")
    theme_n = ranked(t.groupby("theme").size())
    by_sentiment = t.groupby(["theme", "sentiment"]).size()
    theme_quarter = t.groupby(["quarter", "theme"]).size()
    cp = in_period(fr["complaints"], "received_date", f).copy()
    cp["outcome"] = cp["outcome"].fillna("No outcome yet")
    cp["quarter"] = quarter_labels(f, month_col(cp["received_date"]))
    cp["judged"] = cp["closed_date"].notna() & cp["response_due_date"].notna()
    cp["on_time"] = cp["judged"] & (cp["closed_date"] <= cp["response_due_date"])
    cp["decided"] = cp["outcome"].isin(voice.DECIDED)
    cp["upheld"] = cp["outcome"] == "Upheld"
    figures = ["decided", "upheld", "judged", "on_time"]
    complaints = {"received": len(cp), **{k: int(cp[k].sum()) for k in figures}}
    by_stage = cp.groupby("stage")[figures].sum()
    by_quarter = cp.groupby("quarter")[figures].sum()
    ct = explode_themes(cp, "complaint_id")
    by_theme = ct.groupby("theme")[figures].sum().assign(received=ct.groupby("theme").size())
    by_outcome = cp.groupby("outcome").size()
    quarterly = fb.groupby(["quarter", "channel"]).size()
    return {"feedback": headline, "volume": volume, "shares": shares, "themes": theme_n, "by_sentiment": by_sentiment,
            "theme_quarter": theme_quarter, "complaints": complaints, "by_stage": by_stage,
            "by_quarter": by_quarter, "by_theme": by_theme, "by_outcome": by_outcome, "quarterly": quarterly}


def voice_check(con, fr, f: Filters, config: Config) -> None:
    p, a = voice_pd(fr, f, config), voice.page_figures(con, f)
    h = a["feedback"]
    assert p["feedback"]["received"] == h["received"]
    for s in voice.SENTIMENTS:
        assert p["feedback"][s.lower()] == h[s.lower()]
    for key in ("conversation", "complaint"):
        assert (p["feedback"][key]["n"], p["feedback"][key]["yes"]) == (h[key]["n"], h[key]["yes"])
    vol = a["volume"].set_index(["period", "channel", "sentiment"])["n"]
    assert int(vol.sum()) == int(p["volume"].loc[[k for k in p["volume"].index if k in vol.index]].sum())
    for k, n in p["volume"].items():
        if k in vol.index:
            assert vol[k] == n, k
    sh = a["shares"].set_index("period")
    for m, r in p["shares"].iterrows():
        assert (sh.loc[m, "conversation_n"], sh.loc[m, "complaint_n"]) == (r["conversation_n"], r["complaint_n"])
    th = a["themes"].set_index("theme")
    assert list(th.index) == list(p["themes"].index)
    assert list(th["n"]) == list(p["themes"])
    for (theme, s), n in p["by_sentiment"].items():
        if s in voice.SENTIMENTS:
            assert th.loc[theme, s.lower()] == n
    tr = a["theme_trend"].set_index(["quarter", "theme"])["mentions"]
    for k, n in tr.items():
        assert p["theme_quarter"].get(k, 0) == n, k
    c = a["complaints"]
    assert (c["received"], c["decided"], c["upheld"], c["closed_with_due_date"], c["on_time"]) == tuple(
        p["complaints"][k] for k in ("received", "decided", "upheld", "judged", "on_time"))
    st = a["complaints_by_stage"].set_index("stage")
    for s, r in p["by_stage"].iterrows():
        if s in voice.STAGES:
            assert (st.loc[s, "decided"], st.loc[s, "upheld"], st.loc[s, "on_time"]) == (
                r["decided"], r["upheld"], r["on_time"])
    ct = a["complaints_by_theme"].set_index("theme")
    assert sorted(ct.index) == sorted(p["by_theme"].index)
    for theme, r in p["by_theme"].iterrows():
        assert (ct.loc[theme, "received"], ct.loc[theme, "upheld"]) == (r["received"], r["upheld"])
    oc = a["complaints_by_outcome"].set_index("outcome")["n"]
    for o, n in p["by_outcome"].items():
        assert oc[o] == n
    q = a["quarterly"].set_index("quarter")
    for (quarter, channel), n in p["quarterly"].items():
        if channel in voice.CHANNELS:
            assert q.loc[quarter, channel] == n
    for quarter, r in p["by_quarter"].iterrows():
        assert (q.loc[quarter, "decided"], q.loc[quarter, "on_time"]) == (r["decided"], r["on_time"])


# --- themes ---------------------------------------------------------------------------------------
def theme_mentions(fr, f: Filters, config: Config) -> dict[str, pd.DataFrame]:
    """Per strand: (ref, date, service, name, the strand's detail columns) of the period's records, one row per
    name: what the page lists as the evidence of the theme it opens (``themes.all_mentions``)."""
    out = {}
    p = in_period(fr["pillars"], "audit_date", f)
    out["pillar"] = pd.DataFrame({"ref": p["audit_id"], "date": p["audit_date"], "service": p["service"],
                                  "name": p["pillar"], "grade": p["final_grade"], "rank": p["final_rank"],
                                  "provisional": p["provisional"]})
    ds = fr["dip_samples"]
    cycles = ds.groupby("dip_sample_id").agg(date=("sample_date", "min"), dip_theme=("theme", "first"),
                                             services=("service", lambda s: sorted(set(s))))
    cycles = cycles[(cycles["date"] >= pd.Timestamp(f.start)) & (cycles["date"] <= pd.Timestamp(f.end))]
    services = f.effective_services()
    if services is not None:
        cycles = cycles[[bool(set(s) & set(services)) for s in cycles["services"]]]
        # a cycle across several services lists only the viewer's
        cycles = cycles.assign(services=[[x for x in s if x in services] for s in cycles["services"]])
    fi = fr["findings"].merge(cycles, left_on="dip_sample_id", right_index=True)
    out["finding"] = pd.DataFrame({"ref": fi["finding_id"], "date": fi["date"],
                                   "service": ["; ".join(s) for s in fi["services"]], "name": fi["theme_tag"],
                                   "dip_sample_id": fi["dip_sample_id"], "dip_theme": fi["dip_theme"],
                                   "finding_type": fi["finding_type"], "summary": fi["summary"]})
    d = in_period(ds, "sample_date", f)
    out["dip"] = pd.DataFrame({"ref": d["dip_sample_id"] + " · " + d["child_ref"], "date": d["sample_date"],
                               "service": d["service"], "name": d["theme"], "dip_sample_id": d["dip_sample_id"],
                               "rank": d["rank"], "criteria_met": d["criteria_met"],
                               "criteria_total": d["criteria_total"]})
    for key, table, ref, date, detail in (
            ("feedback", "feedback", "feedback_id", "received_date", ["channel", "sentiment", "from_role"]),
            ("complaint", "complaints", "complaint_id", "received_date",
             ["stage", "outcome", "response_due_date", "closed_date"]),
            ("escalation", "escalations", "escalation_id", "raised_date",
             ["raised_by", "stage", "resolved_date", "outcome"]),
            ("review", "reviews", "review_id", "review_date", ["review_type", "title"])):
        t = in_period(fr[table], date, f)[[ref, date, "service", "themes", *detail]].explode("themes")
        out[key] = pd.DataFrame({"ref": t[ref], "date": t[date], "service": t["service"], "name": t["themes"],
                                 **{c: t[c] for c in detail}})
    for key, table, ref, date, col, detail in (
            ("action", "actions", "action_id", "raised_date", "theme",
             {"source": "source", "source_ref": "source_ref", "status": "status", "due_date": "due_date",
              "completed_date": "completed_date"}),
            ("activity", "activities", "activity_id", "activity_date", "theme",
             {"level": "level", "kind": "kind", "audit_id": "audit_id"}),
            ("intervention", "interventions", "intervention_id", "start_date", "target_theme",
             {"intervention": "name", "kind": "kind", "end_date": "end_date", "target_pillar": "target_pillar",
              "target_kpi": "target_kpi"})):
        t = in_period(fr[table], date, f)
        out[key] = pd.DataFrame({"ref": t[ref], "date": t[date], "service": t["service"], "name": t[col],
                                 **{k: t[c] for k, c in detail.items()}})
    return {k: v.dropna(subset=["name"]) for k, v in out.items()}


def themes_pd(fr, f: Filters, config: Config) -> dict:
    lookup = themes.synonym_lookup(config)
    mentions = theme_mentions(fr, f, config)
    counts = {}
    for key, m in mentions.items():
        # each distinct spelling mapped once (a dict), not once per row
        m = m.assign(theme=m["name"].map({n: themes.canonical(n, lookup) for n in m["name"].unique()}))
        counts[key] = m.drop_duplicates(["ref", "theme"]).groupby("theme").size()
    grid = pd.DataFrame(counts).fillna(0).astype(int)
    grid = grid[[s.key for s in themes.STRANDS if s.key in grid.columns and grid[s.key].sum() > 0]]
    other = [k for k in grid.columns if k != "pillar"]
    grid = grid[(grid[other] > 0).any(axis=1)]
    options = pd.DataFrame({"theme": grid.index, "strands": (grid > 0).sum(axis=1).to_numpy(),
                            "mentions": grid[other].sum(axis=1).to_numpy()})
    options = pd.concat([options, grid.reset_index(drop=True).rename(
        columns={s.key: s.label for s in themes.STRANDS})], axis=1)
    options = options.sort_values(["strands", "mentions", "theme"], ascending=[False, False, True])
    # the page then opens the first theme: its mentions per strand
    theme = options["theme"].iloc[0] if len(options) else None
    wanted = themes.names_of(theme, config) if theme else set()
    pillar = themes.pillar_for(theme, config) if theme else None
    one = {}
    for key, m in mentions.items():
        if key == "pillar" and pillar is None:
            continue
        hit = m[m["name"].isin([n for n in m["name"].unique() if fold(n) in wanted])]
        one[key] = hit.drop_duplicates("ref")
    return {"options": options.reset_index(drop=True), "theme": theme, "evidence": one,
            "mentions": {k: len(v) for k, v in one.items()},
            "monthly": {k: month_col(v["date"]).value_counts() for k, v in one.items()}}


def _cells(df: pd.DataFrame, columns) -> list[tuple]:
    """The rows as comparable tuples, in ref order: blanks as None, dates and times as dates, numbers as floats."""
    def cell(v):
        if v is None or (not isinstance(v, (list, str)) and pd.isna(v)):
            return None
        if isinstance(v, (pd.Timestamp, dt.datetime)):
            return v.date()
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, float, np.integer, np.floating)):
            return float(v)
        return v
    return sorted((tuple(cell(v) for v in row) for row in df[list(columns)].itertuples(index=False)),
                  key=lambda r: tuple("" if v is None else str(v) for v in r))


def themes_check(con, fr, f: Filters, config: Config) -> None:
    p = themes_pd(fr, f, config)
    opts = themes.theme_options(con, f, config)
    pd.testing.assert_frame_equal(p["options"], opts, check_dtype=False)
    m = themes.all_mentions(con, f, config, only=p["theme"])
    assert {k: len(v) for k, v in m.items()} == p["mentions"]
    for key, mine in p["evidence"].items():     # the evidence rows the page lists, column by column
        assert _cells(mine, mine.columns) == _cells(m[key], mine.columns), key
    monthly = themes.monthly(m, f)
    for s in themes.STRANDS:
        if p["mentions"].get(s.key):
            got = monthly[monthly["strand"] == s.label].set_index("month")["n"]
            assert got[got > 0].to_dict() == p["monthly"][s.key].to_dict()


# --- escalations ----------------------------------------------------------------------------------
def escalations_pd(fr, f: Filters, config: Config) -> dict:
    e = in_period(fr["escalations"], "raised_date", f).copy()
    end = pd.Timestamp(f.end)
    e["days"] = (e["resolved_date"] - e["raised_date"]).dt.days
    e["month"] = month_col(e["raised_date"])
    e["quarter"] = quarter_labels(f, e["month"])
    headline = {"raised": len(e), "open_at_end": int((e["resolved_date"].isna() | (e["resolved_date"] > end)).sum()),
                "median_days_to_resolve": e["days"].dropna().median() if e["days"].notna().any() else None}
    everyone = in_period(fr["escalations"], "raised_date", f, start=dt.date(1900, 1, 1))
    still = everyone[everyone["resolved_date"].isna() | (everyone["resolved_date"] > end)]
    age = (end - still["raised_date"]).dt.days
    bands = pd.cut(age, [-1, 14, 28, 56, 90, np.inf], labels=[b for _, b in escalations.AGE_BANDS])
    t = explode_themes(e, "escalation_id")
    ntk = in_period(fr["need_to_know"], "notified_date", f).copy()
    ntk["quarter"] = quarter_labels(f, month_col(ntk["notified_date"]))
    for col in ("rapid_review", "national_panel_notified"):
        ntk[col] = ntk[col].fillna(False).astype(bool)
    return {"headline": headline,
            "monthly": e.groupby(["month", "service", "raised_by"]).size(),
            "stages": e.groupby(["raised_by", "stage"]).size(),
            "ageing": still.assign(band=bands).groupby(["band", "stage"], observed=True).size(),
            "open_now": len(still),
            "by_service": e.groupby("service")["days"].agg(["size", "count", "median"]),
            "by_stage": e.groupby("stage")["days"].agg(["size", "count", "median"]),
            "themes": ranked(t.groupby("theme").size()),
            "trend": t.groupby(["quarter", "theme"]).size(),
            "ntk": {"notifications": len(ntk), "rapid_review": int(ntk["rapid_review"].sum()),
                    "national_panel": int(ntk["national_panel_notified"].sum())},
            "ntk_category": ntk.groupby(["quarter", "category"]).size()}


def escalations_check(con, fr, f: Filters, config: Config) -> None:
    p, a = escalations_pd(fr, f, config), escalations.page_figures(con, f)
    h = a["headline"]
    assert (h["raised"], h["open_at_end"]) == (p["headline"]["raised"], p["headline"]["open_at_end"])
    assert close(p["headline"]["median_days_to_resolve"], h["median_days_to_resolve"])
    mo = a["monthly"]
    mo = mo[mo["n"] > 0].set_index(["month", "service", "raised_by"])["n"]
    assert mo.sort_index().to_dict() == p["monthly"].sort_index().to_dict()
    st = a["stages"].set_index(["raised_by", "stage"])["n"]
    assert st[st > 0].to_dict() == {k: v for k, v in p["stages"].items() if k in st.index}
    assert len(a["open_now"]) == p["open_now"]
    ag = a["ageing"].set_index(["age_band", "stage"])["n"]
    assert ag[ag > 0].to_dict() == {k: v for k, v in p["ageing"].items() if v > 0}
    for by, frame in (("service", a["by_service"]), ("stage", a["by_stage"])):
        got = frame.set_index(by)
        for k, r in p[f"by_{by}"].iterrows():
            if k in got.index:
                assert (got.loc[k, "raised"], got.loc[k, "resolved"]) == (r["size"], r["count"])
                assert close(r["median"] if r["count"] else None, got.loc[k, "median_days"])
    th = a["themes"]
    assert list(th["theme"]) == list(p["themes"].index) and list(th["n"]) == list(p["themes"])
    tr = a["trend"].set_index(["quarter", "theme"])["n"]
    for k, n in tr.items():
        assert p["trend"].get(k, 0) == n
    assert a["ntk"] == p["ntk"]
    nc = a["ntk_category"].set_index(["quarter", "category"])["notifications"]
    assert nc.sort_index().to_dict() == p["ntk_category"].sort_index().to_dict()


# --- learning actions -----------------------------------------------------------------------------
def _action_states(fr, f: Filters) -> pd.DataFrame:
    a = in_period(fr["actions"], "raised_date", f).copy()
    end = pd.Timestamp(f.end)
    a["finished"] = (a["completed_date"] <= end) | (a["completed_date"].isna() & a["status"].isin(["Complete", "Closed"]))
    a["is_open"] = ~a["finished"]
    a["overdue"] = a["is_open"] & (a["due_date"] < end)
    a["completed"] = (a["status"] == "Complete") & a["completed_date"].notna()
    a["on_time"] = (a["status"] == "Complete") & (a["completed_date"] <= a["due_date"])
    a["age_days"] = (end - a["raised_date"]).dt.days
    return a


def actions_pd(fr, f: Filters, config: Config) -> dict:
    a = _action_states(fr, f)
    sums = ["is_open", "overdue", "completed", "on_time"]
    state = np.select([a["overdue"], a["is_open"], a["status"] == "Closed", a["completed_date"] <= a["due_date"],
                       a["completed_date"] > a["due_date"]], list(actions.STATUSES[:2]) + [actions.STATUSES[5]]
                      + list(actions.STATUSES[2:4]), actions.STATUSES[4])
    a = a.assign(state=state)
    open_ = a[a["is_open"]]
    since = (pd.Timestamp(f.end) - open_["last_reviewed_date"].fillna(open_["raised_date"])).dt.days
    # The list the page shows (not only its length): open actions not reviewed for over 90 days, stalest first.
    stale = open_.assign(days_since_review=since)[since > actions.REVIEW_DAYS][
        ["action_id", "source", "source_ref", "theme", "service", "owner_role", "raised_date", "due_date", "status",
         "last_reviewed_date", "days_since_review", "overdue"]].sort_values(
        ["days_since_review", "action_id"], ascending=[False, True]).reset_index(drop=True)
    act = in_period(fr["activities"], "activity_date", f)
    return {"headline": {"raised": len(a), "open": int(a["is_open"].sum()), "overdue": int(a["overdue"].sum()),
                         "completed": int(a["completed"].sum()), "on_time": int(a["on_time"].sum())},
            "by_source": a.groupby("source")[sums].sum().assign(raised=a.groupby("source").size()),
            "by_service": a.groupby("service")[sums].sum().assign(raised=a.groupby("service").size()),
            "ageing": pd.cut(open_["age_days"], [-np.inf, 30, 90, 180, np.inf], labels=actions.AGE_BANDS)
            .value_counts(),
            "not_reviewed": stale,
            "flow": a.groupby(["source", "theme", "state"]).size(),
            "stalls": a.groupby("theme")[["is_open", "overdue"]].sum(),
            "activities": act.groupby("level").agg(n=("activity_id", "size"), audit=("audit_id", "count"),
                                                   theme=("theme", "count")),
            "list": len(a)}


def actions_check(con, fr, f: Filters, config: Config) -> None:
    p = actions_pd(fr, f, config)
    h = actions.headline(con, f)
    assert (h["raised"], h["open"], h["overdue"]) == (p["headline"]["raised"], p["headline"]["open"],
                                                      p["headline"]["overdue"])
    assert close(h["completed_on_time_pct"], p["headline"]["on_time"] / p["headline"]["completed"] * 100
                 if p["headline"]["completed"] else None)
    for column in ("source", "service"):
        got = actions.by(con, f, column).set_index(column)
        want = p[f"by_{column}"]
        assert sorted(got.index) == sorted(want.index)
        for k, r in want.iterrows():
            assert (got.loc[k, "raised"], got.loc[k, "open"], got.loc[k, "overdue"], got.loc[k, "completed"],
                    got.loc[k, "completed_on_time"]) == (r["raised"], r["is_open"], r["overdue"], r["completed"],
                                                         r["on_time"])
    ag = actions.ageing(con, f).set_index("age_band")["open"]
    assert ag.to_dict() == {b: int(p["ageing"].get(b, 0)) for b in actions.AGE_BANDS}
    nr = actions.not_reviewed(con, f)
    assert list(nr["action_id"]) == list(p["not_reviewed"]["action_id"])
    assert list(nr["days_since_review"]) == list(p["not_reviewed"]["days_since_review"])
    fl = actions.flow(con, f).set_index(["source", "theme", "state"])["n"]
    assert fl.sort_index().to_dict() == p["flow"].sort_index().to_dict()
    stl = actions.stalls(con, f).set_index("theme")
    for k, r in p["stalls"].iterrows():
        assert (stl.loc[k, "open"], stl.loc[k, "overdue"]) == (r["is_open"], r["overdue"])
    tot = actions.activity_totals(con, f).set_index("level")
    for k, r in p["activities"].iterrows():
        assert (tot.loc[k, "activities"], tot.loc[k, "linked_to_audit"], tot.loc[k, "linked_to_theme"]) == (
            r["n"], r["audit"], r["theme"])
    assert len(actions.action_list(con, f)) == p["list"]


# --- observations ---------------------------------------------------------------------------------
def observations_pd(fr, f: Filters, config: Config) -> dict:
    d = pd.Timestamp(f.end)
    rules = pd.DataFrame([(r, n, k) for r, (n, k) in observations.RULES.items()], columns=["role", "needed", "kind"])
    staff = fr["staff"]
    people = staff[(staff["start_date"].isna() | (staff["start_date"] <= d)) &
                   (staff["end_date"].isna() | (staff["end_date"] >= d))]
    services = f.effective_services()
    if services is not None:
        people = people[people["service"].isin(services)]
    people = people.merge(rules, on="role")
    o = fr["observations"]
    o = o[(o["observed_date"] > pd.Timestamp(add_months(f.end, -12))) & (o["observed_date"] <= d)]
    o = o.merge(people[["staff_id", "kind"]], on="staff_id")
    seen = o.assign(of_kind=o["observation_type"] == o["kind"]).groupby("staff_id").agg(
        observations=("observation_id", "size"), of_kind=("of_kind", "sum"))
    people = people.merge(seen, left_on="staff_id", right_index=True, how="left").fillna(
        {"observations": 0, "of_kind": 0})
    people["compliant"] = (people["observations"] >= people["needed"]) & (people["of_kind"] >= 1)
    by = people.groupby(["service", "role"])["compliant"].agg(["size", "sum"])
    # The 30/60-day look-ahead the page shows: with the observations made by D, a compliant person lapses on
    # the first day whose 12-month window starts on or after the needed-th newest of their observations or
    # the newest of the required type; someone whose roster end falls before that day is not listed.
    o = o.sort_values("observed_date", ascending=False)
    nth = o.assign(k=o.groupby("staff_id").cumcount() + 1).merge(people[["staff_id", "needed"]], on="staff_id")
    nth = nth[nth["k"] == nth["needed"]].set_index("staff_id")["observed_date"]
    newest_kind = o[o["observation_type"] == o["kind"]].groupby("staff_id")["observed_date"].max()
    lapse_from = pd.concat([nth, newest_kind], axis=1).min(axis=1, skipna=False)
    ahead = [d + pd.Timedelta(days=k) for k in range(1, 61)]
    starts = pd.DatetimeIndex([pd.Timestamp(add_months(day.date(), -12)) for day in ahead])
    people = people.assign(lapse_from=people["staff_id"].map(lapse_from))
    i = starts.searchsorted(people["lapse_from"], side="left")
    lapses = people["compliant"].to_numpy() & (i < len(ahead))
    day = pd.Series(pd.DatetimeIndex(ahead)[np.minimum(i, len(ahead) - 1)], index=people.index).where(lapses)
    leaving = people["end_date"].notna() & (people["end_date"] < day)
    listed = people[~people["compliant"] | (lapses & ~leaving)].assign(due_by=day)
    listed["status"] = np.where(~listed["compliant"], "Overdue", np.where(
        listed["due_by"] <= d + pd.Timedelta(days=30), "Due within 30 days", "Due within 60 days"))
    listed = listed.assign(_r=listed["compliant"].astype(int), _d=listed["due_by"].fillna(d)).sort_values(
        ["_r", "_d", "service", "staff_id"], kind="stable")
    obs = in_period(fr["observations"], "observed_date", f)
    return {"compliance": by, "overdue": int((~people["compliant"]).sum()),
            "due": listed[["staff_id", "status", "due_by"]].reset_index(drop=True),
            "by_type": obs.groupby(["observation_type", obs["rank"].fillna(5)]).size(),
            "monthly": obs.groupby(month_col(obs["observed_date"])).size()}


def observations_check(con, fr, f: Filters, config: Config) -> None:
    p = observations_pd(fr, f, config)
    c = observations.compliance(con, f, config).set_index(["service", "role"])
    for k, r in p["compliance"].iterrows():
        assert (c.loc[k, "n"], c.loc[k, "compliant"]) == (r["size"], r["sum"]), k
    due = observations.due(con, f)
    assert int((due["status"] == "Overdue").sum()) == p["overdue"]
    assert list(due["staff_id"]) == list(p["due"]["staff_id"]) and list(due["status"]) == list(p["due"]["status"])
    assert [None if v is None else pd.Timestamp(v) for v in due["due_by"]] == \
        [None if pd.isna(v) else v for v in p["due"]["due_by"]]
    bt = observations.by_type_and_grade(con, f, config).set_index(["observation_type", "rank"])["n"]
    assert {k: v for k, v in bt.items() if v} == {(t, int(r)): v for (t, r), v in p["by_type"].items()}


# --- reviews --------------------------------------------------------------------------------------
def reviews_pd(fr, f: Filters, config: Config) -> dict:
    r = in_period(fr["reviews"], "review_date", f)
    d = pd.Timestamp(f.end)
    a = fr["actions"]
    a = a[a["raised_date"] <= d]
    finished = (a["completed_date"] <= d) | (a["completed_date"].isna() & a["status"].isin(["Complete", "Closed"]))
    state = np.where(~finished, np.where(a["due_date"] < d, "Overdue", "Open"),
                     np.where(a["status"] == "Closed", "Closed", "Complete"))
    cited = a.assign(state=state).merge(r[["review_id", "review_type", "review_date"]], left_on="source_ref",
                                        right_on="review_id")
    # The list the page shows: each citing action with its review's type and its state on D, in review order.
    listed = cited.sort_values(["review_date", "source_ref", "raised_date", "action_id"])[
        ["review_id", "review_type", "action_id", "source", "theme", "service", "owner_role", "raised_date",
         "due_date", "status", "completed_date", "last_reviewed_date", "state"]].reset_index(drop=True)
    per = cited.groupby(["review_id", "state"]).size().unstack(fill_value=0)
    lookup = themes.synonym_lookup(config)
    t = r[["review_id", "review_type", "themes"]].explode("themes").dropna(subset=["themes"])
    t = t.assign(theme=t["themes"].map({n: themes.canonical(n, lookup) for n in t["themes"].unique()}))
    return {"reviews": len(r), "per_review": per, "cited": len(cited), "citing": listed,
            "themes": ranked(t.groupby("theme")["review_id"].nunique())}


def reviews_check(con, fr, f: Filters, config: Config) -> None:
    p = reviews_pd(fr, f, config)
    tl = reviews.timeline(con, f).set_index("review_id")
    assert len(tl) == p["reviews"]
    for rid, r in p["per_review"].iterrows():
        assert tl.loc[rid, "actions"] == r.sum()
        assert tl.loc[rid, "overdue"] == r.get("Overdue", 0) and tl.loc[rid, "closed"] == r.get("Closed", 0)
    ca = reviews.citing_actions(con, f)
    assert int(tl["actions"].sum()) == p["cited"] == len(ca)
    assert list(ca["action_id"]) == list(p["citing"]["action_id"])
    assert list(ca["state_on_d"]) == list(p["citing"]["state"])
    th = reviews.themes(con, f, config)
    assert list(th["theme"]) == list(p["themes"].index) and list(th["reviews"]) == list(p["themes"])


# --- dip samples ----------------------------------------------------------------------------------
def dip_samples_pd(fr, f: Filters, config: Config) -> dict:
    ds = fr["dip_samples"]
    upto = in_period(ds, "sample_date", f, start=dt.date(1900, 1, 1))
    cyc = upto.groupby("dip_sample_id").agg(theme=("theme", "min"), first=("sample_date", "min"),
                                            n=("child_ref", "size"), graded=("rank", "count"),
                                            good=("rank", lambda r: int((r <= 2).sum())))
    cyc = cyc.sort_values(["theme", "first"]).assign(cycle=lambda c: c.groupby("theme").cumcount() + 1)
    shown = set(cyc.loc[cyc["first"] >= pd.Timestamp(f.start), "theme"])
    cyc = cyc[cyc["theme"].isin(shown)]
    first = ds.groupby("dip_sample_id")["sample_date"].min()
    began = set(first[(first >= pd.Timestamp(f.start)) & (first <= pd.Timestamp(f.end))].index)
    services = f.effective_services()
    if services is not None:
        began &= set(ds.loc[ds["service"].isin(services), "dip_sample_id"])
    fi = fr["findings"]
    fi = fi[fi["dip_sample_id"].isin(began)]
    fy = dip_samples.financial_year_start(f.end)
    sched = in_period(ds, "sample_date", f, start=add_months(fy, -12))
    return {"cycles": cyc, "findings": ranked(fi.groupby("theme_tag").size()),
            "strengths": fi[fi["finding_type"] == "Strength"].groupby("theme_tag").size(),
            "schedule": sched.groupby(month_col(sched["sample_date"]))["dip_sample_id"].nunique()}


def dip_samples_check(con, fr, f: Filters, config: Config) -> None:
    p = dip_samples_pd(fr, f, config)
    c = dip_samples.cycles(con, f).set_index("dip_sample_id")
    assert sorted(c.index) == sorted(p["cycles"].index)
    for k, r in p["cycles"].iterrows():
        assert (c.loc[k, "n"], c.loc[k, "graded"], c.loc[k, "good"], c.loc[k, "cycle"]) == (
            r["n"], r["graded"], r["good"], r["cycle"])
    fi = dip_samples.findings(con, f)
    assert dict(zip(fi["theme_tag"], fi["findings"])) == p["findings"].to_dict()
    assert {k: v for k, v in zip(fi["theme_tag"], fi["strengths"]) if v} == p["strengths"].to_dict()
    s = dip_samples.schedule(con, f)
    done = s[s["status"] == "Done"].groupby("month")["dip_sample_id"].nunique()
    assert {m: n for m, n in p["schedule"].items() if m in set(s["month"])} == done.to_dict()


# --- KPIs -----------------------------------------------------------------------------------------
def kpis_pd(fr, f: Filters, config: Config) -> pd.DataFrame:
    """Per KPI: its XmR series (spc.xmr, the same statistics) with the latest benchmarks as of each period."""
    service = (f.effective_services() or [kpis.ALL])[0] if f.services else kpis.ALL
    v = fr["kpi_values"]
    v = v[(v["service"] == service) & (v["period_end"] <= pd.Timestamp(f.end))].sort_values(["kpi_code", "period_end"])
    b = fr["kpi_benchmarks"].sort_values("period_end")
    rows = []
    for defn in fr["kpi_definitions"].to_dict("records"):
        s = v[v["kpi_code"] == defn["kpi_code"]]
        target = None if pd.isna(defn["target"]) else float(defn["target"])
        x = spc.xmr(s["value"], defn["polarity"], target=target)
        x["period_end"] = s["period_end"].to_numpy()
        for comp in kpis.COMPARATORS:
            mine = b[(b["kpi_code"] == defn["kpi_code"]) & (b["comparator"] == comp)][["period_end", "value"]]
            x[comp] = pd.merge_asof(x[["period_end"]], mine.rename(columns={"value": comp}), on="period_end")[comp] \
                if len(x) and len(mine) else np.nan
        last = x.iloc[-1] if len(x) else None
        rows.append({"kpi_code": defn["kpi_code"], "points": len(x),
                     "latest_value": None if last is None else float(last["value"]),
                     "special_cause": "" if last is None else last["special_cause"],
                     "assurance": "" if last is None else last["assurance"],
                     "England": None if last is None else last["England"]})
    return pd.DataFrame(rows)


def kpis_check(con, fr, f: Filters, config: Config) -> None:
    p = kpis_pd(fr, f, config).set_index("kpi_code")
    service = f.services[0] if f.services else kpis.ALL
    frames_ = kpis.chart_frames(con, config, service, f)
    summary = kpis.summary(con, config, f, service, frames=frames_).set_index("kpi_code")
    assert sorted(summary.index) == sorted(p.index)
    for code, r in p.iterrows():
        s = summary.loc[code]
        assert (s["points"], s["special_cause"], s["assurance"]) == (r["points"], r["special_cause"], r["assurance"])
        assert close(r["latest_value"], s["latest_value"])
    for defn, x, _ in frames_:
        if len(x):
            assert close(p.loc[defn["kpi_code"], "England"], x["England"].iloc[-1])


# --- impact ---------------------------------------------------------------------------------------
def impact_pd(fr, f: Filters, config: Config) -> dict:
    """Every intervention's audits before and after (the page's table of effects), in the configured window."""
    window = int(config["impact_window_months"])
    au, pi = fr["audits"], fr["pillars"]
    services_f = f.effective_services()
    out = []
    for r in fr["interventions"].sort_values("intervention_id").to_dict("records"):
        start = r["start_date"].date()
        end = r["end_date"].date() if pd.notna(r["end_date"]) else start
        w = (pd.Timestamp(add_months(start, -window)), pd.Timestamp(start), pd.Timestamp(end),
             pd.Timestamp(add_months(end, window)))
        own = None if pd.isna(r["service"]) or r["service"] == "ALL" else [r["service"]]
        services = own if services_f is None else (list(services_f) if own is None else
                                                   [s for s in own if s in services_f])
        src = au if pd.isna(r["target_pillar"]) or not r["target_pillar"] else pi[pi["pillar"] == r["target_pillar"]]
        if services is not None:
            src = src[src["service"].isin(services)]
        before = src[(src["audit_date"] >= w[0]) & (src["audit_date"] < w[1])]
        after = src[(src["audit_date"] > w[2]) & (src["audit_date"] <= w[3])]
        out.append((r["intervention_id"], len(before), int((before["final_rank"] <= 2).sum()), len(after),
                    int((after["final_rank"] <= 2).sum())))
    return {"effects": out}


def impact_check(con, fr, f: Filters, config: Config) -> None:
    p = impact_pd(fr, f, config)
    e = impact_evidence.all_effects(con, config, int(config["impact_window_months"]), f).set_index("intervention_id")
    for iid, n1, g1, n2, g2 in p["effects"]:
        assert (e.loc[iid, "n_before"], e.loc[iid, "n_after"]) == (n1, n2)
        assert close(e.loc[iid, "pct_before"], g1 / n1 * 100 if n1 else None)
        assert close(e.loc[iid, "pct_after"], g2 / n2 * 100 if n2 else None)


# --- the filter bar every page shows: its options are one of the page's analytics calls -------------------
def filter_options_pd(fr) -> dict:
    """filters.filter_options in pandas: every month from the first audit to the last, the teams, each team's
    service (the first by name)."""
    a = fr["audits"]
    teams = a.dropna(subset=["team"])
    return {"months": month_span(a["audit_date"].min().date(), a["audit_date"].max().date()) if len(a) else [],
            "teams": sorted(teams["team"].unique()),
            "team_services": teams.groupby("team")["service"].min().to_dict()}


def with_filter_bar(page: Callable) -> Callable:
    def run(fr, f: Filters, config: Config):
        return {"filter_options": filter_options_pd(fr), "page": page(fr, f, config)}
    return run


def with_filter_bar_check(check: Callable) -> Callable:
    def run(con, fr, f: Filters, config: Config):
        assert filter_options_pd(fr) == filter_options(con)
        check(con, fr, f, config)
    return run


_PAGES = {"voice": (voice_pd, voice_check), "themes": (themes_pd, themes_check),
          "escalations": (escalations_pd, escalations_check), "actions": (actions_pd, actions_check),
          "observations": (observations_pd, observations_check), "reviews": (reviews_pd, reviews_check),
          "dip_samples": (dip_samples_pd, dip_samples_check), "kpis": (kpis_pd, kpis_check),
          "impact": (impact_pd, impact_check)}
# Every page's baseline includes the filter bar's options, as every page's recorded calls do.
PAGES: dict[str, Callable] = {k: with_filter_bar(page) for k, (page, _) in _PAGES.items()}
CHECKS: dict[str, Callable] = {k: with_filter_bar_check(check) for k, (_, check) in _PAGES.items()}


# --- a small driver: pandas ms per page, beside nothing else (run.py has the pages' own figures) ----------
def main(argv=None) -> int:
    from analytics.database import Database
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--pages", default=",".join(PAGES))
    p.add_argument("--check", action="store_true", help="also assert each baseline equals the analytics answer")
    p.add_argument("--run-json", type=Path, help="a run.py result (latest-stress.json): print the pages' call "
                                                 "medians beside the pandas ones, and the ratio")
    a = p.parse_args(argv)
    duck = {}
    if a.run_json:
        for page, row in json.loads(a.run_json.read_text())["app"]["pages"].items():
            duck[Path(page).stem] = {"default": row["default"]["calls"]["median"],
                                     SERVICE: row["service"]["calls"]["median"]}
    config = Config()
    with Database(a.db, config).read() as con:     # (a database written by an older version is brought up to date)
        return _drive(a, con, config, duck)


def _drive(a, con, config: Config, duck: dict) -> int:
    from analytics.filters import default_period
    t0 = time.perf_counter()
    fr = frames(con, config)
    print(f"tables read into pandas in {time.perf_counter() - t0:.1f} s (not counted)")
    first, last = default_period(filter_options(con)["months"])
    for page in a.pages.split(","):
        for label, f in (("default", Filters(first, last)), (SERVICE, Filters(first, last, services=(SERVICE,)))):
            if a.check:
                CHECKS[page](con, fr, f, config)
            secs = []
            for _ in range(a.runs):
                t0 = time.perf_counter()
                PAGES[page](fr, f, config)
                secs.append(time.perf_counter() - t0)
            pandas_ms = statistics.median(secs) * 1000
            beside = ""
            if page in duck:
                d = duck[page][label] * 1000
                beside = f"  pages' calls {d:6.0f} ms  ratio {pandas_ms / d:5.1f}"
            print(f"{page:14} {label:8} pandas median {pandas_ms:7.0f} ms  worst {max(secs) * 1000:7.0f} ms{beside}"
                  f"{'  (checked)' if a.check else ''}  [load {os.getloadavg()[0]:.2f}]", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
