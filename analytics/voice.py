"""Voice of children and families: feedback (single feedback forms, emails, MOMO) and complaints.

Rows belong to the period by ``received_date`` (metrics.md "Periods"); the service filter and the viewer's
scope apply through ``filters.where``, so with a service chosen, feedback not attributed to one service
(service ALL) is left out, as in ``summary``. Quarters are financial (``filters.financial_quarter``).

Definitions not fixed by metrics.md, stated once here and in the page captions:
- share asking for a conversation / that became a complaint: over the feedback records where the question
  was answered (yes or no); a blank is unknown and left out of both sides;
- % upheld: complaints with outcome Upheld over complaints with a decided outcome (Upheld, Partly upheld,
  Not upheld); Withdrawn and not yet decided are left out. "Upheld or partly upheld" adds Partly upheld;
- % answered on time (metrics.md): ``closed_date <= response_due_date``, over closed complaints with a due date.
Every percentage carries its 95% Wilson interval (shown where n < 20).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from .filters import Filters, add_months, financial_quarter, part_quarter_labels, where
from .impact import wilson_interval
from .presentation import format_pct

SMALL_N = 20
CHANNELS = ("SFF under 13", "SFF 13 plus", "Email", "MOMO", "Other")
SENTIMENTS = ("Positive", "Mixed", "Negative")
STAGES = ("Stage 1", "Stage 2", "Stage 3", "Ombudsman")
OUTCOMES = ("Upheld", "Partly upheld", "Not upheld", "Withdrawn", "No outcome yet")
DECIDED = ("Upheld", "Partly upheld", "Not upheld")


def rate(k: int, n: int) -> dict:
    """k of n as a percentage with its Wilson interval (all None when n is 0)."""
    low, high = wilson_interval(int(k), int(n))
    return {"pct": k / n * 100 if n else None, "ci_low": low, "ci_high": high}


def pct_text(pct, low, high, n) -> str:
    """A percentage for display, with its 95% Wilson interval when it rests on fewer than 20 records."""
    if pct is None or pct != pct:
        return format_pct(None)
    text = format_pct(pct)
    return f"{text} ({format_pct(low)} to {format_pct(high)})" if n < SMALL_N else text


def months(f: Filters) -> list[str]:
    out, day = [], f.start
    while day <= f.end:
        out.append(day.strftime("%Y-%m"))
        day = add_months(day, 1)
    return out


def quarters(f: Filters) -> list[str]:
    """The period's financial quarters, a quarter it covers only in part labelled with its months in the
    period ('2025-26 Q3 (Nov–Dec only)'), as on the audit pages: its count is not the whole quarter's."""
    part = part_quarter_labels(f)
    qs = dict.fromkeys(financial_quarter(dt.date(int(m[:4]), int(m[5:]), 1)) for m in months(f))
    return [part.get(q, q) for q in qs]


def _with_periods(df: pd.DataFrame, date_col: str, f: Filters) -> pd.DataFrame:
    if "month" not in df:      # the row queries below give it from the database (formatting in pandas is slow)
        df["month"] = pd.to_datetime(df[date_col]).dt.strftime("%Y-%m")
    # The quarter depends on the month alone: worked out once per distinct month, not per row; a quarter the
    # period covers only in part says so.
    part = part_quarter_labels(f)
    quarter_of = {m: financial_quarter(dt.date(int(m[:4]), int(m[5:]), 1)) for m in df["month"].dropna().unique()}
    df["quarter"] = df["month"].map({m: part.get(q, q) for m, q in quarter_of.items()})
    return df


# --- feedback ------------------------------------------------------------------------------------
def feedback_rows(con, f: Filters) -> pd.DataFrame:
    """Feedback received in the period (no free text: the contract holds none)."""
    cond, params = where(f, "received_date")
    df = con.execute(
        "SELECT feedback_id, received_date, channel, sentiment, from_role, service, themes, "
        f"conversation_requested, became_complaint, responded_date, strftime(received_date, '%Y-%m') AS month "
        f"FROM feedback WHERE {cond} "
        "ORDER BY received_date, feedback_id", params).df()
    return _with_periods(df, "received_date", f)


def feedback_headline(con, f: Filters) -> dict:
    return _feedback_headline(feedback_rows(con, f))


def _feedback_headline(df: pd.DataFrame) -> dict:
    asked = df["conversation_requested"].dropna()
    became = df["became_complaint"].dropna()
    return {
        "received": len(df),
        **{s.lower(): int((df["sentiment"] == s).sum()) for s in SENTIMENTS},
        "conversation": {"n": len(asked), "yes": int(asked.sum()), **rate(int(asked.sum()), len(asked))},
        "complaint": {"n": len(became), "yes": int(became.sum()), **rate(int(became.sum()), len(became))},
    }


def feedback_volume(con, f: Filters, grain: str = "month") -> pd.DataFrame:
    """Feedback per period, channel and sentiment; every period, channel and sentiment listed (zeros too)."""
    return _feedback_volume(feedback_rows(con, f), f, grain)


def _feedback_volume(df: pd.DataFrame, f: Filters, grain: str) -> pd.DataFrame:
    periods = months(f) if grain == "month" else quarters(f)
    full = pd.MultiIndex.from_product([periods, CHANNELS, SENTIMENTS], names=["period", "channel", "sentiment"])
    counts = df.groupby([grain, "channel", "sentiment"]).size()
    counts.index.names = ["period", "channel", "sentiment"]
    return counts.reindex(full, fill_value=0).rename("n").reset_index()


def feedback_shares(con, f: Filters, grain: str = "month") -> pd.DataFrame:
    """Per period: answered and yes for 'asked for a conversation' and 'became a complaint', with rates."""
    return _feedback_shares(feedback_rows(con, f), f, grain)


def _feedback_shares(df: pd.DataFrame, f: Filters, grain: str) -> pd.DataFrame:
    rows = []
    for period in (months(f) if grain == "month" else quarters(f)):
        d = df[df[grain] == period]
        row = {"period": period, "received": len(d)}
        for key, col in (("conversation", "conversation_requested"), ("complaint", "became_complaint")):
            answered = d[col].dropna()
            r = rate(int(answered.sum()), len(answered))
            row.update({f"{key}_n": len(answered), f"{key}_yes": int(answered.sum()), f"{key}_pct": r["pct"],
                        f"{key}_ci_low": r["ci_low"], f"{key}_ci_high": r["ci_high"]})
        rows.append(row)
    return pd.DataFrame(rows)


def _themes(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (record, theme); a theme repeated within a record counts once."""
    t = df.explode("themes").dropna(subset=["themes"])
    t = t[t["themes"].str.strip() != ""]
    return t.drop_duplicates(subset=[t.columns[0], "themes"]).rename(columns={"themes": "theme"})


def feedback_themes(con, f: Filters) -> pd.DataFrame:
    """Themes ranked by the feedback records that mention them, split by sentiment.

    ``pct`` is the share of the period's feedback mentioning the theme; ``change_pts`` the change in that share
    from the period's second-last financial quarter to its last (None when either has no feedback).
    """
    return _feedback_themes(feedback_rows(con, f), f)


def _feedback_themes(df: pd.DataFrame, f: Filters, t: pd.DataFrame | None = None) -> pd.DataFrame:
    cols = ["rank", "theme", "n", "pct", *[s.lower() for s in SENTIMENTS], "last_quarter", "last_quarter_pct",
            "previous_quarter_pct", "change_pts"]
    t = _themes(df) if t is None else t
    if t.empty:
        return pd.DataFrame(columns=cols)
    out = t.groupby("theme").size().rename("n").to_frame()
    out["pct"] = out["n"] / len(df) * 100
    for s in SENTIMENTS:
        out[s.lower()] = t[t["sentiment"] == s].groupby("theme").size().reindex(out.index, fill_value=0)
    qs = quarters(f)
    last, prev = qs[-1], (qs[-2] if len(qs) > 1 else None)
    per_q = df.groupby("quarter").size()

    def share(q):
        total = int(per_q.get(q, 0)) if q else 0
        counts = t[t["quarter"] == q].groupby("theme").size().reindex(out.index, fill_value=0)
        return counts / total * 100 if total else pd.Series(None, index=out.index, dtype=float)

    out["last_quarter"] = last
    out["last_quarter_pct"] = share(last)
    out["previous_quarter_pct"] = share(prev)
    out["change_pts"] = out["last_quarter_pct"] - out["previous_quarter_pct"]
    out = out.reset_index().sort_values(["n", "theme"], ascending=[False, True], kind="stable")
    out.insert(0, "rank", range(1, len(out) + 1))
    return out[cols].reset_index(drop=True)


def feedback_theme_trend(con, f: Filters, top: int = 6) -> pd.DataFrame:
    """The ``top`` themes' share of each financial quarter's feedback (n = the quarter's feedback)."""
    return _feedback_theme_trend(feedback_rows(con, f), f, top)


def _feedback_theme_trend(df: pd.DataFrame, f: Filters, top: int = 6, t: pd.DataFrame | None = None) -> pd.DataFrame:
    t = _themes(df) if t is None else t    # (record, theme) pairs: made once for the ranking and the trend
    ranked = _feedback_themes(df, f, t)
    keep = list(ranked["theme"][:top])
    per_q = df.groupby("quarter").size()
    rows = []
    for q in quarters(f):
        total = int(per_q.get(q, 0))
        for theme in keep:
            k = int(((t["quarter"] == q) & (t["theme"] == theme)).sum())
            rows.append({"quarter": q, "theme": theme, "mentions": k, "feedback": total, **rate(k, total)})
    return pd.DataFrame(rows, columns=["quarter", "theme", "mentions", "feedback", "pct", "ci_low", "ci_high"])


# --- complaints ----------------------------------------------------------------------------------
def complaint_rows(con, f: Filters) -> pd.DataFrame:
    cond, params = where(f, "received_date")
    df = con.execute(
        "SELECT complaint_id, received_date, service, stage, themes, coalesce(outcome, 'No outcome yet') AS outcome, "
        f"response_due_date, closed_date, strftime(received_date, '%Y-%m') AS month FROM complaints WHERE {cond} "
        "ORDER BY received_date, complaint_id",
        params).df()
    df = _with_periods(df, "received_date", f)
    closed, due = pd.to_datetime(df["closed_date"]), pd.to_datetime(df["response_due_date"])
    df["judged"] = closed.notna() & due.notna()               # closed, with a due date
    df["on_time"] = df["judged"] & (closed <= due)
    return df


def _complaint_figures(d: pd.DataFrame) -> dict:
    decided = int(d["outcome"].isin(DECIDED).sum())
    upheld = int((d["outcome"] == "Upheld").sum())
    partly = int((d["outcome"] == "Partly upheld").sum())
    judged, on_time = int(d["judged"].sum()), int(d["on_time"].sum())
    out = {"received": len(d), "decided": decided, "upheld": upheld, "partly_upheld": partly}
    for key, k, n in (("upheld", upheld, decided), ("upheld_or_partly", upheld + partly, decided),
                      ("on_time", on_time, judged)):
        r = rate(k, n)
        out.update({f"{key}_pct": r["pct"], f"{key}_ci_low": r["ci_low"], f"{key}_ci_high": r["ci_high"]})
    out.update({"closed_with_due_date": judged, "on_time": on_time})
    return out


COMPLAINT_COLUMNS = ["received", "decided", "upheld", "partly_upheld", "upheld_pct", "upheld_ci_low",
                     "upheld_ci_high", "upheld_or_partly_pct", "upheld_or_partly_ci_low", "upheld_or_partly_ci_high",
                     "closed_with_due_date", "on_time", "on_time_pct", "on_time_ci_low", "on_time_ci_high"]


def complaint_headline(con, f: Filters) -> dict:
    return _complaint_figures(complaint_rows(con, f))


def complaints_by(con, f: Filters, by: str) -> pd.DataFrame:
    """Complaint figures per stage (all four listed), per theme (ranked), per outcome, or per quarter."""
    return _complaints_by(complaint_rows(con, f), f, by)


def _complaints_by(df: pd.DataFrame, f: Filters, by: str) -> pd.DataFrame:
    if by == "stage":
        keys, col = STAGES, "stage"
    elif by == "quarter":
        keys, col = quarters(f), "quarter"
    elif by == "theme":
        df = _themes(df)
        col = "theme"
        counts = df.groupby("theme").size().rename("n").reset_index()
        keys = list(counts.sort_values(["n", "theme"], ascending=[False, True])["theme"])
    elif by == "outcome":
        counts = df.groupby("outcome").size().reindex(OUTCOMES, fill_value=0)
        return pd.DataFrame({"outcome": OUTCOMES, "n": counts.values,
                             "pct": [k / len(df) * 100 if len(df) else None for k in counts.values]})
    else:
        raise ValueError(by)
    rows = [{by: k, **_complaint_figures(df[df[col] == k])} for k in keys]
    return pd.DataFrame(rows, columns=[by, *COMPLAINT_COLUMNS])


def page_figures(con, f: Filters) -> dict:
    """Everything the Voice page shows, from one fetch of feedback and one of complaints (not one per figure)."""
    fb, cdf = feedback_rows(con, f), complaint_rows(con, f)
    t = _themes(fb)
    return {"feedback": _feedback_headline(fb), "volume": _feedback_volume(fb, f, "month"),
            "shares": _feedback_shares(fb, f, "month"), "themes": _feedback_themes(fb, f, t),
            "theme_trend": _feedback_theme_trend(fb, f, t=t), "complaints": _complaint_figures(cdf),
            **{f"complaints_by_{by}": _complaints_by(cdf, f, by) for by in ("stage", "theme", "outcome")},
            "quarterly": _quarterly(fb, cdf, f)}


# --- the quarterly report ------------------------------------------------------------------------
def quarterly(con, f: Filters) -> pd.DataFrame:
    """One row per financial quarter of the period, as in the quarterly complaint and feedback reports."""
    return _quarterly(feedback_rows(con, f), complaint_rows(con, f), f)


def _quarterly(fb: pd.DataFrame, cdf: pd.DataFrame, f: Filters) -> pd.DataFrame:
    shares = _feedback_shares(fb, f, "quarter").set_index("period")
    comp = _complaints_by(cdf, f, "quarter").set_index("quarter")
    rows = []
    for q in quarters(f):
        d = fb[fb["quarter"] == q]
        row = {"quarter": q, "feedback": len(d)}
        row.update({c: int((d["channel"] == c).sum()) for c in CHANNELS})
        row.update({s.lower(): int((d["sentiment"] == s).sum()) for s in SENTIMENTS})
        row.update({k: shares.loc[q, k] for k in shares.columns if k.startswith(("conversation", "complaint"))})
        c = cdf[cdf["quarter"] == q]
        row["complaints"] = len(c)
        row.update({s: int((c["stage"] == s).sum()) for s in STAGES})
        row.update({k: comp.loc[q, k] for k in COMPLAINT_COLUMNS if k != "received"})
        rows.append(row)
    return pd.DataFrame(rows)


QUARTERLY_RATES = (  # (label, key, denominator column)
    ("Asked for a conversation", "conversation", "conversation_n"),
    ("Became a complaint", "complaint", "complaint_n"),
    ("Upheld", "upheld", "decided"),
    ("Upheld or partly upheld", "upheld_or_partly", "decided"),
    ("Answered on time", "on_time", "closed_with_due_date"),
)


def quarterly_view(q: pd.DataFrame) -> pd.DataFrame:
    """The quarterly table as the report prints it: counts, and percentages with n (and a range under 20)."""
    out = q[["quarter", "feedback", *CHANNELS, "positive", "mixed", "negative"]].rename(
        columns={"quarter": "Quarter", "feedback": "Feedback", "positive": "Positive", "mixed": "Mixed",
                 "negative": "Negative"})
    for label, key, n_col in QUARTERLY_RATES[:2]:
        out[label] = [pct_text(r[f"{key}_pct"], r[f"{key}_ci_low"], r[f"{key}_ci_high"], r[n_col])
                      for _, r in q.iterrows()]
        out[f"{label} (n)"] = q[n_col]
    out["Complaints"] = q["complaints"]
    for s in STAGES:
        out[s] = q[s]
    for label, key, n_col in QUARTERLY_RATES[2:]:
        out[label] = [pct_text(r[f"{key}_pct"], r[f"{key}_ci_low"], r[f"{key}_ci_high"], r[n_col])
                      for _, r in q.iterrows()]
        out[f"{label} (n)"] = q[n_col]
    return out
