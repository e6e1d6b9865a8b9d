"""Pieces every page shares: the configuration, which database is shown, the demo label.

The only module under analytics/ that imports Streamlit; the CLI never imports it.
"""
from __future__ import annotations

import streamlit as st

from . import sources
from .config import Config, load_config

PREFER_DEMO = "prefer_demo"


@st.cache_resource
def config() -> Config:
    return load_config()


def leave_folder_mode() -> None:
    """Streamlit serves a process's first runs in its old pages/-folder mode (file names in the menu, a page
    run without app.py) until st.navigation has been called once; switch it off and run again at once."""
    from streamlit import config as st_config
    from streamlit.runtime.pages_manager import PagesManager
    if st_config.get_option("global.appTest"):  # AppTest resets the mode on every run and drives pages itself
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def source() -> sources.Source:
    """The database this page shows; says so on the page (every page calls this once, first)."""
    leave_folder_mode()
    src = sources.active(config(), prefer_demo=st.session_state.get(PREFER_DEMO, False))
    frame(src)
    return src


def frame(src: sources.Source) -> None:
    """The label that says whose data this is, on every page."""
    if src.is_demo:
        st.warning("**Demo data.** Everything shown is synthetic, generated for illustration: it is not a real "
                   "council's data. Load the council's files on the Data page to replace it.", icon=":material/science:")
    st.sidebar.caption(f"Showing: {src.label}")


# --- filters shared by every page, kept in the URL -----------------------------------------------
from .filters import GRAINS, Filters, default_period, filter_options, spanning  # noqa: E402

AUDITOR_ROLES = ["Team Manager", "Service Manager", "Other"]


def _ignore_invalid(key: str, label: str, options: list[str]) -> None:
    """Drop a link's values that are not on offer, with a notice (the widget would silently drop them)."""
    raw = st.query_params.get_all(key)
    bad = [v for v in raw if v not in options]
    if bad:
        st.info(f"The link's {label} value{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))} "
                f"{'are' if len(bad) > 1 else 'is'} not available and {'were' if len(bad) > 1 else 'was'} ignored.",
                icon="ℹ️")
        keep = [v for v in raw if v in options]
        if key in st.session_state:
            return
        if keep:
            st.query_params[key] = keep
        else:
            del st.query_params[key]


def _latest_follows(audit_months: list[str], months: list[str], extended: bool) -> bool:
    """Keep "up to the latest month" meaning the latest data of the page shown, as the period travels
    between pages in session state. Arriving from another page on a page whose data runs past the audits
    (``extended``) with a period ending at the last audit month moves its end to the page's last month; a
    period ending past the months on offer (back on an audit page) ends at the last one. True when moved."""
    # A link's own period (in the address on arrival) is kept as it is: it reopens the view it was copied from.
    came_from_elsewhere = not st.session_state.get("_period_extended", False) and "period" not in st.query_params
    st.session_state["_period_extended"] = extended
    cur = st.session_state.get("period")
    if not isinstance(cur, (tuple, list)) or len(cur) != 2 or not months:
        return False
    lo, hi = cur
    new_hi = hi
    if extended and came_from_elsewhere and audit_months and hi == audit_months[-1]:
        new_hi = months[-1]
    new_hi = min(new_hi, months[-1])
    new_lo = min(max(lo, months[0]), new_hi)
    if (new_lo, new_hi) == (lo, hi):
        return False
    st.session_state["period"] = (new_lo, new_hi)
    return True


def filter_bar(src, *, grain: bool = True, audit_filters: bool = True,
               extra_months: list[str] = ()) -> tuple[Filters, str]:
    """The sidebar filters (period, grain, service, team, cohort, auditor role) bound to the URL.

    The period offers the audit months; ``extra_months`` (a page's own data, e.g. KPI values that run
    past the last audit) widen it, so the default period ends at the page's latest data."""
    cfg = config()
    with src.db.read() as con:
        opts = filter_options(con)
    months = spanning(opts["months"], list(extra_months))
    sb = st.sidebar
    sb.header("Filters")
    period = None
    if months:
        _ignore_invalid("period", "period", months)
        moved = _latest_follows(opts["months"], months, bool(extra_months))
        # A drill-down may have put the period in session state already: then no default is passed.
        from_drill = st.session_state.pop("_period_from_drill", False)
        default = {} if from_drill or moved else {"value": default_period(months)}
        period = sb.select_slider("Period (months)", months, key="period", bind="query-params", **default)
        if isinstance(period, str):  # a link with one month
            period = (period, period)
    chosen_grain = "month"
    if grain:
        # Labels as options: a bound widget writes its labels into the URL (?grain=Financial+quarter).
        labels = {v: k for k, v in GRAINS.items()}
        _ignore_invalid("grain", "grain", list(labels))
        chosen_grain = labels[sb.radio("Time grain", list(labels), key="grain", bind="query-params", horizontal=True,
                                help="A service audits only a handful of records a month: quarters or rolling "
                                     "3 months steady the percentages.")]
    _ignore_invalid("service", "service", cfg.service_codes)
    # Codes, not names: a bound widget writes its option labels into the URL.
    services = sb.multiselect("Service", cfg.service_codes, key="service", bind="query-params",
                              placeholder="All services",
                              help="; ".join(f"{c}: {n}" for c, n in cfg.service_names.items()))
    teams = cohorts = roles = []
    if audit_filters:
        team_options = [t for t in opts["teams"] if not services or opts["team_services"].get(t) in services]
        _ignore_invalid("team", "team", opts["teams"])
        teams = sb.multiselect("Team", team_options, key="team", bind="query-params", placeholder="All teams")
        _ignore_invalid("cohort", "cohort", cfg.cohorts)
        cohorts = sb.multiselect("Cohort", cfg.cohorts, key="cohort", bind="query-params", placeholder="All cohorts")
        _ignore_invalid("role", "auditor role", AUDITOR_ROLES)
        roles = sb.multiselect("Auditor role", AUDITOR_ROLES, key="role", bind="query-params",
                               placeholder="All roles")
    f = Filters(
        month_from=period[0] if period else None, month_to=period[1] if period else None,
        services=tuple(services) or None, teams=tuple(teams) or None, cohorts=tuple(cohorts) or None,
        auditor_roles=tuple(roles) or None, scope=None)
    return f, chosen_grain


# --- presentation mode ------------------------------------------------------------------------
TRUE = ("1", "true", "yes", "on")


def presentation() -> bool:
    return str(st.query_params.get("presentation", "")).lower() in TRUE


def presentation_toggle() -> bool:
    """The toggle (also ?presentation=1 in the URL) for the shared screen: larger type, no sidebar."""
    on = presentation()

    def flip():
        if st.session_state["presentation_toggle"]:
            st.query_params["presentation"] = "1"
        elif "presentation" in st.query_params:
            del st.query_params["presentation"]

    if on:
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
        st.button("Leave presentation mode", on_click=lambda: st.query_params.pop("presentation", None))
    else:
        st.sidebar.toggle("Presentation mode", value=False, key="presentation_toggle", on_change=flip,
                          help="For the screen-share at QPRM: larger type, no sidebar, charts sized for a projector.")
    return on


PRESENTATION_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] {display: none;}
.block-container {padding-top: 1.5rem !important; max-width: 100%;}
.stApp, .stMarkdown p, .stMarkdown li, [data-testid="stCaptionContainer"] {font-size: 1.45rem !important;}
[data-testid="stMetricValue"] {font-size: 3.6rem;}
[data-testid="stMetricLabel"] p {font-size: 1.4rem; white-space: normal;}
[data-testid="stMetricDelta"] div {font-size: 1.2rem;}
[data-testid="stAlert"] p {font-size: 1.5rem;}
h1 {font-size: 3rem !important;} h2 {font-size: 2.3rem !important;} h3 {font-size: 2rem !important;}
button p {font-size: 1.3rem;}
</style>"""


# --- charts with their data-table alternative -----------------------------------------------
def show_chart(fig, table, caption: str, key: str, *, on_select=None):
    """A chart, its definition caption, and its data table (WCAG alternative) with a CSV download."""
    from .charts import presentation_layout
    from .exports import csv_bytes
    if presentation():
        presentation_layout(fig)
    kwargs = {"key": key}
    if on_select is not None:
        kwargs.update(on_select=on_select, selection_mode=("points",))
    state = st.plotly_chart(fig, theme=None, **kwargs)
    st.caption(caption)
    with st.expander("Data table"):
        st.dataframe(table, hide_index=True)
        st.download_button("Download CSV", csv_bytes(table), file_name=f"{key}.csv", mime="text/csv",
                           key=f"{key}_csv")
    return state


def empty(message: str = "No audits match these filters: widen the period or clear a filter.") -> None:
    st.info(message)


# --- drill-down from a chart to the audit explorer ---------------------------------------------
DRILL_KEYS = ("auditor_grade", "moderated_grade", "pillar", "pillar_grade")


def drill_to_explorer(state, grain: str = "month", *, period_at: int | None = None, service_at: int | None = None,
                      grade_at: int | None = None, fixed: dict | None = None, **at: int) -> None:
    """Open the explorer filtered to a clicked point.

    ``*_at`` name the positions in the point's customdata of its period, service and final grade, and
    of any drill value (``pillar_at=2``); ``fixed`` adds drill values that hold for the whole chart.
    """
    from .filters import period_months
    points = state.get("selection", {}).get("points", []) if state else []
    if not points:
        return
    data = points[0].get("customdata") or []
    bound: dict = {k: st.query_params.get_all(k) for k in BOUND_KEYS if k in st.query_params}
    if period_at is not None and len(data) > period_at:
        bound["period"] = list(period_months(str(data[period_at]), grain))
    if service_at is not None and len(data) > service_at:
        bound["service"] = [str(data[service_at])]
    if grade_at is not None and len(data) > grade_at:
        bound["grade"] = [str(data[grade_at])]
    bound.update(fixed or {})
    # Widget-bound parameters cannot be set by switch_page: they travel as to_* and the explorer
    # hands them to its widgets (receive_drill).
    params = {f"to_{k}": v for k, v in bound.items()}
    for name, position in at.items():
        key = name.removesuffix("_at")
        if key in DRILL_KEYS and len(data) > position:
            params[key] = str(data[position])
    st.switch_page("pages/explorer.py", query_params=params)


BOUND_KEYS = ("period", "service", "team", "cohort", "role", "grade")


def receive_drill() -> None:
    """On the explorer: move the to_* parameters of a drill-down into the filter widgets' state."""
    for key in BOUND_KEYS:
        values = st.query_params.get_all(f"to_{key}")
        if not values:
            continue
        st.session_state[key] = tuple(values) if key == "period" else list(values)
        if key == "period":
            st.session_state["_period_from_drill"] = True
        del st.query_params[f"to_{key}"]
