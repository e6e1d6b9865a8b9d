"""Erasing one child from the database and every kept snapshot; the retention purge."""
import datetime as dt

import duckdb

from analytics.database import Database
from analytics.datasets import DATASETS
from analytics.erasure import cutoff, purge
from conftest import run_cli
from loadkit import csv_text, load_ok, query, write

REF = "QZXERASE77"      # distinctive, so a scan of the raw bytes means something
OTHER = "C200"


def child_rows(path, ref):
    """Every row anywhere in a database file whose any text column holds ``ref``."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        hits = 0
        for table, column in con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE data_type = 'VARCHAR' "
                "AND NOT internal AND table_name IN (SELECT table_name FROM duckdb_tables())").fetchall():
            hits += con.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" = ?', [ref]).fetchall()[0][0]
        return hits
    finally:
        con.close()


def loaded(db_path, tmp_path):
    """Three loads (so two snapshots) about two children."""
    load_ok(db_path, write(tmp_path, "audits.csv", csv_text(
        "audits", {"audit_id": "A1", "child_ref": REF}, {"audit_id": "A2", "child_ref": REF},
        {"audit_id": "A3", "child_ref": OTHER})))
    load_ok(db_path, write(tmp_path, "audit_pillars.csv", "audit_id,pillar,auditor_grade\n"
                           "A1,Planning and review,Good\nA2,Planning and review,Good\nA3,Planning and review,Good\n"),
            write(tmp_path, "audit_followups.csv", "audit_id,process\nA1,Requires Improvement\n"),
            write(tmp_path, "escalations.csv", "escalation_id,raised_date,raised_by,service,child_ref,stage,themes\n"
                  f"E1,2025-03-10,IRO,PT,{REF},Informal,Drift\nE2,2025-03-10,IRO,PT,{OTHER},Informal,Drift\n"))
    load_ok(db_path, write(tmp_path, "dip_samples.csv", csv_text("dip_samples", {"child_ref": REF},
                                                                 {"child_ref": OTHER})),
            write(tmp_path, "learning_actions.csv",
                  "action_id,source,source_ref,theme,raised_date,status\nLA1,Audit,A1,Voice,2025-01-15,Complete\n"
                  "LA2,Audit,A3,Voice,2025-01-15,Complete\n"),
            write(tmp_path, "reflective_activities.csv",
                  "activity_id,activity_date,level,kind,service,audit_id\nR1,2025-03-10,Team,Reflective circle,MASH,A1\n"))


def test_erase_removes_every_row_about_the_child_everywhere(db_path, tmp_path):
    loaded(db_path, tmp_path)
    db = Database(db_path)
    files = [db_path, *db.snapshots().values()]
    assert len(files) == 3 and all(child_rows(f, REF) for f in files)
    code, out, err = run_cli("erase", "--db", db_path, "--child-ref", REF)
    assert code == 0, err
    assert REF not in out + err
    assert out.strip() == ("erased 7 rows about the child from the database and 2 snapshots; the erasure is "
                           "recorded without the reference")
    # 2 audits, their 2 pillar rows and 1 follow-up, 1 escalation, 1 dip-sample row.
    for f in [db_path, *db.snapshots().values()]:
        assert child_rows(f, REF) == 0, f
        # Not even in the bytes of the file: deleted rows' blocks are not carried over.
        assert REF.encode() not in f.read_bytes(), f
    assert query(db_path, "SELECT audit_id FROM audits") == [("A3",)]
    assert query(db_path, "SELECT audit_id FROM audit_pillars") == [("A3",)]
    assert query(db_path, "SELECT count(*) FROM audit_followups") == [(0,)]
    assert query(db_path, "SELECT escalation_id FROM escalations") == [("E2",)]
    assert query(db_path, "SELECT child_ref FROM dip_samples") == [(OTHER,)]
    # The learning stays, the pointer to the child's audit goes.
    assert query(db_path, "SELECT action_id, source_ref FROM learning_actions ORDER BY 1") == [
        ("LA1", None), ("LA2", "A3")]
    assert query(db_path, "SELECT activity_id, audit_id FROM reflective_activities") == [("R1", None)]
    # The load history no longer holds the erased rows' keys.
    assert query(db_path, "SELECT count(*) FROM load_changes WHERE key IN ('A1', 'A2', 'E1') "
                          "OR key LIKE 'A1' || chr(31) || '%' OR key LIKE 'A2' || chr(31) || '%'") == [(0,)]
    # That an erasure happened is recorded; whose is not.
    erasures = query(db_path, "SELECT * FROM erasures")
    assert len(erasures) == 1 and erasures[0][2:] == (7, 2)
    assert REF not in repr(erasures)


def test_erase_leaves_other_children_and_snapshots_usable(db_path, tmp_path):
    loaded(db_path, tmp_path)
    before = {t.name: query(db_path, f'SELECT count(*) FROM "{t.name}"')[0][0] for t in DATASETS}
    run_cli("erase", "--db", db_path, "--child-ref", REF)
    # Undo of the last load still works from its rewritten snapshot, without the child.
    assert run_cli("undo", "--db", db_path, 3)[0] == 0
    assert query(db_path, "SELECT count(*) FROM dip_samples") == [(0,)]
    assert query(db_path, "SELECT child_ref FROM audits") == [(OTHER,)]
    assert before["audits"] == 3


def test_erase_reaches_a_published_month_snapshot(db_path, tmp_path):
    loaded(db_path, tmp_path)
    code, _, err = run_cli("publish", "--db", db_path, "--month", "2025-03", "--figures-only")
    assert code == 0, err
    assert query(db_path, "SELECT audit_id FROM publication_audits ORDER BY 1") == [("A1",), ("A2",), ("A3",)]
    code, out, err = run_cli("erase", "--db", db_path, "--child-ref", REF)
    assert code == 0, err
    # the 7 rows of the other test and the child's 2 rows in the published snapshot
    assert out.startswith("erased 9 rows")
    assert query(db_path, "SELECT audit_id FROM publication_audits") == [("A3",)]


def test_erasing_an_unknown_child_changes_no_row(db_path, tmp_path):
    loaded(db_path, tmp_path)
    code, out, _ = run_cli("erase", "--db", db_path, "--child-ref", "NOSUCH")
    assert code == 0 and out.startswith("erased 0 rows")
    assert query(db_path, "SELECT count(*) FROM audits") == [(3,)]


# --- retention ------------------------------------------------------------------------------------
def test_cutoff_counts_calendar_months():
    assert cutoff(72, dt.date(2026, 11, 26)) == dt.date(2020, 11, 26)
    assert cutoff(1, dt.date(2025, 3, 31)) == dt.date(2025, 2, 28)


def test_purge_removes_rows_older_than_the_retention_period(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "audits.csv", csv_text(
        "audits", {"audit_id": "OLD", "audit_date": "2019-05-31"}, {"audit_id": "NEW", "audit_date": "2024-06-01"})),
        write(tmp_path, "audit_pillars.csv", "audit_id,pillar,auditor_grade\nOLD,Planning and review,Good\n"
                                             "NEW,Planning and review,Good\n"),
        write(tmp_path, "staff.csv", csv_text("staff", {"staff_id": "S1", "start_date": "2015-01-05", "end_date": "2019-01-31"},
                                              {"staff_id": "S2"})))
    load_ok(db_path, write(tmp_path, "audits2.csv", csv_text("audits", {"audit_id": "OLD", "audit_date": "2019-05-31",
                                                                         "auditor_grade": "Inadequate"})))
    db = Database(db_path)
    load_id, counts = purge(db, 60, user="qa", today=dt.date(2024, 6, 1))   # keeps 2019-06-01 onwards
    assert (load_id, counts) == (3, {"audit_pillars": 1, "audits": 1, "staff": 1})
    assert query(db_path, "SELECT audit_id FROM audits") == [("NEW",)]
    assert query(db_path, "SELECT audit_id FROM audit_pillars") == [("NEW",)]
    assert query(db_path, "SELECT staff_id FROM staff") == [("S2",)]
    assert query(db_path, "SELECT DISTINCT file_name FROM load_history WHERE load_id = 3") == [
        ("retention purge: rows dated before 2019-06-01",)]
    # The snapshots lose the old rows too.
    for snap in db.snapshots().values():
        assert duckdb.connect(str(snap), read_only=True).execute(
            "SELECT count(*) FROM audits WHERE audit_id = 'OLD'").fetchall() == [(0,)]
    # Undoing the load that updated the purged row would bring it back: refused, naming the purge.
    code, _, err = run_cli("undo", "--db", db_path, 2)
    assert code == 1 and "later load 3 changed rows" in err


def test_purge_from_the_command_line_uses_the_configured_period(db_path, tmp_path):
    old = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    load_ok(db_path, write(tmp_path, "audits.csv", csv_text("audits", {"audit_id": "A1", "audit_date": old})))
    cfg = write(tmp_path, "qa.toml", "retention_months = 24\n")
    assert run_cli("purge", "--db", db_path, "--config", cfg)[1].strip() == "nothing older than 24 months"
    code, out, _ = run_cli("purge", "--db", db_path, "--config", cfg, "--months", "12")
    assert code == 0 and out.splitlines() == ["audits: 1 row removed", "retention purge recorded as load 2"]
    assert query(db_path, "SELECT count(*) FROM audits") == [(0,)]
    # A purge cannot be undone, and undo says why (it used to blame backups.keep for a snapshot never taken).
    code, out, err = run_cli("undo", "--db", db_path, "2")
    assert code == 1 and "load 2 is a retention purge, which cannot be undone" in err and "backups.keep" not in err
    assert query(db_path, "SELECT count(*) FROM audits") == [(0,)]


def test_erase_leaves_no_trace_of_a_dip_sample_row_gone_before_the_erasure(db_path, tmp_path):
    # The child's dip-sample row was loaded and undone: only the load history still held its key (which
    # holds the child's reference).
    load_ok(db_path, write(tmp_path, "d1.csv", csv_text("dip_samples", {"child_ref": OTHER})))
    load_ok(db_path, write(tmp_path, "d2.csv", csv_text("dip_samples", {"child_ref": REF})))
    assert run_cli("undo", "--db", db_path, 2)[0] == 0
    assert run_cli("erase", "--db", db_path, "--child-ref", REF)[0] == 0
    for f in [db_path, *Database(db_path).snapshots().values()]:
        assert REF.encode() not in f.read_bytes(), f


def test_a_killed_erasures_snapshot_copy_goes_at_the_next_write(db_path, tmp_path):
    loaded(db_path, tmp_path)
    backups = db_path.with_name(db_path.name + ".backups")
    left = backups / f".{sorted(p.name for p in backups.iterdir())[0]}.4242.work"   # as _rewrite_snapshot names it
    left.write_bytes(REF.encode())
    assert run_cli("erase", "--db", db_path, "--child-ref", REF)[0] == 0
    assert not left.exists()


def test_purge_reaches_snapshots_even_when_the_database_holds_nothing_that_old(db_path, tmp_path):
    # OLD (2019) was replaced away by a later load: it lives on only in the snapshot before that load.
    load_ok(db_path, write(tmp_path, "a1.csv", csv_text("audits", {"audit_id": "OLD", "audit_date": "2019-01-10",
                                                                   "child_ref": REF}, {"audit_id": "NEW"})))
    load_ok(db_path, "--replace", "audits", write(tmp_path, "a2.csv", csv_text("audits", {"audit_id": "NEW"})))
    db = Database(db_path)
    assert purge(db, 60, user="qa", today=dt.date(2025, 6, 1)) == (None, {})
    for snap in db.snapshots().values():
        assert REF.encode() not in snap.read_bytes(), snap


def test_purge_leaves_no_child_reference_in_the_load_history(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "d.csv", csv_text("dip_samples", {"sample_date": "2019-02-10", "child_ref": REF},
                                                       {"dip_sample_id": "D2", "child_ref": OTHER})))
    load_id, counts = purge(Database(db_path), 60, user="qa", today=dt.date(2025, 6, 1))
    assert counts == {"dip_samples": 1}
    assert query(db_path, "SELECT count(*) FROM load_changes WHERE contains(key, ?)", [REF]) == [(0,)]
    assert REF.encode() not in db_path.read_bytes()


def test_erase_reaches_rows_of_an_audit_a_later_load_replaced_away(db_path, tmp_path):
    # A9 (the child's) was dropped from the audits by a --replace load; its pillar grade was loaded before
    # and stays pointing at it; a learning action cites it. The snapshot still knows A9 is the child's.
    load_ok(db_path, write(tmp_path, "a1.csv", csv_text("audits", {"audit_id": "A1", "child_ref": OTHER},
                                                        {"audit_id": "A9", "child_ref": REF})),
            write(tmp_path, "la.csv", csv_text("learning_actions", {"action_id": "LA9"}).replace(
                "action_id,", "source_ref,action_id,", 1).replace("\nLA9,", "\nA9,LA9,", 1)))
    load_ok(db_path, write(tmp_path, "p.csv", csv_text("audit_pillars", {"audit_id": "A9"})))
    load_ok(db_path, "--replace", "audits", "--replace", "audit_pillars",
            write(tmp_path, "a2.csv", csv_text("audits", {"audit_id": "A1", "child_ref": OTHER})),
            write(tmp_path, "p2.csv", csv_text("audit_pillars", {"audit_id": "A1"})))
    assert run_cli("erase", "--db", db_path, "--child-ref", REF)[0] == 0
    assert query(db_path, "SELECT source_ref FROM learning_actions") == [(None,)]
    assert query(db_path, "SELECT count(*) FROM load_changes WHERE key = 'A9' OR key LIKE 'A9' || chr(31) || '%'") == [(0,)]
    assert query(db_path, "SELECT audit_id FROM audits") == [("A1",)]
