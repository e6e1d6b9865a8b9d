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


# --- the counts every figure is summed from -----------------------------------------------------------
# The page's figures are sums over a few small groups (month x channel x sentiment x the two yes/no answers;
# month x theme x sentiment; ...), so the database counts the groups and Python adds them up: the period's
# rows never leave the database.
def _quarter_map(f: Filters) -> dict[str, str]:
    """Month (YYYY-MM) -> the quarter label it counts under (a quarter the period covers in part says so)."""
    part = part_quarter_labels(f)
    out = {}
    for m in months(f):
        q = financial_quarter(dt.date(int(m[:4]), int(m[5:]), 1))
        out[m] = part.get(q, q)
    return out


# A record naming a theme twice counts once: only its first occurrence of each theme is kept (cheaper than
# list_distinct). A blank theme is dropped after grouping (its spelling decides, not the record).
_FIRST_THEMES = "unnest(themes) AS theme, unnest(generate_series(1, len(themes))) AS i"
_FIRST_THEME_KEPT = "list_position(themes, theme) = i"


# The roll-ups the counts are read from (refreshed at load time, ``database.DERIVED_GROUPS`` "voice"): the
# counts above per month and service, so a period's figures add up a few thousand rows, not every record.
# A period is whole months and the service filter is on a column kept here, so ``where(f, "month")`` selects
# exactly the records ``where(f, "received_date")`` does. A record's themes: its first naming of each.
_COMPLAINT_COLS = ("coalesce(outcome, 'No outcome yet') AS outcome, "
                   "coalesce(closed_date IS NOT NULL AND response_due_date IS NOT NULL, false) AS judged, "
                   "coalesce(closed_date <= response_due_date, false) AS on_time")
ROLLUPS = {
    "feedback_months": "SELECT CAST(date_trunc('month', received_date) AS DATE) AS month, service, channel, sentiment, "
                       "conversation_requested, became_complaint, count(*) AS n FROM feedback GROUP BY ALL",
    "feedback_theme_months": f"SELECT month, service, sentiment, theme, count(*) AS n FROM ("
                             f"SELECT CAST(date_trunc('month', received_date) AS DATE) AS month, service, sentiment, "
                             f"themes, {_FIRST_THEMES} FROM feedback) WHERE {_FIRST_THEME_KEPT} GROUP BY ALL",
    "complaint_months": f"SELECT CAST(date_trunc('month', received_date) AS DATE) AS month, service, stage, "
                        f"{_COMPLAINT_COLS}, count(*) AS n FROM complaints GROUP BY ALL",
    "complaint_theme_months": f"SELECT month, service, theme, outcome, judged, on_time, count(*) AS n FROM ("
                              f"SELECT CAST(date_trunc('month', received_date) AS DATE) AS month, service, "
                              f"{_COMPLAINT_COLS}, themes, {_FIRST_THEMES} FROM complaints) "
                              f"WHERE {_FIRST_THEME_KEPT} GROUP BY ALL",
}


def refresh(con) -> None:
    """Rebuild the Voice roll-ups from feedback and complaints (inside the write that changed them)."""
    for name, sql in ROLLUPS.items():
        con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql} ORDER BY month")


def _counts(con, f: Filters) -> tuple[list, list, list, list]:
    """The four counts below from one query (a query's planning costs more than adding up its rows):
    feedback (month, channel, sentiment, conversation_requested, became_complaint, n), feedback themes
    (month, theme, sentiment, n), complaints (month, stage, outcome, judged, on_time, n) and complaint themes
    (theme, outcome, judged, on_time, n); judged = closed with a due date, on_time = judged and closed by it.
    A blank theme is dropped (after grouping: its spelling decides, not the record)."""
    cond, params = where(f, "month")
    parts = [
        "SELECT 0, strftime(month, '%Y-%m'), channel, sentiment, conversation_requested, became_complaint, "
        f"CAST(sum(n) AS BIGINT) FROM feedback_months WHERE {cond} GROUP BY ALL",
        f"SELECT 1, strftime(month, '%Y-%m'), theme, sentiment, NULL, NULL, CAST(sum(n) AS BIGINT) "
        f"FROM feedback_theme_months WHERE {cond} GROUP BY ALL",
        f"SELECT 2, strftime(month, '%Y-%m'), stage, outcome, judged, on_time, CAST(sum(n) AS BIGINT) "
        f"FROM complaint_months WHERE {cond} GROUP BY ALL",
        f"SELECT 3, NULL, theme, outcome, judged, on_time, CAST(sum(n) AS BIGINT) FROM complaint_theme_months "
        f"WHERE {cond} GROUP BY ALL"]
    out: tuple[list, list, list, list] = ([], [], [], [])
    for kind, *row in con.execute(" UNION ALL ".join(parts), params * len(parts)).fetchall():
        if kind == 0:
            out[0].append(tuple(row))
        elif kind == 1:
            if row[1] is not None and row[1].strip() != "":
                out[1].append((row[0], row[1], row[2], row[5]))
        elif kind == 2:
            out[2].append(tuple(row))
        elif row[1] is not None and row[1].strip() != "":
            out[3].append(tuple(row[1:]))
    return out


def _feedback_counts(con, f: Filters) -> tuple[list, list]:
    """(month, channel, sentiment, conversation_requested, became_complaint, n) and
    (month, theme, sentiment, n) of the period's feedback."""
    return _counts(con, f)[:2]


def _complaint_counts(con, f: Filters) -> tuple[list, list]:
    """(month, stage, outcome, judged, on_time, n) and (theme, outcome, judged, on_time, n) of the period's
    complaints; judged = closed with a due date, on_time = judged and closed by it."""
    return _counts(con, f)[2:]


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


def _answers(rows) -> dict:
    """Received, per sentiment, and the two yes/no questions (answered and yes) over feedback count rows."""
    out = {"received": 0, **{s: 0 for s in SENTIMENTS}, "conversation_n": 0, "conversation_yes": 0,
           "complaint_n": 0, "complaint_yes": 0}
    for _, _, sentiment, conversation, became, n in rows:
        out["received"] += n
        if sentiment in out:
            out[sentiment] += n
        if conversation is not None:
            out["conversation_n"] += n
            out["conversation_yes"] += n if conversation else 0
        if became is not None:
            out["complaint_n"] += n
            out["complaint_yes"] += n if became else 0
    return out


def feedback_headline(con, f: Filters) -> dict:
    return _feedback_headline(_feedback_counts(con, f)[0])


def _feedback_headline(rows) -> dict:
    a = _answers(rows)
    return {
        "received": a["received"],
        **{s.lower(): a[s] for s in SENTIMENTS},
        "conversation": {"n": a["conversation_n"], "yes": a["conversation_yes"],
                         **rate(a["conversation_yes"], a["conversation_n"])},
        "complaint": {"n": a["complaint_n"], "yes": a["complaint_yes"], **rate(a["complaint_yes"], a["complaint_n"])},
    }


def feedback_volume(con, f: Filters, grain: str = "month") -> pd.DataFrame:
    """Feedback per period, channel and sentiment; every period, channel and sentiment listed (zeros too)."""
    return _feedback_volume(_feedback_counts(con, f)[0], f, grain)


def _period_of(f: Filters, grain: str):
    if grain == "month":
        return lambda m: m
    return _quarter_map(f).get


def _feedback_volume(rows, f: Filters, grain: str) -> pd.DataFrame:
    periods = months(f) if grain == "month" else quarters(f)
    period_of = _period_of(f, grain)
    counts: dict = {}
    for month, channel, sentiment, _, _, n in rows:
        key = (period_of(month), channel, sentiment)
        counts[key] = counts.get(key, 0) + n
    full = [(p, c, s) for p in periods for c in CHANNELS for s in SENTIMENTS]
    return pd.DataFrame({"period": [k[0] for k in full], "channel": [k[1] for k in full],
                         "sentiment": [k[2] for k in full],
                         "n": pd.array([counts.get(k, 0) for k in full], dtype="int64")})


def feedback_shares(con, f: Filters, grain: str = "month") -> pd.DataFrame:
    """Per period: answered and yes for 'asked for a conversation' and 'became a complaint', with rates."""
    return _feedback_shares(_feedback_counts(con, f)[0], f, grain)


def _by_period(rows, f: Filters, grain: str) -> dict[str, list]:
    period_of = _period_of(f, grain)
    out: dict[str, list] = {}
    for r in rows:
        out.setdefault(period_of(r[0]), []).append(r)
    return out


def _share_row(period: str, rows) -> dict:
    a = _answers(rows)
    row = {"period": period, "received": a["received"]}
    for key in ("conversation", "complaint"):
        n, yes = a[f"{key}_n"], a[f"{key}_yes"]
        r = rate(yes, n)
        row.update({f"{key}_n": n, f"{key}_yes": yes, f"{key}_pct": r["pct"],
                    f"{key}_ci_low": r["ci_low"], f"{key}_ci_high": r["ci_high"]})
    return row


def _feedback_shares(rows, f: Filters, grain: str) -> pd.DataFrame:
    per = _by_period(rows, f, grain)
    return pd.DataFrame([_share_row(p, per.get(p, [])) for p in (months(f) if grain == "month" else quarters(f))])


def feedback_themes(con, f: Filters) -> pd.DataFrame:
    """Themes ranked by the feedback records that mention them, split by sentiment.

    ``pct`` is the share of the period's feedback mentioning the theme; ``change_pts`` the change in that share
    from the period's second-last financial quarter to its last (None when either has no feedback).
    """
    return _feedback_themes(*_feedback_counts(con, f), f)


def _feedback_themes(rows, theme_rows, f: Filters) -> pd.DataFrame:
    cols = ["rank", "theme", "n", "pct", *[s.lower() for s in SENTIMENTS], "last_quarter", "last_quarter_pct",
            "previous_quarter_pct", "change_pts"]
    if not theme_rows:
        return pd.DataFrame(columns=cols)
    received = sum(r[-1] for r in rows)
    quarter_of = _quarter_map(f)
    per_q: dict = {}
    for r in rows:
        per_q[quarter_of.get(r[0])] = per_q.get(quarter_of.get(r[0]), 0) + r[-1]
    qs = quarters(f)
    last, prev = qs[-1], (qs[-2] if len(qs) > 1 else None)
    themes: dict = {}
    for month, theme, sentiment, n in theme_rows:
        t = themes.setdefault(theme, {"n": 0, **{s: 0 for s in SENTIMENTS}, "q": {}})
        t["n"] += n
        if sentiment in t:
            t[sentiment] += n
        q = quarter_of.get(month)
        t["q"][q] = t["q"].get(q, 0) + n

    def share(t, q):
        total = per_q.get(q, 0) if q else 0
        return t["q"].get(q, 0) / total * 100 if total else None

    ranked = sorted(themes.items(), key=lambda kv: (-kv[1]["n"], kv[0]))
    out = pd.DataFrame({
        "rank": range(1, len(ranked) + 1), "theme": [k for k, _ in ranked],
        "n": pd.array([t["n"] for _, t in ranked], dtype="int64"),
        "pct": [t["n"] / received * 100 for _, t in ranked],
        **{s.lower(): pd.array([t[s] for _, t in ranked], dtype="int64") for s in SENTIMENTS},
        "last_quarter": last,
        "last_quarter_pct": pd.array([share(t, last) for _, t in ranked], dtype="float64"),
        "previous_quarter_pct": pd.array([share(t, prev) for _, t in ranked], dtype="float64"),
    })
    out["change_pts"] = out["last_quarter_pct"] - out["previous_quarter_pct"]
    return out[cols]


def feedback_theme_trend(con, f: Filters, top: int = 6) -> pd.DataFrame:
    """The ``top`` themes' share of each financial quarter's feedback (n = the quarter's feedback)."""
    return _feedback_theme_trend(*_feedback_counts(con, f), f, top)


def _feedback_theme_trend(rows, theme_rows, f: Filters, top: int = 6,
                          ranked: pd.DataFrame | None = None) -> pd.DataFrame:
    ranked = _feedback_themes(rows, theme_rows, f) if ranked is None else ranked
    keep = list(ranked["theme"][:top])
    quarter_of = _quarter_map(f)
    per_q: dict = {}
    for r in rows:
        per_q[quarter_of.get(r[0])] = per_q.get(quarter_of.get(r[0]), 0) + r[-1]
    mentions: dict = {}
    for month, theme, _, n in theme_rows:
        key = (quarter_of.get(month), theme)
        mentions[key] = mentions.get(key, 0) + n
    out = []
    for q in quarters(f):
        total = per_q.get(q, 0)
        for theme in keep:
            k = mentions.get((q, theme), 0)
            out.append({"quarter": q, "theme": theme, "mentions": k, "feedback": total, **rate(k, total)})
    return pd.DataFrame(out, columns=["quarter", "theme", "mentions", "feedback", "pct", "ci_low", "ci_high"])


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


def _complaint_figures(rows) -> dict:
    """Figures over complaint count rows, each ending (..., outcome, judged, on_time, n)."""
    received = decided = upheld = partly = judged = on_time = 0
    for *_, outcome, is_judged, is_on_time, n in rows:
        received += n
        decided += n if outcome in DECIDED else 0
        upheld += n if outcome == "Upheld" else 0
        partly += n if outcome == "Partly upheld" else 0
        judged += n if is_judged else 0
        on_time += n if is_on_time else 0
    out = {"received": received, "decided": decided, "upheld": upheld, "partly_upheld": partly}
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
    return _complaint_figures(_complaint_counts(con, f)[0])


def complaints_by(con, f: Filters, by: str) -> pd.DataFrame:
    """Complaint figures per stage (all four listed), per theme (ranked), per outcome, or per quarter."""
    return _complaints_by(*_complaint_counts(con, f), f, by)


def _complaints_by(rows, theme_rows, f: Filters, by: str) -> pd.DataFrame:
    if by == "stage":
        keys, groups = STAGES, {}
        for r in rows:
            groups.setdefault(r[1], []).append(r)
    elif by == "quarter":
        keys, groups = quarters(f), _by_period(rows, f, "quarter")
    elif by == "theme":
        groups = {}
        for r in theme_rows:
            groups.setdefault(r[0], []).append(r)
        keys = sorted(groups, key=lambda t: (-sum(r[-1] for r in groups[t]), t))
    elif by == "outcome":
        received = sum(r[-1] for r in rows)
        counts = {o: 0 for o in OUTCOMES}
        for r in rows:
            if r[2] in counts:
                counts[r[2]] += r[-1]
        return pd.DataFrame({"outcome": OUTCOMES, "n": pd.array(list(counts.values()), dtype="int64"),
                             "pct": [k / received * 100 if received else None for k in counts.values()]})
    else:
        raise ValueError(by)
    out = [{by: k, **_complaint_figures(groups.get(k, []))} for k in keys]
    return pd.DataFrame(out, columns=[by, *COMPLAINT_COLUMNS])


def page_figures(con, f: Filters) -> dict:
    """Everything the Voice page shows, from one count of feedback and one of complaints (not one per figure)."""
    fb, fb_themes, comp, comp_themes = _counts(con, f)
    ranked = _feedback_themes(fb, fb_themes, f)
    return {"feedback": _feedback_headline(fb), "volume": _feedback_volume(fb, f, "month"),
            "shares": _feedback_shares(fb, f, "month"), "themes": ranked,
            "theme_trend": _feedback_theme_trend(fb, fb_themes, f, ranked=ranked),
            "complaints": _complaint_figures(comp),
            **{f"complaints_by_{by}": _complaints_by(comp, comp_themes, f, by) for by in ("stage", "theme", "outcome")},
            "quarterly": _quarterly(fb, comp, f)}


# --- the quarterly report ------------------------------------------------------------------------
def quarterly(con, f: Filters) -> pd.DataFrame:
    """One row per financial quarter of the period, as in the quarterly complaint and feedback reports."""
    fb, _, comp, _ = _counts(con, f)
    return _quarterly(fb, comp, f)


def _quarterly(fb, comp, f: Filters) -> pd.DataFrame:
    fb_q, comp_q = _by_period(fb, f, "quarter"), _by_period(comp, f, "quarter")
    out = []
    for q in quarters(f):
        d = fb_q.get(q, [])
        row = {"quarter": q, "feedback": sum(r[-1] for r in d)}
        row.update({c: sum(r[-1] for r in d if r[1] == c) for c in CHANNELS})
        row.update({s.lower(): sum(r[-1] for r in d if r[2] == s) for s in SENTIMENTS})
        row.update({k: v for k, v in _share_row(q, d).items() if k.startswith(("conversation", "complaint"))})
        c = comp_q.get(q, [])
        row["complaints"] = sum(r[-1] for r in c)
        row.update({s: sum(r[-1] for r in c if r[1] == s) for s in STAGES})
        figures = _complaint_figures(c)
        row.update({k: figures[k] for k in COMPLAINT_COLUMNS if k != "received"})
        out.append(row)
    return pd.DataFrame(out)


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
    # What adds up, for small-number suppression (exports.for_circulation): a hidden channel, sentiment or stage
    # must not come back from its quarter's total.
    out.attrs["sums"] = [("Feedback", list(CHANNELS)), ("Feedback", ["Positive", "Mixed", "Negative"]),
                         ("Complaints", list(STAGES))]
    return out
