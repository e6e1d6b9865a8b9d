"""The audit pages' figures in plain pandas: the baseline ``run.py`` times beside the library (issue 8).

``frames(con)`` reads the stored tables into DataFrames once (not timed): the same tables the library
reads (``audits_final`` and ``audit_pillars_final`` as stored, with their final grades), never the library's
own roll-ups. ``PAGES[stem](frames, f, config)`` computes what the page's ``analytics/`` calls compute for
the filters (filtering, joining and grouping in pandas); the statistics over a handful of counts (Wilson
and bootstrap intervals, suppression, XmR limits) are the library's own functions, as a pandas user would
call them. ``CHECKS[stem](con, frames, f, config)`` asserts the pandas answer equals the library's, so a
baseline cannot drift into computing something cheaper.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from analytics import (audits, data_status, equality, explorer, followup, inspection, metrics, moderation,
                       overview, pillars, publish)
from analytics.config import Config
from analytics.datasets import DATASETS, qi
from analytics.filters import Filters, add_months, month_start
from analytics.impact import Z95

AUDIT_COLUMNS = ("audit_id, audit_date, audit_month, service, team, cohort, child_ref, auditor_id, auditor_role, "
                 "practitioner_id, auditor_grade, moderated_grade, benchmarked_grade, final_grade, final_rank, "
                 "auditor_rank, moderated_rank, benchmarked_rank, provisional, exemplar, child_age_band, "
                 "child_gender, child_ethnicity_group, child_disability")
PILLAR_COLUMNS = ("audit_id, pillar, auditor_grade, moderated_grade, final_grade, final_rank, audit_date, service, "
                  "team, cohort, auditor_role, provisional, audit_rank, child_age_band, child_gender, "
                  "child_ethnicity_group, child_disability")


def frames(con) -> dict[str, pd.DataFrame]:
    out = {"audits": con.execute(f"SELECT {AUDIT_COLUMNS} FROM audits_final").df(),
           "pillars": categories(con.execute(f"SELECT {PILLAR_COLUMNS} FROM audit_pillars_final").df()),
           "staff": con.execute("SELECT staff_id, role, service, start_date, end_date FROM staff").df(),
           "followups": con.execute("SELECT * FROM audit_followups").df(),
           "grade_scale": con.execute("SELECT label, rank FROM grade_scale").df(),
           "load_history": con.execute("SELECT * FROM load_history").df()}
    # The Data page counts every dataset's rows: one column of each is enough for len().
    out["row_counts"] = {d.name: con.execute(f"SELECT {qi(d.columns[0].name)} FROM {qi(d.name)}").df()
                         for d in DATASETS}
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    out["publications"] = (con.execute("SELECT publication_id, month FROM publications").df()
                           if "publications" in tables else pd.DataFrame({"publication_id": [], "month": []}))
    return out


def categories(df: pd.DataFrame) -> pd.DataFrame:
    """Low-cardinality text as categories (as a pandas user would: 7,000,000 pillar rows as plain strings
    take gigabytes); the audit id and the pillar stay text."""
    for c in df.columns:
        if c not in ("audit_id", "pillar") and (df[c].dtype == object or pd.api.types.is_string_dtype(df[c])):
            df[c] = df[c].astype("category")
    return df


# --- shared pieces ---------------------------------------------------------------------------------
def ts(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day)


def select(df: pd.DataFrame, f: Filters, date_col: str = "audit_date", audit_columns: bool = True) -> pd.DataFrame:
    """The rows in the filters' period and services (and teams, cohorts, roles): filters.where in pandas."""
    d = df[date_col]
    m = (d >= ts(f.start)) & (d <= ts(f.end))
    services = f.effective_services()
    if services is not None:
        m &= df["service"].isin(services)
    if audit_columns:
        for col, values in (("team", f.teams), ("cohort", f.cohorts), ("auditor_role", f.auditor_roles)):
            if values is not None:
                m &= df[col].isin(values)
    return df[m]


def span(f: Filters, first: str, last: str) -> Filters:
    return dataclasses.replace(f, month_from=first, month_to=last)


def shift(month: str, k: int) -> str:
    return add_months(month_start(month), k).strftime("%Y-%m")


def pct(a, n):
    return None if not n else a / n * 100


def wilson(successes, n) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised impact.wilson_interval (NaN where n is 0)."""
    k, n = np.asarray(successes, float), np.asarray(n, float)
    z = Z95
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.maximum(0.0, centre - half) * 100, np.minimum(1.0, centre + half) * 100


def counts(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """n, good, inadequate, provisional and the percentages with their intervals per keys."""
    g = df.assign(good=df["final_rank"] <= 2, inadequate=df["final_rank"] == 4)
    out = g.groupby(keys, observed=True, sort=True).agg(n=("final_rank", "size"), good=("good", "sum"),
                                                         inadequate=("inadequate", "sum"),
                                                         provisional=("provisional", "sum")).reset_index()
    for name in ("good", "inadequate"):
        out[f"{name}_pct"] = out[name] / out["n"] * 100
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = wilson(out[name], out["n"])
    return out


def headline_of(df: pd.DataFrame, config: Config) -> dict:
    n = len(df)
    by_rank = df["final_rank"].value_counts()
    return {"count": n, "provisional": int(df["provisional"].sum()),
            "good_or_better_pct": pct(int((df["final_rank"] <= 2).sum()), n),
            "inadequate_pct": pct(int((df["final_rank"] == 4).sum()), n),
            "by_grade": {label: int(by_rank.get(r, 0)) for r, label in enumerate(config.grade_labels, start=1)}}


def month_of(df: pd.DataFrame, col: str = "audit_date") -> pd.Series:
    return df[col].dt.to_period("M").dt.start_time


def filter_options(fr: dict) -> dict:
    a = fr["audits"]
    lo, hi = a["audit_date"].min(), a["audit_date"].max()
    months = [] if pd.isna(lo) else [p.strftime("%Y-%m") for p in pd.period_range(lo, hi, freq="M")]
    teams = a.dropna(subset=["team"])
    return {"months": months, "teams": sorted(teams["team"].unique()),
            "team_services": teams.groupby("team")["service"].min().to_dict()}


def completion(fr: dict, f: Filters, config: Config, first: dt.date | None = None) -> pd.DataFrame:
    """audits.completion per month and service: staff in post with an auditing role, and those who audited."""
    services = f.effective_services()
    services = tuple(config.service_codes) if services is None else services
    months = pd.date_range(ts(first or f.start), ts(month_start(f.month_to)), freq="MS")
    staff = fr["staff"]
    staff = staff[staff["role"].isin(config["auditor_roles"]) & staff["service"].isin(services)]
    rows = []
    a = fr["audits"]
    window = a[(a["audit_date"] >= months[0]) & (a["audit_date"] <= ts(f.end))]
    done = set(zip(month_of(window), window["auditor_id"]))
    for m in months:
        d = m + pd.offsets.MonthEnd(0)
        in_post = staff[(staff["start_date"].isna() | (staff["start_date"] <= d))
                        & (staff["end_date"].isna() | (staff["end_date"] >= d))]
        for service, ids in in_post.groupby("service")["staff_id"]:
            rows.append((m.strftime("%Y-%m"), service, len(ids), sum((m, i) in done for i in ids)))
    return pd.DataFrame(rows, columns=["period", "service", "expected", "completed"]).sort_values(
        ["period", "service"]).reset_index(drop=True)


def completion_pct(fr, f, config):
    c = completion(fr, f, config)
    return pct(int(c["completed"].sum()), int(c["expected"].sum())), int(c["expected"].sum())


# --- pages -----------------------------------------------------------------------------------------
def overview_page(fr: dict, f: Filters, config: Config) -> dict:
    opts = filter_options(fr)
    a = fr["audits"]
    last, prev = f.month_to, shift(f.month_to, -1)
    spans = {"now": (last, last), "before": (prev, prev), "base": (shift(last, -12), prev)}
    head = {k: headline_of(select(a, span(f, *v)), config) for k, v in spans.items()}
    comp = {k: completion_pct(fr, span(f, *v), config) for k, v in spans.items()}
    head["period"] = headline_of(select(a, f), config)
    recent, earlier = (shift(last, -2), last), (shift(last, -5), shift(last, -3))
    by_service = {}
    for k, (lo, hi) in (("recent", recent), ("earlier", earlier)):
        c = counts(select(a, span(f, lo, hi)), ["service"])
        by_service[k] = dict(zip(c["service"], zip(c["n"], c["good_pct"])))
    pp = select(fr["pillars"], f)
    pill = pp.assign(good=pp["final_rank"] <= 2).groupby("pillar").agg(n=("good", "size"), good=("good", "mean"))
    period = select(a, f)
    dist = period.groupby(["final_grade", "final_rank"]).size().rename("n").reset_index().sort_values("final_rank")
    dist["share_pct"] = dist["n"] / dist["n"].sum() * 100
    series = counts(period.assign(period=period["audit_month"]), ["period", "service"])
    return {"options": opts, "headline": head, "completion": comp, "by_service": by_service,
            "pillars": pill, "distribution": dist, "series": series}


def check_overview(con, fr, f, config):
    got = overview_page(fr, f, config)
    assert got["options"]["teams"] == __import__("analytics.filters", fromlist=["x"]).filter_options(con)["teams"]
    h = overview.headline(con, f, config)
    figs = {x.label: x for x in h["figures"]}
    assert figs["Audits completed"].value == got["headline"]["now"]["count"]
    assert figs["Audits completed"].average_12 == got["headline"]["base"]["count"] / 12
    assert close(figs["Good or better"].previous, got["headline"]["before"]["good_or_better_pct"])
    assert close(figs["Inadequate"].average_12, got["headline"]["base"]["inadequate_pct"])
    assert figs["Provisional (not yet moderated)"].value == got["headline"]["now"]["provisional"]
    for key, attr in (("now", "value"), ("before", "previous"), ("base", "average_12")):
        assert close(getattr(figs["Audit completion"], attr), got["completion"][key][0]), key
    assert h["period"] == got["headline"]["period"]
    ps = metrics.pillar_summary(con, f, config)
    assert {p: v["count"] for p, v in ps.items()} == got["pillars"]["n"].to_dict()
    dist = audits.grade_distribution(con, f, config)
    assert list(dist["n"]) == list(got["distribution"]["n"])
    series = audits.grade_series(con, f, "month", by="service")
    same_frame(series, got["series"], ["period", "service", "n", "good", "inadequate", "provisional", "good_pct",
                                       "good_ci_low", "inadequate_ci_high"])


def trends_page(fr: dict, f: Filters, config: Config) -> dict:
    opts = filter_options(fr)
    period = select(fr["audits"], f)
    period = period.assign(period=period["audit_month"])
    series = counts(period, ["period", "service"])
    dist = period.groupby(["period", "final_grade", "final_rank"]).size().rename("n").reset_index()
    dist["share_pct"] = dist["n"] / dist.groupby("period")["n"].transform("sum") * 100
    done = completion(fr, f, config)
    done["completion_pct"] = done["completed"] * 100.0 / done["expected"]
    cohorts = counts(period, ["cohort"])
    spc = counts(period, ["period"])
    return {"options": opts, "series": series, "distribution": dist, "completion": done, "cohorts": cohorts,
            "spc": spc}


def check_trends(con, fr, f, config):
    from analytics import kpis
    got = trends_page(fr, f, config)
    same_frame(audits.grade_series(con, f, "month", by="service"), got["series"],
               ["period", "service", "n", "good", "good_pct", "good_ci_high"])
    same_frame(audits.grade_distribution(con, f, config, "month").sort_values(["period", "rank"]),
               got["distribution"].rename(
        columns={"final_grade": "grade", "final_rank": "rank"}).sort_values(["period", "rank"]),
        ["period", "grade", "n", "share_pct"])
    same_frame(audits.completion(con, f, config, "month"), got["completion"],
               ["period", "service", "expected", "completed", "completion_pct"])
    same_frame(audits.grades_by(con, f, "cohort"), got["cohorts"], ["cohort", "n", "good", "inadequate"])
    same_frame(kpis.audit_spc(con, f), got["spc"], ["period", "n", "good"])


def pillars_page(fr: dict, f: Filters, config: Config) -> dict:
    opts = filter_options(fr)
    p = select(fr["pillars"], f)
    cells = counts(p, ["service", "pillar"])
    total = counts(p, ["pillar"])
    dist = p.groupby(["pillar", "final_rank"]).size().unstack(fill_value=0).reindex(
        columns=range(1, 5), fill_value=0).stack().rename("n").reset_index()
    dist["share_pct"] = dist["n"] / dist.groupby("pillar")["n"].transform("sum") * 100
    trend = counts(p.assign(period=p["audit_date"].dt.strftime("%Y-%m")), ["period", "pillar"])
    held = p.assign(below=p["final_rank"] > p["audit_rank"], same=p["final_rank"] == p["audit_rank"],
                    above=p["final_rank"] < p["audit_rank"]).groupby("pillar").agg(
        n=("below", "size"), below=("below", "sum"), same=("same", "sum"), above=("above", "sum"),
        provisional=("provisional", "sum")).reset_index()
    held["below_pct"] = held["below"] / held["n"] * 100
    held["below_ci_low"], held["below_ci_high"] = wilson(held["below"], held["n"])
    ids = p["audit_id"].unique()
    provisional = p.loc[p["provisional"], "audit_id"].nunique()
    return {"options": opts, "cells": cells, "total": total, "distribution": dist, "trend": trend, "held": held,
            "audits": (len(ids), provisional)}


def check_pillars(con, fr, f, config):
    got = pillars_page(fr, f, config)
    by = lambda df, keys: df.sort_values(keys).reset_index(drop=True)  # noqa: E731
    heat = pillars.heatmap(con, f, config)
    cells = heat[heat["service"] != pillars.ALL_SERVICES]
    same_frame(by(cells, ["service", "pillar"]), got["cells"], ["service", "pillar", "n", "good", "good_pct",
                                                               "inadequate", "provisional", "good_ci_low"])
    same_frame(by(heat[heat["service"] == pillars.ALL_SERVICES], ["pillar"]), got["total"], ["pillar", "n", "good"])
    same_frame(by(pillars.distribution(con, f, config), ["pillar", "rank"]),
               by(got["distribution"].rename(columns={"final_rank": "rank"}), ["pillar", "rank"]),
               ["pillar", "rank", "n", "share_pct"])
    same_frame(by(pillars.trend(con, f, config, "month"), ["period", "pillar"]), got["trend"],
               ["period", "pillar", "n", "good", "good_pct"])
    same_frame(by(pillars.held_back(con, f, config), ["pillar"]), got["held"],
               ["pillar", "n", "below", "same", "above", "provisional", "below_pct", "below_ci_high"])
    assert tuple(pillars.provisional_audits(con, f)) == got["audits"]


def explorer_page(fr: dict, f: Filters, config: Config, limit: int = explorer.SHOWN_ROWS) -> dict:
    opts = filter_options(fr)
    a = select(fr["audits"], f)
    total, provisional = len(a), int(a["provisional"].sum())
    rows = a.sort_values(["audit_date", "audit_id"], ascending=[False, True]).head(limit)[explorer.COLUMNS]
    p = fr["pillars"]
    p = p[p["audit_id"].isin(rows["audit_id"])]
    wide = p.pivot_table(index="audit_id", columns="pillar", values="final_grade", aggfunc="first")
    present = [c for c in config.pillars if c in wide.columns]
    rows = rows.merge(wide[present], left_on="audit_id", right_index=True, how="left")
    return {"options": opts, "totals": (total, provisional), "rows": rows.reset_index(drop=True)}


def check_explorer(con, fr, f, config):
    got = explorer_page(fr, f, config)
    assert explorer.audit_totals(con, f) == got["totals"]
    rows = explorer.audit_rows(con, f, config, limit=explorer.SHOWN_ROWS)
    assert list(rows.columns) == list(got["rows"].columns)
    assert list(rows["audit_id"]) == list(got["rows"]["audit_id"])
    for c in config.pillars:
        if c in rows:
            assert list(rows[c].fillna("")) == list(got["rows"][c].fillna("")), c


def _group(df: pd.DataFrame, column: str) -> pd.Series:
    """equality.group_sql in pandas: blanks are "Not recorded"; disability in words."""
    if column == "child_disability":
        v = df[column]
        return pd.Series(np.where(v.isna(), equality.NOT_RECORDED,
                                  np.where(v.fillna(False).astype(bool), equality.DISABLED, equality.NOT_DISABLED)),
                         index=df.index)
    s = df[column].astype("string").str.strip()
    return s.mask(s.isna() | (s == ""), equality.NOT_RECORDED).astype(str)


def equality_counts(fr: dict, f: Filters, config: Config) -> dict:
    a, p = select(fr["audits"], f), select(fr["pillars"], f)
    out = {}
    for c in equality.CHARACTERISTICS:
        ac = a.assign(group=_group(a, c), good=a["final_rank"] <= 2).groupby("group").agg(
            n=("good", "size"), good=("good", "sum"), provisional=("provisional", "sum")).reset_index()
        pc = p.assign(group=_group(p, c), good=p["final_rank"] <= 2).groupby(["group", "pillar"]).agg(
            n=("good", "size"), good=("good", "sum"), provisional=("provisional", "sum")).reset_index()
        out[c] = (ac, pc)
    return out


def equality_page(fr: dict, f: Filters, config: Config) -> dict:
    opts = filter_options(fr)
    threshold = equality.threshold_of(config)
    # The suppression over the counts is the library's (a handful of rows): the same work on both sides.
    return {"options": opts, "rates": {
        c: (equality.rates(equality._ordered_audit_counts(ac, c), threshold, equality.CHARACTERISTICS[c]),
            equality._pillar_rates(equality._ordered_pillar_counts(pc, c, config), c, config))
        for c, (ac, pc) in equality_counts(fr, f, config).items()}}


def check_equality(con, fr, f, config):
    got = equality_page(fr, f, config)["rates"]
    want = equality.page_rates(con, f, config)
    for c in equality.CHARACTERISTICS:
        for mine, theirs in zip(got[c], want[c]):
            pd.testing.assert_frame_equal(mine.table.reset_index(drop=True), theirs.table.reset_index(drop=True),
                                          check_dtype=False)


def _pairs(df: pd.DataFrame, a: str, b: str, keys=()) -> dict:
    g = df.dropna(subset=[a, b]).groupby([*keys, a, b]).size()
    out: dict = {}
    for idx, n in g.items():
        idx = idx if isinstance(idx, tuple) else (idx,)
        key = idx[:len(keys)] if keys else ()
        out.setdefault(key[0] if len(key) == 1 else key, []).append((int(idx[-2]), int(idx[-1]), int(n)))
    return out


def _figures(groups: dict) -> dict:
    """moderation.with_extras of each group's pairs, the kappa intervals of all groups worked out together
    (moderation.kappa_intervals, as the library does: the same bootstrap on both sides)."""
    intervals = moderation.kappa_intervals(list(groups.values()))
    return {k: moderation.with_extras(moderation.pair_figures(v), v, i) for (k, v), i in zip(groups.items(), intervals)}


def moderation_page(fr: dict, f: Filters, config: Config) -> dict:
    opts = filter_options(fr)
    a = select(fr["audits"], f)
    pairs = _pairs(a, "auditor_rank", "moderated_rank").get((), [])
    drift = moderation.with_extras(moderation.pair_figures(pairs), pairs)
    drift["provisional"] = int(a["provisional"].sum())
    groups = {}
    for by in moderation.BY_COLUMNS:
        g = a.dropna(subset=[by])
        per = _pairs(g, "auditor_rank", "moderated_rank", [by])
        sizes = g.groupby(by).agg(audits=("provisional", "size"), provisional=("provisional", "sum"))
        figures = _figures({k: per.get(k, []) for k in sizes.index})
        groups[by] = {k: (int(r.audits), int(r.provisional), figures[k]) for k, r in sizes.iterrows()}
    month = a.assign(period=a["audit_month"])
    per_month = _pairs(month, "auditor_rank", "moderated_rank", ["period"])
    trend = _figures(dict(sorted(per_month.items())))
    bench = {"benchmarked": int(a["benchmarked_grade"].notna().sum()),
             "changed": int((a["benchmarked_grade"].notna()
                             & (a["benchmarked_grade"] != a["moderated_grade"].fillna("\0"))).sum()),
             "pairs": _pairs(a, "moderated_rank", "benchmarked_rank").get((), [])}
    p = select(fr["pillars"], f)
    rank = fr["grade_scale"].set_index("label")["rank"]
    p = p.assign(ar=p["auditor_grade"].map(rank), mr=p["moderated_grade"].map(rank))
    pillar_pairs = _pairs(p, "ar", "mr", ["pillar"])
    rows_by = p.groupby("pillar").size()
    figures = _figures({k: pillar_pairs.get(k, []) for k in rows_by.index})
    pillar_drift = {k: (int(n), figures[k]) for k, n in rows_by.items()}
    return {"options": opts, "drift": drift, "pairs": pairs, "groups": groups, "trend": trend, "bench": bench,
            "pillar_drift": pillar_drift, "pillar_pairs": pillar_pairs}


def check_moderation(con, fr, f, config):
    got = moderation_page(fr, f, config)
    want = moderation.drift(con, f)
    assert {k: want[k] for k in ("moderated", "downgraded", "upgraded", "provisional", "band")} == \
        {k: got["drift"][k] for k in ("moderated", "downgraded", "upgraded", "provisional", "band")}
    assert close(want["weighted_kappa"], got["drift"]["weighted_kappa"])
    assert close(want["kappa_ci_low"], got["drift"]["kappa_ci_low"])
    assert sorted(metrics.grade_pairs(con, f)) == sorted(got["pairs"])
    for by in moderation.BY_COLUMNS:
        g = moderation.by_group(con, f, by, config)
        assert sorted(g[by]) == sorted(got["groups"][by]), by
        for _, r in g.iterrows():
            audits_n, prov, figs = got["groups"][by][r[by]]
            assert (r["audits"], r["provisional"], r["moderated"], r["downgraded"]) == \
                (audits_n, prov, figs["moderated"], figs["downgraded"]), (by, r[by])
            assert close(r["agreement_pct"], figs["agreement_pct"]) and close(r["kappa_ci_high"], figs["kappa_ci_high"])
    t = moderation.trend(con, f, "month")
    assert list(t["period"]) == list(got["trend"])
    assert list(t["moderated"]) == [v["moderated"] for v in got["trend"].values()]
    assert all(close(x, v["net_drift"]) for x, v in zip(t["net_drift"], got["trend"].values()))
    b = moderation.benchmarking(con, f)
    assert (b["benchmarked"], b["changed"], sorted(b["pairs"])) == \
        (got["bench"]["benchmarked"], got["bench"]["changed"], sorted(got["bench"]["pairs"]))
    pdr = moderation.pillar_drift(con, f, config)
    for _, r in pdr.iterrows():
        n, figs = got["pillar_drift"][r["pillar"]]
        assert (r["rows"], r["moderated"]) == (n, figs["moderated"]) and close(r["weighted_kappa"],
                                                                               figs["weighted_kappa"])
    assert {k: sorted(v) for k, v in moderation.pillar_pairs(con, f).items()} == \
        {k: sorted(v) for k, v in got["pillar_pairs"].items()}


def followup_steps(fr: dict, f: Filters, config: Config) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per audit in follow-up: each step's applies, due, done and state on D (followup._steps_sql in pandas)."""
    d = followup.days(config)
    end = ts(f.end)
    a = select(fr["audits"], f)
    a = a[a["final_rank"] >= 3]
    fu = fr["followups"]
    b = a.merge(fu.drop(columns=[c for c in ("_load_id",) if c in fu]), on="audit_id", how="left",
                indicator=True)
    b["has_followup"] = b["_merge"] == "both"
    b["review_rank"] = b["review_grade"].map(fr["grade_scale"].set_index("label")["rank"])
    day = pd.Timedelta(days=1)
    rules = {
        "managers_notified": (pd.Series(True, index=b.index), b["audit_date"] + d["managers_notified_days"] * day,
                              b["managers_notified_date"]),
        "reflective_meeting": (pd.Series(True, index=b.index), b["audit_date"] + d["reflective_meeting_days"] * day,
                               b["reflective_meeting_date"]),
        "review": (b["final_rank"] == 4, b["review_due_date"].fillna(b["audit_date"] + d["review_days"] * day),
                   b["review_date"]),
        "hos_notified": ((b["final_rank"] == 4) & (b["review_rank"] == 4) & (b["review_date"] <= end),
                         b["review_date"] + d["head_of_service_notified_days"] * day,
                         b["head_of_service_notified_date"]),
    }
    for s, (applies, due, done) in rules.items():
        done_by_d = done <= end
        b[f"{s}_state"] = np.select(
            [~applies, done_by_d & (done <= due), done_by_d, due < end],
            ["not applicable", "done on time", "done late", "overdue"], "not yet due")
        b[f"{s}_due"] = due.where(applies)
        b[f"{s}_done"] = done.where(applies)
    b["still_inadequate"] = rules["hos_notified"][0]
    states = b[[f"{s}_state" for s in followup.STEPS]]
    b["overdue_steps"] = (states == "overdue").sum(axis=1)
    return b, states


def followup_page(fr: dict, f: Filters, config: Config, limit: int = 1000) -> dict:
    opts = filter_options(fr)
    b, states = followup_steps(fr, f, config)
    head = {"audits": len(b), "inadequate": int((b["final_rank"] == 4).sum()),
            "requires_improvement": int((b["final_rank"] == 3).sum()), "provisional": int(b["provisional"].sum()),
            "with_overdue_step": int((b["overdue_steps"] > 0).sum()),
            "no_followup_recorded": int((~b["has_followup"]).sum()),
            "still_inadequate_after_review": int(b["still_inadequate"].sum())}
    first = b[[f"{s}_due" for s in followup.STEPS]].where(states.to_numpy() == "overdue").min(axis=1)
    table = b.assign(_o=b["overdue_steps"] > 0, _f=first).sort_values(
        ["_o", "_f", "still_inadequate", "audit_date", "audit_id"], ascending=[False, True, False, True, True],
        na_position="last").head(limit)
    long = states.melt(value_name="state", var_name="step")
    long["step"] = long["step"].str.removesuffix("_state")
    long = long.assign(service=np.tile(b["service"].to_numpy(), len(followup.STEPS)),
                       period=np.tile(b["audit_month"].to_numpy(), len(followup.STEPS)))
    state_n = long.groupby(["step", "state"]).size()
    judged = long[long["state"].isin(followup.JUDGED)]
    rate = lambda keys: judged.groupby(keys).agg(  # noqa: E731
        judged=("state", "size"), on_time=("state", lambda s: (s == "done on time").sum()))
    overall, monthly = rate(["service", "step"]).reset_index(), rate(["period", "service", "step"]).reset_index()
    for r in (overall, monthly):
        r["on_time_pct"] = r["on_time"] / r["judged"] * 100
        r["ci_low"], r["ci_high"] = wilson(r["on_time"], r["judged"])
    return {"options": opts, "headline": head, "table": table, "states": state_n, "overall": overall,
            "monthly": monthly}


def check_followup(con, fr, f, config):
    got = followup_page(fr, f, config)
    assert followup.headline(con, f, config) == got["headline"]
    table = followup.followup_table(con, f, config, limit=1000)
    assert list(table["audit_id"]) == list(got["table"]["audit_id"])
    assert list(table["overdue_steps"]) == list(got["table"]["overdue_steps"])
    sc = followup.state_counts(con, f, config)
    sc = sc[sc["n"] > 0].set_index(["step", "state"])["n"]
    assert sc.sort_index().to_dict() == got["states"].sort_index().to_dict()
    for grain, mine in ((None, got["overall"]), ("month", got["monthly"])):
        want = followup.on_time_rates(con, f, config, grain)
        keys = (["period"] if grain else []) + ["service", "step"]
        same_frame(want.sort_values(keys).reset_index(drop=True), mine.sort_values(keys).reset_index(drop=True),
                   keys + ["judged", "on_time", "on_time_pct", "ci_low"])


def inspection_page(fr: dict, f: Filters, config: Config) -> dict:
    opts = filter_options(fr)
    start, end = inspection.window(f, config)
    a = fr["audits"]
    w = a[(a["audit_date"] >= ts(start)) & (a["audit_date"] <= ts(end))]
    if f.scope is not None:
        w = w[w["service"].isin(f.scope)]
    latest = w.sort_values(["child_ref", "audit_date", "audit_id"], ascending=[True, False, False]).drop_duplicates(
        "child_ref")
    pool = select(latest, dataclasses.replace(f, month_from=start.strftime("%Y-%m")))
    pool = pool.assign(child_age_band=pool["child_age_band"].fillna(inspection.NOT_RECORDED))
    cohorts = {c: i for i, c in enumerate(inspection._order("cohort", pool["cohort"].unique().tolist(), config))}
    pool = pool.sort_values(["cohort", "final_rank", "audit_date", "child_ref"], ascending=[True, False, False, True],
                            key=lambda col: col.map(cohorts) if col.name == "cohort" else col, kind="stable")
    ex = select(a, f)
    ex = ex[ex["exemplar"].fillna(False).astype(bool)].sort_values(["audit_date", "audit_id"],
                                                                   ascending=[False, True])
    p = fr["pillars"]
    p = p[(p["final_rank"] == 1) & p["audit_id"].isin(ex["audit_id"])]
    order = {q: i for i, q in enumerate(config.pillars)}
    p = p.assign(_o=p["pillar"].map(order)).sort_values("_o")
    outstanding = p.groupby("audit_id")["pillar"].agg("; ".join)
    ex = ex.assign(outstanding_pillars=ex["audit_id"].map(outstanding))
    return {"options": opts, "pool": pool.reset_index(drop=True), "exemplars": ex.reset_index(drop=True)}


def check_inspection(con, fr, f, config):
    got = inspection_page(fr, f, config)
    pool = inspection.pool(con, f, config)
    assert list(pool["child_ref"]) == list(got["pool"]["child_ref"])
    assert list(pool["audit_id"]) == list(got["pool"]["audit_id"])
    ex = inspection.exemplars(con, f, config)
    assert list(ex["audit_id"]) == list(got["exemplars"]["audit_id"])
    assert list(ex["outstanding_pillars"].fillna("")) == list(got["exemplars"]["outstanding_pillars"].fillna(""))


def data_page(fr: dict, f: Filters, config: Config) -> dict:
    rows = {name: len(df) for name, df in fr["row_counts"].items()}
    h = fr["load_history"]
    last = h.sort_values("loaded_at").groupby("dataset").agg(last_loaded=("loaded_at", "max"),
                                                             last_file=("file_name", "last"))
    a = fr["audits"]
    every = [p.strftime("%Y-%m") for p in pd.period_range(a["audit_date"].min(), a["audit_date"].max(), freq="M")] \
        if len(a) else []
    have = a.groupby(["service", "audit_month"]).size()
    grid = pd.MultiIndex.from_product([config.service_codes, every])
    gaps = list(grid[have.reindex(grid).isna().to_numpy()])
    history = h.sort_values(["load_id", "file_name"], ascending=[False, True]).head(200)
    return {"rows": rows, "last": last, "gaps": gaps, "history": history}


def check_data(con, fr, f, config):
    got = data_page(fr, f, config)
    assert dict(data_status.row_counts(con).itertuples(index=False)) == got["rows"]
    gaps = data_status.months_without_audits(con, config)
    assert list(zip(gaps["service"], gaps["month"])) == got["gaps"]
    assert list(data_status.load_history(con)["load_id"]) == list(got["history"]["load_id"])


def publish_page(fr: dict, f: Filters, config: Config) -> dict:
    opts = filter_options(fr)
    month = opts["months"][-1] if opts["months"] else None
    published = sorted(fr["publications"]["month"].unique(), reverse=True)
    m = Filters(month_from=month, month_to=month)
    heads = [headline_of(select(fr["audits"], m), config) for _ in range(3)]   # the page's three buttons
    return {"months": opts["months"], "published": published, "headline": heads[0]}


def check_publish(con, fr, f, config):
    from analytics.filters import audit_months
    got = publish_page(fr, f, config)
    assert audit_months(con) == got["months"]
    assert publish.published_months(con) == got["published"]
    m = got["months"][-1]
    assert metrics.audit_headline(con, Filters(month_from=m, month_to=m), config) == got["headline"]


# --- comparing ---------------------------------------------------------------------------------------
def close(a, b, tol: float = 1e-9) -> bool:
    if a is None or b is None or (isinstance(a, float) and np.isnan(a)):
        return (a is None or np.isnan(a)) and (b is None or (isinstance(b, float) and np.isnan(b)))
    return abs(a - b) <= tol * max(1.0, abs(a))


def same_frame(want: pd.DataFrame, got: pd.DataFrame, columns: list[str]) -> None:
    want, got = want.reset_index(drop=True), got.reset_index(drop=True)
    assert len(want) == len(got), (len(want), len(got))
    for c in columns:
        w, g = want[c], got[c]
        if pd.api.types.is_float_dtype(w) or pd.api.types.is_float_dtype(g):
            assert np.allclose(w.astype(float), g.astype(float), rtol=1e-9, equal_nan=True), c
        else:
            assert [str(x) for x in w] == [str(x) for x in g], c


PAGES = {"overview": overview_page, "trends": trends_page, "pillars": pillars_page, "explorer": explorer_page,
         "equality": equality_page, "moderation": moderation_page, "followup": followup_page,
         "inspection": inspection_page, "data": data_page, "publish": publish_page}
CHECKS = {"overview": check_overview, "trends": check_trends, "pillars": check_pillars, "explorer": check_explorer,
          "equality": check_equality, "moderation": check_moderation, "followup": check_followup,
          "inspection": check_inspection, "data": check_data, "publish": check_publish}
