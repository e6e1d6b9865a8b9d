"""How figures are written on screen and in exports (metrics.md: one decimal, half away from zero; "–" for none)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DASH = "–"


def round_half_away(value: float, places: int = 1) -> float:
    q = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(q, rounding=ROUND_HALF_UP))


def format_signed(value: float | None, unit: str = "", places: int = 1) -> str:
    """A difference for display, rounded half away from zero as percentages are: +4.5 points, −2.0 (a true
    minus sign), 0.0; None -> '–'."""
    if value is None or value != value:
        return DASH
    v = round_half_away(value, places)
    return f"{'+' if v > 0 else ('−' if v < 0 else '')}{abs(v):.{places}f}{unit}"


def format_pct(value: float | None, places: int = 1) -> str:
    """A percentage for display: 55.12690 -> '55.1%'; None -> '–'."""
    if value is None:
        return DASH
    return f"{round_half_away(value, places):.{places}f}%"


# Names that read badly word by word.
WHOLE_HEADINGS = {"pct": "%", "ci_low": "95% CI low", "ci_high": "95% CI high"}


def heading(col: str) -> str:
    """A column's plain heading: 'days_since_review' -> 'Days since review', 'x_pct' -> 'X %',
    'x_ci_low' -> 'X 95% CI low'; 'n' stays 'n'."""
    if col == "n":
        return "n"
    if col in WHOLE_HEADINGS:
        return WHOLE_HEADINGS[col]
    text = col
    for suffix, words in (("_pct", " %"), ("_ci_low", " 95% CI low"), ("_ci_high", " 95% CI high"),
                          ("_pts", " (points)"), ("_id", " ID"), ("_ref", " reference")):
        if text.endswith(suffix):
            text = text[:-len(suffix)] + words
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


def for_people(df, names: dict[str, str] | None = None):
    """A table for people: plain headings (``heading``) unless ``names`` gives one, and text columns with
    blanks instead of None (dates written YYYY-MM-DD)."""
    import pandas as pd

    def text(v) -> str:
        if isinstance(v, (list, tuple)):
            return "; ".join(map(str, v))
        if pd.isna(v):
            return ""
        if isinstance(v, pd.Timestamp):
            return v.strftime("%Y-%m-%d") if v == v.normalize() else v.strftime("%Y-%m-%d %H:%M")
        return v.isoformat() if hasattr(v, "isoformat") else str(v)
    out = df.copy()
    for col in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col])):
            out[col] = [text(v) for v in out[col]]   # one type per column: Arrow will not mix dates and ""
    return out.rename(columns={c: names[c] if names and c in names else heading(c) for c in out.columns})
