"""Performance benchmark of the dashboard at a named scale (issue 8): one command, a table and a JSON file.

    .venv/bin/python benchmarks/run.py --scale county           # also: tiny, region, stress
    .venv/bin/python benchmarks/run.py --scale stress --readers 1,4,20 --reader-seconds 30

Steps (each figure is recorded with the machine's load average, since other work inflates it):

1. generate every dataset at the scale (``gen_data.py``, deterministic per seed; reused when present);
2. ``qa-dashboard load`` of all files into a new database as one process: rows per second, peak memory;
3. ``qa-dashboard summary`` as whole processes: median and worst;
4. in a separate "app" process: every page under AppTest (default filters, and one service from the
   URL). The ``analytics/`` calls the page makes are recorded as it runs (outermost calls only) and then
   replayed on a fresh read connection: median and worst of ``--runs``. The AppTest run time of each page
   (cold: the figures cache cleared first; warm: the same page and filters again, served from the cache),
   the process's peak memory, and 1/4/20 concurrent readers (threads, each opening its own read-only
   connection per page view, as the pages do) running the overview page's calls for ``--reader-seconds``;
5. a plain pandas baseline (tables read into DataFrames once; the timing covers filtering and grouping)
   of the summary and of every page that has one (``baseline_audit_pages.py``, ``baseline_other_pages.py``:
   ``frames``, ``PAGES``, ``CHECKS``), beside the library's figure (for a page, its recorded calls' median
   from step 4, same filters) and the ratio. ``--check-baselines`` first asserts each baseline's answer
   equals the library's.
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import inspect
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SERVICE = "CF"            # the "one service" of the per-service figures
SKIP_MODULES = {"ui", "charts", "config", "database", "sources", "presentation", "demo", "template",
                "readers", "validation", "loader", "recognition", "cli", "exports", "datasets"}


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def fingerprint() -> str:
    h = hashlib.sha256()
    for p in sorted((ROOT / "analytics").glob("*.py")) + sorted((ROOT / "pages").glob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        return ""


def child_env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for k in ("QA_DASHBOARD_DB", "QA_DASHBOARD_CONFIG"):
        env.pop(k, None)
    return env


def timed_process(args: list[str], env: dict | None = None, cwd=ROOT) -> dict:
    """Run a process; wall seconds, peak resident memory (its own ru_maxrss) and output."""
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or child_env(), cwd=cwd)
    out_r, err_r = p.stdout, p.stderr
    out, err = [], []
    threads = [threading.Thread(target=lambda s, b: b.append(s.read()), args=(s, b)) for s, b in
               ((out_r, out), (err_r, err))]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t0
    for t in threads:
        t.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": secs, "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
            "code": p.returncode,
            "stdout": out[0].decode(), "stderr": err[0].decode()}


def stats(xs: list[float]) -> dict:
    return {"median": statistics.median(xs), "worst": max(xs), "each": xs}


# --- the app process: pages under AppTest, their analytics calls, concurrent readers ---------------------
def _record_analytics_calls():
    """Wrap every analytics function that takes a connection first; record the outermost calls."""
    import importlib
    import pkgutil
    import analytics
    import duckdb
    calls: list = []
    depth = threading.local()
    originals = {}
    modules = [importlib.import_module(f"analytics.{m.name}") for m in pkgutil.iter_modules(analytics.__path__)]
    for mod in modules:
        if mod.__name__.rsplit(".", 1)[-1] in SKIP_MODULES and mod.__name__ != "analytics.filters":
            continue
        for name, fn in vars(mod).items():
            if not inspect.isfunction(fn) or fn.__module__ != mod.__name__ or name.startswith("_"):
                continue
            params = list(inspect.signature(fn).parameters)
            if not params or params[0] != "con":
                continue

            def wrapper(*args, __fn=fn, **kwargs):
                d = getattr(depth, "n", 0)
                depth.n = d + 1
                t0 = time.perf_counter()
                try:
                    return __fn(*args, **kwargs)
                finally:
                    depth.n = d
                    if d == 0:
                        calls.append((__fn, args, kwargs, time.perf_counter() - t0))
            originals[fn] = functools.wraps(fn)(wrapper)
    for mod in modules + [importlib.import_module("analytics.ui")]:
        for name, obj in list(vars(mod).items()):
            if inspect.isfunction(obj) and obj in originals:
                setattr(mod, name, originals[obj])

    def replay(con, recorded):
        for fn, args, kwargs, _ in recorded:
            fn(*[con if isinstance(a, duckdb.DuckDBPyConnection) else a for a in args], **kwargs)
    return calls, replay


def app_worker(a) -> int:
    """Runs in its own process (its peak memory is the app's): pages, replays and readers; JSON to --json."""
    os.environ["QA_DASHBOARD_DB"] = str(a.db)
    os.environ["QA_DASHBOARD_DATA_DIR"] = str(Path(a.db).parent / "appdata")
    os.chdir(ROOT)
    calls, replay = _record_analytics_calls()
    from streamlit.testing.v1 import AppTest
    from analytics import ui
    from analytics.database import Database
    db = Database(a.db)
    pages = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
    if a.pages:
        pages = [p for p in pages if Path(p).stem in a.pages.split(",")]
    result = {"pages": {}}
    overview_calls = None
    for page in pages:
        row = {}
        for label, query in (("default", {}), ("service", {"service": SERVICE})):
            app_secs, warm_secs, recorded = [], [], None
            for _ in range(a.apptest_runs):
                at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
                for k, v in query.items():
                    at.query_params[k] = v
                at.run()
                at.switch_page(page).run()
                del calls[:]
                ui.clear_cache()               # cold: every figure computed (and recorded for the replay)
                t0 = time.perf_counter()
                at.run()                       # the page with the URL's filters applied (AppTest needs a rerun)
                app_secs.append(time.perf_counter() - t0)
                if at.exception:
                    raise RuntimeError(f"{page} {label}: {at.exception}")
                recorded = list(calls)
                t0 = time.perf_counter()
                at.run()                       # warm: the same page and filters again, figures from the cache
                warm_secs.append(time.perf_counter() - t0)
                warm_calls = len(calls) - len(recorded)   # analytics calls the warm run made (0: all cached)
            replays, cpu = [], []
            for _ in range(a.runs):
                t0, c0 = time.perf_counter(), time.process_time()
                with db.read() as con:
                    replay(con, recorded)
                replays.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)     # all threads of this process (DuckDB's included)
            row[label] = {"apptest": stats(app_secs), "apptest_warm": stats(warm_secs), "calls": stats(replays), "calls_cpu": stats(cpu),
                          "n_calls": len(recorded), "n_calls_warm": warm_calls, "load_average": loadavg(),
                          "slowest_calls": sorted(((f"{fn.__module__.split('.')[-1]}.{fn.__name__}", round(s, 4))
                                                   for fn, _, _, s in recorded), key=lambda x: -x[1])[:3]}
            if page == "pages/overview.py" and label == "default":
                overview_calls = recorded
        result["pages"][page] = row
        print(f"  {page:28} calls {row['default']['calls']['median']:.3f} s  "
              f"AppTest {row['default']['apptest']['median']:.2f} s, warm {row['default']['apptest_warm']['median']:.2f} s"
              f"   [{loadavg()}]", flush=True)

    if overview_calls is not None and a.readers:
        result["readers"] = {}
        for n in [int(x) for x in a.readers.split(",")]:
            done, errors, stop = [0] * n, [], threading.Event()

            def reader(i):
                while not stop.is_set():
                    try:
                        with db.read() as con:       # each page view opens its own read-only connection
                            replay(con, overview_calls)
                        done[i] += 1
                    except Exception as exc:       # counted, not raised: the figure is "no errors"
                        errors.append(repr(exc))
            threads = [threading.Thread(target=reader, args=(i,)) for i in range(n)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            time.sleep(a.reader_seconds)
            stop.set()
            for t in threads:
                t.join()
            secs = time.perf_counter() - t0
            result["readers"][str(n)] = {"pages": sum(done), "seconds": secs,
                                         "pages_per_second": sum(done) / secs, "errors": len(errors),
                                         "first_errors": errors[:3], "load_average": loadavg()}
            print(f"  {n:2} readers: {sum(done) / secs:.1f} pages/s, {len(errors)} errors", flush=True)
    import resource
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(a.json).write_text(json.dumps(result))
    return 0


# --- the pandas baselines ----------------------------------------------------------------------------
# Each module defines frames(con) (tables read once, not timed), PAGES (page stem -> the page's figures in
# pandas for a Filters) and CHECKS (page stem -> asserts the pandas answer equals the library's).
BASELINE_MODULES = ("baseline_audit_pages", "baseline_other_pages")


def baseline_modules() -> list:
    import importlib
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    out = []
    for name in BASELINE_MODULES:
        try:
            out.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:       # a module that exists but fails to import is an error, not a skip
                raise
    return out


def bench_filters(con, service: str | None):
    """The filters a page opens with (the last 12 audit months), for every service or for one."""
    from analytics.filters import Filters, default_period, filter_options
    months = filter_options(con)["months"]
    first, last = default_period(months) if months else (None, None)
    return Filters(month_from=first, month_to=last, services=(service,) if service else None)


def check_baselines(db_path: Path, pages: list[str] | None = None) -> dict:
    """Run every CHECKS entry (default filters and one service): the pandas answers equal the library's."""
    from analytics.config import Config
    from analytics.database import Database
    config = Config()
    db = Database(db_path, config)
    done = {}
    with db.read() as con:
        for mod in baseline_modules():
            fr = mod.frames(con)
            for page, check in mod.CHECKS.items():
                if pages and page not in pages:
                    continue
                for label, service in (("default", None), ("service", SERVICE)):
                    check(con, fr, bench_filters(con, service), config)
                done[page] = mod.__name__
    return done


def pandas_baseline(db_path: Path, runs: int, app_pages: dict | None = None, pages: list[str] | None = None) -> dict:
    """The summary and every page with a baseline, in plain pandas over DataFrames read once, beside the
    library's time (the summary's own call; a page's recorded calls from the app process) and the ratio."""
    from analytics.config import Config
    from analytics.database import Database
    config = Config()
    db = Database(db_path, config)
    out = summary_baseline(db_path, runs)        # its DataFrames are freed before the pages' are read
    # The pages: the library's figure is the page's recorded calls (app process), for the same filters.
    for mod in baseline_modules():
        wanted = [pg for pg in mod.PAGES if (not pages or pg in pages)
                  and (app_pages is None or f"pages/{pg}.py" in app_pages)]
        if not wanted:
            continue
        with db.read() as c:
            t0 = time.perf_counter()
            fr = mod.frames(c)
            out["read_into_pandas_seconds"] += time.perf_counter() - t0
            filters = {label: bench_filters(c, service) for label, service in (("default", None), ("service", SERVICE))}
        for page in wanted:
            for label, f in filters.items():
                q = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    mod.PAGES[page](fr, f, config)
                    q.append(time.perf_counter() - t0)
                row = {"pandas": stats(q), "load_average": loadavg()}
                calls = (app_pages or {}).get(f"pages/{page}.py", {}).get(label)
                if calls:
                    row["duckdb"] = calls["calls"]
                    row["ratio"] = statistics.median(q) / calls["calls"]["median"]
                out[f"{page}/{label}"] = row
        del fr
    return out


def summary_baseline(db_path: Path, runs: int) -> dict:
    """The summary in plain pandas over DataFrames read once, beside ``metrics.summary``."""
    import duckdb
    import pandas as pd
    from analytics.config import Config
    from analytics.database import Database
    from analytics.filters import Filters, default_period, filter_options
    from analytics import metrics
    config = Config()
    con = duckdb.connect(str(db_path), read_only=True)
    t0 = time.perf_counter()
    a = con.execute("SELECT audit_id, audit_date, service, team, cohort, auditor_role, auditor_grade, "
                    "moderated_grade, benchmarked_grade FROM audits").df()
    p = con.execute("SELECT audit_id, pillar, auditor_grade, moderated_grade FROM audit_pillars").df()
    la = con.execute("SELECT raised_date, due_date, status, completed_date, service FROM learning_actions").df()
    es = con.execute("SELECT raised_date, resolved_date, service FROM escalations").df()
    read_secs = time.perf_counter() - t0
    months = filter_options(con)["months"]
    con.close()
    rank = {g: i for i, g in enumerate(config.grade_labels, start=1)}
    a["month"] = a["audit_date"].dt.strftime("%Y-%m")
    a["final_rank"] = a["benchmarked_grade"].fillna(a["moderated_grade"]).fillna(a["auditor_grade"]).map(rank)
    a["auditor_rank"], a["moderated_rank"] = a["auditor_grade"].map(rank), a["moderated_grade"].map(rank)

    def headline(df):
        n = len(df)
        good, inad = int((df["final_rank"] <= 2).sum()), int((df["final_rank"] == 4).sum())
        return {"count": n, "provisional": int(df["moderated_grade"].isna().sum()),
                "good": good / n * 100 if n else None, "inadequate": inad / n * 100 if n else None,
                "by_grade": df["final_rank"].value_counts().to_dict()}

    def span(first, last, service):
        m = (a["month"] >= first) & (a["month"] <= last)
        if service:
            m &= a["service"] == service
        return a[m]

    def pd_summary(first, last, service):
        df = span(first, last, service)
        g = df.assign(good=df["final_rank"] <= 2, inad=df["final_rank"] == 4)
        by_service = g.groupby("service").agg(n=("audit_id", "size"), good=("good", "mean"), inad=("inad", "mean"))
        by_month = g.groupby("month").agg(n=("audit_id", "size"), good=("good", "mean"))
        pp = p.merge(df[["audit_id"]], on="audit_id")
        pr = pp["moderated_grade"].fillna(pp["auditor_grade"]).map(rank)
        pillars = pd.DataFrame({"pillar": pp["pillar"], "good": pr <= 2, "inad": pr == 4}).groupby("pillar").mean()
        mod = df.dropna(subset=["moderated_rank"])
        pairs = mod.groupby(["auditor_rank", "moderated_rank"]).size()
        bench = int(df["benchmarked_grade"].notna().sum())
        start = pd.Timestamp(first + "-01")
        end = pd.Timestamp(last + "-01") + pd.offsets.MonthEnd(0)
        lam = (la["raised_date"] >= start) & (la["raised_date"] <= end)
        esm = (es["raised_date"] >= start) & (es["raised_date"] <= end)
        if service:
            lam &= la["service"].isin([service, "ALL"])
            esm &= es["service"] == service
        l, e = la[lam], es[esm]
        finished = (l["completed_date"] <= end) | (l["completed_date"].isna() & l["status"].isin(["Complete", "Closed"]))
        days = (e["resolved_date"] - e["raised_date"]).dt.days
        return (headline(df), by_service, by_month, pillars, pairs, bench, int((~finished).sum()),
                len(e), days.median())

    first, last = default_period(months) if months else (None, None)
    db = Database(db_path, config)
    out = {"read_into_pandas_seconds": read_secs}
    for label, service in (("default", None), ("service", SERVICE)):
        f = Filters(month_from=first, month_to=last, services=(service,) if service else None)
        d, q = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            with db.read() as c:
                metrics.summary(c, f, config)
            d.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            pd_summary(first, last, service)
            q.append(time.perf_counter() - t0)
        out[f"summary/{label}"] = {"duckdb": stats(d), "pandas": stats(q),
                                   "ratio": statistics.median(q) / statistics.median(d)}
    return out


# --- the driver ------------------------------------------------------------------------------------
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Performance benchmark at a named scale.")
    p.add_argument("--scale", default="county", choices=["tiny", "county", "region", "stress"])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=HERE / "out")
    p.add_argument("--runs", type=int, default=5, help="replays of each page's calls (median and worst)")
    p.add_argument("--apptest-runs", type=int, default=1, help="AppTest runs of each page and filter")
    p.add_argument("--summary-runs", type=int, default=5)
    p.add_argument("--readers", default="1,4,20", help="concurrent reader counts ('' to skip)")
    p.add_argument("--reader-seconds", type=float, default=30)
    p.add_argument("--pages", help="only these pages (comma-separated stems)")
    p.add_argument("--check-baselines", action="store_true",
                   help="first assert that each pandas baseline gives the library's figures")
    p.add_argument("--keep", action="store_true", help="keep the generated files and database")
    p.add_argument("--app-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--json", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.app_worker:
        return app_worker(a)

    import gen_data
    out = a.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    res = {"benchmark": "run", "scale": a.scale, "seed": a.seed,
           "when_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
           "environment": {"python": platform.python_version(), "cpus": os.cpu_count(), "git_commit": git_commit(),
                           "code_fingerprint": fingerprint(), "load_average_start": loadavg()}}
    data_dir = out / f"data-{a.scale}-seed{a.seed}"
    manifest = data_dir / "manifest.json"
    if manifest.exists():
        files = json.loads(manifest.read_text())
        print(f"reusing {data_dir}")
    else:
        info = gen_data.write_scale(a.scale, a.seed, data_dir)
        files = info["files"]
        manifest.write_text(json.dumps(files))
        print(f"generated {data_dir} in {info['generate_seconds'] + info['write_seconds']:.1f} s")
    rows = sum(f["rows"] for f in files.values())
    res["files"] = {k: {"rows": v["rows"], "mb": v["bytes"] / 1e6} for k, v in files.items()}

    db = out / f"bench-{a.scale}-seed{a.seed}.duckdb"
    for leftover in (db, db.with_name(db.name + ".wal"), db.with_name(db.name + ".lock")):
        leftover.unlink(missing_ok=True)
    la0 = loadavg()
    # The stress files are bigger than a council's upload limits allow (one 7-million-row file): the
    # benchmark raises them for its own load only (the whole "limits" table, as the configuration replaces it).
    bench_config = out / "bench-config.toml"
    bench_config.write_text("[limits]\nmax_file_mb = 100000\nmax_rows_per_file = 100000000\n"
                            "max_cell_chars = 32767\nmax_xlsx_uncompressed_mb = 300\n")
    r = timed_process([sys.executable, "-m", "analytics.cli", "load", "--db", str(db), "--config", str(bench_config),
                       *[f["path"] for f in files.values()]])
    if r["code"]:
        print(r["stderr"][-3000:], file=sys.stderr)
        return 1
    res["load"] = {"rows": rows, "seconds": r["seconds"], "rows_per_second": rows / r["seconds"],
                   "cpu_seconds": r["cpu_seconds"], "rows_per_cpu_second": rows / r["cpu_seconds"],
                   "peak_mb": r["peak_mb"], "db_mb": db.stat().st_size / 1e6, "load_average": [la0, loadavg()]}
    print(f"load: {rows:,} rows in {r['seconds']:.2f} s = {rows / r['seconds']:,.0f} rows/s, "
          f"peak {r['peak_mb']:,.0f} MB   [{la0} -> {loadavg()}]", flush=True)

    secs, cpu = [], []
    for _ in range(a.summary_runs):
        r = timed_process([sys.executable, "-m", "analytics.cli", "summary", "--db", str(db)])
        if r["code"]:
            print(r["stderr"][-3000:], file=sys.stderr)
            return 1
        secs.append(r["seconds"])
        cpu.append(r["cpu_seconds"])
    count = json.loads(r["stdout"])["audits"]["count"]
    res["summary"] = stats(secs) | {"cpu_median": statistics.median(cpu), "audits_in_period": count,
                                    "load_average": loadavg()}
    print(f"summary: median {statistics.median(secs):.3f} s, worst {max(secs):.3f} s   [{loadavg()}]", flush=True)

    wj = out / f"app-{a.scale}.json"
    args = [sys.executable, str(Path(__file__).resolve()), "--app-worker", "--db", str(db), "--json", str(wj),
            "--runs", str(a.runs), "--apptest-runs", str(a.apptest_runs), "--readers", a.readers,
            "--reader-seconds", str(a.reader_seconds)] + (["--pages", a.pages] if a.pages else [])
    print("pages (app process):", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(args, env=child_env(), cwd=ROOT)
    if proc.returncode:
        return 1
    res["app"] = json.loads(wj.read_text())
    wj.unlink()
    res["app"]["seconds"] = time.perf_counter() - t0
    if a.check_baselines:
        print("baselines equal the library:", ", ".join(check_baselines(db, a.pages and a.pages.split(","))),
              flush=True)
    res["baseline"] = pandas_baseline(db, a.runs, res["app"]["pages"], a.pages and a.pages.split(","))
    res["environment"]["load_average_end"] = loadavg()

    print_table(res)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"run-{a.scale}-{stamp}.json"
    text = json.dumps(res, indent=1, default=str) + "\n"
    path.write_text(text)
    (out / f"latest-{a.scale}.json").write_text(text)
    print(f"saved {path}")
    if not a.keep:
        for leftover in (db, db.with_name(db.name + ".lock")):
            leftover.unlink(missing_ok=True)
    return 0


def print_table(res: dict) -> None:
    ms = lambda s: f"{s * 1000:7.0f}"  # noqa: E731
    ld = res["load"]
    print(f"\n=== scale {res['scale']} (seed {res['seed']}), commit {res['environment']['git_commit']}, "
          f"load average at start {res['environment']['load_average_start']}, end "
          f"{res['environment']['load_average_end']} ===")
    print(f"load      {ld['rows']:,} rows: {ld['seconds']:.2f} s, {ld['rows_per_second']:,.0f} rows/s, "
          f"peak {ld['peak_mb']:,.0f} MB, database {ld['db_mb']:,.0f} MB; CPU {ld['cpu_seconds']:.1f} s "
          f"({ld['rows_per_cpu_second']:,.0f} rows per CPU second)")
    sm = res["summary"]
    print(f"summary   whole process: median {sm['median']:.3f} s, worst {sm['worst']:.3f} s "
          f"(CPU {sm['cpu_median']:.3f} s)")
    print(f"app       peak memory {res['app']['peak_mb']:,.0f} MB")
    print(f"\n{'page':16} {'calls (ms) default':>26} {'calls (ms) ' + SERVICE:>20} {'AppTest (s)':>14} "
          f"{'warm (s)':>14}  load avg")
    print(f"{'':16} {'median':>9} {'worst':>7} {'CPU':>7} {'median':>9} {'worst':>10} {'default':>7} {SERVICE:>6} "
          f"{'default':>7} {SERVICE:>6}")
    for page, row in res["app"]["pages"].items():
        d, s = row["default"], row["service"]
        print(f"{Path(page).stem:16} {ms(d['calls']['median']):>9} {ms(d['calls']['worst']):>7} "
              f"{ms(d.get('calls_cpu', d['calls'])['median']):>7} "
              f"{ms(s['calls']['median']):>9} {ms(s['calls']['worst']):>10} "
              f"{d['apptest']['median']:7.2f} {s['apptest']['median']:6.2f} "
              f"{d.get('apptest_warm', {}).get('median', float('nan')):7.2f} "
              f"{s.get('apptest_warm', {}).get('median', float('nan')):6.2f}  {d.get('load_average', [''])[0]}")
    print(f"\n{'pandas baseline':22} {'duckdb ms':>10} {'pandas ms':>10} {'ratio':>7}  (duckdb: a page's recorded calls)")
    for k, v in res["baseline"].items():
        if isinstance(v, dict):
            duck = f"{ms(v['duckdb']['median']):>10}" if "duckdb" in v else f"{'-':>10}"
            ratio = f"{v['ratio']:7.1f}" if "ratio" in v else f"{'-':>7}"
            flag = "" if "ratio" not in v or v["ratio"] >= 10 else "  < 10x"
            print(f"{k:22} {duck} {ms(v['pandas']['median']):>10} {ratio}{flag}")
    print(f"(DataFrames read once in {res['baseline']['read_into_pandas_seconds']:.2f} s, not counted)")
    if res["app"].get("readers"):
        print("\nconcurrent readers (overview page's calls, own connection per page view):")
        for n, r in res["app"]["readers"].items():
            print(f"  {n:>2} threads: {r['pages_per_second']:6.1f} pages/s over {r['seconds']:.0f} s, "
                  f"{r['errors']} errors   [load {r['load_average']}]")


if __name__ == "__main__":
    sys.exit(main())
