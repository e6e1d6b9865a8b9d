"""Reading the council's files (CSV in any of the usual encodings, XLSX) into tables of text.

Every cell comes back as text (or None when blank), so that one set of
vectorised rules in ``validation.py`` interprets values whatever the file
format; Excel's typed cells are written in the forms those rules accept.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import hashlib
import io
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv


class NotATable(Exception):
    """The file cannot be read as a table at all (one clear line for the report)."""

    def __init__(self, message: str, sheet: str | None = None):
        super().__init__(message)
        self.sheet = sheet  # the sheet concerned, so the report can name it


@dataclass
class RawTable:
    file: str                      # file name as the user knows it
    sheet: str | None              # sheet name for XLSX
    header: list[str]              # header cells as written
    data: pa.Table                 # one string column per header cell, named c0, c1, ...
    rows: pa.Array                 # spreadsheet row number of each data row (header = row 1)
    bad_rows: list[tuple[int | None, str]] = field(default_factory=list)  # rows that could not be split
    sha256: str = ""

    @property
    def where(self) -> str:
        return f"{self.file} [{self.sheet}]" if self.sheet else self.file


@dataclass
class SourceFile:
    name: str
    content: bytes

    @classmethod
    def from_path(cls, path: str | Path) -> "SourceFile":
        p = Path(path)
        return cls(p.name, p.read_bytes())

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def stem(self) -> str:
        return Path(self.name).stem

    @property
    def is_workbook(self) -> bool:
        return self.content[:4] == b"PK\x03\x04" or self.name.lower().endswith((".xlsx", ".xlsm"))


def decode_text(content: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (what Excel's "CSV" writes)."""
    return _decode(content, name)[0]


_BOM = b"\xef\xbb\xbf"


def _check_bytes(content: bytes, name: str) -> None:
    # isspace() stops at the first other byte and copies nothing (strip() copied the whole file).
    if not content or content.isspace():
        raise NotATable(f"{name}: the file is empty")
    if b"\x00" in content[:65536]:
        raise NotATable(f"{name}: this is not a text table (it holds binary data); save it as CSV or XLSX")


def _decode(content: bytes, name: str) -> tuple[str, bool]:
    """The text, and whether it was UTF-8 (then the bytes after any BOM are already what pyarrow reads)."""
    _check_bytes(content, name)
    if content.startswith(_BOM):
        content = content[3:]
    try:
        return content.decode("utf-8"), True
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), False
    except UnicodeDecodeError:
        raise NotATable(f"{name}: the text is neither UTF-8 nor Windows-1252; save it as CSV UTF-8") from None


def _first_record(text: str) -> list[str] | None:
    """The header record, parsed from the start of the text only (a quoted header cell may hold a line break)."""
    return _first_record_of(lambda size: (text[:size], size >= len(text)))


def _first_record_of(prefix) -> list[str] | None:
    """The header record from ``prefix(size)`` -> (the first ``size`` units as text, whether that is all of it)."""
    size = 1 << 16
    while True:
        head, whole = prefix(size)
        rows = csv.reader(io.StringIO(head, newline=""))
        first = next(rows, None)
        # The record is complete when more of the text followed it, or the text is all read.
        if whole or next(rows, None) is not None:
            return first
        size *= 4


def _utf8_prefix(body) -> "callable":
    """prefix(size) for UTF-8 bytes: the text of the first ``size`` bytes (a character cut at the end is left
    out); raises UnicodeDecodeError when those bytes are not UTF-8."""
    def prefix(size: int) -> tuple[str, bool]:
        whole = size >= len(body)
        return codecs.getincrementaldecoder("utf-8")().decode(bytes(body[:size]), final=whole), whole
    return prefix


def _header(first: list[str] | None, name: str) -> list[str]:
    if not first or not any(cell.strip() for cell in first):
        raise NotATable(f"{name}: no header row (the first line is blank)")
    return list(first)


def _parse_body(content, header: list[str], name: str):
    """The body (after the header record) as a table of text columns, and the rows set aside as bad."""
    names = [f"c{i}" for i in range(len(header))]
    bad: list[tuple[int | None, str]] = []

    def on_bad_row(row):
        bad.append((row.number, f"has {row.actual_columns} values where the header has {row.expected_columns}"))
        return "skip"

    # A header-only file with no line break after it is an empty table, not an unreadable file.
    if bytes(content[-1:]) not in (b"\n", b"\r"):
        content = bytes(content) + b"\n"

    def parse(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            pa.py_buffer(content),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=threads),
            # Blank lines are kept (then dropped below) so that row numbers match the spreadsheet's.
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_bad_row,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )

    # Large files are read with threads; rows set aside as bad carry their record number only when
    # read single-threaded, so a file with any bad row is read again that way.
    table = parse(len(content) > (1 << 22))
    if bad and len(content) > (1 << 22):
        bad.clear()
        table = parse(False)
    return table, bad


def read_csv(src: SourceFile) -> RawTable:
    content = src.content
    _check_bytes(content, src.name)
    # The fingerprint is taken in a thread while the file is parsed (hashlib releases the GIL).
    digest: list[str] = []
    hasher = threading.Thread(target=lambda: digest.append(hashlib.sha256(content).hexdigest()))
    hasher.start()
    try:
        table = _read_utf8(src) or _read_decoded(src)
    finally:
        hasher.join()
    header, table, bad = table
    return _finish(src, header, table, bad, digest[0])


def _read_utf8(src: SourceFile):
    """The file read as UTF-8 without decoding it in Python: the header's bytes are decoded, and pyarrow checks
    that every value is UTF-8. None when the file is not plainly UTF-8 (a byte that is not, or a row set aside,
    whose bytes pyarrow does not check): then the file is decoded whole, as _read_decoded does."""
    body = memoryview(src.content)[3:] if src.content.startswith(_BOM) else src.content
    try:
        first = _first_record_of(_utf8_prefix(body))
    except UnicodeDecodeError:
        return None
    except csv.Error:  # a stray carriage return or NUL in the header line: reported by the decoding path
        return None
    try:
        header = _header(first, src.name)
        table, bad = _parse_body(body, header, src.name)
    except (NotATable, pa.ArrowInvalid):
        return None
    if bad:
        return None
    return header, table, bad


def _read_decoded(src: SourceFile):
    text, utf8 = _decode(src.content, src.name)
    try:
        first = _first_record(text)
    except csv.Error as exc:  # a stray carriage return or NUL in the header line
        raise NotATable(f"{src.name}: the header row cannot be read as CSV ({exc})") from None
    header = _header(first, src.name)
    # UTF-8 files are handed over as they are (no copy); other encodings as the UTF-8 of the decoded text.
    if utf8:
        content = memoryview(src.content)[3:] if src.content.startswith(_BOM) else src.content
    else:
        content = text.encode("utf-8")
    del text
    try:
        table, bad = _parse_body(content, header, src.name)
    except pa.ArrowInvalid as exc:
        raise NotATable(f"{src.name}: cannot be read as CSV ({str(exc).splitlines()[0]})") from None
    return header, table, bad


def _finish(src: SourceFile, header: list[str], table: pa.Table, bad: list, sha256: str) -> RawTable:
    names = table.column_names
    # Every record after the header is a spreadsheet row, including those set aside as bad.
    rows = pa.array(np.arange(2, table.num_rows + len(bad) + 2, dtype=np.int64))
    if bad:
        rows = rows.filter(pc.invert(pc.is_in(rows, pa.array([n for n, _ in bad], type=pa.int64()))))
    # Rows with every cell blank are skipped, as they are in a workbook. Only a row whose first cell is
    # blank can be blank, so the other cells are tested on those rows alone; and only an empty first cell or
    # one of ASCII spaces (a superset of the regular expression's \s) can be blank, a test much cheaper than
    # the regular expression over every row.
    if table.num_columns:
        first = table.column(0)
        maybe = pc.or_(pc.equal(pc.binary_length(first), 0), pc.ascii_is_space(first))
        candidates = pc.indices_nonzero(maybe)
        if len(candidates):
            candidates = pc.filter(candidates, pc.match_substring_regex(first.take(candidates), r"^\s*$"))
        if len(candidates):
            sub = table.take(candidates)
            blank = functools.reduce(pc.and_, [pc.match_substring_regex(sub.column(n), r"^\s*$")
                                               for n in names], pa.array(np.ones(len(sub), dtype=bool)))
            drop = pc.filter(candidates, blank)
            if len(drop):
                keep = pc.invert(pc.is_in(pa.array(np.arange(table.num_rows, dtype=np.uint64)), drop))
                table, rows = table.filter(keep), rows.filter(keep)
    return RawTable(src.name, None, header, table, rows, bad, sha256)


def excel_cell_text(value) -> str | None:
    """An Excel cell written as the text a CSV would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unreadable(src: SourceFile, exc: Exception) -> NotATable:
    return NotATable(f"{src.name}: not a readable Excel workbook ({exc.__class__.__name__}); "
                     "save it again as .xlsx or CSV")


def _open_workbook(src: SourceFile):
    import openpyxl
    try:
        return openpyxl.load_workbook(io.BytesIO(src.content), read_only=True, data_only=True)
    # A damaged workbook fails in many ways inside openpyxl (bad zip, missing part, broken XML):
    # each is one clear line for the report, never a traceback.
    except Exception as exc:
        raise _unreadable(src, exc) from None


def workbook_sheets(src: SourceFile) -> list[str]:
    wb = _open_workbook(src)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def read_sheet(src: SourceFile, sheet: str) -> RawTable:
    wb = _open_workbook(src)
    try:
        ws = wb[sheet]
        # Read-only mode trusts the size a sheet declares for itself, which other programs leave stale: rows
        # past it would be dropped without a word. Read every row there is.
        ws.reset_dimensions()
        header: list[str] | None = None
        columns: list[list[str | None]] = []
        numbers: list[int] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [excel_cell_text(v) for v in values]
            if header is None:
                if any(c is not None and c.strip() for c in cells):
                    while cells and (cells[-1] is None or not cells[-1].strip()):
                        cells.pop()
                    header = [c or "" for c in cells]
                    columns = [[] for _ in header]
                continue
            if not any(c is not None and c.strip() for c in cells):
                continue
            for i, col in enumerate(columns):
                col.append(cells[i] if i < len(cells) else None)
            numbers.append(number)
    except Exception as exc:  # the sheet's XML is read lazily, row by row
        raise _unreadable(src, exc) from None
    finally:
        wb.close()
    if header is None:
        raise NotATable(f"{src.name} [{sheet}]: the sheet is empty (no header row)", sheet)
    names = [f"c{i}" for i in range(len(header))]
    table = pa.table({n: pa.array(col, type=pa.string()) for n, col in zip(names, columns)})
    return RawTable(src.name, sheet, header, table, pa.array(numbers, type=pa.int64()), [], src.sha256)
