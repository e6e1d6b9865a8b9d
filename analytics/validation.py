"""Validation of one file's rows against its dataset declaration, vectorised in DuckDB SQL.

Each column is cleaned, parsed and checked by one SQL expression over the
whole file; the SQL yields short problem codes that ``message`` turns into
plain English. No Python loop runs over rows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from .config import Config, fold
from .datasets import Dataset, EndNotBefore, qi
from .readers import RawTable

# Surrounding characters that count as space: space, tab, CR, LF, no-break space, zero-width space, BOM.
_SPACES = "' \t\r\n' || chr(160) || chr(8203) || chr(65279)"

YES = ("y", "yes", "true", "1", "1.0")
NO = ("n", "no", "false", "0", "0.0")

GRADE_DOMAIN = 0
SERVICE_DOMAIN = 1


@dataclass(frozen=True)
class Problem:
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def line(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(self.column)
        where = ", ".join(parts)
        value = "" if self.value is None else f" {self.value!r}"
        return f"{where}:{value} {self.reason}".replace(": ", ": ", 1)


def normalise_header(name: str) -> str:
    return "_".join(fold(name).replace("-", " ").split())


def choices_of(column, config: Config) -> list[str]:
    if isinstance(column.choices, str):
        return list(config[column.choices])
    return list(column.choices or ())


def domain_id(ds: Dataset, column_name: str) -> int:
    """Lookup domain of a choice column: a stable small integer from the declaration order."""
    from .datasets import DATASETS
    base = 10
    for d in DATASETS:
        for c in d.columns:
            if d.name == ds.name and c.name == column_name:
                return base
            base += 1
    raise KeyError(column_name)


def lookup_rows(config: Config) -> list[tuple[int, str, str]]:
    """(domain, folded spelling, stored value) for every listed value the files may hold."""
    from .datasets import DATASETS
    rows = [(GRADE_DOMAIN, s, v) for s, v in config.grade_spellings().items()]
    rows += [(SERVICE_DOMAIN, s, v) for s, v in config.service_spellings().items()]
    for ds in DATASETS:
        for col in ds.columns:
            if col.kind != "choice":
                continue
            d = domain_id(ds, col.name)
            values = {fold(v): v for v in choices_of(col, config)}
            if col.choices == "cohorts":
                for alias, target in config["cohort_aliases"].items():
                    values.setdefault(fold(alias), target)
            rows += [(d, s, v) for s, v in values.items()]
    return rows


def install_lookup(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    # One Arrow table rather than executemany: row-by-row inserts cost a fifth of a small load's time.
    domains, spellings, values = zip(*lookup_rows(config))
    con.register("_lookup_rows", pa.table({"domain": pa.array(domains, pa.int32()),
                                           "spelling": pa.array(spellings, pa.string()),
                                           "value": pa.array(values, pa.string())}))
    con.execute("CREATE OR REPLACE TEMP TABLE _lookup AS SELECT * FROM _lookup_rows")
    con.unregister("_lookup_rows")


def _fold_sql(v: str) -> str:
    # The SQL twin of config.fold: translate() maps apostrophes and odd spaces, and drops the invisible
    # characters (those with no partner in the second string).
    from .config import APOSTROPHES, INVISIBLE, ODD_SPACES
    chars = " || ".join(f"chr({ord(c)})" for c in APOSTROPHES + ODD_SPACES + INVISIBLE)
    v = f"translate({v}, {chars}, '{chr(39) * 2 * len(APOSTROPHES)}{' ' * len(ODD_SPACES)}')"
    return f"lower(trim(regexp_replace({v}, '\\s+', ' ', 'g')))"


def _date_sql(v: str) -> str:
    return (f"CAST(COALESCE("
            f"CASE WHEN regexp_full_match({v}, '\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}([ T]00:00(:00(\\.0+)?)?)?') "
            f"THEN try_strptime(regexp_extract({v}, '^[0-9-]+'), '%Y-%m-%d') END, "
            f"CASE WHEN regexp_full_match({v}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}( 00:00(:00)?)?') "
            f"THEN try_strptime(regexp_extract({v}, '^[0-9/]+'), '%d/%m/%Y') END) AS DATE)")


def _spreadsheet_date_sql(v: str) -> str:
    """The date a spreadsheet made of a listed value: a date, or Excel's d-mmm display ("05-Sep") saved as CSV."""
    return f"COALESCE({_date_sql(v)}, CAST(try_strptime({v}, ['%d-%b', '%d-%b-%y', '%d-%b-%Y']) AS DATE))"


def _day_month_sql(v: str) -> str:
    d = _spreadsheet_date_sql(v)
    return f"(CAST(day({d}) AS VARCHAR) || '-' || CAST(month({d}) AS VARCHAR))"


# Kinds whose values repeat (dates, grades, listed values, yes/no, numbers, short texts): each is cleaned,
# parsed and checked once per DISTINCT text in the file, then joined back to the rows on that text. Ids are
# nearly all distinct, so they are cleaned per row. Same results; a 1,000,000-row file has a few thousand
# distinct dates, so the regular expressions and lookups run thousands of times instead of millions.
PER_ROW_KINDS = ("id",)

# Trimming is the costly part of cleaning a row; most cells have no surrounding space, so a cheap test
# decides whether to trim at all: the first or last character is ASCII space or control, or not ASCII (a
# superset of the characters trimmed; trimming a cell that needs none leaves it as it was). Comparing code
# points costs a third of a regular expression over millions of ids.
def _edge_space_sql(v: str) -> str:
    return f"(ord({v}) <= 32 OR ord({v}) >= 160 OR ord(right({v}, 1)) <= 32 OR ord(right({v}, 1)) >= 160)"


def _clean_sql(v: str) -> str:
    return f"NULLIF(CASE WHEN {_edge_space_sql(v)} THEN trim({v}, {_SPACES}) ELSE {v} END, '')"


def _value_sql(ds: Dataset, i: int, col, v: str, joins: list[str]) -> str:
    """The parsed value of column ``col`` from its cleaned text ``v`` (lookup joins appended to ``joins``)."""
    if col.kind == "id":
        return f"CASE WHEN contains({v}, '.') THEN regexp_replace({v}, '^(-?[0-9]+)\\.0+$', '\\1') ELSE {v} END"
    if col.kind == "text":
        return v
    if col.kind == "date":
        return _date_sql(v)
    if col.kind == "yesno":
        yes = ", ".join(f"'{x}'" for x in YES)
        no = ", ".join(f"'{x}'" for x in NO)
        return f"CASE WHEN lower({v}) IN ({yes}) THEN TRUE WHEN lower({v}) IN ({no}) THEN FALSE END"
    if col.kind == "list":
        return (f"list_filter(list_transform(string_split({v}, ';'), lambda x: NULLIF(trim(x, {_SPACES}), '')),"
                f" lambda x: x IS NOT NULL)")
    if col.kind == "int":
        # Digits are read exactly (through DOUBLE a 17-digit number would change); other forms of a whole number
        # (1.0, 1e3) through DOUBLE. The outer TRY_CAST: inf or 1e30 is "not a whole number", not a crash.
        return (f"CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+') THEN TRY_CAST({v} AS BIGINT) "
                f"WHEN TRY_CAST({v} AS DOUBLE) = round(TRY_CAST({v} AS DOUBLE)) "
                f"THEN TRY_CAST(TRY_CAST({v} AS DOUBLE) AS BIGINT) END")
    if col.kind == "number":
        # NaN and infinities parse as DOUBLE but are not numbers a figure can use.
        return f"CASE WHEN isfinite(TRY_CAST({v} AS DOUBLE)) THEN TRY_CAST({v} AS DOUBLE) END"
    if col.kind in ("grade", "service", "choice"):
        dom = {"grade": GRADE_DOMAIN, "service": SERVICE_DOMAIN}.get(col.kind)
        if dom is None:
            dom = domain_id(ds, col.name)
        alias = f"l{i}"
        joins.append(f"LEFT JOIN _lookup {alias} ON {alias}.domain = {dom} AND {alias}.spelling = {_fold_sql(v)}")
        value = f"{alias}.value"
        if col.kind == "choice":
            # A listed value a spreadsheet turned into a date (5-9 saved as 5 September): looked up only
            # when the value itself is not listed.
            alias2 = f"ld{i}"
            joins.append(f"LEFT JOIN _lookup {alias2} ON {alias}.value IS NULL AND {alias2}.domain = {dom} "
                         f"AND {alias2}.spelling = {_day_month_sql(v)}")
            value = f"COALESCE({alias}.value, {alias2}.value)"
        if col.kind == "service" and not col.required:
            value = f"CASE WHEN {v} IS NULL OR lower({v}) = 'all' THEN 'ALL' ELSE {alias}.value END"
        return value
    raise ValueError(col.kind)  # pragma: no cover - the declarations use only the kinds above


def _check_sql(col, r: str, p: str) -> str:
    """The problem code of one cell from its cleaned text ``r`` and parsed value ``p``."""
    checks = []
    if col.required:
        checks.append(f"WHEN {r} IS NULL THEN 'required'")
        if col.kind == "list":   # only separators (";", " ; ; "): no item, so blank
            checks.append(f"WHEN len({p}) = 0 THEN 'required'")
    if col.kind == "date":
        checks.append(f"WHEN {r} IS NOT NULL AND {p} IS NULL AND regexp_full_match({r}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}') "
                      f"AND TRY_CAST(split_part({r}, '/', 2) AS INTEGER) > 12 "
                      f"AND TRY_CAST(split_part({r}, '/', 1) AS INTEGER) <= 12 THEN 'us_date'")
        checks.append(f"WHEN {r} IS NOT NULL AND {p} IS NULL THEN 'bad_date'")
        if not col.planned:
            checks.append(f"WHEN {p} > $load_day THEN 'future'")
    elif col.kind == "choice":
        checks.append(f"WHEN {r} IS NOT NULL AND {p} IS NULL AND {_spreadsheet_date_sql(r)} IS NOT NULL "
                      f"THEN 'date_like'")
        checks.append(f"WHEN {r} IS NOT NULL AND {p} IS NULL THEN 'bad_choice'")
    elif col.kind in ("grade", "service", "yesno", "int", "number"):
        checks.append(f"WHEN {r} IS NOT NULL AND {p} IS NULL THEN 'bad_{col.kind}'")
    return f"CASE {' '.join(checks)} END" if checks else "CAST(NULL AS VARCHAR)"


def _kept_raw_sql(r: str, p: str) -> str:
    """The cleaned text ``r`` as staged: NULL when it is the text of the parsed value ``p`` (raw_sql gets it back).
    Most cells are written as their value's text, and a staged text costs its bytes for every row."""
    return f"CASE WHEN {r} IS NOT DISTINCT FROM CAST({p} AS VARCHAR) THEN NULL ELSE {r} END"


def raw_sql(column: str, alias: str = "") -> str:
    """A staged column's cleaned text (what the file held, trimmed): the staged __raw, else its value's text."""
    return f"coalesce({alias}{qi(column + '__raw')}, CAST({alias}{qi(column)} AS VARCHAR))"


def parse_sql(ds: Dataset, present: list[str], source: str, distinct: dict[str, str] | None = None) -> str:
    """SELECT that yields, per row: __row, each column parsed, its cleaned text (__raw, NULL when it is the value's
    text: read it with raw_sql) and a problem code (__err).

    ``distinct`` names, per column, a registered table of its distinct texts (column k, blank for none), when
    the caller has them (pyarrow finds them faster than a DISTINCT over the rows); else they are selected here.
    """
    ctes, joins, level1, level2 = [], [], ["__row"], ["__row"]
    for i, col in enumerate(ds.columns):
        n, r = qi(col.name), qi(col.name + "__raw")
        e = qi(col.name + "__err")
        if col.name not in present:
            # An absent optional service column means every row is for the whole authority, as blank does.
            value = ("'ALL'" if col.kind == "service" and not col.required
                     else f"CAST(NULL AS {col.sql_type})")
            level1 += [f"CAST(NULL AS VARCHAR) AS {r}", f"{value} AS {n}"]
            level2 += [n, r, f"{_check_sql(col, r, n)} AS {e}"]
        elif col.kind in PER_ROW_KINDS:
            level1 += [f"src.{n} AS {r}", f"{_value_sql(ds, i, col, f'src.{n}', joins)} AS {n}"]
            level2 += [n, f"{_kept_raw_sql(r, n)} AS {r}", f"{_check_sql(col, r, n)} AS {e}"]
        else:
            # One row per distinct text of the column: key k (the text as read), cleaned, parsed, checked.
            m, mj = f"_m{i}", []
            value = _value_sql(ds, i, col, f"src.{n}", mj)
            ctes.append(f"{m} AS (SELECT k, {_kept_raw_sql(n, 'val')} AS raw, val, {_check_sql(col, n, 'val')} AS err FROM ("
                        f"SELECT src.k, src.{n}, {value} AS val FROM (SELECT k, {_clean_sql('k')} AS {n} FROM "
                        f"{_distinct_sql(col.name, source, distinct)}) AS src {' '.join(mj)}))")
            joins.append(f"LEFT JOIN {m} ON {m}.k = coalesce(src.{n}, '')")
            level1 += [f"{m}.raw AS {r}", f"{m}.val AS {n}", f"{m}.err AS {e}"]
            level2 += [n, r, e]

    cleaned = ", ".join(["__row"] + [f"{_clean_sql(qi(c))} AS {qi(c)}" if ds.column(c).kind in PER_ROW_KINDS
                                     else qi(c) for c in present])
    with_ = f"WITH {', '.join(ctes)} " if ctes else ""
    return (f"{with_}SELECT {', '.join(level2)} FROM ("
            f"SELECT {', '.join(level1)} FROM (SELECT {cleaned} FROM {source}) AS src {' '.join(joins)}) AS p")


def _distinct_sql(column: str, source: str, distinct: dict[str, str] | None) -> str:
    if distinct and column in distinct:
        return f"(SELECT k FROM {qi(distinct[column])})"
    return f"(SELECT DISTINCT coalesce({qi(column)}, '') AS k FROM {source})"


def distinct_texts(table: RawTable, ds: Dataset) -> dict[str, pa.Array]:
    """Per declared column cleaned once per distinct text, its distinct texts (a blank cell as ''). Pure pyarrow,
    so the loader finds them in its reading thread while DuckDB stages the file before."""
    out: dict[str, pa.Array] = {}
    known = set(ds.column_names)
    for i, header in enumerate(table.header):
        key = normalise_header(header)
        if key in known and key not in out and ds.column(key).kind not in PER_ROW_KINDS:
            out[key] = pc.unique(pc.fill_null(table.data.column(i), "")).cast(pa.string())
    return out


def register_distinct(con: duckdb.DuckDBPyConnection, texts: dict[str, pa.Array], name: str,
                      present: list[str]) -> dict[str, str]:
    """Register the distinct texts of each present column as a table (column k); returns the registered names
    by column, for parse_sql (and to unregister)."""
    out: dict[str, str] = {}
    for i, column in enumerate(present):
        if column in texts:
            out[column] = f"{name}_d{i}"
            con.register(out[column], pa.table({"k": texts[column]}))
    return out


def message(ds: Dataset, column: str | None, code: str, config: Config, detail: str | None = None) -> str:
    col = ds.column(column) if column and column in ds.column_names else None
    if code == "required":
        return "is blank, but this column is required"
    if code == "us_date":
        return ("is not a valid date: dates are read day first (DD/MM/YYYY), so the month would be over 12; "
                "it looks like US order (MM/DD/YYYY)")
    if code == "bad_date":
        return "is not a date: use YYYY-MM-DD or DD/MM/YYYY"
    if code == "future":
        return "is after the day of the load: a date of something that has happened cannot be in the future"
    if code in ("bad_choice", "date_like"):
        allowed = choices_of(col, config)
        what = "a configured pillar" if col.choices == "pillars" else "an allowed value"
        lead = ("looks like a date: a spreadsheet probably turned the value into a date; "
                if code == "date_like" else f"is not {what}; ")
        return f"{lead}use one of: {', '.join(allowed)}"
    if code == "bad_grade":
        return f"is not a grade: use one of {', '.join(config.grade_labels)}"
    if code == "bad_service":
        codes = ", ".join(config.service_codes)
        extra = " (or ALL, or blank, for the whole authority)" if col is not None and not col.required else ""
        return f"is not a service: use a service code or name ({codes}){extra}"
    if code == "bad_yesno":
        return "is not yes/no: use Y, Yes, N, No, TRUE, FALSE, 1 or 0 (blank = unknown)"
    if code == "bad_int":
        return "is not a whole number"
    if code == "bad_number":
        return "is not a number"
    if code == "end_before_start":
        return f"is before {detail}"
    if code == "duplicate_key":
        return f"repeats the key of {detail}"
    if code == "benchmark_needs_moderation":
        return "is a benchmarked grade without a moderated grade (benchmarking reviews moderated audits)"
    if code == "criteria_within_total":
        return f"criteria met must be between 0 and criteria total ({detail})"
    if code == "criteria_total_negative":
        return "criteria total must be 0 or more"
    if code == "kpi_defined":
        return "is not a defined KPI: add it to kpi_definitions (or the configuration) first"
    if code == "kpi_value_matches_fraction":
        return f"does not equal 100 × numerator ÷ denominator ({detail}) within 0.05"
    if code == "missing_reference":
        return f"is not a stored {detail} nor one in this load"
    raise KeyError(code)


def register_raw(con: duckdb.DuckDBPyConnection, table: RawTable, ds: Dataset, name: str
                 ) -> tuple[list[str], list[Problem], list[Problem]]:
    """Register the file's known columns under their declared names.

    Returns the declared columns present, the header problems and the warnings. Rows that could not be split
    (``table.bad_rows``) are the caller's to report: the other rows are still checked.
    """
    problems, warnings = [], []
    known = set(ds.column_names)
    columns: dict[str, pa.Array] = {"__row": table.rows}
    seen: dict[str, str] = {}
    for i, header in enumerate(table.header):
        key = normalise_header(header)
        if not key:
            if pc.any(pc.not_equal(table.data.column(i), "")).as_py():
                warnings.append(Problem(table.file, table.sheet, 1, None, None,
                                        f"column {i + 1} has no header and was ignored"))
            continue
        if key not in known:   # ignored however often it appears (data-contract: never an error)
            warnings.append(Problem(table.file, table.sheet, 1, header, None,
                                    f"is not a column of {ds.name} and was ignored"))
            continue
        if key in seen:
            problems.append(Problem(table.file, table.sheet, 1, header, None,
                                    f"column appears twice in the header (also as {seen[key]!r})"))
            continue
        seen[key] = header
        columns[key] = table.data.column(i)
    for name_ in ds.required:
        if name_ not in columns:
            problems.append(Problem(table.file, table.sheet, 1, name_, None,
                                    f"required column is missing from the header of {ds.name}"))
    con.register(name, pa.table(columns))
    return [c for c in columns if c != "__row"], problems, warnings


def end_before_start_sql(rule: EndNotBefore, staged: str) -> str:
    return (f"SELECT _file, __row, '{rule.end}' AS col, {raw_sql(rule.end)} AS val, 'end_before_start' AS code, "
            f"'{rule.start} ' || strftime({qi(rule.start)}, '%Y-%m-%d') AS detail "
            f"FROM {staged} WHERE {qi(rule.end)} < {qi(rule.start)}")


def row_check_sql(ds: Dataset, staged: str) -> list[str]:
    """SELECTs of (_file, __row, column, value, code, detail) for the rules that look at rows of one dataset."""
    out = [end_before_start_sql(r, staged) for r in ds.rules if isinstance(r, EndNotBefore)]
    if "benchmark_needs_moderation" in ds.checks:
        out.append(f"SELECT _file, __row, 'benchmarked_grade', {raw_sql('benchmarked_grade')}, 'benchmark_needs_moderation', "
                   f"NULL FROM {staged} WHERE benchmarked_grade IS NOT NULL AND moderated_grade IS NULL")
    if "criteria_within_total" in ds.checks:
        # Named against the column that breaks it: a negative total is the total's problem.
        out.append(f"SELECT _file, __row, 'criteria_met', {raw_sql('criteria_met')}, 'criteria_within_total', "
                   f"'criteria_total ' || coalesce(CAST(criteria_total AS VARCHAR), 'blank') FROM {staged} "
                   f"WHERE criteria_met < 0 OR criteria_met > criteria_total")
        out.append(f"SELECT _file, __row, 'criteria_total', {raw_sql('criteria_total')}, 'criteria_total_negative', "
                   f"NULL FROM {staged} WHERE criteria_total < 0")
    # A key repeated in a file (or across the files of one load): every repeat after the first is named.
    # The window runs only over keys whose hash repeats (usually none), found first from the sorted hashes (a
    # sort of 7 million hashes costs half a GROUP BY over as many distinct ones); a hash collision only adds
    # rows to the window, which compares the keys themselves.
    key = ", ".join(qi(k) for k in ds.key)
    out.append(f"SELECT _file, __row, '{ds.key[0]}', _raw, 'duplicate_key', "
               f"'row ' || CAST(first_row AS VARCHAR) || CASE WHEN first_file <> _file THEN ' of ' || "
               f"(SELECT name FROM _files WHERE _files._file = first_file) "
               f"ELSE '' END FROM (SELECT _file, __row, {raw_sql(ds.key[0])} AS _raw, "
               f"row_number() OVER w AS n, first_value(__row) OVER w AS first_row, "
               f"first_value(_file) OVER w AS first_file "
               f"FROM {staged} WHERE hash({key}) IN (SELECT h FROM (SELECT h, lag(h) OVER (ORDER BY h) AS previous "
               f"FROM (SELECT hash({key}) AS h FROM {staged})) WHERE h = previous) "
               f"WINDOW w AS (PARTITION BY {key} ORDER BY _file, __row)) WHERE n > 1")
    return out


def load_day_param(today: dt.date | None) -> dict:
    return {"load_day": today or dt.date.today()}
