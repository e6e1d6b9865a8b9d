"""Benchmark: ``qa-dashboard load`` of 100,000 audits + 700,000 pillar rows into a new database,
then ``qa-dashboard summary`` over it, each timed as a whole process.

    .venv/bin/python benchmarks/load_and_summary.py [--audits 100000] [--seed 1] [--out benchmarks/out]
                                                    [--load-runs 3] [--summary-runs 5]

Prints a table and writes the figures to OUT/load_and_summary-<utc time>.json (and OUT/latest.json).
Each command is a child process reaped with os.wait4, so its peak RSS (ru_maxrss) and CPU time are
that process's own, not a maximum over every child this script has run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import gen_data  # noqa: E402


def cli_path() -> str:
    """The installed entry point next to this interpreter (the project's venv), else on PATH."""
    local = Path(sys.executable).parent / "qa-dashboard"
    return str(local) if local.exists() else "qa-dashboard"


def clean_env() -> dict:
    """No developer database or configuration leaks into the measurement."""
    env = dict(os.environ)
    for k in ("QA_DASHBOARD_DB", "QA_DASHBOARD_CONFIG"):
        env.pop(k, None)
    return env


def run_measured(argv: list[str], cwd: Path) -> dict:
    """Run argv as a child process; wall seconds, peak RSS (MB), CPU seconds, exit code, output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=clean_env(), stdout=out, stderr=err)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)   # reaped here: keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    return {
        "wall_seconds": wall,
        "peak_rss_mb": ru.ru_maxrss / 1024,                    # Linux: kilobytes
        "cpu_user_seconds": ru.ru_utime,
        "cpu_system_seconds": ru.ru_stime,
        "exit_code": proc.returncode,
        "stdout": stdout,
        "stderr": stderr,
    }


def stored_counts(db: Path) -> dict:
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("audits", "audit_pillars")}
    finally:
        con.close()


def analytics_fingerprint() -> str:
    """sha256 over analytics/*.py, so figures can be matched to the code measured (uncommitted edits too)."""
    import hashlib
    h = hashlib.sha256()
    for path in sorted((ROOT / "analytics").glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Time qa-dashboard load and summary on synthetic contract CSVs.")
    p.add_argument("--audits", type=int, default=100_000, help="audits to generate (7 pillar rows each)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=HERE / "out")
    p.add_argument("--load-runs", type=int, default=3,
                   help="loads to time, each into a new database (the median is reported)")
    p.add_argument("--summary-runs", type=int, default=5)
    a = p.parse_args(argv)
    if a.load_runs < 1 or a.summary_runs < 1:
        p.error("--load-runs and --summary-runs must be at least 1")

    out = a.out.resolve()
    data_dir = out / f"data-{a.audits}-seed{a.seed}"
    db = out / f"bench-{a.audits}-seed{a.seed}.duckdb"
    cli = cli_path()

    print(f"generating {a.audits} audits (seed {a.seed}) in {data_dir} ...", flush=True)
    gen = gen_data.write_files(a.audits, a.seed, data_dir)
    files = gen["files"]
    total_rows = sum(f["rows"] for f in files.values())

    load_avg_before = os.getloadavg()
    loads = []
    for i in range(a.load_runs):
        for leftover in (db, db.with_name(db.name + ".wal"), db.with_name(db.name + ".lock")):
            leftover.unlink(missing_ok=True)                   # always a NEW database
        print(f"load {i + 1}/{a.load_runs} ...", flush=True)
        r = run_measured([cli, "load", files["audits"]["path"], files["audit_pillars"]["path"], "--db", str(db)],
                         cwd=ROOT)
        if r["exit_code"] != 0:
            print(r["stdout"], r["stderr"], sep="\n", file=sys.stderr)
            print(f"load failed with exit code {r['exit_code']}", file=sys.stderr)
            return 1
        counts = stored_counts(db)
        expected = {"audits": files["audits"]["rows"], "audit_pillars": files["audit_pillars"]["rows"]}
        if counts != expected:
            print(f"stored rows {counts} differ from the files' {expected}", file=sys.stderr)
            return 1
        loads.append(r)
    load = sorted(loads, key=lambda r: r["wall_seconds"])[len(loads) // 2]   # the median run

    print(f"summary x{a.summary_runs} ...", flush=True)
    runs = []
    for _ in range(a.summary_runs):
        r = run_measured([cli, "summary", "--db", str(db)], cwd=ROOT)
        if r["exit_code"] != 0:
            print(r["stderr"], file=sys.stderr)
            return 1
        figures = json.loads(r["stdout"])
        if figures["audits"]["count"] != expected["audits"]:
            print(f"summary counted {figures['audits']['count']} audits, expected {expected['audits']}",
                  file=sys.stderr)
            return 1
        runs.append(r)
    walls = [r["wall_seconds"] for r in runs]

    result = {
        "benchmark": "load_and_summary",
        "when_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "params": {"audits": a.audits, "seed": a.seed, "load_runs": a.load_runs,
                   "summary_runs": a.summary_runs},
        "environment": {
            "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "duckdb": __import__("duckdb").__version__, "pyarrow": __import__("pyarrow").__version__,
            "git_commit": git_commit(), "analytics_fingerprint": analytics_fingerprint(),
            "load_average_before": load_avg_before, "load_average_after": os.getloadavg(),
        },
        "files": {k: {"rows": f["rows"], "mb": f["bytes"] / 1e6} for k, f in files.items()},
        "generate_seconds": gen["generate_seconds"] + gen["write_seconds"],
        "load": {
            "rows": total_rows,
            "runs": len(loads),
            "wall_seconds": load["wall_seconds"],               # median run
            "each_wall_seconds": [r["wall_seconds"] for r in loads],
            "each_peak_rss_mb": [r["peak_rss_mb"] for r in loads],
            "best_rows_per_second": total_rows / min(r["wall_seconds"] for r in loads),
            "rows_per_second": total_rows / load["wall_seconds"],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in loads),
            "cpu_seconds": load["cpu_user_seconds"] + load["cpu_system_seconds"],
            "db_mb": db.stat().st_size / 1e6,
            "stdout": load["stdout"].strip().splitlines(),
        },
        "summary": {
            "runs": len(runs),
            "median_seconds": statistics.median(walls),
            "worst_seconds": max(walls),
            "best_seconds": min(walls),
            "each_seconds": walls,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        },
    }

    L, S = result["load"], result["summary"]
    rows = [
        ("rows loaded (audits + pillars)", f"{total_rows:,}"),
        ("CSV size (MB)", f"{sum(f['bytes'] for f in files.values()) / 1e6:.1f}"),
        (f"load wall, median of {L['runs']} (s)", f"{L['wall_seconds']:.2f}"),
        ("load wall, each run (s)", " ".join(f"{w:.2f}" for w in L["each_wall_seconds"])),
        ("load rows/s (median run)", f"{L['rows_per_second']:,.0f}"),
        ("load rows/s (best run)", f"{L['best_rows_per_second']:,.0f}"),
        ("load peak RSS, worst run (MB)", f"{L['peak_rss_mb']:.0f}"),
        ("load CPU user+sys, median run (s)", f"{L['cpu_seconds']:.2f}"),
        ("database size (MB)", f"{L['db_mb']:.1f}"),
        (f"summary median of {S['runs']} (s)", f"{S['median_seconds']:.3f}"),
        (f"summary worst of {S['runs']} (s)", f"{S['worst_seconds']:.3f}"),
        ("summary peak RSS (MB)", f"{S['peak_rss_mb']:.0f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    la = result["environment"]["load_average_before"][0]
    if la > 0.5:
        print(f"  note: the machine's 1-minute load average was {la:.1f} before the run "
              f"({os.cpu_count()} CPUs): other work may have slowed it\n")
    for k, v in rows:
        print(f"  {k:<{width}}  {v:>18}")

    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"load_and_summary-{stamp}.json"
    text = json.dumps(result, indent=1)
    path.write_text(text + "\n")
    (out / "latest.json").write_text(text + "\n")
    print(f"\nfigures saved to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
