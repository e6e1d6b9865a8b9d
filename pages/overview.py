"""Overview, the QPRM headline: the latest month against the month before and the year before it."""
import plotly.graph_objects as go
import streamlit as st

from analytics import audits, overview, publish, ui
from analytics.charts import GRADE_COLOURS, TEMPLATE, service_small_multiples
from analytics.filters import GRAINS
from analytics.presentation import format_pct, format_signed, round_half_away
from analytics.escaping import md

source = ui.source()
config = ui.config()
presenting = ui.presentation_toggle()
f, grain = ui.filter_bar(source)

st.title("Audit quality overview")
viewer = ui.viewer()
if not viewer.full and f.month_from is not None:
    # Services the viewer does not see in full appear only inside these council-wide totals.
    ui.council_wide_figures(source, f, config)
    if not viewer.services:
        st.stop()
    st.divider()
if f.month_from is None:
    ui.empty("No audits are stored yet. Load the council's files on the Data page.")
    st.stop()
with ui.cached_reads(source) as cached:
    head = cached(overview.headline, f, config)
    lines = cached(overview.sentences, f, config)
    dist = cached(audits.grade_distribution, f, config)
    series = cached(audits.grade_series, f, grain, by="service")
    # Published figures are kept for all services and for each service: compare like with like.
    one = f.effective_services()[0] if f.effective_services() and len(f.effective_services()) == 1 else None
    published = None if f.effective_services() and not one else cached(publish.comparison, f.month_to, config, one)
if not head["period"]["count"]:
    ui.empty()
    st.stop()

st.subheader(f"{head['latest']}: the latest month")
latest_n, latest_prov = head["figures"][0].value, head["figures"][3].value
if latest_n and latest_prov:
    share = "All" if latest_prov == latest_n else f"{latest_prov:,} of these"
    st.caption(f"{share} {latest_n:,} audits are provisional (not yet moderated): the month's grades may still "
               "change.")
cols = st.columns(len(head["figures"]))
for col, fig_ in zip(cols, head["figures"]):
    fmt = (lambda v: format_pct(v)) if fig_.unit == "pct" else (lambda v: "–" if v is None else f"{v:,.0f}")
    delta = fig_.change_previous
    col.metric(fig_.label, fmt(fig_.value),
               delta=None if delta is None else (format_signed(delta, " pts").replace("−", "-") if fig_.unit == "pct"
                                                 else f"{delta:+,.0f}")
               + f" on {head['previous']}", delta_color="off", delta_arrow="off" if not delta else "auto",
               help=f"n = {fig_.n:,}. 12 months before ({head['year'][0]} to {head['year'][1]}): "
                    f"{fmt(fig_.average_12)}" + (" (monthly mean)" if fig_.unit == "count" else " (pooled)"))
    if fig_.change_average is not None:
        change = round_half_away(abs(fig_.change_average))
        col.caption(f"{'+' if fig_.change_average >= 0 else '−'}{change:,.1f}{' pts' if fig_.unit == 'pct' else ''} "
                    f"against the 12-month {'average' if fig_.unit == 'pct' else 'monthly mean'}")

period = head["period"]
st.markdown(f"**{f.month_from} to {f.month_to}:** {period['count']:,} audits, "
            f"{format_pct(period['good_or_better_pct'])} good or better, {format_pct(period['inadequate_pct'])} "
            f"inadequate, {period['provisional']:,} provisional (not yet moderated).")
for line in lines:
    st.markdown(f"- {md(line)}")
if published:
    ui.published_figures(published)

left, right = st.columns([1, 2]) if not presenting else (st.container(), st.container())
with left:
    fig = go.Figure()
    for _, row in dist.iterrows():
        fig.add_bar(y=["Period"], x=[row["share_pct"]], orientation="h", name=row["grade"],
                    marker_color=GRADE_COLOURS[int(row["rank"])], text=format_pct(row['share_pct']),
                    customdata=[[row["n"], row["grade"]]],
                    hovertemplate=row["grade"] + ": %{x:.1f}% (%{customdata[0]} audits)<extra></extra>")
    fig.update_layout(template=TEMPLATE, barmode="stack", height=300, title="Final grades in the period",
                      legend=dict(orientation="h", yanchor="top", y=-0.6, x=0), margin=dict(b=120),
                      xaxis_title="% of audits", yaxis_visible=False, xaxis_range=[0, 100])
    state = ui.show_chart(fig, dist, f"Audits {f.month_from} to {f.month_to} by final grade "
                          f"(n = {period['count']:,}). Click a grade to see its audits.", "overview_grades",
                          on_select="rerun")
    ui.drill_to_explorer(state, grade_at=1, fixed={"period": [f.month_from, f.month_to]})
with right:
    fig = service_small_multiples(series, config, "good_pct",
                                  f"% good or better by service, by {GRAINS[grain].lower()}", "% good or better",
                                  names=False)
    ui.show_chart(fig, series[["period", "service", "n", "good", "good_pct", "good_ci_low", "good_ci_high"]],
                  "One panel per service: % of its audits whose final grade is Outstanding or Good; numbers along "
                  "the foot: audits (n); error bars "
                  "show the 95% Wilson interval where a point rests on fewer than 20 audits.",
                  "overview_services")
