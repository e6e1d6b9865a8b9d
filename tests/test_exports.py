"""Data extracts: CSV and XLSX with formula-like text neutralised (numbers stay numbers), and the
"for circulation" version with small numbers suppressed."""
import io

import openpyxl
import pytest
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


def test_for_circulation_reads_column_names_as_whole_words():
    # "Stage 1" holds "age", "decided" and "rapid_review" hold "id", "last 3 months" holds "month": all counts.
    df = pd.DataFrame({"Stage 1": [1, 9], "decided": [2, 9], "rapid_review": [3, 9], "last 3 months": [4, 9],
                       "age_days": [2, 9], "row_rank": [1, 2], "source_ref": ["3", "4"], "Priority": [1, 2]})
    out = for_circulation(df, 5)
    for col in ("Stage 1", "decided", "rapid_review", "last 3 months"):
        assert list(out[col]) == ["<5", 9], col
    for col in ("age_days", "row_rank", "source_ref", "Priority"):     # days, ranks, references: not counts
        assert list(out[col]) == list(df[col]), col


def test_for_circulation_counts_whole_floats_and_count_texts():
    # A pivot's counts are floats where a cell is missing; a KPI's numerator is a float; "n (latest)" is text.
    df = pd.DataFrame({"Good": [6.0, None], "Inadequate": [1.0, 7.0], "numerator": [2.0, 170.0],
                       "value": [33.3, 20.3], "n (latest)": ["3", "1,234"], "England": [3.0, 22.0]})
    out = for_circulation(df, 5)
    assert list(out["Inadequate"]) == ["<5", 7.0] and list(out["numerator"]) == ["<5", 170.0]
    assert list(out["n (latest)"]) == ["<5", "1,234"]
    # not whole: a rate, not a count; but with its numerator hidden the rate goes too (with the denominator,
    # 2 of 6 would come back from 33.3)
    assert list(out["value"]) == ["–", 20.3]
    assert list(out["England"]) == [3.0, 22.0]         # a national benchmark, not the council's count
    assert out["Good"].tolist()[0] == 6.0


def test_for_circulation_blanks_percentage_texts_over_their_own_small_n():
    df = pd.DataFrame({"Quarter": ["Q1", "Q2"], "Upheld": ["100% (21% to 100%)", "40%"], "Upheld (n)": [2, 30],
                       "Feedback": [50, 60]})
    out = for_circulation(df, 5)
    assert list(out["Upheld (n)"]) == ["<5", 30]
    assert list(out["Upheld"]) == ["–", "40%"]


def test_for_circulation_hides_a_second_part_where_a_total_would_give_a_hidden_one_away():
    df = pd.DataFrame({"Quarter": ["Q1", "Q2"], "Feedback": [40, 41], "Email": [2, 20], "MOMO": [30, 12],
                       "Other": [8, 9], "Positive": [20, 21], "Negative": [20, 20]})
    df.attrs["sums"] = [("Feedback", ["Email", "MOMO", "Other"]), ("Feedback", ["Positive", "Negative"])]
    out = for_circulation(df, 5)
    # Q1: Email (2) is hidden, so Other, the next smallest of its line, is too; Feedback stays (a total).
    assert out.loc[0, ["Feedback", "Email", "MOMO", "Other"]].tolist() == [40, "<5", 30, "*"]
    assert out.loc[0, ["Positive", "Negative"]].tolist() == [20, 20]      # nothing hidden in that line
    assert out.loc[1].tolist() == df.loc[1].tolist()
    df.attrs = {}
    # Undeclared, the sums are found from the numbers all the same (the inspection pool's Total, moderation's
    # audits = provisional + moderated, follow-up's judged steps left a hidden count to work out before).
    assert for_circulation(df, 5).loc[0, ["Email", "Other"]].tolist() == ["<5", "*"]
    # Columns that add up in one row only are no equation: nothing more is hidden.
    loose = pd.DataFrame({"n": [40, 41], "a": [2, 20], "b": [38, 12], "c": [5, 6]})
    assert for_circulation(loose, 5).loc[0].tolist() == [40, "<5", 38, 5]


def test_sums_are_found_in_every_row_and_hidden_cells_protected():
    from analytics.exports import found_sums
    # The inspection pool by cohort: four grades and their total.
    pool = pd.DataFrame({"Cohort": ["CIN", "CP"], "Outstanding": [7, 6], "Good": [20, 15],
                         "Requires Improvement": [10, 21], "Inadequate": [1, 1], "Total": [38, 43]})
    assert found_sums({c: pool[c].tolist() for c in pool.columns[1:]}) == [
        ("Total", ["Outstanding", "Good", "Requires Improvement", "Inadequate"])]
    out = for_circulation(pool, 5)
    # Inadequate (1) was 38 - 37: the next smallest of each row goes too.
    assert out.loc[0].tolist() == ["CIN", "*", 20, 10, "<5", 38]
    assert out.loc[1].tolist() == ["CP", "*", 15, 21, "<5", 43]


def test_a_list_of_childrens_records_is_refused_for_circulation():
    import pandas as pd
    from analytics.exports import NotForCirculation, for_circulation
    for column in ("child_ref", "Child ref"):
        with pytest.raises(NotForCirculation, match="individual children's records"):
            for_circulation(pd.DataFrame({column: ["C1"], "n": [12]}), 5)
    assert for_circulation(pd.DataFrame({"service": ["CF"], "n": [3]}), 5)["n"].tolist() == ["<5"]


def test_figures_and_changes_over_a_hidden_count_and_counts_in_texts_are_hidden():
    # A KPI: numerator 1 of 70 is 1.43%, which with the denominator gives the 1 back.
    kpi = pd.DataFrame({"period": ["2023-11-30", "2023-12-31"], "numerator": [1, 10], "denominator": [70, 70],
                        "value": [1.43, 14.3]})
    assert for_circulation(kpi, 5)["value"].tolist() == ["–", 14.3]
    # A trend's point over n = 3.
    trend = pd.DataFrame({"month": ["2025-11", "2025-12"], "n": [3, 12], "good": [3, 6], "value": [100.0, 50.0]})
    assert for_circulation(trend, 5)["value"].tolist() == ["–", 50.0]
    # Dip-sample cycles: each cycle's % is hidden (good < 5), so the change from one to the next must go too,
    # or "+9.5 pts" would pin the counts down; a change beside a row hidden before it goes as well.
    dip = pd.DataFrame({"Theme": ["x", "x", "y", "y"], "Graded": [12, 7, 20, 30], "Good or better": [4, 3, 10, 20],
                        "% good or better": ["33.3%", "42.9%", "50.0%", "66.7%"],
                        "Change (good or better)": ["–", "+9.5 pts", "–", "+16.7 pts"]})
    out = for_circulation(dip, 5)
    assert out["% good or better"].tolist() == ["–", "–", "50.0%", "66.7%"]
    assert out["Change (good or better)"].tolist() == ["–", "–", "–", "+16.7 pts"]
    # A table naming a text column that holds counts: each small one hidden.
    themes = pd.DataFrame({"strand": ["Reviews"], "mentions": [2], "in brief": ["1 CSPR, 1 Team Spotlight; 12 open"]})
    themes.attrs["count_texts"] = ["in brief"]
    assert for_circulation(themes, 5)["in brief"].tolist() == ["<5 CSPR, <5 Team Spotlight; 12 open"]
