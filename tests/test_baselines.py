"""The pandas baselines of the learning-loop pages (benchmarks/baseline_other_pages.py) give the pages' answers.

Every CHECKS entry compares a baseline's figures with the analytics functions' on the demo database, for the
default filters and for one service, so a baseline cannot drift into computing something cheaper."""
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import baseline_other_pages as baseline  # noqa: E402

from analytics.config import Config  # noqa: E402
from analytics.database import Database  # noqa: E402
from analytics.filters import Filters, default_period, filter_options  # noqa: E402


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from analytics.demo import build_demo
    path = tmp_path_factory.mktemp("baselines") / "qa.duckdb"
    build_demo(path, seed=3)
    with Database(path).read() as con:
        yield con, baseline.frames(con), default_period(filter_options(con)["months"])


def test_every_page_has_a_baseline_and_a_check():
    assert set(baseline.PAGES) == set(baseline.CHECKS) == {
        "voice", "themes", "escalations", "actions", "observations", "reviews", "dip_samples", "kpis", "impact"}


@pytest.mark.parametrize("service", [None, "CF"])
@pytest.mark.parametrize("page", sorted(baseline.CHECKS))
def test_the_pandas_baseline_gives_the_pages_answer(demo, page, service):
    con, frames, (first, last) = demo
    f = Filters(first, last, services=(service,) if service else None)
    assert baseline.PAGES[page](frames, f, Config()) is not None
    baseline.CHECKS[page](con, frames, f, Config())


def test_a_check_fails_when_the_baseline_counts_something_else(demo, monkeypatch):
    con, frames, (first, last) = demo
    f = Filters(first, last)
    for page, table, date in (("escalations", "escalations", "raised_date"), ("voice", "feedback", "received_date"),
                              ("actions", "actions", "raised_date"), ("themes", "reviews", "review_date")):
        df = frames[table]
        wrong = dict(frames, **{table: df.drop(index=df[date].idxmax())})     # the period's latest record lost
        with pytest.raises(AssertionError):
            baseline.CHECKS[page](con, wrong, f, Config())
