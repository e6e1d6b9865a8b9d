"""The dashboard: `streamlit run app.py`. Pages are thin; the work happens in analytics/."""
import streamlit as st

from analytics import ui

ui.leave_folder_mode()

st.set_page_config(page_title="QA dashboard · children's social care", page_icon=":material/monitoring:", layout="wide")
ui.stop_on_config_error()

# Sections, all expanded: the meeting should see every page without a "View more". Sign-in (when configured)
# comes first; a role sees only the pages it may open, and the others cannot be reached by their address.
page = st.navigation(ui.pages_on_offer({
    "Audits": [
        st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
        st.Page("pages/trends.py", title="Trends by service", icon=":material/trending_up:", url_path="trends"),
        st.Page("pages/explorer.py", title="Audit explorer", icon=":material/table_view:", url_path="explorer"),
        st.Page("pages/followup.py", title="Follow-up (RI and Inadequate)", icon=":material/assignment_late:", url_path="followup"),
        st.Page("pages/inspection.py", title="Inspection pool and exemplars", icon=":material/fact_check:", url_path="inspection"),
        st.Page("pages/moderation.py", title="Moderation drift", icon=":material/balance:", url_path="moderation"),
        st.Page("pages/pillars.py", title="Pillar breakdown", icon=":material/grid_on:", url_path="pillars"),
        st.Page("pages/equality.py", title="Equality, diversity and inclusion", icon=":material/diversity_3:", url_path="equality"),
    ],
    "Learning loop": [
        st.Page("pages/dip_samples.py", title="Thematic dip samples", icon=":material/science:", url_path="dip-samples"),
        st.Page("pages/actions.py", title="Learning Action Tracker", icon=":material/task_alt:", url_path="actions"),
        st.Page("pages/voice.py", title="Voice of children and families", icon=":material/forum:", url_path="voice"),
        st.Page("pages/escalations.py", title="Escalations and Need to Know", icon=":material/campaign:", url_path="escalations"),
        st.Page("pages/observations.py", title="Practice observations", icon=":material/visibility:", url_path="observations"),
        st.Page("pages/reviews.py", title="Reviews and spotlights", icon=":material/event_note:", url_path="reviews"),
        st.Page("pages/themes.py", title="Theme explorer", icon=":material/hub:", url_path="themes"),
    ],
    "KPIs and impact": [
        st.Page("pages/kpis.py", title="KPIs (statistical process control)", icon=":material/show_chart:", url_path="kpis"),
        st.Page("pages/impact.py", title="Impact of interventions", icon=":material/insights:", url_path="impact"),
    ],
    "Data": [
        st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data"),
        st.Page("pages/publish.py", title="Exports and publishing", icon=":material/ios_share:", url_path="publish"),
    ],
}), expanded=True)
page.run()
