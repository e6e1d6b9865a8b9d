"""Voice of children and families: feedback by channel and sentiment, themes, complaints, the quarterly view."""
import plotly.graph_objects as go
import streamlit as st

from analytics import ui, voice
from analytics.charts import CATEGORY_COLOURS, SENTIMENT_COLOURS, SERIES_COLOUR, TEMPLATE, wilson_error_bars

# Sentiment is not a grade: teal positive, grey mixed, magenta negative (charts.SENTIMENT_COLOURS).
# Channels are categories, not grades: never the grade colours.
CHANNEL_COLOURS = dict(zip(voice.CHANNELS, CATEGORY_COLOURS))


def error_bars(df, key, n_col):
    return wilson_error_bars(df, f"{key}_pct", f"{key}_ci_low", f"{key}_ci_high", n_col, voice.SMALL_N)


source, f, _ = ui.page_start("Voice of children and families", grain=False, audit_filters=False, empty=ui.NO_PERIOD)
with ui.cached_reads(source) as cached:
    figures = cached(voice.page_figures, f)
fb, volume, shares, fb_themes, theme_trend, comp, by_stage, by_theme, by_outcome, quarterly = (
    figures[k] for k in ("feedback", "volume", "shares", "themes", "theme_trend", "complaints",
                         "complaints_by_stage", "complaints_by_theme", "complaints_by_outcome", "quarterly"))

st.caption(f"Feedback and complaints received from {f.month_from} to {f.month_to}. With a service chosen, "
           "feedback not attributed to one service is left out. Percentages over fewer than 20 records show "
           "their 95% Wilson interval.")

# --- feedback ------------------------------------------------------------------------------------
st.header("Feedback")
if fb["received"] == 0:
    ui.empty("No feedback (single feedback forms, emails, MOMO statements) received in this period and service.")
else:
    cols = st.columns(5)
    cols[0].metric("Feedback received", f'{fb["received"]:,}')
    cols[1].metric("Positive", f'{fb["positive"]:,}', help="Records whose sentiment is Positive (compliments).")
    cols[2].metric("Negative", f'{fb["negative"]:,}', help=f"Mixed: {fb['mixed']}.")
    c = fb["conversation"]
    cols[3].metric("Asked for a conversation", voice.pct_text(c["pct"], c["ci_low"], c["ci_high"], c["n"]),
                   help=f"{c['yes']} of {c['n']} records where the question was answered (yes or no).")
    c = fb["complaint"]
    cols[4].metric("Became a complaint", voice.pct_text(c["pct"], c["ci_low"], c["ci_high"], c["n"]),
                   help=f"{c['yes']} of {c['n']} records where it was recorded (yes or no).")

    st.subheader("Feedback per month by channel")
    by_channel = volume.groupby(["period", "channel"], sort=False)["n"].sum().reset_index()
    fig = go.Figure()
    for channel in voice.CHANNELS:
        rows = by_channel[by_channel["channel"] == channel]
        fig.add_bar(x=rows["period"], y=rows["n"], name=channel, marker_color=CHANNEL_COLOURS[channel],
                    hovertemplate="%{x}: %{y} " + channel + "<extra></extra>")
    fig.update_layout(template=TEMPLATE, barmode="stack", title="Feedback received per month, by channel",
                      xaxis_title="Month received", xaxis_type="category", yaxis_title="Feedback records (count)")
    ui.show_chart(fig, by_channel.pivot(index="period", columns="channel", values="n")
                  .reindex(columns=list(voice.CHANNELS)).reset_index().rename(columns={"period": "month"}),
                  "Each feedback record counted once in the month of its received date. SFF: single feedback "
                  "form; MOMO: Mind Of My Own statements.", "voice_channel")

    st.subheader("Feedback per month by sentiment")
    by_sent = volume.groupby(["period", "sentiment"], sort=False)["n"].sum().reset_index()
    fig = go.Figure()
    for s in voice.SENTIMENTS:
        rows = by_sent[by_sent["sentiment"] == s]
        fig.add_bar(x=rows["period"], y=rows["n"], name=s, marker_color=SENTIMENT_COLOURS[s],
                    hovertemplate="%{x}: %{y} " + s.lower() + "<extra></extra>")
    fig.update_layout(template=TEMPLATE, barmode="stack", title="Feedback received per month, by sentiment",
                      xaxis_title="Month received", xaxis_type="category", yaxis_title="Feedback records (count)")
    ui.show_chart(fig, volume.rename(columns={"period": "month"}),
                  "Sentiment as recorded on the form (Positive, Mixed, Negative). The table splits each month "
                  "by channel and sentiment.", "voice_sentiment")

    st.subheader("Conversations asked for and complaints")
    fig = go.Figure()
    for key, label, colour in (("conversation", "Asked for a conversation", CATEGORY_COLOURS[0]),
                               ("complaint", "Became a complaint", CATEGORY_COLOURS[1])):
        fig.add_scatter(x=shares["period"], y=shares[f"{key}_pct"], mode="lines+markers", name=label,
                        marker_color=colour, customdata=shares[[f"{key}_yes", f"{key}_n"]],
                        error_y=error_bars(shares, key, f"{key}_n"),
                        hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]} of %{customdata[1]})<extra>" + label
                                      + "</extra>")
    fig.update_layout(template=TEMPLATE, title="Share of feedback asking for a conversation or becoming a complaint",
                      xaxis_title="Month received", xaxis_type="category", yaxis_title="% of feedback where recorded",
                      yaxis_range=[0, 100])
    ui.show_chart(fig, shares, "Over the records where the question was answered (yes or no; blank is unknown and "
                  "left out). Error bars: 95% Wilson interval, where a month rests on fewer than 20 records.",
                  "voice_shares")

    st.subheader("Feedback themes")
    if fb_themes.empty:
        ui.empty("No themes recorded on the feedback in this period.")
    else:
        top = fb_themes.head(12).iloc[::-1]
        fig = go.Figure()
        for s in voice.SENTIMENTS:
            fig.add_bar(y=top["theme"], x=top[s.lower()], name=s, orientation="h", marker_color=SENTIMENT_COLOURS[s],
                        hovertemplate="%{y}: %{x} " + s.lower() + "<extra></extra>")
        fig.update_layout(template=TEMPLATE, barmode="stack", title="Feedback themes ranked, by sentiment",
                          xaxis_title="Feedback records naming the theme (count)", yaxis_title=None,
                          yaxis_automargin=True)
        ui.show_chart(fig, fb_themes, "A record naming several themes counts once under each. %: share of the "
                      "period's feedback naming the theme; Change (points): its share in the period's last financial "
                      "quarter minus the quarter before, in percentage points.", "voice_themes")
        fig = go.Figure()
        for theme, rows in theme_trend.groupby("theme", sort=False):
            fig.add_scatter(x=rows["quarter"], y=rows["pct"], mode="lines+markers", name=theme,
                            customdata=rows[["mentions", "feedback"]],
                            hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]} of %{customdata[1]})<extra>" + theme
                                          + "</extra>")
        fig.update_layout(template=TEMPLATE, title="Leading feedback themes by financial quarter",
                          xaxis_title="Financial quarter", yaxis_title="% of the quarter's feedback",
                          xaxis_type="category")
        ui.show_chart(fig, theme_trend, "The six themes named most often in the period: the share of each quarter's "
                      "feedback naming them (n = the quarter's feedback).", "voice_theme_trend")

# --- complaints ----------------------------------------------------------------------------------
st.header("Complaints")
if comp["received"] == 0:
    ui.empty("No complaints received in this period and service.")
else:
    cols = st.columns(4)
    cols[0].metric("Complaints received", f'{comp["received"]:,}')
    cols[1].metric("Upheld", voice.pct_text(comp["upheld_pct"], comp["upheld_ci_low"], comp["upheld_ci_high"],
                                        comp["decided"]),
                   help=f"{comp['upheld']} Upheld of {comp['decided']} complaints with a decided outcome (Upheld, "
                        "Partly upheld, Not upheld). Partly upheld is NOT included here; Withdrawn and undecided "
                        "complaints are left out.")
    cols[2].metric("Upheld or partly upheld", voice.pct_text(comp["upheld_or_partly_pct"], comp["upheld_or_partly_ci_low"],
                                                         comp["upheld_or_partly_ci_high"], comp["decided"]),
                   help=f"{comp['upheld'] + comp['partly_upheld']} of {comp['decided']} decided complaints.")
    cols[3].metric("Answered on time", voice.pct_text(comp["on_time_pct"], comp["on_time_ci_low"], comp["on_time_ci_high"],
                                                  comp["closed_with_due_date"]),
                   help=f"{comp['on_time']} of {comp['closed_with_due_date']} closed complaints with a response due "
                        "date, closed on or before it.")

    st.subheader("Complaints by stage")
    fig = go.Figure()
    fig.add_bar(x=by_stage["stage"], y=by_stage["received"], marker_color=SERIES_COLOUR, name="Received",
                hovertemplate="%{x}: %{y} complaints<extra></extra>")
    fig.update_layout(template=TEMPLATE, title="Complaints received by stage", xaxis_title="Stage",
                      yaxis_title="Complaints (count)")
    ui.show_chart(fig, by_stage, "Complaints received in the period by their stage. Upheld % and upheld or partly "
                  "upheld % are over complaints with a decided outcome; on time % over closed complaints with a "
                  "due date.", "voice_complaint_stage")

    st.subheader("Upheld and on time, by stage")
    fig = go.Figure()
    for key, label, n_col, colour in (("upheld", "Upheld", "decided", CATEGORY_COLOURS[1]),
                                      ("upheld_or_partly", "Upheld or partly upheld", "decided", CATEGORY_COLOURS[6]),
                                      ("on_time", "Answered on time", "closed_with_due_date", SERIES_COLOUR)):
        fig.add_bar(x=by_stage["stage"], y=by_stage[f"{key}_pct"], name=label, marker_color=colour,
                    customdata=by_stage[[n_col]], error_y=error_bars(by_stage, key, n_col),
                    hovertemplate="%{x}: %{y:.1f}% of %{customdata[0]}<extra>" + label + "</extra>")
    fig.update_layout(template=TEMPLATE, barmode="group", title="Complaints upheld and answered on time, by stage",
                      xaxis_title="Stage", yaxis_title="% of complaints (see n)", yaxis_range=[0, 105])
    ui.show_chart(fig, by_stage, "Error bars: 95% Wilson interval where a stage rests on fewer than 20 complaints.",
                  "voice_complaint_rates")

    left, right = st.columns(2)
    with left:
        st.subheader("Complaints by outcome")
        fig = go.Figure(go.Bar(x=by_outcome["outcome"], y=by_outcome["n"], marker_color=SERIES_COLOUR,
                               hovertemplate="%{x}: %{y} complaints<extra></extra>"))
        fig.update_layout(template=TEMPLATE, title="Complaints by outcome", xaxis_title="Outcome",
                          yaxis_title="Complaints (count)")
        ui.show_chart(fig, by_outcome, "Outcome as recorded; blank is shown as No outcome yet.", "voice_outcome")
    with right:
        st.subheader("Complaint themes")
        top = by_theme.head(12).iloc[::-1]
        fig = go.Figure(go.Bar(y=top["theme"], x=top["received"], orientation="h", marker_color=SERIES_COLOUR,
                               hovertemplate="%{y}: %{x} complaints<extra></extra>"))
        fig.update_layout(template=TEMPLATE, title="Complaint themes ranked", xaxis_title="Complaints (count)",
                          yaxis_title=None, yaxis_automargin=True)
        ui.show_chart(fig, by_theme, "A complaint naming several themes counts once under each.", "voice_complaint_themes")

# --- the quarterly view --------------------------------------------------------------------------
st.header("Quarterly view")
if fb["received"] == 0 and comp["received"] == 0:
    ui.empty("No feedback or complaints in this period and service: nothing for the quarterly view.")
    st.stop()
st.caption("Financial quarters (April to March) of the period, as in the quarterly complaint and feedback reports. "
           "A quarter only partly inside the period counts only its months in the period.")
view = voice.quarterly_view(quarterly)
fig = go.Figure()
fig.add_bar(x=quarterly["quarter"], y=quarterly["feedback"], name="Feedback", marker_color=SERIES_COLOUR,
            hovertemplate="%{x}: %{y} feedback<extra></extra>")
fig.add_bar(x=quarterly["quarter"], y=quarterly["complaints"], name="Complaints", marker_color=CATEGORY_COLOURS[1],
            hovertemplate="%{x}: %{y} complaints<extra></extra>")
fig.update_layout(template=TEMPLATE, barmode="group", title="Feedback and complaints by financial quarter",
                  xaxis_title="Financial quarter", yaxis_title="Records received (count)")
ui.show_chart(fig, view, "Counts by the date received. The table gives each quarter's figures as the quarterly "
              "report shows them.", "voice_quarterly")
# The report's layout: one column per quarter.
ui.dataframe(view.set_index("Quarter").T.astype(str).rename_axis("Measure").reset_index(),
             height="content")
