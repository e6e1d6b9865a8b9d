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


def source() -> sources.Source:
    return sources.active(config(), prefer_demo=st.session_state.get(PREFER_DEMO, False))


def frame(src: sources.Source) -> None:
    """The label that says whose data this is, on every page."""
    if src.is_demo:
        st.warning("**Demo data.** Everything shown is synthetic, generated for illustration: it is not a real "
                   "council's data. Load the council's files on the Data page to replace it.", icon="🧪")
    st.sidebar.caption(f"Showing: {src.label}")
