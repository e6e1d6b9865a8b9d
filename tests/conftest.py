import json
import os
import sys
from pathlib import Path

import pytest

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
