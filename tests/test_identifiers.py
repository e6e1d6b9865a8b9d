"""Identifying data where only references belong: refused with the row named, nothing stored."""
import pytest

from analytics.identifiers import find, mask, nhs_check_digit_ok
from loadkit import load, load_ok, problem_lines, query, snapshot, write, write_csv


def test_nhs_check_digit():
    # 943 476 5919 is the NHS's published example; changing the last digit breaks the check.
    assert nhs_check_digit_ok("9434765919")
    assert not nhs_check_digit_ok("9434765918")
    assert not nhs_check_digit_ok("123456789")
    # Remainder 1 makes a check digit of 10, which no NHS number has.
    assert not any(nhs_check_digit_ok(f"000000006{d}") for d in range(10))


@pytest.mark.parametrize("text, kinds", [
    ("Seen at home, NHS 943 476 5919.", ["nhs"]),
    ("nhs no 943-476-5919", ["nhs"]),
    ("call 07700 900123", ["phone"]),
    ("+44 (0)20 7946 0018 is the office", ["phone"]),
    ("lives at SW1A 1AA now", ["postcode"]),
    ("moved to m1 1ae", ["postcode"]),
    ("write to j.smith@example.org", ["email"]),
    ("Child's views recorded", []),
    ("Reviewed 2025-03-04 and 01/02/2025: 12 of 15 criteria met", []),
    ("CAR-202304-00001 in Q1 2024, team 2", []),
    ("a ten digit total 9434765918 that fails the check", []),
])
def test_find(text, kinds):
    assert [k for k, _ in find(text)] == kinds


def test_mask_replaces_the_identifier_only():
    assert mask("ring 07700 900123 or mail a@b.org") == "ring [phone number] or mail [email address]"


@pytest.mark.parametrize("dataset, column, value, shown, reason", [
    ("dip_sample_findings", "summary", "Mum asked us to call 07700 900123", "Mum asked us to call [phone number]",
     "holds what looks like a phone number"),
    ("learning_actions", "impact_evidence", "Visited family at SW1A 1AA", "Visited family at [postcode]",
     "holds what looks like a postcode"),
    ("audit_followups", "notes_ref", "9434765919", "[NHS number]", "holds what looks like an NHS number"),
    ("dip_sample_findings", "summary", "Carer: jo.bloggs@example.com", "Carer: [email address]",
     "holds what looks like an email address"),
])
def test_free_text_with_an_identifier_is_refused_with_the_row_named(db_path, tmp_path, dataset, column, value,
                                                                    shown, reason):
    files = [write_csv(tmp_path, "audits.csv", "audits", {}),
             write_csv(tmp_path, "dip_samples.csv", "dip_samples", {})]
    load_ok(db_path, *files)
    before = snapshot(db_path)
    if dataset == "learning_actions":
        path = write(tmp_path, "learning_actions.csv",
                     "action_id,source,theme,service,raised_date,status,impact_evidence\n"
                     f"LA1,Audit,Supervision,CF,2025-01-15,In progress,\nLA2,Audit,Supervision,CF,2025-01-15,"
                     f"In progress,{value}\n")
        row_no = 3
    else:
        path = write_csv(tmp_path, f"{dataset}.csv", dataset, {column: value}) if dataset != "audit_followups" else write(
            tmp_path, "audit_followups.csv", f"audit_id,process,notes_ref\nA1,Requires Improvement,{value}\n")
        row_no = 2
    code, _, err = load(db_path, path)
    assert code == 1
    lines = problem_lines(err)
    assert len(lines) == 1
    assert lines[0].startswith(f"{path.name}, row {row_no}, {column}: {shown!r} {reason}"), lines
    assert value not in err or value == shown
    assert snapshot(db_path) == before


def test_titles_are_checked(db_path, tmp_path):
    path = write(tmp_path, "reviews.csv", "review_id,review_type,review_date,title\n"
                                          "R1,CSPR,2025-01-10,Learning from the review\n"
                                          "R2,CSPR,2025-01-11,Child at 12 High St M1 1AE\n")
    code, _, err = load(db_path, path)
    assert code == 1 and problem_lines(err) == [
        "reviews.csv, row 3, title: 'Child at 12 High St [postcode]' holds what looks like a postcode: free text "
        "must not identify anyone; remove it"]


@pytest.mark.parametrize("column, value, start", [
    ("child_ref", "John Smith", "'Xxxx Xxxxx' is not a child reference (its shape is shown, not the value"),
    ("child_ref", "9434765919", "'[NHS number]' looks like an NHS number"),
    ("auditor_id", "jane.doe@council.gov.uk", "'xxxx.xxx@xxxxxxx.xxx.xx' is not a staff id"),
    ("practitioner_id", "Jane Doe", "'Xxxx Xxx' is not a staff id"),
])
def test_references_that_are_not_references_are_refused(db_path, tmp_path, column, value, start):
    text = ("audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade,auditor_id,practitioner_id\n"
            "A1,2025-03-04,MASH,C100,CP,Team Manager,Good,S1,S2\n")
    cells = {"child_ref": "C100", "auditor_id": "S1", "practitioner_id": "S2", **{column: value}}
    text += f"A2,2025-03-04,MASH,{cells['child_ref']},CP,Team Manager,Good,{cells['auditor_id']},{cells['practitioner_id']}\n"
    code, _, err = load(db_path, write(tmp_path, "audits.csv", text))
    assert code == 1
    assert problem_lines(err) and problem_lines(err)[0].startswith(f"audits.csv, row 3, {column}: {start}"), err
    assert not db_path.exists() or query(db_path, "SELECT count(*) FROM audits") == [(0,)]


def test_a_ten_digit_reference_that_is_not_an_nhs_number_loads(db_path, tmp_path):
    load_ok(db_path, write_csv(tmp_path, "audits.csv", "audits", {"child_ref": "9434765918"}))
    assert query(db_path, "SELECT child_ref FROM audits") == [("9434765918",)]


def test_staff_roster_and_observations_ids_are_checked(db_path, tmp_path):
    code, _, err = load(db_path, write_csv(tmp_path, "staff.csv", "staff", {"staff_id": "Mary Jones"}))
    assert code == 1 and "staff.csv, row 2, staff_id: 'Xxxx Xxxxx' is not a staff id" in err
    assert "Mary" not in err and "Jones" not in err        # a name is never repeated in the report


def test_patterns_are_configurable(db_path, tmp_path):
    config = write(tmp_path, "qa.toml", '[data_protection]\nchild_ref_pattern = "C[0-9]{3,8}"\n')
    code, _, err = load(db_path, "--config", config, write_csv(tmp_path, "audits.csv", "audits", {"child_ref": "2002"}))
    assert code == 1 and "'9999' is not a child reference" in err
    assert "it must match the configured pattern C[0-9]{3,8}" in err
    load_ok(db_path, "--config", config, write_csv(tmp_path, "audits.csv", "audits", {"child_ref": "C2002"}))


def test_free_text_columns_are_configurable(db_path, tmp_path):
    load_ok(db_path, write_csv(tmp_path, "audits.csv", "audits", {}),
            write_csv(tmp_path, "dip_samples.csv", "dip_samples", {}))
    config = write(tmp_path, "qa.toml", '[data_protection]\nfree_text_columns = ["reviews.title"]\n')
    load_ok(db_path, "--config", config,
            write_csv(tmp_path, "dip_sample_findings.csv", "dip_sample_findings", {"summary": "ring 07700 900123"}))


def test_a_broken_pattern_is_a_report_not_a_traceback(db_path, tmp_path):
    config = write(tmp_path, "qa.toml", '[data_protection]\nchild_ref_pattern = "C[0-9"\n')
    code, _, err = load(db_path, "--config", config, write_csv(tmp_path, "audits.csv", "audits", {}))
    assert code == 1 and "audits.csv, child_ref: 'C[0-9' cannot be checked: the configured child_ref_pattern " \
                         "is not a valid regular expression" in err
