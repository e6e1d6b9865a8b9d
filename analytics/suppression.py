"""Small-number suppression for views and exports marked for circulation (metrics.md "Small numbers").

- A count from 1 to threshold - 1 shows as "<5" (primary suppression); 0 shows as 0.
- Where a suppressed cell could be worked out from a total and the other cells of its row or column
  (the line holds one hidden cell, or several the total leaves a single value: two "<5" cells making 2 are
  1 each), the next smallest non-zero cell of that line is hidden too (secondary suppression), shown as
  "*", repeated until no line gives a hidden cell away.
- A percentage whose denominator is below the threshold shows as "–"; so does one whose numerator or
  denominator is hidden, since the percentage and the other figure would give the hidden count back.

Pure functions over pandas; no database, no Streamlit.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .presentation import DASH, format_pct

SECONDARY = "*"
PRIMARY = "primary"
SECONDARY_KIND = "secondary"
TOTAL = "Total"


def primary_label(threshold: int) -> str:
    return f"<{threshold}"


def _check(counts: pd.DataFrame, threshold: int) -> None:
    check_values(counts.to_numpy().ravel(), threshold)


def check_values(values, threshold: int) -> None:
    """Refuse a threshold that is not a whole number of at least 1, or a count that is not a whole number >= 0."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"the small-number threshold must be a whole number of at least 1, not {threshold!r}")
    for value in values:
        if value is None or (isinstance(value, float) and (math.isnan(value) or value != int(value))) or value < 0:
            raise ValueError(f"counts must be whole numbers of at least 0, not {value!r}")


def with_totals(counts: pd.DataFrame, *, row_totals: bool = False, column_totals: bool = False,
                total_label: str = TOTAL) -> pd.DataFrame:
    """The counts with a total column (each row's sum) and/or a total row (each column's sum) appended."""
    out = counts.astype("int64").copy()
    if row_totals:
        out[total_label] = out.sum(axis=1)
    if column_totals:
        # Built from the numbers: concat or .loc enlargement cost more than the sums (pages make dozens).
        values = out.to_numpy()
        out = pd.DataFrame(np.vstack([values, values.sum(axis=0, keepdims=True)]).astype("int64"),
                           index=pd.Index([*out.index, total_label]), columns=out.columns)
    return out


def suppression_mask(counts: pd.DataFrame, threshold: int = 5, *, row_totals: bool = False,
                     column_totals: bool = False, total_label: str = TOTAL) -> pd.DataFrame:
    """Which cells are hidden: "" (shown), "primary" or "secondary", for the table with its totals appended.

    ``row_totals``: the published table shows each row's total (a last column), so each row is an
    equation a reader can solve; ``column_totals`` likewise for columns (a last row). With both, the
    totals row and column are equations too (they meet in the grand total).
    """
    _check(counts, threshold)
    table = with_totals(counts, row_totals=row_totals, column_totals=column_totals, total_label=total_label)
    mask = mask_values(table.to_numpy().tolist(), threshold, row_totals=row_totals, column_totals=column_totals)
    return pd.DataFrame(mask, index=table.index, columns=table.columns)


def mask_values(values: list[list[int]], threshold: int, *, row_totals: bool = False, column_totals: bool = False
                ) -> list[list[str]]:
    """``suppression_mask`` over plain lists: ``values`` are the rows with their totals already appended (a last
    column with ``row_totals``, a last row with ``column_totals``). For callers that suppress dozens of small
    tables a page (equality), where building DataFrames costs more than the rule."""
    n_rows, n_cols = len(values), len(values[0]) if values else 0
    interior_rows = n_rows - (1 if column_totals else 0)
    interior_cols = n_cols - (1 if row_totals else 0)
    mask = [["" for _ in range(n_cols)] for _ in range(n_rows)]
    for i in range(n_rows):
        for j in range(n_cols):
            if 1 <= values[i][j] < threshold:
                mask[i][j] = PRIMARY

    # Each line is a list of cells that add up: the interior cells and the total that closes them.
    lines: list[list[tuple[int, int]]] = []
    if row_totals:
        lines += [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    if column_totals:
        lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    _hide_secondary(values, mask, lines, lambda i, j: i >= interior_rows or j >= interior_cols, threshold)
    return mask


def _hide_secondary(values, mask, lines, is_margin, threshold: int) -> None:
    """Secondary suppression in place: while a line (cells adding up, its total last) gives a hidden cell away,
    hide one more of it: zero cells stay shown; interior cells before totals; then the smallest, first in
    order."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            if not discloses(values, mask, line, threshold):
                continue
            candidates = [c for c in line if not mask[c[0]][c[1]] and values[c[0]][c[1]] > 0]
            if not candidates:
                continue
            i, j = min(candidates, key=lambda c: (is_margin(*c), values[c[0]][c[1]], line.index(c)))
            mask[i][j] = SECONDARY_KIND
            changed = True


def discloses(values, mask, line, threshold: int) -> bool:
    """Whether a reader can work out a hidden cell of the line (its parts add up to its last cell) from the cells
    shown and what the marks say of the hidden ones: "<5" is 1 to threshold - 1, "*" at least the threshold (zeros are never
    hidden). One hidden cell always gives itself away; several do when the shown cells leave them a single
    value: 7 audits of which 5 are shown leave 2 for two "<5" cells, so each is 1."""
    hidden = [c for c in line if mask[c[0]][c[1]]]
    if not hidden:
        return False
    if len(hidden) == 1:
        return True
    total = line[-1]

    def sign(c):   # parts minus the total is 0
        return -1 if c == total else 1

    rest = -sum(sign(c) * values[c[0]][c[1]] for c in line if not mask[c[0]][c[1]])   # = the hidden cells' signed sum
    bounds = {c: (1, threshold - 1) if mask[c[0]][c[1]] == PRIMARY else (threshold, math.inf) for c in hidden}
    # Each hidden term's range, signed: a part x contributes [lo, hi], a hidden total [-hi, -lo].
    terms = {c: (lo, hi) if sign(c) > 0 else (-hi, -lo) for c, (lo, hi) in bounds.items()}
    low_sum, high_sum = sum(t[0] for t in terms.values()), sum(t[1] for t in terms.values())
    for c, (lo, hi) in terms.items():
        # This term is the rest minus the others' terms.
        t_lo, t_hi = max(lo, rest - (high_sum - hi)), min(hi, rest - (low_sum - lo))
        if t_lo == t_hi:
            return True
    return False


def mask_row_sums(row: list[int], sums: list[tuple[int, list[int]]], threshold: int) -> list[str]:
    """``mask_values`` for one table row whose cells hold several sums: ``sums`` are (total's index, parts'
    indexes), e.g. a quarter's feedback and its channels, and again its sentiments."""
    mask = [["" if not 1 <= v < threshold else PRIMARY for v in row]]
    totals = {t for t, _ in sums}
    _hide_secondary([row], mask, [[(0, j) for j in (*parts, t)] for t, parts in sums], lambda i, j: j in totals,
                    threshold)
    return mask[0]


def count_text(n: int | None, threshold: int) -> str:
    """One count for circulation: "<5" from 1 to threshold - 1, else the number ("–" for none)."""
    return DASH if n is None else primary_label(threshold) if 1 <= n < threshold else format_count(n)


def pct_text(value: float | None, n: int | None, threshold: int, hidden: bool = False) -> str:
    """A percentage for circulation from its value and denominator: "–" over fewer than the threshold, or when
    a count behind it is hidden (``hidden``)."""
    return DASH if hidden or value is None or n is None or n < threshold else format_pct(value)


def is_shown(text: str) -> bool:
    """Whether a count or percentage text of this module shows its figure (not "<5", "*" or "–")."""
    return text[:1].isdigit()


def shown_parts(counts: list[int], total: int, threshold: int) -> list[str]:
    """Parts of a total that is shown elsewhere (audits = provisional + moderated; a month's escalations by who
    raised them), each as text: "<5", "*" where the total would give a hidden part away, else the count. When
    only hiding the total could protect them, no part is shown ("*", zeros as 0)."""
    marks = mask_row_sums([*counts, total], [(len(counts), list(range(len(counts))))], threshold)
    if marks[-1]:
        return [SECONDARY if c else "0" for c in counts]
    return [display(c, m, threshold) for c, m in zip(counts, marks[:-1])]


def format_count(value: int) -> str:
    return f"{int(value):,}"


def display(value: int, mark: str, threshold: int) -> str:
    """One cell as ``suppress`` shows it, from its count and its mark."""
    return primary_label(threshold) if mark == PRIMARY else SECONDARY if mark == SECONDARY_KIND else format_count(value)


def suppress(counts: pd.DataFrame, threshold: int = 5, *, row_totals: bool = False, column_totals: bool = False,
             total_label: str = TOTAL, mask: pd.DataFrame | None = None) -> pd.DataFrame:
    """The counts (with the requested totals appended) as display strings, small numbers suppressed.

    1..threshold-1 -> "<5"; cells hidden to protect them -> "*"; everything else, 0 included, as the number.
    ``mask``: ``suppression_mask`` of the same counts and options, when the caller has it already.
    """
    if mask is None:
        mask = suppression_mask(counts, threshold, row_totals=row_totals, column_totals=column_totals,
                                total_label=total_label)
    table = with_totals(counts, row_totals=row_totals, column_totals=column_totals, total_label=total_label)
    out = table.astype(object).copy()
    for col in table.columns:
        out[col] = [display(v, m, threshold) for v, m in zip(table[col], mask[col])]
    return out


def pct_display(numerator: int, denominator: int, threshold: int = 5, *, hidden: bool = False) -> str:
    """A percentage for circulation: "–" when the denominator is below the threshold or a count behind it is hidden."""
    return pct_text(numerator / denominator * 100 if denominator else None, denominator, threshold, hidden)


def note(threshold: int = 5) -> str:
    """The caption that explains the marks."""
    if threshold <= 1:
        return "No small numbers are suppressed (the threshold is 1)."
    return (f"Small numbers suppressed: {primary_label(threshold)} is a count from 1 to {threshold - 1}; "
            f"{SECONDARY} is hidden so that a suppressed count cannot be worked out from a total; "
            f"{DASH} is a percentage over fewer than {threshold} records or one that would reveal a hidden count.")
