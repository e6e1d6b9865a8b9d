"""``qa-dashboard``: the command line, a thin layer over the library.

Imports stay lean: nothing here pulls in Streamlit or plotly.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import load_config
from .database import Database, NewerSchemaError


def _db(args) -> Database:
    return Database(args.db, load_config(args.config))


def cmd_load(args) -> int:
    from .loader import load_files
    from .readers import SourceFile
    for name in args.files:
        if not Path(name).is_file():
            print(f"{name}: no such file", file=sys.stderr)
            return 1
    # Each file is read when the loader reaches it and let go once staged: a large load never holds every
    # file's bytes at once.
    sources = (SourceFile.from_path(name) for name in args.files)
    report = load_files(_db(args), sources, dataset=args.dataset, replace=args.replace or ())
    for notice in report.notices:
        print(f"notice: {notice}", file=sys.stderr)
    if not report.ok:
        print(f"Nothing was stored: {report.problem_count} problem{'s' if report.problem_count != 1 else ''}.",
              file=sys.stderr)
        for line in report.problem_lines():
            print(line, file=sys.stderr)
        return 1
    for w in report.warnings:
        print(f"warning: {w.line()}", file=sys.stderr)
    for r in report.results:
        where = f"{r.file} [{r.sheet}]" if r.sheet else r.file
        print(f"{where} -> {r.dataset}: {r.rows} rows, {r.inserted} inserted, {r.updated} updated, "
              f"{r.unchanged} unchanged, {r.removed} removed")
    print(f"load {report.load_id} stored in {_db(args).path}")
    return 0


def cmd_template(args) -> int:
    from .template import write_template
    out = write_template(args.out, load_config(args.config))
    print(f"template written to {out}")
    return 0


def cmd_summary(args) -> int:
    from .filters import Filters
    from .metrics import summary
    db = _db(args)
    try:
        f = Filters(month_from=getattr(args, "from"), month_to=args.to,
                    services=(args.service,) if args.service else None)
    except ValueError as exc:
        print(f"summary: {exc}", file=sys.stderr)
        return 2
    if args.service and args.service not in db.config.service_codes:
        print(f"summary: {args.service!r} is not a service code: use one of "
              f"{', '.join(db.config.service_codes)}", file=sys.stderr)
        return 2
    with db.read() as con:
        result = summary(con, f, db.config)
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


def cmd_impact(args) -> int:
    from .impact import impact
    db = _db(args)
    window = db.config["impact_window_months"] if args.window is None else args.window
    if window < 1:
        print("impact: --window must be a whole number of months, 1 or more", file=sys.stderr)
        return 2
    with db.read() as con:
        result = impact(con, window=window, intervention_id=args.intervention)
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


def cmd_demo(args) -> int:
    from .database import demo_path
    from .demo import DemoError, build_demo
    path = Path(args.db) if args.db else demo_path()
    try:
        result = build_demo(path, seed=args.seed, config=load_config(args.config), files_dir=args.write_files)
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    if args.write_files:
        print(f"demo files written to {args.write_files}", file=sys.stderr)
    print(result.line())
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qa-dashboard", description="Quality assurance dashboard: data and figures")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database file (default data/qa.duckdb, or $QA_DASHBOARD_DB)")
    common.add_argument("--config", help="TOML configuration file (or $QA_DASHBOARD_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("load", parents=[common], help="load CSV/XLSX files in one transaction")
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("--dataset", help="treat every file as this dataset")
    s.add_argument("--replace", action="append", metavar="DATASET",
                   help="this load is the dataset's complete contents: stored rows it lacks are removed")
    s.set_defaults(func=cmd_load)

    s = sub.add_parser("template", parents=[common], help="write the template workbook")
    s.add_argument("--out", default="qa-dashboard-template.xlsx", metavar="FILE.xlsx")
    s.set_defaults(func=cmd_template)

    s = sub.add_parser("summary", parents=[common], help="the headline figures as JSON")
    s.add_argument("--from", metavar="YYYY-MM")
    s.add_argument("--to", metavar="YYYY-MM")
    s.add_argument("--service", metavar="CODE")
    s.set_defaults(func=cmd_summary)

    s = sub.add_parser("impact", parents=[common], help="impact of interventions as JSON")
    s.add_argument("--intervention", metavar="ID")
    s.add_argument("--window", type=int, metavar="MONTHS")
    s.set_defaults(func=cmd_impact)

    s = sub.add_parser("demo", help="build the demo database from synthetic data (the same seed, the same data)")
    s.add_argument("--db", help="demo database file (default data/demo.duckdb); an existing file is replaced "
                                "only when it is itself a demo database")
    s.add_argument("--config", help="TOML configuration file (or $QA_DASHBOARD_CONFIG)")
    s.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    s.add_argument("--write-files", metavar="DIR", help="also keep the generated CSV files, one per dataset, in DIR")
    s.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except NewerSchemaError as exc:
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
