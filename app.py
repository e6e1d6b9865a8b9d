"""The dashboard: `streamlit run app.py`. Pages are thin; the work happens in analytics/."""
import streamlit as st

from analytics import ui

ui.leave_folder_mode()

st.set_page_config(page_title="QA dashboard · children's social care", page_icon=":material/monitoring:", layout="wide")

page = st.navigation([
    st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("pages/trends.py", title="Trends by service", icon=":material/trending_up:", url_path="trends"),
    st.Page("pages/explorer.py", title="Audit explorer", icon=":material/table_view:", url_path="explorer"),
    st.Page("pages/followup.py", title="Follow-up (RI and Inadequate)", icon=":material/assignment_late:", url_path="followup"),
    st.Page("pages/inspection.py", title="Inspection pool and exemplars", icon=":material/fact_check:", url_path="inspection"),
    st.Page("pages/moderation.py", title="Moderation drift", icon=":material/balance:", url_path="moderation"),
    st.Page("pages/pillars.py", title="Pillar breakdown", icon=":material/grid_on:", url_path="pillars"),
    st.Page("pages/equality.py", title="Equality, diversity and inclusion", icon=":material/diversity_3:", url_path="equality"),
    st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data"),
])
page.run()
