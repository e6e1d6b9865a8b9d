"""Moderation drift: how the QA team's moderated grades differ from the auditors' grades (metrics.md).

The audit figures are ``metrics.moderation`` itself, called with the filters narrowed to a group or a
period, so the page can never disagree with ``qa-dashboard summary``. This module adds what the summary
does not carry: the confusion matrix, the kappa interval (bootstrap), the Landis-Koch band, the
"too few" rule for groups, the benchmarking panel's matrix and the same figures over pillar rows.
"""
from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pandas as pd

from . import metrics
from .audits import SMALL_N
from .config import Config
from .filters import Filters, add_months, financial_quarter, month_start, part_quarter_labels, where
from .impact import wilson_interval
from .presentation import DASH, format_pct, round_half_away
from .rollups import pillar_rows, total

GRADES = 4
RESAMPLES = 2000
# Fixed so that the same data always gives the same interval (metrics.md).
SEED = 20250401
TOO_FEW = "too few"
BY_COLUMNS = {"service": "Service", "team": "Team", "auditor_role": "Auditor role"}
# Linear disagreement weights |i - j| / (k - 1), as in metrics.weighted_kappa.
_WEIGHTS = np.abs(np.subtract.outer(np.arange(GRADES), np.arange(GRADES))) / (GRADES - 1)

# Upper bounds of the Landis and Koch (1977) bands; below 0 is poor.
LANDIS_KOCH = ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"),
               (1.00, "almost perfect"))

Pairs = list[tuple[int, int, int]]


# --- kappa: band and bootstrap interval ----------------------------------------------------------
def landis_koch(kappa: float | None) -> str | None:
    """The Landis-Koch band of a kappa.

    The bands are stated to two decimals (0-0.20 slight, 0.21-0.40 fair, ...), so the kappa is rounded
    to two decimals first, as it is displayed: the band shown always matches the number shown.
    """
    if kappa is None or np.isnan(kappa):
        return None
    k = round_half_away(kappa, 2)
    if k < 0:
        return "poor"
    for upper, band in LANDIS_KOCH:
        if k <= upper:
            return band
    return "almost perfect"


def matrix(pairs: Pairs) -> np.ndarray:
    """The 4 x 4 counts, row = first rater's rank, column = second rater's rank."""
    m = np.zeros((GRADES, GRADES), dtype=np.int64)
    for a, b, n in pairs:
        m[a - 1, b - 1] += n
    return m


def kappas(counts: np.ndarray) -> np.ndarray:
    """Linear weighted kappa of each 4 x 4 table in a stack (..., 4, 4): metrics.weighted_kappa, vectorised."""
    counts = counts.astype(float)
    n = counts.sum(axis=(-2, -1))
    rows, cols = counts.sum(axis=-1), counts.sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = (counts * _WEIGHTS).sum(axis=(-2, -1)) / n
        expected = np.einsum("...i,ij,...j->...", rows, _WEIGHTS, cols) / n ** 2
        k = 1 - observed / expected
    # As metrics.weighted_kappa: 1 when both disagreements are 0 (every pair in one diagonal cell).
    return np.where(expected == 0, np.where(observed == 0, 1.0, np.nan), k)


def kappa_interval(pairs: Pairs, resamples: int = RESAMPLES, seed: int = SEED
                   ) -> tuple[float, float] | tuple[None, None]:
    """95% percentile bootstrap interval of the weighted kappa over the moderated audits.

    Resampling n audits with replacement is drawing the 16 cell counts from a multinomial with the
    observed cell shares, so all resamples are drawn and scored at once. The interval is the 2.5th and
    97.5th percentiles (linear interpolation) of the resampled kappas.
    """
    return kappa_intervals([pairs], resamples, seed)[0]


def kappa_intervals(many: list[Pairs], resamples: int = RESAMPLES, seed: int = SEED) -> list[tuple]:
    """``kappa_interval`` of each set of pairs (a page's groups), the resampled kappas of all scored together.

    Each set's resamples are drawn from its own generator with the fixed seed, exactly as ``kappa_interval``
    draws them alone, so a group's interval is the same whatever else is computed beside it (the same data
    always gives the same interval); only the scoring and the percentiles are done for all at once.
    """
    out: list[tuple] = [(None, None)] * len(many)
    draws, which = [], []
    for i, pairs in enumerate(many):
        m = matrix(pairs)
        n = int(m.sum())
        if n == 0:
            continue
        draws.append(np.random.default_rng(seed).multinomial(n, m.ravel() / n, size=resamples))
        which.append(i)
    if draws:
        scored = kappas(np.stack(draws).reshape(len(draws), resamples, GRADES, GRADES))
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)      # a set whose every resample has no kappa: None
            low, high = np.nanpercentile(scored, [2.5, 97.5], axis=1)
        for j, i in enumerate(which):
            out[i] = (float(low[j]), float(high[j]))
    return out


# --- figures over a set of grade pairs -----------------------------------------------------------
def with_extras(figures: dict[str, Any], pairs: Pairs, interval: tuple | None = None) -> dict[str, Any]:
    """Add the Wilson intervals, the kappa interval and band, and the "too few" flag to moderation figures.
    ``interval``: the pairs' kappa interval when already worked out (``kappa_intervals``)."""
    n = figures["moderated"]
    agree = sum(c for a, m, c in pairs if a == m)
    within = sum(c for a, m, c in pairs if abs(a - m) <= 1)
    low, high = kappa_interval(pairs) if interval is None else interval
    out = dict(figures)
    out["agreement_ci_low"], out["agreement_ci_high"] = wilson_interval(agree, n)
    out["within_one_ci_low"], out["within_one_ci_high"] = wilson_interval(within, n)
    out["kappa_ci_low"], out["kappa_ci_high"] = low, high
    out["band"] = landis_koch(figures["weighted_kappa"])
    out["too_few"] = n < SMALL_N
    return out


def pair_figures(pairs: Pairs) -> dict[str, Any]:
    """The metrics.moderation figures over any grade pairs (used for pillar rows, which the summary lacks).

    tests/test_moderation.py checks it equals metrics.moderation on the audits' pairs.
    """
    n = sum(c for _, _, c in pairs)
    return {
        "moderated": n,
        "agreement_pct": metrics.pct(sum(c for a, m, c in pairs if a == m), n),
        "within_one_pct": metrics.pct(sum(c for a, m, c in pairs if abs(a - m) <= 1), n),
        "downgraded": sum(c for a, m, c in pairs if m > a),
        "upgraded": sum(c for a, m, c in pairs if m < a),
        "net_drift": (sum((m - a) * c for a, m, c in pairs) / n) if n else None,
        "weighted_kappa": metrics.weighted_kappa(pairs),
    }


# --- audits --------------------------------------------------------------------------------------
def audit_counts(con, f: Filters) -> dict[str, int]:
    """Audits in the filters, how many are moderated and how many provisional (not in the drift figures)."""
    cond, params = where(f, "month", audit_columns=True)
    audits, provisional = con.execute(
        f"SELECT {total()}, {total('provisional')} FROM audit_rollup WHERE {cond}", params).fetchone()
    return {"audits": audits, "moderated": audits - provisional, "provisional": provisional}


def drift(con, f: Filters) -> dict[str, Any]:
    """metrics.moderation (the summary's figures) plus intervals, band, too-few flag and provisional count."""
    pairs = metrics.grade_pairs(con, f)
    # pair_figures is metrics.moderation over the same pairs (tests/test_moderation.py): one query, not two.
    out = with_extras(pair_figures(pairs), pairs)
    out["provisional"] = audit_counts(con, f)["provisional"]
    return out


def confusion(pairs: Pairs, labels: list[str]) -> pd.DataFrame:
    """All 16 cells: count, and row % (share of that first-rater grade) with its Wilson interval."""
    m = matrix(pairs)
    rows = []
    for i in range(GRADES):
        total = int(m[i].sum())
        for j in range(GRADES):
            n = int(m[i, j])
            low, high = wilson_interval(n, total)
            rows.append({"row_grade": labels[i], "row_rank": i + 1, "col_grade": labels[j], "col_rank": j + 1,
                         "n": n, "row_n": total, "row_pct": metrics.pct(n, total),
                         "row_ci_low": low, "row_ci_high": high})
    return pd.DataFrame(rows)


FIGURE_COLUMNS = ["moderated", "agreement_pct", "agreement_ci_low", "agreement_ci_high", "within_one_pct",
                  "within_one_ci_low", "within_one_ci_high", "downgraded", "upgraded", "net_drift",
                  "weighted_kappa", "kappa_ci_low", "kappa_ci_high", "band", "too_few"]


def by_group(con, f: Filters, by: str, config: Config | None = None) -> pd.DataFrame:
    """The drift figures per service, team or auditor role with audits in the filters.

    Each group's figures are metrics.moderation with the filters narrowed to that group. Audits with no
    team recorded are in no team's row.
    """
    if by not in BY_COLUMNS:
        raise ValueError(by)
    cond, params = where(f, "month", audit_columns=True)
    groups = con.execute(f"SELECT {by}, min(service), {total()}, {total('provisional')} FROM audit_rollup "
                         f"WHERE {cond} AND {by} IS NOT NULL GROUP BY 1 ORDER BY 1", params).fetchall()
    if by == "service" and config is not None:
        order = {code: i for i, code in enumerate(config.service_codes)}
        groups.sort(key=lambda g: (order.get(g[0], len(order)), g[0]))
    # Every group's grade pairs from one query (the filters narrowed to a group are the filters and the
    # group's value), rather than three queries per group.
    pairs: dict[str, list] = {}
    for key, a, m, n in con.execute(f"SELECT {by}, auditor_rank, moderated_rank, {total()} FROM audit_rollup "
                                    f"WHERE {cond} AND {by} IS NOT NULL AND moderated_rank IS NOT NULL "
                                    f"GROUP BY 1, 2, 3", params).fetchall():
        pairs.setdefault(key, []).append((a, m, n))
    rows = []
    intervals = kappa_intervals([pairs.get(key, []) for key, *_ in groups])
    for (key, service, audits, provisional), interval in zip(groups, intervals):
        figures = with_extras(pair_figures(pairs.get(key, [])), pairs.get(key, []), interval)
        row = {by: key}
        if by == "team":
            row["service"] = service
        row["audits"] = audits
        row["provisional"] = provisional
        row.update({c: figures[c] for c in FIGURE_COLUMNS})
        rows.append(row)
    columns = [by] + (["service"] if by == "team" else []) + ["audits", "provisional"] + FIGURE_COLUMNS
    return pd.DataFrame(rows, columns=columns)


def _periods(f: Filters, grain: str) -> list[tuple[str, Filters]]:
    """(label, filters narrowed to the period) for each month, financial quarter or rolling 3 months."""
    months, day = [], f.start
    while day <= month_start(f.month_to):
        months.append(day)
        day = add_months(day, 1)
    if grain == "month":
        return [(m.strftime("%Y-%m"), dataclasses.replace(f, month_from=m.strftime("%Y-%m"),
                                                          month_to=m.strftime("%Y-%m"))) for m in months]
    if grain == "rolling3":
        # Each month stands for itself and the two before it, as in audits.grade_series.
        return [(m.strftime("%Y-%m"), dataclasses.replace(f, month_from=add_months(m, -2).strftime("%Y-%m"),
                                                          month_to=m.strftime("%Y-%m"))) for m in months]
    if grain == "quarter":
        quarters: dict[str, list] = {}
        for m in months:
            quarters.setdefault(financial_quarter(m), []).append(m)
        part = part_quarter_labels(f)
        return [(part.get(q, q), dataclasses.replace(f, month_from=ms[0].strftime("%Y-%m"),
                                                     month_to=ms[-1].strftime("%Y-%m")))
                for q, ms in quarters.items()]
    raise ValueError(grain)


def trend(con, f: Filters, grain: str = "month") -> pd.DataFrame:
    """Agreement % (with its Wilson interval), net drift and kappa per period that has a moderated audit."""
    periods = _periods(f, grain)
    rows = []
    if not periods:
        return pd.DataFrame(rows, columns=["period", "audits", "provisional"] + FIGURE_COLUMNS)
    # Each period's figures are drift() with the filters narrowed to the period: every period's grade pairs and
    # provisional count from one query each (the periods joined to the roll-up's months), not two per period.
    labels = [label for label, _ in periods]
    span = dataclasses.replace(f, month_from=periods[0][1].month_from,
                               month_to=max(g.month_to for _, g in periods))
    cond, params = where(span, "r.month", audit_columns=True)
    bounds = ("SELECT unnest(?) AS label, unnest(?) AS lo, unnest(?) AS hi", [labels, [g.start for _, g in periods],
                                                                              [g.end for _, g in periods]])
    join = f"({bounds[0]}) p JOIN audit_rollup r ON r.month BETWEEN p.lo AND p.hi WHERE {cond}"
    pairs: dict[str, Pairs] = {}
    for label, a, m, n in con.execute(f"SELECT p.label, r.auditor_rank, r.moderated_rank, {total()} "
                                      f"FROM {join} AND r.moderated_rank IS NOT NULL GROUP BY 1, 2, 3",
                                      [*bounds[1], *params]).fetchall():
        pairs.setdefault(label, []).append((a, m, n))
    provisional = dict(con.execute(f"SELECT p.label, {total('provisional')} FROM {join} GROUP BY 1",
                                   [*bounds[1], *params]).fetchall())
    for label, interval in zip(labels, kappa_intervals([pairs.get(label, []) for label in labels])):
        figures = with_extras(pair_figures(pairs.get(label, [])), pairs.get(label, []), interval)
        if not figures["moderated"]:
            continue
        prov = provisional.get(label, 0)
        rows.append({"period": label, "audits": figures["moderated"] + prov,
                     "provisional": prov, **{c: figures[c] for c in FIGURE_COLUMNS}})
    return pd.DataFrame(rows, columns=["period", "audits", "provisional"] + FIGURE_COLUMNS)


# --- benchmarking panel ----------------------------------------------------------------------------
def benchmark_pairs(con, f: Filters) -> Pairs:
    """(moderated rank, benchmarked rank, count) over the benchmarked audits."""
    cond, params = where(f, "month", audit_columns=True)
    return con.execute(f"SELECT moderated_rank, benchmarked_rank, {total()} FROM audit_rollup WHERE {cond} "
                       f"AND benchmarked_rank IS NOT NULL AND moderated_rank IS NOT NULL GROUP BY 1, 2",
                       params).fetchall()


def benchmarking(con, f: Filters) -> dict[str, Any]:
    """metrics.benchmarking (benchmarked, changed) and which way the panel moved the moderated grade."""
    out = dict(metrics.benchmarking(con, f))
    pairs = benchmark_pairs(con, f)
    out["raised"] = sum(c for m, b, c in pairs if b < m)    # panel graded better than the moderator
    out["lowered"] = sum(c for m, b, c in pairs if b > m)   # panel graded worse
    out["changed_pct"] = metrics.pct(out["changed"], out["benchmarked"])
    out["changed_ci_low"], out["changed_ci_high"] = wilson_interval(out["changed"], out["benchmarked"])
    out["pairs"] = pairs
    return out


# --- pillar grades -------------------------------------------------------------------------------
# Moderated pillar rows counted per month, service, pillar and grade pair (labels, ranked when read): about
# 5,000 rows a year against 700,000 pillar rows. A derived table rebuilt with audit_pillars_final
# (database.DERIVED_GROUPS), so never stale. Team, cohort and auditor role are not kept: a figure filtered on
# one of those reads the pillar rows themselves.
PILLAR_PAIR_ROLLUP = """
SELECT CAST(date_trunc('month', audit_date) AS DATE) AS month, service, pillar, auditor_grade, moderated_grade,
       count(*) AS n
FROM audit_pillars_final
WHERE moderated_grade IS NOT NULL
GROUP BY ALL
ORDER BY month"""


def refresh(con) -> None:
    """Rebuild ``pillar_pair_rollup`` from audit_pillars_final (after the audit tables)."""
    con.execute(f"CREATE OR REPLACE TABLE pillar_pair_rollup AS {PILLAR_PAIR_ROLLUP}")


def pillar_pairs(con, f: Filters) -> dict[str, Pairs]:
    """Per pillar, (auditor rank, moderated rank, count) over the moderated pillar rows."""
    if f.teams is None and f.cohorts is None and f.auditor_roles is None:
        cond, params = where(f, "month", audit_columns=True)
        source = f"SELECT pillar, auditor_grade, moderated_grade, n FROM pillar_pair_rollup WHERE {cond}"
    else:
        cond, params = where(f, "audit_date", audit_columns=True)
        source = (f"SELECT pillar, auditor_grade, moderated_grade, 1 AS n FROM audit_pillars_final "
                  f"WHERE {cond} AND moderated_grade IS NOT NULL")
    out: dict[str, Pairs] = {}
    # Counted per pillar and grade labels first, then ranked: the grade scale is joined to a few dozen
    # rows, not to every pillar row.
    for pillar, a, m, n in con.execute(
            f"SELECT p.pillar, ga.rank, gm.rank, CAST(sum(p.n) AS BIGINT) FROM ("
            f"SELECT pillar, auditor_grade, moderated_grade, sum(n) AS n FROM ({source}) GROUP BY ALL) p "
            f"JOIN grade_scale ga ON ga.label = p.auditor_grade JOIN grade_scale gm ON gm.label = p.moderated_grade "
            f"GROUP BY ALL ORDER BY ALL", params).fetchall():
        out.setdefault(pillar, []).append((a, m, n))
    return out


def pillar_drift(con, f: Filters, config: Config) -> pd.DataFrame:
    """The drift figures per pillar over its moderated rows, pillars in configured order."""
    return pillar_figures(con, f, config)[0]


def pillar_figures(con, f: Filters, config: Config) -> tuple[pd.DataFrame, dict[str, Pairs]]:
    """``pillar_drift`` and the ``pillar_pairs`` it is worked out from (the page shows both: one read)."""
    source, params = pillar_rows(f)   # the per-month pillar counts (rollups.py)
    rows_by = dict(con.execute(f"SELECT pillar, {total()} FROM {source} GROUP BY 1", params).fetchall())
    pairs = pillar_pairs(con, f)
    order = [p for p in config.pillars if p in rows_by] + sorted(p for p in rows_by if p not in config.pillars)
    rows = []
    for pillar, interval in zip(order, kappa_intervals([pairs.get(pillar, []) for pillar in order])):
        figures = with_extras(pair_figures(pairs.get(pillar, [])), pairs.get(pillar, []), interval)
        rows.append({"pillar": pillar, "rows": rows_by[pillar],
                     "provisional": rows_by[pillar] - figures["moderated"],
                     **{c: figures[c] for c in FIGURE_COLUMNS}})
    return pd.DataFrame(rows, columns=["pillar", "rows", "provisional"] + FIGURE_COLUMNS), pairs


# --- display ----------------------------------------------------------------------------------
def format_signed(value: float | None, places: int = 2) -> str:
    if value is None or pd.isna(value):
        return DASH
    v = round_half_away(value, places)
    return f"{v:+.{places}f}" if v else f"{0:.{places}f}"


def format_kappa(kappa, low=None, high=None) -> str:
    if kappa is None or pd.isna(kappa):
        return DASH
    text = f"{round_half_away(kappa, 2):.2f}"
    if low is not None and not pd.isna(low):
        text += f" ({round_half_away(low, 2):.2f} to {round_half_away(high, 2):.2f})"
    return text


def display_table(df: pd.DataFrame, key: str, key_label: str, n_label: str = "Moderated audits") -> pd.DataFrame:
    """The figures as the page shows them: one decimal, "too few" below 20 moderated, "–" for none."""
    out = pd.DataFrame({key_label: df[key]})
    if "service" in df.columns and key != "service":
        out["Service"] = df["service"]
    out[n_label] = df["moderated"]
    if "provisional" in df.columns:
        out["Not moderated"] = df["provisional"]
    figures = {
        "Agreement": lambda r: format_pct(r["agreement_pct"]),
        "Within one grade": lambda r: format_pct(r["within_one_pct"]),
        "Downgraded": lambda r: str(int(r["downgraded"])),
        "Upgraded": lambda r: str(int(r["upgraded"])),
        "Net drift (grades)": lambda r: format_signed(r["net_drift"]),
        "Weighted kappa (95% CI)": lambda r: format_kappa(r["weighted_kappa"], r["kappa_ci_low"], r["kappa_ci_high"]),
        "Kappa band": lambda r: r["band"] or DASH,
    }
    for label, fmt in figures.items():
        out[label] = [TOO_FEW if r["too_few"] else fmt(r) for _, r in df.iterrows()]
    return out


def pct_with_range(value, low, high, n: int) -> str:
    """A percentage; with its 95% Wilson range when it rests on fewer than 20 records."""
    text = format_pct(value)
    if value is not None and n < SMALL_N:
        text += f" ({format_pct(low)} to {format_pct(high)})"
    return text


def rounded(df: pd.DataFrame, places: int = 3) -> pd.DataFrame:
    """Float columns rounded half away from zero for the on-screen data tables (the CSV keeps them too)."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = [None if pd.isna(v) else round_half_away(float(v), places) for v in out[col]]
    return out


def drift_sentence(net_drift: float | None, n: int) -> str:
    """Which way the moderators move grades, from the data."""
    if net_drift is None:
        return ""
    if round_half_away(net_drift, 2) == 0:
        return f"Over {n} moderated audits, moderation moved grades neither up nor down on average."
    way = "lower (worse)" if net_drift > 0 else "higher (better)"
    who = "more generously than" if net_drift > 0 else "more harshly than"
    return (f"Over {n} moderated audits the QA team graded on average {abs(round_half_away(net_drift, 2)):.2f} "
            f"of a grade {way} than the auditors: auditors grade {who} the QA team.")
