"""The QPRM slide pack: a PowerPoint file (python-pptx) for a chosen month, one slide per subject, each
with speaker notes holding the numbers behind it and their definitions.

Every figure comes from the library (``metrics.summary``, ``overview``, ``audits``, ``pillars``,
``moderation``, ``kpis``, ``actions``, ``escalations``); the charts are drawn with the shared plotly
template and rendered to PNG in one kaleido server for the whole pack. Slides are sized for a projector:
titles 30 pt, table text 16 pt or more, charts wide.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import pandas as pd

from . import actions, audits, escalations, kpis, moderation, overview, pillars, suppression
from .charts import INK, MUTED, RAISER_COLOURS, SERIES_COLOUR, TEMPLATE, service_small_multiples
from .config import Config
from .metrics import summary
from .monthly import check_services, month_filters, month_label, require_audits, scope_label, shift, year_to
from .presentation import DASH, format_pct, format_signed, round_half_away

SLIDE_W_IN, SLIDE_H_IN = 13.333, 7.5
CHART_W, CHART_H = 980, 480        # CSS pixels (PNG at 2x): small enough that 20 px type reads from the back

# Making Data Count's hues, darkened so that text in them keeps a 4.5:1 contrast on white (a projector,
# a greyscale print); the icons (▲ ▼ P F ?) carry the meaning, common cause stays in ink.
TEXT_COLOURS = {"improvement": "#1d5f96", "concern": "#a04a00", "neutral_high": "#5b2d8a", "neutral_low": "#5b2d8a",
                "consistent_pass": "#1d5f96", "consistent_fail": "#a04a00"}
DEFINITIONS = {
    "final": "Final grade = benchmarked grade if present, else moderated, else the auditor's. An audit with no "
             "moderated grade is provisional.",
    "good": "% good or better = audits whose final grade is Outstanding or Good ÷ audits × 100. % inadequate = "
            "final grade Inadequate ÷ audits × 100.",
    "completion": "Audit completion = distinct auditors with an audit in the month ÷ Team and Service Managers in "
                  "post on the month's last day in an audited service × 100.",
    "pillar": "Final pillar grade = moderated pillar grade if present, else the auditor's; % good or better over "
              "pillar rows.",
    "moderation": "Agreement % = moderated audits whose moderated grade equals the auditor grade ÷ moderated "
                  "audits × 100. Net drift = mean of (moderated rank − auditor rank), ranks 1 Outstanding to 4 "
                  "Inadequate: positive means auditors grade more generously than the QA team. Weighted kappa: "
                  "Cohen's kappa with linear weights over the four grades.",
    "kpi": "XmR charts as NHS England's Making Data Count: centre = mean; limits = centre ± 2.66 × mean moving "
           "range. Variation = the latest point's signal (outside the limits, 7-point trend, 2 of 3 near a limit, "
           "7 on one side), improvement or concern by the KPI's polarity. Assurance = where the target lies "
           "against the limits: consistently passes, consistently fails, or hit and miss.",
    "actions": "Actions raised in the period. Open on D (the month's last day): raised by D and not completed by "
               "D. Overdue: open and past its due date. % completed on time = completed by the due date ÷ "
               "completed actions with a completion date (closed actions count in neither).",
    "escalations": "Escalations raised in the period. Open at end: not resolved by the month's last day. Days to "
                   "resolve = resolved date − raised date; median over those resolved.",
}


@dataclass
class Slide:
    title: str
    notes: str
    table: pd.DataFrame | None = None
    widths: list[float] | None = None  # column shares of the table's width
    size: tuple[int, int] | None = None  # the chart's CSS pixels, when not the default
    caption: str = ""                    # one line under the title: what the chart shows
    chart: object | None = None        # a plotly figure, rendered to PNG in the batch
    bullets: list[str] = field(default_factory=list)
    subtitle: str = ""
    cell_colours: dict = field(default_factory=dict)   # {(row, col): hex} for text colour in the table


def _num(v, places: int = 1) -> str:
    """A figure to ``places`` decimals, half away from zero as everywhere (format() gives 0.125 as 0.12)."""
    return DASH if v is None else f"{round_half_away(v, places):.{places}f}"


def _signed(v, unit: str = " pts", places: int = 1) -> str:
    return format_signed(v, unit, places)


class _Small:
    """Small numbers as the pack shows them: it circulates widely (domain.md), so a count from 1 to t - 1 is
    "<t", a percentage over fewer than t (or over a hidden count) is "–", and where parts add up to a total shown
    the next smallest part is hidden too ("*": ``suppression``)."""

    def __init__(self, t: int):
        self.t = t

    def count(self, n) -> str:
        return suppression.count_text(n, self.t)

    def pct(self, value, n, hidden: bool = False) -> str:
        return suppression.pct_text(value, n, self.t, hidden)

    def parts(self, counts: list[int], total: int) -> list[str]:
        """Parts of a total shown elsewhere, each as text, secondary suppression applied."""
        return suppression.shown_parts(counts, total, self.t)

    def split(self, audits: dict) -> dict:
        """A month's audits as the pack may show them: the grade counts (the infographic's rule), whether % good
        or better and % inadequate must go (% inadequate x audits is the Inadequate count), and the provisional
        and moderated counts, which add up to the audits."""
        from .infographic import grade_suppression
        counts = list(audits["by_grade"].values())
        marks, pct_hidden = grade_suppression(counts, self.t)
        few = audits["count"] < self.t
        provisional, moderated = self.parts([audits["provisional"], audits["count"] - audits["provisional"]],
                                            audits["count"])
        return {"grades": [suppression.display(n, m, self.t) for n, m in zip(counts, marks)],
                "good": pct_hidden or few, "inadequate": pct_hidden or few or bool(marks[-1]),
                "provisional": provisional, "moderated": moderated}


# --- the slides' contents -------------------------------------------------------------------------
def contents(con, month: str, services, config: Config, *, demo: bool = False,
             today: dt.date | None = None) -> list[Slide]:
    """The slides of the pack for ``month`` (and a service filter), figures from the library."""
    services = check_services(services, config)
    f = month_filters(month, services)
    s = summary(con, f, config)
    require_audits(s["audits"]["count"], f)
    year = year_to(f)
    s_year = summary(con, year, config)
    label, scope = month_label(month), scope_label(services, config)
    today = today or dt.date.today()
    small = _Small(int(config["small_number_threshold"]))
    slides = [Slide(
        f"Quality assurance: audit and learning headlines, {label}",
        f"Pack for the Quality and Performance Review Meeting. Month: {month}. Scope: {scope}. Trend charts cover "
        f"the 12 months {year.month_from} to {year.month_to}. Generated {today.isoformat()} from the QA dashboard; "
        "every figure is defined in metrics.md and computed by the same functions as the dashboard and "
        "`qa-dashboard summary`. The pack may circulate widely: " + suppression.note(small.t)
        + (" DEMO DATA: synthetic, not a real council's." if demo else ""),
        subtitle=f"{scope} · Quality and Performance Review Meeting · generated {today.isoformat()}"
                 + (" · DEMO DATA (synthetic)" if demo else ""))]

    # Overview headlines.
    head = overview.headline(con, f, config)
    split_now, split_before = small.split(s["audits"]), small.split(summary(con, shift(f, -1), config)["audits"])
    rows = []
    for fig in head["figures"]:
        pct = fig.unit == "pct"
        if fig.label == "Audit completion":   # over the managers in post
            now, before = small.pct(fig.value, fig.n), small.pct(fig.previous, fig.n)
        elif pct:
            key = "good" if fig.label == "Good or better" else "inadequate"
            now = DASH if split_now[key] else format_pct(fig.value)
            before = DASH if split_before[key] else format_pct(fig.previous)
        elif fig.label.startswith("Provisional"):
            now, before = split_now["provisional"], split_before["provisional"]
        else:
            now, before = small.count(fig.value), small.count(fig.previous)
        mean = (format_pct(fig.average_12) if pct else DASH if fig.average_12 is None
                else f"{fig.average_12:,.0f}" if float(fig.average_12).is_integer() else _num(fig.average_12))
        change = (DASH if not (suppression.is_shown(now) and suppression.is_shown(before))
                  else _signed(fig.change_previous, " pts" if pct else "",
                               1 if pct or not float(fig.change_previous or 0).is_integer() else 0))
        rows.append([fig.label, now, before, mean, change])
    table = pd.DataFrame(rows, columns=["Figure", month, head["previous"],
                                        "12 months before", "Change on month"])
    lines = overview.sentences(con, year, config, threshold=small.t) + [
        f"12 months before: {head['year'][0]} to {head['year'][1]}; counts are a monthly mean, percentages pooled."]
    a = s["audits"]
    notes = (f"{label}, {scope}: {small.count(a['count'])} audits, {split_now['provisional']} provisional; "
             f"% good or better {DASH if split_now['good'] else format_pct(a['good_or_better_pct'])}; % inadequate "
             f"{DASH if split_now['inadequate'] else format_pct(a['inadequate_pct'])}; by final grade "
             + ", ".join(f"{g} {n}" for g, n in zip(a["by_grade"], split_now["grades"])) + ". "
             f"The 12-month comparison covers {head['year'][0]} to {head['year'][1]}: counts as a monthly mean, "
             "percentages pooled over all audits of those months. " + " ".join(lines) + " Definitions: "
             + DEFINITIONS["final"] + " " + DEFINITIONS["good"] + " " + DEFINITIONS["completion"])
    slides.append(Slide(f"Headlines: {label}", notes, table=table, bullets=lines))

    # Trends by service.
    # Rolling 3 months: a service audits a handful of records a month, so single months swing.
    series = audits.grade_series(con, year, "rolling3", by="service")
    chart = None
    if not series.empty:
        # A point over fewer than t audits is not drawn, and its n is "<t"; panels are titled by service code
        # (a rolling count's sum would count each audit three times).
        series = series.assign(good_pct=series["good_pct"].where(series["n"] >= small.t))
        chart = service_small_multiples(series, config, "good_pct",
                                        "% good or better by service, rolling 3 months", "", names=False,
                                        unit="audits in the 3 months")
        chart.update_yaxes(title_text="% good or better", col=1)
        chart.update_yaxes(tickvals=[0, 25, 50, 75, 100], ticktext=["0%", "25%", "50%", "75%", "100%"])
        for trace in chart.data:
            if trace.mode == "text" and trace.text is not None:
                trace.text = [small.count(int(x)) if str(x).isdigit() else x for x in trace.text]
    by_service = s["by_service"]
    year_service = s_year["by_service"]

    def per_service(values: dict, total: int, word: str) -> str:
        shown = small.parts([v["count"] for v in values.values()], total)
        out = []
        for (code, v), n in zip(values.items(), shown):
            out.append(f"{code} {n} audits, "
                       f"{small.pct(v['good_or_better_pct'], v['count'], not suppression.is_shown(n))}{word}")
        return "; ".join(out)
    notes = (f"% good or better by service, rolling 3 months (each month with the two before it), "
             f"{year.month_from} to {year.month_to}; error bars show the 95% Wilson "
             f"interval where a month rests on fewer than 20 audits; points over fewer than {small.t} audits are "
             f"not drawn. {label}: " + per_service(by_service, a["count"], " good or better")
             + ". 12 months: " + per_service(year_service, s_year["audits"]["count"], "")
             + ". " + DEFINITIONS["good"])
    slides.append(Slide(f"% good or better by service to {label}", notes, chart=chart,
                        caption="Rolling 3 months; error bars: 95% interval where n < 20 audits."))

    # Pillar heatmap (12 months: a single month leaves most cells with a handful of pillar grades).
    cells = pillars.heatmap(con, year, config)
    chart = _heatmap(cells, config, small) if not cells.empty else None
    notes = (f"Pillar grades good or better by service, {year.month_from} to {year.month_to} (cell: % and n). "
             f"{label} across {scope if services else scope.lower()}: "
             + "; ".join(f"{p} {small.pct(v['good_or_better_pct'], v['count'])} of {small.count(v['count'])}"
                         for p, v in s["pillars"].items())
             + ". 12 months: " + "; ".join(f"{p} {small.pct(v['good_or_better_pct'], v['count'])} of "
                                           f"{small.count(v['count'])}" for p, v in s_year["pillars"].items())
             + ". " + DEFINITIONS["pillar"])
    slides.append(Slide(f"Pillars by service: 12 months to {label}", notes, chart=chart,
                        size=(1040, 600), caption="Each cell: % of pillar grades good or better, and n."))

    # Moderation drift.
    trend = moderation.trend(con, year, "month")
    if not trend.empty:   # a month whose agreeing, downgraded or upgraded count would be hidden is not drawn
        hidden = [not all(map(suppression.is_shown, small.parts(
                      [_agreeing(r), int(r["downgraded"]), int(r["upgraded"])], int(r["moderated"]))))
                  or r["moderated"] < small.t for r in trend.to_dict("records")]
        keep = ~pd.Series(hidden, index=trend.index)
        trend = trend.assign(agreement_pct=trend["agreement_pct"].where(keep), net_drift=trend["net_drift"].where(keep))
    chart = _drift_chart(trend) if not trend.empty else None
    m, m_year = s["moderation"], s_year["moderation"]

    def moderated(v: dict, count_text: str) -> str:
        # Agreeing (from the % and the count), downgraded and upgraded add up to the moderated audits; net drift
        # x moderated is upgraded less downgraded, so it goes with any of them.
        agree, down, up = small.parts([_agreeing(v), v["downgraded"], v["upgraded"]], v["moderated"])
        whole = all(map(suppression.is_shown, (agree, down, up, count_text))) and v["moderated"] >= small.t
        return (f"{count_text} moderated audits, agreement {format_pct(v['agreement_pct']) if whole else DASH}, "
                f"{down} downgraded, {up} upgraded, net drift {_num(v['net_drift'], 2) if whole else DASH}, "
                f"weighted kappa {_num(v['weighted_kappa'], 2) if whole else DASH}")
    year_moderated = small.parts([s_year["audits"]["provisional"], m_year["moderated"]],
                                 s_year["audits"]["count"])[1]
    notes = (f"{label}: {moderated(m, split_now['moderated'])}. 12 months: {moderated(m_year, year_moderated)}. "
             f"Benchmarking in {label}: {small.count(s['benchmarking']['benchmarked'])} benchmarked, "
             f"{small.count(s['benchmarking']['changed'])} changed. " + DEFINITIONS["moderation"])
    slides.append(Slide(f"Moderation drift: 12 months to {label}", notes, chart=chart,
                        caption="Above 0: the QA team graded lower than the auditors (auditors more generous)."))

    # KPI summary with variation and assurance icons.
    kpi = kpis.summary(con, config, f)
    colours = {}
    if kpi.empty:
        kpi_table = None
        notes = "No KPI values up to this month. " + DEFINITIONS["kpi"]
    else:
        kpi_table = pd.DataFrame({
            "KPI": kpi["kpi_name"], "Latest period": kpi["latest_period"],
            "Latest": [kpis.format_value(v, u) for v, u in zip(kpi["latest_value"], kpi["unit"])],
            "Target": [kpis.format_value(v, u) for v, u in zip(kpi["target"], kpi["unit"])],
            "Variation": kpi["variation"], "Assurance": kpi["assurance_label"]})
        for i, (cause, assurance) in enumerate(zip(kpi["special_cause"], kpi["assurance"])):
            if cause in TEXT_COLOURS:
                colours[(i, 4)] = TEXT_COLOURS[cause]
            if assurance in TEXT_COLOURS:
                colours[(i, 5)] = TEXT_COLOURS[assurance]
        notes = ("KPIs, concerns first, latest value up to the end of " + label + ": "
                 + "; ".join(f"{r['kpi_name']}: {kpis.format_value(r['latest_value'], r['unit'])} "
                             f"({r['latest_period']}; target {kpis.format_value(r['target'], r['unit'])}; "
                             f"{r['variation']}; {r['assurance_label']}; {r['points']} points)"
                             for r in kpi.to_dict("records"))
                 + ". " + DEFINITIONS["kpi"])
    slides.append(Slide(f"KPIs: signal or noise, to {label}", notes, table=kpi_table, cell_colours=colours,
                        widths=[0.37, 0.12, 0.09, 0.09, 0.16, 0.17]))

    # Learning actions.
    la = {**actions.headline(con, f), "completed": actions.completed(con, f)}
    la_year = {**actions.headline(con, year), "completed": actions.completed(con, year)}
    c = small.count
    # % on time over fewer than t completed actions (its denominator) is not shown.
    table = pd.DataFrame([
        ["Raised", c(la["raised"]), c(la_year["raised"])],
        [f"Open on {f.end.isoformat()}", c(la["open"]), c(la_year["open"])],
        [f"Overdue on {f.end.isoformat()}", c(la["overdue"]), c(la_year["overdue"])],
        ["Completed on time", small.pct(la["completed_on_time_pct"], la["completed"]),
         small.pct(la_year["completed_on_time_pct"], la_year["completed"])],
    ], columns=["Learning actions", f"Raised in {month}", f"Raised {year.month_from} to {year.month_to}"])
    by_source = actions.by(con, year, "source")
    source_lines = [f"{r['source']}: {c(r['raised'])} raised, {c(r['open'])} open, {c(r['overdue'])} overdue"
                    for r in by_source.head(5).to_dict("records")]
    notes = (f"Learning actions raised in {month}: {c(la['raised'])} raised, {c(la['open'])} open and "
             f"{c(la['overdue'])} overdue on {f.end.isoformat()}, completed on time "
             f"{small.pct(la['completed_on_time_pct'], la['completed'])}. Raised in the 12 months: {c(la_year['raised'])}, "
             f"open {c(la_year['open'])}, overdue {c(la_year['overdue'])}, on time "
             f"{small.pct(la_year['completed_on_time_pct'], la_year['completed'])}. By source (12 months): "
             + "; ".join(source_lines) + ". " + DEFINITIONS["actions"])
    slides.append(Slide(f"Learning actions: {label}", notes, table=table,
                        bullets=[f"By source, 12 months — {line}" for line in source_lines[:3]]))

    # Escalations.
    e, e_year = escalations.headline(con, f), escalations.headline(con, year)
    # A median over fewer than t escalations is one or two children's cases: not shown.
    def median(v: dict) -> str:
        return _num(v["median_days_to_resolve"]) if v["raised"] >= small.t else DASH
    table = pd.DataFrame([
        ["Raised", c(e["raised"]), c(e_year["raised"])],
        [f"Open on {f.end.isoformat()}", c(e["open_at_end"]), c(e_year["open_at_end"])],
        ["Median days to resolve", median(e), median(e_year)],
    ], columns=["Escalations (IRO and CP chair)", f"Raised in {month}",
                f"Raised {year.month_from} to {year.month_to}"])
    monthly = escalations.raised_by_month(con, year)
    chart = _escalations_chart(monthly, small) if not monthly.empty else None
    notes = (f"Escalations raised in {month}: {c(e['raised'])}; open on {f.end.isoformat()}: {c(e['open_at_end'])}; "
             f"median days to resolve {median(e)}. 12 months: {c(e_year['raised'])} raised, "
             f"{c(e_year['open_at_end'])} open at the end, median {median(e_year)} days. Bars of fewer than "
             f"{small.t} are not drawn. " + DEFINITIONS["escalations"])
    slides.append(Slide(f"Escalations: {label}", notes, table=table, chart=chart))
    return slides


# --- charts for the slides (the shared template) ----------------------------------------------------
def _heatmap(cells: pd.DataFrame, config: Config, small: _Small):
    from . import heatmap
    services = pillars.ordered(cells["service"], config.service_codes + [pillars.ALL_SERVICES])
    order = pillars.ordered(cells["pillar"], config.pillars)
    grid = cells.set_index(["pillar", "service"])
    z, text = [], []
    for p in order:
        zr, tr = [], []
        # The services' n add up to the "all services" cell: a hidden one is protected as a part of it.
        present = [sv for sv in services if (p, sv) in grid.index and sv != pillars.ALL_SERVICES]
        ns = [int(grid.loc[(p, sv)]["n"]) for sv in present]
        total = int(grid.loc[(p, pillars.ALL_SERVICES)]["n"]) if (p, pillars.ALL_SERVICES) in grid.index else sum(ns)
        shown = dict(zip(present, small.parts(ns, total)))
        shown[pillars.ALL_SERVICES] = small.count(total)
        for sv in services:
            if (p, sv) in grid.index:
                c = grid.loc[(p, sv)]
                n_text = shown[sv]
                visible = suppression.is_shown(n_text)
                zr.append(float(c["good_pct"]) if visible else None)
                tr.append(f"{format_pct(float(c['good_pct'])) if visible else DASH}<br>n={n_text}")
            else:
                zr.append(None)
                tr.append(DASH)
        z.append(zr)
        text.append(tr)
    fig = heatmap.figure(services, order, z, text, text, title="Pillar grades good or better, by service",
                         x_title="Service", y_title="Pillar")
    fig.update_traces(textfont_size=18)
    fig.update_yaxes(tickfont_size=20, title=None)
    fig.update_xaxes(tickfont_size=17)
    return fig


def _drift_chart(trend: pd.DataFrame):
    from plotly.subplots import make_subplots
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Agreement (% of moderated audits)",
                                                        "Net drift (moderated − auditor rank)"),
                        horizontal_spacing=0.1)
    values = trend["agreement_pct"].tolist()
    fig.add_scatter(x=trend["period"], y=values, mode="lines+markers+text", name="Agreement %",
                    text=["" if v is None or v != v else f"{round_half_away(v):.1f}" for v in values],
                    textposition=label_sides(values),
                    line=dict(color=SERIES_COLOUR, width=3), row=1, col=1)
    fig.add_scatter(x=trend["period"], y=trend["net_drift"], mode="lines+markers", name="Net drift",
                    line=dict(color=INK, width=3), marker=dict(symbol="diamond", size=9), row=1, col=2)
    fig.add_hline(y=0, line=dict(color=MUTED, width=1), row=1, col=2)
    fig.update_yaxes(range=[0, 110], row=1, col=1)
    fig.update_yaxes(tickformat="+.2f", row=1, col=2)
    fig.update_xaxes(type="category", tickangle=-45)
    fig.update_layout(template=TEMPLATE, showlegend=False, title="Moderation: agreement and net drift, by month",
                      margin=dict(t=90))
    return fig


def _agreeing(v: dict) -> int:
    """Moderated audits whose moderated grade equals the auditor's: what agreement % x moderated gives back."""
    return round(v["agreement_pct"] * v["moderated"] / 100) if v["agreement_pct"] is not None and \
        v["agreement_pct"] == v["agreement_pct"] else 0


def label_sides(values: list) -> list[str]:
    """Where each point's label goes on a line: above a peak, below a trough (clear of the line either side), and
    to the other side from its neighbour's when the two are close, so labels never print over each other."""
    out = []
    for i, v in enumerate(values):
        if v is None or v != v:
            out.append("top center")
            continue
        near = [values[j] for j in (i - 1, i + 1) if 0 <= j < len(values) and values[j] == values[j]
                and values[j] is not None]
        side = "top center" if not near or v >= sum(near) / len(near) else "bottom center"
        prev = values[i - 1] if i else None
        if out and prev is not None and prev == prev and abs(v - prev) < 8 and out[-1] == side:
            side = "bottom center" if side == "top center" else "top center"
        out.append(side)
    return out


def _escalations_chart(monthly: pd.DataFrame, small: _Small):
    import plotly.graph_objects as go
    per = monthly.groupby(["month", "raised_by"], as_index=False)["n"].sum()
    # A bar's height shows its count, and a month's stack its total (the table gives the latest): months by who
    # raised them, suppressed as a table with each month's total; a hidden bar is not drawn.
    grid = per.pivot_table(index="month", columns="raised_by", values="n", aggfunc="sum", fill_value=0)
    mask = suppression.suppression_mask(grid, small.t, row_totals=True)
    per = per[[not mask.loc[r.month, r.raised_by] for r in per.itertuples()]]
    fig = go.Figure()
    for colour, raiser in zip((RAISER_COLOURS.get(r, MUTED) for r in escalations.RAISERS), escalations.RAISERS):
        part = per[per["raised_by"] == raiser]
        fig.add_bar(x=part["month"], y=part["n"], name=raiser, marker_color=colour, text=part["n"],
                    textposition="inside")
    fig.update_layout(template=TEMPLATE, barmode="stack", title="Escalations raised by month",
                      xaxis_type="category", yaxis_title="Escalations", xaxis_tickangle=-45)
    return fig


# --- writing the file ------------------------------------------------------------------------------
def _style_runs(paragraph, size: int, bold: bool = False, colour: str = INK) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt
    for run in paragraph.runs:
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = "Arial"
        run.font.color.rgb = RGBColor.from_string(colour.lstrip("#"))


def _add_table(slide, df: pd.DataFrame, left, top, width, height, colours: dict, font: int = 18,
               widths: list[float] | None = None) -> None:
    from pptx.dml.color import RGBColor
    shape = slide.shapes.add_table(len(df) + 1, len(df.columns), left, top, width, height)
    table = shape.table
    for j, col in enumerate(df.columns):
        cell = table.cell(0, j)
        cell.text = str(col)
        _style_runs(cell.text_frame.paragraphs[0], font, bold=True, colour="#ffffff")
        cell.fill.solid()
        cell.fill.fore_color.rgb = RGBColor.from_string(INK.lstrip("#"))
    for i, row in enumerate(df.itertuples(index=False)):
        for j, value in enumerate(row):
            cell = table.cell(i + 1, j)
            cell.text = "" if value is None else str(value)
            _style_runs(cell.text_frame.paragraphs[0], font, bold=(i, j) in colours,
                        colour=colours.get((i, j), INK))
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor.from_string("F3F4F6" if i % 2 else "FFFFFF")
    widths = widths or [0.34] + [0.66 / (len(df.columns) - 1)] * (len(df.columns) - 1)
    for j, share in enumerate(widths):
        table.columns[j].width = int(width * share)
    for i in range(len(df) + 1):
        table.rows[i].height = int(height / (len(df) + 1))


def write(slides: list[Slide], images: list[bytes | None]) -> bytes:
    """The .pptx bytes: 16:9, a title and (table | chart | both) per slide, notes on every slide."""
    from pptx import Presentation
    from pptx.util import Inches, Pt
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W_IN), Inches(SLIDE_H_IN)
    blank = prs.slide_layouts[6]
    for k, (sl, image) in enumerate(zip(slides, images)):
        slide = prs.slides.add_slide(blank)
        title_box = slide.shapes.add_textbox(Inches(0.5), Inches(0.3), Inches(12.3), Inches(0.9))
        tf = title_box.text_frame
        tf.word_wrap = True
        tf.text = sl.title
        _style_runs(tf.paragraphs[0], 40 if k == 0 else 30, bold=True)
        top = Inches(1.25)
        if sl.caption:
            cap = slide.shapes.add_textbox(Inches(0.5), Inches(1.1), Inches(12.3), Inches(0.45))
            cap.text_frame.word_wrap = True
            cap.text_frame.text = sl.caption
            _style_runs(cap.text_frame.paragraphs[0], 18, colour=MUTED)
            top = Inches(1.6)
        if k == 0:
            title_box.top = Inches(2.4)
            sub = slide.shapes.add_textbox(Inches(0.5), Inches(4.2), Inches(12.3), Inches(1.2))
            sub.text_frame.word_wrap = True
            sub.text_frame.text = sl.subtitle
            _style_runs(sub.text_frame.paragraphs[0], 22, colour=MUTED)
        if sl.table is not None and image is not None:
            _add_table(slide, sl.table, Inches(0.4), top, Inches(5.6), Inches(0.75) * (len(sl.table) + 1),
                       sl.cell_colours, font=18, widths=sl.widths)
            slide.shapes.add_picture(io.BytesIO(image), Inches(6.2), top, width=Inches(6.9))
        elif sl.table is not None:
            rows = len(sl.table) + 1
            font, row_h = (15, Inches(0.56)) if rows > 8 else (20, Inches(0.52))
            _add_table(slide, sl.table, Inches(0.5), top, Inches(12.3), row_h * rows, sl.cell_colours,
                       font=font, widths=sl.widths)
            if sl.bullets:
                box = slide.shapes.add_textbox(Inches(0.5), top + row_h * rows + Inches(0.3), Inches(12.3),
                                               Inches(7.2) - top - row_h * rows - Inches(0.3))
                box.text_frame.word_wrap = True
                for i, line in enumerate(sl.bullets):
                    p = box.text_frame.paragraphs[0] if i == 0 else box.text_frame.add_paragraph()
                    p.text = "• " + line
                    p.space_after = Pt(6)
                    _style_runs(p, 18)
        elif image is not None:
            slide.shapes.add_picture(io.BytesIO(image), Inches(0.9), top, height=Inches(7.3) - top)
        elif k > 0:
            box = slide.shapes.add_textbox(Inches(0.5), top, Inches(12.3), Inches(1))
            box.text_frame.text = "No data for this chart in the period."
            _style_runs(box.text_frame.paragraphs[0], 20, colour=MUTED)
        slide.notes_slide.notes_text_frame.text = sl.notes
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def render(slides: list[Slide]) -> bytes:
    """Render every slide's chart in one kaleido server, then write the pack."""
    from .images import Request, render_batch
    from .charts import presentation_layout
    charted = [(i, sl) for i, sl in enumerate(slides) if sl.chart is not None]
    for _, sl in charted:
        presentation_layout(sl.chart)   # projector type sizes, as the dashboard's presentation mode
        # The slide's title names the chart; the room goes to the plot.
        traces = [t for t in sl.chart.data if t.type != "heatmap" and t.showlegend is not False]
        legend = sl.chart.layout.showlegend is not False and len(traces) > 1
        sl.chart.update_layout(title=None, margin=dict(t=50, l=80, r=30, b=150 if legend else 60))
    requests = []
    for _, sl in charted:
        table_beside = sl.table is not None
        width, height = sl.size or ((640, 520) if table_beside else (CHART_W, CHART_H))
        requests.append(Request(sl.chart, "png", width, height))
    pngs = render_batch(requests)
    images: list[bytes | None] = [None] * len(slides)
    for (i, _), png in zip(charted, pngs):
        images[i] = png
    return write(slides, images)


def build(db, month: str, services=None, *, demo: bool | None = None) -> bytes:
    """The pack for a stored month, as the dashboard's button and the CLI make it."""
    if demo is None:
        from .demo import is_demo_database
        demo = is_demo_database(db.path)
    with db.read() as con:
        slides = contents(con, month, services, db.config, demo=demo)
    return render(slides)
