"""Impact of an intervention: % good or better in a window before it and after it (metrics.md).

``measure`` is the one function behind both the ``qa-dashboard impact`` JSON and the Impact page:
the command prints ``Comparison.as_json()``; the page shows the same object with its window dates,
counts and the sentence ``describe`` writes. The wording says what changed and how sure the data
is; it never says the intervention caused the change (other things change at the same time).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import grade_days
from .filters import Filters, add_months, month_start
from .presentation import DASH, format_pct, round_half_away

Z95 = 1.959964
MIN_EVIDENCE = 10
# Below this p-value a difference is called "unlikely by chance alone" (the usual 5% level).
ALPHA = 0.05
KIND_NOUN = {"Training": "the training", "Briefing": "the briefing", "Practice Week": "the practice week",
             "Process change": "the process change"}


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | tuple[None, None]:
    """95% Wilson score interval for a proportion, as percentages."""
    if n == 0:
        return None, None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half) * 100, min(1.0, centre + half) * 100


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided z-test p-value with the pooled proportion; 1 when it is 0 or 1, None when a side is empty."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 1.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (x2 / n2 - x1 / n1) / se
    return math.erfc(abs(z) / math.sqrt(2))


def side(successes: int, n: int) -> dict[str, Any]:
    low, high = wilson_interval(successes, n)
    return {"n": n, "good_or_better_pct": (successes / n * 100) if n else None, "ci_low": low, "ci_high": high}


# --- windows and scope ------------------------------------------------------------------------
@dataclass(frozen=True)
class Windows:
    """Before = [before_start, start), during = [start, end], after = (end, after_end] (metrics.md)."""
    before_start: dt.date
    start: dt.date
    end: dt.date
    after_end: dt.date

    @classmethod
    def of(cls, row: dict, window: int) -> "Windows":
        start = row["start_date"]
        end = row.get("end_date") or start
        return cls(add_months(start, -window), start, end, add_months(end, window))

    @property
    def before_label(self) -> str:
        return f"{self.before_start:%d %b %Y} to {self.start - dt.timedelta(days=1):%d %b %Y}"

    @property
    def during_label(self) -> str:
        return f"{self.start:%d %b %Y}" + ("" if self.end == self.start else f" to {self.end:%d %b %Y}")

    @property
    def after_label(self) -> str:
        return f"{self.end + dt.timedelta(days=1):%d %b %Y} to {self.after_end:%d %b %Y}"

    def timing(self, day: dt.date) -> str:
        """Where a day falls: 'before' (any time before the start), 'during' or 'after' the intervention."""
        if day < self.start:
            return "before"
        return "during" if day <= self.end else "after"


def scope_services(service: str | None, f: Filters | None = None) -> list[str] | None:
    """The services a comparison covers: the intervention's (None = all), narrowed by the viewer's filter."""
    own = None if (service or "ALL") == "ALL" else [service]
    viewer = f.effective_services() if f is not None else None
    if viewer is None:
        return own
    if own is None:
        return list(viewer)
    return [s for s in own if s in viewer]


SERVICE_SQL = "(CAST(? AS VARCHAR[]) IS NULL OR list_contains(CAST(? AS VARCHAR[]), service))"


def _counts(con, start: dt.date, end: dt.date, include_start: bool, services: list[str] | None,
            pillar: str | None) -> tuple[int, int]:
    return _counts_many(con, [(start, end, include_start, services, pillar)])[0]


def _counts_many(con, windows: list[tuple]) -> list[tuple[int, int]]:
    """(n, good or better) of the final grades in each window (start, end, include_start, services, pillar):
    [start, end) when include_start, else (start, end]; one query for them all, over the grades counted per
    day (a derived table, ``grade_days``)."""
    parts, params = [], []
    for i, (start, end, include_start, services, pillar) in enumerate(windows):
        lower = ">=" if include_start else ">"
        upper = "<" if include_start else "<="
        source, p = grade_days.source(pillar)
        parts.append(f"SELECT {i} AS i, coalesce(sum(n), 0), coalesce(sum(good), 0) FROM {source} "
                     f"AND audit_date {lower} ? AND audit_date {upper} ? AND {SERVICE_SQL}")
        params += [*p, start, end, services, services]
    got = {i: (int(n), int(good)) for i, n, good in con.execute(" UNION ALL ".join(parts), params).fetchall()}
    return [got[i] for i in range(len(windows))]


# --- the comparison (shared by the command and the page) ----------------------------------------
@dataclass(frozen=True)
class Comparison:
    intervention_id: str
    target: str                 # the pillar name, or "overall"
    windows: Windows
    services: list[str] | None  # None = all services
    n_before: int
    good_before: int
    n_after: int
    good_after: int

    @property
    def before(self) -> dict[str, Any]:
        return side(self.good_before, self.n_before)

    @property
    def after(self) -> dict[str, Any]:
        return side(self.good_after, self.n_after)

    @property
    def difference_pts(self) -> float | None:
        if not (self.n_before and self.n_after):
            return None
        return self.after["good_or_better_pct"] - self.before["good_or_better_pct"]

    @property
    def p_value(self) -> float | None:
        return two_proportion_p_value(self.good_before, self.n_before, self.good_after, self.n_after)

    @property
    def too_little_evidence(self) -> bool:
        return self.n_before < MIN_EVIDENCE or self.n_after < MIN_EVIDENCE

    def as_json(self) -> dict[str, Any]:
        """Exactly the object metrics.md specifies for ``qa-dashboard impact``."""
        return {
            "intervention_id": self.intervention_id,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "difference_pts": self.difference_pts,
            "p_value": self.p_value,
            "too_little_evidence": self.too_little_evidence,
        }

    def table(self) -> pd.DataFrame:
        """One row per side: the window, n, good or better, % and its 95% Wilson interval."""
        rows = []
        for name, label, n, good, s in (("Before", self.windows.before_label, self.n_before, self.good_before,
                                         self.before),
                                        ("After", self.windows.after_label, self.n_after, self.good_after,
                                         self.after)):
            rows.append({"side": name, "window": label, "n": n, "good_or_better": good,
                         "good_or_better_pct": s["good_or_better_pct"], "ci_low": s["ci_low"],
                         "ci_high": s["ci_high"]})
        return pd.DataFrame(rows)


def measure(con, row: dict, window: int, f: Filters | None = None) -> Comparison:
    """Before/after counts for one intervention (``row``: start_date, end_date, service, target_pillar).

    ``f`` narrows the services to the viewer's filter and scope; its period does not apply, since the
    windows are set by the intervention.
    """
    return measure_all(con, [row], window, f)[0]


def measure_all(con, rows: list[dict], window: int, f: Filters | None = None) -> list[Comparison]:
    """``measure`` of each row, counted in one query."""
    plans, windows = [], []
    for row in rows:
        w = Windows.of(row, window)
        services = scope_services(row.get("service"), f)
        pillar = row.get("target_pillar") or None
        plans.append((row, w, services, pillar))
        windows += [(w.before_start, w.start, True, services, pillar), (w.end, w.after_end, False, services, pillar)]
    counts = _counts_many(con, windows) if windows else []
    return [Comparison(row.get("intervention_id") or "new", pillar or "overall", w, services,
                       *counts[2 * k], *counts[2 * k + 1]) for k, (row, w, services, pillar) in enumerate(plans)]


def intervention_impact(con, row: dict, window: int) -> dict[str, Any]:
    return measure(con, row, window).as_json()


COLUMNS = ("intervention_id, name, kind, start_date, end_date, coalesce(service, 'ALL') AS service, target_pillar, "
           "target_theme, target_kpi")


def interventions(con, intervention_id: str | None = None) -> list[dict]:
    """Stored interventions as dicts, by id."""
    sql = f"SELECT {COLUMNS} FROM interventions"
    params: list = []
    if intervention_id:
        sql += " WHERE intervention_id = ?"
        params.append(intervention_id)
    cur = con.execute(sql + " ORDER BY intervention_id", params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def impact(con, window: int = 6, intervention_id: str | None = None) -> dict[str, Any]:
    return {"window_months": window,
            "interventions": [intervention_impact(con, r, window) for r in interventions(con, intervention_id)]}


# --- wording ----------------------------------------------------------------------------------
def format_p(p: float | None) -> str:
    if p is None:
        return DASH
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def format_points(diff: float | None) -> str:
    """+34.3 points, −5.0 points (a true minus sign), 0.0 points."""
    if diff is None:
        return DASH
    value = round_half_away(diff)
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return f"{sign}{abs(value):.1f} points"


def evidence(c: Comparison) -> str:
    """How sure the data is, in a few words (the effects table's column). An empty side is named as such: a
    planned intervention has no audits after it, which is not thin evidence but none yet."""
    if c.n_after == 0:
        return "Nothing to compare yet: no audits after it" if c.n_before else "No audits in either window"
    if c.n_before == 0:
        return "Nothing to compare with: no audits before it"
    if c.too_little_evidence:
        return "Too little evidence (fewer than 10 on a side)"
    if c.p_value is not None and c.p_value < ALPHA:
        return "Unlikely to be chance alone (p < 0.05)"
    return "Could be chance (p ≥ 0.05)"


def subject(c: Comparison) -> str:
    return "audits" if c.target == "overall" else f"{c.target} pillar grades"


def describe(c: Comparison, kind: str | None = None, scope: str | None = None) -> str:
    """One or two sentences on what changed and how sure the data is, never claiming a cause."""
    noun = KIND_NOUN.get(kind or "", "the intervention")
    what = subject(c) + (f" in {scope}" if scope else "")
    if c.n_before == 0 and c.n_after == 0:
        return f"There are no {what} in either window, so there is nothing to compare."
    if c.n_before == 0:
        return (f"There are no {what} in the window before {noun} "
                f"({c.windows.before_label}), so there is nothing to compare with.")
    if c.n_after == 0:
        return (f"There are no {what} after {noun} yet ({c.windows.after_label}), so its effect cannot be "
                f"measured.")
    before, after = c.before["good_or_better_pct"], c.after["good_or_better_pct"]
    head = (f"After {noun}, {format_pct(after)} of {what} were good or better against {format_pct(before)} "
            f"before (difference {format_points(c.difference_pts)}")
    if c.too_little_evidence:
        return (f"{head}), but there is too little evidence to judge: {c.n_before} before and {c.n_after} after, "
                f"and at least {MIN_EVIDENCE} are needed on each side.")
    if c.p_value is not None and c.p_value < ALPHA:
        return (f"{head}; a difference this large would be unlikely by chance alone, {format_p(c.p_value)}); "
                f"other changes at the same time may also explain it.")
    return (f"{head}; a difference this size could arise by chance alone, {format_p(c.p_value)}), so the data "
            f"do not show a clear change.")


# --- the monthly series behind the comparison -------------------------------------------------
def series_span(w: Windows, f: Filters | None, months: list[str]) -> tuple[str, str] | None:
    """The months the chart covers: the viewer's period widened to both windows, within the audit months."""
    if not months:
        return None
    first = min(w.before_start.strftime("%Y-%m"), f.month_from if f and f.month_from else months[-1])
    last = max(w.after_end.strftime("%Y-%m"), f.month_to if f and f.month_to else months[0])
    first, last = max(first, months[0]), min(last, months[-1])
    return (first, last) if first <= last else None


def monthly_series(con, row: dict, window: int, f: Filters | None, months: list[str]) -> pd.DataFrame:
    """% good or better per month (target pillar, else overall final grade) in the comparison's services.

    Every month of the span has a row (n = 0 where nothing was audited). ``mid`` is the month's 15th,
    where the chart draws the point, so that the shaded windows (exact days) line up with it.
    """
    w = Windows.of(row, window)
    span = series_span(w, f, months)
    cols = ["month", "mid", "n", "good", "good_pct", "ci_low", "ci_high"]
    if span is None:
        return pd.DataFrame(columns=cols)
    services = scope_services(row.get("service"), f)
    pillar = row.get("target_pillar") or None
    source, params = grade_days.source(pillar)
    start = month_start(span[0])
    end = add_months(month_start(span[1]), 1)
    got = dict((m, (int(n), int(g))) for m, n, g in con.execute(
        f"SELECT strftime(date_trunc('month', audit_date), '%Y-%m'), sum(n), sum(good) FROM {source} "
        f"AND audit_date >= ? AND audit_date < ? AND {SERVICE_SQL} GROUP BY 1",
        [*params, start, end, services, services]).fetchall())
    rows, day = [], start
    while day < end:
        m = day.strftime("%Y-%m")
        n, g = got.get(m, (0, 0))
        low, high = wilson_interval(g, n)
        rows.append({"month": m, "mid": day.replace(day=15), "n": n, "good": g,
                     "good_pct": g / n * 100 if n else None, "ci_low": low, "ci_high": high})
        day = add_months(day, 1)
    return pd.DataFrame(rows, columns=cols)


# --- every intervention with its measured effect ----------------------------------------------
def effects(con, window: int, f: Filters | None = None) -> pd.DataFrame:
    """One row per stored intervention: its target and the before/after comparison (``measure``)."""
    rows = []
    stored = interventions(con)
    for r, c in zip(stored, measure_all(con, stored, window, f)):
        rows.append({
            "intervention_id": r["intervention_id"], "name": r["name"], "kind": r["kind"],
            "start_date": r["start_date"], "end_date": r["end_date"], "service": r["service"],
            "target": c.target, "n_before": c.n_before, "pct_before": c.before["good_or_better_pct"],
            "ci_before": _range(c.before), "ci_before_low": c.before["ci_low"],
            "ci_before_high": c.before["ci_high"], "n_after": c.n_after, "pct_after": c.after["good_or_better_pct"],
            "ci_after": _range(c.after), "ci_after_low": c.after["ci_low"], "ci_after_high": c.after["ci_high"],
            "difference_pts": c.difference_pts, "p_value": c.p_value,
            "evidence": evidence(c), "target_theme": r["target_theme"], "target_kpi": r["target_kpi"]})
    cols = ["intervention_id", "name", "kind", "start_date", "end_date", "service", "target", "n_before",
            "pct_before", "ci_before", "ci_before_low", "ci_before_high", "n_after", "pct_after", "ci_after",
            "ci_after_low", "ci_after_high", "difference_pts", "p_value", "evidence",
            "target_theme", "target_kpi"]
    df = pd.DataFrame(rows, columns=cols)
    for col in ("pct_before", "ci_before_low", "ci_before_high", "pct_after", "ci_after_low", "ci_after_high",
                "difference_pts", "p_value"):
        df[col] = df[col].astype(float)
    return df


def _range(s: dict) -> str:
    if s["ci_low"] is None:
        return DASH
    return f"{round_half_away(s['ci_low']):.1f}–{round_half_away(s['ci_high']):.1f}%"
