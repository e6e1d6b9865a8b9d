"""Soak: monthly loads for N simulated years while reader threads query without pause.

    .venv/bin/python benchmarks/soak.py [--years 10] [--per-month 400] [--readers 3] [--seed 1]

Each month brings new audits (with two pillar grades each, some moderated) and new learning
actions, loaded as one command like the QA team's monthly load. Readers open the published database
again and again; each read checks that it sees whole loads only (the audit count is the total after
some month, and every audit has its two pillar rows) and every few reads computes the summary. At the
end the figures and every table (less the load ids) must equal one bulk load of the same files into a
fresh database. Any reader error or mismatch fails the run (exit status 1). tests/test_soak.py runs a
short version.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.config import Config  # noqa: E402
from analytics.database import Database  # noqa: E402
from analytics.datasets import DATASETS  # noqa: E402
from analytics.filters import Filters  # noqa: E402
from analytics.loader import load_files  # noqa: E402
from analytics.metrics import summary  # noqa: E402
from analytics.readers import SourceFile  # noqa: E402

GRADES = ["Outstanding", "Good", "Requires Improvement", "Inadequate"]
SERVICES = ["MASH", "AI", "CF", "PT", "DCS", "IRSS"]
PILLARS = ["Voice and lived experience of the child", "Planning and review"]


def months(first_year: int, years: int) -> list[str]:
    return [f"{first_year + i // 12}-{1 + i % 12:02d}" for i in range(12 * years)]


def write_months(folder: Path, years: int, per_month: int, seed: int = 1, first_year: int = 2016
                 ) -> list[tuple[str, list[Path]]]:
    """One set of files per month: audits, their pillar grades, the month's learning actions."""
    rng = random.Random(seed)
    out = []
    n = 0
    for month in months(first_year, years):
        audits = ["audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade,moderated_grade"]
        pillars = ["audit_id,pillar,auditor_grade"]
        for _ in range(per_month):
            n += 1
            grade = rng.choices(GRADES, [1, 5, 3, 1])[0]
            moderated = rng.choice(GRADES) if rng.random() < 0.6 else ""
            audits.append(f"CAR-{n:07d},{month}-{rng.randint(1, 28):02d},{rng.choice(SERVICES)},C{rng.randint(1, 10**6)},"
                          f"{rng.choice(['CIN', 'CP', 'CIC'])},Team Manager,{grade},{moderated}")
            pillars += [f"CAR-{n:07d},{p},{rng.choice(GRADES)}" for p in PILLARS]
        actions = ["action_id,source,theme,service,raised_date,status"]
        actions += [f"LA-{month}-{k},Audit,Voice of the child,{rng.choice(SERVICES)},{month}-15,In progress"
                    for k in range(3)]
        files = []
        for name, lines in (("audits", audits), ("audit_pillars", pillars), ("learning_actions", actions)):
            path = folder / f"{name}_{month}.csv"
            path.write_text("\n".join(lines) + "\n")
            files.append(path)
        out.append((month, files))
    return out


def contents(db: Database) -> dict:
    """Every dataset's rows without the load id, sorted: equal contents, equal databases."""
    with db.read() as con:
        out = {}
        for ds in DATASETS:
            cols = ", ".join(f'"{c}"' for c in ds.column_names)
            out[ds.name] = con.execute(f'SELECT {cols} FROM "{ds.name}" ORDER BY ALL').fetchall()
        return out


def run(folder: Path, years: int, per_month: int, readers: int, seed: int = 1) -> dict:
    config = Config()
    plan = write_months(folder, years, per_month, seed)
    first, last = plan[0][0], plan[-1][0]
    whole = Filters(month_from=first, month_to=last)
    db = Database(folder / "soak.duckdb", config)
    db.initialise()
    allowed = {per_month * k for k in range(len(plan) + 1)}   # audit totals after whole loads
    done = threading.Event()
    errors: list[str] = []
    reads = [0] * readers
    summaries = [0] * readers

    def reader(i: int) -> None:
        k = 0
        while not done.is_set():
            try:
                with db.read() as con:
                    a = con.execute("SELECT count(*) FROM audits").fetchall()[0][0]
                    p = con.execute("SELECT count(*) FROM audit_pillars").fetchall()[0][0]
                    if a not in allowed or p != 2 * a:
                        errors.append(f"reader {i} saw {a} audits and {p} pillar rows: part of a load")
                    if k % 5 == 0:
                        summary(con, whole, config)
                        summaries[i] += 1
                reads[i] += 1
                k += 1
            except Exception as exc:  # any failure of a reader is what the soak looks for
                errors.append(f"reader {i}: {exc.__class__.__name__}: {exc}")

    threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(readers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    try:
        for month, files in plan:
            report = load_files(db, [SourceFile.from_path(p) for p in files], user="soak")
            if not report.ok:
                errors.append(f"load of {month} refused: {report.problem_lines()[:3]}")
                break
    finally:
        done.set()
        for t in threads:
            t.join()
    soak_seconds = time.monotonic() - started

    bulk = Database(folder / "bulk.duckdb", config)
    report = load_files(bulk, [SourceFile.from_path(p) for _, files in plan for p in files], user="bulk")
    if not report.ok:
        errors.append(f"bulk load refused: {report.problem_lines()[:3]}")
    with db.read() as con:
        final = summary(con, whole, config)
    with bulk.read() as con:
        expected = summary(con, whole, config)
    same_summary = final == expected
    same_rows = contents(db) == contents(bulk)
    if not same_summary:
        errors.append("the summary after the monthly loads differs from the bulk load's")
    if not same_rows:
        errors.append("the tables after the monthly loads differ from the bulk load's")
    return {"years": years, "months": len(plan), "audits_per_month": per_month,
            "audits": per_month * len(plan), "readers": readers, "soak_seconds": round(soak_seconds, 1),
            "reads": sum(reads), "summaries_computed": sum(summaries), "reader_errors": len(errors),
            "errors": errors[:10], "equal_to_bulk_load": same_summary and same_rows,
            "snapshots_kept": len(db.snapshots()), "when": dt.datetime.now().isoformat(timespec="seconds")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--years", type=int, default=10)
    p.add_argument("--per-month", type=int, default=400)
    p.add_argument("--readers", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = run(Path(tmp), args.years, args.per_month, args.readers, args.seed)
    print(json.dumps(result, indent=1))
    return 0 if not result["errors"] and result["equal_to_bulk_load"] else 1


if __name__ == "__main__":
    sys.exit(main())
