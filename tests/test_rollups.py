"""The per-month roll-ups (analytics/rollups.py): counts worked out by hand, and rebuilt in every write that
changes the audits (a load, an undo, an erasure), so no figure is ever read from stale counts.

Grade ranks: Outstanding 1, Good 2, Requires Improvement 3, Inadequate 4; final = benchmarked, else
moderated, else the auditor's.
"""
import datetime as dt

import pytest

from conftest import load_csv_texts, run_cli

HEADER = "audit_id,audit_date,service,team,child_ref,cohort,auditor_id,auditor_role,auditor_grade,moderated_grade,benchmarked_grade\n"
# A1 and A2: January, MASH team M1, auditor S01 (two audits, one auditor-month).
# A3: February, AI team A1, Outstanding -> moderated Good -> benchmarked Requires Improvement (changed).
# A4 and A5: February, AI team A1, Good and Good: one roll-up row with n = 2.
AUDITS = HEADER + """\
A1,2025-01-10,MASH,M1,C01,CP,S01,Team Manager,Good,Good,
A2,2025-01-20,MASH,M1,C02,CIN,S01,Team Manager,Requires Improvement,,
A3,2025-02-05,AI,A1,C03,CP,S02,Service Manager,Outstanding,Good,Requires Improvement
A4,2025-02-15,AI,A1,C04,CP,S02,Service Manager,Good,Good,
A5,2025-02-20,AI,A1,C05,CP,S02,Service Manager,Good,Good,
"""
COLUMNS = ("month, service, team, cohort, auditor_role, final_grade, final_rank, provisional, auditor_rank, "
           "moderated_rank, benchmarked_rank, benchmarked, benchmark_changed, n")
JAN, FEB, MAR = dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)
BY_HAND = [
    (JAN, "MASH", "M1", "CIN", "Team Manager", "Requires Improvement", 3, True, 3, None, None, False, False, 1),
    (JAN, "MASH", "M1", "CP", "Team Manager", "Good", 2, False, 2, 2, None, False, False, 1),
    (FEB, "AI", "A1", "CP", "Service Manager", "Good", 2, False, 2, 2, None, False, False, 2),
    (FEB, "AI", "A1", "CP", "Service Manager", "Requires Improvement", 3, False, 1, 2, 3, True, True, 1),
]


def rollup(path):
    from analytics.database import Database
    with Database(path).read() as con:
        return (con.execute(f"SELECT {COLUMNS} FROM audit_rollup ORDER BY ALL").fetchall(),
                con.execute("SELECT month, auditor_id FROM auditor_months ORDER BY ALL").fetchall())


@pytest.fixture
def db(tmp_path):
    return load_csv_texts(tmp_path / "qa.duckdb", {"audits.csv": AUDITS})


def test_counts_by_hand(db):
    rows, auditors = rollup(db)
    assert rows == BY_HAND
    assert auditors == [(JAN, "S01"), (FEB, "S02")]


def options(path):
    from analytics.database import Database
    with Database(path).read() as con:
        return con.execute("SELECT team, service, first_month, last_month FROM audit_options ORDER BY ALL").fetchall()


def test_filter_options_by_hand(db, tmp_path):
    assert options(db) == [("A1", "AI", FEB, FEB), ("M1", "MASH", JAN, JAN)]
    # A team-less audit in March: its own row (no team offered), and the months reach March.
    (tmp_path / "more.csv").write_text(HEADER + "A6,2025-03-03,MASH,,C06,CP,S03,Team Manager,Inadequate,,\n")
    assert run_cli("load", "--db", db, "--dataset", "audits", tmp_path / "more.csv")[0] == 0
    assert options(db) == [("A1", "AI", FEB, FEB), ("M1", "MASH", JAN, JAN), (None, "MASH", MAR, MAR)]
    from analytics.database import Database
    from analytics.filters import audit_months, filter_options
    with Database(db).read() as con:
        assert audit_months(con) == ["2025-01", "2025-02", "2025-03"]
        assert filter_options(con)["teams"] == ["A1", "M1"]


def test_figures_read_from_the_rollup(db):
    from analytics import metrics
    from analytics.config import Config
    from analytics.database import Database
    from analytics.filters import Filters, filter_options
    with Database(db).read() as con:
        head = metrics.audit_headline(con, Filters("2025-02", "2025-02"), Config())
        assert (head["count"], head["provisional"], head["good_or_better_pct"]) == (3, 0, 2 / 3 * 100)   # A4 and A5 of A3-A5 (A3 benchmarked down)
        assert metrics.benchmarking(con, Filters("2025-01", "2025-02")) == {"benchmarked": 1, "changed": 1}
        assert sorted(metrics.grade_pairs(con, Filters("2025-01", "2025-02"))) == [(1, 2, 1), (2, 2, 3)]
        assert filter_options(con) == {"months": ["2025-01", "2025-02"], "teams": ["A1", "M1"],
                                       "team_services": {"A1": "AI", "M1": "MASH"}}


def test_a_load_rebuilds_them(db, tmp_path):
    (tmp_path / "more.csv").write_text(HEADER + "A6,2025-03-03,MASH,M1,C06,CP,S03,Team Manager,Inadequate,,\n")
    assert run_cli("load", "--db", db, "--dataset", "audits", tmp_path / "more.csv")[0] == 0
    rows, auditors = rollup(db)
    assert rows == BY_HAND + [(MAR, "MASH", "M1", "CP", "Team Manager", "Inadequate", 4, True, 4, None, None,
                               False, False, 1)]
    assert auditors[-1] == (MAR, "S03")
    # An update changes no row count: the roll-up still follows it (A4 moderated down to Inadequate).
    (tmp_path / "regrade.csv").write_text(HEADER + "A4,2025-02-15,AI,A1,C04,CP,S02,Service Manager,Good,Inadequate,\n")
    assert run_cli("load", "--db", db, "--dataset", "audits", tmp_path / "regrade.csv")[0] == 0
    rows, _ = rollup(db)
    assert (FEB, "AI", "A1", "CP", "Service Manager", "Good", 2, False, 2, 2, None, False, False, 1) in rows
    assert (FEB, "AI", "A1", "CP", "Service Manager", "Inadequate", 4, False, 2, 4, None, False, False, 1) in rows


def test_undo_and_erasure_rebuild_them(db, tmp_path):
    from analytics import backups, erasure
    from analytics.database import Database
    (tmp_path / "more.csv").write_text(HEADER + "A6,2025-03-03,MASH,M1,C06,CP,S03,Team Manager,Inadequate,,\n")
    assert run_cli("load", "--db", db, "--dataset", "audits", tmp_path / "more.csv")[0] == 0
    last = max(load.load_id for load in backups.history(Database(db)))
    assert options(db)[-1] == ("M1", "MASH", JAN, MAR)
    backups.undo(Database(db), last, user="test")
    assert rollup(db) == (BY_HAND, [(JAN, "S01"), (FEB, "S02")])
    assert options(db) == [("A1", "AI", FEB, FEB), ("M1", "MASH", JAN, JAN)]
    erasure.erase_child(Database(db), "C03", user="test")             # A3, the benchmarked audit
    rows, auditors = rollup(db)
    assert rows == [r for r in BY_HAND if r[6:8] != (3, False)]
    assert auditors == [(JAN, "S01"), (FEB, "S02")]                   # S02 still audited A4 and A5 in February
    erasure.erase_child(Database(db), "C01", user="test")
    erasure.erase_child(Database(db), "C02", user="test")             # January's audits: M1 and the month go
    assert options(db) == [("A1", "AI", FEB, FEB)]


# Pillar rows: A1 (January, MASH, final Good) has Assessment graded Good -> moderated Requires Improvement (below
# its audit) and Planning Outstanding (above); A2 (provisional, final Requires Improvement) Assessment Requires
# Improvement (same); A4 and A5 (February, AI, final Good) Assessment Good (same): one roll-up row, n = 2.
# A3 has no pillar rows.
PILLARS = """audit_id,pillar,auditor_grade,moderated_grade
A1,Assessment and analysis,Good,Requires Improvement
A1,Planning and review,Outstanding,
A2,Assessment and analysis,Requires Improvement,
A4,Assessment and analysis,Good,Good
A5,Assessment and analysis,Good,Good
"""
AA, PR = "Assessment and analysis", "Planning and review"
PILLAR_BY_HAND = [(JAN, "MASH", AA, 3, False, 1, 1), (JAN, "MASH", AA, 3, True, 0, 1), (JAN, "MASH", PR, 1, False, -1, 1),
                  (FEB, "AI", AA, 2, False, 0, 2)]
PILLAR_AUDITS_BY_HAND = [(JAN, "MASH", "M1", "CIN", "Team Manager", True, 1),
                         (JAN, "MASH", "M1", "CP", "Team Manager", False, 1),
                         (FEB, "AI", "A1", "CP", "Service Manager", False, 2)]


def pillar_rollups(path):
    from analytics.database import Database
    with Database(path).read() as con:
        return (con.execute("SELECT month, service, pillar, final_rank, provisional, cmp, n FROM pillar_rollup "
                            "ORDER BY ALL").fetchall(),
                con.execute("SELECT month, service, team, cohort, auditor_role, provisional, n FROM pillar_audits "
                            "ORDER BY ALL").fetchall())


@pytest.fixture
def pdb(tmp_path):
    return load_csv_texts(tmp_path / "qa.duckdb", {"audits.csv": AUDITS, "audit_pillars.csv": PILLARS})


def test_pillar_counts_by_hand(pdb):
    assert pillar_rollups(pdb) == (PILLAR_BY_HAND, PILLAR_AUDITS_BY_HAND)


def test_pillar_figures_from_the_rollup_equal_those_from_the_rows(pdb):
    """A team, cohort or role filter reads the pillar rows themselves (the roll-up keeps none of them): naming
    every team gives the same counts as no team filter, which reads the roll-up."""
    from analytics import metrics, pillars
    from analytics.config import Config
    from analytics.database import Database
    from analytics.filters import Filters
    every, named = Filters("2025-01", "2025-02"), Filters("2025-01", "2025-02", teams=("A1", "M1"))
    with Database(pdb).read() as con:
        key = ["month", "service", "pillar", "final_rank", "provisional", "cmp"]
        rolled, rows = (pillars.pillar_counts(con, f).sort_values(key).reset_index(drop=True) for f in (every, named))
        assert rolled.equals(rows) and list(rolled["n"]) == [1, 1, 1, 2]
        assert metrics.pillar_summary(con, every, Config()) == metrics.pillar_summary(con, named, Config())
        assert metrics.pillar_summary(con, every, Config())[AA]["count"] == 4
        assert pillars.provisional_audits(con, every) == (4, 1)                     # A3 has no pillar rows
        assert pillars.provisional_audits(con, Filters("2025-01", "2025-02", teams=("M1",))) == (2, 1)
        only_m1 = pillars.pillar_counts(con, Filters("2025-01", "2025-02", teams=("M1",)))
        assert sorted(only_m1["month"].unique()) == ["2025-01"] and only_m1["n"].sum() == 3


def test_pillar_rollups_follow_load_undo_and_erasure(pdb, tmp_path):
    from analytics import backups, erasure
    from analytics.database import Database
    (tmp_path / "more.csv").write_text("audit_id,pillar,auditor_grade,moderated_grade\n"
                                       "A3,Assessment and analysis,Inadequate,\n")
    assert run_cli("load", "--db", pdb, "--dataset", "audit_pillars", tmp_path / "more.csv")[0] == 0
    rolled, audits = pillar_rollups(pdb)
    # A3: final Requires Improvement (benchmarked), not provisional; its pillar Inadequate is below it.
    assert rolled == sorted(PILLAR_BY_HAND + [(FEB, "AI", AA, 4, False, 1, 1)])
    assert audits[-1] == (FEB, "AI", "A1", "CP", "Service Manager", False, 3)
    last = max(load.load_id for load in backups.history(Database(pdb)))
    backups.undo(Database(pdb), last, user="test")
    assert pillar_rollups(pdb) == (PILLAR_BY_HAND, PILLAR_AUDITS_BY_HAND)
    erasure.erase_child(Database(pdb), "C01", user="test")             # A1 and its two pillar rows
    rolled, audits = pillar_rollups(pdb)
    assert rolled == [r for r in PILLAR_BY_HAND if r[5] != 1 and r[2:4] != (PR, 1)]
    assert audits == PILLAR_AUDITS_BY_HAND[:1] + PILLAR_AUDITS_BY_HAND[2:]


def test_a_database_written_before_the_option_tables_gets_them_on_first_read(db):
    import duckdb
    from analytics.database import Database
    from analytics.filters import filter_options
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE audit_options")
    con.execute("DROP TABLE audit_service_months")
    con.execute("UPDATE _derived_state SET state = replace(state, split_part(state, '/', 1), 'v5')")
    con.close()
    with Database(db).read() as con:
        assert filter_options(con)["team_services"] == {"A1": "AI", "M1": "MASH"}
    assert service_months(db) == [(JAN, "MASH"), (FEB, "AI")]


def service_months(path):
    from analytics.database import Database
    with Database(path).read() as con:
        return con.execute("SELECT month, service FROM audit_service_months ORDER BY ALL").fetchall()


def test_audit_service_months_by_hand_and_rebuilt_by_load_undo_and_erasure(db, tmp_path):
    from analytics import backups, data_status, erasure
    from analytics.config import Config
    from analytics.database import Database
    assert service_months(db) == [(JAN, "MASH"), (FEB, "AI")]
    (tmp_path / "more.csv").write_text(HEADER + "A6,2025-04-03,PT,P9,C06,CP,S03,Team Manager,Good,,\n")
    assert run_cli("load", "--db", db, "--dataset", "audits", tmp_path / "more.csv")[0] == 0
    assert service_months(db) == [(JAN, "MASH"), (FEB, "AI"), (dt.date(2025, 4, 1), "PT")]
    with Database(db).read() as con:   # the Data page's gaps: MASH has audits in January only, AI in February
        gaps = data_status.months_without_audits(con, Config())
    assert set(map(tuple, gaps[gaps["service"].isin(["MASH", "AI", "PT"])].to_numpy().tolist())) == {
        ("MASH", "2025-02"), ("MASH", "2025-03"), ("MASH", "2025-04"), ("AI", "2025-01"), ("AI", "2025-03"),
        ("AI", "2025-04"), ("PT", "2025-01"), ("PT", "2025-02"), ("PT", "2025-03")}
    last = max(load.load_id for load in backups.history(Database(db)))
    backups.undo(Database(db), last, user="test")
    assert service_months(db) == [(JAN, "MASH"), (FEB, "AI")]
    erasure.erase_child(Database(db), "C01", user="test")
    erasure.erase_child(Database(db), "C02", user="test")            # MASH's only audits
    assert service_months(db) == [(FEB, "AI")]
