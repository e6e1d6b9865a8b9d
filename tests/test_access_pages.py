"""Sign-in and roles on the pages (AppTest's user simulation): what each role sees, the URL cannot widen it,
only the QA team loads data, and without sign-in the app runs open under a banner."""
import pytest
from streamlit.testing.v1 import AppTest

from analytics import ui
from conftest import ROOT, load_csv_texts, use_council_db
from test_access import AUDITS, ROLE_MAP, STAFF

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret",
        "client_id": "dashboard", "client_secret": "x",
        "server_metadata_url": "https://login.example.gov.uk/.well-known/openid-configuration"}
HOS_AI = {"is_logged_in": True, "email": "hos.ai@council.gov.uk", "name": "Head of AI"}
PRACTITIONER = {"is_logged_in": True, "email": "p@council.gov.uk", "groups": ["All CSC staff"]}
QA = {"is_logged_in": True, "email": "qa@council.gov.uk", "groups": ["CSC QA Team"]}
SENIOR = {"is_logged_in": True, "email": "lead@council.gov.uk"}


@pytest.fixture(scope="module")
def db_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("access_pages") / "qa.duckdb"
    return load_csv_texts(path, {"audits.csv": AUDITS, "staff.csv": STAFF})


@pytest.fixture
def council(db_file, tmp_path, monkeypatch):
    d = use_council_db(db_file, tmp_path, monkeypatch)
    config = tmp_path / "qa.toml"
    config.write_text(ROLE_MAP)
    monkeypatch.setenv("QA_DASHBOARD_CONFIG", str(config))
    ui.config.clear()  # the configuration is cached per process
    yield d
    ui.config.clear()


def run(page=None, user=None, signed=True, **query):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if signed:
        at.secrets["auth"] = AUTH
    if user is not None:
        at.user = user
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
        at.run()  # URL-bound filters apply from the run after switch_page
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    return "\n".join(str(m.value) for kind in (at.markdown, at.caption, at.warning, at.info, at.error,
                                               at.success, at.title, at.subheader) for m in kind)


def loads(folder) -> int:
    from analytics.database import Database
    with Database(folder / "qa.duckdb").read() as con:
        return con.execute("SELECT count(DISTINCT load_id) FROM load_history").fetchone()[0]


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_without_sign_in_configured_the_app_runs_open_under_a_banner(council):
    at = run(signed=False)
    assert any("Open access" in e.value for e in at.error)
    assert metrics(at)["Audits completed"] == "5"
    at = run("pages/data.py", signed=False)
    assert len(at.file_uploader) == 1


def test_signed_out_sees_only_the_sign_in_screen(council):
    at = run(user={"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.dataframe and "Audit quality overview" not in texts(at)
    at = run("pages/explorer.py", user={"is_logged_in": False})
    assert not at.dataframe and "Audit explorer" not in texts(at)


def test_a_signed_in_user_without_a_role_sees_nothing(council):
    at = run(user={"is_logged_in": True, "email": "stranger@example.com"})
    assert any("no role on this dashboard" in e.value for e in at.error)
    assert not at.metric and [b.label for b in at.button] == ["Sign out"]


def test_a_head_of_service_sees_their_services_in_full_and_others_as_council_wide_totals(council):
    at = run(user=HOS_AI)
    shown = metrics(at)
    assert shown["Audits completed, all services"] == "5" and shown["Good or better, all services"] == "80.0%"
    assert shown["Audits completed"] == "2" and shown["Good or better"] == "50.0%"
    assert "Signed in as hos\\.ai@council\\.gov\\.uk" in texts(at)
    assert at.sidebar.multiselect(key="service").options == ["MASH", "AI"]
    at = run("pages/explorer.py", user=HOS_AI)
    rows = at.dataframe[0].value
    assert sorted(rows["Audit"]) == ["A1", "A2"]
    at.sidebar.button(key="sign_out").click().run()
    assert [b.label for b in at.button] == ["Sign in"] and not at.dataframe


@pytest.mark.parametrize("query", [{"service": "CF"}, {"team": "Team C"}, {"service": ["AI", "CF"]}])
def test_a_hand_edited_link_naming_another_service_shows_nothing_from_it(council, query):
    at = run("pages/explorer.py", user=HOS_AI, **query)
    assert "CF" not in str(at.query_params.get("service", "")) and "Team C" not in str(at.query_params.get("team", ""))
    rows = at.dataframe[0].value
    assert set(rows["Service"]) == {"AI"} and "Team C" not in set(rows["Team"])


def test_a_practitioner_sees_council_wide_figures_and_no_other_page(council):
    at = run(user=PRACTITIONER)
    shown = metrics(at)
    assert shown == {k: v for k, v in shown.items() if k.endswith("all services")}
    assert shown["Audits completed, all services"] == "5"
    assert not at.get("plotly_chart") and not at.dataframe
    assert not at.sidebar.multiselect or "service" not in [w.key for w in at.sidebar.multiselect]
    # The navigation offers the overview and the council-wide infographic alone: no other page can be reached.
    with pytest.raises(ValueError, match=r"Known pages: \['[^,]*pages/overview.py', '[^,]*pages/publish.py'\]"):
        at.switch_page("pages/explorer.py")
    # A page run on its own (as Streamlit does before the navigation exists) still keeps to the scope.
    page = AppTest.from_file(str(ROOT / "pages/explorer.py"), default_timeout=120)
    page.secrets["auth"] = AUTH
    page.user = PRACTITIONER
    page.run()
    assert not page.exception and not page.dataframe


def test_the_exports_page_offers_each_role_only_what_it_may_see(council):
    # practitioner: the council-wide infographic only, no pack, no publishing
    at = run("pages/publish.py", user=PRACTITIONER)
    assert at.selectbox(key="export_service").options == ["All services"]
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Infographic (PNG)", "Infographic (PDF)"]
    assert "Publish a month" not in texts(at)
    # head of service: their own services' infographics as well, still no pack and no publishing
    at = run("pages/publish.py", user=HOS_AI)
    assert [o.split(":")[0] for o in at.selectbox(key="export_service").options] == ["All services", "MASH", "AI"]
    assert "Slide pack (PowerPoint)" not in [b.label for b in at.get("download_button")]
    assert "Publish a month" not in texts(at)
    # the QA team: every service, the pack and publishing
    at = run("pages/publish.py", user=QA)
    assert len(at.selectbox(key="export_service").options) == 1 + 6
    assert "Slide pack (PowerPoint)" in [b.label for b in at.get("download_button")]
    assert "Publish a month" in texts(at)
    # signed in, the account is the publisher: nobody types a name
    assert not at.text_input and not at.button(key="publish_button").disabled


def test_only_the_qa_team_may_load_data(council):
    at = run("pages/data.py", user=SENIOR)
    assert not at.file_uploader and any("Only the QA team" in i.value for i in at.info)
    assert any("Loaded by" in d.value.columns for d in at.dataframe)  # senior leaders see everything else
    at = run("pages/data.py", user=HOS_AI)
    assert not at.file_uploader and not any("Loaded by" in d.value.columns for d in at.dataframe)
    at = run("pages/data.py", user=QA)
    assert len(at.file_uploader) == 1


def test_a_head_of_service_sees_only_their_services_rows_counted_and_no_file_names(council):
    # Stored: audits A1, A2 (AI) and C1-C3 (CF); staff S1 (AI) and S2 (CF). hos.ai sees AI and MASH.
    at = run("pages/data.py", user=HOS_AI)
    stored = next(d.value for d in at.dataframe if "Rows" in d.value.columns)
    assert dict(zip(stored["Dataset"], stored["Rows"]))["audits"] == 2
    assert dict(zip(stored["Dataset"], stored["Rows"]))["staff"] == 1
    assert "Last file" not in stored.columns and "Last loaded" in stored.columns
    at = run("pages/data.py", user=QA)
    stored = next(d.value for d in at.dataframe if "Rows" in d.value.columns)
    assert dict(zip(stored["Dataset"], stored["Rows"]))["audits"] == 5 and "Last file" in stored.columns


def test_a_role_of_its_own_services_that_may_load_is_still_not_offered_publishing(council, tmp_path, monkeypatch):
    # Publishing and the published files (the pack compares every service) are for roles that see every service.
    config = tmp_path / "loader.toml"
    config.write_text(ROLE_MAP.replace('services = ["AI", "MASH"]\n', 'services = ["AI", "MASH"]\nmay_load = true\n', 1))
    monkeypatch.setenv("QA_DASHBOARD_CONFIG", str(config))
    ui.config.clear()
    at = run("pages/data.py", user=HOS_AI)
    assert len(at.file_uploader) == 1                          # the role map's may_load took effect
    at = run("pages/publish.py", user=HOS_AI)
    assert "Publish a month" not in texts(at) and "Published months" not in texts(at)
    assert "Slide pack (PowerPoint)" not in [b.label for b in at.get("download_button")]


def test_the_upload_takes_only_csv_and_xlsx(council):
    at = run("pages/data.py", user=QA)
    assert at.file_uploader[0].allowed_type == [".csv", ".xlsx"]
    at.file_uploader[0].upload("audits.html", b"audit_id\n<img src=x onerror=alert(1)>", "text/html")
    at.run()
    # Streamlit refuses the file on the server as the widget is read; the page would refuse it next.
    assert "Invalid file extension: `.html`" in str(at.exception)
    assert not at.success and loads(council) == 1


def test_the_loader_is_refused_to_anyone_who_may_not_load():
    from analytics.access import COUNCIL, OWN, Scope
    assert ui.refuse_upload(Scope(sees=OWN, services=("AI",), may_load=False), ["a.csv"]) == \
        "Only the QA team may load data."
    assert ui.refuse_upload(Scope.open(), ["a.CSV", "b.xlsx"]) is None
    assert "not c.xls" in ui.refuse_upload(Scope.open(), ["a.csv", "c.xls"])
    assert ui.refuse_upload(Scope(sees=COUNCIL, services=(), may_load=False), []) is not None


# --- no page shows another service's rows to a head of service (demo data: six services, many teams) -------
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
SERVICE_COLUMNS = ("service", "Service")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from analytics.database import Database
    from analytics.demo import build_demo
    path = tmp_path_factory.mktemp("demo_access") / "demo.duckdb"
    build_demo(path, seed=3)
    with Database(path).read() as con:
        others = {t for (t,) in con.execute(
            "SELECT DISTINCT team FROM audits WHERE team IS NOT NULL AND team NOT IN "
            "(SELECT team FROM audits WHERE service IN ('AI', 'MASH') AND team IS NOT NULL)").fetchall()}
    return path, others


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_another_services_rows_or_teams_to_a_head_of_service(demo, tmp_path, monkeypatch, page):
    import shutil
    path, other_teams = demo
    d = tmp_path / "appdata"
    d.mkdir()
    shutil.copy(path, d / "demo.duckdb")
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(d))
    monkeypatch.chdir(ROOT)
    config = tmp_path / "qa.toml"
    config.write_text(ROLE_MAP)
    monkeypatch.setenv("QA_DASHBOARD_CONFIG", str(config))
    ui.config.clear()
    try:
        at = run(page, user=HOS_AI, service=["AI", "CF"], team=sorted(other_teams)[:2])
    finally:
        ui.config.clear()
    for frame in (df.value for df in at.dataframe):
        for col in SERVICE_COLUMNS:
            if col in frame.columns:
                assert set(frame[col].dropna()) <= {"AI", "MASH", "ALL", "All services"}, (page, col)
        cells = set(frame.astype(str).to_numpy().ravel())
        assert not cells & other_teams, (page, cells & other_teams)
    charts = " ".join(c.proto.spec for c in at.get("plotly_chart"))
    assert not [t for t in other_teams if f'"{t}"' in charts], page
