"""The value forms the data contract accepts, and what each is stored as (CSV text; Excel cells are in test_readers)."""
import datetime as dt

import pytest

from loadkit import csv_text, load_ok, query, write, write_csv


def stored(db, sql):
    return query(db, sql)


@pytest.mark.parametrize("cell, expected", [
    ("2025-03-04", dt.date(2025, 3, 4)),
    ("04/03/2025", dt.date(2025, 3, 4)),      # DD/MM/YYYY
    ("4/3/2025", dt.date(2025, 3, 4)),        # D/M/YYYY
    ("13/02/2025", dt.date(2025, 2, 13)),     # day first, never guessed as US
    ("2025-3-4", dt.date(2025, 3, 4)),
    ("2025-03-04 00:00:00", dt.date(2025, 3, 4)),   # what some exports write for a date cell
    (" 04/03/2025 ", dt.date(2025, 3, 4)),
])
def test_date_forms(db_path, tmp_path, cell, expected):
    load_ok(db_path, write_csv(tmp_path, "audits.csv", "audits", {"audit_date": cell}))
    assert stored(db_path, "SELECT audit_date FROM audits") == [(expected,)]


def test_grade_spellings_are_stored_as_labels(db_path, tmp_path):
    grades = ["RI", "Requires improvement to be good", " good ", "OUTSTANDING", "inadequate", "requires IMPROVEMENT"]
    load_ok(db_path, write_csv(tmp_path, "audits.csv", "audits",
                               *[{"audit_id": f"A{i}", "auditor_grade": g} for i, g in enumerate(grades)]))
    assert stored(db_path, "SELECT auditor_grade FROM audits ORDER BY audit_id") == [
        ("Requires Improvement",), ("Requires Improvement",), ("Good",), ("Outstanding",), ("Inadequate",),
        ("Requires Improvement",)]


def test_services_by_code_or_name_in_any_case(db_path, tmp_path):
    services = ["mash", "Assessment and Intervention", "CHILDREN AND FAMILIES", "pt",
                "Disabled Children\u2019s Services", " Independent Reviewing and Safeguarding Service "]
    load_ok(db_path, write_csv(tmp_path, "audits.csv", "audits",
                               *[{"audit_id": f"A{i}", "service": s} for i, s in enumerate(services)]))
    assert [r[0] for r in stored(db_path, "SELECT service FROM audits ORDER BY audit_id")] == [
        "MASH", "AI", "CF", "PT", "DCS", "IRSS"]


def test_optional_service_blank_or_all_means_the_whole_authority(db_path, tmp_path):
    load_ok(db_path, write_csv(tmp_path, "learning_actions.csv", "learning_actions",
                               {"action_id": "LA1", "service": ""}, {"action_id": "LA2", "service": "all"},
                               {"action_id": "LA3", "service": "cf"}))
    assert stored(db_path, "SELECT service FROM learning_actions ORDER BY 1") == [("ALL",), ("ALL",), ("CF",)]


def test_yes_no_forms_and_blank_is_unknown(db_path, tmp_path):
    cells = ["Y", "yes", "TRUE", "1", "n", "No", "false", "0", ""]
    load_ok(db_path, write_csv(tmp_path, "audits.csv", "audits",
                               *[{"audit_id": f"A{i}", "child_views_sought": c} for i, c in enumerate(cells)]))
    assert [r[0] for r in stored(db_path, "SELECT child_views_sought FROM audits ORDER BY audit_id")] == [
        True, True, True, True, False, False, False, False, None]


def test_choice_values_match_in_any_case_and_cohort_aliases(db_path, tmp_path):
    load_ok(db_path, write_csv(tmp_path, "audits.csv", "audits",
                               {"audit_id": "A1", "cohort": "early help", "auditor_role": "TEAM MANAGER"},
                               {"audit_id": "A2", "cohort": "LAC"}))
    assert stored(db_path, "SELECT cohort, auditor_role FROM audits ORDER BY 1") == [
        ("CIC", "Team Manager"), ("Early Help", "Team Manager")]


def test_list_values_split_on_semicolons(db_path, tmp_path):
    load_ok(db_path, write_csv(tmp_path, "complaints.csv", "complaints",
                               {"themes": "Voice of the child; Drift and delay;; "}))
    assert stored(db_path, "SELECT themes FROM complaints") == [(["Voice of the child", "Drift and delay"],)]


def test_id_that_became_a_number_is_read_back_as_text(db_path, tmp_path):
    load_ok(db_path, write_csv(tmp_path, "audits.csv", "audits", {"audit_id": "1001.0", "child_ref": "2002.00"}))
    assert stored(db_path, "SELECT audit_id, child_ref FROM audits") == [("1001", "2002")]


@pytest.mark.parametrize("cell", [
    "05/09/2025",     # LibreOffice writes the date cell as a UK date in a CSV
    "05-Sep",         # Excel writes it as displayed (d-mmm)
    "5-sep-25",
])
def test_listed_value_a_spreadsheet_turned_into_a_date_is_read_back(db_path, tmp_path, cell):
    load_ok(db_path, write_csv(tmp_path, "audits.csv", "audits", {"child_age_band": cell}))
    assert stored(db_path, "SELECT child_age_band FROM audits") == [("5-9",)]


def test_header_case_and_surrounding_spaces_are_ignored(db_path, tmp_path):
    text = csv_text("audits", {})
    header, body = text.split("\n", 1)
    messy = ",".join(f"  {h.upper()} " if i % 2 else h.replace("_", " ").title() for i, h in
                     enumerate(header.split(",")))
    load_ok(db_path, write(tmp_path, "audits.csv", messy + "\n" + body))
    assert stored(db_path, "SELECT audit_id, cohort, auditor_grade FROM audits") == [("A1", "CP", "Good")]


def test_columns_in_any_order(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "dip_samples.csv",
                           "child_ref,service,sample_date,theme,dip_sample_id\nC1,CF,2025-02-10,Neglect,D1\n"))
    assert stored(db_path, "SELECT dip_sample_id, child_ref, service FROM dip_samples") == [("D1", "C1", "CF")]


def test_unknown_extra_column_is_a_warning_not_an_error(db_path, tmp_path):
    text = csv_text("audits", {}).replace("child_age_band\n", "child_age_band,Worker notes\n", 1)
    text = text.replace("5-9\n", "5-9,see file\n")
    code_out = load_ok(db_path, write(tmp_path, "audits.csv", text))
    assert "warning: audits.csv, row 1, Worker notes: is not a column of audits and was ignored" in code_out
    assert stored(db_path, "SELECT count(*) FROM audits") == [(1,)]
    assert stored(db_path, "SELECT warnings FROM load_history") == [(1,)]


def test_typographic_apostrophes_and_odd_spaces_in_names_match_their_plain_forms(db_path, tmp_path):
    """What a word processor puts into names (curly apostrophes, no-break, narrow and zero-width spaces)."""
    services = ["Disabled Children\u2019s\u00a0Services", "Disabled Children\u2018s Services",
                "Children\u00a0and\u202fFamilies", "Assessment\u200b and Intervention", "\u200bMASH\u00a0"]
    pillars = ["Voice\u00a0and lived experience of the child", "Voice and lived\u200b experience of the child",
               "Identity,\u00a0equality and diversity", "Management oversight and supervision\u200b",
               "Planning\u2007and review"]
    audits = csv_text("audits", *[{"audit_id": f"A{i}", "service": s} for i, s in enumerate(services)])
    rows = "audit_id,pillar,auditor_grade\n" + "".join(f"A{i},\"{p}\",Good\n" for i, p in enumerate(pillars))
    load_ok(db_path, write(tmp_path, "audits.csv", audits), write(tmp_path, "audit_pillars.csv", rows))
    assert stored(db_path, "SELECT service FROM audits ORDER BY audit_id") == [
        ("DCS",), ("DCS",), ("CF",), ("AI",), ("MASH",)]
    assert stored(db_path, "SELECT pillar FROM audit_pillars ORDER BY audit_id") == [
        ("Voice and lived experience of the child",), ("Voice and lived experience of the child",),
        ("Identity, equality and diversity",), ("Management oversight and supervision",), ("Planning and review",)]


@pytest.mark.parametrize("cell, expected", [("9007199254740993", 9007199254740993), ("+7", 7), ("7.0", 7),
                                            ("1e3", 1000)])
def test_whole_numbers_are_stored_exactly(db_path, tmp_path, cell, expected):
    # Digits are not read through a float, which would turn 9007199254740993 into ...992.
    load_ok(db_path, write_csv(tmp_path, "dip_samples.csv", "dip_samples", {"criteria_total": cell,
                                                                           "criteria_met": "0"}))
    assert query(db_path, "SELECT criteria_total FROM dip_samples") == [(expected,)]
