"""Audit series by grain: part quarters are labelled as such, and the grade distribution and audit
completion follow the rolling and quarter grains. Figures worked out by hand from a small fixture.

Service AI (codes from the default configuration). Staff: T1 and T2 (Team Managers) in post throughout;
T3 (Team Manager) joins on 2025-05-15, so is expected from May (in post on May's last day).
Audits (auditor, month, grade):
  2025-03: T1 Good, T2 Inadequate
  2025-04: T1 Good
  2025-05: T1 Requires Improvement, T3 Good
  2025-06: T2 Good, T2 Good (one auditor, two audits)
"""
import pytest

from conftest import load_csv_texts

STAFF = """staff_id,role,service,team,start_date,end_date
T1,Team Manager,AI,,,
T2,Team Manager,AI,,,
T3,Team Manager,AI,,2025-05-15,
"""
AUDITS = [("A1", "2025-03-10", "T1", "Good"), ("A2", "2025-03-11", "T2", "Inadequate"),
          ("A3", "2025-04-10", "T1", "Good"), ("A4", "2025-05-10", "T1", "Requires Improvement"),
          ("A5", "2025-05-20", "T3", "Good"), ("A6", "2025-06-03", "T2", "Good"), ("A7", "2025-06-04", "T2", "Good")]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    from analytics.database import Database
    path = tmp_path_factory.mktemp("audits") / "qa.duckdb"
    audits = "audit_id,audit_date,service,child_ref,cohort,auditor_id,auditor_role,auditor_grade\n" + "".join(
        f"{a},{d},AI,C{i},CP,{who},Team Manager,{g}\n" for i, (a, d, who, g) in enumerate(AUDITS))
    load_csv_texts(path, {"staff.csv": STAFF, "audits.csv": audits})
    with Database(path).read() as c:
        yield c


@pytest.fixture
def config():
    from analytics.config import Config
    return Config()


def F(a, b):
    from analytics.filters import Filters
    return Filters(a, b)


def test_part_quarters_say_which_months_are_in():
    from analytics.filters import part_quarter_labels, period_months
    # May 2025 to Apr 2026: Q1 2025-26 is Apr-Jun (May and June in), Q1 2026-27 only April.
    assert part_quarter_labels(F("2025-05", "2026-04")) == {"2025-26 Q1": "2025-26 Q1 (May–Jun only)",
                                                          "2026-27 Q1": "2026-27 Q1 (Apr only)"}
    assert part_quarter_labels(F("2025-04", "2026-03")) == {}           # a whole financial year
    assert period_months("2025-26 Q1 (May–Jun only)", "quarter") == ("2025-05", "2025-06")
    assert period_months("2025-26 Q4", "quarter") == ("2026-01", "2026-03")
    assert period_months("2024-25 Q4 (Mar only)", "quarter") == ("2025-03", "2025-03")


def test_grade_series_by_quarter_marks_the_part_quarter(con):
    from analytics import audits
    s = audits.grade_series(con, F("2025-03", "2025-06"), "quarter")
    # 2024-25 Q4 holds only March (A1 good, A2 inadequate); 2025-26 Q1 is whole (A3-A7: 4 good of 5)
    assert list(s["period"]) == ["2024-25 Q4 (Mar only)", "2025-26 Q1"]
    assert list(s["n"]) == [2, 5] and list(s["good"]) == [1, 4] and list(s["inadequate"]) == [1, 0]


def test_grade_distribution_rolling(con, config):
    from analytics import audits
    d = audits.grade_distribution(con, F("2025-05", "2025-06"), config, "rolling3")
    got = {(r.period, r.grade): r.n for r in d.itertuples()}
    # May window Mar-May: Good A1 A3 A5, Inadequate A2, RI A4; June window Apr-Jun: Good A3 A5 A6 A7, RI A4
    assert got == {("2025-05", "Good"): 3, ("2025-05", "Inadequate"): 1, ("2025-05", "Requires Improvement"): 1,
                   ("2025-06", "Good"): 4, ("2025-06", "Requires Improvement"): 1}
    may = d[d["period"] == "2025-05"].set_index("grade")["share_pct"]
    assert may["Good"] == pytest.approx(60.0)


def test_completion_by_month_quarter_and_rolling(con, config):
    from analytics import audits
    m = audits.completion(con, F("2025-03", "2025-06"), config)
    # expected: Mar 2 (T1 T2), Apr 2, May 3 (T3 in post on 31 May), Jun 3
    # completed: Mar T1 T2 = 2; Apr T1 = 1; May T1 T3 = 2; Jun T2 = 1 (two audits, one auditor)
    assert list(m["period"]) == ["2025-03", "2025-04", "2025-05", "2025-06"]
    assert list(m["expected"]) == [2, 2, 3, 3] and list(m["completed"]) == [2, 1, 2, 1]
    q = audits.completion(con, F("2025-03", "2025-06"), config, "quarter")
    # Q4 (March only): 2 of 2; Q1: (1 + 2 + 1) of (2 + 3 + 3) = 4 of 8 = 50%
    assert list(q["period"]) == ["2024-25 Q4 (Mar only)", "2025-26 Q1"]
    assert list(q["completed"]) == [2, 4] and list(q["expected"]) == [2, 8]
    assert list(q["completion_pct"]) == [100.0, 50.0]
    r = audits.completion(con, F("2025-05", "2025-06"), config, "rolling3")
    # May: Mar-May (2 + 1 + 2) of (2 + 2 + 3) = 5 of 7; June: Apr-Jun (1 + 2 + 1) of (2 + 3 + 3) = 4 of 8
    assert list(r["period"]) == ["2025-05", "2025-06"]
    assert list(r["completed"]) == [5, 4] and list(r["expected"]) == [7, 8]
    assert r["completion_pct"].tolist() == pytest.approx([500 / 7, 50.0])
