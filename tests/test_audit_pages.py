"""Overview, trends and explorer pages: the numbers shown equal the library's (and summary's) for the
same filters; filters round-trip through the URL; invalid link values are ignored with a notice."""
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, SAMPLES, run_cli
from analytics.config import Config
from analytics.database import Database
from analytics.filters import Filters
from analytics.metrics import summary
from analytics.presentation import format_pct

SAMPLE = SAMPLES / "council-sample"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("pages") / "qa.duckdb"
    files = sorted(SAMPLE.glob("*.csv")) + sorted(SAMPLE.glob("*.xlsx"))
    code, out, err = run_cli("load", "--db", db, *files)
    assert code == 0, err
    return db


@pytest.fixture
def council(tmp_path, monkeypatch, sample_db):
    d = tmp_path / "appdata"
    d.mkdir()
    shutil.copy(sample_db, d / "qa.duckdb")
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(d))
    monkeypatch.chdir(ROOT)
    return d / "qa.duckdb"


def open_page(page, **query):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def figures(db, **kw):
    with Database(db).read() as con:
        return summary(con, Filters(**kw), Config())


def test_overview_shows_summary_figures_for_the_latest_month_and_the_period(council):
    at = open_page("pages/overview.py", period=["2025-01", "2025-03"])
    metrics = {m.label: m.value for m in at.metric}
    month = figures(council, month_from="2025-03", month_to="2025-03")["audits"]
    assert metrics["Audits completed"] == str(month["count"]) == "28"
    assert metrics["Good or better"] == format_pct(month["good_or_better_pct"]) == "67.9%"
    assert metrics["Inadequate"] == format_pct(month["inadequate_pct"])
    assert metrics["Provisional (not yet moderated)"] == str(month["provisional"])
    period = figures(council, month_from="2025-01", month_to="2025-03")["audits"]
    text = "\n".join(m.value for m in at.markdown)
    assert f"{period['count']} audits, {format_pct(period['good_or_better_pct'])} good or better" in text
    assert "88 audits, 63.6% good or better" in text        # the sample's expected figures
    assert "weakest pillar" in text and "moved most" in text


def test_overview_follows_the_service_in_the_link(council):
    at = open_page("pages/overview.py", period=["2024-01", "2024-12"], service="CF")
    text = "\n".join(m.value for m in at.markdown)
    assert "42 audits, 45.2% good or better, 16.7% inadequate" in text   # summary --service CF for 2024


def test_trends_table_matches_summary_by_month(council):
    at = open_page("pages/trends.py", period=["2025-01", "2025-03"])
    table = next(d.value for d in at.dataframe if "good_pct" in d.value.columns and "service" in d.value.columns)
    by_service = figures(council, month_from="2025-01", month_to="2025-03")["by_service"]
    for service, row in by_service.items():
        rows = table[table["service"] == service]
        assert rows["n"].sum() == row["count"]
        assert rows["good"].sum() / rows["n"].sum() * 100 == pytest.approx(row["good_or_better_pct"])


def test_quarter_grain_from_the_link(council):
    at = open_page("pages/trends.py", period=["2024-04", "2025-03"], grain="Financial quarter")
    assert at.radio(key="grain").value == "Financial quarter"
    table = next(d.value for d in at.dataframe if "good_pct" in d.value.columns and "service" in d.value.columns)
    assert sorted(set(table["period"])) == ["2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4"]


def test_explorer_lists_the_audits_behind_a_figure(council):
    at = open_page("pages/explorer.py", period=["2024-01", "2024-12"], service="CF", grade="Inadequate")
    rows = at.dataframe[0].value
    by_grade = figures(council, month_from="2024-01", month_to="2024-12", services=("CF",))["audits"]["by_grade"]
    assert len(rows) == by_grade["Inadequate"] == 7
    assert set(rows["Final grade"]) == {"Inadequate"} and set(rows["Service"]) == {"CF"}


def test_explorer_drill_values_for_pillar_and_moderation(council):
    at = open_page("pages/explorer.py", period=["2025-01", "2025-03"], auditor_grade="Good",
                   moderated_grade="Requires Improvement")
    rows = at.dataframe[0].value
    assert len(rows) > 0
    assert set(rows["Auditor grade"]) == {"Good"} and set(rows["Moderated grade"]) == {"Requires Improvement"}
    at = open_page("pages/explorer.py", period=["2025-01", "2025-03"],
                   pillar="Voice and lived experience of the child", pillar_grade="Inadequate")
    rows = at.dataframe[0].value
    # summary: 18.18...% of 88 Voice pillar grades are Inadequate in 2025 Q4 of the sample = 16 audits
    assert len(rows) == 16
    assert set(rows["Voice and lived experience of the child"]) == {"Inadequate"}


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/trends.py", "pages/explorer.py"])
def test_invalid_link_values_are_ignored_with_a_notice(council, page):
    at = open_page(page, service=["CF", "NOPE"], period=["2025-01", "2025-03"], cohort="Martians")
    notices = " ".join(i.value for i in at.info)
    assert "'NOPE'" in notices and "'Martians'" in notices and "ignored" in notices
    assert at.multiselect(key="service").value == ["CF"]


def test_presentation_mode_from_the_link_hides_the_sidebar_and_offers_a_way_back(council):
    at = open_page("pages/overview.py", presentation="1")
    assert any("stSidebar" in m.value for m in at.markdown if "<style>" in m.value)
    assert any(b.label == "Leave presentation mode" for b in at.button)


def test_an_empty_selection_shows_a_message(council):
    at = open_page("pages/trends.py", period=["2025-01", "2025-03"], cohort="Early Help")  # none in the sample
    assert any("No audits match" in i.value for i in at.info)


def test_counts_of_a_large_council_are_written_with_thousands_separators(tmp_path, monkeypatch):
    """1,200 audits in March 2025, 1,050 of them moderated: every count on the overview reads '1,200'."""
    from conftest import load_csv_texts
    rows = [f"A{i},2025-03-{1 + i % 28:02d},MASH,M1,C{i},CP,S01,Team Manager,Good,{'Good' if i < 1050 else ''},"
            for i in range(1200)]
    header = "audit_id,audit_date,service,team,child_ref,cohort,auditor_id,auditor_role,auditor_grade,moderated_grade,benchmarked_grade"
    d = tmp_path / "appdata"
    d.mkdir()
    load_csv_texts(d / "qa.duckdb", {"audits.csv": "\n".join([header, *rows]) + "\n"})
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(d))
    monkeypatch.chdir(ROOT)
    at = open_page("pages/overview.py", period=["2025-03", "2025-03"])
    assert {m.label: m.value for m in at.metric}["Audits completed"] == "1,200"
    text = "\n".join(m.value for m in [*at.markdown, *at.caption])
    assert "150 of these 1,200 audits are provisional" in text
    assert "150 of the 1,200 audits of 2025" in text
    assert "+1,200.0 against the 12-month monthly mean" in text
    assert "(n = 1,200)" in text
