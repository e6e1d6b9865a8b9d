"""Data extracts: CSV and XLSX that a spreadsheet cannot turn into formulas."""
from __future__ import annotations

import io
import itertools
import numbers
import re

import numpy as np
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
# A column of whole numbers is a count unless a word of its name says it is something else (days, a rank, an
# id, a benchmark...). Whole words, not parts of words: "Stage 1", "decided" and "rapid_review" are counts
# (matching "age" or "id" inside them once let their small numbers through). Over-suppressing is the safe error.
NOT_COUNT_WORDS = frozenset({"day", "days", "rank", "year", "years", "priority", "id", "point", "points", "age",
                             "week", "weeks", "seed", "median", "mean", "average", "limits", "england",
                             "neighbours", "target", "ref", "cycle", "change"})   # a change is a difference, not a count
PCT_WORDS = frozenset({"pct", "percent", "percentage", "rate", "share", "ci", "interval", "pts"})
DENOMINATORS = ("n", "count", "audits", "moderated", "total", "records")
_NAME_WORDS = re.compile(r"[^\W_]+")
_PCT_TEXT = re.compile(r"\s*-?\d+(\.\d+)?\s*%")
_COUNT_TEXT = re.compile(r"\s*\d{1,3}(,\d{3})*\s*")


def _words(name) -> set[str]:
    return set(_NAME_WORDS.findall(str(name).lower()))


def _is_pct_name(name) -> bool:
    return "%" in str(name) or bool(_words(name) & PCT_WORDS)


def _texts(col: pd.Series) -> list[str] | None:
    """The column's non-blank cells if it is a text column of them, else None."""
    if pd.api.types.is_numeric_dtype(col) or not (col.dtype == object or pd.api.types.is_string_dtype(col)):
        return None
    values = [v for v in col.tolist() if v is not None and v == v]
    return values if values and all(isinstance(v, str) for v in values) else None


def _blank_or(pattern: re.Pattern, values: list[str], whole: bool = True) -> bool:
    """Every text blank or a dash or matching ``pattern`` (the whole text, else its start), and one matching."""
    from .presentation import DASH
    fits = pattern.fullmatch if whole else pattern.match
    return all(v.strip() in ("", DASH, "-") or fits(v) for v in values) and any(fits(v) for v in values)


def _whole_numbers(col: pd.Series) -> bool:
    """Integers, or floats that are all whole (a pivot's counts become floats where a cell is missing), or a
    column of objects holding such numbers."""
    if pd.api.types.is_bool_dtype(col):
        return False
    if pd.api.types.is_integer_dtype(col):
        return True
    values = col.dropna().tolist()
    if not values or not (pd.api.types.is_numeric_dtype(col) or col.dtype == object):
        return False
    return all(isinstance(v, numbers.Real) and not isinstance(v, bool) and float(v).is_integer() for v in values)


def count_columns(df: pd.DataFrame) -> list[str]:
    """Columns of counts: whole numbers, or texts of whole numbers ("1,234"), not named as something else."""
    out = []
    for c in df.columns:
        if _words(c) & NOT_COUNT_WORDS or _is_pct_name(c):
            continue
        texts = _texts(df[c])
        if _whole_numbers(df[c]) or (texts is not None and _blank_or(_COUNT_TEXT, texts)):
            out.append(c)
    return out


def pct_columns(df: pd.DataFrame) -> list[str]:
    """Columns of percentages: numbers named as such, or texts that read as percentages ("35%", "35% (..)")."""
    out = []
    for c in df.columns:
        texts = _texts(df[c])
        if (pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) and _is_pct_name(c)) or (
                texts is not None and _blank_or(_PCT_TEXT, texts, whole=False)):
            out.append(c)
    return out


def _count_value(v):
    """A count cell as a number (None when blank), texts like "1,234" included."""
    if isinstance(v, str):
        return int(v.replace(",", "")) if _COUNT_TEXT.fullmatch(v) else None
    return None if v is None or v != v else v


class NotForCirculation(ValueError):
    """A list of individual children's records: no suppression makes it safe to circulate widely."""


# The columns that make a table a list of individual children (as stored, and as headed on screen).
CHILD_COLUMNS = {"child_ref", "child ref", "audit_id", "audit", "escalation_id", "escalation", "feedback_id",
                 "complaint_id"}


def lists_children(df: pd.DataFrame) -> bool:
    """Whether the table has a row per child's record (it names the child's reference)."""
    return any(str(c).strip().lower() in CHILD_COLUMNS for c in df.columns)


def found_sums(numbers: dict[str, list]) -> list[tuple[str, list[str]]]:
    """(total column, [part columns]) for every count column that, in every row, is the sum of two or more others:
    a reader can add them up, so they are equations for secondary suppression even where a table does not
    declare them (an "n" beside its parts, "judged" = on time + late + overdue). An all-zero column is left out
    of the parts (it adds nothing). A sum that holds by chance only hides a little more: the safe mistake."""
    columns = [c for c, v in numbers.items() if v and all(x is not None for x in v)]
    if len(columns) < 3:
        return []
    matrix = np.array([numbers[c] for c in columns], dtype=np.int64)
    usable = [k for k in range(len(columns)) if matrix[k].any()]
    # Every subset of up to 12 columns; beyond that (wide tables), pairs and triples.
    sizes = range(2, len(usable)) if len(usable) <= 13 else range(2, 4)
    out = []
    for t in usable:
        others = [k for k in usable if k != t]
        for size in sizes:
            if size > len(others):
                break
            for parts in itertools.combinations(others, size):
                if np.array_equal(matrix[list(parts)].sum(axis=0), matrix[t]):
                    out.append((columns[t], [columns[k] for k in parts]))
    return out


def for_circulation(df: pd.DataFrame, threshold: int = 5) -> pd.DataFrame:
    """A table as it may circulate widely (metrics.md "Small numbers"): counts from 1 to threshold - 1 show
    as "<threshold"; a percentage shows as "–" when its denominator (its own "<name> (n)" column, else the
    row's ``n``, ``count``, ...) is below the threshold or a count in its row is hidden (it would give the
    hidden count back).

    A table whose row holds a total beside its parts says so in ``df.attrs["sums"]``: [(total column, [part
    columns]), ...]; where a hidden part could be worked out from the total and the other parts, the next
    smallest is hidden too ("*"). Cross-tabulations with total rows (equality, the infographic's grade split)
    use ``analytics.suppression`` directly.
    """
    from .presentation import DASH
    from .suppression import PRIMARY, SECONDARY, mask_row_sums, primary_label
    if lists_children(df):   # a row per child (reference, date, team, grade) singles the child out whatever is hidden
        raise NotForCirculation("a list of individual children's records is not for circulation: share its counts")
    out = df.copy()
    counts = count_columns(df)
    numbers = {c: [_count_value(v) for v in df[c].tolist()] for c in counts}
    marks = {c: [PRIMARY if v is not None and 1 <= v < threshold else "" for v in numbers[c]] for c in counts}
    sums = [(t, parts) for t, parts in df.attrs.get("sums", []) if t in counts and set(parts) <= set(counts)]
    sums += [found for found in found_sums(numbers) if found not in sums]
    if sums:
        cols = list(dict.fromkeys(c for t, parts in sums for c in (*parts, t)))
        index = {c: k for k, c in enumerate(cols)}
        for i in range(len(df)):
            row = [int(numbers[c][i] or 0) for c in cols]
            for c, mark in zip(cols, mask_row_sums(row, [(index[t], [index[p] for p in parts]) for t, parts in sums],
                                                   threshold)):
                marks[c][i] = mark
    hidden = [any(row) for row in zip(*marks.values())] if marks else [False] * len(df)
    for c in counts:
        out[c] = pd.Series([primary_label(threshold) if m == PRIMARY else SECONDARY if m else v
                            for v, m in zip(df[c].tolist(), marks[c])], index=df.index, dtype=object)
    row_denominator = next((c for c in DENOMINATORS if c in counts), None)
    pcts = [c for c in pct_columns(df) if c not in counts]
    # A KPI's or a chart's "value" beside its numerator and denominator (or n) is a figure over them: with a
    # count hidden, the value and the other count would give it back.
    if {"numerator", "denominator", "n"} & set(counts):
        pcts += [c for c in df.columns if "value" in _words(c) and c not in pcts]
    row_small = list(hidden)
    for c in pcts:
        own = f"{c} (n)"
        denominator = own if own in counts else row_denominator
        too_small = list(hidden)
        if denominator is not None:
            too_small = [h or (d is not None and d < threshold) for h, d in zip(hidden, numbers[denominator])]
        row_small = [a or b for a, b in zip(row_small, too_small)]
        # From ``out``: a "value" of whole numbers already carries its count mark.
        out[c] = pd.Series([DASH if s else v for v, s in zip(out[c].tolist(), too_small)], index=df.index,
                           dtype=object)
    # A change from the row before ("+23.8 pts"): with either row's figure hidden, the change and the figure
    # shown would give it back.
    for c in change_columns(df):
        gone = [s or (i > 0 and row_small[i - 1]) for i, s in enumerate(row_small)]
        out[c] = pd.Series([DASH if g else v for v, g in zip(out[c].tolist(), gone)], index=df.index, dtype=object)
    # Texts that hold counts ("1 CSPR, 1 Team Spotlight"), named by the table: each small count hidden.
    for c in df.attrs.get("count_texts", []):
        if c in out:
            out[c] = pd.Series([_hide_small_in_text(v, threshold) for v in out[c].tolist()], index=df.index,
                               dtype=object)
    return out


_PTS_TEXT = re.compile(r"\s*[+\-−]?\d+(\.\d+)?\s*(pts|points)\s*")
_SMALL_IN_TEXT = re.compile(r"(?<![\w.,])\d+(?![\w.,]*\d)")


def change_columns(df: pd.DataFrame) -> list[str]:
    """Columns of changes from one row to the next: named as a change, or texts such as "+23.8 pts"."""
    out = []
    for c in df.columns:
        texts = _texts(df[c])
        if "change" in _words(c) or (texts is not None and _blank_or(_PTS_TEXT, texts, whole=False)):
            out.append(c)
    return out


def _hide_small_in_text(value, threshold: int):
    """Each whole number from 1 to threshold - 1 written in a text shown as "<threshold"."""
    if not isinstance(value, str):
        return value
    from .suppression import primary_label
    return _SMALL_IN_TEXT.sub(lambda m: primary_label(threshold) if 1 <= int(m.group()) < threshold else m.group(),
                              value)
