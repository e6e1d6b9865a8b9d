"""Months, periods and financial quarters (metrics.md "Periods", "Quarters", impact windows)."""
import datetime as dt

import pytest

from analytics.filters import Filters, add_months, financial_quarter, month_end, month_start, where
from conftest import run_cli

D = dt.date


@pytest.mark.parametrize("day, months, want", [
    (D(2024, 8, 31), -6, D(2024, 2, 29)),    # 31 Feb 2024 -> leap-year end of February
    (D(2025, 8, 31), -6, D(2025, 2, 28)),    # 31 Feb 2025 -> 28 Feb
    (D(2024, 8, 31), 6, D(2025, 2, 28)),     # forwards across a year end, clamped
    (D(2023, 8, 31), 6, D(2024, 2, 29)),
    (D(2024, 1, 31), 1, D(2024, 2, 29)),
    (D(2024, 3, 31), -1, D(2024, 2, 29)),
    (D(2024, 5, 31), 1, D(2024, 6, 30)),     # 31 June -> 30 June
    (D(2024, 8, 31), 3, D(2024, 11, 30)),
    (D(2024, 2, 29), 12, D(2025, 2, 28)),
    (D(2024, 2, 29), 48, D(2028, 2, 29)),
    (D(2024, 2, 29), 1, D(2024, 3, 29)),     # never pushed to the end of a longer month
    (D(2024, 12, 15), 1, D(2025, 1, 15)),
    (D(2025, 1, 15), -1, D(2024, 12, 15)),
    (D(2024, 1, 15), -13, D(2022, 12, 15)),
    (D(2024, 7, 31), -6, D(2024, 1, 31)),
    (D(2024, 5, 31), 0, D(2024, 5, 31)),
])
def test_add_months_clamps_to_a_shorter_month(day, months, want):
    assert add_months(day, months) == want


@pytest.mark.parametrize("day, want", [
    (D(2025, 4, 1), "2025-26 Q1"),
    (D(2025, 4, 10), "2025-26 Q1"),
    (D(2025, 6, 30), "2025-26 Q1"),
    (D(2025, 7, 1), "2025-26 Q2"),
    (D(2025, 9, 30), "2025-26 Q2"),
    (D(2025, 10, 1), "2025-26 Q3"),
    (D(2025, 12, 31), "2025-26 Q3"),
    (D(2026, 1, 1), "2025-26 Q4"),
    (D(2026, 1, 15), "2025-26 Q4"),
    (D(2026, 3, 31), "2025-26 Q4"),
    (D(2026, 4, 1), "2026-27 Q1"),
    (D(1999, 4, 1), "1999-00 Q1"),           # the year after 1999 is written 00
    (D(2000, 2, 1), "1999-00 Q4"),
])
def test_financial_quarter_labels(day, want):
    assert financial_quarter(day) == want


def test_month_bounds():
    assert month_start("2024-02") == D(2024, 2, 1)
    assert month_end("2024-02") == D(2024, 2, 29)
    assert month_end("2025-02") == D(2025, 2, 28)
    assert month_end("2025-04") == D(2025, 4, 30)
    assert month_end("2025-12") == D(2025, 12, 31)
    f = Filters(month_from="2025-01", month_to="2025-02")
    assert (f.start, f.end) == (D(2025, 1, 1), D(2025, 2, 28))   # D is the last day of --to


@pytest.mark.parametrize("bad", ["2025-13", "2025-00", "2025-1", "25-01", "2025/01", "2025-01-01", "202501",
                                 "", " 2025-01", "2025-01 ", "2025-01\n", "Jan 2025", "2025-ab"])
def test_invalid_month_strings_are_refused(bad):
    with pytest.raises(ValueError):
        Filters(month_from=bad)
    with pytest.raises(ValueError):
        Filters(month_to=bad)


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        Filters(month_from="2025-04", month_to="2025-03")
    Filters(month_from="2025-03", month_to="2025-03")   # one month is fine


def test_cli_refuses_a_bad_month(tmp_path):
    code, out, err = run_cli("summary", "--db", tmp_path / "qa.duckdb", "--from", "2025-13")
    assert code == 2 and out == "" and "2025-13" in err


def test_where_is_parameterised_and_combines_service_and_scope():
    f = Filters(month_from="2025-01", month_to="2025-03", services=("AI", "CF"), scope=("CF", "PT"))
    assert f.effective_services() == ("CF",)
    cond, params = where(f, "raised_date")
    assert cond == "raised_date BETWEEN ? AND ? AND list_contains(?, service)"
    assert params == [D(2025, 1, 1), D(2025, 3, 31), ["CF"]]
    assert Filters(scope=("PT",)).effective_services() == ("PT",)
    assert Filters().effective_services() is None
