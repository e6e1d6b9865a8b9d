"""Pillar breakdown: each pillar's grades by service, over time, and which pillar holds audits back."""
import plotly.graph_objects as go
import streamlit as st

from analytics import audits, heatmap, pillars, ui
from analytics.charts import CATEGORY_COLOURS, GRADE_COLOURS, SERIES_COLOUR, TEMPLATE, wilson_error_bars
from analytics.filters import GRAINS
from analytics.presentation import format_pct

source, f, grain = ui.page_start("Pillar breakdown")
config = ui.config()
with ui.cached_reads(source) as cached:
    figures = cached(pillars.page_figures, f, config, grain)
cells, dist, series, held = (figures[k] for k in ("cells", "distribution", "trend", "held_back"))
n_audits, n_provisional = figures["audits"]
if cells.empty:
    ui.empty("No pillar grades match these filters: widen the period or clear a filter.")
    st.stop()

st.caption(f"{n_audits:,} audits with pillar grades in the period, of which **{n_provisional:,} provisional** "
           "(not yet moderated): their grades may still change.")
SMALL = f"shown where a figure rests on fewer than {audits.SMALL_N} pillar grades"


def interval(low, high, n) -> str:
    if n >= audits.SMALL_N or low is None or low != low:
        return ""
    return f"{format_pct(float(low))[:-1]}–{format_pct(float(high))}"


def error_bars(rows, value="good_pct", low="good_ci_low", high="good_ci_high"):
    return wilson_error_bars(rows, value, low, high, small_n=audits.SMALL_N)


# --- heatmap: service x pillar --------------------------------------------------------------
st.subheader("% good or better by service and pillar")
services = pillars.ordered(cells["service"], config.service_codes + [pillars.ALL_SERVICES])
pillar_order = pillars.ordered(cells["pillar"], config.pillars)
grid = cells.set_index(["pillar", "service"])
z, text, hover = [], [], []
for p in pillar_order:
    zr, tr, hr = [], [], []
    for s in services:
        if (p, s) in grid.index:
            c = grid.loc[(p, s)]
            n = int(c["n"])
            pct = format_pct(float(c["good_pct"]))
            zr.append(c["good_pct"])
            ci = interval(c["good_ci_low"], c["good_ci_high"], n)
            tr.append(f"{pct} (n={n:,})" + (f"<br>95% CI {ci}" if ci else ""))
            hr.append(f"{s} · {p}<br>{pct} good or better of {n:,} pillar grades"
                      f"<br>{int(c['provisional'])} provisional" + (f"<br>95% CI {ci}" if ci else ""))
        else:
            zr.append(None)
            tr.append("–")
            hr.append(f"{s} · {p}<br>no pillar grades")
    z.append(zr)
    text.append(tr)
    hover.append(hr)
fig = heatmap.figure(services, pillar_order, z, text, hover, title="Pillar grades good or better, by service",
                     x_title="Service", y_title="Pillar")
table = cells.assign(**{"95% interval (n < 20)": [interval(lo, hi, n) for lo, hi, n in
                                                   zip(cells["good_ci_low"], cells["good_ci_high"], cells["n"])]})
ui.show_chart(fig, table[["service", "pillar", "n", "good", "good_pct", "95% interval (n < 20)", "inadequate",
                          "inadequate_pct", "provisional"]],
              "Share of pillar grades (final: moderated, else the auditor's) that are Outstanding or Good; n = pillar "
              f"grades in the cell. The 95% Wilson interval is {SMALL}. \"All services\" is every service in the "
              "filters together.", "pillar_heatmap")

# --- grade distribution per pillar --------------------------------------------------------
st.subheader("Grade distribution per pillar")
totals = dist.groupby("pillar", sort=False)["n"].sum()
tick = {p: heatmap.wrap(f"{p} (n={int(totals.get(p, 0)):,})", 28) for p in pillar_order}
fig = go.Figure()
for rank, label in enumerate(config.grade_labels, start=1):
    rows = dist[dist["rank"] == rank]
    fig.add_bar(y=rows["pillar"].map(tick), x=rows["share_pct"], name=label, orientation="h",
                marker_color=GRADE_COLOURS[rank], customdata=rows[["n", "pillar"]].assign(grade=label),
                hovertemplate="%{customdata[1]}: %{customdata[0]} " + label + " (%{x:.1f}%)<extra></extra>")
fig.update_layout(template=TEMPLATE, barmode="stack", title="Pillar grades by final grade",
                  xaxis_title="% of the pillar's grades", yaxis_title="Pillar", xaxis_range=[0, 100],
                  legend_traceorder="normal", margin=dict(t=100), height=max(380, 56 * len(pillar_order) + 160))
fig.update_xaxes(automargin=True)
fig.update_yaxes(autorange="reversed", automargin=True, categoryorder="array",
                 categoryarray=[tick[p] for p in pillar_order])
state = ui.show_chart(fig, dist, "Each pillar's grades split by final pillar grade (moderated, else the auditor's); "
                     "n beside each pillar is its number of grades. Click a bar to see its audits.", "pillar_grades",
                     on_select="rerun")
ui.drill_to_explorer(state, pillar_at=1, pillar_grade_at=2)

# --- trends ----------------------------------------------------------------------------------
st.subheader("Pillar trends")
grain_label = GRAINS[grain].lower()
periods = sorted(series["period"].unique())
fig = go.Figure()
for p in pillar_order:
    rows = series[series["pillar"] == p]
    fig.add_scatter(x=rows["period"], y=rows["good_pct"], mode="lines+markers", name=heatmap.wrap(p, 26),
                    customdata=rows[["n"]], error_y=error_bars(rows),
                    hovertemplate="%{x}: %{y:.1f}% of %{customdata[0]} grades<extra>" + p + "</extra>")
fig.update_layout(template=TEMPLATE, title=f"Pillar grades good or better, by {grain_label}",
                  xaxis_title=GRAINS[grain] + (" (3 months to the month shown)" if grain == "rolling3" else ""),
                  yaxis_title="% good or better (of pillar grades)", yaxis_range=[0, 100], height=520,
                  legend=dict(orientation="v", x=1.02, y=1, xanchor="left", yanchor="top", title_text="Pillar"))
fig.update_xaxes(type="category", categoryorder="array", categoryarray=periods, automargin=True)
ui.show_chart(fig, series[["period", "pillar", "n", "good", "good_pct", "good_ci_low", "good_ci_high", "provisional"]],
              "Share of each pillar's grades that are Outstanding or Good, per "
              + ("3 months ending in the month shown" if grain == "rolling3" else grain_label)
              + f"; n in the hover and the data table. Error bars: 95% Wilson interval, {SMALL}.", "pillar_trend")

# --- strongest and weakest pillar per service -----------------------------------------------
st.subheader("Strongest and weakest pillar in each service")
sw = pillars.strongest_weakest(cells, config)
fig = go.Figure()
# Not grade colours: a strongest pillar can be Requires Improvement, a weakest one Good.
for position, colour, symbol, side in (("Weakest", CATEGORY_COLOURS[1], "diamond", "middle left"),
                                       ("Strongest", SERIES_COLOUR, "circle", "middle right")):
    rows = sw[sw["position"] == position].groupby("service", sort=False).agg(
        good_pct=("good_pct", "first"), pillar=("pillar", lambda s: " / ".join(s)), n=("n", "first")).reset_index()
    fig.add_scatter(x=rows["good_pct"], y=rows["service"], mode="markers+text", name=position,
                    text=[heatmap.wrap(t, 26) for t in rows["pillar"]], textposition=side, cliponaxis=False,
                    textfont=dict(size=12),
                    marker=dict(color=colour, size=14, symbol=symbol), customdata=rows[["pillar", "n"]],
                    hovertemplate="%{y} " + position.lower() + ": %{customdata[0]}<br>%{x:.1f}% of "
                                  "%{customdata[1]} grades<extra></extra>")
for service, rows in sw.groupby("service", sort=False):
    fig.add_shape(type="line", x0=rows["good_pct"].min(), x1=rows["good_pct"].max(), y0=service, y1=service,
                  line=dict(color="#9ca3af", width=3), layer="below")
fig.update_layout(template=TEMPLATE, title="Each service's strongest and weakest pillar",
                  xaxis_title="% good or better (of the pillar's grades)", yaxis_title="Service",
                  xaxis_range=[0, 100], yaxis_autorange="reversed", margin=dict(r=160, t=100),
                  height=max(360, 90 * sw["service"].nunique() + 160))
fig.update_xaxes(automargin=True)
sw_table = sw.assign(**{"95% interval (n < 20)": [interval(lo, hi, n) for lo, hi, n in
                                                   zip(sw["good_ci_low"], sw["good_ci_high"], sw["n"])]})
ui.show_chart(fig, sw_table[["service", "position", "pillar", "n", "good", "good_pct", "95% interval (n < 20)",
                             "provisional"]],
              "For each service, the pillar with the highest and the one with the lowest % good or better in the "
              "period (ties all named). Compare with n in the data table: a pillar graded a handful of times can top "
              "or tail the list by chance.", "pillar_strongest_weakest")

# --- the pillar that holds audits back -----------------------------------------------------------
st.subheader("Pillars graded below the audit's overall grade")
fig = go.Figure(go.Bar(
    y=[heatmap.wrap(p, 28) for p in held["pillar"]], x=held["below_pct"], orientation="h",
    marker_color=SERIES_COLOUR, customdata=held[["below", "n", "pillar"]],   # a share of grades, not a grade
    error_x=error_bars(held, "below_pct", "below_ci_low", "below_ci_high"),
    text=[f"{format_pct(float(v))} (n={int(n):,})" for v, n in zip(held["below_pct"], held["n"])], textposition="outside",
    hovertemplate="%{customdata[2]}: %{customdata[0]} of %{customdata[1]} grades below the audit's grade "
                  "(%{x:.1f}%)<extra></extra>"))
fig.update_layout(template=TEMPLATE, title="How often each pillar is graded below the audit's overall grade",
                  xaxis_title="% of the pillar's grades below the overall grade", yaxis_title="Pillar",
                  xaxis_range=[0, 100], height=max(380, 56 * len(held) + 160))
fig.update_yaxes(autorange="reversed", automargin=True)
fig.update_xaxes(automargin=True)
ui.show_chart(fig, held, "A pillar grade is below the overall grade when the final pillar grade is worse than the "
              "audit's final grade (e.g. Requires Improvement in an audit graded Good); as % of that pillar's grades. "
              f"The pillar most often below is the one that holds audits back. Error bars: 95% Wilson interval, {SMALL}.",
              "pillar_held_back")
