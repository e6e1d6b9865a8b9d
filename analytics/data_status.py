"""What the Data page shows about the stored data: counts, load history, freshness."""
from __future__ import annotations

import pandas as pd

from .config import Config
from .datasets import BY_NAME, DATASETS, references
from .datasets import qi


def row_counts(con, services: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Rows per dataset; with ``services`` (a role that sees only its own), only the rows of those services:
    a dataset's own service column, else its parent's (pillar grades and follow-ups by their audit, findings
    by their dip sample). Datasets with no service at all (KPI definitions, reviews) are counted whole."""
    parts, params = [], []
    for d in DATASETS:
        cond, args = "", []
        if services is not None:
            parent = next((r for c, r in references() if c is d and "service" in BY_NAME[r.dataset].column_names),
                          None)
            if "service" in d.column_names:
                cond, args = " WHERE list_contains(?, service)", [list(services)]
            elif parent is not None:
                cond = (f" WHERE {qi(parent.column)} IN (SELECT {qi(parent.target)} FROM {qi(parent.dataset)} "
                        f"WHERE list_contains(?, service))")
                args = [list(services)]
        parts.append(f"SELECT ? AS dataset, count(*) AS rows FROM {qi(d.name)}{cond}")
        params += [d.name, *args]
    return con.execute(" UNION ALL ".join(parts), params).df()


def load_history(con, limit: int = 200) -> pd.DataFrame:
    return con.execute(
        "SELECT load_id, loaded_at, loaded_by, file_name, sheet, dataset, inserted, updated, unchanged, removed, "
        "warnings, sha256 FROM load_history ORDER BY load_id DESC, file_name LIMIT ?", [limit]).df()


def last_loads(con) -> pd.DataFrame:
    """The last load of each dataset (datasets never loaded show no date)."""
    names = [d.name for d in DATASETS]
    return con.execute(
        "SELECT d.dataset, max(h.loaded_at) AS last_loaded, arg_max(h.file_name, h.loaded_at) AS last_file "
        "FROM (SELECT unnest(?) AS dataset) d LEFT JOIN load_history h USING (dataset) "
        "GROUP BY d.dataset ORDER BY list_position(?, d.dataset)", [names, names]).df()


def months_without_audits(con, config: Config) -> pd.DataFrame:
    """Months (between the first and last audit month) in which a service has no audits."""
    return con.execute(
        # Over the roll-ups (rollups.py): a service's month has audits when it has a row there.
        "WITH bounds AS (SELECT min(month) AS lo, max(month) AS hi FROM audit_service_months), "
        "months AS (SELECT unnest(generate_series(lo, hi, INTERVAL 1 MONTH)) AS m FROM bounds "
        "WHERE lo IS NOT NULL), services AS (SELECT unnest(?) AS service) "
        "SELECT s.service, strftime(m.m, '%Y-%m') AS month FROM months m CROSS JOIN services s "
        "ANTI JOIN audit_service_months a ON a.service = s.service "
        "AND a.month = m.m ORDER BY list_position(?, s.service), month",
        [config.service_codes, config.service_codes]).df()


LABELS = {"dataset": "Dataset", "rows": "Rows", "last_loaded": "Last loaded", "last_file": "Last file",
          "service": "Service", "month": "Month", "load_id": "Load", "loaded_at": "Loaded at",
          "loaded_by": "Loaded by", "file_name": "File", "sheet": "Sheet", "inserted": "Inserted",
          "updated": "Updated", "unchanged": "Unchanged", "removed": "Removed", "warnings": "Warnings",
          "sha256": "File fingerprint (SHA-256)"}


def readable(df: pd.DataFrame) -> pd.DataFrame:
    """A status table for people: plain column names, blanks instead of None, times to the second."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M:%S")
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].fillna("")
    return out.rename(columns=LABELS)
