"""The Learning Action Tracker and the reflective activities after audits (metrics.md "Learning loop").

Every figure counts the actions *raised in the period* (as ``summary`` does) and judges open, overdue and
reviewed on D, the last day of the period. Open and finished use metrics.ACTION_FINISHED, the one rule
that ``summary``'s learning_actions uses, so the tracker and the summary cannot disagree.
"""
from __future__ import annotations

import pandas as pd

from .filters import Filters, where
from .impact import wilson_interval
from .metrics import ACTION_FINISHED, learning_actions, pct

AGE_BANDS = ("0-30 days", "31-90 days", "91-180 days", "Over 180 days")
REVIEW_DAYS = 90   # the tracker is reviewed quarterly
STATUSES = ("Overdue", "Open, not yet due", "Completed on time", "Completed late", "Completed (no dates to judge)",
            "Closed")
LEVELS = ("Practitioner", "Team", "Service")
# An action's state on D, over the rows of _actions.
_STATE = (f"CASE WHEN overdue THEN '{STATUSES[0]}' WHEN is_open THEN '{STATUSES[1]}' "
          f"WHEN status = 'Closed' THEN '{STATUSES[5]}' WHEN completed_date <= due_date THEN '{STATUSES[2]}' "
          f"WHEN completed_date > due_date THEN '{STATUSES[3]}' ELSE '{STATUSES[4]}' END")


def _actions(f: Filters) -> tuple[str, list]:
    """The actions raised in the period with their state on D: finished, open, overdue, completed (on time)."""
    cond, params = where(f, "raised_date")
    sql = (f"SELECT *, finished_by_d AS finished, NOT finished_by_d AS is_open, "
           f"NOT finished_by_d AND due_date < CAST(? AS DATE) AS overdue, "
           f"status = 'Complete' AND completed_date IS NOT NULL AS completed, "
           f"status = 'Complete' AND completed_date <= due_date AS on_time, "
           f"date_diff('day', raised_date, CAST(? AS DATE)) AS age_days "
           f"FROM (SELECT *, {ACTION_FINISHED} AS finished_by_d FROM learning_actions WHERE {cond})")
    return sql, [f.end, f.end, f.end, *params]


def headline(con, f: Filters) -> dict:
    """``summary``'s learning_actions (the same function), with the count raised in the period."""
    sql, params = _actions(f)
    raised = con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    return {"raised": raised, **learning_actions(con, f)}


def by(con, f: Filters, column: str) -> pd.DataFrame:
    """Raised, open, overdue and completed on time per source or per service (ALL: organisation-wide)."""
    return _by(_counts(con, f), column)


# The tracker's counts in one pass over the period's actions (a query per figure cost a round trip each):
# per source, per service, per age band, per source x theme x state, per theme.
_SETS = {"source": ("source",), "service": ("service",), "band": ("band",), "flow": ("source", "theme", "state"),
         "theme": ("theme",)}
_KEYS = ("source", "service", "theme", "state", "band")


def _counts(con, f: Filters) -> dict[str, pd.DataFrame]:
    """Raised, open, overdue, completed and completed on time per grouping of ``_SETS`` (its key columns)."""
    sql, params = _actions(f)
    band = ("CASE WHEN age_days <= 30 THEN 0 WHEN age_days <= 90 THEN 1 WHEN age_days <= 180 THEN 2 ELSE 3 END")
    sets = ", ".join(f"({', '.join(cols)})" for cols in _SETS.values())
    df = con.execute(
        f"SELECT {', '.join(f'GROUPING({k}) AS g_{k}' for k in _KEYS)}, {', '.join(_KEYS)}, count(*) AS raised, "
        f"count(*) FILTER (is_open) AS open, count(*) FILTER (overdue) AS overdue, "
        f"count(*) FILTER (completed) AS completed, count(*) FILTER (on_time) AS completed_on_time "
        f"FROM (SELECT *, {_STATE} AS state, {band} AS band FROM ({sql})) GROUP BY GROUPING SETS ({sets})",
        params)
    figures = ["raised", "open", "overdue", "completed", "completed_on_time"]
    rows = df.fetchall()
    if not rows:   # no actions: the typed empty frames
        empty = pd.DataFrame({**{k: pd.Series(dtype=object) for k in _KEYS}, **{c: pd.Series(dtype="int64")
                                                                               for c in figures}})
        return {name: empty[[*cols, *figures]] for name, cols in _SETS.items()}
    # Rows split by their grouping flags in Python (masks over a frame cost more than the query).
    by_flags = {tuple(0 if k in cols else 1 for k in _KEYS): name for name, cols in _SETS.items()}
    parts: dict[str, list] = {name: [] for name in _SETS}
    n = len(_KEYS)
    for r in rows:
        parts[by_flags[r[:n]]].append(r)
    out = {}
    for name, cols in _SETS.items():
        got = parts[name]
        out[name] = pd.DataFrame({**{k: [r[n + _KEYS.index(k)] for r in got] for k in cols},
                                  **{c: pd.array([r[2 * n + i] for r in got], dtype="int64")
                                     for i, c in enumerate(figures)}})
    return out


def _by(counts: dict[str, pd.DataFrame], column: str) -> pd.DataFrame:
    if column not in ("source", "service"):
        raise ValueError(column)
    df = counts[column].sort_values(["raised", column], ascending=[False, True], kind="stable",
                                    na_position="last").reset_index(drop=True)
    for col in ("raised", "open", "overdue", "completed", "completed_on_time"):
        df[col] = df[col].astype(int)
    df["on_time_pct"] = [pct(a, b) for a, b in zip(df["completed_on_time"], df["completed"])]
    cis = [wilson_interval(int(a), int(b)) for a, b in zip(df["completed_on_time"], df["completed"])]
    df["on_time_ci_low"] = [c[0] for c in cis]
    df["on_time_ci_high"] = [c[1] for c in cis]
    return df


def ageing(con, f: Filters) -> pd.DataFrame:
    """Open actions on D by days since raised (D − raised_date), and how many of them are overdue."""
    return _ageing(_counts(con, f))


def _ageing(counts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    b = counts["band"]
    got = {int(k): (int(o), int(v)) for k, o, v in zip(b["band"], b["open"], b["overdue"])}
    return pd.DataFrame([(label, got.get(k, (0, 0))[0], got.get(k, (0, 0))[1]) for k, label in enumerate(AGE_BANDS)],
                        columns=["age_band", "open", "overdue"])


def not_reviewed(con, f: Filters) -> pd.DataFrame:
    """Open actions on D whose last review (else the day raised) is more than 90 days before D.

    Only the latest review is stored: an action reviewed after D counts as reviewed (its earlier reviews
    are not known), so a past period can only understate this list.
    """
    sql, params = _actions(f)
    df = con.execute(
        f"SELECT action_id, source, source_ref, theme, service, owner_role, raised_date, due_date, status, "
        f"last_reviewed_date, date_diff('day', coalesce(last_reviewed_date, raised_date), CAST(? AS DATE)) "
        f"AS days_since_review, overdue FROM ({sql}) WHERE is_open AND "
        f"date_diff('day', coalesce(last_reviewed_date, raised_date), CAST(? AS DATE)) > {REVIEW_DAYS} "
        f"ORDER BY days_since_review DESC, action_id", [f.end, *params, f.end]).df()
    for col in ("raised_date", "due_date", "last_reviewed_date"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return df


def flow(con, f: Filters) -> pd.DataFrame:
    """Source -> theme -> state on D, counted: where actions pile up as overdue is where learning stalls."""
    return _flow(_counts(con, f))


def _flow(counts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = counts["flow"][["source", "theme", "state", "raised"]].rename(columns={"raised": "n"})
    return df.sort_values(["source", "theme", "state"], kind="stable", na_position="last").reset_index(
        drop=True).astype({"n": int})


def stalls(con, f: Filters) -> pd.DataFrame:
    """Per theme: actions raised, open and overdue on D, and the share overdue of those raised."""
    return _stalls(_counts(con, f))


def _stalls(counts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = counts["theme"][["theme", "raised", "open", "overdue"]].sort_values(
        ["overdue", "open", "theme"], ascending=[False, False, True], kind="stable", na_position="last"
    ).reset_index(drop=True)
    df["overdue_pct"] = [pct(o, r) for o, r in zip(df["overdue"], df["raised"])]
    return df


def action_list(con, f: Filters, *, source: str | None = None, service: str | None = None,
                state: str | None = None) -> pd.DataFrame:
    """The actions behind a figure: those raised in the period, with their state on D (as in ``flow``),
    optionally of one source, one service (ALL for organisation-wide) and one state. No free text is shown."""
    sql, params = _actions(f)
    cond, extra = [], []
    for col, value in (("source", source), ("service", service), ("state", state)):
        if value is not None:
            cond.append(f"{col} = ?")
            extra.append(value)
    df = con.execute(
        f"SELECT * FROM (SELECT action_id, source, source_ref, theme, service, owner_role, raised_date, due_date, "
        f"status, completed_date, last_reviewed_date, {_STATE} AS state, age_days FROM ({sql})) "
        f"{'WHERE ' + ' AND '.join(cond) if cond else ''} ORDER BY raised_date, action_id", [*params, *extra]).df()
    for col in ("raised_date", "due_date", "completed_date", "last_reviewed_date"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return df


# --- reflective activities -------------------------------------------------------------------
def activities(con, f: Filters) -> pd.DataFrame:
    """Reflective activities in the period by month, level and kind, with how many link to an audit
    (``audit_id``), to a theme, or to either."""
    cond, params = where(f, "activity_date")
    df = con.execute(
        f"SELECT strftime(activity_date, '%Y-%m') AS month, level, kind, count(*) AS activities, "
        f"count(audit_id) AS linked_to_audit, count(theme) AS linked_to_theme, "
        f"count(*) FILTER (audit_id IS NOT NULL OR theme IS NOT NULL) AS linked_to_either "
        f"FROM reflective_activities WHERE {cond} GROUP BY ALL ORDER BY month, level, kind", params).df()
    for col in ("activities", "linked_to_audit", "linked_to_theme", "linked_to_either"):
        df[col] = df[col].astype(int)
    return df


def activity_totals(con, f: Filters) -> pd.DataFrame:
    """Per level: activities and the share linked to an audit, to a theme, or to either."""
    return _activity_totals(activities(con, f))


def _activity_totals(acts: pd.DataFrame) -> pd.DataFrame:
    """``activity_totals`` added up from ``activities`` (per month, level and kind: the counts add up)."""
    cols = ["activities", "linked_to_audit", "linked_to_theme", "linked_to_either"]
    df = acts.groupby("level", dropna=False, sort=False)[cols].sum().reset_index()
    df["order"] = [LEVELS.index(x) if x in LEVELS else len(LEVELS) for x in df["level"]]
    df = df.sort_values(["order", "level"]).drop(columns="order").reset_index(drop=True)
    for col in cols:
        df[col] = df[col].astype(int)
        if col != "activities":
            df[f"{col}_pct"] = [pct(a, n) for a, n in zip(df[col], df["activities"])]
    return df


def page_figures(con, f: Filters) -> dict:
    """Everything the tracker's page shows before its own picks: one pass for the counts (``_counts``), the
    summary's learning_actions, the list not reviewed, and the reflective activities (their totals per
    level added up from the per-month counts)."""
    counts = _counts(con, f)
    acts = activities(con, f)
    return {"headline": {"raised": int(counts["source"]["raised"].sum()), **learning_actions(con, f)},
            "by_source": _by(counts, "source"), "by_service": _by(counts, "service"), "ageing": _ageing(counts),
            "not_reviewed": not_reviewed(con, f), "flow": _flow(counts), "stalls": _stalls(counts),
            "activities": acts, "activity_totals": _activity_totals(acts)}
