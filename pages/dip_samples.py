"""Thematic dip samples: the year's schedule, each theme's repeat cycles side by side, findings by theme tag."""
import plotly.graph_objects as go
import streamlit as st

from analytics import dip_samples as ds
from analytics import ui
from analytics.charts import TEMPLATE

source, f, _ = ui.page_start(
    "Thematic dip samples", grain=False, audit_filters=False,
    empty="No data yet: the period is set from the audit months, so load audits and dip samples first.")
with ui.cached_reads(source) as cached:
    figures = cached(ds.page_figures, f)
plan, cycles, found = figures["schedule"], figures["cycles"], figures["findings"]

fy = ds.financial_year_label(f.end)
st.subheader(f"Schedule for {fy}")
if plan.empty:
    ui.empty(f"No dip samples in {fy} or the year before it for these services.")
else:
    done, due = (plan["status"] == "Done").sum(), (plan["status"] == "Due").sum()
    c1, c2 = st.columns(2)
    c1.metric("Dip samples done this year", f"{int(done):,}")
    c2.metric("Themes still due (from last year's schedule)", f"{int(due):,}")
    table = plan.rename(columns={"month_label": "Month", "theme": "Theme", "status": "Status",
                                 "dip_sample_id": "Dip sample", "sample_date": "Sampled on",
                                 "records": "Records (n)"}).drop(columns="month")
    months = [m.replace(" ", "<br>") for m in dict.fromkeys(plan["month_label"])]   # two lines: no tilted ticks
    fig = go.Figure()
    for status, symbol in (("Done", "square"), ("Due", "square-open")):
        rows = plan[plan["status"] == status]
        fig.add_scatter(x=rows["month_label"].str.replace(" ", "<br>"), y=rows["theme"], mode="markers", name=status,
                        marker=dict(symbol=symbol, size=16, color="#4a1486", line=dict(width=2, color="#4a1486")),
                        customdata=list(zip(rows["dip_sample_id"].fillna("–"), rows["records"])),
                        hovertemplate="%{y}<br>" + status + (" (%{customdata[0]}, %{customdata[1]} records)"
                                                                   if status == "Done" else "") + "<extra></extra>")
    fig.update_layout(template=TEMPLATE, title=f"Dip sample schedule {fy}: themes by month, done or due",
                      xaxis=dict(title="Month", categoryorder="array", categoryarray=months, tickangle=0),
                      yaxis=dict(title="Dip sample theme", autorange="reversed", automargin=True, showgrid=True),
                      height=max(320, 160 + 30 * plan["theme"].nunique()), margin=dict(t=110))
    ui.show_chart(fig, table, f"Financial year {fy} (April to March), the year that holds the period's last day, as it "
                  "stood then. Done (filled): a dip sample of the theme that month. Due (open square): a month with "
                  "no dip sample yet, showing the themes sampled in the same month of the previous year (the "
                  "schedule repeats yearly).", "dip_schedule")

st.subheader("Repeat cycles by theme")
if cycles.empty:
    ui.empty("No dip sample began in this period for these services.")
else:
    n_themes = cycles["theme"].nunique()
    # Lighter = earlier cycle; purples, so a cycle never reads as a grade colour.
    shades = ["#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#4a1486"]
    for measure, label, title in (("good", "% good or better (of graded records)", "Dip sample records graded good or "
                                   "better, each theme's cycles side by side"),
                                  ("criteria", "Criteria met (% of criteria assessed)", "Dip sample criteria met, "
                                   "each theme's cycles side by side")):
        fig = go.Figure()
        for cycle, rows in cycles.groupby("cycle", sort=True):
            value = rows[f"{measure}_pct"].astype(float)
            kwargs = {}
            if measure == "good":
                small = rows["graded"] < ds.SMALL_N
                kwargs["error_x"] = dict(type="data", symmetric=False,
                                         array=(rows["good_ci_high"].astype(float) - value).where(small),
                                         arrayminus=(value - rows["good_ci_low"].astype(float)).where(small),
                                         thickness=1, width=2, color="#6b7280")
            n_col = "graded" if measure == "good" else "criteria_total"
            change = [ds.change_text(v) for v in rows[f"{measure}_change_pts"]]
            fig.add_scatter(y=rows["theme"], x=value, mode="markers", orientation="h", name=f"Cycle {cycle}",
                            marker=dict(color=shades[min(cycle, len(shades)) - 1], size=11,
                                        line=dict(color="#4d4d4d", width=1)),
                            customdata=list(zip(rows["dip_sample_id"], rows["first_date"].astype(str), rows[n_col],
                                                change)),
                            hovertemplate="%{y}<br>%{customdata[0]} (%{customdata[1]}): %{x:.1f}% of %{customdata[2]}"
                                          f"{' graded records' if measure == 'good' else ' criteria'}"
                                          "<br>change: %{customdata[3]}<extra>Cycle " + str(cycle) + "</extra>",
                            **kwargs)
        fig.update_layout(template=TEMPLATE, scattermode="group", title=title, xaxis_title=label,
                          xaxis_range=[-2, 102], yaxis_title="Dip sample theme", height=max(380, 160 + n_themes * 40),
                          yaxis=dict(autorange="reversed", automargin=True, showgrid=True),
                          legend_title_text="Cycle (in date order)",
                          margin=dict(t=110), legend=dict(y=1.0, yanchor="bottom"))
        ui.show_chart(fig, ds.cycle_table(cycles),
                      "Each dip sample (its ID) is one cycle; a theme's cycles are numbered by their first "
                      "sample date, counting every cycle up to the period's end, for the themes sampled in the "
                      "period. % good or better is over records with a grade; criteria met % is Σ criteria met ÷ "
                      "Σ criteria assessed; change is in percentage points from the theme's previous cycle. "
                      + ("Error bars: 95% Wilson interval (fewer than 20 graded records)." if measure == "good" else
                         "No interval: the criteria of one record are not independent of each other."),
                      f"dip_cycles_{measure}")

st.subheader("Findings: strengths and learning by theme tag")
if found.empty:
    ui.empty("No findings recorded for the dip samples of this period.")
else:
    fig = go.Figure()
    fig.add_bar(y=found["theme_tag"], x=found["strengths"], orientation="h", name="Strength", marker_color="#1b7f86",
                hovertemplate="%{y}: %{x} strengths<extra></extra>")
    fig.add_bar(y=found["theme_tag"], x=found["learning"], orientation="h", name="Learning", marker_color="#8c510a",
                hovertemplate="%{y}: %{x} areas of learning<extra></extra>")
    fig.update_layout(template=TEMPLATE, barmode="stack", title="Dip sample findings by theme tag", margin=dict(t=110),
                      xaxis_title="Findings (count)", yaxis_title="Theme tag", yaxis=dict(autorange="reversed", automargin=True),
                      height=max(360, 80 + 28 * len(found)), legend=dict(traceorder="normal"))
    ui.show_chart(fig, found.rename(columns={"strength_pct": "strengths_pct"}),
                  "Findings of the dip samples that began in the period (with a service filter: those that sampled "
                  "the service), by the theme tag each finding carries: strengths and areas of learning.",
                  "dip_findings")
