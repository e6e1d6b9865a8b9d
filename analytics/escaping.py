"""Data values shown as text, never as Markdown or HTML that runs.

Streamlit renders Markdown (and its own extensions: ``:red[...]`` colours, ``:material/...:`` icons, emoji
shortcodes, ``$...$`` maths) in st.markdown, st.caption, alerts, headers, metric labels, expander and tab
labels, radio options and help text. Any value that came from a loaded file or the configuration (team,
theme, service and file names, titles, generated sentences that quote them) goes through ``md`` before it
is put into such text: a team named ``<img src=x onerror=alert(1)>`` or ``**bold** [link](javascript:...)``
is then shown exactly as typed. Tables (st.dataframe) show cells as plain text and need no escaping.
"""
from __future__ import annotations

import re

# Every ASCII punctuation character CommonMark lets a backslash escape that starts Markdown, HTML, an entity,
# a Streamlit directive or shortcode, or maths.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def md(value) -> str:
    """``value`` as Markdown that displays it literally, on one line."""
    text = _LINE_BREAKS.sub(" ", str(value))
    return _SPECIAL.sub(r"\\\1", text)
