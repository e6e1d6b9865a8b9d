"""fetch_df gives the frame DuckDB's .df() gives (types included), through Arrow."""
import duckdb
import pandas as pd
import pytest

from analytics.frames import fetch_df

SQL = ("SELECT * FROM (VALUES ('a', DATE '2025-01-31', NULL::VARCHAR, 1, true, NULL::DATE), "
       "('b', NULL, NULL, NULL, NULL, DATE '2025-02-01')) t(ref, day, blank, n, flag, other) WHERE ref <= ?")


@pytest.mark.parametrize("last", ["b", "a", ""])   # two rows, one row, no rows
def test_fetch_df_equals_df(last):
    con = duckdb.connect()
    expected = con.execute(SQL, [last]).df()
    got = fetch_df(con, SQL, [last])
    assert dict(got.dtypes) == dict(expected.dtypes)
    pd.testing.assert_frame_equal(got, expected)


def test_fetch_df_after_a_result_left_unread():
    """A page's calls share one cursor: an earlier fetchone() leaves its result unfinished, which DuckDB's
    con.sql refuses to run after; fetch_df finishes it first."""
    con = duckdb.connect()
    assert con.execute("SELECT * FROM range(3)").fetchone() == (0,)
    assert list(fetch_df(con, SQL, ["b"])["ref"]) == ["a", "b"]
