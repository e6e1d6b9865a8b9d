"""Impact of interventions: audit grades, a target KPI and a target theme before and after what the service did."""
import datetime as dt

import plotly.graph_objects as go
import streamlit as st

from analytics import access, impact, impact_evidence as ev, kpis, ui
from analytics.audits import SMALL_N
from analytics.charts import BEFORE_AFTER, CATEGORY_COLOURS, GRADE_COLOURS, INK, SPC_COLOURS, TEMPLATE
from analytics.filters import audit_months
from analytics.presentation import format_pct
from analytics.escaping import md

NEW = "new"
# Window shading: light, distinct in greyscale, never read as a grade colour.
SHADES = {"before": "rgba(140,140,140,0.16)", "during": "rgba(245,166,35,0.20)", "after": "rgba(108,178,230,0.22)"}


def with_range(pct, low, high, n) -> str:
    """A percentage with its 95% Wilson interval (always: a before/after comparison is about how sure we are)."""
    if pct is None or pct != pct:
        return format_pct(None)
    return f"{format_pct(pct)} ({format_pct(low)} to {format_pct(high)})"


def shade(fig, w: impact.Windows) -> None:
    for name, x0, x1, label in (("before", w.before_start, w.start, "Before"),
                                ("during", w.start, w.end + dt.timedelta(days=1), "Intervention"),
                                ("after", w.end + dt.timedelta(days=1), w.after_end + dt.timedelta(days=1), "After")):
        # The intervention's label sits at the bottom: a short intervention leaves no room beside "After".
        fig.add_vrect(x0=x0, x1=x1, fillcolor=SHADES[name], line_width=0, layer="below", annotation_text=label,
                      annotation_position="bottom left" if name == "during" else "top left")


source = ui.source()
config = ui.config()
ui.presentation_toggle()
f, _ = ui.filter_bar(source, grain=False, audit_filters=False)
st.title("Impact of interventions")
st.caption("What changed after the service's training, briefings and process changes, and how sure the data is. "
           "A before/after comparison cannot show that the intervention caused a change: other things change "
           "at the same time.")
if f.month_from is None:
    ui.empty("No audits are loaded yet: the impact view compares audit grades before and after each intervention. "
             "Load audits and interventions on the Data page.")
    st.stop()

with ui.cached_reads(source) as cached:
    # Another service's interventions are not listed to a viewer who does not see that service.
    stored = [r for r in cached(impact.interventions) if access.in_scope(r["service"], f)]
    months = cached(audit_months)
    kpi_names = dict(cached(kpis.definitions, config)[["kpi_code", "kpi_name"]].itertuples(index=False))

by_id = {r["intervention_id"]: r for r in stored}
labels = {i: f"{i} · {r['name']} ({r['start_date']:%b %Y})" for i, r in by_id.items()}
labels[NEW] = "A new intervention: type its target and dates"
left, right = st.columns([3, 1])
# In the address (?intervention=<its label>, or its ID): a copied link reopens the same intervention.
ui.link_ids_to_labels("intervention", {i: labels[i] for i in by_id})
ui._ignore_invalid("intervention", "intervention", list(labels.values()))
choice = left.selectbox("Intervention", list(labels), key="intervention", bind="query-params",
                        format_func=labels.get)
window = int(right.number_input("Window (months either side)", min_value=1, max_value=36,
                                value=int(config["impact_window_months"]), step=1, key="impact_window",
                                help="Before = the W months up to the start; after = the W months after the end."))
if choice == NEW:
    c1, c2, c3 = st.columns(3)
    start = c1.date_input("Start date", value=dt.date.fromisoformat(months[-1] + "-01") - dt.timedelta(days=180),
                          key="impact_new_start", format="YYYY-MM-DD")
    end = c2.date_input("End date (blank = the start date)", value=None, key="impact_new_end", format="YYYY-MM-DD")
    service = c3.selectbox("Service", ["ALL", *config.service_codes], key="impact_new_service",
                           help="; ".join(f"{c}: {md(n)}" for c, n in config.service_names.items()))
    c1, c2, c3 = st.columns(3)
    pillar = c1.selectbox("Target pillar", ["(overall grade)", *config.pillars], key="impact_new_pillar")
    theme = c2.text_input("Target theme (optional)", key="impact_new_theme", max_chars=100)
    kpi = c3.selectbox("Target KPI (optional)", ["(none)", *kpi_names], key="impact_new_kpi",
                       format_func=lambda c: c if c == "(none)" else f"{c}: {kpi_names.get(c, c)}")
    if end is not None and end < start:
        st.error("The end date is before the start date.")
        st.stop()
    row = {"intervention_id": NEW, "name": "New intervention", "kind": None, "start_date": start, "end_date": end,
           "service": service, "target_pillar": None if pillar.startswith("(") else pillar,
           "target_theme": theme.strip() or None, "target_kpi": None if kpi == "(none)" else kpi}
else:
    row = by_id[choice]

with ui.cached_reads(source) as cached:
    comp = cached(impact.measure, row, window, f)
    series = cached(impact.monthly_series, row, window, f, months)
    kpi_cmp = cached(ev.kpi_comparison, config, row, window, f) if row.get("target_kpi") else None
    volumes = (cached(ev.theme_volumes, row["target_theme"], row, window, f, config) if row.get("target_theme")
               else None)
    themes_on_offer = cached(ev.dip_themes, f)
    all_effects = cached(ev.all_effects, config, window, f)
all_effects = all_effects[[access.in_scope(s, f) for s in all_effects["service"]]]
w = comp.windows
scope = None if comp.services is None else ", ".join(comp.services) or "no service"

# --- audit grades before and after ------------------------------------------------------------------
subject = "overall audit grades" if comp.target == "overall" else f"the {comp.target} pillar"
st.header(f"Audit grades: {md(subject)}")
st.markdown(md(impact.describe(comp, row.get("kind"), scope)))
if comp.services == []:
    st.info(f"The intervention's service ({md(row['service'])}) is not among the services selected in the sidebar.")
elif comp.too_little_evidence:
    st.warning(f"**Too little evidence.** {comp.n_before} before and {comp.n_after} after: at least "
               f"{impact.MIN_EVIDENCE} on each side are needed before a difference says anything.", icon="⚠️")
cols = st.columns(4)
cols[0].metric(f"Before (n = {comp.n_before:,})", format_pct(comp.before["good_or_better_pct"]),
               help=f"{w.before_label}." + ("" if not comp.n_before else
               f" 95% Wilson interval {format_pct(comp.before['ci_low'])} to {format_pct(comp.before['ci_high'])}."))
cols[1].metric(f"After (n = {comp.n_after:,})", format_pct(comp.after["good_or_better_pct"]),
               help=f"{w.after_label}." + ("" if not comp.n_after else
               f" 95% Wilson interval {format_pct(comp.after['ci_low'])} to {format_pct(comp.after['ci_high'])}."))
cols[2].metric("Difference", impact.format_points(comp.difference_pts), help="After minus before, in percentage "
               "points of % good or better.")
cols[3].metric("Two-proportion test", impact.format_p(comp.p_value), help="Two-sided z-test with the pooled "
               "proportion: how often a difference at least this large would arise by chance if nothing changed.")
table = comp.table()
table["95% interval"] = [with_range(p, lo, hi, n) for p, lo, hi, n in
                         zip(table["good_or_better_pct"], table["ci_low"], table["ci_high"], table["n"])]
ui.dataframe(table[["side", "window", "n", "good_or_better", "good_or_better_pct", "95% interval"]],
             column_config={"side": "Side", "window": "Window", "n": "n (grades)",
                            "good_or_better": "Good or better (count)",
                            "good_or_better_pct": st.column_config.NumberColumn("% good or better", format="%.1f"),
                            "95% interval": "% good or better (95% Wilson interval)"})
ui.download_table(table[["side", "window", "n", "good_or_better", "good_or_better_pct", "95% interval"]], "impact_sides")
st.caption(f"Before: {w.before_label}; intervention: {w.during_label}; after: {w.after_label} "
           f"({window}-month windows; grades during the intervention are in neither). Services: "
           f"{scope or 'all'}. Final grade (benchmarked, else moderated, else the auditor's); for a pillar, "
           "its moderated grade, else the auditor's. The sidebar period does not change the windows.")

if not series.empty:
    fig = go.Figure()
    small = series["n"] < SMALL_N
    fig.add_scatter(x=series["mid"], y=series["good_pct"], mode="lines+markers", name="% good or better",
                    line_color=GRADE_COLOURS[1], customdata=series[["month", "n", "good"]],
                    hovertemplate="%{customdata[0]}: %{y:.1f}% (%{customdata[2]} of %{customdata[1]})<extra></extra>",
                    error_y=dict(type="data", symmetric=False,
                                 array=(series["ci_high"] - series["good_pct"]).where(small),
                                 arrayminus=(series["good_pct"] - series["ci_low"]).where(small), thickness=1, width=3))
    for label, s in (("before", comp.before), ("after", comp.after)):
        if s["n"]:
            x0, x1 = (w.before_start, w.start) if label == "before" else (w.end, w.after_end)
            fig.add_scatter(x=[x0, x1], y=[s["good_or_better_pct"]] * 2, mode="lines", name=f"{label.title()} "
                            f"window: {format_pct(s['good_or_better_pct'])}", line=dict(color="#4d4d4d", dash="dash"),
                            hoverinfo="skip")
    shade(fig, w)
    noun = "pillar grades" if comp.target != "overall" else "audits"
    fig.update_layout(template=TEMPLATE, title=("Audits" if comp.target == "overall" else comp.target)
                      + ": % good or better by month",
                      xaxis_title="Month", yaxis_title=f"% good or better (of {noun})", yaxis_range=[0, 105])
    ui.show_chart(fig, series[["month", "n", "good", "good_pct", "ci_low", "ci_high"]],
                  f"Each point is a month's % good or better of {noun} in scope (n in the hover and the table); "
                  f"error bars are the 95% Wilson interval where a month has fewer than {SMALL_N}. Dashed lines: "
                  "the % over each whole window. Shaded: grey the before window, orange the intervention, blue the "
                  "after window.",
                  "impact_series")

# --- target KPI -------------------------------------------------------------------------------------
if kpi_cmp is not None:
    d = kpi_cmp.definition or {}
    st.header(f"Target KPI: {md(d.get('kpi_name') or kpi_cmp.code)}")
    if kpi_cmp.note:
        st.info(md(kpi_cmp.note))
    k_series = kpi_cmp.series
    if k_series.empty:
        ui.empty(f"No values of {md(kpi_cmp.code)} are loaded for this service.")
    else:
        unit = "%" if d.get("unit") == "percent" else ""
        st.markdown(md(ev.describe_kpi(kpi_cmp, window)))
        cols = st.columns(3)
        cols[0].metric(f"Mean before ({kpi_cmp.n_before} periods)", ev.format_number(kpi_cmp.mean_before, unit))
        cols[1].metric(f"Mean after ({kpi_cmp.n_after} periods)", ev.format_number(kpi_cmp.mean_after, unit))
        cols[2].metric("Change in the mean", ev.format_signed(kpi_cmp.difference, " points" if unit else ""))
        st.markdown(md(ev.describe_signals(kpi_cmp)))
        fig = go.Figure()
        if kpi_cmp.spc_available:
            for col, name, dash in (("centre", "Centre", "solid"), ("upper", "Upper limit", "dash"),
                                    ("lower", "Lower limit", "dash")):
                fig.add_scatter(x=k_series["period_end"], y=k_series[col], mode="lines", name=name,
                                line=dict(color="#4d4d4d", dash=dash, width=1), hoverinfo="skip")
        fig.add_scatter(x=k_series["period_end"], y=k_series["value"], mode="lines", name=kpi_cmp.code,
                        line_color="#8c8c8c", hoverinfo="skip", showlegend=False)
        causes = k_series["special_cause"] if "special_cause" in k_series else ["common_cause"] * len(k_series)
        fig.add_scatter(x=k_series["period_end"], y=k_series["value"], mode="markers", name="Values",
                        marker=dict(size=9, color=[SPC_COLOURS.get(c, "#8c8c8c") for c in causes]),
                        customdata=list(zip(k_series["timing"], causes)),
                        hovertemplate="%{x|%b %Y}: %{y:.1f} (%{customdata[0]}; %{customdata[1]})<extra></extra>")
        if d.get("target") is not None and d.get("target") == d.get("target"):
            fig.add_hline(y=float(d["target"]), line=dict(color=INK, dash="dot"), annotation_text="Target")
        shade(fig, w)
        fig.update_layout(template=TEMPLATE, title=f"{d.get('kpi_name') or kpi_cmp.code} ({kpi_cmp.service})",
                          xaxis_title="Period end",
                          yaxis_title=kpis.AXIS_TITLES.get(d.get("unit"), d.get("unit") or "Value"))
        if kpi_cmp.spc_available:
            how = ("XmR chart: centre line and limits from the "
                   + (f"{kpi_cmp.baseline_points} periods before the intervention" if kpi_cmp.baseline_points
                      else "whole series (fewer than 12 periods before the intervention)")
                   + "; blue points special-cause improvement, orange concern, purple neutral, grey common cause.")
        else:
            how = "KPI values (no SPC limits: the XmR calculation is not available)."
        ui.show_chart(fig, k_series, how + f" Shaded: the {window} months before (grey), the intervention (orange) "
                      f"and the {window} months after (blue), whose means are compared above.", "impact_kpi")
        if kpi_cmp.spc_available and not kpi_cmp.signals_after.empty:
            with st.expander(f"SPC signals since the intervention ended ({len(kpi_cmp.signals_after)})"):
                ui.dataframe(kpi_cmp.signals_after,
                             column_config={"period_end": "Period end",
                                            "value": st.column_config.NumberColumn("Value", format="%.1f"),
                                            "special_cause": "Variation", "rule": "Rule"})
                ui.download_table(kpi_cmp.signals_after, "impact_signals")

# --- target theme -------------------------------------------------------------------------------------
if volumes is not None:
    theme = row["target_theme"]
    st.header(f"Target theme: {md(theme)}")
    st.markdown(md(ev.describe_themes(volumes, theme)))
    if volumes["before"].sum() + volumes["after"].sum() > 0:  # an all-zero chart says nothing the sentence does not
        fig = go.Figure()
        for label, col, colour in (("Before", "before", BEFORE_AFTER["before"]), ("After", "after", BEFORE_AFTER["after"])):
            fig.add_bar(x=volumes["source"], y=volumes[col], name=label, marker_color=colour,
                        customdata=volumes[[f"{col}_total", f"{col}_share_pct"]],
                        hovertemplate="%{x}: %{y} of %{customdata[0]} records (%{customdata[1]:.1f}%)<extra>"
                                      + label + "</extra>")
        fig.update_layout(template=TEMPLATE, barmode="group", title=f"Records naming '{theme}', {window} months "
                          "before and after", xaxis_title="Source", yaxis_title="Records naming the theme (count)",
                          yaxis_rangemode="tozero")
        ui.show_chart(fig, volumes, f"Feedback, complaints and escalations whose themes include '{md(theme)}' (any case), "
                      f"received or raised in the before window ({w.before_label}) and the after window "
                      f"({w.after_label}); totals are all records in each window. Services: {md(scope or 'all')}.",
                      "impact_theme")

    st.subheader("Repeat dip samples on the theme")
    matched = ev.match_theme(theme, themes_on_offer, config)
    if not themes_on_offer:
        ui.empty("No dip samples are loaded.")
    else:
        if matched is None:
            st.caption(f"No dip sample has the theme '{md(theme)}' or one of its synonyms. Choose a related "
                       "dip-sample theme to see its cycles.")
        elif matched.strip().casefold() != theme.strip().casefold():
            st.caption(f"Dip samples on '{md(matched)}', a synonym of '{md(theme)}' in the theme list.")
        options = ["(none)", *themes_on_offer]
        dip_theme = st.selectbox("Dip-sample theme", options, index=options.index(matched) if matched else 0,
                                 key=f"impact_dip_theme_{choice}")
        if dip_theme != "(none)":
            with ui.cached_reads(source) as cached:
                cycles = cached(ev.dip_cycles, dip_theme, row, window, f)
            if cycles.empty:
                ui.empty("No dip-sample records on this theme in the services selected.")
            else:
                fig = go.Figure()
                small = cycles["graded"] < SMALL_N
                fig.add_scatter(x=cycles["first_date"], y=cycles["good_pct"], mode="lines+markers",
                                name="% good or better", line_color=GRADE_COLOURS[1],
                                customdata=cycles[["dip_sample_id", "graded", "timing"]],
                                hovertemplate="%{customdata[0]} (%{customdata[2]}): %{y:.1f}% of %{customdata[1]} "
                                              "graded records<extra></extra>",
                                error_y=dict(type="data", symmetric=False,
                                             array=(cycles["ci_high"] - cycles["good_pct"]).where(small),
                                             arrayminus=(cycles["good_pct"] - cycles["ci_low"]).where(small),
                                             thickness=1, width=3))
                fig.add_scatter(x=cycles["first_date"], y=cycles["criteria_pct"], mode="lines+markers",
                                name="Criteria met %", line=dict(color=CATEGORY_COLOURS[0], dash="dot"),
                                hovertemplate="%{x|%d %b %Y}: %{y:.1f}% of criteria met<extra></extra>")
                shade(fig, w)
                fig.update_layout(template=TEMPLATE, title=f"Dip-sample cycles on '{dip_theme}'",
                                  xaxis_title="Cycle (earliest sample date)", yaxis_title="% of records",
                                  yaxis_range=[0, 105])
                ui.show_chart(fig, cycles, "Each dip sample (its ID) is one cycle, placed at its earliest sample date. "
                              "% good or better over records with a grade (error bars: 95% Wilson interval under "
                              f"{SMALL_N}); criteria met % = criteria met ÷ criteria checked. The table gives the "
                              "change from the previous cycle and whether each cycle came before, during or after "
                              "the intervention.", "impact_dip")

# --- every intervention -------------------------------------------------------------------------------
st.header("All interventions and their measured effect")
if all_effects.empty:
    ui.empty("No interventions are loaded: add them on the Data page (dataset 'interventions').")
else:
    shown = all_effects.copy()
    fig = go.Figure()
    labels = [f"{i} · {n}" for i, n in zip(shown["intervention_id"], shown["name"])]
    for side, colour in BEFORE_AFTER.items():
        pct = shown[f"pct_{side}"]
        lows, highs = shown[f"ci_{side}_low"], shown[f"ci_{side}_high"]
        fig.add_scatter(y=labels, x=pct, mode="markers", name=side.title(), marker=dict(color=colour, size=10),
                        customdata=shown[[f"n_{side}", f"ci_{side}"]],
                        hovertemplate="%{y}: %{x:.1f}% of %{customdata[0]} (%{customdata[1]})<extra>" + side
                                      + "</extra>",
                        error_x=dict(type="data", symmetric=False, array=highs - pct, arrayminus=pct - lows,
                                     thickness=1, width=3))
    fig.update_layout(template=TEMPLATE, title="Before and after each intervention: % good or better",
                      xaxis_title="% good or better (target pillar, else overall grade)",
                      xaxis_range=[0, 105], height=160 + 40 * len(shown),
                      yaxis=dict(autorange="reversed", automargin=True, title=dict(text="Intervention")))
    ui.show_chart(fig, shown, f"Each intervention's target pillar (else the overall grade) in its service, "
                  f"in the {window} months before and after; bars are 95% Wilson intervals. The evidence column says "
                  "how sure the data is; "
                  "none of it shows the intervention caused the change.", "impact_all")
    ui.dataframe(ev.effects_table(shown))
    st.caption("KPI: mean of the target KPI's values in each window. Theme records: feedback, complaints and "
               "escalations naming the target theme in each window (details above for the chosen intervention).")
