"""Loading the council's files: one command, one transaction, every row checked before anything is stored."""
from __future__ import annotations

import datetime as dt
import getpass
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable

import duckdb

from . import identifiers, limits
from .database import Database, upsert
from .datasets import DATASETS, BY_NAME, Dataset, RefExists, references
from .readers import NotATable, SourceFile
from .recognition import Unrecognised, recognise
from .validation import (Problem, distinct_texts, install_lookup, message, parse_sql, qi, raw_sql, register_distinct,
                         register_raw, row_check_sql)


@dataclass
class FileResult:
    file: str
    sheet: str | None
    dataset: str
    sha256: str
    rows: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass
class LoadReport:
    ok: bool
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    warnings: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    results: list[FileResult] = field(default_factory=list)
    load_id: int | None = None

    def problem_lines(self, cap: int = 50) -> list[str]:
        lines = [p.line() for p in self.problems[:cap]]
        rest = self.problem_count - len(lines)
        if rest > 0:
            lines.append(f"... and {rest} more problem{'s' if rest != 1 else ''}")
        return lines


class _Refused(Exception):
    """Raised inside the write block so that the new generation is discarded."""


def _staged(ds: Dataset) -> str:
    return qi(f"staged_{ds.name}")


def load_files(db: Database, sources: Iterable[SourceFile], dataset: str | None = None,
               replace: tuple[str, ...] | list[str] = (), user: str | None = None,
               today: dt.date | None = None) -> LoadReport:
    """Validate and store the files in one transaction; on any problem store nothing."""
    report = LoadReport(ok=False)
    cap = db.config["report_problem_cap"]
    for name in replace:
        if name not in BY_NAME:
            report.problems.append(Problem("--replace", None, None, None, name, "is not a dataset"))
    if dataset and dataset not in BY_NAME:
        report.problems.append(Problem("--dataset", None, None, None, dataset,
                                       f"is not a dataset: use one of {', '.join(BY_NAME)}"))
    if report.problems:
        report.problem_count = len(report.problems)
        return report
    try:
        with db.write(snapshot=True) as con:
            _load(con, db, sources, dataset, tuple(replace), user or getpass.getuser(),
                  today or dt.date.today(), cap, report)
            if report.problem_count:
                raise _Refused()
    except _Refused:
        report.ok = False
        return report
    report.ok = True
    return report


def _load(con: duckdb.DuckDBPyConnection, db: Database, sources, forced, replace, user, today, cap,
          report: LoadReport) -> None:
    install_lookup(con, db.config)
    # Each file's name once, by its number (the staged rows carry only the number).
    con.execute("CREATE OR REPLACE TEMP TABLE _files (_file INTEGER, name VARCHAR)")
    # Order does not matter inside a load (problems are sorted by file and row): let DuckDB work in parallel.
    con.execute("SET preserve_insertion_order = false")
    tables = []  # (_file index) -> (RawTable, Dataset)
    stages: dict[str, list[str]] = {}
    for name, refused, unreadable, recognised, notices in _prepared(sources, forced, db.config):
        if refused:
            report.problems.append(Problem(name, None, None, None, None, refused))
            report.problem_count += 1
            continue
        if unreadable:
            report.problems.append(Problem(name, unreadable.sheet, None, None, None,
                                           str(unreadable).split(": ", 1)[-1]))
            report.problem_count += 1
            continue
        report.notices += notices
        for rec, over_limits, texts in recognised:
            idx = len(tables)
            tables.append((rec.table, rec.dataset))
            over = [Problem(rec.table.file, rec.table.sheet, r, c, None, why) for r, c, why in over_limits]
            if over:
                report.problems += over
                report.problem_count += len(over)
                continue
            raw = f"_raw_{idx}"
            present, problems, warnings = register_raw(con, rec.table, rec.dataset, raw)
            report.warnings += warnings
            # A row that could not be split is reported, and the file's other rows are still checked, so the
            # report lists every problem (unless a bad row's number is unknown: the others' would be wrong too).
            bad = [Problem(rec.table.file, rec.table.sheet, number, None, None, f"row {reason}")
                   for number, reason in rec.table.bad_rows]
            report.problems += bad
            report.problem_count += len(bad)
            if problems or any(p.row is None for p in bad):
                report.problems += problems
                report.problem_count += len(problems)
                con.unregister(raw)
                continue
            stage = f"_stage_{idx}"
            distinct = register_distinct(con, texts, raw, present)
            sql = parse_sql(rec.dataset, present, raw, distinct)
            params = {"load_day": today} if "$load_day" in sql else {}
            con.execute(f"CREATE TEMP TABLE {stage} AS SELECT {idx} AS _file, * FROM ({sql})", params)
            con.execute("INSERT INTO _files VALUES (?, ?)", [idx, rec.table.where])
            for registered in [raw, *distinct.values()]:
                con.unregister(registered)
            rec.table.data = rec.table.data.schema.empty_table()   # staged: the text is not needed any more
            stages.setdefault(rec.dataset.name, []).append(stage)

    for name in replace:
        if name not in stages and not report.problem_count:
            report.problems.append(Problem("--replace", None, None, None, name,
                                           "names a dataset with no file in this load: nothing would be left"))
            report.problem_count += 1

    for name, parts in stages.items():
        if len(parts) == 1:  # one file: its stage is the dataset's staged table (no copy)
            con.execute(f"ALTER TABLE {parts[0]} RENAME TO {_staged(BY_NAME[name])}")
            continue
        con.execute(f"CREATE TEMP TABLE {_staged(BY_NAME[name])} AS "
                    + " UNION ALL ".join(f"SELECT * FROM {p}" for p in parts))
        for p in parts:
            con.execute(f"DROP TABLE {p}")

    selects = []
    for name in stages:
        ds = BY_NAME[name]
        st = _staged(ds)
        for col in ds.column_names:
            selects.append(f"SELECT _file, __row, '{col}' AS col, {raw_sql(col)} AS val, "
                           f"{qi(col + '__err')} AS code, NULL AS detail FROM {st} "
                           f"WHERE {qi(col + '__err')} IS NOT NULL")
        selects += row_check_sql(ds, st)
        selects += _cross_checks(con, db, ds, stages, replace)
    if selects:
        con.execute("CREATE TEMP TABLE _problems AS " + " UNION ALL ".join(
            f"SELECT _file, __row, col, val, code, CAST(detail AS VARCHAR) "
            f"FROM ({s}) AS t(_file, __row, col, val, code, detail)" for s in selects))
        total = con.execute("SELECT count(*) FROM _problems").fetchone()[0]
        first = con.execute("SELECT * FROM _problems ORDER BY _file, __row, col LIMIT ?", [cap]).fetchall()
        for file_no, row, col, val, code, detail in first:
            table, ds = tables[file_no]
            report.problems.append(Problem(table.file, table.sheet, row, col, val,
                                           message(ds, col, code, db.config, detail)))
        report.problem_count += total
        # The rows set aside as unsplittable among the others, in file and row order.
        order = {(t.file, t.sheet): i for i, (t, _) in enumerate(tables)}
        report.problems.sort(key=lambda p: (order.get((p.file, p.sheet), -1), p.row or 0))
        del report.problems[cap:]
    if replace and not report.problem_count:
        orphans = _replace_orphans(con, db, stages, replace)
        report.problems += orphans[:max(0, cap - len(report.problems))]
        report.problem_count += len(orphans)
    found = identifiers.problems(con, db.config, {name: _staged(BY_NAME[name]) for name in stages})
    for file_no, row, col, val, reason in found[:max(0, cap - len(report.problems))]:
        report.problems.append(Problem(tables[file_no][0].file, tables[file_no][0].sheet, row, col, val, reason))
    report.problem_count += len(found)
    if report.problem_count:
        return

    report.warnings += _warnings(con, stages, tables)
    load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM load_history").fetchone()[0]
    report.load_id = load_id
    now = dt.datetime.now()
    for name in stages:
        ds = BY_NAME[name]
        counts = upsert(con, ds, _staged(ds), load_id, name in replace)
        con.execute(f"DROP TABLE {_staged(ds)}")   # frees its memory before the next dataset is stored
        files = [i for i, (_, d) in enumerate(tables) if d.name == name]
        for i in files:
            table, _ = tables[i]
            c = counts.get(i, {"inserted": 0, "updated": 0, "unchanged": 0})
            removed = counts[-1]["removed"] if i == files[-1] else 0
            res = FileResult(table.file, table.sheet, name, table.sha256, len(table.rows),
                             c["inserted"], c["updated"], c["unchanged"], removed)
            report.results.append(res)
            n_warn = sum(1 for w in report.warnings if w.file == table.file and w.sheet == table.sheet)
            con.execute("INSERT INTO load_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [load_id, now, user, table.file, table.sheet, table.sha256, name, res.inserted,
                         res.updated, res.unchanged, res.removed, n_warn, name in replace])


def _prepare(src: SourceFile, forced, config):
    """(file name, why refused, why unreadable, [(recognised table, limits it breaks, distinct texts)], notices)
    of one file."""
    refused = limits.check_source(src, config)  # before any parser sees the bytes
    if refused:
        return src.name, refused, None, [], []
    try:
        recognised, notices = recognise(src, forced)
    except (NotATable, Unrecognised) as exc:
        return src.name, None, exc, [], []
    return src.name, None, None, [(rec, limits.check_table(rec.table, config), distinct_texts(rec.table, rec.dataset))
                                  for rec in recognised], notices


def _prepared(sources: Iterable[SourceFile], forced, config):
    """_prepare of each source in order; the next file is read and parsed in a worker thread while the caller
    stages this one in DuckDB (pyarrow and DuckDB release the GIL), and no file's bytes are kept once parsed."""
    it = iter(sources)

    def step():
        src = next(it, None)
        return None if src is None else _prepare(src, forced, config)

    with ThreadPoolExecutor(1) as pool:
        ahead = pool.submit(step)
        while (result := ahead.result()) is not None:
            ahead = pool.submit(step)
            yield result


def _union_keys(ds: Dataset, column: str, stages: dict) -> str:
    stored = f"SELECT {qi(column)} AS k FROM {qi(ds.name)}"
    if ds.name in stages:
        stored += f" UNION SELECT {qi(column)} FROM {_staged(ds)}"
    return f"SELECT k FROM ({stored}) WHERE k IS NOT NULL"


def _kpi_units(con, db: Database, stages, replace=()) -> None:
    """_kpi_units: each KPI defined after this load (staged, else stored unless replaced, else configured)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _kpi_config (kpi_code VARCHAR, unit VARCHAR)")
    con.executemany("INSERT INTO _kpi_config VALUES (?, ?)", [(k["kpi_code"], k["unit"]) for k in db.config.kpis])
    staged = (f"SELECT kpi_code, unit, 0 AS pri FROM {_staged(BY_NAME['kpi_definitions'])} UNION ALL "
              if "kpi_definitions" in stages else "")
    stored = "WHERE FALSE" if "kpi_definitions" in replace else ""   # a replaced file's stored rows go
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _kpi_units AS
        SELECT kpi_code, arg_min(unit, pri) AS unit FROM (
            {staged} SELECT kpi_code, unit, 1 AS pri FROM kpi_definitions {stored} -- names pri when nothing is staged
            UNION ALL SELECT kpi_code, unit, 2 FROM _kpi_config)
        GROUP BY kpi_code""")


def _target_keys(rule: RefExists, stages, replace) -> str:
    """The keys a reference may name once this load is stored: the target's stored keys (unless the load
    replaces the target, removing them) and those staged."""
    target = BY_NAME[rule.dataset]
    parts = [] if target.name in replace else [f"SELECT {qi(rule.target)} AS k FROM {qi(target.name)}"]
    if target.name in stages:
        parts.append(f"SELECT {qi(rule.target)} AS k FROM {_staged(target)}")
    return " UNION ALL ".join(parts) or "SELECT NULL AS k WHERE FALSE"


def _replace_orphans(con, db: Database, stages, replace) -> list[Problem]:
    """A replace must not remove a row that stored rows (not reloaded in this load) still refer to: one problem
    per such key, naming how many rows refer to it (data-contract: references exist after every load)."""
    out = []
    checks = []   # (child dataset, column, SQL of the keys that remain, what they are)
    for child, rule in references():
        if rule.dataset in replace and child.name not in replace:
            checks.append((child, rule.column, _target_keys(rule, stages, replace), f"{rule.target} of {rule.dataset}"))
    if "kpi_definitions" in replace and "kpi_values" not in replace:
        _kpi_units(con, db, stages, replace)
        checks.append((BY_NAME["kpi_values"], "kpi_code", "SELECT kpi_code AS k FROM _kpi_units",
                       "kpi_code of kpi_definitions (or the configuration)"))
    for child, column, keys, what in checks:
        restaged = ""
        if child.name in stages:   # rows this load reloads are checked as staged rows (_cross_checks)
            on = " AND ".join(f"c.{qi(k)} = s.{qi(k)}" for k in child.key)
            restaged = f"ANTI JOIN {_staged(child)} s ON {on}"
        rows = con.execute(f"""SELECT CAST(c.{qi(column)} AS VARCHAR), count(*) FROM {qi(child.name)} c {restaged}
            ANTI JOIN ({keys}) r ON c.{qi(column)} = r.k WHERE c.{qi(column)} IS NOT NULL GROUP BY 1 ORDER BY 1"""
                           ).fetchall()
        for key, n in rows:
            out.append(Problem("--replace", None, None, column, key,
                               f"the load would remove this {what}, which {n} stored {child.name} "
                               f"row{'s' if n != 1 else ''} (not in this load) still refer{'s' if n == 1 else ''} "
                               f"to: keep it in the file, or load {child.name} with --replace too"))
    return out


def _cross_checks(con, db: Database, ds: Dataset, stages, replace=()) -> list[str]:
    st = _staged(ds)
    out = []
    for rule in ds.rules:
        if isinstance(rule, RefExists):
            # An anti join on every key, stored or staged (no DISTINCT, no NULL-aware NOT IN): the cheap form
            # of "not a stored key nor one in this load" for millions of rows.
            keys = _target_keys(rule, stages, replace)
            out.append(f"SELECT _file, __row, '{rule.column}', {raw_sql(rule.column, 's.')}, 'missing_reference', "
                       f"'{rule.target} of {rule.dataset}' FROM {st} s ANTI JOIN ({keys}) r ON s.{qi(rule.column)} = r.k "
                       f"WHERE s.{qi(rule.column)} IS NOT NULL")
    if "kpi_defined" in ds.checks or "kpi_value_matches_fraction" in ds.checks:
        _kpi_units(con, db, stages, replace)
    if "kpi_defined" in ds.checks:
        out.append(f"SELECT _file, __row, 'kpi_code', {raw_sql('kpi_code')}, 'kpi_defined', NULL FROM {st} "
                   f"WHERE kpi_code NOT IN (SELECT kpi_code FROM _kpi_units)")
    if "kpi_value_matches_fraction" in ds.checks:
        out.append(f"SELECT _file, __row, 'value', {raw_sql('value', 's.')}, 'kpi_value_matches_fraction', "
                   f"{raw_sql('numerator', 's.')} || ' ÷ ' || {raw_sql('denominator', 's.')} "
                   f"FROM {st} s JOIN _kpi_units u USING (kpi_code) "
                   f"WHERE u.unit = 'percent' AND s.numerator IS NOT NULL AND s.denominator IS NOT NULL "
                   f"AND (s.denominator = 0 OR abs(s.value - 100 * s.numerator / s.denominator) > 0.05)")
    return out


def _warnings(con, stages, tables) -> list[Problem]:
    out = []
    has_roster = con.execute("SELECT count(*) FROM staff").fetchone()[0] > 0 or "staff" in stages
    for name in stages:
        ds = BY_NAME[name]
        st = _staged(ds)
        if "team_in_roster" in ds.warnings and has_roster:
            rows = con.execute(f"""SELECT min(_file), min(__row), team, count(*) FROM {st}
                WHERE team IS NOT NULL AND team NOT IN ({_union_keys(BY_NAME['staff'], 'team', stages)}
                                                         ) GROUP BY team ORDER BY 1, 2""").fetchall()
            for file_no, row, team, n in rows:
                t, _ = tables[file_no]
                out.append(Problem(t.file, t.sheet, row, "team", team,
                                   f"is not a team in the staff roster ({n} row{'s' if n != 1 else ''})"))
        if "followup_process_matches_grade" in ds.warnings:
            audits = "SELECT audit_id, auditor_grade, moderated_grade, benchmarked_grade FROM audits"
            if "audits" in stages:
                audits = (f"SELECT audit_id, auditor_grade, moderated_grade, benchmarked_grade FROM "
                          f"{_staged(BY_NAME['audits'])} UNION ALL ({audits} WHERE audit_id NOT IN "
                          f"(SELECT audit_id FROM {_staged(BY_NAME['audits'])}))")
            rows = con.execute(f"""SELECT f._file, f.__row, f.process, g.label FROM {st} f
                JOIN ({audits}) a USING (audit_id)
                JOIN grade_scale g ON g.label = coalesce(a.benchmarked_grade, a.moderated_grade, a.auditor_grade)
                WHERE (f.process = 'Inadequate') <> (g.rank = 4) OR (f.process = 'Requires Improvement') <> (g.rank = 3)
                ORDER BY 1, 2""").fetchall()
            for file_no, row, process, final in rows:
                t, _ = tables[file_no]
                out.append(Problem(t.file, t.sheet, row, "process", process,
                                   f"disagrees with the audit's final grade ({final})"))
    return out


def datasets_in_order() -> list[str]:
    return [d.name for d in DATASETS]
