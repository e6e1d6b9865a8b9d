"""Voice of children and families: feedback and complaint figures against a hand-worked fixture.

Period 2025-01 to 2025-06: financial quarters 2024-25 Q4 (January-March) and 2025-26 Q1 (April-June).
FB0 and C0 (December 2024) lie before the period. Yes/no: Y, N or blank (unknown, left out of the share).
"""

import pandas as pd
import pytest

from analytics import voice
from analytics.database import Database
from analytics.filters import Filters, financial_quarter
from analytics.presentation import format_pct
from conftest import load_csv_texts, open_app_page, shown_metric, use_council_db
from test_impact import wilson

AUDITS = """\
audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade
A1,2025-01-08,AI,K1,CP,Team Manager,Good
A2,2025-06-12,CF,K2,CIN,Team Manager,Requires Improvement
"""
# id   received    channel       sentiment service themes                         conv complaint
FEEDBACK = """\
feedback_id,received_date,channel,sentiment,from_role,service,themes,conversation_requested,became_complaint,responded_date
FB0,2024-12-31,SFF under 13,Negative,Child,AI,Placement,Y,Y,
FB1,2025-01-10,SFF under 13,Positive,Child,AI,Being listened to; Placement,N,N,2025-01-12
FB2,2025-01-20,SFF 13 plus,Negative,Child,CF,Placement,Y,Y,
FB3,2025-02-05,Email,Mixed,Parent or Carer,,Communication,,N,
FB4,2025-03-15,MOMO,Positive,Child,AI,Being listened to,,,
FB5,2025-04-02,SFF under 13,Negative,Child,AI,Placement; Communication,Y,N,
FB6,2025-05-30,SFF 13 plus,Positive,Professional,CF,,N,N,
FB7,2025-06-30,Other,Mixed,Other,PT,Communication,N,,
"""
# C1 closed before due (on time), C2 closed ON the due day (on time), C3 late, C4 withdrawn but closed on time,
# C5 open (not judged), C6 no due date (not judged), C7 late.
COMPLAINTS = """\
complaint_id,received_date,service,stage,themes,outcome,response_due_date,closed_date
C0,2024-12-20,AI,Stage 1,Delay,Upheld,2025-01-06,2025-01-02
C1,2025-01-06,AI,Stage 1,Communication,Upheld,2025-01-20,2025-01-18
C2,2025-01-15,AI,Stage 1,Delay; Communication,Partly upheld,2025-01-29,2025-01-29
C3,2025-02-10,CF,Stage 2,Delay,Not upheld,2025-03-17,2025-03-20
C4,2025-03-03,CF,Stage 1,Staff conduct,Withdrawn,2025-03-17,2025-03-05
C5,2025-04-07,PT,Stage 1,Communication,,2025-04-22,
C6,2025-05-12,AI,Stage 3,Delay,Upheld,,2025-06-10
C7,2025-06-02,PT,Ombudsman,Communication,Not upheld,2025-06-30,2025-07-15
"""
H1 = Filters("2025-01", "2025-06")
Q4, Q1 = "2024-25 Q4", "2025-26 Q1"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("voice") / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "feedback.csv": FEEDBACK, "complaints.csv": COMPLAINTS})
    return path


def test_financial_quarters_of_the_period():
    assert voice.quarters(H1) == [Q4, Q1]
    # a quarter the period covers in part says which of its months are in (as on the audit pages)
    assert voice.quarters(Filters("2025-03", "2025-04")) == [f"{Q4} (Mar only)", f"{Q1} (Apr only)"]
    assert voice.quarters(Filters("2024-12", "2025-01")) == ["2024-25 Q3 (Dec only)", f"{Q4} (Jan only)"]
    assert voice.quarters(Filters("2024-11", "2025-03")) == ["2024-25 Q3 (Nov–Dec only)", Q4]
    assert financial_quarter(__import__("datetime").date(2026, 3, 31)) == "2025-26 Q4"


def test_feedback_headline_by_hand(con):
    h = voice.feedback_headline(con, H1)
    assert (h["received"], h["positive"], h["mixed"], h["negative"]) == (7, 3, 2, 2)   # FB0 is before the period
    # Conversation answered on FB1 N, FB2 Y, FB5 Y, FB6 N, FB7 N: 2 of 5.
    assert (h["conversation"]["yes"], h["conversation"]["n"]) == (2, 5)
    assert h["conversation"]["pct"] == pytest.approx(40.0)
    assert (h["conversation"]["ci_low"], h["conversation"]["ci_high"]) == pytest.approx(wilson(2, 5))
    # Became a complaint recorded on FB1 N, FB2 Y, FB3 N, FB5 N, FB6 N: 1 of 5.
    assert (h["complaint"]["yes"], h["complaint"]["n"], h["complaint"]["pct"]) == (1, 5, pytest.approx(20.0))


def test_service_filter_leaves_out_feedback_for_the_whole_authority(con):
    ai = voice.feedback_headline(con, Filters("2025-01", "2025-06", services=("AI",)))
    assert ai["received"] == 3                                   # FB1 FB4 FB5
    assert (ai["conversation"]["yes"], ai["conversation"]["n"]) == (1, 2)
    assert (ai["complaint"]["yes"], ai["complaint"]["n"], ai["complaint"]["pct"]) == (0, 2, 0.0)
    # FB3 (blank service = ALL) is in no single service.
    assert sum(voice.feedback_headline(con, Filters("2025-01", "2025-06", services=(s,)))["received"]
               for s in ("AI", "CF", "PT")) == 6
    nobody = voice.feedback_headline(con, Filters("2025-01", "2025-06", services=("IRSS",)))
    assert nobody["received"] == 0 and nobody["conversation"]["pct"] is None


def test_feedback_volume_by_month_channel_sentiment(con):
    v = voice.feedback_volume(con, H1)
    assert len(v) == 6 * 5 * 3 and v["n"].sum() == 7
    got = {tuple(r[:3]): r[3] for r in v[v["n"] > 0].itertuples(index=False)}
    assert got == {("2025-01", "SFF under 13", "Positive"): 1, ("2025-01", "SFF 13 plus", "Negative"): 1,
                   ("2025-02", "Email", "Mixed"): 1, ("2025-03", "MOMO", "Positive"): 1,
                   ("2025-04", "SFF under 13", "Negative"): 1, ("2025-05", "SFF 13 plus", "Positive"): 1,
                   ("2025-06", "Other", "Mixed"): 1}
    q = voice.feedback_volume(con, H1, "quarter")
    assert q.groupby("period")["n"].sum().to_dict() == {Q4: 4, Q1: 3}


def test_feedback_shares_by_month_and_quarter(con):
    m = voice.feedback_shares(con, H1).set_index("period")
    assert (m.loc["2025-01", "conversation_yes"], m.loc["2025-01", "conversation_n"]) == (1, 2)
    assert m.loc["2025-03", "conversation_n"] == 0 and pd.isna(m.loc["2025-03", "conversation_pct"])
    q = voice.feedback_shares(con, H1, "quarter").set_index("period")
    assert q.loc[Q4, "conversation_pct"] == pytest.approx(50.0)           # FB1 N, FB2 Y
    assert q.loc[Q4, "complaint_pct"] == pytest.approx(100 / 3)           # FB1 N, FB2 Y, FB3 N
    assert q.loc[Q1, "conversation_pct"] == pytest.approx(100 / 3)        # FB5 Y, FB6 N, FB7 N
    assert q.loc[Q1, "complaint_pct"] == 0.0                              # FB5 N, FB6 N


def test_feedback_themes_ranked_and_trending(con):
    t = voice.feedback_themes(con, H1)
    # Communication FB3 FB5 FB7, Placement FB1 FB2 FB5, Being listened to FB1 FB4: ties by name.
    assert list(t["theme"]) == ["Communication", "Placement", "Being listened to"]
    assert list(t["rank"]) == [1, 2, 3] and list(t["n"]) == [3, 3, 2]
    assert list(t["pct"]) == pytest.approx([300 / 7, 300 / 7, 200 / 7])
    row = t.set_index("theme")
    assert tuple(row.loc["Placement", ["positive", "mixed", "negative"]]) == (1, 0, 2)
    assert tuple(row.loc["Communication", ["positive", "mixed", "negative"]]) == (0, 2, 1)
    assert set(t["last_quarter"]) == {Q1}
    # Share of each quarter's feedback (Q4: 4 records, Q1: 3).
    assert row.loc["Communication", "last_quarter_pct"] == pytest.approx(200 / 3)   # FB5 FB7
    assert row.loc["Communication", "previous_quarter_pct"] == pytest.approx(25.0)  # FB3
    assert row.loc["Communication", "change_pts"] == pytest.approx(200 / 3 - 25)
    assert row.loc["Placement", "change_pts"] == pytest.approx(100 / 3 - 50)
    assert row.loc["Being listened to", "change_pts"] == pytest.approx(-50.0)
    trend = voice.feedback_theme_trend(con, H1).set_index(["quarter", "theme"])
    assert tuple(trend.loc[(Q1, "Communication"), ["mentions", "feedback"]]) == (2, 3)
    assert trend.loc[(Q4, "Being listened to"), "pct"] == pytest.approx(50.0)
    assert voice.feedback_themes(con, Filters("2025-01", "2025-06", services=("IRSS",))).empty


def test_complaint_headline_by_hand(con):
    c = voice.complaint_headline(con, H1)
    assert c["received"] == 7                                   # C0 is before the period
    # Decided: C1 Upheld, C2 Partly, C3 Not, C6 Upheld, C7 Not (C4 withdrawn and C5 undecided left out).
    assert (c["decided"], c["upheld"], c["partly_upheld"]) == (5, 2, 1)
    assert c["upheld_pct"] == pytest.approx(40.0)
    assert c["upheld_or_partly_pct"] == pytest.approx(60.0)
    assert (c["upheld_ci_low"], c["upheld_ci_high"]) == pytest.approx(wilson(2, 5))
    # Timeliness over closed complaints with a due date: C1 C2 C3 C4 C7; on time C1, C2 (closed on the due
    # day) and C4; C5 is open and C6 has no due date.
    assert (c["closed_with_due_date"], c["on_time"]) == (5, 3)
    assert c["on_time_pct"] == pytest.approx(60.0)


def test_complaints_by_stage(con):
    s = voice.complaints_by(con, H1, "stage").set_index("stage")
    assert list(s.index) == ["Stage 1", "Stage 2", "Stage 3", "Ombudsman"]
    assert list(s["received"]) == [4, 1, 1, 1]
    assert tuple(s.loc["Stage 1", ["decided", "upheld", "partly_upheld", "closed_with_due_date", "on_time"]]) == (
        2, 1, 1, 3, 3)
    assert s.loc["Stage 1", "upheld_pct"] == pytest.approx(50.0)
    assert s.loc["Stage 1", "upheld_or_partly_pct"] == pytest.approx(100.0)
    assert s.loc["Stage 1", "on_time_pct"] == pytest.approx(100.0)
    assert s.loc["Stage 2", "on_time_pct"] == 0.0 and s.loc["Stage 2", "upheld_pct"] == 0.0
    assert s.loc["Stage 3", "upheld_pct"] == pytest.approx(100.0) and pd.isna(s.loc["Stage 3", "on_time_pct"])
    assert s.loc["Ombudsman", "closed_with_due_date"] == 1 and s.loc["Ombudsman", "on_time"] == 0


def test_complaints_by_theme_and_outcome(con):
    t = voice.complaints_by(con, H1, "theme")
    assert list(t["theme"]) == ["Communication", "Delay", "Staff conduct"] and list(t["received"]) == [4, 3, 1]
    row = t.set_index("theme")
    assert row.loc["Communication", "decided"] == 3 and row.loc["Communication", "upheld_pct"] == pytest.approx(100 / 3)
    assert row.loc["Communication", "on_time_pct"] == pytest.approx(200 / 3)      # C1 C2 on time, C7 late
    assert row.loc["Delay", "upheld_or_partly_pct"] == pytest.approx(200 / 3)     # C2 partly, C6 upheld, C3 not
    assert row.loc["Delay", "on_time_pct"] == pytest.approx(50.0)                 # C2 on time, C3 late
    o = voice.complaints_by(con, H1, "outcome")
    assert dict(zip(o["outcome"], o["n"])) == {"Upheld": 2, "Partly upheld": 1, "Not upheld": 2, "Withdrawn": 1,
                                               "No outcome yet": 1}


def test_quarterly_view_by_hand(con):
    q = voice.quarterly(con, H1).set_index("quarter")
    assert list(q.index) == [Q4, Q1]
    assert tuple(q.loc[Q4, ["feedback", "SFF under 13", "SFF 13 plus", "Email", "MOMO", "Other"]]) == (4, 1, 1, 1, 1, 0)
    assert tuple(q.loc[Q1, ["positive", "mixed", "negative"]]) == (1, 1, 1)
    assert tuple(q.loc[Q4, ["complaints", "Stage 1", "Stage 2", "Stage 3", "Ombudsman"]]) == (4, 3, 1, 0, 0)
    assert tuple(q.loc[Q1, ["complaints", "Stage 1", "Stage 2", "Stage 3", "Ombudsman"]]) == (3, 1, 0, 1, 1)
    assert q.loc[Q4, "upheld_pct"] == pytest.approx(100 / 3)              # C1 of C1 C2 C3
    assert q.loc[Q4, "upheld_or_partly_pct"] == pytest.approx(200 / 3)
    assert q.loc[Q4, "on_time_pct"] == pytest.approx(75.0)                # C1 C2 C4 of C1-C4
    assert q.loc[Q1, "upheld_pct"] == pytest.approx(50.0)                 # C6 of C6 C7
    assert q.loc[Q1, "on_time_pct"] == 0.0 and q.loc[Q1, "closed_with_due_date"] == 1
    view = voice.quarterly_view(voice.quarterly(con, H1)).set_index("Quarter")
    low, high = wilson(3, 4)
    assert view.loc[Q4, "Answered on time"] == f"75.0% ({format_pct(low)} to {format_pct(high)})"
    assert view.loc[Q4, "Answered on time (n)"] == 4
    # The sums it declares for small-number suppression hold in every quarter.
    for total, parts in view.attrs["sums"]:
        assert (view[total] == view[list(parts)].sum(axis=1)).all(), (total, parts)


def test_pct_text():
    assert voice.pct_text(None, None, None, 0) == "–"
    assert voice.pct_text(50.0, 30.0, 70.0, 20) == "50.0%"
    assert voice.pct_text(40.0, *wilson(2, 5), 5) == f"40.0% ({format_pct(wilson(2, 5)[0])} to " \
                                                      f"{format_pct(wilson(2, 5)[1])})"


# --- the page ------------------------------------------------------------------------------------
@pytest.fixture
def page_dir(tmp_path, monkeypatch, db):
    return use_council_db(db, tmp_path, monkeypatch)


def open_page(**query):
    return open_app_page("pages/voice.py", **query)


metric = shown_metric


def test_page_shows_the_hand_worked_figures(page_dir, db):
    at = open_page(period=["2025-01", "2025-06"])
    with Database(db).read() as c:
        fb = voice.feedback_headline(c, H1)
        comp = voice.complaint_headline(c, H1)
        view = voice.quarterly_view(voice.quarterly(c, H1)).set_index("Quarter")
    assert metric(at, "Feedback received") == str(fb["received"]) == "7"
    assert metric(at, "Positive") == "3" and metric(at, "Negative") == "2"
    lo, hi = wilson(2, 5)
    assert metric(at, "Asked for a conversation") == f"40.0% ({format_pct(lo)} to {format_pct(hi)})"
    assert metric(at, "Complaints received") == "7"
    assert metric(at, "Upheld").startswith("40.0% (") and metric(at, "Upheld or partly upheld").startswith("60.0% (")
    assert metric(at, "Answered on time") == voice.pct_text(comp["on_time_pct"], comp["on_time_ci_low"],
                                                            comp["on_time_ci_high"], comp["closed_with_due_date"])
    quarterly = next(d.value for d in at.dataframe if "Quarter" in d.value.columns)
    assert list(quarterly["Quarter"]) == [Q4, Q1] and list(quarterly["Complaints"]) == [4, 3]
    report = next(d.value for d in at.dataframe if "Measure" in d.value.columns).set_index("Measure")
    assert list(report.columns) == [Q4, Q1]
    assert report.loc["Answered on time", Q4] == view.loc[Q4, "Answered on time"] == "75.0% (30.1% to 95.4%)"
    assert report.loc["Complaints", Q1] == "3"


def test_page_follows_the_service_filter(page_dir):
    at = open_page(period=["2025-01", "2025-06"], service="PT")
    assert metric(at, "Feedback received") == "1" and metric(at, "Complaints received") == "2"
    at = open_page(period=["2025-01", "2025-06"], service="IRSS")
    infos = " ".join(i.value for i in at.info)
    assert "No feedback" in infos and "No complaints" in infos


def test_page_on_an_empty_database(empty_council_db):
    at = open_page()
    assert any("No period" in i.value for i in at.info)


def test_part_quarters_are_labelled_in_the_data_too(con):
    # Feb-Jun: Q4 only in part. The rows carry the same label as the axis, so the bars land on it.
    f = Filters("2025-02", "2025-06")
    q = voice.quarterly(con, f)
    assert list(q["quarter"]) == [f"{Q4} (Feb–Mar only)", Q1]
    assert q["feedback"].sum() == voice.feedback_headline(con, f)["received"]
    assert set(voice.feedback_rows(con, f)["quarter"]) <= set(voice.quarters(f))


def test_page_figures_are_the_single_figures_from_one_fetch_each(con):
    # The page's one call gives what each function gives on its own (hand-worked in the tests above).
    figures = voice.page_figures(con, H1)
    assert figures["feedback"] == voice.feedback_headline(con, H1)
    assert (figures["feedback"]["received"], figures["feedback"]["positive"]) == (7, 3)
    assert figures["complaints"] == voice.complaint_headline(con, H1)
    for key, frame in (("volume", voice.feedback_volume(con, H1)), ("shares", voice.feedback_shares(con, H1)),
                       ("themes", voice.feedback_themes(con, H1)), ("theme_trend", voice.feedback_theme_trend(con, H1)),
                       ("complaints_by_stage", voice.complaints_by(con, H1, "stage")),
                       ("complaints_by_theme", voice.complaints_by(con, H1, "theme")),
                       ("complaints_by_outcome", voice.complaints_by(con, H1, "outcome")),
                       ("quarterly", voice.quarterly(con, H1))):
        pd.testing.assert_frame_equal(figures[key], frame)


# --- the roll-ups the counts come from (voice.ROLLUPS, refreshed in every write that changes their datasets) ----
def test_rollups_by_hand(con):
    import datetime as dt
    jan = dt.date(2025, 1, 1)
    assert con.execute("SELECT month, service, channel, sentiment, conversation_requested, became_complaint, n "
                       "FROM feedback_months WHERE month = ? ORDER BY ALL", [jan]).fetchall() == [
        (jan, "AI", "SFF under 13", "Positive", False, False, 1),     # FB1
        (jan, "CF", "SFF 13 plus", "Negative", True, True, 1)]        # FB2
    assert con.execute("SELECT month, service, sentiment, theme, n FROM feedback_theme_months WHERE month = ? "
                       "ORDER BY ALL", [jan]).fetchall() == [
        (jan, "AI", "Positive", "Being listened to", 1), (jan, "AI", "Positive", "Placement", 1),
        (jan, "CF", "Negative", "Placement", 1)]
    # C1 (Communication, upheld, on time) and C2 (Delay; Communication, partly upheld, closed on its due day)
    assert con.execute("SELECT month, service, stage, outcome, judged, on_time, n FROM complaint_months "
                       "WHERE month = ? ORDER BY ALL", [jan]).fetchall() == [
        (jan, "AI", "Stage 1", "Partly upheld", True, True, 1), (jan, "AI", "Stage 1", "Upheld", True, True, 1)]
    assert con.execute("SELECT month, service, theme, outcome, judged, on_time, n FROM complaint_theme_months "
                       "WHERE month = ? ORDER BY ALL", [jan]).fetchall() == [
        (jan, "AI", "Communication", "Partly upheld", True, True, 1), (jan, "AI", "Communication", "Upheld", True, True, 1),
        (jan, "AI", "Delay", "Partly upheld", True, True, 1)]
    # C5 has no outcome yet and is open (not judged)
    assert con.execute("SELECT outcome, judged, on_time, n FROM complaint_months WHERE service = 'PT' AND stage = "
                       "'Stage 1'").fetchall() == [("No outcome yet", False, False, 1)]


def test_rollups_follow_a_load_an_update_and_an_undo(tmp_path):
    from analytics import backups
    from conftest import run_cli
    path = load_csv_texts(tmp_path / "qa.duckdb", {"audits.csv": AUDITS, "feedback.csv": FEEDBACK,
                                                   "complaints.csv": COMPLAINTS})
    header = FEEDBACK.splitlines()[0]

    def figures():
        with Database(path).read() as c:
            fb, comp = voice.feedback_headline(c, H1), voice.complaint_headline(c, H1)
            themes = voice.feedback_themes(c, H1).set_index("theme")["n"].to_dict()
            return fb["received"], fb["positive"], fb["negative"], comp["received"], themes.get("Delay", 0)
    assert figures() == (7, 3, 2, 7, 0)
    (tmp_path / "more.csv").write_text(f"{header}\nFB8,2025-02-11,Email,Negative,Child,AI,Delay,Y,N,\n")
    assert run_cli("load", "--db", path, "--dataset", "feedback", tmp_path / "more.csv")[0] == 0
    assert figures() == (8, 3, 3, 7, 1)
    # An update keeps the row count: the roll-up still follows it (FB1 Positive -> Negative)
    (tmp_path / "fix.csv").write_text(f"{header}\nFB1,2025-01-10,SFF under 13,Negative,Child,AI,Placement,N,N,\n")
    assert run_cli("load", "--db", path, "--dataset", "feedback", tmp_path / "fix.csv")[0] == 0
    assert figures() == (8, 2, 4, 7, 1)
    complaint_header = COMPLAINTS.splitlines()[0]
    (tmp_path / "c.csv").write_text(f"{complaint_header}\nC8,2025-03-09,AI,Stage 1,Delay,Upheld,2025-03-20,\n")
    assert run_cli("load", "--db", path, "--dataset", "complaints", tmp_path / "c.csv")[0] == 0
    assert figures() == (8, 2, 4, 8, 1)
    loads = [load.load_id for load in backups.history(Database(path))][:3]     # the three above, newest first
    backups.undo(Database(path), loads[0], user="test")
    assert figures() == (8, 2, 4, 7, 1)
    backups.undo(Database(path), loads[1], user="test")
    assert figures() == (8, 3, 3, 7, 1)
    backups.undo(Database(path), loads[2], user="test")
    assert figures() == (7, 3, 2, 7, 0)
