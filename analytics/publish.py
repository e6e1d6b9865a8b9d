"""Publishing a month: freeze what QPRM was shown, so it can be reproduced after grades move.

A publication stores, in the database (through ``Database.write()``, the only write path): ``summary``
for the month (all services) and for each service with audits, the slide pack and the infographic
(PNG and PDF) as presented, who published and when, and a snapshot of the month's audits' grades.
Later, ``comparison`` sets the published figures beside today's and lists the audits that changed since,
and why: moderated, benchmarked or re-graded after publication, added, or no longer in the month.
Publishing a month again adds a new publication; the latest one is the month's published figures.
"""
from __future__ import annotations

import datetime as dt
import getpass
import json
from dataclasses import dataclass

import pandas as pd

from .filters import month_end, month_start
from .metrics import summary
from .monthly import ExportError, month_filters, require_audits

TABLES = """
CREATE TABLE IF NOT EXISTS publications (
    publication_id BIGINT PRIMARY KEY, month VARCHAR NOT NULL, published_at TIMESTAMP NOT NULL,
    published_by VARCHAR NOT NULL, summary_json VARCHAR NOT NULL, by_service_json VARCHAR NOT NULL,
    pack BLOB, infographic_png BLOB, infographic_pdf BLOB);
CREATE TABLE IF NOT EXISTS publication_audits (
    publication_id BIGINT NOT NULL, audit_id VARCHAR NOT NULL, service VARCHAR, auditor_grade VARCHAR,
    moderated_grade VARCHAR, benchmarked_grade VARCHAR, final_grade VARCHAR,
    PRIMARY KEY (publication_id, audit_id));
"""
# The grades that make an audit's final grade: the snapshot compared with today's.
SNAPSHOT = ("SELECT audit_id, service, auditor_grade, moderated_grade, benchmarked_grade, final_grade "
            "FROM audits_final WHERE audit_date BETWEEN ? AND ? ORDER BY audit_id")
GRADE_COLUMNS = ["service", "auditor_grade", "moderated_grade", "benchmarked_grade", "final_grade"]


@dataclass(frozen=True)
class Publication:
    publication_id: int
    month: str
    published_at: dt.datetime
    published_by: str
    summary: dict
    by_service: dict

    def line(self) -> str:
        return (f"{self.month} published by {self.published_by} at {self.published_at:%Y-%m-%d %H:%M} "
                f"(publication {self.publication_id})")


def _has_tables(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'publications'"
                            ).fetchone()[0])


def figures(con, month: str, config) -> tuple[dict, dict]:
    """``summary`` for the month, and for each service with audits in it (the library's figures as they stand)."""
    f = month_filters(month)
    whole = summary(con, f, config)
    require_audits(whole["audits"]["count"], f)
    per_service = {code: summary(con, month_filters(month, (code,)), config) for code in whole["by_service"]}
    return whole, per_service


def snapshot(con, month: str) -> pd.DataFrame:
    rows = con.execute(SNAPSHOT, [month_start(month), month_end(month)]).fetchall()
    return pd.DataFrame(rows, columns=["audit_id", *GRADE_COLUMNS], dtype=object)


def publish(db, month: str, *, user: str | None = None, now: dt.datetime | None = None,
            with_files: bool = True) -> Publication:
    """Freeze ``month``: figures, the audit snapshot and (``with_files``) the pack and the infographic."""
    from .database import _generation
    from .demo import is_demo_database
    now = now or dt.datetime.now().replace(microsecond=0)
    user = user or getpass.getuser()
    for attempt in range(PUBLISH_ATTEMPTS):
        # The figures, the audit snapshot and the files are read from one generation; a load or an erasure
        # published meanwhile would mix two (or put back an erased child's rows): then everything is read again.
        with db.reading() as (con, generation):
            whole, per_service = figures(con, month, db.config)
            audits = snapshot(con, month)
        pack_bytes = png = pdf = None
        if with_files:
            from . import infographic, pack
            demo = is_demo_database(db.path)
            pack_bytes = pack.build(db, month, demo=demo)
            images = infographic.build(db, month, demo=demo)
            png, pdf = images["png"], images["pdf"]
        try:
            return _store(db, month, now, user, whole, per_service, audits, pack_bytes, png, pdf,
                          lambda: _generation(db.path) == generation)
        except _Changed:
            continue
    raise RuntimeError(f"the data changed {PUBLISH_ATTEMPTS} times while {month} was being published: "
                       "publish again when no load is running")


PUBLISH_ATTEMPTS = 3


class _Changed(Exception):
    """The published generation moved between reading the figures and storing them."""


def _store(db, month, now, user, whole, per_service, audits, pack_bytes, png, pdf, unchanged) -> Publication:
    with db.write() as con:
        if not unchanged():   # checked under the write lock: nothing can publish after this
            raise _Changed()
        con.execute(TABLES)
        pid = con.execute("SELECT coalesce(max(publication_id), 0) + 1 FROM publications").fetchone()[0]
        con.execute("INSERT INTO publications VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [pid, month, now, user, json.dumps(whole), json.dumps(per_service), pack_bytes, png, pdf])
        if not audits.empty:
            con.executemany("INSERT INTO publication_audits VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [[pid, *row] for row in audits.itertuples(index=False)])
    return Publication(pid, month, now, user, whole, per_service)


def publications(con, month: str) -> list[Publication]:
    """Every publication of the month, latest first (publishing again keeps the earlier ones)."""
    if not _has_tables(con):
        return []
    rows = con.execute("SELECT publication_id, month, published_at, published_by, summary_json, by_service_json "
                       "FROM publications WHERE month = ? ORDER BY publication_id DESC", [month]).fetchall()
    return [Publication(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5])) for r in rows]


def latest(con, month: str) -> Publication | None:
    """The month's latest publication, or None."""
    every = publications(con, month)
    return every[0] if every else None


def stored_kinds(con, publication_id: int) -> list[str]:
    """Which files the publication holds ("pptx", "png", "pdf"), without reading them: none when it was
    published as figures only."""
    row = con.execute("SELECT pack IS NOT NULL, infographic_png IS NOT NULL, infographic_pdf IS NOT NULL "
                      "FROM publications WHERE publication_id = ?", [publication_id]).fetchone()
    return [kind for kind, held in zip(("pptx", "png", "pdf"), row or ()) if held]


def published_months(con) -> list[str]:
    if not _has_tables(con):
        return []
    return [r[0] for r in con.execute("SELECT DISTINCT month FROM publications ORDER BY 1 DESC").fetchall()]


def files(con, publication_id: int) -> dict[str, bytes | None]:
    """The pack and the infographic as presented."""
    row = con.execute("SELECT pack, infographic_png, infographic_pdf FROM publications WHERE publication_id = ?",
                      [publication_id]).fetchone()
    if row is None:
        raise ExportError(f"no publication {publication_id}")
    return {"pptx": row[0], "png": row[1], "pdf": row[2]}


def _reason(then: dict, now: dict) -> str:
    if then["moderated_grade"] is None and now["moderated_grade"] is not None:
        return "moderated after publication"
    if then["benchmarked_grade"] != now["benchmarked_grade"]:
        return "benchmarked after publication"
    if then["moderated_grade"] != now["moderated_grade"]:
        return "moderated grade changed after publication"
    if then["auditor_grade"] != now["auditor_grade"]:
        return "re-graded by the auditor after publication"
    return "service changed after publication"


def changes(con, publication: Publication) -> pd.DataFrame:
    """Each audit of the month whose grades differ from the snapshot, with what changed and why."""
    then = pd.DataFrame(con.execute(
        "SELECT audit_id, service, auditor_grade, moderated_grade, benchmarked_grade, final_grade "
        "FROM publication_audits WHERE publication_id = ?", [publication.publication_id]).fetchall(),
        columns=["audit_id", *GRADE_COLUMNS], dtype=object)
    now = snapshot(con, publication.month)
    merged = then.merge(now, on="audit_id", how="outer", suffixes=("_then", "_now"), indicator=True)
    rows = []
    for r in merged.to_dict("records"):
        before = {c: _none(r[f"{c}_then"]) for c in GRADE_COLUMNS}
        after = {c: _none(r[f"{c}_now"]) for c in GRADE_COLUMNS}
        if r["_merge"] == "right_only":
            why = "added after publication"
        elif r["_merge"] == "left_only":
            why = "no longer in the month (removed or re-dated)"
        elif before == after:
            continue
        else:
            why = _reason(before, after)
        rows.append({"audit_id": r["audit_id"], "service": after["service"] or before["service"],
                     "final_grade_published": before["final_grade"], "final_grade_now": after["final_grade"],
                     "why": why})
    return pd.DataFrame(rows, columns=["audit_id", "service", "final_grade_published", "final_grade_now", "why"])


def _none(v):
    return None if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA else v


HEADLINE = [("Audits", ("audits", "count"), "count"), ("Provisional", ("audits", "provisional"), "count"),
            ("% good or better", ("audits", "good_or_better_pct"), "pct"),
            ("% inadequate", ("audits", "inadequate_pct"), "pct"),
            ("Moderated", ("moderation", "moderated"), "count"),
            ("Moderation agreement %", ("moderation", "agreement_pct"), "pct"),
            ("Benchmarked", ("benchmarking", "benchmarked"), "count"),
            ("Learning actions open", ("learning_actions", "open"), "count"),
            ("Escalations raised", ("escalations", "raised"), "count")]


def comparison(con, month: str, config, service: str | None = None) -> dict | None:
    """The month's published figures beside today's (the same ``summary``), and the audits that changed;
    for one service, that service's published figures (none when it had no audits then).

    None when the month was never published.
    """
    pub = latest(con, month)
    if pub is None:
        return None
    today = summary(con, month_filters(month, (service,) if service else None), config)
    published = pub.summary if service is None else pub.by_service.get(service)
    rows = []
    for label, (group, key), unit in HEADLINE:
        then, now = None if published is None else published[group][key], today[group][key]
        change = None if then is None or now is None else now - then
        rows.append({"figure": label, "published": then, "today": now, "change": change, "unit": unit})
    changed = changes(con, pub)
    if service is not None:
        changed = changed[changed["service"] == service].reset_index(drop=True)
    return {"publication": pub, "service": service, "figures": pd.DataFrame(rows, dtype=object),
            "changes": changed}
