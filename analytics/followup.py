"""The Inadequate and Requires Improvement follow-up process: each step's due day, done day and state on D.

metrics.md "Follow-up on time": for audits whose final grade is Inadequate or Requires Improvement,
calendar days from ``audit_date`` (configurable, ``config["followup"]``): managers notified within
``managers_notified_days`` and a reflective meeting within ``reflective_meeting_days``; for Inadequate
also the review by ``review_due_date`` (default audit date + ``review_days``) and, when the review
grade is still Inadequate, the Head of Service notified within ``head_of_service_notified_days`` of
the review. D is the last day of the period's end month.

States on D, first match wins:
- *not applicable*: the step does not apply (the review for Requires Improvement; the Head of Service
  step unless the review, done by D, graded the record Inadequate again);
- *done on time* / *done late*: done on or before D, on or before / after the due day;
- *overdue*: not done by D and due before D (metrics.md "Follow-up overdue");
- *not yet due*: not done by D and due on D or later.
A step done after D was not done on D, as for learning actions. An audit with no ``audit_followups``
row counts as no step done (LEFT JOIN). "For Inadequate" means the audit's final grade.

**On-time %** of a step = done on time ÷ (done on time + done late + overdue): steps not yet due
cannot be judged yet and are left out, as are steps that do not apply.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from .audits import SMALL_N
from .config import Config
from .filters import Filters, add_months, financial_quarter, month_start, part_quarter_labels, where
from .impact import wilson_interval
from .presentation import DASH, format_pct

STEPS = {
    "managers_notified": "Managers notified",
    "reflective_meeting": "Reflective meeting",
    "review": "Review (Inadequate)",
    "hos_notified": "Head of Service notified",
}
STATES = ("overdue", "done late", "not yet due", "done on time", "not applicable")
JUDGED = ("done on time", "done late", "overdue")

TABLE_LABELS = {
    "audit_id": "Audit", "child_ref": "Child ref", "service": "Service", "team": "Team", "cohort": "Cohort",
    "audit_date": "Audit date", "final_grade": "Final grade", "provisional": "Provisional",
    "has_followup": "Follow-up recorded", "overdue_steps": "Overdue steps",
    "still_inadequate": "Still inadequate after review",
    "managers_notified_due": "Notify managers by", "managers_notified_done": "Managers notified",
    "managers_notified_state": "Managers notified: state",
    "reflective_meeting_due": "Meeting due by", "reflective_meeting_done": "Reflective meeting",
    "reflective_meeting_state": "Meeting: state",
    "review_due": "Review due by", "review_done": "Review done", "review_state": "Review: state",
    "review_grade": "Review grade",
    "hos_notified_due": "Notify Head of Service by", "hos_notified_done": "Head of Service notified",
    "hos_notified_state": "Head of Service: state",
}


def days(config: Config) -> dict[str, int]:
    """The configured calendar days of each step."""
    fu = config["followup"]
    return {k: int(fu[k]) for k in ("managers_notified_days", "reflective_meeting_days", "review_days",
                                    "head_of_service_notified_days")}


def _state(applies: str, due: str, done: str, end) -> tuple[str, list]:
    """SQL (and its parameters) of a step's state on D, the day ``end``, from its applies/due/done columns: its
    position in STATES (0 overdue ... 4 not applicable; numbers are counted faster than texts, ``_label``)."""
    return (f"""CASE WHEN NOT {applies} THEN 4
                     WHEN {done} <= CAST(? AS DATE) AND {done} <= {due} THEN 3
                     WHEN {done} <= CAST(? AS DATE) THEN 1
                     WHEN {due} < CAST(? AS DATE) THEN 0
                     ELSE 2 END""", [end, end, end])


STATE_CODES = {state: i for i, state in enumerate(STATES)}
assert (STATE_CODES["overdue"], STATE_CODES["done late"], STATE_CODES["not yet due"], STATE_CODES["done on time"],
        STATE_CODES["not applicable"]) == (0, 1, 2, 3, 4)   # as _state numbers them
_LABELS = np.array(STATES, dtype=object)


def _label(code: str) -> str:
    """SQL of a state's text from its number (``_state``)."""
    return "[" + ", ".join(f"'{st}'" for st in STATES) + f"][{code} + 1]"


# The audits graded Requires Improvement or Inadequate with their follow-up row (if any) and its review grade's
# rank: a derived table rebuilt in every write that changes the audits or their follow-up rows (``refresh``,
# database.DERIVED_GROUPS), so a page view filters a year's ~45,000 rows instead of joining every follow-up
# row (445,000 at a million audits) to them. Sorted by date: a period reads only its own blocks. The days
# allowed for each step are configuration, not data: they are applied when read (``_rules_sql``).
FOLLOWUP_AUDITS = """
SELECT a.audit_id, a.child_ref, a.service, a.team, a.cohort, a.auditor_role, a.audit_date, a.audit_month,
       a.final_grade, a.final_rank, a.provisional, fu.audit_id IS NOT NULL AS has_followup,
       fu.managers_notified_date, fu.reflective_meeting_date, fu.review_due_date, fu.review_date,
       fu.review_grade, g.rank AS review_rank, fu.head_of_service_notified_date
FROM audits_final a
LEFT JOIN audit_followups fu ON fu.audit_id = a.audit_id
LEFT JOIN grade_scale g ON g.label = fu.review_grade
WHERE a.final_rank >= 3
ORDER BY a.audit_date"""


def refresh(con) -> None:
    """Rebuild ``followup_audits`` (from audits_final, audit_followups and the grade scale)."""
    con.execute(f"CREATE OR REPLACE TABLE followup_audits AS {FOLLOWUP_AUDITS}")


def _rules_sql(f: Filters, config: Config) -> tuple[str, list]:
    """SQL (a WITH body) for ``rules``: one row per audit in ``f`` in follow-up with its columns and, per step,
    whether it applies, its due day and its done day (the step rules, written once)."""
    cond, params = where(f, "audit_date", audit_columns=True)
    d = days(config)
    sql = f"""
        rules AS (
            SELECT *,
                   TRUE AS managers_notified_applies, audit_date + CAST(? AS INTEGER) AS managers_notified_due,
                   managers_notified_date AS managers_notified_done,
                   TRUE AS reflective_meeting_applies, audit_date + CAST(? AS INTEGER) AS reflective_meeting_due,
                   reflective_meeting_date AS reflective_meeting_done,
                   final_rank = 4 AS review_applies,
                   coalesce(review_due_date, audit_date + CAST(? AS INTEGER)) AS review_due, review_date AS review_done,
                   -- Only a review done by D that graded the record Inadequate again starts this step.
                   coalesce(final_rank = 4 AND review_rank = 4 AND review_date <= CAST(? AS DATE), FALSE)
                       AS hos_notified_applies,
                   review_date + CAST(? AS INTEGER) AS hos_notified_due,
                   head_of_service_notified_date AS hos_notified_done
            FROM followup_audits WHERE {cond})"""
    return sql, [d["managers_notified_days"], d["reflective_meeting_days"], d["review_days"], f.end,
                 d["head_of_service_notified_days"], *params]


def _wide_sql(f: Filters, config: Config) -> tuple[str, list]:
    """SQL (a WITH body) for ``wide``: ``rules`` with each step's state on D as a number (``{step}_code``, see
    ``_state``) and, where the step applies, its due and done days (``{step}_due_on``, ``{step}_done_on``)."""
    sql, params = _rules_sql(f, config)
    cols = []
    for s in STEPS:
        state, state_params = _state(f"{s}_applies", f"{s}_due", f"{s}_done", f.end)
        cols.append(f"CASE WHEN {s}_applies THEN {s}_due END AS {s}_due_on, "
                    f"CASE WHEN {s}_applies THEN {s}_done END AS {s}_done_on, {state} AS {s}_code")
        params += state_params
    return f"""{sql},
        wide AS (SELECT *, {', '.join(cols)} FROM rules)""", params


def _steps_sql(f: Filters, config: Config) -> tuple[str, list]:
    """SQL (a WITH body) for ``steps``: one row per (audit, step) with due, done and state on D."""
    sql, params = _wide_sql(f, config)
    unpivot = "\n            UNION ALL\n".join(
        f"SELECT audit_id, child_ref, service, team, cohort, audit_date, audit_month, final_grade, provisional, "
        f"'{s}' AS step, {i} AS step_no, {s}_applies AS applies, {s}_due_on AS due, {s}_done_on AS done, "
        f"{_label(f'{s}_code')} AS state FROM wide" for i, s in enumerate(STEPS, 1))
    return f"""{sql},
        steps AS (
            {unpivot})""", params


def step_states(con, f: Filters, config: Config) -> pd.DataFrame:
    """One row per (audit, step): audit_id, service, ..., step, applies, due, done, state (on D)."""
    sql, params = _steps_sql(f, config)
    return con.execute(f"WITH {sql} SELECT * FROM steps ORDER BY audit_id, step_no", params).df()


def followup_table(con, f: Filters, config: Config, limit: int | None = None) -> pd.DataFrame:
    """One row per audit graded Inadequate or Requires Improvement, overdue steps first.

    Columns: pseudonymous references, dates and grades; per step its due day, done day and state;
    ``overdue_steps``; ``still_inadequate`` (a review done by D graded the record Inadequate again).
    ``limit``: only the first ``limit`` rows (what the screen shows: a year of a big council has ~45,000).
    """
    sql, params = _wide_sql(f, config)
    tail, extra = ("LIMIT ?", [int(limit)]) if limit is not None else ("", [])
    overdue = " + ".join(f"CAST({s}_code = 0 AS INTEGER)" for s in STEPS)
    first = ", ".join(f"CASE WHEN {s}_code = 0 THEN {s}_due_on END" for s in STEPS)
    df = con.execute(f"""WITH {sql}
        SELECT audit_id, child_ref, service, team, cohort, audit_date, final_grade, provisional, has_followup,
               CAST({overdue} AS INTEGER) AS overdue_steps, hos_notified_applies AS still_inadequate,
               {', '.join(f"{s}_due_on AS {s}_due, {s}_done_on AS {s}_done, {s}_code AS {s}_state" for s in STEPS)},
               review_grade
        FROM wide
        ORDER BY overdue_steps > 0 DESC, least({first}), still_inadequate DESC, audit_date, audit_id {tail}""",
                     [*params, *extra]).df()
    # The states' texts for the rows fetched only (a year of a big council is ~45,000 audits).
    for s in STEPS:
        df[f"{s}_state"] = _LABELS[df[f"{s}_state"].to_numpy()]
    return df


def table_view(table: pd.DataFrame) -> pd.DataFrame:
    """The follow-up table as people read it: plain headings, dates without a time, *Yes* where the review
    found the record still Inadequate."""
    view = table.rename(columns=TABLE_LABELS)
    for c in [TABLE_LABELS[c] for c in table.columns if c == "audit_date" or c.endswith(("_due", "_done"))]:
        view[c] = view[c].dt.date
    flag = TABLE_LABELS["still_inadequate"]
    view[flag] = view[flag].map({True: "Yes", False: ""})
    return view


STILL_INADEQUATE_BG = "background-color: #fbe3d9"


def styled_view(view: pd.DataFrame, overdue_colour: str):
    """The table for the screen: rows still Inadequate after review shaded, overdue states in bold colour, and a
    step not done yet "–" (Streamlit draws a missing date as "None" whatever the Styler's na_rep, so the date
    columns with a gap are written out, as YYYY-MM-DD like the others)."""
    flag = TABLE_LABELS["still_inadequate"]
    view = view.copy()
    for c in view.columns:
        if view[c].dtype == object and view[c].isna().any() and view[c].map(
                lambda v: pd.isna(v) or isinstance(v, dt.date)).all():
            view[c] = [DASH if pd.isna(v) else v.isoformat() for v in view[c]]
    return view.style.apply(
        lambda row: [STILL_INADEQUATE_BG if row[flag] == "Yes" else ""] * len(row), axis=1).map(
        lambda v: f"color: {overdue_colour}; font-weight: bold" if v == "overdue" else "",
        subset=[c for c in view.columns if c.endswith("state")])


HEADLINE = ("audits", "inadequate", "requires_improvement", "provisional", "with_overdue_step",
            "no_followup_recorded", "still_inadequate_after_review")


def _counts(con, f: Filters, config: Config, by: str = "service") -> dict[str, np.ndarray]:
    """The audits in follow-up counted (``n``) per audit month, ``by``, final rank, provisional, follow-up row
    recorded, still inadequate and each step's state on D (``{step}`` its number, see ``_state``): a few hundred
    rows a year, which every figure but the table adds up (one pass over the period's rows, not one per figure)."""
    if by not in ("service", "team", "cohort"):
        raise ValueError(by)
    sql, params = _wide_sql(f, config)
    return con.execute(f"""WITH {sql}
        SELECT audit_month, {by} AS by, final_rank, provisional, has_followup, hos_notified_applies AS still_inadequate,
               {', '.join(f"{s}_code AS {s}" for s in STEPS)}, count(*) AS n
        FROM wide GROUP BY ALL""", params).fetchnumpy()


def _in_period(counts: dict[str, np.ndarray], f: Filters) -> dict[str, np.ndarray]:
    keep = counts["audit_month"] >= f.month_from
    return {k: v[keep] for k, v in counts.items()}


def _headline_of(c: dict[str, np.ndarray]) -> dict[str, int]:
    n = c["n"]
    overdue = np.zeros(len(n), dtype=bool)
    for s in STEPS:
        overdue |= c[s] == STATE_CODES["overdue"]
    return dict(zip(HEADLINE, (int(n.sum()), int(n[c["final_rank"] == 4].sum()), int(n[c["final_rank"] == 3].sum()),
                               int(n[c["provisional"]].sum()), int(n[overdue].sum()),
                               int(n[~c["has_followup"]].sum()), int(n[c["still_inadequate"]].sum()))))


def _states_of(c: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = [(s, STEPS[s], st, int(k))
            for s in STEPS for st, k in zip(STATES, np.bincount(c[s], weights=c["n"], minlength=len(STATES)))]
    return pd.DataFrame(rows, columns=["step", "step_label", "state", "n"])


def _rates_of(c: dict[str, np.ndarray], f: Filters, config: Config, grain: str | None, by: str) -> pd.DataFrame:
    """On-time rates from ``_counts``' rows (for "rolling3" they must reach two months before the period)."""
    months = c["audit_month"]
    if grain == "rolling3":
        # Each month of the period stands for its audits and those of the two months before it.
        picks, periods, day = [], [], f.start
        while day <= month_start(f.month_to):
            month = day.strftime("%Y-%m")
            picks.append(np.flatnonzero((months >= add_months(day, -2).strftime("%Y-%m")) & (months <= month)))
            periods.append(np.full(len(picks[-1]), month, dtype=object))
            day = add_months(day, 1)
        rows = np.concatenate(picks) if picks else np.zeros(0, dtype=int)
        period = np.concatenate(periods) if periods else np.zeros(0, dtype=object)
    else:
        rows = np.flatnonzero(months >= f.month_from)
        period = {None: lambda m: "", "month": lambda m: m,
                  "quarter": lambda m: financial_quarter(dt.date(int(m[:4]), int(m[5:7]), 1))}[grain]
        labels = {m: period(m) for m in set(months[rows])}
        period = np.array([labels[m] for m in months[rows]], dtype=object)
    # Added up per (period, by) group and step with bincount: a few hundred groups, so pandas' per-call costs
    # would outweigh the sums.
    group_period, periods = pd.factorize(period)
    by_values = c["by"]
    if np.ma.isMaskedArray(by_values):   # NULL (no team recorded): None (``filled(None)`` would give '?')
        by_values = np.where(np.ma.getmaskarray(by_values), None, by_values.data.astype(object))
    group_by, bys = pd.factorize(np.asarray(by_values, dtype=object)[rows], use_na_sentinel=False)
    bys = [None if pd.isna(b) else b for b in bys]      # factorize keeps a missing value as NaN: None, as read
    group = group_period * len(bys) + group_by
    size = len(periods) * len(bys)
    n = c["n"][rows]
    sums = {(s, st): np.bincount(group, weights=np.where(c[s][rows] == STATE_CODES[st], n, 0), minlength=size)
            for s in STEPS for st in JUDGED}
    labels = dict(part_quarter_labels(f)) if grain == "quarter" else {}
    rank = {c: i for i, c in enumerate(config.service_codes)} if by == "service" else {}
    out = []
    for g in range(size):
        p, b = periods[g // len(bys)], bys[g % len(bys)]
        for i, s in enumerate(STEPS, 1):
            on_time, late, overdue = (int(sums[(s, st)][g]) for st in ("done on time", "done late", "overdue"))
            if on_time + late + overdue:
                out.append(((labels.get(p, p), rank.get(b, len(rank)), b is None, b or "", i),
                            (labels.get(p, p), b, s, STEPS[s], on_time + late + overdue, on_time, late, overdue)))
    # Periods in order, then services in their configured order (as everywhere else), then steps.
    out.sort(key=lambda r: r[0])
    df = pd.DataFrame([r for _, r in out], columns=["period", by, "step", "step_label", "judged", "on_time", "late",
                                                    "overdue"])
    if grain is None:
        df = df.drop(columns="period")
    df["on_time_pct"] = [o / j * 100 for o, j in zip(df["on_time"], df["judged"])]
    cis = [wilson_interval(int(o), int(j)) for o, j in zip(df["on_time"], df["judged"])]
    df["ci_low"] = [c[0] for c in cis]
    df["ci_high"] = [c[1] for c in cis]
    return df


def _reaching_back(f: Filters, grain: str | None) -> Filters:
    """The filters whose audits ``grain``'s periods take: for rolling 3 months, from two months before the period
    (still judged on the period's last day, D)."""
    return dataclasses.replace(f, month_from=add_months(f.start, -2).strftime("%Y-%m")) if grain == "rolling3" else f


def headline(con, f: Filters, config: Config) -> dict[str, int]:
    """Counts for the page's headline: audits in follow-up and how many need attention on D."""
    return _headline_of(_counts(con, f, config))


def state_counts(con, f: Filters, config: Config) -> pd.DataFrame:
    """Steps per state on D: columns step, step_label, state, n (every step × state, zeros included)."""
    return _states_of(_counts(con, f, config))


def on_time_rates(con, f: Filters, config: Config, grain: str | None = None, by: str = "service") -> pd.DataFrame:
    """On-time % of each step (per ``by`` and, with a grain, per audit period) with its Wilson interval.

    Columns: [period,] by, step, step_label, judged (the denominator: done on time, done late or overdue
    on D), on_time, late, overdue, on_time_pct, ci_low, ci_high. Only groups with a judged step.
    ``grain``: None (the whole period), "month", "quarter" or "rolling3" (each month with the two
    before it). Every step is judged on D, the period's last day, whatever the row's period.
    """
    if by not in ("service", "team", "cohort"):
        raise ValueError(by)
    return _rates_of(_counts(con, _reaching_back(f, grain), config, by), f, config, grain, by)


def page_figures(con, f: Filters, config: Config, grain: str = "month", limit: int | None = None) -> dict:
    """The Follow-up page's figures: ``headline``, ``followup_table`` (first ``limit`` rows), ``state_counts``,
    ``on_time_rates`` over the period and per period of the grain: two queries (the counts that every figure but
    the table adds up, and the table's first rows)."""
    counts = _counts(con, _reaching_back(f, grain), config)
    period = _in_period(counts, f)
    return {"headline": _headline_of(period), "table": followup_table(con, f, config, limit),
            "states": _states_of(period), "overall": _rates_of(period, f, config, None, "service"),
            "series": _rates_of(counts, f, config, grain, "service")}


def rates_table(rates: pd.DataFrame) -> pd.DataFrame:
    """On-time rates for reading: the percentage with its 95% Wilson range where fewer than 20 steps are judged."""
    def shown(row) -> str:
        text = format_pct(row["on_time_pct"])
        if row["judged"] < SMALL_N:
            text += f" ({format_pct(row['ci_low'])} to {format_pct(row['ci_high'])})"
        return text

    out = rates.drop(columns=["step"]).rename(columns={
        "period": "Period", "service": "Service", "team": "Team", "cohort": "Cohort", "step_label": "Step",
        "judged": "Steps due", "on_time": "Done on time", "late": "Done late", "overdue": "Overdue"})
    out["On time"] = [shown(r) for _, r in rates.iterrows()]
    return out.drop(columns=["on_time_pct", "ci_low", "ci_high"])
