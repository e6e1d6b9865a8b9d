"""The dashboard: `streamlit run app.py`. Pages are thin; the work happens in analytics/."""
import streamlit as st

from analytics import ui

st.set_page_config(page_title="QA dashboard · children's social care", page_icon="📊", layout="wide")

page = st.navigation([
    st.Page("pages/overview.py", title="Overview", icon="🏠", default=True),
    st.Page("pages/trends.py", title="Trends by service", icon="📈", url_path="trends"),
    st.Page("pages/data.py", title="Data", icon="🗂️", url_path="data"),
])
source = ui.source()
ui.frame(source)
st.session_state["source"] = source
page.run()
