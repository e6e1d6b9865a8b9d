"""Publishing a month: the figures, the audit snapshot, the pack and the infographic stored with who and
when; later, the published figures beside today's and the audits that changed since, and why."""
import datetime as dt
import json

import pytest

import monthkit
from analytics import publish
from analytics.database import Database
from analytics.monthly import ExportError
from conftest import needs_chromium, run_cli

WHEN = dt.datetime(2025, 4, 8, 10, 30)


@pytest.fixture
def month_db(tmp_path):
    return monthkit.build(tmp_path / "qa.duckdb")


def reload(path, name, text):
    f = path.parent / name
    f.write_text(text, encoding="utf-8")
    code, _, err = run_cli("load", "--db", path, f)
    assert code == 0, err


def test_publish_stores_summary_for_the_month_and_each_service(month_db):
    db = Database(month_db)
    pub = publish.publish(db, "2025-03", user="QA lead", now=WHEN, with_files=False)
    code, out, _ = run_cli("summary", "--db", month_db, "--from", "2025-03", "--to", "2025-03")
    _, mash, _ = run_cli("summary", "--db", month_db, "--from", "2025-03", "--to", "2025-03", "--service", "MASH")
    with db.read() as con:
        stored = publish.latest(con, "2025-03")
        assert publish.latest(con, "2025-02") is None
        assert publish.published_months(con) == ["2025-03"]
    assert (stored.published_by, stored.published_at, stored.publication_id) == ("QA lead", WHEN, pub.publication_id)
    assert stored.summary == json.loads(out)
    assert set(stored.by_service) == {"MASH", "AI"}
    assert stored.by_service["MASH"] == json.loads(mash)


def test_comparison_lists_what_changed_since_and_why(month_db):
    db = Database(month_db)
    publish.publish(db, "2025-03", user="QA lead", now=WHEN, with_files=False)
    # After the meeting: M10 moderated (Good -> Requires Improvement), M3 benchmarked to Outstanding,
    # A2 re-graded by its auditor, a late audit A4 added, F-audits untouched.
    reload(month_db, "audits_late.csv", monthkit.audits_csv(
        [("M10", "MASH", "G", "R"), ("A2", "AI", "I", "-"), ("A4", "AI", "G", "-")], "2025-03-12"))
    header = monthkit.audits_csv([], "").splitlines()[0]
    reload(month_db, "audits_bench.csv",
           f"{header}\nM3,2025-03-12,MASH,CM3,CP,S2,Team Manager,Good,Good,Outstanding\n")
    with db.read() as con:
        result = publish.comparison(con, "2025-03", db.config)
    figures = result["figures"].set_index("figure")
    assert (figures.loc["Audits", "published"], figures.loc["Audits", "today"]) == (13, 14)
    # Published 8 good of 13; today O 3 (M3 benchmarked), G 5 (M3 and M10 left Good, A4 joined) -> 8 of 14.
    assert figures.loc["% good or better", "published"] == pytest.approx(8 / 13 * 100)
    assert figures.loc["% good or better", "today"] == pytest.approx(8 / 14 * 100)
    assert figures.loc["Moderated", "change"] == 1
    why = dict(zip(result["changes"]["audit_id"], result["changes"]["why"]))
    assert why == {"M10": "moderated after publication", "M3": "benchmarked after publication",
                   "A2": "re-graded by the auditor after publication", "A4": "added after publication"}
    m10 = result["changes"].set_index("audit_id").loc["M10"]
    assert (m10["final_grade_published"], m10["final_grade_now"]) == ("Good", "Requires Improvement")


def test_published_prints_strict_json_with_null_for_a_grade_that_did_not_exist(month_db):
    # An audit added after publication has no published grade: that was printed as NaN, which is not JSON.
    publish.publish(Database(month_db), "2025-03", user="QA lead", now=WHEN, with_files=False)
    reload(month_db, "audits_late.csv", monthkit.audits_csv([("M10", "MASH", "G", "R"), ("A4", "AI", "G", "-")],
                                                             "2025-03-12"))
    code, out, err = run_cli("published", "--db", month_db, "--month", "2025-03")
    assert code == 0, err

    def refuse(token):
        raise ValueError(f"{token} is not JSON")
    shown = json.loads(out, parse_constant=refuse)
    assert sorted(shown["changes"], key=lambda c: c["audit_id"]) == [
        {"audit_id": "A4", "service": "AI", "final_grade_published": None, "final_grade_now": "Good",
         "why": "added after publication"},
        {"audit_id": "M10", "service": "MASH", "final_grade_published": "Good", "final_grade_now": "Requires Improvement",
         "why": "moderated after publication"}]


def test_an_unpublished_month_has_no_comparison_and_no_data_is_refused(month_db):
    db = Database(month_db)
    with db.read() as con:
        assert publish.comparison(con, "2025-03", db.config) is None
    with pytest.raises(ExportError, match="No audits in 2025-06"):
        publish.publish(db, "2025-06", with_files=False)


@needs_chromium
def test_cli_publish_stores_the_pack_and_infographic_as_presented(month_db):
    code, out, err = run_cli("publish", "--db", month_db, "--month", "2025-03", "--by", "Head of QA")
    assert code == 0, err
    assert out.startswith("2025-03 published by Head of QA")
    db = Database(month_db)
    with db.read() as con:
        stored = publish.files(con, publish.latest(con, "2025-03").publication_id)
    assert stored["pptx"][:2] == b"PK" and stored["png"][:4] == b"\x89PNG" and stored["pdf"][:4] == b"%PDF"
    code, out, _ = run_cli("published", "--db", month_db, "--month", "2025-03")
    shown = json.loads(out)
    assert shown["published_by"] == "Head of QA" and shown["changes"] == []
    assert {"figure": "Audits", "published": 13, "today": 13, "change": 0} in shown["figures"]


def test_the_overview_shows_published_figures_beside_todays(month_db, tmp_path, monkeypatch):
    from conftest import open_app_page, use_council_db
    publish.publish(Database(month_db), "2025-03", user="QA lead", now=WHEN, with_files=False)
    reload(month_db, "audits_late.csv", monthkit.audits_csv([("M10", "MASH", "G", "R")], "2025-03-12"))
    use_council_db(month_db, tmp_path, monkeypatch)
    at = open_app_page("pages/overview.py")
    label = next(e.label for e in at.expander if e.label.startswith("As published to QPRM"))
    assert "2025-03 published by QA lead at 2025-04-08 10:30" in label and "1 audits changed since" in label
    frames = [d.value for d in at.dataframe]
    figures = next(f for f in frames if "Published" in f.columns)
    row = figures[figures["Figure"] == "% good or better"].iloc[0]
    assert (row["Published"], row["Today"], row["Change"]) == ("61.5%", "53.8%", "-7.7 pts")
    changes = next(f for f in frames if "Why" in f.columns)
    assert list(changes["Why"]) == ["moderated after publication"]


def test_one_services_published_figures_and_changes(month_db):
    db = Database(month_db)
    publish.publish(db, "2025-03", user="QA lead", now=WHEN, with_files=False)
    reload(month_db, "audits_late.csv", monthkit.audits_csv([("M10", "MASH", "G", "R"), ("A4", "AI", "G", "-")],
                                                            "2025-03-12"))
    with db.read() as con:
        ai = publish.comparison(con, "2025-03", db.config, "AI")
        dcs = publish.comparison(con, "2025-03", db.config, "DCS")
    figures = ai["figures"].set_index("figure")
    assert (figures.loc["Audits", "published"], figures.loc["Audits", "today"]) == (3, 4)   # A1-A3, then A4
    assert list(ai["changes"]["audit_id"]) == ["A4"]                                       # M10 is MASH's
    assert all(v is None for v in dcs["figures"]["published"])   # DCS had no audits when published


def test_a_load_landing_while_a_month_is_published_is_not_mixed_in(month_db, monkeypatch):
    # Another user's load commits between publish's reading of the figures and its storing them: the figures
    # are read again, so the frozen summary and the audit snapshot are of one and the same data.
    db = Database(month_db)
    real, calls = publish.snapshot, []
    late = monthkit.audits_csv([("A4", "AI", "G", "-")], "2025-03-12")

    def snapshot_then_a_load(con, month):
        calls.append(month)
        if len(calls) == 1:
            reload(month_db, "audits_late.csv", late)
        return real(con, month)
    monkeypatch.setattr(publish, "snapshot", snapshot_then_a_load)
    pub = publish.publish(db, "2025-03", user="QA lead", now=WHEN, with_files=False)
    assert len(calls) == 2
    assert pub.summary["audits"]["count"] == 14
    with db.read() as con:
        assert con.execute("SELECT count(*) FROM publication_audits").fetchone()[0] == 14


def test_publishing_a_month_again_keeps_the_earlier_publications_files_on_the_page(month_db, tmp_path, monkeypatch):
    # The page listed only the latest publication of a month: the earlier one's pack could not be downloaded.
    from conftest import open_app_page, use_council_db
    db = Database(month_db)
    first = publish.publish(db, "2025-03", user="QA lead", now=WHEN, with_files=False)
    with db.write() as con:   # the first publication as if made with its files (no chromium needed here)
        con.execute("UPDATE publications SET pack = ?, infographic_pdf = ? WHERE publication_id = ?",
                    [b"PK first pack", b"%PDF first", first.publication_id])
    second = publish.publish(db, "2025-03", user="Head of QA", now=WHEN, with_files=False)
    with db.read() as con:
        assert [p.publication_id for p in publish.publications(con, "2025-03")] == [second.publication_id,
                                                                                    first.publication_id]
        assert publish.stored_kinds(con, first.publication_id) == ["pptx", "pdf"]
        assert publish.stored_kinds(con, second.publication_id) == []
    use_council_db(month_db, tmp_path, monkeypatch)
    at = open_app_page("pages/publish.py")
    labels = [e.label for e in at.expander]
    assert second.line() in labels and first.line() in labels
    assert "Published as figures only: no pack or infographic was stored." in [c.value for c in at.caption]
    buttons = {b.proto.label: b for b in at.get("download_button")
               if b.proto.label.endswith("as published") or "as published (" in b.proto.label}
    assert set(buttons) == {"Pack as published", "Infographic as published (PDF)"}
