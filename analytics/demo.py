"""The demo: synthetic data for every dataset, and a demo database built from it through the real loader.

``generate(seed)`` returns one DataFrame per dataset of ``datasets.py``, with exactly
the declared columns and every cell in the form a council's file would hold it
(ISO dates, grade labels, ``Y``/``N``, lists joined with ``"; "``), so that the
demo proves the data contract: ``build_demo`` writes them as CSV files and loads
them all with one ``load_files`` call.

The same seed always gives the same data: every random draw comes from numpy
generators seeded from ``seed`` (one per dataset, so changing one dataset's
design leaves the others alone), and every date is fixed relative to the
anchor below, never to the clock. Everything that happened lies on or before
``DEMO_END``; only planned dates (due dates, a leaver's end date, an
intervention not yet run) may lie after it.

One county council over three years (November 2023 to October 2026): 25 Team
and Service Managers in the six audited services auditing a child's record
each month. The data carries designed signals, so that every page has
something to show:

- Moderation: auditors are a little more generous than the QA team (net drift
  about +0.15, agreement about 75%), most in DCS and least in MASH, and the
  drift narrows over time. The latest month (October 2026) is not moderated
  yet, so its audits are provisional. Benchmarking re-examines five audits a
  month and changes about one in four.
- Audit completion is low before February 2024 (when the framework expects
  every manager to audit) and dips in August and December; a few manager
  posts fall vacant for a while.
- Children and Families (CF) slips from July 2024 (management oversight) and
  recovers after INT02, the management oversight briefing of March 2025.
- INT01, the voice of the child training (October-November 2024), lifts the
  Voice and lived experience pillar's % good or better by about 25 points in
  the following six months, raises how often the child's views are sought and
  improves the September dip sample on the lived experience of the child in
  its 2025 and 2026 cycles.
- INT05, identity and diversity training (January-February 2026), lifts the
  Identity, equality and diversity pillar (and closes its gap for children
  from minority ethnic groups, seen in the equality view) and the October
  2026 dip sample on equality, diversity and inclusion.
- INT07 (DCS, August 2026) has too few audits after it: "too little evidence".
  INT09 is planned for 2027.
- KPIs (``ALL``): ASSESS45 shifts up from April 2025 after INT04, a process
  change (a sustained shift: runs on both sides of the centre); REREF12 rises
  month on month from March to October 2025 (seven increases in a row, a
  concern, its peak above the upper limit), then falls after the INT06
  briefing of November 2025; CIC3PLACE has one outlier
  (December 2025, above the upper limit); CLEET sits well below its target
  (consistently failing); CICSTABLE straddles its target (inconsistent);
  CPSECOND (neutral) and CP2YEARS are common cause.
- Dip samples follow the 2024 schedule of themes twice a month and repeat it
  each year; most themes improve from cycle to cycle, one (children on CP
  plans for over 18 months) does not.
- Learning actions come from every source; some are overdue and some have
  not been reviewed for more than 90 days. Some staff are overdue an
  observation (most in Assessment and Intervention). Escalations about drift
  and delay rise in 2025.

England benchmarks are the published national figures of ``domain.md``,
repeated at each financial year end; statistical neighbours are synthetic.
No free text identifies a child: summaries and titles are generic.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import DEFAULTS, Config
from .datasets import BY_NAME, DATASETS

DEMO_START = dt.date(2023, 11, 1)
DEMO_END = dt.date(2026, 10, 31)
DEMO_USER = "demo"          # load_history.loaded_by of every demo load: what marks a demo database
N_MONTHS = 36

START = np.datetime64(DEMO_START, "D")
END = np.datetime64(DEMO_END, "D")
NAT = np.datetime64("NaT", "D")
_MONTHS = np.datetime64("2023-11", "M") + np.arange(N_MONTHS)
MONTH_START = _MONTHS.astype("datetime64[D]")
MONTH_END = (_MONTHS + 1).astype("datetime64[D]") - 1
MONTH_DAYS = (MONTH_END - MONTH_START).astype(int) + 1

SERVICES = ("MASH", "AI", "CF", "PT", "DCS", "IRSS")
SERVICE_WEIGHTS = np.array([0.08, 0.2, 0.3, 0.25, 0.1, 0.07])
TEAMS_PER_SERVICE = {"MASH": 2, "AI": 4, "CF": 5, "PT": 3, "DCS": 2, "IRSS": 2}
SERVICE_MANAGERS = {"MASH": 1, "AI": 1, "CF": 2, "PT": 1, "DCS": 1, "IRSS": 1}   # with 18 TMs: 25 auditors
TEAM_MAKEUP = (("Advanced Practitioner", 1), ("Social Worker", 5), ("Family Practitioner", 2))
IRSS_MAKEUP = {1: (("IRO", 6),), 2: (("CP Chair", 5),)}
PRACTITIONER_ROLES = ("Advanced Practitioner", "Social Worker", "Family Practitioner", "IRO", "CP Chair")

# Pillars by position in the configured list (the defaults of domain.md).
VOICE, ASSESSMENT, PLANNING, DIRECT_WORK, OVERSIGHT, FAMILY, IDENTITY = range(7)
PILLAR_OFFSET = (-0.35, 0.0, -0.1, 0.15, -0.25, 0.2, -0.45)

# Grade cut points on the latent quality scale: rank 4 below the first, rank 1 above the last.
CUTS = (-1.45, 0.0, 1.35)


@dataclass(frozen=True)
class Intervention:
    id: str
    name: str
    kind: str
    start: str
    end: str | None
    service: str | None
    pillar: int | None = None
    theme: str | None = None
    kpi: str | None = None


INTERVENTIONS = (
    Intervention("INT01", "Voice of the child training", "Training", "2024-10-07", "2024-11-29", None,
                 VOICE, "Voice of the child"),
    Intervention("INT02", "Management oversight briefing", "Briefing", "2025-03-03", None, "CF",
                 OVERSIGHT, "Management oversight"),
    Intervention("INT03", "Practice Week 2025", "Practice Week", "2025-06-09", "2025-06-13", None,
                 None, "Relational practice"),
    Intervention("INT04", "Assessment timeliness tracker", "Process change", "2025-04-01", None, None,
                 None, "Timeliness", "ASSESS45"),
    Intervention("INT05", "Identity and diversity training", "Training", "2026-01-12", "2026-02-27", None,
                 IDENTITY, "Identity and diversity"),
    Intervention("INT06", "Re-referral decision-making briefing", "Briefing", "2025-11-10", None, None,
                 None, "Re-referrals", "REREF12"),
    Intervention("INT07", "Communication tools training", "Training", "2026-08-03", "2026-08-28", "DCS",
                 DIRECT_WORK, "Direct work"),
    Intervention("INT08", "Practice Week 2026", "Practice Week", "2026-06-08", "2026-06-12", None,
                 None, "Relational practice"),
    Intervention("INT09", "Chronologies practice workshop", "Training", "2027-01-18", None, None,
                 ASSESSMENT, "Chronologies"),
)
_INT = {i.id: i for i in INTERVENTIONS}

# The yearly thematic dip sample schedule (the framework's 2024 schedule, its TBC slots filled), by month.
DIP_SCHEDULE = {
    1: ("IRT threshold and decision making", "Management grip, oversight and quality of supervision"),
    2: ("Re-referrals", "Early Help: levels of need and interface with MASH"),
    3: ("CP planning that ends at the first review", "Children subject to CP planning for over 18 months"),
    4: ("Emergency action and EPOs", "Pre-birth assessments"),
    5: ("Plans, their impact and outcomes", "Strategy discussions and S47 investigations"),
    6: ("Children subject to the PLO", "Children subject to CIN planning for over 9 months"),
    7: ("Contextual safeguarding: children at risk of exploitation", "Children missing from home or care"),
    8: ("Quality of assessments", "Neglect and cumulative harm"),
    9: ("The lived experience of the child", "Permanency"),
    10: ("Equality, diversity and inclusion", "Care leavers: pathway planning"),
    11: ("Domestic abuse", "Disabled children: transition to adulthood"),
    12: ("Children in care: health and education", "Management grip, oversight and quality of supervision"),
}
# Theme -> (services sampled, base quality, improvement per yearly cycle).
DIP_THEMES = {
    "IRT threshold and decision making": (("MASH",), 0.2, 0.35),
    "Management grip, oversight and quality of supervision": (("AI", "CF", "PT"), -0.3, 0.4),
    "Re-referrals": (("MASH", "AI"), -0.1, 0.3),
    "Early Help: levels of need and interface with MASH": (("MASH",), 0.1, 0.3),
    "CP planning that ends at the first review": (("AI", "CF", "IRSS"), 0.0, 0.3),
    "Children subject to CP planning for over 18 months": (("CF", "IRSS"), -0.5, -0.05),
    "Emergency action and EPOs": (("AI", "CF"), 0.3, 0.2),
    "Pre-birth assessments": (("AI", "CF"), -0.2, 0.45),
    "Plans, their impact and outcomes": (("CF", "PT", "DCS"), -0.2, 0.35),
    "Strategy discussions and S47 investigations": (("MASH", "AI"), 0.15, 0.25),
    "Children subject to the PLO": (("CF", "PT"), -0.1, 0.4),
    "Children subject to CIN planning for over 9 months": (("CF", "DCS"), -0.4, 0.35),
    "Contextual safeguarding: children at risk of exploitation": (("AI", "CF", "PT"), -0.3, 0.45),
    "Children missing from home or care": (("CF", "PT"), -0.1, 0.3),
    "Quality of assessments": (("AI", "CF", "DCS"), -0.1, 0.35),
    "Neglect and cumulative harm": (("AI", "CF"), -0.35, 0.3),
    "The lived experience of the child": (("AI", "CF", "PT", "DCS"), -0.5, 0.6),
    "Permanency": (("PT",), 0.1, 0.3),
    "Equality, diversity and inclusion": (("AI", "CF", "PT", "DCS"), -0.6, 0.15),
    "Care leavers: pathway planning": (("PT",), -0.2, 0.35),
    "Domestic abuse": (("MASH", "AI", "CF"), -0.15, 0.3),
    "Disabled children: transition to adulthood": (("DCS",), -0.3, 0.4),
    "Children in care: health and education": (("PT", "DCS"), 0.0, 0.3),
}
THEME_TAGS = ("Voice of the child", "Management oversight", "Drift and delay", "Chronologies", "Risk analysis",
              "Multi-agency working", "Planning", "Identity and diversity", "Direct work",
              "Working with families", "Timeliness", "Recording")
DIP_TAGS = {  # the tags a theme's findings favour, besides the general ones
    "The lived experience of the child": ("Voice of the child", "Direct work"),
    "Equality, diversity and inclusion": ("Identity and diversity", "Voice of the child"),
    "Management grip, oversight and quality of supervision": ("Management oversight", "Drift and delay"),
    "Children subject to CP planning for over 18 months": ("Drift and delay", "Planning"),
    "Re-referrals": ("Risk analysis", "Multi-agency working"),
    "Quality of assessments": ("Risk analysis", "Chronologies"),
}
STRENGTH_TEXT = ("{tag}: a consistent strength in the records sampled.",
                 "{tag}: clearly evidenced in most records sampled.",
                 "{tag}: good practice seen across teams; examples shared.")
LEARNING_TEXT = ("{tag}: not consistently evident; learning shared with teams.",
                 "{tag}: variable across the records sampled; to be strengthened.",
                 "{tag}: gaps seen in several records; a learning action was agreed.")
PILLAR_TAG = ("Voice of the child", "Risk analysis", "Planning", "Direct work", "Management oversight",
              "Working with families", "Identity and diversity")
FEEDBACK_THEMES = ("Being listened to", "Relationship with worker", "Communication", "Change of worker",
                   "Timeliness", "Contact with family", "Feeling safe", "Placement", "Support offered", "Education")
COMPLAINT_THEMES = ("Communication", "Delay", "Staff conduct", "Assessment or decision", "Contact arrangements",
                    "Information sharing", "Change of worker", "Financial support")
ESCALATION_THEMES = ("Drift and delay", "Care planning", "Permanence planning", "Visits out of timescale",
                     "Assessment quality", "Management oversight", "Placement stability", "Voice of the child",
                     "Life story work")
NTK_CATEGORIES = ("Serious injury", "Death of a child", "Child missing", "Exploitation",
                  "Allegation against a professional", "Serious self-harm", "Media interest")
IMPACT_TEXT = ("Repeat dip sample showed improvement", "Audit grades for the theme improved",
               "Briefing delivered to all teams", "Practice guidance updated", "Included in the Academy offer",
               "Discussed at QPRM; no further action")
OWNER_ROLES = ("Head of Service", "Service Manager", "Principal Social Worker", "Team Manager", "QA Team")

# KPI series shown per service besides ALL, and England figures (domain.md; CPSECOND has none).
KPI_SERVICES = {"REREF12": ("MASH", "AI"), "ASSESS45": ("AI", "CF", "DCS"), "CPSECOND": ("AI", "CF"),
                "CP2YEARS": ("CF",), "CIC3PLACE": ("PT", "DCS"), "CICSTABLE": ("PT",), "CLEET": ("PT",)}
KPI_DENOMINATOR = {"REREF12": 900, "ASSESS45": 520, "CPSECOND": 95, "CP2YEARS": 70, "CIC3PLACE": 820,
                   "CICSTABLE": 240, "CLEET": 480}
ENGLAND = {"REREF12": 22.0, "ASSESS45": 86.0, "CP2YEARS": 4.4, "CIC3PLACE": 11.0, "CICSTABLE": 68.0,
           "CLEET": 50.0}
NEIGHBOURS = {"REREF12": 20.8, "ASSESS45": 84.5, "CP2YEARS": 3.9, "CIC3PLACE": 10.2, "CICSTABLE": 70.1,
              "CLEET": 52.5}


class DemoError(RuntimeError):
    """The demo could not be built (a database that is not a demo is in the way, or the loader refused it)."""


# --- small helpers ----------------------------------------------------------------------------
def _day(text: str | dt.date) -> np.datetime64:
    return np.datetime64(text, "D")


def _iso(days) -> list[str | None]:
    out = np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D")
    return [None if s == "NaT" else str(s) for s in out]


def _happened(days) -> np.ndarray:
    """Dates after the end of the demo period have not happened yet: blank."""
    days = np.asarray(days, dtype="datetime64[D]")
    return np.where(days <= END, days, NAT)


def _weekday(days, latest=None) -> np.ndarray:
    """The next weekday on or after each day (the previous one if that passes ``latest``)."""
    days = np.asarray(days, dtype="datetime64[D]")
    out = np.busday_offset(days, 0, roll="forward")
    if latest is not None:
        back = np.busday_offset(days, 0, roll="backward")
        out = np.where(out > latest, back, out)
    return out


def _yn(flags, known=None) -> list[str | None]:
    flags = np.asarray(flags, dtype=bool)
    out = np.where(flags, "Y", "N").astype(object)
    if known is not None:
        out[~np.asarray(known, dtype=bool)] = None
    return list(out)


def _rank(latent) -> np.ndarray:
    """Latent quality to grade rank (1 Outstanding ... 4 Inadequate)."""
    return 4 - np.digitize(latent, CUTS)


def _ramp(days, after: str, over_days: int = 60) -> np.ndarray:
    """0 up to ``after``, rising linearly to 1 over the next ``over_days`` days."""
    gap = (np.asarray(days, dtype="datetime64[D]") - _day(after)).astype(int)
    return np.clip(gap / over_days, 0.0, 1.0)


def _years(days) -> np.ndarray:
    return (np.asarray(days, dtype="datetime64[D]") - START).astype(int) / 365.25


def _month_of(days) -> np.ndarray:
    """Index (0..35) of each day's month in the demo period."""
    return (np.asarray(days, dtype="datetime64[D]").astype("datetime64[M]") - _MONTHS[0]).astype(int)


def _join(items) -> str:
    return "; ".join(items)


def _pick_list(rng, choices, n_min, n_max, weights=None) -> str:
    k = int(rng.integers(n_min, n_max + 1))
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    idx = rng.choice(len(choices), size=min(k, len(choices)), replace=False, p=p)
    return _join(choices[i] for i in sorted(idx))


def _random_days_in_months(rng, month_idx) -> np.ndarray:
    month_idx = np.asarray(month_idx, dtype=int)
    offsets = (rng.random(len(month_idx)) * MONTH_DAYS[month_idx]).astype(int)
    return MONTH_START[month_idx] + offsets


def _frame(name: str, columns: dict) -> pd.DataFrame:
    """The dataset's declared columns, in order, every cell text (or None for blank)."""
    declared = BY_NAME[name].column_names
    assert set(columns) == set(declared), (name, set(columns) ^ set(declared))
    n = len(next(iter(columns.values())))

    def text(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, (float, np.floating)):
            return f"{v:.2f}"
        return str(v)

    data = {}
    for col in declared:
        values = columns[col]
        if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
            values = _iso(values)
        values = list(values)
        assert len(values) == n, (name, col)
        data[col] = pd.Series([text(v) for v in values], dtype=object)
    return pd.DataFrame(data, columns=declared)


# --- the generator -----------------------------------------------------------------------------
class _Demo:
    def __init__(self, seed: int, config: Config):
        self.seed = seed
        self.config = config
        self.pillars = config.pillars
        self.grades = config.grade_labels
        self.service_code = dict(zip(SERVICES, config.service_codes)) if config.service_codes else {}
        self.frames: dict[str, pd.DataFrame] = {}
        refs = np.random.default_rng([seed, 0]).choice(900_000, size=12_000, replace=False) + 100_000
        self._child_refs = iter(f"C{r}" for r in refs)

    def rng(self, part: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, part])

    def child(self) -> str:
        return next(self._child_refs)

    def grade(self, ranks) -> list[str | None]:
        return [self.grades[int(r) - 1] if r and r > 0 else None for r in np.asarray(ranks)]

    def svc(self, codes) -> list[str | None]:
        return [None if c is None else self.service_code.get(c, c) for c in codes]

    def pillar_name(self, index: int | None) -> str | None:
        return self.pillars[index] if index is not None and index < len(self.pillars) else None

    def run(self) -> dict[str, pd.DataFrame]:
        self.staff()
        self.audits()
        self.followups()
        self.dip_samples()
        self.feedback()
        self.complaints()
        self.escalations()
        self.need_to_know_and_reviews()
        self.reflective_activities()
        self.learning_actions()
        self.observations()
        self.kpis()
        self.interventions()
        return {d.name: self.frames[d.name] for d in DATASETS}

    # --- staff ---------------------------------------------------------------------------------
    def staff(self):
        rng = self.rng(1)
        posts = []  # (role, service, team)
        self.teams = {}
        for service in SERVICES:
            teams = [f"{service} Team {k}" for k in range(1, TEAMS_PER_SERVICE[service] + 1)]
            self.teams[service] = teams
            posts.append(("Head of Service", service, None))
            posts += [("Service Manager", service, None)] * SERVICE_MANAGERS[service]
            for k, team in enumerate(teams, start=1):
                posts.append(("Team Manager", service, team))
                makeup = IRSS_MAKEUP[k] if service == "IRSS" else TEAM_MAKEUP
                for role, count in makeup:
                    posts += [(role, service, team)] * count
        posts += [("Other", "IRSS", "Quality Assurance Team")] * 3
        rows = []
        for role, service, team in posts:
            start = START - int(rng.integers(60, 4000))
            change = {"Team Manager": 0.14, "Service Manager": 0.14, "Head of Service": 0.05,
                      "Other": 0.1}.get(role, 0.3)
            if rng.random() < change:
                leave = START + int(rng.integers(30, 1065))
                rows.append((role, service, team, start, leave))
                new_start = leave + int(rng.integers(7, 75))
                if new_start <= END - 7:
                    rows.append((role, service, team, new_start, NAT))
            else:
                end = END + int(rng.integers(20, 120)) if rng.random() < 0.02 else NAT
                rows.append((role, service, team, start, end))
        staff = pd.DataFrame(rows, columns=["role", "service", "team", "start", "end"])
        staff.insert(0, "staff_id", [f"S{i:04d}" for i in range(1, len(staff) + 1)])
        staff["start"] = staff["start"].astype("datetime64[s]")
        staff["end"] = staff["end"].astype("datetime64[s]")
        self.staff_table = staff
        self._ids = staff["staff_id"].to_numpy()
        self._roles, self._teams = staff["role"].to_numpy(), staff["team"].to_numpy()
        self._starts, self._ends = staff["start"].to_numpy("datetime64[D]"), staff["end"].to_numpy("datetime64[D]")
        self.frames["staff"] = _frame("staff", {
            "staff_id": staff["staff_id"], "role": staff["role"], "service": self.svc(staff["service"]),
            "team": staff["team"], "start_date": staff["start"].to_numpy("datetime64[D]"),
            "end_date": staff["end"].to_numpy("datetime64[D]")})

    def _in_post(self, roles, team=None, day=None) -> np.ndarray:
        """Ids of the staff with one of ``roles`` (in ``team``; in post on ``day``)."""
        keep = np.isin(self._roles, roles)
        if team is not None:
            keep &= self._teams == team
        if day is not None:
            keep &= (self._starts <= day) & (np.isnat(self._ends) | (self._ends >= day))
        return self._ids[keep]

    # --- audits and pillars ------------------------------------------------------------------
    def audits(self):
        rng = self.rng(2)
        managers = self.staff_table[np.isin(self._roles, ("Team Manager", "Service Manager"))]
        reliability = np.clip(rng.normal(0.985, 0.03, len(managers)), 0.85, 1.0)
        reliability[rng.integers(len(managers))] = 0.72          # one manager who often misses
        done_rate = np.full(N_MONTHS, 0.95)
        done_rate[:3] = (0.55, 0.62, 0.8)                         # before February 2024
        calendar_month = (_MONTHS.astype(int) % 12) + 1
        done_rate[np.isin(calendar_month, (8, 12))] *= 0.9
        rows = []
        for (_, m), rel in zip(managers.iterrows(), reliability):
            start = np.datetime64(m["start"], "D")
            end = END if pd.isna(m["end"]) else min(np.datetime64(m["end"], "D"), END)
            for i in range(N_MONTHS):
                lo, hi = max(MONTH_START[i], start), min(MONTH_END[i], end)
                if (hi - lo).astype(int) < 10 or rng.random() > done_rate[i] * rel:
                    continue
                day = lo + int(rng.integers(0, (hi - lo).astype(int) + 1))
                day = min(max(_weekday(day, hi), lo), hi)
                team = m["team"] if m["role"] == "Team Manager" else str(rng.choice(self.teams[m["service"]]))
                rows.append((day, m["service"], team, m["staff_id"], m["role"]))
        rows.sort(key=lambda r: (r[0], r[3]))
        n = len(rows)
        date = np.array([r[0] for r in rows], dtype="datetime64[D]")
        service = np.array([r[1] for r in rows])
        team = [r[2] for r in rows]
        auditor = np.array([r[3] for r in rows])
        month = _month_of(date)
        audit_id = [f"CAR-{str(d)[:4]}{str(d)[5:7]}-{k:05d}" for k, d in enumerate(date, start=1)]

        # Practitioner: someone in post in the team on the day.
        practitioner = []
        for d, t in zip(date, team):
            pool = self._in_post(PRACTITIONER_ROLES, team=t, day=d)
            practitioner.append(str(rng.choice(pool)) if len(pool) else None)

        # The child: cohort, age, characteristics; now and then a child audited before.
        cohort_p = {"MASH": {"CIN": .35, "Early Help": .3, "CP": .15, "Other": .2},
                    "AI": {"CIN": .45, "CP": .45, "Other": .1},
                    "CF": {"CIN": .3, "CP": .4, "Court": .2, "CIC": .1},
                    "PT": {"CIC": .6, "Care Leaver": .25, "Court": .15},
                    "DCS": {"CIN": .55, "CIC": .25, "CP": .2},
                    "IRSS": {"CP": .5, "CIC": .5}}
        cohort = np.array([rng.choice(list(cohort_p[s]), p=list(cohort_p[s].values())) for s in service])
        age_p = {"Care Leaver": ("16-17", "18+"), "CIC": ("0-4", "5-9", "10-15", "16-17"),
                 "Early Help": ("0-4", "5-9", "10-15")}
        bands = ("0-4", "5-9", "10-15", "16-17")
        age = np.array([rng.choice(age_p.get(c, bands), p=(0.3, 0.7) if c == "Care Leaver" else None)
                        for c in cohort])
        gender = rng.choice(["Female", "Male", "Not stated"], size=n, p=[0.48, 0.5, 0.02])
        ethnicity = rng.choice(["White British", "White other", "Mixed", "Asian or Asian British",
                                "Black or Black British", "Other ethnic group", "Not known"],
                               size=n, p=[0.8, 0.05, 0.06, 0.03, 0.02, 0.01, 0.03])
        disability = np.where(service == "DCS", rng.random(n) < 0.95, rng.random(n) < 0.09)
        child = []
        recent: dict[str, list[tuple[np.datetime64, str]]] = {s: [] for s in SERVICES}
        for d, s in zip(date, service):
            earlier = [c for when, c in recent[s][-300:] if (d - when).astype(int) < 365]
            ref = str(rng.choice(earlier)) if earlier and rng.random() < 0.05 else self.child()
            recent[s].append((d, ref))
            child.append(ref)

        # Quality: the QA team's view of the record (a latent score), then the auditor's.
        years = _years(date)
        base = np.array([{"MASH": 0.2, "AI": -0.1, "CF": 0.0, "PT": 0.15, "DCS": 0.0, "IRSS": 0.2}[s]
                         for s in service])
        auditor_effect = dict(zip(managers["staff_id"], rng.normal(0, 0.25, len(managers))))
        cf = service == "CF"
        cf_dip = cf & (date >= _day("2024-07-01")) & (date < _day(_INT["INT02"].start))
        q = (base + 0.08 * years + np.array([auditor_effect[a] for a in auditor])
             + np.where(np.isin(cohort, ("CP", "Court")), -0.1, 0.0)
             - 0.3 * cf_dip
             + 0.12 * _ramp(date, "2024-11-29") + 0.1 * _ramp(date, "2026-02-27")
             + rng.normal(0, 0.85, n))
        true_rank = _rank(q)

        minority = ~np.isin(ethnicity, ("White British", "Not known"))
        effects = np.zeros((len(self.pillars), n))
        for j in range(min(len(self.pillars), len(PILLAR_OFFSET))):
            effects[j] += PILLAR_OFFSET[j]
        if len(self.pillars) > IDENTITY:
            effects[VOICE] += 0.65 * _ramp(date, "2024-11-29")
            effects[OVERSIGHT] += -0.45 * cf_dip + 0.55 * cf * _ramp(date, _INT["INT02"].start, 45)
            effects[IDENTITY] += 0.5 * _ramp(date, "2026-02-27") - 0.6 * minority * (1 - _ramp(date, "2026-02-27"))
            effects[DIRECT_WORK] += 0.6 * (service == "DCS") * _ramp(date, "2026-08-28", 20)
        pillar_latent = q[None, :] + effects + rng.normal(0, 0.65, effects.shape)
        pillar_true = _rank(pillar_latent)

        # Auditors are a little more generous than the QA team, most in DCS, less so as time passes.
        generous = (0.27 - 0.035 * years
                    + np.select([service == "DCS", service == "MASH", service == "IRSS"], [0.1, -0.05, -0.04], 0.0))

        def auditor_view(ranks, p_generous):
            u = rng.random(ranks.shape)
            delta = np.where(u < p_generous, -1, np.where(u > 0.95, 1, 0))
            return np.clip(ranks + delta, 1, 4)

        auditor_rank = auditor_view(true_rank, generous)
        pillar_auditor = auditor_view(pillar_true, 0.9 * generous[None, :])

        # Moderation: within three weeks, except the latest month (not yet moderated).
        moderated_date = _weekday(date + rng.integers(3, 22, n))
        moderated = (month < N_MONTHS - 1) & (moderated_date <= END)
        moderated_date = np.where(moderated, moderated_date, NAT)
        moderated_rank = np.where(moderated, true_rank, 0)

        # Benchmarking: five moderated audits a month at a panel in the third week of the next month.
        bench_rank = np.zeros(n, dtype=int)
        bench_date = np.full(n, NAT)
        for i in range(N_MONTHS - 1):
            panel = np.busday_offset(MONTH_START[i + 1], 2, roll="forward", weekmask="Wed")
            pool = np.flatnonzero((month == i) & moderated & (moderated_date <= panel))
            if panel > END or not len(pool):
                continue
            chosen = rng.choice(pool, size=min(5, len(pool)), replace=False)
            change = rng.choice([-1, 0, 1], size=len(chosen), p=[0.09, 0.74, 0.17])
            bench_rank[chosen] = np.clip(true_rank[chosen] + change, 1, 4)
            bench_date[chosen] = panel
        final_rank = np.where(bench_rank > 0, bench_rank, np.where(moderated, true_rank, auditor_rank))

        # The child's and family's views; exemplars of good practice.
        voice_good = pillar_true[VOICE] <= 2 if len(self.pillars) > VOICE else np.ones(n, bool)
        p_views = (0.78 - 0.4 * (age == "0-4") - 0.15 * disability + 0.08 * voice_good
                   + 0.1 * _ramp(date, "2024-11-29"))
        child_views = rng.random(n) < p_views
        family_views = rng.random(n) < 0.86
        exemplar = rng.random(n) < np.select([final_rank == 1, final_rank == 2], [0.45, 0.04], 0.0)

        self.audit_date = date
        self.audit_table = pd.DataFrame({
            "audit_id": audit_id, "date": date, "service": service, "team": team, "auditor": auditor,
            "month": month, "final_rank": final_rank, "moderated": moderated, "bench_date": bench_date,
            "moderated_date": moderated_date})
        self.pillar_ranks = np.where(moderated[None, :], pillar_true, pillar_auditor)   # final pillar ranks
        self.frames["audits"] = _frame("audits", {
            "audit_id": audit_id, "audit_date": date, "service": self.svc(service), "team": team,
            "child_ref": child, "cohort": cohort, "auditor_id": auditor,
            "auditor_role": [r[4] for r in rows], "practitioner_id": practitioner,
            "auditor_grade": self.grade(auditor_rank), "moderated_grade": self.grade(moderated_rank),
            "moderated_date": moderated_date, "benchmarked_grade": self.grade(bench_rank),
            "benchmarked_date": bench_date,
            "child_views_sought": _yn(child_views, rng.random(n) > 0.02),
            "family_views_sought": _yn(family_views, rng.random(n) > 0.02),
            "exemplar": _yn(exemplar), "child_age_band": age, "child_gender": gender,
            "child_ethnicity_group": ethnicity, "child_disability": _yn(disability)})
        n_p = len(self.pillars)
        self.frames["audit_pillars"] = _frame("audit_pillars", {
            "audit_id": np.repeat(audit_id, n_p), "pillar": np.tile(self.pillars, n),
            "auditor_grade": self.grade(pillar_auditor.T.ravel()),
            "moderated_grade": self.grade(np.where(moderated[None, :], pillar_true, 0).T.ravel())})

    # --- the Inadequate and Requires Improvement process ----------------------------------------
    def followups(self):
        rng = self.rng(3)
        a = self.audit_table
        sel = a[a["final_rank"] >= 3]
        sel = sel[rng.random(len(sel)) > 0.04]                   # a few never started
        n = len(sel)
        date = self.audit_date[sel.index.to_numpy()]
        inadequate = sel["final_rank"].to_numpy() == 4
        notified = date + np.where(rng.random(n) < 0.88, rng.integers(0, 6, n), rng.integers(6, 13, n))
        u = rng.random(n)
        meeting = date + np.where(u < 0.8, rng.integers(7, 21, n), rng.integers(21, 41, n))
        meeting = np.where(u > 0.95, NAT, meeting)
        review_due = np.where(inadequate, date + 90, NAT)
        u = rng.random(n)
        review = date + np.where(u < 0.75, rng.integers(55, 91, n), rng.integers(91, 121, n))
        review = _happened(np.where(inadequate & (u < 0.92), review, NAT))
        review_rank = np.where(~np.isnat(review), rng.choice([2, 3, 4], size=n, p=[0.35, 0.5, 0.15]), 0)
        hos = review + np.where(rng.random(n) < 0.85, rng.integers(0, 5, n), rng.integers(6, 15, n))
        hos = _happened(np.where(review_rank == 4, hos, NAT))
        self.followup_meetings = list(zip(sel["audit_id"], _happened(meeting), inadequate))
        self.frames["audit_followups"] = _frame("audit_followups", {
            "audit_id": sel["audit_id"], "process": self.grade(np.where(inadequate, 4, 3)),
            "managers_notified_date": _happened(notified), "reflective_meeting_date": _happened(meeting),
            "review_due_date": review_due, "review_date": review, "review_grade": self.grade(review_rank),
            "head_of_service_notified_date": hos,
            "notes_ref": [f"FU-{x.split('-')[-1]}" for x in sel["audit_id"]]})

    # --- thematic dip samples ---------------------------------------------------------------------
    def dip_samples(self):
        rng = self.rng(4)
        samples, findings = [], []
        seen: dict[str, int] = {}
        self.dip_cycles = []   # (dip_sample_id, theme, date, services, cycle, mean quality)
        for i in range(N_MONTHS):
            year, mon = int(str(_MONTHS[i])[:4]), int(str(_MONTHS[i])[5:7])
            for k, theme in enumerate(DIP_SCHEDULE[mon]):
                services, base, gain = DIP_THEMES[theme]
                cycle = seen.get(theme, 0)
                seen[theme] = cycle + 1
                ds_id = f"DS-{year}-{mon:02d}{'AB'[k]}"
                day = _weekday(MONTH_START[i] + (7 if k == 0 else 19) + int(rng.integers(0, 5)))
                quality = base + gain * cycle
                if theme == "The lived experience of the child" and day > _day("2024-11-29"):
                    quality += 0.5                                # after the voice of the child training
                if theme == "Equality, diversity and inclusion" and day > _day("2026-02-27"):
                    quality += 0.6                                # after the identity and diversity training
                size = int(rng.integers(8, 13))
                total = int(rng.integers(8, 13))
                latent = quality + rng.normal(0, 0.8, size)
                met = rng.binomial(total, 1 / (1 + np.exp(-(latent * 1.3 + 0.6))))
                grade = _rank(latent)
                graded = rng.random(size) > 0.05
                svc = rng.choice(services, size=size)
                for j in range(size):
                    samples.append((ds_id, theme, day, svc[j], self.child(),
                                    grade[j] if graded[j] else 0, met[j], total))
                self.dip_cycles.append((ds_id, theme, day, services, cycle, float(np.mean(latent))))
                tags = DIP_TAGS.get(theme, ()) + THEME_TAGS
                weights = np.r_[np.full(len(DIP_TAGS.get(theme, ())), 4.0), np.ones(len(THEME_TAGS))]
                n_find = int(rng.integers(4, 8))
                picks = rng.choice(len(tags), size=n_find, replace=False, p=weights / weights.sum())
                p_strength = 1 / (1 + np.exp(-(1.6 * float(np.mean(latent)) + 0.1)))
                for p in picks:
                    strength = rng.random() < p_strength
                    tag = tags[p]
                    text = (STRENGTH_TEXT if strength else LEARNING_TEXT)[int(rng.integers(3))]
                    findings.append((ds_id, "Strength" if strength else "Learning", tag, text.format(tag=tag)))
        s = list(zip(*samples))
        self.dip_table = pd.DataFrame({"id": s[0], "theme": s[1], "date": np.array(s[2], "datetime64[D]")})
        self.frames["dip_samples"] = _frame("dip_samples", {
            "dip_sample_id": s[0], "theme": s[1], "sample_date": np.array(s[2], "datetime64[D]"),
            "service": self.svc(s[3]), "child_ref": s[4], "grade": self.grade(s[5]),
            "criteria_met": s[6], "criteria_total": s[7]})
        f = list(zip(*findings))
        self.findings_table = pd.DataFrame({"ds": f[0], "type": f[1], "tag": f[2]})
        self.frames["dip_sample_findings"] = _frame("dip_sample_findings", {
            "finding_id": [f"DSF-{k:05d}" for k in range(1, len(findings) + 1)], "dip_sample_id": f[0],
            "finding_type": f[1], "theme_tag": f[2], "summary": f[3]})

    # --- feedback, complaints, escalations --------------------------------------------------------
    def feedback(self):
        rng = self.rng(5)
        channels = ("SFF under 13", "SFF 13 plus", "Email", "MOMO", "Other")
        rates = np.array([6, 11, 8, 22, 2], float)
        month, channel = [], []
        for i in range(N_MONTHS):
            lam = rates.copy()
            lam[3] = 22 + 18 * i / N_MONTHS                        # MOMO use grows
            counts = rng.poisson(lam)
            for c, k in enumerate(counts):
                month += [i] * int(k)
                channel += [c] * int(k)
        month, channel = np.array(month), np.array(channel)
        n = len(month)
        received = _random_days_in_months(rng, month)
        voice = _ramp(received, "2024-11-29", 90)
        sentiment_p = np.array([[0.7, 0.2, 0.1], [0.55, 0.25, 0.2], [0.6, 0.1, 0.3], [0.4, 0.35, 0.25],
                                [0.5, 0.3, 0.2]])
        p = sentiment_p[channel]
        shift = 0.08 * voice                                       # children feel more listened to
        p = p + np.stack([shift, np.zeros(n), -shift], axis=1)
        sentiment = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, 2)
        sentiment_label = np.array(["Positive", "Mixed", "Negative"])[sentiment]
        role_p = {0: (("Child",), (1.0,)), 1: (("Child", "Parent or Carer", "Professional"), (.35, .4, .25)),
                  2: (("Parent or Carer", "Professional", "Other"), (.5, .45, .05)), 3: (("Child",), (1.0,)),
                  4: (("Parent or Carer", "Other"), (.5, .5))}
        from_role = [str(rng.choice(role_p[c][0], p=role_p[c][1])) for c in channel]
        service = np.array(SERVICES)[rng.choice(6, size=n, p=SERVICE_WEIGHTS)].astype(object)
        service[rng.random(n) < 0.1] = None
        positive_w = np.array([3, 3, 1, 0.3, 0.5, 1, 2, 1.5, 3, 1])
        negative_w = np.array([1.5, 0.5, 3, 2.5, 2.5, 2, 0.5, 1.5, 1, 1])
        momo_w = np.array([2, 1, 0.5, 0.5, 0.2, 3, 2, 2.5, 1, 2])
        themes = []
        for c, s in zip(channel, sentiment):
            w = momo_w if c == 3 else (positive_w if s == 0 else negative_w if s == 2 else positive_w + negative_w)
            themes.append(_pick_list(rng, FEEDBACK_THEMES, 1, 3, w))
        sff = channel <= 1
        conversation = rng.random(n) < np.where(sentiment == 2, 0.45, 0.08)
        complaint = (sentiment == 2) & (channel != 3) & (rng.random(n) < 0.15)
        u = rng.random(n)
        responded = received + np.where(u < 0.85, rng.integers(0, 11, n), rng.integers(11, 31, n))
        responded = _happened(np.where(u > 0.96, NAT, responded))
        order = np.lexsort((channel, received))
        self.frames["feedback"] = _frame("feedback", {
            "feedback_id": [f"FB-{k:05d}" for k in range(1, n + 1)], "received_date": received[order],
            "channel": np.array(channels)[channel][order], "sentiment": sentiment_label[order],
            "from_role": np.array(from_role)[order], "service": self.svc(service[order]),
            "themes": np.array(themes)[order],
            "conversation_requested": np.array(_yn(conversation, sff), dtype=object)[order],
            "became_complaint": np.array(_yn(complaint, channel != 3), dtype=object)[order],
            "responded_date": responded[order]})
        self.feedback_ids = np.array([f"FB-{k:05d}" for k in range(1, n + 1)])

    def complaints(self):
        rng = self.rng(6)
        month = np.repeat(np.arange(N_MONTHS), rng.poisson(9, N_MONTHS))
        n = len(month)
        received = np.sort(_random_days_in_months(rng, month))
        service = np.array(SERVICES)[rng.choice(6, size=n, p=SERVICE_WEIGHTS)]
        stage_i = rng.choice(4, size=n, p=[0.84, 0.1, 0.04, 0.02])
        stages = np.array(["Stage 1", "Stage 2", "Stage 3", "Ombudsman"])[stage_i]
        weights = np.ones(len(COMPLAINT_THEMES))
        themes = []
        for d in received:
            w = weights.copy()
            if _day("2025-01-01") <= d < _day("2025-10-01"):
                w[0] = 2.5                                         # communication complaints rise in 2025
            themes.append(_pick_list(rng, COMPLAINT_THEMES, 1, 2, w))
        working_days = np.array([10, 25, 20, 65])[stage_i]
        due = np.busday_offset(received, working_days, roll="forward")
        allowed = (due - received).astype(int)
        u = rng.random(n)
        closed = received + np.where(u < 0.75, (rng.random(n) * allowed).astype(int) + 1,
                                     allowed + rng.integers(1, 31, n))
        closed = _happened(np.where(u > 0.97, NAT, closed))
        outcome = np.array(["Upheld", "Partly upheld", "Not upheld", "Withdrawn"])[
            rng.choice(4, size=n, p=[0.25, 0.3, 0.4, 0.05])].astype(object)
        outcome[np.isnat(closed)] = None
        self.complaint_ids = np.array([f"CMP-{k:04d}" for k in range(1, n + 1)])
        self.frames["complaints"] = _frame("complaints", {
            "complaint_id": self.complaint_ids, "received_date": received, "service": self.svc(service),
            "stage": stages, "themes": themes, "outcome": outcome, "response_due_date": due,
            "closed_date": closed})

    def escalations(self):
        rng = self.rng(7)
        lam = np.full(N_MONTHS, 10.0)
        lam[(_MONTHS >= np.datetime64("2025-03")) & (_MONTHS <= np.datetime64("2025-09"))] = 15.0
        month = np.repeat(np.arange(N_MONTHS), rng.poisson(lam))
        n = len(month)
        raised = np.sort(_random_days_in_months(rng, month))
        by_iro = rng.random(n) < 0.6
        iro_p = dict(zip(("AI", "CF", "PT", "DCS"), (0.15, 0.25, 0.45, 0.15)))
        chair_p = dict(zip(("AI", "CF", "DCS"), (0.35, 0.55, 0.1)))
        service = np.array([rng.choice(list(p), p=list(p.values())) for p in
                            (iro_p if b else chair_p for b in by_iro)])
        team = [str(rng.choice(self.teams[s])) for s in service]
        stage_i = rng.choice(4, size=n, p=[0.62, 0.23, 0.1, 0.05])
        themes = []
        for d in raised:
            w = np.ones(len(ESCALATION_THEMES))
            if _day("2025-03-01") <= d < _day("2025-10-01"):
                w[0] = 4.0                                         # drift and delay
            themes.append(_pick_list(rng, ESCALATION_THEMES, 1, 2, w))
        days = np.round(rng.gamma(2.0, np.array([6, 14, 20, 28])[stage_i])).astype(int) + 1
        resolved = raised + days
        resolved = _happened(np.where(rng.random(n) < 0.06, NAT, resolved))
        outcome = np.array(["Resolved", "Escalated", "Withdrawn"])[
            rng.choice(3, size=n, p=[0.85, 0.1, 0.05])].astype(object)
        outcome[np.isnat(resolved)] = None
        self.escalation_ids = np.array([f"ESC-{k:04d}" for k in range(1, n + 1)])
        self.frames["escalations"] = _frame("escalations", {
            "escalation_id": self.escalation_ids, "raised_date": raised,
            "raised_by": np.where(by_iro, "IRO", "CP Chair"), "service": self.svc(service), "team": team,
            "child_ref": [self.child() for _ in range(n)],
            "stage": np.array(["Informal", "Formal 1", "Formal 2", "Formal 3"])[stage_i], "themes": themes,
            "resolved_date": resolved, "outcome": outcome})

    # --- Need to Know, reviews ------------------------------------------------------------------
    def need_to_know_and_reviews(self):
        rng = self.rng(8)
        month = np.repeat(np.arange(N_MONTHS), rng.poisson(2.5, N_MONTHS))
        n = len(month)
        notified = np.sort(_random_days_in_months(rng, month))
        service = np.array(SERVICES)[rng.choice(6, size=n, p=[0.1, 0.25, 0.3, 0.25, 0.08, 0.02])]
        category = np.array(NTK_CATEGORIES)[rng.choice(len(NTK_CATEGORIES), size=n,
                                                       p=[0.2, 0.08, 0.2, 0.18, 0.12, 0.14, 0.08])]
        panel = rng.random(n) < np.where(np.isin(category, ("Serious injury", "Death of a child")), 0.6, 0.05)
        rapid = panel | (rng.random(n) < 0.03)
        self.ntk_ids = np.array([f"NTK-{k:03d}" for k in range(1, n + 1)])
        self.frames["need_to_know"] = _frame("need_to_know", {
            "ntk_id": self.ntk_ids, "notified_date": notified, "service": self.svc(service),
            "category": category, "rapid_review": _yn(rapid), "national_panel_notified": _yn(panel)})

        reviews = []   # (type, date, title, service, themes)
        rr_themes = {"Serious injury": "Risk analysis; Multi-agency working",
                     "Death of a child": "Multi-agency working; Information sharing",
                     "Exploitation": "Contextual safeguarding; Multi-agency working"}
        counter: dict[int, int] = {}
        for d, s, c in zip(notified[rapid], service[rapid], category[rapid]):
            day = np.busday_offset(d, 15, roll="forward")
            if day > END:
                continue
            year = int(str(day)[:4])
            counter[year] = counter.get(year, 0) + 1
            reviews.append(("Rapid Review", day, f"Rapid Review {year}-{counter[year]:02d}", s,
                            rr_themes.get(c, "Risk analysis; Management oversight")))
        reviews += [
            ("CSPR", _day("2025-05-14"), "Child Safeguarding Practice Review: neglect and cumulative harm", None,
             "Neglect; Multi-agency working; Chronologies"),
            ("CSPR", _day("2026-06-10"), "Child Safeguarding Practice Review: adolescents at risk of exploitation",
             None, "Contextual safeguarding; Voice of the child"),
            ("DSCP Thematic Review", _day("2024-03-20"), "DSCP thematic review: domestic abuse", None,
             "Domestic abuse; Multi-agency working"),
            ("DSCP Thematic Review", _day("2025-02-12"), "DSCP thematic review: child exploitation", None,
             "Contextual safeguarding; Information sharing"),
            ("DSCP Thematic Review", _day("2026-04-22"), "DSCP thematic review: neglect", None,
             "Neglect; Drift and delay"),
            ("Ofsted", _day("2024-06-13"), "Ofsted focused visit: children in need and child protection", None,
             "Management oversight; Voice of the child"),
            ("Ofsted", _day("2025-11-20"), "Ofsted monitoring visit: children in care", "PT",
             "Permanence planning; Placement stability"),
        ]
        spotlight_days = ("2024-02-07", "2024-07-10", "2024-11-13", "2025-04-09", "2025-09-17", "2026-03-11",
                          "2026-09-16")
        spotlight_services = ("AI", "PT", "CF", "DCS", "MASH", "CF", "AI")
        for day, s in zip(spotlight_days, spotlight_services):
            t = str(rng.choice(self.teams[s]))
            reviews.append(("Team Spotlight", _day(day), f"Team Spotlight: {t}", s,
                            _pick_list(rng, THEME_TAGS, 2, 3)))
        reviews.sort(key=lambda r: (r[1], r[0]))
        r = list(zip(*reviews))
        self.review_table = pd.DataFrame({"id": [f"RV-{k:03d}" for k in range(1, len(reviews) + 1)],
                                          "type": r[0], "date": np.array(r[1], "datetime64[D]"), "service": r[3],
                                          "themes": r[4]})
        self.frames["reviews"] = _frame("reviews", {
            "review_id": self.review_table["id"], "review_type": r[0], "review_date": np.array(r[1], "datetime64[D]"),
            "title": r[2], "service": self.svc(r[3]), "themes": r[4]})

    # --- reflective activities ----------------------------------------------------------------------
    def reflective_activities(self):
        rng = self.rng(9)
        position = {audit_id: k for k, audit_id in enumerate(self.audit_table["audit_id"])}
        a_date = self.audit_date
        a_service = self.audit_table["service"].to_numpy()
        rows = []   # (date, level, kind, service, theme, audit_id)
        ranks = self.pillar_ranks
        for audit_id, meeting, inadequate in self.followup_meetings:
            if np.isnat(meeting):
                continue
            k = position[audit_id]
            weakest = int(np.argmax(ranks[:, k]))
            rows.append((meeting, "Practitioner", "Reflective circle" if inadequate else "Supervision discussion",
                         a_service[k], self.pillar_name(weakest), audit_id))
        exemplars = self.frames["audits"]["exemplar"] == "Y"
        for audit_id in self.frames["audits"].loc[exemplars, "audit_id"]:
            k = position[audit_id]
            day = _weekday(a_date[k] + int(rng.integers(20, 45)))
            if day <= END:
                best = int(np.argmin(ranks[:, k]))
                rows.append((day, "Team", "Appreciative inquiry", a_service[k], self.pillar_name(best), audit_id))
        # Closing the learning loop: a service learning event every other month on its weakest pillar.
        month = self.audit_table["month"].to_numpy()
        service = self.audit_table["service"].to_numpy()
        for i in range(N_MONTHS - 1):
            for k, s in enumerate(SERVICES):
                if (i + k) % 2:
                    continue
                rows_i = (month == i) & (service == s)
                if not rows_i.any():
                    continue
                weakest = int(np.argmax((self.pillar_ranks[:, rows_i] >= 3).mean(axis=1)))
                day = _weekday(MONTH_START[i + 1] + int(rng.integers(5, 20)))
                if day <= END:
                    rows.append((day, "Service", "Learning event", s, self.pillar_name(weakest), None))
        # Practice Weeks and the training events.
        for iv in INTERVENTIONS:
            if iv.kind in ("Practice Week", "Training") and _day(iv.start) <= END:
                for s in (SERVICES if iv.service is None else (iv.service,)):
                    day = _weekday(_day(iv.start) + int(rng.integers(0, 5)))
                    rows.append((day, "Team", "Learning event" if iv.kind == "Training" else "Other", s,
                                 iv.theme, None))
        rows.sort(key=lambda r: (r[0], r[3], r[2]))
        r = list(zip(*rows))
        self.frames["reflective_activities"] = _frame("reflective_activities", {
            "activity_id": [f"RA-{k:05d}" for k in range(1, len(rows) + 1)],
            "activity_date": np.array(r[0], "datetime64[D]"), "level": r[1], "kind": r[2],
            "service": self.svc(r[3]), "theme": r[4], "audit_id": r[5]})

    # --- the Learning Action Tracker --------------------------------------------------------------
    def learning_actions(self):
        rng = self.rng(10)
        acts = []   # (source, source_ref, theme, service, raised)
        findings = self.findings_table
        for ds_id, theme, day, services, _, _ in self.dip_cycles:
            learning = findings[(findings["ds"] == ds_id) & (findings["type"] == "Learning")]["tag"].tolist()
            for tag in learning[: int(rng.integers(1, 3))]:
                acts.append(("Dip Sample", ds_id, tag, services[0] if len(services) == 1 else None,
                             day + int(rng.integers(7, 22))))
        a = self.audit_table
        for i in range(N_MONTHS):
            rows_i = (a["month"] == i).to_numpy()
            if rows_i.any():
                weakest = int(np.argmax((self.pillar_ranks[:, rows_i] >= 3).mean(axis=1)))
                acts.append(("Audit", f"AUD-{str(_MONTHS[i])}", PILLAR_TAG[weakest % len(PILLAR_TAG)], None,
                             MONTH_END[i] + int(rng.integers(8, 20))))
        quarters = MONTH_START[::3]
        for q in quarters:
            def some(ids, frame, date_col, source, k, theme_from=None):
                dates = np.array(frame[date_col].tolist(), "datetime64[D]")
                pool = np.flatnonzero((dates >= q) & (dates < q + 91))
                for j in rng.choice(pool, size=min(k, len(pool)), replace=False) if len(pool) else []:
                    theme = str(rng.choice(THEME_TAGS)) if theme_from is None else theme_from[j]
                    acts.append((source, ids[j], theme, None, dates[j] + int(rng.integers(10, 40))))
            comp = self.frames["complaints"]
            some(self.complaint_ids, comp, "received_date", "Complaint", 2)
            some(self.escalation_ids, self.frames["escalations"], "raised_date", "Escalation", 2)
            some(self.ntk_ids, self.frames["need_to_know"], "notified_date", "Need to Know", 1)
            fb = self.frames["feedback"]
            momo = (fb["channel"] == "MOMO").to_numpy()
            some(fb["feedback_id"].to_numpy()[~momo], fb[~momo], "received_date", "Feedback", 1)
            acts.append(("MOMO", f"MOMO-{str(q)[:7]}", str(rng.choice(["Voice of the child", "Direct work",
                                                                        "Working with families"])), None,
                         q + 95))
            if int(str(q)[5:7]) in (4, 10):
                acts.append(("Practice Observation", f"OBS-REPORT-{str(q)[:7]}", "Direct work", None, q + 100))
        for rid, rtype, rdate, rservice, rthemes in self.review_table.itertuples(index=False):
            rdate = np.datetime64(rdate, "D")
            source = {"DSCP Thematic Review": "DSCP Review"}.get(rtype, rtype)
            themes = [t for t in rthemes.split("; ") if t in THEME_TAGS] or [str(rng.choice(THEME_TAGS))]
            for k in range(int(rng.integers(1, 4)) if rtype != "Rapid Review" else 1):
                acts.append((source, rid, themes[k % len(themes)], rservice, rdate + int(rng.integers(7, 30))))
        acts.append(("Other", "PSW-NEWSLETTER", "Recording", None, _day("2024-05-20")))
        acts.append(("Other", "SELF-ASSESSMENT-2025", "Management oversight", None, _day("2025-07-07")))
        acts = [x for x in acts if x[4] <= END]
        acts.sort(key=lambda x: (x[4], x[0], x[1]))
        n = len(acts)
        raised = np.array([x[4] for x in acts], dtype="datetime64[D]")
        due = raised + rng.choice([30, 60, 90, 120], size=n)
        age = (END - raised).astype(int)
        span = (due - raised).astype(int)
        # Completion: most actions finish (some late); recent ones are still open.
        finish = raised + np.round(span * rng.uniform(0.4, 1.5, n)).astype(int)
        finished = (finish <= END) & (rng.random(n) < np.where(age > 240, 0.9, 0.75))
        closed = finished & (rng.random(n) < 0.08)
        status = np.where(closed, "Closed", np.where(finished, "Complete",
                          np.where((age < 45) & (rng.random(n) < 0.5), "Not started", "In progress"))).astype(object)
        completed = np.where(finished & ~(closed & (rng.random(n) < 0.5)), finish, NAT)
        # Reviews: at the quarterly review meeting (mid-January, April, July, October).
        reviews = np.busday_offset(MONTH_START[_MONTHS.astype(int) % 3 == 0] + 14, 0, roll="forward")
        reviews = reviews[reviews <= END]
        until = np.where(finished, finish, END)
        last = np.array([reviews[(reviews >= r) & (reviews <= u)].max() if ((reviews >= r) & (reviews <= u)).any()
                         else NAT for r, u in zip(raised, until)], dtype="datetime64[D]")
        stale = ~finished & (rng.random(n) < 0.35) & (age > 150)   # missed at the last review or two
        last = np.where(stale, last - rng.choice([91, 182], size=n), last)
        last = np.where(stale & (last < raised), NAT, last)
        last = np.where(finished, np.where(np.isnat(completed), last, completed), last)
        evidence = np.where(finished & (rng.random(n) < 0.6),
                            np.array(IMPACT_TEXT)[rng.integers(len(IMPACT_TEXT), size=n)], None)
        self.frames["learning_actions"] = _frame("learning_actions", {
            "action_id": [f"LA-{k:04d}" for k in range(1, n + 1)], "source": [x[0] for x in acts],
            "source_ref": [x[1] for x in acts], "theme": [x[2] for x in acts], "service": self.svc([x[3] for x in acts]),
            "owner_role": np.array(OWNER_ROLES)[rng.integers(len(OWNER_ROLES), size=n)], "raised_date": raised,
            "due_date": due, "status": status, "completed_date": completed, "last_reviewed_date": last,
            "impact_evidence": evidence})

    # --- observations -----------------------------------------------------------------------------
    def observations(self):
        rng = self.rng(11)
        schedule = {  # role -> (observer, first half type, second half type or None)
            "Family Practitioner": ("Advanced Practitioner", "Direct work with child", "Other practice"),
            "Social Worker": ("Team Manager", "Direct work with child", "Other practice"),
            "Team Manager": ("Service Manager", "Supervision", "Other practice"),
            "Service Manager": ("Head of Service", "Supervision", None),
        }
        first = START - 365
        rows = []
        for m in self.staff_table.itertuples(index=False):
            if m.role not in schedule:
                continue
            observer, kind1, kind2 = schedule[m.role]
            start = max(np.datetime64(m.start, "D"), first)
            end = END if pd.isna(m.end) else min(np.datetime64(m.end, "D"), END)
            rate = 0.8 if m.service == "AI" else 0.95
            cycle = start + int(rng.integers(0, 120))
            while cycle <= end:
                for half, kind in ((0, kind1), (1, kind2)):
                    if kind is None or rng.random() > rate:
                        continue
                    day = _weekday(cycle + 183 * half + int(rng.integers(0, 150)))
                    if day > end or day < np.datetime64(m.start, "D"):
                        continue
                    who = "Head of Service" if rng.random() < 0.08 and m.role != "Service Manager" else observer
                    rows.append((day, m.staff_id, m.role, m.service, kind, who))
                cycle = cycle + 365
        rows.sort(key=lambda r: (r[0], r[1]))
        n = len(rows)
        r = list(zip(*rows))
        day = np.array(r[0], "datetime64[D]")
        latent = 0.45 + 0.15 * _years(day) + rng.normal(0, 0.85, n)
        grade = np.where(rng.random(n) < 0.05, 0, _rank(latent))
        self.frames["observations"] = _frame("observations", {
            "observation_id": [f"OBS-{k:05d}" for k in range(1, n + 1)], "observed_date": day, "staff_id": r[1],
            "staff_role": r[2], "service": self.svc(r[3]), "observation_type": r[4], "observer_role": r[5],
            "grade": self.grade(grade)})

    # --- KPIs -------------------------------------------------------------------------------------
    def kpis(self):
        rng = self.rng(12)
        t = np.arange(N_MONTHS)
        noise = lambda sd: rng.normal(0, sd, N_MONTHS)   # noqa: E731
        design = {}
        # Re-referrals: level, then seven increases in a row (March to October 2025), down after INT06.
        rr = 21.0 + noise(0.45)
        rise = int(np.flatnonzero(_MONTHS == np.datetime64("2025-04"))[0])
        steps = 0.3 + np.abs(rng.normal(0, 0.1, 7))
        rr[rise:rise + 7] = rr[rise - 1] + np.cumsum(steps)
        after = np.arange(N_MONTHS - rise - 7)
        rr[rise + 7:] = rr[rise + 6] - np.minimum(after + 1, 5) * 0.5 + noise(0.45)[: len(after)]
        design["REREF12"] = rr
        # Assessments in 45 working days: a step up after the process change of April 2025.
        shift = int(np.flatnonzero(_MONTHS == np.datetime64("2025-04"))[0])
        design["ASSESS45"] = np.where(t < shift, 80.5, 85.5) + noise(1.1)
        design["CPSECOND"] = 22.5 + noise(1.4)
        design["CP2YEARS"] = np.full(N_MONTHS, 3.8)
        cic = 10.4 + noise(0.4)
        cic[int(np.flatnonzero(_MONTHS == np.datetime64("2025-12"))[0])] += 4.5   # one outlier
        design["CIC3PLACE"] = cic
        design["CICSTABLE"] = 69.0 + noise(0.9)
        design["CLEET"] = 47.5 + noise(1.0)
        service_offset = {"MASH": -1.0, "AI": 1.5, "CF": -2.0, "PT": 1.0, "DCS": 2.5}
        share = {"MASH": 0.35, "AI": 0.45, "CF": 0.4, "PT": 0.75, "DCS": 0.15}
        rows = []   # (code, period_end, service, value, numerator, denominator)
        for k in DEFAULTS["kpis"]:
            code = k["kpi_code"]
            if code not in design:   # a KPI configured later than this design: defined, no values
                continue
            p = np.clip(design[code], 0.5, 99.5) / 100
            den = np.round(KPI_DENOMINATOR[code] * rng.uniform(0.93, 1.07, N_MONTHS)).astype(int)
            num = rng.binomial(den, p) if code == "CP2YEARS" else np.round(p * den).astype(int)
            for i in range(N_MONTHS):
                rows.append((code, MONTH_END[i], None, 100 * num[i] / den[i], num[i], den[i]))
            for s in KPI_SERVICES.get(code, ()):
                sp = np.clip(p + service_offset[s] / 100 + rng.normal(0, 0.01, N_MONTHS), 0.005, 0.995)
                sden = np.maximum(np.round(den * share[s] * rng.uniform(0.9, 1.1, N_MONTHS)).astype(int), 5)
                snum = rng.binomial(sden, sp)
                for i in range(N_MONTHS):
                    rows.append((code, MONTH_END[i], s, 100 * snum[i] / sden[i], snum[i], sden[i]))
        r = list(zip(*rows))
        self.frames["kpi_values"] = _frame("kpi_values", {
            "kpi_code": r[0], "period_end": np.array(r[1], "datetime64[D]"), "service": self.svc(r[2]),
            "value": r[3], "numerator": [str(int(x)) for x in r[4]], "denominator": [str(int(x)) for x in r[5]]})
        defs = DEFAULTS["kpis"]
        self.frames["kpi_definitions"] = _frame("kpi_definitions", {
            "kpi_code": [k["kpi_code"] for k in defs], "kpi_name": [k["kpi_name"] for k in defs],
            "unit": [k["unit"] for k in defs], "polarity": [k["polarity"] for k in defs],
            "target": [None if k["target"] is None else f"{k['target']:g}" for k in defs],
            "source": [k["source"] for k in defs]})
        bench = []
        for year_end, drift in (("2024-03-31", 0.0), ("2025-03-31", 0.4), ("2026-03-31", 0.7)):
            for code, value in ENGLAND.items():
                bench.append((code, year_end, "England", f"{value:g}"))
                neighbours = NEIGHBOURS[code] + round(float(rng.normal(0, 0.3)) + drift * 0.5, 1) * \
                    (1 if code in ("ASSESS45", "CICSTABLE", "CLEET") else -0.2)
                bench.append((code, year_end, "Statistical neighbours", f"{neighbours:.1f}"))
        b = list(zip(*bench))
        self.frames["kpi_benchmarks"] = _frame("kpi_benchmarks", {
            "kpi_code": b[0], "period_end": b[1], "comparator": b[2], "value": b[3]})

    def interventions(self):
        iv = INTERVENTIONS
        self.frames["interventions"] = _frame("interventions", {
            "intervention_id": [i.id for i in iv], "name": [i.name for i in iv], "kind": [i.kind for i in iv],
            "start_date": [i.start for i in iv], "end_date": [i.end for i in iv],
            "service": self.svc([i.service for i in iv]),
            "target_pillar": [self.pillar_name(i.pillar) for i in iv],
            "target_theme": [i.theme for i in iv], "target_kpi": [i.kpi for i in iv]})


def generate(seed: int = 1, config: Config | None = None) -> dict[str, pd.DataFrame]:
    """Synthetic data for every dataset, in declaration order: the same seed gives the same frames."""
    if int(seed) < 0:
        raise ValueError(f"the seed must be a whole number, 0 or more (not {seed})")
    return _Demo(int(seed), config or Config()).run()


def write_files(frames: dict[str, pd.DataFrame], directory: str | os.PathLike) -> list[Path]:
    """One CSV per dataset, named ``<dataset>.csv``; returns the paths written."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in frames.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    return paths


# --- the demo database --------------------------------------------------------------------------
def is_demo_database(path: str | os.PathLike) -> bool:
    """A database every one of whose loads was made by the demo (so replacing it loses nothing real)."""
    import duckdb
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        loads, demo = con.execute("SELECT count(*), count(*) FILTER (loaded_by = ?) FROM load_history",
                                  [DEMO_USER]).fetchone()
    except duckdb.Error:
        return False
    finally:
        con.close()
    return loads > 0 and loads == demo


@dataclass
class DemoResult:
    path: Path
    seed: int
    rows: dict[str, int]
    warnings: list = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def line(self) -> str:
        counts = ", ".join(f"{name} {n}" for name, n in self.rows.items())
        return f"demo database {self.path} (seed {self.seed}): {counts}"


def build_demo(db_path: str | os.PathLike, seed: int = 1, config: Config | None = None,
               files_dir: str | os.PathLike | None = None) -> DemoResult:
    """Generate the demo, write its CSV files (to ``files_dir``, else a temporary folder) and load them all
    with one ``load_files`` call into a fresh database, which then replaces ``db_path``.

    An existing ``db_path`` is replaced only when it is itself a demo database; anything else raises
    ``DemoError`` and leaves it untouched.
    """
    from .database import Database
    from .loader import load_files
    from .readers import SourceFile

    target = Path(db_path)
    config = config or Config()
    if int(seed) < 0:
        raise DemoError(f"the seed must be a whole number, 0 or more (not {seed})")
    if target.exists() and not is_demo_database(target):
        raise DemoError(f"{target} exists and is not a demo database: not replacing it")
    frames = generate(seed, config)
    target.parent.mkdir(parents=True, exist_ok=True)
    build = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.demo.new")
    keep_files = files_dir is not None
    with contextlib.ExitStack() as stack:
        if files_dir is None:
            files_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="qa-demo-"))
        paths = write_files(frames, files_dir)
        try:
            report = load_files(Database(build, config), [SourceFile.from_path(p) for p in paths],
                                user=DEMO_USER, today=max(dt.date.today(), DEMO_END))
            if not report.ok:
                lines = "\n".join(report.problem_lines(20))
                raise DemoError(f"the loader refused the demo data ({report.problem_count} problems):\n{lines}")
            # Publish: under the target's write lock, so no load into it is under way.
            with open(target.with_name(target.name + ".lock"), "a+") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if target.exists() and not is_demo_database(target):
                    raise DemoError(f"{target} exists and is not a demo database: not replacing it")
                os.replace(build, target)
        finally:
            for leftover in (build, build.with_name(build.name + ".lock"), build.with_name(build.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
    return DemoResult(target, int(seed), {name: len(frame) for name, frame in frames.items()},
                      report.warnings, paths if keep_files else [])
