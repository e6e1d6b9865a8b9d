"""A loader killed (SIGKILL) at any point of a large load leaves a database that opens, reads whole,
and holds everything from before the load or everything after it, never a mix.

Kill times are spread over the whole run (start-up, reading, validation, upsert, checkpoint,
publishing). QA_CRASH_KILLS sets how many (the default keeps the suite fast).
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analytics.database import Database
from analytics.datasets import DATASETS

ROOT = Path(__file__).resolve().parents[1]
KILLS = int(os.environ.get("QA_CRASH_KILLS", "10"))
N_AUDITS = int(os.environ.get("QA_CRASH_AUDITS", "10000"))
PILLARS = ["Assessment and analysis", "Planning and review"]


def write_files(folder: Path) -> list[Path]:
    grades = ["Outstanding", "Good", "Requires Improvement", "Inadequate"]
    services = ["MASH", "AI", "CF", "PT", "DCS", "IRSS"]
    audits = ["audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade"]
    pillars = ["audit_id,pillar,auditor_grade"]
    for i in range(N_AUDITS):
        day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
        audits.append(f"B{i},{day},{services[i % 6]},C{i},CP,Team Manager,{grades[i % 4]}")
        pillars += [f"B{i},{p},{grades[(i + j) % 4]}" for j, p in enumerate(PILLARS)]
    # An update of the one audit already stored, so "after" differs from "before" in an existing row too.
    audits.append("A1,2025-01-02,AI,C1,CP,Team Manager,Inadequate")
    out = [folder / "audits_big.csv", folder / "audit_pillars_big.csv"]
    out[0].write_text("\n".join(audits) + "\n")
    out[1].write_text("\n".join(pillars) + "\n")
    return out


def state(path: Path):
    """Open, check and read every table whole (DuckDB verifies each block's checksum as it reads it);
    returns a fingerprint of the contents (load times left out)."""
    assert not path.with_name(path.name + ".wal").exists()
    with Database(path).read() as con:
        print_ = {}
        for ds in DATASETS:
            print_[ds.name] = con.execute(f'SELECT count(*), sum(hash(t)) FROM "{ds.name}" t').fetchall()[0]
        print_["load_history"] = con.execute(
            "SELECT count(*), sum(hash(load_id, file_name, dataset, inserted, updated, unchanged, removed)) "
            "FROM load_history").fetchall()[0]
        print_["load_changes"] = con.execute("SELECT count(*), sum(hash(t)) FROM load_changes t").fetchall()[0]
        con.execute("SELECT count(*) FROM audits_final").fetchall()
        con.execute("SELECT count(*) FROM audit_pillars_final").fetchall()
    return print_


def loader(db: Path, files: list[Path]) -> subprocess.Popen:
    code = "import sys; from analytics.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, "load", "--db", str(db), *map(str, files)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crash")
    files = write_files(folder)
    base = folder / "base.duckdb"
    (folder / "a1.csv").write_text("audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade\n"
                                   "A1,2025-01-02,AI,C1,CP,Team Manager,Good\n")
    proc = loader(base, [folder / "a1.csv"])
    assert proc.wait() == 0
    after = folder / "after.duckdb"
    shutil.copyfile(base, after)
    started = time.monotonic()
    proc = loader(after, files)
    assert proc.wait() == 0
    duration = time.monotonic() - started
    return folder, files, base, state(base), state(after), duration


def test_a_killed_load_leaves_all_before_or_all_after(world, tmp_path):
    folder, files, base, before, after, duration = world
    assert before != after
    rng = random.Random(os.environ.get("QA_CRASH_SEED", "9"))
    outcomes = {"before": 0, "after": 0}
    mid_write = []   # kills that left an unpublished generation behind: they landed inside the write
    for i in range(KILLS):
        db = tmp_path / f"qa{i}.duckdb"
        shutil.copyfile(base, db)
        proc = loader(db, files)
        # Spread over the whole run and a little past it.
        time.sleep(duration * 1.1 * (i + rng.random()) / KILLS)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = state(db)
        assert now in (before, after), f"kill {i} left a mix of before and after"
        outcomes["before" if now == before else "after"] += 1
        if list(tmp_path.glob(f".{db.name}.*.new")):
            mid_write.append(db)
    print(f"\n{KILLS} kills over a {duration:.1f} s load: {outcomes}, {len(mid_write)} inside the write")
    assert outcomes["before"] >= 1 and mid_write
    # The next load after a kill runs normally and clears the killed writer's unpublished generation.
    db = mid_write[0]
    proc = loader(db, files)
    assert proc.wait() == 0
    assert state(db) == after
    assert not list(tmp_path.glob(f".{db.name}.*"))
