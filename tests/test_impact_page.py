"""The Impact page and the analytics behind it, against figures worked out by hand.

Intervals and p-values are written out from the textbook formulas (as in test_impact.py), never taken
from the product's functions; the page must show what ``analytics.impact`` and ``qa-dashboard impact``
give.
"""
import datetime as dt
import json
import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics.escaping import md

from conftest import load_csv_texts, ROOT, open_app_page, run_cli
from test_impact import p_value, wilson   # the hand-worked formulas

V = "Voice and lived experience of the child"
D = dt.date

# INT1: S = 2025-03-01, E = 2025-03-31, all services; window 3 months:
# before [2024-12-01, 2025-03-01), during [2025-03-01, 2025-03-31], after (2025-03-31, 2025-06-30].
# id   date        svc  grade                   window  good?
# O01  2024-11-30  AI   G                       out     (a day before the before window)
# B01  2024-12-05  AI   G                       before  y
# B02  2024-12-12  AI   O                       before  y
# B03  2025-01-08  AI   R                       before
# B04  2025-01-20  AI   I                       before
# B05  2025-02-28  AI   R                       before  (last day before S)
# B06  2024-12-01  CF   G                       before  y   (first day of the window)
# B07  2025-01-15  CF   R                       before
# B08  2025-02-03  CF   R                       before
# B09  2025-02-10  CF   I                       before
# B10  2025-02-20  CF   auditor G, moderated R  before      (final grade R)
# D01  2025-03-01  AI   G                       during
# D02  2025-03-31  CF   I                       during (= E)
# A01  2025-04-01  AI   G                       after   y
# A02  2025-04-15  AI   G                       after   y
# A03  2025-05-05  AI   O                       after   y
# A04  2025-05-25  AI   G                       after   y
# A05  2025-06-30  AI   G                       after   y   (last day)
# A06  2025-04-10  CF   G                       after   y
# A07  2025-05-10  CF   R                       after
# A08  2025-05-20  CF   G                       after   y
# A09  2025-06-05  CF   I                       after
# A10  2025-06-15  CF   O                       after   y
# O02  2025-07-01  CF   I                       out
# All services: before 3 of 10, after 8 of 10. AI only: before 2 of 5, after 5 of 5.
AUDITS = """\
audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade,moderated_grade
O01,2024-11-30,AI,C01,CP,Team Manager,Good,
B01,2024-12-05,AI,C02,CP,Team Manager,Good,
B02,2024-12-12,AI,C03,CP,Team Manager,Outstanding,
B03,2025-01-08,AI,C04,CP,Team Manager,Requires Improvement,
B04,2025-01-20,AI,C05,CP,Team Manager,Inadequate,
B05,2025-02-28,AI,C06,CP,Team Manager,Requires Improvement,
B06,2024-12-01,CF,C07,CIN,Team Manager,Good,
B07,2025-01-15,CF,C08,CIN,Team Manager,Requires Improvement,
B08,2025-02-03,CF,C09,CIN,Team Manager,Requires Improvement,
B09,2025-02-10,CF,C10,CIN,Team Manager,Inadequate,
B10,2025-02-20,CF,C11,CIN,Team Manager,Good,Requires Improvement
D01,2025-03-01,AI,C12,CP,Team Manager,Good,
D02,2025-03-31,CF,C13,CIN,Team Manager,Inadequate,
A01,2025-04-01,AI,C14,CP,Team Manager,Good,
A02,2025-04-15,AI,C15,CP,Team Manager,Good,
A03,2025-05-05,AI,C16,CP,Team Manager,Outstanding,
A04,2025-05-25,AI,C17,CP,Team Manager,Good,
A05,2025-06-30,AI,C18,CP,Team Manager,Good,
A06,2025-04-10,CF,C19,CIN,Team Manager,Good,
A07,2025-05-10,CF,C20,CIN,Team Manager,Requires Improvement,
A08,2025-05-20,CF,C21,CIN,Team Manager,Good,
A09,2025-06-05,CF,C22,CIN,Team Manager,Inadequate,
A10,2025-06-15,CF,C23,CIN,Team Manager,Outstanding,
O02,2025-07-01,CF,C24,CIN,Team Manager,Inadequate,
"""

# INT2: CF, Voice pillar, S = E = 2025-03-01, window 3: before [2024-12-01, 2025-03-01), after (2025-03-01, 2025-06-01].
# CF Voice rows: before B06 G, B07 I, B08 R->G (moderated) = 2 of 3; after A06 G, A07 R, A08 R = 1 of 3.
# (B01 is AI: out of scope.)
PILLARS = f"""\
audit_id,pillar,auditor_grade,moderated_grade
B01,{V},Inadequate,
B06,{V},Good,
B07,{V},Inadequate,
B08,{V},Requires Improvement,Good
A06,{V},Good,
A07,{V},Requires Improvement,
A08,{V},Requires Improvement,
"""

INTERVENTIONS = f"""\
intervention_id,name,kind,start_date,end_date,service,target_pillar,target_theme,target_kpi
INT1,Drift and delay training,Training,2025-03-01,2025-03-31,,,Drift and delay,ASSESS45
INT2,Voice of the child briefing,Briefing,2025-03-01,,CF,{V},,ASSESS45
"""

# ASSESS45, ALL: INT1 before (Dec-Feb) 70, 72, 74 -> mean 72; 2025-03-31 (80) is during;
# after (Apr-Jun) 85, 87, 89 -> mean 87; change +15. 2024-11-30 (60) is outside.
# INT2 (CF: no CF series, so the ALL series): before 72; after (2025-03-01, 2025-06-01]: 80, 85, 87 -> 84.
# An AI series exists too, and is not the one used for an all-services intervention.
KPIS = """\
kpi_code,period_end,service,value
ASSESS45,2024-11-30,,60
ASSESS45,2024-12-31,,70
ASSESS45,2025-01-31,,72
ASSESS45,2025-02-28,,74
ASSESS45,2025-03-31,,80
ASSESS45,2025-04-30,,85
ASSESS45,2025-05-31,,87
ASSESS45,2025-06-30,,89
ASSESS45,2025-01-31,AI,10
ASSESS45,2025-04-30,AI,20
"""

# Theme "Drift and delay", any case. INT1 windows as above.
# feedback: before F01 (AI, named), F02 (no service, named), F03 (CF, not) = 2 of 3; F04 during;
#           after F05 (CF, named), F06 (AI, not) = 1 of 2; F07 outside.
FEEDBACK = """\
feedback_id,received_date,channel,sentiment,service,themes
F01,2024-12-10,Email,Negative,AI,drift and delay; Communication
F02,2025-01-10,MOMO,Mixed,,Drift and delay
F03,2025-02-10,Email,Positive,CF,Communication
F04,2025-03-15,Email,Negative,CF,Drift and delay
F05,2025-04-10,Email,Negative,CF,DRIFT AND DELAY
F06,2025-05-10,Email,Positive,AI,Being listened to
F07,2025-07-10,Email,Negative,AI,Drift and delay
"""
# complaints: before C01 (AI, named), C02 (CF, not) = 1 of 2; after C03 (CF, not) = 0 of 1.
COMPLAINTS = """\
complaint_id,received_date,service,stage,themes
C01,2025-01-05,AI,Stage 1,DRIFT AND DELAY
C02,2025-02-05,CF,Stage 1,Communication
C03,2025-05-05,CF,Stage 1,Communication
"""
# escalations: before E01 (AI) = 1 of 1; after E02 (AI), E03 (CF), E04 (CF) named, E05 not = 3 of 4.
ESCALATIONS = """\
escalation_id,raised_date,raised_by,service,stage,themes
E01,2025-02-01,IRO,AI,Informal,Drift and delay
E02,2025-04-02,IRO,AI,Informal,Drift and delay; Care planning
E03,2025-05-02,CP Chair,CF,Formal 1,drift and delay
E04,2025-06-02,IRO,CF,Informal,Drift and delay
E05,2025-06-20,IRO,CF,Informal,Care planning
"""
# Dip sample cycles on the theme: DS1 (first 2025-01-10): graded 3 (one blank), good 1 -> 33.3%;
# criteria 3+2+1+4 = 10 of 20 -> 50%. DS2 (first 2025-05-12, theme in lower case): graded 3, good 2 -> 66.7%;
# criteria 4+5+3 = 12 of 15 -> 80%. Change: +33.3 points good or better, +30 points criteria. DS0 is another theme.
DIPS = """\
dip_sample_id,theme,sample_date,service,child_ref,grade,criteria_met,criteria_total
DS0,Neglect,2024-12-15,AI,K0,Good,5,5
DS1,Drift and delay,2025-01-10,AI,K1,Good,3,5
DS1,Drift and delay,2025-01-10,AI,K2,Requires Improvement,2,5
DS1,Drift and delay,2025-01-14,CF,K3,Inadequate,1,5
DS1,Drift and delay,2025-01-14,CF,K4,,4,5
DS2,drift and delay,2025-05-20,AI,K5,Outstanding,4,5
DS2,drift and delay,2025-05-12,CF,K6,Good,5,5
DS2,drift and delay,2025-05-20,CF,K7,Requires Improvement,3,5
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("impact_page") / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "audit_pillars.csv": PILLARS, "interventions.csv": INTERVENTIONS,
                        "kpi_values.csv": KPIS, "feedback.csv": FEEDBACK, "complaints.csv": COMPLAINTS,
                        "escalations.csv": ESCALATIONS, "dip_samples.csv": DIPS})
    return path


def rows(con):
    from analytics.impact import interventions
    return {r["intervention_id"]: r for r in interventions(con)}


# --- the audit comparison ---------------------------------------------------------------------------
def test_before_after_by_hand(con):
    from analytics.impact import measure
    c = measure(con, rows(con)["INT1"], 3)
    assert (c.windows.before_start, c.windows.start, c.windows.end, c.windows.after_end) == (
        D(2024, 12, 1), D(2025, 3, 1), D(2025, 3, 31), D(2025, 6, 30))
    assert (c.n_before, c.good_before, c.n_after, c.good_after) == (10, 3, 10, 8)
    assert c.difference_pts == pytest.approx(50.0)
    # pooled 11/20 = 0.55; se = sqrt(0.55 * 0.45 * (1/10 + 1/10)) = sqrt(0.0495) = 0.222486
    # z = 0.5 / 0.222486 = 2.24733; p = 2(1 - Φ(2.24733)) = 0.024619
    assert c.p_value == pytest.approx(p_value(3, 10, 8, 10), rel=1e-9)
    assert c.p_value == pytest.approx(0.024619, abs=1e-6)
    # Wilson 3/10: d = 1 + 3.841459/10 = 1.384146; centre = (0.3 + 0.192073)/d = 0.355506
    # half = 1.959964 * sqrt(0.021 + 0.0096036)/d = 0.247715 -> 10.779 .. 60.322
    assert (c.before["ci_low"], c.before["ci_high"]) == pytest.approx(wilson(3, 10))
    assert c.before["ci_low"] == pytest.approx(10.7791, abs=1e-4)
    assert c.before["ci_high"] == pytest.approx(60.3222, abs=1e-4)
    assert c.after["ci_low"] == pytest.approx(49.0162, abs=1e-4)
    assert c.after["ci_high"] == pytest.approx(94.3318, abs=1e-4)
    assert not c.too_little_evidence


def test_the_command_and_the_page_share_the_function(db, con):
    from analytics.impact import measure
    code, out, err = run_cli("impact", "--db", db, "--window", "3")
    assert code == 0, err
    got = json.loads(out)["interventions"]
    assert got == [measure(con, r, 3).as_json() for r in rows(con).values()]


def test_viewer_service_filter_narrows_the_comparison(con):
    from analytics.filters import Filters
    from analytics.impact import describe, measure
    c = measure(con, rows(con)["INT1"], 3, Filters(services=("AI",)))
    # AI only: before B01 G, B02 O, B03, B04, B05 = 2 of 5; after A01-A05 = 5 of 5
    assert (c.n_before, c.good_before, c.n_after, c.good_after) == (5, 2, 5, 5)
    assert c.too_little_evidence
    assert c.p_value == pytest.approx(p_value(2, 5, 5, 5))
    assert c.after["ci_high"] == pytest.approx(100.0)
    text = describe(c, "Training", "AI")
    assert text == ("After the training, 100.0% of audits in AI were good or better against 40.0% before "
                    "(difference +60.0 points), but there is too little evidence to judge: 5 before and 5 after, "
                    "and at least 10 are needed on each side.")
    # A CF intervention seen with only AI selected compares nothing.
    c = measure(con, rows(con)["INT2"], 3, Filters(services=("AI",)))
    assert c.services == [] and (c.n_before, c.n_after) == (0, 0)


def test_target_pillar_and_thin_evidence(con):
    from analytics.impact import describe, evidence, measure
    c = measure(con, rows(con)["INT2"], 3)
    assert (c.n_before, c.good_before, c.n_after, c.good_after) == (3, 2, 3, 1)
    assert c.target == V and c.too_little_evidence
    # pooled 1/2; se = sqrt(1/4 * 2/3) = 0.408248; z = -1/3 / 0.408248 = -0.816497; p = 0.414216
    assert c.p_value == pytest.approx(0.414216, abs=1e-6)
    assert c.difference_pts == pytest.approx(-100 / 3)
    assert evidence(c) == "Too little evidence (fewer than 10 on a side)"
    assert describe(c, "Briefing", "CF") == (
        f"After the briefing, 33.3% of {V} pillar grades in CF were good or better against 66.7% before "
        "(difference −33.3 points), but there is too little evidence to judge: 3 before and 3 after, "
        "and at least 10 are needed on each side.")


def test_wording_never_claims_a_cause(con):
    from analytics.impact import describe, format_p, measure
    c = measure(con, rows(con)["INT1"], 3)
    text = describe(c, "Training")
    assert text == ("After the training, 80.0% of audits were good or better against 30.0% before (difference "
                    "+50.0 points; a difference this large would be unlikely by chance alone, p = 0.025); other "
                    "changes at the same time may also explain it.")
    assert "caus" not in text and "because" not in text
    assert format_p(0.0004) == "p < 0.001" and format_p(None) == "–"


def test_new_typed_intervention_and_empty_sides(con):
    from analytics.impact import describe, evidence, measure
    new = {"start_date": D(2024, 12, 1), "end_date": None, "service": "ALL", "target_pillar": None}
    c = measure(con, new, 1)
    # before [2024-11-01, 2024-12-01): O01 G = 1 of 1; after (2024-12-01, 2025-01-01]: B01 G, B02 O = 2 of 2
    # (B06 is on S itself)
    assert c.intervention_id == "new" and (c.n_before, c.good_before, c.n_after, c.good_after) == (1, 1, 2, 2)
    assert c.p_value == 1.0
    later = measure(con, {"start_date": D(2026, 1, 1), "end_date": None, "service": "ALL", "target_pillar": None}, 3)
    assert (later.n_before, later.n_after) == (0, 0)
    assert describe(later) == "There are no audits in either window, so there is nothing to compare."
    future = measure(con, {"start_date": D(2025, 7, 15), "end_date": None, "service": "CF", "target_pillar": None}, 1)
    # CF, before [2025-06-15, 2025-07-15): A10 (on the first day) and O02; nothing after
    assert (future.n_before, future.n_after) == (2, 0)
    assert "after the intervention yet" in describe(future)
    # The effects table's column names an empty side, rather than calling it thin evidence.
    assert evidence(future) == "Nothing to compare yet: no audits after it"
    assert evidence(later) == "No audits in either window"
    before_any = measure(con, {"start_date": D(2024, 11, 1), "end_date": None, "service": "CF", "target_pillar": None}, 1)
    assert before_any.n_before == 0 and before_any.n_after > 0
    assert evidence(before_any) == "Nothing to compare with: no audits before it"


def test_monthly_series(con):
    from analytics.filters import Filters, audit_months
    from analytics.impact import monthly_series
    months = audit_months(con)
    s = monthly_series(con, rows(con)["INT1"], 3, None, months)
    assert list(s["month"]) == ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
    assert list(s["n"]) == [3, 3, 4, 2, 3, 4, 3]
    assert list(s["good"]) == [3, 0, 0, 1, 3, 3, 2]
    assert s["good_pct"].iloc[5] == pytest.approx(75.0)
    assert (s["ci_low"].iloc[5], s["ci_high"].iloc[5]) == pytest.approx(wilson(3, 4))
    # The viewer's period widens the span (Nov: O01; Jul: O02).
    wide = monthly_series(con, rows(con)["INT1"], 3, Filters("2024-11", "2025-07"), months)
    assert (wide["month"].iloc[0], wide["month"].iloc[-1]) == ("2024-11", "2025-07")
    assert (wide["n"].iloc[0], wide["n"].iloc[-1]) == (1, 1)
    # The Voice pillar in CF (INT2): Dec B06, Jan B07, Feb B08, Apr A06, May A07 A08.
    p = monthly_series(con, rows(con)["INT2"], 3, None, months)
    assert dict(zip(p["month"], p["n"])) == {"2024-12": 1, "2025-01": 1, "2025-02": 1, "2025-03": 0,
                                             "2025-04": 1, "2025-05": 2, "2025-06": 0}


def test_effects_table(con):
    from analytics.impact import effects
    e = effects(con, 3)
    assert list(e["intervention_id"]) == ["INT1", "INT2"]
    assert list(e["n_before"]) == [10, 3] and list(e["n_after"]) == [10, 3]
    assert e["difference_pts"].tolist() == pytest.approx([50.0, -100 / 3])
    assert list(e["evidence"]) == ["Unlikely to be chance alone (p < 0.05)",
                                   "Too little evidence (fewer than 10 on a side)"]
    assert e["ci_before"].iloc[0] == "10.8–60.3%"


def test_a_role_seeing_its_own_services_gets_no_council_wide_kpi_series_nor_other_services_themes(con):
    # INT2 is CF's, with no CF series: the ALL series stands in, but not for a role that sees only its own
    # services (council-wide figures are the Overview's totals only). DS0 (Neglect) was sampled in AI only.
    from analytics.config import load_config
    from analytics.filters import Filters
    from analytics.impact_evidence import dip_themes, kpi_comparison
    config = load_config()
    full = kpi_comparison(con, config, rows(con)["INT2"], 3, Filters("2024-01", "2025-12"))
    assert full.service == "ALL" and len(full.series) == 8
    scoped = kpi_comparison(con, config, rows(con)["INT2"], 3, Filters("2024-01", "2025-12", scope=("CF",)))
    assert scoped.series.empty and "not shown" in scoped.note and scoped.mean_before is None
    assert dip_themes(con) == ["Drift and delay", "Neglect", "drift and delay"]
    assert dip_themes(con, Filters("2024-01", "2025-12", scope=("CF",))) == ["Drift and delay", "drift and delay"]


# --- target KPI ----------------------------------------------------------------------------------------
def test_kpi_means(con):
    from analytics.config import load_config
    from analytics.impact_evidence import describe_kpi, kpi_comparison
    k = kpi_comparison(con, load_config(), rows(con)["INT1"], 3)
    assert k.service == "ALL" and k.note == ""
    assert (k.n_before, k.mean_before, k.n_after, k.mean_after) == (3, 72.0, 3, 87.0)
    assert k.difference == 15.0
    assert list(k.series["timing"]) == ["before", "before", "before", "before", "during", "after", "after", "after"]
    assert describe_kpi(k, 3).startswith(
        "Assessments completed within 45 working days (ALL) averaged 87.0% over the 3 periods after the "
        "intervention against 72.0% over the 3 before (change +15.0 points).")
    if k.spc_available:
        # Fewer than 12 points before the start: limits from all points; signals listed only after E.
        assert k.baseline_points is None
        assert all(d > D(2025, 3, 31) for d in k.signals_after["period_end"])
        assert set(k.signals_after["special_cause"]) <= {"improvement", "concern", "neutral_high", "neutral_low"}


def test_kpi_falls_back_to_the_all_series(con):
    from analytics.config import load_config
    from analytics.impact_evidence import kpi_comparison
    k = kpi_comparison(con, load_config(), rows(con)["INT2"], 3)
    assert k.service == "ALL" and "no values for CF" in k.note
    assert (k.mean_before, k.mean_after) == (72.0, 84.0)


# --- target theme ----------------------------------------------------------------------------------------
def test_theme_volumes(con):
    from analytics.filters import Filters
    from analytics.impact_evidence import describe_themes, theme_volumes
    v = theme_volumes(con, "Drift and delay", rows(con)["INT1"], 3).set_index("source")
    assert v.loc["Feedback", ["before", "before_total", "after", "after_total", "change"]].tolist() == [2, 3, 1, 2, -1]
    assert v.loc["Complaints", ["before", "before_total", "after", "after_total", "change"]].tolist() == [1, 2, 0, 1, -1]
    assert v.loc["Escalations", ["before", "before_total", "after", "after_total", "change"]].tolist() == [1, 1, 3, 4, 2]
    assert v.loc["Feedback", "before_share_pct"] == pytest.approx(200 / 3)
    assert v.loc["Escalations", "after_share_pct"] == pytest.approx(75.0)
    # The match ignores case: the same figures for 'DRIFT AND DELAY'.
    assert theme_volumes(con, "DRIFT AND DELAY", rows(con)["INT1"], 3)["before"].tolist() == [2, 1, 1]
    # A theme matches by any of its names, as the theme explorer matches: F06's "Being listened to" is the
    # voice of the child, whichever of its names the intervention gives.
    for name in ("Voice of the child", "child’s VOICE"):
        voice = theme_volumes(con, name, rows(con)["INT1"], 3).set_index("source")
        assert voice.loc["Feedback", ["before", "after"]].tolist() == [0, 1], name
    # AI only: F02 (no service) and the CF rows drop out.
    ai = theme_volumes(con, "Drift and delay", rows(con)["INT1"], 3, Filters(services=("AI",))).set_index("source")
    assert ai[["before", "before_total", "after", "after_total"]].values.tolist() == [[1, 1, 0, 1], [1, 1, 0, 0],
                                                                                     [1, 1, 1, 1]]
    assert describe_themes(v.reset_index(), "Drift and delay").startswith(
        "Records naming 'Drift and delay': feedback 2 before and 1 after; complaints 1 before and 0 after; "
        "escalations 1 before and 3 after.")


def test_dip_sample_cycles_on_the_theme(con):
    from analytics.impact_evidence import dip_cycles, dip_themes, match_theme
    themes = dip_themes(con)
    assert match_theme("DRIFT and delay ", themes) == "Drift and delay"
    assert match_theme("Voice", themes) is None
    c = dip_cycles(con, "Drift and delay", rows(con)["INT1"], 3)
    assert list(c["dip_sample_id"]) == ["DS1", "DS2"]
    assert list(c["first_date"]) == [D(2025, 1, 10), D(2025, 5, 12)]
    assert list(c["records"]) == [4, 3] and list(c["graded"]) == [3, 3] and list(c["good"]) == [1, 2]
    assert c["good_pct"].tolist() == pytest.approx([100 / 3, 200 / 3])
    assert c["criteria_pct"].tolist() == pytest.approx([50.0, 80.0])
    assert c["change_good_pts"].iloc[1] == pytest.approx(100 / 3) and c["change_good_pts"].isna().iloc[0]
    assert c["change_criteria_pts"].iloc[1] == pytest.approx(30.0)
    assert (c["ci_low"].iloc[0], c["ci_high"].iloc[0]) == pytest.approx(wilson(1, 3))
    assert list(c["timing"]) == ["before", "after"]


# --- the page ---------------------------------------------------------------------------------------------
@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    d = tmp_path / "appdata"
    d.mkdir()
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(d))
    monkeypatch.chdir(ROOT)
    return d


def page(data_dir, intervention=None, window=None):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/impact.py").run()
    if intervention:
        at.selectbox(key="intervention").set_value(intervention).run()
    if window:
        at.number_input(key="impact_window").set_value(window).run()
    assert not at.exception, at.exception
    return at


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def texts(at) -> str:
    return "\n".join(str(m.value) for kind in (at.markdown, at.caption, at.warning, at.info) for m in kind)


def test_page_shows_the_functions_figures(db, data_dir):
    from analytics.database import Database
    from analytics.impact import describe, measure
    shutil.copy(db, data_dir / "qa.duckdb")
    at = page(data_dir, "INT1", 3)
    with Database(data_dir / "qa.duckdb").read() as c:
        comp = measure(c, rows(c)["INT1"], 3)
    m = metrics(at)
    assert m["Before (n = 10)"] == "30.0%" and m["After (n = 10)"] == "80.0%"
    assert m["Difference"] == "+50.0 points" and m["Two-proportion test"] == "p = 0.025"
    assert md(describe(comp, "Training")) in texts(at)  # shown as text: escaped Markdown
    assert "Too little evidence" not in texts(at)
    side_table = next(d.value for d in at.dataframe if "side" in d.value.columns)
    assert side_table["95% interval"].tolist() == ["30.0% (10.8% to 60.3%)", "80.0% (49.0% to 94.3%)"]
    # KPI means and the theme volumes.
    assert m["Mean before (3 periods)"] == "72.0%" and m["Mean after (3 periods)"] == "87.0%"
    assert m["Change in the mean"] == "+15.0 points"
    assert "feedback 2 before and 1 after; complaints 1 before and 0 after; escalations 1 before and 3 after" in texts(at)
    # The dip-sample theme is matched whatever its case.
    assert at.selectbox(key="impact_dip_theme_INT1").value == "Drift and delay"


def test_page_thin_evidence_message(db, data_dir):
    shutil.copy(db, data_dir / "qa.duckdb")
    at = page(data_dir, "INT2", 3)
    assert any("Too little evidence" in w.value for w in at.warning)
    assert metrics(at)["Before (n = 3)"] == "66.7%"
    assert metrics(at)["Difference"] == "−33.3 points"
    assert any("no values for CF" in i.value for i in at.info)


def test_page_new_intervention(db, data_dir):
    shutil.copy(db, data_dir / "qa.duckdb")
    at = page(data_dir, "new", 3)
    at.date_input(key="impact_new_start").set_value(D(2025, 3, 1)).run()
    at.date_input(key="impact_new_end").set_value(D(2025, 3, 31)).run()
    at.selectbox(key="impact_new_service").set_value("AI").run()
    assert not at.exception, at.exception
    m = metrics(at)
    assert m["Before (n = 5)"] == "40.0%" and m["After (n = 5)"] == "100.0%"
    assert any("Too little evidence" in w.value for w in at.warning)


def test_page_on_the_demo(data_dir):
    from analytics.database import Database
    from analytics.demo import build_demo
    from analytics.impact import describe, measure
    build_demo(data_dir / "demo.duckdb", seed=1)
    at = page(data_dir)
    assert "Demo data" in texts(at)
    with Database(data_dir / "demo.duckdb").read() as c:
        r = rows(c)["INT01"]
        comp = measure(c, r, 6)
    assert md(describe(comp, r["kind"])) in texts(at)
    # INT01's target theme, "Voice of the child", is not a dip-sample theme; its synonym "The lived experience
    # of the child" is (config theme_synonyms): its three yearly cycles are shown.
    assert at.selectbox(key="impact_dip_theme_INT01").value == "The lived experience of the child"
    cycles = next(d.value for d in at.dataframe if "dip_sample_id" in d.value.columns)
    assert len(cycles) == 3 and list(cycles["timing"][:1]) == ["before"]
    assert any("a synonym of 'Voice of the child'" in c.value for c in at.caption)
    at.selectbox(key="intervention").set_value("INT07").run()
    assert not at.exception and any("Too little evidence" in w.value for w in at.warning)
    at.selectbox(key="intervention").set_value("INT04").run()
    assert not at.exception and "Mean before (6 periods)" in metrics(at)


def test_page_on_an_empty_database(data_dir):
    from analytics.database import Database
    Database(data_dir / "qa.duckdb").initialise()
    at = page(data_dir)
    assert any("No audits are loaded yet" in i.value for i in at.info)


def test_all_effects_adds_kpi_and_theme(con):
    from analytics.config import load_config
    from analytics.impact_evidence import all_effects
    e = all_effects(con, load_config(), 3).set_index("intervention_id")
    assert e.loc["INT1", ["kpi_mean_before", "kpi_mean_after", "kpi_change"]].tolist() == [72.0, 87.0, 15.0]
    # feedback 2 + complaints 1 + escalations 1 before; 1 + 0 + 3 after
    assert (e.loc["INT1", "theme_records_before"], e.loc["INT1", "theme_records_after"]) == (4, 4)
    assert e.loc["INT2", "kpi_change"] == 12.0 and pd.isna(e.loc["INT2", "theme_records_before"])


def test_dip_theme_found_through_the_synonym_list():
    from analytics.config import Config
    from analytics.impact_evidence import match_theme
    offered = ["Permanency", "The lived experience of the child", "Voice of the child and family"]
    assert match_theme("voice of the child", offered, Config()) == "The lived experience of the child"
    assert match_theme("Management oversight", ["Management grip, oversight and quality of supervision"],
                       Config()) == "Management grip, oversight and quality of supervision"
    assert match_theme("Voice of the child", offered) is None        # without the configuration: exact only
    assert match_theme("Permanency ", offered, Config()) == "Permanency"   # an exact match comes first
    assert match_theme("Chronologies", offered, Config()) is None


def test_intervention_is_in_the_link(db, data_dir):
    shutil.copy(db, data_dir / "qa.duckdb")
    # a copied link reopens the same intervention (the browser test checks that choosing one writes the URL)
    label = "INT2 · Voice of the child briefing (Mar 2025)"
    at = open_app_page("pages/impact.py", intervention=label)
    assert at.selectbox(key="intervention").value == "INT2"
    assert any("Too little evidence" in w.value for w in at.warning)
    # by its ID too, as the command line names it (?intervention=INT2)
    at = open_app_page("pages/impact.py", intervention="INT2")
    assert at.selectbox(key="intervention").value == "INT2", [i.value for i in at.info]
    assert not any("not available" in i.value for i in at.info), [i.value for i in at.info]
    # a link naming an intervention that is not there: a notice, and the first intervention instead
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["intervention"] = "INT99 · Gone"
    at.switch_page("pages/impact.py").run()
    assert not at.exception, at.exception
    assert any("intervention value 'INT99 · Gone' is not available" in i.value for i in at.info)
    assert at.selectbox(key="intervention").value == "INT1"


def test_target_kpis_are_the_kpi_pages(tmp_path, data_dir):
    # One list of KPIs: the configured ones in their order, a loaded definition replacing one of the same code
    # (REREF12 with target 18) and a new code after them (LOCAL1), as on the KPI page.
    from analytics.config import Config
    from analytics.database import Database
    from analytics.impact_evidence import kpi_definition
    from analytics import kpis
    import test_kpis as tk
    load_csv_texts(data_dir / "qa.duckdb", {"audits.csv": tk.AUDITS, "kpi_definitions.csv": tk.KPI_DEFINITIONS,
                                          "interventions.csv": tk.INTERVENTIONS})
    with Database(data_dir / "qa.duckdb").read() as c:
        defs = kpis.definitions(c, Config())
        assert kpi_definition(c, Config(), "REREF12")["target"] == 18.0
        assert kpi_definition(c, Config(), "CASELOAD")["unit"] == "count"
        assert kpi_definition(c, Config(), "NOPE") is None
    at = page(data_dir, "new")
    options = at.selectbox(key="impact_new_kpi").options
    codes = [k["kpi_code"] for k in Config().kpis]
    assert list(defs["kpi_code"]) == codes + ["LOCAL1"]
    assert options[0] == "(none)" and [o.split(":")[0] for o in options[1:]] == codes + ["LOCAL1"]
    assert "LOCAL1: Local visits on time" in options


def test_effects_table_reads_as_text(con):
    # A planned intervention has no audits after it: its missing figures read "–", never None or nan.
    from analytics.config import load_config
    from analytics.impact_evidence import all_effects, effects_table
    e = all_effects(con, load_config(), 3)
    e.loc[1, ["pct_after", "difference_pts", "p_value", "kind"]] = [None, None, None, None]
    t = effects_table(e)
    assert list(t.columns)[:4] == ["Id", "Intervention", "Kind", "Start"]
    assert t.iloc[0][["% after", "Difference (points)", "p-value", "n after"]].tolist() == ["80.0", "+50.0", "0.025", 10]
    assert t.iloc[1][["% after", "Difference (points)", "p-value", "Kind"]].tolist() == ["–"] * 4
    assert t.iloc[1]["Target theme"] == "–" and t.iloc[0]["Theme records before"] == "4"
    assert not t.isna().any().any()
