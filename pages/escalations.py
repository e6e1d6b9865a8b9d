"""Escalations (IRO and CP chair) and Need to Know notifications: raised, stages, open by age, days to resolve."""
import plotly.graph_objects as go
import streamlit as st

from analytics import escalations as esc
from analytics import ui
from analytics.charts import CATEGORY_COLOURS, RAISER_COLOURS, SERIES_COLOUR, STAGE_SHADES, TEMPLATE
from analytics.presentation import for_people

STAGE_COLOURS = dict(zip(esc.STAGES, STAGE_SHADES))


def days(value) -> str:
    return "–" if value is None or value != value else f"{value:g}"


source, f, _ = ui.page_start("Escalations and Need to Know", grain=False, audit_filters=False, empty=ui.NO_PERIOD)
with ui.cached_reads(source) as cached:
    figures = cached(esc.page_figures, f)
head, monthly, stages, open_now, ageing, by_service, by_stage, themes, trend, ntk, ntk_category, ntk_service, \
    ntk_totals = (figures[k] for k in ("headline", "monthly", "stages", "open_now", "ageing", "by_service", "by_stage",
                                       "themes", "trend", "ntk", "ntk_category", "ntk_service", "ntk_totals"))

st.header("IRO and CP chair escalations")
st.caption(f"Escalations raised from {f.month_from} to {f.month_to}; open is judged on **{f.end:%d %B %Y}** "
           "(the period's last day). Child references are never shown.")
cols = st.columns(4)
cols[0].metric("Raised", f'{head["raised"]:,}')
cols[1].metric("Raised in the period, still open", f'{head["open_at_end"]:,}',
               help="Raised in the period and not resolved by its last day (as in the QPRM summary).")
cols[2].metric("Median days to resolve", days(head["median_days_to_resolve"]),
               help="Resolved date minus raised date, median over the escalations raised in the period that have "
                    "been resolved (whenever). With an even count, the mean of the two middle values.")
cols[3].metric("All open on the period's last day", f"{len(open_now):,}",
               help=f"Including {int((~open_now['raised_in_period']).sum())} raised before the period.")

if head["raised"] == 0:
    ui.empty("No escalations raised in this period and service.")
else:
    st.subheader("Escalations raised per month")
    fig = go.Figure()
    per_raiser = monthly.groupby(["month", "raised_by"], sort=False)["n"].sum().reset_index()
    for r in esc.RAISERS:
        rows = per_raiser[per_raiser["raised_by"] == r]
        fig.add_bar(x=rows["month"], y=rows["n"], name=r, marker_color=RAISER_COLOURS[r],
                    hovertemplate="%{x}: %{y} raised by " + r + "<extra></extra>")
    fig.update_layout(template=TEMPLATE, barmode="stack", title="Escalations raised per month, by raiser",
                      xaxis_title="Month raised", yaxis_title="Escalations (count)", xaxis_type="category")
    ui.show_chart(fig, monthly[monthly["n"] > 0], "Each escalation counted in the month of its raised date. The "
                  "table splits each month by service and raiser.", "esc_monthly")

    st.subheader("Escalations raised by service")
    per_service = monthly[monthly["n"] > 0].groupby(["service", "raised_by"])["n"].sum().reset_index()
    fig = go.Figure()
    for r in esc.RAISERS:
        rows = per_service[per_service["raised_by"] == r]
        fig.add_bar(x=rows["service"], y=rows["n"], name=r, marker_color=RAISER_COLOURS[r],
                    hovertemplate="%{x}: %{y} raised by " + r + "<extra></extra>")
    fig.update_layout(template=TEMPLATE, barmode="stack", title="Escalations raised in the period, by service and raiser",
                      xaxis_title="Service", yaxis_title="Escalations (count)")
    ui.show_chart(fig, per_service, "Escalations raised in the period, by the service escalated to.", "esc_service")

    left, right = st.columns(2)
    with left:
        st.subheader("Stage mix")
        fig = go.Figure()
        for r in esc.RAISERS:
            rows = stages[stages["raised_by"] == r]
            fig.add_bar(x=rows["stage"], y=rows["n"], name=r, marker_color=RAISER_COLOURS[r],
                        customdata=rows[["pct"]].astype(float),
                        hovertemplate="%{x}: %{y} (%{customdata[0]:.1f}% of the raiser's)<extra>" + r + "</extra>")
        fig.update_layout(template=TEMPLATE, barmode="group", title="Escalations by stage reached",
                          xaxis_title="Stage", yaxis_title="Escalations (count)")
        ui.show_chart(fig, stages, "Stage as recorded (Informal, then Formal 1 to 3). %: share of that raiser's "
                      "escalations in the period.", "esc_stages")
    with right:
        st.subheader("Median days to resolve")
        fig = go.Figure(go.Bar(x=by_service["service"], y=by_service["median_days"], marker_color=SERIES_COLOUR,
                               customdata=by_service[["resolved", "raised"]],
                               hovertemplate="%{x}: median %{y} days over %{customdata[0]} resolved "
                                             "(of %{customdata[1]} raised)<extra></extra>"))
        fig.update_layout(template=TEMPLATE, title="Median days to resolve, by service", xaxis_title="Service",
                          yaxis_title="Median days (raised to resolved)")
        ui.show_chart(fig, by_service, "Over escalations raised in the period and resolved (whenever); n resolved "
                      "in the table. Unresolved escalations are not in the median.", "esc_days_service")
        ui.dataframe(for_people(by_stage, {"median_days": "Median days to resolve"}))
        ui.download_table(by_stage, "esc_by_stage")

st.subheader("Open escalations by age")
if open_now.empty:
    ui.empty(f"No escalation was open on {f.end:%d %B %Y}.")
else:
    fig = go.Figure()
    for s in esc.STAGES:
        rows = ageing[ageing["stage"] == s]
        fig.add_bar(x=rows["age_band"], y=rows["n"], name=s, marker_color=STAGE_COLOURS[s],
                    hovertemplate="%{x}: %{y} open at " + s + "<extra></extra>")
    fig.update_layout(template=TEMPLATE, barmode="stack", title=f"Escalations open on {f.end:%d %b %Y}, by age",
                      xaxis_title="Days open on the period's last day", yaxis_title="Open escalations (count)")
    ui.show_chart(fig, ageing, "Open: raised on or before the period's last day and not resolved by it, however "
                  "long ago it was raised (the headline's Raised in the period, still open counts only those raised in the "
                  "period). Age: days from raised to the period's last day.", "esc_open_age")
    with st.expander("Open escalations (oldest first)"):
        ui.dataframe(for_people(open_now.drop(columns=["month", "quarter"], errors="ignore"),
                                {"escalation_id": "Escalation"}))
        ui.download_table(open_now.drop(columns=["month", "quarter"], errors="ignore"), "esc_open")

if not themes.empty:
    st.subheader("Escalation themes")
    top = themes.head(10).iloc[::-1]
    fig = go.Figure()
    for r in esc.RAISERS:
        fig.add_bar(y=top["theme"], x=top[r], name=r, orientation="h", marker_color=RAISER_COLOURS[r],
                    hovertemplate="%{y}: %{x} raised by " + r + "<extra></extra>")
    fig.update_layout(template=TEMPLATE, barmode="stack", title="Escalation themes ranked, by raiser",
                      xaxis_title="Escalations naming the theme (count)", yaxis_title=None, yaxis_automargin=True)
    ui.show_chart(fig, themes, "An escalation naming several themes counts once under each; %: share of the "
                  "period's escalations.", "esc_themes")
    fig = go.Figure()
    for theme, rows in trend.groupby("theme", sort=False):
        fig.add_scatter(x=rows["quarter"], y=rows["n"], mode="lines+markers", name=theme,
                        customdata=rows[["raised"]],
                        hovertemplate="%{x}: %{y} of %{customdata[0]} raised<extra>" + theme + "</extra>")
    fig.update_layout(template=TEMPLATE, title="Leading escalation themes by financial quarter",
                      xaxis_title="Financial quarter", yaxis_title="Escalations naming the theme (count)",
                      xaxis_type="category")
    ui.show_chart(fig, trend, "The five themes named most in the period; raised: the quarter's escalations.",
                  "esc_theme_trend")

# --- Need to Know --------------------------------------------------------------------------------
st.header("Need to Know notifications")
if ntk["notifications"] == 0:
    ui.empty("No Need to Know notifications in this period and service.")
else:
    cols = st.columns(3)
    cols[0].metric("Notifications", f'{ntk["notifications"]:,}')
    cols[1].metric("Led to a Rapid Review", f'{ntk["rapid_review"]:,}')
    cols[2].metric("National panel notified", f'{ntk["national_panel"]:,}')
    # Every quarter of the period in order, empty ones too (traces alone would order them by first appearance).
    quarter_axis = dict(xaxis_type="category", xaxis_categoryorder="array", xaxis_categoryarray=esc.quarters(f),
                        xaxis_range=[-0.5, len(esc.quarters(f)) - 0.5])
    fig = go.Figure()
    for col, label, colour in (("notifications", "Notifications", SERIES_COLOUR),
                               ("rapid_review", "Rapid Review", CATEGORY_COLOURS[0]),
                               ("national_panel", "National panel notified", CATEGORY_COLOURS[1])):
        fig.add_bar(x=ntk_totals["quarter"], y=ntk_totals[col], name=label, marker_color=colour,
                    hovertemplate="%{x}: %{y} " + label.lower() + "<extra></extra>")
    fig.update_layout(template=TEMPLATE, barmode="group", title="Need to Know notifications and what followed, by quarter",
                      xaxis_title="Financial quarter", yaxis_title="Notifications (count)", **quarter_axis)
    ui.show_chart(fig, ntk_totals, "Notifications by notified date, and how many of them led to a Rapid Review or "
                  "a notification to the national Child Safeguarding Practice Review Panel (a blank counts as no).",
                  "ntk_totals")
    fig = go.Figure()
    for category, rows in ntk_category.groupby("category", sort=True):
        fig.add_bar(x=rows["quarter"], y=rows["notifications"], name=category,
                    customdata=rows[["rapid_review", "national_panel"]],
                    hovertemplate="%{x}: %{y} notifications, %{customdata[0]} Rapid Review, %{customdata[1]} "
                                  "national panel<extra>" + category + "</extra>")
    fig.update_layout(template=TEMPLATE, barmode="stack", title="Need to Know notifications by category and quarter",
                      xaxis_title="Financial quarter", yaxis_title="Notifications (count)", **quarter_axis)
    ui.show_chart(fig, ntk_category, "By notified date. Rapid review and National panel: how many of them led to a "
                  "Rapid Review or a notification to the national Child Safeguarding Practice Review Panel (a "
                  "blank is counted as no).", "ntk_category")
    fig = go.Figure()
    for service, rows in ntk_service.groupby("service", sort=True):
        fig.add_bar(x=rows["quarter"], y=rows["notifications"], name=service,
                    customdata=rows[["rapid_review", "national_panel"]],
                    hovertemplate="%{x}: %{y} notifications, %{customdata[0]} Rapid Review, %{customdata[1]} "
                                  "national panel<extra>" + service + "</extra>")
    fig.update_layout(template=TEMPLATE, barmode="stack", title="Need to Know notifications by service and quarter",
                      xaxis_title="Financial quarter", yaxis_title="Notifications (count)", **quarter_axis)
    ui.show_chart(fig, ntk_service, "By notified date and the service notified about.", "ntk_service")
