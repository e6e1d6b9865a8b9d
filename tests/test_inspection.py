"""The inspection pool (metrics.md) and the exemplars, against a fixture worked out by hand.

Period 2025-01 to 2025-09: D = 2025-09-30, so the default 6-month pool window is 2025-04-01 to 2025-09-30.
Grade letters: O Outstanding, G Good, R Requires Improvement, I Inadequate.
"""

import pytest

from analytics import inspection as ins
from analytics.config import Config, load_config
from analytics.database import Database
from analytics.filters import Filters
from conftest import load_csv_texts, open_app_page, use_council_db

# id   date        svc   child cohort age    final (how)             exemplar   in the pool?
# P01  2025-03-15  CF    K01   CP     5-9    G                       Y          no: before the window (K01 has P02)
# P02  2025-05-10  CF    K01   CP     5-9    R                                  yes, K01's latest
# P03  2025-06-01  CF    K02   CIN    10-15  G                                  no: K02 has a later audit
# P04  2025-08-20  PT    K02   CIC    10-15  O                       Y          yes, K02's latest (now PT, CIC)
# P05  2025-03-31  AI    K03   CP     0-4    I                                  no: a day before the window
# P06  2025-04-01  AI    K04   CP     0-4    G (auditor: provisional)           yes, the window's first day
# P07  2025-09-30  MASH  K05   CIN    16-17  I                                  yes, on D
# P08  2025-10-01  MASH  K05   CIN    16-17  G                                  no: after D
# P09  2025-07-07  AI    K06   Court  10-15  R                                  no: same day as P10, smaller id
# P10  2025-07-07  AI    K06   Court  10-15  O (benchmarked over G)  Y          yes
# P11  2025-09-15  DCS   K07   CP     -      G                       Y          yes, age band not recorded
AUDITS = """\
audit_id,audit_date,service,team,child_ref,cohort,child_age_band,auditor_id,auditor_role,auditor_grade,moderated_grade,benchmarked_grade,exemplar
P01,2025-03-15,CF,CF 1,K01,CP,5-9,S1,Team Manager,Good,Good,,Y
P02,2025-05-10,CF,CF 1,K01,CP,5-9,S1,Team Manager,Requires Improvement,Requires Improvement,,
P03,2025-06-01,CF,CF 2,K02,CIN,10-15,S2,Team Manager,Good,Good,,N
P04,2025-08-20,PT,PT 1,K02,CIC,10-15,S3,Service Manager,Outstanding,Outstanding,,Y
P05,2025-03-31,AI,AI 1,K03,CP,0-4,S4,Team Manager,Inadequate,Inadequate,,
P06,2025-04-01,AI,AI 1,K04,CP,0-4,S4,Team Manager,Good,,,
P07,2025-09-30,MASH,MASH 1,K05,CIN,16-17,S5,Team Manager,Inadequate,Inadequate,,
P08,2025-10-01,MASH,MASH 1,K05,CIN,16-17,S5,Team Manager,Good,Good,,N
P09,2025-07-07,AI,AI 2,K06,Court,10-15,S6,Team Manager,Requires Improvement,Requires Improvement,,
P10,2025-07-07,AI,AI 2,K06,Court,10-15,S6,Team Manager,Good,Good,Outstanding,Y
P11,2025-09-15,DCS,DCS 1,K07,CP,,S7,Team Manager,Good,Good,,Y
"""
V = "Voice and lived experience of the child"
D = "Direct work and relationships"
PILLARS = f"""\
audit_id,pillar,auditor_grade,moderated_grade
P04,{V},Outstanding,
P04,{D},Good,Outstanding
P10,{D},Outstanding,
P10,{V},Outstanding,Good
"""
PERIOD = Filters("2025-01", "2025-09")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("inspection") / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "audit_pillars.csv": PILLARS})
    return path


def test_window_is_whole_months_to_d():
    assert [str(d) for d in ins.window(PERIOD, Config())] == ["2025-04-01", "2025-09-30"]
    # The period's start plays no part; February has 28 days.
    assert [str(d) for d in ins.window(Filters("2025-02", "2025-02"), Config())] == ["2024-09-01", "2025-02-28"]


def test_pool_is_the_latest_audit_of_each_child_in_the_window(con):
    pool = ins.pool(con, PERIOD, Config())
    # Cohorts in configured order CIN, CP, CIC, Court; within a cohort the lowest grade first, then newest.
    assert list(pool["child_ref"]) == ["K05", "K01", "K07", "K04", "K02", "K06"]
    assert dict(zip(pool["child_ref"], pool["audit_id"])) == {
        "K01": "P02",   # not P01 (before the window)
        "K02": "P04",   # not P03 (older)
        "K04": "P06",   # on the window's first day
        "K05": "P07",   # on D; P08 is after D
        "K06": "P10",   # same day as P09: the larger id
        "K07": "P11",
    }                   # K03's only audit (P05) is a day before the window
    row = pool.set_index("child_ref")
    assert row.loc["K02", "service"] == "PT" and row.loc["K02", "cohort"] == "CIC"
    assert row.loc["K06", "final_grade"] == "Outstanding"             # benchmarked grade
    assert row.loc["K07", "child_age_band"] == "Not recorded"
    assert list(row.index[row["provisional"]]) == ["K04"]


def test_pool_counts_by_cohort_service_and_age_band(con):
    pool = ins.pool(con, PERIOD, Config())
    by_cohort = ins.pool_matrix(ins.pool_counts(pool, Config(), "cohort"), "cohort")
    assert by_cohort.to_dict("records") == [
        {"Cohort": "CIN", "Outstanding": 0, "Good": 0, "Requires Improvement": 0, "Inadequate": 1, "Total": 1,
         "Provisional": 0},                                                   # K05
        {"Cohort": "CP", "Outstanding": 0, "Good": 2, "Requires Improvement": 1, "Inadequate": 0, "Total": 3,
         "Provisional": 1},                                                   # K04 (prov.) K07 G, K01 R
        {"Cohort": "CIC", "Outstanding": 1, "Good": 0, "Requires Improvement": 0, "Inadequate": 0, "Total": 1,
         "Provisional": 0},                                                   # K02
        {"Cohort": "Court", "Outstanding": 1, "Good": 0, "Requires Improvement": 0, "Inadequate": 0, "Total": 1,
         "Provisional": 0},                                                   # K06
    ]
    by_service = ins.pool_matrix(ins.pool_counts(pool, Config(), "service"), "service").set_index("Service")
    assert list(by_service.index) == ["MASH", "AI", "CF", "PT", "DCS"]     # configured order
    assert dict(by_service["Total"]) == {"MASH": 1, "AI": 2, "CF": 1, "PT": 1, "DCS": 1}
    assert by_service.loc["AI", "Outstanding"] == 1 and by_service.loc["AI", "Good"] == 1
    by_age = ins.pool_matrix(ins.pool_counts(pool, Config(), "child_age_band"), "child_age_band").set_index("Age band")
    assert dict(by_age["Total"]) == {"0-4": 1, "5-9": 1, "10-15": 2, "16-17": 1, "Not recorded": 1}
    assert by_age.loc["10-15", "Outstanding"] == 2 and by_age.loc["0-4", "Provisional"] == 1
    long = ins.pool_counts(pool, Config(), "cohort")
    assert len(long) == 4 * 4 and long["n"].sum() == 6


def test_filters_pick_children_by_their_latest_audit(con):
    def refs(**kw):
        return sorted(ins.pool(con, Filters("2025-01", "2025-09", **kw), Config())["child_ref"])
    assert refs(services=("CF",)) == ["K01"]          # K02's latest audit is in PT now
    assert refs(services=("PT",)) == ["K02"]
    assert refs(cohorts=("CIN",)) == ["K05"]          # K02 was CIN in June, CIC in August
    assert refs(teams=("AI 2",)) == ["K06"]
    assert refs(auditor_roles=("Service Manager",)) == ["K02"]
    assert refs(scope=("CF",)) == ["K01", "K02"]      # out of scope, P04 is unseen: K02's latest seen is P03
    assert refs(services=("IRSS",)) == []


def test_configured_window_from_a_toml_file(con, tmp_path):
    path = tmp_path / "council.toml"
    path.write_text("inspection_pool_months = 3\n")
    config = load_config(path)
    assert [str(d) for d in ins.window(PERIOD, config)] == ["2025-07-01", "2025-09-30"]
    pool = ins.pool(con, PERIOD, config)
    # K01 (05-10) and K04 (04-01) fall out; K02, K05, K06, K07 stay.
    assert sorted(pool["child_ref"]) == ["K02", "K05", "K06", "K07"]
    # An earlier D moves the window: to 2025-06, 3 months is April to June.
    june = ins.pool(con, Filters("2025-01", "2025-06"), config)
    assert dict(zip(june["child_ref"], june["audit_id"])) == {"K01": "P02", "K02": "P03", "K04": "P06"}


def test_exemplars_in_the_period(con):
    ex = ins.exemplars(con, PERIOD, Config())
    # Marked Y, newest first; P01 counts (March is in the period) though it is outside the pool window.
    assert list(ex["audit_id"]) == ["P11", "P04", "P10", "P01"]
    pillars = dict(zip(ex["audit_id"], ex["outstanding_pillars"]))
    # Final pillar grade = moderated else auditor; configured pillar order (Voice before Direct work).
    assert pillars["P04"] == f"{V}; {D}"
    assert pillars["P10"] == D                          # Voice moderated down to Good
    assert pillars["P11"] is None or pillars["P11"] != pillars["P11"]   # none (null)
    assert ins.exemplars(con, Filters("2025-04", "2025-09", services=("AI",)), Config())["audit_id"].tolist() == ["P10"]
    assert ins.exemplars(con, Filters("2025-10", "2025-10"), Config()).empty    # P08 is marked N


# --- the page ------------------------------------------------------------------------------------
@pytest.fixture
def page_dir(tmp_path, monkeypatch, db):
    return use_council_db(db, tmp_path, monkeypatch)


def open_page(**query):
    return open_app_page("pages/inspection.py", **query)


def metric(at, label):
    return [m.value for m in at.metric if m.label == label]


def frame(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_page_shows_the_pool_and_exemplars(page_dir, db):
    at = open_page(period=["2025-03", "2025-09"])
    shown = Filters("2025-03", "2025-09")     # the slider offers the months with audits: March to October
    with Database(db).read() as c:
        pool = ins.pool(c, shown, Config())
        ex = ins.exemplars(c, shown, Config())
    assert metric(at, "Children in the pool") == [str(len(pool))] == ["6"]
    assert metric(at, "Graded good or better") == ["4"]                 # K02 K06 O, K04 K07 G
    assert metric(at, "Provisional") == ["1", "0"]                      # pool K04; no provisional exemplar
    assert metric(at, "Exemplars in the period") == [str(len(ex))] == ["4"]
    matrix = frame(at, "Total")
    assert matrix.to_dict("records") == ins.pool_matrix(ins.pool_counts(pool, Config(), "cohort"), "cohort").to_dict(
        "records")
    table = frame(at, "Child ref")
    assert list(table["Child ref"]) == ["K05", "K01", "K07", "K04", "K02", "K06"]
    assert list(frame(at, "Pillars graded Outstanding")["Audit"]) == ["P11", "P04", "P10", "P01"]
    # Breaking down by age band redraws the counts.
    at.radio(key="pool_by").set_value("child_age_band").run()
    assert dict(zip(frame(at, "Total")["Age band"], frame(at, "Total")["Total"])) == {
        "0-4": 1, "5-9": 1, "10-15": 2, "16-17": 1, "Not recorded": 1}
    # The in-page grade filter narrows the list.
    at.multiselect(key="pool_grade").set_value(["Outstanding"]).run()
    assert list(frame(at, "Child ref")["Child ref"]) == ["K02", "K06"]


def test_page_follows_the_url_service_filter(page_dir):
    at = open_page(period=["2025-03", "2025-09"], service="CF")
    assert metric(at, "Children in the pool") == ["1"]
    assert metric(at, "Exemplars in the period") == ["1"]                # P01


def test_page_with_an_empty_pool(page_dir):
    at = open_page(period=["2025-03", "2025-09"], service="IRSS")
    infos = " ".join(i.value for i in at.info)
    assert "No child has an audit" in infos and "No audit in the period is marked" in infos


def test_page_on_an_empty_database(empty_council_db):
    at = open_page()
    assert any("No audits" in i.value for i in at.info)
