"""Reviews and spotlights: Rapid Reviews, CSPRs, DSCP thematic reviews, Team Spotlights and Ofsted visits, their
themes, and the learning actions that cite them (``learning_actions.source_ref`` = ``review_id``).

Reviews are placed by ``review_date`` and filtered like every dataset (period, service; an authority-wide
review, service ALL, drops out under a service filter as it does in ``summary``). The actions citing a review
are all those raised by D, whatever their own service, each with its state on D by metrics.md: open
(raised by D and not finished by D), overdue (open and due before D), complete, closed.
"""
from __future__ import annotations

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


def timeline(con, f: Filters) -> pd.DataFrame:
    """Reviews in the period, oldest first: id, type, date, title, service, themes (joined with "; "), and the
    actions citing each: actions, open, overdue, complete, closed (on D)."""
    cond, params = where(f, "r.review_date")   # acts has no service column: "service" is the review's
    df = con.execute(
        f"""WITH acts AS (SELECT source_ref, {_state_sql()} AS state FROM learning_actions WHERE raised_date <= ?)
            SELECT r.review_id, r.review_type, r.review_date, r.title, r.service,
                   array_to_string(coalesce(r.themes, []), '; ') AS themes,
                   count(a.state) AS actions, count(*) FILTER (a.state IN ('Open', 'Overdue')) AS open,
                   count(*) FILTER (a.state = 'Overdue') AS overdue,
                   count(*) FILTER (a.state = 'Complete') AS complete,
                   count(*) FILTER (a.state = 'Closed') AS closed
            FROM reviews r LEFT JOIN acts a ON a.source_ref = r.review_id
            WHERE {cond}
            GROUP BY ALL ORDER BY r.review_date, r.review_id""",
        [f.end, f.end, f.end, *params]).df()
    order = {t: i for i, t in enumerate(TYPES)}
    df["type_order"] = df["review_type"].map(lambda t: order.get(t, len(TYPES)))
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
    from .themes import canonical, synonym_lookup
    cond, params = where(f, "review_date")
    rows = con.execute(f"SELECT review_id, review_type, unnest(themes) AS name FROM reviews WHERE {cond}",
                       params).fetchall()
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
    return con.execute(
        f"""SELECT a.source_ref AS review_id, r.review_type, a.action_id, a.source, a.theme, a.service,
                   a.owner_role, a.raised_date, a.due_date, a.status, a.completed_date, a.last_reviewed_date,
                   {_state_sql()} AS state_on_d
            FROM learning_actions a
            JOIN (SELECT review_id, review_type, review_date FROM reviews WHERE {cond}) r
              ON r.review_id = a.source_ref
            WHERE a.raised_date <= ?
            ORDER BY r.review_date, a.source_ref, a.raised_date, a.action_id""",
        [f.end, f.end, *params, f.end]).df().pipe(_dates)
