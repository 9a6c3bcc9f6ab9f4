"""Matrix cases: people and org units (coordinators of their own municipality only).

A regional administrator who has not switched acts in Okayama City, so A's and
B's records are not found for them here (they switch first, see test_admin).
"""

from regional.extensions import db
from regional.people.models import AccountStatus
from tenants.models import OrgLevel
from tenants.scoping import acting_as
from tests import factories
from tests.matrix import Case, records


def extend(rec: records.Records) -> None:
    """A disabled person and an inactive unit per municipality, for enable and activate to
    really do something (so a 302 that changed nothing is caught as a refusal)."""
    for owner, muni in (("A", rec.world.muni_a), ("B", rec.world.muni_b)):
        gone = factories.make_user(muni, status=AccountStatus.DISABLED)
        rec.put("disabled_user", owner, gone.id)
        unit = factories.make_org_unit(muni, f"廃止課{owner}", OrgLevel.DIVISION)
        with acting_as(db.session, muni):
            unit.active = False
            db.session.flush()
        rec.put("inactive_unit", owner, unit.id)


if extend not in records.EXTENSIONS:
    records.EXTENSIONS.append(extend)

STAFF = {"coordinator_a": 200, "coordinator_b": 200, "admin": 200, "employee_a": 403}
STAFF_POST = {"coordinator_a": 302, "coordinator_b": 302, "admin": 302, "employee_a": 403}
#: A record of A or B: its own coordinator only.
OWN = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": {"A": 404, "B": 404},
}
OWN_POST = {
    "employee_a": 403,
    "coordinator_a": {"A": 302, "B": 404},
    "coordinator_b": {"A": 404, "B": 302},
    "admin": {"A": 404, "B": 404},
}
AB = ("A", "B")


#: Each caller's own member's staff domain (an administrator who has not switched: Okayama).
DOMAINS = {
    "coordinator_a": "city.tsuyama.lg.jp",
    "coordinator_b": "city.tamano.lg.jp",
    "admin": "city.okayama.lg.jp",
}
OWNER_DOMAINS = {"A": DOMAINS["coordinator_a"], "B": DOMAINS["coordinator_b"]}


def _person(domain: str):
    def data(r, o):
        return {
            "name": "新規 職員",
            "email": f"new.person@{domain}",
            "employee_number": "N-1",
            "job_category": "administrative",
            "org_unit_id": "",
        }

    return data


def _new_person_cases() -> list[Case]:
    """One case per caller's domain: an address is accepted in its own member only.

    Another member's domain is refused like any unusable address (the form again, 400).
    """
    return [
        Case(
            "people.new",
            lambda r, o: "/people/new",
            {
                "employee_a": 403,
                **{role: 302 if role == owner else 400 for role in DOMAINS},
            },
            method="POST",
            data=_person(domain),
            note=f"an address of {domain}: only its own member's staff may give it",
        )
        for owner, domain in DOMAINS.items()
    ]


def _edit(r, o):
    return {
        "name": "髙橋 太郎",
        "email": f"{'taro' if o == 'A' else 'jiro'}.edited@{OWNER_DOMAINS[o]}",
        "employee_number": f"E-{o}-9",
        "job_category": "technical",
        "org_unit_id": "",
    }


CASES: list[Case] = [
    Case("people.index", lambda r, o: "/people/", STAFF),
    Case("people.index", lambda r, o: "/people/?status=active&q=%E9%AB%99&page=2", STAFF),
    Case("people.pending", lambda r, o: "/people/pending", STAFF),
    Case("people.detail", lambda r, o: f"/people/{r['user'][o]}", OWN, owners=AB),
    Case("people.new", lambda r, o: "/people/new", STAFF),
    *_new_person_cases(),
    Case("people.edit", lambda r, o: f"/people/{r['user'][o]}/edit", OWN, owners=AB),
    Case(
        "people.edit",
        lambda r, o: f"/people/{r['user'][o]}/edit",
        OWN_POST,
        method="POST",
        owners=AB,
        data=_edit,
    ),
    Case("people.disable_confirm", lambda r, o: f"/people/{r['user'][o]}/disable", OWN, owners=AB),
    Case(
        "people.disable",
        lambda r, o: f"/people/{r['user'][o]}/disable",
        OWN_POST,
        method="POST",
        owners=AB,
    ),
    Case(
        "people.enable",
        lambda r, o: f"/people/{r['disabled_user'][o]}/enable",
        OWN_POST,
        method="POST",
        owners=AB,
    ),
    Case(
        "people.approve",
        lambda r, o: f"/people/{r['pending_user'][o]}/approve",
        OWN_POST,
        method="POST",
        owners=AB,
    ),
    Case(
        "people.reject",
        lambda r, o: f"/people/{r['pending_user'][o]}/reject",
        OWN_POST,
        method="POST",
        owners=AB,
    ),
    Case("people.units", lambda r, o: "/people/units", STAFF),
    Case("people.unit_new", lambda r, o: "/people/units/new", STAFF),
    Case(
        "people.unit_new",
        lambda r, o: "/people/units/new",
        STAFF_POST,
        method="POST",
        data=lambda r, o: {"name": "新設課", "level": "division", "parent_id": ""},
    ),
    Case("people.unit_edit", lambda r, o: f"/people/units/{r['org_unit'][o]}/edit", OWN, owners=AB),
    Case(
        "people.unit_edit",
        lambda r, o: f"/people/units/{r['org_unit'][o]}/edit",
        OWN_POST,
        method="POST",
        owners=AB,
        data=lambda r, o: {"name": "情報政策課", "level": "division", "parent_id": ""},
    ),
    Case(
        "people.unit_deactivate",
        lambda r, o: f"/people/units/{r['org_unit'][o]}/deactivate",
        OWN_POST,
        method="POST",
        owners=AB,
    ),
    Case(
        "people.unit_activate",
        lambda r, o: f"/people/units/{r['inactive_unit'][o]}/activate",
        OWN_POST,
        method="POST",
        owners=AB,
    ),
]
