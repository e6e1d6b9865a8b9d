"""Every page renders (AppTest), on the demo and on the council's data; the Data page loads uploads."""
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT

PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
GOOD_AUDITS = ("audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade\n"
               "UP1,2025-03-04,AI,C1,CP,Team Manager,Good\nUP2,2025-03-05,CF,C2,CIN,Team Manager,Inadequate\n")
BAD_AUDITS = ("audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade\n"
              "UP1,2025-03-04,AI,C1,CP,Team Manager,Good\nUP2,02/13/2025,CF,C2,CIN,Team Manager,Inadequate\n")


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory):
    from analytics.demo import build_demo
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path, seed=1)
    return path


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    d = tmp_path / "appdata"
    d.mkdir()
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(d))
    monkeypatch.chdir(ROOT)
    return d


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def texts(at) -> str:
    parts = [m.value for kind in (at.markdown, at.caption, at.warning, at.info, at.error, at.success)
             for m in kind]
    return "\n".join(str(p) for p in parts)


def test_app_builds_the_demo_when_there_is_no_database_and_says_so(data_dir):
    at = app().run()
    assert not at.exception, at.exception
    assert (data_dir / "demo.duckdb").exists()
    assert not (data_dir / "qa.duckdb").exists()
    assert "Demo data" in texts(at)


def on_the_demo(data_dir, demo_file, page):
    """The app on the demo database, switched to ``page``."""
    shutil.copy(demo_file, data_dir / "demo.duckdb")
    at = app().run()
    at.switch_page(page).run()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_demo_labelled(data_dir, demo_file, page):
    at = on_the_demo(data_dir, demo_file, page)
    assert not at.exception, at.exception
    assert "Demo data" in texts(at)


def test_the_overview_says_once_when_the_latest_month_is_all_provisional(data_dir, demo_file):
    # The demo's latest month is not moderated yet: one plain sentence, not "24 of these 24 ... All of them are."
    import re
    text = texts(on_the_demo(data_dir, demo_file, "pages/overview.py"))
    assert re.search(r"All [\d,]+ audits are provisional \(not yet moderated\)", text), text
    assert "All of them are" not in text
    said = text.replace("\\", "")   # Markdown escapes in the page text
    assert re.search(r"All [\d,]+ audits of \d{4}-\d{2} are provisional: their grades may still change", said)


def test_every_page_renders_on_an_empty_council_database(data_dir, demo_file):
    from analytics.database import Database
    shutil.copy(demo_file, data_dir / "demo.duckdb")
    Database(data_dir / "qa.duckdb").initialise()
    for page in PAGES:
        at = app().run()
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert "Demo data" not in texts(at)


def counts(at) -> dict:
    frame = at.dataframe[0].value
    return dict(zip(frame["Dataset"], frame["Rows"]))


def test_uploading_a_bad_file_shows_the_report_and_stores_nothing(data_dir, demo_file):
    at = on_the_demo(data_dir, demo_file, "pages/data.py")
    # The box states the loader's limit (limits.max_file_mb, 50 MB), not Streamlit's 200 MB.
    assert at.file_uploader[0].proto.max_upload_size_mb == 50
    at.file_uploader[0].upload("audits.csv", BAD_AUDITS.encode(), "text/csv")
    at.run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert any("Nothing was stored" in e.value for e in at.error)
    report = at.dataframe[0].value
    assert list(report["row"]) == [3] and list(report["column"]) == ["audit_date"]
    assert "US order" in report["reason"][0]
    assert not (data_dir / "qa.duckdb").exists()


def test_uploading_a_good_file_updates_counts_and_history(data_dir, demo_file):
    from analytics.database import Database
    at = on_the_demo(data_dir, demo_file, "pages/data.py")
    at.file_uploader[0].upload("audits.csv", GOOD_AUDITS.encode(), "text/csv")
    at.run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert any("stored" in s.value for s in at.success)
    # The first real load created the council's database, which the app now shows.
    assert (data_dir / "qa.duckdb").exists()
    assert "Demo data" not in texts(at)
    frames = [df.value for df in at.dataframe]
    assert counts_from(next(f for f in frames if "Rows" in f.columns))["audits"] == 2
    history = next(f for f in frames if "Load" in f.columns)
    assert list(history["File"]) == ["audits.csv"] and list(history["Inserted"]) == [2]
    assert list(history["Sheet"]) == [""]           # a CSV has no sheet: blank, not "None"
    with Database(data_dir / "qa.duckdb").read() as con:
        assert con.execute("SELECT count(*) FROM audits").fetchone()[0] == 2


def counts_from(frame) -> dict:
    return dict(zip(frame["Dataset"], frame["Rows"]))


LEARNING_AND_KPI_PAGES = ["pages/dip_samples.py", "pages/actions.py", "pages/voice.py", "pages/escalations.py",
                          "pages/observations.py", "pages/reviews.py", "pages/themes.py", "pages/kpis.py",
                          "pages/impact.py", "pages/followup.py", "pages/moderation.py"]


def grade_coloured_non_grades(at) -> list[tuple[str, str]]:
    """(chart title, trace) of every trace drawn in a grade colour that is not a grade or a % good or better."""
    import json
    from analytics.charts import GRADE_COLOURS
    from analytics.config import Config
    grade_hex = {c.lower() for c in GRADE_COLOURS.values()}
    labels = set(Config().grade_labels)
    bad = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        title = str((spec["layout"].get("title") or {}).get("text", ""))
        for trace in spec["data"]:
            name = str(trace.get("name") or "")
            # A grade, or the share of a grade: % good or better in the good end's blue and % inadequate in the
            # Inadequate colour, on every page by design.
            measure = f"{name} {title}".lower()
            if name in labels or "good or better" in measure or "inadequate" in measure:
                continue
            colours = [trace.get("marker", {}).get("color"), trace.get("line", {}).get("color"),
                       trace.get("fillcolor")]
            flat = [c for v in colours for c in (v if isinstance(v, list) else [v]) if isinstance(c, str)]
            if any(c.lower() in grade_hex for c in flat):
                bad.append((title, name))
        for shape in spec["layout"].get("shapes", []):
            if str(shape.get("line", {}).get("color", "")).lower() in grade_hex:
                bad.append((title, "shape"))
    return bad


@pytest.mark.parametrize("page", PAGES)
def test_grade_colours_only_for_grades(data_dir, demo_file, page):
    # charts.py: grade colours mean grades. Sources, raisers, stages, sentiment, before/after and single
    # counts take other colours, so a bar never reads as "Outstanding" or "Inadequate".
    at = on_the_demo(data_dir, demo_file, page)
    assert not at.exception, at.exception
    if page == "pages/impact.py":   # the KPI and theme sections too
        at.selectbox(key="intervention").set_value("INT04").run()
    assert grade_coloured_non_grades(at) == []


def test_chart_data_tables_have_plain_headings_over_the_same_columns(data_dir, demo_file):
    """The "Data table" under a chart shows 'Good 95% CI low', not 'good_ci_low'; the table itself (and
    its downloads) keep the column names."""
    import json
    at = on_the_demo(data_dir, demo_file, "pages/trends.py")
    table = next(d for d in at.dataframe if "good_ci_low" in d.value.columns)
    labels = {c: v.get("label") for c, v in json.loads(table.proto.columns).items()}
    assert labels["good_pct"] == "Good %" and labels["good_ci_low"] == "Good 95% CI low"
    assert labels["period"] == "Period" and "n" not in labels          # 'n' is already plain
    formats = {c: v.get("type_config", {}).get("format") for c, v in json.loads(table.proto.columns).items()}
    assert formats["good_pct"] == formats["good_ci_low"] == "%.1f" and formats["period"] is None


def test_headings_for_people():
    from analytics.presentation import heading
    assert [heading(c) for c in ("days_since_review", "good_pct", "below_ci_high", "n", "Quarter")] == [
        "Days since review", "Good %", "Below 95% CI high", "n", "Quarter"]
    assert [heading(c) for c in ("pct", "change_pts", "dip_sample_id", "source_ref", "ci_low")] == [
        "%", "Change (points)", "Dip sample ID", "Source reference", "95% CI low"]


# Whole-number columns the pages offer for download that are not counts of children, records or people (ranks,
# orders, days, benchmark figures): "for circulation" leaves them as they are.
# Whole numbers that are not counts (a change is a difference of counts: hidden with them, tested in test_exports).
NOT_COUNTS_OFFERED = {"rank", "row_rank", "col_rank", "Priority", "Points", "days_since_review", "age_days",
                      "median_days", "limits group", "England", "Statistical neighbours", "Cycle", "change"}


@pytest.mark.parametrize("page", PAGES)
def test_every_download_for_circulation_hides_small_counts(data_dir, demo_file, page, monkeypatch):
    """Each table a page offers, made "for circulation", keeps no count from 1 to 4 in any column, whatever
    the column's name or type (whole-number floats and number texts included)."""
    import numbers
    from analytics import ui
    from analytics.exports import NotForCirculation, for_circulation, lists_children
    offered, listed = {}, {}
    real = ui.download_table

    def spy(table, key, file_name=None, *, children=None):
        offered[key] = table() if callable(table) else table
        listed[key] = children if children is not None else lists_children(offered[key])
        return real(table, key, file_name, children=children)


    monkeypatch.setattr(ui, "download_table", spy)
    at = on_the_demo(data_dir, demo_file, page)
    assert not at.exception, at.exception
    if page not in ("pages/data.py", "pages/publish.py"):
        assert offered, "the page offers no download"
    leaks = []
    for key, df in offered.items():
        if listed[key]:   # a list of children's records: never offered for circulation, and refused if asked
            if lists_children(df):
                with pytest.raises(NotForCirculation):
                    for_circulation(df, 5)
            continue
        whole = [c for c in df.columns if c not in NOT_COUNTS_OFFERED and len(df[c].dropna()) and all(
            (isinstance(v, numbers.Real) and not isinstance(v, bool) and float(v).is_integer())
            or (isinstance(v, str) and v.replace(",", "").isdigit()) for v in df[c].dropna())]
        assert not lists_children(df), (key, list(df.columns))
        out = for_circulation(df, 5)
        for c in whole:
            shown = [v for v in out[c].tolist() if v is not None and v == v and not isinstance(v, bool)]
            small = [v for v in shown if str(v).replace(",", "").strip() in ("1", "2", "3", "4", "1.0", "2.0", "3.0",
                                                                              "4.0")]
            if small:
                leaks.append((key, c, small[:3]))
    assert leaks == [], leaks


@pytest.mark.parametrize("page", PAGES)
def test_no_table_shows_none_for_a_missing_figure(data_dir, demo_file, page):
    # Streamlit writes a missing value as "None" unless the table says otherwise: KPI data tables showed "None"
    # for England figures not yet published, the follow-up table for review grades not given, the theme
    # explorer for months without a grade. Every table is drawn through ui.dataframe, with "–".
    at = on_the_demo(data_dir, demo_file, page)
    assert not at.exception, at.exception
    assert [d.proto.placeholder for d in at.dataframe if d.proto.placeholder != "–"] == []


@pytest.mark.parametrize("page", ["pages/explorer.py", "pages/followup.py", "pages/inspection.py"])
def test_a_list_of_childrens_records_is_never_offered_for_circulation(data_dir, demo_file, page):
    # "For circulation" on these lists kept each child's reference, audit date, team and grade.
    at = on_the_demo(data_dir, demo_file, page)
    assert not at.exception, at.exception
    locked = [c.value for c in at.caption if "A list of individual children's records" in c.value]
    assert locked
    boxes = [c.label for c in at.checkbox if c.label.startswith("For circulation")]
    downloads = [b for b in at.get("download_button") if b.proto.label == "Download CSV"]
    assert len(boxes) == len(downloads) - len(locked)     # the other tables of the page keep the choice


def test_chart_images_are_stamped_with_the_pages_period_services_and_source(data_dir, demo_file):
    # The buttons render charts.stamped(fig, ui.image_stamp()) on the click: it reads these.
    at = on_the_demo(data_dir, demo_file, "pages/overview.py")
    assert not at.exception, at.exception
    scope, source = at.session_state["_image_scope"], at.session_state["_image_source"]
    assert scope.endswith(" · all services") and " to " in scope
    assert source == "QA dashboard, DEMO DATA (synthetic)"
    at.switch_page("pages/data.py").run()        # no filter bar: no period, the source still
    assert "_image_scope" not in at.session_state and at.session_state["_image_source"] == source
