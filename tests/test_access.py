"""Access by role (analytics/access.py): the role map, the viewer's Scope, and queries that keep to it."""
import pytest

from analytics import access
from analytics.access import Scope, council_wide, resolve
from analytics.audits import completion
from analytics.config import Config, load_config
from analytics.database import Database
from analytics.filters import Filters
from analytics.metrics import audit_headline
from conftest import load_csv_texts

ROLE_MAP = """
[access]
default_role = ""
[access.roles.hos_ai]
sees = "own services"
services = ["AI", "MASH"]
[access.roles.sm_cf]
sees = "own services"
services = ["CF"]
[access.users]
"Hos.AI@Council.gov.uk" = "hos_ai"
"both@council.gov.uk" = ["hos_ai", "sm_cf"]
"lead@council.gov.uk" = "senior_leader"
[access.groups]
"CSC QA Team" = "qa_team"
"All CSC staff" = "practitioner"
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "qa.toml"
    path.write_text(ROLE_MAP)
    return load_config(path)


def test_email_matches_whatever_its_case_and_gives_the_roles_services(config):
    s = resolve(config, {"email": "hos.ai@council.gov.uk", "is_logged_in": True})
    assert (s.sees, s.services, s.may_load, s.roles) == (access.OWN, ("AI", "MASH"), False, ("hos_ai",))
    assert s.user == "hos.ai@council.gov.uk" and s.signed_in


def test_an_unverified_email_names_nobody(config):
    assert resolve(config, {"email": "lead@council.gov.uk", "email_verified": False}) is None
    assert resolve(config, {"email": "lead@council.gov.uk", "email_verified": True}).sees == access.ALL


def test_two_service_roles_add_their_services_together(config):
    assert resolve(config, {"email": "both@council.gov.uk"}).services == ("AI", "MASH", "CF")


def test_groups_from_the_group_claim_and_the_widest_role_wins(config):
    qa = resolve(config, {"email": "someone@council.gov.uk", "groups": ["All CSC staff", "CSC QA Team"]})
    assert (qa.sees, qa.services, qa.may_load) == (access.ALL, None, True)
    staff = resolve(config, {"email": "p@council.gov.uk", "groups": "All CSC staff"})
    assert (staff.sees, staff.services, staff.may_load) == (access.COUNCIL, (), False)
    senior = resolve(config, {"email": "lead@council.gov.uk"})
    assert (senior.sees, senior.services, senior.may_load) == (access.ALL, None, False)


def test_a_user_the_map_does_not_name_gets_no_access_unless_a_default_role_is_set(config):
    assert resolve(config, {"email": "stranger@example.com", "groups": ["Other"]}) is None
    assert resolve(config, {}) is None
    raw = {**config.raw, "access": {**config.raw["access"], "default_role": "practitioner"}}
    assert resolve(Config(raw), {"email": "stranger@example.com"}).sees == access.COUNCIL


def test_the_group_claim_is_configurable(config):
    raw = {**config.raw, "access": {**config.raw["access"], "group_claim": "roles"}}
    assert resolve(Config(raw), {"groups": ["CSC QA Team"]}) is None
    assert resolve(Config(raw), {"roles": ["CSC QA Team"]}).may_load


@pytest.mark.parametrize("toml, message", [
    ('[access.users]\n"a@b.c" = "nobody"', "unknown role 'nobody'"),
    ('[access.roles.x]\nsees = "everything"', "sees must be one of"),
    ('[access.roles.x]\nsees = "own services"\nservices = ["ZZ"]', "unknown services ZZ"),
    ('[access.roles.x]\nsees = "own services"', "lists none"),
    ('[access]\ndefault_role = "boss"', "not a role"),
])
def test_a_role_map_that_would_grant_something_unintended_is_refused(tmp_path, toml, message):
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ValueError, match=message):
        load_config(path)


def test_pages_on_offer():
    council_only = Scope(sees=access.COUNCIL, services=(), may_load=False, signed_in=True)
    assert council_only.may_open("pages/overview.py") and not council_only.may_open("pages/explorer.py")
    assert not council_only.may_open("pages/data.py")
    own = Scope(sees=access.OWN, services=("AI",), may_load=False, signed_in=True)
    assert own.may_open("pages/explorer.py") and own.may_open("pages/data.py")
    assert Scope.open().may_open("pages/data.py") and Scope.open().may_load and not Scope.open().signed_in


# --- queries keep to the scope ---------------------------------------------------------------------
HEAD = "audit_id,audit_date,service,team,child_ref,cohort,auditor_id,auditor_role,auditor_grade\n"
AUDITS = HEAD + ("A1,2025-03-03,AI,Team A,C1,CP,S1,Team Manager,Good\n"
                 "A2,2025-03-04,AI,Team A,C2,CIN,S1,Team Manager,Inadequate\n"
                 "C1,2025-03-05,CF,Team C,C3,CIN,S2,Team Manager,Good\n"
                 "C2,2025-03-06,CF,Team C,C4,CIN,S2,Team Manager,Good\n"
                 "C3,2025-03-07,CF,Team C,C5,CP,S2,Team Manager,Outstanding\n")
STAFF = "staff_id,role,service,team\nS1,Team Manager,AI,Team A\nS2,Team Manager,CF,Team C\n"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("access") / "qa.duckdb"
    return Database(load_csv_texts(path, {"audits.csv": AUDITS, "staff.csv": STAFF}))


MARCH = Filters(month_from="2025-03", month_to="2025-03")
AI_LEAD = Scope(sees=access.OWN, services=("AI",), may_load=False, signed_in=True)
PRACTITIONER = Scope(sees=access.COUNCIL, services=(), may_load=False, signed_in=True)


def test_a_service_lead_sees_their_service_and_nothing_of_another_even_when_the_filter_names_it(db):
    with db.read() as con:
        own = audit_headline(con, AI_LEAD.narrow(MARCH), Config())
        other = audit_headline(con, AI_LEAD.narrow(Filters("2025-03", "2025-03", services=("CF",))), Config())
        other_team = audit_headline(con, AI_LEAD.narrow(Filters("2025-03", "2025-03", teams=("Team C",))),
                                    Config())
    assert (own["count"], own["good_or_better_pct"], own["inadequate_pct"]) == (2, 50.0, 50.0)
    assert other["count"] == 0 and other_team["count"] == 0


def test_council_wide_totals_add_every_service_together(db):
    f = AI_LEAD.narrow(Filters("2025-03", "2025-03", services=("AI",), teams=("Team A",)))
    with db.read() as con:
        total = audit_headline(con, council_wide(f), Config())
    assert (total["count"], total["good_or_better_pct"], total["inadequate_pct"]) == (5, 80.0, 20.0)


def test_council_wide_only_sees_no_service_in_full(db):
    with db.read() as con:
        assert audit_headline(con, PRACTITIONER.narrow(MARCH), Config())["count"] == 0
        # Audit completion once widened an empty scope to every service.
        assert completion(con, PRACTITIONER.narrow(MARCH), Config()).empty
        own = completion(con, AI_LEAD.narrow(MARCH), Config())
    assert own[["service", "expected", "completed"]].values.tolist() == [["AI", 1, 1]]
