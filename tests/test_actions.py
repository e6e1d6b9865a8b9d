"""The Learning Action Tracker (metrics.md "Learning loop") and the reflective activities, hand-worked.

Q1 = 2025-01 to 2025-03, D = 2025-03-31. Days are D minus the date.

id   source          theme      svc   raised      due         status       completed   last reviewed  on D
A1   Audit           Voice      AI    2025-01-05  2025-02-05  In progress                2025-01-20     open, overdue, 85 d
A2   Audit           Voice      AI    2025-01-10  2025-04-30  Not started                               open, 80 d
A3   Dip Sample      Drift      MASH  2025-01-02  2025-03-01  Complete     2025-02-20                   done on time
A4   Dip Sample      Drift      ALL   2025-02-01  2025-02-15  Complete     2025-03-10                   done late
A5   Complaint       Recording  AI    2025-03-20  2025-03-25  Complete     2025-04-15                   open (done after D),
                                                                                                        overdue, 11 d
A6   Complaint       Recording  MASH  2025-02-10  2025-03-10  Closed                                    finished (Closed)
A7   CSPR            Voice      ALL   2025-03-01              In progress                               open, no due date, 30 d
A8   Audit           Drift      CF    2024-12-15  2025-01-15  In progress                               open, overdue, 106 d,
                                                                                                        never reviewed (106)
A10  Team Spotlight  Voice      PT    2024-12-20  2025-06-01  In progress               2024-12-30     101 d, review 91 d ago
A11  Rapid Review    Drift      PT    2024-12-02  2025-05-01  In progress               2025-04-05     119 d, reviewed after D
A12  Team Spotlight  Voice      PT    2024-12-20  2025-06-01  In progress               2024-12-31     101 d, review 90 d ago
A13  Ofsted          Voice      ALL   2024-09-01  2024-12-01  In progress               2025-03-15     211 d, overdue
"""
import json

import pytest
from streamlit.testing.v1 import AppTest

from analytics import actions as la
from analytics.database import Database
from analytics.filters import Filters
from conftest import load_csv_texts, ROOT, run_cli

AUDITS = """\
audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade
AUD1,2025-01-06,AI,K1,CP,Team Manager,Good
AUD2,2025-03-10,AI,K2,CIN,Team Manager,Requires Improvement
"""
ACTIONS = """\
action_id,source,source_ref,theme,service,owner_role,raised_date,due_date,status,completed_date,last_reviewed_date
A1,Audit,AUD1,Voice,AI,Team Manager,2025-01-05,2025-02-05,In progress,,2025-01-20
A2,Audit,AUD1,Voice,AI,Team Manager,2025-01-10,2025-04-30,Not started,,
A3,Dip Sample,DS1,Drift,MASH,QA team,2025-01-02,2025-03-01,Complete,2025-02-20,2025-02-20
A4,Dip Sample,DS1,Drift,,QA team,2025-02-01,2025-02-15,Complete,2025-03-10,
A5,Complaint,CMP1,Recording,AI,Service Manager,2025-03-20,2025-03-25,Complete,2025-04-15,
A6,Complaint,CMP2,Recording,MASH,Service Manager,2025-02-10,2025-03-10,Closed,,
A7,CSPR,CSPR1,Voice,ALL,PSW,2025-03-01,,In progress,,
A8,Audit,AUD0,Drift,CF,Team Manager,2024-12-15,2025-01-15,In progress,,
A10,Team Spotlight,TS1,Voice,PT,Head of Service,2024-12-20,2025-06-01,In progress,,2024-12-30
A11,Rapid Review,RR1,Drift,PT,Head of Service,2024-12-02,2025-05-01,In progress,,2025-04-05
A12,Team Spotlight,TS1,Voice,PT,Head of Service,2024-12-20,2025-06-01,In progress,,2024-12-31
A13,Ofsted,OF1,Voice,,Director,2024-09-01,2024-12-01,In progress,,2025-03-15
"""
ACTIVITIES = """\
activity_id,activity_date,level,kind,service,theme,audit_id
R1,2025-01-10,Practitioner,Supervision discussion,AI,Voice,AUD1
R2,2025-01-20,Practitioner,Supervision discussion,AI,,AUD2
R3,2025-02-05,Team,Reflective circle,MASH,Drift,
R4,2025-02-15,Service,Learning event,CF,,
R5,2025-03-01,Team,Reflective circle,AI,,AUD1
R6,2024-12-20,Practitioner,Supervision discussion,AI,Voice,AUD0
"""
Q1 = Filters("2025-01", "2025-03")


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "learning_actions.csv": ACTIONS,
                        "reflective_activities.csv": ACTIVITIES})
    return Database(path)


def rows(df, columns):
    return [tuple(None if v != v else v for v in r) for r in df[columns].itertuples(index=False)]


def summary_actions(db, *args):
    code, out, err = run_cli("summary", "--db", db.path, *args)
    assert code == 0, err
    return json.loads(out)["learning_actions"]


def test_open_overdue_and_on_time_in_q1_equal_the_summary(db):
    with db.read() as con:
        got = la.headline(con, Q1)
    # Raised in Q1: A1-A7. Open: A1, A2, A5 (completed after D), A7. Overdue: A1, A5 (A7 has no due date).
    # Complete with a date: A3, A4, A5; on time: A3. A6 (Closed) counts in neither.
    assert got == {"raised": 7, "open": 4, "overdue": 2, "completed_on_time_pct": pytest.approx(100 / 3)}
    assert summary_actions(db, "--from", "2025-01", "--to", "2025-03") == {
        k: got[k] for k in ("open", "overdue", "completed_on_time_pct")}


def test_overdue_on_another_day(db):
    with db.read() as con:
        got = la.headline(con, Filters("2025-01", "2025-02"))
    # D = 2025-02-28, raised A1 A2 A3 A4 A6. A4 (done 03-10) is open and overdue (due 02-15) on that day.
    assert got == {"raised": 5, "open": 3, "overdue": 2, "completed_on_time_pct": 50.0}


def test_by_source_and_by_service(db):
    with db.read() as con:
        src = la.by(con, Q1, "source")
        svc = la.by(con, Q1, "service")
        ai = la.headline(con, Filters("2025-01", "2025-03", services=("AI",)))
    cols = ["raised", "open", "overdue", "completed", "completed_on_time", "on_time_pct"]
    assert rows(src, ["source", *cols]) == [
        ("Audit", 2, 2, 1, 0, 0, None), ("Complaint", 2, 1, 1, 1, 0, 0.0), ("Dip Sample", 2, 0, 0, 2, 1, 50.0),
        ("CSPR", 1, 1, 0, 0, 0, None)]
    assert rows(svc, ["service", *cols]) == [
        ("AI", 3, 3, 2, 1, 0, 0.0), ("ALL", 2, 1, 0, 1, 0, 0.0), ("MASH", 2, 0, 0, 1, 1, 100.0)]
    # A service filter leaves the organisation-wide (ALL) actions out, as the summary does.
    assert ai == {"raised": 3, "open": 3, "overdue": 2, "completed_on_time_pct": 0.0}
    assert summary_actions(db, "--from", "2025-01", "--to", "2025-03", "--service", "AI") == {
        "open": 3, "overdue": 2, "completed_on_time_pct": 0.0}
    # Wilson interval of 1 of 2 completed.
    dip = src.set_index("source").loc["Dip Sample"]
    assert (dip["on_time_ci_low"], dip["on_time_ci_high"]) == (pytest.approx(9.4531, abs=1e-3),
                                                               pytest.approx(90.5469, abs=1e-3))


def test_ageing_bands(db):
    with db.read() as con:
        q1 = la.ageing(con, Q1)
        wide = la.ageing(con, Filters("2024-09", "2025-03"))
    # Q1 open: A5 11 d (overdue), A7 30 d | A1 85 d (overdue), A2 80 d.
    assert rows(q1, ["age_band", "open", "overdue"]) == [
        ("0-30 days", 2, 1), ("31-90 days", 2, 1), ("91-180 days", 0, 0), ("Over 180 days", 0, 0)]
    # From 2024-09 also A8 106 d (overdue), A10 101, A11 119, A12 101 | A13 211 d (overdue).
    assert rows(wide, ["age_band", "open", "overdue"]) == [
        ("0-30 days", 2, 1), ("31-90 days", 2, 1), ("91-180 days", 4, 1), ("Over 180 days", 1, 1)]


def test_not_reviewed_for_over_90_days(db):
    with db.read() as con:
        q1 = la.not_reviewed(con, Q1)
        wide = la.not_reviewed(con, Filters("2024-09", "2025-03"))
    assert q1.empty   # every Q1 action is at most 85 days from its review or raising
    # A8 never reviewed, raised 106 days before D; A10 reviewed 91 days before; A12 exactly 90 (not over);
    # A11 reviewed after D (counts as reviewed); A13 reviewed 16 days before.
    assert rows(wide, ["action_id", "days_since_review", "overdue"]) == [("A8", 106, True), ("A10", 91, False)]
    assert wide["last_reviewed_date"].tolist()[1].isoformat() == "2024-12-30"


def test_flow_from_source_to_theme_to_state(db):
    with db.read() as con:
        flow = la.flow(con, Q1)
        stalls = la.stalls(con, Q1)
    assert sorted(rows(flow, ["source", "theme", "state", "n"])) == sorted([
        ("Audit", "Voice", "Overdue", 1), ("Audit", "Voice", "Open, not yet due", 1),
        ("Dip Sample", "Drift", "Completed on time", 1), ("Dip Sample", "Drift", "Completed late", 1),
        ("Complaint", "Recording", "Overdue", 1), ("Complaint", "Recording", "Closed", 1),
        ("CSPR", "Voice", "Open, not yet due", 1)])
    assert rows(stalls, ["theme", "raised", "open", "overdue"]) == [
        ("Voice", 3, 3, 1), ("Recording", 2, 1, 1), ("Drift", 2, 0, 0)]
    assert stalls["overdue_pct"].tolist() == [pytest.approx(100 / 3), 50.0, 0.0]


def test_reflective_activities_by_level_kind_and_month(db):
    with db.read() as con:
        acts = la.activities(con, Q1)
        levels = la.activity_totals(con, Q1)
        mash = la.activity_totals(con, Filters("2025-01", "2025-03", services=("MASH",)))
    assert rows(acts, ["month", "level", "kind", "activities", "linked_to_audit", "linked_to_theme",
                       "linked_to_either"]) == [
        ("2025-01", "Practitioner", "Supervision discussion", 2, 2, 1, 2),
        ("2025-02", "Service", "Learning event", 1, 0, 0, 0),
        ("2025-02", "Team", "Reflective circle", 1, 0, 1, 1),
        ("2025-03", "Team", "Reflective circle", 1, 1, 0, 1)]
    assert rows(levels, ["level", "activities", "linked_to_audit", "linked_to_theme", "linked_to_either",
                         "linked_to_audit_pct", "linked_to_theme_pct", "linked_to_either_pct"]) == [
        ("Practitioner", 2, 2, 1, 2, 100.0, 50.0, 100.0), ("Team", 2, 1, 1, 2, 50.0, 50.0, 100.0),
        ("Service", 1, 0, 0, 0, 0.0, 0.0, 0.0)]
    assert rows(mash, ["level", "activities"]) == [("Team", 1)]


def test_the_page_shows_the_summarys_figures(db, monkeypatch):
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(db.path.parent))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/actions.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    summary = summary_actions(db, "--from", "2025-01", "--to", "2025-03")   # the page's default period
    assert metrics["Open on 2025-03-31"] == str(summary["open"]) == "4"
    assert metrics["Overdue on 2025-03-31"] == str(summary["overdue"]) == "2"
    assert metrics["Completed on time"] == "33.3%"
    assert metrics["Actions raised in the period"] == "7"
    assert metrics["Open actions not reviewed for over 90 days on 2025-03-31"] == "0"
    assert metrics["Practitioner level"] == "2"
    at.selectbox(key="actions_pick_state").set_value("Overdue").run()
    assert not at.exception, at.exception
    picked = next(t.value for t in at.dataframe if "Age (days)" in t.value.columns)
    assert picked["Action"].tolist() == ["A1", "A5"]
    # plain headings, and a blank where an action has no completion date (never None)
    assert list(picked["Completed date"]) == ["", "2025-04-15"] and picked["Raised date"].map(type).eq(str).all()
    tables = [t.value for t in at.dataframe]
    by_source = next(t for t in tables if "source" in t.columns and "raised" in t.columns)
    assert by_source["% completed on time (95% range under 20)"].tolist() == [
        "–", "0.0% (0.0%–79.3%)", "50.0% (9.5%–90.5%)", "–"]


def test_the_page_on_an_empty_database_says_so(tmp_path, monkeypatch):
    Database(tmp_path / "qa.duckdb").initialise()
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/actions.py").run()
    assert not at.exception, at.exception
    assert any("No data yet" in i.value for i in at.info)


def test_the_actions_behind_a_figure(db):
    with db.read() as con:
        overdue = la.action_list(con, Q1, state="Overdue")
        audit = la.action_list(con, Q1, source="Audit")
        everything = la.action_list(con, Q1)
        org_wide = la.action_list(con, Q1, service="ALL")
    assert overdue["action_id"].tolist() == ["A1", "A5"]
    assert rows(audit, ["action_id", "state", "age_days"]) == [("A1", "Overdue", 85), ("A2", "Open, not yet due", 80)]
    assert sorted(everything["action_id"]) == ["A1", "A2", "A3", "A4", "A5", "A6", "A7"]
    assert org_wide["action_id"].tolist() == ["A4", "A7"]
    assert "impact_evidence" not in everything.columns   # free text stays out


@pytest.mark.parametrize("f", [Q1, Filters("2024-09", "2025-03"), Filters("2025-01", "2025-03", services=("MASH",)),
                               Filters("2030-01", "2030-02")])
def test_page_figures_equal_each_figure_alone(db, f):
    # The page takes every figure from page_figures (one grouped count); each must be its own function's.
    import pandas as pd
    with db.read() as con:
        got = la.page_figures(con, f)
        assert got["headline"] == la.headline(con, f)
        for key, want in (("by_source", la.by(con, f, "source")), ("by_service", la.by(con, f, "service")),
                          ("ageing", la.ageing(con, f)), ("not_reviewed", la.not_reviewed(con, f)),
                          ("flow", la.flow(con, f)), ("stalls", la.stalls(con, f)),
                          ("activities", la.activities(con, f)), ("activity_totals", la.activity_totals(con, f))):
            pd.testing.assert_frame_equal(got[key], want)
