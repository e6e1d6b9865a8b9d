"""Pillar breakdown: every figure of analytics/pillars.py against numbers worked out by hand, and the page.

Grade ranks: O = Outstanding 1, G = Good 2, R = Requires Improvement 3, I = Inadequate 4.
Final audit grade = moderated, else auditor (no benchmarking here); final pillar grade likewise.
"""
import pytest
from streamlit.testing.v1 import AppTest

from conftest import load_csv_texts, ROOT

V = "Voice and lived experience of the child"   # configured pillar 1
AS = "Assessment and analysis"                   # configured pillar 2
P = "Planning and review"                        # configured pillar 3

# id   date        svc   auditor  moderated  -> final (rank)  provisional
# A01  2025-01-10  MASH  G        G          -> G 2
# A02  2025-01-20  MASH  R        -          -> R 3           yes
# A03  2025-02-05  AI    O        O          -> O 1
# A04  2025-02-15  AI    I        R          -> R 3
# A05  2025-03-03  AI    G        -          -> G 2           yes
# A06  2025-03-20  MASH  G        O          -> O 1
# A07  2025-04-08  AI    R        R          -> R 3
AUDITS = """\
audit_id,audit_date,service,child_ref,cohort,auditor_id,auditor_role,auditor_grade,moderated_grade
A01,2025-01-10,MASH,C01,CP,S01,Team Manager,Good,Good
A02,2025-01-20,MASH,C02,CIN,S01,Team Manager,Requires Improvement,
A03,2025-02-05,AI,C03,CP,S02,Service Manager,Outstanding,Outstanding
A04,2025-02-15,AI,C04,CIC,S03,Team Manager,Inadequate,Requires Improvement
A05,2025-03-03,AI,C05,CP,S03,Team Manager,Good,
A06,2025-03-20,MASH,C06,CP,S01,Team Manager,Good,Outstanding
A07,2025-04-08,AI,C07,CIN,S02,Service Manager,Requires Improvement,Requires Improvement
"""

# Final pillar grades (audit's final rank in brackets):
# V : A01 G(2)  A02 I(3)  A03 O(1)  A04 R(3)  A05 G(2)  A06 G(1)  A07 G(3)
# AS: A01 R(2)  A02 R(3)  A03 G(1)  A04 I(3)  (A05 none)  A06 O(1)  A07 R(3)
# P : A01 R->G(mod)(2)  A03 R(1)  A05 G(2)  A07 I(3)
PILLARS = f"""\
audit_id,pillar,auditor_grade,moderated_grade
A01,{V},Good,
A02,{V},Inadequate,
A03,{V},Outstanding,
A04,{V},Good,Requires Improvement
A05,{V},Good,
A06,{V},Good,
A07,{V},Good,
A01,{AS},Requires Improvement,
A02,{AS},Requires Improvement,
A03,{AS},Good,
A04,{AS},Inadequate,
A06,{AS},Outstanding,
A07,{AS},Requires Improvement,
A01,{P},Requires Improvement,Good
A03,{P},Requires Improvement,
A05,{P},Good,
A07,{P},Inadequate,
"""

WHOLE = ("2025-01", "2025-04")




@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("pillars") / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "audit_pillars.csv": PILLARS})
    return path


@pytest.fixture
def config():
    from analytics.config import Config
    return Config()


def F(month_from=WHOLE[0], month_to=WHOLE[1], **kw):
    from analytics.filters import Filters
    return Filters(month_from, month_to, **kw)


def rows(df, *keys):
    """{key tuple: row dict} for easy lookup."""
    return {tuple(r[k] for k in keys): r for r in df.to_dict("records")}


# --- heatmap -------------------------------------------------------------------------------------------
def test_heatmap_cells_by_hand(con, config):
    from analytics import pillars
    cells = pillars.heatmap(con, F(), config)
    # services in configured order (MASH before AI), then "All services"; pillars in configured order
    assert list(dict.fromkeys(cells["service"])) == ["MASH", "AI", "All services"]
    assert list(cells["pillar"][:3]) == [V, AS, P]
    got = rows(cells, "service", "pillar")
    want = {
        # MASH: A01 A02 A06
        ("MASH", V): (3, 2, 1, 1),    # G I G: good 2, inadequate 1 (A02), provisional A02
        ("MASH", AS): (3, 1, 0, 1),   # R R O
        ("MASH", P): (1, 1, 0, 0),    # A01 G
        # AI: A03 A04 A05 A07
        ("AI", V): (4, 3, 0, 1),      # O R G G; provisional A05
        ("AI", AS): (3, 1, 1, 0),     # G I R (A05 has no AS row)
        ("AI", P): (3, 1, 1, 1),      # R G I; provisional A05
        ("All services", V): (7, 5, 1, 2),
        ("All services", AS): (6, 2, 1, 1),
        ("All services", P): (4, 2, 1, 1),
    }
    assert set(got) == set(want)
    for key, (n, good, inad, prov) in want.items():
        r = got[key]
        assert (r["n"], r["good"], r["inadequate"], r["provisional"]) == (n, good, inad, prov), key
        assert r["good_pct"] == pytest.approx(good / n * 100), key
        assert r["inadequate_pct"] == pytest.approx(inad / n * 100), key
    assert got[("MASH", V)]["good_pct"] == pytest.approx(66.6666667)
    assert got[("All services", V)]["good_pct"] == pytest.approx(71.4285714)   # 5/7
    # Wilson 95% for 1 of 3 (by hand: centre 0.426916, half-width 0.365424)
    assert got[("AI", AS)]["good_ci_low"] == pytest.approx(6.1492, abs=1e-3)
    assert got[("AI", AS)]["good_ci_high"] == pytest.approx(79.2340, abs=1e-3)


@pytest.mark.parametrize("kw", [{}, {"services": ("AI",)}, {"services": ("MASH",)},
                                {"month_from": "2025-02", "month_to": "2025-03"}, {"cohorts": ("CP",)}])
def test_pillar_percentages_equal_summary(con, config, kw):
    """The heatmap's pillar figures are summary's pillars for the same period and service."""
    from analytics import metrics, pillars
    f = F(**kw)
    want = metrics.pillar_summary(con, f, config)
    total = pillars.by_pillar(con, f, config)
    assert list(total["pillar"]) == list(want)           # configured order, only pillars with rows
    for r in total.to_dict("records"):
        assert r["n"] == want[r["pillar"]]["count"]
        assert r["good_pct"] == pytest.approx(want[r["pillar"]]["good_or_better_pct"], abs=1e-12)
        assert r["inadequate_pct"] == pytest.approx(want[r["pillar"]]["inadequate_pct"], abs=1e-12)
    for service in ("MASH", "AI"):
        per_service = metrics.pillar_summary(con, F(**{**kw, "services": (service,)}), config)
        cells = pillars.by_service(con, f, config)
        cells = cells[cells["service"] == service]
        if "services" in kw and service not in kw["services"]:
            assert cells.empty
            continue
        assert {p: v for p, v in zip(cells["pillar"], cells["good_pct"])} == pytest.approx(
            {p: v["good_or_better_pct"] for p, v in per_service.items()})


def test_scope_narrows_like_a_service_filter(con, config):
    from analytics import pillars
    cells = pillars.heatmap(con, F(scope=("AI",)), config)
    assert set(cells["service"]) == {"AI", "All services"}
    assert rows(cells, "service", "pillar")[("All services", V)]["n"] == 4


# --- grade distribution ----------------------------------------------------------------------------------
def test_distribution_by_hand(con, config):
    from analytics import pillars
    d = pillars.distribution(con, F(), config)
    got = {(r["pillar"], r["grade"]): (r["n"], r["share_pct"]) for r in d.to_dict("records")}
    want_counts = {
        V: (1, 4, 1, 1),     # O A03; G A01 A05 A06 A07; R A04; I A02 -> 7
        AS: (1, 1, 3, 1),    # O A06; G A03; R A01 A02 A07; I A04 -> 6
        P: (0, 2, 1, 1),     # G A01 A05; R A03; I A07 -> 4 (Outstanding listed as 0)
    }
    labels = config.grade_labels
    assert list(d["pillar"]) == [V] * 4 + [AS] * 4 + [P] * 4
    for pillar, counts in want_counts.items():
        total = sum(counts)
        for label, n in zip(labels, counts):
            assert got[(pillar, label)] == (n, pytest.approx(n / total * 100))
    assert got[(V, "Good")][1] == pytest.approx(57.142857)


# --- trends ----------------------------------------------------------------------------------------------
def trend(con, config, grain, f=None):
    from analytics import pillars
    t = pillars.trend(con, f or F(), config, grain)
    return {(r["period"], r["pillar"]): (r["good"], r["n"]) for r in t.to_dict("records")}


def test_trend_by_month(con, config):
    assert trend(con, config, "month") == {
        ("2025-01", V): (1, 2), ("2025-01", AS): (0, 2), ("2025-01", P): (1, 1),   # A01 A02
        ("2025-02", V): (1, 2), ("2025-02", AS): (1, 2), ("2025-02", P): (0, 1),   # A03 A04
        ("2025-03", V): (2, 2), ("2025-03", AS): (1, 1), ("2025-03", P): (1, 1),   # A05 A06
        ("2025-04", V): (1, 1), ("2025-04", AS): (0, 1), ("2025-04", P): (0, 1),   # A07
    }


def test_trend_by_financial_quarter(con, config):
    assert trend(con, config, "quarter") == {
        # January-March 2025 is 2024-25 Q4: V G I O R G G; AS R R G I O; P G R G
        ("2024-25 Q4", V): (4, 6), ("2024-25 Q4", AS): (2, 5), ("2024-25 Q4", P): (2, 3),
        # the period ends in April: Q1 2025-26 is in only in part, and its label says so
        ("2025-26 Q1 (Apr only)", V): (1, 1), ("2025-26 Q1 (Apr only)", AS): (0, 1),
        ("2025-26 Q1 (Apr only)", P): (0, 1),
    }


def test_trend_rolling_three_months(con, config):
    assert trend(con, config, "rolling3") == {
        ("2025-01", V): (1, 2), ("2025-01", AS): (0, 2), ("2025-01", P): (1, 1),   # Nov-Jan: A01 A02
        ("2025-02", V): (2, 4), ("2025-02", AS): (1, 4), ("2025-02", P): (1, 2),   # Dec-Feb: A01-A04
        ("2025-03", V): (4, 6), ("2025-03", AS): (2, 5), ("2025-03", P): (2, 3),   # Jan-Mar: A01-A06
        ("2025-04", V): (4, 5), ("2025-04", AS): (2, 4), ("2025-04", P): (1, 3),   # Feb-Apr: A03-A07
    }
    # A period starting in February still counts January in February's window (as audits.grade_series does)
    assert trend(con, config, "rolling3", F("2025-02", "2025-02")) == {
        ("2025-02", V): (2, 4), ("2025-02", AS): (1, 4), ("2025-02", P): (1, 2)}


@pytest.mark.parametrize("grain", ["month", "quarter", "rolling3"])
def test_page_figures_are_each_figure_from_one_read(con, config, grain):
    """The page reads the pillar rows once: its figures equal the functions' own. With the rolling grain the
    counts reach back two months for the trend only (February's heatmap must not count January)."""
    import pandas as pd
    from analytics import pillars
    f = F("2025-02", "2025-04")
    got = pillars.page_figures(con, f, config, grain)
    pd.testing.assert_frame_equal(got["cells"], pillars.heatmap(con, f, config))
    pd.testing.assert_frame_equal(got["distribution"], pillars.distribution(con, f, config))
    pd.testing.assert_frame_equal(got["trend"], pillars.trend(con, f, config, grain))
    pd.testing.assert_frame_equal(got["held_back"], pillars.held_back(con, f, config))
    assert got["audits"] == pillars.provisional_audits(con, f)
    # February to April, by hand: V graded A03 O, A04 R, A05 G, A06 G, A07 G -> 4 of 5 good or better
    v = rows(got["cells"], "service", "pillar")[(pillars.ALL_SERVICES, V)]
    assert (v["n"], v["good"]) == (5, 4)


# --- strongest and weakest ---------------------------------------------------------------------------------
def test_strongest_and_weakest_pillar_per_service(con, config):
    from analytics import pillars
    sw = pillars.strongest_weakest(pillars.heatmap(con, F(), config), config)
    got = [(r["service"], r["position"], r["pillar"], r["good"], r["n"]) for r in sw.to_dict("records")]
    assert got == [
        ("MASH", "Strongest", P, 1, 1),      # 100%
        ("MASH", "Weakest", AS, 1, 3),       # 33.3%
        ("AI", "Strongest", V, 3, 4),        # 75%
        ("AI", "Weakest", AS, 1, 3),         # 33.3%, tied with P: both listed, configured order
        ("AI", "Weakest", P, 1, 3),
    ]


# --- held back -------------------------------------------------------------------------------------------
def test_held_back_by_hand(con, config):
    from analytics import pillars
    h = pillars.held_back(con, F(), config)
    got = {r["pillar"]: (r["n"], r["below"], r["same"], r["above"], r["provisional"]) for r in h.to_dict("records")}
    assert list(h["pillar"]) == [V, AS, P]
    assert got == {
        V: (7, 2, 4, 1, 2),    # below: A02 I<R, A06 G<O; above: A07 G>R; provisional A02 A05
        AS: (6, 3, 3, 0, 1),   # below: A01 R<G, A03 G<O, A04 I<R
        P: (4, 2, 2, 0, 1),    # below: A03 R<O, A07 I<R
    }
    pct = dict(zip(h["pillar"], h["below_pct"]))
    assert pct == pytest.approx({V: 200 / 7, AS: 50.0, P: 50.0})


def test_provisional_audits(con):
    from analytics import pillars
    assert pillars.provisional_audits(con, F()) == (7, 2)     # A02 A05


def test_empty_period_gives_empty_frames(con, config):
    from analytics import pillars
    f = F("2024-01", "2024-02")
    assert pillars.heatmap(con, f, config).empty
    assert pillars.distribution(con, f, config).empty
    assert pillars.trend(con, f, config, "rolling3").empty
    assert pillars.held_back(con, f, config).empty
    assert pillars.strongest_weakest(pillars.heatmap(con, f, config), config).empty


# --- the page ----------------------------------------------------------------------------------------------
@pytest.fixture
def page_dir(db, monkeypatch):
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(db.parent))
    monkeypatch.chdir(ROOT)


def test_page_shows_the_figures(page_dir, db, con, config):
    from analytics import metrics, pillars
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/pillars.py").run()
    assert not at.exception, at.exception
    frames = [d.value for d in at.dataframe]
    heat, dist, trend_table, sw, held = frames
    # Default period: the last 12 months with data = January-April 2025 here.
    want = pillars.heatmap(con, F(), config)
    assert list(zip(heat["service"], heat["pillar"], heat["n"], heat["good"])) == \
        list(zip(want["service"], want["pillar"], want["n"], want["good"]))
    summary = metrics.summary(con, F(), config)["pillars"]
    total = heat[heat["service"] == "All services"]
    assert {p: v for p, v in zip(total["pillar"], total["good_pct"])} == pytest.approx(
        {p: v["good_or_better_pct"] for p, v in summary.items()})
    assert {p: n for p, n in zip(total["pillar"], total["n"])} == {p: v["count"] for p, v in summary.items()}
    # The Wilson interval as a range where n < 20 (every cell here)
    assert heat.set_index(["service", "pillar"]).loc[("AI", AS), "95% interval (n < 20)"] == "6.1–79.2%"
    assert list(dist["n"]) == [1, 4, 1, 1, 1, 1, 3, 1, 0, 2, 1, 1]
    assert len(trend_table) == 12
    assert list(sw["pillar"]) == [P, AS, V, AS, P]
    assert list(held["below"]) == [2, 3, 2]
    assert any("2 provisional" in c.value for c in at.caption)


def test_page_follows_the_grain_and_service_filters(page_dir):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["grain"] = "Financial quarter"   # the URL carries the radio's label
    at.query_params["service"] = "AI"
    at.run()
    at.switch_page("pages/pillars.py").run()
    # AppTest applies URL-bound widget values from the second run after switch_page (a browser opening
    # the link applies them at once).
    at.run()
    assert not at.exception, at.exception
    heat, _, trend_table, _, _ = [d.value for d in at.dataframe]
    assert set(heat["service"]) == {"AI", "All services"}
    # AI by quarter: 2024-25 Q4 (A03 A04 A05) V O R G -> 2/3; 2025-26 Q1 (A07) V G -> 1/1
    t = trend_table.set_index(["period", "pillar"])
    assert (t.loc[("2024-25 Q4", V), "good"], t.loc[("2024-25 Q4", V), "n"]) == (2, 3)
    assert (t.loc[("2025-26 Q1 (Apr only)", V), "good"], t.loc[("2025-26 Q1 (Apr only)", V), "n"]) == (1, 1)


def test_page_on_an_empty_database(empty_council_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/pillars.py").run()
    assert not at.exception, at.exception
    assert at.info and not at.dataframe
