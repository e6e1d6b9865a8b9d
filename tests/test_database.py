"""The database file: schema stamped with a version, --db / $QA_DASHBOARD_DB, generations published whole."""
import duckdb
import pytest

from analytics.database import SCHEMA_VERSION, Database, NewerSchemaError, resolve_path

AUDITS = "audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade\nA1,2025-01-02,AI,C1,CP,Team Manager,Good\n"


def test_schema_is_created_and_stamped(db_path):
    Database(db_path).initialise()
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"audits", "audit_pillars", "learning_actions", "load_history", "audits_final",
            "audit_pillars_final"} <= tables
    con.close()


def test_a_database_from_a_newer_version_is_refused_clearly(db_path, cli, tmp_path):
    Database(db_path).initialise()
    con = duckdb.connect(str(db_path))
    con.execute("UPDATE schema_version SET version = ?", [SCHEMA_VERSION + 1])
    con.close()
    with pytest.raises(NewerSchemaError, match="newer qa-dashboard"):
        with Database(db_path).read():
            pass
    code, out, err = cli("summary", "--db", db_path)
    assert code == 1 and "newer qa-dashboard" in err and "Traceback" not in err
    (tmp_path / "audits.csv").write_text(AUDITS)
    code, out, err = cli("load", "--db", db_path, tmp_path / "audits.csv")
    assert code == 1 and "newer qa-dashboard" in err


def test_db_path_from_option_environment_or_default(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(tmp_path / "d"))
    assert resolve_path() == tmp_path / "d" / "qa.duckdb"
    monkeypatch.setenv("QA_DASHBOARD_DB", str(tmp_path / "env.duckdb"))
    assert resolve_path() == tmp_path / "env.duckdb"
    assert resolve_path(tmp_path / "opt.duckdb") == tmp_path / "opt.duckdb"


def test_env_db_is_used_by_the_cli(tmp_path, monkeypatch, cli):
    monkeypatch.setenv("QA_DASHBOARD_DB", str(tmp_path / "env.duckdb"))
    (tmp_path / "audits.csv").write_text(AUDITS)
    assert cli("load", tmp_path / "audits.csv")[0] == 0
    assert (tmp_path / "env.duckdb").exists()


def test_a_failed_write_leaves_the_published_file_and_no_leftovers(db_path):
    db = Database(db_path)
    db.initialise()
    before = db_path.read_bytes()
    with pytest.raises(RuntimeError):
        with db.write() as con:
            con.execute("INSERT INTO staff (staff_id, role, service) VALUES ('S1', 'Other', 'AI')")
            raise RuntimeError("crash in the middle of a load")
    assert db_path.read_bytes() == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["qa.duckdb", "qa.duckdb.lock"]
    with db.read() as con:
        assert con.execute("SELECT count(*) FROM staff").fetchone()[0] == 0
