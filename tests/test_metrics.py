"""Every figure of ``qa-dashboard summary`` against numbers worked out by hand (metrics.md).

The fixture below is small enough to check with pencil and paper; each
expected value has its working beside it. Grade ranks: O = Outstanding 1,
G = Good 2, R = Requires Improvement 3, I = Inadequate 4.
"""
import json

import pytest

from conftest import load_csv_texts, run_cli

V = "Voice and lived experience of the child"   # configured pillar 1
AS = "Assessment and analysis"                   # configured pillar 2
M = "Management oversight and supervision"       # configured pillar 5

# --- audits -------------------------------------------------------------------------------------------
# id   date        svc   auditor  moderated  benchmarked  -> final  provisional?  (auditor rank, moderated rank)
# A01  2025-01-06  MASH  G        G          -            -> G                    (2,2) agree
# A02  2025-01-10  MASH  R        G          -            -> G                    (3,2) upgraded
# A03  2025-01-15  AI    O        G          -            -> G                    (1,2) downgraded
# A04  2025-01-20  AI    I        -          -            -> I      provisional
# A05  2025-01-31  PT    G        R          I            -> I                    (2,3) downgraded; bench changed
# A06  2025-02-03  MASH  O        O          -            -> O                    (1,1) agree
# A07  2025-02-14  AI    R        R          R            -> R                    (3,3) agree; bench unchanged
# A08  2025-02-28  AI    G        -          -            -> G      provisional
# A09  2025-02-28  PT    G        I          -            -> I                    (2,4) downgraded by two
# A13  2025-02-10  DCS   R        -          -            -> R      provisional
#      (no audits in March 2025)
# A10  2025-04-01  AI    R        -          -            -> R      provisional
# A11  2025-04-15  MASH  G        O          -            -> O                    (2,1) upgraded
# A12  2025-04-30  AI    I        R          G            -> G                    (4,3) upgraded; bench changed
AUDITS = """\
audit_id,audit_date,service,child_ref,cohort,auditor_id,auditor_role,auditor_grade,moderated_grade,benchmarked_grade
A01,2025-01-06,MASH,C001,CP,S01,Team Manager,Good,Good,
A02,2025-01-10,MASH,C002,CIN,S01,Team Manager,Requires Improvement,Good,
A03,2025-01-15,AI,C003,CP,S02,Service Manager,Outstanding,Good,
A04,2025-01-20,AI,C004,CIC,S03,Team Manager,Inadequate,,
A05,2025-01-31,PT,C005,CIC,S04,Team Manager,Good,Requires Improvement,Inadequate
A06,2025-02-03,MASH,C006,CP,S01,Team Manager,Outstanding,Outstanding,
A07,2025-02-14,AI,C007,CIN,S02,Service Manager,Requires Improvement,Requires Improvement,Requires Improvement
A08,2025-02-28,AI,C008,CP,S03,Team Manager,Good,,
A09,2025-02-28,PT,C009,CIC,S04,Team Manager,Good,Inadequate,
A13,2025-02-10,DCS,C013,CIN,S05,Team Manager,Requires Improvement,,
A10,2025-04-01,AI,C010,CP,S02,Service Manager,Requires Improvement,,
A11,2025-04-15,MASH,C011,CIN,S01,Team Manager,Good,Outstanding,
A12,2025-04-30,AI,C012,CP,S03,Team Manager,Inadequate,Requires Improvement,Good
"""

# --- pillar rows: final pillar grade = pillar moderated grade, else pillar auditor grade -------------
# V : A01 G, A02 R->G(mod), A04 I, A05 G, A06 O, A10 R, A12 I->R(mod)
# AS: A01 R, A03 G->I(mod), A07 G, A11 O
# M : A05 I, A08 G, A09 G
PILLARS = f"""\
audit_id,pillar,auditor_grade,moderated_grade
A01,{V},Good,
A02,{V},Requires Improvement,Good
A04,{V},Inadequate,
A05,{V},Good,
A06,{V},Outstanding,
A10,{V},Requires Improvement,
A12,{V},Inadequate,Requires Improvement
A01,{AS},Requires Improvement,
A03,{AS},Good,Inadequate
A07,{AS},Good,
A11,{AS},Outstanding,
A05,{M},Inadequate,
A08,{M},Good,
A09,{M},Good,
"""

# --- learning actions -------------------------------------------------------------------------------
# id   svc   raised      due         status       completed
# L01  MASH  2024-12-15  2025-01-31  In progress  -           raised before every period below but --to 2024-12
# L02  AI    2025-01-10  2025-03-31  Complete     2025-03-20  on time
# L03  AI    2025-01-20  2025-02-14  Complete     2025-03-15  late
# L04  ALL   2025-02-01  2025-03-31  In progress  -           (service blank = ALL)
# L05  MASH  2025-02-10  2025-06-30  Not started  -
# L06  PT    2025-02-20  2025-04-15  closed       -           Closed with no date: finished; in no on-time count
# L07  AI    2025-03-05  2025-04-30  Complete     -           Complete with no date: finished; not in denominator
# L08  ALL   2025-03-10  2025-03-20  Complete     2025-05-20  completed after every D: open (and overdue); late
# L09  MASH  2025-04-05  2025-04-30  In progress  -           due = D of April: not overdue (due < D is strict)
# L10  AI    2025-04-20  -           Not started  -           no due date: never overdue
# L11  MASH  2025-05-10  2025-05-31  Complete     2025-05-12  raised after the default period
# L12  ALL   2025-01-05  2025-01-31  Complete     2025-01-25  on time (service blank = ALL)
# L13  AI    2025-02-05  2025-02-28  Complete     2025-02-28  on time (completed = due)
ACTIONS = """\
action_id,source,theme,service,raised_date,due_date,status,completed_date
L01,Audit,Voice of the child,MASH,2024-12-15,2025-01-31,In progress,
L02,Audit,Voice of the child,AI,2025-01-10,2025-03-31,Complete,2025-03-20
L03,Audit,Drift and delay,AI,2025-01-20,2025-02-14,Complete,2025-03-15
L04,Dip Sample,Supervision,,2025-02-01,2025-03-31,In progress,
L05,Complaint,Drift and delay,MASH,2025-02-10,2025-06-30,Not started,
L06,Audit,Planning,PT,2025-02-20,2025-04-15,closed,
L07,Escalation,Planning,AI,2025-03-05,2025-04-30,Complete,
L08,CSPR,Supervision,ALL,2025-03-10,2025-03-20,Complete,2025-05-20
L09,Audit,Voice of the child,MASH,2025-04-05,2025-04-30,In progress,
L10,Audit,Planning,AI,2025-04-20,,Not started,
L11,Audit,Planning,MASH,2025-05-10,2025-05-31,Complete,2025-05-12
L12,Ofsted,Supervision,,2025-01-05,2025-01-31,Complete,2025-01-25
L13,Audit,Drift and delay,AI,2025-02-05,2025-02-28,Complete,2025-02-28
"""

# --- escalations ------------------------------------------------------------------------------------
# id   raised      svc   resolved    days to resolve
# E01  2024-12-20  AI    2025-01-10  21  (11 to 31 Dec + 10)
# E02  2025-01-05  AI    2025-01-15  10
# E03  2025-01-20  MASH  2025-03-01  40  (11 to 31 Jan + 28 Feb + 1)
# E04  2025-02-10  PT    -
# E05  2025-02-15  AI    2025-05-05  79  (13 to 28 Feb + 31 + 30 + 5)
# E06  2025-03-12  MASH  2025-03-18   6
# E07  2025-04-25  AI    -
# E08  2025-05-02  AI    2025-05-03   1  (raised after the default period)
ESCALATIONS = """\
escalation_id,raised_date,raised_by,service,stage,themes,resolved_date
E01,2024-12-20,IRO,AI,Informal,Drift and delay,2025-01-10
E02,2025-01-05,IRO,AI,Informal,Care planning,2025-01-15
E03,2025-01-20,CP Chair,MASH,Formal 1,Drift and delay,2025-03-01
E04,2025-02-10,IRO,PT,Informal,Care planning,
E05,2025-02-15,IRO,AI,Formal 2,Drift and delay; Care planning,2025-05-05
E06,2025-03-12,CP Chair,MASH,Informal,Care planning,2025-03-18
E07,2025-04-25,IRO,AI,Informal,Drift and delay,
E08,2025-05-02,IRO,AI,Informal,Drift and delay,2025-05-03
"""




def assert_exact(got, want, path="$"):
    """Same keys in the same order; ints equal; floats to 1e-9; None is JSON null."""
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{path}: {got!r}"
        assert list(got) == list(want), f"{path}: keys {list(got)} != {list(want)}"
        for k in want:
            assert_exact(got[k], want[k], f"{path}.{k}")
    elif want is None:
        assert got is None, f"{path}: {got!r} should be null"
    elif isinstance(want, float):
        assert isinstance(got, (int, float)) and not isinstance(got, bool), f"{path}: {got!r}"
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9), f"{path}: {got!r} != {want!r}"
    else:
        assert type(got) is type(want) and got == want, f"{path}: {got!r} != {want!r}"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("metrics") / "qa.duckdb"
    load_csv_texts(path, {"audits.csv": AUDITS, "audit_pillars.csv": PILLARS,
                        "learning_actions.csv": ACTIONS, "escalations.csv": ESCALATIONS})
    return path


@pytest.fixture
def summary(db):
    def run(*args):
        code, out, err = run_cli("summary", "--db", db, *args)
        assert code == 0, err
        return json.loads(out)
    return run


def grades(o=0, g=0, r=0, i=0):
    return {"Outstanding": o, "Good": g, "Requires Improvement": r, "Inadequate": i}


NO_MODERATION = {"moderated": 0, "agreement_pct": None, "downgraded": 0, "upgraded": 0,
                 "net_drift": None, "weighted_kappa": None}


# --- whole period ----------------------------------------------------------------------------------
def test_whole_period_every_figure(summary):
    assert_exact(summary(), {
        # no --from/--to: earliest and latest months with an audit (E08 and L11 in May do not extend it)
        "period": {"from": "2025-01", "to": "2025-04"},
        "audits": {
            "count": 13,
            "provisional": 4,                       # A04 A08 A10 A13
            "good_or_better_pct": 7 / 13 * 100,     # O: A06 A11; G: A01 A02 A03 A08 A12 = 7 -> 53.846...
            "inadequate_pct": 3 / 13 * 100,         # A04 A05 A09 -> 23.077...
            "by_grade": grades(o=2, g=5, r=3, i=3),  # R: A07 A10 A13
        },
        # configured order MASH, AI, CF, PT, DCS, IRSS; CF and IRSS have no audits
        "by_service": {
            "MASH": {"count": 4, "good_or_better_pct": 100.0, "inadequate_pct": 0.0},    # G G O O
            "AI": {"count": 6, "good_or_better_pct": 50.0, "inadequate_pct": 100 / 6},   # G I R G R G
            "PT": {"count": 2, "good_or_better_pct": 0.0, "inadequate_pct": 100.0},      # I I
            "DCS": {"count": 1, "good_or_better_pct": 0.0, "inadequate_pct": 0.0},       # R
        },
        # no March: months with no audit are not listed
        "by_month": {
            "2025-01": {"count": 5, "good_or_better_pct": 60.0},         # G G G I I -> 3/5
            "2025-02": {"count": 5, "good_or_better_pct": 40.0},         # O R G I R -> 2/5
            "2025-04": {"count": 3, "good_or_better_pct": 200 / 3},      # R O G -> 2/3
        },
        # configured order V, AS, M (not alphabetical)
        "pillars": {
            V: {"count": 7, "good_or_better_pct": 400 / 7, "inadequate_pct": 100 / 7},  # G G I G O R R: 4 good, 1 I
            AS: {"count": 4, "good_or_better_pct": 50.0, "inadequate_pct": 25.0},        # R I G O
            M: {"count": 3, "good_or_better_pct": 200 / 3, "inadequate_pct": 100 / 3},  # I G G
        },
        # moderated: A01 A02 A03 A05 A06 A07 A09 A11 A12 = 9
        # agree: A01 A06 A07 = 3 -> 33.3; downgraded A03 A05 A09; upgraded A02 A11 A12
        # m - a: 0 -1 +1 +1 0 0 +2 -1 -1 = +1 -> net drift 1/9
        # kappa: auditor marginals r = [2,4,2,1], moderated c = [2,3,3,1], n = 9, w = |i-j|/3
        #   observed disagreement = (0+1+1+1+0+0+2+1+1)/3/9 = 7/27 = 63/243
        #   sum |i-j| r_i c_j: i=1: 2*(0+3+6+3)=24; i=2: 4*(2+0+3+2)=28; i=3: 2*(4+3+0+1)=16; i=4: 1*(6+6+3+0)=15
        #   expected = 83/(3*81) = 83/243;  kappa = 1 - 63/83 = 20/83 = 0.24096
        "moderation": {"moderated": 9, "agreement_pct": 100 / 3, "downgraded": 3, "upgraded": 3,
                       "net_drift": 1 / 9, "weighted_kappa": 20 / 83},
        # benchmarked A05 A07 A12; changed A05 (I vs R), A12 (G vs R)
        "benchmarking": {"benchmarked": 3, "changed": 2},
        # raised 2025-01-01..2025-04-30: L02-L10, L12, L13 (L01 before, L11 after); D = 2025-04-30
        # open: L04, L05, L08 (completed 05-20 > D), L09, L10 = 5
        # overdue: L04 (due 03-31), L08 (due 03-20) = 2; L09 due = D, L10 no due, L05 due June
        # on time: Complete with a date: L02 ok, L03 late, L08 late, L12 ok, L13 ok -> 3/5
        "learning_actions": {"open": 5, "overdue": 2, "completed_on_time_pct": 60.0},
        # raised E02-E07 = 6; open on 04-30: E04, E05 (resolved 05-05), E07 = 3
        # resolved: E02 10, E03 40, E05 79, E06 6 -> 6 10 40 79 -> (10 + 40) / 2 = 25
        "escalations": {"raised": 6, "open_at_end": 3, "median_days_to_resolve": 25.0},
    })


# --- --from/--to subsets -----------------------------------------------------------------------------
def test_to_february_judges_open_on_a_past_day(summary):
    # --from defaults to 2025-01; D = 2025-02-28
    assert_exact(summary("--to", "2025-02"), {
        "period": {"from": "2025-01", "to": "2025-02"},
        "audits": {
            "count": 10,                            # A01-A09, A13
            "provisional": 3,                       # A04 A08 A13
            "good_or_better_pct": 50.0,             # A01 A02 A03 A06 A08 = 5/10
            "inadequate_pct": 30.0,                 # A04 A05 A09 = 3/10
            "by_grade": grades(o=1, g=4, r=2, i=3),
        },
        "by_service": {
            "MASH": {"count": 3, "good_or_better_pct": 100.0, "inadequate_pct": 0.0},    # G G O
            "AI": {"count": 4, "good_or_better_pct": 50.0, "inadequate_pct": 25.0},      # G I R G
            "PT": {"count": 2, "good_or_better_pct": 0.0, "inadequate_pct": 100.0},
            "DCS": {"count": 1, "good_or_better_pct": 0.0, "inadequate_pct": 0.0},
        },
        "by_month": {
            "2025-01": {"count": 5, "good_or_better_pct": 60.0},
            "2025-02": {"count": 5, "good_or_better_pct": 40.0},
        },
        "pillars": {
            V: {"count": 5, "good_or_better_pct": 80.0, "inadequate_pct": 20.0},        # G G I G O
            AS: {"count": 3, "good_or_better_pct": 100 / 3, "inadequate_pct": 100 / 3},  # R I G
            M: {"count": 3, "good_or_better_pct": 200 / 3, "inadequate_pct": 100 / 3},  # I G G
        },
        # moderated A01 (2,2) A02 (3,2) A03 (1,2) A05 (2,3) A06 (1,1) A07 (3,3) A09 (2,4) = 7
        # agree A01 A06 A07 = 3/7; down A03 A05 A09; up A02; drift (0-1+1+1+0+0+2)/7 = 3/7
        # kappa: r = [2,3,2,0], c = [1,3,2,1]; observed = 5/(3*7) = 35/147
        #   sum |i-j| r_i c_j: i=1: 2*(0+3+4+3)=20; i=2: 3*(1+0+2+2)=15; i=3: 2*(2+3+0+1)=12 -> 47
        #   expected = 47/(3*49) = 47/147; kappa = 1 - 35/47 = 12/47
        "moderation": {"moderated": 7, "agreement_pct": 300 / 7, "downgraded": 3, "upgraded": 1,
                       "net_drift": 3 / 7, "weighted_kappa": 12 / 47},
        "benchmarking": {"benchmarked": 2, "changed": 1},   # A05 changed, A07 not
        # raised in Jan-Feb: L02 L03 L04 L05 L06 L12 L13 (L01 raised 2024-12: not counted though open)
        # on 2025-02-28: L02 open (completed 03-20 > D), L03 open (completed 03-15 > D) and overdue
        # (due 02-14), L04 open, L05 open; L06 closed/no date finished; L12 finished; L13 finished (02-28 <= D)
        # on time (completion whenever it falls): L02 ok, L03 late, L12 ok, L13 ok -> 3/4
        "learning_actions": {"open": 4, "overdue": 1, "completed_on_time_pct": 75.0},
        # raised E02 E03 E04 E05; open on 02-28: E03 (resolved 03-01), E04, E05 = 3
        # days: E02 10, E03 40, E05 79 (resolved after D still counts) -> median 40
        "escalations": {"raised": 4, "open_at_end": 3, "median_days_to_resolve": 40.0},
    })


def test_february_to_march(summary):
    # D = 2025-03-31; no audits in March, but --to is kept
    assert_exact(summary("--from", "2025-02", "--to", "2025-03"), {
        "period": {"from": "2025-02", "to": "2025-03"},
        "audits": {"count": 5, "provisional": 2,                # A06 A07 A08 A09 A13; A08 A13
                   "good_or_better_pct": 40.0,                  # O R G I R
                   "inadequate_pct": 20.0,
                   "by_grade": grades(o=1, g=1, r=2, i=1)},
        "by_service": {
            "MASH": {"count": 1, "good_or_better_pct": 100.0, "inadequate_pct": 0.0},
            "AI": {"count": 2, "good_or_better_pct": 50.0, "inadequate_pct": 0.0},
            "PT": {"count": 1, "good_or_better_pct": 0.0, "inadequate_pct": 100.0},
            "DCS": {"count": 1, "good_or_better_pct": 0.0, "inadequate_pct": 0.0},
        },
        "by_month": {"2025-02": {"count": 5, "good_or_better_pct": 40.0}},
        "pillars": {
            V: {"count": 1, "good_or_better_pct": 100.0, "inadequate_pct": 0.0},    # A06 O
            AS: {"count": 1, "good_or_better_pct": 100.0, "inadequate_pct": 0.0},   # A07 G
            M: {"count": 2, "good_or_better_pct": 100.0, "inadequate_pct": 0.0},    # A08 G, A09 G
        },
        # A06 (1,1) A07 (3,3) A09 (2,4): agree 2/3, down 1, drift 2/3
        # kappa: r = [1,1,1,0], c = [1,0,1,1]; observed = 2/(3*3) = 2/9
        #   sum |i-j| r_i c_j: i=1: 0+2+3 = 5; i=2: 1+1+2 = 4; i=3: 2+0+1 = 3 -> 12; expected = 12/27 = 4/9
        #   kappa = 1 - (2/9)/(4/9) = 1/2
        "moderation": {"moderated": 3, "agreement_pct": 200 / 3, "downgraded": 1, "upgraded": 0,
                       "net_drift": 2 / 3, "weighted_kappa": 0.5},
        "benchmarking": {"benchmarked": 1, "changed": 0},
        # raised L04 L05 L06 L07 L08 L13; on 03-31: L04 open (due 03-31 = D: not overdue), L05 open,
        # L08 open (completed 05-20) and overdue (due 03-20); L06, L07, L13 finished
        # on time: L08 late, L13 ok -> 1/2
        "learning_actions": {"open": 3, "overdue": 1, "completed_on_time_pct": 50.0},
        # raised E04 E05 E06; open on 03-31: E04, E05; days E05 79, E06 6 -> (6 + 79)/2 = 42.5
        "escalations": {"raised": 3, "open_at_end": 2, "median_days_to_resolve": 42.5},
    })


def test_a_period_with_no_audits_gives_nulls_not_zeros(summary, db):
    got = summary("--from", "2025-03", "--to", "2025-03")
    assert_exact(got, {
        "period": {"from": "2025-03", "to": "2025-03"},
        "audits": {"count": 0, "provisional": 0, "good_or_better_pct": None, "inadequate_pct": None,
                   "by_grade": grades()},
        "by_service": {},
        "by_month": {},
        "pillars": {},
        "moderation": NO_MODERATION,
        "benchmarking": {"benchmarked": 0, "changed": 0},
        # raised L07 (Complete, no date: finished) and L08 (open, overdue); L08 late -> 0/1 = 0.0, not null
        "learning_actions": {"open": 1, "overdue": 1, "completed_on_time_pct": 0.0},
        "escalations": {"raised": 1, "open_at_end": 0, "median_days_to_resolve": 6.0},   # E06
    })
    code, out, _ = run_cli("summary", "--db", db, "--from", "2025-03", "--to", "2025-03")
    assert '"good_or_better_pct": null' in out and '"weighted_kappa": null' in out


def test_from_only_runs_to_the_latest_audit_month(summary):
    got = summary("--from", "2025-02")
    assert got["period"] == {"from": "2025-02", "to": "2025-04"}
    assert got["audits"]["count"] == 8                       # A06-A13
    assert list(got["by_month"]) == ["2025-02", "2025-04"]


def test_to_before_the_first_audit_month(summary):
    # --from defaults to the earliest audit month (2025-01), which is after --to: the period is just 2024-12
    got = summary("--to", "2024-12")
    assert got["period"] == {"from": "2024-12", "to": "2024-12"}
    assert got["audits"]["count"] == 0 and got["audits"]["good_or_better_pct"] is None
    # L01 raised 2024-12-15, due 2025-01-31: open on 2024-12-31, not yet overdue; nothing completed
    assert got["learning_actions"] == {"open": 1, "overdue": 0, "completed_on_time_pct": None}
    # E01 raised 2024-12-20, resolved 2025-01-10 (after D): open at end; 21 days
    assert got["escalations"] == {"raised": 1, "open_at_end": 1, "median_days_to_resolve": 21.0}


# --- --service ---------------------------------------------------------------------------------------
def test_service_ai(summary):
    assert_exact(summary("--service", "AI"), {
        "period": {"from": "2025-01", "to": "2025-04"},
        "audits": {"count": 6, "provisional": 3,              # A03 A04 A07 A08 A10 A12; A04 A08 A10
                   "good_or_better_pct": 50.0,                # G I R G R G
                   "inadequate_pct": 100 / 6,
                   "by_grade": grades(g=3, r=2, i=1)},
        "by_service": {"AI": {"count": 6, "good_or_better_pct": 50.0, "inadequate_pct": 100 / 6}},
        "by_month": {
            "2025-01": {"count": 2, "good_or_better_pct": 50.0},   # A03 G, A04 I
            "2025-02": {"count": 2, "good_or_better_pct": 50.0},   # A07 R, A08 G
            "2025-04": {"count": 2, "good_or_better_pct": 50.0},   # A10 R, A12 G
        },
        "pillars": {
            V: {"count": 3, "good_or_better_pct": 0.0, "inadequate_pct": 100 / 3},   # A04 I, A10 R, A12 R
            AS: {"count": 2, "good_or_better_pct": 50.0, "inadequate_pct": 50.0},    # A03 I, A07 G
            M: {"count": 1, "good_or_better_pct": 100.0, "inadequate_pct": 0.0},     # A08 G
        },
        # A03 (1,2) A07 (3,3) A12 (4,3): agree 1/3, down 1, up 1, drift (1+0-1)/3 = 0
        # kappa: r = [1,0,1,1], c = [0,1,2,0]; observed = 2/(3*3) = 6/27
        #   sum |i-j| r_i c_j: i=1: 1*1 + 2*2 = 5; i=3: 1*1 + 0 = 1; i=4: 2*1 + 1*2 = 4 -> 10; expected 10/27
        #   kappa = 1 - 6/10 = 0.4
        "moderation": {"moderated": 3, "agreement_pct": 100 / 3, "downgraded": 1, "upgraded": 1,
                       "net_drift": 0.0, "weighted_kappa": 0.4},
        "benchmarking": {"benchmarked": 2, "changed": 1},     # A07 same, A12 changed
        # AI actions raised in the period: L02 L03 L07 L10 L13 (the ALL rows L04, L08, L12 are left out)
        # open: L10 only; overdue none (L10 has no due date); on time L02 ok, L03 late, L13 ok -> 2/3
        "learning_actions": {"open": 1, "overdue": 0, "completed_on_time_pct": 200 / 3},
        # E02 10, E05 79 (open on 04-30), E07 open -> median (10 + 79)/2 = 44.5
        "escalations": {"raised": 3, "open_at_end": 2, "median_days_to_resolve": 44.5},
    })


def test_service_mash(summary):
    assert_exact(summary("--service", "MASH"), {
        "period": {"from": "2025-01", "to": "2025-04"},
        "audits": {"count": 4, "provisional": 0, "good_or_better_pct": 100.0, "inadequate_pct": 0.0,
                   "by_grade": grades(o=2, g=2)},            # A01 G, A02 G, A06 O, A11 O
        "by_service": {"MASH": {"count": 4, "good_or_better_pct": 100.0, "inadequate_pct": 0.0}},
        "by_month": {
            "2025-01": {"count": 2, "good_or_better_pct": 100.0},
            "2025-02": {"count": 1, "good_or_better_pct": 100.0},
            "2025-04": {"count": 1, "good_or_better_pct": 100.0},
        },
        # no MASH management oversight rows: that pillar is not listed
        "pillars": {
            V: {"count": 3, "good_or_better_pct": 100.0, "inadequate_pct": 0.0},   # A01 G, A02 G, A06 O
            AS: {"count": 2, "good_or_better_pct": 50.0, "inadequate_pct": 0.0},   # A01 R, A11 O
        },
        # A01 (2,2) A02 (3,2) A06 (1,1) A11 (2,1): agree 2/4; up 2; drift (0-1+0-1)/4 = -0.5
        # kappa: r = [1,2,1,0], c = [2,2,0,0]; observed = 2/(3*4) = 1/6
        #   sum |i-j| r_i c_j: i=1: 1*(1*2) = 2; i=2: 2*(1*2) = 4; i=3: 1*(2*2 + 1*2) = 6 -> 12
        #   expected = 12/(3*16) = 1/4; kappa = 1 - (1/6)/(1/4) = 1/3
        "moderation": {"moderated": 4, "agreement_pct": 50.0, "downgraded": 0, "upgraded": 2,
                       "net_drift": -0.5, "weighted_kappa": 1 / 3},
        "benchmarking": {"benchmarked": 0, "changed": 0},
        # L05 (due June) and L09 (due = D) open, neither overdue; none completed -> null
        "learning_actions": {"open": 2, "overdue": 0, "completed_on_time_pct": None},
        # E03 40 and E06 6, both resolved by 04-30 -> median 23
        "escalations": {"raised": 2, "open_at_end": 0, "median_days_to_resolve": 23.0},
    })


def test_service_with_no_moderated_audits_gives_nulls(summary):
    assert_exact(summary("--service", "DCS"), {
        "period": {"from": "2025-01", "to": "2025-04"},
        "audits": {"count": 1, "provisional": 1, "good_or_better_pct": 0.0, "inadequate_pct": 0.0,
                   "by_grade": grades(r=1)},
        "by_service": {"DCS": {"count": 1, "good_or_better_pct": 0.0, "inadequate_pct": 0.0}},
        "by_month": {"2025-02": {"count": 1, "good_or_better_pct": 0.0}},
        "pillars": {},
        "moderation": NO_MODERATION,
        "benchmarking": {"benchmarked": 0, "changed": 0},
        "learning_actions": {"open": 0, "overdue": 0, "completed_on_time_pct": None},
        "escalations": {"raised": 0, "open_at_end": 0, "median_days_to_resolve": None},
    })


def test_all_actions_counted_only_without_service(summary):
    # L04 and L08 (open, overdue) and L12 are organisation-wide: in the whole run, in no service's run
    whole = summary()["learning_actions"]
    by_service = [summary("--service", s)["learning_actions"] for s in ("MASH", "AI", "CF", "PT", "DCS", "IRSS")]
    assert whole["open"] == 5 and sum(s["open"] for s in by_service) == 3          # L05 L09 | L10
    assert whole["overdue"] == 2 and sum(s["overdue"] for s in by_service) == 0


# --- weighted kappa on the edge cases, through the CLI --------------------------------------------
def test_kappa_is_one_when_observed_and_expected_disagreement_are_zero(summary):
    # February, MASH: only A06 (1,1); r = c = [1,0,0,0] -> observed 0, expected 0 -> 1
    got = summary("--from", "2025-02", "--to", "2025-02", "--service", "MASH")["moderation"]
    assert_exact(got, {"moderated": 1, "agreement_pct": 100.0, "downgraded": 0, "upgraded": 0,
                       "net_drift": 0.0, "weighted_kappa": 1.0})


def test_kappa_zero_is_not_null(summary):
    # April, MASH: only A11 (2,1); r = [0,1,0,0], c = [1,0,0,0]
    # observed = 1/3; expected = |2-1|/3 * 1 * 1 / 1 = 1/3 -> kappa = 0
    got = summary("--from", "2025-04", "--to", "2025-04", "--service", "MASH")["moderation"]
    assert_exact(got, {"moderated": 1, "agreement_pct": 0.0, "downgraded": 0, "upgraded": 1,
                       "net_drift": -1.0, "weighted_kappa": 0.0})


# --- weighted_kappa as a function ---------------------------------------------------------------
def test_weighted_kappa_function_against_hand_values():
    from analytics.metrics import weighted_kappa
    assert weighted_kappa([]) is None
    assert weighted_kappa([(2, 2, 5)]) == 1.0                       # one category: 0 and 0 -> 1
    assert weighted_kappa([(1, 1, 2), (3, 3, 1)]) == pytest.approx(1.0)   # observed 0, expected > 0
    # (1,4) and (4,1): observed = (1 + 1)/2 = 1; r = c = [1,0,0,1]; expected = (1 + 1)/4 = 1/2 -> 1 - 2 = -1
    assert weighted_kappa([(1, 4, 1), (4, 1, 1)]) == pytest.approx(-1.0)
    # the whole-period pairs of the fixture: 20/83
    pairs = [(2, 2, 1), (3, 2, 1), (1, 2, 1), (2, 3, 1), (1, 1, 1), (3, 3, 1), (2, 4, 1), (2, 1, 1), (4, 3, 1)]
    assert weighted_kappa(pairs) == pytest.approx(20 / 83)


# --- arguments -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [("--from", "2025-13"), ("--to", "2025-1"), ("--from", "2025/01"),
                                  ("--from", "2025-04", "--to", "2025-01"), ("--service", "XYZ")])
def test_bad_arguments_are_refused(db, args):
    code, out, err = run_cli("summary", "--db", db, *args)
    assert code == 2 and out == "" and err


def test_empty_database(tmp_path):
    from analytics.database import Database
    Database(tmp_path / "empty.duckdb").initialise()   # a database with no rows (without one, summary refuses)
    code, out, err = run_cli("summary", "--db", tmp_path / "empty.duckdb", "--from", "2025-01", "--to", "2025-02")
    assert code == 0, err
    got = json.loads(out)
    assert got["audits"] == {"count": 0, "provisional": 0, "good_or_better_pct": None, "inadequate_pct": None,
                             "by_grade": grades()}
    assert got["moderation"] == NO_MODERATION
    assert got["learning_actions"] == {"open": 0, "overdue": 0, "completed_on_time_pct": None}
    assert got["escalations"] == {"raised": 0, "open_at_end": 0, "median_days_to_resolve": None}
