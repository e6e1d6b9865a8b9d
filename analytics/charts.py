"""Chart conventions shared by the screen and every export: one plotly template, one set of colours.

Grade colours are colour-blind safe and differ in lightness, so they still read in greyscale;
Inadequate is never green and red/amber/green is not used for grades. SPC colours follow
NHS England's Making Data Count.
"""
from __future__ import annotations

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
INK = "#1f2933"
MUTED = "#6b7280"
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"

pio.templates["qa"] = go.layout.Template(layout=go.Layout(
    font=dict(family=FONT, size=14, color=INK),
    title=dict(font=dict(size=18), x=0, xanchor="left"),
    paper_bgcolor="white", plot_bgcolor="white",
    xaxis=dict(showgrid=False, linecolor="#9ca3af", ticks="outside", title=dict(standoff=8)),
    yaxis=dict(gridcolor="#e5e7eb", zeroline=False, linecolor="#9ca3af", title=dict(standoff=8)),
    legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
    margin=dict(l=60, r=20, t=70, b=50),
    colorway=["#0b3c73", "#f5a623", "#6cb2e6", "#b03a12", "#4d4d4d", "#8c6bb1", "#2ca25f"],
))
TEMPLATE = "qa"


def grade_colour(config, label: str) -> str:
    return GRADE_COLOURS[config.grade_labels.index(label) + 1]


def presentation_layout(fig: go.Figure) -> go.Figure:
    """Larger type and height for the projector."""
    fig.update_layout(font=dict(size=20), title=dict(font=dict(size=28)), height=560)
    return fig
