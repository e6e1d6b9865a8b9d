"""Configuration: services, pillars, grade scale, cohorts, KPI definitions and rule settings.

The defaults are the ones in the specs. A TOML file (``--config`` or the
``QA_DASHBOARD_CONFIG`` environment variable) overrides any top-level key:
lists are replaced whole, tables are merged key by key.
"""
from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "services": [
        {"code": "MASH", "name": "MASH", "aliases": ["Multi-Agency Safeguarding Hub"]},
        {"code": "AI", "name": "Assessment and Intervention", "aliases": []},
        {"code": "CF", "name": "Children and Families", "aliases": []},
        {"code": "PT", "name": "Permanence and Transition", "aliases": []},
        {"code": "DCS", "name": "Disabled Children's Services", "aliases": ["Disabled Childrens Services"]},
        {"code": "IRSS", "name": "Independent Reviewing and Safeguarding Service", "aliases": []},
    ],
    "pillars": [
        "Voice and lived experience of the child",
        "Assessment and analysis",
        "Planning and review",
        "Direct work and relationships",
        "Management oversight and supervision",
        "Working with family and partners",
        "Identity, equality and diversity",
    ],
    # Exactly four grades, best first; "good or better" is the top two.
    "grades": [
        {"label": "Outstanding", "spellings": []},
        {"label": "Good", "spellings": []},
        {"label": "Requires Improvement", "spellings": ["RI", "Requires improvement to be good"]},
        {"label": "Inadequate", "spellings": []},
    ],
    "cohorts": ["CIN", "CP", "CIC", "Court", "Early Help", "Care Leaver", "Other"],
    "cohort_aliases": {"CLA": "CIC", "LAC": "CIC", "Looked After": "CIC", "Child in need": "CIN",
                       "Child protection": "CP", "Child in care": "CIC"},
    # Who audits monthly (the denominator of audit completion).
    "auditor_roles": ["Team Manager", "Service Manager"],
    "followup": {
        "managers_notified_days": 5,
        "reflective_meeting_days": 20,
        "review_days": 90,
        "head_of_service_notified_days": 5,
    },
    # Theme names that mean the same thing across strands (the theme explorer): canonical -> synonyms.
    # Matching ignores case, spacing and typographic apostrophes; a canonical name that folds to a
    # configured pillar's name, or lists one, brings that pillar's grades in.
    "theme_synonyms": {
        "Voice of the child": ["Voice of child", "Child's voice", "Voice and lived experience of the child",
                               "Lived experience of the child", "The lived experience of the child",
                               "Voice and lived experience", "Being listened to"],
        "Drift and delay": ["Drift", "Delay", "Delays", "Drift & delay", "Delay and drift"],
        "Management oversight": ["Management oversight and supervision", "Managerial oversight",
                                 "Management grip, oversight and quality of supervision", "Management grip"],
        "Identity and diversity": ["Identity, equality and diversity", "Equality, diversity and inclusion",
                                   "Identity", "EDI"],
        "Direct work": ["Direct work and relationships", "Relationship with worker", "Relational practice"],
        "Working with families": ["Working with family and partners", "Working with family"],
        "Risk analysis": ["Assessment and analysis", "Assessment quality", "Quality of assessments",
                          "Risk assessment"],
        "Planning": ["Planning and review", "Care planning", "Plans, their impact and outcomes"],
        "Multi-agency working": ["Multi agency working", "Partnership working"],
        "Permanence": ["Permanency", "Permanence planning"],
        "Contextual safeguarding": ["Exploitation", "Child exploitation",
                                    "Contextual safeguarding: children at risk of exploitation"],
        "Neglect": ["Neglect and cumulative harm", "Cumulative harm"],
        "Domestic abuse": ["Domestic violence"],
        "Timeliness": ["Visits out of timescale", "Timescales"],
        "Chronologies": ["Chronology"],
        "Recording": ["Case recording", "Record keeping"],
    },
    # Who sees what once sign-in is configured (README "Sign-in and roles"): users by email and groups by
    # the identity token's group claim name roles; each role sees all services, its own services in full
    # (others only as council-wide totals) or council-wide totals only, and may or may not load data.
    "access": {
        "group_claim": "groups",
        "default_role": "",       # the role of a signed-in user the map does not name; "" = no access
        "users": {},
        "groups": {},
        "roles": {
            "qa_team": {"sees": "all", "may_load": True},
            "senior_leader": {"sees": "all"},
            "practitioner": {"sees": "council-wide"},
        },
    },
    "inspection_pool_months": 6,
    "small_number_threshold": 5,
    "impact_window_months": 6,
    "report_problem_cap": 50,
    # What a load refuses before it reads a file: a clear error, never a crash or a full memory.
    "limits": {
        "max_file_mb": 50,
        "max_rows_per_file": 1_000_000,
        "max_cell_chars": 32_767,           # Excel's own limit for one cell
        "max_xlsx_uncompressed_mb": 300,    # the zip directory's total, checked before the workbook is opened
    },
    # Copies of the database before each load (links to the replaced generation, so no copying).
    "backups": {"keep": 10},
    # `qa-dashboard purge` removes rows whose date is older than this many months.
    "retention_months": 72,
    "data_protection": {
        # References only: a value that is not a reference (a name, an email address) is refused.
        "child_ref_pattern": "[A-Za-z0-9][A-Za-z0-9_/-]{0,39}",
        "staff_id_pattern": "[A-Za-z0-9][A-Za-z0-9_/-]{0,39}",
        # Free text that must hold no NHS number, postcode, email address or phone number.
        "free_text_columns": ["dip_sample_findings.summary", "reviews.title",
                              "learning_actions.impact_evidence", "audit_followups.notes_ref"],
    },
    "kpis": [
        {"kpi_code": "REREF12", "kpi_name": "Re-referrals within 12 months of a previous referral",
         "unit": "percent", "polarity": "lower is better", "target": 20.0, "source": "DfE CIN census"},
        {"kpi_code": "ASSESS45", "kpi_name": "Assessments completed within 45 working days",
         "unit": "percent", "polarity": "higher is better", "target": 86.0, "source": "DfE CIN census"},
        {"kpi_code": "CPSECOND", "kpi_name": "Second or subsequent child protection plans",
         "unit": "percent", "polarity": "neutral", "target": None, "source": "DfE CIN census"},
        {"kpi_code": "CP2YEARS", "kpi_name": "Child protection plans ending that lasted 2 years or more",
         "unit": "percent", "polarity": "lower is better", "target": 4.4, "source": "DfE CIN census"},
        {"kpi_code": "CIC3PLACE", "kpi_name": "Children in care with 3 or more placements in the year",
         "unit": "percent", "polarity": "lower is better", "target": 10.0, "source": "DfE SSDA903"},
        {"kpi_code": "CICSTABLE", "kpi_name": "Long-term placement stability (same placement 2+ years)",
         "unit": "percent", "polarity": "higher is better", "target": 68.0, "source": "DfE SSDA903"},
        {"kpi_code": "CLEET", "kpi_name": "Care leavers aged 19-21 in education, employment or training",
         "unit": "percent", "polarity": "higher is better", "target": 55.0, "source": "DfE SSDA903"},
        {"kpi_code": "CLACCOM", "kpi_name": "Care leavers aged 19-21 in suitable accommodation",
         "unit": "percent", "polarity": "higher is better", "target": None, "source": "DfE SSDA903"},
        {"kpi_code": "CASELOAD", "kpi_name": "Average caseload per social worker",
         "unit": "count", "polarity": "lower is better", "target": None, "source": "Local workforce data"},
    ],
}


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# Typographic apostrophes, odd spaces and invisible characters that word processors put into names:
# each maps to its plain form, so "Children’s Services" with a no-break space is "Children's Services".
APOSTROPHES = "\u2019\u2018\u02bc\u2032\u0060\u00b4"
ODD_SPACES = "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u3000"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_PLAIN = str.maketrans({**{c: "'" for c in APOSTROPHES}, **{c: " " for c in ODD_SPACES},
                        **{c: None for c in INVISIBLE}})


def tidy(text: str) -> str:
    """A name in its plain form: apostrophes and spaces made plain, invisible characters dropped, spaces collapsed."""
    return " ".join(str(text).translate(_PLAIN).split())


def _fold(text: str) -> str:
    """The form used to match a listed value: case, spacing, typographic quotes and invisible characters ignored."""
    return tidy(text).lower()


@dataclass(frozen=True)
class Config:
    raw: dict = field(default_factory=lambda: copy.deepcopy(DEFAULTS))

    def __post_init__(self):
        grades = self.raw["grades"]
        if len(grades) != 4:
            raise ValueError("the grade scale must have exactly four grades, best first")
        from .access import validate
        validate(self.raw, self.service_codes)

    # --- services -------------------------------------------------------------
    @property
    def service_codes(self) -> list[str]:
        return [s["code"] for s in self.raw["services"]]

    @property
    def service_names(self) -> dict[str, str]:
        return {s["code"]: s["name"] for s in self.raw["services"]}

    def service_spellings(self) -> dict[str, str]:
        out = {}
        for s in self.raw["services"]:
            for spelling in [s["code"], s["name"], *s.get("aliases", [])]:
                out[_fold(spelling)] = s["code"]
        return out

    # --- grades ---------------------------------------------------------------
    @property
    def grade_labels(self) -> list[str]:
        return [g["label"] for g in self.raw["grades"]]

    def grade_spellings(self) -> dict[str, str]:
        out = {}
        for g in self.raw["grades"]:
            for spelling in [g["label"], *g.get("spellings", [])]:
                out[_fold(spelling)] = g["label"]
        return out

    # --- other lists ----------------------------------------------------------
    @property
    def pillars(self) -> list[str]:
        return list(self.raw["pillars"])

    @property
    def cohorts(self) -> list[str]:
        return list(self.raw["cohorts"])

    @property
    def kpis(self) -> list[dict]:
        return [dict(k) for k in self.raw["kpis"]]

    def __getitem__(self, key):
        return self.raw[key]


class ConfigError(ValueError):
    """The configuration file cannot be used: its path and the reason, in one line for the person who wrote it."""


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Defaults overridden by the TOML file at ``path`` or ``$QA_DASHBOARD_CONFIG``; ConfigError if it is missing,
    not TOML, or asks for something the dashboard refuses (an unknown key, a role map granting the unintended)."""
    path = path or os.environ.get("QA_DASHBOARD_CONFIG")
    if not path:
        return Config()
    try:
        with open(Path(path), "rb") as fh:
            override = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"the configuration file {path} cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the configuration file {path} is not valid TOML: {exc}") from None
    unknown = set(override) - set(DEFAULTS)
    if unknown:
        raise ConfigError(f"unknown configuration keys in {path}: {', '.join(sorted(unknown))}")
    try:
        return Config(_merge(DEFAULTS, override))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ConfigError(f"the configuration file {path}: {exc}") from None


fold = _fold
