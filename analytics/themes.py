"""The theme explorer: everywhere one theme appears across the strands of evidence, over time.

Theme names are matched through the configured synonym table (``theme_synonyms``: canonical name → synonyms),
ignoring case, spacing and typographic apostrophes (``config.fold``); a name in no entry of the table is its
own theme. A theme whose canonical name or a synonym is a configured pillar brings that pillar's grades in.

Each strand yields *mentions* (one row per record that names the theme, counted once however many of its
names match), placed in the month of the strand's main date and filtered like every dataset (period and
service, via ``filters.where``):

=====================  =========================  =====================================================
strand                 one mention is             date, theme column
=====================  =========================  =====================================================
Pillar grades          a pillar grade             the audit's date; the pillar (audit filters apply)
Dip sample findings    a finding                  its dip sample's first ``sample_date``; ``theme_tag``
Dip samples            a record reviewed          ``sample_date``; the dip sample's ``theme``
Feedback               a form                     ``received_date``; ``themes``
Complaints             a complaint                ``received_date``; ``themes``
Escalations            an escalation              ``raised_date``; ``themes``
Learning actions       an action                  ``raised_date``; ``theme``
Reviews                a review                   ``review_date``; ``themes``
Reflective activities  an activity                ``activity_date``; ``theme``
Interventions          an intervention            ``start_date``; ``target_theme``
=====================  =========================  =====================================================

A finding's dip sample may cover several services: it is kept when any of them is in the filter.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from .config import Config, fold, tidy
from .escaping import md
from .filters import Filters, add_months, month_start, where
from .frames import fetch_df
from .impact import wilson_interval
from .presentation import format_pct

SMALL_N = 20


@dataclasses.dataclass(frozen=True)
class Strand:
    key: str
    label: str
    one: str       # the noun for one mention
    many: str


STRANDS = (
    Strand("pillar", "Pillar grades", "pillar grade", "pillar grades"),
    Strand("finding", "Dip sample findings", "dip sample finding", "dip sample findings"),
    Strand("dip", "Dip samples", "dip sample record", "dip sample records"),
    Strand("feedback", "Feedback", "feedback form", "feedback forms"),
    Strand("complaint", "Complaints", "complaint", "complaints"),
    Strand("escalation", "Escalations", "escalation", "escalations"),
    Strand("action", "Learning actions", "learning action", "learning actions"),
    Strand("review", "Reviews", "review", "reviews"),
    Strand("activity", "Reflective activities", "reflective activity", "reflective activities"),
    Strand("intervention", "Interventions", "intervention", "interventions"),
)
BY_KEY = {s.key: s for s in STRANDS}
# Strands whose evidence is a row per child's record (an audit's pillar grade, a family's feedback or complaint,
# an escalation about a child): never offered for circulation.
RECORD_STRANDS = frozenset({"pillar", "feedback", "complaint", "escalation"})


# --- names ------------------------------------------------------------------------------------
def synonym_lookup(config: Config) -> dict[str, str]:
    """fold(name) -> canonical theme, for every canonical name and synonym configured."""
    out: dict[str, str] = {}
    for canonical, synonyms in (config.raw.get("theme_synonyms") or {}).items():
        for name in [canonical, *synonyms]:
            out.setdefault(fold(name), canonical)
    return out


def canonical(name: str, lookup: dict[str, str]) -> str:
    """The canonical theme a name belongs to (the name itself, tidied, when no entry lists it)."""
    return lookup.get(fold(name), tidy(name))


def names_of(theme: str, config: Config) -> set[str]:
    """Every folded name that means ``theme``."""
    lookup = synonym_lookup(config)
    key = lookup.get(fold(theme), theme)
    return {k for k, v in lookup.items() if v == key} | {fold(theme)}


def pillar_for(theme: str, config: Config) -> str | None:
    """The configured pillar a theme maps to through its names, if any."""
    names = names_of(theme, config)
    return next((p for p in config.pillars if fold(p) in names), None)


# --- mentions -----------------------------------------------------------------------------------
def _queries(f: Filters) -> dict[str, tuple[str, list]]:
    """Per strand: SQL giving ref, date, service, name (one row per name), detail columns; and its params."""
    q: dict[str, tuple[str, list]] = {}
    cond, p = where(f, "audit_date", audit_columns=True)
    q["pillar"] = (f"""SELECT audit_id AS ref, audit_date AS date, service, pillar AS name, final_grade AS grade,
                             final_rank AS rank, provisional
                      FROM audit_pillars_final WHERE {cond}""", p)
    services = f.effective_services()
    svc = "" if services is None else " AND list_has_any(d.services, ?)"
    # A dip sample across several services: its findings are listed under the viewer's services only.
    shown = "d.services" if services is None else "list_intersect(d.services, ?)"
    viewer = [] if services is None else [list(services)]
    q["finding"] = (f"""WITH d AS (SELECT dip_sample_id, any_value(theme) AS dip_theme, min(sample_date) AS date,
                                        list(DISTINCT service ORDER BY service) AS services
                                 FROM dip_samples GROUP BY 1)
                        SELECT x.finding_id AS ref, d.date, array_to_string({shown}, '; ') AS service,
                               x.theme_tag AS name, x.dip_sample_id, d.dip_theme, x.finding_type, x.summary
                        FROM dip_sample_findings x JOIN d USING (dip_sample_id)
                        WHERE d.date BETWEEN ? AND ?{svc}""",
                    viewer + [f.start, f.end] + viewer)
    cond, p = where(f, "sample_date")
    q["dip"] = (f"""SELECT dip_sample_id || ' · ' || child_ref AS ref, sample_date AS date, service, theme AS name,
                           dip_sample_id, g.rank, criteria_met, criteria_total
                    FROM dip_samples LEFT JOIN grade_scale g ON g.label = grade WHERE {cond}""", p)
    cond, p = where(f, "received_date")
    q["feedback"] = (f"""SELECT feedback_id AS ref, received_date AS date, service, unnest(themes) AS name, channel,
                                sentiment, from_role FROM feedback WHERE {cond}""", p)
    q["complaint"] = (f"""SELECT complaint_id AS ref, received_date AS date, service, unnest(themes) AS name, stage,
                                 outcome, response_due_date, closed_date FROM complaints WHERE {cond}""", p)
    cond, p = where(f, "raised_date")
    q["escalation"] = (f"""SELECT escalation_id AS ref, raised_date AS date, service, unnest(themes) AS name,
                                  raised_by, stage, resolved_date, outcome FROM escalations WHERE {cond}""", p)
    q["action"] = (f"""SELECT action_id AS ref, raised_date AS date, service, theme AS name, source, source_ref,
                              status, due_date, completed_date FROM learning_actions WHERE {cond}""", p)
    cond, p = where(f, "review_date")
    q["review"] = (f"""SELECT review_id AS ref, review_date AS date, service, unnest(themes) AS name, review_type,
                              title FROM reviews WHERE {cond}""", p)
    cond, p = where(f, "activity_date")
    q["activity"] = (f"""SELECT activity_id AS ref, activity_date AS date, service, theme AS name, level, kind,
                                audit_id FROM reflective_activities WHERE {cond} AND theme IS NOT NULL""", p)
    cond, p = where(f, "start_date")
    q["intervention"] = (f"""SELECT intervention_id AS ref, start_date AS date, service, target_theme AS name,
                                    name AS intervention, kind, end_date, target_pillar, target_kpi
                             FROM interventions WHERE {cond} AND target_theme IS NOT NULL""", p)
    return q


# The strands whose records' themes are counted per month and service at load time (voice.ROLLUPS,
# escalations.ROLLUPS: each record's first naming of each spelling): their spellings and counts are read there,
# not from every record of the period. ``where(f, "month")`` selects the same records as the date column does.
ROLLED_UP = {"feedback": "feedback_theme_months", "complaint": "complaint_theme_months",
             "escalation": "escalation_theme_months"}


def _pillars_rolled_up(f: Filters) -> bool:
    """Whether the pillar strand's names and counts can come from ``pillar_rollup`` (rollups.py: pillar grades
    per month, service and pillar), which keeps no team, cohort or auditor role: only without those filters."""
    return f.teams is None and f.cohorts is None and f.auditor_roles is None


def _distinct_names(con, queries: dict[str, tuple[str, list]], f: Filters) -> dict[str, list[str]]:
    """Per strand, the distinct theme spellings its records use in the period (one query for all strands)."""
    parts, params = [], []
    for key, (sql, p) in queries.items():
        if key == "pillar" and _pillars_rolled_up(f):
            cond, p = where(f, "month")
            parts.append(f"SELECT ? AS strand, pillar AS name FROM pillar_rollup WHERE {cond} GROUP BY pillar")
        elif key in ROLLED_UP:
            cond, p = where(f, "month")
            parts.append(f"SELECT ? AS strand, theme AS name FROM {ROLLED_UP[key]} WHERE {cond} AND theme IS NOT NULL "
                         "GROUP BY theme")
        else:
            parts.append(f"SELECT ? AS strand, name FROM ({sql}) WHERE name IS NOT NULL GROUP BY name")
        params += [key] + p
    out: dict[str, list[str]] = {key: [] for key in queries}
    for key, name in con.execute(" UNION ALL ".join(parts), params).fetchall():
        out[key].append(name)
    return out


# The strands of the big tables: their mentions come through Arrow (``frames.fetch_df``), much faster for many
# rows; the others through ``.df()``, which costs less for a few hundred.
BIG_STRANDS = ("pillar", "feedback", "escalation")


def _fetch(key: str, con, sql: str, params: list) -> pd.DataFrame:
    return fetch_df(con, sql, params) if key in BIG_STRANDS else con.execute(sql, params).df()


def all_mentions(con, f: Filters, config: Config, only: str | None = None) -> dict[str, pd.DataFrame]:
    """Per strand, the period's records with their canonical theme (one row per record and theme).

    With ``only``, just the records naming that theme (and the pillar strand only when it maps to a pillar).
    """
    lookup = synonym_lookup(config)
    wanted = names_of(only, config) if only is not None else None
    pillar = pillar_for(only, config) if only is not None else None
    queries = _queries(f)
    spelled = _distinct_names(con, queries, f) if only is not None else {}
    out = {}
    for key, (sql, params) in queries.items():
        if key == "pillar" and only is not None and pillar is None:
            continue
        if wanted is not None:
            # Only the records naming the theme leave the database, with the theme: the spellings that fold
            # into one of its names are picked here, from the few distinct ones.
            names = [n for n in spelled[key] if fold(n) in wanted]
            # No spelling of the theme in this strand: its columns only (no rows to look for).
            df = _fetch(key, con, f"SELECT *, ?::VARCHAR AS theme FROM ({sql}) WHERE list_contains(?::VARCHAR[], name)"
                        + ("" if names else " LIMIT 0"), [only] + params + [names])
            if df.empty:
                df = df.assign(theme=pd.Series(dtype=str))
            # A record names the theme once, unless it lists several themes (it may repeat one) or the theme has
            # several spellings here: only then can a record give two rows (a pillar grade is one per audit).
            if key in LIST_STRANDS or len(names) > 1:
                df = df.drop_duplicates(["ref", "theme"]).reset_index(drop=True)
            out[key] = df
            continue
        df = _fetch(key, con, sql, params)
        if df.empty:
            out[key] = df.assign(theme=pd.Series(dtype=str))
            continue
        df = df[df["name"].notna()]
        # Folding and synonyms once per distinct name (a few dozen), not per mention (hundreds of thousands).
        names = df["name"].unique()
        df = df.assign(theme=df["name"].map({n: canonical(n, lookup) for n in names}))
        # One mention per record and theme, however many of its names match.
        out[key] = df.drop_duplicates(["ref", "theme"]).reset_index(drop=True)
    return out


# The strands whose records name several themes (a list), with their table and date column: their counts
# keep one mention per record and spelling (the first occurrence) without a DISTINCT over the mentions.
LIST_STRANDS = {"feedback": ("feedback", "received_date"), "complaint": ("complaints", "received_date"),
                "escalation": ("escalations", "raised_date"), "review": ("reviews", "review_date")}


def _name_counts(con, f: Filters, queries: dict[str, tuple[str, list]]) -> list[tuple[str, str, int]]:
    """(strand, spelling, records naming it) for every spelling used in the period (one query)."""
    parts, params = [], []
    for key, (sql, p) in queries.items():
        if key == "pillar" and _pillars_rolled_up(f):
            cond, p = where(f, "month")
            parts.append(f"SELECT ? AS strand, pillar AS name, sum(n) AS n FROM pillar_rollup WHERE {cond} "
                         "GROUP BY pillar")
        elif key in ROLLED_UP:
            cond, p = where(f, "month")
            parts.append(f"SELECT ? AS strand, theme AS name, sum(n) AS n FROM {ROLLED_UP[key]} "
                         f"WHERE {cond} AND theme IS NOT NULL GROUP BY theme")
        elif key in LIST_STRANDS:
            table, date_col = LIST_STRANDS[key]
            cond, p = where(f, date_col)
            parts.append(f"""SELECT ? AS strand, name, count(*) AS n FROM (
                                 SELECT themes, unnest(themes) AS name, unnest(generate_series(1, len(themes))) AS i
                                 FROM {table} WHERE {cond})
                             WHERE name IS NOT NULL AND list_position(themes, name) = i GROUP BY name""")
        elif key == "pillar":
            # One grade per audit and pillar (the key of audit_pillars): a count is the audits naming it.
            parts.append(f"SELECT ? AS strand, name, count(*) AS n FROM ({sql}) WHERE name IS NOT NULL GROUP BY name")
        else:
            parts.append(f"SELECT ? AS strand, name, count(DISTINCT ref) AS n FROM ({sql}) "
                         "WHERE name IS NOT NULL GROUP BY name")
        params += [key] + p
    return con.execute(" UNION ALL ".join(parts), params).fetchall()


def theme_options(con, f: Filters, config: Config) -> pd.DataFrame:
    """Every theme named in the period, with its mentions and the strands it appears in (most strands first).
    Pillar grades count for a theme only through the synonym table (their names are pillars, not themes)."""
    queries = _queries(f)
    lookup = synonym_lookup(config)
    # Each distinct spelling is mapped to its canonical theme in Python (a few dozen). A record naming a theme
    # twice counts once: a theme with one spelling in a strand takes that spelling's count of records; one
    # with several spellings there is counted again in the database, distinct records over its spellings.
    spellings: dict[tuple[str, str], list[str]] = {}
    counts: dict[tuple[str, str], int] = {}
    for key, name, n in _name_counts(con, f, queries):
        theme = canonical(name, lookup)
        spellings.setdefault((key, theme), []).append(name)
        counts[(key, theme)] = counts.get((key, theme), 0) + int(n)
    parts, params = [], []
    for (key, theme), names in spellings.items():
        if len(names) > 1:
            sql, p = queries[key]
            parts.append(f"SELECT ?, ?, count(DISTINCT ref) FROM ({sql}) WHERE list_contains(?::VARCHAR[], name)")
            params += [key, theme] + p + [names]
    if parts:
        for key, theme, n in con.execute(" UNION ALL ".join(parts), params).fetchall():
            counts[(key, theme)] = int(n)
    present = [s for s in STRANDS if any(k == s.key for k, _ in counts)]
    if not present:
        return pd.DataFrame(columns=["theme", "strands", "mentions"])
    # A pillar's own name is a theme only when the synonym table maps it to one (then it is named elsewhere too).
    other = [s.key for s in present if s.key != "pillar"]
    rows = []
    for theme in sorted({t for _, t in counts}):
        cells = [counts.get((s.key, theme), 0) for s in present]
        mentions = sum(counts.get((k, theme), 0) for k in other)
        if any(counts.get((k, theme), 0) > 0 for k in other):
            rows.append((theme, sum(c > 0 for c in cells), mentions, *cells))
    rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
    out = pd.DataFrame(rows, columns=["theme", "strands", "mentions", *[s.label for s in present]])
    return out.astype({c: "int64" for c in out.columns if c != "theme"})


# --- one theme ----------------------------------------------------------------------------------
def months_of(f: Filters) -> list[str]:
    months, day = [], month_start(f.month_from)
    while day <= f.end:
        months.append(day.strftime("%Y-%m"))
        day = add_months(day, 1)
    return months


def monthly(mentions: dict[str, pd.DataFrame], f: Filters) -> pd.DataFrame:
    """Mentions per strand and month, every month of the period listed (0 included), for the strands with any
    mention; pillar grades also split by grade (rank, grade) for the stacked bars."""
    months = months_of(f)
    rows = []
    for s in STRANDS:
        df = mentions.get(s.key)
        if df is None or df.empty:
            continue
        month = pd.to_datetime(df["date"]).dt.strftime("%Y-%m")
        counts = month.value_counts()
        for m in months:
            rows.append({"strand": s.label, "month": m, "n": int(counts.get(m, 0))})
    return pd.DataFrame(rows, columns=["strand", "month", "n"])


def pillar_monthly(mentions: dict[str, pd.DataFrame], f: Filters, config: Config) -> pd.DataFrame:
    """The matching pillar's grades per month and final grade (every grade and month listed)."""
    df = mentions.get("pillar")
    if df is None or df.empty:
        return pd.DataFrame(columns=["month", "grade", "rank", "n"])
    month = pd.to_datetime(df["date"]).dt.strftime("%Y-%m")
    counts = df.assign(month=month).groupby(["month", "rank"]).size()
    return pd.DataFrame([{"month": m, "grade": label, "rank": r, "n": int(counts.get((m, r), 0))}
                         for m in months_of(f) for r, label in enumerate(config.grade_labels, start=1)])


def monthly_table(counts: pd.DataFrame, grades: pd.DataFrame) -> pd.DataFrame:
    """``monthly``'s counts with the pillar row's grades as columns (the chart's data table). The pillar row's
    ``n`` is the sum of its grades: said in ``attrs["sums"]`` for small-number suppression."""
    table = counts.copy()
    if grades.empty:
        return table
    table = table.merge(grades.pivot(index="month", columns="grade", values="n").reset_index().assign(
        strand=BY_KEY["pillar"].label), on=["strand", "month"], how="left")
    table.attrs["sums"] = [("n", [g for g in dict.fromkeys(grades["grade"])])]
    return table


def _share(k: int, n: int) -> str:
    """A percentage with its 95% Wilson interval when it rests on fewer than 20 records."""
    text = format_pct(k / n * 100) if n else "–"
    if n and n < SMALL_N:
        low, high = wilson_interval(k, n)
        text += f", 95% CI {format_pct(low)[:-1]}–{format_pct(high)}"
    return text


def strand_summary(mentions: dict[str, pd.DataFrame], f: Filters) -> pd.DataFrame:
    """Per strand with mentions: n, what they say in brief, the last 3 months against the 3 before, first and
    latest date."""
    d = f.end
    last3, prev3 = add_months(month_start(f.month_to), -2), add_months(month_start(f.month_to), -5)
    rows = []
    for s in STRANDS:
        df = mentions.get(s.key)
        if df is None or df.empty:
            continue
        dates = pd.to_datetime(df["date"]).dt.date
        rows.append({"strand": s.label, "mentions": len(df), "unit": s.many if len(df) != 1 else s.one,
                     "in brief": _brief(s.key, df, d),
                     "last 3 months": int((dates >= last3).sum()),
                     "3 months before": int(((dates >= prev3) & (dates < last3)).sum()),
                     "first": dates.min(), "latest": dates.max()})
    out = pd.DataFrame(rows, columns=["strand", "mentions", "unit", "in brief", "last 3 months", "3 months before",
                                      "first", "latest"])
    out.attrs["count_texts"] = ["in brief"]   # "1 CSPR, 1 Team Spotlight": counts a circulated copy hides
    return out


def _brief(key: str, df: pd.DataFrame, d: dt.date) -> str:
    n = len(df)
    day = pd.Timestamp(d)
    if key == "pillar":
        good = int((df["rank"] <= 2).sum())
        prov = int(df["provisional"].sum())
        return f"{_share(good, n)} good or better" + (f"; {prov} provisional" if prov else "")
    if key == "finding":
        strengths = int((df["finding_type"] == "Strength").sum())
        return f"{strengths} strength{'s' * (strengths != 1)}, {n - strengths} for learning"
    if key == "dip":
        graded = df[df["rank"].notna()]
        good = int((graded["rank"] <= 2).sum())
        cycles = df["dip_sample_id"].nunique()
        return f"{cycles} dip sample{'s' * (cycles != 1)}; {_share(good, len(graded))} of graded records good or better"
    if key == "feedback":
        neg = int((df["sentiment"] == "Negative").sum())
        pos = int((df["sentiment"] == "Positive").sum())
        return f"{pos} positive, {neg} negative"
    if key == "complaint":
        upheld = int(df["outcome"].isin(["Upheld", "Partly upheld"]).sum())
        return f"{upheld} upheld or partly upheld"
    if key == "escalation":
        open_ = int((df["resolved_date"].isna() | (pd.to_datetime(df["resolved_date"]) > day)).sum())
        return f"{open_} open on {d:%d %b %Y}"
    if key == "action":
        # metrics.md: finished by D = completed by D, or Complete/Closed with no completion date.
        finished = (pd.to_datetime(df["completed_date"]) <= day) | \
            (df["completed_date"].isna() & df["status"].isin(["Complete", "Closed"]))
        overdue = int((~finished & (pd.to_datetime(df["due_date"]) < day)).sum())
        return f"{int((~finished).sum())} open on {d:%d %b %Y}, {overdue} overdue"
    if key == "review":
        return ", ".join(f"{v} {k}" for k, v in df["review_type"].value_counts().items())
    if key == "activity":
        return ", ".join(f"{v} {k.lower()}" for k, v in df["level"].value_counts().items()) + " level"
    if key == "intervention":
        return "; ".join(df["intervention"].astype(str))
    return ""


def headline(theme: str, summary: pd.DataFrame, f: Filters) -> str:
    """The sentence at the top of the page, from the data."""
    period = f"{month_start(f.month_from):%b %Y} to {f.end:%b %Y}"
    if summary.empty:
        return f"**{md(theme)}** does not appear in any strand from {period}."
    parts = [f"{r['mentions']:,} {r['unit']} ({r['in brief']})" for _, r in summary.iterrows()]
    k = len(summary)
    return (f"**{md(theme)}** appears in **{k} strand{'s' * (k != 1)}** from {period}: " + "; ".join(parts) + ".")


def rising(summary: pd.DataFrame) -> list[str]:
    """Strands where the theme came up at least twice as often in the last 3 months as in the 3 before (and at
    least 3 times): counts, not a test of significance."""
    out = []
    for _, r in summary.iterrows():
        if r["strand"] == BY_KEY["pillar"].label:
            continue
        if r["last 3 months"] >= 3 and r["last 3 months"] >= 2 * r["3 months before"]:
            out.append(f"{r['strand'].lower()} ({r['last 3 months']} in the last 3 months, "
                       f"{r['3 months before']} in the 3 before)")
    return out


EVIDENCE_COLUMNS = {
    "pillar": ["ref", "date", "service", "name", "grade", "provisional"],
    "finding": ["ref", "date", "service", "dip_sample_id", "dip_theme", "name", "finding_type", "summary"],
    "dip": None,   # aggregated per dip sample below
    "feedback": ["ref", "date", "service", "name", "channel", "sentiment", "from_role"],
    "complaint": ["ref", "date", "service", "name", "stage", "outcome", "response_due_date", "closed_date"],
    "escalation": ["ref", "date", "service", "name", "raised_by", "stage", "resolved_date", "outcome"],
    "action": ["ref", "date", "service", "name", "source", "source_ref", "status", "due_date", "completed_date"],
    "review": ["ref", "date", "service", "name", "review_type", "title"],
    "activity": ["ref", "date", "service", "name", "level", "kind", "audit_id"],
    "intervention": ["ref", "date", "service", "name", "intervention", "kind", "end_date", "target_pillar",
                     "target_kpi"],
}


def evidence(key: str, df: pd.DataFrame) -> pd.DataFrame:
    """The evidence table of one strand, newest first; ``name`` is the theme as the record spells it. No child
    reference is shown: dip sample records are summed per dip sample."""
    if key == "dip":
        g = df.groupby(["dip_sample_id", "name"], sort=False)
        out = g.agg(date=("date", "min"), service=("service", lambda s: "; ".join(sorted(set(s)))),
                    records=("ref", "count"), graded=("rank", "count"),
                    good=("rank", lambda r: int((r <= 2).sum())), met=("criteria_met", "sum"),
                    total=("criteria_total", "sum")).reset_index()
        out["good_pct"] = [g_ / n * 100 if n else None for g_, n in zip(out["good"], out["graded"])]
        out["criteria_met_pct"] = [m / t * 100 if t else None for m, t in zip(out["met"], out["total"])]
        out = out.rename(columns={"dip_sample_id": "ref"})
        cols = ["ref", "date", "service", "name", "records", "graded", "good", "good_pct", "criteria_met_pct"]
        out = out[cols].sort_values("date", ascending=False).reset_index(drop=True)
        return _dates(out.rename(columns={"name": "named as"}))
    cols = [c for c in EVIDENCE_COLUMNS[key] if c in df.columns]
    out = df[cols].sort_values(["date", "ref"], ascending=False).reset_index(drop=True)
    return _dates(out.rename(columns={"name": "named as"}))


def _dates(df: pd.DataFrame) -> pd.DataFrame:
    """Date columns as dates (a table shows 2025-03-31, not 2025-03-31 00:00:00)."""
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = [None if pd.isna(v) else v.date() for v in df[col]]
    return df


# --- the period when no audit is loaded -------------------------------------------------------------
def with_period(con, f: Filters, sources: list[tuple[str, str]], months: int = 12) -> Filters | None:
    """``f`` when it has a period; else (the filter bar's months come from the audits, and none are loaded)
    the last ``months`` months up to the latest of the given (table, date column) dates; None when there
    are none either."""
    if f.month_from and f.month_to:
        return f
    latest = None
    for table, column in sources:   # names from this module's callers, never from a user
        day = con.execute(f"SELECT max({column}) FROM {table}").fetchone()[0]
        if day is not None and (latest is None or day > latest):
            latest = day
    if latest is None:
        return None
    end = dt.date(latest.year, latest.month, 1)
    return dataclasses.replace(f, month_from=add_months(end, 1 - months).strftime("%Y-%m"),
                               month_to=end.strftime("%Y-%m"))


SOURCES = [("audits", "audit_date"), ("dip_samples", "sample_date"), ("feedback", "received_date"),
           ("complaints", "received_date"), ("escalations", "raised_date"), ("learning_actions", "raised_date"),
           ("reviews", "review_date"), ("reflective_activities", "activity_date")]
