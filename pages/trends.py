"""Trends by service: % good or better and % inadequate per service over time, grades, completion, cohorts."""
import plotly.graph_objects as go
import streamlit as st

from analytics import audits, ui
from analytics.charts import GRADE_COLOURS, SERIES_COLOUR, TEMPLATE, service_small_multiples
from analytics.filters import GRAINS

source, f, grain = ui.page_start("Trends by service")
config = ui.config()
with ui.cached_reads(source) as cached:
    series = cached(audits.grade_series, f, grain, by="service")
    dist = cached(audits.grade_distribution, f, config, grain)
    done = cached(audits.completion, f, config, grain)
    cohorts = cached(audits.grades_by, f, "cohort")
if series.empty:
    ui.empty()
    st.stop()

grain_label = GRAINS[grain].lower()
st.subheader("% good or better by service")
fig = service_small_multiples(series, config, "good_pct",
                              f"Audits graded good or better, by service and {grain_label}", "% good or better")
state = ui.show_chart(
    fig, series[["period", "service", "n", "good", "good_pct", "good_ci_low", "good_ci_high", "inadequate",
                 "inadequate_pct", "provisional"]],
    "Final grade (benchmarked, else moderated, else the auditor's). Numbers along the foot of each panel: "
    "audits (n). Error bars: 95% Wilson interval, shown where a point rests on fewer than 20 audits. Click a point to see its audits.", "trend_good", on_select="rerun")
ui.drill_to_explorer(state, grain, period_at=1, service_at=2)

st.subheader("% inadequate by service")
fig = service_small_multiples(series, config, "inadequate_pct",
                              f"Audits graded inadequate, by service and {grain_label}", "% inadequate")
ui.show_chart(fig, series[["period", "service", "n", "inadequate", "inadequate_pct", "inadequate_ci_low",
                           "inadequate_ci_high"]],
              "Share of audits whose final grade is Inadequate. Numbers along the foot of each panel: audits (n). "
              "Error bars: 95% Wilson interval where a point rests on fewer than 20 audits.", "trend_inadequate")

st.subheader("Grade distribution")
fig = go.Figure()
for rank, label in enumerate(config.grade_labels, start=1):
    rows = dist[dist["rank"] == rank]
    fig.add_bar(x=rows["period"], y=rows["n"], name=label, marker_color=GRADE_COLOURS[rank],
                customdata=rows[["period", "grade"]],
                hovertemplate="%{x}: %{y} audits " + label + "<extra></extra>")
fig.update_layout(template=TEMPLATE, barmode="stack", title=f"Audits by final grade and {grain_label}",
                  xaxis_title=GRAINS[grain],
                  yaxis_title="Audits in the 3 months to each month (count)" if grain == "rolling3"
                  else "Audits (count)")
state = ui.show_chart(fig, dist, "Count of audits per final grade" + (
    ", each month with the two before it (an audit counts in three bars)" if grain == "rolling3" else "")
    + ". Click a bar to see its audits.", "trend_grades", on_select="rerun")
ui.drill_to_explorer(state, grain, period_at=0, grade_at=1)

st.subheader("Audit completion")
fig = service_small_multiples(done, config, "completion_pct",
                              f"Managers who completed their monthly audit, by service and {grain_label}",
                              "% of managers in post", n="expected", unit="manager-months")
ui.show_chart(fig, done, "Distinct auditors with an audit in a month, over Team and Service Managers in post on "
              "the month's last day in the service (staff roster); a quarter or rolling 3 months adds up its "
              "months. Numbers along the foot of each panel: manager-months expected (n). Error bars: 95% Wilson "
              "interval where n < 20.", "trend_completion")

st.subheader("Cohort mix of the audited records")
fig = go.Figure(go.Bar(x=cohorts["cohort"], y=cohorts["n"], marker_color=SERIES_COLOUR,   # counts, not a grade
                       customdata=cohorts[["good_pct"]],
                       hovertemplate="%{x}: %{y} audits, %{customdata[0]:.1f}% good or better<extra></extra>"))
fig.update_layout(template=TEMPLATE, title="Audited records by cohort", xaxis_title="Cohort",
                  yaxis_title="Audits (count)")
ui.show_chart(fig, cohorts, "Audits in the period by the child's cohort (CIN, CP, CIC, Court, ...).", "trend_cohorts")

# --- Audit SPC (issue 6): the monthly % good or better as an XmR chart -------------------------------
from analytics import kpis  # noqa: E402

st.subheader("% good or better: signal or noise?")
in_view = f.effective_services()
spc_service = st.selectbox(
    "Series for the XmR chart", [None, *(config.service_codes if in_view is None else in_view)], key="trend_spc_service",
    format_func=lambda s: "All services in the filter" if s is None else f"{s}: {config.service_names[s]}")
with ui.cached_reads(source) as cached:
    spc_frame = cached(kpis.audit_spc, f, spc_service)
if spc_frame.empty:
    ui.empty("No audits for this series in the period.")
else:
    if len(spc_frame) < 12:
        st.warning(f"Only {len(spc_frame)} months: the limits are trial limits, to be firmed up once 12 or more "
                   "months are in. Widen the period for firmer limits.", icon=":material/warning:")
    spc_label = "all services in the filter" if spc_service is None else spc_service
    fig = kpis.xmr_figure(spc_frame, spc_frame["period"], f"Audits graded good or better, monthly XmR chart "
                          f"({spc_label})", "% good or better (of audits)", hover_n="n", suffix="%",
                          x_title="Month", percent=True)
    ui.show_chart(fig, kpis.chart_table(spc_frame, "period", ["n", "good", "provisional"]),
                  "Monthly % of audits whose final grade is good or better, on an XmR chart (higher is better): "
                  "centre = mean of the months shown; limits = centre ± 2.66 × mean moving range. A coloured "
                  "point is a signal (outside the limits, 7 rising or falling, 2 of 3 near a limit, or 7 on one "
                  "side of the centre); grey points are the month-to-month noise. Months without audits are left "
                  "out. A month resting on few audits moves a lot: read its n (and how many are provisional, not "
                  "yet moderated) in the hover and table.",
                  "trend_spc")
