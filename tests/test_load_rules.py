"""Every value and row rule of the data contract: a bad file is refused with a line naming row, column and value,
and the database is exactly as before. Good files near each rule's edge are accepted."""
import shutil

import pytest

from analytics.config import Config
from loadkit import FUTURE, csv_text, load, load_ok, problem_lines, query, snapshot, write, write_csv


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A database already holding a roster, an audit A1 and a dip sample D1, and its snapshot (made once)."""
    d = tmp_path_factory.mktemp("seed")
    db = d / "qa.duckdb"
    load_ok(db, write_csv(d, "staff.csv", "staff", {}), write_csv(d, "audits.csv", "audits", {}),
            write_csv(d, "dip_samples.csv", "dip_samples", {}))
    return db, snapshot(db)


@pytest.fixture
def db(seeded, tmp_path):
    # A byte copy per test: its snapshot is the seed's, so "before" need not be read again.
    path = tmp_path / "qa.duckdb"
    shutil.copyfile(seeded[0], path)
    return path


@pytest.fixture
def refused(db, tmp_path, seeded):
    def load_refused(files: dict[str, str]) -> list[str]:
        """Load ``files``; assert exit 1 and an unchanged database; return the report's problem lines."""
        code, out, err = load(db, *[write(tmp_path, name, text) for name, text in files.items()])
        assert code == 1, out
        assert "Traceback" not in err
        assert snapshot(db) == seeded[1]
        return problem_lines(err)
    return load_refused


def only_problem(lines: list[str], prefix: str, reason: str) -> str:
    assert len(lines) == 1, lines
    assert lines[0].startswith(prefix), lines[0]
    assert reason in lines[0], lines[0]
    return lines[0]


# (file name, dataset, rows of overrides, expected line prefix, reason fragment)
CASES = [
    pytest.param("audits.csv", "audits", [{"audit_id": "A2"}, {"audit_id": "A3", "child_ref": ""}],
                 "audits.csv, row 3, child_ref: ", "is blank, but this column is required", id="required-blank"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2", "auditor_grade": "   "}],
                 "audits.csv, row 2, auditor_grade: ", "is blank, but this column is required",
                 id="required-all-spaces"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2", "audit_date": "2025-02-30"}],
                 "audits.csv, row 2, audit_date: '2025-02-30' ", "is not a date", id="bad-date-impossible"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2", "audit_date": "4th March 2025"}],
                 "audits.csv, row 2, audit_date: '4th March 2025' ", "is not a date", id="bad-date-words"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2"}, {"audit_id": "A3"}, {"audit_id": "A4"},
                                          {"audit_id": "A5", "audit_date": "02/13/2025"}],
                 "audits.csv, row 5, audit_date: '02/13/2025' ", "US order", id="us-date"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2", "audit_date": FUTURE}],
                 f"audits.csv, row 2, audit_date: '{FUTURE}' ", "cannot be in the future", id="future-audit_date"),
    pytest.param("learning_actions.csv", "learning_actions", [{"raised_date": FUTURE, "due_date": ""}],
                 f"learning_actions.csv, row 2, raised_date: '{FUTURE}' ", "cannot be in the future",
                 id="future-raised_date"),
    pytest.param("complaints.csv", "complaints", [{"received_date": FUTURE, "response_due_date": ""}],
                 f"complaints.csv, row 2, received_date: '{FUTURE}' ", "cannot be in the future",
                 id="future-received_date"),
    pytest.param("escalations.csv", "escalations", [{"raised_date": "10/03/2025", "resolved_date": "01/03/2025"}],
                 "escalations.csv, row 2, resolved_date: '01/03/2025' ", "is before raised_date 2025-03-10",
                 id="resolved-before-raised"),
    pytest.param("learning_actions.csv", "learning_actions",
                 [{"status": "Complete", "completed_date": "2025-01-14"}],
                 "learning_actions.csv, row 2, completed_date: '2025-01-14' ", "is before raised_date 2025-01-15",
                 id="completed-before-raised"),
    pytest.param("complaints.csv", "complaints", [{"closed_date": "2025-02-02"}],
                 "complaints.csv, row 2, closed_date: '2025-02-02' ", "is before received_date 2025-02-03",
                 id="closed-before-received"),
    pytest.param("staff.csv", "staff", [{"staff_id": "S2", "end_date": "2023-12-31"}],
                 "staff.csv, row 2, end_date: '2023-12-31' ", "is before start_date 2024-01-08",
                 id="staff-end-before-start"),
    pytest.param("interventions.csv", "interventions", [{"end_date": "2025-01-05"}],
                 "interventions.csv, row 2, end_date: '2025-01-05' ", "is before start_date 2025-01-06",
                 id="intervention-end-before-start"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2", "auditor_grade": "Excellent"}],
                 "audits.csv, row 2, auditor_grade: 'Excellent' ",
                 "is not a grade: use one of Outstanding, Good, Requires Improvement, Inadequate", id="bad-grade"),
    pytest.param("audit_pillars.csv", "audit_pillars", [{"moderated_grade": "Good-ish"}],
                 "audit_pillars.csv, row 2, moderated_grade: 'Good-ish' ", "is not a grade",
                 id="bad-optional-grade"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2", "child_views_sought": "maybe"}],
                 "audits.csv, row 2, child_views_sought: 'maybe' ", "is not yes/no", id="bad-yesno"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2", "service": "Fostering"}],
                 "audits.csv, row 2, service: 'Fostering' ", "is not a service: use a service code or name (MASH, AI",
                 id="bad-service"),
    pytest.param("learning_actions.csv", "learning_actions", [{"service": "Fostering"}],
                 "learning_actions.csv, row 2, service: 'Fostering' ", "(or ALL, or blank, for the whole authority)",
                 id="bad-optional-service"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2", "cohort": "Adoption"}],
                 "audits.csv, row 2, cohort: 'Adoption' ",
                 "is not an allowed value; use one of: CIN, CP, CIC, Court, Early Help, Care Leaver, Other",
                 id="bad-cohort"),
    pytest.param("staff.csv", "staff", [{"staff_id": "S2", "role": "Manager"}],
                 "staff.csv, row 2, role: 'Manager' ", "use one of: Family Practitioner, Social Worker",
                 id="bad-role"),
    pytest.param("complaints.csv", "complaints", [{"stage": "Stage 4"}],
                 "complaints.csv, row 2, stage: 'Stage 4' ", "use one of: Stage 1, Stage 2, Stage 3, Ombudsman",
                 id="bad-stage"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2", "child_age_band": "03/04/2025"}],
                 "audits.csv, row 2, child_age_band: '03/04/2025' ",
                 "a spreadsheet probably turned the value into a date", id="choice-that-became-a-date"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2", "child_age_band": "03-Apr"}],
                 "audits.csv, row 2, child_age_band: '03-Apr' ",
                 "a spreadsheet probably turned the value into a date", id="choice-that-became-an-excel-d-mmm"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2", "moderated_grade": "", "benchmarked_grade": "Good"}],
                 "audits.csv, row 2, benchmarked_grade: 'Good' ", "benchmarked grade without a moderated grade",
                 id="benchmark-without-moderation"),
    pytest.param("dip_samples.csv", "dip_samples", [{"child_ref": "C201", "criteria_met": "6"}],
                 "dip_samples.csv, row 2, criteria_met: '6' ", "between 0 and criteria total (criteria_total 5)",
                 id="criteria-met-over-total"),
    pytest.param("dip_samples.csv", "dip_samples", [{"child_ref": "C201", "criteria_met": "-1"}],
                 "dip_samples.csv, row 2, criteria_met: '-1' ", "between 0 and criteria total",
                 id="criteria-met-negative"),
    pytest.param("dip_samples.csv", "dip_samples", [{"child_ref": "C201", "criteria_met": "2.5"}],
                 "dip_samples.csv, row 2, criteria_met: '2.5' ", "is not a whole number", id="criteria-not-whole"),
    pytest.param("dip_samples.csv", "dip_samples", [{"child_ref": "C201", "criteria_total": "1e30"}],
                 "dip_samples.csv, row 2, criteria_total: '1e30' ", "is not a whole number",
                 id="criteria-too-big-for-a-whole-number"),
    pytest.param("kpi_values.csv", "kpi_values", [{"kpi_code": "NOPE1"}],
                 "kpi_values.csv, row 2, kpi_code: 'NOPE1' ", "is not a defined KPI", id="kpi-undefined"),
    pytest.param("kpi_values.csv", "kpi_values", [{"value": "40", "numerator": "1", "denominator": "3"}],
                 "kpi_values.csv, row 2, value: '40' ", "does not equal 100 × numerator ÷ denominator (1 ÷ 3)",
                 id="kpi-percent-mismatch"),
    pytest.param("kpi_values.csv", "kpi_values", [{"value": "33.4", "numerator": "1", "denominator": "3"}],
                 "kpi_values.csv, row 2, value: '33.4' ", "within 0.05", id="kpi-percent-just-outside-tolerance"),
    pytest.param("kpi_values.csv", "kpi_values", [{"value": "n/a"}],
                 "kpi_values.csv, row 2, value: 'n/a' ", "is not a number", id="bad-number"),
    pytest.param("kpi_values.csv", "kpi_values", [{"value": "NaN"}],
                 "kpi_values.csv, row 2, value: 'NaN' ", "is not a number", id="number-nan"),
    pytest.param("kpi_values.csv", "kpi_values", [{"value": "-Infinity"}],
                 "kpi_values.csv, row 2, value: '-Infinity' ", "is not a number", id="number-infinite"),
    pytest.param("complaints.csv", "complaints", [{"themes": " ; ; "}],
                 "complaints.csv, row 2, themes: ", "is blank, but this column is required",
                 id="required-list-of-separators"),
    pytest.param("dip_samples.csv", "dip_samples", [{"child_ref": "C201", "criteria_met": "", "criteria_total": "-3"}],
                 "dip_samples.csv, row 2, criteria_total: '-3' ", "criteria total must be 0 or more",
                 id="criteria-total-negative"),
    pytest.param("audits.csv", "audits", [{"audit_id": "A2"}, {"audit_id": "A3"}, {"audit_id": " A2 "}],
                 "audits.csv, row 4, audit_id: 'A2' ", "repeats the key of row 2", id="key-repeated"),
    pytest.param("audit_pillars.csv", "audit_pillars",
                 [{"pillar": "Planning and review"}, {"pillar": "planning AND review"}],
                 "audit_pillars.csv, row 3, audit_id: 'A1' ", "repeats the key of row 2", id="composite-key-repeated"),
    pytest.param("audit_pillars.csv", "audit_pillars", [{"audit_id": "A99"}],
                 "audit_pillars.csv, row 2, audit_id: 'A99' ",
                 "is not a stored audit_id of audits nor one in this load",
                 id="pillar-of-missing-audit"),
    pytest.param("audit_followups.csv", "audit_followups", [{"audit_id": "A99"}],
                 "audit_followups.csv, row 2, audit_id: 'A99' ", "is not a stored audit_id of audits",
                 id="followup-of-missing-audit"),
    pytest.param("dip_sample_findings.csv", "dip_sample_findings", [{"dip_sample_id": "D99"}],
                 "dip_sample_findings.csv, row 2, dip_sample_id: 'D99' ",
                 "is not a stored dip_sample_id of dip_samples",
                 id="finding-of-missing-dip-sample"),
]


@pytest.mark.parametrize("name, dataset, rows, prefix, reason", CASES)
def test_bad_value_is_refused_with_row_column_and_value(refused, name, dataset, rows, prefix, reason):
    only_problem(refused({name: csv_text(dataset, *rows)}), prefix, reason)


def test_a_key_three_times_names_each_repeat_after_the_first(refused):
    lines = refused({"audits.csv": csv_text("audits", {"audit_id": "A2"}, {"audit_id": "A3"}, {"audit_id": "A2"},
                                            {"audit_id": "A4"}, {"audit_id": "A2"})})
    assert len(lines) == 2, lines
    assert lines[0].startswith("audits.csv, row 4, audit_id: 'A2' ") and "repeats the key of row 2" in lines[0]
    assert lines[1].startswith("audits.csv, row 6, audit_id: 'A2' ") and "repeats the key of row 2" in lines[1]


def test_required_column_missing_from_header(refused):
    lines = refused({"audits.csv": csv_text("audits", {"audit_id": "A2"}, drop=("cohort",))})
    only_problem(lines, "audits.csv, row 1, cohort: ", "required column is missing from the header of audits")


def test_column_twice_in_the_header(refused):
    # " Cohort" and "cohort" are the same column once case and spaces are ignored: which one holds the data?
    text = csv_text("audits", {"audit_id": "A2"}).replace("child_age_band\n", "child_age_band, Cohort\n", 1)
    lines = refused({"audits.csv": text.replace("5-9\n", "5-9,CIN\n")})
    only_problem(lines, "audits.csv, row 1,  Cohort: ", "column appears twice in the header (also as 'cohort')")


def test_an_unknown_column_twice_in_the_header_is_ignored_with_warnings(db, tmp_path):
    # Unknown extra columns are never an error (data-contract), however often they appear.
    text = csv_text("audits", {"audit_id": "A2"}).replace("child_age_band\n", "child_age_band,Notes,Notes\n", 1)
    out = load_ok(db, write(tmp_path, "audits.csv", text.replace("5-9\n", "5-9,a,b\n")))
    assert out.count("Notes: is not a column of audits and was ignored") == 2
    assert query(db, "SELECT count(*) FROM audits WHERE audit_id = 'A2'") == [(1,)]


def test_a_row_that_cannot_be_split_does_not_hide_the_other_rows_problems(refused):
    text = csv_text("audits", {"audit_id": "A2"}, {"audit_id": "A3"}, {"audit_id": "A4", "service": "Nowhere"})
    lines = refused({"audits.csv": text.replace("A3,", "A3,extra,", 1)})
    assert [ln.split(":")[0] for ln in lines] == ["audits.csv, row 3", "audits.csv, row 4, service"]
    assert "row has 13 values where the header has 12" in lines[0]


def test_pillar_not_configured_lists_the_configured_pillars(refused):
    lines = refused({"audit_pillars.csv": csv_text("audit_pillars", {"pillar": "Voice of the child"})})
    line = only_problem(lines, "audit_pillars.csv, row 2, pillar: 'Voice of the child' ", "is not a configured pillar")
    for pillar in Config().pillars:
        assert pillar in line


def test_every_problem_in_a_file_is_listed_in_row_order(refused):
    lines = refused({"audits.csv": csv_text(
        "audits", {"audit_id": "A2", "service": "Nowhere"}, {"audit_id": "A3"},
        {"audit_id": "A4", "audit_date": "31/02/2025", "cohort": "Adoption"})})
    assert [ln.split(":")[0] for ln in lines] == [
        "audits.csv, row 2, service", "audits.csv, row 4, audit_date", "audits.csv, row 4, cohort"]


@pytest.mark.parametrize("name, dataset, row", [
    pytest.param("learning_actions.csv", "learning_actions", {"due_date": FUTURE}, id="due_date"),
    pytest.param("audit_followups.csv", "audit_followups", {"review_due_date": FUTURE}, id="review_due_date"),
    pytest.param("complaints.csv", "complaints", {"response_due_date": FUTURE}, id="response_due_date"),
    pytest.param("staff.csv", "staff", {"staff_id": "S2", "end_date": FUTURE}, id="staff-end_date"),
    pytest.param("interventions.csv", "interventions", {"start_date": FUTURE, "end_date": FUTURE},
                 id="intervention-dates"),
])
def test_planned_dates_may_be_in_the_future(db, tmp_path, name, dataset, row):
    load_ok(db, write_csv(tmp_path, name, dataset, row))


def test_end_date_on_the_start_day_is_accepted(db, tmp_path):
    load_ok(db, write_csv(tmp_path, "escalations.csv", "escalations", {"resolved_date": "2025-03-10"}))
    assert query(db, "SELECT resolved_date::VARCHAR FROM escalations") == [("2025-03-10",)]


def test_kpi_percent_within_tolerance_and_non_percent_units_are_not_checked(db, tmp_path):
    # A KPI defined in the same command counts as defined; a count KPI's value is not 100 × num ÷ den.
    defs = write(tmp_path, "kpi_definitions.csv",
                 "kpi_code,kpi_name,unit,polarity\nVISITS,Visits in time,count,higher is better\n")
    values = write(tmp_path, "kpi_values.csv", csv_text(
        "kpi_values", {"value": "33.33", "numerator": "1", "denominator": "3"},
        {"kpi_code": "VISITS", "value": "7", "numerator": "1", "denominator": "3"}))
    load_ok(db, defs, values)
    assert query(db, "SELECT kpi_code, value FROM kpi_values ORDER BY 1") == [("REREF12", 33.33), ("VISITS", 7.0)]


def test_kpi_values_without_a_service_column_are_for_the_whole_authority(db, tmp_path):
    # service is part of the key; an absent column must read as blank (ALL), not as a missing key.
    load_ok(db, write(tmp_path, "kpi_values.csv", "kpi_code,period_end,value\nREREF12,2025-03-31,21.5\n"))
    assert query(db, "SELECT service, value FROM kpi_values") == [("ALL", 21.5)]


@pytest.mark.parametrize("child, parent", [
    ("audit_pillars", "audits"), ("audit_followups", "audits"), ("dip_sample_findings", "dip_samples")])
def test_reference_to_a_parent_in_the_same_command_is_accepted(db, tmp_path, child, parent):
    new_parent = {"audits": {"audit_id": "A7"}, "dip_samples": {"dip_sample_id": "D7"}}[parent]
    ref = {"audit_pillars": {"audit_id": "A7"}, "audit_followups": {"audit_id": "A7"},
           "dip_sample_findings": {"dip_sample_id": "D7"}}[child]
    # The child file comes first in the command: order must not matter.
    load_ok(db, write_csv(tmp_path, f"{child}.csv", child, ref),
            write_csv(tmp_path, f"{parent}.csv", parent, new_parent))
    assert query(db, f'SELECT count(*) FROM "{child}"') == [(1,)]


@pytest.mark.parametrize("child, ref", [
    ("audit_pillars", {"audit_id": "A1"}), ("audit_followups", {"audit_id": "A1"}),
    ("dip_sample_findings", {"dip_sample_id": "D1"})])
def test_reference_to_a_stored_parent_is_accepted(db, tmp_path, child, ref):
    load_ok(db, write_csv(tmp_path, f"{child}.csv", child, ref))
    assert query(db, f'SELECT count(*) FROM "{child}"') == [(1,)]
