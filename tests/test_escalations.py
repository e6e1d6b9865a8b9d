"""Escalations and Need to Know against a hand-worked fixture.

Period 2025-01 to 2025-06, so D = 2025-06-30. metrics.md: open on D = raised <= D and (resolved blank or
resolved > D); days to resolve = resolved - raised, median over those raised in the period and resolved.
"""
import json

import pandas as pd
import pytest

from analytics import escalations as esc
from analytics import metrics
from analytics.filters import Filters
from conftest import load_csv_texts, open_app_page, shown_metric, use_council_db, run_cli

AUDITS = """\
audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade
A1,2025-01-08,AI,K1,CP,Team Manager,Good
A2,2025-06-12,CF,K2,CIN,Team Manager,Requires Improvement
"""
# id  raised      by        svc stage     themes                         resolved    days  open on 06-30 (age)
# E0  2024-11-01  IRO       AI  Informal  Drift and delay                -           -     yes (241), before period
# E1  2025-01-10  IRO       AI  Informal  Drift and delay; Placement     2025-01-20  10    no
# E2  2025-02-03  CP Chair  CF  Formal 1  Plan not progressed            2025-03-05  30    no
# E3  2025-03-20  IRO       PT  Formal 2  Drift and delay                2025-07-10  112   yes (102): resolved after D
# E4  2025-05-01  CP Chair  AI  Informal  Placement                      -           -     yes (60)
# E5  2025-06-16  IRO       CF  Informal  Drift and delay                2025-06-30  14    no: resolved ON D
# E6  2025-06-20  CP Chair  CF  Formal 1  Visits overdue                 -           -     yes (10)
# E7  2025-07-05  IRO       AI  Informal  Placement                      -           -     no: raised after D
ESCALATIONS = """\
escalation_id,raised_date,raised_by,service,team,child_ref,stage,themes,resolved_date,outcome
E0,2024-11-01,IRO,AI,,X0,Informal,Drift and delay,,
E1,2025-01-10,IRO,AI,,X1,Informal,Drift and delay; Placement,2025-01-20,Resolved
E2,2025-02-03,CP Chair,CF,,X2,Formal 1,Plan not progressed,2025-03-05,Resolved
E3,2025-03-20,IRO,PT,,X3,Formal 2,Drift and delay,2025-07-10,Escalated
E4,2025-05-01,CP Chair,AI,,X4,Informal,Placement,,
E5,2025-06-16,IRO,CF,,X5,Informal,Drift and delay,2025-06-30,Resolved
E6,2025-06-20,CP Chair,CF,,X6,Formal 1,Visits overdue,,
E7,2025-07-05,IRO,AI,,X7,Informal,Placement,,
"""
NTK = """\
ntk_id,notified_date,service,category,rapid_review,national_panel_notified
N0,2025-07-01,AI,Death of a child,Y,Y
N1,2025-01-15,CF,Serious injury,Y,Y
N2,2025-02-20,CF,Child missing,N,N
N3,2025-03-31,AI,Serious injury,Y,N
N4,2025-04-01,CF,Serious injury,,
N5,2025-06-10,PT,Exploitation,Y,N
"""
H1 = Filters("2025-01", "2025-06")
Q4, Q1 = "2024-25 Q4", "2025-26 Q1"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("escalations") / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "escalations.csv": ESCALATIONS, "need_to_know.csv": NTK})
    return path


def test_headline_by_hand(con):
    # Raised in the period E1-E6; open at the end of those: E3 E4 E6; resolved: 10 14 30 112 -> (14 + 30) / 2.
    assert esc.headline(con, H1) == {"raised": 6, "open_at_end": 3, "median_days_to_resolve": 22.0}
    assert esc.headline(con, H1) == metrics.escalations(con, H1)
    # CF: E2 30, E5 14 resolved; E6 open.
    assert esc.headline(con, Filters("2025-01", "2025-06", services=("CF",))) == {
        "raised": 3, "open_at_end": 1, "median_days_to_resolve": 22.0}
    assert esc.headline(con, Filters("2025-01", "2025-06", services=("IRSS",)))["median_days_to_resolve"] is None


@pytest.mark.parametrize("service", [None, "AI", "CF", "PT"])
def test_headline_equals_summary(db, con, service):
    args = ["summary", "--db", db, "--from", "2025-01", "--to", "2025-06"] + (["--service", service] if service else [])
    code, out, err = run_cli(*args)
    assert code == 0, err
    f = Filters("2025-01", "2025-06", services=(service,) if service else None)
    assert json.loads(out)["escalations"] == esc.headline(con, f)


def test_open_on_a_day_by_hand(con):
    o = esc.open_on(con, H1)
    assert list(o["escalation_id"]) == ["E0", "E3", "E4", "E6"]      # E5 resolved on D is not open
    assert dict(zip(o["escalation_id"], o["age_days"])) == {"E0": 241, "E3": 102, "E4": 60, "E6": 10}
    assert dict(zip(o["escalation_id"], o["raised_in_period"])) == {"E0": False, "E3": True, "E4": True, "E6": True}
    assert "child_ref" not in o.columns
    # On 2025-03-31: E0 (still open), E3 raised 03-20; E2 resolved 03-05 is not.
    march = esc.open_on(con, Filters("2025-03", "2025-03"))
    assert list(march["escalation_id"]) == ["E0", "E3"]
    assert list(march["age_days"]) == [150, 11]
    # On 2025-01-31: E1 resolved 01-20, so only E0.
    assert list(esc.open_on(con, Filters("2025-01", "2025-01"))["escalation_id"]) == ["E0"]
    assert list(esc.open_on(con, Filters("2025-01", "2025-06", services=("CF",)))["escalation_id"]) == ["E6"]


def test_open_by_age_bands(con):
    a = esc.open_by_age(con, H1)
    assert len(a) == 5 * 4 and a["n"].sum() == 4
    got = {(r.age_band, r.stage): r.n for r in a.itertuples() if r.n}
    assert got == {("0–14 days", "Formal 1"): 1, ("57–90 days", "Informal"): 1, ("over 90 days", "Informal"): 1,
                   ("over 90 days", "Formal 2"): 1}
    days = (0, 14, 15, 28, 29, 56, 57, 90, 91)
    assert [con.execute(f"SELECT {esc.band_sql('d')} FROM (SELECT ? AS d)", [d]).fetchone()[0] for d in days] == [
        "0–14 days", "0–14 days", "15–28 days", "15–28 days", "29–56 days", "29–56 days", "57–90 days",
        "57–90 days", "over 90 days"]


def test_raised_by_month_service_and_raiser(con):
    m = esc.raised_by_month(con, H1)
    got = {(r.month, r.service, r.raised_by): r.n for r in m.itertuples() if r.n}
    assert got == {("2025-01", "AI", "IRO"): 1, ("2025-02", "CF", "CP Chair"): 1, ("2025-03", "PT", "IRO"): 1,
                   ("2025-05", "AI", "CP Chair"): 1, ("2025-06", "CF", "IRO"): 1, ("2025-06", "CF", "CP Chair"): 1}
    # Every month appears for both raisers (zeros where nothing was raised).
    assert set(m["month"]) == {f"2025-0{i}" for i in range(1, 7)}
    assert m.groupby("month")["raised_by"].nunique().eq(2).all()


def test_stage_mix(con):
    s = esc.stage_mix(con, H1).set_index(["raised_by", "stage"])
    assert s.loc[("IRO", "Informal"), "n"] == 2 and s.loc[("IRO", "Formal 2"), "n"] == 1    # E1 E5; E3
    assert s.loc[("IRO", "Informal"), "pct"] == pytest.approx(200 / 3)
    assert s.loc[("CP Chair", "Formal 1"), "n"] == 2 and s.loc[("CP Chair", "Informal"), "n"] == 1  # E2 E6; E4
    assert s.loc[("CP Chair", "Formal 3"), "n"] == 0 and len(s) == 8


def test_median_days_with_even_and_odd_counts(con):
    by_service = esc.days_to_resolve(con, H1, "service").set_index("service")
    assert tuple(by_service.loc["AI"]) == (2, 1, 10.0)            # E1 10; E4 open
    assert tuple(by_service.loc["CF"]) == (3, 2, 22.0)            # E2 30, E5 14: mean of the two
    assert tuple(by_service.loc["PT"]) == (1, 1, 112.0)           # E3, resolved after the period: still counted
    by_stage = esc.days_to_resolve(con, H1, "stage").set_index("stage")
    assert by_stage.loc["Informal", "median_days"] == 12.0        # E1 10, E5 14
    assert by_stage.loc["Formal 1", "median_days"] == 30.0
    assert by_stage.loc["Formal 3", "raised"] == 0 and pd.isna(by_stage.loc["Formal 3", "median_days"])
    by_raiser = esc.days_to_resolve(con, H1, "raised_by").set_index("raised_by")
    assert by_raiser.loc["IRO", "median_days"] == 14.0            # 10 14 112: the middle one
    assert by_raiser.loc["CP Chair", "median_days"] == 30.0


def test_themes_ranked_and_by_quarter(con):
    t = esc.themes(con, H1)
    assert list(t["theme"]) == ["Drift and delay", "Placement", "Plan not progressed", "Visits overdue"]
    assert list(t["n"]) == [3, 2, 1, 1] and list(t["rank"]) == [1, 2, 3, 4]
    row = t.set_index("theme")
    assert row.loc["Drift and delay", "pct"] == pytest.approx(50.0)
    assert tuple(row.loc["Placement", ["IRO", "CP Chair"]]) == (1, 1)
    tr = esc.theme_trend(con, H1).set_index(["quarter", "theme"])
    assert tuple(tr.loc[(Q4, "Drift and delay")]) == (2, 3)      # E1 E3 of E1 E2 E3
    assert tuple(tr.loc[(Q1, "Drift and delay")]) == (1, 3)      # E5 of E4 E5 E6


def test_need_to_know_by_hand(con):
    assert esc.ntk_headline(con, H1) == {"notifications": 5, "rapid_review": 3, "national_panel": 1}
    c = esc.ntk_by_quarter(con, H1, "category")
    assert [tuple(r) for r in c.itertuples(index=False)] == [
        (Q4, "Serious injury", 2, 2, 1), (Q4, "Child missing", 1, 0, 0),
        (Q1, "Exploitation", 1, 1, 0), (Q1, "Serious injury", 1, 0, 0)]     # N4's blanks count as no
    s = esc.ntk_by_quarter(con, H1, "service")
    assert [tuple(r) for r in s.itertuples(index=False)] == [
        (Q4, "CF", 2, 1, 1), (Q4, "AI", 1, 1, 0), (Q1, "CF", 1, 0, 0), (Q1, "PT", 1, 1, 0)]
    t = esc.ntk_quarter_totals(con, H1)
    assert [tuple(r) for r in t.itertuples(index=False)] == [(Q4, 3, 2, 1), (Q1, 2, 1, 0)]
    assert list(esc.ntk_quarter_totals(con, Filters("2024-10", "2025-03"))["notifications"]) == [0, 3]
    assert esc.ntk_headline(con, Filters("2025-01", "2025-06", services=("CF",)))["notifications"] == 3
    assert esc.ntk_by_quarter(con, Filters("2025-01", "2025-06", services=("IRSS",)), "service").empty


# --- the page ------------------------------------------------------------------------------------
@pytest.fixture
def page_dir(tmp_path, monkeypatch, db):
    return use_council_db(db, tmp_path, monkeypatch)


def open_page(**query):
    return open_app_page("pages/escalations.py", **query)


metric = shown_metric


@pytest.mark.parametrize("service", [None, "CF"])
def test_page_headline_equals_summary(page_dir, db, service):
    query = {"period": ["2025-01", "2025-06"], **({"service": service} if service else {})}
    at = open_page(**query)
    code, out, _ = run_cli("summary", "--db", db, "--from", "2025-01", "--to", "2025-06",
                           *(["--service", service] if service else []))
    want = json.loads(out)["escalations"]
    assert metric(at, "Raised") == str(want["raised"])
    assert metric(at, "Raised in the period, still open") == str(want["open_at_end"])
    assert metric(at, "Median days to resolve") == f"{want['median_days_to_resolve']:g}" == "22"
    assert metric(at, "All open on the period's last day") == ("4" if service is None else "1")
    if service is None:
        assert metric(at, "Notifications") == "5" and metric(at, "Led to a Rapid Review") == "3"
        assert metric(at, "National panel notified") == "1"
    # No child reference anywhere on the page.
    for d in at.dataframe:
        assert "child_ref" not in d.value.columns
        assert not d.value.astype(str).isin([f"X{i}" for i in range(8)]).any().any()


def test_page_with_no_escalations(page_dir):
    at = open_page(period=["2025-01", "2025-06"], service="IRSS")
    infos = " ".join(i.value for i in at.info)
    assert "No escalations" in infos and "No Need to Know" in infos and metric(at, "Raised") == "0"
    assert metric(at, "Median days to resolve") == "–"


def test_page_on_an_empty_database(empty_council_db):
    at = open_page()
    assert any("No period" in i.value for i in at.info)


def test_page_figures_are_the_single_figures_from_one_fetch_each(con):
    # The page's one call gives what each function gives on its own (hand-worked in the tests above).
    figures = esc.page_figures(con, H1)
    assert figures["headline"] == esc.headline(con, H1)
    assert figures["ntk"] == esc.ntk_headline(con, H1)
    for key, frame in (("monthly", esc.raised_by_month(con, H1)), ("stages", esc.stage_mix(con, H1)),
                       ("open_now", esc.open_on(con, H1)), ("ageing", esc.open_by_age(con, H1)),
                       ("by_service", esc.days_to_resolve(con, H1, "service")),
                       ("by_stage", esc.days_to_resolve(con, H1, "stage")), ("themes", esc.themes(con, H1)),
                       ("trend", esc.theme_trend(con, H1)), ("ntk_category", esc.ntk_by_quarter(con, H1, "category")),
                       ("ntk_service", esc.ntk_by_quarter(con, H1, "service")),
                       ("ntk_totals", esc.ntk_quarter_totals(con, H1))):
        pd.testing.assert_frame_equal(figures[key], frame)


# --- the roll-ups the counts come from (esc.ROLLUPS, refreshed in every write that changes the escalations) ----
def test_rollups_by_hand(con):
    import datetime as dt
    jan, jun = dt.date(2025, 1, 1), dt.date(2025, 6, 1)
    assert con.execute("SELECT month, service, raised_by, stage, n FROM escalation_months WHERE month IN (?, ?) "
                       "ORDER BY ALL", [jan, jun]).fetchall() == [
        (jan, "AI", "IRO", "Informal", 1), (jun, "CF", "CP Chair", "Formal 1", 1), (jun, "CF", "IRO", "Informal", 1)]
    assert con.execute("SELECT month, service, raised_by, theme, n FROM escalation_theme_months WHERE month = ? "
                       "ORDER BY ALL", [jan]).fetchall() == [(jan, "AI", "IRO", "Drift and delay", 1),
                                                             (jan, "AI", "IRO", "Placement", 1)]


def test_rollups_follow_a_load_an_update_an_undo_and_an_erasure(tmp_path):
    from analytics import backups, erasure
    from analytics.database import Database
    path = load_csv_texts(tmp_path / "qa.duckdb", {"audits.csv": AUDITS, "escalations.csv": ESCALATIONS})
    header = ESCALATIONS.splitlines()[0]

    def figures():
        with Database(path).read() as c:
            themes = esc.themes(c, H1).set_index("theme")["n"].to_dict()
            return sum(r[-1] for r in esc._counts(c, H1)), themes.get("Drift and delay"), themes.get("Placement")
    assert figures() == (6, 3, 2)
    (tmp_path / "more.csv").write_text(f"{header}\nE8,2025-04-11,IRO,AI,,X8,Informal,Placement; Placement,,\n")
    assert run_cli("load", "--db", path, "--dataset", "escalations", tmp_path / "more.csv")[0] == 0
    assert figures() == (7, 3, 3)                                   # E8 names Placement twice: counted once
    # An update keeps the row count: the roll-up still follows it (E2's theme becomes Drift and delay)
    (tmp_path / "fix.csv").write_text(f"{header}\nE2,2025-02-03,CP Chair,CF,,X2,Formal 1,Drift and delay,"
                                      "2025-03-05,Resolved\n")
    assert run_cli("load", "--db", path, "--dataset", "escalations", tmp_path / "fix.csv")[0] == 0
    assert figures() == (7, 4, 3)
    loads = [load.load_id for load in backups.history(Database(path))][:2]
    backups.undo(Database(path), loads[0], user="test")
    assert figures() == (7, 3, 3)
    backups.undo(Database(path), loads[1], user="test")
    assert figures() == (6, 3, 2)
    erasure.erase_child(Database(path), "X1", user="test")          # E1: Drift and delay; Placement
    assert figures() == (5, 2, 1)
