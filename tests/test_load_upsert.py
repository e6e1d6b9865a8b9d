"""Loading is idempotent and upserts on the key; --replace removes what a whole-tracker export lacks."""
import pytest

from loadkit import csv_text, load, load_ok, problem_lines, query, snapshot, write

ACTIONS = [{"action_id": "LA1"}, {"action_id": "LA2", "theme": "Voice of the child"},
           {"action_id": "LA3", "theme": "Drift and delay", "status": "Not started"}]


def history(db):
    return query(db, "SELECT file_name, dataset, inserted, updated, unchanged, removed, replaced "
                     "FROM load_history ORDER BY load_id, file_name")


def stored_actions(db):
    return query(db, "SELECT action_id, theme, status FROM learning_actions ORDER BY 1")


def test_same_file_twice_changes_nothing(db_path, tmp_path):
    f = write(tmp_path, "learning_actions.csv", csv_text("learning_actions", *ACTIONS))
    out = load_ok(db_path, f)
    assert "3 rows, 3 inserted, 0 updated, 0 unchanged, 0 removed" in out
    before = snapshot(db_path)

    out = load_ok(db_path, f)
    assert "3 rows, 0 inserted, 0 updated, 3 unchanged, 0 removed" in out
    after = snapshot(db_path)
    # Only the load's own record is new.
    assert {t: r for t, r in after.items() if t != "load_history"} == \
        {t: r for t, r in before.items() if t != "load_history"}
    assert history(db_path) == [("learning_actions.csv", "learning_actions", 3, 0, 0, 0, False),
                                ("learning_actions.csv", "learning_actions", 0, 0, 3, 0, False)]


def test_later_export_with_one_changed_row_updates_that_row_only(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "learning_actions.csv", csv_text("learning_actions", *ACTIONS)))
    changed = [ACTIONS[0], {**ACTIONS[1], "status": "Complete", "completed_date": "2025-03-01"}, ACTIONS[2]]
    # Cosmetic differences (case, spaces, date format) are not changes: only LA2's status is.
    changed[2] = {**changed[2], "status": " not STARTED ", "raised_date": "15/01/2025"}
    later = write(tmp_path, "learning_actions_2025-03.csv", csv_text("learning_actions", *changed))
    out = load_ok(db_path, later)
    assert "3 rows, 0 inserted, 1 updated, 2 unchanged, 0 removed" in out
    assert stored_actions(db_path) == [("LA1", "Supervision", "In progress"),
                                       ("LA2", "Voice of the child", "Complete"),
                                       ("LA3", "Drift and delay", "Not started")]
    assert history(db_path)[-1] == ("learning_actions_2025-03.csv", "learning_actions", 0, 1, 2, 0, False)
    # The updated row carries the load that last changed it.
    assert query(db_path, "SELECT action_id, _load_id FROM learning_actions ORDER BY 1") == [
        ("LA1", 1), ("LA2", 2), ("LA3", 1)]


def test_replace_removes_stored_rows_the_new_export_lacks(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "learning_actions.csv", csv_text("learning_actions", *ACTIONS)))
    export = write(tmp_path, "learning_actions_new.csv",
                   csv_text("learning_actions", ACTIONS[0], ACTIONS[2], {"action_id": "LA4"}))
    out = load_ok(db_path, "--replace", "learning_actions", export)
    assert "3 rows, 1 inserted, 0 updated, 2 unchanged, 1 removed" in out
    assert [r[0] for r in stored_actions(db_path)] == ["LA1", "LA3", "LA4"]
    assert history(db_path)[-1] == ("learning_actions_new.csv", "learning_actions", 1, 0, 2, 1, True)


def test_replace_leaves_other_datasets_alone(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "learning_actions.csv", csv_text("learning_actions", *ACTIONS)),
            write(tmp_path, "complaints.csv", csv_text("complaints", {}, {"complaint_id": "CO2"})))
    load_ok(db_path, "--replace", "learning_actions",
            write(tmp_path, "la.csv", csv_text("learning_actions", ACTIONS[0])),
            write(tmp_path, "complaints_later.csv", csv_text("complaints", {})))
    assert [r[0] for r in stored_actions(db_path)] == ["LA1"]
    assert query(db_path, "SELECT complaint_id FROM complaints ORDER BY 1") == [("CO1",), ("CO2",)]


def test_without_replace_nothing_is_deleted(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "learning_actions.csv", csv_text("learning_actions", *ACTIONS)))
    out = load_ok(db_path, write(tmp_path, "learning_actions_new.csv", csv_text("learning_actions", ACTIONS[0])))
    assert "1 rows, 0 inserted, 0 updated, 1 unchanged, 0 removed" in out
    assert [r[0] for r in stored_actions(db_path)] == ["LA1", "LA2", "LA3"]


def test_replace_of_a_dataset_with_no_file_in_the_command_is_refused(db_path, tmp_path):
    # Replacing with nothing would empty the tracker: almost certainly a mistake.
    load_ok(db_path, write(tmp_path, "learning_actions.csv", csv_text("learning_actions", *ACTIONS)))
    before = snapshot(db_path)
    code, out, err = load(db_path, "--replace", "learning_actions", write(tmp_path, "complaints.csv",
                                                                          csv_text("complaints", {})))
    assert code == 1
    assert problem_lines(err) == ["--replace: 'learning_actions' names a dataset with no file in this load: "
                                  "nothing would be left"]
    assert snapshot(db_path) == before


def test_same_key_in_two_files_of_one_command_is_refused(db_path, tmp_path):
    a = write(tmp_path, "learning_actions_a.csv", csv_text("learning_actions", ACTIONS[0]))
    b = write(tmp_path, "learning_actions_b.csv", csv_text("learning_actions", ACTIONS[1], ACTIONS[0]))
    code, out, err = load(db_path, a, b)
    assert code == 1
    assert problem_lines(err) == ["learning_actions_b.csv, row 3, action_id: 'LA1' repeats the key of row 2 "
                                  "of learning_actions_a.csv"]
    assert not db_path.exists()


@pytest.mark.parametrize("id_cell", ["1001", "1001.0", " 1001 "])
def test_id_written_as_a_number_upserts_onto_the_same_row(db_path, tmp_path, id_cell):
    load_ok(db_path, write(tmp_path, "learning_actions.csv", csv_text("learning_actions", {"action_id": "1001"})))
    out = load_ok(db_path, write(tmp_path, "learning_actions2.csv",
                                 csv_text("learning_actions", {"action_id": id_cell})))
    assert "0 inserted, 0 updated, 1 unchanged" in out
    assert query(db_path, "SELECT action_id FROM learning_actions") == [("1001",)]


@pytest.fixture
def audits_with_pillars(db_path, tmp_path):
    """Stored: audits A1 and A2, and a pillar grade of each."""
    load_ok(db_path, write(tmp_path, "audits.csv", csv_text("audits", {"audit_id": "A1"}, {"audit_id": "A2"})),
            write(tmp_path, "audit_pillars.csv", csv_text("audit_pillars", {"audit_id": "A1"}, {"audit_id": "A2"})))
    return db_path


def test_replace_may_not_remove_an_audit_that_a_row_in_the_same_load_refers_to(audits_with_pillars, tmp_path):
    before = snapshot(audits_with_pillars)
    d = tmp_path / "second"
    d.mkdir()
    code, out, err = load(audits_with_pillars, "--replace", "audits", "--replace", "audit_pillars",
                          write(d, "audits.csv", csv_text("audits", {"audit_id": "A2"})),
                          write(d, "audit_pillars.csv", csv_text("audit_pillars", {"audit_id": "A1"})))
    assert code == 1
    assert problem_lines(err) == ["audit_pillars.csv, row 2, audit_id: 'A1' is not a stored audit_id of audits "
                                  "nor one in this load"]
    assert snapshot(audits_with_pillars) == before


def test_replace_may_not_remove_an_audit_that_stored_rows_still_refer_to(audits_with_pillars, tmp_path):
    before = snapshot(audits_with_pillars)
    code, out, err = load(audits_with_pillars, "--replace", "audits",
                          write(tmp_path, "audits2.csv", csv_text("audits", {"audit_id": "A2"})))
    assert code == 1
    assert problem_lines(err) == [
        "--replace, audit_id: 'A1' the load would remove this audit_id of audits, which 1 stored audit_pillars row "
        "(not in this load) still refers to: keep it in the file, or load audit_pillars with --replace too"]
    assert snapshot(audits_with_pillars) == before
    # Removing the audit and its pillar grades together is a consistent replace.
    load_ok(audits_with_pillars, "--replace", "audits", "--replace", "audit_pillars",
            write(tmp_path, "audits2.csv", csv_text("audits", {"audit_id": "A2"})),
            write(tmp_path, "audit_pillars2.csv", csv_text("audit_pillars", {"audit_id": "A2"})))
    assert query(audits_with_pillars, "SELECT audit_id FROM audit_pillars") == [("A2",)]
    assert query(audits_with_pillars, "SELECT audit_id FROM audits") == [("A2",)]


def test_replace_of_kpi_definitions_may_not_leave_values_of_a_removed_kpi(db_path, tmp_path):
    defs = "kpi_code,kpi_name,unit,polarity\nK1,One,count,higher is better\nK2,Two,count,higher is better\n"
    load_ok(db_path, write(tmp_path, "kpi_definitions.csv", defs),
            write(tmp_path, "kpi_values.csv", csv_text("kpi_values", {"kpi_code": "K1"})))
    before = snapshot(db_path)
    code, out, err = load(db_path, "--replace", "kpi_definitions",
                          write(tmp_path, "kpi_definitions2.csv", defs.replace("K1,One,count,higher is better\n", "")))
    assert code == 1
    assert problem_lines(err)[0].startswith("--replace, kpi_code: 'K1' the load would remove this kpi_code")
    assert snapshot(db_path) == before
