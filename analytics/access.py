"""Who sees what: the role map of the configuration turned into a viewer's Scope.

When sign-in is configured, each signed-in user's roles come from the ``[access]`` table of the
configuration (by email, or by a group named in the identity token's group claim); each role says what it
sees: ``all`` services, its ``own services`` in full (others only as council-wide totals) or
``council-wide`` totals only, and whether it ``may_load`` data. Without sign-in the app runs open.

The Scope narrows every query through ``Filters.scope`` (applied in ``filters.where``); council-wide totals
are asked for explicitly with ``council_wide``. No Streamlit here: ``ui`` reads the signed-in user.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .filters import Filters

ALL = "all"
OWN = "own services"
COUNCIL = "council-wide"
SEES = (ALL, OWN, COUNCIL)   # widest first

# Pages a council-wide-only viewer may open: the overview's totals and the council-wide infographic.
COUNCIL_WIDE_PAGES = ("pages/overview.py", "pages/publish.py")
DATA_PAGE = "pages/data.py"


@dataclass(frozen=True)
class Scope:
    """What one viewer may see and do.

    ``services`` are the services seen in full: ``None`` all of them, ``()`` none (council-wide totals only).
    """
    sees: str = ALL
    services: tuple[str, ...] | None = None
    may_load: bool = True
    user: str | None = None
    roles: tuple[str, ...] = ()
    signed_in: bool = False   # False: sign-in is not configured and the app runs open

    @classmethod
    def open(cls) -> "Scope":
        return cls()

    @property
    def full(self) -> bool:
        return self.services is None

    def narrow(self, f: Filters) -> Filters:
        """The filters with this viewer's services as their scope (every query then keeps to them)."""
        return dataclasses.replace(f, scope=self.services)

    def may_open(self, page: str) -> bool:
        """Whether the page (its path, ``pages/x.py``) is on offer to this viewer."""
        if self.sees == COUNCIL:
            return page in COUNCIL_WIDE_PAGES
        return True

    def describe(self) -> str:
        if self.sees == ALL:
            what = "every service"
        elif self.sees == OWN:
            what = f"{', '.join(self.services)} in full; other services as council-wide totals"
        else:
            what = "council-wide figures"
        return f"{', '.join(self.roles)}: {what}" + ("; may load data" if self.may_load else "")


def council_wide(f: Filters) -> Filters:
    """Council-wide totals for the same period, cohorts and auditor roles: no service, team or scope.

    Only for figures that add every service together (never broken down by service or team).
    """
    return Filters(month_from=f.month_from, month_to=f.month_to, cohorts=f.cohorts, auditor_roles=f.auditor_roles)


def in_scope(service: str | None, f: Filters) -> bool:
    """Whether a council-level item tagged with a service (blank or ALL: the whole council) is the viewer's to
    see listed (interventions and the like, whose figures ``f`` narrows anyway)."""
    return f.scope is None or (service or "ALL") == "ALL" or service in f.scope


# --- the role map --------------------------------------------------------------------------------
def _roles(config) -> dict[str, dict]:
    return {name: dict(spec) for name, spec in config["access"]["roles"].items()}


def validate(raw: Mapping[str, Any], service_codes: list[str]) -> None:
    """Refuse a role map that would grant something unintended (unknown roles, sees or services)."""
    access = raw["access"]
    roles = access.get("roles", {})
    for name, spec in roles.items():
        if spec.get("sees") not in SEES:
            raise ValueError(f"access role {name!r}: sees must be one of {', '.join(map(repr, SEES))}")
        unknown = [s for s in spec.get("services", []) if s not in service_codes]
        if unknown:
            raise ValueError(f"access role {name!r}: unknown services {', '.join(unknown)}")
        if spec["sees"] == OWN and not spec.get("services"):
            raise ValueError(f"access role {name!r} sees its own services but lists none")
    for table in ("users", "groups"):
        for who, role_names in access.get(table, {}).items():
            for role in [role_names] if isinstance(role_names, str) else role_names:
                if role not in roles:
                    raise ValueError(f"access.{table}: {who!r} has the unknown role {role!r}")
    default = access.get("default_role") or ""
    if default and default not in roles:
        raise ValueError(f"access.default_role {default!r} is not a role")


def _listed(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def roles_of(config, claims: Mapping[str, Any]) -> list[str]:
    """The role names the map gives a signed-in user's identity claims (email, group claim)."""
    access = config["access"]
    users = {k.strip().lower(): v for k, v in access.get("users", {}).items()}
    groups = {k.strip().lower(): v for k, v in access.get("groups", {}).items()}
    names: list[str] = []
    # An address the identity provider says it has not verified names nobody.
    email = "" if claims.get("email_verified") is False else str(claims.get("email") or "").strip().lower()
    if email and email in users:
        names += _listed(users[email])
    for group in _listed(claims.get(access.get("group_claim") or "groups")):
        names += _listed(groups.get(group.strip().lower()))
    if not names and access.get("default_role"):
        names = [access["default_role"]]
    return list(dict.fromkeys(names))


def resolve(config, claims: Mapping[str, Any]) -> Scope | None:
    """A signed-in user's Scope: the widest of their roles (services added together); None when no role."""
    names = roles_of(config, claims)
    if not names:
        return None
    roles = _roles(config)
    specs = [roles[n] for n in names]
    sees = min((s["sees"] for s in specs), key=SEES.index)
    if sees == ALL:
        services = None
    elif sees == OWN:
        services = tuple(dict.fromkeys(c for s in specs if s["sees"] == OWN for c in s.get("services", [])))
    else:
        services = ()
    user = claims.get("email") or claims.get("name") or claims.get("sub")
    return Scope(sees=sees, services=services, may_load=any(bool(s.get("may_load")) for s in specs),
                 user=str(user) if user else None, roles=tuple(names), signed_in=True)


def services_in_full(scope: Scope, services) -> list[str]:
    """Of ``services``, those the viewer sees in full (all of them when the scope is not narrowed)."""
    return list(services) if scope.services is None else [s for s in services if s in scope.services]
