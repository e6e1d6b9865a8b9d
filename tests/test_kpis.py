"""The KPI page's figures and the audit SPC series, against a hand-worked fixture; the pages on it, demo and empty.

Fixture (month ends of 2025):
- REREF12 (configured; the file overrides its target to 18; lower is better), ALL:
  21, 19, 21, 19, 21, 19, 31, 29, 31, 29, 31, 29. INT1 (target_kpi REREF12) starts 2025-07-01.
  One group: centre 25; moving ranges 2 ×10 and 12; mean 32/11 = 2.909; 12 ≥ 3.267 × 2.909 = 9.50 is
  screened out: mean MR 2, limits 25 ± 5.32 = [19.68, 30.32], near-limits 25 ± 3.5467 = [21.45, 28.55].
  The 19s are below the lower limit (improvement, lower is better), the 31s above the upper (concern);
  the 21s are near the lower limit (below 21.45) and the 29s near the upper (above 28.55): each 3 in a row
  on one side holds 2 near points, so they are "2 in 3" (improvement below, concern above).
  Target 18 < 19.68: consistently fails (lower is better, the process never gets down to it).
  Rebased at July (position 6): centres 20 and 30, mean MR 2 each, limits [24.68, 35.32] for the second
  group: no signal; target 18 still below: consistently fails.
- LOCAL1 (a new KPI from the file: percent, higher is better, target 90): worked below.
The audits span January to December 2025, so the page's default period (the last 12 audit months) is 2025.
"""
import shutil

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import kpis
from analytics.config import Config
from analytics.database import Database
from analytics.filters import Filters
from conftest import load_csv_texts, ROOT

MONTH_ENDS = ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31", "2025-06-30", "2025-07-31",
              "2025-08-31", "2025-09-30", "2025-10-31", "2025-11-30", "2025-12-31"]
REREF = [21, 19, 21, 19, 21, 19, 31, 29, 31, 29, 31, 29]
# LOCAL1 ALL: 11, 9, 11, 9, 11, 9, 11, 9, 11, 9, 11, 30. Centre 141/12 = 11.75; moving ranges 2 ×10 and 19:
# mean 39/11 = 3.545; 19 ≥ 3.267 × 3.545 = 11.58 is screened out: mean MR 2; upper 11.75 + 5.32 = 17.07:
# 30 is outside, high: improvement. The outlier lifts the centre above every other point: those 11 are a
# shift below the centre (concern, higher is better). Target 90 above the upper limit: consistently fails.
LOCAL = [11, 9, 11, 9, 11, 9, 11, 9, 11, 9, 11, 30]
# LOCAL1 AI: 5 points 50, 52, 51, 53, 52 (Aug-Dec): centre 51.6, mean MR 1.5, limits 51.6 ± 3.99: trial limits.
LOCAL_AI = [50, 52, 51, 53, 52]

KPI_VALUES = "kpi_code,period_end,service,value,numerator,denominator\n" + "".join(
    [f"REREF12,{d},,{v},,\n" for d, v in zip(MONTH_ENDS, REREF)]
    + [f"LOCAL1,{d},ALL,{v},,\n" for d, v in zip(MONTH_ENDS, LOCAL)]
    + [f"LOCAL1,{d},AI,{v},,\n" for d, v in zip(MONTH_ENDS[7:], LOCAL_AI)])
KPI_DEFINITIONS = """\
kpi_code,kpi_name,unit,polarity,target,source
REREF12,Re-referrals within 12 months of a previous referral,percent,lower is better,18,Local
LOCAL1,Local visits on time,percent,higher is better,90,Local
"""
KPI_BENCHMARKS = """\
kpi_code,period_end,comparator,value
REREF12,2024-03-31,England,22
REREF12,2025-03-31,England,21.5
REREF12,2025-06-30,Statistical neighbours,20
"""
INTERVENTIONS = """\
intervention_id,name,kind,start_date,end_date,service,target_pillar,target_theme,target_kpi
INT1,Re-referral briefing,Briefing,2025-07-01,,,,,REREF12
INT2,Other training,Training,2025-03-01,,,,,
"""
# Audits (final = auditor's grade): Jan AI Good, AI Inadequate, CF Good (2/3); Feb AI Inadequate, CF Good (1/2);
# Mar AI Good, AI Outstanding (2/2); Dec CF Good (1/1).
AUDITS = """\
audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade
A1,2025-01-06,AI,C1,CP,Team Manager,Good
A2,2025-01-07,AI,C2,CP,Team Manager,Inadequate
A3,2025-01-08,CF,C3,CIN,Team Manager,Good
A4,2025-02-03,AI,C4,CP,Team Manager,Inadequate
A5,2025-02-04,CF,C5,CIN,Team Manager,Good
A6,2025-03-03,AI,C6,CP,Team Manager,Good
A7,2025-03-04,AI,C7,CP,Team Manager,Outstanding
A8,2025-12-01,CF,C8,CIN,Team Manager,Good
"""
YEAR = Filters("2025-01", "2025-12")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("kpis") / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "kpi_definitions.csv": KPI_DEFINITIONS, "kpi_values.csv": KPI_VALUES,
                        "kpi_benchmarks.csv": KPI_BENCHMARKS, "interventions.csv": INTERVENTIONS})
    return path


def test_definitions_merge_the_configuration_and_the_file(con):
    d = kpis.definitions(con, Config())
    codes = [k["kpi_code"] for k in Config().kpis]
    assert list(d["kpi_code"]) == codes + ["LOCAL1"]
    assert "CLACCOM" in codes and "CASELOAD" in codes
    row = d.set_index("kpi_code").loc["REREF12"]
    assert row["target"] == 18 and row["source"] == "Local" and row["polarity"] == "lower is better"
    assert kpis.definition(con, Config(), "ASSESS45")["target"] == 86.0
    assert kpis.definition(con, Config(), "CPSECOND")["target"] is None
    caseload = kpis.definition(con, Config(), "CASELOAD")
    assert caseload["unit"] == "count" and caseload["polarity"] == "lower is better"
    assert kpis.definition(con, Config(), "CLACCOM")["polarity"] == "higher is better"


def test_series_and_services(con):
    assert kpis.series_services(con, YEAR) == ["ALL", "AI"]
    assert kpis.series_services(con, Filters("2025-01", "2025-12", services=("AI", "CF"))) == ["AI"]
    assert kpis.series_services(con, Filters("2025-01", "2025-03", services=("AI",))) == []
    assert list(kpis.series(con, "REREF12", "ALL", YEAR)["value"]) == REREF
    # The series runs from its start to the period's end: the chart's limits need the history.
    assert list(kpis.series(con, "REREF12", "ALL", Filters("2025-03", "2025-04"))["value"]) == [21, 19, 21, 19]
    assert list(kpis.series(con, "LOCAL1", "AI", None)["value"]) == LOCAL_AI


def test_chart_frame_by_hand(con):
    defn = kpis.definition(con, Config(), "REREF12")
    x, marks = kpis.chart_frame(con, defn, "ALL", YEAR)
    assert marks == []
    assert x["centre"].iloc[0] == pytest.approx(25)
    assert x["lower"].iloc[0] == pytest.approx(19.68) and x["upper"].iloc[0] == pytest.approx(30.32)
    assert list(x["rule"]) == ["two_in_three", "outside"] * 3 + ["outside", "two_in_three"] * 3
    assert list(x["special_cause"]) == ["improvement"] * 6 + ["concern"] * 6
    assert set(x["assurance"]) == {"consistent_fail"}
    # benchmarks: the latest published on or before each period
    assert list(x["England"]) == [22, 22, 21.5, 21.5, 21.5, 21.5, 21.5, 21.5, 21.5, 21.5, 21.5, 21.5]
    assert x["Statistical neighbours"].iloc[:5].isna().all() and (x["Statistical neighbours"].iloc[5:] == 20).all()
    # rebased at INT1 (2025-07-01 -> the July point, position 6)
    x, marks = kpis.chart_frame(con, defn, "ALL", YEAR, rebase=True)
    assert marks == [(6, "INT1 Re-referral briefing")]
    assert list(x["centre"]) == [20] * 6 + [30] * 6
    assert x["lower"].iloc[-1] == pytest.approx(24.68)
    assert (x["special_cause"] == "common_cause").all()
    assert list(x["assurance"]) == [""] * 6 + ["consistent_fail"] * 6


def test_summary_concerns_first(con):
    s = kpis.summary(con, Config(), YEAR)
    assert list(s["kpi_code"][:2]) == ["REREF12", "LOCAL1"]
    top = s.iloc[0]
    assert top["latest_value"] == 29 and top["variation"] == "▲ Concern (high)" and top["rule"] == "two_in_three"
    assert top["assurance_label"] == "F Consistently fails target" and top["points"] == 12 and top["target"] == 18
    local = s.iloc[1]
    assert local["latest_value"] == 30 and local["variation"] == "▲ Improvement (high)"
    assert local["assurance"] == "consistent_fail"
    assert (s["variation"].iloc[2:] == "No data").all() and (s["points"].iloc[2:] == 0).all()
    # rebased, REREF12 has no signal left: the improvement comes first
    s = kpis.summary(con, Config(), YEAR, rebase=True)
    assert list(s["kpi_code"][:2]) == ["LOCAL1", "REREF12"]
    assert s.iloc[1]["variation"] == "● Common cause"
    # one service's series
    s = kpis.summary(con, Config(), YEAR, "AI")
    ai = s.set_index("kpi_code").loc["LOCAL1"]
    assert ai["points"] == 5 and ai["latest_value"] == 52 and ai["variation"] == "● Common cause"
    x, _ = kpis.chart_frame(con, kpis.definition(con, Config(), "LOCAL1"), "AI", YEAR)
    assert x["centre"].iloc[0] == pytest.approx(51.6) and x["upper"].iloc[0] == pytest.approx(51.6 + 2.66 * 1.5)


def test_local_kpi_outlier_by_hand(con):
    x, _ = kpis.chart_frame(con, kpis.definition(con, Config(), "LOCAL1"), "ALL", YEAR)
    assert x["centre"].iloc[0] == pytest.approx(11.75)
    assert x["upper"].iloc[0] == pytest.approx(17.07)
    assert list(x["rule"]) == ["shift"] * 11 + ["outside"]
    assert list(x["special_cause"]) == ["concern"] * 11 + ["improvement"]


def test_audit_spc_by_hand(con):
    # All services: Jan 2/3, Feb 1/2, Mar 2/2, Dec 1/1 -> 66.67, 50, 100, 100; centre 79.1667;
    # moving ranges 16.67, 50, 0: mean 22.222 (none screened: 3.267 × 22.2 = 72.6); limits ± 59.111.
    a = kpis.audit_spc(con, YEAR)
    assert list(a["period"]) == ["2025-01", "2025-02", "2025-03", "2025-12"]
    assert list(a["n"]) == [3, 2, 2, 1] and list(a["good"]) == [2, 1, 2, 1]
    np.testing.assert_allclose(a["value"], [200 / 3, 50, 100, 100])
    assert a["centre"].iloc[0] == pytest.approx(950 / 12)
    assert a["upper"].iloc[0] == pytest.approx(950 / 12 + 2.66 * (200 / 9))
    assert (a["special_cause"] == "common_cause").all()
    # AI: 1/2, 0/1, 2/2 -> 50, 0, 100: centre 50, mean MR 75
    ai = kpis.audit_spc(con, YEAR, "AI")
    np.testing.assert_allclose(ai["value"], [50, 0, 100])
    assert ai["centre"].iloc[0] == pytest.approx(50) and ai["upper"].iloc[0] == pytest.approx(50 + 2.66 * 75)
    assert kpis.audit_spc(con, YEAR, "MASH").empty


def test_figure_has_the_reference_lines(con):
    defn = kpis.definition(con, Config(), "REREF12")
    x, marks = kpis.chart_frame(con, defn, "ALL", YEAR, rebase=True)
    fig = kpis.xmr_figure(x, x["period_end"], "t", "y", target=18, benchmarks=kpis.COMPARATORS, rebases=marks)
    names = {t.name for t in fig.data}
    assert {"Target 18", "England", "Statistical neighbours", "Process limits", "Centre (mean)", "Common cause",
            "Near a limit (2 to 3 sigma)"} <= names
    assert any("INT1" in a.text for a in fig.layout.annotations)
    # The target is drawn over the benchmarks: an England figure equal to it does not hide it.
    order = [t.name for t in fig.data]
    assert order.index("Target 18") > max(order.index("England"), order.index("Statistical neighbours"))


# --- the pages -------------------------------------------------------------------------------------
@pytest.fixture
def page_dir(tmp_path, monkeypatch, db):
    d = tmp_path / "appdata"
    d.mkdir(exist_ok=True)
    shutil.copy(db, d / "qa.duckdb")
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(d))
    monkeypatch.chdir(ROOT)
    return d


def open_page(page="pages/kpis.py"):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def frame(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_kpi_page_on_the_fixture(page_dir, db):
    at = open_page()
    table = frame(at, "Variation")
    with Database(db).read() as c:
        s = kpis.summary(c, Config(), YEAR)
    assert list(table["KPI"]) == list(s["kpi_name"])
    top = table.iloc[0]
    assert top["KPI"] == "Re-referrals within 12 months of a previous referral"
    assert (top["Latest value"], top["Target"], top["Variation"], top["Assurance"]) == \
        ("29.0%", "18.0%", "▲ Concern (high)", "F Consistently fails target")
    assert table.iloc[1]["Variation"] == "▲ Improvement (high)"
    chart = frame(at, "limits group")
    assert list(chart["value"]) == REREF and chart["centre"].iloc[0] == pytest.approx(25)
    assert not any("trial limits" in w.value for w in at.warning)
    # the AI series: 5 points, trial limits
    at.selectbox(key="kpi_series").set_value("AI").run()
    assert not at.exception, at.exception
    assert any("Only 5 points" in w.value and "trial limits" in w.value for w in at.warning)
    # rebasing at the intervention
    at.selectbox(key="kpi_series").set_value("ALL").run()
    at.checkbox(key="kpi_rebase").check().run()
    assert not at.exception, at.exception
    assert frame(at, "Variation").iloc[0]["KPI"] == "Local visits on time"
    chart = frame(at, "limits group")
    assert list(chart["limits group"]) == [0] * 6 + [1] * 6


def test_trends_page_shows_the_audit_xmr(page_dir, db):
    at = open_page("pages/trends.py")
    table = next(d.value for d in at.dataframe if "limits group" in d.value.columns)
    with Database(db).read() as c:
        a = kpis.audit_spc(c, YEAR)
    np.testing.assert_allclose(table["value"], a["value"])
    assert list(table["n"]) == [3, 2, 2, 1]
    assert any("Only 4 months" in w.value for w in at.warning)
    at.selectbox(key="trend_spc_service").set_value("AI").run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "limits group" in d.value.columns)
    np.testing.assert_allclose(table["value"], [50, 0, 100])


def test_kpi_page_on_an_empty_database(tmp_path, monkeypatch):
    d = tmp_path / "appdata"
    d.mkdir()
    Database(d / "qa.duckdb").initialise()
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(d))
    monkeypatch.chdir(ROOT)
    at = open_page()
    assert any("No KPI values" in i.value for i in at.info)


@pytest.fixture
def demo_page(tmp_path, monkeypatch):
    """The KPI page opened on a freshly built demo database."""
    from analytics.demo import build_demo
    d = tmp_path / "appdata"
    d.mkdir()
    build_demo(d / "demo.duckdb", seed=1)
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(d))
    monkeypatch.chdir(ROOT)
    at = open_page()
    return at


def test_kpi_page_on_the_demo(demo_page, tmp_path):
    at = demo_page
    d = tmp_path / "appdata"
    table = frame(at, "Variation")
    assert len(table) == len(Config().kpis)
    # n beside the latest percentage: the latest period's denominator
    with Database(d / "demo.duckdb").read() as c:
        want = c.execute("SELECT denominator FROM kpi_values WHERE kpi_code = 'ASSESS45' AND service = 'ALL' "
                         "ORDER BY period_end DESC LIMIT 1").fetchone()[0]
    row = table.set_index("KPI").loc["Assessments completed within 45 working days"]
    assert row["n (latest)"] == f"{int(want):,}"
    assert table.set_index("KPI").loc["Average caseload per social worker", "n (latest)"] == "–"
    assert set(table["Variation"]) - {"No data"} <= set(kpis.VARIATION.values())
    at.checkbox(key="kpi_rebase").check().run()
    assert not at.exception, at.exception


# --- the KPI page's period runs to the KPI data's own last month ----------------------------------------
def test_value_months_and_spanning(con):
    from analytics.filters import spanning
    assert kpis.value_months(con) == [f"2025-{m:02d}" for m in range(1, 13)]
    assert spanning(["2025-01", "2025-02"], ["2025-05"]) == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]
    assert spanning([], []) == [] and spanning(["2025-03"], []) == ["2025-03"]


def test_kpi_page_period_runs_past_the_last_audit(tmp_path, monkeypatch):
    # Audits stop in March 2025 (A1-A7); KPI values run to December. The KPI page's period must end in
    # December, or the last nine months of every KPI would be hidden; the audit pages still end in March.
    d = tmp_path / "appdata"
    d.mkdir()
    load_csv_texts(d / "qa.duckdb", {"audits.csv": AUDITS.replace("A8,2025-12-01,CF,C8,CIN,Team Manager,Good\n", ""),
                                   "kpi_definitions.csv": KPI_DEFINITIONS, "kpi_values.csv": KPI_VALUES})
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(d))
    monkeypatch.chdir(ROOT)
    at = open_page()
    assert at.select_slider(key="period").value == ("2025-01", "2025-12")
    top = frame(at, "Variation").set_index("KPI").loc["Re-referrals within 12 months of a previous referral"]
    assert (top["Latest period"], top["Latest value"], top["Points"]) == ("2025-12-31", "29.0%", 12)
    assert list(frame(at, "limits group")["value"]) == REREF
    # On to an audit page: the period ends at the last audit month; back on the KPI page, at December again.
    at.switch_page("pages/trends.py").run()
    assert not at.exception, at.exception
    assert at.select_slider(key="period").value == ("2025-01", "2025-03")
    at.switch_page("pages/kpis.py").run()
    assert at.select_slider(key="period").value == ("2025-01", "2025-12")


def test_kpi_summary_on_the_projector_is_a_plain_table(page_dir):
    # Presentation mode: the summary is a table whose type grows with the page, not the small-type data grid.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["presentation"] = "1"
    at.switch_page("pages/kpis.py").run()
    assert not at.exception, at.exception
    assert len(at.table) == 1 and not any("Variation" in d.value.columns for d in at.dataframe)
    assert list(at.table[0].value["KPI"])[0] == "Re-referrals within 12 months of a previous referral"


@pytest.mark.parametrize("service,rebase", [("ALL", False), ("ALL", True), ("AI", True)])
def test_chart_frames_of_every_kpi_in_three_queries_equal_each_chart_frame(con, service, rebase):
    # The KPI page takes every chart from chart_frames (3 queries); each must be chart_frame's, one KPI at a time.
    frames = kpis.chart_frames(con, Config(), service, YEAR, rebase)
    assert [d["kpi_code"] for d, _, _ in frames] == list(kpis.definitions(con, Config())["kpi_code"])
    for defn, x, marks in frames:
        one, one_marks = kpis.chart_frame(con, defn, service, YEAR, rebase)
        pd.testing.assert_frame_equal(x, one, check_dtype=False)
        assert marks == one_marks
    assert any(marks for _, _, marks in frames) == (rebase and service == "ALL")   # INT1 rebases REREF12 (ALL)
    pd.testing.assert_frame_equal(kpis.summary(con, Config(), YEAR, service, rebase, frames=frames),
                                  kpis.summary(con, Config(), YEAR, service, rebase))


def test_charted_draws_the_first_kpis_of_the_summary_in_the_frames_order():
    frames = [({"kpi_code": c}, None, []) for c in ("A", "B", "C", "D")]
    table = pd.DataFrame({"kpi_code": ["C", "A", "D", "B"]})            # summary order: concerns first
    assert [fr[0]["kpi_code"] for fr in kpis.charted(table, frames, n=2)] == ["A", "C"]
    assert [fr[0]["kpi_code"] for fr in kpis.charted(table, frames, every=True, n=2)] == ["A", "B", "C", "D"]
    assert [fr[0]["kpi_code"] for fr in kpis.charted(table, frames, n=6)] == ["A", "B", "C", "D"]
    assert kpis.charted(pd.DataFrame(), [], n=2) == []


def test_kpi_page_charts_the_top_kpis_and_every_kpi_on_request(demo_page):
    at = demo_page
    from analytics.escaping import md
    top = [md(k) for k in list(frame(at, "Variation")["KPI"])[:kpis.DEFAULT_CHARTS]]
    n = len(Config().kpis)
    assert n > kpis.DEFAULT_CHARTS
    assert sorted(h.value for h in at.subheader if h.value in top) == sorted(top)
    assert len([h for h in at.subheader if h.value != "Summary"]) == kpis.DEFAULT_CHARTS
    at.checkbox(key="kpi_every_chart").check().run()
    assert not at.exception, at.exception
    assert len([h for h in at.subheader if h.value != "Summary"]) == n


def test_summary_order_puts_a_kpi_failing_its_target_before_good_news():
    # One point per KPI is enough for the order: its latest signal and assurance.
    def frame(code, cause, assurance):
        defn = {"kpi_code": code, "kpi_name": code, "unit": "percent", "polarity": "higher_is_better", "target": 50}
        x = pd.DataFrame({"period_end": [pd.Timestamp("2025-03-31")], "value": [40.0], "denominator": [None],
                          "special_cause": [cause], "assurance": [assurance], "rule": [""], "direction": [0]})
        return defn, x, None
    table = kpis.summarise([frame("IMPROVING", "improvement", "consistent_pass"),
                            frame("STEADY", "common_cause", ""),
                            frame("FAILING", "common_cause", "consistent_fail"),
                            frame("HIT_AND_MISS", "common_cause", "inconsistent"),
                            frame("WORSENING", "concern", "inconsistent")])
    assert list(table["kpi_code"]) == ["WORSENING", "FAILING", "HIT_AND_MISS", "IMPROVING", "STEADY"]
