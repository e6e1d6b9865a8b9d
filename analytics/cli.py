"""``qa-dashboard``: the command line, a thin layer over the library.

Imports stay lean: nothing here pulls in Streamlit or plotly.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import ConfigError, load_config
from .database import Database, NewerSchemaError


def _db(args) -> Database:
    return Database(args.db, load_config(args.config))


def _missing(db: Database, command: str) -> bool:
    """True (with the reason on stderr) when the database does not exist yet: a command other than ``load`` never
    creates one (an empty council database would take the demo's place in the dashboard, and a mistyped --db
    would answer with zeros). Checked after the command's own arguments, whose mistakes come first (exit 2)."""
    if db.exists:
        return False
    print(f"{command}: there is no database at {db.path} yet: load the council's files first "
          f"(qa-dashboard load FILE ...)", file=sys.stderr)
    return True


def _existing_db(args, command: str) -> Database | None:
    """The database a command reads or changes, or None when there is none yet (``_missing``)."""
    db = _db(args)
    return None if _missing(db, command) else db


def cmd_load(args) -> int:
    from .limits import check_size
    from .loader import load_files
    from .readers import SourceFile
    for name in args.files:
        if not Path(name).is_file():
            print(f"{name}: no such file", file=sys.stderr)
            return 1
        too_big = check_size(Path(name).stat().st_size, _db(args).config)  # before reading it into memory
        if too_big:
            print(f"Nothing was stored: {name}: {too_big}", file=sys.stderr)
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


def cmd_history(args) -> int:
    from .backups import history_lines
    db = _db(args)
    lines = history_lines(db) if db.exists else []
    print("\n".join(lines) if lines else "no loads yet")
    return 0


def cmd_undo(args) -> int:
    from .backups import UndoRefused, undo
    db = _existing_db(args, "undo")
    if db is None:
        return 1
    try:
        new_id = undo(db, args.load_id)
    except UndoRefused as exc:
        print(f"undo: {exc}", file=sys.stderr)
        return 1
    print(f"load {args.load_id} undone (recorded as load {new_id})")
    return 0


def cmd_erase(args) -> int:
    from .erasure import erase_child
    db = _existing_db(args, "erase")
    if db is None:
        return 1
    result = erase_child(db, args.child_ref)
    # The reference is not repeated: the terminal's scrollback is a record too.
    print(f"erased {result.rows} row{'s' if result.rows != 1 else ''} about the child from the database and "
          f"{result.snapshots} snapshot{'s' if result.snapshots != 1 else ''}; the erasure is recorded without "
          f"the reference")
    return 0


def cmd_purge(args) -> int:
    from .erasure import purge
    db = _existing_db(args, "purge")
    if db is None:
        return 1
    months = args.months if args.months is not None else db.config["retention_months"]
    try:
        load_id, counts = purge(db, months)
    except ValueError as exc:
        print(f"purge: {exc}", file=sys.stderr)
        return 2
    if load_id is None:
        print(f"nothing older than {months} months")
        return 0
    for dataset, n in counts.items():
        print(f"{dataset}: {n} row{'s' if n != 1 else ''} removed")
    print(f"retention purge recorded as load {load_id}")
    return 0


def cmd_template(args) -> int:
    from .monthly import ExportError, check_writable, write_bytes
    from .template import template_bytes
    try:
        out = check_writable(args.out, (".xlsx",))   # an Excel workbook, never under another type's name
        write_bytes(out, template_bytes(load_config(args.config)))
    except ExportError as exc:
        return _fail(args, exc)
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
    if _missing(db, "summary"):
        return 1
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
    if _missing(db, "impact"):
        return 1
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


def _month_args(args, db) -> tuple | None:
    from .monthly import ExportError, check_services, month_filters
    try:
        month_filters(args.month)
        return check_services(args.service, db.config) if getattr(args, "service", None) else None
    except ExportError as exc:
        raise SystemExit(_fail(args, exc))


def _fail(args, exc) -> int:
    print(f"{args.command}: {exc}", file=sys.stderr)
    return 1


def cmd_export(args) -> int:
    """The infographic or the slide pack of a month: the same code as the dashboard's buttons."""
    from .images import ChromiumMissing
    from .monthly import ExportError, check_writable, write_bytes
    db = _db(args)
    try:
        services = _month_args(args, db)
        out = check_writable(args.out, (".png", ".pdf") if args.what == "infographic" else (".pptx",))
        if _missing(db, "export"):
            return 1
        if args.what == "infographic":
            from . import infographic
            fmt = out.suffix.lower().lstrip(".")
            data = infographic.build(db, args.month, services, (fmt,))[fmt]
        else:
            from . import pack
            data = pack.build(db, args.month, services)
        write_bytes(out, data)
    except (ExportError, ChromiumMissing) as exc:
        return _fail(args, exc)
    print(f"{args.what} for {args.month} written to {out}")
    return 0


def cmd_publish(args) -> int:
    from .images import ChromiumMissing
    from .monthly import ExportError
    from .publish import publish
    db = _db(args)
    try:
        _month_args(args, db)
        if _missing(db, "publish"):
            return 1
        pub = publish(db, args.month, user=args.by, with_files=not args.figures_only)
    except (ExportError, ChromiumMissing) as exc:
        return _fail(args, exc)
    print(pub.line())
    return 0


def cmd_published(args) -> int:
    """The month's published figures beside today's, and the audits that changed since (JSON)."""
    from .publish import comparison
    db = _db(args)
    _month_args(args, db)
    if _missing(db, "published"):
        return 1
    with db.read() as con:
        result = comparison(con, args.month, db.config)
    if result is None:
        print(f"published: {args.month} has not been published", file=sys.stderr)
        return 1
    pub = result["publication"]
    # allow_nan=False: a missing figure must be null, never NaN (not JSON: other tools refuse the whole output).
    json.dump({"month": pub.month, "publication_id": pub.publication_id, "published_by": pub.published_by,
               "published_at": pub.published_at.isoformat(),
               "figures": _records(result["figures"].drop(columns="unit")),
               "changes": _records(result["changes"])}, sys.stdout, indent=1, default=str, allow_nan=False)
    print()
    return 0


def _records(frame) -> list[dict]:
    """A DataFrame's rows for JSON, a missing value (None, NaN, NaT, NA: pandas' string columns hold NaN) as None."""
    import pandas as pd
    return [{k: None if pd.isna(v) else v for k, v in row.items()} for row in frame.to_dict("records")]


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

    s = sub.add_parser("history", parents=[common], help="list the loads, newest first")
    s.set_defaults(func=cmd_history)

    s = sub.add_parser("undo", parents=[common],
                       help="put back the rows a load changed, unless a later load touched them")
    s.add_argument("load_id", type=int, metavar="LOAD_ID")
    s.set_defaults(func=cmd_undo)

    s = sub.add_parser("erase", parents=[common],
                       help="remove every row about one child from the database and every kept snapshot")
    s.add_argument("--child-ref", required=True, metavar="REF")
    s.set_defaults(func=cmd_erase)

    s = sub.add_parser("purge", parents=[common],
                       help="remove rows older than the retention period (retention_months)")
    s.add_argument("--months", type=int, help="this retention period instead of the configured one")
    s.set_defaults(func=cmd_purge)

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

    s = sub.add_parser("export", parents=[common], help="the month's infographic (PNG or PDF) or QPRM slide pack")
    s.add_argument("what", choices=["infographic", "pack"])
    s.add_argument("--month", required=True, metavar="YYYY-MM")
    s.add_argument("--service", metavar="CODE", help="one service (default: all services)")
    s.add_argument("--out", required=True, metavar="FILE",
                   help="FILE.png or FILE.pdf for the infographic, FILE.pptx for the pack")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("publish", parents=[common],
                       help="freeze a month: its figures, slide pack and infographic as presented, who and when")
    s.add_argument("--month", required=True, metavar="YYYY-MM")
    s.add_argument("--by", metavar="NAME", help="who publishes (default: the login name)")
    s.add_argument("--figures-only", action="store_true", help="store the figures without the pack and infographic")
    s.set_defaults(func=cmd_publish)

    s = sub.add_parser("published", parents=[common],
                       help="a published month's figures beside today's and what changed since, as JSON")
    s.add_argument("--month", required=True, metavar="YYYY-MM")
    s.set_defaults(func=cmd_published)

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
    except ConfigError as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
