"""Data extracts: CSV and XLSX that a spreadsheet cannot turn into formulas."""
from __future__ import annotations

import io

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    return safe_frame(df).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        safe_frame(df).to_excel(writer, index=False, sheet_name=sheet[:31])
    return buf.getvalue()


# --- "for circulation": small numbers suppressed in any table --------------------------------------
# Integer columns are counts unless their name says they are something else (days, a rank, an id...).
NOT_COUNTS = ("day", "rank", "year", "priority", "id", "point", "age", "week", "month", "seed")
PCT_MARKS = ("pct", "%", "ci_low", "ci_high", "interval", "rate")
DENOMINATORS = ("n", "count", "audits", "moderated", "total", "records")


def count_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if pd.api.types.is_integer_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
            and not any(word in str(c).lower() for word in NOT_COUNTS)]


def pct_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if any(mark in str(c).lower() for mark in PCT_MARKS)
            and pd.api.types.is_numeric_dtype(df[c])]


def for_circulation(df: pd.DataFrame, threshold: int = 5) -> pd.DataFrame:
    """A table as it may circulate widely (metrics.md "Small numbers"): counts from 1 to threshold - 1 show
    as "<threshold"; a percentage shows as "–" when its row's denominator (a column ``n``, ``count``, ...)
    is below the threshold or a count in its row is hidden (it would give the hidden count back).

    Secondary suppression needs to know which cells add up to a total; tables built as cross-tabulations
    (equality, the infographic's grade split) use ``analytics.suppression`` for that.
    """
    from .presentation import DASH
    from .suppression import primary_label
    out = df.copy()
    counts = count_columns(df)
    hidden = pd.Series(False, index=df.index)
    for c in counts:
        small = df[c].between(1, threshold - 1)
        hidden |= small
        out[c] = [primary_label(threshold) if s else v for v, s in zip(df[c], small)]
    denominator = next((c for c in DENOMINATORS if c in counts), None)
    too_small = hidden.copy()
    if denominator is not None:
        too_small |= df[denominator] < threshold
    for c in pct_columns(df):
        if c in counts:
            continue
        out[c] = [DASH if s else v for v, s in zip(df[c], too_small)]
    return out
