"""Overview: the headline figures for the latest month and the period (metrics.md)."""
import streamlit as st

from analytics import ui
from analytics.filters import Filters
from analytics.metrics import summary
from analytics.presentation import format_pct

source = st.session_state["source"]
with source.db.read() as con:
    s = summary(con, Filters(), ui.config())

st.title("Audit quality overview")
st.caption(f"Period {s['period']['from']} to {s['period']['to']}: every audit in these months, by its final grade "
           "(benchmarked, else moderated, else the auditor's).")
a = s["audits"]
if not a["count"]:
    st.info("No audits are stored yet. Load the council's files on the Data page.")
    st.stop()
cols = st.columns(4)
cols[0].metric("Audits completed", f"{a['count']:,}")
cols[1].metric("Good or better", format_pct(a["good_or_better_pct"]), help=f"n = {a['count']}")
cols[2].metric("Inadequate", format_pct(a["inadequate_pct"]), help=f"n = {a['count']}")
cols[3].metric("Provisional (not yet moderated)", f"{a['provisional']:,}")

st.subheader("By service")
st.dataframe(
    [{"service": ui.config().service_names.get(k, k), "audits": v["count"],
      "% good or better": format_pct(v["good_or_better_pct"]), "% inadequate": format_pct(v["inadequate_pct"])}
     for k, v in s["by_service"].items()],
    hide_index=True)
