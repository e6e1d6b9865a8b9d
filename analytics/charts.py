"""Chart conventions shared by the screen and every export: one plotly template, one set of colours.

Grade colours are colour-blind safe and differ in lightness, so they still read in greyscale;
Inadequate is never green and red/amber/green is not used for grades. SPC colours follow
NHS England's Making Data Count.
"""
from __future__ import annotations

import math
import re

import plotly.graph_objects as go
import plotly.io as pio

# Lightness (CIE L*): 24, 70, 80, 42 -- distinct in greyscale.
GRADE_COLOURS = {
    1: "#0b3c73",   # Outstanding: dark blue
    2: "#6cb2e6",   # Good: light blue
    3: "#f5a623",   # Requires Improvement: orange
    4: "#b03a12",   # Inadequate: dark vermilion
}
SPC_COLOURS = {
    "improvement": "#2b8cd8",   # blue
    "concern": "#f28e2b",       # orange
    "neutral_high": "#6a3d9a",  # purple
    "neutral_low": "#6a3d9a",
    "common_cause": "#8c8c8c",  # grey
}
# Services, pillars and other categories: distinct from every grade colour and from green/red, so a
# line or bar never looks like a grade.
CATEGORY_COLOURS = ["#6a3d9a", "#c51b7d", "#8c510a", "#4d4d4d", "#1b7f86", "#b8860b", "#9e9ac8", "#e7298a"]
# What is not a grade (one series of counts, before/after, sentiment, raisers, stages): category colours or
# greys, never a grade colour, so a bar never reads as "Outstanding" or "Inadequate".
# Follow-up step states: not grades, so not grade colours; lightness falls from waiting to overdue.
STATE_COLOURS = {"done on time": "#1b7f86", "done late": "#9e9ac8", "overdue": "#8e0152", "not yet due": "#c7c7c7"}
RAISER_COLOURS = {"IRO": CATEGORY_COLOURS[0], "CP Chair": CATEGORY_COLOURS[5]}   # escalation raisers
SERIES_COLOUR = "#1b7f86"                                  # one series of counts: teal
BEFORE_AFTER = {"before": "#8c8c8c", "after": "#1b7f86"}   # grey then teal
SENTIMENT_COLOURS = {"Positive": "#1b7f86", "Mixed": "#c7c7c7", "Negative": "#c51b7d"}   # teal, grey, magenta
STAGE_SHADES = ("#dadaeb", "#9e9ac8", "#6a51a3", "#3f007d")   # purples, lighter = earlier stage
INK = "#1f2933"
DESK_FONT, PRESENTATION_FONT = 14, 20   # base type sizes at a desk and on the projector
MUTED = "#6b7280"
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"

pio.templates["qa"] = go.layout.Template(layout=go.Layout(
    font=dict(family=FONT, size=DESK_FONT, color=INK),
    title=dict(font=dict(size=18), x=0, xanchor="left"),
    paper_bgcolor="white", plot_bgcolor="white",
    xaxis=dict(showgrid=False, linecolor="#9ca3af", ticks="outside", title=dict(standoff=8)),
    yaxis=dict(gridcolor="#e5e7eb", zeroline=False, linecolor="#9ca3af", title=dict(standoff=8)),
    legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0, traceorder="normal"),
    margin=dict(l=60, r=20, t=70, b=50),
    colorway=CATEGORY_COLOURS,
))
TEMPLATE = "qa"


def grade_colour(config, label: str) -> str:
    return GRADE_COLOURS[config.grade_labels.index(label) + 1]


def presentation_layout(fig: go.Figure) -> go.Figure:
    """Larger type for the projector, with room for it: legend under the plot, wider margins."""
    height = fig.layout.height * 1.25 if fig.layout.height else 560   # a short chart (one bar) stays short
    fig.update_layout(font=dict(size=PRESENTATION_FONT), title=dict(font=dict(size=28)), height=height,
                      legend=dict(orientation="h", yanchor="top", y=-0.22, x=0, font=dict(size=18)),
                      margin=dict(l=90, r=30, t=90, b=150))
    fig.update_xaxes(title_standoff=24, automargin=True)
    fig.update_yaxes(title_standoff=24, automargin=True)
    for ann in fig.layout.annotations or ():
        ann.font.size = 20
    # Text a chart sets smaller than the desk font (n labels at a bar's foot or under a panel) grows by as much
    # as the font does (14 -> 20), so it stays readable from the back of the room.
    for trace in fig.data:
        font = getattr(trace, "textfont", None)
        if font is not None and isinstance(font.size, (int, float)) and font.size < PRESENTATION_FONT:
            font.size = round(font.size * PRESENTATION_FONT / DESK_FONT)
    return fig


def stamped(fig: go.Figure, stamp: str) -> go.Figure:
    """A copy of the chart for a downloaded image, its title followed by a line saying what it covers and
    whose data it is (period, services, source, date): an image travels without the page around it."""
    out = go.Figure(fig)
    title = out.layout.title.text or ""
    out.update_layout(title=dict(text=title, subtitle=dict(text=stamp, font=dict(size=12, color=MUTED))),
                      margin=dict(t=(out.layout.margin.t or 80) + 24))
    return out


def foot_label_positions(values) -> list[str]:
    """Where each bar's label goes: inside its foot, or just above the axis for a bar of no height (0%), which
    has no inside to hold it (plotly then drops the label, leaving only the error bar)."""
    return ["outside" if v == 0 else "inside" for v in values]


def wilson_error_bars(df, value: str, low: str, high: str, n: str = "n", small_n: int = 20) -> dict:
    """Plotly error bars from a Wilson interval, drawn only where the percentage rests on fewer than
    ``small_n`` records (metrics: such percentages carry their interval)."""
    small = df[n] < small_n
    return dict(type="data", symmetric=False, array=(df[high] - df[value]).where(small),
                arrayminus=(df[value] - df[low]).where(small), thickness=1, width=3)


def service_small_multiples(series, config, value: str, title: str, y_title: str, *, columns: int = 3,
                            n: str = "n", unit: str = "audits", names: bool = True) -> go.Figure:
    """One panel per service (configured order) of the percentage ``value`` over ``period``.

    Each panel has a row of n values along its foot (``n`` column, counted in ``unit``), and each point
    carries its Wilson interval as error bars where n < 20, read from ``<value without _pct>_ci_low/_high``
    when the frame has them. ``names=False`` titles panels with service codes only (narrow layouts). Part-quarter labels break onto a second line so they do not collide.
    """
    from plotly.subplots import make_subplots
    services = [s for s in config.service_codes if s in set(series["service"])]
    rows = max(1, (len(services) + columns - 1) // columns)
    totals = series.groupby("service")[n].sum()

    def panel_title(s: str) -> str:
        name = s if not names or config.service_names[s] == s else f"{s} · {config.service_names[s]}"
        if len(name) > 34:   # a long name ends at a word, marked as shortened (the code leads anyway)
            name = name[:33].rsplit(" ", 1)[0] + "…"
        return name + (f" (n={int(totals[s]):,})" if unit == "audits" else "")

    fig = make_subplots(rows=rows, cols=columns, shared_yaxes=True, shared_xaxes=True,
                        subplot_titles=[panel_title(s) for s in services],
                        vertical_spacing=0.2, horizontal_spacing=0.04)
    stem = value.removesuffix("_pct")
    points, lowest = series["period"].nunique(), N_ROW_Y
    for i, s in enumerate(services):
        part = series[series["service"] == s]
        where = dict(row=i // columns + 1, col=i % columns + 1)
        error = (wilson_error_bars(part, value, f"{stem}_ci_low", f"{stem}_ci_high", n)
                 if f"{stem}_ci_low" in part else None)
        fig.add_scatter(x=part["period"], y=part[value], mode="lines+markers", name=s, showlegend=False,
                        error_y=error, line_color=LINE_COLOURS.get(value, SERIES_COLOUR), customdata=part[[n, "period", "service"]],
                        hovertemplate="%{x}: %{y:.1f}% of %{customdata[0]} " + unit + "<extra>" + s + "</extra>",
                        **where)
        texts, ys = n_row(part[n], points)
        lowest = min([lowest, *ys])
        fig.add_scatter(x=part["period"], y=ys, mode="text", showlegend=False,
                        text=texts, textfont=dict(size=11, color=MUTED),
                        customdata=part[[n, "period", "service"]], hoverinfo="skip", **where)
    fig.update_yaxes(range=[lowest - 8, 104], tickvals=[0, 20, 40, 60, 80, 100])
    fig.update_yaxes(title_text=y_title, col=1)
    periods = list(dict.fromkeys(series["period"]))
    if any(QUARTER_TICK.match(str(p)) for p in periods):
        fig.update_xaxes(tickvals=periods, ticktext=[quarter_tick(p) for p in periods])
    fig.update_xaxes(tickangle=0, nticks=4)
    fig.update_layout(template=TEMPLATE, height=260 * rows + 110, title=title)
    for ann in fig.layout.annotations:
        ann.font.size = 13
    return fig


def n_in_ticks(fig: go.Figure, periods, ns) -> go.Figure:
    """Put each period's n under its tick label (category x axis), so n is read wherever the % is."""
    fig.update_xaxes(type="category", tickvals=list(periods),
                     ticktext=[f"{quarter_tick(p)}<br>n={int(k):,}" for p, k in zip(periods, ns)])
    return fig


def quarter_tick(label: str) -> str:
    """'2025-26 Q3 (Nov–Dec only)' as a narrow tick: 'Q3<br>2025-26<br>(Nov–Dec only)'."""
    m = QUARTER_TICK.match(str(label))
    if not m:
        return str(label)
    return f"{m[2]}<br>{m[1]}" + (f"<br>{m[3]}" if m[3] else "")


QUARTER_TICK = re.compile(r"^(\d{4}-\d{2}) (Q[1-4])(?: (\(.*\)))?$")
N_ROW_Y = -12   # where the small multiples print their n values, below the 0% line
N_ROW_STEP = 8  # the drop from one row of staggered n labels to the next
N_ROW_ROWS = 3  # at most this many rows
N_ROW_PANEL_PX = 190   # a panel's narrowest width on screen (three panels beside the overview's grade bar)
N_ROW_CHAR_PX = 6.2    # one digit of the 11 px n labels


def n_row(ns, points: int, panel_px: float = N_ROW_PANEL_PX) -> tuple[list[str], list[float]]:
    """The n labels along a small multiple's foot, and their heights, laid out so that they do not overlap.

    A year of months at a council's volume fits in one row. A large council's 4-5 digit counts, or many
    periods, would run into each other: the labels are then staggered over two or three rows, and counts of
    10,000 or more are shortened (12038 -> 12k). Where even that cannot fit (years of months in a narrow
    panel) only every few periods carry their label. The exact n is always in the hover and the data table.
    """
    ns = [int(k) for k in ns]
    room = panel_px / max(points, 1)
    texts = [str(k) for k in ns]
    if _label_px(texts) > N_ROW_ROWS * room:
        texts = [str(k) if k < 10_000 else f"{round(k / 1000)}k" for k in ns]
    needed = math.ceil(_label_px(texts) / room)
    if needed > N_ROW_ROWS:   # still too many for the panel: every few periods carry their n (all in the hover)
        every = math.ceil(needed / N_ROW_ROWS)
        texts = [t if i % every == 0 else "" for i, t in enumerate(texts)]
        room *= every
    rows = max(1, min(N_ROW_ROWS, math.ceil(_label_px(texts) / room)))
    return texts, [N_ROW_Y - N_ROW_STEP * (i % rows) for i in range(len(ns))]


def _label_px(texts) -> float:
    return (max((len(t) for t in texts), default=0) + 1) * N_ROW_CHAR_PX


# --- data values as text in plotly's labels -------------------------------------------------------------
# Plotly draws its own small HTML subset (<b>, <i>, <a href>, <span style>, ...) in titles, ticks, legends,
# text and hover labels. A team or theme named "<b>x</b>" or '<a href="https://...">' would be drawn as
# bold text or a link; with < > & as entities it is shown as typed. <br>, which the pages put into labels
# on purpose, stays a line break. Templates (hovertemplate, texttemplate) are written by the pages, not data.
_AUTHORED = {"hovertemplate", "texttemplate", "template"}


def _plain(value):
    import html

    import numpy as np
    if isinstance(value, str):
        return html.escape(value, quote=False).replace("&lt;br&gt;", "<br>")
    if isinstance(value, dict):
        return {k: v if k in _AUTHORED else _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray) and value.dtype == object:
        return np.array([_plain(v) for v in value.ravel()], dtype=object).reshape(value.shape)
    return value


def plain_labels(fig: go.Figure) -> go.Figure:
    """The figure with every data-bearing string (categories, names, text, titles, customdata) shown as text."""
    spec = fig.to_plotly_json()
    return go.Figure({"data": _plain(spec["data"]), "layout": _plain(spec["layout"])})
# % good or better in the good grades' blue, % inadequate in the Inadequate colour; other shares (on time,
# completion) are not grades.
LINE_COLOURS = {"good_pct": GRADE_COLOURS[1], "inadequate_pct": GRADE_COLOURS[4]}
