"""Thematic dip samples (metrics.md "Repeat dip sample cycle") against a hand-worked fixture.

Period 2025-01 to 2025-03 (D = 2025-03-31, financial year 2024-25). Grade letters: O, G, R(I), I; '-' none.

id   theme          records (service grade met/total)                 first date   cycle
DS6  Domestic abuse  MASH G 6/6                                       2023-11-15   1 (not in period)
DS1  Re-referrals    MASH G 8/10, MASH I 3/10, AI O 9/10, AI - blank   2024-02-10   1
DS7  Neglect         MASH G 4/8                                       2024-03-05   1
DS4  Pre-birth       AI G 4/5, AI G 5/5                               2024-12-05   1 (id after DS3, date before)
DS3  Pre-birth       MASH G 5/5 (01-28), AI R 2/5 (01-20)              2025-01-20   2
DS2  Re-referrals    MASH G 9/10, MASH G 7/10, AI R 5/10, AI G 10/10    2025-02-11   2
DS5  Neglect         MASH - 0/0                                       2025-03-03   2
"""
import pytest
from streamlit.testing.v1 import AppTest

from analytics import dip_samples as ds
from analytics.database import Database
from analytics.filters import Filters
from conftest import load_csv_texts, ROOT

AUDITS = """\
audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade
AUD1,2025-01-06,AI,K1,CP,Team Manager,Good
AUD2,2025-03-10,AI,K2,CIN,Team Manager,Requires Improvement
"""
DIP = """\
dip_sample_id,theme,sample_date,service,child_ref,grade,criteria_met,criteria_total
DS6,Domestic abuse,2023-11-15,MASH,C60,Good,6,6
DS1,Re-referrals,2024-02-10,MASH,C11,Good,8,10
DS1,Re-referrals,2024-02-10,MASH,C12,Inadequate,3,10
DS1,Re-referrals,2024-02-12,AI,C13,Outstanding,9,10
DS1,Re-referrals,2024-02-12,AI,C14,,,
DS7,Neglect,2024-03-05,MASH,C70,Good,4,8
DS4,Pre-birth assessments,2024-12-05,AI,C41,Good,4,5
DS4,Pre-birth assessments,2024-12-06,AI,C42,Good,5,5
DS3,Pre-birth assessments,2025-01-28,MASH,C31,Good,5,5
DS3,Pre-birth assessments,2025-01-20,AI,C32,Requires Improvement,2,5
DS2,Re-referrals,2025-02-11,MASH,C21,Good,9,10
DS2,Re-referrals,2025-02-11,MASH,C22,Good,7,10
DS2,Re-referrals,2025-02-11,AI,C23,Requires Improvement,5,10
DS2,Re-referrals,2025-02-11,AI,C24,Good,10,10
DS5,Neglect,2025-03-03,MASH,C50,,0,0
"""
FINDINGS = """\
finding_id,dip_sample_id,finding_type,theme_tag,summary
F1,DS2,Strength,Voice of the child,
F2,DS2,Learning,Drift and delay,
F3,DS3,Learning,Drift and delay,
F4,DS4,Strength,Voice of the child,
F5,DS5,Strength,Direct work,
F6,DS1,Learning,Recording,
"""
Q1 = Filters("2025-01", "2025-03")


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "dip_samples.csv": DIP, "dip_sample_findings.csv": FINDINGS})
    return Database(path)


def rows(df, columns):
    return [tuple(r) for r in df[columns].itertuples(index=False)]


def test_cycles_are_ordered_by_first_date_with_changes_from_the_previous_cycle(db):
    with db.read() as con:
        got = ds.cycles(con, Q1)
    cols = ["theme", "cycle", "dip_sample_id", "n", "graded", "good", "criteria_met", "criteria_total", "in_period"]
    assert rows(got, cols) == [
        ("Neglect", 1, "DS7", 1, 1, 1, 4, 8, False),
        ("Neglect", 2, "DS5", 1, 0, 0, 0, 0, True),
        ("Pre-birth assessments", 1, "DS4", 2, 2, 2, 9, 10, False),     # dated before DS3: cycle 1
        ("Pre-birth assessments", 2, "DS3", 2, 2, 1, 7, 10, True),
        ("Re-referrals", 1, "DS1", 4, 3, 2, 20, 30, False),            # the ungraded, blank record counts in n only
        ("Re-referrals", 2, "DS2", 4, 4, 3, 31, 40, True),
    ]                                                                  # Domestic abuse: no cycle in the period
    by_id = got.set_index("dip_sample_id")
    expected = {  # good %, criteria %, change good, change criteria (points)
        "DS7": (100.0, 50.0, None, None),
        "DS5": (None, None, None, None),                              # nothing graded, 0 criteria: no % and no change
        "DS4": (100.0, 90.0, None, None),
        "DS3": (50.0, 70.0, -50.0, -20.0),
        "DS1": (200 / 3, 200 / 3, None, None),
        "DS2": (75.0, 77.5, 75 - 200 / 3, 77.5 - 200 / 3),              # +8.3 and +10.8 points
    }
    for ds_id, want in expected.items():
        row = by_id.loc[ds_id]
        got_values = (row["good_pct"], row["criteria_pct"], row["good_change_pts"], row["criteria_change_pts"])
        for g, w in zip(got_values, want):
            assert (g is None) if w is None else g == pytest.approx(w), (ds_id, got_values, want)
    assert by_id.loc["DS3", "first_date"].isoformat() == "2025-01-20"
    # Wilson interval of 1 of 2 graded records.
    assert by_id.loc["DS3", "good_ci_low"] == pytest.approx(9.4531, abs=1e-3)
    assert by_id.loc["DS3", "good_ci_high"] == pytest.approx(90.5469, abs=1e-3)


def test_a_service_filter_measures_each_cycle_on_that_services_records(db):
    with db.read() as con:
        got = ds.cycles(con, Filters("2025-01", "2025-03", services=("MASH",)))
    cols = ["theme", "cycle", "dip_sample_id", "graded", "good", "criteria_met", "criteria_total"]
    assert rows(got, cols) == [
        ("Neglect", 1, "DS7", 1, 1, 4, 8), ("Neglect", 2, "DS5", 0, 0, 0, 0),
        ("Pre-birth assessments", 1, "DS3", 1, 1, 5, 5),                # DS4 sampled no MASH record
        ("Re-referrals", 1, "DS1", 2, 1, 11, 20), ("Re-referrals", 2, "DS2", 2, 2, 16, 20)]
    by_id = got.set_index("dip_sample_id")
    assert by_id.loc["DS2", "good_change_pts"] == pytest.approx(50.0)      # 100% - 50%
    assert by_id.loc["DS2", "criteria_change_pts"] == pytest.approx(25.0)  # 80% - 55%
    assert by_id.loc["DS3", "good_change_pts"] is None


def test_the_schedule_shows_done_and_due_as_on_d(db):
    with db.read() as con:
        march = ds.schedule(con, Q1)
        february = ds.schedule(con, Filters("2025-01", "2025-02"))
    cols = ["month", "theme", "status", "dip_sample_id"]
    assert rows(march, cols) == [
        ("2024-11", "Domestic abuse", "Due", None),            # none in Nov 2024; Nov 2023 sampled it
        ("2024-12", "Pre-birth assessments", "Done", "DS4"),
        ("2025-01", "Pre-birth assessments", "Done", "DS3"),
        ("2025-02", "Re-referrals", "Done", "DS2"),
        ("2025-03", "Neglect", "Done", "DS5")]
    assert march.loc[march["dip_sample_id"] == "DS3", "records"].item() == 2
    # On 2025-02-28 the March sample has not happened: March is due, from March 2024 (DS7).
    assert rows(february, cols)[-1] == ("2025-03", "Neglect", "Due", None)
    assert ds.financial_year_label(Q1.end) == "2024-25"


def test_page_figures_are_the_three_reads_in_one_query(db):
    import pandas as pd
    for f in (Q1, Filters("2025-01", "2025-03", services=("AI",)), Filters("2019-01", "2019-02")):
        with db.read() as con:
            got = ds.page_figures(con, f)
            want = {"schedule": ds.schedule(con, f), "cycles": ds.cycles(con, f), "findings": ds.findings(con, f)}
        assert set(got) == set(want)
        for key, frame in want.items():
            pd.testing.assert_frame_equal(got[key], frame)
    assert len(want["findings"]) == 0 and len(got["schedule"]) == 0      # (the last: a period with nothing)


def test_findings_by_theme_tag_from_the_cycles_of_the_period(db):
    with db.read() as con:
        got = ds.findings(con, Q1)
        ai = ds.findings(con, Filters("2025-01", "2025-03", services=("AI",)))
    cols = ["theme_tag", "strengths", "learning", "findings", "cycles"]
    # F4 (DS4, begun December) and F6 (DS1) are outside the period.
    assert rows(got, cols) == [("Drift and delay", 0, 2, 2, 2), ("Direct work", 1, 0, 1, 1),
                               ("Voice of the child", 1, 0, 1, 1)]
    assert rows(ai, cols) == [("Drift and delay", 0, 2, 2, 2), ("Voice of the child", 1, 0, 1, 1)]  # DS5: MASH only


def test_table_text_shows_ranges_under_20_and_signed_changes():
    assert ds.pct_text(50.0, 9.4531, 90.5469, 2) == "50.0% (9.5%–90.5%)"
    assert ds.pct_text(50.0, 40.0, 60.0, 20) == "50.0%"
    assert ds.pct_text(None, None, None, 0) == "–"
    assert ds.change_text(75 - 200 / 3) == "+8.3 pts"
    assert ds.change_text(-50.0) == "-50.0 pts"


def test_the_page_shows_the_schedule_and_cycles(db, monkeypatch):
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(db.path.parent))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/dip_samples.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Dip samples done this year"] == "4"
    assert metrics["Themes still due (from last year's schedule)"] == "1"
    with db.read() as con:
        want = ds.cycle_table(ds.cycles(con, Q1))
    tables = [t.value for t in at.dataframe]
    shown = next(t for t in tables if "Change (good or better)" in t.columns)
    assert shown["% good or better"].tolist() == want["% good or better"].tolist()
    assert shown["% good or better"].tolist() == ["100.0% (20.7%–100.0%)", "–", "100.0% (34.2%–100.0%)",
                                                  "50.0% (9.5%–90.5%)", "66.7% (20.8%–93.9%)",
                                                  "75.0% (30.1%–95.4%)"]
    assert shown["Change (criteria met)"].tolist() == ["–", "–", "–", "-20.0 pts", "–", "+10.8 pts"]
    assert "Drift and delay" in next(t for t in tables if "theme_tag" in t.columns)["theme_tag"].tolist()


def test_the_page_on_an_empty_database_says_so(tmp_path, monkeypatch):
    Database(tmp_path / "qa.duckdb").initialise()
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/dip_samples.py").run()
    assert not at.exception, at.exception
    assert any("No data yet" in i.value for i in at.info)
