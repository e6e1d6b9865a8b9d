"""XmR (individuals) charts with NHS "Making Data Count" special-cause rules.

A port of NHSRplotthedots (NHS-R community; ``R/ptd_spc_standard.R``, ``R/ptd_calculate_point_type.R``,
``R/ptd_calculate_assurance_type.R``) as metrics.md "KPIs: statistical process control" specifies. Pure:
no Streamlit, no database. Each rebase group is computed on its own, exactly as the R package groups by
``rebase_group``.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

LIMIT = 2.66                    # 3 / d2 (d2 = 1.128 for moving ranges of two)
NEAR_LIMIT = 2 * LIMIT / 3      # "2 sigma"
OUTLIER_MR = 3.267              # D4: moving ranges at or above this × mean MR are screened out
MIN_BASELINE = 12               # NHSRplotthedots refuses to fix limits on fewer points
RUN = 7                         # points in a trend or a shift

POLARITIES = ("higher is better", "lower is better", "neutral")
SPECIAL_CAUSES = ("common_cause", "improvement", "concern", "neutral_high", "neutral_low")
RULES = ("outside", "trend", "two_in_three", "shift")
ASSURANCES = ("consistent_pass", "consistent_fail", "inconsistent")

_EMPTY_TYPES = {"group": np.int64, "baseline": bool, "special_cause": object, "rule": object, "direction": np.int64,
                "assurance": object}
COLUMNS = ["value", "group", "baseline", "mr", "centre", "lower", "upper", "near_lower", "near_upper",
           "special_cause", "rule", "direction", "assurance", "target"]


def _direction(polarity: str) -> int:
    """+1 when up is good, -1 when down is good, 0 for a neutral KPI (R's improvement_direction)."""
    try:
        return {"higher is better": 1, "lower is better": -1, "neutral": 0}[polarity]
    except KeyError:
        raise ValueError(f"polarity must be one of {', '.join(POLARITIES)}, not {polarity!r}") from None


# --- the four rules, on one group (vectorised ports of the R helpers) --------------------------------
def seven_point_one_side_mean(rtm: np.ndarray) -> np.ndarray:
    """1 where this point and the 6 before it share the same non-zero side of the centre
    (R ``ptd_seven_point_one_side_mean``)."""
    rtm = np.asarray(rtm, dtype=float)
    out = np.zeros(len(rtm))
    if len(rtm) >= RUN:
        w = sliding_window_view(rtm, RUN)
        out[RUN - 1:] = ((w == w[:, -1:]).all(axis=1) & (w[:, -1] != 0)).astype(float)
    return out


def seven_point_trend(y: np.ndarray) -> np.ndarray:
    """+1 (-1) where this point ends 7 points each strictly higher (lower) than the one before
    (R ``ptd_seven_point_trend``)."""
    y = np.asarray(y, dtype=float)
    out = np.zeros(len(y))
    if len(y) >= RUN:
        d = sliding_window_view(np.sign(np.diff(y)), RUN - 1)
        out[RUN - 1:] = np.where((d == 1).all(axis=1), 1.0, np.where((d == -1).all(axis=1), -1.0, 0.0))
    return out


def part_of_seven_trend(v: np.ndarray) -> np.ndarray:
    """1 where this point or one of the next 6 ends a run: every point of the run is flagged
    (R ``ptd_part_of_seven_trend``)."""
    v = np.asarray(v, dtype=float)
    if len(v) == 0:
        return np.zeros(0)
    vp = np.concatenate([np.abs(v) == 1, np.zeros(RUN - 1, bool)])
    return sliding_window_view(vp, RUN).any(axis=1).astype(float)


def two_in_three(close: np.ndarray, rtm: np.ndarray | None = None) -> np.ndarray:
    """1 where a 3-point window containing this point has 2+ points near the limits, all 3 on one side
    of the centre (R ``ptd_two_in_three``). Without ``rtm`` every point counts as on one side (the form
    the older R unit tests call)."""
    close = np.asarray(close, dtype=float)
    if len(close) == 0:
        return np.zeros(0)
    rtm = np.ones(len(close)) if rtm is None else np.asarray(rtm, dtype=float)
    vp = np.concatenate([[0, 0], close, [0, 0]])
    rp = np.concatenate([[0, 0], rtm, [0, 0]])
    # window k covers padded positions k..k+2; point i (padded i+2) lies in windows i, i+1, i+2
    hit = (sliding_window_view(vp, 3).sum(axis=1) >= 2) & (np.abs(sliding_window_view(rp, 3).sum(axis=1)) == 3)
    return sliding_window_view(hit, 3).any(axis=1).astype(float)


def part_of_two_in_three(v: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Only the points near the limits in a 2-in-3 window are flagged (R ``ptd_part_of_two_in_three``)."""
    return ((np.asarray(v) == 1) & (np.abs(np.asarray(close, dtype=float)) == 1)).astype(float)


def special_cause_type(y, rtm, close, outside) -> tuple[np.ndarray, np.ndarray]:
    """(rule, up) per point: the first matching rule (outside, trend, two_in_three, shift or '') and
    whether it points up (+1), down (-1) or nowhere (0) — R ``ptd_special_cause_type``."""
    y = np.asarray(y, dtype=float)
    rtm = np.asarray(rtm, dtype=float)
    close = np.asarray(close, dtype=float)
    outside = np.asarray(outside, dtype=bool)
    n = len(y)
    ends = seven_point_trend(y)
    rising = part_of_seven_trend((ends == 1).astype(float)) != 0
    falling = part_of_seven_trend((ends == -1).astype(float)) != 0
    trend = (rising | falling).astype(float)
    tit = part_of_two_in_three(two_in_three(close, rtm), close)
    shift = part_of_seven_trend(seven_point_one_side_mean(rtm))
    # Trend direction: the run the point belongs to (metrics.md: increasing = up), so the last point of a rising
    # run is up even when a new run starts with a dip after it. A point in both a rising and a falling run (a
    # peak or trough between two runs, which the spec leaves open) takes R's choice: the step to the next point
    # when that point is in a trend too, else the step in.
    sdy = np.sign(np.diff(y))
    if n:
        right = np.concatenate([sdy, sdy[-1:]]) if n > 1 else np.zeros(1)
        left = np.concatenate([[0.0], sdy])
        both = (np.concatenate([trend[1:], [0.0]]) != 0) & (trend != 0)
        sdy = np.where(rising & ~falling, 1.0, np.where(falling & ~rising, -1.0, np.where(both, right, left)))
    else:
        sdy = np.zeros(0)
    side = np.where(rtm > 0, 1, -1)
    rule = np.select([outside, trend != 0, tit != 0, shift != 0], list(RULES), "").astype(object)
    up = np.select([outside, trend != 0, tit != 0, shift != 0],
                   [np.where(rtm == 1, 1, -1), np.where(sdy == 1, 1, -1), side, side], 0)
    return rule, up


def point_type(up: np.ndarray, direction: int) -> np.ndarray:
    """common_cause, improvement, concern, neutral_high or neutral_low (R ``ptd_point_type``)."""
    up = np.asarray(up)
    if direction == 0:
        return np.select([up > 0, up < 0], ["neutral_high", "neutral_low"], "common_cause").astype(object)
    v = up * direction
    return np.select([v > 0, v < 0], ["improvement", "concern"], "common_cause").astype(object)


def assurance(target: float | None, lower: float, upper: float, direction: int) -> str:
    """consistent_pass / consistent_fail when the target lies outside the limits, else inconsistent;
    '' without a target or for a neutral KPI (R ``ptd_calculate_assurance_type``)."""
    if target is None or direction == 0 or pd.isna(target):
        return ""
    if target > upper:
        return "consistent_fail" if direction > 0 else "consistent_pass"
    if target < lower:
        return "consistent_pass" if direction > 0 else "consistent_fail"
    return "inconsistent"


# --- the chart -------------------------------------------------------------------------------------
def _limits(y: np.ndarray, fix: int | None, screen: bool) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(centre, mean MR, baseline flags, moving ranges used) of one group (R ``ptd_spc_standard``)."""
    base = np.arange(len(y)) < (fix if fix is not None else len(y))
    fy = np.where(base, y, np.nan)
    centre = float(np.nanmean(fy)) if base.any() else np.nan
    mr = np.concatenate([[np.nan], np.abs(np.diff(fy))])
    with np.errstate(invalid="ignore"):
        amr = np.nanmean(mr) if np.isfinite(mr).any() else np.nan
        if screen:
            # R keeps mr < 3.267 × amr; with a flat baseline (amr = 0) nothing is kept and the limits are NaN
            mr = np.where(mr < OUTLIER_MR * amr, mr, np.nan)
            amr = np.nanmean(mr) if np.isfinite(mr).any() else np.nan
    return centre, float(amr), base, mr


def xmr(values: Iterable[float], polarity: str = "higher is better", fix_after_n_points: int | None = None,
        screen_outliers: bool = True, rebase_at: Sequence[int] = (), target: float | None = None) -> pd.DataFrame:
    """One row per value (in the order given, which must be time order): the XmR limits of its group
    and its Making Data Count classification.

    ``rebase_at`` holds positions (0-based) where a new group starts; ``fix_after_n_points`` (≥ 12) fixes
    each group's limits on its first points; ``target`` gives every row of the last group an assurance.
    Columns: value, group, baseline (used for the limits), mr (moving range used, NaN if screened out or
    outside the baseline), centre, lower, upper, near_lower, near_upper, special_cause, rule, direction
    (+1 up / -1 down / 0), assurance, target.
    """
    cols = xmr_columns(values, polarity, fix_after_n_points, screen_outliers, rebase_at, target)
    if cols is None:   # typed columns, each built empty (an empty frame cast afterwards took ~3 ms)
        return pd.DataFrame({c: np.array([], dtype=_EMPTY_TYPES.get(c, float)) for c in COLUMNS})
    return pd.DataFrame(cols)


def xmr_columns(values: Iterable[float], polarity: str = "higher is better", fix_after_n_points: int | None = None,
                screen_outliers: bool = True, rebase_at: Sequence[int] = (), target: float | None = None
                ) -> dict[str, np.ndarray] | None:
    """``xmr``'s columns as arrays (None for no values), for a caller that adds columns of its own before
    framing them once (a DataFrame built and then widened column by column cost the KPI page most of its time)."""
    direction = _direction(polarity)
    y = np.asarray(list(values), dtype=float)
    if not np.isfinite(y).all():
        raise ValueError("every value must be a finite number")
    if fix_after_n_points is not None:
        if int(fix_after_n_points) != fix_after_n_points or fix_after_n_points < MIN_BASELINE:
            raise ValueError(f"fix_after_n_points must be a whole number of at least {MIN_BASELINE}")
        fix_after_n_points = int(fix_after_n_points)
    n = len(y)
    starts = sorted({int(p) for p in rebase_at if 0 < int(p) < n})
    bad = [p for p in rebase_at if not 0 <= int(p) < n] if n else list(rebase_at)
    if bad:
        raise ValueError(f"rebase positions must lie within the series (0 to {n - 1}): {bad}")
    if n == 0:
        return None
    # Columns built as arrays and framed once: a DataFrame per group, concat and .loc cost most of the
    # ~9 ms a call took (49 calls on the KPI page).
    cols: dict[str, list] = {c: [] for c in COLUMNS}
    segments = np.split(np.arange(n), starts)
    for g, seg in enumerate(segments):
        yg = y[seg]
        m = len(yg)
        centre, amr, base, mr = _limits(yg, fix_after_n_points, screen_outliers)
        lower, upper = centre - LIMIT * amr, centre + LIMIT * amr
        near_lower, near_upper = centre - NEAR_LIMIT * amr, centre + NEAR_LIMIT * amr
        with np.errstate(invalid="ignore"):
            outside = (yg > upper) | (yg < lower)
            close = ~outside & ((yg < near_lower) | (yg > near_upper))
        rtm = np.sign(yg - centre)
        rule, up = special_cause_type(yg, rtm, close, outside)
        last = g == len(segments) - 1
        for c, v in (("value", yg), ("group", np.full(m, g)), ("baseline", base), ("mr", mr),
                     ("centre", np.full(m, centre)), ("lower", np.full(m, lower)), ("upper", np.full(m, upper)),
                     ("near_lower", np.full(m, near_lower)), ("near_upper", np.full(m, near_upper)),
                     ("special_cause", point_type(up, direction)), ("rule", rule),
                     ("direction", up.astype(int)),
                     ("assurance", np.full(m, assurance(target, lower, upper, direction) if last else "",
                                           dtype=object)),
                     ("target", np.full(m, np.nan if target is None else float(target)))):
            cols[c].append(v)
    return {c: np.concatenate(v) for c, v in cols.items()}


def xmr_columns_many(series: Sequence[Sequence[float]], polarities: Sequence[str],
                     targets: Sequence[float | None]) -> list[dict[str, np.ndarray] | None]:
    """``xmr_columns`` of many series at once (one group each: no rebase, limits on every point, outliers
    screened), the same arrays as one call per series. The four rules run once over the series laid end to end
    with RUN blank points between them, so no window reaches from one series into the next (a blank is never
    on a side of the centre, near a limit or a step up or down); the limits are each series' own."""
    out: list = [None] * len(series)
    ys, parts, at = [], [], 0
    gap = np.full(RUN, np.nan)
    for i, (values, polarity) in enumerate(zip(series, polarities)):
        _direction(polarity)
        y = np.asarray(list(values), dtype=float)
        if not np.isfinite(y).all():
            raise ValueError("every value must be a finite number")
        if not len(y):
            continue
        centre, amr, base, mr = _limits(y, None, True)
        parts.append((i, at, len(y), centre, amr, base, mr))
        ys += [y, gap]
        at += len(y) + RUN
    if not parts:
        return out
    y_all = np.concatenate(ys)
    centre_all, amr_all = np.full(len(y_all), np.nan), np.full(len(y_all), np.nan)
    for _, start, m, centre, amr, _, _ in parts:
        centre_all[start:start + m], amr_all[start:start + m] = centre, amr
    lower, upper = centre_all - LIMIT * amr_all, centre_all + LIMIT * amr_all
    near_lower, near_upper = centre_all - NEAR_LIMIT * amr_all, centre_all + NEAR_LIMIT * amr_all
    blank = np.isnan(y_all)
    with np.errstate(invalid="ignore"):
        outside = ((y_all > upper) | (y_all < lower)) & ~blank
        close = (~outside & ((y_all < near_lower) | (y_all > near_upper))) & ~blank
    rtm = np.where(blank, 0.0, np.sign(y_all - centre_all))
    rule, up = special_cause_type(y_all, rtm, close, outside)
    for i, start, m, centre, amr, base, mr in parts:
        s = slice(start, start + m)
        direction, target = _direction(polarities[i]), targets[i]
        lo, hi = centre - LIMIT * amr, centre + LIMIT * amr
        u = up[s]
        out[i] = {"value": y_all[s], "group": np.full(m, 0), "baseline": base, "mr": mr,
                  "centre": np.full(m, centre), "lower": np.full(m, lo), "upper": np.full(m, hi),
                  "near_lower": np.full(m, centre - NEAR_LIMIT * amr), "near_upper": np.full(m, centre + NEAR_LIMIT * amr),
                  "special_cause": point_type(u, direction), "rule": rule[s], "direction": u.astype(int),
                  "assurance": np.full(m, assurance(target, lo, hi, direction), dtype=object),
                  "target": np.full(m, np.nan if target is None else float(target))}
    return out
