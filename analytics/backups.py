"""The history of loads and undoing one of them.

Each load records, by key, the rows it inserted, updated or removed (``load_changes``), and the write
path keeps the generation it replaced as that load's snapshot (the last N, configurable). Undoing
load L puts back exactly those rows as they were before L: the rows L inserted are deleted, the rows
it updated or removed come back from the snapshot. Loads after L that touched none of those rows keep
their changes; if any later load (or undo, or retention purge) touched one of them, the undo is
refused and names those loads, because putting back the old rows would silently discard theirs.
An undo is itself recorded as a load, so it shows in the history and can be checked against.
"""
from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass

import duckdb

from .database import Database, key_sql, refresh_derived
from .datasets import BY_NAME, qi, references
from .erasure import PURGE_PREFIX

UNDO_PREFIX = "undo of load "
# An undo's own rows in load_history: named "undo of load N" and, unlike a loaded file (even one a user named
# so), with no fingerprint.
UNDO_ROW = "regexp_full_match(file_name, 'undo of load [0-9]+') AND sha256 IS NULL"


def _undone_load(file_name: str | None, is_undo: bool) -> int | None:
    return int(file_name[len(UNDO_PREFIX):]) if is_undo and file_name else None


class UndoRefused(Exception):
    pass


@dataclass
class Load:
    load_id: int
    loaded_at: dt.datetime
    loaded_by: str | None
    files: list[tuple[str, str | None, str, int, int, int, int]]   # file, sheet, dataset, counts
    snapshot: bool
    undone_by: int | None


def history(db: Database) -> list[Load]:
    """Every load, newest first, with whether its snapshot is kept and which load undid it."""
    snaps = db.snapshots()
    with db.read() as con:
        rows = con.execute("SELECT load_id, loaded_at, loaded_by, file_name, sheet, dataset, inserted, updated, "
                           "unchanged, removed FROM load_history ORDER BY load_id DESC, file_name, sheet").fetchall()
        undo_rows = dict(con.execute(f"SELECT load_id, true FROM load_history WHERE {UNDO_ROW}").fetchall())
    loads: dict[int, Load] = {}
    for load_id, at, by, file, sheet, dataset, ins, upd, unch, rem in rows:
        load = loads.setdefault(load_id, Load(load_id, at, by, [], load_id in snaps, None))
        load.files.append((file, sheet, dataset, ins, upd, unch, rem))
    for load in loads.values():
        undone = _undone_load(load.files[0][0], undo_rows.get(load.load_id, False))
        if undone in loads:
            loads[undone].undone_by = load.load_id
    return list(loads.values())


def history_lines(db: Database) -> list[str]:
    out = []
    for load in history(db):
        notes = ["snapshot kept" if load.snapshot else "no snapshot"]
        if load.undone_by:
            notes.append(f"undone by load {load.undone_by}")
        out.append(f"load {load.load_id}  {load.loaded_at:%Y-%m-%d %H:%M}  {load.loaded_by or '-'}  "
                   f"({'; '.join(notes)})")
        for file, sheet, dataset, ins, upd, unch, rem in load.files:
            where = f"{file} [{sheet}]" if sheet else file
            out.append(f"    {where} -> {dataset}: {ins} inserted, {upd} updated, {unch} unchanged, {rem} removed")
    return out


def _refuse_orphans(con, load_id: int, changed: set[str]) -> None:
    """Refuse (so the write is discarded) an undo that removed a row later loads' rows refer to: an audit whose
    pillar grades or follow-up a later load stored (data-contract: references exist after every change)."""
    loads: set[int] = set()
    what: list[str] = []
    for child, rule in references():
        if rule.dataset not in changed:
            continue
        c, col = qi(child.name), qi(rule.column)
        orphans = [k for (k,) in con.execute(
            f"SELECT {key_sql(child, 'c.')} FROM {c} c ANTI JOIN {qi(rule.dataset)} p "
            f"ON c.{col} = p.{qi(rule.target)} WHERE c.{col} IS NOT NULL").fetchall()]
        if orphans:
            what.append(f"{child.name} rows referring to {rule.dataset} it would remove")
            loads |= {r[0] for r in con.execute(
                "SELECT DISTINCT load_id FROM load_changes WHERE dataset = ? AND key IN (SELECT unnest(?)) "
                "AND load_id > ?", [child.name, orphans, load_id]).fetchall()}
    if what:
        names = ", ".join(str(x) for x in sorted(loads)) or "later"
        raise UndoRefused(f"load {load_id} cannot be undone: load{'s' if len(loads) > 1 else ''} {names} stored "
                          f"{' and '.join(what)}; undo {'those' if len(loads) > 1 else 'that'} first, newest first")


def undo(db: Database, load_id: int, user: str | None = None) -> int:
    """Restore the rows load ``load_id`` changed to their state before it; returns the undo's own load id.

    Raises UndoRefused (nothing changed) when the load is unknown or already undone, when a later load
    touched one of its rows, or when the snapshot it needs is no longer kept.
    """
    with db.write(snapshot=True) as con:
        files = [r[0] for r in con.execute("SELECT file_name FROM load_history WHERE load_id = ?",
                                           [load_id]).fetchall()]
        if not files:
            raise UndoRefused(f"there is no load {load_id}: `qa-dashboard history` lists the loads")
        if any(f.startswith(PURGE_PREFIX) for f in files):
            raise UndoRefused(f"load {load_id} is a retention purge, which cannot be undone: the rows past the "
                              f"retention period are kept nowhere, not even in a snapshot (that is what the purge "
                              f"is for); load them again from the council's files if they are needed")
        done = con.execute(f"SELECT min(load_id) FROM load_history WHERE file_name = ? AND {UNDO_ROW}",
                           [f"{UNDO_PREFIX}{load_id}"]).fetchall()[0][0]
        if done:
            raise UndoRefused(f"load {load_id} was already undone by load {done}")
        # A later load already undone, and its undo, cancel out: they do not block.
        undone = dict(con.execute(
            f"SELECT CAST(substr(file_name, ?) AS BIGINT), load_id FROM load_history WHERE {UNDO_ROW}",
            [len(UNDO_PREFIX) + 1]).fetchall())
        # Only while the undo stands: an undo that was itself undone (a redo) put load m's changes back.
        cancelled = {x for m, u in undone.items() if m > load_id and u not in undone for x in (m, u)}
        later = [r[0] for r in con.execute(
            "SELECT DISTINCT m.load_id FROM load_changes m JOIN load_changes l USING (dataset, key) "
            "WHERE l.load_id = ? AND m.load_id > ? ORDER BY 1", [load_id, load_id]).fetchall()
            if r[0] not in cancelled]
        if later:
            names = ", ".join(str(x) for x in later)
            raise UndoRefused(f"load {load_id} cannot be undone: later load{'s' if len(later) > 1 else ''} "
                              f"{names} changed rows it inserted, updated or removed; undo "
                              f"{'those' if len(later) > 1 else 'that'} first, newest first")
        changes = con.execute("SELECT dataset, key, change FROM load_changes WHERE load_id = ? ORDER BY 1, 2",
                              [load_id]).fetchall()
        needs_snapshot = any(change != "inserted" for _, _, change in changes)
        snapshot = db.snapshots().get(load_id)
        if needs_snapshot and snapshot is None:
            raise UndoRefused(f"load {load_id} cannot be undone: it updated or removed rows and the snapshot "
                              f"taken before it is no longer kept (the last {db.config['backups']['keep']} "
                              f"are kept: backups.keep)")
        new_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM load_history").fetchall()[0][0]
        now = dt.datetime.now()
        by_dataset: dict[str, list[tuple[str, str]]] = {}
        for dataset, key, change in changes:
            by_dataset.setdefault(dataset, []).append((key, change))
        for dataset, items in by_dataset.items():
            ds = BY_NAME[dataset]
            keys = [k for k, _ in items]
            old_keys = [k for k, c in items if c != "inserted"]
            con.execute(f"DELETE FROM {qi(ds.name)} WHERE {key_sql(ds)} IN (SELECT unnest($keys))", {"keys": keys})
            if old_keys:
                snap = duckdb.connect(str(snapshot), read_only=True)
                try:
                    old = snap.sql(f"SELECT * FROM {qi(ds.name)} WHERE {key_sql(ds)} IN (SELECT unnest($k))",
                                       params={"k": old_keys}).to_arrow_table()
                finally:
                    snap.close()
                con.register("_undo_rows", old)
                con.execute(f"INSERT INTO {qi(ds.name)} SELECT * FROM _undo_rows")
                con.unregister("_undo_rows")
            con.execute("INSERT INTO load_changes SELECT $id, $ds, unnest($keys), 'undone'",
                        {"id": new_id, "ds": dataset, "keys": keys})
            inserted = sum(c == "removed" for _, c in items)
            updated = sum(c == "updated" for _, c in items)
            removed = sum(c == "inserted" for _, c in items)
            con.execute("INSERT INTO load_history VALUES (?, ?, ?, ?, NULL, NULL, ?, ?, ?, 0, ?, 0, FALSE)",
                        [new_id, now, user or getpass.getuser(), f"{UNDO_PREFIX}{load_id}", dataset,
                         inserted, updated, removed])
        if not by_dataset:  # a load that changed nothing: its undo is still recorded
            con.execute("INSERT INTO load_history VALUES (?, ?, ?, ?, NULL, NULL, NULL, 0, 0, 0, 0, 0, FALSE)",
                        [new_id, now, user or getpass.getuser(), f"{UNDO_PREFIX}{load_id}"])
        _refuse_orphans(con, load_id, set(by_dataset))
        # Restored rows keep their old load ids, so the derived tables' fingerprint (counts, latest load id)
        # may not move: rebuild them outright.
        refresh_derived(con, force=True)
    return new_id
