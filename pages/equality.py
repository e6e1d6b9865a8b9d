"""Equality, diversity and inclusion: audit and pillar grades by the child's age band, gender, ethnicity, disability.

Marked for circulation: every count and percentage shown comes suppressed from analytics.equality.
"""
import plotly.graph_objects as go
import streamlit as st

from analytics import equality, heatmap, suppression, ui
from analytics.audits import SMALL_N
from analytics.charts import GRADE_COLOURS, INK, MUTED, TEMPLATE

source, f, _ = ui.page_start("Equality, diversity and inclusion", grain=False)
config = ui.config()
threshold = equality.threshold_of(config)
with ui.cached_reads(source) as cached:
    results = cached(equality.page_rates, f, config)
if next(iter(results.values()))[0].table.empty:
    ui.empty()
    st.stop()

st.caption("Audits in the period by the child's characteristics as recorded on the audit; blank means "
           f"\"{equality.NOT_RECORDED}\". {suppression.note(threshold)} Provisional audits (not yet moderated) "
           "are counted in the figures and shown in their own column.")

for tab, (column, (audit, pillar)) in zip(st.tabs(list(equality.CHARACTERISTICS.values())), results.items()):
    name = equality.CHARACTERISTICS[column]
    with tab:
        st.subheader(f"% good or better by {name.lower()}")
        rows = audit.chart[audit.chart["label"] != equality.ALL]
        small = rows["ci_low"].notna()
        fig = go.Figure(go.Bar(
            x=rows["label"], y=rows["good_pct"], marker_color=GRADE_COLOURS[1],
            # Inside the bar's top where it fits: the all-audits line then never runs through a label.
            text=rows["text"].where(rows["good_pct"].notna(), ""), textposition="auto", insidetextanchor="end",
            insidetextfont=dict(color="white"), outsidetextfont=dict(color=INK),
            customdata=rows[["text"]], hovertemplate="%{x}: %{customdata[0]}<extra></extra>",
            error_y=dict(type="data", symmetric=False, array=(rows["ci_high"] - rows["good_pct"]).where(small),
                         arrayminus=(rows["good_pct"] - rows["ci_low"]).where(small), thickness=1, width=3)))
        for label, value, text in zip(rows["label"], rows["good_pct"], rows["text"]):
            if value != value:   # NaN: this group's percentage is suppressed
                fig.add_annotation(x=label, y=2, text=f"{text}<br>suppressed", showarrow=False, yanchor="bottom",
                                   font=dict(color=MUTED))
        overall = audit.chart[audit.chart["label"] == equality.ALL].iloc[0]
        if overall["good_pct"] == overall["good_pct"]:   # a reference line unless the total itself is hidden
            # Drawn beneath the bars and their labels (a line over them struck the labels through); the legend
            # entry comes from an empty trace of the same style.
            fig.add_hline(y=overall["good_pct"], line=dict(color=MUTED, dash="dash", width=1.5), layer="below")
            fig.add_scatter(x=[None], y=[None], mode="lines", line=dict(color=MUTED, dash="dash", width=1.5),
                            name=f"All audits: {overall['text']}", hoverinfo="skip")
            fig.data[0].showlegend = False
        fig.update_layout(template=TEMPLATE, title=f"Audits graded good or better, by the child's {name.lower()}",
                          xaxis_title=name, yaxis_title="% good or better (of audits)", yaxis_range=[0, 110],
                          margin=dict(t=100))
        fig.update_xaxes(type="category", automargin=True)
        ui.show_chart(fig, audit.table,
                      "Share of audits whose final grade is Outstanding or Good, among audits of children in each "
                      f"group; n = audits. Dashed line: all audits in the filters. Error bars: 95% Wilson interval, "
                      f"shown where n < {SMALL_N}. Groups with suppressed figures have no bar.", f"equality_{column}")

        st.subheader(f"Pillar grades by {name.lower()}")
        if pillar.chart.empty:
            st.info("No pillar grades match these filters.")
            continue
        pillars_in_order = list(dict.fromkeys(pillar.chart["pillar"]))
        labels = equality.group_order(column, set(pillar.chart["label"]) - {equality.ALL}) + [equality.ALL]
        cells = pillar.chart.set_index(["pillar", "label"])
        z = [[cells.loc[(p, g), "good_pct"] if (p, g) in cells.index else None for g in labels]
             for p in pillars_in_order]
        text = [[cells.loc[(p, g), "text"] if (p, g) in cells.index else "" for g in labels]
                for p in pillars_in_order]
        fig = heatmap.figure(labels, pillars_in_order, z, text, [[f"{p} · {g}<br>{t}" for g, t in zip(labels, row)]
                                                             for p, row in zip(pillars_in_order, text)],
                             title=f"Pillar grades good or better, by the child's {name.lower()}", x_title=name,
                             y_title="Pillar")
        ui.show_chart(fig, pillar.table,
                      "Share of each pillar's grades (final: moderated, else the auditor's) that are Outstanding or "
                      f"Good, by the child's {name.lower()}; n = pillar grades. Uncoloured cells: suppressed. The data "
                      f"table gives the 95% Wilson interval where n < {SMALL_N}.", f"equality_pillars_{column}")
