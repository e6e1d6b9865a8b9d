"""The floor under `qa-dashboard load`: plain DuckDB reading the same CSVs straight into tables of a new
database file (its own CSV reader and type guesses; no checks, no problem report, no derived tables, no
snapshot or atomic publishing), as the measure of how far the load's own work is from the engine's.

    .venv/bin/python benchmarks/load_floor.py [--scale stress] [--seed 1] [--runs 3]

Uses the files `run.py` generated (benchmarks/out/data-<scale>-seed<seed>/, made if missing) and prints
the median run's rows per second, wall and CPU seconds.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def plain_load(files: list[Path], db: Path) -> tuple[int, float, float]:
    """(rows, wall seconds, CPU seconds) of one plain load of ``files`` into the new database ``db``."""
    wall, cpu = time.perf_counter(), time.process_time()
    con = duckdb.connect(str(db))
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute("BEGIN TRANSACTION")
        rows = 0
        for f in files:
            con.execute(f"CREATE TABLE {f.stem} AS SELECT * FROM read_csv(?, header = true)", [str(f)])
            rows += con.execute(f"SELECT count(*) FROM {f.stem}").fetchall()[0][0]
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return rows, time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", default="stress", choices=["tiny", "county", "region", "stress"])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args(argv)
    data = HERE / "out" / f"data-{a.scale}-seed{a.seed}"
    if not data.exists():
        import gen_data
        gen_data.write_scale(a.scale, a.seed, data)
    files = sorted(data.glob("*.csv"))
    runs = []
    with tempfile.TemporaryDirectory(dir=HERE / "out") as tmp:
        for i in range(a.runs):
            runs.append(plain_load(files, Path(tmp) / f"plain-{i}.duckdb"))
    rows, wall, cpu = sorted(runs, key=lambda r: r[1])[len(runs) // 2]
    print(f"plain DuckDB, {a.scale}: {rows:,} rows in {wall:.2f} s (CPU {cpu:.1f} s) = {rows / wall:,.0f} rows/s "
          f"(runs: {', '.join(f'{r[1]:.2f}' for r in runs)} s; median {statistics.median(r[1] for r in runs):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
