"""Moderation drift (analytics/moderation.py, pages/moderation.py) against numbers worked out by hand.

Grade ranks: O = Outstanding 1, G = Good 2, R = Requires Improvement 3, I = Inadequate 4.
A pair (a, m) is (auditor rank, moderated rank).
"""
import json
import math
import time

import numpy as np
import pytest

from conftest import load_csv_texts, open_app_page, shown_metric, use_council_db, run_cli

from analytics import metrics, moderation as md
from analytics.config import Config
from analytics.database import Database
from analytics.filters import Filters
from analytics.impact import wilson_interval
from analytics.presentation import format_pct

V = "Voice and lived experience of the child"   # configured pillar 1
AS = "Assessment and analysis"                   # configured pillar 2

# id   month  svc   team     role  auditor moderated benchmarked  pair   note
# A01  Jan    AI    AI T1    TM    G       G         G            (2,2)  benchmark unchanged
# A02-A04 Jan AI    AI T1    TM    G       G                      (2,2)
# A05-A06 Jan AI    AI T1    TM    O       O                      (1,1)
# A07  Jan    AI    AI T1    TM    O       O         G            (1,1)  panel graded lower
# A08  Jan    AI    AI T1    TM    G       R         G            (2,3)  downgraded; panel graded higher
# A09-A10 Jan AI    AI T1    TM    G       R                      (2,3)  downgraded
# A21  Jan    AI    AI T1    TM    R       -                             provisional
# A11-A14 Feb AI    AI T2    TM    G       G                      (2,2)
# A15-A17 Feb AI    AI T2    TM    R       R                      (3,3)
# A18  Feb    AI    AI T2    TM    O       G                      (1,2)  downgraded
# A19  Feb    AI    AI T2    TM    R       G                      (3,2)  upgraded
# A20  Feb    AI    AI T2    TM    G       I                      (2,4)  downgraded by two
# M1   Feb    MASH  MASH T1  SM    O       O                      (1,1)
# M2   Feb    MASH  MASH T1  SM    G       G                      (2,2)
# M3   Feb    MASH  MASH T1  TM    G       O         O            (2,1)  upgraded; benchmark unchanged
# M4   Feb    MASH  MASH T1  TM    R       I                      (3,4)  downgraded
# M5   Feb    MASH  MASH T1  SM    G       -                             provisional
ROWS = [
    ("A01", "2025-01-06", "AI", "AI T1", "Team Manager", "Good", "Good", "Good"),
    ("A02", "2025-01-07", "AI", "AI T1", "Team Manager", "Good", "Good", ""),
    ("A03", "2025-01-08", "AI", "AI T1", "Team Manager", "Good", "Good", ""),
    ("A04", "2025-01-09", "AI", "AI T1", "Team Manager", "Good", "Good", ""),
    ("A05", "2025-01-10", "AI", "AI T1", "Team Manager", "Outstanding", "Outstanding", ""),
    ("A06", "2025-01-13", "AI", "AI T1", "Team Manager", "Outstanding", "Outstanding", ""),
    ("A07", "2025-01-14", "AI", "AI T1", "Team Manager", "Outstanding", "Outstanding", "Good"),
    ("A08", "2025-01-15", "AI", "AI T1", "Team Manager", "Good", "Requires Improvement", "Good"),
    ("A09", "2025-01-16", "AI", "AI T1", "Team Manager", "Good", "Requires Improvement", ""),
    ("A10", "2025-01-31", "AI", "AI T1", "Team Manager", "Good", "Requires Improvement", ""),
    ("A21", "2025-01-31", "AI", "AI T1", "Team Manager", "Requires Improvement", "", ""),
    ("A11", "2025-02-03", "AI", "AI T2", "Team Manager", "Good", "Good", ""),
    ("A12", "2025-02-04", "AI", "AI T2", "Team Manager", "Good", "Good", ""),
    ("A13", "2025-02-05", "AI", "AI T2", "Team Manager", "Good", "Good", ""),
    ("A14", "2025-02-06", "AI", "AI T2", "Team Manager", "Good", "Good", ""),
    ("A15", "2025-02-07", "AI", "AI T2", "Team Manager", "Requires Improvement", "Requires Improvement", ""),
    ("A16", "2025-02-10", "AI", "AI T2", "Team Manager", "Requires Improvement", "Requires Improvement", ""),
    ("A17", "2025-02-11", "AI", "AI T2", "Team Manager", "Requires Improvement", "Requires Improvement", ""),
    ("A18", "2025-02-12", "AI", "AI T2", "Team Manager", "Outstanding", "Good", ""),
    ("A19", "2025-02-13", "AI", "AI T2", "Team Manager", "Requires Improvement", "Good", ""),
    ("A20", "2025-02-28", "AI", "AI T2", "Team Manager", "Good", "Inadequate", ""),
    ("M1", "2025-02-03", "MASH", "MASH T1", "Service Manager", "Outstanding", "Outstanding", ""),
    ("M2", "2025-02-04", "MASH", "MASH T1", "Service Manager", "Good", "Good", ""),
    ("M3", "2025-02-05", "MASH", "MASH T1", "Team Manager", "Good", "Outstanding", "Outstanding"),
    ("M4", "2025-02-06", "MASH", "MASH T1", "Team Manager", "Requires Improvement", "Inadequate", ""),
    ("M5", "2025-02-07", "MASH", "MASH T1", "Service Manager", "Good", "", ""),
]
AUDITS = "audit_id,audit_date,service,team,child_ref,cohort,auditor_role,auditor_grade,moderated_grade," \
         "benchmarked_grade\n" + "".join(
             f"{a},{d},{s},{t},C{a},CP,{r},{g},{m},{b}\n" for a, d, s, t, r, g, m, b in ROWS)
# Pillar V: every AI audit with the audit's own grades (so V's pairs are AI's pairs), A21 unmoderated.
# Pillar AS: A01 O->G (1,2), A15 R->R (3,3), M5 G unmoderated.
PILLARS = "audit_id,pillar,auditor_grade,moderated_grade\n" + "".join(
    f"{a},{V},{g},{m}\n" for a, d, s, t, r, g, m, b in ROWS if s == "AI") + (
    f"A01,{AS},Outstanding,Good\nA15,{AS},Requires Improvement,Requires Improvement\nM5,{AS},Good,\n")

# --- worked by hand ---------------------------------------------------------------------------
# AI (20 moderated): (2,2)x8 (1,1)x3 (3,3)x3 (2,3)x3 (1,2) (3,2) (2,4)
#   agreement 14/20 = 70%; within one 19/20 = 95%; downgraded 3+1+1 = 5; upgraded 1
#   net drift (3 + 1 - 1 + 2)/20 = 0.25
#   kappa: rows (4,12,4,0), cols (3,10,6,1); observed sum w.n = 3(1/3)+1/3+1/3+2/3 = 7/3 -> 7/60
#          expected sum w.r.c = 4(10/3+4+1) + 12(1+2+2/3) + 4(2+10/3+1/3) = 100/3+44+68/3 = 100 -> 100/400
#          kappa = 1 - (7/60)/(1/4) = 8/15 = 0.533 -> moderate
AI = {"moderated": 20, "agreement_pct": 70.0, "within_one_pct": 95.0, "downgraded": 5, "upgraded": 1,
      "net_drift": 0.25, "weighted_kappa": 8 / 15}
# All 24 moderated: AI + (1,1) (2,2) (2,1) (3,4)
#   agreement 16/24; within one 23/24; downgraded 6; upgraded 2; net drift (5 - 1 + 1)/24 = 5/24
#   rows (5,14,5,0), cols (5,11,6,2); observed 7/3+1/3+1/3 = 3 -> 3/24
#   expected 5(11/3+4+2) + 14(5/3+2+4/3) + 5(10/3+11/3+2/3) = 145/3+70+115/3 = 470/3 -> /576
#   kappa = 1 - (1/8)/(470/1728) = 1 - 216/470 = 127/235 = 0.540 -> moderate
ALL = {"moderated": 24, "agreement_pct": 16 / 24 * 100, "within_one_pct": 23 / 24 * 100, "downgraded": 6,
       "upgraded": 2, "net_drift": 5 / 24, "weighted_kappa": 127 / 235}
# Team Manager (22): AI + (2,1) (3,4)
#   agreement 14/22; within one 21/22; downgraded 6; upgraded 2; net drift 5/22
#   rows (4,13,5,0), cols (4,10,6,2); observed 3 -> 3/22
#   expected 4(10/3+4+2) + 13(4/3+2+4/3) + 5(8/3+10/3+2/3) = 112/3+182/3+100/3 = 394/3 -> /484
#   kappa = 1 - (3/22)/(394/1452) = 1 - 4356/8668 = 1078/2167 = 0.497 -> moderate (0.50)
TM = {"moderated": 22, "agreement_pct": 14 / 22 * 100, "within_one_pct": 21 / 22 * 100, "downgraded": 6,
      "upgraded": 2, "net_drift": 5 / 22, "weighted_kappa": 1078 / 2167}
# January: A01-A10 = (2,2)x4 (1,1)x3 (2,3)x3: agreement 7/10, net drift 3/10
# February: A11-A20 + M1-M4: agree 4+3+1+1 = 9 of 14; net drift (1 - 1 + 2 - 1 + 1)/14 = 2/14

FULL = Filters("2025-01", "2025-02")




@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("moderation") / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "audit_pillars.csv": PILLARS})
    return path


def approx(d):
    return {k: pytest.approx(v, rel=1e-12, abs=1e-12) if isinstance(v, float) else v for k, v in d.items()}


def figures(d):
    return {k: d[k] for k in AI}


# --- the headline figures ----------------------------------------------------------------------
def test_drift_over_everything_by_hand(con):
    d = md.drift(con, FULL)
    assert figures(d) == approx(ALL)
    assert d["provisional"] == 2                                     # A21, M5
    assert d["band"] == "moderate"                                   # 0.54
    assert not d["too_few"]                                          # 24 >= 20
    assert (d["agreement_ci_low"], d["agreement_ci_high"]) == wilson_interval(16, 24)
    assert (d["within_one_ci_low"], d["within_one_ci_high"]) == wilson_interval(23, 24)
    assert d["kappa_ci_low"] <= 127 / 235 <= d["kappa_ci_high"]


def test_drift_equals_summary_for_the_same_filters(con, db):
    for args, f in ((["--from", "2025-01", "--to", "2025-02"], FULL),
                    (["--from", "2025-02", "--to", "2025-02"], Filters("2025-02", "2025-02")),
                    (["--service", "AI"], Filters("2025-01", "2025-02", services=("AI",)))):
        code, out, err = run_cli("summary", "--db", db, *args)
        assert code == 0, err
        want = json.loads(out)["moderation"]
        got = md.drift(con, f)
        assert {k: got[k] for k in want} == approx(want)


def test_pair_figures_equal_metrics_moderation(con):
    """The pillar path computes the same figures as the summary's function on the same pairs."""
    for f in (FULL, Filters("2025-01", "2025-01"), Filters("2025-02", "2025-02", services=("MASH",))):
        assert md.pair_figures(metrics.grade_pairs(con, f)) == metrics.moderation(con, f)


def test_confusion_matrix_counts_and_row_pct(con):
    conf = md.confusion(metrics.grade_pairs(con, FULL), Config().grade_labels)
    assert len(conf) == 16
    cell = {(r.row_rank, r.col_rank): r for r in conf.itertuples()}
    # auditor Good row: (2,1) M3, (2,2) A01-A04 A11-A14 M2 = 9, (2,3) A08-A10 = 3, (2,4) A20 -> 14
    assert [cell[(2, j)].n for j in range(1, 5)] == [1, 9, 3, 1]
    assert cell[(2, 2)].row_n == 14 and cell[(2, 2)].row_pct == pytest.approx(9 / 14 * 100)
    assert (cell[(2, 2)].row_ci_low, cell[(2, 2)].row_ci_high) == pytest.approx(wilson_interval(9, 14))
    # Outstanding row: A05-A07 M1 agree, A18 -> Good: 4 of 5 = 80%
    assert [cell[(1, j)].n for j in range(1, 5)] == [4, 1, 0, 0] and cell[(1, 1)].row_pct == pytest.approx(80.0)
    # RI row: A19 up, A15-A17 agree, M4 down
    assert [cell[(3, j)].n for j in range(1, 5)] == [0, 1, 3, 1]
    # nobody was graded Inadequate by an auditor: an empty row has no percentage
    assert [cell[(4, j)].n for j in range(1, 5)] == [0, 0, 0, 0] and math.isnan(cell[(4, 4)].row_pct)
    assert conf["n"].sum() == 24


# --- by group, and "too few" ---------------------------------------------------------------------
def test_by_service_by_hand(con):
    df = md.by_group(con, FULL, "service", Config()).set_index("service")
    assert list(df.index) == ["MASH", "AI"]                          # configured order
    ai = df.loc["AI"]
    assert {k: ai[k] for k in AI} == approx(AI)
    assert (ai["audits"], ai["provisional"], ai["band"], ai["too_few"]) == (21, 1, "moderate", False)
    mash = df.loc["MASH"]
    # MASH: 4 moderated, (1,1) (2,2) (2,1) (3,4): 2 agree, all within one, 1 down, 1 up, drift 0
    assert (mash["audits"], mash["provisional"], mash["moderated"], mash["too_few"]) == (5, 1, 4, True)
    assert (mash["agreement_pct"], mash["downgraded"], mash["upgraded"], mash["net_drift"]) == (50.0, 1, 1, 0.0)
    shown = md.display_table(md.by_group(con, FULL, "service", Config()), "service", "Service").set_index("Service")
    assert shown.loc["MASH", "Agreement"] == "too few" and shown.loc["MASH", "Kappa band"] == "too few"
    assert shown.loc["MASH", "Moderated audits"] == 4               # n is always shown
    assert shown.loc["AI", "Agreement"] == "70.0%" and shown.loc["AI", "Within one grade"] == "95.0%"
    assert shown.loc["AI", "Downgraded"] == "5" and shown.loc["AI", "Upgraded"] == "1"
    assert shown.loc["AI", "Net drift (grades)"] == "+0.25" and shown.loc["AI", "Kappa band"] == "moderate"
    assert shown.loc["AI", "Weighted kappa (95% CI)"].startswith("0.53 (")


def test_by_auditor_role_by_hand(con):
    df = md.by_group(con, FULL, "auditor_role").set_index("auditor_role")
    tm = df.loc["Team Manager"]
    assert {k: tm[k] for k in TM} == approx(TM)
    assert tm["band"] == "moderate" and not tm["too_few"]           # 0.497 shows as 0.50: moderate
    sm = df.loc["Service Manager"]                                   # M1 M2 moderated, M5 provisional
    assert (sm["moderated"], sm["provisional"], sm["agreement_pct"], sm["too_few"]) == (2, 1, 100.0, True)


def test_by_team_all_too_few(con):
    df = md.by_group(con, FULL, "team").set_index("team")
    assert list(df.index) == ["AI T1", "AI T2", "MASH T1"]
    assert list(df["service"]) == ["AI", "AI", "MASH"]
    assert list(df["moderated"]) == [10, 10, 4] and list(df["provisional"]) == [1, 0, 1]
    assert df["too_few"].all()
    # AI T1 = January's AI audits: 7 of 10 agree, drift 3/10
    assert df.loc["AI T1", "agreement_pct"] == pytest.approx(70.0)
    assert df.loc["AI T1", "net_drift"] == pytest.approx(0.3)


def test_too_few_is_below_twenty():
    pairs19 = [(2, 2, 19)]
    pairs20 = [(2, 2, 20)]
    assert md.with_extras(md.pair_figures(pairs19), pairs19)["too_few"]
    assert not md.with_extras(md.pair_figures(pairs20), pairs20)["too_few"]


def test_group_filters_respect_the_viewers_scope(con):
    """A viewer whose scope is MASH sees no AI row even without a service filter."""
    df = md.by_group(con, Filters("2025-01", "2025-02", scope=("MASH",)), "service")
    assert list(df["service"]) == ["MASH"]


# --- trend -------------------------------------------------------------------------------------
def test_trend_by_month_quarter_and_rolling(con):
    df = md.trend(con, FULL, "month").set_index("period")
    assert list(df.index) == ["2025-01", "2025-02"]
    assert list(df["moderated"]) == [10, 14] and list(df["provisional"]) == [1, 1]
    assert df.loc["2025-01", "agreement_pct"] == pytest.approx(70.0)
    assert df.loc["2025-02", "agreement_pct"] == pytest.approx(9 / 14 * 100)
    assert df.loc["2025-01", "net_drift"] == pytest.approx(0.3)
    assert df.loc["2025-02", "net_drift"] == pytest.approx(2 / 14)
    assert (df.loc["2025-01", "agreement_ci_low"], df.loc["2025-01", "agreement_ci_high"]) == \
        pytest.approx(wilson_interval(7, 10))
    # both months are in 2024-25 Q4: which the period covers only in part: the label says so
    q = md.trend(con, FULL, "quarter")
    assert list(q["period"]) == ["2024-25 Q4 (Jan–Feb only)"]
    assert q["agreement_pct"][0] == pytest.approx(ALL["agreement_pct"])
    # rolling: January covers Nov-Jan (January only), February Dec-Feb (everything)
    r = md.trend(con, FULL, "rolling3").set_index("period")
    assert list(r["moderated"]) == [10, 24]
    assert r.loc["2025-02", "net_drift"] == pytest.approx(5 / 24)


def test_trend_is_drift_narrowed_to_each_period(con):
    """trend reads every period from one query: each row equals drift() with the filters narrowed to the period
    (overlapping rolling windows and a service filter included)."""
    import dataclasses
    for f in (FULL, dataclasses.replace(FULL, services=("MASH",))):
        for grain in ("month", "quarter", "rolling3"):
            got = md.trend(con, f, grain)
            want = [(label, md.drift(con, g)) for label, g in md._periods(f, grain)]
            want = [(label, d) for label, d in want if d["moderated"]]
            assert list(got["period"]) == [label for label, _ in want], (f, grain)
            for (_, row), (_, d) in zip(got.iterrows(), want):
                assert row["provisional"] == d["provisional"] and row["audits"] == d["moderated"] + d["provisional"]
                for c in md.FIGURE_COLUMNS:   # floats: the pairs may come in another order (last-bit sums)
                    if isinstance(d[c], float):
                        assert row[c] == pytest.approx(d[c], rel=1e-12), (grain, c)
                    else:
                        assert row[c] == d[c] or (row[c] != row[c] and d[c] is None), (grain, c)


# --- benchmarking panel ----------------------------------------------------------------------------
def test_benchmarking_by_hand(con):
    b = md.benchmarking(con, FULL)
    # A01 G->G and M3 O->O unchanged; A07 O->G lowered; A08 R->G raised
    assert (b["benchmarked"], b["changed"], b["raised"], b["lowered"]) == (4, 2, 1, 1)
    assert b["changed_pct"] == 50.0
    assert (b["changed_ci_low"], b["changed_ci_high"]) == wilson_interval(2, 4)
    assert sorted(b["pairs"]) == [(1, 1, 1), (1, 2, 1), (2, 2, 1), (3, 2, 1)]
    assert md.pct_with_range(b["changed_pct"], b["changed_ci_low"], b["changed_ci_high"], 4) == \
        f"50.0% ({format_pct(wilson_interval(2, 4)[0])} to {format_pct(wilson_interval(2, 4)[1])})"


# --- pillars -----------------------------------------------------------------------------------
def test_pillar_drift_by_hand(con):
    df = md.pillar_drift(con, FULL, Config()).set_index("pillar")
    assert list(df.index) == [V, AS]                                 # configured order
    v = df.loc[V]
    assert (v["rows"], v["provisional"]) == (21, 1)                  # A21's V row is not moderated
    assert {k: v[k] for k in AI} == approx(AI)                       # V's pairs are AI's pairs
    assert v["band"] == "moderate" and not v["too_few"]
    a = df.loc[AS]                                                   # (1,2) and (3,3); M5 unmoderated
    assert (a["rows"], a["provisional"], a["moderated"], a["agreement_pct"], a["too_few"]) == (3, 1, 2, 50.0, True)
    assert (a["downgraded"], a["upgraded"], a["net_drift"]) == (1, 0, 0.5)
    pairs = md.pillar_pairs(con, FULL)
    assert pairs[AS] == [(1, 2, 1), (3, 3, 1)]


# --- kappa interval and band ---------------------------------------------------------------------
def test_landis_koch_boundaries():
    cases = {-0.5: "poor", -0.01: "poor", -0.004: "slight", 0.0: "slight", 0.2: "slight", 0.204: "slight",
             0.205: "fair", 0.21: "fair", 0.4: "fair", 0.41: "moderate", 0.6: "moderate", 0.61: "substantial",
             0.8: "substantial", 0.81: "almost perfect", 1.0: "almost perfect"}
    for kappa, band in cases.items():
        assert md.landis_koch(kappa) == band, kappa
    assert md.landis_koch(None) is None


def test_vectorised_kappa_equals_metrics_weighted_kappa():
    rng = np.random.default_rng(7)
    for _ in range(50):
        m = rng.integers(0, 6, size=(4, 4))
        pairs = [(i + 1, j + 1, int(m[i, j])) for i in range(4) for j in range(4) if m[i, j]]
        if not pairs:
            continue
        assert md.kappas(md.matrix(pairs)) == pytest.approx(metrics.weighted_kappa(pairs), abs=1e-12)
    assert md.kappas(md.matrix([(3, 3, 5)])) == 1.0                # all in one diagonal cell


def test_kappa_interval_is_deterministic_and_contains_the_estimate(con):
    pairs = metrics.grade_pairs(con, FULL)
    first = md.kappa_interval(pairs)
    assert md.kappa_interval(pairs) == first                          # same data, same interval
    assert md.kappa_interval(list(reversed(pairs))) == first           # whatever the row order
    assert first[0] <= metrics.weighted_kappa(pairs) <= first[1]
    assert md.kappa_interval([]) == (None, None)


def test_kappa_interval_hand_checked():
    # Two audits, (1,1) and (1,2). A resample of two is both (1,1) with probability 1/4: kappa 1 (every
    # pair in one diagonal cell); otherwise the moderator's column has a Good and expected = observed,
    # so kappa 0 (both (1,2): observed 1/3, expected 1/3; one of each: 1/6 and 1/6). With ~25% ones
    # and ~75% zeros among 2,000 resamples, the 2.5th percentile is 0 and the 97.5th is 1.
    assert md.kappa_interval([(1, 1, 1), (1, 2, 1)]) == (0.0, 1.0)
    # Perfect agreement: every resample agrees perfectly.
    assert md.kappa_interval([(1, 1, 5), (2, 2, 5), (4, 4, 3)]) == (1.0, 1.0)


def test_kappa_intervals_of_many_sets_equal_each_alone(con):
    """A page's groups are scored together; each group's interval is still exactly its own (its resamples
    drawn as kappa_interval draws them), whatever is beside it: empty sets, one-cell sets, other groups."""
    sets = [metrics.grade_pairs(con, FULL), [], [(1, 1, 1), (1, 2, 1)], [(3, 3, 5)],
            [(1, 1, 5), (2, 2, 5), (4, 4, 3)], [(2, 3, 7), (3, 2, 4), (3, 3, 9), (4, 4, 2)]]
    alone = [md.kappa_interval(s) for s in sets]
    assert md.kappa_intervals(sets) == alone
    assert md.kappa_intervals(sets[::-1]) == alone[::-1]
    assert alone[1] == (None, None) and alone[2] == (0.0, 1.0) and alone[3] == (1.0, 1.0)


def test_kappa_interval_is_fast():
    pairs = [(a, b, 175 if a == b else 50) for a in range(1, 5) for b in range(1, 5) if abs(a - b) <= 1]
    assert sum(n for *_, n in pairs) == 1000
    best = math.inf
    for _ in range(5):
        t = time.perf_counter()
        md.kappa_interval(pairs)
        best = min(best, time.perf_counter() - t)
    assert best < 0.05


def test_display_formats():
    assert md.format_signed(0.25) == "+0.25" and md.format_signed(-0.125) == "-0.13" and md.format_signed(0.0) == "0.00"
    assert md.format_kappa(0.5333, 0.2, 0.8) == "0.53 (0.20 to 0.80)"
    assert md.pct_with_range(70.0, 50.0, 85.0, 20) == "70.0%"
    assert md.pct_with_range(70.0, 39.7, 89.2, 10) == "70.0% (39.7% to 89.2%)"


# --- the page ------------------------------------------------------------------------------------
@pytest.fixture
def page_dir(tmp_path, monkeypatch, db):
    return use_council_db(db, tmp_path, monkeypatch)


def open_page(**query):
    return open_app_page("pages/moderation.py", **query)


metric = shown_metric


def frame(at, first_column):
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


def test_page_shows_the_summary_figures(page_dir, db):
    at = open_page()
    code, out, err = run_cli("summary", "--db", db, "--from", "2025-01", "--to", "2025-02")
    s = json.loads(out)["moderation"]
    assert metric(at, "Moderated audits") == str(s["moderated"]) == "24"
    assert metric(at, "Agreement") == format_pct(s["agreement_pct"]) == "66.7%"
    assert metric(at, "Within one grade") == "95.8%"                  # 23/24
    assert metric(at, "Downgraded") == str(s["downgraded"]) == "6"
    assert metric(at, "Upgraded") == str(s["upgraded"]) == "2"
    assert metric(at, "Net drift (grades)") == "+0.21"                # 5/24 = 0.208
    assert metric(at, "Weighted kappa") == f"{s['weighted_kappa']:.2f}" == "0.54"
    with Database(db).read() as c:
        d = md.drift(c, FULL)
    assert metric(at, "Kappa 95% interval") == f"{md.format_kappa(d['kappa_ci_low'])}–{md.format_kappa(d['kappa_ci_high'])}"
    assert any("2 provisional audits" in w.value for w in at.warning)
    # by group
    service = frame(at, "Service").set_index("Service")
    assert service.loc["AI", "Agreement"] == "70.0%" and service.loc["MASH", "Agreement"] == "too few"
    role = frame(at, "Auditor role").set_index("Auditor role")
    assert role.loc["Team Manager", "Agreement"] == format_pct(14 / 22 * 100)
    assert role.loc["Service Manager", "Net drift (grades)"] == "too few"
    assert (frame(at, "Team")["Agreement"] == "too few").all()
    # benchmarking panel: 2 of 4 changed, shown with its range (fewer than 20)
    assert metric(at, "Benchmarked") == "4" and metric(at, "Grade changed") == "2"
    assert metric(at, "Changed (%)").startswith("50.0% (")
    assert metric(at, "Higher / lower") == "1 / 1"
    # pillars
    pillars = frame(at, "Pillar").set_index("Pillar")
    assert pillars.loc[V, "Agreement"] == "70.0%" and pillars.loc[AS, "Agreement"] == "too few"


def test_page_follows_the_url_filters(page_dir, db):
    at = open_page(service="AI")
    code, out, err = run_cli("summary", "--db", db, "--service", "AI")
    s = json.loads(out)["moderation"]
    assert metric(at, "Moderated audits") == "20"
    assert metric(at, "Agreement") == format_pct(s["agreement_pct"]) == "70.0%"
    assert metric(at, "Net drift (grades)") == "+0.25"


def test_page_with_too_few_shows_ranges(page_dir):
    at = open_page(service="MASH")                                    # 4 moderated audits
    assert metric(at, "Agreement") == f"50.0% ({format_pct(wilson_interval(2, 4)[0])} to " \
                                      f"{format_pct(wilson_interval(2, 4)[1])})"
    assert any("Fewer than 20" in i.value for i in at.info)


def test_page_on_an_empty_database(empty_council_db):
    at = open_page()
    assert any("No audits" in i.value for i in at.info)


@pytest.mark.parametrize("by, field", [("service", "services"), ("team", "teams"), ("auditor_role", "auditor_roles")])
def test_by_group_rows_equal_drift_with_the_filters_narrowed_to_the_group(con, by, field):
    import dataclasses
    # One query for every group's pairs gives what drift gives with the filters narrowed to one group.
    df = md.by_group(con, FULL, by)
    assert len(df)
    for row in df.to_dict("records"):
        one = md.drift(con, dataclasses.replace(FULL, **{field: (row[by],)}))
        assert row["provisional"] == one["provisional"]
        assert {c: row[c] for c in md.FIGURE_COLUMNS} == pytest.approx({c: one[c] for c in md.FIGURE_COLUMNS},
                                                                       nan_ok=True)


def test_pillar_figures_are_pillar_drift_and_pillar_pairs_from_one_read(con):
    drift, pairs = md.pillar_figures(con, FULL, Config())
    assert drift.equals(md.pillar_drift(con, FULL, Config()))
    assert pairs == md.pillar_pairs(con, FULL)


# --- the roll-up of moderated pillar grade pairs (pillar_pair_rollup) ----------------------------------
def test_pillar_pair_rollup_by_hand_and_equal_to_the_rows(tmp_path):
    """test_rollups' audits and pillar rows: A1 (January, MASH, team M1) Assessment Good moderated to Requires
    Improvement; A1's Planning and A2's Assessment not moderated (left out); A4 and A5 (February, AI, team A1)
    Assessment Good moderated Good: one row, n = 2. A team filter (not kept) reads the rows: naming every team
    gives what the roll-up gives."""
    from test_rollups import AA, AUDITS, FEB, JAN, PILLARS
    path = load_csv_texts(tmp_path / "qa.duckdb", {"audits.csv": AUDITS, "audit_pillars.csv": PILLARS})
    assert rollup_rows(path) == [(JAN, "MASH", AA, "Good", "Requires Improvement", 1), (FEB, "AI", AA, "Good", "Good", 2)]
    with Database(path).read() as c:
        rolled = md.pillar_pairs(c, Filters("2025-01", "2025-02"))
        assert rolled == {AA: [(2, 2, 2), (2, 3, 1)]}
        assert md.pillar_pairs(c, Filters("2025-01", "2025-02", teams=("A1", "M1"))) == rolled
        assert md.pillar_pairs(c, Filters("2025-01", "2025-02", teams=("M1",))) == {AA: [(2, 3, 1)]}
        assert md.pillar_pairs(c, Filters("2025-02", "2025-02", services=("MASH",))) == {}


def rollup_rows(path):
    with Database(path).read() as c:
        return c.execute("SELECT month, service, pillar, auditor_grade, moderated_grade, n FROM pillar_pair_rollup "
                         "ORDER BY ALL").fetchall()


def test_pillar_pair_rollup_follows_load_undo_and_erasure(tmp_path):
    from analytics import backups, erasure
    from conftest import run_cli
    from test_rollups import AA, AUDITS, FEB, PILLARS
    path = load_csv_texts(tmp_path / "qa.duckdb", {"audits.csv": AUDITS, "audit_pillars.csv": PILLARS})
    before = rollup_rows(path)
    (tmp_path / "more.csv").write_text("audit_id,pillar,auditor_grade,moderated_grade\n"
                                       "A3,Assessment and analysis,Inadequate,Requires Improvement\n")
    assert run_cli("load", "--db", path, "--dataset", "audit_pillars", tmp_path / "more.csv")[0] == 0
    assert rollup_rows(path) == before + [(FEB, "AI", AA, "Inadequate", "Requires Improvement", 1)]
    last = max(load.load_id for load in backups.history(Database(path)))
    backups.undo(Database(path), last, user="test")
    assert rollup_rows(path) == before
    erasure.erase_child(Database(path), "C01", user="test")             # A1
    assert rollup_rows(path) == before[1:]
