"""The council's sample exports load, and summary and impact give the figures worked out independently."""
import json

import pytest

from conftest import SAMPLES

SAMPLE = SAMPLES / "council-sample"
EXPECTED = json.loads((SAMPLES / "council-sample-expected.json").read_text())


def assert_close(want, got, path="$"):
    if isinstance(want, dict):
        assert list(got) == list(want), f"{path}: keys {list(got)} != {list(want)}"
        for k in want:
            assert_close(want[k], got[k], f"{path}.{k}")
    elif isinstance(want, list):
        assert len(got) == len(want), path
        for i, (w, g) in enumerate(zip(want, got)):
            assert_close(w, g, f"{path}[{i}]")
    elif isinstance(want, float):
        assert got is not None and abs(got - want) <= 0.01, f"{path}: {got} != {want}"
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    from conftest import run_cli
    db = tmp_path_factory.mktemp("sample") / "qa.duckdb"
    files = sorted(SAMPLE.glob("*.csv")) + sorted(SAMPLE.glob("*.xlsx"))
    code, out, err = run_cli("load", "--db", db, *files)
    assert code == 0, err
    return db


@pytest.mark.parametrize("command", list(EXPECTED))
def test_sample_figures(sample_db, cli, command):
    code, out, err = cli(*command.split(), "--db", sample_db)
    assert code == 0, err
    assert_close(EXPECTED[command], json.loads(out))


def test_sample_loads_every_file_with_counts(sample_db, cli):
    from analytics.database import Database
    with Database(sample_db).read() as con:
        rows = dict(con.execute("SELECT dataset, sum(inserted) FROM load_history GROUP BY 1").fetchall())
    assert rows == {"audits": 985, "audit_pillars": 6895, "staff": 168, "interventions": 4,
                    "learning_actions": 160, "escalations": 240}


def test_sample_loaded_twice_changes_nothing(tmp_path, cli):
    db = tmp_path / "qa.duckdb"
    files = sorted(SAMPLE.glob("*.csv")) + sorted(SAMPLE.glob("*.xlsx"))
    assert cli("load", "--db", db, *files)[0] == 0
    code, out, err = cli("load", "--db", db, *files)
    assert code == 0, err
    assert "0 inserted, 0 updated" in out and " inserted" in out
    assert all(" 0 inserted, 0 updated" in line for line in out.splitlines() if "->" in line)
