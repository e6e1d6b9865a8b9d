"""Equality, diversity and inclusion: figures by the child's characteristics, suppressed, worked out by hand.

The fixture is built from blocks of identical audits so that each table can be counted on paper.
Good = final grade Good (rank 2); not good = Requires Improvement (rank 3). A provisional audit has no
moderated grade. Threshold 5 (the default): "<5" = 1..4, "*" = hidden to protect a "<5", "–" = no %.
The published table gives each group's count and % good or better, so the counts column (with its total)
is the only line a reader could solve.
"""
import copy

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, run_cli

V = "Voice and lived experience of the child"
AS = "Assessment and analysis"

# block  age    gender  ethnicity               disability  grade     audits  of which provisional  AS pillar
BLOCKS = [
    ("B1", "0-4", "Female", "White British", "Y", "good", 9, 0, None),
    ("B2", "0-4", "Male", "White British", "N", "not", 3, 0, None),
    ("B3", "5-9", "Female", "Mixed", "N", "good", 6, 2, None),
    ("B4", "5-9", "Male", "White British", "", "not", 4, 0, None),
    ("B5", "10-15", "Female", "White British", "N", "good", 12, 5, "Good"),
    ("B6", "10-15", "Male", "Black or Black British", "N", "not", 8, 0, "Outstanding"),
    ("B7", "16-17", "Male", "White British", "N", "good", 7, 6, "Inadequate"),
    ("B8", "16-17", "Female", "White British", "N", "not", 8, 0, None),
    ("B9", "", "Male", "", "", "good", 1, 0, None),
    ("B10", "", "Female", "White British", "N", "not", 1, 0, None),
]
# Totals: 59 audits, 35 good, 24 not good, 13 provisional.


def fixture_csv():
    audits = ["audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade,moderated_grade,"
              "child_age_band,child_gender,child_ethnicity_group,child_disability"]
    pillars = ["audit_id,pillar,auditor_grade,moderated_grade"]
    i = 0
    for block, age, gender, ethnicity, disability, grade, count, provisional, as_grade in BLOCKS:
        label = "Good" if grade == "good" else "Requires Improvement"
        for k in range(count):
            i += 1
            audit_id = f"{block}-{k + 1:02d}"
            moderated = "" if k < provisional else label
            audits.append(f"{audit_id},2025-03-{i % 28 + 1:02d},AI,C{i:03d},CP,Team Manager,{label},{moderated},"
                          f"{age},{gender},{ethnicity},{disability}")
            pillars.append(f"{audit_id},{V},{label},")
            if as_grade:
                pillars.append(f"{audit_id},{AS},{as_grade},")
    return "\n".join(audits) + "\n", "\n".join(pillars) + "\n"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("equality") / "qa.duckdb"
    folder = path.parent / "csv"
    folder.mkdir()
    audits, pillars = fixture_csv()
    (folder / "audits.csv").write_text(audits, encoding="utf-8")
    (folder / "audit_pillars.csv").write_text(pillars, encoding="utf-8")
    code, _, err = run_cli("load", "--db", path, folder / "audits.csv", folder / "audit_pillars.csv")
    assert code == 0, err
    return path


@pytest.fixture
def config():
    from analytics.config import Config
    return Config()


def F(**kw):
    from analytics.filters import Filters
    return Filters("2025-03", "2025-03", **kw)


COLUMNS = ["Audits", "% good or better", "95% interval (n < 20)", "Provisional", "Note"]
SMALL = "Fewer than 5 audits: suppressed"
PROTECT = "Hidden so that a suppressed group cannot be worked out from the total"


def table(rates, label):
    t = rates.table
    assert list(t.columns) == [label, *COLUMNS]
    return {r[label]: tuple(r[c] for c in COLUMNS) for r in t.to_dict("records")}


# --- unsuppressed counts --------------------------------------------------------------------------------
def test_counts_and_labels(con):
    from analytics import equality
    c = equality.audit_counts(con, F(), "child_age_band")
    # age bands youngest first; blank is "Not recorded", last
    assert list(c["group"]) == ["0-4", "5-9", "10-15", "16-17", "Not recorded"]
    assert list(c["n"]) == [12, 10, 20, 15, 2]          # B1+B2, B3+B4, B5+B6, B7+B8, B9+B10
    assert list(c["good"]) == [9, 6, 12, 7, 1]
    assert list(c["provisional"]) == [0, 2, 5, 6, 0]
    d = equality.audit_counts(con, F(), "child_disability")
    # Y/N in words; blank "Not recorded"
    assert list(d["group"]) == ["Disabled", "Not disabled", "Not recorded"]
    assert list(d["n"]) == [9, 45, 5]                    # B1; B2 B3 B5 B6 B7 B8 B10; B4 B9
    e = equality.audit_counts(con, F(), "child_ethnicity_group")
    assert list(e["group"]) == ["Black or Black British", "Mixed", "White British", "Not recorded"]
    assert list(e["n"]) == [8, 6, 44, 1]


# --- suppressed tables ------------------------------------------------------------------------------------
# test_age_band's table, worked out there.
AGE_BAND = {
    "0-4": ("12", "75.0%", "46.8–91.1%", "0", ""),
    "5-9": ("*", "–", "", "<5", PROTECT),
    "10-15": ("20", "60.0%", "", "*", ""),
    "16-17": ("15", "46.7%", "24.8–69.9%", "6", ""),
    "Not recorded": ("<5", "–", "", "0", SMALL),
    "All audits": ("59", "59.3%", "", "13", ""),
}


def test_age_band(con, config):
    from analytics import equality
    # audits (12, 10, 20, 15, 2 | 59), good (9, 6, 12, 7, 1 | 35)
    # Audits column: 2 is "<5" and alone -> the smallest other count, 10 (5-9), is hidden too; no more.
    # Provisional (0, 2, 5, 6, 0 | 13): 2 alone -> hide 5 (the zeros are never hidden).
    # 0-4: 9 of 12 = 75.0%, n < 20 so the Wilson interval 46.8-91.1%; 10-15: 12 of 20 = 60.0%, no interval;
    # 16-17: 7 of 15 = 46.7%, 24.8-69.9%; All: 35 of 59 = 59.3%.
    assert table(equality.audit_rates(con, F(), "child_age_band", config), "Age band") == AGE_BAND


def test_gender_nothing_small(con, config):
    from analytics import equality
    # Female B1 B3 B5 B8 B10: good 9+6+12 = 27 of 36; Male B2 B4 B6 B7 B9: good 7+1 = 8 of 23
    # provisional Female 2+5 = 7, Male 6
    assert table(equality.audit_rates(con, F(), "child_gender", config), "Gender") == {
        "Female": ("36", "75.0%", "", "7", ""),
        "Male": ("23", "34.8%", "", "6", ""),          # 8/23 = 34.78
        "All audits": ("59", "59.3%", "", "13", ""),
    }


def test_ethnicity_zero_cells_shown(con, config):
    from analytics import equality
    # Black 0 of 8, Mixed 6 of 6, White British 28 of 44, NR 1 of 1.
    # Audits column (8, 6, 44, 1 | 59): 1 alone -> hide 6 (Mixed).
    # Black: 0 of 8 = 0.0% is shown, with the interval 0.0-32.4% (n < 20).
    # Provisional (0, 2, 11, 0 | 13): 2 alone -> hide 11.
    assert table(equality.audit_rates(con, F(), "child_ethnicity_group", config), "Ethnicity group") == {
        "Black or Black British": ("8", "0.0%", "0.0–32.4%", "0", ""),
        "Mixed": ("*", "–", "", "<5", PROTECT),
        "White British": ("44", "63.6%", "", "*", ""),
        "Not recorded": ("<5", "–", "", "0", SMALL),
        "All audits": ("59", "59.3%", "", "13", ""),
    }


def test_disability_a_small_share_of_a_large_group_is_shown(con, config):
    from analytics import equality
    # Disabled 9 of 9; Not disabled B2 B3 B5 B6 B7 B8 B10: good 6+12+7 = 25 of 45; NR B4 B9: 1 of 5.
    # No count is below 5, so nothing is hidden: metrics.md suppresses small counts and percentages over
    # small denominators, not small percentages (NR's 1 good of 5 shows as 20.0%).
    # Wilson: 9/9 -> 70.1-100.0%; 1/5 -> 3.6-62.4%.
    assert table(equality.audit_rates(con, F(), "child_disability", config), "Disability") == {
        "Disabled": ("9", "100.0%", "70.1–100.0%", "0", ""),
        "Not disabled": ("45", "55.6%", "", "13", ""),
        "Not recorded": ("5", "20.0%", "3.6–62.4%", "0", ""),
        "All audits": ("59", "59.3%", "", "13", ""),
    }


def test_threshold_is_read_from_the_configuration(con):
    from analytics import equality
    from analytics.config import DEFAULTS, Config
    raw = copy.deepcopy(DEFAULTS)
    raw["small_number_threshold"] = 10
    # audits 36 and 23 stay; provisional 7 and 6 are both < 10 (two hidden: the total 13 gives neither away).
    got = table(equality.audit_rates(con, F(), "child_gender", Config(raw)), "Gender")
    assert got == {
        "Female": ("36", "75.0%", "", "<10", ""),
        "Male": ("23", "34.8%", "", "<10", ""),
        "All audits": ("59", "59.3%", "", "13", ""),
    }
    raw["small_number_threshold"] = 13
    # age band audits (12, 10, 20, 15, 2): 12, 10 and 2 are below 13 -> three "<13", no "*"
    age = table(equality.audit_rates(con, F(), "child_age_band", Config(raw)), "Age band")
    assert [age[g][0] for g in ("0-4", "5-9", "10-15", "16-17", "Not recorded")] == ["<13", "<13", "20", "15", "<13"]


def test_pillar_grades_by_age_band(con, config):
    from analytics import equality
    r = equality.pillar_rates(con, F(), "child_age_band", config)
    t = r.table
    assert list(t.columns) == ["Pillar", "Age band", "Pillar grades", *COLUMNS[1:]]
    # Voice: one row per audit with the audit's grade -> the same table as the audits'
    voice = t[t["Pillar"] == V].drop(columns="Pillar").rename(columns={"Pillar grades": "Audits"})
    audits = equality.audit_rates(con, F(), "child_age_band", config).table
    assert voice.reset_index(drop=True).drop(columns="Note").equals(audits.drop(columns="Note"))
    # Assessment: B5 Good x12 and B6 Outstanding x8 (10-15: 20 good of 20); B7 Inadequate x7 (16-17: 0 of 7)
    # provisional: B5 5, B7 6
    assessment = t[t["Pillar"] == AS]
    assert [tuple(x) for x in assessment.drop(columns="Pillar").values] == [
        ("10-15", "20", "100.0%", "", "5", ""),
        ("16-17", "7", "0.0%", "0.0–35.4%", "6", ""),
        ("All audits", "27", "74.1%", "", "11", ""),   # 20/27 = 74.07
    ]
    # the heatmap's values: only what may be shown
    chart = r.chart.set_index(["pillar", "label"])
    assert chart.loc[(AS, "10-15"), "good_pct"] == 100.0
    assert chart.loc[(AS, "16-17"), "text"] == "0.0% (n=7)"
    assert chart.loc[(V, "5-9"), "text"] == "– (n=*)"
    assert chart.loc[(V, "5-9"), "good_pct"] != chart.loc[(V, "5-9"), "good_pct"]   # NaN: nothing to draw


def test_chart_values_never_carry_a_hidden_figure(con, config):
    from analytics import equality
    chart = equality.audit_rates(con, F(), "child_age_band", config).chart.set_index("label")
    assert chart.loc["16-17", "good_pct"] == pytest.approx(700 / 15)
    assert (chart.loc["16-17", "ci_low"], chart.loc["16-17", "ci_high"]) == pytest.approx((24.8095, 69.8830), abs=1e-3)
    assert chart.loc["16-17", "text"] == "46.7% (n=15)"
    assert chart.loc["0-4", "text"] == "75.0% (n=12)"
    for hidden in ("5-9", "Not recorded"):
        assert chart.loc[hidden, "good_pct"] != chart.loc[hidden, "good_pct"]    # NaN
        assert chart.loc[hidden, "ci_low"] != chart.loc[hidden, "ci_low"]
    assert chart.loc["5-9", "text"] == "– (n=*)"
    assert chart.loc["Not recorded", "text"] == "– (n=<5)"


def test_filters_apply(con, config):
    from analytics import equality
    assert equality.audit_rates(con, F(services=("MASH",)), "child_gender", config).table.empty
    assert equality.pillar_rates(con, F(services=("MASH",)), "child_gender", config).table.empty
    # the all-audits row equals summary's audit figures
    from analytics import metrics
    s = metrics.summary(con, F(), config)["audits"]
    assert (s["count"], s["good_or_better_pct"]) == (59, pytest.approx(3500 / 59))


# --- the page ----------------------------------------------------------------------------------------------
@pytest.fixture
def page_dir(db, monkeypatch):
    monkeypatch.setenv("QA_DASHBOARD_DATA_DIR", str(db.parent))
    monkeypatch.chdir(ROOT)


def test_page_shows_the_suppressed_tables(page_dir, con, config):
    from analytics import equality, metrics
    from analytics.presentation import format_pct
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/equality.py").run()
    assert not at.exception, at.exception
    frames = [d.value for d in at.dataframe]
    assert len(frames) == 8                   # per characteristic: audits, pillar grades
    for i, column in enumerate(equality.CHARACTERISTICS):
        assert frames[2 * i].equals(equality.audit_rates(con, F(), column, config).table), column
        assert frames[2 * i + 1].equals(equality.pillar_rates(con, F(), column, config).table), column
    age = frames[0].set_index("Age band")
    assert age.loc["16-17", "% good or better"] == "46.7%"
    assert age.loc["5-9", "Audits"] == "*" and age.loc["Not recorded", "Audits"] == "<5"
    s = metrics.summary(con, F(), config)["audits"]
    assert age.loc["All audits", "Audits"] == str(s["count"])
    assert age.loc["All audits", "% good or better"] == format_pct(s["good_or_better_pct"])
    # no figure behind a suppressed cell reaches the page, not even in the CSV
    assert not {"10", "2"} & set(frames[0]["Audits"])             # 5-9 and Not recorded are hidden
    assert any("<5 is a count from 1 to 4" in c.value for c in at.caption)


def test_page_on_an_empty_database(empty_council_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/equality.py").run()
    assert not at.exception, at.exception
    assert at.info and not at.dataframe


def test_page_rates_are_each_characteristics_rates_from_two_scans(con, config):
    import pandas as pd
    from analytics import equality
    # The hand-worked table of test_age_band, now from the one grouping-sets query; then every table alike.
    rates = equality.page_rates(con, F(), config)
    assert table(rates["child_age_band"][0], "Age band") == AGE_BAND     # as in test_age_band
    for f in (F(), F(services=("AI",))):
        rates = equality.page_rates(con, f, config)
        for column in equality.CHARACTERISTICS:
            audit, pillar = rates[column]
            one_audit, one_pillar = equality.audit_rates(con, f, column, config), \
                equality.pillar_rates(con, f, column, config)
            pd.testing.assert_frame_equal(audit.table, one_audit.table)
            pd.testing.assert_frame_equal(audit.chart, one_audit.chart)
            pd.testing.assert_frame_equal(pillar.table, one_pillar.table)
            pd.testing.assert_frame_equal(pillar.chart, one_pillar.chart)


def test_pillar_tables_equal_one_rates_call_per_pillar(config):
    """_pillar_rates builds one frame from plain rows: the same table and chart (values and column types) as
    ``rates`` called pillar by pillar and stacked, including a pillar whose intervals are all absent (n >= 20)
    beside one with small groups (intervals shown, one count suppressed)."""
    import pandas as pd
    from analytics import equality
    counts = pd.DataFrame({"pillar": ["P1", "P1", "P2", "P2", "P2"],
                           "group": ["0-4", "5-9", "0-4", "5-9", "Not recorded"],
                           "n": [40, 25, 12, 3, 9], "good": [30, 5, 6, 1, 9], "provisional": [0, 2, 1, 0, 4]})
    got = equality._pillar_rates(counts, "child_age_band", config)
    tables, charts = [], []
    for pillar, rows in counts.groupby("pillar", sort=False):
        r = equality.rates(rows, equality.threshold_of(config), "Age band", "Pillar grades")
        tables.append(r.table.assign(Pillar=pillar)[["Pillar", *r.table.columns]])
        charts.append(r.chart.assign(pillar=pillar))
    pd.testing.assert_frame_equal(got.table, pd.concat(tables, ignore_index=True), check_exact=True)
    want = pd.concat(charts, ignore_index=True)
    pd.testing.assert_frame_equal(got.chart, want, check_exact=True)
    assert got.chart["ci_low"].dtype == object and got.chart["ci_low"].iloc[0] is None   # P1: no interval
    assert list(got.table["Pillar grades"]) == ["40", "25", "65", "12", "<5", "*", "24"]


def test_equality_rollup_by_hand_and_the_role_filter_reads_the_rows(con, config):
    """equality_rollup holds the page's counts per month and service (age bands worked out from BLOCKS); a
    role filter, which it does not keep, reads the rows and gives the same tables when it names every role."""
    import pandas as pd
    from analytics import equality
    rows = con.execute("""SELECT "group", pillar, n, good, provisional FROM equality_rollup
                          WHERE characteristic = 'child_age_band' AND (pillar IS NULL OR pillar = ?)
                          ORDER BY pillar NULLS FIRST, "group" """, [AS]).fetchall()
    assert rows == [("0-4", None, 12, 9, 0), ("10-15", None, 20, 12, 5), ("16-17", None, 15, 7, 6),
                    ("5-9", None, 10, 6, 2), ("Not recorded", None, 2, 1, 0),
                    # AS pillar rows: B5 Good (12, 5 provisional), B6 Outstanding (8), B7 Inadequate (7, 6 prov.)
                    ("10-15", AS, 20, 20, 5), ("16-17", AS, 7, 0, 6)]
    every, named = equality.page_rates(con, F(), config), equality.page_rates(con, F(auditor_roles=("Team Manager",)), config)
    for column in equality.CHARACTERISTICS:
        for a, b in zip(every[column], named[column]):
            pd.testing.assert_frame_equal(a.table, b.table)
            pd.testing.assert_frame_equal(a.chart, b.chart)


def test_equality_rollup_follows_a_load(tmp_path, config):
    from analytics import equality
    from analytics.database import Database
    audits, pillars = fixture_csv()
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "audits.csv").write_text(audits, encoding="utf-8")
    (folder / "audit_pillars.csv").write_text(pillars, encoding="utf-8")
    path = tmp_path / "qa.duckdb"
    assert run_cli("load", "--db", path, folder / "audits.csv", folder / "audit_pillars.csv")[0] == 0
    (folder / "more.csv").write_text(audits.splitlines()[0] + "\nX-01,2025-03-05,AI,C999,CP,Team Manager,Good,Good,"
                                     "0-4,Female,White British,Y\n", encoding="utf-8")
    assert run_cli("load", "--db", path, "--dataset", "audits", folder / "more.csv")[0] == 0
    with Database(path).read() as con:
        got = table(equality.page_rates(con, F(), config)["child_age_band"][0], "Age band")
    assert got["0-4"][:2] == ("13", "76.9%") and got["All audits"][0] == "60"       # 10 good of 13; 60 audits
