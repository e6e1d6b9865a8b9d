"""Small builders shared by the loader's tests: valid rows per dataset, CSV/XLSX files, database snapshots.

Each test states only what differs from a valid row, so a failing test points at one rule.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from conftest import run_cli

# A date that is always after the load day (the CLI loads "today").
FUTURE = (dt.date.today() + dt.timedelta(days=60)).isoformat()

# One valid row per dataset; a test overrides the cells its rule is about.
VALID = {
    "staff": {"staff_id": "S1", "role": "Social Worker", "service": "MASH", "team": "MASH Team 1",
              "start_date": "2024-01-08", "end_date": ""},
    "audits": {"audit_id": "A1", "audit_date": "2025-03-04", "service": "MASH", "team": "MASH Team 1",
               "child_ref": "C100", "cohort": "CP", "auditor_role": "Team Manager", "auditor_grade": "Good",
               "moderated_grade": "", "benchmarked_grade": "", "child_views_sought": "Y",
               "child_age_band": "5-9"},
    "audit_pillars": {"audit_id": "A1", "pillar": "Assessment and analysis", "auditor_grade": "Good",
                      "moderated_grade": ""},
    "audit_followups": {"audit_id": "A1", "process": "Requires Improvement", "managers_notified_date": "2025-03-06",
                        "review_due_date": "2025-06-02", "review_date": ""},
    "dip_samples": {"dip_sample_id": "D1", "theme": "Neglect", "sample_date": "2025-02-10", "service": "CF",
                    "child_ref": "C200", "grade": "Good", "criteria_met": "3", "criteria_total": "5"},
    "dip_sample_findings": {"finding_id": "F1", "dip_sample_id": "D1", "finding_type": "Strength",
                            "theme_tag": "Voice", "summary": "Child's views recorded"},
    "learning_actions": {"action_id": "LA1", "source": "Audit", "theme": "Supervision", "service": "CF",
                         "raised_date": "2025-01-15", "due_date": "2025-04-15", "status": "In progress",
                         "completed_date": ""},
    "complaints": {"complaint_id": "CO1", "received_date": "2025-02-03", "service": "AI", "stage": "Stage 1",
                   "themes": "Communication", "outcome": "", "response_due_date": "2025-02-17",
                   "closed_date": ""},
    "escalations": {"escalation_id": "E1", "raised_date": "2025-03-10", "raised_by": "IRO", "service": "PT",
                    "team": "", "stage": "Informal", "themes": "Drift and delay", "resolved_date": "",
                    "outcome": ""},
    "kpi_values": {"kpi_code": "REREF12", "period_end": "2025-03-31", "service": "", "value": "25",
                   "numerator": "", "denominator": ""},
    "interventions": {"intervention_id": "I1", "name": "Voice training", "kind": "Training",
                      "start_date": "2025-01-06", "end_date": "", "service": "",
                      "target_pillar": ""},
    "feedback": {"feedback_id": "FB1", "received_date": "2025-02-01", "channel": "Email",
                 "sentiment": "Positive", "service": "CF", "conversation_requested": "N"},
}


def csv_text(dataset: str, *rows: dict, drop: tuple[str, ...] = ()) -> str:
    """A CSV of ``dataset``: the valid row's header (less ``drop``), one line per dict of overrides."""
    header = [c for c in VALID[dataset] if c not in drop]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        unknown = set(row) - set(VALID[dataset])
        assert not unknown, f"not in the valid row of {dataset}: {unknown}"
        w.writerow([{**VALID[dataset], **row}[c] for c in header])
    return out.getvalue()


def write(directory: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = directory / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


def write_csv(directory: Path, name: str, dataset: str, *rows: dict, **kw) -> Path:
    return write(directory, name, csv_text(dataset, *rows, **kw))


def write_xlsx(directory: Path, name: str, sheets: dict[str, list[list]]) -> Path:
    """A workbook with one sheet per entry, rows given as Python values (openpyxl types the cells)."""
    import openpyxl
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    path = directory / name
    wb.save(path)
    return path


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """Every dataset table and load_history, sorted: equal snapshots mean an unchanged database."""
    from analytics.database import Database
    from analytics.datasets import DATASETS
    with Database(db_path).read() as con:
        return {t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall()
                for t in [d.name for d in DATASETS] + ["load_history"]}


def query(db_path: Path, sql: str, params=()) -> list[tuple]:
    from analytics.database import Database
    with Database(db_path).read() as con:
        return con.execute(sql, list(params)).fetchall()


def load(db_path: Path, *args) -> tuple[int, str, str]:
    return run_cli("load", "--db", db_path, *args)


def load_ok(db_path: Path, *args) -> str:
    """Load that must succeed; returns stdout and stderr together for assertions on the summary lines."""
    code, out, err = load(db_path, *args)
    assert code == 0, err
    return out + err


def problem_lines(err: str) -> list[str]:
    """The report's lines after the 'Nothing was stored' heading (notices excluded)."""
    lines = [ln for ln in err.splitlines() if not ln.startswith("notice: ")]
    assert lines and lines[0].startswith("Nothing was stored:"), err
    return lines[1:]
