"""Figures written for people: percentages and differences rounded half away from zero to one decimal
(metrics.md), wherever they are shown (pages, the slide pack, the infographic, the impact table)."""
import pandas as pd
import pytest

from analytics.presentation import format_pct, format_signed, round_half_away
from loadkit import csv_text, load_ok, write


@pytest.mark.parametrize("value, pct, signed", [
    (6.25, "6.3%", "+6.3"), (-6.25, "-6.3%", "−6.3"), (0.04, "0.0%", "0.0"), (-0.04, "-0.0%", "0.0"),
    (12.35, "12.4%", "+12.4"), (None, "–", "–"), (float("nan"), "–", "–")])
def test_ties_round_away_from_zero(value, pct, signed):
    if value is not None and value == value:
        assert format_pct(value) == pct
    else:
        assert format_signed(value) == signed and format_pct(None) == "–"
    assert format_signed(value) == signed
    if value is not None and value == value:
        assert f"{round_half_away(abs(value)):.1f}" == signed.lstrip("+−")


def test_the_impact_table_pack_and_infographic_round_ties_away_from_zero():
    from analytics import infographic, pack
    from analytics.impact_evidence import EFFECT_COLUMNS, effects_table
    row = {c: [None] for c in EFFECT_COLUMNS} | {"pct_before": [6.25], "pct_after": [12.5], "difference_pts": [6.25]}
    t = effects_table(pd.DataFrame(row))
    assert t[[EFFECT_COLUMNS[c] for c in ("pct_before", "pct_after", "difference_pts")]].iloc[0].tolist() == [
        "6.3", "12.5", "+6.3"]
    assert pack._signed(6.25) == "+6.3 pts" and pack._signed(-6.25) == "−6.3 pts"
    assert infographic._signed(6.25) == "up 6.3 pts" and infographic._signed(-0.04) == "no change"


def test_the_overviews_sentence_rounds_a_tie_away_from_zero(db_path, tmp_path):
    # AI: 1 good of 16 (6.25%) in Jan-Mar 2024, 1 of 8 (12.5%) in Apr-Jun: up 6.25 points, shown 6.3.
    rows = [{"audit_id": f"E{i}", "audit_date": f"2024-02-{i + 1:02d}", "service": "AI", "child_ref": f"CE{i}",
             "auditor_grade": "Good" if i == 0 else "Requires Improvement"} for i in range(16)]
    rows += [{"audit_id": f"L{i}", "audit_date": f"2024-05-{i + 1:02d}", "service": "AI", "child_ref": f"CL{i}",
              "auditor_grade": "Good" if i == 0 else "Requires Improvement"} for i in range(8)]
    load_ok(db_path, write(tmp_path, "audits.csv", csv_text("audits", *rows)))
    from analytics import overview
    from analytics.database import Database
    from analytics.filters import Filters
    db = Database(db_path)
    with db.read() as con:
        said = " ".join(overview.sentences(con, Filters("2023-07", "2024-06"), db.config))
    assert "against 6.3% in 2024-01 to 2024-03 (n=16), up 6.3 points" in said, said
