"""Inadequate and Requires Improvement follow-up: the state of each step on D, overdue first; on-time rates."""
import plotly.graph_objects as go
import streamlit as st

from analytics import followup, ui
from analytics.audits import SMALL_N
from analytics.charts import STATE_COLOURS, TEMPLATE, foot_label_positions, service_small_multiples
from analytics.filters import GRAINS

STYLED_ROWS = 1000

source, f, grain = ui.page_start("Inadequate and Requires Improvement follow-up")
config = ui.config()
with ui.cached_reads(source) as cached:
    figures = cached(followup.page_figures, f, config, grain, limit=STYLED_ROWS)
head, table, states, overall, series = (figures[k] for k in ("headline", "table", "states", "overall", "series"))
if head["audits"] == 0:
    ui.empty("No audit graded Requires Improvement or Inadequate matches these filters: widen the period or "
             "clear a filter.")
    st.stop()

d = followup.days(config)
st.caption(
    f"Audits in {f.month_from} to {f.month_to} whose final grade is Requires Improvement or Inadequate, judged on "
    f"**{f.end:%d %B %Y}** (the period's last day). Due, in calendar days from the audit: managers notified "
    f"{d['managers_notified_days']}, reflective meeting {d['reflective_meeting_days']}; for Inadequate the review "
    f"by its review due date (default audit + {d['review_days']}) and, when the review still finds the record "
    f"Inadequate, the Head of Service notified within {d['head_of_service_notified_days']} days of the review. "
    "An audit with no follow-up record counts as no step done.")

cols = st.columns(6)
cols[0].metric("Audits in follow-up", f'{head["audits"]:,}',
               help=f"{head['inadequate']} Inadequate, {head['requires_improvement']} Requires Improvement")
cols[1].metric("Inadequate", f'{head["inadequate"]:,}')
cols[2].metric("With an overdue step", f'{head["with_overdue_step"]:,}')
cols[3].metric("No follow-up recorded", f'{head["no_followup_recorded"]:,}')
cols[4].metric("Still inadequate", f'{head["still_inadequate_after_review"]:,}',
               help="Records that the review (done by the period's last day) graded Inadequate again.")
cols[5].metric("Provisional", f'{head["provisional"]:,}', help="Not yet moderated: the grade may still change.")

st.subheader("Where each step stands")
fig = go.Figure()
shown = states[states["state"] != "not applicable"]
for state, colour in STATE_COLOURS.items():
    rows = shown[shown["state"] == state]
    fig.add_bar(y=rows["step_label"], x=rows["n"], name=state.capitalize(), orientation="h", marker_color=colour,
                hovertemplate="%{y}: %{x} audits " + state + "<extra></extra>")
fig.update_layout(template=TEMPLATE, barmode="stack", title=f"Follow-up steps by state on {f.end:%d %b %Y}",
                  xaxis_title="Audits (count)", yaxis_title=None, yaxis_autorange="reversed",
                  yaxis_automargin=True, xaxis_automargin=True, legend=dict(traceorder="normal", y=-0.2, yanchor="top"),
                  margin=dict(b=120))
state_table = states.pivot(index="step_label", columns="state", values="n").reindex(
    index=list(followup.STEPS.values()), columns=list(followup.STATES)).reset_index().rename(
    columns={"step_label": "step"})
ui.show_chart(fig, state_table, "Each step of each audit in follow-up, by its state on the period's last day. "
              "Steps that do not apply (the review for Requires Improvement, the Head of Service step unless "
              "the review found the record still Inadequate) are counted in the table only.", "followup_states")

st.subheader("Follow-up by audit")
st.caption("Overdue steps first (longest overdue at the top); rows shaded and marked **Yes** in *Still inadequate "
           "after review* are records the review graded Inadequate again. References are pseudonymous.")
view = followup.table_view(table)
# Styling is per cell (pandas Styler refuses more than 262,144 cells) and a browser table of tens of thousands
# of rows helps nobody: the first rows (overdue first) are shown, the CSV holds every row.
if head["audits"] > STYLED_ROWS:
    st.caption(f"Showing the first {STYLED_ROWS:,} of {head['audits']:,} audits (overdue first); the CSV below has "
               "them all.")
ui.dataframe(followup.styled_view(view.head(STYLED_ROWS), STATE_COLOURS["overdue"]),
             key="followup_table")


def every_audit():
    # On the click, every audit of the filters (the screen holds only the first rows).
    with source.db.read() as con:
        return followup.table_view(followup.followup_table(con, f, config))


ui.download_table(every_audit if head["audits"] > STYLED_ROWS else view, "followup", "followup", children=True)

st.subheader("On-time rates by service")
if overall.empty:
    ui.empty("No step has fallen due yet for these audits, so no on-time rate can be judged.")
    st.stop()
fig = go.Figure()
for step, label in followup.STEPS.items():
    rows = overall[overall["step"] == step]
    small = rows["judged"] < SMALL_N
    fig.add_bar(x=rows["service"], y=rows["on_time_pct"], name=label, customdata=rows[["on_time", "judged"]],
                text=rows["judged"], textposition=foot_label_positions(rows["on_time_pct"]),
                insidetextanchor="start", textangle=0,
                hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]} of %{customdata[1]} steps)<extra>" + label
                              + "</extra>",
                error_y=dict(type="data", symmetric=False, array=(rows["ci_high"] - rows["on_time_pct"]).where(small),
                             arrayminus=(rows["on_time_pct"] - rows["ci_low"]).where(small), thickness=1, width=3,
                             color="#4d4d4d"))
fig.update_layout(template=TEMPLATE, barmode="group", title="Follow-up steps done on time, by service and step",
                  xaxis_title="Service", yaxis_title="% done on time (of steps due)", yaxis_range=[0, 105],
                  xaxis_automargin=True, yaxis_automargin=True,
                  legend=dict(y=-0.25, yanchor="top"), margin=dict(b=130))
ui.show_chart(fig, followup.rates_table(overall),
              "Done on time ÷ (done on time + done late + overdue) on the period's last day; steps not yet due are "
              "left out. Number at the foot of each bar: steps due (n). Error bars (and ranges in the table): 95% Wilson interval where a bar rests on fewer than "
              "20 steps.", "followup_on_time")

grain_label = GRAINS[grain]
step = st.selectbox("Step", list(followup.STEPS), format_func=followup.STEPS.get, key="followup_step")
rows_all = series[series["step"] == step]
if rows_all.empty:
    ui.empty(f"No “{followup.STEPS[step]}” step has fallen due for these audits.")
    st.stop()
# One small panel per service: six overlaid noisy lines with error bars are unreadable.
fig = service_small_multiples(
    rows_all.rename(columns={"ci_low": "on_time_ci_low", "ci_high": "on_time_ci_high"}), config, "on_time_pct",
    f"{followup.STEPS[step]} on time, by service and {grain_label.lower()} of the audit", "% on time",
    n="judged", unit="steps")
ui.show_chart(fig, followup.rates_table(series),
              "Each point: the steps of audits in that period, judged on the period's last day. Numbers along the "
              "foot of each panel: steps due (n). Error bars (and ranges in the table): 95% Wilson interval where a "
              "point rests on fewer than 20 steps. The table lists every step.", "followup_on_time_trend")
