"""Practice observations: compliance on a day with staff joining and leaving, the due list, types and grades,
all worked out by hand; and the page on this fixture and on an empty database.

D = 2025-03-31 (period to March 2025): the 12-month window is 2024-04-01 .. 2025-03-31
(observed_date after 2024-03-31, up to D).
"""
import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from conftest import load_csv_texts, use_council_db, ROOT

# id   role                 service  start       end          on 2025-03-31   on 2025-04-30
# S01  Social Worker        AI       2023-01-01  -            in post         in post
# S02  Social Worker        AI       2024-11-01  -            in post (new)   in post
# S03  Family Practitioner  CF       2020-01-01  2025-02-28   left            left
# S04  Team Manager         CF       2020-01-01  2025-04-05   in post         left
# S05  Service Manager      AI       2019-05-01  -            in post         in post
# S06  Advanced Practitioner AI      2019-05-01  -            (no rule)       (no rule)
# S07  Social Worker        CF       2025-04-01  -            not yet         in post (new)
# S08  Team Manager         AI       2021-01-01  -            in post         in post
STAFF = """\
staff_id,role,service,team,start_date,end_date
S01,Social Worker,AI,AI Team 1,2023-01-01,
S02,Social Worker,AI,AI Team 1,2024-11-01,
S03,Family Practitioner,CF,CF Team 1,2020-01-01,2025-02-28
S04,Team Manager,CF,CF Team 1,2020-01-01,2025-04-05
S05,Service Manager,AI,,2019-05-01,
S06,Advanced Practitioner,AI,AI Team 1,2019-05-01,
S07,Social Worker,CF,CF Team 1,2025-04-01,
S08,Team Manager,AI,AI Team 2,2021-01-01,
"""
# O01's own role (Family Practitioner) disagrees with the roster: the roster's role is used.
OBSERVATIONS = """\
observation_id,observed_date,staff_id,staff_role,service,observation_type,observer_role,grade
O01,2024-05-10,S01,Family Practitioner,AI,Direct work with child,Team Manager,Good
O02,2024-10-15,S01,Social Worker,AI,Other practice,Team Manager,Outstanding
O03,2025-01-20,S02,Social Worker,AI,Direct work with child,Team Manager,Requires Improvement
O04,2025-04-10,S02,Social Worker,AI,Direct work with child,Team Manager,Good
O05,2024-03-31,S05,Service Manager,AI,Supervision,Head of Service,Good
O06,2024-04-15,S05,Service Manager,AI,Supervision,Head of Service,
O07,2024-04-10,S04,Team Manager,CF,Supervision,Service Manager,Good
O08,2024-12-01,S04,Team Manager,CF,Other practice,Service Manager,Inadequate
O09,2024-06-01,S08,Team Manager,AI,Other practice,Service Manager,Good
O10,2024-09-01,S08,Team Manager,AI,Other practice,Service Manager,Requires Improvement
O11,2024-11-05,S03,Family Practitioner,CF,Direct work with child,Advanced Practitioner,Outstanding
"""
# Compliance on 2025-03-31 (window 2024-04-01 .. 2025-03-31; O04 is after D, O05 exactly 12 months before):
#   S01 O01 DW + O02 -> 2, one direct work          compliant
#   S02 O03 only -> 1                                 not (1 more observation)
#   S04 O07 Sup + O08 -> 2, one supervision          compliant
#   S05 O06 Sup (O05 falls outside) -> 1 supervision  compliant
#   S08 O09 + O10 -> 2, no supervision               not (a supervision)
#   S03 has left, S07 has not started, S06's role needs no observation: not counted.
# AI: SW 1/2, TM 0/1, SM 1/1, all 2/4; CF: TM 1/1; all services 3/5 = 60%.
# Look-ahead with the observations made by D:
#   S05 stops being compliant on 2025-04-15 (O06 leaves the window)  -> due within 30 days
#   S01 on 2025-05-10 (O01 leaves)                                   -> due within 60 days
#   S04 would on 2025-04-10 (O07 leaves) but leaves on 2025-04-05   -> not listed
D_MARCH = ("2024-04", "2025-03")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("observations") / "qa.duckdb"
    return load_csv_texts(path, {"staff.csv": STAFF, "observations.csv": OBSERVATIONS})


def F(period=D_MARCH, **kw):
    from analytics.filters import Filters
    return Filters(month_from=period[0], month_to=period[1], **kw)


def cell(cells, service, role):
    row = cells[(cells["service"] == service) & (cells["role"] == role)]
    assert len(row) == 1, (service, role)
    return int(row["compliant"].iloc[0]), int(row["n"].iloc[0])


def test_compliance_on_d_counts_staff_in_post_by_roster_role(con):
    from analytics import observations
    from analytics.config import Config
    cells = observations.compliance(con, F(), Config())
    assert cell(cells, "AI", "Social Worker") == (1, 2)
    assert cell(cells, "AI", "Team Manager") == (0, 1)
    assert cell(cells, "AI", "Service Manager") == (1, 1)
    assert cell(cells, "AI", "All roles") == (2, 4)
    assert cell(cells, "CF", "Team Manager") == (1, 1)
    assert cell(cells, "CF", "All roles") == (1, 1)
    assert cell(cells, "All services", "Social Worker") == (1, 2)
    assert "Family Practitioner" not in set(cells["role"])
    assert cell(cells, "All services", "All roles") == (3, 5)
    total = cells[(cells["service"] == "All services") & (cells["role"] == "All roles")].iloc[0]
    assert total["compliant_pct"] == pytest.approx(60.0)
    # Wilson 95% interval of 3/5 by hand: centre (0.6 + 1.92/5)/(1 + 3.84/5) ... = 23.1% to 88.2%
    assert (round(total["ci_low"], 1), round(total["ci_high"], 1)) == (23.1, 88.2)
    people = observations.staff_status(con, dt.date(2025, 3, 31), dt.date(2025, 3, 31)).set_index("staff_id")
    assert sorted(people.index) == ["S01", "S02", "S04", "S05", "S08"]
    assert people.loc["S01", "role"] == "Social Worker" and people.loc["S01", "observations"] == 2
    assert people.loc["S05", "observations"] == 1   # O05 is exactly 12 months before D: outside the window


def test_compliance_a_month_later_follows_joiners_and_leavers(con):
    from analytics import observations
    from analytics.config import Config
    # On 2025-04-30: S04 has left, S07 has joined (no observation), S02's O04 makes 2 with direct work,
    # S05's only supervision (O06, 2024-04-15) has left the window. In post: S01 yes, S02 yes, S05 no,
    # S07 no, S08 no -> 2 of 5.
    cells = observations.compliance(con, F(("2024-05", "2025-04")), Config())
    assert cell(cells, "All services", "All roles") == (2, 5)
    assert cell(cells, "CF", "Social Worker") == (0, 1)
    assert "Team Manager" not in set(cells[cells["service"] == "CF"]["role"])


def test_service_filter_uses_the_roster_service(con):
    from analytics import observations
    from analytics.config import Config
    cells = observations.compliance(con, F(services=("CF",)), Config())
    assert set(cells["service"]) == {"CF", "All services"}
    assert cell(cells, "All services", "All roles") == (1, 1)


def test_due_lists_overdue_then_due_within_30_and_60_days(con):
    from analytics import observations
    due = observations.due(con, F())
    assert list(due["staff_id"]) == ["S02", "S08", "S05", "S01"]
    assert list(due["status"]) == ["Overdue", "Overdue", "Due within 30 days", "Due within 60 days"]
    assert list(due["due_by"])[2:] == [dt.date(2025, 4, 15), dt.date(2025, 5, 10)]
    assert list(due["missing"])[:2] == ["1 more observation", "a supervision observation"]
    assert "S04" not in set(due["staff_id"])    # leaves on 2025-04-05, before O07 drops out
    # The definition: due within N days = not compliant when judged on D + N (observations made by D).
    d = dt.date(2025, 3, 31)
    for n, expected in ((30, {"S02", "S08", "S05", "S04"}), (60, {"S02", "S08", "S05", "S04", "S01"})):
        judged = observations.staff_status(con, d + dt.timedelta(days=n), d)
        assert set(judged[~judged["compliant"]]["staff_id"]) == expected


def test_due_a_month_later(con):
    from analytics import observations
    due = observations.due(con, F(("2024-05", "2025-04")))
    # D = 2025-04-30: overdue S05, S08 (AI) and S07 (CF); S01 stops on 2025-05-10 (within 30 days).
    assert list(due["staff_id"]) == ["S05", "S08", "S07", "S01"]
    assert list(due["status"]) == ["Overdue"] * 3 + ["Due within 30 days"]


def test_types_and_grades_in_the_period(con):
    from analytics import observations
    from analytics.config import Config
    # Observed 2024-04 .. 2025-03: O01 O02 O03 O06 O07 O08 O09 O10 O11 (O04 after, O05 before).
    types = observations.by_type_and_grade(con, F(), Config())
    got = {(t, g): n for t, g, n in zip(types["observation_type"], types["grade"], types["n"])}
    assert got == {("Direct work with child", "Outstanding"): 1, ("Direct work with child", "Good"): 1,
                   ("Direct work with child", "Requires Improvement"): 1,
                   ("Other practice", "Outstanding"): 1, ("Other practice", "Good"): 1,
                   ("Other practice", "Requires Improvement"): 1, ("Other practice", "Inadequate"): 1,
                   ("Supervision", "Good"): 1, ("Supervision", "Not graded"): 1}
    grades = observations.grades_by_type(con, F()).set_index("observation_type")
    assert list(grades["n"]) == [3, 4, 2] and list(grades["graded"]) == [3, 4, 1]
    assert list(grades["good"]) == [2, 2, 1]
    assert grades.loc["Direct work with child", "good_pct"] == pytest.approx(200 / 3)
    # Wilson 2/3 by hand: 20.8% to 93.9%
    assert (round(grades.loc["Direct work with child", "ci_low"], 1),
            round(grades.loc["Direct work with child", "ci_high"], 1)) == (20.8, 93.9)
    ai = observations.grades_by_type(con, F(services=("AI",))).set_index("observation_type")
    assert list(ai["n"]) == [2, 3, 1]
    monthly = observations.monthly(con, F())
    assert int(monthly["n"].sum()) == 9
    assert monthly[monthly["month"] == "2024-04"]["n"].sum() == 2   # O06, O07


@pytest.fixture
def page_dir(db, tmp_path, monkeypatch):
    return use_council_db(db, tmp_path, monkeypatch)


def test_page_shows_the_same_figures(page_dir, con):
    from analytics import observations
    from analytics.config import Config
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/observations.py").run()
    assert not at.exception, at.exception
    # No audits: the period is the last 12 months of observations, to April 2025 (D = 2025-04-30).
    f = F(("2024-05", "2025-04"))
    frames = [d.value for d in at.dataframe]
    cells = frames[0]
    want = observations.compliance(con, f, Config())
    assert list(cells["compliant"]) == list(want["compliant"]) and list(cells["n"]) == list(want["n"])
    assert cells.set_index(["service", "role"]).loc[("All services", "All roles"), "95% interval (n < 20)"] == \
        "11.8–76.9%"
    due = frames[1]
    assert list(due["Staff"]) == ["S05", "S08", "S07", "S01"]
    assert "" in set(due["Due by"]) and None not in set(due["Due by"])   # overdue staff: blank, not None
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Compliant"] == "40.0%" and metrics["Staff in post"] == "5"
    assert metrics["Overdue now"] == "3" and metrics["Due within 60 days"] == "1"
    assert any("30 April 2025" in s.value for s in at.subheader)


def test_page_on_an_empty_database(empty_council_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/observations.py").run()
    assert not at.exception, at.exception
    assert at.info and not at.dataframe


def test_first_failure_with_the_look_ahead_worked_out_once():
    import datetime as dt
    from analytics import observations as obs
    # A social worker seen 2024-07-10 (direct work) and 2024-09-01; D = 2025-06-30. The July observation leaves
    # the 12-month window on 2025-07-10 (window after 2024-07-10): the first day they are not compliant.
    seen = [(dt.date(2024, 7, 10), obs.DIRECT), (dt.date(2024, 9, 1), "Supervision")]
    d = dt.date(2025, 6, 30)
    assert obs._first_failure(seen, 2, obs.DIRECT, d, 30) == dt.date(2025, 7, 10)
    ahead = [(d + dt.timedelta(days=k), obs.add_months(d + dt.timedelta(days=k), -12)) for k in range(1, 31)]
    assert obs._first_failure(seen, 2, obs.DIRECT, d, 30, ahead) == dt.date(2025, 7, 10)
    assert obs.compliant_on(seen, 2, obs.DIRECT, dt.date(2025, 7, 9), dt.date(2024, 7, 9))
    assert not obs.compliant_on(seen, 2, obs.DIRECT, dt.date(2025, 7, 10), dt.date(2024, 7, 10))
    assert obs._first_failure(seen, 2, obs.DIRECT, d, 9) is None        # still compliant on 2025-07-09


def test_the_first_lapse_found_by_search_is_the_first_failing_day():
    """due() finds when someone stops being compliant by a search over the look-ahead; it must give the day the
    day-by-day rule gives, across leap days, month ends and every way of lapsing (count or type)."""
    import random
    from analytics import observations as obs
    rng = random.Random(5)
    for d in (dt.date(2024, 2, 29), dt.date(2025, 1, 31), dt.date(2025, 6, 30), dt.date(2024, 12, 31)):
        ahead = [(day, obs.add_months(day, -12)) for day in (d + dt.timedelta(days=k) for k in range(1, 61))]
        starts = [s for _, s in ahead]
        for _ in range(300):
            needed, kind = rng.choice(list(obs.RULES.values()))
            seen = [(d - dt.timedelta(days=rng.randint(0, 364)), rng.choice([obs.DIRECT, obs.SUPERVISION, "Other"]))
                    for _ in range(rng.randint(1, 4))]
            if not obs.compliant_on(seen, needed, kind, d):
                continue
            assert obs._first_lapse(seen, needed, kind, ahead, starts) == obs._first_failure(seen, needed, kind, d, 60)


@pytest.mark.parametrize("period", [("2024-04", "2025-03"), ("2024-05", "2025-04")])
def test_compliance_and_due_from_one_read_equal_each_call(con, period):
    from analytics import observations
    from analytics.config import Config
    f = F(period)
    cells, due = observations.compliance_and_due(con, f, Config())
    pd.testing.assert_frame_equal(cells, observations.compliance(con, f, Config()))
    pd.testing.assert_frame_equal(due, observations.due(con, f))
    assert len(due) > 0 and len(cells) > 0


# S11's newest observation is the direct work (2025-03-01) and the other is older (2024-06-20): the second
# newest binds, so S11 lapses on 2025-06-20. S12's direct work is the older one (2024-07-01): it binds. S13 needs
# one supervision and has two: the newer (2024-08-02) binds. S14 (Team Manager) has three, the supervision the
# oldest (2024-05-05): it binds first. By hand, judged on D = 2025-03-31.
LAPSE_STAFF = """\
staff_id,role,service,team,start_date,end_date
S11,Social Worker,AI,AI Team 1,2020-01-01,
S12,Social Worker,AI,AI Team 1,2020-01-01,
S13,Service Manager,CF,,2020-01-01,
S14,Team Manager,CF,CF Team 1,2020-01-01,
"""
LAPSE_OBSERVATIONS = """\
observation_id,observed_date,staff_id,staff_role,service,observation_type,observer_role,grade
P01,2025-03-01,S11,Social Worker,AI,Direct work with child,Team Manager,Good
P02,2024-06-20,S11,Social Worker,AI,Other practice,Team Manager,Good
P03,2024-07-01,S12,Social Worker,AI,Direct work with child,Team Manager,Good
P04,2025-02-01,S12,Social Worker,AI,Other practice,Team Manager,Good
P05,2024-05-01,S13,Service Manager,CF,Supervision,Head of Service,Good
P06,2024-08-02,S13,Service Manager,CF,Supervision,Head of Service,Good
P07,2024-05-05,S14,Team Manager,CF,Supervision,Service Manager,Good
P08,2024-09-09,S14,Team Manager,CF,Other practice,Service Manager,Good
P09,2025-01-09,S14,Team Manager,CF,Other practice,Service Manager,Good
"""


def test_due_by_is_the_first_failing_day_worked_out_day_by_day(tmp_path):
    # due_by comes from each person's lapse date (staff_status(lapse=True)); it must be the first day the rule
    # fails with the observations made by D, tried day by day.
    from analytics import observations as obs
    from analytics.database import Database
    path = load_csv_texts(tmp_path / "qa.duckdb", {"staff.csv": LAPSE_STAFF, "observations.csv": LAPSE_OBSERVATIONS})
    d = dt.date(2025, 3, 31)
    with Database(path).read() as con:
        due = obs.due(con, F(), horizons=(30, 200))
        seen = {}
        for sid, day, kind in con.execute("SELECT staff_id, observed_date, observation_type FROM observations"
                                          ).fetchall():
            seen.setdefault(sid, []).append((day, kind))
        people = obs.staff_status(con, d, d).set_index("staff_id")
    assert dict(zip(due["staff_id"], due["due_by"])) == {
        "S14": dt.date(2025, 5, 5), "S11": dt.date(2025, 6, 20), "S12": dt.date(2025, 7, 1),
        "S13": dt.date(2025, 8, 2)}
    assert list(due["status"]) == ["Due within 200 days"] * 4
    for sid, p in people.iterrows():
        assert due.set_index("staff_id").loc[sid, "due_by"] == obs._first_failure(
            seen[sid], p["needed"], p["required_type"], d, 200)
