import contextlib
import os
import sys
from pathlib import Path

import pytest

# Tests that render with kaleido or print with chromium run only where Debian's chromium is installed.
needs_chromium = pytest.mark.skipif(not __import__("analytics.images", fromlist=["available"]).available(),
                                    reason="needs Debian's chromium (scripts/setup.sh installs it)")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLES = SHARED / "samples"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's database or configuration by accident."""
    monkeypatch.delenv("QA_DASHBOARD_DB", raising=False)
    monkeypatch.delenv("QA_DASHBOARD_CONFIG", raising=False)
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(tmp_path / "appdata"))


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "qa.duckdb"


def run_cli(*args):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    import contextlib
    import io
    from analytics.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli():
    return run_cli


# --- helpers shared by the page tests ----------------------------------------------------------
def use_council_db(db, tmp_path, monkeypatch):
    """Serve a copy of ``db`` as the council's database to AppTest runs from the project root."""
    import shutil
    d = tmp_path / "appdata"
    d.mkdir(exist_ok=True)
    shutil.copy(db, d / "qa.duckdb")
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(d))
    monkeypatch.chdir(ROOT)
    return d


def open_app_page(page, **query):
    """Run the app, switch to ``page`` with ``query`` in the address; the URL's filters apply from the
    run after switch_page under AppTest, hence the second run."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    at.run()
    assert not at.exception, at.exception
    return at


def shown_metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def load_csv_texts(path, files: dict):
    """Write each {file name: CSV text} beside ``path`` and load them all in one command into ``path``."""
    folder = path.parent / "csv"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    code, _, err = run_cli("load", "--db", path, *[folder / n for n in files])
    assert code == 0, err
    return path


@pytest.fixture
def empty_council_db(tmp_path, monkeypatch):
    """An initialised council database with no rows, served to AppTest runs from the project root."""
    from analytics.database import Database
    d = tmp_path / "empty"
    Database(d / "qa.duckdb").initialise()
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(d))
    monkeypatch.chdir(ROOT)
    return d / "qa.duckdb"


@contextlib.contextmanager
def dashboard_server(data_dir, **env_vars):
    """`streamlit run app.py` on a free port with ``data_dir`` as its data folder; yields its address."""
    import socket
    import subprocess
    import time
    import urllib.request
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, QA_DASHBOARD_DATA_DIR=str(data_dir), **env_vars)
    env.pop("QA_DASHBOARD_DB", None)
    log = open(Path(data_dir) / "streamlit.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


@pytest.fixture(scope="module")
def month_db(tmp_path_factory):
    """The hand-worked month of tests/monthkit.py (March 2025) in a database, for the export tests."""
    import monthkit
    return monthkit.build(tmp_path_factory.mktemp("month") / "qa.duckdb")


@pytest.fixture
def con(db):
    """A read connection to the test module's ``db`` fixture (the module's hand-worked database)."""
    from analytics.database import Database
    with Database(db).read() as c:
        yield c
