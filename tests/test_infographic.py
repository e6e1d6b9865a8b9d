"""The monthly audit infographic: figures from ``summary`` (worked by hand in monthkit), small numbers
suppressed, a PNG and a one-page tagged A4-landscape PDF whose charts carry alt text."""
import io
import json

import pytest

import monthkit
from analytics import infographic
from analytics.database import Database
from analytics.monthly import ExportError
from conftest import needs_chromium, run_cli

chromium = needs_chromium


@pytest.fixture(scope="module")
def data(month_db):
    db = Database(month_db)
    with db.read() as con:
        return infographic.gather(con, "2025-03", None, db.config)


@pytest.fixture(scope="module")
def files(month_db):
    return infographic.build(Database(month_db), "2025-03", demo=False)


def test_the_figures_are_summarys_for_the_month(month_db, data):
    code, out, _ = run_cli("summary", "--db", month_db, "--from", "2025-03", "--to", "2025-03")
    assert code == 0
    assert data["raw"] == json.loads(out)
    a = data["audits"]
    assert (a["count"], a["count_text"], a["good_text"]) == (13, "13", "61.5%")     # 8 / 13
    # February: 5 audits, Good 3, Requires Improvement 2: its sheet hid 60.0% (it gives both back), so the
    # change (61.5 - 60.0) would give it back here.
    assert a["change_pts"] is None
    assert a["provisional_text"] == "<5"                                            # 4 provisional
    # 9 moderated of 13 would give the 4 provisional back, and 88.9% the 9 (8 of 9): both hidden.
    assert data["moderation"]["agreement_text"] == "–"
    assert data["moderation"]["moderated_text"] == "*"
    assert data["actions"]["opened_text"] == "6" and data["actions"]["closed"] == 2
    assert data["actions"]["closed_text"] == "<5"
    assert data["dip_samples"] == [{"theme": "Neglect", "cycle": 2, "records": "6", "good_text": "66.7%",
                                    "change_pts": 46.7}]
    assert (data["strengths"], data["learning"]) == (["Voice of the child"], ["Chronologies"])


def test_the_change_on_last_month_is_rounded_once():
    # 8 of 12 (66.667%) against 7 of 12 (58.333%): 8.3 points, as the Overview and the pack say; subtracting the
    # rounded percentages printed 8.4.
    assert infographic.change_pts(800 / 12, 700 / 12) == 8.3
    assert infographic.change_pts(62.5, 56.25) == 6.3     # 6.25: half away from zero


def test_pillars_weakest_named_and_a_small_pillar_suppressed(data):
    by = {p["pillar"]: p for p in data["pillars"]}
    assert by[monthkit.V]["good_text"] == "76.9%"                                   # 10 / 13
    assert by[monthkit.M]["good_text"] == "40.0%"                                   # 4 / 10
    assert (by[monthkit.AS]["n_text"], by[monthkit.AS]["good_text"]) == ("<5", "–")  # n = 3
    assert data["weakest"] == [monthkit.M] and data["strongest"] == [monthkit.V]


def test_grade_counts_suppressed_with_secondary_cells(data):
    # O 2, G 6, R 3, I 2: O, R and I are 1-4; (O + G) = 8 follows from 61.5% of 13, so with O hidden
    # G alone would give it away: G is hidden too. (R + I) = 5 keeps both hidden.
    assert [g["text"] for g in data["grades"]] == ["<5", "*", "<5", "<5"]
    assert all(g["n"] is None for g in data["grades"])


@pytest.mark.parametrize("counts, marks, pct_hidden", [
    ([2, 6, 3, 2], ["primary", "secondary", "primary", "primary"], False),
    # One small count: (R + I) = 6 from the percentage gives I away; R (5) is hidden too, but a hidden "*" is
    # at least 5 (smaller counts show as "<5"), so R = 5 and I = 1 still: nothing is left to hide in the group,
    # so no count and no percentage is shown.
    ([5, 9, 5, 1], ["secondary"] * 4, True),
    # 7 audits: O 1, G 5, R 1, I 0 (a service's month). The two "<5" must make 2: 1 each. G goes too, and then
    # G >= 5 leaves O = R = 1 still, with only the zero left: nothing is shown.
    ([1, 5, 1, 0], ["secondary"] * 4, True),
    # Two "<5" cells making 5 between them (1 + 4, 2 + 3, ...) are not given away.
    ([6, 9, 2, 3], ["", "", "primary", "primary"], False),
    ([10, 9, 6, 0], ["", "", "", ""], False),
    # (O + G) = 3 is itself small: % good or better would reveal it.
    ([1, 2, 8, 9], ["primary", "primary", "", ""], True),
    # (R + I) = 3: the percentage would give it away; and the total less Good gives R: Good goes too.
    ([0, 6, 3, 0], ["", "secondary", "primary", ""], True),
])
def test_grade_suppression_by_hand(counts, marks, pct_hidden):
    got, hidden = infographic.grade_suppression(counts, 5)
    assert (got, hidden) == (marks, pct_hidden)


def test_a_small_service_shows_no_small_count(month_db):
    db = Database(month_db)
    with db.read() as con:
        d = infographic.gather(con, "2025-03", ("AI",), db.config)
    assert d["audits"]["count_text"] == "<5" and d["audits"]["good_text"] == "–"
    assert d["moderation"]["agreement_text"] == "–"
    html = infographic.to_html(d)
    for raw in (">3<", ">1<"):
        assert raw not in html


def test_no_audits_in_the_month_is_a_clear_error(month_db):
    db = Database(month_db)
    with db.read() as con, pytest.raises(ExportError, match="No audits in 2025-04"):
        infographic.gather(con, "2025-04", None, db.config)


@chromium
def test_png_is_a4_landscape_at_twice_the_scale(files):
    from PIL import Image
    img = Image.open(io.BytesIO(files["png"]))
    assert img.format == "PNG"
    assert img.size == (infographic.WIDTH_PX * 2, infographic.HEIGHT_PX * 2)
    # Greyscale-readable: dark ink on white, real contrast after conversion to grey.
    grey = img.convert("L")
    lo, hi = grey.getextrema()
    assert lo < 60 and hi > 240


@chromium
def test_pdf_one_tagged_a4_landscape_page_with_the_figures_and_alt_text(files):
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject
    reader = PdfReader(io.BytesIO(files["pdf"]))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert round(float(box.width)) == 842 and round(float(box.height)) == 595     # A4 landscape in points
    text = reader.pages[0].extract_text()
    for figure in ("March 2025", "13", "61.5%", "change on 2025-02: –", "76.9%", "40.0%", "66.7%", "Neglect",
                   "Voice of the child", "Chronologies", "<5"):
        assert figure in text, figure
    assert monthkit.FREE_TEXT not in text
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]

    def figures(node, out):
        node = node.get_object()
        if isinstance(node, ArrayObject):
            for k in node:
                figures(k, out)
        elif isinstance(node, DictionaryObject):
            if node.get("/S") == "/Figure":
                out.append(str(node.get("/Alt")))
            if "/K" in node:
                figures(node["/K"], out)
        return out

    alts = figures(root["/StructTreeRoot"], [])
    assert len(alts) == 2
    assert alts[0].startswith("Final grades of the 13 audits in March 2025: Outstanding <5, Good *")
    assert "Management oversight and supervision 40.0% (n 10)" in alts[1]


@chromium
def test_cli_writes_the_png_and_the_pdf(month_db, tmp_path):
    for name in ("out.png", "out.pdf"):
        code, out, err = run_cli("export", "infographic", "--db", month_db, "--month", "2025-03", "--out",
                                 tmp_path / name)
        assert code == 0, err
        head = (tmp_path / name).read_bytes()[:8]
        assert head.startswith(b"\x89PNG" if name.endswith("png") else b"%PDF")


@pytest.mark.parametrize("args, message", [
    (["--month", "2025-04", "--out", "{tmp}/x.png"], "No audits in 2025-04"),
    (["--month", "2025-13", "--out", "{tmp}/x.png"], "is not a month"),
    (["--month", "2025-03", "--out", "{tmp}/missing/x.png"], "does not exist"),
    (["--month", "2025-03", "--out", "{tmp}/x.docx"], "must end in .png or .pdf"),
    (["--month", "2025-03", "--service", "XX", "--out", "{tmp}/x.png"], "is not a service code"),
])
def test_cli_errors_are_clear_and_write_nothing(month_db, tmp_path, args, message):
    args = [a.format(tmp=tmp_path) for a in args]
    code, _, err = run_cli("export", "infographic", "--db", month_db, *args)
    assert code == 1 and message in err, err
    assert not list(tmp_path.glob("x.*"))


def test_cli_refuses_a_folder_it_cannot_write(month_db, tmp_path, monkeypatch):
    import os
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(tmp_path) else real(p, mode))
    code, _, err = run_cli("export", "infographic", "--db", month_db, "--month", "2025-03", "--out",
                           tmp_path / "x.png")
    assert code == 1 and "cannot write there" in err


def test_the_page_is_self_contained(data):
    """Nothing on the page is fetched: fonts are the system's, images are inline."""
    html = infographic.to_html(data)
    assert "http:" not in html and "https:" not in html and "@import" not in html
    assert html.count('src="data:image/svg+xml;base64,') == 2
