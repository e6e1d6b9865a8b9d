"""Data: load the council's files, see what is stored and how fresh it is, get the template."""
import dataclasses

import pandas as pd
import streamlit as st

from analytics import data_status, sources, ui
from analytics.datasets import DATASETS
from analytics.loader import load_files
from analytics.readers import SourceFile
from analytics.template import column_reference, template_bytes
from analytics.escaping import md

source = ui.source()
config = ui.config()
council = sources.council(config)

st.title("Data")

viewer = ui.viewer()
st.header("Load files")
if not viewer.may_load:
    st.info("Only the QA team may load data.", icon=":material/lock:")
else:
    st.markdown("Upload the month's exports (CSV or XLSX). Each file is recognised by its sheet names, its file "
                "name (`audits_2025-03.csv`) or its header. All the files of one load are checked together: "
                "if any row is invalid, **nothing is stored** and every problem is listed. Loading the same rows "
                "again changes nothing; changed rows are updated.")
    # The box states the loader's own file limit (limits.max_file_mb), not Streamlit's server-wide one.
    uploads = st.file_uploader("Council files", type=list(ui.UPLOAD_TYPES), accept_multiple_files=True,
                               key=f"uploads_{st.session_state.get('upload_round', 0)}",
                               max_upload_size=int(config["limits"]["max_file_mb"]))
    replace = st.multiselect("Replace these datasets completely (for trackers exported whole each time: rows "
                             "missing from the new export are removed)", [d.name for d in DATASETS])
    if st.button("Load into the council's database", type="primary", disabled=not uploads):
        refused = ui.refuse_upload(viewer, [f.name for f in uploads])
        if refused:
            st.error(md(refused), icon=":material/block:")
        else:
            report = load_files(council, [SourceFile(f.name, f.getvalue()) for f in uploads], replace=replace,
                                user=viewer.user or "dashboard")
            st.session_state["last_report"] = report
            if report.ok:
                st.session_state[ui.PREFER_DEMO] = False
                st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
                st.rerun()

report = st.session_state.get("last_report")
if report is not None:
    if report.ok:
        st.success(f"Load {report.load_id} stored.")
        ui.dataframe(pd.DataFrame([dataclasses.asdict(r) for r in report.results]))
    else:
        st.error(f"Nothing was stored: {report.problem_count} problem{'s' if report.problem_count != 1 else ''} "
                 "found. Correct the files and load them again.")
        ui.dataframe(pd.DataFrame([dataclasses.asdict(p) for p in report.problems]))
        if report.problem_count > len(report.problems):
            st.caption(f"... and {report.problem_count - len(report.problems)} more problems not listed.")
    if report.warnings:
        st.warning("Warnings (the load was not blocked by these):")
        ui.dataframe(pd.DataFrame([dataclasses.asdict(w) for w in report.warnings]))
    for notice in report.notices:
        st.caption(md(notice))

st.header("What is stored")
st.caption(f"Showing: {md(source.label)}")
if council.exists:
    st.toggle("Show the demo data instead of the council's", key="demo_toggle",
              value=st.session_state.get(ui.PREFER_DEMO, False),
              on_change=lambda: st.session_state.update({ui.PREFER_DEMO: st.session_state["demo_toggle"]}))
with ui.cached_reads(source) as cached:
    counts = cached(data_status.row_counts, None if viewer.full else tuple(viewer.services))
    last = cached(data_status.last_loads)
    gaps = cached(data_status.months_without_audits, config)
    history = cached(data_status.load_history)
if not viewer.full:  # another service's gaps and who loaded what are for those who see every service
    gaps = gaps[gaps["service"].isin(viewer.services)]
    last = last.drop(columns="last_file")
left, right = st.columns(2)
with left:
    st.subheader("Rows per dataset")
    ui.dataframe(data_status.readable(counts.merge(last, on="dataset")))
with right:
    st.subheader("Months in which a service has no audits")
    if gaps.empty:
        st.caption("None: every service has audits in every month of the audit period.")
    else:
        ui.dataframe(data_status.readable(gaps))
if viewer.full:
    st.subheader("Load history")
    ui.dataframe(data_status.readable(history))

st.header("Template and column reference")
st.download_button("Download the template workbook (one sheet per dataset)", template_bytes(config),
                   file_name="qa-dashboard-template.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
with st.expander("Every column, whether it is required, and its allowed values"):
    ui.dataframe(pd.DataFrame(column_reference(config)))
