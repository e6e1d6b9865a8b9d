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


def _final(db_path, sql):
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_derived_audit_tables_follow_every_load(db_path, cli, tmp_path):
    # audits_final and audit_pillars_final are tables rebuilt in the load's own generation: never stale.
    d = tmp_path / "in"
    d.mkdir()
    (d / "audits.csv").write_text(AUDITS)                                   # A1 Good
    assert cli("load", "--db", db_path, d / "audits.csv")[0] == 0
    assert _final(db_path, "SELECT audit_id, final_grade, final_rank FROM audits_final") == [("A1", "Good", 2)]
    (d / "audits.csv").write_text(AUDITS.replace("Good", "Inadequate") + "A2,2025-01-03,CF,C2,CP,Team Manager,Good\n")
    (d / "audit_pillars.csv").write_text("audit_id,pillar,auditor_grade\nA2,Planning and review,Outstanding\n")
    assert cli("load", "--db", db_path, d / "audits.csv", d / "audit_pillars.csv")[0] == 0
    assert _final(db_path, "SELECT audit_id, final_grade, final_rank FROM audits_final ORDER BY 1") == [
        ("A1", "Inadequate", 4), ("A2", "Good", 2)]
    assert _final(db_path, "SELECT audit_id, pillar, final_rank, service FROM audit_pillars_final") == [
        ("A2", "Planning and review", 1, "CF")]
    (d / "audits.csv").write_text(AUDITS.replace("Good", "Inadequate"))   # --replace: A2 and its pillar go
    (d / "audit_pillars.csv").write_text("audit_id,pillar,auditor_grade\n")
    assert cli("load", "--db", db_path, d / "audits.csv", d / "audit_pillars.csv",
               "--replace", "audits", "--replace", "audit_pillars")[0] == 0
    assert _final(db_path, "SELECT audit_id FROM audits_final") == [("A1",)]
    assert _final(db_path, "SELECT count(*) FROM audit_pillars_final") == [(0,)]


def test_derived_tables_rebuild_only_when_their_sources_change(db_path, cli, tmp_path):
    from analytics.database import refresh_derived
    (tmp_path / "audits.csv").write_text(AUDITS)
    assert cli("load", "--db", db_path, tmp_path / "audits.csv")[0] == 0
    con = duckdb.connect(str(db_path))
    try:
        assert refresh_derived(con) is False                       # nothing changed since the load
        con.execute("UPDATE grade_scale SET rank = 3 WHERE label = 'Good'")   # a configuration's new scale
        assert refresh_derived(con) is True
        assert con.execute("SELECT final_rank FROM audits_final").fetchall() == [(3,)]
        con.execute("DELETE FROM audits")                          # a row count changes
        assert refresh_derived(con) is True
        assert con.execute("SELECT count(*) FROM audits_final").fetchall() == [(0,)]
    finally:
        con.close()


def test_each_derived_group_follows_only_its_own_datasets(db_path, cli, tmp_path, monkeypatch):
    from analytics import database
    built = []
    audit_tables = database.DERIVED_GROUPS["audits"]
    monkeypatch.setitem(database.DERIVED_GROUPS, "audits",
                        (audit_tables[0], lambda con: (built.append("audits"), audit_tables[1](con))))
    monkeypatch.setitem(database.DERIVED_GROUPS, "staff_counts",
                        (("staff",), lambda con: built.append("staff_counts")))
    (tmp_path / "audits.csv").write_text(AUDITS)
    assert cli("load", "--db", db_path, tmp_path / "audits.csv")[0] == 0
    assert sorted(built) == ["audits", "staff_counts"]                  # a new database builds every group
    built.clear()
    (tmp_path / "staff.csv").write_text("staff_id,role,team,service,start_date\nS1,Social Worker,T1,AI,2024-01-01\n")
    assert cli("load", "--db", db_path, tmp_path / "staff.csv")[0] == 0
    assert built == ["staff_counts"]                                    # the audit tables are not rebuilt
    built.clear()
    (tmp_path / "audits.csv").write_text(AUDITS.replace("Good", "Inadequate"))
    assert cli("load", "--db", db_path, tmp_path / "audits.csv")[0] == 0
    assert built == ["audits"]
    assert _final(db_path, "SELECT final_rank FROM audits_final") == [(4,)]


def test_a_database_with_the_old_views_gets_tables_at_its_first_read(db_path, cli, tmp_path):
    from analytics.database import AUDITS_FINAL, AUDIT_PILLARS_FINAL
    (tmp_path / "audits.csv").write_text(AUDITS)
    assert cli("load", "--db", db_path, tmp_path / "audits.csv")[0] == 0
    con = duckdb.connect(str(db_path))
    con.execute("DROP TABLE audit_pillars_final; DROP TABLE audits_final; DROP TABLE _derived_state")
    con.execute(f"CREATE VIEW audits_final AS {AUDITS_FINAL}")
    con.execute(f"CREATE VIEW audit_pillars_final AS {AUDIT_PILLARS_FINAL}")
    con.close()
    assert cli("summary", "--db", db_path)[0] == 0                  # the first read rebuilds them as tables
    assert _final(db_path, "SELECT table_name, table_type FROM information_schema.tables WHERE table_name "
                           "LIKE 'audit%final' ORDER BY 1") == [("audit_pillars_final", "BASE TABLE"),
                                                                ("audits_final", "BASE TABLE")]
    assert _final(db_path, "SELECT audit_id, final_rank FROM audits_final") == [("A1", 2)]


def test_a_read_started_after_a_load_sees_it_even_while_older_reads_are_open(db_path, cli, tmp_path):
    # DuckDB hands back an open instance of the same path, i.e. the replaced generation, while any connection
    # to it is open: with overlapping page views the dashboard would never see a load. Reads must not.
    (tmp_path / "audits.csv").write_text(AUDITS)
    assert cli("load", "--db", db_path, tmp_path / "audits.csv")[0] == 0
    db = Database(db_path)
    with db.read() as old:
        assert old.execute("SELECT count(*) FROM audits").fetchone() == (1,)
        (tmp_path / "audits.csv").write_text(AUDITS + "A2,2025-01-03,CF,C2,CP,Team Manager,Good\n")
        assert cli("load", "--db", db_path, tmp_path / "audits.csv")[0] == 0
        with db.read() as new:
            assert new.execute("SELECT count(*) FROM audits_final").fetchone() == (2,)
        assert old.execute("SELECT count(*) FROM audits_final").fetchone() == (1,)   # finishes on its generation
    with db.read() as again:
        assert again.execute("SELECT count(*) FROM audits").fetchone() == (2,)


def test_a_killed_loads_spill_folder_does_not_block_the_next_write(tmp_path):
    from analytics.database import Database
    db = Database(tmp_path / "qa.duckdb")
    db.initialise()
    spill = tmp_path / ".qa.duckdb.4242.deadbeef.new.tmp"      # DuckDB's temporary folder of a killed writer
    spill.mkdir()
    (spill / "duckdb_temp_block.tmp").write_bytes(b"x" * 10)
    with db.write():
        pass
    assert not spill.exists()


def test_keeping_no_snapshots_removes_those_kept_before(tmp_path):
    from analytics.config import Config
    from analytics.database import Database
    db = Database(tmp_path / "qa.duckdb")
    for _ in range(3):
        with db.write(snapshot=True) as con:
            con.execute("INSERT INTO load_history (load_id, loaded_at) SELECT coalesce(max(load_id), 0) + 1, "
                        "now() FROM load_history")
    assert len(db.snapshots()) == 2
    raw = Config().raw
    raw["backups"]["keep"] = 0
    none_kept = Database(tmp_path / "qa.duckdb", Config(raw))
    with none_kept.write(snapshot=True) as con:
        con.execute("INSERT INTO load_history (load_id, loaded_at) SELECT max(load_id) + 1, now() FROM load_history")
    assert none_kept.snapshots() == {}


@pytest.mark.parametrize("argv", [["summary"], ["impact"], ["published", "--month", "2025-03"],
                                  ["publish", "--month", "2025-03", "--figures-only"],
                                  ["export", "pack", "--month", "2025-03", "--out", "x.pptx"],
                                  ["undo", "1"], ["erase", "--child-ref", "C1"], ["purge"]])
def test_only_a_load_creates_the_database(tmp_path, cli, argv):
    # summary used to create an empty council database: the dashboard then showed "no audits stored yet"
    # instead of the demo, and a mistyped --db answered with zeros.
    db = tmp_path / "typo.duckdb"
    code, out, err = cli(*argv, "--db", db)
    assert code == 1 and out == ""
    assert f"there is no database at {db} yet" in err
    assert not db.exists() and list(tmp_path.iterdir()) == []
