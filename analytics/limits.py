"""Limits a load checks before and after reading a file, each refused with one clear line.

The XLSX check reads only the zip directory: a workbook is a zip of XML, and a small file can
declare gigabytes of XML (a zip bomb). Python's zipfile never inflates a member past the size the
directory declares (a member that lies fails its CRC check), so refusing a directory whose total
exceeds the bound keeps openpyxl from ever holding more than that in memory.
"""
from __future__ import annotations

import io
import math
import zipfile

import pyarrow.compute as pc

from .config import Config
from .readers import RawTable, SourceFile

MB = 1024 * 1024


def check_size(size: int, config: Config) -> str | None:
    limit = config["limits"]["max_file_mb"]
    if size > limit * MB:
        # Rounded up, so a file just over the limit never reads as equal to it.
        return (f"the file is {math.ceil(size / MB * 10) / 10:.1f} MB, over the limit of {limit} MB (limits.max_file_mb in the "
                f"configuration): split it, for example by year")
    return None


def check_source(src: SourceFile, config: Config) -> str | None:
    """Why the file is refused before it is read, or None."""
    too_big = check_size(len(src.content), config)
    if too_big or not src.is_workbook:
        return too_big
    try:
        with zipfile.ZipFile(io.BytesIO(src.content)) as zf:
            expanded = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        return None  # not a zip at all: the reader says it is not a readable workbook
    limit = config["limits"]["max_xlsx_uncompressed_mb"]
    if expanded > limit * MB:
        return (f"the workbook expands to {expanded / MB:,.0f} MB when unpacked, over the limit of {limit} MB "
                f"(limits.max_xlsx_uncompressed_mb): save it as CSV, or split it")
    return None


def check_table(table: RawTable, config: Config) -> list[tuple[int | None, str | None, str]]:
    """(row, column, reason) for each limit the table breaks: rows per file, then cell length."""
    limits = config["limits"]
    out: list[tuple[int | None, str | None, str]] = []
    if table.data.num_rows > limits["max_rows_per_file"]:
        out.append((None, None, f"has {table.data.num_rows:,} rows, over the limit of "
                                f"{limits['max_rows_per_file']:,} rows per file (limits.max_rows_per_file)"))
    cap = limits["max_cell_chars"]
    for i, header in enumerate(table.header):
        if len(header) > cap:
            out.append((1, header[:40] + "…", f"header cell is {len(header):,} characters long, over the limit "
                                              f"of {cap:,} (limits.max_cell_chars)"))
    for i, column in enumerate(table.data.columns):
        # A text has no more characters than bytes, and its byte length is read from the offsets without
        # looking at the text: only a column with a cell over the cap in bytes has its characters counted.
        if not table.data.num_rows or (pc.max(pc.binary_length(column)).as_py() or 0) <= cap:
            continue
        lengths = pc.utf8_length(column)
        if (pc.max(lengths).as_py() or 0) > cap:
            first = pc.indices_nonzero(pc.fill_null(pc.greater(lengths, cap), False))[0].as_py()
            row = table.rows[first].as_py()
            out.append((row, table.header[i] or f"column {i + 1}",
                        f"cell is {lengths[first].as_py():,} characters long, over the limit of {cap:,} "
                        f"(limits.max_cell_chars)"))
    return out
