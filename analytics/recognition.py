"""Which dataset a file (or a workbook's sheet) holds, in the data contract's order of recognition."""
from __future__ import annotations

from dataclasses import dataclass

from .datasets import DATASETS, Dataset, get
from .readers import NotATable, RawTable, SourceFile, read_csv, read_sheet, workbook_sheets
from .validation import normalise_header


class Unrecognised(Exception):
    def __init__(self, message: str, sheet: str | None = None):
        super().__init__(message)
        self.sheet = sheet  # the sheet concerned, so the report can name it


@dataclass
class Recognised:
    table: RawTable
    dataset: Dataset


def by_file_name(stem: str) -> Dataset | None:
    """A file whose name starts with a dataset name is that dataset; the longest name wins."""
    stem = normalise_header(stem)  # "Learning Actions 2025.xlsx" matches like a sheet name
    matches = [d for d in DATASETS if stem.startswith(d.name)]
    return max(matches, key=lambda d: len(d.name)) if matches else None


def by_header(table: RawTable) -> Dataset:
    header = {normalise_header(h) for h in table.header}
    candidates = [d for d in DATASETS if set(d.required) <= header]
    if candidates:
        best = max(len(header & set(d.column_names)) for d in candidates)
        top = [d for d in candidates if len(header & set(d.column_names)) == best]
        if len(top) > 1:
            raise Unrecognised(f"{table.where}: its header fits several datasets equally well "
                               f"({', '.join(d.name for d in top)}); name the dataset with --dataset", table.sheet)
        return top[0]
    closest = sorted(DATASETS, key=lambda d: -len(header & set(d.required)) / len(d.required))[:2]
    hints = "; ".join(f"{d.name} (lacks {', '.join(c for c in d.required if c not in header)})" for d in closest)
    raise Unrecognised(f"{table.where}: not recognised as any dataset by its name or its header; "
                       f"closest: {hints}. Rename the file after its dataset or use --dataset", table.sheet)


def recognise(src: SourceFile, forced: str | None = None) -> tuple[list[Recognised], list[str]]:
    """The tables in one file with their datasets, and notices (skipped sheets).

    Raises NotATable or Unrecognised with one clear line.
    """
    notices: list[str] = []
    forced_ds = get(forced) if forced else None
    if src.name.lower().endswith(".xls"):
        raise NotATable(f"{src.name}: old .xls workbooks are not read; save it as .xlsx or CSV")
    if not src.is_workbook:
        table = read_csv(src)
        return [Recognised(table, forced_ds or by_file_name(src.stem) or by_header(table))], notices

    sheets = workbook_sheets(src)
    named = {s: by_sheet_name(s) for s in sheets}
    if forced_ds:
        chosen = [s for s in sheets if named[s] is forced_ds] or sheets[:1]
        return [Recognised(read_sheet(src, s), forced_ds) for s in chosen], notices
    if any(named.values()):
        out = []
        for s in sheets:
            if named[s]:
                out.append(Recognised(read_sheet(src, s), named[s]))
            else:
                notices.append(f"{src.name}: sheet {s!r} is not named after a dataset and was skipped")
        return out, notices
    if not sheets:
        raise NotATable(f"{src.name}: the workbook has no sheets")
    table = read_sheet(src, sheets[0])
    if len(sheets) > 1:
        notices.append(f"{src.name}: only the first sheet ({sheets[0]!r}) was read")
    return [Recognised(table, by_file_name(src.stem) or by_header(table))], notices


def by_sheet_name(sheet: str) -> Dataset | None:
    name = normalise_header(sheet)
    return next((d for d in DATASETS if d.name == name), None)
