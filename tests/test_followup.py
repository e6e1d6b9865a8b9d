"""The Inadequate and Requires Improvement follow-up (metrics.md "Follow-up on time") against hand-worked states.

Default days from the audit date: managers notified 5, reflective meeting 20, review 90 (or the row's
review_due_date), Head of Service notified 5 after a review that still grades the record Inadequate.
Period 2025-01 to 2025-03, so D = 2025-03-31. A step is overdue when not done by D and due before D.
Grade letters: O Outstanding, G Good, R Requires Improvement, I Inadequate.
"""

import datetime as dt

import pandas as pd
import pytest

from analytics import followup as fu
from analytics.config import Config, load_config
from analytics.database import Database
from analytics.filters import Filters
from analytics.impact import wilson_interval
from analytics.presentation import format_pct
from conftest import load_csv_texts, open_app_page, shown_metric, use_council_db
from test_impact import wilson

# id   date        svc   final (how)             follow-up row
# F01  2025-01-06  MASH  R (moderated)           notified 01-09, meeting 01-20
# F02  2025-01-10  MASH  R (auditor: provisional) none
# F03  2025-01-15  AI    I (moderated)           notified 01-22, meeting 02-03, review due blank (-> 04-15)
# F04  2025-01-02  AI    I (moderated)           notified 01-07, meeting 01-25, review due 02-28, review 02-20 I,
#                                                 Head of Service 02-24
# F05  2025-01-03  PT    I (moderated)           notified 01-08, meeting 01-21, review due 03-01, review 03-10 I
# F06  2025-03-28  CF    R (moderated)           a row with no dates yet
# F07  2025-02-10  CF    I (moderated)           notified 02-12, meeting 04-02 (after D), review 03-20 G
# F08  2025-02-14  AI    G                       not in follow-up (final grade Good)
# F09  2025-02-20  AI    I (moderated)           notified 02-21, meeting 03-05, review 04-10 I (after D)
# F10  2025-04-05  AI    R                       after the period
# F11  2025-03-03  MASH  R (benchmarked; mod. R) notified 03-10, no meeting
# F12  2025-01-08  DCS   I (moderated)           none
# F13  2025-01-20  PT    I (moderated)           notified 01-21, meeting 02-05, review due 03-20, no review
AUDITS = """\
audit_id,audit_date,service,team,child_ref,cohort,auditor_id,auditor_role,auditor_grade,moderated_grade,benchmarked_grade
F01,2025-01-06,MASH,MASH 1,K01,CP,S1,Team Manager,Requires Improvement,Requires Improvement,
F02,2025-01-10,MASH,MASH 1,K02,CIN,S1,Team Manager,Requires Improvement,,
F03,2025-01-15,AI,AI 1,K03,CP,S2,Team Manager,Good,Inadequate,
F04,2025-01-02,AI,AI 1,K04,CIC,S2,Team Manager,Inadequate,Inadequate,
F05,2025-01-03,PT,PT 1,K05,CIC,S3,Team Manager,Inadequate,Inadequate,
F06,2025-03-28,CF,CF 1,K06,CIN,S4,Service Manager,Requires Improvement,Requires Improvement,
F07,2025-02-10,CF,CF 1,K07,CP,S4,Service Manager,Requires Improvement,Inadequate,
F08,2025-02-14,AI,AI 1,K08,CP,S2,Team Manager,Good,Good,
F09,2025-02-20,AI,AI 2,K09,Court,S5,Team Manager,Inadequate,Inadequate,
F10,2025-04-05,AI,AI 2,K10,CP,S5,Team Manager,Requires Improvement,,
F11,2025-03-03,MASH,MASH 1,K11,CP,S1,Team Manager,Good,Requires Improvement,Requires Improvement
F12,2025-01-08,DCS,DCS 1,K12,CIC,S6,Team Manager,Inadequate,Inadequate,
F13,2025-01-20,PT,PT 1,K13,CP,S3,Team Manager,Inadequate,Inadequate,
"""
FOLLOWUPS = """\
audit_id,process,managers_notified_date,reflective_meeting_date,review_due_date,review_date,review_grade,head_of_service_notified_date
F01,Requires Improvement,2025-01-09,2025-01-20,,,,
F03,Inadequate,2025-01-22,2025-02-03,,,,
F04,Inadequate,2025-01-07,2025-01-25,2025-02-28,2025-02-20,Inadequate,2025-02-24
F05,Inadequate,2025-01-08,2025-01-21,2025-03-01,2025-03-10,Inadequate,
F06,Requires Improvement,,,,,,
F07,Inadequate,2025-02-12,2025-04-02,,2025-03-20,Good,
F09,Inadequate,2025-02-21,2025-03-05,,2025-04-10,Inadequate,
F11,Requires Improvement,2025-03-10,,,,,
F13,Inadequate,2025-01-21,2025-02-05,2025-03-20,,,
"""
Q1 = Filters("2025-01", "2025-03")           # D = 2025-03-31
NA, ON, LATE, OVER, WAIT = "not applicable", "done on time", "done late", "overdue", "not yet due"

# State of every step on 2025-03-31, worked out by hand (due day in brackets).
EXPECTED = {
    #      managers notified (+5)  reflective meeting (+20)  review                    Head of Service (+5)
    "F01": (ON,   # 01-11, done 01-09
            ON,   # 01-26, done 01-20
            NA, NA),                                              # Requires Improvement: no review
    "F02": (OVER,  # 01-15, no follow-up row = nothing done
            OVER,  # 01-30
            NA, NA),
    "F03": (LATE,  # 01-20, done 01-22
            ON,    # 02-04, done 02-03
            WAIT,  # default 01-15 + 90 = 04-15, not before D
            NA),
    "F04": (ON,    # 01-07, done 01-07 (on the due day is on time)
            LATE,  # 01-22, done 01-25
            ON,    # 02-28, done 02-20
            ON),   # review 02-20 still Inadequate: due 02-25, done 02-24
    "F05": (ON,    # 01-08, done 01-08
            ON,    # 01-23, done 01-21
            LATE,  # 03-01, done 03-10
            OVER),  # review 03-10 still Inadequate: due 03-15, not done
    "F06": (WAIT,  # 04-02
            WAIT,  # 04-17
            NA, NA),
    "F07": (ON,    # 02-15, done 02-12
            OVER,  # 03-02; done 04-02, after D, so not done on D
            ON,    # 02-10 + 90 = 05-11, done 03-20
            NA),   # review graded Good
    "F09": (ON,    # 02-25, done 02-21
            ON,    # 03-12, done 03-05
            WAIT,  # 02-20 + 90 = 05-21; the review on 04-10 is after D
            NA),   # the Inadequate review is after D: not known on D
    "F11": (LATE,  # 03-08, done 03-10
            OVER,  # 03-23, no meeting
            NA, NA),
    "F12": (OVER,  # 01-13, no row
            OVER,  # 01-28
            WAIT,  # 01-08 + 90 = 04-08
            NA),
    "F13": (ON,    # 01-25, done 01-21
            ON,    # 02-09, done 02-05
            OVER,  # 03-20, no review
            NA),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("followup") / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "audit_followups.csv": FOLLOWUPS})
    return path


def states(con, f=Q1, config=None):
    df = fu.step_states(con, f, config or Config())
    return {a: tuple(rows.sort_values("step_no")["state"]) for a, rows in df.groupby("audit_id")}


def test_every_step_state_by_hand(con):
    assert states(con) == EXPECTED


def test_due_and_done_days(con):
    df = fu.step_states(con, Q1, Config()).set_index(["audit_id", "step"])
    assert str(df.loc[("F03", "review"), "due"].date()) == "2025-04-15"        # default audit + 90
    assert str(df.loc[("F13", "review"), "due"].date()) == "2025-03-20"        # the row's review_due_date
    assert str(df.loc[("F05", "hos_notified"), "due"].date()) == "2025-03-15"  # review 03-10 + 5
    assert str(df.loc[("F07", "reflective_meeting"), "done"].date()) == "2025-04-02"
    assert df.loc[("F01", "review"), "due"] is None or str(df.loc[("F01", "review"), "due"]) == "NaT"


def test_headline_by_hand(con):
    assert fu.headline(con, Q1, Config()) == {
        "audits": 11,                   # F01-F07, F09, F11-F13 (F08 Good, F10 after the period)
        "inadequate": 7,                # F03 F04 F05 F07 F09 F12 F13
        "requires_improvement": 4,      # F01 F02 F06 F11
        "provisional": 1,               # F02
        "with_overdue_step": 6,         # F02 F05 F07 F11 F12 F13
        "no_followup_recorded": 2,      # F02 F12
        "still_inadequate_after_review": 2,   # F04 F05 (F09's review is after D)
    }


def test_state_counts_by_hand(con):
    got = fu.state_counts(con, Q1, Config()).set_index(["step", "state"])["n"]
    want = {
        "managers_notified": {ON: 6, LATE: 2, OVER: 2, WAIT: 1, NA: 0},
        "reflective_meeting": {ON: 5, LATE: 1, OVER: 4, WAIT: 1, NA: 0},
        "review": {ON: 2, LATE: 1, OVER: 1, WAIT: 3, NA: 4},
        "hos_notified": {ON: 1, LATE: 0, OVER: 1, WAIT: 0, NA: 9},
    }
    for step, counts in want.items():
        for state, n in counts.items():
            assert got[(step, state)] == n, (step, state)


def test_table_overdue_first_and_still_inadequate(con):
    t = fu.followup_table(con, Q1, Config())
    # Overdue first, by the earliest overdue due day: F12 01-13, F02 01-15, F07 03-02, F05 03-15, F13 03-20,
    # F11 03-23; then still inadequate after review (F04); then by audit date.
    assert list(t["audit_id"]) == ["F12", "F02", "F07", "F05", "F13", "F11", "F04", "F01", "F03", "F09", "F06"]
    row = t.set_index("audit_id")
    assert dict(row["overdue_steps"]) == {"F12": 2, "F02": 2, "F07": 1, "F05": 1, "F13": 1, "F11": 1, "F04": 0,
                                          "F01": 0, "F03": 0, "F09": 0, "F06": 0}
    assert set(row.index[row["still_inadequate"]]) == {"F04", "F05"}
    assert set(row.index[~row["has_followup"]]) == {"F02", "F12"}
    assert row.loc["F02", "provisional"] and not row.loc["F01", "provisional"]
    assert row.loc["F11", "final_grade"] == "Requires Improvement"           # benchmarked grade is final
    assert row.loc["F05", "hos_notified_state"] == OVER and row.loc["F04", "hos_notified_state"] == ON
    assert row.loc["F09", "review_grade"] == "Inadequate" and row.loc["F09", "review_state"] == WAIT
    # Pseudonymous references only: no free-text column.
    assert "notes_ref" not in t.columns


def test_table_limited_to_its_first_rows_and_shown_for_reading(con):
    t = fu.followup_table(con, Q1, Config(), limit=3)
    assert list(t["audit_id"]) == ["F12", "F02", "F07"]        # the first three of the order worked out above
    assert list(t["overdue_steps"]) == [2, 2, 1]
    view = fu.table_view(fu.followup_table(con, Q1, Config()))
    row = view.set_index("Audit")
    assert row.loc["F04", "Still inadequate after review"] == "Yes" and row.loc["F01", "Still inadequate after review"] == ""
    assert row.loc["F01", "Audit date"] == dt.date(2025, 1, 6)
    assert row.loc["F04", "Review done"] == dt.date(2025, 2, 20)                  # a date, without a time
    assert row.loc["F01", "Notify managers by"] == dt.date(2025, 1, 11)           # audit + 5 days


def test_on_time_by_service_whole_period(con):
    r = fu.on_time_rates(con, Q1, Config()).set_index(["service", "step"])
    # (judged = on time + late + overdue, on time)
    want = {
        ("MASH", "managers_notified"): (3, 1),    # F01 on time, F02 overdue, F11 late
        ("MASH", "reflective_meeting"): (3, 1),   # F01 on time, F02 and F11 overdue
        ("AI", "managers_notified"): (3, 2),      # F03 late, F04 F09 on time
        ("AI", "reflective_meeting"): (3, 2),     # F04 late
        ("AI", "review"): (1, 1),                 # F04; F03 and F09 not yet due
        ("AI", "hos_notified"): (1, 1),           # F04
        ("CF", "managers_notified"): (1, 1),      # F07 (F06 not yet due)
        ("CF", "reflective_meeting"): (1, 0),     # F07 overdue
        ("CF", "review"): (1, 1),                 # F07
        ("PT", "managers_notified"): (2, 2),
        ("PT", "reflective_meeting"): (2, 2),
        ("PT", "review"): (2, 0),                 # F05 late, F13 overdue
        ("PT", "hos_notified"): (1, 0),           # F05 overdue
        ("DCS", "managers_notified"): (1, 0),     # F12: no follow-up row
        ("DCS", "reflective_meeting"): (1, 0),
    }
    assert {k: (int(v["judged"]), int(v["on_time"])) for k, v in r.iterrows()} == want
    mash = r.loc[("MASH", "managers_notified")]
    assert mash["on_time_pct"] == pytest.approx(100 / 3)
    assert (mash["late"], mash["overdue"]) == (1, 1)
    # Wilson 1 of 3 by the textbook formula: 6.15% to 79.23%.
    assert (mash["ci_low"], mash["ci_high"]) == pytest.approx(wilson(1, 3))
    assert mash["ci_low"] == pytest.approx(6.149, abs=1e-3) and mash["ci_high"] == pytest.approx(79.234, abs=1e-3)
    # Services in their configured order: MASH, AI, CF, PT, DCS.
    assert list(dict.fromkeys(r.index.get_level_values(0))) == ["MASH", "AI", "CF", "PT", "DCS"]


def test_on_time_by_month_quarter_and_rolling(con):
    m = fu.on_time_rates(con, Q1, Config(), "month")
    notified = m[m["step"] == "managers_notified"].set_index(["period", "service"])
    assert {k: (int(v["judged"]), int(v["on_time"])) for k, v in notified.iterrows()} == {
        ("2025-01", "MASH"): (2, 1),   # F01 on time, F02 overdue
        ("2025-01", "AI"): (2, 1),     # F04 on time, F03 late
        ("2025-01", "PT"): (2, 2),     # F05 F13
        ("2025-01", "DCS"): (1, 0),    # F12
        ("2025-02", "AI"): (1, 1),     # F09
        ("2025-02", "CF"): (1, 1),     # F07
        ("2025-03", "MASH"): (1, 0),   # F11 late; F06 (CF) not yet due, so no CF row in March
    }
    q = fu.on_time_rates(con, Q1, Config(), "quarter")
    assert set(q["period"]) == {"2024-25 Q4"}
    assert q.drop(columns="period").equals(fu.on_time_rates(con, Q1, Config()))
    # Rolling 3 months over March alone still takes January and February's audits.
    r = fu.on_time_rates(con, Filters("2025-03", "2025-03"), Config(), "rolling3")
    row = r[(r["service"] == "MASH") & (r["step"] == "managers_notified")].iloc[0]
    assert (row["period"], row["judged"], row["on_time"]) == ("2025-03", 3, 1)


@pytest.mark.parametrize("grain", ["month", "quarter", "rolling3"])
def test_page_figures_join_once_and_equal_each_figure(con, grain):
    """The page's figures read one temporary join of the audits and their follow-up rows: they equal each
    function's own, the temporary table is gone afterwards, and the rolling grain still reaches back."""
    import pandas as pd
    got = fu.page_figures(con, Q1, Config(), grain, limit=5)
    assert got["headline"] == fu.headline(con, Q1, Config())
    pd.testing.assert_frame_equal(got["table"], fu.followup_table(con, Q1, Config(), limit=5))
    pd.testing.assert_frame_equal(got["states"], fu.state_counts(con, Q1, Config()))
    pd.testing.assert_frame_equal(got["overall"], fu.on_time_rates(con, Q1, Config()))
    pd.testing.assert_frame_equal(got["series"], fu.on_time_rates(con, Q1, Config(), grain))
    assert not con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    march = fu.page_figures(con, Filters("2025-03", "2025-03"), Config(), "rolling3")["series"]
    row = march[(march["service"] == "MASH") & (march["step"] == "managers_notified")].iloc[0]
    assert (row["judged"], row["on_time"]) == (3, 1)       # January's and February's audits too, as above
    assert got["headline"]["audits"] == 11


def test_judged_on_the_period_end(con):
    """With D = 2025-01-31 the steps done in February were not done yet."""
    jan = Filters("2025-01", "2025-01")
    s = states(con, jan)
    assert set(s) == {"F01", "F02", "F03", "F04", "F05", "F12", "F13"}
    assert s["F03"] == (LATE, WAIT, WAIT, NA)        # meeting due 02-04, done 02-03: after D, not yet due
    assert s["F04"] == (ON, LATE, WAIT, NA)          # review 02-20 after D; so no Head of Service step yet
    assert s["F13"] == (ON, WAIT, WAIT, NA)
    assert s["F02"] == (OVER, OVER, NA, NA)          # 01-15 and 01-30 are before 01-31
    assert fu.headline(con, jan, Config())["still_inadequate_after_review"] == 0


def test_filters_and_scope_apply(con):
    ai = Filters("2025-01", "2025-03", services=("AI",))
    assert fu.headline(con, ai, Config())["audits"] == 3                    # F03 F04 F09
    scoped = Filters("2025-01", "2025-03", services=("AI", "PT"), scope=("PT",))
    assert set(fu.followup_table(con, scoped, Config())["audit_id"]) == {"F05", "F13"}
    team = Filters("2025-01", "2025-03", teams=("AI 2",))
    assert list(fu.followup_table(con, team, Config())["audit_id"]) == ["F09"]
    empty = Filters("2025-01", "2025-03", services=("IRSS",))
    assert fu.headline(con, empty, Config())["audits"] == 0
    assert fu.followup_table(con, empty, Config()).empty and fu.on_time_rates(con, empty, Config(), "month").empty


def test_configured_days_from_a_toml_file(con, tmp_path):
    path = tmp_path / "council.toml"
    path.write_text("[followup]\nmanagers_notified_days = 3\nreview_days = 60\nhead_of_service_notified_days = 3\n")
    config = load_config(path)
    assert fu.days(config) == {"managers_notified_days": 3, "reflective_meeting_days": 20, "review_days": 60,
                               "head_of_service_notified_days": 3}
    s = states(con, Q1, config)
    # Managers notified within 3 days.
    assert {a: v[0] for a, v in s.items()} == {
        "F01": ON,    # due 01-09, done 01-09
        "F02": OVER, "F12": OVER,
        "F03": LATE,  # due 01-18, done 01-22
        "F04": LATE,  # due 01-05, done 01-07
        "F05": LATE,  # due 01-06, done 01-08
        "F06": WAIT,  # due 03-31 = D: not *before* D, so not overdue
        "F07": ON, "F09": ON, "F13": ON,
        "F11": LATE,  # due 03-06, done 03-10
    }
    # Review within 60 days unless the row says otherwise.
    assert {a: v[2] for a, v in s.items() if v[2] != NA} == {
        "F03": OVER,  # 01-15 + 60 = 03-16
        "F04": ON,    # the row's 02-28
        "F05": LATE,  # the row's 03-01
        "F07": ON,    # 02-10 + 60 = 04-11, done 03-20
        "F09": WAIT,  # 02-20 + 60 = 04-21
        "F12": OVER,  # 01-08 + 60 = 03-09
        "F13": OVER,  # the row's 03-20
    }
    # Head of Service within 3 days of the review.
    assert s["F04"][3] == LATE    # review 02-20: due 02-23, done 02-24
    assert s["F05"][3] == OVER    # review 03-10: due 03-13
    assert [v[1] for v in s.values()] == [v[1] for v in EXPECTED.values()]   # meeting days unchanged


# --- the derived table followup_audits -------------------------------------------------------------
def followup_rows(path):
    with Database(path).read() as c:
        return c.execute("SELECT audit_id, final_rank, provisional, has_followup, review_rank FROM followup_audits "
                         "ORDER BY audit_date, audit_id").fetchall()


# Every audit of AUDITS graded Requires Improvement or Inadequate (final grade), by date; F08 (Good) is not in it.
# has_followup: a follow-up row exists (F02, F10 and F12 have none); review_rank: the review grade's rank.
FOLLOWUP_BY_HAND = [("F04", 4, False, True, 4), ("F05", 4, False, True, 4), ("F01", 3, False, True, None),
                    ("F12", 4, False, False, None), ("F02", 3, True, False, None), ("F03", 4, False, True, None),
                    ("F13", 4, False, True, None), ("F07", 4, False, True, 2), ("F09", 4, False, True, 4),
                    ("F11", 3, False, True, None), ("F06", 3, False, True, None), ("F10", 3, True, False, None)]


def test_followup_audits_by_hand(db):
    assert followup_rows(db) == FOLLOWUP_BY_HAND


def test_followup_audits_follow_a_load_an_undo_and_an_erasure(tmp_path):
    """The derived table is rebuilt in every write that changes the audits or the follow-up rows: a follow-up
    file alone, an audit file alone, an undo and an erasure; the figures follow at once."""
    from analytics import backups, erasure
    from conftest import run_cli
    path = load_csv_texts(tmp_path / "qa.duckdb", {"audits.csv": AUDITS, "audit_followups.csv": FOLLOWUPS})
    with Database(path).read() as c:
        assert fu.headline(c, Q1, Config())["no_followup_recorded"] == 2                 # F02 and F12
    # F02's managers notified on 01-12 (due 01-15): a follow-up file alone.
    (tmp_path / "fu.csv").write_text("audit_id,process,managers_notified_date\nF02,Requires Improvement,2025-01-12\n")
    assert run_cli("load", "--db", path, "--dataset", "audit_followups", tmp_path / "fu.csv")[0] == 0
    assert ("F02", 3, True, True, None) in followup_rows(path)
    with Database(path).read() as c:
        assert fu.headline(c, Q1, Config())["no_followup_recorded"] == 1
        assert states(c)["F02"] == (ON, OVER, NA, NA)
    # F08 moderated down to Inadequate: an audit file alone brings it into follow-up.
    (tmp_path / "regrade.csv").write_text(AUDITS.splitlines()[0] + "\n"
                                          "F08,2025-02-14,AI,AI 1,K08,CP,S2,Team Manager,Good,Inadequate,\n")
    assert run_cli("load", "--db", path, "--dataset", "audits", tmp_path / "regrade.csv")[0] == 0
    assert ("F08", 4, False, False, None) in followup_rows(path)
    with Database(path).read() as c:
        assert fu.headline(c, Q1, Config())["audits"] == 12
    last = max(load.load_id for load in backups.history(Database(path)))
    backups.undo(Database(path), last, user="test")
    backups.undo(Database(path), last - 1, user="test")
    assert followup_rows(path) == FOLLOWUP_BY_HAND
    erasure.erase_child(Database(path), "K04", user="test")             # F04 and its follow-up row
    assert followup_rows(path) == [r for r in FOLLOWUP_BY_HAND if r[0] != "F04"]
    with Database(path).read() as c:
        assert fu.headline(c, Q1, Config())["audits"] == 10


def test_rates_table_shows_the_range_under_twenty():
    import pandas as pd
    rates = pd.DataFrame({"service": ["AI", "CF"], "step": ["review"] * 2, "step_label": ["Review (Inadequate)"] * 2,
                          "judged": [3, 20], "on_time": [1, 10], "late": [1, 5], "overdue": [1, 5],
                          "on_time_pct": [100 / 3, 50.0], "ci_low": [wilson_interval(1, 3)[0], 30.0],
                          "ci_high": [wilson_interval(1, 3)[1], 70.0]})
    t = fu.rates_table(rates)
    assert list(t["On time"]) == ["33.3% (6.1% to 79.2%)", "50.0%"]
    assert list(t["Steps due"]) == [3, 20]


# --- the page ------------------------------------------------------------------------------------
@pytest.fixture
def page_dir(tmp_path, monkeypatch, db):
    return use_council_db(db, tmp_path, monkeypatch)


def open_page(**query):
    return open_app_page("pages/followup.py", **query)


metric = shown_metric


def frame(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_page_shows_the_hand_worked_figures(page_dir, db):
    at = open_page(period=["2025-01", "2025-03"])
    with Database(db).read() as c:
        head = fu.headline(c, Q1, Config())
        overall = fu.on_time_rates(c, Q1, Config())
    assert metric(at, "Audits in follow-up") == str(head["audits"]) == "11"
    assert metric(at, "Inadequate") == "7"
    assert metric(at, "With an overdue step") == "6"
    assert metric(at, "No follow-up recorded") == "2"
    assert metric(at, "Still inadequate") == "2"
    assert metric(at, "Provisional") == "1"
    table = frame(at, "Still inadequate after review")
    assert list(table["Audit"]) == ["F12", "F02", "F07", "F05", "F13", "F11", "F04", "F01", "F03", "F09", "F06"]
    assert list(table.loc[table["Still inadequate after review"] == "Yes", "Audit"]) == ["F05", "F04"]
    assert table.loc[table["Audit"] == "F05", "Head of Service: state"].item() == OVER
    states_shown = frame(at, "not yet due").set_index("step")
    assert states_shown.loc["Reflective meeting", "overdue"] == 4 and states_shown.loc["Review (Inadequate)",
                                                                                        "not yet due"] == 3
    rates = frame(at, "On time")
    mash = rates[(rates["Service"] == "MASH") & (rates["Step"] == "Managers notified")]
    low, high = wilson(1, 3)
    assert mash["On time"].item() == f"33.3% ({format_pct(low)} to {format_pct(high)})"
    assert len(rates) == len(overall)


def test_page_follows_the_url_service_filter(page_dir):
    at = open_page(period=["2025-01", "2025-03"], service="PT")
    assert metric(at, "Audits in follow-up") == "2" and metric(at, "With an overdue step") == "2"


def test_page_with_nothing_to_follow_up(page_dir):
    at = open_page(period=["2025-01", "2025-03"], service="IRSS")
    assert any("Requires Improvement or Inadequate" in i.value for i in at.info)


def test_page_on_an_empty_database(empty_council_db):
    at = open_page()
    assert any("No audits" in i.value for i in at.info)


def test_on_time_by_team_keeps_the_audits_without_a_team(tmp_path):
    """An audit with no team recorded is its own group (team None), not lost nor an error."""
    audits = AUDITS.replace("F02,2025-01-10,MASH,MASH 1,", "F02,2025-01-10,MASH,,")
    path = load_csv_texts(tmp_path / "qa.duckdb", {"audits.csv": audits, "audit_followups.csv": FOLLOWUPS})
    with Database(path).read() as c:
        r = fu.on_time_rates(c, Q1, Config(), by="team")
    got = {(None if pd.isna(t) else t, s): (int(j), int(o))
           for t, s, j, o in zip(r["team"], r["step"], r["judged"], r["on_time"]) if pd.isna(t) or t == "MASH 1"}
    assert got == {(None, "managers_notified"): (1, 0), (None, "reflective_meeting"): (1, 0),   # F02 overdue
                   ("MASH 1", "managers_notified"): (2, 1),       # F01 on time, F11 late
                   ("MASH 1", "reflective_meeting"): (2, 1)}      # F01 on time, F11 overdue


def test_the_screen_table_marks_a_step_not_done_with_a_dash_and_shades_still_inadequate(con):
    # A Styler wrote a missing date as "None" (the follow-up table on screen showed "None" under steps not done).
    view = fu.table_view(fu.followup_table(con, Q1, Config()))
    assert view["Review done"].isna().any()
    styled = fu.styled_view(view, "#880000")
    shown = styled.data.set_index("Audit")
    assert not shown["Review done"].isna().any() and "–" in set(shown["Review done"])
    assert shown.loc["F04", "Review done"] == "2025-02-20"     # written as the other dates are
    html = styled.to_html()
    assert "None" not in html and "NaT" not in html
    css = " ".join(html.split())   # the Styler writes one property per line
    assert fu.STILL_INADEQUATE_BG in css and "color: #880000; font-weight: bold" in css
