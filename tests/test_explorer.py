import pandas as pd

from analytics import explorer


def test_on_screen_keeps_a_short_table_whole():
    table = pd.DataFrame({"Audit": ["A3", "A2", "A1"]})
    shown, caption = explorer.on_screen(table, limit=3)
    assert list(shown["Audit"]) == ["A3", "A2", "A1"]
    assert caption is None


def test_on_screen_cuts_a_long_table_to_the_newest_rows_and_says_so():
    table = pd.DataFrame({"Audit": ["A5", "A4", "A3", "A2", "A1"]})   # newest first, as audit_rows orders them
    shown, caption = explorer.on_screen(table, limit=2)
    assert list(shown["Audit"]) == ["A5", "A4"]
    assert caption == "Showing the newest 2 of 5 audits: the CSV and XLSX downloads below hold all of them."
    assert len(table) == 5          # the table the downloads get is untouched


# --- the newest rows for the screen, the counts beside them, every row on a download's click -----------
import pytest  # noqa: E402

from analytics.config import Config  # noqa: E402
from analytics.database import Database  # noqa: E402
from analytics.filters import Filters  # noqa: E402
from analytics.ui import table_for_download  # noqa: E402
from conftest import load_csv_texts  # noqa: E402

V, P = "Voice and lived experience of the child", "Planning and review"
# In Q1 2025: X1 (Jan), X2 (Feb, provisional), X3 and X4 (both 1 March, X4 provisional); X5 is December 2024.
AUDITS = """\
audit_id,audit_date,service,team,child_ref,cohort,auditor_id,auditor_role,auditor_grade,moderated_grade,benchmarked_grade
X1,2025-01-05,CF,CF 1,K1,CIN,S1,Team Manager,Good,Good,
X2,2025-02-10,CF,CF 1,K2,CP,S1,Team Manager,Requires Improvement,,
X3,2025-03-01,AI,AI 1,K3,CIC,S2,Team Manager,Inadequate,Inadequate,
X4,2025-03-01,CF,CF 1,K4,CP,S1,Team Manager,Good,,
X5,2024-12-01,CF,CF 1,K5,CP,S1,Team Manager,Good,Good,
"""
PILLARS = f"""\
audit_id,pillar,auditor_grade,moderated_grade
X1,{P},Good,Good
X3,{V},Inadequate,Inadequate
X4,{V},Good,
"""
Q1 = Filters("2025-01", "2025-03")


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = tmp_path_factory.mktemp("explorer") / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "audit_pillars.csv": PILLARS})
    with Database(path).read() as c:
        yield c


def test_audit_totals_count_the_audits_and_the_provisional_ones(con):
    assert explorer.audit_totals(con, Q1) == (4, 2)                                     # X1-X4; X2, X4
    assert explorer.audit_totals(con, Q1, explorer.Drill(grades=("Good",))) == (2, 1)   # X1, X4
    assert explorer.audit_totals(con, Q1, explorer.Drill(pillar=V)) == (2, 1)           # X3, X4


def test_audit_rows_limited_to_the_newest_with_the_pillars_of_those_rows(con):
    every = explorer.audit_rows(con, Q1, Config())
    assert list(every["audit_id"]) == ["X3", "X4", "X2", "X1"]    # newest first, a tie by reference
    assert [c for c in every.columns if c in (V, P)] == [V, P]
    newest = explorer.audit_rows(con, Q1, Config(), limit=2)
    assert list(newest["audit_id"]) == ["X3", "X4"]
    assert list(newest[V]) == ["Inadequate", "Good"] and P not in newest.columns   # only X1 has Planning
    good = explorer.audit_rows(con, Q1, Config(), explorer.Drill(grades=("Good",)), limit=1)
    assert list(good["audit_id"]) == ["X4"]


def test_the_table_for_people_shows_a_grade_not_given_yet_as_blank(con):
    t = explorer.readable(explorer.audit_rows(con, Q1, Config())).set_index("Audit")
    assert t.loc["X4", "Moderated grade"] == "" and t.loc["X4", "Benchmarked grade"] == ""
    assert t.loc["X2", P] == "" and t.loc["X1", P] == "Good"        # X2 has no pillar grades
    assert t.loc["X1", "Moderated grade"] == "Good"


def test_on_screen_says_the_total_when_given_only_the_first_rows():
    shown, caption = explorer.on_screen(pd.DataFrame({"Audit": ["A9", "A8"]}), limit=2, total=9)
    assert list(shown["Audit"]) == ["A9", "A8"]
    assert caption == "Showing the newest 2 of 9 audits: the CSV and XLSX downloads below hold all of them."
    assert explorer.on_screen(pd.DataFrame({"Audit": ["A2", "A1"]}), limit=2, total=2)[1] is None


def test_a_download_makes_its_table_only_when_called():
    made = []

    def make():
        made.append(1)
        return pd.DataFrame({"team": ["CF 1", "CF 2"], "n": [3, 12]})
    assert made == []
    plain = table_for_download(make, circulate=False, threshold=5)
    assert list(plain["n"]) == [3, 12] and made == [1]
    circulated = table_for_download(make, circulate=True, threshold=5)
    assert list(circulated["n"]) == ["<5", 12]
    assert made == [1, 1]
    same = pd.DataFrame({"n": [7]})
    assert table_for_download(same, circulate=False, threshold=5) is same
