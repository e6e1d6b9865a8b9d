"""Small-number suppression (metrics.md "Small numbers"), every case worked out by hand.

Marks: "<5" a count from 1 to 4 (primary); "*" a cell hidden so that a "<5" cannot be worked out
from a total (secondary); 0 is shown as 0 and never hidden.
"""
import pandas as pd
import pytest

from analytics import suppression as s


def frame(rows, index=None, columns=None):
    index = index or [f"r{i}" for i in range(len(rows))]
    columns = columns or [f"c{j}" for j in range(len(rows[0]))]
    return pd.DataFrame(rows, index=index, columns=columns)


def grid(df):
    return df.values.tolist()


def test_primary_only_without_totals():
    # No totals published: nothing can be worked out, so only 1..4 are hidden; 0 and 5 are shown.
    got = s.suppress(frame([[3, 0, 12], [5, 4, 1]]))
    assert grid(got) == [["<5", "0", "12"], ["5", "<5", "<5"]]
    assert list(got.index) == ["r0", "r1"] and list(got.columns) == ["c0", "c1", "c2"]


def test_secondary_in_a_row():
    # Row totals shown: r0 = 3 + 7 + 12 = 22. With 3 hidden, 22 - 7 - 12 would give it back,
    # so the next smallest cell of the row (7) is hidden too. r1 has nothing small.
    got = s.suppress(frame([[3, 7, 12], [6, 8, 10]]), row_totals=True)
    assert list(got.columns) == ["c0", "c1", "c2", "Total"]
    assert grid(got) == [["<5", "*", "12", "22"], ["6", "8", "10", "24"]]


def test_secondary_in_a_column():
    # Column totals shown: c0 = 2 + 9 + 6 = 17. 2 is hidden; the next smallest of the column is 6.
    got = s.suppress(frame([[2, 10], [9, 11], [6, 12]]), column_totals=True)
    assert list(got.index) == ["r0", "r1", "r2", "Total"]
    assert grid(got) == [["<5", "10"], ["9", "11"], ["*", "12"], ["17", "33"]]


def test_zero_is_shown_and_never_chosen_to_protect():
    # r0 = 3 + 0 + 9 = 12: the 0 is the smallest other cell but hiding it protects nothing a reader
    # does not know (a hidden cell would read as at least 1); 9 is hidden instead.
    got = s.suppress(frame([[3, 0, 9]]), row_totals=True)
    assert grid(got) == [["<5", "0", "*", "12"]]
    assert grid(s.suppress(frame([[0, 0], [0, 7]]), row_totals=True, column_totals=True)) == \
        [["0", "0", "0"], ["0", "7", "7"], ["0", "7", "7"]]


def test_two_hidden_cells_in_a_line_need_nothing_more():
    # r0 = 1 + 2 + 30: two hidden cells, their sum (3) is known but not how it splits.
    got = s.suppress(frame([[1, 2, 30]]), row_totals=True)
    assert grid(got) == [["<5", "<5", "30", "33"]]


def test_hidden_cells_the_total_leaves_one_value_are_protected_too():
    # r0 = 1 + 1 + 30 = 32: two "<5" cells making 2 are 1 each (a "<5" is at least 1), so 30 goes too.
    assert grid(s.suppress(frame([[1, 1, 30]]), row_totals=True)) == [["<5", "<5", "*", "32"]]
    # 4 + 4: the most two "<5" cells can make.
    assert grid(s.suppress(frame([[4, 4, 30]]), row_totals=True)) == [["<5", "<5", "*", "38"]]
    # 1 + 5 + 0 = 6: with 1 hidden, 5 goes; but a "*" is at least 5 (smaller counts show as "<5"), so 6 still
    # leaves 5 and 1: the total goes as well.
    assert grid(s.suppress(frame([[1, 5, 0]]), row_totals=True)) == [["<5", "*", "0", "*"]]
    # 1 + 2 + 30 = 33 (above): 3 between two "<5" cells splits two ways, nothing more is needed.


def test_small_totals_are_suppressed_too():
    got = s.suppress(frame([[1, 0], [2, 40]]), row_totals=True, column_totals=True)
    #        c0  c1 | Total
    # r0      1   0 |   1      1 and its total 1 are small
    # r1      2  40 |  42      2 is small
    # Total   3  40 |  43      3 is small
    # Pass 1: r1 has 2 alone -> hide 40 (before its total); the totals row has 3 alone -> hide its 40
    # (every cell of it is a total); the Total column has r0's 1 alone -> hide 42 (smaller than 43).
    # Pass 2: every line has 0 or at least 2 hidden cells.
    assert grid(got) == [["<5", "0", "<5"], ["<5", "*", "*"], ["<5", "*", "43"]]


def test_both_totals_cascade():
    #        c0  c1  c2 | Total
    # r0      2  10  20 |  32
    # r1      8  15  30 |  53
    # r2      9  12  40 |  61
    # Total  19  37  90 | 146
    # Pass 1, rows: r0 has 2 hidden alone -> hide 10 (smallest of 10, 20).
    #         columns: c0 has 2 alone -> hide 8 (of 8, 9); c1 has 10* alone -> hide 12 (of 15, 12).
    # Pass 2, rows: r1 has 8* alone -> hide 15 (of 15, 30); r2 has 12* alone -> hide 9 (of 9, 40).
    #         columns: c0 (2, 8*, 9*) and c1 (10*, 15*, 12*) now have three each.
    # Pass 3: every line has 0 or at least 2 hidden cells.
    got = s.suppress(frame([[2, 10, 20], [8, 15, 30], [9, 12, 40]]), row_totals=True, column_totals=True)
    assert grid(got) == [
        ["<5", "*", "20", "32"],
        ["*", "*", "30", "53"],
        ["*", "*", "40", "61"],
        ["19", "37", "90", "146"],
    ]


def test_mask_names_primary_and_secondary():
    mask = s.suppression_mask(frame([[3, 7, 12]]), row_totals=True)
    assert grid(mask) == [["primary", "secondary", "", ""]]


def test_totals_are_chosen_only_when_no_other_cell_can_protect():
    #          c0  c1 | Total
    # r0        9   0 |   9
    # r1       25  20 |  45
    # r2        1   4 |   5
    # Total    35  24 |  59
    # Rows: r2 has 1 and 4 hidden. Columns: c0 (9, 25, 1) -> hide 9; c1 (0, 20, 4) -> hide 20 (0 never).
    # Pass 2: r0 (9*, 0, 9) -> no other non-zero cell: its total 9 is hidden; r1 (25, 20*, 45) -> hide 25.
    #         The Total column (9*, 45, 5, 59) -> hide 5, the smallest.
    got = s.suppress(frame([[9, 0], [25, 20], [1, 4]]), row_totals=True, column_totals=True)
    assert grid(got) == [["*", "0", "*"], ["*", "*", "45"], ["<5", "<5", "*"], ["35", "24", "59"]]


def test_threshold_is_configurable():
    assert grid(s.suppress(frame([[3, 7, 12]]), 10)) == [["<10", "<10", "12"]]
    assert grid(s.suppress(frame([[3, 7, 2]]), 3)) == [["3", "7", "<3"]]
    # With threshold 3, r0 = 3 + 7 + 2 = 12 needs 3 hidden as well (the smallest other cell)
    assert grid(s.suppress(frame([[3, 7, 2]]), 3, row_totals=True)) == [["*", "7", "<3", "12"]]
    # threshold 1: nothing is small
    assert grid(s.suppress(frame([[1, 2]]), 1, row_totals=True)) == [["1", "2", "3"]]
    assert "1 to 9" in s.note(10) and "<10" in s.note(10)


def test_large_counts_have_thousands_separators():
    assert grid(s.suppress(frame([[1234, 5]]))) == [["1,234", "5"]]


def test_percentages():
    assert s.pct_display(3, 4) == "–"              # denominator below 5
    assert s.pct_display(0, 0) == "–"              # nothing to divide by
    assert s.pct_display(2, 5) == "40.0%"          # denominator 5 is enough
    assert s.pct_display(6, 12, hidden=True) == "–"   # a count behind it is hidden
    assert s.pct_display(7, 15) == "46.7%"
    assert s.pct_display(7, 9, 10) == "–"          # threshold 10


@pytest.mark.parametrize("bad", [[[-1, 2]], [[1.5, 2]], [[float("nan"), 2]]])
def test_counts_must_be_whole_and_not_negative(bad):
    with pytest.raises(ValueError):
        s.suppress(frame(bad))


@pytest.mark.parametrize("threshold", [0, -5, 2.5, True])
def test_threshold_must_be_a_whole_number_of_at_least_one(threshold):
    with pytest.raises(ValueError):
        s.suppress(frame([[1, 2]]), threshold)


def test_suppress_with_the_mask_already_worked_out():
    # 3 is primary (<5); in the column with its total, 8 (the next smallest) is hidden too.
    counts = pd.DataFrame({"n": [3, 8, 20]}, index=["a", "b", "c"])
    mask = s.suppression_mask(counts, 5, column_totals=True)
    shown = s.suppress(counts, 5, column_totals=True, mask=mask)
    assert list(shown["n"]) == ["<5", "*", "20", "31"]
    pd.testing.assert_frame_equal(shown, s.suppress(counts, 5, column_totals=True))
