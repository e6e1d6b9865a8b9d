"""The demo: deterministic synthetic data for every dataset, loaded through the real loader, with designed signals."""
import re

import numpy as np
import pandas as pd
import pytest

from analytics.datasets import DATASETS
from analytics.demo import DEMO_END, DEMO_USER, generate, write_files
from conftest import run_cli

SEED = 1


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One generation and one demo build (over a small earlier demo database, which it must replace)."""
    from analytics.database import Database
    from analytics.loader import load_files
    from analytics.readers import SourceFile
    root = tmp_path_factory.mktemp("demo")
    db = root / "demo.duckdb"
    old = SourceFile("audits.csv", b"audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade\n"
                                   b"OLD1,2025-03-04,AI,C1,CP,Team Manager,Good\n")
    assert load_files(Database(db), [old], user=DEMO_USER).ok
    code, out, err = run_cli("demo", "--db", db, "--seed", SEED, "--write-files", root / "files")
    assert code == 0, err
    return {"frames": generate(SEED), "db": db, "files": root / "files", "out": out, "root": root}


def rows(db, table, order):
    from analytics.database import Database
    with Database(db).read() as con:
        return con.execute(f'SELECT * EXCLUDE (_load_id) FROM "{table}" ORDER BY {order}').fetchall()


def query(db, sql, params=()):
    from analytics.database import Database
    with Database(db).read() as con:
        return con.execute(sql, list(params)).fetchall()


# --- determinism and shape --------------------------------------------------------------------------
def test_the_same_seed_gives_identical_data_and_files(demo, tmp_path):
    again = generate(SEED)
    assert list(again) == list(demo["frames"])
    for name, frame in demo["frames"].items():
        pd.testing.assert_frame_equal(frame, again[name])
    # The files the command wrote are byte for byte what this generation writes.
    for path in write_files(again, tmp_path):
        assert path.read_bytes() == (demo["files"] / path.name).read_bytes(), path.name


def test_a_different_seed_gives_different_data(demo):
    other = generate(SEED + 1)
    assert not other["audits"].equals(demo["frames"]["audits"])
    assert not other["feedback"].equals(demo["frames"]["feedback"])


def test_every_dataset_has_rows_and_exactly_its_declared_columns(demo):
    frames = demo["frames"]
    assert list(frames) == [d.name for d in DATASETS]
    for ds in DATASETS:
        assert list(frames[ds.name].columns) == ds.column_names, ds.name
        assert len(frames[ds.name]) > 0, ds.name
        assert not frames[ds.name].isin(["NaT", "nan", "None", ""]).any().any(), ds.name
    assert sorted(p.name for p in demo["files"].iterdir()) == sorted(f"{d.name}.csv" for d in DATASETS)


def test_things_that_happened_lie_on_or_before_the_end_of_the_demo_period(demo):
    end = DEMO_END.isoformat()
    for ds in DATASETS:
        frame = demo["frames"][ds.name]
        for col in ds.columns:
            if col.kind == "date" and not col.planned:
                values = frame[col.name].dropna()
                assert (values <= end).all(), (ds.name, col.name, values.max())
    # A planned date may be later: some learning actions are due after it, one intervention is still to come.
    assert (demo["frames"]["interventions"]["start_date"] > end).any()


def test_no_free_text_names_a_child(demo):
    child = re.compile(r"\bC\d{6}\b")
    for name, frame in demo["frames"].items():
        for col in frame.columns:
            if col != "child_ref":
                assert not frame[col].dropna().astype(str).str.contains(child).any(), (name, col)


# --- through the loader ---------------------------------------------------------------------------
def test_the_demo_command_prints_rows_per_dataset_and_marks_the_database(demo):
    line = demo["out"].strip()
    assert "\n" not in line and f"(seed {SEED})" in line
    for name, frame in demo["frames"].items():
        assert f"{name} {len(frame)}" in line
    loads = query(demo["db"], "SELECT DISTINCT load_id, loaded_by FROM load_history")
    assert loads == [(1, DEMO_USER)]          # a fresh database: the earlier demo was replaced, not added to
    assert query(demo["db"], "SELECT count(*) FROM audits WHERE audit_id = 'OLD1'") == [(0,)]


def test_written_files_load_back_into_an_identical_database_with_no_warning(demo, tmp_path):
    copy = tmp_path / "council.duckdb"
    code, out, err = run_cli("load", "--db", copy, *sorted(demo["files"].iterdir()))
    assert code == 0, err
    assert "warning" not in err and "notice" not in err, err
    for name, frame in demo["frames"].items():
        assert f"{name}.csv -> {name}: {len(frame)} rows, {len(frame)} inserted" in out
    for ds in DATASETS:
        order = ", ".join(f'"{k}"' for k in ds.key)
        assert rows(copy, ds.name, order) == rows(demo["db"], ds.name, order), ds.name


def test_the_demo_never_replaces_a_database_that_is_not_a_demo(tmp_path):
    from analytics.database import Database
    council = tmp_path / "qa.duckdb"
    Database(council).initialise()
    before = council.read_bytes()
    code, out, err = run_cli("demo", "--db", council)
    assert code == 1 and "not a demo database" in err
    assert council.read_bytes() == before
    assert run_cli("demo", "--db", tmp_path / "new.duckdb", "--seed", -1)[0] == 1
    assert not (tmp_path / "new.duckdb").exists()
    junk = tmp_path / "notes.duckdb"
    junk.write_text("not a database")
    assert run_cli("demo", "--db", junk)[0] == 1
    assert junk.read_text() == "not a database"


# --- the designed signals --------------------------------------------------------------------------
def test_auditors_are_a_little_more_generous_than_moderators(demo):
    from analytics.filters import Filters
    from analytics.metrics import moderation
    from analytics.database import Database
    with Database(demo["db"]).read() as con:
        m = moderation(con, Filters("2023-11", "2026-10"))
    assert m["net_drift"] > 0.05
    assert 70 <= m["agreement_pct"] <= 85
    assert m["downgraded"] > m["upgraded"] > 0


def test_only_the_latest_months_audits_are_provisional(demo):
    got = query(demo["db"], "SELECT audit_month, count(*) FROM audits_final WHERE provisional GROUP BY 1")
    assert [m for m, _ in got] == ["2026-10"] and got[0][1] > 10
    benchmarked = query(demo["db"], "SELECT count(*), count(*) FILTER (benchmarked_grade <> moderated_grade) "
                                    "FROM audits WHERE benchmarked_grade IS NOT NULL")[0]
    assert benchmarked[0] >= 5 * 30 and benchmarked[1] > 0


def test_the_voice_of_the_child_training_shows_in_its_pillar(demo):
    from analytics.database import Database
    from analytics.impact import impact
    with Database(demo["db"]).read() as con:
        result = {r["intervention_id"]: r for r in impact(con, window=6)["interventions"]}
    voice = result["INT01"]
    assert voice["target"] == "Voice and lived experience of the child"
    assert voice["difference_pts"] > 15 and voice["p_value"] < 0.01 and not voice["too_little_evidence"]
    assert result["INT05"]["difference_pts"] > 10
    assert result["INT07"]["too_little_evidence"]


def test_repeat_dip_samples_improve_on_the_lived_experience_of_the_child(demo):
    cycles = query(demo["db"], """SELECT dip_sample_id, sum(criteria_met) / sum(criteria_total) FROM dip_samples
        WHERE theme = 'The lived experience of the child' GROUP BY 1 ORDER BY min(sample_date)""")
    assert len(cycles) == 3
    assert cycles[0][1] < cycles[1][1] and cycles[0][1] < cycles[2][1]


def xmr(values):
    """Centre and limits as metrics.md says (all points, outlier screening of moving ranges)."""
    y = np.asarray(values, float)
    mr = np.abs(np.diff(y))
    mean_mr = mr[mr < 3.267 * mr.mean()].mean()
    return y.mean(), y.mean() - 2.66 * mean_mr, y.mean() + 2.66 * mean_mr


def series(db, code):
    return [v for (v,) in query(db, "SELECT value FROM kpi_values WHERE kpi_code = ? AND service = 'ALL' "
                                    "ORDER BY period_end", [code])]


def test_kpis_carry_real_special_cause_signals(demo):
    db = demo["db"]
    # CIC3PLACE: one outlier, December 2025, above the upper limit.
    y = series(db, "CIC3PLACE")
    _, _, upper = xmr(y)
    assert [i for i, v in enumerate(y) if v > upper] == [25]
    # REREF12: seven increases in a row.
    rises = np.diff(series(db, "REREF12")) > 0
    longest = max(len(run) for run in "".join("1" if r else "0" for r in rises).split("0"))
    assert longest >= 7
    # ASSESS45: a sustained shift up after the process change of April 2025 (index 17).
    y = series(db, "ASSESS45")
    centre, _, _ = xmr(y)
    assert np.mean(y[17:]) - np.mean(y[:17]) > 3
    assert all(v > centre for v in y[17:24]) and all(v < centre for v in y[:7])
    # CLEET: the target (55) lies above the upper limit, a consistent fail.
    assert xmr(series(db, "CLEET"))[2] < 55
    assert len(query(db, "SELECT DISTINCT service FROM kpi_values")) > 1
    assert query(db, "SELECT DISTINCT comparator FROM kpi_benchmarks ORDER BY 1") == [
        ("England",), ("Statistical neighbours",)]


def test_the_learning_loop_has_work_to_chase(demo):
    db = demo["db"]
    end = DEMO_END
    overdue, stale = query(db, """SELECT count(*) FILTER (due_date < ?),
        count(*) FILTER (last_reviewed_date IS NULL OR last_reviewed_date < ? - 90)
        FROM learning_actions WHERE status IN ('Not started', 'In progress')""", [end, end])[0]
    assert overdue > 0 and stale > 0
    sources = {s for (s,) in query(db, "SELECT DISTINCT source FROM learning_actions")}
    assert len(sources) >= 12
    missing, late = query(db, """SELECT count(*) FILTER (f.audit_id IS NULL),
        count(*) FILTER (f.reflective_meeting_date > a.audit_date + 20)
        FROM audits_final a LEFT JOIN audit_followups f USING (audit_id) WHERE a.final_rank >= 3""")[0]
    assert missing > 0 and late > 0
    channels = {c for (c,) in query(db, "SELECT DISTINCT channel FROM feedback")}
    assert channels == {"SFF under 13", "SFF 13 plus", "Email", "MOMO", "Other"}
    # Some staff in post have had fewer than two observations in the last twelve months.
    behind = query(db, """SELECT count(*) FROM staff s WHERE role IN ('Social Worker', 'Family Practitioner')
        AND start_date <= ? - 365 AND (end_date IS NULL OR end_date >= ?)
        AND (SELECT count(*) FROM observations o WHERE o.staff_id = s.staff_id AND observed_date > ? - 365) < 2""",
                   [end, end, end])[0][0]
    assert behind > 0
