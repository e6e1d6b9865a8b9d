"""The QPRM slide pack: one slide per subject, in order, speaker notes with summary's figures and their
definitions, a KPI table with variation and assurance icons, and the CLI."""
import io
import json

import pytest

import monthkit
from analytics import pack
from analytics.database import Database
from conftest import needs_chromium, run_cli

chromium = needs_chromium

TITLES = ["Quality assurance: audit and learning headlines, March 2025", "Headlines: March 2025",
          "% good or better by service to March 2025", "Pillars by service: 12 months to March 2025",
          "Moderation drift: 12 months to March 2025", "KPIs: signal or noise, to March 2025",
          "Learning actions: March 2025", "Escalations: March 2025"]


@pytest.fixture(scope="module")
def slides(month_db):
    db = Database(month_db)
    with db.read() as con:
        return pack.contents(con, "2025-03", None, db.config)


@pytest.fixture(scope="module")
def pptx_file(month_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("pack") / "pack.pptx"
    code, _, err = run_cli("export", "pack", "--db", month_db, "--month", "2025-03", "--out", out)
    assert code == 0, err
    return out


def test_one_slide_per_subject_in_order(slides):
    assert [s.title for s in slides] == TITLES
    assert all(s.notes for s in slides)


def test_notes_hold_summarys_figures_and_definitions(month_db, slides):
    code, out, _ = run_cli("summary", "--db", month_db, "--from", "2025-03", "--to", "2025-03")
    s = json.loads(out)
    head = slides[1].notes
    # The pack circulates widely (domain.md): small numbers suppressed as on the infographic.
    assert (s["audits"]["count"], s["audits"]["provisional"]) == (13, 4)
    assert "13 audits, <5 provisional" in head
    # O 2, G 6, R 3, I 2: the infographic's rule (61.5% of 13 gives O + G = 8, so G goes with O).
    assert "% good or better 61.5%" in head and "Outstanding <5, Good *, Requires Improvement <5, Inadequate <5" in head
    assert "Final grade = benchmarked grade if present" in head
    # MASH 10 and AI 3 make the 13 audits: AI hidden, so MASH too, and their percentages.
    assert "MASH * audits, – good or better; AI <5 audits, – good or better" in slides[2].notes
    assert f"{monthkit.M} 40.0% of 10" in slides[3].notes
    # 9 moderated of 13 would give back the 4 provisional (hidden above): "*". 8 agree (88.9%), 1 downgraded
    # (M9), 0 upgraded: the 1 is hidden, so the 8 (the %) too, and net drift (-1/9 gives the 1 back).
    assert ("* moderated audits, agreement –, <5 downgraded, 0 upgraded, net drift –, weighted kappa –"
            in slides[4].notes)
    assert "Learning actions raised in 2025-03: 6 raised, 5 open" in slides[6].notes   # LA1 completed
    assert "Escalations raised in 2025-03: <5; open on 2025-03-31: <5" in slides[7].notes
    assert "Making Data Count" in slides[5].notes
    assert "Small numbers suppressed" in slides[0].notes
    for slide in slides:      # no small count left in a table
        if slide.table is not None:
            cells = [str(v) for v in slide.table.to_numpy().ravel()]
            assert not {"1", "2", "3", "4"} & set(cells), slide.title


def test_headline_table_is_the_overviews(slides):
    table = slides[1].table
    assert list(table.columns[:3]) == ["Figure", "2025-03", "2025-02"]
    good = table[table["Figure"] == "Good or better"].iloc[0]
    # February: 5 audits, Good 3 and Requires Improvement 2: its 60.0% would give both back, so it goes, and
    # with it the change.
    assert (good["2025-03"], good["2025-02"], good["Change on month"]) == ("61.5%", "–", "–")
    # March: Inadequate 2 is hidden, so % inadequate (x 13 audits) goes too.
    bad = table[table["Figure"] == "Inadequate"].iloc[0]
    assert bad["2025-03"] == "–"
    provisional = table[table["Figure"] == "Provisional (not yet moderated)"].iloc[0]
    assert (provisional["2025-03"], provisional["2025-02"]) == ("<5", "0")


def test_kpi_table_has_variation_and_assurance(slides):
    table = slides[5].table
    assert {"Variation", "Assurance"} <= set(table.columns)
    row = table[table["KPI"].str.startswith("Re-referrals")].iloc[0]
    assert row["Latest"] == "21.0%" and row["Variation"].startswith("●")   # three points: common cause


@chromium
def test_the_file_opens_with_every_slide_and_its_notes(pptx_file, slides):
    from pptx import Presentation
    prs = Presentation(str(pptx_file))
    assert len(prs.slides) == len(TITLES)
    for slide, expected in zip(prs.slides, slides):
        texts = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
        assert expected.title in texts
        assert slide.notes_slide.notes_text_frame.text == expected.notes
    pictures = [sh for slide in prs.slides for sh in slide.shapes if sh.shape_type == 13]
    assert len(pictures) == 4      # trends, heatmap, moderation, escalations
    from PIL import Image
    for pic in pictures:
        assert Image.open(io.BytesIO(pic.image.blob)).size[0] >= 1280      # 2x scale
    headline = next(sh for sh in prs.slides[1].shapes if sh.has_table).table
    assert headline.cell(2, 1).text == "61.5%"


def test_cli_pack_errors(month_db, tmp_path):
    code, _, err = run_cli("export", "pack", "--db", month_db, "--month", "2025-05", "--out", tmp_path / "p.pptx")
    assert code == 1 and "No audits in 2025-05" in err
    code, _, err = run_cli("export", "pack", "--db", month_db, "--month", "2025-03", "--out", tmp_path / "p.pdf")
    assert code == 1 and "must end in .pptx" in err
    assert not list(tmp_path.iterdir())


def test_the_summary_command_stays_lean(month_db):
    """The export commands live in the same CLI; `summary` must not pull in plotly, streamlit or the renderers,
    nor pandas (the derived tables' refresh functions are imported only when a write rebuilds them)."""
    import subprocess
    import sys
    code = ("import sys, io, contextlib; from analytics.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['summary', '--db', {str(month_db)!r}])\n"
            "print(sorted(m for m in ('plotly', 'streamlit', 'kaleido', 'pptx', 'playwright', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ})
    assert out.stdout.strip() == "[]"


def test_coloured_text_on_slides_keeps_contrast():
    """Variation and assurance words must read on a projector and in greyscale: 4.5:1 against white."""
    import plotly.colors as pc
    from analytics.heatmap import _contrast, _luminance
    for name, colour in pack.TEXT_COLOURS.items():
        assert _contrast(_luminance(pc.hex_to_rgb(colour)), 1.0) >= 4.5, name


def test_figures_are_rounded_half_away_from_zero():
    # format() rounds half to even: net drift 2/16 = 0.125 was 0.12 in the notes, the Moderation page's 0.13.
    from analytics.pack import _num
    assert (_num(0.125, 2), _num(0.625, 2), _num(22.25), _num(-0.125, 2), _num(None)) == ("0.13", "0.63", "22.3",
                                                                                        "-0.13", "–")


def test_line_labels_go_above_peaks_below_troughs_and_never_on_a_close_neighbours_side():
    from analytics.pack import label_sides
    # 95 a peak, 76 a trough; 83.3, 82.6 and 80.0 close together alternate (they printed over each other).
    assert label_sides([77.3, 95.0, 76.0, 87.0]) == ["bottom center", "top center", "bottom center", "top center"]
    sides = label_sides([95.0, 83.3, 82.6, 80.0, 75.0])
    assert all(a != b for a, b in zip(sides, sides[1:4]))
    assert label_sides([None, 50.0]) == ["top center", "top center"]


def test_on_time_rests_on_the_completed_actions_and_small_escalation_bars_are_not_drawn(slides):
    import pandas as pd
    from analytics.pack import _escalations_chart, _Small
    # 6 actions raised, 1 completed (LA1): 100% on time would be one action's outcome.
    table = slides[6].table.set_index("Learning actions")
    assert table.loc["Raised", "Raised in 2025-03"] == "6"
    assert table.loc["Completed on time", "Raised in 2025-03"] == "–"
    # May: IRO 10 and CP chair 2 with the month's 12 in the table: the 2 is hidden, and so is the 10 (12 - 10);
    # June's 9 and 8 stay.
    monthly = pd.DataFrame({"month": ["2026-05", "2026-05", "2026-06", "2026-06"],
                            "raised_by": ["IRO", "CP Chair", "IRO", "CP Chair"], "n": [10, 2, 9, 8]})
    fig = _escalations_chart(monthly, _Small(5))
    drawn = {(m, t.name): n for t in fig.data for m, n in zip(t.x, t.y)}
    assert drawn == {("2026-06", "IRO"): 9, ("2026-06", "CP Chair"): 8}


def test_parts_of_a_shown_total_are_never_pinned():
    from analytics.suppression import shown_parts
    assert shown_parts([4, 20], 24, 5) == ["<5", "*"]       # provisional 4 of 24: moderated 20 gives it back
    assert shown_parts([4, 4], 8, 5) == ["*", "*"]          # two "<5" making 8 are 4 each: nothing is shown
    assert shown_parts([0, 24], 24, 5) == ["0", "24"]
