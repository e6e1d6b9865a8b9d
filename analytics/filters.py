"""The filters every analytics function takes, and the SQL conditions they become (always parameterised)."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_start(month: str) -> dt.date:
    y, m = map(int, month.split("-"))
    return dt.date(y, m, 1)


def month_end(month: str) -> dt.date:
    y, m = map(int, month.split("-"))
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (earlier when negative), clamped to a shorter month's end."""
    index = day.year * 12 + day.month - 1 + months
    y, m = divmod(index, 12)
    m += 1
    return dt.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def financial_quarter(day: dt.date) -> str:
    """Financial quarter label, April to March: 2025-04-10 -> '2025-26 Q1'."""
    start = day.year if day.month >= 4 else day.year - 1
    q = (day.month - 4) % 12 // 3 + 1
    return f"{start}-{(start + 1) % 100:02d} Q{q}"


@dataclass(frozen=True)
class Filters:
    """What the viewer asked for (period, services, ...) and what they may see (scope).

    ``None`` means no restriction. ``scope`` is the set of services a viewer's role allows;
    it narrows every figure the same way a service filter does.
    """
    month_from: str | None = None
    month_to: str | None = None
    services: tuple[str, ...] | None = None
    teams: tuple[str, ...] | None = None
    cohorts: tuple[str, ...] | None = None
    auditor_roles: tuple[str, ...] | None = None
    scope: tuple[str, ...] | None = None

    def __post_init__(self):
        for m in (self.month_from, self.month_to):
            if m is not None and not MONTH.fullmatch(m):
                raise ValueError(f"{m!r} is not a month: use YYYY-MM")
        if self.month_from and self.month_to and self.month_from > self.month_to:
            raise ValueError(f"the period starts ({self.month_from}) after it ends ({self.month_to})")

    @property
    def start(self) -> dt.date:
        return month_start(self.month_from)

    @property
    def end(self) -> dt.date:
        """D: the day on which open and overdue are judged."""
        return month_end(self.month_to)

    def effective_services(self) -> tuple[str, ...] | None:
        if self.services is None:
            return self.scope
        if self.scope is None:
            return self.services
        return tuple(s for s in self.services if s in self.scope)


def where(f: Filters, date_col: str, *, audit_columns: bool = False) -> tuple[str, list]:
    """A WHERE clause for the period and the service filter (and team/cohort/role on audit rows)."""
    clauses = [f"{date_col} BETWEEN ? AND ?"]
    params: list = [f.start, f.end]
    services = f.effective_services()
    if services is not None:
        clauses.append("list_contains(?, service)")
        params.append(list(services))
    if audit_columns:
        for col, values in (("team", f.teams), ("cohort", f.cohorts), ("auditor_role", f.auditor_roles)):
            if values is not None:
                clauses.append(f"list_contains(?, {col})")
                params.append(list(values))
    return " AND ".join(clauses), params


GRAINS = {"month": "Month", "quarter": "Financial quarter", "rolling3": "Rolling 3 months"}


def month_span(first: dt.date | None, last: dt.date | None) -> list[str]:
    """Every month (YYYY-MM) from ``first``'s to ``last``'s, gaps included (empty when either is None)."""
    if first is None or last is None:
        return []
    months, day = [], dt.date(first.year, first.month, 1)
    while day <= last:
        months.append(day.strftime("%Y-%m"))
        day = add_months(day, 1)
    return months


def audit_months(con) -> list[str]:
    """Every month from the first to the last audit month, gaps included (empty when no audits)."""
    return month_span(*con.execute("SELECT min(first_month), max(last_month) FROM audit_options").fetchone())


def spanning(*month_lists: list[str]) -> list[str]:
    """Every month from the earliest to the latest of the lists (a page whose own data runs past the
    audits offers those months too)."""
    months = [m for ms in month_lists for m in ms]
    if not months:
        return []
    return month_span(month_start(min(months)), month_start(max(months)))


def filter_options(con) -> dict[str, list[str]]:
    """The values the filter widgets offer, from the stored audits."""
    # From rollups.audit_options (one row per team, in team order), which holds every month, team and
    # service of the audits: one small read, not two over the per-month counts.
    rows = con.execute("SELECT team, service, first_month, last_month FROM audit_options ORDER BY team").fetchall()
    teams = [(t, s) for t, s, _, _ in rows if t is not None]
    return {
        "months": month_span(min((r[2] for r in rows), default=None), max((r[3] for r in rows), default=None)),
        "teams": [t for t, _ in teams],
        "team_services": dict(teams),
    }


def default_period(months: list[str], length: int = 12) -> tuple[str, str] | None:
    """The last ``length`` months with data."""
    if not months:
        return None
    return months[max(0, len(months) - length)], months[-1]


QUARTER_LABEL = re.compile(r"^(\d{4})-\d{2} Q([1-4])(?: \((\w{3})(?:–(\w{3}))? only\))?$")


def _quarter_start(day: dt.date) -> dt.date:
    # Financial quarters (Apr-Jun, Jul-Sep, Oct-Dec, Jan-Mar) are calendar quarters with other numbers.
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def part_quarter_labels(f: Filters) -> dict[str, str]:
    """Quarters the period covers only in part, each with a label that says which months are in:
    {'2025-26 Q1': '2025-26 Q1 (May–Jun only)'}; a quarter's figures must not pass for the whole quarter's."""
    if f.month_from is None or f.month_to is None:
        return {}
    first, last = f.start, month_start(f.month_to)
    out = {}
    for day, edge in ((first, "start"), (last, "end")):
        q_first = _quarter_start(day)
        q_last = add_months(q_first, 2)
        lo, hi = max(q_first, first), min(q_last, last)
        if (lo, hi) == (q_first, q_last):
            continue
        months = lo.strftime("%b") if lo == hi else f"{lo.strftime('%b')}–{hi.strftime('%b')}"
        out[financial_quarter(day)] = f"{financial_quarter(day)} ({months} only)"
    return out


def mark_part_quarters(df, f: Filters, grain: str | None, column: str = "period"):
    """Relabel the periods of a per-quarter frame whose quarter the filter period covers only in part."""
    if grain != "quarter" or df.empty or column not in df:
        return df
    df = df.copy()
    df[column] = df[column].replace(part_quarter_labels(f))
    return df


def period_months(label: str, grain: str) -> tuple[str, str]:
    """The first and last month behind a period label of a chart ('2025-03', '2025-26 Q1', '2025-26 Q1 (May–Jun only)')."""
    if grain == "quarter":
        match = QUARTER_LABEL.match(label)
        if not match:
            raise ValueError(f"{label!r} is not a financial quarter")
        start_year, q = int(match[1]), int(match[2])
        first = add_months(dt.date(start_year, 4, 1), 3 * (q - 1))
        months = [add_months(first, i) for i in range(3)]
        if match[3]:   # a part quarter: only the months its label names
            names = [m.strftime("%b") for m in months]
            lo = names.index(match[3])
            hi = names.index(match[4]) if match[4] else lo
            months = months[lo:hi + 1]
        return months[0].strftime("%Y-%m"), months[-1].strftime("%Y-%m")
    if grain == "rolling3":
        return add_months(month_start(label), -2).strftime("%Y-%m"), label
    return label, label
