"""The short soak: one simulated year of monthly loads while three readers query continuously
(benchmarks/soak.py runs ten years)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import soak  # noqa: E402


def test_monthly_loads_under_continuous_reads_equal_one_bulk_load(tmp_path):
    result = soak.run(tmp_path, years=1, per_month=40, readers=3)
    assert result["errors"] == []
    assert result["equal_to_bulk_load"]
    assert result["reads"] > result["months"]        # the readers really ran alongside the loads
    assert result["summaries_computed"] > 0
    assert result["snapshots_kept"] == 10

