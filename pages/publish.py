"""Exports and publishing: the month's infographic and QPRM slide pack, and freezing a month as presented."""
import streamlit as st

from analytics import access, images, publish, ui
from analytics.filters import audit_months
from analytics.monthly import ExportError

source = ui.source()
config = ui.config()
viewer = ui.viewer()
st.title("Exports and publishing")

with ui.cached_reads(source) as cached:
    months = cached(audit_months)
    published = cached(publish.published_months)
if not months:
    ui.empty("No audits are stored yet. Load the council's files on the Data page.")
    st.stop()

c1, c2 = st.columns(2)
month = c1.selectbox("Month", list(reversed(months)), key="export_month")
# "All services" is the council-wide infographic, which every role may see; a single service only when the
# viewer sees it in full.
service = c2.selectbox("Service", [None] + list(access.services_in_full(viewer, config.service_codes)),
                       key="export_service",
                       format_func=lambda s: "All services" if s is None else f"{s}: {config.service_names[s]}")

st.subheader(f"Monthly audit infographic and QPRM slide pack: {month}")
st.caption("The infographic is one A4-landscape page for every practitioner: small numbers suppressed, readable "
           "printed in greyscale, a tagged PDF whose charts carry alt text. The slide pack has one slide per "
           "subject with the numbers and their definitions in the speaker notes, small numbers suppressed too "
           "(packs circulate). Files are made when you press a button (a few seconds each).")
if not images.available():
    st.info(images.INSTALL_HINT, icon=":material/image_not_supported:")
else:
    name = f"{month}{'_' + service if service else ''}"
    files = [("Infographic (PNG)", "infographic", "png", "image/png"),
             ("Infographic (PDF)", "infographic", "pdf", "application/pdf")]
    if viewer.full:   # the pack compares every service: for those who see every service
        files.append(("Slide pack (PowerPoint)", "pack", "pptx",
                      "application/vnd.openxmlformats-officedocument.presentationml.presentation"))
    cols = st.columns(3)
    for col, (label, kind, fmt, mime) in zip(cols, files):
        try:
            col.download_button(label, ui.month_export(source.db, kind, fmt, month, service),
                                file_name=f"{kind}_{name}.{fmt}", mime=mime, key=f"export_{kind}_{fmt}",
                                on_click="ignore", icon=":material/download:")
        except ExportError as exc:
            col.warning(str(exc))

if not (viewer.full and viewer.may_load):
    # Publishing and what was published (the pack compares every service) are for roles that see every service
    # and may load (README "Sign-in and roles"): a loader of its own services only gets neither.
    st.stop()
st.subheader("Publish a month")
st.caption("Publishing freezes what QPRM was shown: the month's figures (all services and each service), the slide "
           "pack and the infographic, with who published and when. Grades still move after the meeting (late "
           "moderation, benchmarking): the Overview then shows the published figures beside today's and lists the "
           "audits that changed since, and why.")
# Signed in, the account publishes; open, the publisher says who they are.
by = viewer.user or st.text_input("Published by", key="publish_by", placeholder="Your name or role")
if st.button(f"Publish {month}", key="publish_button", disabled=not by.strip() or not images.available(),
             help="Needs a name, and chromium for the pack and the infographic."):
    try:
        with st.spinner("Making the pack and the infographic…"):
            pub = publish.publish(source.db, month, user=by.strip())
        st.success(f"Published: {pub.line()}.")
        published = [pub.month] + [m for m in published if m != pub.month]
    except ExportError as exc:
        st.error(str(exc))

if published:
    st.subheader("Published months")
    st.caption("Every publication is kept: publishing a month again adds one, and the earlier files stay here.")

    def stored_file(publication_id: int, kind: str) -> bytes:
        # Read on the click only: a year of publications holds tens of megabytes of packs.
        with source.db.read() as con:
            return publish.files(con, publication_id)[kind]

    with source.db.read() as con:
        held = {m: [(pub, publish.stored_kinds(con, pub.publication_id)) for pub in publish.publications(con, m)]
                for m in published}
    for m in published:
        for pub, kinds in held[m]:
            with st.expander(pub.line()):
                if not kinds:
                    st.caption("Published as figures only: no pack or infographic was stored.")
                cols = st.columns(3)
                for col, (label, key, mime) in zip(cols, [
                        ("Infographic as published (PNG)", "png", "image/png"),
                        ("Infographic as published (PDF)", "pdf", "application/pdf"),
                        ("Pack as published", "pptx",
                         "application/vnd.openxmlformats-officedocument.presentationml.presentation")]):
                    if key in kinds:
                        col.download_button(label, lambda pid=pub.publication_id, k=key: stored_file(pid, k),
                                            file_name=f"published_{m}_{pub.publication_id}.{key}", mime=mime,
                                            key=f"published_{pub.publication_id}_{key}", on_click="ignore")
