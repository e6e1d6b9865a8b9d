"""Identifying data where only references belong, found before anything is stored.

The dashboard holds pseudonymous references, never who a child is. A load is refused when a
``child_ref`` or a staff id is not a reference (it must match a configured pattern, and a child
reference must not be an NHS number), or when a free-text column (summaries, titles, impact
evidence, notes references) holds what looks like an NHS number, a UK postcode, an email address or
a UK phone number. The report names the row and shows the value with the identifier masked (a reference
that is not one, often a name, only by its shape).

SQL picks the few candidate cells (a digit or an @); Python then applies the precise rules (the NHS
number's check digit), so a large load costs one scan per column.
"""
from __future__ import annotations

import functools
import re

import duckdb

from .config import Config
from .datasets import BY_NAME, qi

CHILD_REF_COLUMNS = {"audits": ["child_ref"], "dip_samples": ["child_ref"], "escalations": ["child_ref"]}
STAFF_ID_COLUMNS = {"staff": ["staff_id"], "audits": ["auditor_id", "practitioner_id"],
                    "observations": ["staff_id"]}

NHS_NUMBER = re.compile(r"(?<![\d])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# The Royal Mail's shapes (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA), the space optional.
POSTCODE = re.compile(r"(?<![A-Za-z0-9])(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][A-HJKPSTUW0-9]? ?[0-9]"
                      r"[ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])", re.IGNORECASE)
# A UK number: 0 or +44 then 9 or 10 more digits, spaces, hyphens and brackets allowed between.
PHONE = re.compile(r"(?<![\w+])(?:\+44[ -]?(?:\(0\)[ -]?)?|\(?0)[0-9][0-9 ()-]{7,14}[0-9](?![0-9])")

KINDS = {"nhs": "an NHS number", "postcode": "a postcode", "email": "an email address", "phone": "a phone number"}
LABELS = {"nhs": "NHS number", "postcode": "postcode", "email": "email address", "phone": "phone number"}


def nhs_check_digit_ok(digits: str) -> bool:
    """The NHS number's modulus 11 check: weights 10..2 on the first nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _phone_ok(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    if digits.startswith("44"):
        digits = "0" + digits[2:].lstrip("0")
    return digits.startswith("0") and len(digits) in (10, 11)


def find(text: str) -> list[tuple[str, tuple[int, int]]]:
    """(kind, span) of every identifier in ``text``: NHS numbers first, so a number is named once."""
    found: list[tuple[str, tuple[int, int]]] = []

    def free(span):
        return all(span[1] <= s or span[0] >= e for _, (s, e) in found)

    for m in NHS_NUMBER.finditer(text):
        if nhs_check_digit_ok("".join(m.groups())):
            found.append(("nhs", m.span()))
    for m in EMAIL.finditer(text):
        if free(m.span()):
            found.append(("email", m.span()))
    for m in PHONE.finditer(text):
        if free(m.span()) and _phone_ok(m.group()):
            found.append(("phone", m.span()))
    for m in POSTCODE.finditer(text):
        if free(m.span()):
            found.append(("postcode", m.span()))
    return sorted(found, key=lambda f: f[1])


def mask(text: str, found: list[tuple[str, tuple[int, int]]] | None = None) -> str:
    """``text`` with each identifier replaced by its kind, so the report does not repeat it."""
    found = find(text) if found is None else found
    for kind, (s, e) in sorted(found, key=lambda f: -f[1][0]):
        text = text[:s] + f"[{LABELS[kind]}]" + text[e:]
    return text


def shape(value: str) -> str:
    """The value's shape, which says what is wrong with a reference without repeating it: letters as X (capital)
    or x, digits as 9, every other character as it is ("Jane Smith" -> "Xxxx Xxxxx", "C-12" -> "X-99")."""
    return "".join("9" if c.isdigit() else ("X" if c.isupper() else "x") if c.isalpha() else c for c in value)


@functools.lru_cache(maxsize=16)
def pattern_error(pattern: str) -> str | None:
    """Why DuckDB cannot use ``pattern`` (checked apart, since an error would abort the load's transaction)."""
    con = duckdb.connect()
    try:
        con.execute("SELECT regexp_full_match('x', ?)", [pattern]).fetchall()
        return None
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    finally:
        con.close()


def _columns(config: Config, dataset: str) -> list[str]:
    out = []
    for item in config["data_protection"]["free_text_columns"]:
        ds, _, col = item.partition(".")
        if ds == dataset and col in BY_NAME[ds].column_names:
            out.append(col)
    return out


def problems(con: duckdb.DuckDBPyConnection, config: Config, staged: dict[str, str]
             ) -> list[tuple[int, int, str, str, str]]:
    """(_file, __row, column, value shown, reason) for every refused cell of the staged tables.

    ``staged`` maps a dataset's name to its staged table (typed columns, ``_file`` and ``__row``).
    """
    settings = config["data_protection"]
    out: list[tuple[int, int, str, str, str]] = []
    for name, table in staged.items():
        for col in CHILD_REF_COLUMNS.get(name, []) + STAFF_ID_COLUMNS.get(name, []):
            child = col in CHILD_REF_COLUMNS.get(name, [])
            pattern = settings["child_ref_pattern" if child else "staff_id_pattern"]
            what = "a child reference" if child else "a staff id"
            broken = pattern_error(pattern)
            if broken:  # a configuration mistake: reported like a problem, never a traceback
                first = con.execute(f"SELECT min(_file) FROM {table}").fetchall()[0][0] or 0
                out.append((first, None, col, pattern,
                            f"cannot be checked: the configured {'child_ref' if child else 'staff_id'}_pattern "
                            f"is not a valid regular expression ({broken})"))
                continue
            rows = con.execute(
                f"SELECT _file, __row, {qi(col)}, regexp_full_match({qi(col)}, $p) FROM {table} "
                f"WHERE {qi(col)} IS NOT NULL AND (NOT regexp_full_match({qi(col)}, $p) "
                f"OR regexp_full_match({qi(col)}, '[0-9]{{10}}'))", {"p": pattern}).fetchall()
            for file_no, row, value, matches in rows:
                if child and nhs_check_digit_ok(value):
                    out.append((file_no, row, col, "[NHS number]",
                                "looks like an NHS number: use the case management system's reference"))
                elif not matches:
                    # A reference that is not one is often a name: never repeated, only its shape is shown.
                    out.append((file_no, row, col, shape(value),
                                f"is not {what} (its shape is shown, not the value: X a capital, x a small "
                                f"letter, 9 a digit): it must match the configured pattern {pattern} "
                                f"(a reference, never a name or contact details)"))
        for col in _columns(config, name):
            rows = con.execute(f"SELECT _file, __row, {qi(col)} FROM {table} "
                               f"WHERE regexp_matches({qi(col)}, '[0-9@]')").fetchall()
            for file_no, row, value in rows:
                found = find(value)
                if found:
                    kinds = sorted({KINDS[k] for k, _ in found}, key=list(KINDS.values()).index)
                    out.append((file_no, row, col, mask(value, found),
                                f"holds what looks like {' and '.join(kinds)}: free text must not identify "
                                f"anyone; remove it"))
    return sorted(out, key=lambda p: (p[0], p[1] or 0, p[2]))
