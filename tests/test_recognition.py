"""Which dataset a file is, in the contract's order: --dataset, sheet names, file-name prefix (longest wins), header."""
import pytest

from analytics import recognition
from analytics.datasets import BY_NAME, Dataset
from loadkit import VALID, csv_text, load, load_ok, problem_lines, query, snapshot, write, write_xlsx


def sheet_of(dataset, **cells):
    row = {**VALID[dataset], **cells}
    return [list(row), [None if v == "" else v for v in row.values()]]


def datasets_loaded(db):
    return query(db, "SELECT file_name, sheet, dataset, inserted FROM load_history ORDER BY file_name, sheet")


def test_dataset_option_beats_the_file_name(db_path, tmp_path):
    # A roster saved under a misleading name: --dataset decides.
    f = write(tmp_path, "audits_copy.csv", csv_text("staff", {}))
    load_ok(db_path, "--dataset", "staff", f)
    assert datasets_loaded(db_path) == [("audits_copy.csv", None, "staff", 1)]


def test_dataset_option_applies_to_every_file_of_the_command(db_path, tmp_path):
    a = write(tmp_path, "export1.csv", csv_text("staff", {"staff_id": "S1"}))
    b = write_xlsx(tmp_path, "export2.xlsx", {"Sheet1": sheet_of("staff", staff_id="S2")})
    load_ok(db_path, "--dataset", "staff", a, b)
    assert query(db_path, "SELECT staff_id FROM staff ORDER BY 1") == [("S1",), ("S2",)]


def test_dataset_option_with_an_unknown_name_is_refused(db_path, tmp_path):
    code, _, err = load(db_path, "--dataset", "audit", write(tmp_path, "x.csv", csv_text("audits", {})))
    assert code == 1
    [line] = problem_lines(err)
    assert line.startswith("--dataset: 'audit' is not a dataset: use one of staff, audits,")


def test_workbook_sheets_named_after_datasets_load_and_others_are_skipped_with_a_notice(db_path, tmp_path):
    wb = write_xlsx(tmp_path, "trackers.xlsx", {
        "Read me": [["How to fill in this workbook"], ["One row per action"]],
        "learning_actions": sheet_of("learning_actions"),
        " Escalations ": sheet_of("escalations"),       # sheet names match like headers
    })
    code, out, err = load(db_path, wb)
    assert code == 0, err
    assert "notice: trackers.xlsx: sheet 'Read me' is not named after a dataset and was skipped" in err
    assert datasets_loaded(db_path) == [("trackers.xlsx", " Escalations ", "escalations", 1),
                                        ("trackers.xlsx", "learning_actions", "learning_actions", 1)]


def test_sheet_names_beat_the_file_name(db_path, tmp_path):
    wb = write_xlsx(tmp_path, "audits_2025.xlsx", {"learning_actions": sheet_of("learning_actions")})
    load_ok(db_path, wb)
    assert datasets_loaded(db_path) == [("audits_2025.xlsx", "learning_actions", "learning_actions", 1)]


def test_dataset_option_picks_the_sheet_named_after_it(db_path, tmp_path):
    wb = write_xlsx(tmp_path, "book.xlsx", {"learning_actions": sheet_of("learning_actions"),
                                             "staff": sheet_of("staff")})
    load_ok(db_path, "--dataset", "staff", wb)
    assert datasets_loaded(db_path) == [("book.xlsx", "staff", "staff", 1)]


def test_workbook_named_after_a_dataset_reads_its_first_sheet(db_path, tmp_path):
    wb = write_xlsx(tmp_path, "audits_2025-03.xlsx", {"Sheet1": sheet_of("audits"), "Sheet2": [["scratch"]]})
    code, out, err = load(db_path, wb)
    assert code == 0, err
    assert "notice: audits_2025-03.xlsx: only the first sheet ('Sheet1') was read" in err
    assert datasets_loaded(db_path) == [("audits_2025-03.xlsx", "Sheet1", "audits", 1)]


@pytest.mark.parametrize("name, dataset", [
    ("audits.csv", "audits"),
    ("Audits_March.CSV", "audits"),
    ("audit_pillars_march.csv", "audit_pillars"),
    ("dip_sample_findings_q1.csv", "dip_sample_findings"),
    ("dip_samples_q1.csv", "dip_samples"),
])
def test_file_name_prefix_names_the_dataset(db_path, tmp_path, name, dataset):
    # A child dataset's parent rides along (so its reference holds), under a name that says nothing.
    parent = {"audit_pillars": "audits", "dip_sample_findings": "dip_samples"}.get(dataset)
    extra = [write(tmp_path, "parent.csv", csv_text(parent, {}))] if parent else []
    load_ok(db_path, write(tmp_path, name, csv_text(dataset, {})), *extra)
    assert (name, None, dataset, 1) in datasets_loaded(db_path)


def test_file_name_decides_even_when_the_header_fits_another_dataset(db_path, tmp_path):
    # The name says audit_pillars; its header lacks pillar, so the report is about audit_pillars' columns.
    code, _, err = load(db_path, write(tmp_path, "audit_pillars_march.csv", csv_text("audits", {})))
    assert code == 1
    assert "audit_pillars_march.csv, row 1, pillar: required column is missing from the header of audit_pillars" \
        in problem_lines(err)


def test_longest_dataset_name_wins(monkeypatch):
    # No two real dataset names are prefixes of each other, so add one that is.
    extra = Dataset("audit", "A prefix of audit_pillars", ("x",), ())
    monkeypatch.setattr(recognition, "DATASETS", (extra,) + recognition.DATASETS)
    assert recognition.by_file_name("audit_pillars_march").name == "audit_pillars"
    assert recognition.by_file_name("audit_march").name == "audit"
    assert recognition.by_file_name("march_audits") is None


def test_header_decides_when_the_name_says_nothing(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "export march.csv", csv_text("escalations", {})),
            write(tmp_path, "benchmarks.csv",
                  "kpi_code,period_end,comparator,value\nREREF12,2025-03-31,England,22.1\n"))
    # kpi_benchmarks' header also holds kpi_values' required columns: the better match wins.
    assert datasets_loaded(db_path) == [("benchmarks.csv", None, "kpi_benchmarks", 1),
                                        ("export march.csv", None, "escalations", 1)]


def test_header_that_fits_two_datasets_equally_asks_for_dataset(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "audits.csv", csv_text("audits", {})))
    before = snapshot(db_path)
    header = "kpi_code,period_end,service,comparator,value"   # all of kpi_values' columns, 4 of kpi_benchmarks'
    code, _, err = load(db_path, write(tmp_path, "kpis.csv", header + "\nREREF12,2025-03-31,,England,22\n"))
    assert code == 1
    [line] = problem_lines(err)
    assert line.startswith("kpis.csv: ")
    assert "fits several datasets equally well (kpi_values, kpi_benchmarks)" in line and "--dataset" in line
    assert snapshot(db_path) == before


def test_unrecognisable_file_names_the_closest_datasets_and_what_they_lack(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "audits.csv", csv_text("audits", {})))
    before = snapshot(db_path)
    code, _, err = load(db_path, write(tmp_path, "mystery.csv", "audit_id,audit_date,service\nA9,2025-03-04,MASH\n"))
    assert code == 1
    [line] = problem_lines(err)
    assert line == ("mystery.csv: not recognised as any dataset by its name or its header; closest: "
                    "audit_followups (lacks process); audits (lacks child_ref, cohort, auditor_role, auditor_grade). "
                    "Rename the file after its dataset or use --dataset")
    assert snapshot(db_path) == before


def test_unrecognisable_sheet_is_named_in_the_report(db_path, tmp_path):
    wb = write_xlsx(tmp_path, "book.xlsx", {"Data": [["colour", "size"], ["red", "large"]]})
    code, _, err = load(db_path, wb)
    assert code == 1
    [line] = problem_lines(err)
    assert line.startswith("book.xlsx, sheet Data: not recognised as any dataset")


def test_every_dataset_is_recognised_by_its_required_columns_alone():
    # The header rule must be able to reach each dataset (none is shadowed by another).
    from analytics.readers import SourceFile, read_csv
    for ds in BY_NAME.values():
        table = read_csv(SourceFile("export.csv", (",".join(ds.required) + "\n").encode()))
        try:
            got = recognition.by_header(table).name
        except recognition.Unrecognised as exc:
            got = str(exc)
        assert got == ds.name, ds.name
