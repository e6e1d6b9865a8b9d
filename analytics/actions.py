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


def completed(con, f: Filters) -> int:
    """The denominator of % completed on time: actions raised in the period with status Complete and a
    completion date (for a copy that circulates: a % over fewer than the threshold is not shown)."""
    sql, params = _actions(f)
    return con.execute(f"SELECT count(*) FILTER (completed) FROM ({sql})", params).fetchone()[0]


def by(con, f: Filters, column: str) -> pd.DataFrame:
    """Raised, open, overdue and completed on time per source or per service (ALL: organisation-wide)."""
    return _by(_counts(con, f), column)


# The tracker's counts in one pass over the period's actions (a query per figure cost a round trip each):
# per source, per service, per age band, per source x theme x state, per theme.
_SETS = {"source": ("source",), "service": ("service",), "band": ("band",), "flow": ("source", "theme", "state"),
         "theme": ("theme",)}
_KEYS = ("source", "service", "theme", "state", "band")


_FIGURES = ("raised", "open", "overdue", "completed", "completed_on_time")


def _counts(con, f: Filters) -> dict[str, list[tuple]]:
    """Per grouping of ``_SETS``: (its key values..., raised, open, overdue, completed, completed on time)."""
    sql, params = _actions(f)
    band = ("CASE WHEN age_days <= 30 THEN 0 WHEN age_days <= 90 THEN 1 WHEN age_days <= 180 THEN 2 ELSE 3 END")
    sets = ", ".join(f"({', '.join(cols)})" for cols in _SETS.values())
    rows = con.execute(
        f"SELECT {', '.join(f'GROUPING({k}) AS g_{k}' for k in _KEYS)}, {', '.join(_KEYS)}, count(*) AS raised, "
        f"count(*) FILTER (is_open) AS open, count(*) FILTER (overdue) AS overdue, "
        f"count(*) FILTER (completed) AS completed, count(*) FILTER (on_time) AS completed_on_time "
        f"FROM (SELECT *, {_STATE} AS state, {band} AS band FROM ({sql})) GROUP BY GROUPING SETS ({sets})",
        params).fetchall()
    # Rows split by their grouping flags, and the figures below built from plain tuples (a frame per grouping,
    # sorted and cast in pandas, cost more than the query).
    by_flags = {tuple(0 if k in cols else 1 for k in _KEYS): name for name, cols in _SETS.items()}
    n = len(_KEYS)
    picks = {name: [n + _KEYS.index(k) for k in cols] for name, cols in _SETS.items()}
    parts: dict[str, list] = {name: [] for name in _SETS}
    for r in rows:
        name = by_flags[r[:n]]
        parts[name].append(tuple(r[i] for i in picks[name]) + tuple(r[2 * n:]))
    return parts


def _frame(columns: list[str], rows: list[tuple], ints: int) -> pd.DataFrame:
    """A frame of ``rows``: its key columns as given (objects when there are no rows), its last ``ints`` whole."""
    keys = len(columns) - ints
    return pd.DataFrame({**{c: [r[i] for r in rows] if rows else pd.Series(dtype=object)
                            for i, c in enumerate(columns[:keys])},
                         **{c: pd.array([r[keys + i] for r in rows], dtype="int64")
                            for i, c in enumerate(columns[keys:])}})


def _last(value) -> tuple:
    """A sort key putting a blank last (pandas' na_position="last")."""
    return (value is None, value if value is not None else "")


def _by(counts: dict[str, list[tuple]], column: str) -> pd.DataFrame:
    if column not in ("source", "service"):
        raise ValueError(column)
    rows = sorted(counts[column], key=lambda r: (-r[1], _last(r[0])))
    df = _frame([column, *_FIGURES], rows, len(_FIGURES))
    df["on_time_pct"] = [pct(r[5], r[4]) for r in rows]
    cis = [wilson_interval(int(r[5]), int(r[4])) for r in rows]
    df["on_time_ci_low"] = [c[0] for c in cis]
    df["on_time_ci_high"] = [c[1] for c in cis]
    return df


def ageing(con, f: Filters) -> pd.DataFrame:
    """Open actions on D by days since raised (D − raised_date), and how many of them are overdue."""
    return _ageing(_counts(con, f))


def _ageing(counts: dict[str, list[tuple]]) -> pd.DataFrame:
    got = {int(r[0]): (int(r[2]), int(r[3])) for r in counts["band"]}
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


def _flow(counts: dict[str, list[tuple]]) -> pd.DataFrame:
    rows = sorted(counts["flow"], key=lambda r: (_last(r[0]), _last(r[1]), _last(r[2])))
    return _frame(["source", "theme", "state", "n"], [r[:4] for r in rows], 1)


def stalls(con, f: Filters) -> pd.DataFrame:
    """Per theme: actions raised, open and overdue on D, and the share overdue of those raised."""
    return _stalls(_counts(con, f))


def _stalls(counts: dict[str, list[tuple]]) -> pd.DataFrame:
    rows = sorted(counts["theme"], key=lambda r: (-r[3], -r[2], _last(r[0])))
    df = _frame(["theme", "raised", "open", "overdue"], [r[:4] for r in rows], 3)
    df["overdue_pct"] = [pct(r[3], r[1]) for r in rows]
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
    rows = con.execute(
        f"SELECT strftime(activity_date, '%Y-%m') AS month, level, kind, count(*) AS activities, "
        f"count(audit_id) AS linked_to_audit, count(theme) AS linked_to_theme, "
        f"count(*) FILTER (audit_id IS NOT NULL OR theme IS NOT NULL) AS linked_to_either "
        f"FROM reflective_activities WHERE {cond} GROUP BY ALL ORDER BY month, level, kind", params).fetchall()
    return _frame(["month", "level", "kind", *_ACTIVITY_COUNTS], rows, len(_ACTIVITY_COUNTS))


_ACTIVITY_COUNTS = ["activities", "linked_to_audit", "linked_to_theme", "linked_to_either"]


def activity_totals(con, f: Filters) -> pd.DataFrame:
    """Per level: activities and the share linked to an audit, to a theme, or to either."""
    return _activity_totals(activities(con, f))


def _activity_totals(acts: pd.DataFrame) -> pd.DataFrame:
    """``activity_totals`` added up from ``activities`` (per month, level and kind: the counts add up)."""
    sums: dict = {}
    for level, *counts in zip(acts["level"].tolist(), *(acts[c].tolist() for c in _ACTIVITY_COUNTS)):
        level = None if level is None or level != level else level       # a blank level (NaN from a text column)
        total = sums.setdefault(level, [0] * len(_ACTIVITY_COUNTS))
        for i, k in enumerate(counts):
            total[i] += k
    levels = sorted(sums, key=lambda x: (LEVELS.index(x) if x in LEVELS else len(LEVELS), _last(x)))
    df = _frame(["level", *_ACTIVITY_COUNTS], [(x, *sums[x]) for x in levels], len(_ACTIVITY_COUNTS))
    for col in _ACTIVITY_COUNTS[1:]:
        df[f"{col}_pct"] = [pct(a, n) for a, n in zip(df[col], df["activities"])]
    return df


def page_figures(con, f: Filters) -> dict:
    """Everything the tracker's page shows before its own picks: one pass for the counts (``_counts``), the
    summary's learning_actions, the list not reviewed, and the reflective activities (their totals per
    level added up from the per-month counts)."""
    counts = _counts(con, f)
    acts = activities(con, f)
    return {"headline": {"raised": sum(r[1] for r in counts["source"]), **learning_actions(con, f)},
            "by_source": _by(counts, "source"), "by_service": _by(counts, "service"), "ageing": _ageing(counts),
            "not_reviewed": not_reviewed(con, f), "flow": _flow(counts), "stalls": _stalls(counts),
            "activities": acts, "activity_totals": _activity_totals(acts)}
