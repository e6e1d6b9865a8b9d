"""The figures' result cache (ui.cached): a repeated view costs no query, a load is seen on the very next view.

Fixture: three audits (AI, CF, CF) in 2025-01; a load adds a fourth (CF). Counts by hand.
"""
import functools
import os
import subprocess
import sys

import pandas as pd
import pytest

from analytics import access, ui
from analytics import escalations as esc
from analytics.config import Config
from analytics.database import Database
from analytics.filters import Filters, where
from analytics.sources import Source
from conftest import ROOT, load_csv_texts, open_app_page, shown_metric, use_council_db
from test_escalations import AUDITS as ESC_AUDITS, ESCALATIONS, NTK

AUDITS = """\
audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade
A1,2025-01-08,AI,K1,CP,Team Manager,Good
A2,2025-01-12,CF,K2,CIN,Team Manager,Requires Improvement
A3,2025-01-20,CF,K3,CIN,Team Manager,Good
"""
MORE = """\
audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade
A4,2025-01-25,CF,K4,CP,Team Manager,Inadequate
"""
JAN = Filters("2025-01", "2025-01")
CALLS: list = []


def audits_by_service(con, f: Filters) -> pd.DataFrame:
    """The figure the tests cache: audits per service under the filters (scope included)."""
    CALLS.append(f)
    clause, params = where(f, "audit_date")
    return con.execute(f"SELECT service, count(*) AS n FROM audits WHERE {clause} GROUP BY service ORDER BY service",
                       params).df()


def counts(df) -> dict:
    return dict(zip(df["service"], df["n"]))


@pytest.fixture(autouse=True)
def _fresh_cache():
    ui.clear_cache()
    CALLS.clear()
    yield
    ui.clear_cache()


@pytest.fixture
def src(tmp_path):
    path = load_csv_texts(tmp_path / "qa.duckdb", {"audits.csv": AUDITS})
    return Source(Database(path), False)


def load_more(path, text=MORE, name="more.csv"):
    """A load by another process (the CLI), publishing a new generation file."""
    folder = path.parent / "later"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "analytics.cli", "load", "--db", str(path), str(folder / name)],
                          env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_second_view_with_the_same_filters_does_not_query(src):
    assert counts(ui.cached(src, audits_by_service, JAN)) == {"AI": 1, "CF": 2}
    assert counts(ui.cached(src, audits_by_service, JAN)) == {"AI": 1, "CF": 2}
    assert len(CALLS) == 1
    # other filters are another entry
    assert counts(ui.cached(src, audits_by_service, Filters("2025-02", "2025-02"))) == {}
    assert len(CALLS) == 2


def test_a_load_by_another_process_is_seen_on_the_next_view(src):
    assert counts(ui.cached(src, audits_by_service, JAN)) == {"AI": 1, "CF": 2}
    load_more(src.db.path)
    assert counts(ui.cached(src, audits_by_service, JAN)) == {"AI": 1, "CF": 3}
    assert len(CALLS) == 2


def test_a_load_in_this_process_is_seen_on_the_next_view(src, tmp_path):
    from analytics.loader import load_files
    from analytics.readers import SourceFile
    assert counts(ui.cached(src, audits_by_service, JAN)) == {"AI": 1, "CF": 2}
    (tmp_path / "more.csv").write_text(MORE)
    assert load_files(src.db, [SourceFile.from_path(tmp_path / "more.csv")]).ok
    assert counts(ui.cached(src, audits_by_service, JAN)) == {"AI": 1, "CF": 3}


def test_figures_are_filed_under_the_generation_they_were_read_from(src):
    """A load publishing while a page's group of figures is being read: the group's later figures come from
    the old generation and must be filed under it, not under the new one (or they would be served as the new
    generation's figures until evicted)."""
    def load_meanwhile(con, f):
        load_more(src.db.path)
        return 0
    with ui.cached_reads(src) as cached:
        cached(load_meanwhile, JAN)
        assert counts(cached(audits_by_service, JAN)) == {"AI": 1, "CF": 2}   # this read's generation
    assert counts(ui.cached(src, audits_by_service, JAN)) == {"AI": 1, "CF": 3}


def test_each_role_gets_its_own_figures(src):
    cf_only = access.Scope(services=("CF",))
    everyone = access.Scope.open()
    assert counts(ui.cached(src, audits_by_service, cf_only.narrow(JAN))) == {"CF": 2}
    assert counts(ui.cached(src, audits_by_service, everyone.narrow(JAN))) == {"AI": 1, "CF": 2}
    assert counts(ui.cached(src, audits_by_service, access.Scope(services=("AI",)).narrow(JAN))) == {"AI": 1}
    assert counts(ui.cached(src, audits_by_service, cf_only.narrow(JAN))) == {"CF": 2}
    assert len(CALLS) == 3


def test_a_page_changing_its_figures_does_not_change_the_next_view(src):
    first = ui.cached(src, audits_by_service, JAN)
    first.loc[0, "n"] = 999
    first["service"] = "XX"
    assert counts(ui.cached(src, audits_by_service, JAN)) == {"AI": 1, "CF": 2}
    assert len(CALLS) == 1


def test_the_configuration_is_part_of_the_key(src):
    def cohorts(con, config):
        CALLS.append(config)
        return list(config.cohorts)
    other = Config({**Config().raw, "cohorts": ["CIN", "CP"]})
    assert ui.cached(src, cohorts, Config()) == Config().cohorts
    assert ui.cached(src, cohorts, other) == ["CIN", "CP"]
    assert ui.cached(src, cohorts, Config()) == Config().cohorts   # an equal configuration: the same entry
    assert len(CALLS) == 2


def test_a_lambda_is_refused(src):
    # two lambdas share the name "<lambda>": keyed by name, one would be served the other's figures
    assert ui.cached(src, audits_by_service, JAN) is not None
    with pytest.raises(ValueError, match="named function"):
        ui.cached(src, lambda con: 1)


def test_the_cache_is_bounded(src):
    def month(con, i):
        CALLS.append(i)
        return i
    for i in range(ui.CACHE_ENTRIES + 1):
        ui.cached(src, month, i)
    ui.cached(src, month, ui.CACHE_ENTRIES)   # the newest is still there
    assert len(CALLS) == ui.CACHE_ENTRIES + 1
    ui.cached(src, month, 0)                  # the oldest was dropped to make room
    assert len(CALLS) == ui.CACHE_ENTRIES + 2


# --- on a page ------------------------------------------------------------------------------------
def counting(monkeypatch, module, name) -> list:
    """Replace module.name by a spy that counts its calls (same name, so the same cache entries)."""
    seen = []
    original = getattr(module, name)

    @functools.wraps(original)
    def spy(*args, **kwargs):
        seen.append(args[1:])
        return original(*args, **kwargs)
    monkeypatch.setattr(module, name, spy)
    return seen


@pytest.fixture
def esc_dir(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    db = load_csv_texts(tmp_path / "src" / "qa.duckdb",
                        {"audits.csv": ESC_AUDITS, "escalations.csv": ESCALATIONS, "need_to_know.csv": NTK})
    return use_council_db(db, tmp_path, monkeypatch)


def test_page_repeated_view_queries_nothing_and_a_load_shows_at_once(esc_dir, monkeypatch):
    figures = counting(monkeypatch, esc, "page_figures")
    options = counting(monkeypatch, ui, "filter_options")
    period = {"period": ["2025-01", "2025-06"]}
    at = open_app_page("pages/escalations.py", **period)
    assert shown_metric(at, "Raised") == "6"           # E1-E6
    n_figures, n_options = len(figures), len(options)
    assert n_figures >= 1 and n_options >= 1
    at.run()                                            # the same viewer again
    other = open_app_page("pages/escalations.py", **period)   # another viewer, the same filters
    for shown in (at, other):
        assert shown_metric(shown, "Raised") == "6"
    assert (len(figures), len(options)) == (n_figures, n_options)
    # E8 raised in April: on the very next view, not after an expiry
    load_more(esc_dir / "qa.duckdb", "escalation_id,raised_date,raised_by,service,team,child_ref,stage,themes,"
              "resolved_date,outcome\nE8,2025-04-02,IRO,CF,,X8,Informal,Placement,,\n", "escalations.csv")
    at.run()
    assert not at.exception, at.exception
    assert shown_metric(at, "Raised") == "7"
    assert len(figures) == n_figures + 1
