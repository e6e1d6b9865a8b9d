"""Reviews and spotlights: Rapid Reviews, CSPRs, DSCP thematic reviews, Team Spotlights and Ofsted visits, their
themes, and the learning actions that cite them (``learning_actions.source_ref`` = ``review_id``).

Reviews are placed by ``review_date`` and filtered like every dataset (period, service; an authority-wide
review, service ALL, drops out under a service filter as it does in ``summary``). The actions citing a review
are all those raised by D, whatever their own service, each with its state on D by metrics.md: open
(raised by D and not finished by D), overdue (open and due before D), complete, closed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .filters import Filters, where
from .metrics import ACTION_FINISHED

TYPES = ["Rapid Review", "CSPR", "DSCP Thematic Review", "Team Spotlight", "Ofsted"]


def _dates(df: pd.DataFrame) -> pd.DataFrame:
    """Date columns as dates (a table shows 2025-03-31, not 2025-03-31 00:00:00)."""
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            if df.empty:
                df[col] = []
                continue
            # Whole columns (a value at a time cost most of the timeline): dates, and None for a blank.
            values = df[col].dt.date.to_numpy(dtype=object, copy=True)
            values[df[col].isna().to_numpy()] = None
            df[col] = values
    return df


def _state_sql() -> str:
    # Finished by D (metrics.ACTION_FINISHED) splits into complete and closed by status.
    return (f"CASE WHEN NOT {ACTION_FINISHED} THEN (CASE WHEN due_date < ? THEN 'Overdue' ELSE 'Open' END) "
            "WHEN status = 'Closed' THEN 'Closed' ELSE 'Complete' END")


def _reviews(con, f: Filters) -> pd.DataFrame:
    """The period's reviews, oldest first, with their themes as a list and joined with "; "."""
    cond, params = where(f, "review_date")
    return con.execute(
        f"SELECT review_id, review_type, review_date, title, service, "
        f"array_to_string(coalesce(themes, []), '; ') AS themes, themes AS names FROM reviews WHERE {cond} "
        f"ORDER BY review_date, review_id", params).df()


def timeline(con, f: Filters) -> pd.DataFrame:
    """Reviews in the period, oldest first: id, type, date, title, service, themes (joined with "; "), and the
    actions citing each: actions, open, overdue, complete, closed (on D)."""
    return _timeline(_reviews(con, f), citing_actions(con, f))


STATE_COUNTS = ("actions", "open", "overdue", "complete", "closed")


def _timeline(period: pd.DataFrame, citing: pd.DataFrame) -> pd.DataFrame:
    # The actions citing each review counted from the list of them (the page shows both: one read, not two).
    per: dict[str, list[int]] = {}
    for review_id, state in zip(citing["review_id"].tolist(), citing["state_on_d"].tolist()):
        c = per.setdefault(review_id, [0, 0, 0, 0, 0])
        c[0] += 1
        c[1] += state in ("Open", "Overdue")
        c[2] += state == "Overdue"
        c[3] += state == "Complete"
        c[4] += state == "Closed"
    df = period.drop(columns="names")
    ids = df["review_id"].tolist()
    for i, col in enumerate(STATE_COUNTS):
        df[col] = pd.array([per.get(r, (0, 0, 0, 0, 0))[i] for r in ids], dtype="int64")
    order = {t: i for i, t in enumerate(TYPES)}
    df["type_order"] = pd.array([order.get(t, len(TYPES)) for t in df["review_type"].tolist()], dtype="int64") \
        if len(df) else pd.Series(dtype=object, index=df.index)      # (as a map over no rows gives)
    return _dates(df)


def by_type(reviews: pd.DataFrame) -> pd.DataFrame:
    """Per review type: reviews, actions citing them, open, overdue, and reviews with no action."""
    if reviews.empty:
        return pd.DataFrame(columns=["review_type", "reviews", "actions", "open", "overdue", "without_actions"])
    out = reviews.groupby("review_type", sort=False).agg(
        reviews=("review_id", "count"), actions=("actions", "sum"), open=("open", "sum"),
        overdue=("overdue", "sum"), without_actions=("actions", lambda a: int((a == 0).sum()))).reset_index()
    order = {t: i for i, t in enumerate(TYPES)}
    return out.sort_values("review_type", key=lambda s: s.map(lambda t: order.get(t, len(TYPES)))).reset_index(
        drop=True)


def themes(con, f: Filters, config) -> pd.DataFrame:
    """Theme mentions across the period's reviews, names matched through the synonym list (so "Voice of child"
    and "Voice of the child" count together): theme, reviews naming it, and the review types."""
    return _themes(_reviews(con, f), config)


def _themes(period: pd.DataFrame, config) -> pd.DataFrame:
    from .themes import canonical, synonym_lookup
    rows = [(review_id, review_type, name) for review_id, review_type, names in zip(
        period["review_id"].tolist(), period["review_type"].tolist(), period["names"].tolist())
        if isinstance(names, (list, np.ndarray)) for name in names]      # (no list: NA)
    if not rows:
        return pd.DataFrame(columns=["theme", "reviews", "review_types"])
    lookup = synonym_lookup(config)
    # Plain tuples and sets, each spelling mapped once (a pandas group with a Python aggregate cost most of it).
    names = {n: canonical(n, lookup) for n in {r[2] for r in rows}}
    seen: dict[str, tuple[set, set]] = {}
    for review_id, review_type, name in rows:
        ids, types = seen.setdefault(names[name], (set(), set()))
        ids.add(review_id)
        types.add(review_type)
    order = sorted(seen, key=lambda t: (-len(seen[t][0]), t))
    return pd.DataFrame({"theme": order, "reviews": pd.array([len(seen[t][0]) for t in order], dtype="int64"),
                         "review_types": ["; ".join(sorted(seen[t][1])) for t in order]})


def citing_actions(con, f: Filters) -> pd.DataFrame:
    """The learning actions raised by D that cite a review in the period, with their state on D."""
    cond, params = where(f, "review_date")
    # A review can lead to actions in another service: a role that sees only its own services is shown only
    # theirs, as the Learning Action Tracker shows it.
    scoped, scope = ("", []) if f.scope is None else (" AND list_contains(?, a.service)", [list(f.scope)])
    return con.execute(
        f"""SELECT a.source_ref AS review_id, r.review_type, a.action_id, a.source, a.theme, a.service,
                   a.owner_role, a.raised_date, a.due_date, a.status, a.completed_date, a.last_reviewed_date,
                   {_state_sql()} AS state_on_d
            FROM learning_actions a
            JOIN (SELECT review_id, review_type, review_date FROM reviews WHERE {cond}) r
              ON r.review_id = a.source_ref
            WHERE a.raised_date <= ?{scoped}
            ORDER BY r.review_date, a.source_ref, a.raised_date, a.action_id""",
        [f.end, f.end, *params, f.end, *scope]).df().pipe(_dates)


def page_figures(con, f: Filters, config) -> dict[str, pd.DataFrame]:
    """The timeline, the themes and the citing actions from two reads: the period's reviews and the actions
    citing them (the timeline's counts come from that list)."""
    period, citing = _reviews(con, f), citing_actions(con, f)
    return {"timeline": _timeline(period, citing), "themes": _themes(period, config), "citing_actions": citing}
