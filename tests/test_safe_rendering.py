"""Safe rendering: names holding HTML, Markdown, quotes and SQL are loaded, queried (parameterised SQL) and shown
exactly as typed on every page and in the summary; no Markdown or HTML in them ever runs."""
import csv
import io
import json

import pytest
from streamlit.testing.v1 import AppTest

from analytics import ui
from analytics.escaping import md
from conftest import ROOT, load_csv_texts, run_cli, use_council_db

XSS = "<img src=x onerror=alert(1)>"
MDX = "**bold** [link](javascript:alert(1)) :red[red] $x$"
SQLQ = "O'Brien's \"team\"; DROP TABLE audits; --"
PILLAR = "Child's \"plan\" ') OR 1=1; --"
SERVICE = "Quinn's \"Service\" <b>x</b>"
HOSTILE = (XSS, MDX, SQLQ, PILLAR)

CONFIG = f"""
pillars = ["Voice of the child", {json.dumps(PILLAR)}]
[[services]]
code = "AI"
name = "Assessment and Intervention"
aliases = []
[[services]]
code = "QS"
name = {json.dumps(SERVICE)}
aliases = []
"""


def table(header, *rows) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header.split(","))
    w.writerows(rows)
    return out.getvalue()


FILES = {
    "audits.csv": table("audit_id,audit_date,service,team,child_ref,cohort,auditor_role,auditor_grade",
                        ("A1", "2025-02-03", "AI", XSS, "C1", "CP", "Team Manager", "Good"),
                        ("A2", "2025-03-04", "AI", MDX, "C2", "CIN", "Team Manager", "Inadequate"),
                        ("A3", "2025-03-05", "QS", SQLQ, "C3", "CIN", "Team Manager", "Good"),
                        ("A4", "2025-03-06", "QS", SQLQ, "C4", "CP", "Team Manager", "Outstanding")),
    "audit_pillars.csv": table("audit_id,pillar,auditor_grade",
                               ("A1", PILLAR, "Inadequate"), ("A1", "Voice of the child", "Good"),
                               ("A2", PILLAR, "Requires Improvement"), ("A3", PILLAR, "Good"),
                               ("A3", "Voice of the child", "Outstanding")),
    "learning_actions.csv": table("action_id,source,theme,service,raised_date,status",
                                  ("L1", "Audit", XSS, "AI", "2025-03-01", "In progress"),
                                  ("L2", "Audit", SQLQ, "QS", "2025-02-01", "Not started")),
    "feedback.csv": table("feedback_id,received_date,channel,sentiment,service,themes",
                          ("F1", "2025-03-02", "Email", "Negative", "AI", XSS)),
    "escalations.csv": table("escalation_id,raised_date,raised_by,service,stage,themes",
                             ("E1", "2025-03-03", "IRO", "QS", "Informal", XSS)),
    "dip_samples.csv": table("dip_sample_id,theme,sample_date,service,child_ref,grade",
                             ("D1", XSS, "2025-03-10", "AI", "C9", "Good")),
    "reviews.csv": table("review_id,review_type,review_date,title,service,themes",
                         ("R1", "Team Spotlight", "2025-03-12", MDX, "AI", XSS)),
    "kpi_definitions.csv": table("kpi_code,kpi_name,unit,polarity", ("K'1", MDX, "percent", "neutral")),
    "kpi_values.csv": table("kpi_code,period_end,value", ("K'1", "2025-02-28", "50"), ("K'1", "2025-03-31", "55")),
}
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "qa.toml").write_text(CONFIG)
    mp = pytest.MonkeyPatch()
    mp.setenv("QA_DASHBOARD_CONFIG", str(folder / "qa.toml"))
    load_csv_texts(folder / "qa.duckdb", FILES)
    yield folder
    mp.undo()


@pytest.fixture
def council(hostile, tmp_path, monkeypatch):
    use_council_db(hostile / "qa.duckdb", tmp_path, monkeypatch)
    monkeypatch.setenv("QA_DASHBOARD_CONFIG", str(hostile / "qa.toml"))
    ui.config.clear()
    yield
    ui.config.clear()


def test_the_summary_reads_every_name_literally(hostile):
    code, out, err = run_cli("summary", "--db", hostile / "qa.duckdb", "--config", hostile / "qa.toml")
    assert code == 0, err
    data = json.loads(out)
    assert data["audits"]["count"] == 4 and data["audits"]["by_grade"]["Inadequate"] == 1
    # A1 Inadequate, A2 Requires Improvement, A3 Good on the pillar whose name holds quotes and SQL.
    assert data["pillars"][PILLAR]["count"] == 3 and data["pillars"][PILLAR]["inadequate_pct"] == pytest.approx(100 / 3)
    code, out, _ = run_cli("summary", "--db", hostile / "qa.duckdb", "--config", hostile / "qa.toml",
                           "--service", "QS")
    assert code == 0 and json.loads(out)["audits"]["count"] == 2


PLAIN = {"arrow_data_frame", "dataframe", "plotly_chart", "json", "code", "text", "download_button", "table"}
OPTIONS_AS_TEXT = {"selectbox", "multiselect", "select_slider"}  # their options are shown as plain text


def markdown_sources(at) -> list[str]:
    """The text of every element Streamlit renders as Markdown (labels, help, bodies, radio options)."""
    out = []

    def walk(node):
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if proto is not None and kind not in PLAIN:
            if kind in OPTIONS_AS_TEXT:
                out.append(f"{proto.label}\n{proto.help}")
            else:
                out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def chart_strings(at) -> list[str]:
    """Every string plotly draws with its HTML subset (not the pages' own hover and text templates)."""
    out = []

    def strings(value, key=""):
        if key in ("hovertemplate", "texttemplate", "template"):
            return
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                strings(v, k)
        elif isinstance(value, list):
            for v in value:
                strings(v)

    def walk(node):
        if getattr(node, "type", "") == "plotly_chart":
            strings(json.loads(node.proto.spec))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def visible_tables(at) -> str:
    return "\n".join(df.value.to_csv() for df in at.dataframe)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_hostile_names_as_text(council, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["cohort"] = MDX  # a hand-made link: the notice quotes it
    at.run()
    at.switch_page(page).run()
    at.run()
    assert not at.exception, at.exception
    for source in markdown_sources(at):
        for raw in (XSS, "**bold**", "[link](javascript", ":red[red]", "$x$", "<b>x</b>"):
            assert raw not in source, (page, raw, source[:300])
    for label in chart_strings(at):
        for raw in (XSS, "<b>x</b>"):
            assert raw not in label, (page, raw, label[:300])


def test_the_names_are_shown_escaped_where_markdown_would_run(council):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/themes.py").run()
    assert not at.exception, at.exception
    sources = "\n".join(m.value for m in at.markdown)
    assert md(XSS) in sources                      # the theme's headline quotes it, escaped
    assert XSS in at.selectbox(key="theme").options  # and offers it, as plain text
    assert any("&lt;img src=x onerror=alert(1)&gt;" in s for s in chart_strings(at))  # drawn as text
    at.switch_page("pages/explorer.py").run()
    shown = visible_tables(at)
    for raw in (XSS, "**bold** [link](javascript:alert(1))", SQLQ.replace('"', '""')):
        assert raw in shown                        # tables show the names exactly as loaded


def test_escaping_leaves_no_markdown_to_run():
    assert md(XSS) == r"\<img src=x onerror=alert\(1\)\>"
    assert md("a\n\n# heading") == r"a \# heading"
    assert md("**x** _y_ `z` [a](b) :red[c] $d$ ~e~ &amp;") == \
        r"\*\*x\*\* \_y\_ \`z\` \[a\]\(b\) \:red\[c\] \$d\$ \~e\~ \&amp;"
    assert md("Children's Services 2025") == "Children's Services 2025"


@pytest.mark.parametrize("query, audits", [
    ({"team": SQLQ}, ["A3", "A4"]),
    ({"pillar": PILLAR, "pillar_grade": "Inadequate"}, ["A1"]),
    ({"service": "QS", "pillar": PILLAR}, ["A3"]),
])
def test_names_with_quotes_and_sql_filter_as_plain_values(council, query, audits):
    """Every value reaches SQL as a parameter: quotes and SQL in a name neither break nor widen a query."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("pages/explorer.py").run()
    at.run()
    assert not at.exception, at.exception
    assert sorted(at.dataframe[0].value["Audit"]) == audits


def chart_shows(page, text: str) -> bool:
    """Whether a chart's drawn labels include ``text`` as typed (charts draw after the run: wait for them)."""
    from playwright.sync_api import TimeoutError
    try:
        page.wait_for_function("(t) => [...document.querySelectorAll('.js-plotly-plot text')]"
                               ".some(e => e.textContent.includes(t))", arg=text, timeout=60_000)
        return True
    except TimeoutError:
        return False


@pytest.mark.browser
def test_in_chromium_the_names_are_text_and_nothing_runs(hostile, tmp_path):
    """The real renderers (Streamlit's Markdown, plotly's labels) show the names as typed; no script runs."""
    import shutil

    from playwright.sync_api import sync_playwright

    from conftest import dashboard_server
    from test_browser import CHROMIUM, wait_for_run
    shutil.copy(hostile / "qa.duckdb", tmp_path / "qa.duckdb")
    dialogs = []
    with dashboard_server(tmp_path, QA_DASHBOARD_CONFIG=str(hostile / "qa.toml")) as server, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in ("", "trends", "themes", "reviews", "kpis"):
            page.goto(f"{server}/{path}", timeout=180_000)
            wait_for_run(page)
            assert page.locator('[data-testid="stException"]').count() == 0, path
            assert page.locator('img[src="x"], a[href^="javascript"]').count() == 0, path
            if path == "trends":  # plotly would draw <b>x</b> in the service's panel title as bold
                assert chart_shows(page, SERVICE)
            if path == "themes":
                headline = page.locator('[data-testid="stMarkdownContainer"] h4').first.inner_text()
                assert XSS in headline
                assert chart_shows(page, XSS)
            if path == "kpis":
                assert page.get_by_text(MDX, exact=True).count() >= 1  # the KPI's name as typed
                assert page.locator('[data-testid="stMarkdownContainer"] strong', has_text="bold").count() == 0
        browser.close()
    assert dialogs == []
