"""The impact view's other evidence: a target KPI's before/after means and SPC signals, and a target
theme's volume in feedback, complaints and escalations and its repeat dip-sample cycles (metrics.md).

Windows are those of the audit comparison (``impact.Windows``): before = [S − W months, S),
after = (E, E + W months]. Themes match whatever their case or surrounding spaces.
"""
from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass, field

import pandas as pd

from .config import Config, fold
from .filters import Filters
from .impact import Windows, scope_services, wilson_interval
from .presentation import DASH, format_signed, round_half_away  # noqa: F401 (format_signed: the pages' too)

MIN_SPC_BASELINE = 12  # metrics.md: a fixed baseline needs at least 12 points


# --- target KPI -------------------------------------------------------------------------------
def kpi_definition(con, config: Config, code: str) -> dict | None:
    """The KPI's definition as the KPI page has it (kpis.definitions: a loaded file overrides the configuration)."""
    from .kpis import definition   # here: kpis brings plotly, which the impact command does not need
    try:
        return definition(con, config, code)
    except KeyError:
        return None


def _spc():
    """analytics.spc.xmr when that module is present (it is written separately), else None."""
    try:
        from .spc import xmr
    except ImportError:
        return None
    return xmr


@dataclass
class KpiComparison:
    code: str
    definition: dict | None
    service: str                   # the series compared: the intervention's service, else ALL
    note: str                      # why that series (fallback to ALL, outside the viewer's services)
    series: pd.DataFrame           # period_end, value, timing (+ SPC columns when available)
    n_before: int = 0
    mean_before: float | None = None
    n_after: int = 0
    mean_after: float | None = None
    spc_available: bool = False
    baseline_points: int | None = None   # the fixed baseline (points before the start), None = all points
    signals_after: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def difference(self) -> float | None:
        if self.mean_before is None or self.mean_after is None:
            return None
        return self.mean_after - self.mean_before


def kpi_comparison(con, config: Config, row: dict, window: int, f: Filters | None = None) -> KpiComparison:
    """Mean of the KPI's values before and after; with analytics.spc, the XmR signals after the end.

    The series is the intervention's service when the KPI has one for it, else the authority-wide
    (ALL) series. The XmR limits come from the points before the start when there are at least 12 of
    them (so the after points are judged against the process before); otherwise from all points.
    """
    code = row["target_kpi"]
    w = Windows.of(row, window)
    definition = kpi_definition(con, config, code)
    wanted = row.get("service") or "ALL"
    note = ""
    viewer = f.effective_services() if f is not None else None
    if wanted != "ALL" and viewer is not None and wanted not in viewer:
        empty = pd.DataFrame(columns=["period_end", "value", "timing"])
        return KpiComparison(code, definition, wanted, f"{wanted} is outside the services selected.", empty)
    service = wanted
    values = _kpi_values(con, code, service)
    if values.empty and service != "ALL":
        note = f"{code} has no values for {service}: the authority-wide (ALL) series is used."
        service = "ALL"
        values = _kpi_values(con, code, service)
    if service == "ALL" and f is not None and f.scope is not None:
        # A role that sees its own services sees council-wide figures only in the Overview's totals (README
        # "Sign-in and roles"), as the KPI page offers it no ALL series.
        empty = pd.DataFrame(columns=["period_end", "value", "timing"])
        return KpiComparison(code, definition, service, f"{code}: the authority-wide (ALL) series is not shown "
                             "to a role that sees only its own services.", empty)
    values["timing"] = [w.timing(d) for d in values["period_end"]]
    before = values[(values["period_end"] >= w.before_start) & (values["period_end"] < w.start)]["value"]
    after = values[(values["period_end"] > w.end) & (values["period_end"] <= w.after_end)]["value"]
    out = KpiComparison(code, definition, service, note, values, len(before),
                        float(before.mean()) if len(before) else None, len(after),
                        float(after.mean()) if len(after) else None)
    xmr = _spc()
    if xmr is None or values.empty:
        return out
    out.spc_available = True
    polarity = (definition or {}).get("polarity") or "neutral"
    target = (definition or {}).get("target")
    kwargs = {"polarity": polarity, "target": None if target is None or pd.isna(target) else float(target)}
    n_pre = int((values["period_end"] < w.start).sum())
    if n_pre >= MIN_SPC_BASELINE and "fix_after_n_points" in inspect.signature(xmr).parameters:
        kwargs["fix_after_n_points"] = n_pre
        out.baseline_points = n_pre
    try:
        spc = xmr(values["value"].tolist(), **kwargs).reset_index(drop=True)
    except ValueError as exc:  # too short or not a number: the means still stand
        out.spc_available, out.note = False, (out.note + f" SPC could not be calculated: {exc}.").strip()
        return out
    for col in ("centre", "lower", "upper", "special_cause", "rule"):
        if col in spc.columns:
            values[col] = spc[col].to_numpy()
    out.series = values
    late = values[(values["period_end"] > w.end) & (values["special_cause"] != "common_cause")]
    out.signals_after = late[["period_end", "value", "special_cause", "rule"]].reset_index(drop=True)
    return out


def _kpi_values(con, code: str, service: str) -> pd.DataFrame:
    return con.execute("SELECT period_end, value FROM kpi_values WHERE kpi_code = ? AND service = ? "
                       "ORDER BY period_end", [code, service]).df().assign(
        period_end=lambda d: [v.date() if hasattr(v, "date") else v for v in d["period_end"]])


def describe_kpi(k: KpiComparison, window: int) -> str:
    name = (k.definition or {}).get("kpi_name") or k.code
    unit = "%" if (k.definition or {}).get("unit") == "percent" else ""
    if k.mean_before is None or k.mean_after is None:
        missing = "before" if k.mean_before is None else "after"
        return f"{name} ({k.service}) has no values in the {window} months {missing} the intervention to compare."
    return (f"{name} ({k.service}) averaged {round_half_away(k.mean_after):.1f}{unit} over the {k.n_after} "
            f"periods after the intervention against {round_half_away(k.mean_before):.1f}{unit} over the "
            f"{k.n_before} before (change {format_signed(k.difference, unit and ' points')}). "
            f"A change in the mean alone does not show whether it is more than the usual month-to-month "
            f"variation: the SPC signals below do.")


def describe_signals(k: KpiComparison) -> str:
    if not k.spc_available and "SPC could not" in k.note:
        return k.note
    if not k.spc_available:
        return ("SPC signals are not shown: the XmR calculation (analytics/spc.py) is not available in this "
                "installation, so only the before and after means are compared.")
    after = k.series[k.series["timing"] == "after"]
    if after.empty:
        return "There are no KPI values since the intervention ended yet."
    counts = k.signals_after["special_cause"].value_counts()
    base = (f"limits from the {k.baseline_points} periods before the intervention" if k.baseline_points
            else "limits from all periods (fewer than 12 before the intervention)")
    if counts.empty:
        return (f"All {len(after)} periods since the intervention ended show common-cause variation only "
                f"({base}): no signal that the KPI moved beyond its usual range.")
    parts = ", ".join(f"{n} {label.replace('_', ' ')}" for label, n in counts.items())
    return (f"Of the {len(after)} periods since the intervention ended, {len(k.signals_after)} show special-cause "
            f"variation ({parts}; {base}). SPC signals show the KPI moved beyond its usual variation, not why.")


# --- target theme -------------------------------------------------------------------------------
# (label, table, date column, the roll-up holding its theme spellings: see voice.py and escalations.py)
THEME_SOURCES = (("Feedback", "feedback", "received_date", "feedback_theme_months"),
                 ("Complaints", "complaints", "received_date", "complaint_theme_months"),
                 ("Escalations", "escalations", "raised_date", "escalation_theme_months"))


def theme_spellings(con) -> dict[str, list[str]]:
    """Per source table, the theme spellings its records use (from its roll-up: one small read for all)."""
    out: dict[str, list[str]] = {table: [] for _, table, _, _ in THEME_SOURCES}
    sql = " UNION ALL ".join(f"SELECT DISTINCT '{table}', theme FROM {rollup} WHERE theme IS NOT NULL"
                             for _, table, _, rollup in THEME_SOURCES)
    for table, name in con.execute(sql).fetchall():
        out[table].append(name)
    return out


def _spellings(names: list[str], theme: str, config: Config) -> list[str]:
    """The theme's spellings among ``names``: every name the synonym list gives it, in any case and spacing,
    as the theme explorer matches them ("Being listened to" is "Voice of the child")."""
    from .themes import names_of
    wanted = names_of(theme, config)
    return [n for n in names if fold(n) in wanted]


def _theme_counts(con, table: str, date_col: str, spellings: list[str], start: dt.date, end: dt.date,
                  include_start: bool, services: list[str] | None) -> tuple[int, int]:
    lower, upper = (">=", "<") if include_start else (">", "<=")
    # Organisation-wide rows (service blank or ALL) count only when all services are compared.
    return con.execute(
        f"SELECT count(*) FILTER (list_has_any(themes, CAST(? AS VARCHAR[]))), count(*) FROM {table} "
        f"WHERE {date_col} {lower} ? AND {date_col} {upper} ? "
        f"AND (CAST(? AS VARCHAR[]) IS NULL OR list_contains(CAST(? AS VARCHAR[]), service))",
        [spellings, start, end, services, services]).fetchone()


def theme_volumes(con, theme: str, row: dict, window: int, f: Filters | None = None,
                  config: Config | None = None, spelled: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Records naming the theme, by any of its names (and all records) in each window, per source, with the
    share naming it. ``spelled``: ``theme_spellings`` when the caller has it already."""
    w = Windows.of(row, window)
    services = scope_services(row.get("service"), f)
    config = config or Config()
    spelled = theme_spellings(con) if spelled is None else spelled
    rows = []
    for label, table, date_col, _ in THEME_SOURCES:
        spellings = _spellings(spelled[table], theme, config)
        named_b, total_b = _theme_counts(con, table, date_col, spellings, w.before_start, w.start, True, services)
        named_a, total_a = _theme_counts(con, table, date_col, spellings, w.end, w.after_end, False, services)
        rows.append({"source": label, "before": named_b, "before_total": total_b,
                     "before_share_pct": named_b / total_b * 100 if total_b else None,
                     "after": named_a, "after_total": total_a,
                     "after_share_pct": named_a / total_a * 100 if total_a else None,
                     "change": named_a - named_b})
    return pd.DataFrame(rows)


def describe_themes(volumes: pd.DataFrame, theme: str) -> str:
    if volumes["before"].sum() == 0 and volumes["after"].sum() == 0:
        return f"No feedback, complaint or escalation in either window names '{theme}'."
    parts = []
    for r in volumes.itertuples():
        if r.before_total == 0 and r.after_total == 0:
            parts.append(f"no {r.source.lower()} in either window")
            continue
        parts.append(f"{r.source.lower()} {r.before} before and {r.after} after")
    return (f"Records naming '{theme}': " + "; ".join(parts) + ". Volumes also move with how much is received "
            "and how it is recorded; the shares of all records are in the table.")


def dip_themes(con, f: Filters | None = None) -> list[str]:
    """The themes dip samples have had (of the services the viewer may see)."""
    services = None if f is None else f.effective_services()
    cond, params = ("", []) if services is None else (" AND list_contains(?, service)", [list(services)])
    return [r[0] for r in con.execute(f"SELECT DISTINCT theme FROM dip_samples WHERE theme IS NOT NULL{cond} "
                                      "ORDER BY 1", params).fetchall()]


def match_theme(theme: str | None, options: list[str], config: Config | None = None) -> str | None:
    """The option equal to ``theme`` whatever its case and surrounding spaces; failing that, with a
    configuration, the first option that means the same theme through the synonym list (``theme_synonyms``,
    as the theme explorer matches: "Voice of the child" finds "The lived experience of the child")."""
    if not theme:
        return None
    key = theme.strip().casefold()
    exact = next((o for o in options if o.strip().casefold() == key), None)
    if exact is not None or config is None:
        return exact
    from .themes import names_of
    names = names_of(theme, config)
    return next((o for o in options if fold(o) in names), None)


def dip_cycles(con, theme: str, row: dict | None = None, window: int = 6, f: Filters | None = None) -> pd.DataFrame:
    """Repeat dip sample cycles on a theme (metrics.md): each dip_sample_id is a cycle, ordered by its
    earliest sample_date; % good or better over records with a grade, criteria met % = Σ met ÷ Σ total,
    and the change from the previous cycle. ``timing`` places each cycle before, during or after."""
    services = scope_services(row.get("service") if row else None, f)
    df = con.execute(
        "SELECT d.dip_sample_id, min(d.sample_date) AS first_date, count(*) AS records, "
        "count(g.rank) AS graded, count(*) FILTER (g.rank <= 2) AS good, "
        "sum(d.criteria_met) AS criteria_met, sum(d.criteria_total) AS criteria_total "
        "FROM dip_samples d LEFT JOIN grade_scale g ON g.label = d.grade "
        "WHERE lower(trim(d.theme)) = lower(trim(?)) "
        "AND (CAST(? AS VARCHAR[]) IS NULL OR list_contains(CAST(? AS VARCHAR[]), d.service)) "
        "GROUP BY 1 ORDER BY 2, 1", [theme, services, services]).df()
    df["first_date"] = [v.date() if hasattr(v, "date") else v for v in df["first_date"]]
    for col in ("criteria_met", "criteria_total"):
        df[col] = df[col].astype("Int64")
    df["good_pct"] = [g / n * 100 if n else None for g, n in zip(df["good"], df["graded"])]
    cis = [wilson_interval(int(g), int(n)) for g, n in zip(df["good"], df["graded"])]
    df["ci_low"] = [c[0] for c in cis]
    df["ci_high"] = [c[1] for c in cis]
    df["criteria_pct"] = [m / t * 100 if pd.notna(t) and t else None
                          for m, t in zip(df["criteria_met"], df["criteria_total"])]
    df["change_good_pts"] = _change(df["good_pct"])
    df["change_criteria_pts"] = _change(df["criteria_pct"])
    if row is not None:
        w = Windows.of(row, window)
        df["timing"] = [w.timing(d) for d in df["first_date"]]
    return df


def _change(values: pd.Series) -> list:
    out, prev = [], None
    for v in values:
        out.append(None if v is None or prev is None or pd.isna(v) or pd.isna(prev) else v - prev)
        prev = v
    return out


def format_number(value: float | None, unit: str = "") -> str:
    return DASH if value is None or pd.isna(value) else f"{round_half_away(value):.1f}{unit}"




# --- the table of every intervention ------------------------------------------------------------------
def all_effects(con, config: Config, window: int, f: Filters | None = None) -> pd.DataFrame:
    """``impact.effects`` (the audit comparison) plus, where set, the target KPI's means before and after and
    the records naming the target theme (feedback, complaints and escalations together) in each window."""
    from .impact import effects, interventions
    df = effects(con, window, f)
    extra = []
    spelled = None
    for r in interventions(con):
        row = {"kpi_mean_before": None, "kpi_mean_after": None, "kpi_change": None,
               "theme_records_before": None, "theme_records_after": None}
        if r["target_kpi"]:
            k = kpi_comparison(con, config, r, window, f)
            row.update(kpi_mean_before=k.mean_before, kpi_mean_after=k.mean_after, kpi_change=k.difference)
        if r["target_theme"]:
            spelled = theme_spellings(con) if spelled is None else spelled
            v = theme_volumes(con, r["target_theme"], r, window, f, config, spelled)
            row.update(theme_records_before=int(v["before"].sum()), theme_records_after=int(v["after"].sum()))
        extra.append(row)
    cols = ["kpi_mean_before", "kpi_mean_after", "kpi_change", "theme_records_before", "theme_records_after"]
    add = pd.DataFrame(extra, columns=cols, index=df.index)
    for col in cols[:3]:
        add[col] = add[col].astype(float)
    for col in cols[3:]:
        add[col] = add[col].astype("Int64")
    return pd.concat([df, add], axis=1)


EFFECT_COLUMNS = {
    "intervention_id": "Id", "name": "Intervention", "kind": "Kind", "start_date": "Start", "service": "Service",
    "target": "Target (pillar or overall)", "n_before": "n before", "pct_before": "% before", "n_after": "n after",
    "pct_after": "% after", "difference_pts": "Difference (points)", "p_value": "p-value", "evidence": "How sure",
    "target_kpi": "Target KPI", "kpi_mean_before": "KPI mean before", "kpi_mean_after": "KPI mean after",
    "kpi_change": "KPI change", "target_theme": "Target theme", "theme_records_before": "Theme records before",
    "theme_records_after": "Theme records after"}
EFFECT_FORMATS = {"pct_before": "{:.1f}", "pct_after": "{:.1f}", "difference_pts": "{:+.1f}", "p_value": "{:.3f}",
                  "kpi_mean_before": "{:.1f}", "kpi_mean_after": "{:.1f}", "kpi_change": "{:+.1f}",
                  "theme_records_before": "{:d}", "theme_records_after": "{:d}"}


def effects_table(effects: pd.DataFrame) -> pd.DataFrame:
    """The table of every intervention's effect for people: plain headings, one decimal, "–" where a figure
    does not exist (no audits after a planned intervention, no target KPI) instead of None. Figures that can
    be missing are written out as text: Streamlit shows a missing number as "None" whatever the format."""
    t = effects[list(EFFECT_COLUMNS)].copy()
    for col in t.columns:
        spec = EFFECT_FORMATS.get(col)
        if spec or not pd.api.types.is_numeric_dtype(t[col]) or t[col].isna().any():
            # One decimal rounded half away from zero (metrics.md), not format()'s half to even.
            t[col] = [DASH if v is None or pd.isna(v) else (spec.format(round_half_away(float(v)) if ".1f" in spec
                                                                    else v) if spec else str(v)) for v in t[col]]
    return t.rename(columns=EFFECT_COLUMNS)
