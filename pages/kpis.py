"""KPIs with statistical process control (Making Data Count): a summary table, then an XmR chart per KPI."""
import streamlit as st

from analytics import kpis, ui
from analytics.escaping import md

source = ui.source()
config = ui.config()
ui.presentation_toggle()
with ui.cached_reads(source) as cached:
    kpi_months = cached(kpis.value_months)
f, _ = ui.filter_bar(source, grain=False, audit_filters=False, extra_months=kpi_months)
st.title("KPIs: signal or noise")

with ui.cached_reads(source) as cached:
    options = cached(kpis.series_services, f)
if not options:
    ui.empty("No KPI values in this period and service selection: load KPI values on the Data page, or widen "
             "the period or clear the service filter.")
    st.stop()

names = config.service_names
c1, c2 = st.columns([2, 3])
service = c1.selectbox("Series", options, key="kpi_series",
                       format_func=lambda s: "All services (organisation-wide)" if s == kpis.ALL else
                       f"{s}: {names.get(s, s)}")
rebase = c2.checkbox("Start new limits at interventions that target a KPI", key="kpi_rebase",
                     help="Each intervention with a target KPI (Data page, interventions) starts a new set of "
                          "limits from the first period ending on or after its start date.")

with ui.cached_reads(source) as cached:
    charts = cached(kpis.chart_frames, config, service, f, rebase)
table = kpis.summarise(charts)

st.subheader("Summary")
shown = table.assign(
    latest=[kpis.format_value(v, u) for v, u in zip(table["latest_value"], table["unit"])],
    target_text=[kpis.format_value(v, u) for v, u in zip(table["target"], table["unit"])],
    n_text=["–" if n is None or n != n else f"{int(n):,}" for n in table["latest_n"]],
)[["kpi_name", "latest_period", "latest", "n_text", "target_text", "variation", "assurance_label", "points",
   "polarity"]]
shown.columns = ["KPI", "Latest period", "Latest value", "n (latest)", "Target", "Variation", "Assurance", "Points",
                 "Polarity"]
shown.insert(0, "Priority", range(1, len(shown) + 1))   # sorting on it restores concerns-first after other sorts
colour_of = {label: kpis.SPC_COLOURS[cause] for (cause, _), label in kpis.VARIATION.items()}
colour_of.update({kpis.ASSURANCE[a]: c for a, c in kpis.ASSURANCE_COLOURS.items()})
styled = shown.style.map(lambda v: f"color: {colour_of[v]}; font-weight: 600" if v in colour_of else "",
                        subset=["Variation", "Assurance"])
if ui.presentation():
    # On the projector: a plain table, whose text grows with the page (a data grid keeps its small type).
    st.table(styled.hide(axis="index").set_table_styles([{"selector": "td, th", "props": "font-size: 1.35rem"}]))
else:
    ui.dataframe(styled, key="kpi_summary")
ui.download_table(shown, "kpi_summary", "kpi_summary")
st.caption("Concerns first. n (latest): the count the latest value rests on (its denominator), where the KPI "
           "file gives one. Variation: the latest point's signal on its XmR chart (▲ high / ▼ low; improvement or "
           "concern by the KPI's polarity; neutral for a KPI where both directions need a look; ● common cause: "
           "no signal). Assurance: where the target lies against the latest limits (P consistently passes, "
           "F consistently fails, ? hit and miss). Click a column heading to sort; Priority restores this order.")

every = st.checkbox(f"Chart every KPI ({len(charts)})", key="kpi_every_chart",
                    disabled=len(charts) <= kpis.DEFAULT_CHARTS,
                    help=f"Without it, the XmR charts of the first {kpis.DEFAULT_CHARTS} KPIs of the summary "
                         "(concerns first).")
if not every and len(charts) > kpis.DEFAULT_CHARTS:
    st.caption(f"XmR charts of the first {kpis.DEFAULT_CHARTS} KPIs of the summary, in the usual KPI order; tick "
               f"the box above for all {len(charts)}.")
for defn, x, marks in kpis.charted(table, charts, every):
    st.subheader(md(defn["kpi_name"]))
    if x.empty:
        st.info("No values for this series in the period.")
        continue
    if len(x) < 12:
        st.warning(f"Only {len(x)} points: the limits are trial limits, to be firmed up once 12 or more points "
                   "are in.", icon=":material/warning:")
    suffix = kpis.UNIT_SUFFIX.get(defn["unit"], "")
    fig = kpis.xmr_figure(
        x, x["period_end"], f"{defn['kpi_name']} ({'all services' if service == kpis.ALL else service})",
        kpis.AXIS_TITLES.get(defn["unit"], defn["unit"]), target=defn["target"], benchmarks=kpis.COMPARATORS,
        rebases=marks, suffix=suffix if suffix == "%" else "", x_title="Period ending",
        percent=defn["unit"] == "percent")
    ui.show_chart(
        fig, kpis.chart_table(x, "period_end", ["numerator", "denominator"]),
        f"Polarity: {defn['polarity']}. XmR chart: centre = mean; limits = centre ± 2.66 × mean moving range "
        "(moving ranges of 3.267 × the mean or more screened out); shaded = between a near-limit (2/3 of the way) "
        "and the limit. Signals: a point outside the limits, 7 rising or falling in a row, 2 of 3 near a limit "
        "on one side, or 7 on one side of the centre. Reference lines: target and the latest published England "
        "and statistical-neighbour figures." + (" Dotted vertical lines: new limits from an intervention." if marks
                                                 else ""),
        f"kpi_{defn['kpi_code']}")
