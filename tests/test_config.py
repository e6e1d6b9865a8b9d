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


@pytest.mark.parametrize("text, reason", [
    ("[access.roles.x]\nsees = 'everything'\n", "access role 'x': sees must be one of"),
    ("pillars = [\n", "is not valid TOML"),
    (None, "cannot be read"),
])
def test_a_bad_configuration_is_one_line_on_the_command_line_never_a_traceback(tmp_path, cli, text, reason):
    cfg = tmp_path / "qa.toml"
    if text is not None:
        cfg.write_text(text)
    code, out, err = cli("history", "--db", tmp_path / "qa.duckdb", "--config", cfg)
    assert code == 2 and out == ""
    assert reason in err and str(cfg) in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_bad_configuration_stops_the_dashboard_with_its_reason(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from conftest import ROOT
    cfg = tmp_path / "qa.toml"
    cfg.write_text("[access.roles.x]\nsees = 'everything'\n")
    monkeypatch.setenv("QA_DASHBOARD_CONFIG", str(cfg))
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1 and "access role 'x': sees must be one of" in at.error[0].value
    assert not (tmp_path / "demo.duckdb").exists()     # nothing else ran: no demo built, no page drawn
