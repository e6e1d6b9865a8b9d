"""Practice observations: compliance on a day (metrics.md), who falls due next, observation types and grades.

**Compliance on D**, for staff in post on D (roster: ``start_date`` blank or ≤ D, ``end_date`` blank or ≥ D),
over the observations of the 12 months to D (``observed_date`` after D − 12 months, up to D):
Family Practitioners and Social Workers need at least 2 observations, one of them Direct work with child;
Team Managers at least 2, one of them Supervision; Service Managers at least one Supervision. The roster
holds each person's current role and service, and history uses them (not the observation's own role).

**Due within N days**: a person in post on D who is compliant on D but, judged on D + N with only the
observations made by D, would not be (an observation drops out of the 12-month window). Someone whose
roster end date falls before D + N is not listed as due: they will have left.
"""
from __future__ import annotations

import bisect
import datetime as dt

import numpy as np
import pandas as pd

from .filters import Filters, add_months, where
from .impact import wilson_interval

DIRECT = "Direct work with child"
SUPERVISION = "Supervision"
# role -> (observations needed in 12 months, the type one of them must be)
RULES: dict[str, tuple[int, str]] = {
    "Family Practitioner": (2, DIRECT),
    "Social Worker": (2, DIRECT),
    "Team Manager": (2, SUPERVISION),
    "Service Manager": (1, SUPERVISION),
}
ROLES = list(RULES)
ALL = "All services"
NOT_GRADED = "Not graded"


def _rules_sql() -> tuple[str, list]:
    values = ", ".join("(?, ?, ?)" for _ in RULES)
    params = [x for role, (n, kind) in RULES.items() for x in (role, n, kind)]
    return f"(VALUES {values}) AS r(role, needed, kind)", params


def loaded(con) -> bool:
    """Whether any observation is stored (without any, every person in post would show as overdue)."""
    return con.execute("SELECT count(*) FROM observations").fetchone()[0] > 0


def staff_status(con, judged: dt.date, known: dt.date, services=None, *, lapse: bool = False) -> pd.DataFrame:
    """One row per person in post on ``known`` with an observed role: their observations in the 12 months to
    ``judged`` (only those made by ``known``) and whether that makes them compliant on ``judged``.

    With ``judged`` = ``known`` = D this is compliance on D; with ``judged`` = D + N it is the look-ahead.
    ``lapse`` adds ``lapse_from``: the earlier of the ``needed``-th newest observation in the window and the
    newest of the required type (what ``_first_lapse`` searches with), blank when either is missing.
    """
    rules, params = _rules_sql()
    svc = "" if services is None else "AND list_contains(?, s.service)"
    lapse_sql = (",\n                   least(list_sort(list(o.observed_date) FILTER (o.observation_id IS NOT NULL), "
                 "'DESC')[any_value(p.needed)], max(o.observed_date) FILTER (o.observation_type = p.kind)) "
                 "AS lapse_from") if lapse else ""
    lapse_col = ", seen.lapse_from" if lapse else ""
    sql = f"""
        WITH r AS (SELECT * FROM {rules}),
        people AS (
            SELECT s.staff_id, s.role, s.service, s.team, s.start_date, s.end_date, r.needed, r.kind
            FROM staff s JOIN r ON r.role = s.role
            WHERE (s.start_date IS NULL OR s.start_date <= ?) AND (s.end_date IS NULL OR s.end_date >= ?) {svc}),
        seen AS (
            SELECT p.staff_id, count(o.observation_id) AS observations,
                   count(o.observation_id) FILTER (o.observation_type = p.kind) AS of_kind,
                   max(o.observed_date) AS last_observed{lapse_sql}
            FROM people p LEFT JOIN observations o
              ON o.staff_id = p.staff_id AND o.observed_date > ? AND o.observed_date <= ? AND o.observed_date <= ?
            GROUP BY p.staff_id)
        SELECT p.staff_id, p.role, p.service, p.team, p.start_date, p.end_date, p.needed, p.kind AS required_type,
               seen.observations, seen.of_kind, seen.last_observed,
               seen.observations >= p.needed AND seen.of_kind >= 1 AS compliant{lapse_col}
        FROM people p JOIN seen USING (staff_id)
        ORDER BY p.service, p.role, p.staff_id"""
    args = [*params, known, known] + ([list(services)] if services is not None else []) + \
        [add_months(judged, -12), judged, known]
    return con.execute(sql, args).df()


def compliance(con, f: Filters, config) -> pd.DataFrame:
    """Compliance on D by service and role, plus an "All services" row per role and an "All roles" total per
    service: n in post, compliant, % compliant with its 95% Wilson interval."""
    return _compliance(staff_status(con, f.end, f.end, f.effective_services()), config)


def _compliance(people: pd.DataFrame, config) -> pd.DataFrame:
    # (in post, compliant) per service and role, per service, per role and in all: one pass over the people
    # (a filtered frame per cell cost more than the query)
    counts: dict[tuple, list[int]] = {}
    services = people["service"].to_numpy(dtype=object)
    for service, role, ok in zip(services, people["role"].to_numpy(dtype=object), people["compliant"].tolist()):
        keys = [(ALL, role), (ALL, "All roles")]
        if isinstance(service, str):   # (a blank service has no cells of its own, only the all-services ones)
            keys += [(service, role), (service, "All roles")]
        for key in keys:
            c = counts.setdefault(key, [0, 0])
            c[0] += 1
            c[1] += ok
    rows = []
    order = [s for s in config.service_codes if s in set(services)] + \
        sorted(set(services) - set(config.service_codes))
    for service in order + [ALL]:
        for role in ROLES + ["All roles"]:
            if (service, role) not in counts:
                continue
            n, ok = counts[service, role]
            low, high = wilson_interval(ok, n)
            rows.append({"service": service, "role": role, "n": n, "compliant": ok,
                         "compliant_pct": ok / n * 100, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=["service", "role", "n", "compliant", "compliant_pct", "ci_low", "ci_high"])


def due(con, f: Filters, horizons=(30, 60)) -> pd.DataFrame:
    """Staff overdue on D or falling due within each horizon: staff_id (pseudonymous), role, service, status,
    due_by (the first day they stop being compliant; blank when already overdue), the observations in
    the window and what is missing. Sorted overdue first, then by due_by."""
    # Each person's lapse_from comes with their status (one query): for someone compliant on D it is what
    # _first_lapse finds from their observations, without reading every observation of the year.
    return _due(staff_status(con, f.end, f.end, f.effective_services(), lapse=True), f.end, horizons)


def compliance_and_due(con, f: Filters, config, horizons=(30, 60)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``compliance`` and ``due`` from one read of the staff's status (the page shows both)."""
    people = staff_status(con, f.end, f.end, f.effective_services(), lapse=True)
    return _compliance(people.drop(columns="lapse_from"), config), _due(people, f.end, horizons)


def _due(people: pd.DataFrame, d: dt.date, horizons) -> pd.DataFrame:
    horizons = sorted(horizons)
    # The look-ahead's days and their windows' starts, worked out once for everyone.
    ahead = [(day, add_months(day, -12)) for day in (d + dt.timedelta(days=k) for k in range(1, horizons[-1] + 1))]
    starts = [start for _, start in ahead]
    cols = ["staff_id", "role", "service", "team", "status", "due_by", "observations", "of_kind",
            "required_type", "last_observed", "missing"]
    # Whole columns, not a row at a time (iterating a frame's dates and texts cost most of the call).
    compliant = people["compliant"].to_numpy(dtype=bool)
    ahead_days = np.array([day for day, _ in ahead], dtype="datetime64[D]")
    # compliant on D, so both dates behind lapse_from are in the window: the same search as _first_lapse
    threshold = people["lapse_from"].to_numpy(dtype="datetime64[D]")
    i = np.searchsorted(np.array(starts, dtype="datetime64[D]"), threshold, side="left")
    lapses = compliant & (i < len(ahead))                # else compliant for the whole look-ahead
    day = np.where(lapses, ahead_days[np.minimum(i, len(ahead) - 1)], np.datetime64("NaT", "D"))
    end = people["end_date"].to_numpy(dtype="datetime64[D]")
    leaving = ~np.isnat(end) & (end < day)               # leaving before it matters
    shown = ~compliant | (lapses & ~leaving)
    if not shown.any():
        return pd.DataFrame(columns=cols)
    out = people.drop(columns="lapse_from")[shown]
    day, overdue = day[shown], ~compliant[shown]
    status = np.array(["Overdue"] * len(out), dtype=object)
    for n in reversed(horizons):                          # the first horizon the day falls within
        status[~overdue & (day <= np.datetime64(d + dt.timedelta(days=n), "D"))] = f"Due within {n} days"
    out = out.assign(status=status,
                     due_by=np.where(overdue, d, day.astype("datetime64[D]").astype(object)).astype(object))
    out["missing"] = [_missing_text(o, n, k, t) for o, n, k, t in zip(
        out["observations"].tolist(), out["needed"].tolist(), out["of_kind"].tolist(), out["required_type"].tolist())]
    out["last_observed"] = pd.to_datetime(out["last_observed"]).dt.date
    out = out.assign(_r=(out["status"] != "Overdue").astype(int)).sort_values(
        ["_r", "due_by", "service", "staff_id"], kind="stable")
    out["due_by"] = out["due_by"].where(out["status"] != "Overdue", None)   # overdue already: no date to meet
    return out[cols].reset_index(drop=True)


def compliant_on(observations: list[tuple[dt.date, str]], needed: int, kind: str, day: dt.date,
                 start: dt.date | None = None) -> bool:
    """The rule of metrics.md for one person on ``day``, from their (date, type) observations; ``start`` is
    ``day`` - 12 months, when the caller has it already."""
    start = add_months(day, -12) if start is None else start
    window = [t for o, t in observations if start < o <= day]
    return len(window) >= needed and kind in window


def _first_failure(observations, needed: int, kind: str, d: dt.date, upto: int,
                   ahead: list[tuple[dt.date, dt.date]] | None = None) -> dt.date | None:
    """The first day in (D, D + upto] on which the person stops being compliant with the observations made by
    D (compliance can only lapse as the window moves on), or None. ``ahead``: those days with their windows'
    starts, when the caller has them."""
    if ahead is None:
        ahead = [(day, add_months(day, -12)) for day in (d + dt.timedelta(days=k) for k in range(1, upto + 1))]
    for day, start in ahead:
        if not compliant_on(observations, needed, kind, day, start):
            return day
    return None


def _first_lapse(observations, needed: int, kind: str, ahead: list[tuple[dt.date, dt.date]],
                 starts: list[dt.date]) -> dt.date | None:
    """``_first_failure`` for someone compliant on D, found by a search rather than day by day: with only the
    observations made by D, the window (start, day] keeps them while start is before them, so the person
    lapses on the first look-ahead day whose window start reaches the needed-th newest observation or the
    newest of the required type (window starts never go back as days go on)."""
    newest = sorted((o for o, _ in observations), reverse=True)
    of_kind = [o for o, t in observations if t == kind]
    if len(newest) < needed or not of_kind:
        return ahead[0][0] if ahead else None
    i = bisect.bisect_left(starts, min(newest[needed - 1], max(of_kind)))
    return ahead[i][0] if i < len(ahead) else None


def _missing_text(observations: int, needed: int, of_kind: int, required_type: str) -> str:
    needs = []
    if observations < needed:
        short = needed - observations
        needs.append(f"{short} more observation{'s' if short > 1 else ''}")
    if of_kind < 1:
        needs.append(f"a {required_type.lower()} observation")
    return "; ".join(needs) if needs else "an observation before the oldest drops out of the 12 months"


def by_type_and_grade(con, f: Filters, config) -> pd.DataFrame:
    """Observations made in the period by type and grade (the observation's own service): type, grade, rank
    (5 = not graded), n."""
    return type_figures(con, f)["by_type_and_grade"]


def grades_by_type(con, f: Filters) -> pd.DataFrame:
    """Per observation type: observations, graded, good or better, % good or better (over graded) and its
    Wilson interval."""
    return type_figures(con, f)["grades_by_type"]


def monthly(con, f: Filters) -> pd.DataFrame:
    """Observations made per month by type."""
    return type_figures(con, f)["monthly"]


def type_figures(con, f: Filters) -> dict[str, pd.DataFrame]:
    """``by_type_and_grade``, ``grades_by_type`` and ``monthly`` added up from one count per month, type and grade
    (three queries over the period's observations cost more than adding up a few hundred counts)."""
    cond, params = where(f, "observed_date")
    rows = con.execute(
        f"SELECT strftime(m, '%Y-%m'), observation_type, grade, rank, graded, n FROM ("
        f"SELECT date_trunc('month', observed_date) AS m, observation_type, coalesce(o.grade, ?) AS grade, "
        f"coalesce(g.rank, 5) AS rank, g.rank IS NOT NULL AS graded, count(*) AS n "
        f"FROM observations o LEFT JOIN grade_scale g ON g.label = o.grade WHERE {cond} GROUP BY ALL)",
        [NOT_GRADED, *params]).fetchall()
    grades: dict[tuple, int] = {}
    per_type: dict[str, list[int]] = {}
    per_month: dict[tuple, int] = {}
    for month, kind, grade, rank, graded, n in rows:
        grades[(kind, rank, grade)] = grades.get((kind, rank, grade), 0) + n
        t = per_type.setdefault(kind, [0, 0, 0])
        t[0] += n
        t[1] += n if graded else 0
        t[2] += n if graded and rank <= 2 else 0
        per_month[(month, kind)] = per_month.get((month, kind), 0) + n
    text = (lambda values: pd.Series(values, dtype=object)) if not rows else (lambda values: values)
    g = sorted(grades)
    by_grade = pd.DataFrame({"observation_type": text([k[0] for k in g]), "grade": text([k[2] for k in g]),
                             "rank": pd.array([k[1] for k in g], dtype="int32"),
                             "n": pd.array([grades[k] for k in g], dtype="int64")})
    kinds = sorted(per_type)
    by_type = pd.DataFrame({"observation_type": text(kinds),
                            **{c: pd.array([per_type[k][i] for k in kinds], dtype="int64")
                               for i, c in enumerate(("n", "graded", "good"))}})
    by_type["good_pct"] = [g_ / n * 100 if n else None for g_, n in zip(by_type["good"], by_type["graded"])]
    cis = [wilson_interval(int(g_), int(n)) for g_, n in zip(by_type["good"], by_type["graded"])]
    by_type["ci_low"] = [c[0] for c in cis]
    by_type["ci_high"] = [c[1] for c in cis]
    m = sorted(per_month)
    months = pd.DataFrame({"month": text([k[0] for k in m]), "observation_type": text([k[1] for k in m]),
                           "n": pd.array([per_month[k] for k in m], dtype="int64")})
    return {"by_type_and_grade": by_grade, "grades_by_type": by_type, "monthly": months}
