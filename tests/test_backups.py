"""Snapshots before each load, the load history, and undo: exact rows back, or a refusal naming the later loads."""
import pytest

from analytics.database import Database, snapshot_path
from conftest import run_cli
from loadkit import csv_text, load_ok, query, snapshot, write


def audits(tmp_path, name, *rows):
    return write(tmp_path, name, csv_text("audits", *rows))


def grades(db_path):
    return query(db_path, "SELECT audit_id, auditor_grade FROM audits ORDER BY audit_id")


def config(tmp_path, keep):
    return write(tmp_path, "qa.toml", f"[backups]\nkeep = {keep}\n")


def test_each_load_keeps_the_state_before_it_and_only_the_last_n(db_path, tmp_path):
    cfg = config(tmp_path, 2)
    states = []
    for i in range(1, 5):
        if db_path.exists():
            states.append(snapshot(db_path))
        load_ok(db_path, "--config", cfg, audits(tmp_path, f"audits{i}.csv", {"audit_id": f"A{i}"}))
    kept = sorted(p.name for p in snapshot_path(db_path, 1).parent.iterdir())
    assert kept == ["before-load-000003.duckdb", "before-load-000004.duckdb"]
    # The snapshot before load 4 is the database as it was after load 3.
    assert snapshot(snapshot_path(db_path, 4)) == states[-1]
    assert snapshot(snapshot_path(db_path, 3)) == states[-2]


def test_a_refused_load_keeps_no_snapshot(db_path, tmp_path):
    load_ok(db_path, audits(tmp_path, "a.csv", {}))
    code, _, _ = run_cli("load", "--db", db_path, audits(tmp_path, "b.csv", {"auditor_grade": "Great"}))
    assert code == 1 and Database(db_path).snapshots() == {}


def test_history_lists_the_loads_newest_first(db_path, tmp_path):
    load_ok(db_path, audits(tmp_path, "audits_march.csv", {"audit_id": "A1"}, {"audit_id": "A2"}))
    load_ok(db_path, audits(tmp_path, "audits_april.csv", {"audit_id": "A2", "auditor_grade": "Inadequate"},
                            {"audit_id": "A3"}))
    code, out, _ = run_cli("history", "--db", db_path)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 4
    assert lines[0].startswith("load 2  ") and lines[0].endswith("(snapshot kept)")
    assert lines[1] == "    audits_april.csv -> audits: 1 inserted, 1 updated, 0 unchanged, 0 removed"
    assert lines[2].startswith("load 1  ") and lines[2].endswith("(no snapshot)")
    assert lines[3] == "    audits_march.csv -> audits: 2 inserted, 0 updated, 0 unchanged, 0 removed"


def test_undo_puts_back_exactly_the_rows_the_load_changed(db_path, tmp_path):
    load_ok(db_path, audits(tmp_path, "a1.csv", {"audit_id": "A1"}, {"audit_id": "A2"}))
    load_ok(db_path, audits(tmp_path, "a2.csv", {"audit_id": "A1", "auditor_grade": "Inadequate"},
                            {"audit_id": "A3"}))
    load_ok(db_path, audits(tmp_path, "a3.csv", {"audit_id": "A4", "auditor_grade": "Outstanding"}))
    code, out, err = run_cli("undo", "--db", db_path, 2)
    assert code == 0, err
    assert out.strip() == "load 2 undone (recorded as load 4)"
    # A1 back to Good, A3 (inserted by load 2) gone, A4 (load 3, untouched by load 2) kept.
    assert grades(db_path) == [("A1", "Good"), ("A2", "Good"), ("A4", "Outstanding")]
    assert query(db_path, "SELECT audit_id, _load_id FROM audits ORDER BY 1") == [("A1", 1), ("A2", 1), ("A4", 3)]
    history = run_cli("history", "--db", db_path)[1]
    assert "load 2  " in history and "undone by load 4" in history
    assert "    undo of load 2 -> audits: 0 inserted, 1 updated, 0 unchanged, 1 removed" in history
    code, _, err = run_cli("undo", "--db", db_path, 2)
    assert code == 1 and err.strip() == "undo: load 2 was already undone by load 4"


def test_undo_is_refused_naming_the_later_loads_that_touched_its_rows(db_path, tmp_path):
    load_ok(db_path, audits(tmp_path, "a1.csv", {"audit_id": "A1"}, {"audit_id": "A2"}))
    load_ok(db_path, audits(tmp_path, "a2.csv", {"audit_id": "A1", "auditor_grade": "Inadequate"}))
    load_ok(db_path, audits(tmp_path, "a3.csv", {"audit_id": "A1", "auditor_grade": "Outstanding"}))
    load_ok(db_path, audits(tmp_path, "a4.csv", {"audit_id": "A2", "auditor_grade": "Outstanding"}))
    before = snapshot(db_path)
    code, _, err = run_cli("undo", "--db", db_path, 1)
    assert code == 1 and err.strip() == (
        "undo: load 1 cannot be undone: later loads 2, 3, 4 changed rows it inserted, updated or removed; "
        "undo those first, newest first")
    code, _, err = run_cli("undo", "--db", db_path, 2)
    assert code == 1 and "later load 3 changed rows" in err
    assert snapshot(db_path) == before   # a refused undo changes nothing
    # Newest first works: undo 3, then 2 (load 3 and its undo cancel out).
    assert run_cli("undo", "--db", db_path, 3)[0] == 0
    assert grades(db_path) == [("A1", "Inadequate"), ("A2", "Outstanding")]
    assert run_cli("undo", "--db", db_path, 2)[0] == 0
    assert grades(db_path) == [("A1", "Good"), ("A2", "Outstanding")]


def test_undo_of_a_replace_brings_back_the_removed_rows(db_path, tmp_path):
    load_ok(db_path, audits(tmp_path, "a1.csv", {"audit_id": "A1"}, {"audit_id": "A2"}, {"audit_id": "A3"}))
    load_ok(db_path, "--replace", "audits", audits(tmp_path, "a2.csv", {"audit_id": "A2"}))
    assert grades(db_path) == [("A2", "Good")]
    assert run_cli("undo", "--db", db_path, 2)[0] == 0
    assert grades(db_path) == [("A1", "Good"), ("A2", "Good"), ("A3", "Good")]


def test_undo_needs_the_snapshot_when_the_load_updated_rows(db_path, tmp_path):
    cfg = config(tmp_path, 1)
    load_ok(db_path, "--config", cfg, audits(tmp_path, "a1.csv", {"audit_id": "A1"}))
    load_ok(db_path, "--config", cfg, audits(tmp_path, "a2.csv", {"audit_id": "A1", "auditor_grade": "Inadequate"}))
    load_ok(db_path, "--config", cfg, audits(tmp_path, "a3.csv", {"audit_id": "A2"}))
    code, _, err = run_cli("undo", "--db", db_path, "--config", cfg, 2)
    assert code == 1 and "the snapshot taken before it is no longer kept (the last 1 are kept" in err
    # A load that only inserted needs no snapshot: its rows are deleted.
    assert run_cli("undo", "--db", db_path, "--config", cfg, 3)[0] == 0
    assert grades(db_path) == [("A1", "Inadequate")]


@pytest.mark.parametrize("load_id, message", [(9, "undo: there is no load 9")])
def test_undo_of_an_unknown_load(db_path, tmp_path, load_id, message):
    load_ok(db_path, audits(tmp_path, "a1.csv", {}))
    code, _, err = run_cli("undo", "--db", db_path, load_id)
    assert code == 1 and err.startswith(message)


def test_after_an_undo_the_final_grades_follow_the_restored_rows(db_path, tmp_path):
    # Load 1: A1 Good, A2 Good. Load 2 re-grades A1 Inadequate. Load 3 re-grades A2 Outstanding.
    # Undo of load 2 puts A1 back with its old load id: the audit count (2) and the latest load id (3)
    # do not move, yet the final grades (what every page reads) must show A1 Good again.
    load_ok(db_path, audits(tmp_path, "a.csv", {"audit_id": "A1", "auditor_grade": "Good"},
                            {"audit_id": "A2", "auditor_grade": "Good"}))
    load_ok(db_path, audits(tmp_path, "b.csv", {"audit_id": "A1", "auditor_grade": "Inadequate"}))
    load_ok(db_path, audits(tmp_path, "c.csv", {"audit_id": "A2", "auditor_grade": "Outstanding"}))
    assert run_cli("undo", "--db", db_path, 2)[0] == 0
    assert query(db_path, "SELECT audit_id, final_grade FROM audits_final ORDER BY 1") == [
        ("A1", "Good"), ("A2", "Outstanding")]


def test_a_first_load_notes_its_inserts_and_the_next_write_lists_their_keys(db_path, tmp_path):
    load_ok(db_path, audits(tmp_path, "a1.csv", {"audit_id": "A1"}, {"audit_id": "A2"}),
            write(tmp_path, "audit_pillars.csv", csv_text("audit_pillars", {"audit_id": "A1"})))
    # Into empty tables: noted, not listed key by key (a million-audit first load would write 8,000,000 keys).
    assert query(db_path, "SELECT load_id, dataset FROM load_changes_pending ORDER BY 2") == [
        (1, "audit_pillars"), (1, "audits")]
    assert query(db_path, "SELECT count(*) FROM load_changes") == [(0,)]
    load_ok(db_path, audits(tmp_path, "a2.csv", {"audit_id": "A3"}))
    pillar = query(db_path, "SELECT pillar FROM audit_pillars")[0][0]
    assert query(db_path, "SELECT load_id, dataset, key, change FROM load_changes ORDER BY 1, 2, 3") == [
        (1, "audit_pillars", "A1\x1f" + pillar, "inserted"), (1, "audits", "A1", "inserted"),
        (1, "audits", "A2", "inserted"), (2, "audits", "A3", "inserted")]
    assert query(db_path, "SELECT count(*) FROM load_changes_pending") == [(0,)]
    assert run_cli("undo", "--db", db_path, 1)[0] == 0
    assert grades(db_path) == [("A3", "Good")]
    assert query(db_path, "SELECT count(*) FROM audit_pillars") == [(0,)]


def test_undo_is_refused_when_later_loads_refer_to_rows_it_would_remove(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "a0.csv", csv_text("audits", {"audit_id": "A0"})))
    load_ok(db_path, write(tmp_path, "a5.csv", csv_text("audits", {"audit_id": "A5"})))          # load 2
    load_ok(db_path, write(tmp_path, "p.csv", csv_text("audit_pillars", {"audit_id": "A5"})))    # load 3
    load_ok(db_path, write(tmp_path, "f.csv", csv_text("audit_followups", {"audit_id": "A5"})))  # load 4
    before = snapshot(db_path)
    code, _, err = run_cli("undo", "--db", db_path, 2)
    assert code == 1
    assert ("load 2 cannot be undone: loads 3, 4 stored audit_pillars rows referring to audits it would remove "
            "and audit_followups rows referring to audits it would remove") in err
    assert snapshot(db_path) == before
    for later in (4, 3, 2):                       # newest first, as the refusal says: then it goes
        assert run_cli("undo", "--db", db_path, later)[0] == 0
    assert query(db_path, "SELECT audit_id FROM audits") == [("A0",)]


def test_a_file_named_like_an_undo_is_just_a_load(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "a0.csv", csv_text("audits", {"audit_id": "A0"})))
    load_ok(db_path, "--dataset", "audits", write(tmp_path, "undo of load 1.csv", csv_text("audits", {"audit_id": "A1"})))
    code, out, err = run_cli("history", "--db", db_path)
    assert code == 0 and "undone by" not in out, err
    assert run_cli("undo", "--db", db_path, 2)[0] == 0
    assert run_cli("undo", "--db", db_path, 1)[0] == 0        # load 1 was never undone
    assert query(db_path, "SELECT count(*) FROM audits") == [(0,)]


def test_an_undone_undo_does_not_cancel_the_load_it_undid(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "a0.csv", csv_text("audits", {"audit_id": "A0"})))
    load_ok(db_path, write(tmp_path, "a1.csv", csv_text("audits", {"audit_id": "A1"})))                # load 2
    load_ok(db_path, write(tmp_path, "a2.csv", csv_text("audits", {"audit_id": "A1", "auditor_grade": "Inadequate"})))
    assert run_cli("undo", "--db", db_path, 3)[0] == 0      # load 4 undoes the re-grade
    assert run_cli("undo", "--db", db_path, 4)[0] == 0      # load 5 undoes that undo: Inadequate again
    code, _, err = run_cli("undo", "--db", db_path, 2)
    assert code == 1 and "later load 3 changed rows" in err, err
    assert query(db_path, "SELECT auditor_grade FROM audits WHERE audit_id = 'A1'") == [("Inadequate",)]
