"""The Learning Action Tracker: open, overdue and completed on time; ageing; reviews; where learning stalls;
and the reflective activities after audits."""
import plotly.graph_objects as go
import streamlit as st

from analytics import actions as la
from analytics import ui
from analytics.charts import TEMPLATE
from analytics.dip_samples import pct_text
from analytics.presentation import for_people, format_pct
from analytics.escaping import md

source, f, _ = ui.page_start(
    "Learning Action Tracker", grain=False, audit_filters=False,
    empty="No data yet: the period is set from the audit months, so load audits and learning actions first.")
with ui.cached_reads(source) as cached:
    figures = cached(la.page_figures, f)
head, by_source, by_service, ages, stale, flow, stalls, acts, act_levels = (figures[k] for k in (
    "headline", "by_source", "by_service", "ageing", "not_reviewed", "flow", "stalls", "activities", "activity_totals"))

D = f.end.isoformat()
LEVEL_COLOURS = ("#6a3d9a", "#b8860b", "#4d4d4d")
# Not grade colours: an action's state is not a grade.
OPEN, OVERDUE, ON_TIME = "#9e9ac8", "#c51b7d", "#1b7f86"


def counts_chart(df, column, label, key):
    fig = go.Figure()
    for name, col, colour in (("Open, not yet due", None, OPEN), ("Overdue", "overdue", OVERDUE),
                              ("Completed on time", "completed_on_time", ON_TIME)):
        values = df["open"] - df["overdue"] if col is None else df[col]
        fig.add_bar(y=df[column], x=values, orientation="h", name=name, marker_color=colour,
                    customdata=df[["raised"]],
                    hovertemplate="%{y}: %{x} " + name.lower() + " (of %{customdata[0]} raised)<extra></extra>")
    fig.update_layout(template=TEMPLATE, margin=dict(t=110), barmode="group", title=f"Learning actions by {label}: open and overdue on "
                      f"{D}, completed on time", xaxis_title="Actions (count)", yaxis_title=label.capitalize(),
                      yaxis=dict(autorange="reversed", automargin=True), height=max(360, 80 + 60 * len(df)))
    table = df.assign(on_time=[pct_text(v, lo, hi, n) for v, lo, hi, n in
                               zip(df["on_time_pct"], df["on_time_ci_low"], df["on_time_ci_high"], df["completed"])])
    table = table.rename(columns={"on_time": "% completed on time (95% range under 20)"})
    ui.show_chart(fig, table.drop(columns=["on_time_pct", "on_time_ci_low", "on_time_ci_high"]),
                  f"Actions raised in the period. Open on {D}: not completed by then (no completion date and not "
                  f"marked Complete or Closed); overdue: open and past its due date. Completed on time: status "
                  f"Complete with a completion date on or before the due date; % completed on time is over the "
                  f"actions Complete with a completion date (Closed actions count in neither).", key)


if head["raised"] == 0:
    ui.empty("No learning actions were raised in this period for these services.")
else:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Actions raised in the period", f'{head["raised"]:,}')
    c2.metric(f"Open on {D}", f'{head["open"]:,}')
    c3.metric(f"Overdue on {D}", f'{head["overdue"]:,}')
    total = by_source["completed"].sum()
    c4.metric("Completed on time", format_pct(head["completed_on_time_pct"]), help=f"of {total} completed actions",
              delta=None)
    st.caption(f"Same figures as the summary's learning actions for this period: actions raised in the period, "
               f"open and overdue judged on {D}. % completed on time is over {total} actions Complete with a "
               f"completion date.")

    st.subheader("By source")
    counts_chart(by_source, "source", "source", "actions_source")
    st.subheader("By service")
    counts_chart(by_service.assign(service=by_service["service"].replace({"ALL": "ALL (organisation-wide)"})),
                 "service", "service", "actions_service")

    st.subheader("Ageing of open actions")
    fig = go.Figure()
    fig.add_bar(x=ages["age_band"], y=ages["open"] - ages["overdue"], name="Open, not yet due", marker_color=OPEN,
                hovertemplate="%{x}: %{y} open, not yet due<extra></extra>")
    fig.add_bar(x=ages["age_band"], y=ages["overdue"], name="Overdue", marker_color=OVERDUE,
                hovertemplate="%{x}: %{y} overdue<extra></extra>")
    fig.update_layout(template=TEMPLATE, margin=dict(t=110), legend_traceorder="normal", barmode="stack", title=f"Open learning actions on {D} by age",
                      xaxis_title="Days since raised", yaxis_title="Open actions (count)")
    ui.show_chart(fig, ages, f"Actions raised in the period and open on {D}, by days from raised to {D} "
                  "(0-30, 31-90, 91-180, over 180).", "actions_ageing")

    st.subheader("Not reviewed for over 90 days")
    st.metric(f"Open actions not reviewed for over 90 days on {D}", f"{len(stale):,}")
    if stale.empty:
        st.info("Every open action has been reviewed in the last 90 days.")
    else:
        ui.dataframe(for_people(stale, {"action_id": "Action"}), width="stretch")
        ui.download_table(stale, "actions_stale")
    st.caption(f"The tracker is reviewed quarterly: open actions whose last review (or, never reviewed, the day "
               f"raised) is more than 90 days before {D}. Only the latest review date is stored, so for a past "
               f"period an action reviewed since then is not listed.")

    st.subheader("Where learning stalls: source → theme → state")
    # A theme and a source may share a name ("Other"): index nodes by (kind, name).
    keys = [("source", x) for x in dict.fromkeys(flow["source"])] + [("theme", x) for x in dict.fromkeys(flow["theme"])] \
        + [("state", s) for s in la.STATUSES if s in set(flow["state"])]
    index = {k: i for i, k in enumerate(keys)}
    first = flow.groupby(["source", "theme"], as_index=False)["n"].sum()
    second = flow.groupby(["theme", "state"], as_index=False)["n"].sum()
    state_colour = {"Overdue": OVERDUE, "Open, not yet due": OPEN, "Completed on time": ON_TIME}
    node_colour = ["#8c8c8c" if k[0] != "state" else state_colour.get(k[1], "#4d4d4d") for k in keys]
    link_colour = ["rgba(140,140,140,0.35)"] * len(first) + [
        "rgba(197,27,125,0.5)" if s == "Overdue" else "rgba(140,140,140,0.35)" for s in second["state"]]
    fig = go.Figure(go.Sankey(
        node=dict(label=[k[1] for k in keys], color=node_colour, pad=12, thickness=14),
        link=dict(source=[index[("source", s)] for s in first["source"]] + [index[("theme", t)] for t in second["theme"]],
                  target=[index[("theme", t)] for t in first["theme"]] + [index[("state", s)] for s in second["state"]],
                  value=list(first["n"]) + list(second["n"]), color=link_colour)))
    fig.update_layout(template=TEMPLATE, title=f"Learning actions raised in the period: source → theme → state on {D}",
                      height=max(500, 24 * len(keys)))
    ui.show_chart(fig, flow, f"Width: actions. Left, where an action came from; middle, its theme; right, its state "
                  f"on {D} (overdue in magenta). Completed late: after its due date; no dates to judge: finished "
                  f"without a completion or due date.", "actions_flow")
    ui.dataframe(for_people(stalls.assign(overdue_pct=[format_pct(v) for v in stalls["overdue_pct"]]),
                            {"overdue_pct": "% of raised overdue"}), width="stretch")
    ui.download_table(stalls, "actions_stalls")
    st.caption(f"Themes ranked by actions overdue on {D}: where learning stalls.")

    st.subheader("The actions behind the figures")
    ALL_OPTION = "All"
    c1, c2, c3 = st.columns(3)
    pick_source = c1.selectbox("Source", [ALL_OPTION, *by_source["source"]], key="actions_pick_source")
    pick_service = c2.selectbox("Service", [ALL_OPTION, *by_service["service"]], key="actions_pick_service",
                                help="ALL: organisation-wide actions")
    pick_state = c3.selectbox(f"State on {D}", [ALL_OPTION, *[s for s in la.STATUSES if s in set(flow["state"])]],
                              key="actions_pick_state")
    with ui.cached_reads(source) as cached:
        picked = cached(la.action_list, f, source=None if pick_source == ALL_OPTION else pick_source,
                                service=None if pick_service == ALL_OPTION else pick_service,
                                state=None if pick_state == ALL_OPTION else pick_state)
    ui.dataframe(for_people(picked, {"action_id": "Action", "age_days": "Age (days)"}),
                 width="stretch")
    ui.download_table(picked, "actions_pick", "learning_actions")
    st.caption(f"{len(picked)} actions raised in the period; state on {D}; age: days from raised to {D}.")

st.subheader("Reflective activities after audits")
if acts.empty:
    ui.empty("No reflective activities recorded in this period for these services.")
else:
    c = st.columns(len(act_levels))
    for col, row in zip(c, act_levels.itertuples(index=False)):
        col.metric(f"{md(row.level)} level", f"{row.activities:,}",
                   help=f"{row.linked_to_audit} linked to an audit, {row.linked_to_theme} to a theme")
    monthly = acts.groupby(["month", "level"], as_index=False)[["activities", "linked_to_audit"]].sum()
    fig = go.Figure()
    for level, colour in zip(la.LEVELS, LEVEL_COLOURS):
        rows = monthly[monthly["level"] == level]
        fig.add_bar(x=rows["month"], y=rows["activities"], name=level, marker_color=colour,
                    customdata=rows[["linked_to_audit"]],
                    hovertemplate="%{x}: %{y} activities (%{customdata[0]} linked to an audit)<extra>" + level
                                  + "</extra>")
    fig.update_layout(template=TEMPLATE, margin=dict(t=110), legend_traceorder="normal", barmode="stack", title="Reflective activities by month and level",
                      xaxis_title="Month", yaxis_title="Activities (count)")
    ui.show_chart(fig, acts, "Reflective activities managers report after audits (supervision discussions, "
                  "reflective circles, appreciative inquiry, learning events), at practitioner, team or service "
                  "level; linked: the activity names the audit (audit_id) or the theme that prompted it.",
                  "actions_reflective")
    by_kind = acts.groupby(["level", "kind"], as_index=False)[["activities", "linked_to_audit", "linked_to_theme",
                                                                "linked_to_either"]].sum()
    fig = go.Figure()
    for level, colour in zip(la.LEVELS, LEVEL_COLOURS):
        rows = by_kind[by_kind["level"] == level]
        fig.add_bar(y=rows["kind"], x=rows["activities"], orientation="h", name=level, marker_color=colour,
                    customdata=rows[["linked_to_audit", "linked_to_theme"]],
                    hovertemplate="%{y}: %{x} activities, %{customdata[0]} linked to an audit, %{customdata[1]} to a "
                                  "theme<extra>" + level + "</extra>")
    fig.update_layout(template=TEMPLATE, margin=dict(t=110), barmode="group", title="Reflective activities by kind and level",
                      xaxis_title="Activities (count)", yaxis_title="Kind of activity")
    fig.update_yaxes(automargin=True)   # long kinds ("Supervision discussion") must not run under the axis title
    ui.show_chart(fig, by_kind, "Activities in the period by kind and level, with how many are linked to the audit "
                  "or the theme that prompted them: the evidence that the loop closes.", "actions_reflective_kind")
    ui.dataframe(for_people(act_levels.assign(**{c: [format_pct(v) for v in act_levels[c]]
                                                 for c in act_levels.columns if c.endswith("_pct")})))
    ui.download_table(act_levels, "activity_levels")
    st.caption("Per level: activities, and the number and share linked to an audit, to a theme, or to either.")
