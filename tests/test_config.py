"""Configuration: defaults from the specs, overridden by a TOML file (--config or $QA_DASHBOARD_CONFIG)."""
import pytest

from analytics.config import Config, load_config

CUSTOM = """
pillars = ["Voice", "Assessment", "Planning"]
small_number_threshold = 10
[followup]
reflective_meeting_days = 15
"""


def test_defaults_are_the_specs():
    c = Config()
    assert c.service_codes == ["MASH", "AI", "CF", "PT", "DCS", "IRSS"]
    assert len(c.pillars) == 7 and c.pillars[0] == "Voice and lived experience of the child"
    assert c.grade_labels == ["Outstanding", "Good", "Requires Improvement", "Inadequate"]
    assert c.grade_spellings()["ri"] == "Requires Improvement"
    assert c["followup"]["managers_notified_days"] == 5
    assert {k["kpi_code"] for k in c.kpis} >= {"REREF12", "ASSESS45", "CP2YEARS"}


def test_toml_overrides_lists_whole_and_tables_by_key(tmp_path):
    path = tmp_path / "qa.toml"
    path.write_text(CUSTOM)
    c = load_config(path)
    assert c.pillars == ["Voice", "Assessment", "Planning"]
    assert c["small_number_threshold"] == 10
    assert c["followup"]["reflective_meeting_days"] == 15
    assert c["followup"]["managers_notified_days"] == 5  # merged, not replaced


def test_environment_variable_names_the_file(tmp_path, monkeypatch):
    path = tmp_path / "qa.toml"
    path.write_text(CUSTOM)
    monkeypatch.setenv("QA_DASHBOARD_CONFIG", str(path))
    assert load_config().pillars == ["Voice", "Assessment", "Planning"]


def test_unknown_keys_and_a_wrong_grade_scale_are_refused(tmp_path):
    path = tmp_path / "qa.toml"
    path.write_text("pilars = ['x']\n")
    with pytest.raises(ValueError, match="pilars"):
        load_config(path)
    path.write_text("grades = [{label = 'Good'}, {label = 'Bad'}]\n")
    with pytest.raises(ValueError, match="four grades"):
        load_config(path)


def test_configured_pillars_govern_the_loader(tmp_path, cli):
    cfg = tmp_path / "qa.toml"
    cfg.write_text(CUSTOM)
    db = tmp_path / "qa.duckdb"
    (tmp_path / "audits.csv").write_text(
        "audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade\nA1,2025-01-02,AI,C1,CP,Team Manager,Good\n")
    (tmp_path / "audit_pillars.csv").write_text("audit_id,pillar,auditor_grade\nA1,Voice,Good\n")
    code, out, err = cli("load", "--db", db, "--config", cfg, tmp_path / "audits.csv", tmp_path / "audit_pillars.csv")
    assert code == 0, err
    # The default pillar name is not configured any more: refused, naming the configured ones.
    (tmp_path / "audit_pillars.csv").write_text(
        "audit_id,pillar,auditor_grade\nA1,Assessment and analysis,Good\n")
    code, out, err = cli("load", "--db", db, "--config", cfg, tmp_path / "audit_pillars.csv")
    assert code == 1
    assert "row 2, pillar: 'Assessment and analysis'" in err and "Voice, Assessment, Planning" in err
