"""Data extracts: CSV and XLSX with formula-like text neutralised (numbers stay numbers), and the
"for circulation" version with small numbers suppressed."""
import io

import openpyxl
import pandas as pd

from analytics.exports import csv_bytes, for_circulation, xlsx_bytes

RISKY = pd.DataFrame({
    "team": ["=HYPERLINK(\"x\")", "+44 123", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "Plain"],
    "n": [1, 2, 3, 4, 5, 6, 7],
    "change": [-1.5, 0.0, 2.0, -3.0, 1.0, 0.5, -0.25],
})


def test_csv_neutralises_formula_text_and_leaves_numbers():
    text = csv_bytes(RISKY).decode("utf-8-sig")
    rows = text.splitlines()
    assert rows[0] == "team,n,change"
    assert rows[1].startswith("\"'=HYPERLINK(\"\"x\"\")\",1,-1.5")
    assert rows[2] == "'+44 123,2,0.0"
    assert rows[3] == "'-2+3,3,2.0"
    assert rows[4] == "'@SUM(A1),4,-3.0"
    assert rows[5] == "'\tTab,5,1.0"
    assert "'\rCR" in text
    assert rows[-1] == "Plain,7,-0.25"


def test_xlsx_neutralises_text_and_keeps_number_cells():
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(RISKY, "grades"))).active
    assert ws.title == "grades"
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [v[0] for v in values] == ["'=HYPERLINK(\"x\")", "'+44 123", "'-2+3", "'@SUM(A1)", "'\tTab", "'\rCR",
                                      "Plain"]
    assert all(ws.cell(r, 1).data_type == "s" for r in range(2, 9))      # text, never a formula
    assert [v[1] for v in values] == [1, 2, 3, 4, 5, 6, 7]
    assert values[0][2] == -1.5 and ws.cell(2, 3).data_type == "n"


def test_for_circulation_suppresses_small_counts_and_their_percentages():
    df = pd.DataFrame({"service": ["AI", "CF", "PT", "MASH"], "n": [3, 12, 20, 0], "good": [2, 4, 15, 0],
                       "good_pct": [66.7, 33.3, 75.0, None], "median_days": [3, 4, 2, 1]})
    out = for_circulation(df, 5)
    assert list(out["n"]) == ["<5", 12, 20, 0]
    assert list(out["good"]) == ["<5", "<5", 15, 0]
    # AI: n below 5; CF: its numerator is hidden and would come back from n x %; PT shown; MASH none.
    assert list(out["good_pct"])[:3] == ["–", "–", 75.0]
    assert list(out["median_days"]) == [3, 4, 2, 1]      # days are not counts
    assert list(out["service"]) == ["AI", "CF", "PT", "MASH"]


def test_for_circulation_threshold_from_configuration():
    df = pd.DataFrame({"n": [7, 12]})
    assert list(for_circulation(df, 10)["n"]) == ["<10", 12]
