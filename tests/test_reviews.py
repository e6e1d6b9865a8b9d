"""Reviews and spotlights: the timeline, the actions citing each review with their state on D, themes, all by
hand; and the page on this fixture and on an empty database.

Period January-March 2025; D = 2025-03-31.
"""
import pytest
from streamlit.testing.v1 import AppTest

from conftest import load_csv_texts, use_council_db, ROOT

# R4 is before the period; R2 and R5 are authority-wide (blank service = ALL); R5 names no theme.
REVIEWS = """\
review_id,review_type,review_date,title,service,themes
R1,Rapid Review,2025-01-15,Rapid Review 2025-01,AI,Risk analysis; Multi-agency working
R2,CSPR,2025-02-10,CSPR: neglect,,Neglect; Voice of child
R3,Team Spotlight,2025-03-05,Team Spotlight: CF Team 1,CF,Voice of the child; Drift and delay
R4,Ofsted,2024-12-01,Ofsted focused visit,PT,Permanence
R5,DSCP Thematic Review,2025-03-20,DSCP thematic review,,
"""
# State on D = 2025-03-31:
# A1 R1 complete 02-10                         Complete
# A2 R1 in progress, due 03-01                 Overdue
# A3 R2 not started, due 05-01                 Open
# A4 R2 Closed, no completion date             Closed
# A5 R3 raised 04-10, after D                  not counted
# A6 R3 completed 04-05 (after D), due 03-20   Overdue (not finished by D)
# A7 R4 (review before the period)             not shown
# A8 an audit action                           cites no review
ACTIONS = """\
action_id,source,source_ref,theme,service,raised_date,due_date,status,completed_date
A1,Rapid Review,R1,Risk analysis,AI,2025-01-20,2025-02-20,Complete,2025-02-10
A2,Rapid Review,R1,Multi-agency working,,2025-01-25,2025-03-01,In progress,
A3,CSPR,R2,Neglect,,2025-02-15,2025-05-01,Not started,
A4,CSPR,R2,Voice of the child,,2025-02-20,2025-03-10,Closed,
A5,Team Spotlight,R3,Drift and delay,CF,2025-04-10,2025-06-01,Not started,
A6,Team Spotlight,R3,Voice of the child,CF,2025-03-10,2025-03-20,Complete,2025-04-05
A7,Ofsted,R4,Permanence,PT,2024-12-20,2025-02-01,Complete,2025-01-30
A8,Audit,AUD-1,Recording,,2025-02-01,2025-03-01,Complete,2025-02-25
"""
AUDITS = """\
audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade
X1,2025-01-10,AI,C1,CP,Team Manager,Good
X2,2025-03-10,CF,C2,CIN,Team Manager,Good
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("reviews") / "qa.duckdb"
    return load_csv_texts(path, {"reviews.csv": REVIEWS, "learning_actions.csv": ACTIONS, "audits.csv": AUDITS})


def F(**kw):
    from analytics.filters import Filters
    return Filters(month_from="2025-01", month_to="2025-03", **kw)


def test_timeline_counts_the_actions_citing_each_review_on_d(con):
    from analytics import reviews
    t = reviews.timeline(con, F())
    assert list(t["review_id"]) == ["R1", "R2", "R3", "R5"]
    got = {r: (a, o, v, c, cl) for r, a, o, v, c, cl in
           zip(t["review_id"], t["actions"], t["open"], t["overdue"], t["complete"], t["closed"])}
    assert got == {"R1": (2, 1, 1, 1, 0), "R2": (2, 1, 0, 0, 1), "R3": (1, 1, 1, 0, 0), "R5": (0, 0, 0, 0, 0)}
    assert t.set_index("review_id").loc["R2", "service"] == "ALL"
    assert t.set_index("review_id").loc["R3", "themes"] == "Voice of the child; Drift and delay"
    kinds = reviews.by_type(t).set_index("review_type")
    assert list(kinds.index) == ["Rapid Review", "CSPR", "DSCP Thematic Review", "Team Spotlight"]
    assert kinds.loc["DSCP Thematic Review", "without_actions"] == 1
    assert int(kinds["actions"].sum()) == 5 and int(kinds["overdue"].sum()) == 2


def test_a_service_filter_leaves_authority_wide_reviews_out(con):
    from analytics import reviews
    t = reviews.timeline(con, F(services=("CF",)))
    assert list(t["review_id"]) == ["R3"]
    assert list(reviews.citing_actions(con, F(services=("CF",)))["action_id"]) == ["A6"]


def test_a_role_seeing_its_own_services_sees_only_their_actions_citing_a_review(con):
    # R1 (AI) led to A1 (AI) and A2 (council-wide). Filtering to AI lists both; a role that sees only AI is
    # shown only AI's, as its Learning Action Tracker shows it.
    from analytics import reviews
    from analytics.config import Config
    assert list(reviews.citing_actions(con, F(services=("AI",)))["action_id"]) == ["A1", "A2"]
    assert list(reviews.citing_actions(con, F(scope=("AI",)))["action_id"]) == ["A1"]
    t = reviews.page_figures(con, F(scope=("AI",)), Config())["timeline"]
    assert dict(zip(t["review_id"], t["actions"])) == {"R1": 1}


def test_citing_actions_with_their_state_on_d(con):
    from analytics import reviews
    a = reviews.citing_actions(con, F())
    assert list(a["action_id"]) == ["A1", "A2", "A3", "A4", "A6"]
    assert list(a["state_on_d"]) == ["Complete", "Overdue", "Open", "Closed", "Overdue"]
    # The same open/overdue rule as summary's learning actions (metrics.ACTION_FINISHED).
    from analytics import metrics
    s = metrics.learning_actions(con, F())   # every action raised in the period, A8 too (complete)
    assert (s["open"], s["overdue"]) == (3, 2)


def test_review_themes_meet_through_synonyms(con):
    from analytics import reviews
    from analytics.config import Config
    th = reviews.themes(con, F(), Config())
    assert list(th["theme"]) == ["Voice of the child", "Drift and delay", "Multi-agency working", "Neglect",
                                 "Risk analysis"]
    assert list(th["reviews"]) == [2, 1, 1, 1, 1]
    assert th.loc[0, "review_types"] == "CSPR; Team Spotlight"


@pytest.fixture
def page_dir(db, tmp_path, monkeypatch):
    return use_council_db(db, tmp_path, monkeypatch)


def test_page_shows_the_same_figures(page_dir, con):
    from analytics import reviews
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/reviews.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Reviews"] == "4" and metrics["Learning actions citing them"] == "5"
    assert metrics["Open on 31 Mar 2025"] == "3" and metrics["Overdue"] == "2"
    frames = [d.value for d in at.dataframe]
    timeline = frames[0]
    assert list(timeline["review_id"]) == list(reviews.timeline(con, F())["review_id"])
    assert list(frames[-1]["State on the period's last day"]) == ["Complete", "Overdue", "Open", "Closed", "Overdue"]
    assert any("1 review in the period has no learning action" in c.value for c in at.caption)


def test_page_on_an_empty_database(empty_council_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/reviews.py").run()
    assert not at.exception, at.exception
    assert at.info and not at.dataframe


def test_page_figures_are_the_single_figures_from_two_reads(con):
    import pandas as pd
    from analytics import reviews
    from analytics.config import Config
    from analytics.filters import Filters
    for f in (F(), F(services=("AI",)), Filters("2019-01", "2019-02")):
        got = reviews.page_figures(con, f, Config())
        pd.testing.assert_frame_equal(got["timeline"], reviews.timeline(con, f))
        pd.testing.assert_frame_equal(got["themes"], reviews.themes(con, f, Config()))
        pd.testing.assert_frame_equal(got["citing_actions"], reviews.citing_actions(con, f))
    assert got["timeline"].empty                                     # (the last: a period with no review)
