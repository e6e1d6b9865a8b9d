"""Audit explorer: the audits behind any figure, opened filtered from a click on a chart."""
import streamlit as st

from analytics import explorer, ui
from analytics.escaping import md

source = ui.source()
config = ui.config()
ui.presentation_toggle()
ui.receive_drill()
f, _ = ui.filter_bar(source, grain=False)
st.title("Audit explorer")
ui._ignore_invalid("grade", "grade", config.grade_labels)
grades = st.multiselect("Final grade", config.grade_labels, key="grade", bind="query-params",
                        placeholder="All grades")
drill, ignored = explorer.Drill.from_params({k: st.query_params.get(k) for k in ui.DRILL_KEYS}, config)
drill = explorer.Drill(grades=tuple(grades) or None, **{k: getattr(drill, k) for k in ui.DRILL_KEYS})
if ignored:
    st.info(f"The link's {md(', '.join(ignored))} {'is' if len(ignored) == 1 else 'are'} not available and "
            f"{'was' if len(ignored) == 1 else 'were'} ignored.")
if drill.describe():
    left, right = st.columns([4, 1])
    left.markdown("Narrowed to " + md("; ".join(drill.describe())) + ".")
    if right.button("Show all grades and pillars"):
        for key in ui.DRILL_KEYS:
            st.query_params.pop(key, None)
        st.rerun()
if f.month_from is None:
    ui.empty("No audits are stored yet. Load the council's files on the Data page.")
    st.stop()
with ui.cached_reads(source) as cached:
    total, provisional = cached(explorer.audit_totals, f, drill)
    rows = cached(explorer.audit_rows, f, config, drill, limit=explorer.SHOWN_ROWS) if total else None
if not total:
    ui.empty()
    st.stop()
st.caption(f"{total:,} audit{'s' if total != 1 else ''} from {f.month_from} to {f.month_to}"
           + (f", {provisional} of them provisional (not yet moderated: grades may change)" if provisional else "")
           + ". Final grade = benchmarked, else moderated, else the auditor's; pillar columns show final pillar "
             "grades. References are pseudonymous.")
shown, cut = explorer.on_screen(explorer.readable(rows), total=total)
if cut:
    st.caption(cut)
ui.dataframe(shown, height=min(640, 38 + 35 * len(shown)))


def every_audit():
    # On the click, every audit of the filters (the screen holds only the newest).
    with source.db.read() as con:
        return explorer.readable(explorer.audit_rows(con, f, config, drill))


ui.download_table(every_audit, "explorer", f"audits_{f.month_from}_{f.month_to}", children=True)
