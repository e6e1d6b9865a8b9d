"""Practice observations: compliance by service and role, who is overdue or falls due next, types and grades."""
import plotly.graph_objects as go
import streamlit as st

from analytics import observations, ui
from analytics.charts import CATEGORY_COLOURS, GRADE_COLOURS, INK, MUTED, TEMPLATE, foot_label_positions
from analytics.presentation import for_people, format_pct
from analytics.themes import with_period

source = ui.source()
config = ui.config()
ui.presentation_toggle()
f, _ = ui.filter_bar(source, grain=False, audit_filters=False)
st.title("Practice observations")
with ui.cached_reads(source) as cached:
    f = cached(with_period, f, [("observations", "observed_date")])
    if f is None or not cached(observations.loaded):
        ui.empty("No observations are loaded: load the observations and the staff roster on the Data page.")
        st.stop()
    cells, due = cached(observations.compliance_and_due, f, config)
    by_type = cached(observations.type_figures, f)
types, grades, per_month = by_type["by_type_and_grade"], by_type["grades_by_type"], by_type["monthly"]
D = f.end
# Roles and types are categories, not grades: the category colours, none of them a grade colour.
CATEGORY = CATEGORY_COLOURS[:4]
SMALL = 20   # a percentage over fewer people shows its 95% Wilson interval


def interval(low, high, n) -> str:
    if n >= SMALL or low is None:
        return ""
    return f"{format_pct(float(low))[:-1]}–{format_pct(float(high))}"


# --- compliance -------------------------------------------------------------------------------
st.subheader(f"Observation compliance on {D:%d %B %Y}")
if cells.empty:
    ui.empty("No Family Practitioners, Social Workers, Team Managers or Service Managers in post on that day in the "
             "staff roster: load the roster on the Data page, or widen the filters.")
else:
    total = cells[(cells["service"] == observations.ALL) & (cells["role"] == "All roles")].iloc[0]
    overdue = int((due["status"] == "Overdue").sum())
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Compliant", format_pct(float(total["compliant_pct"])),
              help=f"{int(total['compliant'])} of {int(total['n'])} staff in post who need observing")
    c2.metric("Staff in post", f"{int(total['n']):,}")
    c3.metric("Overdue now", f"{overdue:,}")
    c4.metric("Due within 60 days", f"{int((due['status'] != 'Overdue').sum()):,}")
    bars = cells[(cells["service"] != observations.ALL) & (cells["role"] != "All roles")]
    fig = go.Figure()
    for colour, role in zip(CATEGORY, observations.ROLES):
        rows = bars[bars["role"] == role]
        if rows.empty:
            continue
        small = rows["n"] < SMALL
        fig.add_bar(x=rows["service"], y=rows["compliant_pct"], name=role, marker_color=colour,
                    customdata=rows[["compliant", "n", "role"]], text=[f"n={n}" for n in rows["n"]],
                    textposition=foot_label_positions(rows["compliant_pct"]), insidetextanchor="start",
                    textfont=dict(size=11),
                    insidetextfont=dict(color="white"), outsidetextfont=dict(color=INK),
                    error_y=dict(type="data", symmetric=False, array=(rows["ci_high"] - rows["compliant_pct"]).where(small),
                                 arrayminus=(rows["compliant_pct"] - rows["ci_low"]).where(small), thickness=1,
                                 width=3, color=MUTED),
                    hovertemplate="%{x} · %{customdata[2]}: %{customdata[0]} of %{customdata[1]} compliant "
                                  "(%{y:.1f}%)<extra></extra>")
    fig.update_layout(template=TEMPLATE, barmode="group", title=f"Staff with the observations they need, by service "
                      f"and role, on {D:%d %b %Y}", xaxis_title="Service (staff roster)",
                      yaxis_title="% of staff in post compliant", yaxis_range=[0, 105])
    table = cells.assign(**{"95% interval (n < 20)": [interval(lo, hi, n) for lo, hi, n in
                                                       zip(cells["ci_low"], cells["ci_high"], cells["n"])]})
    ui.show_chart(fig, table[["service", "role", "n", "compliant", "compliant_pct", "95% interval (n < 20)"]],
                  f"Compliant on {D:%d %b %Y}: over the 12 months to that day, Family Practitioners and Social Workers "
                  "have at least 2 observations, one of them direct work with a child; Team Managers at least 2, one of "
                  "them a supervision; Service Managers at least one supervision. Staff in post on that day by the "
                  "roster, with the role and service it holds now. n = staff in post; error bars: 95% Wilson interval, "
                  "shown where a bar rests on fewer than 20 people.", "obs_compliance")

# --- who is due --------------------------------------------------------------------------------
st.subheader("Staff overdue or due an observation in the next 30 and 60 days")
st.caption(f"**Overdue**: not compliant on {D:%d %b %Y}. **Due within N days**: compliant on {D:%d %b %Y} but, "
           f"judged on {D:%d %b %Y} + N days with only the observations made by {D:%d %b %Y}, not compliant (an "
           "observation drops out of the 12-month window); *due by* is the first day they would stop being compliant. "
           "Staff whose roster end date comes first are not listed as due. Staff appear by their pseudonymous "
           "roster reference only.")
if due.empty:
    st.info("Nobody is overdue or due an observation in the next 60 days.")
else:
    shown = due.assign(required_type=due["required_type"].str.lower())
    ui.dataframe(for_people(shown, {"staff_id": "Staff", "of_kind": "Of the required type"}))
    ui.download_table(due, "obs_due", "observations_due")

# --- types and grades ---------------------------------------------------------------------------
st.subheader("Observations made in the period, by type and grade")
if types.empty:
    ui.empty("No observations were made in the period with these filters.")
    st.stop()
fig = go.Figure()
labels = config.grade_labels + [observations.NOT_GRADED]
colours = {**{lbl: GRADE_COLOURS[r] for r, lbl in enumerate(config.grade_labels, start=1)},
           observations.NOT_GRADED: "#c7c7c7"}
for label in labels:
    rows = types[types["grade"] == label]
    if rows.empty:
        continue
    fig.add_bar(x=rows["observation_type"], y=rows["n"], name=label, marker_color=colours[label],
                hovertemplate="%{x}: %{y} observations " + label + "<extra></extra>")
fig.update_layout(template=TEMPLATE, barmode="stack", title=f"Observations by type and grade, "
                  f"{f.month_from} to {f.month_to}", xaxis_title="Observation type", yaxis_title="Observations (count)")
ui.show_chart(fig, types, "Observations made in the period (the observation's own service), by type and grade; "
              "Not graded = no grade recorded.", "obs_types")

table = grades.assign(**{"95% interval (n < 20)": [interval(lo, hi, n) for lo, hi, n in
                                                   zip(grades["ci_low"], grades["ci_high"], grades["graded"])]})
table["good_pct"] = [format_pct(None if v != v else float(v)) for v in table["good_pct"]]
ui.dataframe(for_people(table[["observation_type", "n", "graded", "good", "good_pct", "95% interval (n < 20)"]],
                        {"n": "Observations", "good": "Good or better", "good_pct": "% good or better (of graded)"}))
ui.download_table(table, "obs_types_table")

fig = go.Figure()
for colour, kind in zip(CATEGORY, sorted(per_month["observation_type"].unique())):
    rows = per_month[per_month["observation_type"] == kind]
    fig.add_bar(x=rows["month"], y=rows["n"], name=kind, marker_color=colour,
                hovertemplate="%{x}: %{y} " + kind.lower() + " observations<extra></extra>")
fig.update_layout(template=TEMPLATE, barmode="stack", title="Observations made per month, by type",
                  xaxis_title="Month", yaxis_title="Observations (count)")
fig.update_xaxes(type="category")
ui.show_chart(fig, per_month, "Observations by the month they were made (observed date).", "obs_monthly")
