"""Erasing one child's rows, and purging rows older than the retention period.

Erasure removes every row about the child from the database and from every kept snapshot, and
records only that an erasure happened (when, by whom, how many rows), never whose. Rows about the
child: its audits, dip-sample rows and escalations (by ``child_ref``), and its audits' pillar grades,
follow-ups and rows in published months' audit snapshots; a reflective activity or learning action that pointed at one of its audits or
escalations keeps its learning but loses the pointer. The keys of the removed rows leave the load
history too. Each file is rewritten with only its live data (DuckDB would otherwise keep deleted
rows' bytes in free blocks until they are reused).

The retention purge, run on request, removes rows whose date (each dataset's main date; a staff
member's end date) is older than ``retention_months``, with the rows that belong to them; it is
recorded as a load, so ``undo`` of an older load that touched those rows is refused.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .database import Database, compact, ensure_tables, key_sql, refresh_derived
from .datasets import BY_NAME, DATASETS, qi

CHILD_DATASETS = ("audits", "dip_samples", "escalations")


@dataclass
class Erasure:
    rows: int
    snapshots: int


def _delete(con, dataset: str, where: str, params: dict) -> int:
    """Delete the rows of ``dataset`` matching ``where`` and their keys from load_changes; returns the count."""
    ds = BY_NAME[dataset]
    keys = [r[0] for r in con.execute(f"SELECT {key_sql(ds)} FROM {qi(dataset)} WHERE {where}", params).fetchall()]
    if keys:
        con.execute(f"DELETE FROM {qi(dataset)} WHERE {key_sql(ds)} IN (SELECT unnest($keys))", {"keys": keys})
        con.execute("DELETE FROM load_changes WHERE dataset = $ds AND key IN (SELECT unnest($keys))",
                    {"ds": dataset, "keys": keys})
    return len(keys)


def _has_publications(con) -> bool:
    """Whether a month was ever published here (publish.py creates its tables on first use)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'publication_audits'"
                            ).fetchone()[0])


def child_ids(con: duckdb.DuckDBPyConnection, child_ref: str) -> tuple[set[str], set[str]]:
    """The ids of the child's audits and escalations in the database ``con`` is connected to."""
    p = {"ref": child_ref}
    return ({r[0] for r in con.execute("SELECT audit_id FROM audits WHERE child_ref = $ref", p).fetchall()},
            {r[0] for r in con.execute("SELECT escalation_id FROM escalations WHERE child_ref = $ref", p).fetchall()})


def erase_rows(con: duckdb.DuckDBPyConnection, child_ref: str, known: tuple[set[str], set[str]] = (set(), set())
               ) -> int:
    """Remove the child's rows from the database ``con`` is connected to; returns how many rows went.

    ``known``: ids of the child's audits and escalations found elsewhere (in a snapshot: an audit a later load
    replaced away or an undo removed), whose pillar grades, follow-ups, published grades and pointers go too."""
    ensure_tables(con)
    p = {"ref": child_ref}
    here_audits, here_escalations = child_ids(con, child_ref)
    # An id known from elsewhere that this database gives to another child is that child's now: left alone.
    others = {r[0] for r in con.execute(
        "SELECT audit_id FROM audits WHERE audit_id IN (SELECT unnest($ids)) AND child_ref IS DISTINCT FROM $ref "
        "UNION ALL SELECT escalation_id FROM escalations WHERE escalation_id IN (SELECT unnest($ids)) "
        "AND child_ref IS DISTINCT FROM $ref", {"ids": sorted(known[0] | known[1]), "ref": child_ref}).fetchall()}
    audits = sorted(here_audits | (known[0] - others))
    escalations = sorted(here_escalations | (known[1] - others))
    a = {"ids": audits}
    n = _delete(con, "audit_pillars", "audit_id IN (SELECT unnest($ids))", a)
    n += _delete(con, "audit_followups", "audit_id IN (SELECT unnest($ids))", a)
    for dataset in CHILD_DATASETS:
        n += _delete(con, dataset, "child_ref = $ref", p)
    # A published month keeps a snapshot of its audits' grades by audit id: the child's go too.
    if _has_publications(con):
        n += con.execute("DELETE FROM publication_audits WHERE audit_id IN (SELECT unnest($ids))",
                         a).fetchone()[0]
    # A dip-sample row's key holds the child's reference: its load history goes even where the row itself
    # already went (undone, or removed by a replace) before the erasure.
    con.execute("DELETE FROM load_changes WHERE dataset = 'dip_samples' AND suffix(key, chr(31) || $ref)", p)
    con.execute("DELETE FROM load_changes WHERE (dataset IN ('audits', 'audit_followups') AND key IN (SELECT unnest($a)))"
                " OR (dataset = 'audit_pillars' AND split_part(key, chr(31), 1) IN (SELECT unnest($a)))"
                " OR (dataset = 'escalations' AND key IN (SELECT unnest($e)))", {"a": audits, "e": escalations})
    # Learning that came from the child's audits stays; the pointer to them goes.
    con.execute("UPDATE reflective_activities SET audit_id = NULL WHERE audit_id IN (SELECT unnest($ids))", a)
    con.execute("UPDATE learning_actions SET source_ref = NULL WHERE source_ref IN (SELECT unnest($ids))",
                {"ids": audits + escalations})
    return n


def _rewrite_snapshot(path: Path, change) -> None:
    """Apply ``change(con)`` to a kept snapshot: a new compacted file replaces it (the link to an older
    generation is broken, so the change reaches only this copy)."""
    work = path.with_name(f".{path.name}.{os.getpid()}.work")
    small = path.with_name(f".{path.name}.{os.getpid()}.small")
    try:
        shutil.copyfile(path, work)
        con = duckdb.connect(str(work))
        try:
            con.execute("BEGIN TRANSACTION")
            change(con)
            refresh_derived(con, force=True)   # the snapshot's final-grade tables follow its rows
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        compact(work, small)
        with open(small, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(small, path)
    finally:
        for leftover in (work, small, work.with_name(work.name + ".wal"), small.with_name(small.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def erase_child(db: Database, child_ref: str, user: str | None = None) -> Erasure:
    """Erase every row about ``child_ref`` from the database and every kept snapshot."""
    snapshots = 0
    with db.write(compacted=True) as con:
        # The child's audits and escalations as any kept snapshot knows them too: one removed from the database
        # since (replaced away, undone) may still have rows that point at it here or there.
        known = child_ids(con, child_ref)
        for path in db.snapshots().values():
            snap = duckdb.connect(str(path), read_only=True)
            try:
                a, e = child_ids(snap, child_ref)
            finally:
                snap.close()
            known = (known[0] | a, known[1] | e)
        rows = erase_rows(con, child_ref, known)
        refresh_derived(con, force=True)   # the final-grade tables hold the child's audits too
        # Under the write lock, so no load reads a snapshot half rewritten.
        for path in db.snapshots().values():
            _rewrite_snapshot(path, lambda c: erase_rows(c, child_ref, known))
            snapshots += 1
        con.execute("INSERT INTO erasures VALUES (?, ?, ?, ?)",
                    [dt.datetime.now(), user or getpass.getuser(), rows, snapshots])
    return Erasure(rows, snapshots)


# --- retention ------------------------------------------------------------------------------------
def cutoff(months: int, today: dt.date) -> dt.date:
    """The first day kept: ``months`` calendar months before today (the day clipped to the month's end)."""
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    m += 1
    for day in (today.day, 30, 29, 28):
        with contextlib.suppress(ValueError):
            return dt.date(y, m, day)
    raise AssertionError


def _old_rows(before: dt.date) -> list[tuple[str, str, dict]]:
    """(dataset, condition, params) for rows older than ``before``, dependants first."""
    b = {"before": before}
    old_audits = "audit_id IN (SELECT audit_id FROM audits WHERE audit_date < $before)"
    out = [("audit_pillars", old_audits, b), ("audit_followups", old_audits, b),
           ("dip_sample_findings", "dip_sample_id IN (SELECT dip_sample_id FROM dip_samples "
                                   "GROUP BY dip_sample_id HAVING max(sample_date) < $before)", b)]
    for ds in DATASETS:
        if ds.main_date:
            out.append((ds.name, f"{qi(ds.main_date)} < $before", b))
    out.append(("staff", "end_date < $before", b))
    return out


PURGE_PREFIX = "retention purge: "   # a purge's rows in load_history: it is recorded as a load, never undone

def purge(db: Database, months: int | None = None, user: str | None = None,
          today: dt.date | None = None) -> tuple[int | None, dict[str, int]]:
    """Remove rows older than the retention period from the database and the kept snapshots.

    Returns the purge's load id (None when nothing was old enough) and the rows removed per dataset.
    """
    months = db.config["retention_months"] if months is None else months
    if months < 1:
        raise ValueError("the retention period must be a whole number of months, 1 or more")
    before = cutoff(months, today or dt.date.today())
    counts: dict[str, int] = {}
    purged_audits: list[str] = []
    with db.write(compacted=True) as con:
        load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM load_history").fetchall()[0][0]
        for dataset, where, params in _old_rows(before):
            ds = BY_NAME[dataset]
            keys = [r[0] for r in con.execute(f"SELECT {key_sql(ds)} FROM {qi(dataset)} WHERE {where}",
                                              params).fetchall()]
            if not keys:
                continue
            con.execute(f"DELETE FROM {qi(dataset)} WHERE {key_sql(ds)} IN (SELECT unnest($k))", {"k": keys})
            if dataset == "audits":
                purged_audits += keys
            if "child_ref" in BY_NAME[dataset].key:
                # A key holding a child's reference must not outlive the row in the load history: its changes
                # go (an older load's undo then has nothing of it to put back: the snapshots are purged too).
                con.execute("DELETE FROM load_changes WHERE dataset = $ds AND key IN (SELECT unnest($k))",
                            {"ds": dataset, "k": keys})
            else:
                con.execute("INSERT INTO load_changes SELECT $id, $ds, unnest($k), 'removed'",
                            {"id": load_id, "ds": dataset, "k": keys})
            counts[dataset] = counts.get(dataset, 0) + len(keys)
        refresh_derived(con, force=True)

        def old_out(c):
            for dataset, where, params in _old_rows(before):
                c.execute(f"DELETE FROM {qi(dataset)} WHERE {where}", params)
        # Every kept snapshot, even when the database itself holds nothing that old (a row a later load
        # replaced lives on only in the snapshots).
        for path in db.snapshots().values():
            if _holds_old_rows(path, before):
                _rewrite_snapshot(path, old_out)
        if not counts:
            return None, counts
        if _has_publications(con):
            # A published month's snapshot of a purged audit's grade goes with the audit.
            con.execute("DELETE FROM publication_audits WHERE audit_id IN (SELECT unnest($k))",
                        {"k": purged_audits})
        now = dt.datetime.now()
        for dataset, n in counts.items():
            con.execute("INSERT INTO load_history VALUES (?, ?, ?, ?, NULL, NULL, ?, 0, 0, 0, ?, 0, FALSE)",
                        [load_id, now, user or getpass.getuser(),
                         f"{PURGE_PREFIX}rows dated before {before.isoformat()}", dataset, n])
    return load_id, counts


def _holds_old_rows(path: Path, before: dt.date) -> bool:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return any(con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {qi(dataset)} WHERE {where} LIMIT 1)",
                               params).fetchone()[0] for dataset, where, params in _old_rows(before))
    finally:
        con.close()
