"""Inspection pool (the latest audit of each child in the last months) and good-practice exemplars."""
import plotly.graph_objects as go
import streamlit as st

from analytics import inspection, ui
from analytics.charts import GRADE_COLOURS, TEMPLATE

source, f, _ = ui.page_start("Inspection pool and exemplars", grain=False)
config = ui.config()
start, end = inspection.window(f, config)
with ui.cached_reads(source) as cached:
    pool = cached(inspection.pool, f, config)
    exemplars = cached(inspection.exemplars, f, config)

st.header("Inspection pool")
st.caption(f"The most recent audit of each child from **{start:%d %B %Y}** to **{end:%d %B %Y}** (the "
           f"{config['inspection_pool_months']} months to the period's last day), to choose a mix of children "
           "quickly when an inspection is announced. The service, team, cohort and auditor-role filters pick "
           "among children by their latest audit. References are pseudonymous.")
if pool.empty:
    ui.empty("No child has an audit in the pool's window with these filters.")
else:
    cols = st.columns(3)
    cols[0].metric("Children in the pool", f"{len(pool):,}")
    cols[1].metric("Graded good or better", f'{int((pool["final_rank"] <= 2).sum()):,}')
    cols[2].metric("Provisional", f'{int(pool["provisional"].sum()):,}', help="Latest audit not yet moderated.")

    by = st.radio("Break down by", list(inspection.BREAKDOWNS), format_func=inspection.BREAKDOWNS.get,
                  horizontal=True, key="pool_by")
    counts = inspection.pool_counts(pool, config, by)
    name = inspection.BREAKDOWNS[by]
    fig = go.Figure()
    for rank, label in enumerate(config.grade_labels, start=1):
        rows = counts[counts["rank"] == rank]
        fig.add_bar(x=rows[by], y=rows["n"], name=label, marker_color=GRADE_COLOURS[rank],
                    customdata=rows[["provisional"]],
                    hovertemplate="%{x}: %{y} children " + label + " (%{customdata[0]} provisional)<extra></extra>")
    fig.update_layout(template=TEMPLATE, barmode="stack",
                      title=f"Children in the inspection pool by {name.lower()} and final grade",
                      xaxis_title=name, yaxis_title="Children (count)", xaxis_automargin=True, yaxis_automargin=True,
                      legend=dict(traceorder="normal", y=-0.2, yanchor="top"), margin=dict(b=120))
    ui.show_chart(fig, inspection.pool_matrix(counts, by),
                  "Each child counted once, by the final grade of their most recent audit in the window "
                  "(benchmarked, else moderated, else the auditor's; provisional = not yet moderated).",
                  f"pool_by_{by}")

    st.subheader("Children in the pool")
    c1, c2 = st.columns(2)
    grades = c1.multiselect("Final grade", config.grade_labels, key="pool_grade", placeholder="All grades")
    bands = sorted(pool["child_age_band"].unique(), key=lambda b: (inspection.AGE_BANDS + [b]).index(b))
    ages = c2.multiselect("Age band", bands, key="pool_age", placeholder="All age bands")
    keep = pool["final_grade"].isin(grades or config.grade_labels) & pool["child_age_band"].isin(ages or bands)
    shown = pool[keep].drop(columns="final_rank")
    shown = shown.assign(audit_date=shown["audit_date"].dt.date).rename(columns=inspection.LABELS)
    st.caption(f"{len(shown)} of {len(pool)} children.")
    ui.dataframe(shown, key="pool_table")
    ui.download_table(shown, "pool", "inspection_pool")

st.header("Good-practice exemplars")
st.caption(f"Audits from {f.month_from} to {f.month_to} marked as exemplars of good practice (for Practice Week), "
           "newest first, with the pillars graded Outstanding.")
if exemplars.empty:
    ui.empty("No audit in the period is marked as an exemplar.")
else:
    cols = st.columns(3)
    cols[0].metric("Exemplars in the period", f"{len(exemplars):,}")
    cols[1].metric("Provisional", f'{int(exemplars["provisional"].sum()):,}', help="Not yet moderated.")
    shown = exemplars.assign(audit_date=exemplars["audit_date"].dt.date,
                             outstanding_pillars=exemplars["outstanding_pillars"].fillna("")).rename(
        columns=inspection.LABELS)
    ui.dataframe(shown, key="exemplar_table")
    ui.download_table(shown, "exemplar", "exemplars")
