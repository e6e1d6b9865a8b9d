"""The performance benchmark (benchmarks/run.py) at a tiny scale, so that its code cannot rot.

The real runs (county, region, stress) are not tests: they take minutes and their figures depend on the
machine. This runs every step on a few hundred audits and checks the JSON it saves.
"""
import json
import os
import subprocess
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import gen_data  # noqa: E402


def test_generator_is_deterministic_and_follows_the_contract(tmp_path):
    from analytics.datasets import DATASETS
    a = gen_data.generate_all(300, seed=3, years=2)
    b = gen_data.generate_all(300, seed=3, years=2)
    assert set(a) == {d.name for d in DATASETS}
    for name, table in a.items():
        assert table.equals(b[name]), name
    assert a["audits"].num_rows == 300 and a["audit_pillars"].num_rows == 300 * 7
    # 40 KPIs x 7 series (six services and ALL) x every month of the two years
    assert a["kpi_values"].num_rows == 40 * 7 * 24
    assert gen_data.generate_all(300, seed=4, years=2)["audits"] != a["audits"]


def test_benchmark_runs_at_a_tiny_scale_and_saves_its_figures(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--scale", "tiny", "--out", str(tmp_path),
         "--runs", "1", "--summary-runs", "1", "--readers", "1,2", "--reader-seconds", "0.5",
         "--pages", "overview,kpis"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((tmp_path / "latest-tiny.json").read_text())
    rows = sum(f["rows"] for f in res["files"].values())
    assert res["load"]["rows"] == rows and res["load"]["rows_per_second"] > 0 and res["load"]["peak_mb"] > 0
    assert res["summary"]["audits_in_period"] == 600          # every audit: the summary's default period is all
    assert set(res["app"]["pages"]) == {"pages/overview.py", "pages/kpis.py"}
    for page, row in res["app"]["pages"].items():
        for label in ("default", "service"):
            assert row[label]["n_calls"] > 0 and row[label]["calls"]["median"] > 0
            assert row[label]["apptest"]["median"] > 0
            assert row[label]["apptest_warm"]["median"] > 0   # the same page again, timed too
            if page == "pages/kpis.py":                        # its figures are cached: no analytics call
                assert row[label]["n_calls_warm"] == 0
    assert {k: v["errors"] for k, v in res["app"]["readers"].items()} == {"1": 0, "2": 0}
    assert all(v["pages"] > 0 for v in res["app"]["readers"].values())
    assert {"summary/default", "overview/default", "summary/service", "overview/service"} <= set(res["baseline"])
    assert "scale tiny" in proc.stdout and "pages/s" in proc.stdout
    assert not list(tmp_path.glob("*.duckdb"))                # the database is deleted unless --keep
