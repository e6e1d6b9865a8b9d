"""The dashboard: `streamlit run app.py`. Pages are thin; the work happens in analytics/."""
import streamlit as st

from analytics import ui

st.set_page_config(page_title="QA dashboard · children's social care", page_icon=":material/monitoring:", layout="wide")

page = st.navigation([
    st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("pages/trends.py", title="Trends by service", icon=":material/trending_up:", url_path="trends"),
    st.Page("pages/explorer.py", title="Audit explorer", icon=":material/table_view:", url_path="explorer"),
    st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data"),
])
source = ui.source()
ui.frame(source)

page.run()
