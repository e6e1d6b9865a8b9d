"""The performance benchmark (benchmarks/run.py) at a tiny scale, so that its code cannot rot.

The real runs (county, region, stress) are not tests: they take minutes and their figures depend on the
machine. This runs every step on a few hundred audits and checks the JSON it saves.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import gen_data  # noqa: E402
import run  # noqa: E402


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
    for key in ("overview/default", "overview/service"):     # a page's pandas time beside its recorded calls
        row, page = res["baseline"][key], res["app"]["pages"]["pages/overview.py"][key.split("/")[1]]
        assert row["duckdb"] == page["calls"] and row["ratio"] == row["pandas"]["median"] / page["calls"]["median"]
    assert "scale tiny" in proc.stdout and "pages/s" in proc.stdout
    assert not list(tmp_path.glob("*.duckdb"))                # the database is deleted unless --keep


def test_load_floor_stores_every_generated_row(tmp_path):
    import load_floor
    files = gen_data.write_scale("tiny", 1, tmp_path / "data")["files"]
    rows, wall, cpu = load_floor.plain_load(sorted(Path(f["path"]) for f in files.values()), tmp_path / "p.duckdb")
    assert rows == sum(f["rows"] for f in files.values()) and wall > 0


# --- the pandas baselines equal the library --------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    """The tiny scale loaded as the benchmark loads it."""
    out = tmp_path_factory.mktemp("tiny")
    files = gen_data.write_scale("tiny", 1, out / "data")["files"]
    db = out / "tiny.duckdb"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("QA_DASHBOARD_CONFIG", None)
    subprocess.run([sys.executable, "-m", "analytics.cli", "load", "--db", str(db), *[f["path"] for f in files.values()]],
                   check=True, capture_output=True, env=env, cwd=ROOT, timeout=300)
    return db


@pytest.fixture(scope="module")
def tiny_frames(tiny_db):
    from analytics.database import Database
    with Database(tiny_db).read() as con:
        return {m.__name__: m.frames(con) for m in run.baseline_modules()}


CHECKED = [(m.__name__, page) for m in run.baseline_modules() for page in m.CHECKS]


def test_every_page_baseline_has_its_check():
    for m in run.baseline_modules():
        assert set(m.PAGES) == set(m.CHECKS), m.__name__
    assert {"overview", "trends", "pillars", "explorer", "equality", "moderation", "followup", "inspection",
            "data", "publish"} <= {page for _, page in CHECKED}


@pytest.mark.parametrize("module, page", CHECKED)
@pytest.mark.parametrize("service", [None, run.SERVICE])
def test_each_pandas_baseline_gives_the_library_figures(tiny_db, tiny_frames, module, page, service):
    import importlib
    from analytics.config import Config
    from analytics.database import Database
    mod = importlib.import_module(module)
    with Database(tiny_db).read() as con:
        mod.CHECKS[page](con, tiny_frames[module], run.bench_filters(con, service), Config())


def test_a_baseline_that_computes_something_else_fails_its_check(tiny_db, tiny_frames, monkeypatch):
    import baseline_audit_pages as b
    from analytics.config import Config
    from analytics.database import Database
    real = b.headline_of
    monkeypatch.setattr(b, "headline_of", lambda df, config: real(df[df["final_rank"] != 4], config))
    with Database(tiny_db).read() as con, pytest.raises(AssertionError):
        b.CHECKS["overview"](con, tiny_frames["baseline_audit_pages"], run.bench_filters(con, None), Config())
