"""Warnings never block a load but are listed with it: a team not in the roster, a follow-up at odds with its audit."""
import pytest

from loadkit import csv_text, load_ok, query, write


@pytest.fixture
def roster(db_path, tmp_path):
    load_ok(db_path, write(tmp_path, "staff.csv", csv_text("staff", {"staff_id": "S1", "team": "MASH Team 1"},
                                                              {"staff_id": "S2", "team": "CF Team 2"})))
    return db_path


def test_team_not_in_the_roster_is_a_warning(roster, tmp_path):
    out = load_ok(roster, write(tmp_path, "audits.csv", csv_text(
        "audits", {"audit_id": "A1", "team": "MASH Team 1"}, {"audit_id": "A2", "team": "MASH Team 9"},
        {"audit_id": "A3", "team": "MASH Team 9"}, {"audit_id": "A4", "team": ""})))
    warnings = [ln for ln in out.splitlines() if ln.startswith("warning: ")]
    assert warnings == ["warning: audits.csv, row 3, team: 'MASH Team 9' is not a team in the staff roster (2 rows)"]
    assert query(roster, "SELECT count(*) FROM audits") == [(4,)]
    assert query(roster, "SELECT warnings FROM load_history WHERE dataset = 'audits'") == [(1,)]


def test_escalation_team_is_checked_against_the_roster_too(roster, tmp_path):
    out = load_ok(roster, write(tmp_path, "escalations.csv", csv_text("escalations", {"team": "PT Team 4"})))
    assert "warning: escalations.csv, row 2, team: 'PT Team 4' is not a team in the staff roster (1 row)" in out


def test_roster_in_the_same_command_counts(db_path, tmp_path):
    out = load_ok(db_path, write(tmp_path, "audits.csv", csv_text("audits", {"team": "New Team"})),
                  write(tmp_path, "staff.csv", csv_text("staff", {"team": "New Team"})))
    assert "warning:" not in out


def test_no_roster_no_team_warning(db_path, tmp_path):
    # Without any roster every team would be "unknown": that would be noise, not a warning.
    out = load_ok(db_path, write(tmp_path, "audits.csv", csv_text("audits", {"team": "Any Team"})))
    assert "warning:" not in out


@pytest.mark.parametrize("auditor, moderated, process, final", [
    ("Good", "", "Inadequate", "Good"),
    ("Inadequate", "", "Requires Improvement", "Inadequate"),
    ("Inadequate", "Requires Improvement", "Inadequate", "Requires Improvement"),  # moderation decides
])
def test_followup_process_disagreeing_with_the_final_grade_is_a_warning(db_path, tmp_path, auditor, moderated,
                                                                         process, final):
    load_ok(db_path, write(tmp_path, "audits.csv", csv_text(
        "audits", {"auditor_grade": auditor, "moderated_grade": moderated})))
    out = load_ok(db_path, write(tmp_path, "audit_followups.csv", csv_text("audit_followups", {"process": process})))
    assert (f"warning: audit_followups.csv, row 2, process: '{process}' disagrees with the audit's final grade "
            f"({final})") in out
    assert query(db_path, "SELECT audit_id, process FROM audit_followups") == [("A1", process)]


@pytest.mark.parametrize("auditor, moderated, process", [
    ("Inadequate", "", "Inadequate"),
    ("Good", "RI", "Requires Improvement"),
])
def test_followup_process_matching_the_final_grade_is_not_a_warning(db_path, tmp_path, auditor, moderated, process):
    # The audit arrives in the same command as its follow-up.
    out = load_ok(db_path, write(tmp_path, "audit_followups.csv", csv_text("audit_followups", {"process": process})),
                  write(tmp_path, "audits.csv", csv_text("audits", {"auditor_grade": auditor,
                                                                     "moderated_grade": moderated})))
    assert "warning:" not in out
