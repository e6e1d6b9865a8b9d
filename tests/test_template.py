"""The template workbook is read from the declarations: one sheet per dataset, a reference sheet first."""
import openpyxl

from analytics.datasets import DATASETS


def test_template_has_a_reference_sheet_and_one_sheet_per_dataset(tmp_path, cli):
    out = tmp_path / "t.xlsx"
    code, stdout, err = cli("template", "--out", out)
    assert code == 0, err
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["README"] + [d.name for d in DATASETS]
    for ds in DATASETS:
        header = [c.value for c in wb[ds.name][1]]
        assert header == ds.column_names
    ref = list(wb["README"].iter_rows(min_row=4, values_only=True))
    assert len(ref) == sum(len(d.columns) for d in DATASETS)
    by_column = {(r[0], r[1]): r for r in ref}
    # Required flag, the allowed values and the date rule come from the declaration.
    assert by_column[("audits", "audit_id")][2] == "yes"
    assert by_column[("audits", "team")][2] in (None, "")
    assert "Requires Improvement" in by_column[("audits", "auditor_grade")][5]
    assert "CIN" in by_column[("audits", "cohort")][5]
    assert "must not be after the day of the load" in by_column[("audits", "audit_date")][6]
    assert "may be in the future" in by_column[("learning_actions", "due_date")][6]
    assert "must be a audit_id of audits" in by_column[("audit_pillars", "audit_id")][6]


def test_the_filled_template_loads_back(tmp_path, cli):
    out = tmp_path / "t.xlsx"
    cli("template", "--out", out)
    wb = openpyxl.load_workbook(out)
    wb["audits"].append(["A1", "2025-01-15", "AI", None, "C1", "CP", None, "Team Manager", None, "Good"])
    wb.save(out)
    db = tmp_path / "qa.duckdb"
    code, stdout, err = cli("load", "--db", db, out)
    assert code == 0, err
    assert "README" in err  # skipped with a notice
    assert "audits: 1 rows, 1 inserted" in stdout


def test_the_template_is_refused_in_one_line_under_a_wrong_name_or_a_missing_folder(tmp_path, cli):
    # A missing folder gave a FileNotFoundError traceback; "t.csv" got an Excel workbook under a CSV name.
    code, out, err = cli("template", "--out", tmp_path / "t.csv")
    assert code == 1 and "the file name must end in .xlsx" in err and not (tmp_path / "t.csv").exists()
    code, out, err = cli("template", "--out", tmp_path / "nowhere" / "t.xlsx")
    assert code == 1 and "does not exist" in err and "Traceback" not in err
