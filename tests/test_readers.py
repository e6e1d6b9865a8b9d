"""Reading the council's files: text encodings, Excel's typed cells, spreadsheet row numbers,
and files that are not tables."""
import datetime as dt
import io
import re
import shutil
import zipfile

import pytest

from analytics.readers import SourceFile, excel_cell_text, read_csv
from loadkit import csv_text, load, load_ok, problem_lines, query, snapshot, write, write_csv, write_xlsx

TEAM = "MASH \u2013 Team 1"   # an en dash, as Excel types it


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_store_the_same_utf8_text(db_path, tmp_path, encoding):
    text = csv_text("audits", {"team": TEAM, "service": "Disabled Children\u2019s Services"})
    # Not named after a dataset, so a BOM left on the first header cell would also break recognition.
    load_ok(db_path, write(tmp_path, "export.csv", text, encoding=encoding))
    assert query(db_path, "SELECT audit_id, team, service FROM audits") == [("A1", TEAM, "DCS")]


def test_text_that_is_neither_utf8_nor_cp1252_is_one_clear_line(db_path, tmp_path):
    # 0x81 is undefined in Windows-1252 and invalid as UTF-8.
    code, _, err = load(db_path, write(tmp_path, "audits.csv", csv_text("audits", {}).encode() + b"\x81\n"))
    assert code == 1
    assert problem_lines(err) == ["audits.csv: the text is neither UTF-8 nor Windows-1252; save it as CSV UTF-8"]


def audits_sheet(**cells):
    """Header and one row of the valid audit, with some cells replaced by typed Excel values."""
    from loadkit import VALID
    row = {**VALID["audits"], **cells}
    return [list(row), [None if v == "" else v for v in row.values()]]


def test_excel_cells_are_read_as_their_text_forms(db_path, tmp_path):
    sheet = audits_sheet(audit_id=1001.0, child_ref=2002, audit_date=dt.datetime(2025, 3, 4),
                         child_views_sought=True, child_age_band=dt.datetime(2025, 9, 5), team=TEAM)
    load_ok(db_path, write_xlsx(tmp_path, "audits.xlsx", {"Sheet1": sheet}))
    assert query(db_path, "SELECT audit_id, child_ref, audit_date, child_views_sought, child_age_band, team "
                          "FROM audits") == [("1001", "2002", dt.date(2025, 3, 4), True, "5-9", TEAM)]


@pytest.mark.parametrize("cell, expected", [(True, True), (False, False), (1, True), (0, False), (1.0, True),
                                            (0.0, False), ("TRUE", True), (None, None)])
def test_excel_booleans_and_numbers_in_yes_no_columns(db_path, tmp_path, cell, expected):
    load_ok(db_path, write_xlsx(tmp_path, "audits.xlsx", {"Sheet1": audits_sheet(child_views_sought=cell)}))
    assert query(db_path, "SELECT child_views_sought FROM audits") == [(expected,)]


def test_excel_date_cells_and_text_dates_in_one_column(db_path, tmp_path):
    sheet = [["audit_id", "audit_date", "service", "child_ref", "cohort", "auditor_role", "auditor_grade"],
             ["A1", dt.datetime(2025, 3, 4), "MASH", "C1", "CP", "Team Manager", "Good"],
             ["A2", dt.date(2024, 12, 31), "MASH", "C2", "CP", "Team Manager", "Good"],
             ["A3", "13/02/2025", "MASH", "C3", "CP", "Team Manager", "Good"]]
    load_ok(db_path, write_xlsx(tmp_path, "audits.xlsx", {"Sheet1": sheet}))
    assert query(db_path, "SELECT audit_date FROM audits ORDER BY audit_id") == [
        (dt.date(2025, 3, 4),), (dt.date(2024, 12, 31),), (dt.date(2025, 2, 13),)]


def test_listed_value_turned_into_a_date_that_spells_nothing_is_explained(db_path, tmp_path):
    sheet = audits_sheet(child_age_band=dt.datetime(2025, 4, 3))
    code, _, err = load(db_path, write_xlsx(tmp_path, "audits.xlsx", {"Sheet1": sheet}))
    assert code == 1
    [line] = problem_lines(err)
    assert line.startswith("audits.xlsx, sheet Sheet1, row 2, child_age_band: '2025-04-03' looks like a date")
    assert "use one of: 0-4, 5-9, 10-15, 16-17, 18+" in line


def test_workbook_row_numbers_count_skipped_blank_rows(db_path, tmp_path):
    sheet = audits_sheet()
    bad = list(sheet[1])
    bad[0], bad[5] = "A2", "Adoption"
    code, _, err = load(db_path, write_xlsx(tmp_path, "audits.xlsx", {"Sheet1": [sheet[0], sheet[1], [], [], bad]}))
    assert code == 1
    assert problem_lines(err)[0].startswith("audits.xlsx, sheet Sheet1, row 5, cohort: 'Adoption'")


def test_csv_row_numbers_are_spreadsheet_rows(db_path, tmp_path):
    # A quoted value spanning lines is one row; a blank line and a row of empty cells are rows too (and skipped).
    text = csv_text("audits", {"audit_id": "A1", "team": "Team\nwith a line break"}) + "\n" + "," * 11 + "\n" + \
        csv_text("audits", {"audit_id": "A2", "cohort": "Adoption"}).split("\n", 1)[1]
    code, _, err = load(db_path, write(tmp_path, "audits.csv", text))
    assert code == 1
    assert problem_lines(err) == ["audits.csv, row 5, cohort: 'Adoption' is not an allowed value; "
                                  "use one of: CIN, CP, CIC, Court, Early Help, Care Leaver, Other"]


def test_csv_row_with_too_many_values_is_named_by_its_row(db_path, tmp_path):
    text = csv_text("audits", {"audit_id": "A1"}, {"audit_id": "A2"}).rstrip("\n") + ",extra\n"
    code, _, err = load(db_path, write(tmp_path, "audits.csv", text))
    assert code == 1
    assert problem_lines(err) == ["audits.csv, row 3: row has 13 values where the header has 12"]


def test_blank_rows_are_skipped_not_loaded(db_path, tmp_path):
    text = csv_text("audits", {"audit_id": "A1"}) + "\n" + " , " * 11 + "\n"
    load_ok(db_path, write(tmp_path, "audits.csv", text))
    assert query(db_path, "SELECT audit_id FROM audits") == [("A1",)]


@pytest.mark.parametrize("ending", ["\n", ""])
def test_header_only_file_loads_no_rows(db_path, tmp_path, ending):
    header = csv_text("audits").rstrip("\n")
    out = load_ok(db_path, write(tmp_path, "audits.csv", header + ending))
    assert "audits.csv -> audits: 0 rows, 0 inserted" in out


def corrupt_sheet_xml(tmp_path):
    """A real workbook whose sheet XML is cut short: the zip opens, the sheet does not parse."""
    good = write_xlsx(tmp_path, "good.xlsx", {"audits": audits_sheet()}).read_bytes()
    src, out = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, data[: len(data) // 2] if name.startswith("xl/worksheets/") else data)
    return out.getvalue()


def zip_without_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    return out.getvalue()


NOT_TABLES = [
    pytest.param("audits.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "holds binary data", id="binary"),
    pytest.param("audits.csv", b"", "the file is empty", id="empty"),
    pytest.param("audits.csv", b"  \r\n\r\n", "the file is empty", id="only-blank-lines"),
    pytest.param("audits.csv", b"\naudit_id,audit_date\nA1,2025-03-04\n", "no header row (the first line is blank)",
                 id="blank-first-line"),
    pytest.param("audits.xlsx", b"this is not a zip file", "not a readable Excel workbook", id="xlsx-not-a-zip"),
    pytest.param("audits.xlsx", "truncated", "not a readable Excel workbook", id="xlsx-truncated"),
    pytest.param("audits.xlsx", "corrupt_sheet", "not a readable Excel workbook", id="xlsx-broken-sheet-xml"),
    pytest.param("audits.xlsx", "zip", "not a readable Excel workbook", id="xlsx-zip-without-workbook"),
    pytest.param("audits.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old .xls workbooks are not read",
                 id="old-xls"),
]


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """A database holding one audit, and its snapshot (made once; each test gets a byte copy)."""
    d = tmp_path_factory.mktemp("seed")
    load_ok(d / "qa.duckdb", write_csv(d, "audits.csv", "audits", {}))
    return d / "qa.duckdb", snapshot(d / "qa.duckdb")


@pytest.mark.parametrize("name, content, reason", NOT_TABLES)
def test_file_that_is_not_a_table_is_one_clear_line(seed, db_path, tmp_path, name, content, reason):
    shutil.copyfile(seed[0], db_path)
    if content == "truncated":
        content = write_xlsx(tmp_path, "good.xlsx", {"audits": audits_sheet()}).read_bytes()[:300]
    elif content == "corrupt_sheet":
        content = corrupt_sheet_xml(tmp_path)
    elif content == "zip":
        content = zip_without_workbook()
    bad_dir = tmp_path / "in"
    bad_dir.mkdir()
    code, out, err = load(db_path, write(bad_dir, name, content))
    assert code == 1
    [line] = problem_lines(err)
    assert line.startswith(f"{name}: ") and reason in line
    assert "Traceback" not in err
    assert snapshot(db_path) == seed[1]


def test_unreadable_file_does_not_hide_the_problems_of_the_others(db_path, tmp_path):
    code, _, err = load(db_path, write(tmp_path, "junk.csv", b""),
                        write_csv(tmp_path, "audits.csv", "audits", {"cohort": "Adoption"}))
    assert code == 1
    lines = problem_lines(err)
    assert lines[0] == "junk.csv: the file is empty"
    assert lines[1].startswith("audits.csv, row 2, cohort: 'Adoption'")


@pytest.mark.parametrize("value, text", [
    (None, None), (True, "TRUE"), (False, "FALSE"), (1001.0, "1001"), (2.5, "2.5"), (7, "7"),
    (dt.datetime(2025, 9, 5), "2025-09-05"), (dt.date(2025, 9, 5), "2025-09-05"),
    (dt.datetime(2025, 9, 5, 14, 30), "2025-09-05 14:30:00"), ("  x ", "  x "),
])
def test_excel_cell_text(value, text):
    assert excel_cell_text(value) == text


def test_read_csv_keeps_every_cell_as_text():
    # Leading zeros and number-like references must survive: pyarrow must not infer types.
    t = read_csv(SourceFile("audits.csv", b"audit_id,child_ref\n00123,1e5\n"))
    assert t.data.to_pylist() == [{"c0": "00123", "c1": "1e5"}]
    assert t.rows.to_pylist() == [2]


def test_one_byte_that_is_not_utf8_makes_the_whole_file_windows_1252_even_in_a_row_set_aside():
    # pyarrow checks the UTF-8 of the values it keeps, not of a row it sets aside: that row's byte still decides.
    content = "a,b\n\u2013,x\n".encode() + b"\xe9,y,z\n"
    table = read_csv(SourceFile("t.csv", content))
    assert table.data.column(0).to_pylist() == ["\u2013".encode().decode("cp1252")]
    assert table.bad_rows == [(3, "has 3 values where the header has 2")]


def test_utf8_file_is_read_without_a_python_decode_and_fingerprinted():
    import hashlib
    content = "\ufeffa,b\n\u2013,x\n".encode()
    table = read_csv(SourceFile("t.csv", content))
    assert table.header == ["a", "b"] and table.data.column(0).to_pylist() == ["\u2013"]
    assert table.sha256 == hashlib.sha256(content).hexdigest()


def test_workbook_rows_past_a_stale_declared_size_are_read(db_path, tmp_path):
    # Another program wrote the sheet's <dimension> for 1 data row; it holds 3. None may be dropped unseen.
    header = audits_sheet()[0]
    path = write_xlsx(tmp_path, "audits.xlsx", {"audits": [header] + [audits_sheet(audit_id=f"A{i}")[1]
                                                                       for i in (1, 2, 3)]})
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(stale, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:L2"/>', data)
            dst.writestr(item, data)
    assert b'ref="A1:L2"' in zipfile.ZipFile(stale).read("xl/worksheets/sheet1.xml")
    load_ok(db_path, stale)
    assert query(db_path, "SELECT audit_id FROM audits ORDER BY 1") == [("A1",), ("A2",), ("A3",)]
