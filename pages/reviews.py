"""Reviews and spotlights: a timeline of Rapid Reviews, CSPRs, DSCP reviews, Team Spotlights and Ofsted visits,
their themes, and the learning actions that cite them."""
import plotly.graph_objects as go
import streamlit as st

from analytics import reviews, ui
from analytics.charts import CATEGORY_COLOURS, SERIES_COLOUR, TEMPLATE
from analytics.presentation import for_people
from analytics.themes import with_period

source = ui.source()
config = ui.config()
ui.presentation_toggle()
f, _ = ui.filter_bar(source, grain=False, audit_filters=False)
st.title("Reviews and spotlights")
with ui.cached_reads(source) as cached:
    f = cached(with_period, f, [("reviews", "review_date")])
    if f is None:
        ui.empty("No reviews are loaded: load the reviews on the Data page.")
        st.stop()
    figures = cached(reviews.page_figures, f, config)
timeline, themes, actions = figures["timeline"], figures["themes"], figures["citing_actions"]
if timeline.empty:
    ui.empty("No reviews in this period with these filters: widen the period or clear the service filter "
             "(an authority-wide review has service ALL and drops out under a service filter).")
    st.stop()
D = f.end
kinds = reviews.by_type(timeline)
without = int((timeline["actions"] == 0).sum())
c1, c2, c3, c4 = st.columns(4)
c1.metric("Reviews", f"{len(timeline):,}")
c2.metric("Learning actions citing them", f"{int(timeline['actions'].sum()):,}")
c3.metric(f"Open on {D:%d %b %Y}", f"{int(timeline['open'].sum()):,}",
          help="raised by that day and not finished by it")
c4.metric("Overdue", f"{int(timeline['overdue'].sum()):,}", help="open and past their due date on that day")
if without:
    st.caption(f"{without} review{'s' if without > 1 else ''} in the period {'have' if without > 1 else 'has'} no "
               "learning action citing it yet.")

# --- the timeline ---------------------------------------------------------------------------------
st.subheader("Timeline")
SYMBOL = {"Rapid Review": "diamond", "CSPR": "star", "DSCP Thematic Review": "square", "Team Spotlight": "circle",
          "Ofsted": "triangle-up"}
COLOUR = dict(zip(("Rapid Review", "CSPR", "DSCP Thematic Review", "Team Spotlight", "Ofsted"),
                  CATEGORY_COLOURS[1:6]))   # review types are categories: never grade or SPC colours
fig = go.Figure()
types_present = [t for t in reviews.TYPES if t in set(timeline["review_type"])] + \
    sorted(set(timeline["review_type"]) - set(reviews.TYPES))
for t in types_present:
    rows = timeline[timeline["review_type"] == t]
    fig.add_scatter(
        x=rows["review_date"], y=[t] * len(rows), mode="markers", name=t,
        marker=dict(size=[12 + 4 * min(a, 5) for a in rows["actions"]], symbol=SYMBOL.get(t, "circle"),
                    color=COLOUR.get(t, "#4d4d4d"), line=dict(color="white", width=1)),
        customdata=rows[["title", "themes", "actions", "open", "overdue", "service", "review_id"]],
        hovertemplate="%{x|%d %b %Y} · %{customdata[6]} (%{customdata[5]})<br>%{customdata[0]}<br>Themes: "
                      "%{customdata[1]}<br>%{customdata[2]} learning actions, %{customdata[3]} open, "
                      "%{customdata[4]} overdue<extra></extra>")
fig.update_layout(template=TEMPLATE, title=f"Reviews and spotlights, {f.month_from} to {f.month_to}",
                  xaxis_title="Review date", yaxis_title="Type of review", showlegend=False,
                  height=max(320, 70 * len(types_present) + 160))
fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(types_present)), automargin=True)
ui.show_chart(fig, timeline.drop(columns=["type_order"]),
              "Each mark is one review on its review date; a larger mark has more learning actions citing it "
              f"(their source reference is the review's ID). Open and overdue are judged on {D:%d %b %Y}: open = raised by then and "
              "not finished; overdue = open and past its due date.", "reviews_timeline")

st.subheader("The reviews and their themes")
ui.dataframe(for_people(timeline[["review_date", "review_type", "title", "service", "themes", "actions", "open",
                                   "overdue"]],
                        {"review_date": "Date", "review_type": "Type", "actions": "Learning actions"}).iloc[::-1])
ui.download_table(timeline, "reviews_timeline_table")

st.subheader("By type of review")
ui.dataframe(for_people(kinds, {"review_type": "Type of review", "without_actions": "Reviews with no action"}))
ui.download_table(kinds, "reviews_kinds")

# --- themes ----------------------------------------------------------------------------------------
st.subheader("Themes the reviews raised")
if themes.empty:
    st.info("The reviews in the period list no themes.")
else:
    top = themes.head(15)
    fig = go.Figure(go.Bar(y=top["theme"], x=top["reviews"], orientation="h", marker_color=SERIES_COLOUR,
                           customdata=top[["review_types"]],
                           hovertemplate="%{y}: %{x} reviews (%{customdata[0]})<extra></extra>"))
    fig.update_layout(template=TEMPLATE, title="Themes named by the most reviews", xaxis_title="Reviews (count)",
                      yaxis_title="Theme", height=max(320, 28 * len(top) + 160))
    fig.update_yaxes(autorange="reversed", automargin=True)
    ui.show_chart(fig, themes, "How many of the period's reviews name each theme (a review naming several counts "
                  "for each). Open a theme in the Theme explorer to see it across every strand.", "reviews_themes")

# --- the actions -------------------------------------------------------------------------------------
st.subheader("Learning actions citing these reviews")
if actions.empty:
    st.info("No learning action cites these reviews yet.")
else:
    st.caption(f"Actions raised by {D:%d %b %Y} whose source reference is one of the reviews above, with their state on "
               "that day.")
    ui.dataframe(for_people(actions, {"review_id": "Review", "action_id": "Action",
                                      "state_on_d": "State on the period's last day"}))
    ui.download_table(actions, "review_actions", "review_actions")
