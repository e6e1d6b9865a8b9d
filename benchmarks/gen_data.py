"""Synthetic contract CSVs for the benchmarks: ``audits.csv`` and ``audit_pillars.csv``.

Everything is vectorised with numpy and pyarrow (no Python loop per row) and
deterministic for a given seed and size. Column names and order follow the
declarations in ``analytics/datasets.py``; pillars and cohorts come from
``analytics/config.py`` DEFAULTS, so the files are what a council would load.

Run alone:  .venv/bin/python benchmarks/gen_data.py --audits 100000 --seed 1 --out benchmarks/out/data
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analytics.config import DEFAULTS  # noqa: E402  (read-only use of the declarations)
from analytics.datasets import get  # noqa: E402

GRADES = [g["label"] for g in DEFAULTS["grades"]]          # best first: rank 1..4
PILLARS = list(DEFAULTS["pillars"])                          # 7
SERVICES = ["MASH", "AI", "CF", "PT", "DCS", "IRSS"]
SERVICE_P = [0.12, 0.26, 0.28, 0.16, 0.10, 0.08]
TEAMS_PER_SERVICE = 4
COHORTS = ["CIN", "CP", "CIC", "Court"]
COHORT_P = [0.38, 0.27, 0.30, 0.05]
ROLES = ["Team Manager", "Service Manager"]
ROLE_P = [0.75, 0.25]
AGE_BANDS = ["0-4", "5-9", "10-15", "16-17", "18+"]
AGE_P = [0.22, 0.24, 0.34, 0.14, 0.06]
GENDERS = ["Female", "Male", "Other"]
GENDER_P = [0.48, 0.50, 0.02]
ETHNICITY = ["White", "Mixed", "Asian or Asian British", "Black or Black British", "Other ethnic group"]
ETHNICITY_P = [0.70, 0.10, 0.09, 0.07, 0.04]
AUDITOR_GRADE_P = [0.08, 0.52, 0.31, 0.09]                  # Outstanding, Good, RI, Inadequate

FIRST_DAY = np.datetime64("2016-01-01")
LAST_AUDIT_DAY = np.datetime64("2026-08-31")                 # + up to 30 + 30 days stays before 2026-11-01
LAST_ALLOWED = np.datetime64("2026-10-31")

MODERATED_SHARE = 0.90
BENCHMARKED_SHARE_OF_MODERATED = 0.03
PILLAR_MODERATED_SHARE = 0.97                                # of the pillars of a moderated audit


def _pick(rng: np.random.Generator, labels: list[str], p: list[float] | None, n: int) -> pa.Array:
    """n labels drawn with probabilities p, as a string array (numpy draw, pyarrow take)."""
    idx = rng.choice(len(labels), size=n, p=p)
    return pa.array(labels, type=pa.string()).take(pa.array(idx))


def _null_where(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    """arr with nulls where mask is True (nulls are written as empty CSV fields)."""
    return pc.if_else(pa.array(~mask), arr, pa.scalar(None, arr.type))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(numbers.astype(np.int64)).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]")).cast(pa.string())   # YYYY-MM-DD


def _yn(rng: np.random.Generator, n: int, p_yes: float, p_blank: float = 0.0) -> pa.Array:
    u = rng.random(n)
    arr = pa.array(np.where(u < p_yes, "Y", "N"), type=pa.string())
    if p_blank:
        arr = _null_where(arr, rng.random(n) < p_blank)
    return arr


def _drift(rng: np.random.Generator, rank: np.ndarray, p_change: float) -> np.ndarray:
    """A second opinion on a 1..4 rank: same with 1 - p_change, else one step (mostly down)."""
    step = rng.choice([-1, 1], size=rank.size, p=[0.35, 0.65])
    changed = rng.random(rank.size) < p_change
    return np.clip(rank + np.where(changed, step, 0), 1, 4)


def generate(n_audits: int, seed: int) -> tuple[pa.Table, pa.Table]:
    """(audits, audit_pillars) as string tables in the declared column order."""
    rng = np.random.default_rng(seed)
    n = n_audits
    grades = pa.array(GRADES, type=pa.string())

    # Audit dates, sorted so that ids run in date order like a real register.
    span = int((LAST_AUDIT_DAY - FIRST_DAY).astype(int)) + 1
    audit_day = FIRST_DAY + np.sort(rng.integers(0, span, size=n))
    month = audit_day.astype("datetime64[M]").astype(str)            # '2016-01' (vectorised in numpy)
    audit_id = pc.binary_join_element_wise(
        "CAR-", pc.replace_substring(pa.array(month), "-", ""), "-",
        pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), width=7, padding="0"), "")

    service_idx = rng.choice(len(SERVICES), size=n, p=SERVICE_P)
    service = pa.array(SERVICES).take(pa.array(service_idx))
    team_no = rng.integers(1, TEAMS_PER_SERVICE + 1, size=n)
    team = pc.binary_join_element_wise(service, pa.array(team_no).cast(pa.string()), " \u2013 Team ")

    auditor_rank = rng.choice(4, size=n, p=AUDITOR_GRADE_P) + 1
    moderated = rng.random(n) < MODERATED_SHARE
    moderated_rank = _drift(rng, auditor_rank, 0.22)
    moderated_day = audit_day + rng.integers(1, 31, size=n)
    benchmarked = moderated & (rng.random(n) < BENCHMARKED_SHARE_OF_MODERATED)
    benchmarked_rank = _drift(rng, moderated_rank, 0.15)
    benchmarked_day = moderated_day + rng.integers(1, 31, size=n)
    assert benchmarked_day.max() <= LAST_ALLOWED

    audits = pa.table({
        "audit_id": audit_id,
        "audit_date": _dates(audit_day),
        "service": service,
        "team": team,
        "child_ref": _ids("C", rng.integers(100000, 1000000, size=n), 6),
        "cohort": _pick(rng, COHORTS, COHORT_P, n),
        "auditor_id": _ids("S", rng.integers(1, 401, size=n), 4),
        "auditor_role": _pick(rng, ROLES, ROLE_P, n),
        "practitioner_id": _ids("S", rng.integers(401, 1601, size=n), 4),
        "auditor_grade": grades.take(pa.array(auditor_rank - 1)),
        "moderated_grade": _null_where(grades.take(pa.array(moderated_rank - 1)), ~moderated),
        "moderated_date": _null_where(_dates(moderated_day), ~moderated),
        "benchmarked_grade": _null_where(grades.take(pa.array(benchmarked_rank - 1)), ~benchmarked),
        "benchmarked_date": _null_where(_dates(benchmarked_day), ~benchmarked),
        "child_views_sought": _yn(rng, n, 0.82),
        "family_views_sought": _yn(rng, n, 0.88),
        "exemplar": _yn(rng, n, 0.03),
        "child_age_band": _pick(rng, AGE_BANDS, AGE_P, n),
        "child_gender": _pick(rng, GENDERS, GENDER_P, n),
        "child_ethnicity_group": _pick(rng, ETHNICITY, ETHNICITY_P, n),
        "child_disability": _yn(rng, n, 0.12, p_blank=0.02),
    })

    # Seven pillar rows per audit, each graded near the audit's own grades.
    k = len(PILLARS)
    rep = np.repeat(np.arange(n), k)
    p_auditor = _drift(rng, auditor_rank[rep], 0.30)
    p_moderated = _drift(rng, p_auditor, 0.18)
    p_has_mod = moderated[rep] & (rng.random(n * k) < PILLAR_MODERATED_SHARE)
    pillars = pa.table({
        "audit_id": audit_id.take(pa.array(rep)),
        "pillar": pa.array(PILLARS).take(pa.array(np.tile(np.arange(k), n))),
        "auditor_grade": grades.take(pa.array(p_auditor - 1)),
        "moderated_grade": _null_where(grades.take(pa.array(p_moderated - 1)), ~p_has_mod),
    })

    for table, name in ((audits, "audits"), (pillars, "audit_pillars")):
        assert table.column_names == get(name).column_names, name
    return audits, pillars


def write_csv(table: pa.Table, path: Path) -> int:
    """Header, then rows quoted only where needed (as Excel writes them); returns bytes written.

    pyarrow's writer quotes every string or none, and one pillar holds a comma, so the
    Arrow table is handed to an in-memory DuckDB (no copy) whose CSV writer quotes minimally
    and keeps the row order.
    """
    import duckdb
    con = duckdb.connect()
    try:
        con.register("t", table)
        con.execute(f"COPY t TO '{path}' (HEADER, DELIMITER ',', QUOTE '\"', NULLSTR '')")
    finally:
        con.close()
    return path.stat().st_size


def write_files(n_audits: int, seed: int, out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    audits, pillars = generate(n_audits, seed)
    t1 = time.perf_counter()
    files = {}
    for table, name in ((audits, "audits"), (pillars, "audit_pillars")):
        path = out_dir / f"{name}.csv"
        files[name] = {"path": str(path), "rows": table.num_rows, "bytes": write_csv(table, path)}
    t2 = time.perf_counter()
    return {"files": files, "generate_seconds": t1 - t0, "write_seconds": t2 - t1}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--audits", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "data")
    a = p.parse_args(argv)
    info = write_files(a.audits, a.seed, a.out)
    for name, f in info["files"].items():
        print(f"{f['path']}: {f['rows']} rows, {f['bytes'] / 1e6:.1f} MB")
    print(f"generated in {info['generate_seconds']:.2f} s, written in {info['write_seconds']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
