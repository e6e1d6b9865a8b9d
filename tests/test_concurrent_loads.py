"""Loading while the dashboard is open: readers in other processes never see an error or a half-loaded state."""
import json
import os
import subprocess
import sys
import textwrap
import time

from conftest import ROOT

PILLARS = ["Voice and lived experience of the child", "Assessment and analysis", "Planning and review",
           "Direct work and relationships", "Management oversight and supervision",
           "Working with family and partners", "Identity, equality and diversity"]

READER = textwrap.dedent("""
    import json, sys, os, time
    from analytics.database import Database
    from analytics.config import Config
    from analytics.filters import Filters
    from analytics.metrics import summary
    path, stop = sys.argv[1], sys.argv[2]
    while not os.path.exists(stop):
        try:
            with Database(path).read() as con:
                audits = con.execute("SELECT count(*) FROM audits").fetchone()[0]
                pillars = con.execute("SELECT count(*) FROM audit_pillars").fetchone()[0]
                loads = con.execute("SELECT count(DISTINCT load_id) FROM load_history").fetchone()[0]
                figures = summary(con, Filters(), Config())
            print(json.dumps({"audits": audits, "pillars": pillars, "loads": loads,
                              "summary_count": figures["audits"]["count"]}), flush=True)
        except Exception as exc:  # any error a reader sees fails the test
            print(json.dumps({"error": repr(exc)}), flush=True)
    """)


def batch(tmp_path, k, n=15):
    """Files for load k: n new audits and their seven pillar rows each."""
    audits = ["audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade,moderated_grade"]
    pillars = ["audit_id,pillar,auditor_grade"]
    for i in range(n):
        aid = f"A{k:02d}{i:03d}"
        audits.append(f"{aid},2025-0{1 + k % 9}-1{i % 9},AI,C{k:02d}{i:04d},CP,Team Manager,Good,"
                      f"{'Inadequate' if i % 3 == 0 else 'Good'}")
        pillars += [f"{aid},\"{p}\",Good" for p in PILLARS]
    a, p = tmp_path / f"audits_{k}.csv", tmp_path / f"audit_pillars_{k}.csv"
    a.write_text("\n".join(audits) + "\n")
    p.write_text("\n".join(pillars) + "\n")
    return a, p


def cli(*args):
    return subprocess.Popen([sys.executable, "-m", "analytics.cli", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_readers_see_each_load_whole_while_loads_run(tmp_path):
    db = tmp_path / "qa.duckdb"
    first = cli("load", "--db", db, *batch(tmp_path, 0))
    assert first.wait(60) == 0, first.stderr.read()

    stop = tmp_path / "stop"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        time.sleep(1.5)
        # Loads from the CLI, two at a time: they queue on the write lock rather than collide.
        for k in (1, 3, 5):
            writers = [cli("load", "--db", db, *batch(tmp_path, k)), cli("load", "--db", db, *batch(tmp_path, k + 1))]
            for w in writers:
                assert w.wait(120) == 0, w.stderr.read()
            time.sleep(0.3)
        time.sleep(0.5)
    finally:
        stop.write_text("stop")
        outputs = [r.communicate(timeout=60) for r in readers]

    seen = set()
    for out, err in outputs:
        assert "Traceback" not in err, err
        lines = [json.loads(line) for line in out.splitlines()]
        assert len(lines) > 10
        for line in lines:
            assert "error" not in line, line
            # A whole load or none of it: seven pillar rows for every audit, the same count in summary.
            assert line["pillars"] == 7 * line["audits"], line
            assert line["audits"] == 15 * line["loads"], line
            assert line["summary_count"] == line["audits"], line
            seen.add(line["loads"])
    assert seen >= {1, 7}, seen          # saw the state before the loads and after all of them
    assert len(seen) >= 3, seen          # and states in between, each whole
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".new")], "no generation left behind"
