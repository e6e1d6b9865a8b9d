"""Every dataset of the data contract, declared once.

The loader, the validation, the template workbook, the Data page's help and
the tests all read these declarations; nothing else lists columns.
"""
from __future__ import annotations

from dataclasses import dataclass

# Column kinds and what they are stored as.
SQL_TYPES = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "date": "DATE",
    "grade": "VARCHAR",
    "yesno": "BOOLEAN",
    "list": "VARCHAR[]",
    "service": "VARCHAR",
    "choice": "VARCHAR",
    "int": "BIGINT",
    "number": "DOUBLE",
}

KIND_HELP = {
    "id": "a reference (no names)",
    "text": "text",
    "date": "a date: YYYY-MM-DD or DD/MM/YYYY (day first), or an Excel date cell",
    "grade": "a grade: Outstanding, Good, Requires Improvement (RI), Inadequate",
    "yesno": "yes/no: Y, Yes, N, No, TRUE, FALSE, 1, 0; blank = unknown",
    "list": "a list: values separated by ;",
    "service": "a service code or name",
    "choice": "one of the allowed values",
    "int": "a whole number",
    "number": "a number",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"
    required: bool = False
    # Allowed values: a tuple, or the name of a configuration list ("pillars", "cohorts").
    choices: tuple[str, ...] | str | None = None
    # A planned date may lie after the load day; a date of something that happened may not.
    planned: bool = False
    help: str = ""

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class EndNotBefore:
    """``end`` must not precede ``start`` on the same row."""
    end: str
    start: str


@dataclass(frozen=True)
class RefExists:
    """``column`` must name a stored row of ``dataset`` or one loaded in the same command."""
    column: str
    dataset: str
    target: str


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    rules: tuple = ()
    # Named checks implemented in validation.py (each has its own test).
    checks: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    main_date: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def qi(name: str) -> str:
    """Quote an identifier taken from the declarations (never from a file)."""
    return '"' + name.replace('"', '""') + '"'


def C(name, kind="text", required=False, choices=None, planned=False, help=""):
    return Column(name, kind, required, tuple(choices) if isinstance(choices, list) else choices,
                  planned, help)


STAFF_ROLES = ["Family Practitioner", "Social Worker", "Advanced Practitioner", "Team Manager",
               "Service Manager", "Head of Service", "IRO", "CP Chair", "Other"]

DATASETS: tuple[Dataset, ...] = (
    Dataset("staff", "Workforce roster (for audit and observation compliance)", ("staff_id",), (
        C("staff_id", "id", True),
        C("role", "choice", True, STAFF_ROLES),
        C("service", "service", True),
        C("team"),
        C("start_date", "date"),
        C("end_date", "date", planned=True, help="blank = in post"),
    ), rules=(EndNotBefore("end_date", "start_date"),)),

    Dataset("audits", "One Collaborative Audit Record", ("audit_id",), (
        C("audit_id", "id", True),
        C("audit_date", "date", True),
        C("service", "service", True),
        C("team"),
        C("child_ref", "id", True),
        C("cohort", "choice", True, "cohorts"),
        C("auditor_id", "id"),
        C("auditor_role", "choice", True, ["Team Manager", "Service Manager", "Other"]),
        C("practitioner_id", "id"),
        C("auditor_grade", "grade", True),
        C("moderated_grade", "grade"),
        C("moderated_date", "date"),
        C("benchmarked_grade", "grade"),
        C("benchmarked_date", "date"),
        C("child_views_sought", "yesno"),
        C("family_views_sought", "yesno"),
        C("exemplar", "yesno", help="picked as a good-practice example"),
        C("child_age_band", "choice", False, ["0-4", "5-9", "10-15", "16-17", "18+"]),
        C("child_gender"),
        C("child_ethnicity_group"),
        C("child_disability", "yesno"),
    ), checks=("benchmark_needs_moderation",), warnings=("team_in_roster",), main_date="audit_date"),

    Dataset("audit_pillars", "The grade for one pillar of one audit", ("audit_id", "pillar"), (
        C("audit_id", "id", True),
        C("pillar", "choice", True, "pillars"),
        C("auditor_grade", "grade", True),
        C("moderated_grade", "grade"),
    ), rules=(RefExists("audit_id", "audits", "audit_id"),)),

    Dataset("audit_followups", "The Inadequate and Requires Improvement process for one audit",
            ("audit_id",), (
        C("audit_id", "id", True),
        C("process", "choice", True, ["Inadequate", "Requires Improvement"]),
        C("managers_notified_date", "date"),
        C("reflective_meeting_date", "date"),
        C("review_due_date", "date", planned=True),
        C("review_date", "date", help="the further Child Record Review"),
        C("review_grade", "grade"),
        C("head_of_service_notified_date", "date"),
        C("notes_ref", "id", help="a reference, never free text about the child"),
    ), rules=(RefExists("audit_id", "audits", "audit_id"),),
        warnings=("followup_process_matches_grade",)),

    Dataset("reflective_activities", "Learning activities that close the loop after audits",
            ("activity_id",), (
        C("activity_id", "id", True),
        C("activity_date", "date", True),
        C("level", "choice", True, ["Practitioner", "Team", "Service"]),
        C("kind", "choice", True, ["Supervision discussion", "Reflective circle", "Appreciative inquiry",
                                   "Learning event", "Other"]),
        C("service", "service", True),
        C("theme"),
        C("audit_id", "id", help="optional link to the audit that prompted it"),
    ), main_date="activity_date"),

    Dataset("dip_samples", "One child's record reviewed in a thematic dip sample",
            ("dip_sample_id", "child_ref"), (
        C("dip_sample_id", "id", True),
        C("theme", "text", True),
        C("sample_date", "date", True),
        C("service", "service", True),
        C("child_ref", "id", True),
        C("grade", "grade"),
        C("criteria_met", "int"),
        C("criteria_total", "int"),
    ), checks=("criteria_within_total",), main_date="sample_date"),

    Dataset("dip_sample_findings", "A strength or an area of learning from a dip sample", ("finding_id",), (
        C("finding_id", "id", True),
        C("dip_sample_id", "id", True),
        C("finding_type", "choice", True, ["Strength", "Learning"]),
        C("theme_tag", "text", True),
        C("summary"),
    ), rules=(RefExists("dip_sample_id", "dip_samples", "dip_sample_id"),)),

    Dataset("learning_actions", "The Learning Action Tracker", ("action_id",), (
        C("action_id", "id", True),
        C("source", "choice", True, ["Audit", "Dip Sample", "Complaint", "Feedback", "MOMO", "Escalation",
                                     "Need to Know", "CSPR", "Rapid Review", "DSCP Review", "Team Spotlight",
                                     "Practice Observation", "Ofsted", "Other"]),
        C("source_ref", "id"),
        C("theme", "text", True),
        C("service", "service", help="blank = ALL"),
        C("owner_role"),
        C("raised_date", "date", True),
        C("due_date", "date", planned=True),
        C("status", "choice", True, ["Not started", "In progress", "Complete", "Closed"]),
        C("completed_date", "date"),
        C("last_reviewed_date", "date"),
        C("impact_evidence"),
    ), rules=(EndNotBefore("completed_date", "raised_date"),), main_date="raised_date"),

    Dataset("feedback", "Single feedback forms, emails, MOMO statements, compliments", ("feedback_id",), (
        C("feedback_id", "id", True),
        C("received_date", "date", True),
        C("channel", "choice", True, ["SFF under 13", "SFF 13 plus", "Email", "MOMO", "Other"]),
        C("sentiment", "choice", True, ["Positive", "Mixed", "Negative"]),
        C("from_role", "choice", False, ["Child", "Parent or Carer", "Professional", "Other"]),
        C("service", "service", help="blank = ALL"),
        C("themes", "list"),
        C("conversation_requested", "yesno"),
        C("became_complaint", "yesno"),
        C("responded_date", "date"),
    ), main_date="received_date"),

    Dataset("complaints", "Complaints", ("complaint_id",), (
        C("complaint_id", "id", True),
        C("received_date", "date", True),
        C("service", "service", True),
        C("stage", "choice", True, ["Stage 1", "Stage 2", "Stage 3", "Ombudsman"]),
        C("themes", "list", True),
        C("outcome", "choice", False, ["Upheld", "Partly upheld", "Not upheld", "Withdrawn"]),
        C("response_due_date", "date", planned=True),
        C("closed_date", "date"),
    ), rules=(EndNotBefore("closed_date", "received_date"),), main_date="received_date"),

    Dataset("escalations", "IRO and CP chair Resolving Professional Differences", ("escalation_id",), (
        C("escalation_id", "id", True),
        C("raised_date", "date", True),
        C("raised_by", "choice", True, ["IRO", "CP Chair"]),
        C("service", "service", True),
        C("team"),
        C("child_ref", "id"),
        C("stage", "choice", True, ["Informal", "Formal 1", "Formal 2", "Formal 3"]),
        C("themes", "list", True),
        C("resolved_date", "date"),
        C("outcome", "choice", False, ["Resolved", "Escalated", "Withdrawn"]),
    ), rules=(EndNotBefore("resolved_date", "raised_date"),), warnings=("team_in_roster",),
        main_date="raised_date"),

    Dataset("need_to_know", "Significant incident notifications", ("ntk_id",), (
        C("ntk_id", "id", True),
        C("notified_date", "date", True),
        C("service", "service", True),
        C("category", "text", True),
        C("rapid_review", "yesno"),
        C("national_panel_notified", "yesno"),
    ), main_date="notified_date"),

    Dataset("observations", "Practice and supervision observations", ("observation_id",), (
        C("observation_id", "id", True),
        C("observed_date", "date", True),
        C("staff_id", "id", True),
        C("staff_role", "choice", True, ["Family Practitioner", "Social Worker", "Team Manager",
                                         "Service Manager"]),
        C("service", "service", True),
        C("observation_type", "choice", True, ["Direct work with child", "Other practice", "Supervision"]),
        C("observer_role", "choice", True, ["Advanced Practitioner", "Team Manager", "Service Manager",
                                            "Head of Service"]),
        C("grade", "grade"),
    ), main_date="observed_date"),

    Dataset("kpi_definitions", "KPI definitions (a file overrides or adds to the configured set)",
            ("kpi_code",), (
        C("kpi_code", "id", True),
        C("kpi_name", "text", True),
        C("unit", "choice", True, ["percent", "count", "days", "rate"]),
        C("polarity", "choice", True, ["higher is better", "lower is better", "neutral"]),
        C("target", "number"),
        C("source"),
    )),

    Dataset("kpi_values", "KPI values per period", ("kpi_code", "period_end", "service"), (
        C("kpi_code", "id", True, help="a defined KPI"),
        C("period_end", "date", True),
        C("service", "service", help="blank = ALL"),
        C("value", "number", True),
        C("numerator", "number"),
        C("denominator", "number"),
    ), checks=("kpi_defined", "kpi_value_matches_fraction"), main_date="period_end"),

    Dataset("kpi_benchmarks", "KPI benchmarks", ("kpi_code", "period_end", "comparator"), (
        C("kpi_code", "id", True),
        C("period_end", "date", True),
        C("comparator", "choice", True, ["England", "Statistical neighbours", "Region"]),
        C("value", "number", True),
    ), main_date="period_end"),

    Dataset("reviews", "CSPRs, Rapid Reviews, DSCP thematic reviews, Team Spotlights, Ofsted visits",
            ("review_id",), (
        C("review_id", "id", True),
        C("review_type", "choice", True, ["Rapid Review", "CSPR", "DSCP Thematic Review", "Team Spotlight",
                                          "Ofsted"]),
        C("review_date", "date", True),
        C("title", "text", True),
        C("service", "service", help="blank = ALL"),
        C("themes", "list"),
    ), main_date="review_date"),

    Dataset("interventions", "What the service did to improve practice, for impact measurement",
            ("intervention_id",), (
        C("intervention_id", "id", True),
        C("name", "text", True),
        C("kind", "choice", True, ["Training", "Briefing", "Practice Week", "Process change", "Other"]),
        C("start_date", "date", True, planned=True),
        C("end_date", "date", planned=True),
        C("service", "service", help="blank = ALL"),
        C("target_pillar", "choice", False, "pillars"),
        C("target_theme"),
        C("target_kpi", "id"),
    ), rules=(EndNotBefore("end_date", "start_date"),), main_date="start_date"),
)

BY_NAME: dict[str, Dataset] = {d.name: d for d in DATASETS}

# Messages of the named checks, for the docs and the template.
CHECK_HELP = {
    "benchmark_needs_moderation": "a benchmarked_grade needs a moderated_grade (benchmarking reviews moderated audits)",
    "criteria_within_total": "criteria_met and criteria_total are whole numbers with 0 ≤ met ≤ total",
    "kpi_defined": "kpi_code must be a defined KPI (configured, stored or in the same load)",
    "kpi_value_matches_fraction": "for a percent KPI with numerator and denominator, value = 100 × numerator ÷ denominator (within 0.05)",
}


def references() -> list[tuple[Dataset, RefExists]]:
    """Every reference between datasets: (the referring dataset, its rule), e.g. audit_pillars.audit_id to
    audits. What the loader, a replace and an undo must leave pointing at a stored row."""
    return [(d, rule) for d in DATASETS for rule in d.rules if isinstance(rule, RefExists)]


def get(name: str) -> Dataset:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}: the datasets are {', '.join(BY_NAME)}") from None
