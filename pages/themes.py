"""Theme explorer: pick a theme and see everywhere it appears across the strands of evidence, over time."""
import streamlit as st
from plotly.subplots import make_subplots

from analytics import themes, ui
from analytics.charts import GRADE_COLOURS, TEMPLATE
from analytics.escaping import md
from analytics.presentation import for_people

source = ui.source()
config = ui.config()
ui.presentation_toggle()
f, _ = ui.filter_bar(source, grain=False, audit_filters=False)
st.title("Theme explorer")
with ui.cached_reads(source) as cached:
    f = cached(themes.with_period, f, themes.SOURCES)
    if f is None:
        ui.empty("Nothing is loaded yet: load audits, dip samples, feedback, complaints, escalations, learning "
                 "actions or reviews on the Data page.")
        st.stop()
    options = cached(themes.theme_options, f, config)
    if options.empty:
        ui.empty("No record in this period names a theme: widen the period or clear the service filter.")
        st.stop()
    names = list(options["theme"])
    asked = st.query_params.get("theme")
    if asked and asked not in names:
        # A link may use a synonym ("Child's voice"): open its canonical theme. A theme that names nothing in
        # this period is kept on offer, and the page then says so.
        wanted = themes.canonical(asked, themes.synonym_lookup(config))
        if wanted not in names:
            names.append(wanted)
        st.query_params["theme"] = wanted
    theme = st.selectbox("Theme", names, key="theme", bind="query-params",
                         help="Themes that appear in the most strands come first. Names are matched through the "
                              "configured synonym list, so \"Voice of child\" and \"Child's voice\" meet.")
    mentions = cached(themes.all_mentions, f, config, only=theme)
summary = themes.strand_summary(mentions, f)
pillar = themes.pillar_for(theme, config)

st.markdown(f"#### {themes.headline(theme, summary, f)}")
rising = themes.rising(summary)
if rising:
    st.markdown("Coming up more often lately: " + "; ".join(map(md, rising)) + ".")
names_used = sorted(themes.names_of(theme, config))
st.caption("Matched names (case and apostrophes ignored): " + ", ".join(map(md, names_used))
           + (f". Pillar: {md(pillar)}." if pillar else ". No configured pillar matches this theme.")
           + " The synonym list is the theme_synonyms setting of the configuration.")
if summary.empty:
    st.stop()

ui.dataframe(for_people(summary))
ui.download_table(summary, "theme_summary")

# --- one chart: monthly mentions per strand on a shared time axis -------------------------------------------
counts = themes.monthly(mentions, f)
grades = themes.pillar_monthly(mentions, f, config)
strands = list(dict.fromkeys(counts["strand"]))
fig = make_subplots(rows=len(strands), cols=1, shared_xaxes=True, vertical_spacing=0.035 if len(strands) > 4 else 0.08,
                    subplot_titles=[f"{s} (n={int(counts[counts['strand'] == s]['n'].sum()):,})" for s in strands])
for i, s in enumerate(strands, start=1):
    if s == themes.BY_KEY["pillar"].label:
        for rank, label in enumerate(config.grade_labels, start=1):
            rows = grades[grades["rank"] == rank]
            fig.add_bar(x=rows["month"], y=rows["n"], name=label, marker_color=GRADE_COLOURS[rank], row=i, col=1,
                        legendgroup="grades", hovertemplate="%{x}: %{y} pillar grades " + label + "<extra></extra>")
    else:
        rows = counts[counts["strand"] == s]
        fig.add_bar(x=rows["month"], y=rows["n"], name=s, marker_color="#4d4d4d", row=i, col=1, showlegend=False,
                    hovertemplate="%{x}: %{y} " + s.lower() + "<extra></extra>")
    top = grades.groupby("month")["n"].sum().max() if s == themes.BY_KEY["pillar"].label else \
        counts[counts["strand"] == s]["n"].max()
    # Whole numbers only: a small count gets a tick at every unit rather than 0.5 steps.
    fig.update_yaxes(title_text="count", row=i, col=1, rangemode="tozero", nticks=3,
                     dtick=1 if top <= 4 else None, tickformat="d")
fig.update_xaxes(type="category", categoryorder="array", categoryarray=themes.months_of(f))
fig.update_xaxes(title_text="Month", row=len(strands), col=1)
fig.update_layout(template=TEMPLATE, barmode="stack", title=f"Where {theme} comes up, month by month",
                  height=150 * len(strands) + 170, margin=dict(t=110, r=190 if not grades.empty else 20),
                  legend=dict(orientation="v", x=1.01, xanchor="left", y=1, yanchor="top", title_text="Pillar grade"))
fig.update_annotations(font_size=13, x=0, xanchor="left")
ui.show_chart(fig, themes.monthly_table(counts, grades), "Records naming the theme per month, one panel per strand, each on its own scale; the "
              "panels share the time axis. Pillar grades: the matching pillar's final grades (moderated, else the "
              "auditor's), stacked by grade. A record naming the theme twice counts once.", "theme_monthly")

# --- the evidence -----------------------------------------------------------------------------------
st.subheader("The evidence")
present = [s for s in themes.STRANDS if s.key in mentions and not mentions[s.key].empty]
tabs = st.tabs([f"{s.label} ({len(mentions[s.key]):,})" for s in present])
for tab, s in zip(tabs, present):
    with tab:
        ev = themes.evidence(s.key, mentions[s.key])
        ui.dataframe(for_people(ev))
        ui.download_table(ev, f"theme_{s.key}", f"theme_{s.key}", children=s.key in themes.RECORD_STRANDS or None)

# --- triangulation across every theme ---------------------------------------------------------------
st.subheader("Every theme across the strands")
st.caption("Mentions of each theme in the period, by strand; themes that appear in the most strands first. "
           "Mentions excludes pillar grades (every audit grades every pillar).")
ui.dataframe(for_people(options))
ui.download_table(options, "theme_options")
