"""A small month worked out by hand, for the export tests (infographic, pack, publishing).

March 2025 (grade ranks: O 1, G 2, R 3, I 4; "a/m" = auditor / moderated grade):
  MASH  M1 O/O  M2 O/O  M3 G/G  M4 G/G  M5 G/G  M6 G/G  M7 R/R  M8 R/R  M9 G/I  M10 G/- (provisional)
  AI    A1 G/-  A2 R/-  A3 I/-   (provisional)
  final grades: O 2 (M1 M2), G 6 (M3-M6, M10, A1), R 3 (M7 M8 A2), I 2 (M9 A3); n = 13
  % good or better = 8 / 13 = 61.538... -> 61.5%;  provisional 4 (M10 A1 A2 A3)
  moderated 9 (M1-M9), agreeing 8 (all but M9) -> 88.888... -> 88.9%
February 2025: MASH F1-F3 G/G, F4-F5 R/R -> 3 / 5 = 60.0%; change +1.5 pts.
Pillars in March: Voice: MASH 10 x Good, AI 3 x Requires Improvement -> 10 / 13 = 76.9%
                  Management oversight: MASH 4 Good + 6 Requires Improvement -> 4 / 10 = 40.0% (weakest)
                  Assessment: AI Good, Good, Requires Improvement -> n 3, below the threshold: "–"
Dip samples: D0 Neglect 2024-11 (5 records, 1 good: 20%), D1 Neglect 2025-03 (6 records, 4 good: 66.7%,
  +46.7 pts on D0). Findings of D1: a strength tagged "Voice of the child", a learning tagged "Chronologies".
Learning actions: LA1-LA6 raised in March (6), LA1 completed 2025-03-20 and LA0 (raised January) completed
  2025-03-10 -> closed 2.
Escalations: E1 raised 2025-03-10 by an IRO, open.
"""
from __future__ import annotations

from pathlib import Path

from conftest import run_cli

V = "Voice and lived experience of the child"
M = "Management oversight and supervision"
AS = "Assessment and analysis"
FREE_TEXT = "Sibling names recorded in the chronology"   # a finding's summary: never on the infographic

GRADE = {"O": "Outstanding", "G": "Good", "R": "Requires Improvement", "I": "Inadequate", "-": ""}
MARCH = [("M1", "MASH", "O", "O"), ("M2", "MASH", "O", "O"), ("M3", "MASH", "G", "G"), ("M4", "MASH", "G", "G"),
         ("M5", "MASH", "G", "G"), ("M6", "MASH", "G", "G"), ("M7", "MASH", "R", "R"), ("M8", "MASH", "R", "R"),
         ("M9", "MASH", "G", "I"), ("M10", "MASH", "G", "-"),
         ("A1", "AI", "G", "-"), ("A2", "AI", "R", "-"), ("A3", "AI", "I", "-")]
FEBRUARY = [("F1", "MASH", "G", "G"), ("F2", "MASH", "G", "G"), ("F3", "MASH", "G", "G"), ("F4", "MASH", "R", "R"),
            ("F5", "MASH", "R", "R")]


def audits_csv(rows, day: str) -> str:
    lines = ["audit_id,audit_date,service,child_ref,cohort,auditor_id,auditor_role,auditor_grade,moderated_grade,"
             "benchmarked_grade"]
    for i, (aid, svc, a, m) in enumerate(rows):
        lines.append(f"{aid},{day},{svc},C{aid},CP,S{i % 3},Team Manager,{GRADE[a]},{GRADE[m]},")
    return "\n".join(lines) + "\n"


def files() -> dict[str, str]:
    pillars = ["audit_id,pillar,auditor_grade,moderated_grade"]
    for aid, svc, _, _ in MARCH:
        pillars.append(f"{aid},{V},{'Good' if svc == 'MASH' else 'Requires Improvement'},")
    for k, (aid, svc, _, _) in enumerate(r for r in MARCH if r[1] == "MASH"):
        pillars.append(f"{aid},{M},{'Good' if k < 4 else 'Requires Improvement'},")
    for aid, grade in (("A1", "Good"), ("A2", "Good"), ("A3", "Requires Improvement")):
        pillars.append(f"{aid},{AS},{grade},")
    dips = ["dip_sample_id,theme,sample_date,service,child_ref,grade,criteria_met,criteria_total"]
    for i, g in enumerate(["Good", "Requires Improvement", "Requires Improvement", "Requires Improvement",
                           "Requires Improvement"]):
        dips.append(f"D0,Neglect,2024-11-{10 + i},CF,K{i},{g},2,5")
    for i, g in enumerate(["Good", "Good", "Good", "Outstanding", "Requires Improvement", "Requires Improvement"]):
        dips.append(f"D1,Neglect,2025-03-{5 + i:02d},CF,K{i},{g},3,5")
    actions = ["action_id,source,theme,service,raised_date,due_date,status,completed_date",
               "LA0,Audit,Supervision,MASH,2025-01-10,2025-04-30,Complete,2025-03-10",
               "LA1,Audit,Supervision,MASH,2025-03-03,2025-05-30,Complete,2025-03-20"]
    actions += [f"LA{i},Dip Sample,Neglect,CF,2025-03-{10 + i},2025-06-30,In progress," for i in range(2, 7)]
    return {
        "audits_feb.csv": audits_csv(FEBRUARY, "2025-02-12"),
        "audits_mar.csv": audits_csv(MARCH, "2025-03-12"),
        "audit_pillars.csv": "\n".join(pillars) + "\n",
        "dip_samples.csv": "\n".join(dips) + "\n",
        "dip_sample_findings.csv": ("finding_id,dip_sample_id,finding_type,theme_tag,summary\n"
                                    "FN1,D1,Strength,Voice of the child,Child's wishes quoted in the plan\n"
                                    f"FN2,D1,Learning,Chronologies,{FREE_TEXT}\n"),
        "learning_actions.csv": "\n".join(actions) + "\n",
        "escalations.csv": ("escalation_id,raised_date,raised_by,service,team,stage,themes,resolved_date,outcome\n"
                            "E1,2025-03-10,IRO,MASH,,Informal,Drift and delay,,\n"),
        "kpi_values.csv": ("kpi_code,period_end,service,value,numerator,denominator\n"
                           "REREF12,2025-01-31,,22,,\nREREF12,2025-02-28,,25,,\nREREF12,2025-03-31,,21,,\n"),
    }


def build(path: Path) -> Path:
    folder = path.parent / "month_csv"
    folder.mkdir(exist_ok=True)
    names = []
    for name, text in files().items():
        (folder / name).write_text(text, encoding="utf-8")
        names.append(folder / name)
    code, _, err = run_cli("load", "--db", path, *names)
    assert code == 0, err
    return path
