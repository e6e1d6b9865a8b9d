"""The percentage heatmap used by the pillar and equality pages: one sequential blue scale, readable text.

A single hue (not red/green) ordered in lightness, so it reads in greyscale and for colour-blind viewers.
Each cell's text is dark or white, whichever contrasts more with the cell's colour (WCAG contrast
ratio), since the plotly template's font colour would otherwise put dark text on dark blue.
"""
from __future__ import annotations

import textwrap

import plotly.colors as pc
import plotly.graph_objects as go

from .charts import INK, TEMPLATE

COLOURSCALE = "Blues"
WHITE = "#ffffff"


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: float, b: float) -> float:
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def cell_colour(pct: float) -> str:
    """The scale's colour for a percentage 0-100."""
    return pc.sample_colorscale(COLOURSCALE, [min(max(pct, 0.0), 100.0) / 100])[0]


def text_colour(pct: float | None) -> str:
    """Dark ink or white, whichever contrasts more with the cell (ink on an empty cell)."""
    if pct is None or pct != pct:
        return INK
    cell = _luminance(pc.unlabel_rgb(cell_colour(pct)))
    ink = _luminance(pc.hex_to_rgb(INK))
    return WHITE if _contrast(cell, 1.0) > _contrast(cell, ink) else INK


def wrap(label: str, width: int = 24) -> str:
    """A long axis label on several lines (plotly breaks at <br>)."""
    return "<br>".join(textwrap.wrap(str(label), width)) or str(label)


def figure(x: list[str], y: list[str], z: list[list], text: list[list[str]], hover: list[list[str]], *,
           title: str, x_title: str, y_title: str) -> go.Figure:
    """Heatmap of percentages (rows y, columns x); ``z`` None where there is nothing to colour."""
    ylabels = [wrap(v) for v in y]
    xlabels = [wrap(v, 14) for v in x]
    fig = go.Figure(go.Heatmap(
        x=xlabels, y=ylabels, z=z, customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        zmin=0, zmax=100, colorscale=COLOURSCALE, xgap=2, ygap=2,
        colorbar=dict(title=dict(text="% good<br>or better"), ticksuffix="%")))
    xs, ys, texts, colours = [], [], [], []
    for i, row in enumerate(text):
        for j, t in enumerate(row):
            xs.append(xlabels[j])
            ys.append(ylabels[i])
            texts.append(t)
            colours.append(text_colour(z[i][j]))
    fig.add_scatter(x=xs, y=ys, text=texts, mode="text", textfont=dict(color=colours), hoverinfo="skip",
                    showlegend=False)
    fig.update_layout(template=TEMPLATE, title=title, xaxis_title=x_title, yaxis_title=y_title,
                      height=max(420, 64 * len(y) + 170), margin=dict(l=20))
    fig.update_xaxes(showgrid=False, type="category", automargin=True, categoryorder="array", categoryarray=xlabels)
    fig.update_yaxes(showgrid=False, type="category", automargin=True, autorange="reversed",
                     categoryorder="array", categoryarray=ylabels)
    return fig
