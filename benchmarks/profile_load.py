"""Where the time (and memory) of ``qa-dashboard load`` goes: phases, SQL statements, DuckDB operators,
a cProfile, and a few measured alternatives.

    .venv/bin/python benchmarks/profile_load.py [--audits 100000] [--seed 1] [--out benchmarks/out]
                                                [--no-experiments]

It runs the same load as load_and_summary.py (same generated files, a new database), but inside this
process so that it can be observed. Nothing under analytics/ is changed: in this process only, a few
of its functions and the DuckDB connection are wrapped to time each phase and each SQL statement,
record the resident memory after each statement and keep DuckDB's per-operator profile of the slow
ones. Writes OUT/profile_load-<utc time>.json and OUT/profile_load.prof (for pstats or snakeviz).

The experiments section times, on the same files, the building blocks of the load next to cheaper
alternatives (in pyarrow or an in-memory DuckDB), so each suggestion comes with a measured saving.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import gen_data  # noqa: E402

PHASES: dict[str, float] = defaultdict(float)
SQL: list[dict] = []
RESTORE: list = []             # undo the wrapping of duckdb.connect once the load is done
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20
SLOW_STATEMENT = 0.05          # seconds: keep DuckDB's operator profile of statements slower than this


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE_MB


@contextlib.contextmanager
def phase(name: str):
    t0 = time.perf_counter()
    try:
        yield
    finally:
        PHASES[name] += time.perf_counter() - t0


def timed(name: str, fn):
    def wrapper(*args, **kwargs):
        with phase(name):
            return fn(*args, **kwargs)
    wrapper.__wrapped__ = fn
    return wrapper


def classify(sql: str) -> str:
    """A short label for a statement issued by the loader."""
    s = " ".join(sql.split())
    rules = [
        (r"^CREATE TEMP TABLE _stage_\d+ AS", "parse+validate a file (parse_sql -> _stage_N)"),
        (r"^CREATE TEMP TABLE \"staged_(\w+)\" AS", "copy stages -> staged_{0}"),
        (r"^DROP TABLE _stage_", "drop _stage_N"),
        (r"^CREATE TEMP TABLE _problems AS", "collect problems (_problems: cell errors, rules, dup keys, refs)"),
        (r"^SELECT count\(\*\) FROM _problems", "count problems"),
        (r"^SELECT \* FROM _problems", "first problems"),
        (r"^CREATE OR REPLACE TEMP TABLE _cmp AS .*FROM \"staged_(\w+)\"", "upsert: compare -> _cmp ({0})"),
        (r"^SELECT _file, count\(\*\) FILTER \(_new\)", "upsert: counts"),
        (r"^DELETE FROM \"(\w+)\" USING _cmp", "upsert: delete changed ({0})"),
        (r"^INSERT INTO \"(\w+)\" .*FROM _cmp", "upsert: insert ({0})"),
        (r"^DROP TABLE _cmp", "upsert: drop _cmp"),
        (r"^COMMIT", "COMMIT"),
        (r"^CHECKPOINT", "CHECKPOINT"),
        (r"^BEGIN", "BEGIN"),
        (r"^PRAGMA", "pragma"),
        (r"^CREATE TABLE|^CREATE OR REPLACE VIEW|^INSERT INTO schema_version", "create schema"),
        (r"grade_scale", "grade scale"),
        (r"_lookup", "install lookup"),
        (r"load_history", "load history"),
        (r"FROM staff|team NOT IN", "warnings"),
    ]
    for pattern, label in rules:
        m = re.search(pattern, s)
        if m:
            return label.format(*m.groups())
    return "other: " + s[:60]


def flatten_operators(node: dict, out: list, depth: int = 0) -> list:
    """DuckDB's JSON profile as (seconds, operator, short detail) rows, slowest first."""
    for child in node.get("children", []) if "operator" not in node else node["operator"]:
        info = child.get("extra_info") or {}
        detail = info.get("Conditions") or info.get("Projections") or info.get("Table") or info.get("Function") or ""
        if isinstance(detail, list):
            detail = "; ".join(map(str, detail))
        out.append({"seconds": child.get("timing", 0.0), "operator": child.get("name"),
                    "rows": child.get("intermediate_rows"), "detail": " ".join(str(detail).split())[:160]})
        flatten_operators(child, out, depth + 1)
    return out


class TimedConnection:
    """Delegates to a DuckDB connection; times each statement, notes RSS, keeps slow statements' profiles."""

    def __init__(self, con, profile_file: Path | None):
        self._con = con
        self._profile = profile_file

    def _timed(self, method, sql, *args, **kwargs):
        if self._profile:
            self._profile.unlink(missing_ok=True)
        t0 = time.perf_counter()
        result = getattr(self._con, method)(sql, *args, **kwargs)
        secs = time.perf_counter() - t0
        label = classify(sql)
        if label.startswith("parse+validate") and args and isinstance(args[0], dict) and "file_name" in args[0]:
            label = f"parse+validate {args[0]['file_name']} (parse_sql -> _stage_N)"
        entry = {"label": label, "seconds": secs, "rss_mb_after": rss_mb(), "sql": sql}
        if self._profile and secs > SLOW_STATEMENT and self._profile.exists():
            try:
                ops = flatten_operators(json.loads(self._profile.read_text()), [])
                entry["operators"] = sorted(ops, key=lambda o: -o["seconds"])[:8]
            except (ValueError, KeyError):
                pass
        SQL.append(entry)
        return result

    def execute(self, sql, *args, **kwargs):
        return self._timed("execute", sql, *args, **kwargs)

    def executemany(self, sql, *args, **kwargs):
        return self._timed("executemany", sql, *args, **kwargs)

    def register(self, name, obj):
        with phase("duckdb register Arrow table"):
            return self._con.register(name, obj)

    def close(self):
        with phase("connection close"):
            return self._con.close()

    def __getattr__(self, name):
        return getattr(self._con, name)


def instrument(profile_file: Path | None):
    """Wrap the loader's phases in this process; the wrappers fill PHASES and SQL."""
    import shutil

    import duckdb
    import analytics.database as database
    import analytics.loader as loader
    import analytics.readers as readers
    import analytics.recognition as recognition

    real_connect = duckdb.connect
    RESTORE.append(lambda: setattr(duckdb, "connect", real_connect))

    def connect(*args, **kwargs):
        with phase("duckdb connect"):
            con = real_connect(*args, **kwargs)
        if profile_file is not None and not kwargs.get("read_only"):
            con.execute("PRAGMA enable_profiling = 'json'")
            con.execute(f"PRAGMA profiling_output = '{profile_file}'")
        return TimedConnection(con, profile_file)

    database.duckdb.connect = connect                  # the module object is shared: this process only
    readers.SourceFile.from_path = classmethod(timed("read file bytes (SourceFile.from_path)",
                                                     readers.SourceFile.from_path.__func__))
    recognition.read_csv = timed("read CSV (readers.read_csv: decode, header, pyarrow, blank rows, sha256)",
                                 recognition.read_csv)
    readers.SourceFile.sha256 = property(timed("sha256 of the file (nested in read CSV)",
                                               readers.SourceFile.sha256.fget))
    loader.register_raw = timed("register_raw (header map + pa.table)", loader.register_raw)
    loader.parse_sql = timed("build SQL text", loader.parse_sql)
    loader.upsert = timed("upsert (total of its SQL)", loader.upsert)
    loader._warnings = timed("warnings (total)", loader._warnings)
    database.shutil.copyfile = timed("copy published file", shutil.copyfile)
    database.os.fsync = timed("fsync", os.fsync)
    database.os.replace = timed("rename into place", os.replace)


def import_seconds() -> float:
    """Python start-up plus the imports a load needs, in a fresh interpreter (median of 3)."""
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import analytics.cli, analytics.loader"], cwd=ROOT, check=True)
        times.append(time.perf_counter() - t0)
    return sorted(times)[1]


def analytics_fingerprint() -> str:
    """sha256 over analytics/*.py, so figures can be matched to the code measured (it changes often)."""
    import hashlib
    h = hashlib.sha256()
    for p in sorted((ROOT / "analytics").glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


# --- experiments ------------------------------------------------------------------------------------
def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def day_month_sql():
    """The loader's own SQL for "a listed value a spreadsheet turned into a date", else a copy of it."""
    try:
        from analytics.validation import _day_month_sql
        return _day_month_sql
    except ImportError:
        def _day_month(v):
            d = (f"CAST(COALESCE(CASE WHEN regexp_full_match({v}, '\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}') "
                 f"THEN try_strptime({v}, '%Y-%m-%d') END, CASE WHEN regexp_full_match({v}, "
                 f"'\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}') THEN try_strptime({v}, '%d/%m/%Y') END) AS DATE)")
            return f"(CAST(day({d}) AS VARCHAR) || '-' || CAST(month({d}) AS VARCHAR))"
        return _day_month


def experiments(files: dict) -> list[dict]:
    """Building blocks of the load next to cheaper alternatives, best of 3, on the generated files."""
    import csv

    import duckdb
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    rows: list[dict] = []

    def note(group, what, secs, current=False):
        rows.append({"group": group, "what": what, "seconds": secs, "current": current})
        print(f"  {secs:7.3f} s  {'*' if current else ' '} [{group}] {what}", flush=True)

    path = Path(files["audit_pillars"]["path"])
    content = path.read_bytes()
    text = content.decode("utf-8")
    n_cols = 4
    names = [f"c{i}" for i in range(n_cols)]

    def arrow_read(use_threads, newlines=True, handler=True, source=None):
        return pacsv.read_csv(
            io.BytesIO(source if source is not None else text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=use_threads),
            parse_options=pacsv.ParseOptions(newlines_in_values=newlines, ignore_empty_lines=False,
                                             invalid_row_handler=(lambda r: "skip") if handler else None),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))

    g = "CSV read, audit_pillars.csv"
    note(g, "bytes.decode('utf-8') of the whole file", best_of(lambda: content.decode("utf-8")), True)
    note(g, "header via csv.reader(io.StringIO(text)) (copies the whole text)",
         best_of(lambda: next(csv.reader(io.StringIO(text)))), True)
    note(g, "header via csv.reader over the first line only",
         best_of(lambda: next(csv.reader([text[:text.find('\n') + 1]]))))
    note(g, "text.encode('utf-8') back to bytes", best_of(lambda: text.encode("utf-8")), True)
    note(g, "pyarrow read_csv, use_threads=False (newlines_in_values, bad-row handler)",
         best_of(lambda: arrow_read(False)), True)
    note(g, "pyarrow read_csv, use_threads=True (same options)", best_of(lambda: arrow_read(True)))
    note(g, "pyarrow read_csv of the original bytes (no decode/encode round trip), threads",
         best_of(lambda: arrow_read(True, source=content)))
    table = arrow_read(True)
    n = table.num_rows
    note(g, "row numbers: pa.array(range(n))", best_of(lambda: pa.array(range(2, n + 2), type=pa.int64())), True)
    note(g, "row numbers: pa.array(np.arange(n))", best_of(lambda: pa.array(np.arange(2, n + 2, dtype=np.int64))))

    def blank_all():
        masks = [pc.match_substring_regex(table.column(c), r"^\s*$") for c in names]
        m = masks[0]
        for x in masks[1:]:
            m = pc.and_(m, x)
        return table.filter(pc.invert(m))

    def blank_lazy():
        # Only rows whose first cell is blank can be blank rows: test the other cells on those alone.
        cand = pc.match_substring_regex(table.column(0), r"^\s*$")
        if not pc.any(cand).as_py():
            return table
        idx = pc.indices_nonzero(cand)
        sub = table.take(idx)
        m = pc.match_substring_regex(sub.column(1), r"^\s*$")
        for c in names[2:]:
            m = pc.and_(m, pc.match_substring_regex(sub.column(c), r"^\s*$"))
        drop = pc.filter(idx, m)
        keep = pc.invert(pc.is_in(pa.array(np.arange(n)), drop.cast(pa.int64())))
        return table.filter(keep)

    note(g, "blank-row test: regex on every column, then filter", best_of(blank_all), True)
    note(g, "blank-row test: regex on the first column, others only where it is blank", best_of(blank_lazy))

    # --- SQL building blocks on the pillars file (700,000 rows), in an in-memory DuckDB ---------------
    g = f"parse+validate SQL, audit_pillars ({n:,} rows)"
    con = duckdb.connect()
    con.register("raw", table.rename_columns(["audit_id", "pillar", "auditor_grade", "moderated_grade"]))
    con.execute("CREATE TABLE src AS SELECT * FROM raw")
    try:                                                # the loader's own SQL pieces, while they exist
        from analytics.validation import _SPACES as spaces, _fold_sql as fold
    except ImportError:
        spaces = "' \t\r\n' || chr(160) || chr(8203) || chr(65279)"

        def fold(v):
            return f"lower(regexp_replace(replace({v}, chr(8217), ''''), '\\s+', ' ', 'g'))"
    con.execute("CREATE TABLE lk AS SELECT DISTINCT lower(pillar) AS spelling, pillar AS value FROM src")

    def q(sql):
        return lambda: con.execute(sql).fetchall()

    note(g, "scan 4 columns (baseline)", best_of(q(
        "SELECT count(audit_id), count(pillar), count(auditor_grade), count(moderated_grade) FROM src")))
    note(g, "trim(x, {7 space characters}) on 4 columns", best_of(q(
        "SELECT " + ", ".join(f"count(NULLIF(trim({c}, {spaces}), ''))" for c in
                              ["audit_id", "pillar", "auditor_grade", "moderated_grade"]) + " FROM src")), True)
    literal = "' \t\r\n\u00a0\u200b\ufeff'"
    note(g, "trim(x, the same 7 characters written as one literal) on 4 columns", best_of(q(
        "SELECT " + ", ".join(f"count(NULLIF(trim({c}, {literal}), ''))" for c in
                              ["audit_id", "pillar", "auditor_grade", "moderated_grade"]) + " FROM src")))
    note(g, "trim(x) (ASCII space only) on 4 columns", best_of(q(
        "SELECT " + ", ".join(f"count(NULLIF(trim({c}), ''))" for c in
                              ["audit_id", "pillar", "auditor_grade", "moderated_grade"]) + " FROM src")))
    note(g, "trim only when the first or last character could be a space (regexp test first)", best_of(q(
        "SELECT " + ", ".join(f"count(NULLIF(CASE WHEN regexp_matches({c}, '^[\\s\\x{{A0}}\\x{{200B}}\\x{{FEFF}}]|"
                              f"[\\s\\x{{A0}}\\x{{200B}}\\x{{FEFF}}]$') THEN trim({c}, {spaces}) ELSE {c} END, ''))"
                              for c in ["audit_id", "pillar", "auditor_grade", "moderated_grade"]) + " FROM src")))
    note(g, "lookup join on fold(pillar) for every row", best_of(q(
        f"SELECT count(l.value) FROM src LEFT JOIN lk l ON l.spelling = {fold('src.pillar')}")), True)
    note(g, "lookup join on fold() of the DISTINCT pillars, joined back on the raw text", best_of(q(
        f"WITH m AS (SELECT d.v, l.value FROM (SELECT DISTINCT pillar AS v FROM src) d "
        f"LEFT JOIN lk l ON l.spelling = {fold('d.v')}) "
        f"SELECT count(m.value) FROM src LEFT JOIN m ON m.v = src.pillar")))
    day_month = day_month_sql()
    note(g, "second join: day-month of a date-like pillar (validation._day_month_sql), for every row", best_of(q(
        f"SELECT count(l.value) FROM src LEFT JOIN lk l ON l.spelling = {day_month('src.pillar')}")), True)
    note(g, "same, computed for the DISTINCT pillars only, joined back on the raw text", best_of(q(
        f"WITH m AS (SELECT v, l.value FROM (SELECT DISTINCT pillar AS v FROM src) LEFT JOIN lk l "
        f"ON l.spelling = {day_month('v')}) SELECT count(m.value) FROM src LEFT JOIN m ON m.v = src.pillar")))
    note(g, "same, only for rows the first lookup did not match (key = CASE WHEN no match THEN ... END)", best_of(q(
        f"SELECT count(coalesce(v1, l2.value)) FROM (SELECT l1.value AS v1, CASE WHEN l1.value IS NULL "
        f"THEN {day_month('src.pillar')} END AS dm FROM src LEFT JOIN lk l1 ON l1.spelling = lower(src.pillar)) "
        f"LEFT JOIN lk l2 ON l2.spelling = dm")))

    con.execute("CREATE TABLE st AS SELECT 0 AS _file, 'audit_pillars.csv' AS _file_name, "
                "CAST(row_number() OVER () + 1 AS BIGINT) AS __row, * FROM src")
    note(g, "duplicate keys: window (row_number, first_value) over every row", best_of(q(
        "SELECT count(*) FROM (SELECT row_number() OVER w AS n, first_value(__row) OVER w AS first_row, "
        "first_value(_file) OVER w AS first_file, first_value(_file_name) OVER w AS first_name "
        "FROM st WINDOW w AS (PARTITION BY audit_id, pillar ORDER BY _file, __row)) WHERE n > 1")), True)
    note(g, "duplicate keys: GROUP BY key HAVING count(*) > 1 first, window only over those keys", best_of(q(
        "WITH d AS (SELECT audit_id, pillar FROM st GROUP BY ALL HAVING count(*) > 1) "
        "SELECT count(*) FROM (SELECT row_number() OVER w AS n, first_value(__row) OVER w AS first_row "
        "FROM st SEMI JOIN d USING (audit_id, pillar) "
        "WINDOW w AS (PARTITION BY audit_id, pillar ORDER BY _file, __row)) WHERE n > 1")))

    # --- storing -------------------------------------------------------------------------------------------
    g = f"store audit_pillars ({n:,} rows) in a new file database"
    tmp = Path(tempfile.mkdtemp(prefix="qa-bench-"))

    con.close()

    def store_from_arrow(pk, via_cmp):
        dbf = tmp / f"x{time.perf_counter_ns()}.duckdb"
        c = duckdb.connect(str(dbf))
        c.register("raw", table.rename_columns(["audit_id", "pillar", "auditor_grade", "moderated_grade"]))
        c.execute("CREATE TEMP TABLE staged AS SELECT 0 AS _file, * FROM raw")
        c.execute("CREATE TABLE t (audit_id VARCHAR NOT NULL, pillar VARCHAR NOT NULL, auditor_grade VARCHAR, "
                  "moderated_grade VARCHAR, _load_id BIGINT" + (", PRIMARY KEY (audit_id, pillar))" if pk else ")"))
        t0 = time.perf_counter()
        c.execute("BEGIN")
        source = "staged"
        if via_cmp:
            c.execute("CREATE TEMP TABLE _cmp AS SELECT s.*, t.audit_id IS NULL AS _new FROM staged s "
                      "LEFT JOIN t ON s.audit_id = t.audit_id AND s.pillar = t.pillar")
            source = "_cmp WHERE _new"
        c.execute(f"INSERT INTO t SELECT audit_id, pillar, auditor_grade, moderated_grade, 1 FROM {source}")
        c.execute("COMMIT")
        c.execute("CHECKPOINT")
        secs = time.perf_counter() - t0
        c.close()
        dbf.unlink()
        return secs

    note(g, "compare -> _cmp, then INSERT with PRIMARY KEY, COMMIT, CHECKPOINT",
         min(store_from_arrow(True, True) for _ in range(3)), True)
    note(g, "INSERT straight from staged (table known empty) with PRIMARY KEY, COMMIT, CHECKPOINT",
         min(store_from_arrow(True, False) for _ in range(3)))
    note(g, "INSERT straight from staged, no PRIMARY KEY (uniqueness already checked), COMMIT, CHECKPOINT",
         min(store_from_arrow(False, False) for _ in range(3)))
    with contextlib.suppress(OSError):
        tmp.rmdir()
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Profile qa-dashboard load on synthetic contract CSVs.")
    p.add_argument("--audits", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=HERE / "out")
    p.add_argument("--top", type=int, default=20, help="cProfile rows to print")
    p.add_argument("--no-experiments", action="store_true", help="skip the measured alternatives")
    p.add_argument("--no-operator-profile", action="store_true",
                   help="do not turn on DuckDB's per-operator profiling during the load (it costs a little)")
    a = p.parse_args(argv)
    out = a.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    data_dir = out / f"data-{a.audits}-seed{a.seed}"
    files = gen_data.write_files(a.audits, a.seed, data_dir)["files"]
    db = out / f"profile-{a.audits}-seed{a.seed}.duckdb"
    for leftover in (db, db.with_name(db.name + ".wal"), db.with_name(db.name + ".lock")):
        leftover.unlink(missing_ok=True)
    for k in ("QA_DASHBOARD_DB", "QA_DASHBOARD_CONFIG"):
        os.environ.pop(k, None)

    startup = import_seconds()
    profile_file = out / "duckdb_last_statement_profile.json"
    instrument(None if a.no_operator_profile else profile_file)
    from analytics.cli import main as cli_main

    args = ["load", files["audits"]["path"], files["audit_pillars"]["path"], "--db", str(db)]
    rss_before = rss_mb()
    prof = cProfile.Profile()
    stdout = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(stdout):
        prof.enable()
        code = cli_main(args)
        prof.disable()
    total = time.perf_counter() - t0
    for undo in RESTORE:
        undo()
    profile_file.unlink(missing_ok=True)
    if code != 0:
        print(stdout.getvalue(), file=sys.stderr)
        return 1
    prof.dump_stats(out / "profile_load.prof")
    for leftover in (db, db.with_name(db.name + ".lock")):
        leftover.unlink(missing_ok=True)                # only the timings are wanted
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    by_label: dict[str, list] = defaultdict(lambda: [0.0, 0])
    for s in SQL:
        by_label[s["label"]][0] += s["seconds"]
        by_label[s["label"]][1] += 1
    sql_total = sum(v[0] for v in by_label.values())

    print(f"\nload of {sum(f['rows'] for f in files.values()):,} rows in this process: {total:.2f} s "
          f"(a separate process adds {startup:.2f} s of start-up and imports); "
          f"RSS {rss_before:.0f} MB before, peak {peak_mb:.0f} MB")
    if not a.no_operator_profile:
        print("(DuckDB operator profiling is on during this run, which adds to the SQL times; "
              "--no-operator-profile turns it off)")
    print()
    print("Phases (wrapped functions; nested phases overlap, e.g. upsert contains its SQL):")
    for name, secs in sorted(PHASES.items(), key=lambda kv: -kv[1]):
        if secs >= 0.005:
            print(f"  {secs:7.2f} s  {secs / total:5.1%}  {name}")
    print(f"\nSQL statements ({len(SQL)} statements, {sql_total:.2f} s = {sql_total / total:.1%} of the load):")
    for label, (secs, n) in sorted(by_label.items(), key=lambda kv: -kv[1][0]):
        if secs >= 0.005:
            print(f"  {secs:7.2f} s  {secs / total:5.1%}  x{n:<3} {label}")

    print("\nResident memory after each statement that raised it by 20 MB or more:")
    prev = rss_before
    for s in SQL:
        if s["rss_mb_after"] - prev >= 20:
            print(f"  {s['rss_mb_after']:7.0f} MB  (+{s['rss_mb_after'] - prev:5.0f})  {s['label']}")
        prev = s["rss_mb_after"]

    if any("operators" in s for s in SQL):
        print("\nSlowest DuckDB operators inside the slow statements (operator time is summed over threads):")
    for s in sorted(SQL, key=lambda s: -s["seconds"]):
        if "operators" not in s:
            continue
        print(f"  {s['seconds']:.2f} s  {s['label']}")
        for o in s["operators"][:5]:
            if o["seconds"] >= 0.02:
                print(f"      {o['seconds']:6.3f} s  {o['operator']:<18} {o['detail'][:110]}")

    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(a.top)
    text = buf.getvalue()
    print("\ncProfile by own time (a C call such as DuckDB's execute or pyarrow's read_csv counts as own time "
          "of its caller):")
    print(text[text.find("   ncalls"):].rstrip())

    exp = []
    if not a.no_experiments:
        print("\nExperiments (best of 3; * = what the load does now):")
        exp = experiments(files)

    result = {
        "benchmark": "profile_load",
        "when_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "params": {"audits": a.audits, "seed": a.seed},
        "analytics_fingerprint": analytics_fingerprint(),
        "in_process_load_seconds": total,
        "startup_and_imports_seconds": startup,
        "peak_rss_mb": peak_mb,
        "phases_seconds": dict(sorted(PHASES.items(), key=lambda kv: -kv[1])),
        "sql_seconds": {k: {"seconds": v[0], "count": v[1]}
                        for k, v in sorted(by_label.items(), key=lambda kv: -kv[1][0])},
        "sql_statements": [{k: v for k, v in s.items() if k != "sql"} | {"sql": s["sql"][:1500]}
                           for s in sorted(SQL, key=lambda s: -s["seconds"])[:15]],
        "experiments": exp,
    }
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"profile_load-{stamp}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nsaved {path} and {out / 'profile_load.prof'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
