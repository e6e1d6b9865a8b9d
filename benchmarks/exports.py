"""Benchmark: the QPRM slide pack and the monthly infographic for the demo data's latest full month, each
timed as a whole ``qa-dashboard export`` process (start-up and chromium included), as the analyst runs them.

    .venv/bin/python benchmarks/exports.py [--runs 3] [--month YYYY-MM] [--out benchmarks/out]

Targets: pack under 20 s, infographic under 5 s. Prints a table and writes
OUT/exports-<utc time>.json. The demo database is built once in a temporary folder (seed 1).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGETS = {"pack": 20.0, "infographic png": 5.0, "infographic pdf": 5.0}


def cli() -> list[str]:
    local = Path(sys.executable).parent / "qa-dashboard"
    return [str(local)] if local.exists() else [sys.executable, "-m", "analytics.cli"]


def run(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cli() + args, check=True, env=env, cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--month", help="default: the demo's last month with audits, less one (a full month)")
    p.add_argument("--out", default=str(HERE / "out"))
    args = p.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("QA_DASHBOARD_DB", "QA_DASHBOARD_CONFIG")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        subprocess.run(cli() + ["demo", "--db", str(db)], check=True, env=env, cwd=ROOT, capture_output=True)
        month = args.month
        if month is None:
            out = subprocess.run(cli() + ["summary", "--db", str(db)], check=True, env=env, cwd=ROOT,
                                 capture_output=True, text=True).stdout
            months = sorted(json.loads(out)["by_month"])
            month = months[-2]
        jobs = {"pack": ["export", "pack", "--out", f"{tmp}/pack.pptx"],
                "infographic png": ["export", "infographic", "--out", f"{tmp}/infographic.png"],
                "infographic pdf": ["export", "infographic", "--out", f"{tmp}/infographic.pdf"]}
        load_before = os.getloadavg()
        times = {name: [run(job + ["--db", str(db), "--month", month], env) for _ in range(args.runs)]
                 for name, job in jobs.items()}
        load_after = os.getloadavg()
    print(f"month {month}, {args.runs} runs each, load average {load_before[0]:.1f} -> {load_after[0]:.1f}")
    print(f"{'export':<18}{'median s':>10}{'worst s':>10}{'target s':>10}  ")
    result = {"month": month, "runs": args.runs, "load_before": load_before, "load_after": load_after,
              "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "figures": {}}
    for name, ts in times.items():
        med, worst = statistics.median(ts), max(ts)
        ok = "ok" if med < TARGETS[name] else "OVER TARGET"
        print(f"{name:<18}{med:>10.2f}{worst:>10.2f}{TARGETS[name]:>10.1f}  {ok}")
        result["figures"][name] = {"median_s": med, "worst_s": worst, "runs_s": ts, "target_s": TARGETS[name]}
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / f"exports-{stamp}.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
