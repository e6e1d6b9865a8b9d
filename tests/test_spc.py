"""XmR charts: the NHSRplotthedots unit cases (ported from its tests/testthat) and hand-worked series."""
import numpy as np
import pytest

from analytics import spc
from analytics.spc import xmr

# --- ported from tests/testthat/test-ptd_calculate_point_type.R ------------------------------------


def eq(a, b):
    np.testing.assert_array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


def test_seven_point_one_side_mean():
    eq(spc.seven_point_one_side_mean([]), [])
    eq(spc.seven_point_one_side_mean([1] * 6), [0] * 6)
    eq(spc.seven_point_one_side_mean([1] * 6 + [-1]), [0] * 7)
    eq(spc.seven_point_one_side_mean([1] * 8 + [-1]), [0] * 6 + [1, 1, 0])
    eq(spc.seven_point_one_side_mean([-1] * 8 + [1]), [0] * 6 + [1, 1, 0])
    # a point on the centre (0) never counts
    eq(spc.seven_point_one_side_mean([0] * 8), [0] * 8)


def test_part_of_seven_trend():
    eq(spc.part_of_seven_trend([]), [])
    eq(spc.part_of_seven_trend([0] * 6), [0] * 6)
    eq(spc.seven_point_one_side_mean([1] * 6 + [-1]), [0] * 7)
    eq(spc.seven_point_one_side_mean([-1] + [1] * 8 + [-1]), [0] * 7 + [1, 1, 0])
    eq(spc.seven_point_one_side_mean([1] + [-1] * 8 + [1]), [0] * 7 + [1, 1, 0])
    # every point of the run is flagged, for a falling (-1) run as for a rising one
    eq(spc.part_of_seven_trend([0] * 7 + [1, 1, 0]), [0] + [1] * 8 + [0])
    eq(spc.part_of_seven_trend([0] * 7 + [-1, 0, 0]), [0] + [1] * 7 + [0, 0])


def test_seven_point_trend():
    eq(spc.seven_point_trend([]), [])
    eq(spc.seven_point_trend(range(1, 7)), [0] * 6)
    eq(spc.seven_point_trend([1, 2, 3, 3, 4, 5, 6]), [0] * 7)
    eq(spc.seven_point_trend(range(1, 8)), [0] * 6 + [1])
    eq(spc.seven_point_trend([2, *range(1, 8), 3]), [0] * 7 + [1, 0])
    eq(spc.seven_point_trend(range(7, 0, -1)), [0] * 6 + [-1])
    eq(spc.seven_point_trend([2, *range(7, 0, -1), 3]), [0] * 7 + [-1, 0])


def test_two_in_three():
    eq(spc.two_in_three([]), [])
    eq(spc.two_in_three([0, 0, 0]), [0, 0, 0])
    for v in ([1, 0, 1], [0, 1, 1], [1, 1, 0]):
        eq(spc.two_in_three(v), [1, 1, 1])
    eq(spc.two_in_three([0, 0, 1, 0, 1, 0, 0]), [0, 0, 1, 1, 1, 0, 0])
    eq(spc.two_in_three([0, 0, 1, 1, 0, 0, 0]), [0, 1, 1, 1, 1, 0, 0])
    # the current R version also needs the 3 points on one side of the centre
    eq(spc.two_in_three([1, 0, 1], [1, 1, 1]), [1, 1, 1])
    eq(spc.two_in_three([1, 0, 1], [1, -1, 1]), [0, 0, 0])
    eq(spc.two_in_three([1, 0, 1], [1, 0, 1]), [0, 0, 0])


def test_part_of_two_in_three():
    cases = [([], []), ([0, 0, 0], [0, 0, 0]), ([1, 0, 1], [1, 0, 1]), ([0, 1, 1], [0, 1, 1]),
             ([1, 1, 0], [1, 1, 0]), ([0, 0, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 0, 0]),
             ([1, 0, 0, 1], [0, 0, 0, 0]), ([1, 0, 0, 1, 1], [0, 0, 0, 1, 1])]
    for v, expected in cases:
        eq(spc.part_of_two_in_three(spc.two_in_three(v), v), expected)
    gv = [0, 0, 1, 1, 0, 0, 0]
    eq(spc.part_of_two_in_three(gv, gv), gv)


def test_special_cause_flag_any_rule():
    """R: outside limits, a trend, a shift or 2-in-3 each make a point special cause; none leaves it common."""
    y = [0, 0, 0, 0, 0, 0, 0, 0]
    rtm = [0] * 8
    close = [0] * 8
    outside = [0, 0, 0, 0, 0, 1, 1, 0]
    rule, up = spc.special_cause_type(y, rtm, close, outside)
    assert list(rule) == ["", "", "", "", "", "outside", "outside", ""]


# --- ported from tests/testthat/test-ptd_spc_standard.R -----------------------------------------
# R's rnorm(20) after set.seed(123): the snapshot gives mean 0.142, limits -3.01 and 3.29.
RNORM = [-0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499, 0.46091621, -1.26506123,
         -0.68685285, -0.44566197, 1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113, 1.78691314,
         0.49785048, -1.96661716, 0.70135590, -0.47279141]


def test_standard_snapshot():
    r = xmr(RNORM)
    assert r["centre"].iloc[0] == pytest.approx(0.142, abs=5e-4)
    assert r["lower"].iloc[0] == pytest.approx(-3.01, abs=5e-3)
    assert r["upper"].iloc[0] == pytest.approx(3.29, abs=5e-3)
    assert (r["group"] == 0).all()
    assert (r["special_cause"] == "common_cause").all()


def test_standard_outlier_screening_changes_limits():
    y = list(RNORM)
    y[14] = 10
    r1, r2, r3 = xmr(RNORM), xmr(y), xmr(y, screen_outliers=False)
    for col in ("lower", "upper"):
        assert r1[col].iloc[0] != r2[col].iloc[0] != r3[col].iloc[0] != r1[col].iloc[0]
    assert r3["upper"].iloc[0] - r3["lower"].iloc[0] > r2["upper"].iloc[0] - r2["lower"].iloc[0]


def test_standard_rebase_group():
    assert list(xmr(RNORM)["group"]) == [0] * 20
    assert list(xmr(RNORM, rebase_at=[10])["group"]) == [0] * 10 + [1] * 10


def test_standard_fix_after_n_points_changes_limits():
    s0, s1 = xmr(RNORM), xmr(RNORM, fix_after_n_points=12)
    assert s1["lower"].iloc[0] != s0["lower"].iloc[0]
    assert s1["upper"].iloc[0] != s0["upper"].iloc[0]


def test_two_in_three_needs_same_side():
    y = [1, -1] * 8
    y[14], y[15] = 5.5, -5.5
    assert list(xmr(y)["special_cause"].tail(2)) == ["common_cause", "common_cause"]


# --- hand-worked series -----------------------------------------------------------------------------
# Baseline [11, 9] × 6: centre 10, every moving range 2, mean MR 2 (2 < 3.267 × 2, none screened):
# limits 10 ± 5.32 = [4.68, 15.32], near-limits 10 ± 3.5467 = [6.4533, 13.5467].
BASE = [11, 9] * 6


def test_limits_by_hand():
    r = xmr(BASE)
    assert r["centre"].iloc[0] == pytest.approx(10)
    assert r["lower"].iloc[0] == pytest.approx(4.68)
    assert r["upper"].iloc[0] == pytest.approx(15.32)
    assert r["near_lower"].iloc[0] == pytest.approx(10 - 2 * 2.66 / 3 * 2)
    assert r["near_upper"].iloc[0] == pytest.approx(10 + 2 * 2.66 / 3 * 2)
    assert (r["special_cause"] == "common_cause").all() and (r["rule"] == "").all()
    assert len(r) == 12 and list(r["value"]) == BASE


def test_outside_rule_and_outlier_screening():
    # [9, 11] × 6 + [20]: mean 140/13; MRs eleven 2s and a 9: mean MR 31/12 = 2.5833; 9 ≥ 3.267 × 2.5833 = 8.44
    # is screened out, mean MR 2: upper = 140/13 + 5.32 = 16.089 < 20.
    y = [9, 11] * 6 + [20]
    r = xmr(y)
    assert r["centre"].iloc[0] == pytest.approx(140 / 13)
    assert r["upper"].iloc[0] == pytest.approx(140 / 13 + 5.32)
    assert np.isnan(r["mr"].iloc[-1]) and r["mr"].iloc[1] == 2
    assert r["rule"].iloc[-1] == "outside" and r["special_cause"].iloc[-1] == "improvement"
    assert (r["rule"].iloc[:-1] == "").all()
    unscreened = xmr(y, screen_outliers=False)
    assert unscreened["upper"].iloc[0] == pytest.approx(140 / 13 + 2.66 * 31 / 12)
    # a low point outside is a concern when higher is better, an improvement when lower is better
    low = BASE + [3]
    assert xmr(low, fix_after_n_points=12)["special_cause"].iloc[-1] == "concern"
    assert xmr(low, "lower is better", fix_after_n_points=12)["special_cause"].iloc[-1] == "improvement"


def test_trend_rule():
    # After the fixed baseline: 7 points each higher than the last, all within the near-limits, from below the
    # centre to above it. All 7 are a rising trend: improvement when higher is better, whichever side they sit.
    y = BASE + [8, 8.5, 9, 9.5, 10.5, 11, 11.5]
    r = xmr(y, fix_after_n_points=12)
    assert list(r["rule"]) == [""] * 12 + ["trend"] * 7
    assert list(r["special_cause"].iloc[12:]) == ["improvement"] * 7
    assert list(r["direction"].iloc[12:]) == [1] * 7
    assert list(xmr(y, "lower is better", fix_after_n_points=12)["special_cause"].iloc[12:]) == ["concern"] * 7
    assert list(xmr(y, "neutral", fix_after_n_points=12)["special_cause"].iloc[12:]) == ["neutral_high"] * 7
    # six rises are not enough; a tie breaks the run
    assert (xmr(BASE + [8, 8.5, 9, 9.5, 10.5, 11], fix_after_n_points=12)["rule"] == "").all()
    assert (xmr(BASE + [8, 8.5, 9, 9, 10.5, 11, 11.5], fix_after_n_points=12)["rule"] == "").all()
    # a falling trend
    down = xmr([9, 11] * 6 + [12, 11.5, 11, 10.5, 9.5, 9, 8.5], fix_after_n_points=12)
    assert list(down["special_cause"].iloc[12:]) == ["concern"] * 7


def test_two_in_three_rule():
    # 14 lies between the near-limit 13.55 and the limit 15.32; 12 is above the centre but not near:
    # the window (14, 12, 14) flags the two 14s only.
    y = BASE + [14, 12, 14, 10]
    r = xmr(y, fix_after_n_points=12)
    assert list(r["rule"].iloc[11:]) == ["", "two_in_three", "", "two_in_three", ""]
    assert list(r["special_cause"].iloc[11:]) == ["common_cause", "improvement", "common_cause", "improvement",
                                                  "common_cause"]
    # near, then one outside: the outside point is not "near", so only the outside rule fires
    r = xmr(BASE + [14, 16, 10], fix_after_n_points=12)
    assert list(r["rule"].iloc[12:]) == ["", "outside", ""]
    # below the centre, lower is better: improvement
    r = xmr(BASE + [6, 7, 6], "lower is better", fix_after_n_points=12)
    assert list(r["rule"].iloc[12:]) == ["two_in_three", "", "two_in_three"]
    assert list(r["special_cause"].iloc[12:]) == ["improvement", "common_cause", "improvement"]


def test_shift_rule():
    # [11, 9] × 6 ends below the centre; seven points at 10.5 sit above it: a shift of 7, and no more.
    y = BASE + [10.5] * 7
    r = xmr(y, fix_after_n_points=12)
    assert list(r["rule"]) == [""] * 12 + ["shift"] * 7
    assert list(r["special_cause"].iloc[12:]) == ["improvement"] * 7
    assert list(xmr(y, "lower is better", fix_after_n_points=12)["special_cause"].iloc[12:]) == ["concern"] * 7
    # six are not enough; a point exactly on the centre breaks the run
    assert (xmr(BASE + [10.5] * 6, fix_after_n_points=12)["rule"] == "").all()
    assert (xmr(BASE + [10.5] * 3 + [10] + [10.5] * 3, fix_after_n_points=12)["rule"] == "").all()
    low = xmr(BASE + [9.5] * 8, "neutral", fix_after_n_points=12)
    # the last baseline point (9) is below the centre too: 9 points in the run, all flagged
    assert list(low["rule"].iloc[11:]) == ["shift"] * 9
    assert set(low["special_cause"].iloc[11:]) == {"neutral_low"}


def test_rule_order_trend_beats_shift():
    # rising 7 points all above the centre: both trend and shift; trend is reported
    y = BASE + [10.2, 10.4, 10.6, 10.8, 11, 11.2, 11.4]
    r = xmr(y, fix_after_n_points=12)
    assert list(r["rule"].iloc[12:]) == ["trend"] * 7


def test_neutral_labelling():
    r = xmr(BASE + [16, 4], "neutral", fix_after_n_points=12)
    assert list(r["special_cause"].iloc[12:]) == ["neutral_high", "neutral_low"]
    assert (r["assurance"] == "").all()


def test_fixed_baseline():
    # limits from the first 12 only: the later points do not move them
    r = xmr(BASE + [30, 30], fix_after_n_points=12)
    assert r["centre"].iloc[-1] == pytest.approx(10) and r["upper"].iloc[-1] == pytest.approx(15.32)
    assert list(r["baseline"]) == [True] * 12 + [False] * 2
    with pytest.raises(ValueError, match="at least 12"):
        xmr(BASE, fix_after_n_points=11)
    # a baseline longer than the series uses it all
    assert xmr(BASE, fix_after_n_points=20)["centre"].iloc[0] == pytest.approx(10)


def test_rebasing():
    # [11, 9] × 6 then [21, 19] × 6. Rebased at 12: centres 10 and 20, mean MR 2 each, nothing special.
    y = BASE + [21, 19] * 6
    r = xmr(y, rebase_at=[12])
    assert list(r["group"]) == [0] * 12 + [1] * 12
    assert list(r["centre"]) == [10] * 12 + [20] * 12
    assert r["upper"].iloc[-1] == pytest.approx(25.32)
    assert (r["special_cause"] == "common_cause").all()
    # Not rebased: centre 15; MRs 2 × 22 and 12; mean 56/23 = 2.43; 12 ≥ 3.267 × 2.43 screened: mean MR 2,
    # limits [9.68, 20.32]: every 9 and 21 is outside.
    one = xmr(y)
    assert one["centre"].iloc[0] == pytest.approx(15) and one["lower"].iloc[0] == pytest.approx(9.68)
    assert set(one.loc[one["value"].isin([9, 21]), "rule"]) == {"outside"}
    # a rebase at 0 or repeated changes nothing; outside the series is an error
    assert list(xmr(y, rebase_at=[0, 12, 12])["group"]) == list(r["group"])
    with pytest.raises(ValueError):
        xmr(y, rebase_at=[30])


def test_assurance_with_target():
    # limits [4.68, 15.32]
    def a(target, polarity="higher is better", **kw):
        return set(xmr(BASE, polarity, target=target, **kw)["assurance"])
    assert a(16) == {"consistent_fail"}
    assert a(4) == {"consistent_pass"}
    assert a(10) == {"inconsistent"}
    assert a(15.32 - 1e-9) == {"inconsistent"}
    assert a(16, "lower is better") == {"consistent_pass"}
    assert a(4, "lower is better") == {"consistent_fail"}
    assert a(16, "neutral") == {""}
    assert a(None) == {""}
    # only the last group carries it
    r = xmr(BASE + [21, 19] * 6, rebase_at=[12], target=16)
    assert list(r["assurance"]) == [""] * 12 + ["inconsistent"] * 12


def test_polarity_and_input_checks():
    with pytest.raises(ValueError, match="polarity"):
        xmr(BASE, "up")
    with pytest.raises(ValueError):
        xmr([1, float("nan"), 2])
    assert xmr([]).empty
    one = xmr([5])
    assert one["centre"].iloc[0] == 5 and np.isnan(one["upper"].iloc[0])
    assert one["special_cause"].iloc[0] == "common_cause"


def test_vectorised_rules_match_loops():
    """The numpy rule helpers agree with a direct transcription of the R loops on random series."""
    rng = np.random.default_rng(4)

    def r_two_in_three(v, rtm):
        vp, rp = [0, 0, *v, 0, 0], [0, 0, *rtm, 0, 0]
        return [float(any(sum(vp[i + k:i + k + 3]) >= 2 and abs(sum(rp[i + k:i + k + 3])) == 3 for k in range(3)))
                for i in range(len(v))]

    def r_one_side(v):
        vp = [0] * 6 + list(v)
        return [float(all(vp[i] == vp[i - k] for k in range(1, 7)) and vp[i] != 0) for i in range(6, len(vp))]

    for _ in range(50):
        n = int(rng.integers(0, 30))
        close = rng.integers(0, 2, n).astype(float)
        rtm = rng.choice([-1.0, 0.0, 1.0], n, p=[0.45, 0.1, 0.45])
        eq(spc.two_in_three(close, rtm), r_two_in_three(close, rtm))
        eq(spc.seven_point_one_side_mean(rtm), r_one_side(rtm))


def test_trend_direction_at_a_peak_follows_the_next_step():
    # R ptd_special_cause_type: a point in a trend whose next point is in a trend too takes the direction of
    # the step to the next point. Baseline [11, 9] × 6 (centre 10, limits [4.68, 15.32], near-limits
    # [6.45, 13.55]); then 8 → 11 rising by 0.5 (7 points) and 11 → 8 falling (7 points, sharing the peak).
    # No point is near a limit and no 7 sit on one side: the trend rule alone. The peak (11) is the first
    # point of the fall: decreasing, a concern when higher is better.
    up = [8, 8.5, 9, 9.5, 10, 10.5, 11]
    r = xmr(BASE + up + [10.5, 10, 9.5, 9, 8.5, 8], fix_after_n_points=12)
    assert list(r["rule"].iloc[12:]) == ["trend"] * 13
    assert list(r["direction"].iloc[12:]) == [1] * 6 + [-1] * 7
    assert list(r["special_cause"].iloc[12:]) == ["improvement"] * 6 + ["concern"] * 7
    # a trend ending at the last point takes the step into it
    end = xmr(BASE + up, fix_after_n_points=12)
    assert end["direction"].iloc[-1] == 1 and end["special_cause"].iloc[-1] == "improvement"


def test_trend_direction_at_the_end_of_a_rising_run_followed_by_a_dip_is_up():
    # metrics.md: a flagged point's direction is the run's (increasing = up). 1..7 rise (a run of 7), 7 -> 6.5
    # dips, then 6.5..13 rise (a second run of 7). Centre 97.5 / 14 = 6.964; moving ranges 1 ×6, 0.5, 1.5, 1 ×5
    # sum to 13 over 13, mean 1.0, none screened; limits 6.964 ± 2.66 = [4.304, 9.624], near-limits ± 1.773.
    # The point 7 (index 6) is inside the limits and belongs only to the first, rising run: up, an improvement
    # when higher is better. (R takes the step to the next point, 7 -> 6.5, and calls it decreasing.)
    from analytics.spc import xmr_columns_many
    y = [1, 2, 3, 4, 5, 6, 7, 6.5, 8, 9, 10, 11, 12, 13]
    r = xmr(y)
    assert r["centre"].iloc[0] == pytest.approx(97.5 / 14) and r["upper"].iloc[0] == pytest.approx(97.5 / 14 + 2.66)
    assert r["rule"].iloc[6] == "trend" and r["value"].iloc[6] == 7
    assert r["direction"].iloc[6] == 1 and r["special_cause"].iloc[6] == "improvement"
    assert xmr(y, "lower is better")["special_cause"].iloc[6] == "concern"
    many = xmr_columns_many([y], ["higher is better"], [None])[0]
    assert (many["direction"][6], many["special_cause"][6]) == (1, "improvement")
    # the mirror image: the end of a falling run followed by a rise is down
    down = xmr([-v for v in y])
    assert down["direction"].iloc[6] == -1 and down["special_cause"].iloc[6] == "concern"


def test_flat_baseline_has_no_limits_but_still_shifts():
    # R: every moving range is 0, none is < 3.267 × 0, so all are screened out and the limits are NaN; the
    # outside and 2-in-3 rules cannot fire, the shift rule still does.
    r = xmr([5] * 12 + [6] * 7, fix_after_n_points=12)
    assert r["upper"].isna().all() and r["lower"].isna().all()
    assert list(r["rule"]) == [""] * 12 + ["shift"] * 7
    assert list(r["special_cause"].iloc[12:]) == ["improvement"] * 7


def test_xmr_columns_many_equal_one_call_per_series():
    # The KPI page works out every series at once, laid end to end with gaps: each series' arrays must be the
    # ones a call of its own gives (types included), whatever its length and shape (flat, trends, shifts,
    # outliers, ties), polarity and target; an empty series has none.
    from analytics.spc import xmr_columns, xmr_columns_many
    rng = np.random.default_rng(7)
    series, polarities, targets = [], [], []
    for k in range(600):
        m = int(rng.choice([0, 1, 2, 3, 6, 7, 8, 9, 13, 20, 50, 120]))
        shape = k % 6
        if shape == 0:
            y = rng.normal(50, 5, m)
        elif shape == 1:
            y = np.round(rng.normal(10, 2, m))
        elif shape == 2:
            y = np.full(m, 3.0)
        elif shape == 3:
            y = np.cumsum(rng.choice([-1.0, 1.0, 0.5], m))
        elif shape == 4:
            y = np.concatenate([rng.normal(0, 1, m // 2), rng.normal(3, 1, m - m // 2)])
        else:
            y = rng.normal(0, 1, m)
            y[rng.integers(0, max(m, 1), size=min(m, 2))] = 9
        series.append(y)
        polarities.append(["higher is better", "lower is better", "neutral"][k % 3])
        targets.append([None, 50.0, 0.0, 3.0][k % 4])
    many = xmr_columns_many(series, polarities, targets)
    signals = 0
    for y, polarity, target, got in zip(series, polarities, targets, many):
        want = xmr_columns(y, polarity, target=target)
        if want is None:
            assert got is None and len(y) == 0
            continue
        assert list(got) == list(want)
        for c in want:
            assert got[c].dtype == want[c].dtype, c
            if want[c].dtype.kind == "f":
                assert np.array_equal(got[c], want[c], equal_nan=True), c
            else:
                assert list(got[c]) == list(want[c]), c
        signals += int((want["rule"] != "").sum())
    assert signals > 100     # the rules fire, near the ends of series too
