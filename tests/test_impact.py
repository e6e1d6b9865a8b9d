"""``qa-dashboard impact`` against numbers worked out by hand (metrics.md, "Impact of an intervention").

Expected intervals and p-values come from the textbook formulas written out
below with ``math`` (never from the product's functions).
"""
import json
import math

import pytest

from conftest import load_csv_texts, run_cli
from test_metrics import assert_exact

V = "Voice and lived experience of the child"
AS = "Assessment and analysis"
PR = "Planning and review"
M = "Management oversight and supervision"
Z = 1.959964


def wilson(x, n):
    """Wilson score interval, %: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    p = x / n
    centre = p + Z * Z / (2 * n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    d = 1 + Z * Z / n
    return (centre - half) / d * 100, (centre + half) / d * 100


def p_value(x1, n1, x2, n2):
    """Two-sided pooled two-proportion z-test: z = (p2 - p1)/sqrt(P(1-P)(1/n1 + 1/n2)), p = 2(1 - Φ(|z|))."""
    pooled = (x1 + x2) / (n1 + n2)
    z = (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    phi = 0.5 * (1 + math.erf(abs(z) / math.sqrt(2)))
    return 2 * (1 - phi)


def side(x, n):
    low, high = wilson(x, n)
    return {"n": n, "good_or_better_pct": x / n * 100, "ci_low": low, "ci_high": high}


EMPTY = {"n": 0, "good_or_better_pct": None, "ci_low": None, "ci_high": None}

# Final grade = benchmarked, else moderated, else auditor. Good or better = O or G.
# id   date        svc  grade(s)                 final  good?
# X01  2024-02-28  AI   O                        O      y   one day before 2024-08-31 - 6 months (= 29 Feb 2024)
# X02  2024-02-29  AI   G                        G      y   first day of the 6-month before window
# X03  2024-03-15  CF   auditor G, moderated R   R      n
# X04  2024-04-10  CF   I                        I      n
# X05  2024-04-20  AI   G                        G      y
# X06  2024-05-05  CF   R                        R      n
# X07  2024-05-31  AI   R                        R      n   first day of the 3-month before window
# X08  2024-06-10  CF   G                        G      y
# X09  2024-06-30  AI   I                        I      n
# X10  2024-07-15  CF   R                        R      n
# X11  2024-08-01  AI   G                        G      y
# X12  2024-08-20  CF   R                        R      n
# X13  2024-08-30  AI   R                        R      n
# X14  2024-08-31  CF   O                        O      y   = S: in neither window
# X15  2024-09-01  CF   G                        G      y
# X16  2024-09-20  AI   O                        O      y
# X17  2024-10-10  CF   G                        G      y
# X18  2024-10-30  AI   R                        R      n
# X19  2024-11-15  CF   G                        G      y
# X20  2024-11-30  AI   G                        G      y   last day of the 3-month after window (Nov has 30)
# X21  2024-12-10  CF   I                        I      n
# X22  2025-01-05  AI   auditor R, moderated G   G      y
# X23  2025-01-20  CF   O                        O      y
# X24  2025-02-10  AI   G, G, benchmarked R      R      n
# X25  2025-02-28  CF   G                        G      y   last day of the 6-month after window (clamped)
# X26  2025-03-01  AI   I                        I      n   one day after it
AUDITS = """\
audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade,moderated_grade,benchmarked_grade
X01,2024-02-28,AI,C01,CP,Team Manager,Outstanding,,
X02,2024-02-29,AI,C02,CP,Team Manager,Good,,
X03,2024-03-15,CF,C03,CP,Team Manager,Good,Requires Improvement,
X04,2024-04-10,CF,C04,CP,Team Manager,Inadequate,,
X05,2024-04-20,AI,C05,CP,Team Manager,Good,,
X06,2024-05-05,CF,C06,CP,Team Manager,Requires Improvement,,
X07,2024-05-31,AI,C07,CP,Team Manager,Requires Improvement,,
X08,2024-06-10,CF,C08,CP,Team Manager,Good,,
X09,2024-06-30,AI,C09,CP,Team Manager,Inadequate,,
X10,2024-07-15,CF,C10,CP,Team Manager,Requires Improvement,,
X11,2024-08-01,AI,C11,CP,Team Manager,Good,,
X12,2024-08-20,CF,C12,CP,Team Manager,Requires Improvement,,
X13,2024-08-30,AI,C13,CP,Team Manager,Requires Improvement,,
X14,2024-08-31,CF,C14,CP,Team Manager,Outstanding,,
X15,2024-09-01,CF,C15,CP,Team Manager,Good,,
X16,2024-09-20,AI,C16,CP,Team Manager,Outstanding,,
X17,2024-10-10,CF,C17,CP,Team Manager,Good,,
X18,2024-10-30,AI,C18,CP,Team Manager,Requires Improvement,,
X19,2024-11-15,CF,C19,CP,Team Manager,Good,,
X20,2024-11-30,AI,C20,CP,Team Manager,Good,,
X21,2024-12-10,CF,C21,CP,Team Manager,Inadequate,,
X22,2025-01-05,AI,C22,CP,Team Manager,Requires Improvement,Good,
X23,2025-01-20,CF,C23,CP,Team Manager,Outstanding,,
X24,2025-02-10,AI,C24,CP,Team Manager,Good,Good,Requires Improvement
X25,2025-02-28,CF,C25,CP,Team Manager,Good,,
X26,2025-03-01,AI,C26,CP,Team Manager,Inadequate,,
"""

# Pillar rows (final pillar grade = pillar moderated grade, else auditor grade):
# V : X01 G (out), X02 G, X04 G->R (mod), X09 I, X11 O, X14 G (= S, out), X15 G, X18 R->G (mod), X21 I, X26 G (out)
# AS: X02 I (AI), X04 I (CF), X21 I (CF)
# PR: X03 G (CF; audit final R), X17 O (CF)
# M : no rows
PILLARS = f"""\
audit_id,pillar,auditor_grade,moderated_grade
X01,{V},Good,
X02,{V},Good,
X04,{V},Good,Requires Improvement
X09,{V},Inadequate,
X11,{V},Outstanding,
X14,{V},Good,
X15,{V},Good,
X18,{V},Requires Improvement,Good
X21,{V},Inadequate,
X26,{V},Good,
X02,{AS},Inadequate,
X04,{AS},Inadequate,
X21,{AS},Inadequate,
X03,{PR},Good,
X17,{PR},Outstanding,
"""

INTERVENTIONS = f"""\
intervention_id,name,kind,start_date,end_date,service,target_pillar
INT01,Practice week,Practice Week,2024-08-31,,,
INT02,Children and Families briefing,Briefing,31/08/2024,,CF,
INT03,Voice of the child training,Training,2024-08-31,,ALL,{V}
INT04,Early briefing,Briefing,2024-01-31,,,
INT05,Assessment process change,Process change,2024-08-31,2024-11-30,AI,
INT06,Planning workshop,Training,2024-08-31,,CF,{PR}
INT07,Oversight briefing,Briefing,2024-08-31,,,{M}
INT08,Assessment workshop,Training,2024-08-31,,CF,{AS}
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("impact") / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "audit_pillars.csv": PILLARS, "interventions.csv": INTERVENTIONS})
    return path


def impact(db, *args):
    code, out, err = run_cli("impact", "--db", db, *args)
    assert code == 0, err
    return json.loads(out)


def one(db, intervention, *args):
    got = impact(db, "--intervention", intervention, *args)
    assert [i["intervention_id"] for i in got["interventions"]] == [intervention]
    return got["window_months"], got["interventions"][0]


# Window W = 6 from S = 2024-08-31 (E = S): before [2024-02-29, 2024-08-31), after (2024-08-31, 2025-02-28]
# (31 Aug - 6 months = 31 Feb, clamped to 29 Feb 2024; 31 Aug + 6 months = 31 Feb, clamped to 28 Feb 2025).
def test_overall_all_services_with_clamped_window(db):
    # before: X02-X13 = 12 (X01 is 28 Feb: out; X14 = S: out); good X02 X05 X08 X11 = 4 (X03 final R)
    # after: X15-X25 = 11 (X25 on 28 Feb in, X26 on 1 Mar out);
    #        good X15 X16 X17 X19 X20 X22 X23 X25 = 8 (X22 good by moderation, X24 not good by benchmark)
    # difference = (8/11 - 4/12) * 100 = 13/33 * 100 = 39.39 pts
    # pooled = 12/23; se = sqrt(12/23 * 11/23 * (1/12 + 1/11)) = sqrt(1/23); z = (13/33) * sqrt(23) = 1.8893
    # p = 0.05886; Wilson before (4/12) = 13.81 .. 60.94, after (8/11) = 43.44 .. 90.25
    window, got = one(db, "INT01")
    assert window == 6
    assert_exact(got, {
        "intervention_id": "INT01", "target": "overall",
        "before": side(4, 12), "after": side(8, 11),
        "difference_pts": (8 / 11 - 4 / 12) * 100,
        "p_value": p_value(4, 12, 8, 11),
        "too_little_evidence": False,
    })
    assert got["p_value"] == pytest.approx(0.058856, abs=1e-6)
    assert got["before"]["ci_low"] == pytest.approx(13.812, abs=1e-3)
    assert got["after"]["ci_high"] == pytest.approx(90.2539, abs=1e-4)


def test_service_scope(db):
    # CF only. before: X03 R, X04 I, X06 R, X08 G, X10 R, X12 R = 6, good 1
    # after: X15 G, X17 G, X19 G, X21 I, X23 O, X25 G = 6, good 5
    # diff = (5/6 - 1/6) * 100 = 66.67; pooled 1/2, se = sqrt(1/4 * 2/6) = sqrt(1/12); z = (4/6)/0.288675 = 2.3094
    # p = 0.02092; n < 10 on both sides -> too little evidence
    _, got = one(db, "INT02")
    assert_exact(got, {
        "intervention_id": "INT02", "target": "overall",
        "before": side(1, 6), "after": side(5, 6),
        "difference_pts": 400 / 6,
        "p_value": p_value(1, 6, 5, 6),
        "too_little_evidence": True,
    })
    assert got["p_value"] == pytest.approx(0.020921, abs=1e-6)


def test_target_pillar_uses_final_pillar_grades(db):
    # Voice pillar, all services. before: X02 G, X04 R (moderated), X09 I, X11 O = 4, good 2
    # after: X15 G, X18 G (moderated), X21 I = 3, good 2 (X01, X14, X26 outside)
    # diff = (2/3 - 1/2) * 100 = 16.67; pooled 4/7, se = sqrt(12/49 * 7/12) = sqrt(1/7)
    # z = (1/6)/0.377964 = 0.44096; p = 0.65924
    _, got = one(db, "INT03")
    assert_exact(got, {
        "intervention_id": "INT03", "target": V,
        "before": side(2, 4), "after": side(2, 3),
        "difference_pts": (2 / 3 - 1 / 2) * 100,
        "p_value": p_value(2, 4, 2, 3),
        "too_little_evidence": True,
    })
    assert got["p_value"] == pytest.approx(0.659243, abs=1e-6)


def test_empty_before_side_gives_null_difference_and_p(db):
    # S = 2024-01-31: before [2023-07-31, 2024-01-31) is empty
    # after (2024-01-31, 2024-07-31]: X01-X10 = 10, good X01 X02 X05 X08 = 4 -> 40%, Wilson 16.82 .. 68.73
    _, got = one(db, "INT04")
    assert_exact(got, {
        "intervention_id": "INT04", "target": "overall",
        "before": EMPTY, "after": side(4, 10),
        "difference_pts": None, "p_value": None, "too_little_evidence": True,
    })


def test_after_window_starts_after_the_end_date(db):
    # AI, S = 2024-08-31, E = 2024-11-30: before [2024-02-29, 2024-08-31): X02 G, X05 G, X07 R, X09 I,
    # X11 G, X13 R = 6, good 3. after (2024-11-30, 2025-05-30]: X22 G, X24 R, X26 I = 3, good 1
    # (X16, X18 fall during the intervention; X20 is on E itself: out)
    # diff = (1/3 - 1/2) * 100 = -16.67; pooled 4/9, se = sqrt(20/81 * 1/2); z = -0.47434; p = 0.63526
    _, got = one(db, "INT05")
    assert_exact(got, {
        "intervention_id": "INT05", "target": "overall",
        "before": side(3, 6), "after": side(1, 3),
        "difference_pts": (1 / 3 - 1 / 2) * 100,
        "p_value": p_value(3, 6, 1, 3),
        "too_little_evidence": True,
    })


def test_pooled_proportion_one_and_zero_give_p_of_one(db):
    # CF, Planning and review: before X03 G (the pillar, although the audit is R), after X17 O
    # 1/1 on each side: pooled 1 -> p = 1; Wilson for 1/1: low = 1/(1 + z²) = 20.65%, high = 100%
    _, got = one(db, "INT06")
    assert_exact(got, {
        "intervention_id": "INT06", "target": PR,
        "before": side(1, 1), "after": side(1, 1),
        "difference_pts": 0.0, "p_value": 1.0, "too_little_evidence": True,
    })
    assert got["before"]["ci_low"] == pytest.approx(100 / (1 + Z * Z))
    assert got["before"]["ci_high"] == pytest.approx(100.0)
    # CF, Assessment and analysis: before X04 I, after X21 I (X02 is AI): 0/1 each side, pooled 0 -> p = 1
    # Wilson for 0/1: low = 0, high = z²/(1 + z²) = 79.35%
    _, got = one(db, "INT08")
    assert_exact(got, {
        "intervention_id": "INT08", "target": AS,
        "before": side(0, 1), "after": side(0, 1),
        "difference_pts": 0.0, "p_value": 1.0, "too_little_evidence": True,
    })
    assert got["after"]["ci_low"] == pytest.approx(0.0, abs=1e-12)
    assert got["after"]["ci_high"] == pytest.approx(100 * Z * Z / (1 + Z * Z))


def test_pillar_without_rows_gives_empty_sides(db):
    _, got = one(db, "INT07")
    assert_exact(got, {
        "intervention_id": "INT07", "target": M, "before": EMPTY, "after": EMPTY,
        "difference_pts": None, "p_value": None, "too_little_evidence": True,
    })


def test_window_three_months(db):
    # W = 3: before [2024-05-31, 2024-08-31): X07 R (on the first day), X08 G, X09 I, X10 R, X11 G, X12 R,
    # X13 R = 7, good 2 (X06 on 5 May: out). after (2024-08-31, 2024-11-30] (31 Nov clamped to 30):
    # X15 G, X16 O, X17 G, X18 R, X19 G, X20 G = 6, good 5
    # diff = (5/6 - 2/7) * 100 = 23/42 * 100 = 54.76; pooled 7/13, se = sqrt(1/13); z = 1.97447; p = 0.04833
    window, got = one(db, "INT01", "--window", "3")
    assert window == 3
    assert_exact(got, {
        "intervention_id": "INT01", "target": "overall",
        "before": side(2, 7), "after": side(5, 6),
        "difference_pts": 2300 / 42,
        "p_value": p_value(2, 7, 5, 6),
        "too_little_evidence": True,
    })
    assert got["p_value"] == pytest.approx(0.048328, abs=1e-6)


def test_all_interventions_in_order(db):
    got = impact(db)
    assert list(got) == ["window_months", "interventions"]
    assert got["window_months"] == 6
    assert [i["intervention_id"] for i in got["interventions"]] == [f"INT0{k}" for k in range(1, 9)]
    assert all(list(i) == ["intervention_id", "target", "before", "after", "difference_pts", "p_value",
                           "too_little_evidence"] for i in got["interventions"])


def test_unknown_intervention_gives_an_empty_list(db):
    assert impact(db, "--intervention", "NOPE") == {"window_months": 6, "interventions": []}


# --- the statistics as functions, against the textbook values -------------------------------------
def test_wilson_interval_function():
    from analytics.impact import wilson_interval
    assert wilson_interval(0, 0) == (None, None)
    for x, n in [(4, 12), (8, 11), (0, 5), (5, 5), (37, 120)]:
        low, high = wilson_interval(x, n)
        want_low, want_high = wilson(x, n)
        assert low == pytest.approx(max(want_low, 0.0), abs=1e-9)
        assert high == pytest.approx(min(want_high, 100.0), abs=1e-9)
    # 37/120 by hand: p = 0.308333, z² = 3.841459, d = 1 + z²/120 = 1.032012
    # centre = (0.308333 + z²/240 = 0.016006)/d = 0.314279
    # half = z * sqrt(0.308333 * 0.691667/120 + z²/57600 = 0.0018439)/d = 1.959964 * 0.042941/d = 0.081551
    # -> 23.273 .. 39.583
    low, high = wilson_interval(37, 120)
    assert low == pytest.approx(23.273, abs=1e-3) and high == pytest.approx(39.583, abs=1e-3)


def test_two_proportion_p_value_function():
    from analytics.impact import two_proportion_p_value
    assert two_proportion_p_value(0, 0, 3, 5) is None
    assert two_proportion_p_value(3, 5, 0, 0) is None
    assert two_proportion_p_value(0, 5, 0, 7) == 1.0
    assert two_proportion_p_value(5, 5, 7, 7) == 1.0
    for args in [(4, 12, 8, 11), (30, 100, 45, 100), (45, 100, 30, 100)]:
        assert two_proportion_p_value(*args) == pytest.approx(p_value(*args), rel=1e-9)
    # 30/100 vs 45/100: pooled 0.375, se = sqrt(0.375 * 0.625 * 0.02) = 0.068465, z = 2.19089, p = 0.028460
    assert two_proportion_p_value(30, 100, 45, 100) == pytest.approx(0.028460, abs=1e-5)
