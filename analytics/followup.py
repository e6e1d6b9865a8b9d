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
import uuid

import pandas as pd

from .audits import QUARTER_SQL, SMALL_N
from .config import Config
from .filters import Filters, add_months, mark_part_quarters, month_start, where
from .impact import wilson_interval
from .presentation import format_pct

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
    """SQL (and its parameters) of a step's state on D, the day ``end``, from its applies/due/done columns."""
    return (f"""CASE WHEN NOT {applies} THEN 'not applicable'
                     WHEN {done} <= CAST(? AS DATE) AND {done} <= {due} THEN 'done on time'
                     WHEN {done} <= CAST(? AS DATE) THEN 'done late'
                     WHEN {due} < CAST(? AS DATE) THEN 'overdue'
                     ELSE 'not yet due' END""", [end, end, end])


def _base_sql(f: Filters) -> tuple[str, list]:
    """The audits in ``f`` graded Requires Improvement or Inadequate with their follow-up row (if any)."""
    cond, params = where(f, "audit_date", audit_columns=True)
    return f"""
            SELECT a.audit_id, a.child_ref, a.service, a.team, a.cohort, a.audit_date, a.audit_month,
                   a.final_grade, a.final_rank, a.provisional, fu.audit_id IS NOT NULL AS has_followup,
                   fu.managers_notified_date, fu.reflective_meeting_date, fu.review_due_date, fu.review_date,
                   fu.review_grade, g.rank AS review_rank, fu.head_of_service_notified_date
            FROM (SELECT * FROM audits_final WHERE final_rank >= 3 AND {cond}) a
            LEFT JOIN audit_followups fu ON fu.audit_id = a.audit_id
            LEFT JOIN grade_scale g ON g.label = fu.review_grade""", params


def _steps_sql(f: Filters, config: Config, base: str | None = None) -> tuple[str, list]:
    """SQL for one row per (audit, step) with due, done and state on D; the audits are those in ``f``.

    ``rules`` holds, per audit, whether each step applies, its due day and its done day (the step rules,
    written once); ``steps`` is that unpivoted, one row per (audit, step), with the state on D.
    ``base``: a temporary table holding ``_base_sql(f)``'s rows (``page_figures``), read instead of the join."""
    base_sql, params = (f"SELECT * FROM {base}", []) if base else _base_sql(f)
    d = days(config)
    state, state_params = _state("r.applies", "r.due", "r.done", f.end)
    unpivot = "\n            UNION ALL\n".join(
        f"SELECT audit_id, '{s}' AS step, {i} AS step_no, {s}_applies AS applies, {s}_due AS due, "
        f"{s}_done AS done FROM rules" for i, s in enumerate(STEPS, 1))
    sql = f"""
        base AS MATERIALIZED ({base_sql}),
        rules AS MATERIALIZED (
            SELECT audit_id,
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
            FROM base),
        raw AS (
            {unpivot}),
        steps AS (
            SELECT b.audit_id, b.child_ref, b.service, b.team, b.cohort, b.audit_date, b.audit_month,
                   b.final_grade, b.provisional, r.step, r.step_no, r.applies,
                   CASE WHEN r.applies THEN r.due END AS due,
                   CASE WHEN r.applies THEN r.done END AS done,
                   {state} AS state
            FROM raw r JOIN base b USING (audit_id))"""
    params = [*params, d["managers_notified_days"], d["reflective_meeting_days"], d["review_days"], f.end,
              d["head_of_service_notified_days"], *state_params]
    return sql, params


def step_states(con, f: Filters, config: Config) -> pd.DataFrame:
    """One row per (audit, step): audit_id, service, ..., step, applies, due, done, state (on D)."""
    sql, params = _steps_sql(f, config)
    return con.execute(f"WITH {sql} SELECT * FROM steps ORDER BY audit_id, step_no", params).df()


def followup_table(con, f: Filters, config: Config, limit: int | None = None, base: str | None = None
                   ) -> pd.DataFrame:
    """One row per audit graded Inadequate or Requires Improvement, overdue steps first.

    Columns: pseudonymous references, dates and grades; per step its due day, done day and state;
    ``overdue_steps``; ``still_inadequate`` (a review done by D graded the record Inadequate again).
    ``limit``: only the first ``limit`` rows (what the screen shows: a year of a big council has ~45,000).
    """
    sql, params = _steps_sql(f, config, base)
    tail, extra = ("LIMIT ?", [int(limit)]) if limit is not None else ("", [])
    # One row per audit straight from ``rules`` (no regrouping of the steps: a year of a big council has
    # ~180,000 of them), each state from the same _state as the steps'.
    cols, col_params = [], []
    for s in STEPS:
        state, state_params = _state(f"r.{s}_applies", f"r.{s}_due", f"r.{s}_done", f.end)
        cols.append(f"CASE WHEN r.{s}_applies THEN r.{s}_due END AS {s}_due, "
                    f"CASE WHEN r.{s}_applies THEN r.{s}_done END AS {s}_done, {state} AS {s}_state")
        col_params += state_params
    overdue = " + ".join(f"CAST({s}_state = 'overdue' AS INTEGER)" for s in STEPS)
    first = ", ".join(f"CASE WHEN {s}_state = 'overdue' THEN {s}_due END" for s in STEPS)
    return con.execute(f"""WITH {sql},
        wide AS (
            SELECT b.audit_id, b.child_ref, b.service, b.team, b.cohort, b.audit_date, b.final_grade, b.provisional,
                   b.has_followup, r.hos_notified_applies AS still_inadequate, {', '.join(cols)},
                   b.review_grade
            FROM base b JOIN rules r USING (audit_id))
        SELECT audit_id, child_ref, service, team, cohort, audit_date, final_grade, provisional, has_followup,
               CAST({overdue} AS INTEGER) AS overdue_steps, still_inadequate,
               {', '.join(f"{s}_due, {s}_done, {s}_state" for s in STEPS)}, review_grade,
               least({first}) AS _first_overdue
        FROM wide
        ORDER BY overdue_steps > 0 DESC, _first_overdue, still_inadequate DESC, audit_date, audit_id {tail}""",
                       [*params, *col_params, *extra]).df().drop(columns="_first_overdue")


def table_view(table: pd.DataFrame) -> pd.DataFrame:
    """The follow-up table as people read it: plain headings, dates without a time, *Yes* where the review
    found the record still Inadequate."""
    view = table.rename(columns=TABLE_LABELS)
    for c in [TABLE_LABELS[c] for c in table.columns if c == "audit_date" or c.endswith(("_due", "_done"))]:
        view[c] = view[c].dt.date
    flag = TABLE_LABELS["still_inadequate"]
    view[flag] = view[flag].map({True: "Yes", False: ""})
    return view


def headline(con, f: Filters, config: Config, base: str | None = None) -> dict[str, int]:
    """Counts for the page's headline: audits in follow-up and how many need attention on D."""
    sql, params = _steps_sql(f, config, base)
    # An audit needs attention when any step's state on D is overdue: each state from ``rules`` with the same
    # _state as the steps' (one row per audit, not the four step rows regrouped).
    overdue, overdue_params = [], []
    for s in STEPS:
        state, state_params = _state(f"r.{s}_applies", f"r.{s}_due", f"r.{s}_done", f.end)
        overdue.append(f"({state}) = 'overdue'")
        overdue_params += state_params
    row = con.execute(f"""WITH {sql}
        SELECT count(*), count(*) FILTER (final_rank = 4), count(*) FILTER (final_rank = 3),
               count(*) FILTER (provisional), count(*) FILTER ({' OR '.join(overdue)}),
               count(*) FILTER (NOT has_followup),
               count(*) FILTER (final_rank = 4 AND review_rank = 4 AND review_date <= CAST(? AS DATE))
        FROM base b JOIN rules r USING (audit_id)
        """, [*params, *overdue_params, f.end]).fetchone()
    keys = ("audits", "inadequate", "requires_improvement", "provisional", "with_overdue_step",
            "no_followup_recorded", "still_inadequate_after_review")
    return dict(zip(keys, (int(v or 0) for v in row)))


def state_counts(con, f: Filters, config: Config, base: str | None = None) -> pd.DataFrame:
    """Steps per state on D: columns step, step_label, state, n (every step × state, zeros included)."""
    sql, params = _steps_sql(f, config, base)
    got = con.execute(f"WITH {sql} SELECT step, state, count(*) AS n FROM steps GROUP BY ALL", params).df()
    grid = pd.DataFrame([(s, st) for s in STEPS for st in STATES], columns=["step", "state"])
    out = grid.merge(got, on=["step", "state"], how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    out.insert(1, "step_label", out["step"].map(STEPS))
    return out


def on_time_rates(con, f: Filters, config: Config, grain: str | None = None, by: str = "service",
                  base: str | None = None) -> pd.DataFrame:
    """On-time % of each step (per ``by`` and, with a grain, per audit period) with its Wilson interval.

    Columns: [period,] by, step, step_label, judged (the denominator: done on time, done late or overdue
    on D), on_time, late, overdue, on_time_pct, ci_low, ci_high. Only groups with a judged step.
    ``grain``: None (the whole period), "month", "quarter" or "rolling3" (each month with the two
    before it). Every step is judged on D, the period's last day, whatever the row's period.
    """
    if by not in ("service", "team", "cohort"):
        raise ValueError(by)
    counts = ("count(*) FILTER (state IN ('done on time', 'done late', 'overdue')) AS judged, "
              "count(*) FILTER (state = 'done on time') AS on_time, "
              "count(*) FILTER (state = 'done late') AS late, count(*) FILTER (state = 'overdue') AS overdue")
    if grain == "rolling3":
        # Audits from two months before the period start feed its first rolling windows.
        wide = dataclasses.replace(f, month_from=add_months(f.start, -2).strftime("%Y-%m"))
        sql, params = _steps_sql(wide, config)
        query = (f"WITH {sql}, months AS (SELECT unnest(generate_series(CAST(? AS DATE), CAST(? AS DATE), "
                 f"INTERVAL 1 MONTH)) AS m) "
                 f"SELECT strftime(m, '%Y-%m') AS period, {by}, step, any_value(step_no) AS step_no, {counts} "
                 f"FROM months JOIN steps ON audit_date >= m - INTERVAL 2 MONTH AND audit_date < m + INTERVAL 1 MONTH "
                 f"GROUP BY ALL")
        params = [*params, f.start, month_start(f.month_to)]
    else:
        sql, params = _steps_sql(f, config, base)
        period = {None: "", "month": "audit_month AS period, ",
                  "quarter": QUARTER_SQL.format(d="audit_date") + " AS period, "}[grain]
        query = f"WITH {sql} SELECT {period}{by}, step, any_value(step_no) AS step_no, {counts} FROM steps GROUP BY ALL"
    df = mark_part_quarters(con.execute(f"SELECT * FROM ({query}) WHERE judged > 0", params).df(), f, grain)
    keys = (["period"] if grain else []) + [by]
    # Services in their configured order, as everywhere else.
    rank = {c: i for i, c in enumerate(config.service_codes)} if by == "service" else {}
    df["_by"] = [(rank.get(v, len(rank)), v) for v in df[by]]
    df = df.sort_values(keys[:-1] + ["_by", "step_no"]).drop(columns=["step_no", "_by"]).reset_index(drop=True)
    df.insert(len(keys) + 1, "step_label", df["step"].map(STEPS))
    df["on_time_pct"] = [o / j * 100 for o, j in zip(df["on_time"], df["judged"])]
    cis = [wilson_interval(int(o), int(j)) for o, j in zip(df["on_time"], df["judged"])]
    df["ci_low"] = [c[0] for c in cis]
    df["ci_high"] = [c[1] for c in cis]
    return df


def page_figures(con, f: Filters, config: Config, grain: str = "month", limit: int | None = None) -> dict:
    """The Follow-up page's figures: ``headline``, ``followup_table`` (first ``limit`` rows), ``state_counts``,
    ``on_time_rates`` over the period and per period of the grain. The audits in follow-up and their
    follow-up rows are joined once into a temporary table of this connection and every figure reads it
    (the join reads every follow-up row: once a page view, not five times)."""
    base = f"_followup_base_{uuid.uuid4().hex}"
    sql, params = _base_sql(f)
    con.execute(f"CREATE TEMPORARY TABLE {base} AS {sql}", params)
    try:
        return {"headline": headline(con, f, config, base), "table": followup_table(con, f, config, limit, base),
                "states": state_counts(con, f, config, base), "overall": on_time_rates(con, f, config, base=base),
                # the rolling grain reaches two months before the period: its own join
                "series": on_time_rates(con, f, config, grain, base=None if grain == "rolling3" else base)}
    finally:
        con.execute(f"DROP TABLE IF EXISTS {base}")


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
