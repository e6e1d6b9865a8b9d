"""The QPRM headline: the latest month against the month before and the 12 months before, and the
sentences that name the largest movements, all computed from the data."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .audits import completion_totals
from .config import Config
from .filters import Filters, add_months, month_start
from .metrics import audit_headline, pct, pillar_summary
from .presentation import format_pct, round_half_away


def _month(m: str, delta: int) -> str:
    return add_months(month_start(m), delta).strftime("%Y-%m")


def _span(f: Filters, first: str, last: str) -> Filters:
    return dataclasses.replace(f, month_from=first, month_to=last)


@dataclass(frozen=True)
class Figure:
    """One headline figure for the latest month, with its comparisons."""
    label: str
    value: float | int | None
    previous: float | int | None
    average_12: float | int | None
    n: int
    unit: str  # "count" or "pct"

    @property
    def change_previous(self):
        return None if self.value is None or self.previous is None else self.value - self.previous

    @property
    def change_average(self):
        return None if self.value is None or self.average_12 is None else self.value - self.average_12


def _completion_pct(con, f: Filters, config: Config) -> tuple[float | None, int]:
    done, expected = completion_totals(con, f, config)   # completion()'s columns added up
    return pct(done, expected), expected


def headline(con, f: Filters, config: Config) -> dict:
    """Figures for the period's last month, compared with the month before and with the 12 months before it.

    The 12-month comparison pools the 12 months before the latest one: counts are a monthly mean,
    percentages are over all audits of those months (so small months do not swing it).
    """
    latest = f.month_to
    prev = _month(latest, -1)
    year = (_month(latest, -12), prev)
    now, before, base = (audit_headline(con, _span(f, a, b), config) for a, b in
                         ((latest, latest), (prev, prev), year))
    comp_now, n_comp = _completion_pct(con, _span(f, latest, latest), config)
    comp_prev, _ = _completion_pct(con, _span(f, prev, prev), config)
    comp_base, _ = _completion_pct(con, _span(f, *year), config)
    figures = [
        Figure("Audits completed", now["count"], before["count"], base["count"] / 12, now["count"], "count"),
        Figure("Good or better", now["good_or_better_pct"], before["good_or_better_pct"],
               base["good_or_better_pct"], now["count"], "pct"),
        Figure("Inadequate", now["inadequate_pct"], before["inadequate_pct"], base["inadequate_pct"],
               now["count"], "pct"),
        Figure("Provisional (not yet moderated)", now["provisional"], before["provisional"],
               base["provisional"] / 12, now["count"], "count"),
        Figure("Audit completion", comp_now, comp_prev, comp_base, n_comp, "pct"),
    ]
    return {"latest": latest, "previous": prev, "year": year, "figures": figures,
            "period": audit_headline(con, f, config)}


def _label(first: str, last: str) -> str:
    return first if first == last else f"{first} to {last}"


def sentences(con, f: Filters, config: Config, threshold: int = 0) -> list[str]:
    """A few plain sentences naming the largest movements and the weakest pillar, from the data.

    ``threshold``: for a copy that circulates (the slide pack), no figure rests on fewer audits than it: a
    service or pillar with fewer is left out, and a small count of provisional audits is not given."""
    out = []
    last = f.month_to
    recent = (_month(last, -2), last)
    earlier = (_month(last, -5), _month(last, -3))
    now = {s: v for s, v in _by_service(con, _span(f, *recent), config).items()}
    then = {s: v for s, v in _by_service(con, _span(f, *earlier), config).items()}
    moves = [(s, now[s], then[s]) for s in now if s in then
             and now[s]["good_or_better_pct"] is not None and then[s]["good_or_better_pct"] is not None
             and min(now[s]["count"], then[s]["count"]) >= threshold]
    if moves:
        s, a, b = max(moves, key=lambda m: abs(m[1]["good_or_better_pct"] - m[2]["good_or_better_pct"]))
        change = a["good_or_better_pct"] - b["good_or_better_pct"]
        if abs(change) >= 0.05:
            direction = "up" if change > 0 else "down"
            out.append(
                f"{config.service_names.get(s, s)} moved most: {format_pct(a['good_or_better_pct'])} good or "
                f"better in {_label(*recent)} (n={a['count']:,}) against {format_pct(b['good_or_better_pct'])} in "
                f"{_label(*earlier)} (n={b['count']:,}), {direction} {round_half_away(abs(change)):.1f} points."
                + (" Both rest on fewer than 20 audits: read with care." if max(a["count"], b["count"]) < 20 else ""))
        else:
            out.append(f"No service's % good or better changed between {_label(*earlier)} and {_label(*recent)}.")
    pillars = pillar_summary(con, f, config)
    ranked = [(p, v) for p, v in pillars.items() if v["good_or_better_pct"] is not None and v["count"] >= threshold]
    if len(ranked) > 1:
        weakest = min(ranked, key=lambda pv: pv[1]["good_or_better_pct"])
        strongest = max(ranked, key=lambda pv: pv[1]["good_or_better_pct"])
        out.append(f"The weakest pillar in {_label(f.month_from, f.month_to)} is {weakest[0]}: "
                   f"{format_pct(weakest[1]['good_or_better_pct'])} good or better (n={weakest[1]['count']:,}); "
                   f"the strongest is {strongest[0]} ({format_pct(strongest[1]['good_or_better_pct'])}).")
    latest = audit_headline(con, _span(f, last, last), config)
    moderated = latest["count"] - latest["provisional"]
    if latest["provisional"] and latest["provisional"] >= threshold and (moderated == 0 or moderated >= threshold):
        share = ("All" if latest["provisional"] == latest["count"]
                 else f"{latest['provisional']:,} of the")
        out.append(f"{share} {latest['count']:,} audits of {last} are provisional: "
                   "their grades may still change at moderation.")
    return out


def _by_service(con, f: Filters, config: Config) -> dict:
    from .metrics import audits_by_service
    return audits_by_service(con, f, config)
