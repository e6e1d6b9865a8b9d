"""Synthetic contract CSVs for the benchmarks: audits and pillars alone, or every dataset at a named scale.

Everything is vectorised with numpy and pyarrow (no Python loop per row) and
deterministic for a given seed and size. Column names and order follow the
declarations in ``analytics/datasets.py``; pillars and cohorts come from
``analytics/config.py`` DEFAULTS, so the files are what a council would load.

Run alone:  .venv/bin/python benchmarks/gen_data.py --audits 100000 --seed 1 --out benchmarks/out/data
            .venv/bin/python benchmarks/gen_data.py --scale county --out benchmarks/out/county
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analytics.config import DEFAULTS  # noqa: E402  (read-only use of the declarations)
from analytics.datasets import get  # noqa: E402

GRADES = [g["label"] for g in DEFAULTS["grades"]]          # best first: rank 1..4
PILLARS = list(DEFAULTS["pillars"])                          # 7
SERVICES = ["MASH", "AI", "CF", "PT", "DCS", "IRSS"]
SERVICE_P = [0.12, 0.26, 0.28, 0.16, 0.10, 0.08]
TEAMS_PER_SERVICE = 4
COHORTS = ["CIN", "CP", "CIC", "Court"]
COHORT_P = [0.38, 0.27, 0.30, 0.05]
ROLES = ["Team Manager", "Service Manager"]
ROLE_P = [0.75, 0.25]
AGE_BANDS = ["0-4", "5-9", "10-15", "16-17", "18+"]
AGE_P = [0.22, 0.24, 0.34, 0.14, 0.06]
GENDERS = ["Female", "Male", "Other"]
GENDER_P = [0.48, 0.50, 0.02]
ETHNICITY = ["White", "Mixed", "Asian or Asian British", "Black or Black British", "Other ethnic group"]
ETHNICITY_P = [0.70, 0.10, 0.09, 0.07, 0.04]
AUDITOR_GRADE_P = [0.08, 0.52, 0.31, 0.09]                  # Outstanding, Good, RI, Inadequate

FIRST_DAY = np.datetime64("2016-01-01")
LAST_AUDIT_DAY = np.datetime64("2026-08-31")                 # + up to 30 + 30 days stays before 2026-11-01
LAST_ALLOWED = np.datetime64("2026-10-31")

MODERATED_SHARE = 0.90
BENCHMARKED_SHARE_OF_MODERATED = 0.03
PILLAR_MODERATED_SHARE = 0.97                                # of the pillars of a moderated audit


def _pick(rng: np.random.Generator, labels: list[str], p: list[float] | None, n: int) -> pa.Array:
    """n labels drawn with probabilities p, as a string array (numpy draw, pyarrow take)."""
    idx = rng.choice(len(labels), size=n, p=p)
    return pa.array(labels, type=pa.string()).take(pa.array(idx))


def _null_where(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    """arr with nulls where mask is True (nulls are written as empty CSV fields)."""
    return pc.if_else(pa.array(~mask), arr, pa.scalar(None, arr.type))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(numbers.astype(np.int64)).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]")).cast(pa.string())   # YYYY-MM-DD


def _yn(rng: np.random.Generator, n: int, p_yes: float, p_blank: float = 0.0) -> pa.Array:
    u = rng.random(n)
    arr = pa.array(np.where(u < p_yes, "Y", "N"), type=pa.string())
    if p_blank:
        arr = _null_where(arr, rng.random(n) < p_blank)
    return arr


def _drift(rng: np.random.Generator, rank: np.ndarray, p_change: float) -> np.ndarray:
    """A second opinion on a 1..4 rank: same with 1 - p_change, else one step (mostly down)."""
    step = rng.choice([-1, 1], size=rank.size, p=[0.35, 0.65])
    changed = rng.random(rank.size) < p_change
    return np.clip(rank + np.where(changed, step, 0), 1, 4)


def generate(n_audits: int, seed: int, first_day: np.datetime64 = FIRST_DAY) -> tuple[pa.Table, pa.Table]:
    """(audits, audit_pillars) as string tables in the declared column order."""
    rng = np.random.default_rng(seed)
    n = n_audits
    grades = pa.array(GRADES, type=pa.string())

    # Audit dates, sorted so that ids run in date order like a real register.
    span = int((LAST_AUDIT_DAY - first_day).astype(int)) + 1
    audit_day = first_day + np.sort(rng.integers(0, span, size=n))
    month = audit_day.astype("datetime64[M]").astype(str)            # '2016-01' (vectorised in numpy)
    audit_id = pc.binary_join_element_wise(
        "CAR-", pc.replace_substring(pa.array(month), "-", ""), "-",
        pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), width=7, padding="0"), "")

    service_idx = rng.choice(len(SERVICES), size=n, p=SERVICE_P)
    service = pa.array(SERVICES).take(pa.array(service_idx))
    team_no = rng.integers(1, TEAMS_PER_SERVICE + 1, size=n)
    team = pc.binary_join_element_wise(service, pa.array(team_no).cast(pa.string()), " \u2013 Team ")

    auditor_rank = rng.choice(4, size=n, p=AUDITOR_GRADE_P) + 1
    moderated = rng.random(n) < MODERATED_SHARE
    moderated_rank = _drift(rng, auditor_rank, 0.22)
    moderated_day = audit_day + rng.integers(1, 31, size=n)
    benchmarked = moderated & (rng.random(n) < BENCHMARKED_SHARE_OF_MODERATED)
    benchmarked_rank = _drift(rng, moderated_rank, 0.15)
    benchmarked_day = moderated_day + rng.integers(1, 31, size=n)
    assert benchmarked_day.max() <= LAST_ALLOWED

    audits = pa.table({
        "audit_id": audit_id,
        "audit_date": _dates(audit_day),
        "service": service,
        "team": team,
        "child_ref": _ids("C", rng.integers(100000, 1000000, size=n), 6),
        "cohort": _pick(rng, COHORTS, COHORT_P, n),
        "auditor_id": _ids("S", rng.integers(1, 401, size=n), 4),
        "auditor_role": _pick(rng, ROLES, ROLE_P, n),
        "practitioner_id": _ids("S", rng.integers(401, 1601, size=n), 4),
        "auditor_grade": grades.take(pa.array(auditor_rank - 1)),
        "moderated_grade": _null_where(grades.take(pa.array(moderated_rank - 1)), ~moderated),
        "moderated_date": _null_where(_dates(moderated_day), ~moderated),
        "benchmarked_grade": _null_where(grades.take(pa.array(benchmarked_rank - 1)), ~benchmarked),
        "benchmarked_date": _null_where(_dates(benchmarked_day), ~benchmarked),
        "child_views_sought": _yn(rng, n, 0.82),
        "family_views_sought": _yn(rng, n, 0.88),
        "exemplar": _yn(rng, n, 0.03),
        "child_age_band": _pick(rng, AGE_BANDS, AGE_P, n),
        "child_gender": _pick(rng, GENDERS, GENDER_P, n),
        "child_ethnicity_group": _pick(rng, ETHNICITY, ETHNICITY_P, n),
        "child_disability": _yn(rng, n, 0.12, p_blank=0.02),
    })

    # Seven pillar rows per audit, each graded near the audit's own grades.
    k = len(PILLARS)
    rep = np.repeat(np.arange(n), k)
    p_auditor = _drift(rng, auditor_rank[rep], 0.30)
    p_moderated = _drift(rng, p_auditor, 0.18)
    p_has_mod = moderated[rep] & (rng.random(n * k) < PILLAR_MODERATED_SHARE)
    pillars = pa.table({
        "audit_id": audit_id.take(pa.array(rep)),
        "pillar": pa.array(PILLARS).take(pa.array(np.tile(np.arange(k), n))),
        "auditor_grade": grades.take(pa.array(p_auditor - 1)),
        "moderated_grade": _null_where(grades.take(pa.array(p_moderated - 1)), ~p_has_mod),
    })

    for table, name in ((audits, "audits"), (pillars, "audit_pillars")):
        assert table.column_names == get(name).column_names, name
    return audits, pillars



# --- every other dataset, in proportion to the audits ------------------------------------------
# Scales of the performance benchmark (issue 8): audits, years of history, and the other datasets'
# rows per audit (the stress scale's: 500,000 feedback, 200,000 escalations, 50,000 actions per
# 1,000,000 audits); KPIs are 40 indicators x 7 services (six and ALL) x every month of the history.
SCALES = {
    "tiny": {"audits": 600, "years": 2},
    "county": {"audits": 15_000, "years": 6},
    "region": {"audits": 225_000, "years": 6},
    "stress": {"audits": 1_000_000, "years": 10},
}
PER_AUDIT = {"feedback": 0.5, "escalations": 0.2, "learning_actions": 0.05, "complaints": 0.02,
             "observations": 0.1, "reflective_activities": 0.05,
             "need_to_know": 0.005, "reviews": 0.002}
N_KPIS = 40
STAFF = 1600                                                  # auditors S0001-S0400, practitioners S0401-S1600
FEEDBACK_THEMES = ["Being listened to", "Relationship with worker", "Communication", "Change of worker",
                   "Timeliness", "Contact", "Support offered", "Respect"]
ESCALATION_THEMES = ["Drift and delay", "Care planning", "Permanence planning", "Visits out of timescale",
                     "Assessment quality", "Placement"]
DIP_THEMES = ["Lived experience of the child", "Neglect", "Child protection plans over 18 months",
              "Equality, diversity and inclusion", "Contextual safeguarding", "Pre-birth assessments"]
ACTION_SOURCES = ["Audit", "Dip Sample", "Complaint", "Feedback", "MOMO", "Escalation", "Need to Know", "CSPR",
                  "Rapid Review", "DSCP Review", "Team Spotlight", "Practice Observation", "Ofsted", "Other"]


def _first_day(years: int) -> np.datetime64:
    return LAST_AUDIT_DAY - np.timedelta64(365 * years + years // 4 - 1, "D")


def _days(rng, n: int, first: np.datetime64, last: np.datetime64 = LAST_AUDIT_DAY) -> np.ndarray:
    span = int((last - first).astype(int)) + 1
    return first + np.sort(rng.integers(0, span, size=n))


def _list_of(rng, labels: list[str], n: int) -> pa.Array:
    """One or two labels joined with '; ' (a contract list cell)."""
    a, b = rng.integers(0, len(labels), size=n), rng.integers(0, len(labels), size=n)
    first = pa.array(labels).take(pa.array(a))
    two = pc.binary_join_element_wise(first, pa.array(labels).take(pa.array(b)), "; ")
    return pc.if_else(pa.array((rng.random(n) < 0.4) & (a != b)), two, first)


def _table(name: str, cols: dict, n: int) -> pa.Table:
    """The dataset's columns in declared order; columns not generated are blank."""
    out = {c: cols[c] if c in cols else pa.nulls(n, pa.string()) for c in get(name).column_names}
    return pa.table(out)


def _team(rng, service: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(service, pa.array(rng.integers(1, TEAMS_PER_SERVICE + 1, size=len(service)))
                                       .cast(pa.string()), " \u2013 Team ")


def generate_all(n_audits: int, seed: int, years: int = 10) -> dict[str, pa.Table]:
    """Every dataset of the contract at ``n_audits`` over ``years`` of history (string tables)."""
    first = _first_day(years)
    audits, pillars = generate(n_audits, seed, first_day=first)
    rng = np.random.default_rng([seed, 8])
    n_of = {k: max(1, int(round(v * n_audits))) for k, v in PER_AUDIT.items()}
    out = {"audits": audits, "audit_pillars": pillars}
    grades = pa.array(GRADES, type=pa.string())
    svc = pa.array(SERVICES)

    # Staff roster: every auditor and practitioner id the audits use.
    n = STAFF
    s_service = svc.take(pa.array(rng.choice(len(SERVICES), size=n, p=SERVICE_P)))
    out["staff"] = _table("staff", {
        "staff_id": _ids("S", np.arange(1, n + 1), 4),
        "role": pa.array(np.where(np.arange(n) < 400, "Team Manager", "Social Worker")),
        "service": s_service, "team": _team(rng, s_service),
        "start_date": _dates(np.datetime64("2010-01-01") + rng.integers(0, 3000, size=n))}, n)

    # Follow-up of every audit whose final grade is Requires Improvement or Inadequate.
    final = pc.coalesce(audits["benchmarked_grade"], audits["moderated_grade"], audits["auditor_grade"])
    weak = pc.is_in(final, pa.array(GRADES[2:])).to_numpy(zero_copy_only=False)
    idx = np.flatnonzero(weak)
    n = idx.size
    base = np.array(audits["audit_date"].to_numpy(zero_copy_only=False), dtype="datetime64[D]")[idx]
    inadequate = pc.equal(final.take(pa.array(idx)), "Inadequate").to_numpy(zero_copy_only=False)
    reviewed = rng.random(n) < 0.7
    out["audit_followups"] = _table("audit_followups", {
        "audit_id": audits["audit_id"].take(pa.array(idx)),
        "process": pa.array(np.where(inadequate, "Inadequate", "Requires Improvement")),
        "managers_notified_date": _dates(base + rng.integers(0, 4, size=n)),
        "reflective_meeting_date": _dates(base + rng.integers(3, 15, size=n)),
        "review_due_date": _dates(base + 56),
        "review_date": _null_where(_dates(base + rng.integers(40, 70, size=n)), ~reviewed),
        "review_grade": _null_where(grades.take(pa.array(rng.choice(4, size=n, p=[0.05, 0.55, 0.3, 0.1]))), ~reviewed),
        "head_of_service_notified_date": _null_where(_dates(base + rng.integers(0, 6, size=n)), ~inadequate)}, n)

    n = n_of["feedback"]
    day = _days(rng, n, first)
    responded = rng.random(n) < 0.8
    out["feedback"] = _table("feedback", {
        "feedback_id": _ids("FB", np.arange(1, n + 1), 8),
        "received_date": _dates(day),
        "channel": _pick(rng, ["SFF under 13", "SFF 13 plus", "Email", "MOMO", "Other"], None, n),
        "sentiment": _pick(rng, ["Positive", "Mixed", "Negative"], [0.55, 0.25, 0.20], n),
        "from_role": _pick(rng, ["Child", "Parent or Carer", "Professional", "Other"], None, n),
        "service": _null_where(_pick(rng, SERVICES, SERVICE_P, n), rng.random(n) < 0.1),
        "themes": _list_of(rng, FEEDBACK_THEMES, n),
        "conversation_requested": _yn(rng, n, 0.1), "became_complaint": _yn(rng, n, 0.03),
        "responded_date": _null_where(_dates(day + rng.integers(0, 20, size=n)), ~responded)}, n)

    n = n_of["escalations"]
    day = _days(rng, n, first)
    e_service = _pick(rng, SERVICES, SERVICE_P, n)
    resolved = rng.random(n) < 0.85
    out["escalations"] = _table("escalations", {
        "escalation_id": _ids("ESC", np.arange(1, n + 1), 7), "raised_date": _dates(day),
        "raised_by": _pick(rng, ["IRO", "CP Chair"], None, n), "service": e_service, "team": _team(rng, e_service),
        "child_ref": _ids("C", rng.integers(100000, 1000000, size=n), 6),
        "stage": _pick(rng, ["Informal", "Formal 1", "Formal 2", "Formal 3"], [0.6, 0.25, 0.1, 0.05], n),
        "themes": _list_of(rng, ESCALATION_THEMES, n),
        "resolved_date": _null_where(_dates(day + rng.integers(0, 60, size=n)), ~resolved),
        "outcome": _null_where(_pick(rng, ["Resolved", "Escalated", "Withdrawn"], [0.8, 0.15, 0.05], n), ~resolved)}, n)

    n = n_of["learning_actions"]
    day = _days(rng, n, first)
    status = rng.choice(4, size=n, p=[0.1, 0.25, 0.5, 0.15])
    done = status >= 2
    out["learning_actions"] = _table("learning_actions", {
        "action_id": _ids("LA", np.arange(1, n + 1), 6),
        "source": _pick(rng, ACTION_SOURCES, None, n), "theme": _pick(rng, ESCALATION_THEMES + DIP_THEMES, None, n),
        "service": _null_where(_pick(rng, SERVICES, SERVICE_P, n), rng.random(n) < 0.15),
        "owner_role": _pick(rng, ["Team Manager", "Service Manager", "Head of Service"], None, n),
        "raised_date": _dates(day), "due_date": _dates(day + rng.integers(30, 120, size=n)),
        "status": pa.array(["Not started", "In progress", "Complete", "Closed"]).take(pa.array(status)),
        "completed_date": _null_where(_dates(day + rng.integers(10, 60, size=n)), ~done),
        "last_reviewed_date": _dates(day + rng.integers(0, 30, size=n))}, n)

    n = n_of["complaints"]
    day = _days(rng, n, first)
    closed = rng.random(n) < 0.9
    out["complaints"] = _table("complaints", {
        "complaint_id": _ids("CMP", np.arange(1, n + 1), 6), "received_date": _dates(day),
        "service": _pick(rng, SERVICES, SERVICE_P, n),
        "stage": _pick(rng, ["Stage 1", "Stage 2", "Stage 3", "Ombudsman"], [0.8, 0.12, 0.05, 0.03], n),
        "themes": _list_of(rng, FEEDBACK_THEMES, n),
        "outcome": _null_where(_pick(rng, ["Upheld", "Partly upheld", "Not upheld", "Withdrawn"], None, n), ~closed),
        "response_due_date": _dates(day + 20),
        "closed_date": _null_where(_dates(day + rng.integers(5, 40, size=n)), ~closed)}, n)

    n = n_of["observations"]
    out["observations"] = _table("observations", {
        "observation_id": _ids("OBS", np.arange(1, n + 1), 7), "observed_date": _dates(_days(rng, n, first)),
        "staff_id": _ids("S", rng.integers(401, STAFF + 1, size=n), 4),
        "staff_role": _pick(rng, ["Family Practitioner", "Social Worker"], None, n),
        "service": _pick(rng, SERVICES, SERVICE_P, n),
        "observation_type": _pick(rng, ["Direct work with child", "Other practice", "Supervision"], None, n),
        "observer_role": _pick(rng, ["Advanced Practitioner", "Team Manager", "Service Manager"], None, n),
        "grade": grades.take(pa.array(rng.choice(4, size=n, p=AUDITOR_GRADE_P)))}, n)

    # Dip samples: the QA team's schedule, two a month of ten children each whatever the audit volume;
    # one finding for every two children.
    n = 20 * 12 * years
    sample = np.arange(n) // 10
    n_samples = int(sample[-1]) + 1
    s_day = _days(rng, n_samples, first)
    total = rng.integers(5, 13, size=n)
    out["dip_samples"] = _table("dip_samples", {
        "dip_sample_id": _ids("DS", sample + 1, 6),
        "theme": pa.array(DIP_THEMES).take(pa.array(sample % len(DIP_THEMES))),
        "sample_date": _dates(s_day[sample]),
        "service": svc.take(pa.array(rng.choice(len(SERVICES), size=n_samples, p=SERVICE_P)[sample])),
        "child_ref": _ids("C", rng.integers(100000, 1000000, size=n), 6),
        "grade": grades.take(pa.array(rng.choice(4, size=n, p=AUDITOR_GRADE_P))),
        "criteria_met": pa.array(rng.integers(0, total + 1)).cast(pa.string()),
        "criteria_total": pa.array(total).cast(pa.string())}, n)
    m = max(1, n // 2)
    out["dip_sample_findings"] = _table("dip_sample_findings", {
        "finding_id": _ids("DF", np.arange(1, m + 1), 7),
        "dip_sample_id": _ids("DS", rng.integers(1, n_samples + 1, size=m), 6),
        "finding_type": _pick(rng, ["Strength", "Learning"], None, m),
        "theme_tag": _pick(rng, DIP_THEMES, None, m)}, m)

    n = n_of["reflective_activities"]
    out["reflective_activities"] = _table("reflective_activities", {
        "activity_id": _ids("RA", np.arange(1, n + 1), 6), "activity_date": _dates(_days(rng, n, first)),
        "level": _pick(rng, ["Practitioner", "Team", "Service"], None, n),
        "kind": _pick(rng, ["Supervision discussion", "Reflective circle", "Appreciative inquiry", "Learning event",
                            "Other"], None, n),
        "service": _pick(rng, SERVICES, SERVICE_P, n), "theme": _pick(rng, DIP_THEMES, None, n)}, n)

    n = n_of["need_to_know"]
    out["need_to_know"] = _table("need_to_know", {
        "ntk_id": _ids("NTK", np.arange(1, n + 1), 6), "notified_date": _dates(_days(rng, n, first)),
        "service": _pick(rng, SERVICES, SERVICE_P, n),
        "category": _pick(rng, ["Serious injury", "Death", "Allegation", "Media interest"], None, n),
        "rapid_review": _yn(rng, n, 0.3), "national_panel_notified": _yn(rng, n, 0.1)}, n)

    n = n_of["reviews"]
    out["reviews"] = _table("reviews", {
        "review_id": _ids("RV", np.arange(1, n + 1), 5),
        "review_type": _pick(rng, ["Rapid Review", "CSPR", "DSCP Thematic Review", "Team Spotlight", "Ofsted"],
                             None, n),
        "review_date": _dates(_days(rng, n, first)), "title": pa.array(["Practice review"] * n),
        "service": _null_where(_pick(rng, SERVICES, SERVICE_P, n), rng.random(n) < 0.3),
        "themes": _list_of(rng, ESCALATION_THEMES, n)}, n)

    # Twelve interventions spread over the history, each aimed at one pillar.
    n = 12
    start = first + np.linspace(180, int((LAST_AUDIT_DAY - first).astype(int)) - 200, n).astype(int)
    out["interventions"] = _table("interventions", {
        "intervention_id": _ids("INT", np.arange(1, n + 1), 2),
        "name": pc.binary_join_element_wise("Practice training ", _ids("", np.arange(1, n + 1), 2), ""),
        "kind": _pick(rng, ["Training", "Briefing", "Practice Week", "Process change"], None, n),
        "start_date": _dates(start), "end_date": _dates(start + 30),
        "service": _null_where(_pick(rng, SERVICES, SERVICE_P, n), np.arange(n) % 3 == 0),
        "target_pillar": pa.array(PILLARS).take(pa.array(np.arange(n) % len(PILLARS)))}, n)

    # KPIs: 40 definitions (percent with numerator and denominator, or counts), monthly for 7 services.
    codes = [f"KPI{i:02d}" for i in range(1, N_KPIS + 1)]
    percent = np.arange(N_KPIS) % 4 != 3
    out["kpi_definitions"] = _table("kpi_definitions", {
        "kpi_code": pa.array(codes), "kpi_name": pa.array([f"Indicator {c}" for c in codes]),
        "unit": pa.array(np.where(percent, "percent", "count")),
        "polarity": pa.array(["higher is better", "lower is better", "neutral"] * 13 + ["neutral"]),
        "target": pa.array(np.where(percent, "80", "")).cast(pa.string())}, N_KPIS)
    months = np.arange(np.datetime64(str(first)[:7], "M"), np.datetime64(str(LAST_AUDIT_DAY)[:7], "M") + 1)
    month_end = (months + 1).astype("datetime64[D]") - 1
    k_i, m_i, s_i = (a.ravel() for a in np.meshgrid(np.arange(N_KPIS), np.arange(months.size),
                                                     np.arange(len(SERVICES) + 1), indexing="ij"))
    n = k_i.size
    den = rng.integers(20, 400, size=n)
    num = np.minimum(den, np.round(den * rng.uniform(0.55, 0.95, size=n))).astype(np.int64)
    pct = np.round(100 * num / den, 2)
    is_pct = percent[k_i]
    value = np.where(is_pct, pct, rng.integers(5, 60, size=n))
    out["kpi_values"] = _table("kpi_values", {
        "kpi_code": pa.array(codes).take(pa.array(k_i)), "period_end": _dates(month_end[m_i]),
        "service": _null_where(pa.array(SERVICES + ["ALL"]).take(pa.array(s_i)), s_i == len(SERVICES)),
        "value": pa.array(value).cast(pa.string()),
        "numerator": _null_where(pa.array(num).cast(pa.string()), ~is_pct),
        "denominator": _null_where(pa.array(den).cast(pa.string()), ~is_pct)}, n)
    year_ends = np.array([f"{y}-03-31" for y in range(int(str(first)[:4]) + 1, 2027)], dtype="datetime64[D]")
    k_i, y_i, c_i = (a.ravel() for a in np.meshgrid(np.arange(N_KPIS), np.arange(year_ends.size), np.arange(3),
                                                     indexing="ij"))
    n = k_i.size
    out["kpi_benchmarks"] = _table("kpi_benchmarks", {
        "kpi_code": pa.array(codes).take(pa.array(k_i)), "period_end": _dates(year_ends[y_i]),
        "comparator": pa.array(["England", "Statistical neighbours", "Region"]).take(pa.array(c_i)),
        "value": pa.array(np.round(rng.uniform(50, 90, size=n), 1)).cast(pa.string())}, n)
    for name, t in out.items():
        assert t.column_names == get(name).column_names, name
    return out


def write_csv(table: pa.Table, path: Path) -> int:
    """Header, then rows quoted only where needed (as Excel writes them); returns bytes written.

    pyarrow's writer quotes every string or none, and one pillar holds a comma, so the
    Arrow table is handed to an in-memory DuckDB (no copy) whose CSV writer quotes minimally
    and keeps the row order.
    """
    import duckdb
    con = duckdb.connect()
    try:
        con.register("t", table)
        con.execute(f"COPY t TO '{path}' (HEADER, DELIMITER ',', QUOTE '\"', NULLSTR '')")
    finally:
        con.close()
    return path.stat().st_size



def write_scale(scale: str, seed: int, out_dir: Path) -> dict:
    """Every dataset at a named scale (``SCALES``), one CSV per dataset."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = SCALES[scale]
    t0 = time.perf_counter()
    tables = generate_all(spec["audits"], seed, spec["years"])
    t1 = time.perf_counter()
    files = {}
    for name, table in tables.items():
        path = out_dir / f"{name}.csv"
        files[name] = {"path": str(path), "rows": table.num_rows, "bytes": write_csv(table, path)}
    return {"files": files, "generate_seconds": t1 - t0, "write_seconds": time.perf_counter() - t1}


def write_files(n_audits: int, seed: int, out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    audits, pillars = generate(n_audits, seed)
    t1 = time.perf_counter()
    files = {}
    for table, name in ((audits, "audits"), (pillars, "audit_pillars")):
        path = out_dir / f"{name}.csv"
        files[name] = {"path": str(path), "rows": table.num_rows, "bytes": write_csv(table, path)}
    t2 = time.perf_counter()
    return {"files": files, "generate_seconds": t1 - t0, "write_seconds": t2 - t1}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", choices=list(SCALES), help="every dataset at this scale (else audits and pillars only)")
    p.add_argument("--audits", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "data")
    a = p.parse_args(argv)
    info = write_scale(a.scale, a.seed, a.out) if a.scale else write_files(a.audits, a.seed, a.out)
    for name, f in info["files"].items():
        print(f"{f['path']}: {f['rows']} rows, {f['bytes'] / 1e6:.1f} MB")
    print(f"generated in {info['generate_seconds']:.2f} s, written in {info['write_seconds']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
