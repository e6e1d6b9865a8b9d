"""Moderation drift: auditor grades against the QA team's moderated grades, the benchmarking panel, pillars."""
import plotly.graph_objects as go
import streamlit as st

from analytics import metrics, moderation as md, ui
from analytics.charts import INK, MUTED, SERIES_COLOUR, TEMPLATE, n_in_ticks
from analytics.filters import GRAINS
from analytics.presentation import format_pct

source = ui.source()
config = ui.config()
labels = config.grade_labels
ui.presentation_toggle()
f, grain = ui.filter_bar(source)
st.title("Moderation drift")
if f.month_from is None:
    ui.empty()
    st.stop()
with ui.cached_reads(source) as cached:
    overall = cached(md.drift, f)
    pairs = cached(metrics.grade_pairs, f)
    groups = {by: cached(md.by_group, f, by, config) for by in md.BY_COLUMNS}
    series = cached(md.trend, f, grain)
    bench = cached(md.benchmarking, f)
    pillars, pillar_pairs = cached(md.pillar_figures, f, config)
audits = overall["moderated"] + overall["provisional"]
if not audits:
    ui.empty()
    st.stop()

st.caption(f"{audits:,} audits from {f.month_from} to {f.month_to}: {overall['moderated']:,} moderated and "
           f"{overall['provisional']:,} provisional (not yet moderated, so not in these figures).")
if not overall["moderated"]:
    ui.empty("None of the audits in these filters has been moderated yet, so there is no drift to show.")
    st.stop()
if overall["provisional"]:
    st.warning(f"{overall['provisional']:,} provisional audit{'s' if overall['provisional'] != 1 else ''} "
               "(no moderated grade yet) left out of every figure below.", icon=":material/hourglass_empty:")


def heatmap(conf, row_title: str, col_title: str, title: str, key: str, caption: str, what: str = "audits",
            drill: tuple[str, str] | None = None):
    """Counts and row % in each cell; one blue hue (never red/green) darker for a larger row share."""
    z = [[conf[(conf.row_rank == i) & (conf.col_rank == j)].row_pct.iloc[0] for j in range(1, 5)] for i in range(1, 5)]
    text = [[(f"{n}<br>{format_pct(p)}" if n else "0")
             for n, p in conf[conf.row_rank == i][["n", "row_pct"]].itertuples(index=False)] for i in range(1, 5)]
    custom = [[[n, t, labels[i - 1], labels[j - 1]] for j, (n, t) in
               enumerate(conf[conf.row_rank == i][["n", "row_n"]].itertuples(index=False), start=1)]
              for i in range(1, 5)]
    fig = go.Figure(go.Heatmap(
        z=z, x=labels, y=labels, text=text, texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=100,
        customdata=custom, colorbar=dict(title="Row %"), xgap=2, ygap=2,
        hovertemplate=f"{row_title} %{{y}}, {col_title.lower()} %{{x}}: %{{customdata[0]}} of %{{customdata[1]}} "
                      f"{what} (%{{z:.1f}}%)<extra></extra>"))
    fig.update_layout(template=TEMPLATE, title=title, xaxis_title=col_title, yaxis_title=row_title,
                      yaxis_autorange="reversed", height=460,
                      xaxis_automargin=True, yaxis_automargin=True, margin=dict(l=20))
    table = md.rounded(conf.rename(columns={"row_grade": row_title.lower(), "col_grade": col_title.lower()}), 1)
    if drill is None:
        ui.show_chart(fig, table, caption, key)
        return
    state = ui.show_chart(fig, table, caption + " Click a cell to see its audits.", key, on_select="rerun")
    ui.drill_to_explorer(state, **{f"{drill[0]}_at": 2, f"{drill[1]}_at": 3})


def kappa_chart(df, key_col: str, subject: str, key: str, unit: str = "moderated audits"):
    """Weighted kappa with its 95% bootstrap interval for each group with enough moderated audits."""
    shown = df[~df["too_few"]].iloc[::-1]
    few = df[df["too_few"]][key_col].tolist()
    if shown.empty:
        st.info(f"Every {subject} has fewer than {md.SMALL_N} {unit}: no kappa is shown.")
        return
    fig = go.Figure(go.Scatter(
        x=shown["weighted_kappa"], y=shown[key_col], mode="markers", marker=dict(color=INK, size=10),
        error_x=dict(type="data", symmetric=False, array=shown["kappa_ci_high"] - shown["weighted_kappa"],
                     arrayminus=shown["weighted_kappa"] - shown["kappa_ci_low"], color=INK, thickness=1.5),
        customdata=shown[["moderated", "kappa_ci_low", "kappa_ci_high", "band"]],
        hovertemplate="%{y}: kappa %{x:.2f} (95% CI %{customdata[1]:.2f} to %{customdata[2]:.2f}), "
                      "%{customdata[3]}, n = %{customdata[0]}<extra></extra>"))
    low = min(0.0, float(shown["kappa_ci_low"].min()) - 0.05)
    for edge, band in zip((0.0, 0.2, 0.4, 0.6, 0.8), ("slight", "fair", "moderate", "substantial", "almost perfect")):
        fig.add_vline(x=edge, line=dict(color="#d1d5db", dash="dot", width=1))
        fig.add_annotation(x=edge + 0.1, y=1.0, yref="paper", yanchor="bottom", text=band, showarrow=False,
                           font=dict(color=MUTED, size=12))
    fig.update_layout(template=TEMPLATE, title=f"Agreement beyond chance (weighted kappa) by {subject}",
                      xaxis_title="Weighted kappa (linear weights; 1 = perfect agreement)", xaxis_range=[low, 1.02],
                      yaxis_title=subject.capitalize(), height=max(260, 70 + 40 * len(shown)), showlegend=False,
                      margin=dict(t=90, l=20), yaxis_automargin=True, xaxis_automargin=True)
    caption = ("Dots: weighted kappa; bars: 95% percentile bootstrap interval (2,000 resamples, fixed seed). "
               "Dotted lines: Landis–Koch bands.")
    if few:
        caption += f" Not shown, fewer than {md.SMALL_N} {unit}: {', '.join(map(str, few))}."
    ui.show_chart(fig, md.rounded(df), caption, key)


# --- headline -----------------------------------------------------------------------------
n = overall["moderated"]
cols = st.columns(4)
cols[0].metric("Moderated audits", f"{n:,}", help=f"{overall['provisional']:,} provisional audits not included")
cols[1].metric("Agreement", md.pct_with_range(overall["agreement_pct"], overall["agreement_ci_low"],
                                              overall["agreement_ci_high"], n),
               help=f"Moderated grade equals the auditor's grade, of {n} moderated audits")
cols[2].metric("Within one grade", md.pct_with_range(overall["within_one_pct"], overall["within_one_ci_low"],
                                                     overall["within_one_ci_high"], n),
               help=f"Moderated grade at most one grade from the auditor's, of {n} moderated audits")
cols[3].metric("Weighted kappa", md.format_kappa(overall["weighted_kappa"]),
               delta=f"{overall['band']} agreement" if overall["band"] else None, delta_color="off",
               delta_arrow="off",
               help="Cohen's kappa, linear weights: agreement beyond chance (1 perfect, 0 chance). Landis–Koch "
                    "bands: <0 poor, 0–0.20 slight, 0.21–0.40 fair, 0.41–0.60 moderate, 0.61–0.80 substantial, "
                    "0.81–1 almost perfect")
cols = st.columns(4)
cols[0].metric("Downgraded", f"{overall['downgraded']:,}", help="Moderated grade worse than the auditor's")
cols[1].metric("Upgraded", f"{overall['upgraded']:,}", help="Moderated grade better than the auditor's")
cols[2].metric("Net drift (grades)", md.format_signed(overall["net_drift"]),
               help="Mean of (moderated rank − auditor rank); positive: auditors grade more generously")
cols[3].metric("Kappa 95% interval", md.format_kappa(overall["kappa_ci_low"]) + "–"
               + md.format_kappa(overall["kappa_ci_high"]),
               help="Percentile bootstrap over the moderated audits, 2,000 resamples, fixed seed")
st.markdown(f"Weighted kappa {md.format_kappa(overall['weighted_kappa'], overall['kappa_ci_low'], overall['kappa_ci_high'])} "
            f"(95% interval): **{overall['band']}** agreement. {md.drift_sentence(overall['net_drift'], n)}")
if overall["too_few"]:
    st.info(f"Fewer than {md.SMALL_N} moderated audits: read these figures with caution (percentages show their "
            "95% Wilson interval).")

# --- confusion matrix ----------------------------------------------------------------------
st.subheader("Auditor grade against moderated grade")
heatmap(md.confusion(pairs, labels), "Auditor grade", "Moderated grade",
        f"Moderated audits by auditor grade and moderated grade (n = {n})", "mod_confusion",
        "Each cell: moderated audits, and their share of the auditor's grade row (row %). Cells on the diagonal "
        "agree; right of it the QA team graded lower (downgraded), left of it higher. Provisional audits are not "
        f"included. The data table gives the 95% Wilson interval of each row %, needed where a row has fewer "
        f"than {md.SMALL_N} audits.", drill=("auditor_grade", "moderated_grade"))

# --- by group ------------------------------------------------------------------------------
st.subheader("Drift by service, team and auditor role")
st.caption(f'Figures for fewer than {md.SMALL_N} moderated audits are shown as "too few". Kappa: 95% percentile '
           "bootstrap interval over the group's moderated audits. Not moderated: provisional audits, not included.")
tabs = st.tabs(["By service", "By team", "By auditor role"])
for tab, (by, label) in zip(tabs, md.BY_COLUMNS.items()):
    with tab:
        df = groups[by]
        if df.empty:
            st.info(f"No audits with a {label.lower()} recorded match these filters.")
            continue
        ui.dataframe(md.display_table(df, by, label), key=f"mod_table_{by}")
        ui.download_table(md.display_table(df, by, label), f"mod_by_{by}")
        kappa_chart(df, by, label.lower(), f"mod_kappa_{by}")
        if by == "team":
            st.caption("Audits with no team recorded are in no team's row.")

# --- trend -------------------------------------------------------------------------------------
grain_label = GRAINS[grain].lower()
st.subheader(f"Agreement and net drift by {grain_label}")
if series.empty:
    ui.empty("No period in these filters has a moderated audit.")
else:
    small = series["moderated"] < md.SMALL_N
    fig = go.Figure(go.Scatter(
        x=series["period"], y=series["agreement_pct"], mode="lines+markers", name="Agreement %",
        line=dict(color=SERIES_COLOUR), customdata=series[["moderated"]],
        hovertemplate="%{x}: %{y:.1f}% of %{customdata[0]} moderated audits<extra></extra>",
        error_y=dict(type="data", symmetric=False,
                     array=(series["agreement_ci_high"] - series["agreement_pct"]).where(small),
                     arrayminus=(series["agreement_pct"] - series["agreement_ci_low"]).where(small),
                     thickness=1, width=3)))
    fig.update_layout(template=TEMPLATE, title=f"Moderated audits whose grade the QA team agreed with, by {grain_label}",
                      xaxis_title=GRAINS[grain], yaxis_title="Agreement (% of moderated audits)",
                      yaxis_range=[0, 105], xaxis_type="category",
                      xaxis_automargin=True, yaxis_automargin=True)
    n_in_ticks(fig, series["period"], series["moderated"])
    trend_table = md.rounded(series.drop(columns=["too_few"]))
    ui.show_chart(fig, trend_table,
                  "Agreement: moderated grade equals the auditor's, over moderated audits in the period (by audit "
                  f"month); n under each period: moderated audits. Error bars: 95% Wilson interval, shown where a "
                  f"point rests on fewer than {md.SMALL_N} "
                  "moderated audits." + (" Rolling: each month with the two before it." if grain == "rolling3" else ""),
                  "mod_trend_agreement")
    fig = go.Figure(go.Scatter(
        x=series["period"], y=series["net_drift"], name="Net drift", mode="lines+markers",
        line=dict(color=SERIES_COLOUR),
        customdata=series[["moderated", "downgraded", "upgraded"]],
        hovertemplate="%{x}: net drift %{y:+.2f} over %{customdata[0]} moderated audits "
                      "(%{customdata[1]} downgraded, %{customdata[2]} upgraded)<extra></extra>"))
    fig.add_hline(y=0, line=dict(color=MUTED, width=1))
    fig.update_layout(template=TEMPLATE, title=f"Net drift of moderated grades from auditor grades, by {grain_label}",
                      xaxis_title=GRAINS[grain], yaxis_title="Net drift (grades)", xaxis_type="category",
                      xaxis_automargin=True, yaxis_automargin=True, yaxis_tickformat="+.2f")
    n_in_ticks(fig, series["period"], series["moderated"])
    ui.show_chart(fig, trend_table,
                  "Net drift: mean of (moderated rank − auditor rank) over the period's moderated audits, ranks 1 "
                  "Outstanding to 4 Inadequate. Above 0 the QA team graded lower: auditors grade more generously than "
                  "the QA team; below 0, more harshly.",
                  "mod_trend_drift")

# --- benchmarking panel ---------------------------------------------------------------------
st.subheader("The benchmarking panel's changes")
if not bench["benchmarked"]:
    st.info("No audit in these filters has been benchmarked by the panel.")
else:
    b = bench["benchmarked"]
    cols = st.columns(4)
    cols[0].metric("Benchmarked", f"{b:,}", help="Audits the benchmarking panel graded")
    cols[1].metric("Grade changed", f"{bench['changed']:,}",
                   help="Benchmarked grade differs from the moderated grade")
    cols[2].metric("Changed (%)",
                   md.pct_with_range(bench["changed_pct"], bench["changed_ci_low"], bench["changed_ci_high"], b),
                   help=f"Of {b} benchmarked audits")
    cols[3].metric("Higher / lower", f"{bench['raised']:,} / {bench['lowered']:,}",
                   help="Higher: benchmarked grade better than the moderated grade; lower: worse")
    heatmap(md.confusion(bench["pairs"], labels), "Moderated grade", "Benchmarked grade",
            f"Benchmarked audits by moderated grade and the panel's grade (n = {b})", "mod_benchmark",
            "Each cell: benchmarked audits, and their share of the moderated grade row. Off the diagonal the panel "
            "changed the moderated grade: left of it to a better grade, right of it to a worse one.")

# --- pillar grades ------------------------------------------------------------------------------
st.subheader("The same drift for pillar grades")
moderated_pillars = pillars[pillars["moderated"] > 0]
if moderated_pillars.empty:
    st.info("No pillar grade in these filters has been moderated.")
else:
    st.caption(f"Over pillar rows with a moderated pillar grade; the auditor's pillar grade against the moderated "
               f'one. Pillars with fewer than {md.SMALL_N} moderated rows are shown as "too few". Not moderated: '
               "pillar rows with no moderated grade, not included.")
    ui.dataframe(md.display_table(pillars, "pillar", "Pillar", "Moderated rows"),
                 key="mod_table_pillars")
    ui.download_table(md.display_table(pillars, "pillar", "Pillar", "Moderated rows"), "mod_by_pillar")
    kappa_chart(pillars, "pillar", "pillar", "mod_kappa_pillars", unit="moderated pillar rows")
    options = ["All pillars"] + moderated_pillars["pillar"].tolist()
    chosen = st.selectbox("Pillar for the matrix", options, key="mod_pillar")
    chosen_pairs = ([p for rows in pillar_pairs.values() for p in rows] if chosen == "All pillars"
                    else pillar_pairs[chosen])
    heatmap(md.confusion(chosen_pairs, labels), "Auditor pillar grade", "Moderated pillar grade",
            f"Moderated pillar grades: {chosen.lower() if chosen == 'All pillars' else chosen} "
            f"(n = {sum(c for *_, c in chosen_pairs)} pillar rows)", "mod_pillar_confusion",
            "Each cell: moderated pillar rows, and their share of the auditor's pillar grade row. Right of the "
            "diagonal the QA team graded the pillar lower.", what="pillar rows")
