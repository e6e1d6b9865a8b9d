"""Pieces every page shares: the configuration, which database is shown, the demo label.

The only module under analytics/ that imports Streamlit; the CLI never imports it.
"""
from __future__ import annotations

import contextlib

import streamlit as st

from . import sources
from .config import Config, ConfigError, load_config

PREFER_DEMO = "prefer_demo"


@st.cache_resource
def config() -> Config:
    return load_config()


def stop_on_config_error() -> None:
    """The configuration's problem in one line on the page (never a traceback with the server's paths), and
    nothing else: a role map that cannot be read must not fall back to showing anything."""
    try:
        load_config()
    except ConfigError as exc:
        st.error(f"**The dashboard cannot start.** {exc}. Correct the configuration file and reload this page.",
                 icon=":material/settings_alert:")
        st.stop()


# --- the figures' result cache (README "Running for more users") ---------------------------------
# Many viewers open the same pages with the same filters: a page's analytics call is answered once per
# published generation of the database and then served from here. The key holds the database file, the
# generation the read used (a load from any process publishes a new file, so the next view misses and
# recomputes: never stale), the function and every other argument (the Filters carry the viewer's scope, so
# one role's figures are never served to another). Bounded by entries and by pickled bytes; a generation's
# entries are never asked for again once a load replaces it and age out of the least-recently-used end.
CACHE_ENTRIES = 256
CACHE_BYTES = "256MB"


def _config_key(c: Config) -> str:
    """A configuration as the cache keys it: its content (grades, services, KPI definitions, ...)."""
    import json
    return json.dumps(c.raw, sort_keys=True, default=str)


@st.cache_data(max_entries=CACHE_ENTRIES, max_size=CACHE_BYTES, show_spinner=False,
               hash_funcs={Config: _config_key})
def _figures(db_path: str, generation: tuple, function: str, args: tuple, kwargs: dict, _fn, _con):
    # st.cache_data pickles the result and hands every caller its own copy: a page changing a DataFrame
    # it was given cannot change what the next viewer sees. Arguments with a leading _ are not in the key.
    return _fn(_con, *args, **kwargs)


def _qualified(fn) -> str:
    """The function's part of the key: its module and qualified name, so a named function only (two lambdas
    would share the name ``<lambda>`` and each other's figures)."""
    if "<lambda>" in fn.__qualname__:
        raise ValueError("ui.cached takes a named function, not a lambda")
    return f"{fn.__module__}.{fn.__qualname__}"


@contextlib.contextmanager
def cached_reads(src):
    """One read of the published generation for a group of figures, each served from the cache when this
    generation already answered it: ``with ui.cached_reads(src) as cached: head = cached(fn, f)``. A page's
    figures then come from one generation, as they did from one read."""
    with src.db.reading() as (con, generation):
        path = str(src.db.path.resolve())

        def cached(fn, *args, **kwargs):
            return _figures(path, generation, _qualified(fn), args, kwargs, _fn=fn, _con=con)
        yield cached


def cached(src, fn, *args, **kwargs):
    """``fn(con, *args, **kwargs)`` on the published generation, from the cache when already answered."""
    with cached_reads(src) as call:
        return call(fn, *args, **kwargs)


def clear_cache() -> None:
    _figures.clear()


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
    viewer_frame(viewer())  # signed in, or open with a banner; stops the run otherwise
    src = sources.active(config(), prefer_demo=st.session_state.get(PREFER_DEMO, False))
    frame(src)
    return src


def frame(src: sources.Source) -> None:
    """The label that says whose data this is, on every page."""
    st.session_state["_image_source"] = ("QA dashboard, DEMO DATA (synthetic)" if src.is_demo
                                         else "QA dashboard, council data")
    st.session_state.pop("_image_scope", None)   # set again by a page with a filter bar (filter_bar)
    if src.is_demo:
        st.warning("**Demo data.** Everything shown is synthetic, generated for illustration: it is not a real "
                   "council's data. Load the council's files on the Data page to replace it.", icon=":material/science:")
    st.sidebar.caption(f"Showing: {md(src.label)}")


# --- sign-in and the viewer's scope (README "Sign-in and roles") --------------------------------
from . import access  # noqa: E402
from .escaping import md  # noqa: E402


def sign_in_configured() -> bool:
    """Whether .streamlit/secrets.toml has an [auth] section (the council's OIDC identity provider)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _login_provider() -> str | None:
    """The provider to pass to st.login: None for a single provider set in [auth] itself, else the first
    [auth.NAME] table."""
    auth = st.secrets["auth"]
    if "client_id" in auth:
        return None
    return next((k for k, v in auth.items() if hasattr(v, "keys")), None)


def viewer() -> access.Scope:
    """Who is looking and what their role lets them see; the run stops at a sign-in or no-access screen.

    Resolved on every run from st.user (the identity token's claims) and the role map, so a changed map or
    a sign-out takes effect at once. Without sign-in configured the app runs open.
    """
    if not sign_in_configured():
        return access.Scope.open()
    claims = st.user.to_dict()
    if not claims.get("is_logged_in"):
        st.title("QA dashboard · children's social care")
        st.info("Sign in with your council account to see the dashboard.", icon=":material/lock:")
        st.button("Sign in", type="primary", on_click=st.login, args=(_login_provider(),))
        st.stop()
    scope = access.resolve(config(), claims)
    if scope is None:
        st.title("QA dashboard · children's social care")
        who = claims.get("email") or claims.get("name") or "this account"
        st.error(f"You are signed in as {md(who)}, but no role on this dashboard is given to you. Ask the "
                 "QA team to add you to the role map.", icon=":material/block:")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    return scope


def viewer_frame(scope: access.Scope) -> None:
    """Who is signed in (with a sign-out button), or the banner saying the dashboard is open to anyone."""
    if not scope.signed_in:
        st.error("**Open access.** Sign-in is not configured, so anyone who can reach this address sees every "
                 "service and may load data. Configure sign-in (README, \"Sign-in and roles\") before the "
                 "council's data is loaded.", icon=":material/lock_open:")
        return
    st.sidebar.caption(f"Signed in as {md(scope.user or 'unknown')}: {md(scope.describe())}.")
    st.sidebar.button("Sign out", on_click=st.logout, key="sign_out")


def pages_on_offer(sections: dict) -> dict:
    """The navigation's sections with only the pages the viewer's role may open (others cannot be reached)."""
    scope = viewer()
    out = {}
    for section, pages in sections.items():
        kept = [p for p in pages if scope.may_open(_page_path(p))]
        if kept:
            out[section] = kept
    return out


def _page_path(page) -> str:
    """``pages/x.py`` for an st.Page (its resolved file is kept in the private ``_page``)."""
    from pathlib import Path
    return f"pages/{Path(str(getattr(page, '_page', ''))).name}"


# Only these reach the loader from the Data page: the widget refuses other files, and the page checks
# again before loading.
UPLOAD_TYPES = ("csv", "xlsx")


def refuse_upload(scope: access.Scope, names: list[str]) -> str | None:
    """Why an upload is refused (the viewer may not load, or a file is neither CSV nor XLSX), else None."""
    if not scope.may_load:
        return "Only the QA team may load data."
    bad = [n for n in names if not n.lower().endswith(tuple(f".{t}" for t in UPLOAD_TYPES))]
    if bad:
        return f"Only CSV and XLSX files can be loaded; not {', '.join(bad)}. Nothing was stored."
    return None


def council_wide_figures(src, f: Filters, cfg: Config) -> None:
    """The council-wide headline (every service added together) for viewers who do not see every service."""
    from .overview import headline
    from .presentation import format_pct
    head = cached(src, headline, access.council_wide(f), cfg)
    if not head["period"]["count"]:
        return
    st.subheader(f"Council-wide, all services: {head['latest']}")
    cols = st.columns(len(head["figures"]))
    for col, fig_ in zip(cols, head["figures"]):
        value = format_pct(fig_.value) if fig_.unit == "pct" else ("–" if fig_.value is None else f"{fig_.value:,.0f}")
        col.metric(f"{fig_.label}, all services", value, help=f"n = {fig_.n}, every service")
    period = head["period"]
    st.caption(f"{f.month_from} to {f.month_to}, every service: {period['count']:,} audits, "
               f"{format_pct(period['good_or_better_pct'])} good or better, "
               f"{format_pct(period['inadequate_pct'])} inadequate.")


# --- filters shared by every page, kept in the URL -----------------------------------------------
from .filters import GRAINS, Filters, default_period, filter_options, spanning  # noqa: E402

AUDITOR_ROLES = ["Team Manager", "Service Manager", "Other"]


def link_ids_to_labels(key: str, labels: dict[str, str]) -> None:
    """A link may name a choice by its ID (``?intervention=INT03``, as the command line does) as well as by the
    label the widget writes there: an ID is replaced by its label before the widget reads the address."""
    raw = st.query_params.get_all(key)
    if key not in st.session_state and len(raw) == 1 and raw[0] in labels and raw[0] not in labels.values():
        st.session_state[key] = raw[0]          # the widget starts on it (it reads the address it was sent)
        st.query_params[key] = labels[raw[0]]   # and the address shows what the widget writes


def _ignore_invalid(key: str, label: str, options: list[str]) -> None:
    """Drop a link's values that are not on offer, with a notice (the widget would silently drop them)."""
    raw = st.query_params.get_all(key)
    bad = [v for v in raw if v not in options]
    if bad:
        st.info(f"The link's {label} value{'s' if len(bad) > 1 else ''} {', '.join(md(repr(v)) for v in bad)} "
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
    opts = cached(src, filter_options)
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
    scope = viewer()
    in_scope = cfg.service_codes if scope.full else [c for c in cfg.service_codes if c in scope.services]
    # A link naming a service or team outside the viewer's scope is ignored like any unavailable value.
    _ignore_invalid("service", "service", in_scope)
    services = []
    if in_scope:
        # Codes, not names: a bound widget writes its option labels into the URL.
        services = sb.multiselect("Service", in_scope, key="service", bind="query-params",
                                  placeholder="All services" if scope.full else "All your services",
                                  help="; ".join(f"{c}: {md(cfg.service_names[c])}" for c in in_scope))
    teams = cohorts = roles = []
    if audit_filters:
        teams_in_scope = [t for t in opts["teams"] if scope.full or opts["team_services"].get(t) in in_scope]
        team_options = [t for t in teams_in_scope if not services or opts["team_services"].get(t) in services]
        _ignore_invalid("team", "team", teams_in_scope)
        if teams_in_scope:
            teams = sb.multiselect("Team", team_options, key="team", bind="query-params", placeholder="All teams")
        _ignore_invalid("cohort", "cohort", cfg.cohorts)
        cohorts = sb.multiselect("Cohort", cfg.cohorts, key="cohort", bind="query-params", placeholder="All cohorts")
        _ignore_invalid("role", "auditor role", AUDITOR_ROLES)
        roles = sb.multiselect("Auditor role", AUDITOR_ROLES, key="role", bind="query-params",
                               placeholder="All roles")
    f = Filters(
        month_from=period[0] if period else None, month_to=period[1] if period else None,
        services=tuple(services) or None, teams=tuple(teams) or None, cohorts=tuple(cohorts) or None,
        auditor_roles=tuple(roles) or None)
    f = scope.narrow(f)
    if f.month_from is not None:   # what a chart image downloaded from this page covers (image_stamp)
        services = f.effective_services()
        st.session_state["_image_scope"] = (f"{f.month_from} to {f.month_to} · "
                                            + (", ".join(services) if services else "all services"))
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


# --- tables -----------------------------------------------------------------------------------
def dataframe(data, **kwargs):
    """``st.dataframe`` as every table here is drawn: no index, and "–" where a figure is missing (Streamlit
    writes a missing value as "None" otherwise, e.g. an England figure not yet published or a step not done)."""
    from .presentation import DASH
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("placeholder", DASH)
    return st.dataframe(data, **kwargs)


# --- charts with their data-table alternative -----------------------------------------------
def show_chart(fig, table, caption: str, key: str, *, on_select=None):
    """A chart, its definition caption, PNG/SVG downloads, and its data table (WCAG alternative) with
    CSV/XLSX downloads."""
    from .charts import plain_labels, presentation_layout
    fig = plain_labels(fig)  # data values in labels are drawn as text, never as plotly's HTML
    if presentation():
        presentation_layout(fig)
    kwargs = {"key": key}
    if on_select is not None:
        kwargs.update(on_select=on_select, selection_mode=("points",))
    state = st.plotly_chart(fig, theme=None, **kwargs)
    st.caption(caption)
    chart_downloads(fig, key)
    with st.expander("Data table"):
        # Plain headings on screen ('good_ci_low' -> 'Good 95% CI low') and percentages to one decimal
        # (metrics.md), as display settings only: the table and its downloads keep the names and values.
        dataframe(table, column_config=_table_columns(table))
        download_table(table, key)
    return state


def _table_columns(table) -> dict:
    from .presentation import heading
    out = {}
    for c in table.columns:
        if not isinstance(c, str):
            continue
        if c.endswith(("_pct", "_ci_low", "_ci_high")):
            out[c] = st.column_config.NumberColumn(heading(c), format="%.1f")
        elif heading(c) != c:
            out[c] = st.column_config.Column(heading(c))
    return out


@st.cache_data(max_entries=64, show_spinner="Rendering the chart image…")
def _chart_images(fig_json: str) -> dict[str, bytes]:
    import plotly.io as pio
    from .images import chart_images
    return chart_images(pio.from_json(fig_json))


def image_stamp() -> str:
    """What a downloaded chart image says of itself: the period and services of the page (when it has a filter
    bar), whose data (demo or the council's) and the day it was made."""
    import datetime as dt
    parts = [st.session_state.get("_image_scope", ""), st.session_state.get("_image_source", "QA dashboard"),
             f"made {dt.date.today():%d %b %Y}"]
    return " · ".join(p for p in parts if p)


def chart_downloads(fig, key: str) -> None:
    """PNG (2x) and SVG of the chart as shown, rendered by kaleido only when a button is pressed; where
    chromium is missing, a note saying how to install it instead of the buttons."""
    from .images import INSTALL_HINT, available
    if not available():
        st.caption(f":material/image_not_supported: {INSTALL_HINT}")
        return
    # The figure's JSON is made on the click too: on every rerun it cost ~70 ms a chart (40 on the KPI page).
    left, right, _ = st.columns([1, 1, 4])
    from .charts import stamped
    stamp = image_stamp()
    left.download_button("PNG image", lambda: _chart_images(stamped(fig, stamp).to_json())["png"],
                         file_name=f"{key}.png",
                         mime="image/png", key=f"{key}_png", on_click="ignore", icon=":material/image:")
    right.download_button("SVG image", lambda: _chart_images(stamped(fig, stamp).to_json())["svg"],
                          file_name=f"{key}.svg",
                          mime="image/svg+xml", key=f"{key}_svg", on_click="ignore", icon=":material/image:")


def download_table(table, key: str, file_name: str | None = None, *, children: bool | None = None) -> None:
    """CSV and XLSX of a table (formula-like text neutralised), with a "for circulation" choice that
    suppresses small numbers. ``table``: a DataFrame, or a function making it, called only when a
    download is clicked (for a table too big to build on every page view). A list of children's records
    (``children``; by default, a table naming the child's reference) is never offered for circulation."""
    from .exports import csv_bytes, lists_children, xlsx_bytes
    name = file_name or key
    if children if children is not None else (not callable(table) and lists_children(table)):
        st.caption(":material/lock: A list of individual children's records: for the service's own work, never for "
                   "circulation (no suppression keeps a child from being singled out). Share the counts instead.")
        circulate = False
    else:
        circulate = st.checkbox("For circulation (suppress small numbers)", key=f"{key}_circulate",
                                help=f"Counts from 1 to {config()['small_number_threshold'] - 1} show as "
                                     f"\"<{config()['small_number_threshold']}\"; percentages over fewer records, "
                                     "or that would reveal a hidden count, show as \"–\".")
    threshold = config()["small_number_threshold"]
    suffix = "_for_circulation" if circulate else ""
    left, right, _ = st.columns([1, 1, 4])
    # Both files are made on the click (never stale: from the table of this run, or from the database at
    # the click): writing a 100,000-row CSV on every rerun cost the big pages about half a second.
    left.download_button("Download CSV", lambda: csv_bytes(table_for_download(table, circulate, threshold)),
                         file_name=f"{name}{suffix}.csv", mime="text/csv", key=f"{key}_csv", on_click="ignore")
    right.download_button("Download XLSX", lambda: xlsx_bytes(table_for_download(table, circulate, threshold)),
                          file_name=f"{name}{suffix}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}_xlsx", on_click="ignore")


def table_for_download(table, circulate: bool, threshold: int):
    """The table a download writes: made now if ``table`` is a function, small numbers suppressed for
    circulation."""
    from .exports import for_circulation
    data = table() if callable(table) else table
    return for_circulation(data, threshold) if circulate else data


@st.cache_data(max_entries=8, show_spinner="Making the file…")
def _month_file(db_path: str, stamp: float, kind: str, fmt: str, month: str, service: str | None) -> bytes:
    from .database import Database
    db = Database(db_path, config())
    services = (service,) if service else None
    if kind == "pack":
        from .pack import build
        return build(db, month, services)
    from .infographic import build
    return build(db, month, services, (fmt,))[fmt]


def month_export(db, kind: str, fmt: str, month: str, service: str | None):
    """The infographic (png/pdf) or pack (pptx) of a month as a download button's deferred data: made on
    the click, cached until the database changes. Raises ExportError at once when the month has no audits."""
    from .metrics import audit_headline
    from .monthly import month_filters, require_audits
    f = month_filters(month, (service,) if service else None)
    with db.read() as con:
        require_audits(audit_headline(con, f, db.config)["count"], f)
    stamp = db.path.stat().st_mtime
    return lambda: _month_file(str(db.path), stamp, kind, fmt, month, service)


def published_figures(result: dict) -> None:
    """A published month's figures beside today's, and the audits that changed since and why."""
    import pandas as pd
    from .presentation import format_pct
    pub, figs, changed = result["publication"], result["figures"], result["changes"]
    fmt = {"pct": format_pct, "count": lambda v: "–" if v is None else f"{v:,.0f}"}
    scope = f" · {result['service']}" if result.get("service") else ""
    with st.expander(f"As published to QPRM{scope}: {pub.line()}" + (f" · {len(changed)} audits changed since"
                                                             if len(changed) else " · nothing changed since")):
        table = pd.DataFrame({
            "Figure": figs["figure"],
            "Published": [fmt[u](v) for v, u in zip(figs["published"], figs["unit"])],
            "Today": [fmt[u](v) for v, u in zip(figs["today"], figs["unit"])],
            "Change": ["–" if c is None else (f"{c:+.1f} pts" if u == "pct" else f"{c:+,.0f}")
                       for c, u in zip(figs["change"], figs["unit"])]})
        dataframe(table)
        if len(changed):
            st.markdown("**What changed since, and why**")
            dataframe(changed.rename(columns={"audit_id": "Audit", "service": "Service",
                                                 "final_grade_published": "Final grade as published",
                                                 "final_grade_now": "Final grade now", "why": "Why"}))


def empty(message: str = "No audits match these filters: widen the period or clear a filter.") -> None:
    st.info(message)


NO_PERIOD = "No period to show yet: the period runs over the months with audits. Load audits on the Data page."


def page_start(title: str, *, grain: bool = True, audit_filters: bool = True,
               empty: str = "No audits match these filters: widen the period or clear a filter."):
    """What a filtered page does first: its data source, the presentation toggle, the filters, its title,
    and a plain message (and nothing else) when there is no period to show. Returns (source, filters, grain)."""
    src = source()
    presentation_toggle()
    f, chosen_grain = filter_bar(src, grain=grain, audit_filters=audit_filters)
    st.title(title)
    if f.month_from is None:
        st.info(empty)
        st.stop()
    return src, f, chosen_grain


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
    import html
    # The chart's customdata was escaped for display (charts.plain_labels): the explorer wants the values.
    data = [html.unescape(v) if isinstance(v, str) else v for v in points[0].get("customdata") or []]
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
