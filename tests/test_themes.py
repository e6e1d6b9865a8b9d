"""The theme explorer: synonyms meet, mentions per strand and month counted by hand, the headline; the page on
this fixture and on an empty database.

Period January-March 2025 (the audits' months); D = 2025-03-31.
"""
import pytest
from streamlit.testing.v1 import AppTest

from conftest import load_csv_texts, use_council_db, ROOT

VOICE = "Voice and lived experience of the child"    # configured pillar 1
AS = "Assessment and analysis"

# Voice pillar, final grade (moderated else auditor): A1 Good, A2 Good (RI moderated to Good), A3 Inadequate
# (provisional: A3 not moderated). -> 3 pillar grades, 2 good or better, 1 provisional; one a month.
AUDITS = """\
audit_id,audit_date,service,child_ref,cohort,auditor_role,auditor_grade,moderated_grade
A1,2025-01-10,AI,C1,CP,Team Manager,Good,Good
A2,2025-02-10,CF,C2,CIN,Team Manager,Good,Requires Improvement
A3,2025-03-10,AI,C3,CP,Team Manager,Inadequate,
"""
PILLARS = f"""\
audit_id,pillar,auditor_grade,moderated_grade
A1,{VOICE},Good,
A2,{VOICE},Requires Improvement,Good
A3,{VOICE},Inadequate,
A1,{AS},Good,
"""
# DS1 (theme a synonym of the voice of the child), 3 records in February; DS2 not the theme.
DIPS = """\
dip_sample_id,theme,sample_date,service,child_ref,grade,criteria_met,criteria_total
DS1,The lived experience of the child,2025-02-05,AI,K1,Good,3,4
DS1,The lived experience of the child,2025-02-05,AI,K2,Requires Improvement,2,4
DS1,The lived experience of the child,2025-02-06,CF,K3,Good,4,4
DS2,Re-referrals,2025-03-03,MASH,K4,Good,4,4
"""
# F2 spells it with a typographic apostrophe. Findings take their dip sample's first date: F1 F2 Feb, F3 Mar.
FINDINGS = """\
finding_id,dip_sample_id,finding_type,theme_tag,summary
F1,DS1,Strength,Voice of child,Clearly evidenced
F2,DS1,Learning,Child\u2019s voice,Not consistent
F3,DS2,Learning,Voice of the child,Variable
F4,DS2,Strength,Risk analysis,Good
"""
# FB2 names the theme twice (two synonyms): one mention. FB4 is before the period.
FEEDBACK = """\
feedback_id,received_date,channel,sentiment,service,themes
FB1,2025-01-05,SFF under 13,Positive,AI,Being listened to; Communication
FB2,2025-01-20,MOMO,Negative,,Voice of the child; voice of child
FB3,2025-03-15,Email,Mixed,CF,Placement
FB4,2024-12-30,MOMO,Positive,AI,Voice of the child
"""
COMPLAINTS = """\
complaint_id,received_date,service,stage,themes,outcome,response_due_date,closed_date
CP1,2025-02-01,AI,Stage 1,Delay,Upheld,2025-02-15,2025-02-10
"""
ESCALATIONS = """\
escalation_id,raised_date,raised_by,service,stage,themes,resolved_date,outcome
E1,2025-03-02,IRO,AI,Informal,VOICE OF THE CHILD; Drift and delay,,
E2,2025-01-15,CP Chair,CF,Informal,Drift,2025-01-20,Resolved
"""
ACTIONS = """\
action_id,source,source_ref,theme,service,raised_date,due_date,status,completed_date
L1,Dip Sample,DS1,Voice of the child,,2025-02-20,2025-03-20,In progress,
L2,Audit,AUD-1,Drift and delay,,2025-03-01,2025-05-01,Not started,
"""
REVIEWS = """\
review_id,review_type,review_date,title,service,themes
R1,Team Spotlight,2025-03-05,Team Spotlight: CF Team 1,CF,Voice of child; Planning
"""
ACTIVITIES = f"""\
activity_id,activity_date,level,kind,service,theme,audit_id
RA1,2025-01-25,Practitioner,Supervision discussion,AI,{VOICE},A1
RA2,2025-03-12,Team,Learning event,CF,Planning,
"""
INTERVENTIONS = f"""\
intervention_id,name,kind,start_date,service,target_pillar,target_theme
I1,Voice training,Training,2025-02-03,,{VOICE},Voice of the child
"""
FILES = {"audits.csv": AUDITS, "audit_pillars.csv": PILLARS, "dip_samples.csv": DIPS,
         "dip_sample_findings.csv": FINDINGS, "feedback.csv": FEEDBACK, "complaints.csv": COMPLAINTS,
         "escalations.csv": ESCALATIONS, "learning_actions.csv": ACTIONS, "reviews.csv": REVIEWS,
         "reflective_activities.csv": ACTIVITIES, "interventions.csv": INTERVENTIONS}
V = "Voice of the child"
# Voice of the child by hand, per strand: (mentions, {month: n})
VOICE_BY_HAND = {
    "pillar": (3, {"2025-01": 1, "2025-02": 1, "2025-03": 1}),
    "finding": (3, {"2025-02": 2, "2025-03": 1}),
    "dip": (3, {"2025-02": 3}),
    "feedback": (2, {"2025-01": 2}),
    "escalation": (1, {"2025-03": 1}),
    "action": (1, {"2025-02": 1}),
    "review": (1, {"2025-03": 1}),
    "activity": (1, {"2025-01": 1}),
    "intervention": (1, {"2025-02": 1}),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("themes") / "qa.duckdb"
    return load_csv_texts(path, FILES)


def F(**kw):
    from analytics.filters import Filters
    return Filters(month_from="2025-01", month_to="2025-03", **kw)


def test_synonyms_meet_whatever_the_case_and_apostrophe():
    from analytics import themes
    from analytics.config import Config
    config = Config()
    lookup = themes.synonym_lookup(config)
    for name in ("Voice of child", "Child's voice", "Child\u2019s voice", "  voice OF the child ", VOICE,
                 "Lived experience of the child"):
        assert themes.canonical(name, lookup) == V, name
    assert themes.canonical("Drift", lookup) == "Drift and delay"
    assert themes.canonical("Something  new", lookup) == "Something new"   # its own theme
    # Word-processor characters: a left quote, no-break, narrow and zero-width spaces.
    for name in ("Child\u2018s\u00a0voice", "Voice\u202fof child\u200b", "\u200bChild\u02bcs voice"):
        assert themes.canonical(name, lookup) == V, name
    assert themes.canonical("Something\u00a0new\u200b", lookup) == "Something new"
    assert themes.pillar_for("Child's voice", config) == VOICE
    assert themes.pillar_for("Drift and delay", config) is None
    # Every configured pillar is reached from some theme of the default table.
    assert all(any(themes.pillar_for(t, config) == p for t in config["theme_synonyms"]) for p in config.pillars)


def test_the_synonym_table_is_configurable(tmp_path):
    from analytics import themes
    from analytics.config import load_config
    path = tmp_path / "qa.toml"
    path.write_text('[theme_synonyms]\n"Drift and delay" = ["Drift", "Slow progress"]\n'
                    '"Exploitation" = ["CCE", "CSE"]\n', encoding="utf-8")
    config = load_config(path)
    lookup = themes.synonym_lookup(config)
    assert themes.canonical("slow progress", lookup) == "Drift and delay"
    assert themes.canonical("cse", lookup) == "Exploitation"
    assert themes.canonical("Delay", lookup) == "Delay"              # the list was replaced
    assert themes.canonical("Child's voice", lookup) == V            # other entries kept (tables merge)


def test_mentions_per_strand_and_month_by_hand(con):
    from analytics import themes
    from analytics.config import Config
    m = themes.all_mentions(con, F(), Config(), only="Child's voice")   # any of its names picks the theme
    got = {k: len(df) for k, df in m.items() if not df.empty}
    assert got == {k: n for k, (n, _) in VOICE_BY_HAND.items()}
    assert m["complaint"].empty
    monthly = themes.monthly(m, F())
    for key, (_, months) in VOICE_BY_HAND.items():
        label = themes.BY_KEY[key].label
        rows = monthly[monthly["strand"] == label]
        assert list(rows["month"]) == ["2025-01", "2025-02", "2025-03"]
        assert dict(zip(rows["month"], rows["n"])) == {mm: months.get(mm, 0) for mm in ("2025-01", "2025-02",
                                                                                        "2025-03")}, key
    grades = themes.pillar_monthly(m, F(), Config())
    assert grades[grades["n"] > 0][["month", "grade", "n"]].values.tolist() == [
        ["2025-01", "Good", 1], ["2025-02", "Good", 1], ["2025-03", "Inadequate", 1]]
    # The chart's data table: the pillar row's grades beside its n, which they add up to (declared for
    # small-number suppression); other strands' rows have no grades.
    table = themes.monthly_table(monthly, grades)
    (total, parts), = table.attrs["sums"]
    pillar = table[table["strand"] == themes.BY_KEY["pillar"].label]
    assert (pillar[total] == pillar[parts].sum(axis=1)).all() and list(pillar["Inadequate"]) == [0, 0, 1]
    assert table[table["strand"] != themes.BY_KEY["pillar"].label][parts].isna().all().all()


def test_summary_and_headline(con):
    from analytics import themes
    from analytics.config import Config
    m = themes.all_mentions(con, F(), Config(), only=V)
    s = themes.strand_summary(m, F()).set_index("strand")
    assert len(s) == 9
    assert s.loc["Pillar grades", "in brief"] == "66.7%, 95% CI 20.8–93.9% good or better; 1 provisional"
    assert s.loc["Dip sample findings", "in brief"] == "1 strength, 2 for learning"
    assert s.loc["Dip samples", "in brief"].startswith("1 dip sample; 66.7%")
    assert s.loc["Feedback", "in brief"] == "1 positive, 1 negative"
    assert s.loc["Escalations", "in brief"] == "1 open on 31 Mar 2025"
    assert s.loc["Learning actions", "in brief"] == "1 open on 31 Mar 2025, 1 overdue"
    assert s.loc["Interventions", "in brief"] == "Voice training"
    h = themes.headline(V, themes.strand_summary(m, F()), F())
    assert h.startswith("**Voice of the child** appears in **9 strands** from Jan 2025 to Mar 2025: 3 pillar grades")
    assert "2 feedback forms (1 positive, 1 negative)" in h


def test_drift_and_delay_and_a_service_filter(con):
    from analytics import themes
    from analytics.config import Config
    m = themes.all_mentions(con, F(), Config(), only="Drift and delay")
    assert {k: len(df) for k, df in m.items() if not df.empty} == {"complaint": 1, "escalation": 2, "action": 1}
    assert "pillar" not in m                      # no pillar for this theme
    s = themes.strand_summary(m, F()).set_index("strand")
    assert s.loc["Escalations", "in brief"] == "1 open on 31 Mar 2025"   # E2 resolved in January
    assert s.loc["Complaints", "in brief"] == "1 upheld or partly upheld"
    # AI only: A1 A3; F1 F2 (DS1 covers AI; DS2 is MASH); K1 K2; FB1 (FB2 is authority-wide); E1; RA1.
    ai = themes.all_mentions(con, F(services=("AI",)), Config(), only=V)
    assert {k: len(df) for k, df in ai.items() if not df.empty} == {
        "pillar": 2, "finding": 2, "dip": 2, "feedback": 1, "escalation": 1, "activity": 1}


def test_theme_options_rank_by_strands(con):
    from analytics import themes
    from analytics.config import Config
    opts = themes.theme_options(con, F(), Config()).set_index("theme")
    assert opts.index[0] == V
    assert opts.loc[V, "strands"] == 9 and opts.loc[V, "mentions"] == 13   # pillar grades left out of mentions
    assert opts.loc["Drift and delay", "strands"] == 3
    assert opts.loc["Risk analysis", "strands"] == 2      # F4 + the Assessment pillar it maps to
    assert "Assessment and analysis" not in opts.index


def test_evidence_shows_no_child_reference(con):
    from analytics import themes
    from analytics.config import Config
    m = themes.all_mentions(con, F(), Config(), only=V)
    dip = themes.evidence("dip", m["dip"])
    assert dip[["ref", "records", "graded", "good"]].values.tolist() == [["DS1", 3, 3, 2]]
    assert dip.loc[0, "criteria_met_pct"] == pytest.approx(9 / 12 * 100)
    for key, df in m.items():
        ev = themes.evidence(key, df)
        assert not any("child_ref" in c for c in ev.columns)
        assert not ev.astype(str).apply(lambda col: col.str.contains(r"\bK\d\b")).any().any(), key


@pytest.fixture
def page_dir(db, tmp_path, monkeypatch):
    return use_council_db(db, tmp_path, monkeypatch)


def test_page_shows_the_theme_everywhere(page_dir, con):
    from analytics import themes
    from analytics.config import Config
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/themes.py").run()
    assert not at.exception, at.exception
    assert at.selectbox[0].value == V       # the theme in the most strands comes first
    head = next(m.value for m in at.markdown if "appears in" in m.value)
    m = themes.all_mentions(con, F(), Config(), only=V)
    assert head == "#### " + themes.headline(V, themes.strand_summary(m, F()), F())
    frames = [d.value for d in at.dataframe]
    summary = frames[0]
    assert dict(zip(summary["Strand"], summary["Mentions"])) == {
        themes.BY_KEY[k].label: n for k, (n, _) in VOICE_BY_HAND.items()}
    assert [t.label for t in at.tabs] == [f"{themes.BY_KEY[k].label} ({n})" for k, (n, _) in VOICE_BY_HAND.items()]
    # Another theme from the picker.
    at.selectbox[0].select("Drift and delay").run()
    assert not at.exception, at.exception
    assert any("**Drift and delay** appears in **3 strands**" in mm.value for mm in at.markdown)


def test_a_link_to_a_theme_opens_it(page_dir):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["theme"] = "Drift and delay"
    at.run()
    at.switch_page("pages/themes.py").run()
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox[0].value == "Drift and delay"


def test_page_on_an_empty_database(empty_council_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/themes.py").run()
    assert not at.exception, at.exception
    assert at.info and not at.dataframe


def test_a_link_with_a_synonym_opens_the_canonical_theme(page_dir):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["theme"] = "Child\u2019s voice"
    at.run()
    at.switch_page("pages/themes.py").run()
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox[0].value == V
    assert at.selectbox[0].options.count(V) == 1


def test_distinct_spellings_per_strand_in_the_period(con):
    from analytics import themes
    # Feedback Jan-Mar 2025: FB1, FB2 (two spellings of one theme), FB3; FB4 is before the period.
    # Escalations: E1 and E2. Learning actions, reviews etc. are not in the fixture's period or not loaded.
    spelled = themes._distinct_names(con, themes._queries(F()), F())
    assert set(spelled["feedback"]) == {"Being listened to", "Communication", "Voice of the child",
                                        "voice of child", "Placement"}
    assert set(spelled["escalation"]) == {"VOICE OF THE CHILD", "Drift and delay", "Drift"}
    assert set(spelled["complaint"]) == {"Delay"}


def test_pillar_names_and_counts_from_the_rollup_equal_the_rows(con):
    from analytics import themes
    rolled = F()                                   # no audit filter: pillar_rollup
    rows = F(cohorts=("CP", "CIN"))                 # every audit of the fixture, through the pillar rows
    assert themes._pillars_rolled_up(rolled) and not themes._pillars_rolled_up(rows)

    def pillar_counts(f):
        return sorted((name, n) for key, name, n in themes._name_counts(con, f, themes._queries(f)) if key == "pillar")
    assert pillar_counts(rolled) == pillar_counts(rows) == [(AS, 1), (VOICE, 3)]      # by hand: A1; A1 A2 A3
    assert sorted(themes._distinct_names(con, themes._queries(rolled), rolled)["pillar"]) == \
        sorted(themes._distinct_names(con, themes._queries(rows), rows)["pillar"]) == [AS, VOICE]
    ai = F(services=("AI",))                        # A1 and A3
    assert pillar_counts(ai) == pillar_counts(F(services=("AI",), cohorts=("CP",))) == [(AS, 1), (VOICE, 2)]
