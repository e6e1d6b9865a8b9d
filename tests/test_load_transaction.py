"""One load command is one transaction; its record in load_history; the refusal report and its cap."""
import getpass
import hashlib

from loadkit import csv_text, load, load_ok, problem_lines, query, snapshot, write, write_csv


def test_two_files_one_bad_neither_is_stored(db_path, tmp_path):
    load_ok(db_path, write_csv(tmp_path, "staff.csv", "staff", {}))
    before = snapshot(db_path)
    good = write_csv(tmp_path, "audits.csv", "audits", {"audit_id": "A1"}, {"audit_id": "A2"})
    bad = write_csv(tmp_path, "complaints.csv", "complaints", {}, {"complaint_id": "CO2", "stage": "Stage 9"})
    code, out, err = load(db_path, good, bad)
    assert code == 1 and out == ""
    assert problem_lines(err) == ["complaints.csv, row 3, stage: 'Stage 9' is not an allowed value; "
                                  "use one of: Stage 1, Stage 2, Stage 3, Ombudsman"]
    assert snapshot(db_path) == before


def test_refused_first_load_leaves_no_database(db_path, tmp_path):
    # "A refused load leaves no trace in the database": not even an empty file.
    code, _, _ = load(db_path, write_csv(tmp_path, "audits.csv", "audits", {"cohort": "Nope"}))
    assert code == 1
    assert not db_path.exists()


def test_successful_load_is_recorded(db_path, tmp_path):
    audits = write_csv(tmp_path, "audits.csv", "audits", {"audit_id": "A1"}, {"audit_id": "A2"})
    pillars = write_csv(tmp_path, "audit_pillars.csv", "audit_pillars", {})
    out = load_ok(db_path, audits, pillars)
    assert "audits.csv -> audits: 2 rows, 2 inserted" in out
    assert "audit_pillars.csv -> audit_pillars: 1 rows, 1 inserted" in out
    rows = query(db_path, "SELECT load_id, loaded_by, file_name, sheet, sha256, dataset, inserted, updated, "
                          "unchanged, removed, replaced, loaded_at IS NOT NULL FROM load_history ORDER BY file_name")
    assert rows == [
        (1, getpass.getuser(), "audit_pillars.csv", None, hashlib.sha256(pillars.read_bytes()).hexdigest(),
         "audit_pillars", 1, 0, 0, 0, False, True),
        (1, getpass.getuser(), "audits.csv", None, hashlib.sha256(audits.read_bytes()).hexdigest(),
         "audits", 2, 0, 0, 0, False, True),
    ]


def test_report_is_capped_at_50_lines_plus_a_count_of_the_rest(db_path, tmp_path):
    rows = [{"audit_id": f"A{i}", "cohort": "Adoption"} for i in range(60)]
    code, _, err = load(db_path, write_csv(tmp_path, "audits.csv", "audits", *rows))
    assert code == 1
    assert err.splitlines()[0] == "Nothing was stored: 60 problems."
    lines = problem_lines(err)
    assert len(lines) == 51
    assert all("cohort: 'Adoption'" in ln for ln in lines[:50])
    # The first 50 in row order: rows 2..51.
    assert lines[0].startswith("audits.csv, row 2,") and lines[49].startswith("audits.csv, row 51,")
    assert lines[50] == "... and 10 more problems"


def test_report_exactly_at_the_cap_has_no_count_line(db_path, tmp_path):
    rows = [{"audit_id": f"A{i}", "cohort": "Adoption"} for i in range(50)]
    code, _, err = load(db_path, write_csv(tmp_path, "audits.csv", "audits", *rows))
    assert code == 1
    lines = problem_lines(err)
    assert len(lines) == 50 and not any(ln.startswith("...") for ln in lines)


def test_cap_counts_file_level_and_row_problems_together(db_path, tmp_path):
    # An unreadable file plus 55 bad rows: 56 problems, 50 shown.
    empty = write(tmp_path, "empty.csv", "")
    rows = [{"audit_id": f"A{i}", "cohort": "Adoption"} for i in range(55)]
    code, _, err = load(db_path, empty, write(tmp_path, "audits.csv", csv_text("audits", *rows)))
    assert code == 1
    assert err.splitlines()[0] == "Nothing was stored: 56 problems."
    lines = problem_lines(err)
    assert len(lines) == 51 and lines[-1] == "... and 6 more problems"
    assert lines[0] == "empty.csv: the file is empty"
