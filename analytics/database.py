"""The one module that owns the DuckDB file: schema, read connections and the only write path.

Publishing by generations: a write copies the published file to a private
new file, changes that copy in one transaction, checkpoints and closes it,
then renames it over the published name (``os.replace`` is atomic). Readers
open the published file read-only for one run and close it, so a reader sees
the state before a load or after it, never between; a crash mid-load leaves
the published file untouched. Writers take an exclusive lock file, so loads
from the CLI and the Data page queue rather than collide.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import importlib
import os
import re
import shutil
import threading
import uuid
from pathlib import Path
from typing import Iterator

import duckdb

from . import grade_days, rollups
from .config import Config
from .datasets import DATASETS, Dataset
from .datasets import qi

SCHEMA_VERSION = 1


def data_dir() -> Path:
    return Path(os.environ.get("QA_DASHBOARD_DATA_DIR") or "data")


def write_memory_limit() -> str:
    """DuckDB's memory limit for a load: $QA_DASHBOARD_LOAD_MEMORY (e.g. 4GB), else 2GB."""
    value = os.environ.get("QA_DASHBOARD_LOAD_MEMORY") or "2GB"
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value, re.IGNORECASE):
        raise ValueError(f"QA_DASHBOARD_LOAD_MEMORY must be a size such as 2GB, not {value!r}")
    return value


# Per process: the DuckDB instance of each database file's current generation (see Database.read).
_OPEN: dict[str, "_Instance"] = {}
_OPEN_LOCK = threading.Lock()
_OPEN_MAX = 8


class _Instance:
    """One generation's DuckDB instance; closed once replaced by a newer generation and no read uses it."""

    def __init__(self, generation: tuple, path: str):
        self.generation, self.active, self.retired = generation, 0, False
        self.base = duckdb.connect(":memory:")
        try:
            self.base.execute(f"ATTACH '{path.replace(chr(39), chr(39) * 2)}' AS qa (READ_ONLY)")
            self.base.execute("USE qa")
        except BaseException:
            self.base.close()
            raise

    def cursor(self) -> duckdb.DuckDBPyConnection:
        self.active += 1
        return self.base.cursor()

    def release(self, con) -> None:
        con.close()
        self.active -= 1
        if self.retired and not self.active:
            self.base.close()

    def retire(self) -> None:
        self.retired = True
        if not self.active:
            self.base.close()


def _generation(path: Path) -> tuple:
    """What identifies a published generation: a load replaces the file, so the inode changes."""
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size


class NewerSchemaError(RuntimeError):
    pass


def resolve_path(path: str | os.PathLike | None = None) -> Path:
    """The council's database: --db, else $QA_DASHBOARD_DB, else data/qa.duckdb."""
    return Path(path or os.environ.get("QA_DASHBOARD_DB") or data_dir() / "qa.duckdb")


def demo_path() -> Path:
    """The demo database lives in its own file, never mixed with the council's."""
    return data_dir() / "demo.duckdb"


def table_ddl(ds: Dataset) -> str:
    cols = [f"{qi(c.name)} {c.sql_type}{' NOT NULL' if c.name in ds.key else ''}" for c in ds.columns]
    cols.append("_load_id BIGINT")
    # No PRIMARY KEY: the only write path (loader.load_files -> upsert) refuses a repeated key in a load and
    # replaces stored rows by key, so keys stay unique; the index cost a third of a large load's time
    # and no query uses it. Databases created with the key keep it and still work.
    return f"CREATE TABLE {qi(ds.name)} ({', '.join(cols)})"


# The audits with their final grade, and the pillar grades with their audit's columns: every audit figure
# reads these. They are tables, rebuilt inside the write that changes what they derive from (so a reader
# never sees them stale: they are published in the same generation as the rows). The audits are sorted by
# date so that a period's query reads only that period's blocks; sorting 7,000,000 pillar rows would cost more
# than it saves. Built as views they cost a join of every pillar row to its audit on every query (about a
# second at 7,000,000 pillar rows).
AUDITS_FINAL = """
SELECT a.*,
       coalesce(a.benchmarked_grade, a.moderated_grade, a.auditor_grade) AS final_grade,
       gf.rank AS final_rank,
       ga.rank AS auditor_rank,
       gm.rank AS moderated_rank,
       gb.rank AS benchmarked_rank,
       a.moderated_grade IS NULL AS provisional,
       strftime(a.audit_date, '%Y-%m') AS audit_month
FROM audits a
LEFT JOIN grade_scale gf ON gf.label = coalesce(a.benchmarked_grade, a.moderated_grade, a.auditor_grade)
LEFT JOIN grade_scale ga ON ga.label = a.auditor_grade
LEFT JOIN grade_scale gm ON gm.label = a.moderated_grade
LEFT JOIN grade_scale gb ON gb.label = a.benchmarked_grade
ORDER BY a.audit_date"""

AUDIT_PILLARS_FINAL = """
SELECT p.audit_id, p.pillar, p.auditor_grade, p.moderated_grade,
       coalesce(p.moderated_grade, p.auditor_grade) AS final_grade,
       g.rank AS final_rank,
       a.audit_date, a.service, a.team, a.cohort, a.auditor_role,
       a.provisional, a.final_rank AS audit_rank,
       a.child_age_band, a.child_gender, a.child_ethnicity_group, a.child_disability
FROM audit_pillars p
JOIN audits_final a USING (audit_id)
LEFT JOIN grade_scale g ON g.label = coalesce(p.moderated_grade, p.auditor_grade)"""

# What the derived tables are built from: a load that changes a dataset changes its row count or its
# latest load id (every inserted or updated row carries its load's id); the grade scale comes from the
# configuration. Each group of derived tables follows only its own datasets, so a feedback file does not
# rebuild the audit tables.
DERIVED_VERSION = "v12"   # raise when the derived tables' definition changes: the next read rebuilds them


def _refresh_audit_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE OR REPLACE TABLE audits_final AS {AUDITS_FINAL}")
    con.execute(f"CREATE OR REPLACE TABLE audit_pillars_final AS {AUDIT_PILLARS_FINAL}")
    rollups.refresh(con)   # the per-month counts of audits_final, in the same write
    grade_days.refresh(con)     # derived from the two above: rebuilt with them, never apart


def _refresh_of(module: str):
    """``analytics.<module>.refresh``, imported when a write first rebuilds its group: the pages' modules import
    pandas, which a command that only reads (``qa-dashboard summary``) should not pay for."""
    def refresh(con: duckdb.DuckDBPyConnection) -> None:
        importlib.import_module(f"{__package__}.{module}").refresh(con)
    return refresh


# group name -> (the datasets it is built from, the function rebuilding its tables); rebuilt in this order.
DERIVED_GROUPS = {
    "audits": (("audits", "audit_pillars"), _refresh_audit_tables),
    # after "audits": built from audits_final, audit_pillars_final
    "followup": (("audits", "audit_followups"), _refresh_of("followup")),
    "moderation": (("audits", "audit_pillars"), _refresh_of("moderation")),
    "voice": (("feedback", "complaints"), _refresh_of("voice")),
    "escalations": (("escalations",), _refresh_of("escalations")),
}


def _group_states_sql() -> str:
    def state(tables):
        parts = " || '/' || ".join(f"(SELECT count(*) || ':' || coalesce(max(_load_id), 0) FROM {qi(t)})"
                                   for t in tables)
        return f"'{DERIVED_VERSION}/' || {parts} || '/' || (SELECT coalesce(string_agg(label || '=' || rank, " \
               f"',' ORDER BY rank), '') FROM grade_scale)"
    return "SELECT " + ", ".join(f"{state(tables)} AS {qi(name)}" for name, (tables, _) in DERIVED_GROUPS.items())


def _stored_states(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    # Looked up, not tried: a failed statement would abort the load's transaction. None yet, or the one-row
    # table of before v10, is no state.
    if not con.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = '_derived_state' "
                       "AND column_name = 'grp'").fetchone()[0]:
        return {}
    return dict(con.execute("SELECT grp, state FROM _derived_state").fetchall())


def _derived_current(con: duckdb.DuckDBPyConnection) -> bool:
    stored = _stored_states(con)
    return all(stored.get(name, "").startswith(DERIVED_VERSION + "/") for name in DERIVED_GROUPS)


def refresh_derived(con: duckdb.DuckDBPyConnection, force: bool = False) -> bool:
    """Rebuild each group of derived tables (audits_final, audit_pillars_final and what derives from them:
    analytics/rollups.py, analytics/grade_days.py; then DERIVED_GROUPS' others) whose datasets have changed;
    True if any was rebuilt."""
    states = dict(zip(DERIVED_GROUPS, con.execute(_group_states_sql()).fetchone()))
    stored = _stored_states(con)
    kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables "
                             "WHERE table_name IN ('audits_final', 'audit_pillars_final')").fetchall())
    if kinds.get("audits_final") != "BASE TABLE":
        stored.pop("audits", None)
    stale = [name for name in DERIVED_GROUPS if force or stored.get(name) != states[name]]
    if not stale:
        return False
    for name in ("audit_pillars_final", "audits_final"):  # views in a database written before they were tables
        if kinds.get(name) == "VIEW":
            con.execute(f"DROP VIEW {name}")
    for name in stale:
        DERIVED_GROUPS[name][1](con)
    con.execute("CREATE OR REPLACE TABLE _derived_state (grp VARCHAR, state VARCHAR)")
    con.executemany("INSERT INTO _derived_state VALUES (?, ?)", list(states.items()))
    return True


def create_schema(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, created_at TIMESTAMP NOT NULL)")
    con.execute("INSERT INTO schema_version VALUES (?, ?)", [SCHEMA_VERSION, dt.datetime.now()])
    con.execute("CREATE TABLE grade_scale (label VARCHAR PRIMARY KEY, rank INTEGER NOT NULL)")
    for ds in DATASETS:
        con.execute(table_ddl(ds))
    con.execute("""CREATE TABLE load_history (
        load_id BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL, loaded_by VARCHAR, file_name VARCHAR,
        sheet VARCHAR, sha256 VARCHAR, dataset VARCHAR, inserted BIGINT, updated BIGINT,
        unchanged BIGINT, removed BIGINT, warnings BIGINT, replaced BOOLEAN)""")
    ensure_tables(con)
    sync_grade_scale(con, config)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Tables added after schema version 1, created in older databases on their next write."""
    # The rows each load inserted, updated or removed, by key: what `undo` reverts and checks.
    con.execute("""CREATE TABLE IF NOT EXISTS load_changes (
        load_id BIGINT NOT NULL, dataset VARCHAR NOT NULL, key VARCHAR NOT NULL, change VARCHAR NOT NULL)""")
    # A first load into an empty table inserted every row that carries its load id: it is noted here, and its
    # keys go into load_changes at the start of the next write (list_pending_changes), before anything can
    # change those rows. Writing millions of keys at once made a third of a large first load's time.
    con.execute("""CREATE TABLE IF NOT EXISTS load_changes_pending (load_id BIGINT NOT NULL, dataset VARCHAR NOT NULL)""")
    # That an erasure happened, never whose.
    con.execute("""CREATE TABLE IF NOT EXISTS erasures (
        erased_at TIMESTAMP NOT NULL, erased_by VARCHAR, rows_removed BIGINT, snapshots_rewritten BIGINT)""")


def list_pending_changes(con: duckdb.DuckDBPyConnection) -> None:
    """Put the keys of the rows inserted by a noted first load (load_changes_pending) into load_changes.

    Run at the start of every write, so every writer (load, undo, erasure, purge) sees the full
    load_changes: until then nothing has changed the table since that load, so its rows carrying the load's
    id are exactly those it inserted.
    """
    from .datasets import BY_NAME
    for load_id, dataset in con.execute("SELECT load_id, dataset FROM load_changes_pending ORDER BY 1, 2").fetchall():
        ds = BY_NAME[dataset]
        con.execute(f"INSERT INTO load_changes SELECT ?, ?, {key_sql(ds)}, 'inserted' FROM {qi(ds.name)} "
                    f"WHERE _load_id = ?", [load_id, dataset, load_id])
    con.execute("DELETE FROM load_changes_pending")


def key_sql(ds: Dataset, alias: str = "") -> str:
    """A row's key as one text value (unit separator between the parts of a composite key)."""
    parts = [f"CAST({alias}{qi(k)} AS VARCHAR)" for k in ds.key]
    return parts[0] if len(parts) == 1 else f"concat_ws(chr(31), {', '.join(parts)})"


def backup_dir(path: Path) -> Path:
    return path.with_name(path.name + ".backups")


def snapshot_path(path: Path, load_id: int) -> Path:
    return backup_dir(path) / f"before-load-{load_id:06d}.duckdb"


def compact(src: Path, dst: Path) -> None:
    """Copy only the live data of ``src`` into a new file ``dst``: deleted rows leave no bytes behind."""
    con = duckdb.connect(str(dst))
    try:
        con.execute("ATTACH ? AS src (READ_ONLY)", [str(src)])
        here = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute(f"COPY FROM DATABASE src TO {qi(here)}")
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def sync_grade_scale(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    con.execute("DELETE FROM grade_scale")
    con.executemany("INSERT INTO grade_scale VALUES (?, ?)",
                    [(label, rank) for rank, label in enumerate(config.grade_labels, start=1)])


def check_version(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    try:
        version = con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    except duckdb.CatalogException:
        raise NewerSchemaError(f"{path} is not a qa-dashboard database (it has no schema version)") from None
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"{path} was written by a newer qa-dashboard (schema version {version}); this one understands "
            f"up to version {SCHEMA_VERSION}. Upgrade qa-dashboard to open it.")
    return version


class Database:
    """A published database file and its write path."""

    def __init__(self, path: str | os.PathLike | None = None, config: Config | None = None):
        self.path = resolve_path(path)
        self.config = config or Config()

    @property
    def exists(self) -> bool:
        return self.path.exists()

    # --- reading ----------------------------------------------------------------
    @contextlib.contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only cursor on the published generation, closed after use (see ``reading``)."""
        with self.reading() as (con, _):
            yield con

    @contextlib.contextmanager
    def reading(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, tuple]]:
        """A read-only cursor on the published generation and that generation's identity, closed after use.

        The generation is the one the cursor reads, so a result cache keyed on it never files old figures
        under a newer generation (``ui.cached``).

        One DuckDB instance per published generation is kept per process and every read gets its own cursor
        on it (threads never share one): no open, attach and version check per page view. A load publishes
        a new file (a new inode), which the next read notices and opens afresh; reads still running finish on
        the generation they started on. (``duckdb.connect(path)`` cannot be used for this: while any connection
        to the path is open it hands back the same instance, i.e. the replaced generation, indefinitely.)
        """
        if not self.exists:
            self.initialise()
        key = str(self.path.resolve())
        with _OPEN_LOCK:
            generation = _generation(self.path)
            held = _OPEN.get(key)
            if held is None or held.generation != generation:
                held = _Instance(generation, key)
                try:
                    check_version(held.base, self.path)
                except BaseException:
                    held.retire()
                    raise
                if not _derived_current(held.base):
                    # Written by an older version (views, or derived tables of an older shape): rebuild them
                    # once, through the write path, and read the generation that publishes.
                    held.retire()
                    with self.write():
                        pass
                    generation = _generation(self.path)
                    held = _Instance(generation, key)
                old = _OPEN.pop(key, None)
                if old is not None:
                    old.retire()
                while len(_OPEN) >= _OPEN_MAX:   # files not read lately (a test suite opens hundreds)
                    _OPEN.pop(next(iter(_OPEN))).retire()
                _OPEN[key] = held
            con = held.cursor()
        try:
            con.execute("USE qa")
            yield con, held.generation
        finally:
            with _OPEN_LOCK:
                held.release(con)

    # --- writing ----------------------------------------------------------------
    def initialise(self) -> None:
        """Create an empty database with the schema, if none is published yet."""
        with self.write():
            pass

    @contextlib.contextmanager
    def write(self, snapshot: bool = False, compacted: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """The only write path: yields a connection to a new generation inside one transaction.

        Leaving the block normally commits and publishes; an exception discards the
        new generation and leaves the published file as it was. With ``snapshot``, a block that
        records a load in load_history keeps the replaced generation as that load's snapshot;
        with ``compacted``, the new generation is rewritten with only its live data (erasure).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._remove_stale_generations()
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.new")
            small = tmp.with_name(tmp.name + ".compact")
            try:
                if self.exists:
                    shutil.copyfile(self.path, tmp)
                con = duckdb.connect(str(tmp))
                try:
                    # A large load's staged rows spill to a temporary file beyond this, rather than take
                    # the machine's memory (DuckDB's default is 80% of it).
                    con.execute(f"SET memory_limit = '{write_memory_limit()}'")
                    con.execute("SET enable_progress_bar = false")   # no bar drawn into the CLI's output
                    if self.exists:
                        check_version(con, self.path)
                        con.execute("BEGIN TRANSACTION")
                        ensure_tables(con)
                    else:
                        con.execute("BEGIN TRANSACTION")
                        create_schema(con, self.config)
                    list_pending_changes(con)
                    sync_grade_scale(con, self.config)
                    next_load = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM load_history").fetchall()[0][0]
                    yield con
                    refresh_derived(con)
                    recorded = con.execute("SELECT count(*) FROM load_history WHERE load_id = ?",
                                           [next_load]).fetchall()[0][0]
                    con.execute("COMMIT")
                    con.execute("CHECKPOINT")
                finally:
                    con.close()
                if compacted:
                    compact(tmp, small)
                    os.replace(small, tmp)
                with open(tmp, "rb") as fh:
                    os.fsync(fh.fileno())
                if snapshot and recorded and self.exists:
                    self._keep_snapshot(next_load)
                os.replace(tmp, self.path)
                dir_fd = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
            finally:
                for leftover in (tmp, tmp.with_name(tmp.name + ".wal"), small, small.with_name(small.name + ".wal")):
                    with contextlib.suppress(FileNotFoundError):
                        leftover.unlink()
                shutil.rmtree(tmp.with_name(tmp.name + ".tmp"), ignore_errors=True)   # what a large load spilled

    def _remove_stale_generations(self) -> None:
        """New generations left by a writer that was killed (only a lock holder creates them), with the folder
        a large load spilled to (``<generation>.tmp``), and a killed erasure's or purge's snapshot copies."""
        leftovers = [*self.path.parent.glob(f".{self.path.name}.*.new*"),
                     *backup_dir(self.path).glob(".before-load-*.work*"),
                     *backup_dir(self.path).glob(".before-load-*.small*")]
        for stale in leftovers:
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    stale.unlink()

    def _keep_snapshot(self, load_id: int) -> None:
        """The published generation, about to be replaced, becomes the snapshot before ``load_id``.

        A published file is never changed in place (each write replaces it), so a hard link is a
        complete copy that costs nothing; a file system without links gets a copy.
        """
        keep = int(self.config["backups"]["keep"])
        if keep <= 0:   # none kept: those kept before the setting changed go too
            for old in backup_dir(self.path).glob("before-load-*.duckdb"):
                old.unlink()
            return
        target = snapshot_path(self.path, load_id)
        target.parent.mkdir(exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        try:
            os.link(self.path, target)
        except OSError:
            shutil.copyfile(self.path, target)
        for old in sorted(backup_dir(self.path).glob("before-load-*.duckdb"))[:-keep]:
            old.unlink()

    def snapshots(self) -> dict[int, Path]:
        """Kept snapshots by the load they precede."""
        return {int(p.stem.rsplit("-", 1)[1]): p for p in sorted(backup_dir(self.path).glob("before-load-*.duckdb"))}


def upsert(con: duckdb.DuckDBPyConnection, ds: Dataset, staged: str, load_id: int, replace: bool
           ) -> dict[int, dict[str, int]]:
    """Upsert the typed rows of temp table ``staged`` (with a ``_file`` column) into the dataset's table.

    Returns counts per ``_file``: inserted, updated (key found, values changed), unchanged;
    and under key -1 the rows removed by ``replace``.
    """
    t = qi(ds.name)
    keys = [qi(k) for k in ds.key]
    values = [qi(c) for c in ds.column_names if c not in ds.key]
    on = " AND ".join(f"s.{k} = t.{k}" for k in keys)
    cols = ", ".join(qi(c) for c in ds.column_names)
    counts: dict[int, dict[str, int]] = {}
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {t} LIMIT 1)").fetchone()[0] == 0:
        # Nothing stored yet (the first load of the dataset): every row is new, no comparison needed.
        for file_no, inserted in con.execute(f"SELECT _file, count(*) FROM {staged} GROUP BY _file").fetchall():
            counts[file_no] = {"inserted": inserted, "updated": 0, "unchanged": 0, "removed": 0}
        con.execute(f"INSERT INTO {t} ({cols}, _load_id) SELECT {cols}, ? FROM {staged}", [load_id])
        # Every row of the table is this load's: the keys are listed by the next write (list_pending_changes).
        con.execute("INSERT INTO load_changes_pending VALUES (?, ?)", [load_id, ds.name])
        counts[-1] = {"removed": 0}
        return counts
    changed = " OR ".join(f"s.{v} IS DISTINCT FROM t.{v}" for v in values) or "FALSE"
    # Only the keys and the verdict are kept: the staged rows' texts and problem codes are not copied.
    key_cols = ", ".join(f"s.{k}" for k in keys)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _cmp AS
        SELECT {key_cols}, s._file, t.{keys[0]} IS NULL AS _new, (t.{keys[0]} IS NOT NULL AND ({changed})) AS _changed
        FROM {staged} s LEFT JOIN {t} t ON {on}""")
    # Which rows this load inserted or changed, by key: what undo puts back (README "Backups and undo").
    con.execute(f"INSERT INTO load_changes SELECT ?, ?, {key_sql(ds)}, CASE WHEN _new THEN 'inserted' "
                f"ELSE 'updated' END FROM _cmp WHERE _new OR _changed", [load_id, ds.name])
    for file_no, inserted, updated, unchanged in con.execute(
            "SELECT _file, count(*) FILTER (_new), count(*) FILTER (_changed), "
            "count(*) FILTER (NOT _new AND NOT _changed) FROM _cmp GROUP BY _file").fetchall():
        counts[file_no] = {"inserted": inserted, "updated": updated, "unchanged": unchanged, "removed": 0}
    removed = 0
    if replace:
        removed = con.execute(f"SELECT count(*) FROM {t} t WHERE NOT EXISTS (SELECT 1 FROM {staged} s WHERE {on})"
                              ).fetchone()[0]
        con.execute(f"INSERT INTO load_changes SELECT ?, ?, {key_sql(ds, 't.')}, 'removed' FROM {t} t "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {staged} s WHERE {on})", [load_id, ds.name])
        con.execute(f"DELETE FROM {t} t WHERE NOT EXISTS (SELECT 1 FROM {staged} s WHERE {on})")
    on_cmp = " AND ".join(f"{t}.{k} = _cmp.{k}" for k in keys)
    con.execute(f"DELETE FROM {t} USING _cmp WHERE {on_cmp} AND _cmp._changed")
    on_st = " AND ".join(f"s.{k} = c.{k}" for k in keys)
    con.execute(f"INSERT INTO {t} ({cols}, _load_id) SELECT {', '.join(f's.{qi(c)}' for c in ds.column_names)}, ? "
                f"FROM {staged} s JOIN _cmp c ON {on_st} WHERE c._new OR c._changed", [load_id])
    counts[-1] = {"removed": removed}
    con.execute("DROP TABLE _cmp")
    return counts
