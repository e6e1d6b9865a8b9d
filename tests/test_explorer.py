import pandas as pd

from analytics import explorer


def test_on_screen_keeps_a_short_table_whole():
    table = pd.DataFrame({"Audit": ["A3", "A2", "A1"]})
    shown, caption = explorer.on_screen(table, limit=3)
    assert list(shown["Audit"]) == ["A3", "A2", "A1"]
    assert caption is None


def test_on_screen_cuts_a_long_table_to_the_newest_rows_and_says_so():
    table = pd.DataFrame({"Audit": ["A5", "A4", "A3", "A2", "A1"]})   # newest first, as audit_rows orders them
    shown, caption = explorer.on_screen(table, limit=2)
    assert list(shown["Audit"]) == ["A5", "A4"]
    assert caption == "Showing the newest 2 of 5 audits: the CSV and XLSX downloads below hold all of them."
    assert len(table) == 5          # the table the downloads get is untouched
