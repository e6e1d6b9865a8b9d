"""The template workbook and the column reference, both read from the dataset declarations."""
from __future__ import annotations

import io

from .config import Config
from .datasets import CHECK_HELP, DATASETS, KIND_HELP, EndNotBefore, RefExists
from .validation import choices_of

REFERENCE_COLUMNS = ["dataset", "column", "required", "key", "kind", "allowed values", "notes"]


def column_reference(config: Config) -> list[dict]:
    """One row per column of every dataset: what it holds, whether it is required, its allowed values."""
    rows = []
    for ds in DATASETS:
        rules = {}
        for r in ds.rules:
            if isinstance(r, EndNotBefore):
                rules.setdefault(r.end, []).append(f"must not be before {r.start}")
            if isinstance(r, RefExists):
                rules.setdefault(r.column, []).append(f"must be a {r.target} of {r.dataset} (stored or in the same load)")
        for c in ds.columns:
            if c.kind == "grade":
                allowed = ", ".join(config.grade_labels)
            elif c.kind == "service":
                allowed = ", ".join(config.service_codes) + ("" if c.required else ", ALL (or blank) = whole authority")
            elif c.kind == "choice":
                allowed = ", ".join(choices_of(c, config))
            elif c.kind == "yesno":
                allowed = "Y, N (also Yes, No, TRUE, FALSE, 1, 0); blank = unknown"
            else:
                allowed = ""
            notes = [KIND_HELP[c.kind]]
            if c.help:
                notes.append(c.help)
            if c.kind == "date":
                notes.append("may be in the future (a planned date)" if c.planned
                             else "must not be after the day of the load")
            notes += rules.get(c.name, [])
            rows.append({"dataset": ds.name, "column": c.name, "required": "yes" if c.required else "",
                         "key": "yes" if c.name in ds.key else "", "kind": c.kind,
                         "allowed values": allowed, "notes": "; ".join(notes)})
    return rows


def dataset_rules(ds) -> list[str]:
    out = [CHECK_HELP[c] for c in ds.checks]
    out.append(f"key: {', '.join(ds.key)} (a key repeated in a file is an error; loading again updates the row)")
    return out


def template_bytes(config: Config) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ref = wb.active
    ref.title = "README"
    ref.append(["One sheet per dataset: fill in rows under the header and load the workbook "
                "(qa-dashboard load FILE.xlsx, or the Data page). Sheets named after a dataset are loaded; "
                "this sheet is skipped."])
    ref.append([])
    ref.append(REFERENCE_COLUMNS)
    for cell in ref[3]:
        cell.font = Font(bold=True)
    for row in column_reference(config):
        ref.append([row[k] for k in REFERENCE_COLUMNS])
    for col, width in zip("ABCDEFG", (22, 30, 10, 6, 10, 60, 80)):
        ref.column_dimensions[col].width = width
    ref.freeze_panes = "A4"
    for ds in DATASETS:
        ws = wb.create_sheet(ds.name)
        ws.append(ds.column_names)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
