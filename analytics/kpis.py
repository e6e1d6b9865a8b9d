"""KPIs in the Making Data Count style, and the audit SPC series (metrics.md "KPIs: statistical process control").

``definitions`` merges the configured KPIs with the stored ``kpi_definitions`` (a stored row replaces the
configured one of the same code, whole; new codes are added after the configured ones). ``summary`` gives
the meeting's table (latest value, target, variation and assurance of each KPI); ``chart_frame`` the XmR
chart of one KPI series with its benchmarks; ``audit_spc`` the monthly % good or better as an XmR series.
``xmr_figure`` draws either. No Streamlit here.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import audits, spc
from .charts import INK, MUTED, SPC_COLOURS, TEMPLATE
from .config import Config
from .filters import Filters, month_span
from .presentation import DASH, round_half_away

ALL = "ALL"
COMPARATORS = ("England", "Statistical neighbours")
DEF_COLUMNS = ["kpi_code", "kpi_name", "unit", "polarity", "target", "source"]

# Text + symbol "icons" (no emoji, never colour alone); the colour is the SPC_COLOURS one of the meaning.
VARIATION = {
    ("concern", 1): "▲ Concern (high)", ("concern", -1): "▼ Concern (low)",
    ("improvement", 1): "▲ Improvement (high)", ("improvement", -1): "▼ Improvement (low)",
    ("neutral_high", 1): "▲ Neutral (high)", ("neutral_low", -1): "▼ Neutral (low)",
    ("common_cause", 0): "● Common cause",
}
ASSURANCE = {"consistent_fail": "F Consistently fails target", "inconsistent": "? Hit and miss",
             "consistent_pass": "P Consistently passes target", "": "– No target"}
ASSURANCE_COLOURS = {"consistent_fail": SPC_COLOURS["concern"], "inconsistent": SPC_COLOURS["common_cause"],
                     "consistent_pass": SPC_COLOURS["improvement"], "": MUTED}
# The meeting sees concerns first, then neutral signals, then improvements, then common cause, then no data.
def _concern_rank(cause: str, assurance: str) -> int:
    """Concerns first: a special cause of concern, then a KPI that consistently fails its target (a concern
    whatever its variation), then a neutral signal or a target hit and miss, then the rest."""
    if cause == "concern":
        return 0
    if assurance == "consistent_fail":
        return 1
    if cause in ("neutral_high", "neutral_low") or assurance == "inconsistent":
        return 2
    return 3


VARIATION_ORDER = {"concern": 0, "neutral_high": 1, "neutral_low": 1, "improvement": 2, "common_cause": 3, "": 4}
ASSURANCE_ORDER = {"consistent_fail": 0, "inconsistent": 1, "": 2, "consistent_pass": 3}
SYMBOLS = {"common_cause": "circle", "improvement": "triangle-up", "concern": "diamond",
           "neutral_high": "square", "neutral_low": "square"}
CAUSE_NAMES = {"common_cause": "Common cause", "improvement": "Special cause: improvement",
               "concern": "Special cause: concern", "neutral_high": "Special cause: neutral (high)",
               "neutral_low": "Special cause: neutral (low)"}
RULE_NAMES = {"outside": "outside the limits", "trend": "7-point trend", "two_in_three": "2 of 3 near a limit",
              "shift": "7 points one side of the centre", "": ""}
BENCHMARK_COLOURS = ("#01665e", "#8c510a")   # England teal, statistical neighbours brown: apart from the SPC colours
UNIT_SUFFIX = {"percent": "%", "days": " days", "count": "", "rate": ""}
AXIS_TITLES = {"percent": "Per cent (%)", "count": "Count", "days": "Days", "rate": "Rate"}


# --- definitions ---------------------------------------------------------------------------------
def definitions(con, config: Config) -> pd.DataFrame:
    """Every KPI: the configured defaults, replaced or extended by the stored kpi_definitions rows."""
    rows = {k["kpi_code"]: {c: k.get(c) for c in DEF_COLUMNS} for k in config.kpis}
    # Plain tuples (blanks as None): a frame read and turned back into records cost more than the merge.
    for rec in con.execute(f"SELECT {', '.join(DEF_COLUMNS)} FROM kpi_definitions ORDER BY kpi_code").fetchall():
        rows[rec[0]] = {c: (None if v != v else v) for c, v in zip(DEF_COLUMNS, rec)}   # (v != v: a NaN)
    out = pd.DataFrame(list(rows.values()), columns=DEF_COLUMNS)
    out["target"] = pd.to_numeric(out["target"], errors="coerce").astype(float)
    return out


def definition(con, config: Config, kpi_code: str) -> dict:
    d = definitions(con, config)
    rec = d[d["kpi_code"] == kpi_code].to_dict("records")
    if not rec:
        raise KeyError(kpi_code)
    out = rec[0]
    out["target"] = None if pd.isna(out["target"]) else float(out["target"])
    return out


# --- values --------------------------------------------------------------------------------------
def _period(f: Filters | None, col: str = "period_end") -> tuple[str, list]:
    """Every period up to the filter's end: an XmR chart needs the series' history for its limits and
    signals, so the start of the period does not cut it (all dates with no filter: KPIs and no audits)."""
    if f is None or f.month_to is None:
        return "TRUE", []
    return f"{col} <= ?", [f.end]


def value_months(con) -> list[str]:
    """Every month from the first to the last KPI period end (the KPI page's period runs to its own data,
    not the audits')."""
    return month_span(*con.execute("SELECT min(period_end), max(period_end) FROM kpi_values").fetchone())


def series_services(con, f: Filters | None) -> list[str]:
    """The series on offer: ALL (organisation-wide rows) unless a service filter or scope applies, then each
    service in the filter with KPI values in the period."""
    cond, params = _period(f)
    have = [r[0] for r in con.execute(
        f"SELECT DISTINCT service FROM kpi_values WHERE {cond} AND service IS NOT NULL ORDER BY 1", params).fetchall()]
    allowed = None if f is None else f.effective_services()
    services = [s for s in have if s != ALL and (allowed is None or s in allowed)]
    return ([ALL] if ALL in have and allowed is None else []) + services


def series(con, kpi_code: str, service: str = ALL, f: Filters | None = None) -> pd.DataFrame:
    """One KPI series in time order: period_end, value, numerator, denominator."""
    cond, params = _period(f)
    return con.execute(
        f"SELECT period_end, value, numerator, denominator FROM kpi_values "
        f"WHERE kpi_code = ? AND coalesce(service, 'ALL') = ? AND {cond} ORDER BY period_end",
        [kpi_code, service, *params]).df()


def benchmarks(con, kpi_code: str) -> pd.DataFrame:
    return con.execute("SELECT period_end, comparator, value FROM kpi_benchmarks WHERE kpi_code = ? "
                       "ORDER BY comparator, period_end", [kpi_code]).df()


def rebase_interventions(con, kpi_code: str, service: str, periods: pd.Series) -> list[tuple[int, str]]:
    """(position, intervention) pairs: a new group starts at the first period ending on or after the start of
    each intervention targeting this KPI (in this series' service or organisation-wide)."""
    rows = con.execute(
        "SELECT intervention_id, name, start_date FROM interventions WHERE target_kpi = ? "
        "AND (coalesce(service, 'ALL') = 'ALL' OR service = ?) ORDER BY start_date, intervention_id",
        [kpi_code, service]).fetchall()
    return _rebase_marks(rows, periods)


def _rebase_marks(rows, periods: pd.Series) -> list[tuple[int, str]]:
    ends = pd.to_datetime(pd.Series(periods)).dt.date.tolist()
    out: dict[int, str] = {}
    for iid, name, start in rows:
        pos = next((i for i, d in enumerate(ends) if d >= start), None)
        if pos is not None and pos > 0:   # before the first point or after the last: no new group
            out[pos] = f"{out[pos]}, {iid}" if pos in out else f"{iid} {name}"
    return sorted(out.items())


def chart_frame(con, defn: dict, service: str = ALL, f: Filters | None = None,
                rebase: bool = False) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """The XmR frame of one KPI series (period_end + spc.xmr columns + benchmark columns) and its rebases."""
    s = series(con, defn["kpi_code"], service, f)
    marks = rebase_interventions(con, defn["kpi_code"], service, s["period_end"]) if rebase and len(s) else []
    b = benchmarks(con, defn["kpi_code"])
    return _frame(defn, *_series_arrays(s), *_bench_arrays(b), marks), marks


def _series_arrays(s: pd.DataFrame) -> tuple:
    return (pd.to_datetime(s["period_end"]).to_numpy(), s["value"].to_numpy(), s["numerator"].to_numpy(),
            s["denominator"].to_numpy())


def _bench_arrays(b: pd.DataFrame) -> tuple:
    return (b["comparator"].to_numpy(dtype=object), pd.to_datetime(b["period_end"]).to_numpy(),
            b["value"].to_numpy(dtype=float))


def _runs(codes: np.ndarray) -> dict[str, slice]:
    """Code -> the slice of its rows, for rows grouped by code (as ORDER BY code leaves them)."""
    if not len(codes):
        return {}
    edges = [0, *(np.flatnonzero(codes[1:] != codes[:-1]) + 1).tolist(), len(codes)]
    return {codes[i]: slice(i, j) for i, j in zip(edges[:-1], edges[1:])}


def chart_frames(con, config: Config, service: str = ALL, f: Filters | None = None, rebase: bool = False
                 ) -> list[tuple[dict, pd.DataFrame, list[tuple[int, str]]]]:
    """(definition, chart_frame, rebases) of every KPI, from three queries rather than three per KPI."""
    cond, params = _period(f)
    values = con.execute(
        f"SELECT kpi_code, period_end, value, numerator, denominator FROM kpi_values "
        f"WHERE coalesce(service, 'ALL') = ? AND {cond} ORDER BY kpi_code, period_end", [service, *params]).df()
    bench = con.execute("SELECT kpi_code, period_end, comparator, value FROM kpi_benchmarks "
                        "ORDER BY kpi_code, comparator, period_end").df()
    ints: dict[str, list] = {}
    if rebase:
        for code, *row in con.execute(
                "SELECT target_kpi, intervention_id, name, start_date FROM interventions WHERE target_kpi IS NOT NULL "
                "AND (coalesce(service, 'ALL') = 'ALL' OR service = ?) ORDER BY start_date, intervention_id",
                [service]).fetchall():
            ints.setdefault(code, []).append(tuple(row))
    # Whole columns as arrays once, each KPI a slice of them: a DataFrame per KPI (groupby, drop, reset_index)
    # cost more than its XmR statistics.
    v_arrays, b_arrays = _series_arrays(values), _bench_arrays(bench)
    v_runs, b_runs = _runs(values["kpi_code"].to_numpy(dtype=object)), _runs(bench["kpi_code"].to_numpy(dtype=object))
    none = slice(0, 0)
    todo = []
    for defn in definitions(con, config).to_dict("records"):
        defn["target"] = None if pd.isna(defn["target"]) else float(defn["target"])
        vs, bs = v_runs.get(defn["kpi_code"], none), b_runs.get(defn["kpi_code"], none)
        ends = v_arrays[0][vs]
        marks = _rebase_marks(ints.get(defn["kpi_code"], []), ends) if rebase and len(ends) else []
        todo.append((defn, *(a[vs] for a in v_arrays), *(a[bs] for a in b_arrays), marks))
    # The XmR statistics of every series without a rebase in one pass (spc.xmr_columns_many: the same arrays).
    plain = [i for i, args in enumerate(todo) if not args[-1]]
    stats = dict(zip(plain, spc.xmr_columns_many([todo[i][2] for i in plain], [todo[i][0]["polarity"] for i in plain],
                                                 [todo[i][0].get("target") for i in plain])))
    out, parts = [], []
    for i, args in enumerate(todo):
        data = _frame_columns(*args, cols=stats[i]) if i in stats else _frame_columns(*args)
        out.append([args[0], _frame(*args) if data is None else None, args[-1]])
        if data is not None:
            parts.append((len(out) - 1, data))
    # The KPIs with values framed together once, each then a slice of it (a DataFrame each cost ~1 ms).
    if parts:
        whole = pd.DataFrame({c: np.concatenate([d[c] for _, d in parts]) for c in parts[0][1]})
        at = 0
        for i, d in parts:
            n = len(d["period_end"])
            out[i][1] = whole.iloc[at:at + n].reset_index(drop=True)
            at += n
    return [tuple(o) for o in out]


def _frame(defn: dict, ends, values, numerator, denominator, b_comp, b_ends, b_values, marks) -> pd.DataFrame:
    """The chart frame of one series (arrays in time order) and its benchmarks (arrays)."""
    data = _frame_columns(defn, ends, values, numerator, denominator, b_comp, b_ends, b_values, marks)
    if data is None:   # no values: xmr's typed empty columns, with the others (framed once, not widened)
        data = {"period_end": ends, **{c: x.to_numpy() for c, x in spc.xmr([]).items()},
                "numerator": numerator, "denominator": denominator,
                **{comp: np.array([], dtype=float) for comp in COMPARATORS}}
    return pd.DataFrame(data)


_UNSET = object()


def _frame_columns(defn: dict, ends, values, numerator, denominator, b_comp, b_ends, b_values, marks, *,
                   cols=_UNSET) -> dict[str, np.ndarray] | None:
    """``_frame``'s columns as arrays (None for a series without values); ``cols``: the series' spc.xmr_columns,
    when worked out already."""
    if cols is _UNSET:
        cols = spc.xmr_columns(values, defn["polarity"], rebase_at=[p for p, _ in marks], target=defn.get("target"))
    if cols is None:
        return None
    data = {"period_end": ends, **cols, "numerator": numerator, "denominator": denominator}
    if len(ends) > 1 and not (ends[1:] >= ends[:-1]).all():
        order = np.argsort(ends, kind="stable")
        data = {k: v[order] for k, v in data.items()}
        ends = data["period_end"]
    for comp in COMPARATORS:
        mine = b_comp == comp
        if mine.any():
            # each period shows the latest published figure on or before it (an as-of match, worked out with
            # a sorted search: pandas' merge_asof costs more than the data)
            order = np.argsort(b_ends[mine], kind="stable")
            at = np.searchsorted(b_ends[mine][order], ends, side="right") - 1
            data[comp] = np.where(at >= 0, b_values[mine][order][np.maximum(at, 0)], np.nan)
        else:
            data[comp] = np.full(len(ends), np.nan)
    return data


def format_value(value, unit: str) -> str:
    if value is None or pd.isna(value):
        return DASH
    return f"{round_half_away(float(value)):.1f}{UNIT_SUFFIX.get(unit, '')}"


def variation_label(cause: str, direction: int) -> str:
    return VARIATION.get((cause, int(direction)), "● Common cause") if cause else "No data"


def summary(con, config: Config, f: Filters | None = None, service: str = ALL, rebase: bool = False,
            frames: list | None = None) -> pd.DataFrame:
    """One row per KPI, concerns first: the latest point's variation and the latest group's assurance.

    ``frames``: the ``chart_frames`` of the same arguments, when the caller has them already."""
    return summarise(frames if frames is not None else chart_frames(con, config, service, f, rebase))


def summarise(frames: list) -> pd.DataFrame:
    """``summary`` of the ``chart_frames`` a page has already (no read)."""
    rows = []
    for defn, x, _ in frames:
        last = x.iloc[-1] if len(x) else None
        cause = "" if last is None else last["special_cause"]
        assurance = "" if last is None else last["assurance"]
        rows.append({
            "kpi_code": defn["kpi_code"], "kpi_name": defn["kpi_name"], "unit": defn["unit"],
            "polarity": defn["polarity"], "points": len(x),
            "latest_period": DASH if last is None else last["period_end"].date().isoformat(),
            "latest_value": None if last is None else float(last["value"]),
            # the count a latest percentage rests on (its denominator), when the KPI file gives one
            "latest_n": None if last is None or pd.isna(last["denominator"]) else int(last["denominator"]),
            "target": defn["target"], "special_cause": cause, "rule": "" if last is None else last["rule"],
            "variation": variation_label(cause, 0 if last is None else last["direction"]),
            "assurance": assurance, "assurance_label": ASSURANCE[assurance] if last is not None else "No data",
            "order": (_concern_rank(cause, assurance), VARIATION_ORDER[cause], ASSURANCE_ORDER[assurance])})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.sort_values("order", kind="stable").drop(columns="order").reset_index(drop=True)


DEFAULT_CHARTS = 6


def charted(table: pd.DataFrame, frames: list, every: bool = False, n: int = DEFAULT_CHARTS) -> list:
    """The ``frames`` (``chart_frames`` order) to draw: those of the first ``n`` KPIs of the summary
    ``table`` (concerns first), or all with ``every``. Forty XmR figures took the page over four seconds."""
    if every:
        return list(frames)
    top = set(table["kpi_code"].head(n)) if len(table) else set()
    return [fr for fr in frames if fr[0]["kpi_code"] in top]


# --- audits as an XmR series ---------------------------------------------------------------------
def audit_spc(con, f: Filters, service: str | None = None) -> pd.DataFrame:
    """Monthly % good or better (final grade) of the audits in the filter, or of one service, as an XmR frame:
    period (YYYY-MM), n, good, provisional + spc.xmr columns (higher is better). Months without audits are
    left out (no value to plot)."""
    if service is not None:
        f = dataclasses.replace(f, services=(service,))
    s = audits.grade_series(con, f, "month")
    s = s[s["n"] > 0].reset_index(drop=True)
    x = spc.xmr(s["good_pct"].astype(float), "higher is better")
    for i, col in enumerate(("period", "n", "good", "provisional")):
        x.insert(i, col, s[col].to_numpy())
    return x


# --- the chart -----------------------------------------------------------------------------------
def _by_group(x: pd.DataFrame, xs, col: str) -> tuple[list, list]:
    """x and y with a gap between rebase groups, so the limits break where a new group starts."""
    ox, oy = [], []
    for _, rows in x.groupby("group", sort=True):
        idx = rows.index
        ox += list(pd.Series(xs)[idx]) + [None]
        oy += list(rows[col]) + [None]
    return ox, oy


def xmr_figure(x: pd.DataFrame, xs, title: str, y_title: str, *, target: float | None = None,
               benchmarks: tuple[str, ...] = (), rebases: list[tuple[int, str]] = (), hover_n: str | None = None,
               suffix: str = "", x_title: str = "Period", percent: bool = False) -> go.Figure:
    """An XmR chart: the series, centre, limits, the near-limit zones shaded, points coloured (and shaped) by
    their special cause, target and benchmark reference lines, and a marker where each new group starts."""
    xs = list(xs)
    fig = go.Figure()
    # Zones between each near-limit and its limit, where the 2-in-3 rule looks.
    for lo, hi, show in (("near_upper", "upper", True), ("lower", "near_lower", False)):
        for g, rows in x.groupby("group", sort=True):
            px = [xs[i] for i in rows.index]
            fig.add_scatter(x=px, y=list(rows[hi]), mode="lines", line=dict(width=0), hoverinfo="skip",
                            showlegend=False, legendgroup="zone")
            fig.add_scatter(x=px, y=list(rows[lo]), mode="lines", line=dict(width=0), fill="tonexty",
                            fillcolor="rgba(140,140,140,0.15)", hoverinfo="skip", legendgroup="zone",
                            name="Near a limit (2 to 3 sigma)", showlegend=bool(show and g == x["group"].min()))
    gx, gy = _by_group(x, xs, "upper")
    fig.add_scatter(x=gx, y=gy, mode="lines", name="Process limits", line=dict(color=MUTED, dash="dash", width=1.5),
                    legendgroup="limits", hovertemplate="Upper limit %{y:.1f}" + suffix + "<extra></extra>")
    gx, gy = _by_group(x, xs, "lower")
    fig.add_scatter(x=gx, y=gy, mode="lines", showlegend=False, line=dict(color=MUTED, dash="dash", width=1.5),
                    legendgroup="limits", hovertemplate="Lower limit %{y:.1f}" + suffix + "<extra></extra>")
    gx, gy = _by_group(x, xs, "centre")
    fig.add_scatter(x=gx, y=gy, mode="lines", name="Centre (mean)", line=dict(color=INK, width=1.5),
                    hovertemplate="Centre %{y:.1f}" + suffix + "<extra></extra>")
    fig.add_scatter(x=xs, y=list(x["value"]), mode="lines", line=dict(color="#b0b0b0", width=1.5),
                    showlegend=False, hoverinfo="skip")
    for cause in ("common_cause", "improvement", "concern", "neutral_high", "neutral_low"):
        rows = x[x["special_cause"] == cause]
        if rows.empty:
            continue
        custom = pd.DataFrame({"rule": [RULE_NAMES[r] for r in rows["rule"]],
                               "n": rows[hover_n] if hover_n else "",
                               "prov": rows["provisional"] if "provisional" in rows else 0}).to_numpy()
        extra = " (%{customdata[1]} audits, %{customdata[2]} provisional)" if hover_n else ""
        fig.add_scatter(x=[xs[i] for i in rows.index], y=list(rows["value"]), mode="markers",
                        name=CAUSE_NAMES[cause], customdata=custom,
                        marker=dict(color=SPC_COLOURS[cause], size=9 if cause == "common_cause" else 12,
                                    symbol=SYMBOLS[cause], line=dict(color="white", width=1)),
                        hovertemplate="%{x}: %{y:.1f}" + suffix + extra + "<br>" + CAUSE_NAMES[cause]
                                      + " %{customdata[0]}<extra></extra>")
    for comp, dash, colour in zip(benchmarks, ("dashdot", "longdashdot"), BENCHMARK_COLOURS):
        if comp in x and x[comp].notna().any():
            fig.add_scatter(x=xs, y=list(x[comp]), mode="lines", name=comp, line=dict(color=colour, dash=dash,
                            width=2, shape="hv"), hovertemplate=comp + " %{y:.1f}" + suffix + "<extra></extra>")
    if target is not None and len(xs):   # after the benchmarks, so a benchmark at the target does not hide it
        fig.add_scatter(x=[xs[0], xs[-1]], y=[target, target], mode="lines", name=f"Target {target:g}{suffix}",
                        line=dict(color=INK, dash="dot", width=2.5),
                        hovertemplate="Target %{y:.1f}" + suffix + "<extra></extra>")
    for pos, label in rebases:
        fig.add_vline(x=xs[pos], line=dict(color=INK, width=1, dash="dot"))
        fig.add_annotation(x=xs[pos], y=1, yref="paper", text=f"New limits: {label}", showarrow=False,
                           xanchor="left", yanchor="top", font=dict(size=12, color=INK), bgcolor="white")
    if percent and len(x):
        # a percentage cannot leave 0-100: keep the axis there even when a limit does (the table keeps it)
        seen = pd.concat([x[c] for c in ("value", "lower", "upper", *[b for b in benchmarks if b in x])])
        seen = pd.concat([seen, pd.Series([target], dtype=float)]).dropna()
        lo, hi = max(0.0, float(seen.min())), min(100.0, float(seen.max()))
        pad = max((hi - lo) * 0.05, 0.5)
        fig.update_yaxes(range=[max(0.0, lo - pad) if lo > 0 else -pad / 2, min(100.0, hi + pad) if hi < 100
                                else 100 + pad / 2])
    fig.update_layout(template=TEMPLATE, title=title, xaxis_title=x_title, yaxis_title=y_title,
                      legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0),
                      margin=dict(b=120), height=480)
    return fig


def chart_table(x: pd.DataFrame, period_col: str, extra: list[str] = ()) -> pd.DataFrame:
    """The chart's data-table alternative, with readable names."""
    cols = [period_col, *extra, "value", "centre", "lower", "upper", "near_lower", "near_upper", "special_cause",
            "rule", "assurance", "group", *COMPARATORS]
    t = x[[c for c in cols if c in x.columns]].copy()
    t["special_cause"] = t["special_cause"].map(CAUSE_NAMES)
    t["rule"] = t["rule"].map(RULE_NAMES)
    if period_col == "period_end":
        t[period_col] = pd.to_datetime(t[period_col]).dt.date
    return t.rename(columns={"period_end": "period end", "near_lower": "near lower", "near_upper": "near upper",
                             "special_cause": "special cause", "group": "limits group"})

