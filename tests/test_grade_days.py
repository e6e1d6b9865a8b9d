"""final_grade_days: final grades counted per day, service and pillar (the impact page sums it), rebuilt in the
same write as the audit tables it derives from, so a load, an undo or an erasure is never shown stale."""
from conftest import run_cli
from loadkit import csv_text, load_ok, query, write

from analytics import impact

ROWS = "SELECT audit_date::VARCHAR, service, pillar, n, good FROM final_grade_days ORDER BY pillar NULLS FIRST, 1, 2"


def files(tmp_path, a2_grade="Inadequate", name="1"):
    audits = write(tmp_path, f"audits{name}.csv", csv_text(
        "audits", {"audit_id": "A1", "audit_date": "2025-01-02", "service": "AI", "child_ref": "C1",
                   "auditor_grade": "Good"},
        {"audit_id": "A2", "audit_date": "2025-01-02", "service": "AI", "child_ref": "C2", "auditor_grade": a2_grade},
        {"audit_id": "A3", "audit_date": "2025-01-03", "service": "CF", "child_ref": "C3",
         "auditor_grade": "Requires Improvement", "moderated_grade": "Outstanding"}))
    pillars = write(tmp_path, f"audit_pillars{name}.csv", csv_text(
        "audit_pillars", {"audit_id": "A1", "pillar": "Planning and review", "auditor_grade": "Outstanding"},
        {"audit_id": "A2", "pillar": "Planning and review", "auditor_grade": "Requires Improvement",
         "moderated_grade": "Good"},
        {"audit_id": "A2", "pillar": "Assessment and analysis", "auditor_grade": "Inadequate"}))
    return audits, pillars


def test_counts_per_day_service_and_pillar_worked_by_hand(db_path, tmp_path):
    load_ok(db_path, *files(tmp_path))
    # Overall: 2 Jan AI = A1 Good + A2 Inadequate (1 good of 2); 3 Jan CF = A3 moderated Outstanding (1 of 1).
    # Planning and review, 2 Jan AI: A1 Outstanding, A2 moderated Good (2 of 2); Assessment: A2 Inadequate (0 of 1).
    assert query(db_path, ROWS) == [("2025-01-02", "AI", None, 2, 1), ("2025-01-03", "CF", None, 1, 1),
                                    ("2025-01-02", "AI", "Assessment and analysis", 1, 0),
                                    ("2025-01-02", "AI", "Planning and review", 2, 2)]


def test_the_impact_counts_summed_from_it_equal_the_audits(db_path, tmp_path):
    import datetime as dt
    from analytics.database import Database
    load_ok(db_path, *files(tmp_path))
    with Database(db_path).read() as con:
        # [1 Jan, 3 Jan): the two AI audits; (2 Jan, 3 Jan]: A3 only; one pillar, one service
        assert impact._counts(con, dt.date(2025, 1, 1), dt.date(2025, 1, 3), True, None, None) == (2, 1)
        assert impact._counts(con, dt.date(2025, 1, 2), dt.date(2025, 1, 3), False, None, None) == (1, 1)
        assert impact._counts(con, dt.date(2025, 1, 1), dt.date(2025, 1, 4), True, ["CF"], None) == (1, 1)
        assert impact._counts(con, dt.date(2025, 1, 1), dt.date(2025, 1, 4), True, None, "Planning and review") \
            == (2, 2)
        assert impact._counts(con, dt.date(2025, 1, 1), dt.date(2025, 1, 4), True, ["CF"], "Planning and review") \
            == (0, 0)


def test_rebuilt_by_a_load_and_by_its_undo(db_path, tmp_path):
    load_ok(db_path, *files(tmp_path))
    load_ok(db_path, files(tmp_path, a2_grade="Good", name="2")[0])          # A2 now Good: 2 of 2 good on 2 Jan
    assert query(db_path, ROWS)[0] == ("2025-01-02", "AI", None, 2, 2)
    code, _, err = run_cli("undo", "--db", db_path, 2)
    assert code == 0, err
    assert query(db_path, ROWS)[0] == ("2025-01-02", "AI", None, 2, 1)


def test_an_erasure_leaves_no_count_of_the_childs_audits(db_path, tmp_path):
    load_ok(db_path, *files(tmp_path))
    code, _, err = run_cli("erase", "--db", db_path, "--child-ref", "C2")     # A2 and its two pillar grades
    assert code == 0, err
    assert query(db_path, ROWS) == [("2025-01-02", "AI", None, 1, 1), ("2025-01-03", "CF", None, 1, 1),
                                    ("2025-01-02", "AI", "Planning and review", 1, 1)]
