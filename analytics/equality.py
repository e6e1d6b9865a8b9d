"""Equality, diversity and inclusion: audit and pillar grades by the child's age band, gender, ethnicity, disability.

Figures follow metrics.md (final grade; good or better = Outstanding or Good; pillar rows by their final
pillar grade). This view is marked for circulation, so every table passes through ``suppression``:
counts of 1 to threshold - 1 show as "<5", the next smallest group's count is hidden too ("*") where the
total would give a lone "<5" away, and a percentage over fewer than threshold records, or over a hidden
count, shows as "–". The numbers behind
a hidden cell never leave this module: the page receives display strings, and chart values only
where they may be shown.

A blank characteristic is "Not recorded"; ``child_disability`` (yes/no) is "Disabled" / "Not disabled".
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import suppression
from .audits import SMALL_N
from .config import Config
from .datasets import get as dataset
from .filters import Filters, where
from .impact import wilson_interval
from .pillars import ordered
from .presentation import format_pct

CHARACTERISTICS = {
    "child_age_band": "Age band",
    "child_gender": "Gender",
    "child_ethnicity_group": "Ethnicity group",
    "child_disability": "Disability",
}
NOT_RECORDED = "Not recorded"
DISABLED, NOT_DISABLED = "Disabled", "Not disabled"
ALL = "All audits"
PCT, INTERVAL, PROVISIONAL = "% good or better", f"95% interval (n < {SMALL_N})", "Provisional"
NOTE = "Note"

CHART_COLUMNS = ["label", "n_text", "good_pct", "ci_low", "ci_high", "text"]

# Pillar rows with their audit's child characteristics and provisional flag (the columns where() filters on).
PILLAR_ROWS = """(SELECT pillar, final_rank, audit_date, service, team, cohort, auditor_role,
                         provisional, child_age_band, child_gender, child_ethnicity_group, child_disability
                  FROM audit_pillars_final)"""


def threshold_of(config: Config) -> int:
    return int(config["small_number_threshold"])


def group_sql(column: str) -> str:
    """The characteristic as a group label: blanks are "Not recorded"; disability yes/no in words."""
    if column not in CHARACTERISTICS:
        raise ValueError(column)
    if column == "child_disability":
        return (f"CASE WHEN child_disability THEN '{DISABLED}' WHEN NOT child_disability THEN '{NOT_DISABLED}' "
                f"ELSE '{NOT_RECORDED}' END")
    return f"coalesce(nullif(trim(CAST({column} AS VARCHAR)), ''), '{NOT_RECORDED}')"


def group_order(column: str, groups) -> list[str]:
    """Age bands youngest first, disability Disabled first, others alphabetically; "Not recorded" last."""
    if column == "child_age_band":
        configured = list(dataset("audits").column("child_age_band").choices)
    elif column == "child_disability":
        configured = [DISABLED, NOT_DISABLED]
    else:
        configured = []
    present = [g for g in dict.fromkeys(groups) if g != NOT_RECORDED]
    return ordered(present, configured) + ([NOT_RECORDED] if NOT_RECORDED in set(groups) else [])


# --- the counts (unsuppressed: for the tests and for this module only) ---------------------------
def audit_counts(con, f: Filters, column: str) -> pd.DataFrame:
    """Per group: n audits, good (final rank 1-2), provisional. Unsuppressed."""
    cond, params = where(f, "audit_date", audit_columns=True)
    df = con.execute(
        f"SELECT {group_sql(column)} AS \"group\", count(*) AS n, count(*) FILTER (final_rank <= 2) AS good, "
        f"count(*) FILTER (provisional) AS provisional FROM audits_final WHERE {cond} GROUP BY ALL", params).df()
    return _ordered_audit_counts(df, column)


def _ordered_audit_counts(df: pd.DataFrame, column: str) -> pd.DataFrame:
    # Rows picked by position (the page orders 4 tables of a few rows: set_index and reindex cost more).
    position = {g: i for i, g in enumerate(df["group"])}
    return df.take([position[g] for g in group_order(column, df["group"])]).reset_index(drop=True)


def pillar_counts(con, f: Filters, column: str, config: Config) -> pd.DataFrame:
    """Per group and pillar: n pillar rows, good, provisional. Unsuppressed."""
    cond, params = where(f, "audit_date", audit_columns=True)
    df = con.execute(
        f"SELECT {group_sql(column)} AS \"group\", pillar, count(*) AS n, count(*) FILTER (final_rank <= 2) AS good, "
        f"count(*) FILTER (provisional) AS provisional FROM {PILLAR_ROWS} WHERE {cond} GROUP BY ALL", params).df()
    return _ordered_pillar_counts(df, column, config)


def _ordered_pillar_counts(df: pd.DataFrame, column: str, config: Config) -> pd.DataFrame:
    groups = {g: i for i, g in enumerate(group_order(column, df["group"]))}
    pillar_index = {p: i for i, p in enumerate(ordered(df["pillar"], config.pillars))}
    keys = [(pillar_index[p], groups[g]) for p, g in zip(df["pillar"], df["group"])]
    return df.take(sorted(range(len(keys)), key=keys.__getitem__)).reset_index(drop=True)


# --- suppressed tables ---------------------------------------------------------------------------
@dataclass
class Rates:
    """A suppressed table for display and export, and the values a chart may draw.

    ``table``: display strings, one row per group and a last row for all audits.
    ``chart``: per group (and the all row): label, n_text, good_pct / ci_low / ci_high (None where hidden;
    the interval only under 20 records), text ("55.1% (n=42)" or "– (n=<5)").
    """
    table: pd.DataFrame
    chart: pd.DataFrame


def rates(counts: pd.DataFrame, threshold: int, label: str = "group", denominator: str = "Audits") -> Rates:
    """Suppress one characteristic's counts (group, n, good, provisional) and work out what may be shown.

    The published table gives each group's count (n) and its % good or better, and the all-audits row;
    the counts are a column that adds up to its total, so a group's count from 1 to threshold - 1 is
    "<5" and, when it is the only one hidden, the next smallest group's count is hidden too ("*"), as
    metrics.md asks. A percentage is shown only over at least threshold records and when its count is
    not hidden (with the total and the other groups' percentages it would give the hidden count back).
    Provisional counts are suppressed the same way in their own column. A note says why a row is hidden.
    """
    counts = counts.reset_index(drop=True)
    if counts.empty:
        return Rates(pd.DataFrame(), pd.DataFrame(columns=CHART_COLUMNS))
    table_rows, chart_rows = _rate_rows(list(counts["group"]), counts["n"].tolist(), counts["good"].tolist(),
                                        counts["provisional"].tolist(), threshold, label, denominator)
    return Rates(pd.DataFrame(table_rows), pd.DataFrame(chart_rows))


def _rate_rows(groups: list, n: list, good: list, provisional: list, threshold: int, label: str,
               denominator: str) -> tuple[list[dict], list[dict]]:
    """``rates``' table and chart rows, on plain lists (a page suppresses 32 tables: DataFrames per table cost
    more than the figures)."""
    suppression.check_values(n, threshold)
    suppression.check_values(provisional, threshold)
    n = [int(v) for v in n] + [int(sum(n))]
    good = [int(v) for v in good] + [int(sum(good))]
    provisional = [int(v) for v in provisional] + [int(sum(provisional))]
    keys = [*groups, ALL]
    # Each count column adds up to its total (the last row): suppression.suppression_mask with column_totals.
    marks = [m for m, in suppression.mask_values([[v] for v in n], threshold, column_totals=True)]
    prov_marks = [m for m, in suppression.mask_values([[v] for v in provisional], threshold, column_totals=True)]
    table_rows, chart_rows = [], []
    for key, count, k, mark, prov, prov_mark in zip(keys, n, good, marks, provisional, prov_marks):
        shown = suppression.display(count, mark, threshold)
        pct_text = suppression.pct_display(k, count, threshold, hidden=bool(mark))
        visible = pct_text != suppression.DASH
        low, high = wilson_interval(k, count) if visible and count < SMALL_N else (None, None)
        interval = f"{format_pct(low)[:-1]}–{format_pct(high)}" if low is not None else ""
        why = (f"Fewer than {threshold} {denominator.lower()}: suppressed" if mark == suppression.PRIMARY
               else "Hidden so that a suppressed group cannot be worked out from the total"
               if mark == suppression.SECONDARY_KIND else "")
        table_rows.append({label: key, denominator: shown, PCT: pct_text, INTERVAL: interval,
                           PROVISIONAL: suppression.display(prov, prov_mark, threshold), NOTE: why})
        chart_rows.append({"label": key, "n_text": shown, "good_pct": k / count * 100 if visible else None,
                           "ci_low": low, "ci_high": high, "text": f"{pct_text} (n={shown})"})
    return table_rows, chart_rows


def audit_rates(con, f: Filters, column: str, config: Config) -> Rates:
    """% good or better of audits by one characteristic, suppressed for circulation."""
    counts = audit_counts(con, f, column)
    return rates(counts, threshold_of(config), CHARACTERISTICS[column])


def pillar_rates(con, f: Filters, column: str, config: Config) -> Rates:
    """% good or better of each pillar's grades by one characteristic, suppressed pillar by pillar.

    ``table`` and ``chart`` are long: one block of rows per pillar (its groups, then all audits), with a
    "Pillar" column first.
    """
    return _pillar_rates(pillar_counts(con, f, column, config), column, config)


def _pillar_rates(counts: pd.DataFrame, column: str, config: Config) -> Rates:
    threshold = threshold_of(config)
    if counts.empty:
        return Rates(pd.DataFrame(), pd.DataFrame(columns=[*CHART_COLUMNS, "pillar"]))
    label = CHARACTERISTICS[column]
    table_rows, charts = [], []
    # One pillar's rows at a time (pillars in the order they come), on plain lists: one DataFrame per output.
    blocks: dict = {}
    for pillar, group, n, good, provisional in zip(counts["pillar"], counts["group"], counts["n"].tolist(),
                                                   counts["good"].tolist(), counts["provisional"].tolist()):
        b = blocks.setdefault(pillar, ([], [], [], []))
        for values, v in zip(b, (group, n, good, provisional)):
            values.append(v)
    for pillar, (groups, n, good, provisional) in blocks.items():
        rows, chart = _rate_rows(groups, n, good, provisional, threshold, label, "Pillar grades")
        table_rows += [{"Pillar": pillar, **r} for r in rows]
        charts.append([{**r, "pillar": pillar} for r in chart])
    return Rates(pd.DataFrame(table_rows), _stacked(charts))


def _stacked(blocks: list[list[dict]]) -> pd.DataFrame:
    """The chart rows of every pillar in one frame, with the columns pd.concat of one frame per pillar gives:
    a number column whose values are all None in some pillar's rows is of objects (None there, NaN for a
    missing value elsewhere), else of floats."""
    columns = [*CHART_COLUMNS, "pillar"]
    data = {}
    for c in columns:
        parts = [[r[c] for r in block] for block in blocks]
        if c in ("good_pct", "ci_low", "ci_high"):
            kinds = [all(v is None for v in p) for p in parts]
            parts = [p if none else [float("nan") if v is None else v for v in p] for p, none in zip(parts, kinds)]
            values = [v for p in parts for v in p]
            data[c] = pd.Series(values, dtype=object) if any(kinds) else pd.Series(values, dtype="float64")
        else:
            data[c] = pd.Series([v for p in parts for v in p])
    return pd.DataFrame(data, columns=columns)


def _counts_of_every_characteristic(con, f: Filters, table: str, by_pillar: bool) -> dict[str, pd.DataFrame]:
    """Per characteristic, the unsuppressed counts (group[, pillar], n, good, provisional) from one scan:
    one grouping set per characteristic (every group label is a string, never NULL, so a row belongs to the
    set whose column is filled)."""
    cond, params = where(f, "audit_date", audit_columns=True)
    keys = [f"g{i}" for i in range(len(CHARACTERISTICS))]
    extra = ", pillar" if by_pillar else ""
    sets = ", ".join(f"({k}{extra})" for k in keys)
    # Counted per combination of the raw characteristics first (a few thousand rows), then labelled and
    # regrouped: the labels are worked out per combination, not per row (a year is ~700,000 pillar rows).
    df = con.execute(
        f"""WITH raw AS (
                SELECT {', '.join(CHARACTERISTICS)}{extra}, count(*) AS n, count(*) FILTER (final_rank <= 2) AS good,
                       count(*) FILTER (provisional) AS provisional
                FROM {table} WHERE {cond} GROUP BY ALL)
            SELECT {', '.join(keys)}{extra}, CAST(sum(n) AS BIGINT) AS n, CAST(sum(good) AS BIGINT) AS good,
                   CAST(sum(provisional) AS BIGINT) AS provisional
            FROM (SELECT {', '.join(f'{group_sql(c)} AS {k}' for c, k in zip(CHARACTERISTICS, keys))}{extra},
                         n, good, provisional FROM raw)
            GROUP BY GROUPING SETS ({sets})""", params).df()
    cols = (["pillar"] if by_pillar else []) + ["n", "good", "provisional"]
    return {c: df[df[k].notna()][[k, *cols]].rename(columns={k: "group"}).reset_index(drop=True)
            for c, k in zip(CHARACTERISTICS, keys)}


def rollup_sql() -> str:
    """``equality_rollup`` (built by rollups.refresh with the other roll-ups): per month, service, characteristic
    and group (labelled as ``group_sql``), and pillar (NULL: the audits themselves), n, good and provisional. About
    10,000 rows a year for 100,000 audits and 700,000 pillar rows. Team, cohort and auditor role are not kept."""
    chars = list(CHARACTERISTICS)

    def rows(table: str, pillar: str) -> str:
        return (f"SELECT CAST(date_trunc('month', audit_date) AS DATE) AS month, service, {pillar} AS pillar, "
                f"{', '.join(chars)}, final_rank <= 2 AS good, provisional FROM {table}")
    # One grouping set per characteristic over the raw values (a few small hash tables, not one over every
    # combination), then labelled per counted row; GROUPING() tells a set's rows from a blank value.
    sets = ", ".join(f"(month, service, pillar, {c})" for c in chars)
    counted = (f"SELECT month, service, pillar, {', '.join(chars)}, "
               f"{', '.join(f'GROUPING({c}) AS _o{i}' for i, c in enumerate(chars))}, count(*) AS n, "
               f"count(*) FILTER (good) AS good, count(*) FILTER (provisional) AS provisional "
               f"FROM ({rows('audits_final', 'CAST(NULL AS VARCHAR)')} UNION ALL {rows('audit_pillars_final', 'pillar')}) "
               f"GROUP BY GROUPING SETS ({sets})")
    labelled = " UNION ALL ".join(
        f"SELECT month, service, pillar, '{c}' AS characteristic, {group_sql(c)} AS \"group\", n, good, provisional "
        f"FROM counted WHERE _o{i} = 0" for i, c in enumerate(chars))
    return (f"WITH counted AS MATERIALIZED ({counted}) "
            f"SELECT month, service, characteristic, \"group\", pillar, CAST(sum(n) AS BIGINT) AS n, "
            f"CAST(sum(good) AS BIGINT) AS good, CAST(sum(provisional) AS BIGINT) AS provisional "
            f"FROM ({labelled}) GROUP BY ALL ORDER BY month")


def _counts_from_rollup(con, f: Filters) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """``_counts_of_every_characteristic`` of the audits and of the pillar rows, from ``equality_rollup``."""
    cond, params = where(f, "month")
    rows = con.execute(
        f"SELECT characteristic, \"group\", pillar, CAST(sum(n) AS BIGINT), CAST(sum(good) AS BIGINT), "
        f"CAST(sum(provisional) AS BIGINT) FROM equality_rollup WHERE {cond} GROUP BY ALL", params).fetchall()
    parts: dict[tuple[str, bool], list] = {}
    for c, group, pillar, n, good, provisional in rows:
        parts.setdefault((c, pillar is not None), []).append((group, pillar, n, good, provisional))

    def frame(c: str, by_pillar: bool) -> pd.DataFrame:
        got = parts.get((c, by_pillar), [])
        cols = {"group": pd.Series([r[0] for r in got], dtype="str")}
        if by_pillar:
            cols["pillar"] = pd.Series([r[1] for r in got], dtype="str")
        for i, name in enumerate(("n", "good", "provisional"), start=2):
            cols[name] = pd.Series([r[i] for r in got], dtype="int64")
        return pd.DataFrame(cols)
    return {c: frame(c, False) for c in CHARACTERISTICS}, {c: frame(c, True) for c in CHARACTERISTICS}


def page_rates(con, f: Filters, config: Config) -> dict[str, tuple[Rates, Rates]]:
    """Per characteristic, ``audit_rates`` and ``pillar_rates``: from ``equality_rollup`` (one small read), or
    with a team, cohort or auditor-role filter (which it does not keep) two scans for the whole page, not eight."""
    if f.teams is None and f.cohorts is None and f.auditor_roles is None:
        audits, pillars = _counts_from_rollup(con, f)
    else:
        audits = _counts_of_every_characteristic(con, f, "audits_final", False)
        pillars = _counts_of_every_characteristic(con, f, PILLAR_ROWS, True)
    threshold = threshold_of(config)
    return {c: (rates(_ordered_audit_counts(audits[c], c), threshold, CHARACTERISTICS[c]),
                _pillar_rates(_ordered_pillar_counts(pillars[c], c, config), c, config)) for c in CHARACTERISTICS}
