"""Limits on what one load reads: file size, rows, cell length and workbooks that unpack past a bound."""
import io
import struct
import zipfile

import pytest

from analytics.config import Config, DEFAULTS, _merge
from analytics.database import Database
from analytics.loader import load_files
from analytics.readers import SourceFile
from loadkit import csv_text, load, write


def config(**limits):
    return Config(_merge(DEFAULTS, {"limits": limits}))


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(db_path, tmp_path, monkeypatch):
    path = write(tmp_path, "audits.csv", csv_text("audits", {}) + "#" * 2 * 1024 * 1024)
    read = []
    monkeypatch.setattr(SourceFile, "from_path", classmethod(lambda cls, p: read.append(p)))
    code, _, err = load(db_path, "--config", write(tmp_path, "c.toml", "[limits]\nmax_file_mb = 1\n"), path)
    assert code == 1 and "the file is 2.1 MB, over the limit of 1 MB (limits.max_file_mb" in err
    assert read == []   # the CLI never read it into memory


def test_an_uploaded_file_over_the_size_limit_is_refused(tmp_path):
    db = Database(tmp_path / "qa.duckdb", config(max_file_mb=1))
    report = load_files(db, [SourceFile("audits.csv", csv_text("audits", {}).encode() + b" " * 1_100_000)])
    assert not report.ok and report.problem_lines() == [
        "audits.csv: the file is 1.1 MB, over the limit of 1 MB (limits.max_file_mb in the configuration): "
        "split it, for example by year"]


def test_rows_per_file(tmp_path):
    db = Database(tmp_path / "qa.duckdb", config(max_rows_per_file=2))
    text = csv_text("audits", *[{"audit_id": f"A{i}"} for i in range(3)])
    report = load_files(db, [SourceFile("audits.csv", text.encode())])
    assert report.problem_lines() == [
        "audits.csv: has 3 rows, over the limit of 2 rows per file (limits.max_rows_per_file)"]
    assert load_files(db, [SourceFile("audits.csv", csv_text("audits", {}, {"audit_id": "A2"}).encode())]).ok


def test_cell_length_names_the_row_and_column(tmp_path):
    db = Database(tmp_path / "qa.duckdb", config(max_cell_chars=20))
    text = csv_text("audits", {"audit_id": "A1"}, {"audit_id": "A2", "team": "x" * 21})
    report = load_files(db, [SourceFile("audits.csv", text.encode())])
    assert report.problem_lines() == [
        "audits.csv, row 3, team: cell is 21 characters long, over the limit of 20 (limits.max_cell_chars)"]


def bomb(extra_bytes: int, declared: int | None = None) -> bytes:
    """A valid audits workbook plus one member of zeros (``declared`` forges its size in the directory)."""
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "audits"
    ws.append(["audit_id", "audit_date", "service", "child_ref", "cohort", "auditor_role", "auditor_grade"])
    ws.append(["A1", "2025-03-04", "MASH", "C1", "CP", "Team Manager", "Good"])
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/padding.bin", b"\0" * extra_bytes)
    data = bytearray(buf.getvalue())
    if declared is not None:
        # Forge the member's uncompressed size in its local header and in the central directory.
        local = data.rindex(b"PK\x03\x04")
        data[local + 22:local + 26] = struct.pack("<I", declared)
        central = data.rindex(b"PK\x01\x02")
        data[central + 24:central + 28] = struct.pack("<I", declared)
    return bytes(data)


def test_a_workbook_that_unpacks_past_the_bound_is_refused_before_openpyxl_opens_it(tmp_path, monkeypatch):
    content = bomb(3 * 1024 * 1024)
    assert len(content) < 100_000   # small on disk, 3 MB unpacked
    import analytics.readers as readers
    opened = []
    monkeypatch.setattr(readers, "_open_workbook", lambda src: opened.append(src) or 1 / 0)
    db = Database(tmp_path / "qa.duckdb", config(max_xlsx_uncompressed_mb=2))
    report = load_files(db, [SourceFile("audits.xlsx", content)])
    assert report.problem_lines() == [
        "audits.xlsx: the workbook expands to 3 MB when unpacked, over the limit of 2 MB "
        "(limits.max_xlsx_uncompressed_mb): save it as CSV, or split it"]
    assert opened == []


def test_a_workbook_under_the_bound_loads(tmp_path):
    db = Database(tmp_path / "qa.duckdb", config(max_xlsx_uncompressed_mb=2))
    assert load_files(db, [SourceFile("audits.xlsx", bomb(1024 * 1024))]).ok


def test_a_member_that_lies_about_its_size_is_never_inflated_past_it(tmp_path):
    # 50 MB of zeros declared as 1 kB: zipfile stops at the declared size and fails the CRC check.
    db = Database(tmp_path / "qa.duckdb", config(max_xlsx_uncompressed_mb=2))
    report = load_files(db, [SourceFile("audits.xlsx", bomb(50 * 1024 * 1024, declared=1024))])
    assert report.ok or report.problem_lines()  # either way one clear line, no MemoryError
    with zipfile.ZipFile(io.BytesIO(bomb(50 * 1024 * 1024, declared=1024))) as zf:
        with pytest.raises(zipfile.BadZipFile, match="CRC"):
            zf.read("xl/media/padding.bin")
