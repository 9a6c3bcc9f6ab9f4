"""Matrix cases: heads of unit (所属長) — their pages and API, and the coordinators' setup.

``employee_a`` heads member A's デジタル推進課A (``employee_b`` member B's), where a new
member of staff applied for the approval session while the step was on: that application
(``head_registration``) awaits its head. A head acts on their units' applications only;
anyone who heads nothing gets 403, another member's application is 404.
"""

from regional.extensions import db
from regional.heads import services
from regional.people.models import User
from regional.registrations import actions
from tenants.models import OrgUnit
from tenants.scoping import acting_as
from tests import factories
from tests.matrix import Case, records

AB = ("A", "B")
HEAD_PAGE = {"employee_a": 200}
HEAD_POST = {"employee_a": {"A": 302, "B": 404}}
HEAD_API = {"employee_a": {"A": 200, "B": 404}}
SETUP = {"coordinator_a": 200, "coordinator_b": 200, "admin": 200}
SETUP_POST = {"coordinator_a": 302, "coordinator_b": 302, "admin": 302}
OWN_GET = {
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": {"A": 404, "B": 404},
}
OWN_POST = {
    "coordinator_a": {"A": 302, "B": 404},
    "coordinator_b": {"A": 404, "B": 302},
    "admin": {"A": 404, "B": 404},
}
API = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": 200,
}


def extend(rec) -> None:
    world = rec.world
    for owner, muni, head_id, coordinator_id in (
        ("A", world.muni_a, world.employee_a, world.coordinator_a),
        ("B", world.muni_b, world.employee_b, world.coordinator_b),
    ):
        with acting_as(db.session, muni):
            coordinator = db.session.get(User, coordinator_id)
            unit = db.session.get(OrgUnit, rec["org_unit"][owner])
            staff = factories.make_user(muni, org_unit_id=unit.id)
            services.set_head(unit, head_id, None, coordinator)
            services.set_head_approval(True, coordinator)
            reg = actions.register(rec["approval_session"]["-"], staff, staff)
            services.set_head_approval(False, coordinator)
            rec.put("head_staff", owner, staff.id)
            rec.put("head_registration", owner, reg.id)


if extend not in records.EXTENSIONS:
    records.EXTENSIONS.append(extend)


CASES: list[Case] = [
    Case("heads.index", lambda r, o: "/heads/", HEAD_PAGE),
    Case("heads.units", lambda r, o: "/heads/units", HEAD_PAGE),
    Case(
        "heads.approve",
        lambda r, o: f"/heads/registrations/{r['head_registration'][o]}/approve",
        HEAD_POST,
        method="POST",
        owners=AB,
    ),
    Case(
        "heads.decline",
        lambda r, o: f"/heads/registrations/{r['head_registration'][o]}/decline",
        HEAD_POST,
        method="POST",
        owners=AB,
        data=lambda r, o: {"reason": "繁忙期のため"},
    ),
    Case("heads.setup", lambda r, o: "/heads/setup", SETUP),
    Case(
        "heads.setting",
        lambda r, o: "/heads/setting",
        SETUP_POST,
        method="POST",
        data=lambda r, o: {"head_approval": "y"},
    ),
    Case(
        "heads.set_head",
        lambda r, o: f"/heads/units/{r['org_unit'][o]}/head",
        OWN_GET,
        owners=AB,
    ),
    Case(
        "heads.set_head",
        lambda r, o: f"/heads/units/{r['org_unit'][o]}/head",
        OWN_POST,
        method="POST",
        owners=AB,
        data=lambda r, o: {
            f"u{r['org_unit'][o]}-head": r["head_staff"][o],
            f"u{r['org_unit'][o]}-deputy": "",
        },
    ),
    Case(
        "api.units",
        lambda r, o: f"/municipalities/{r.code(o)}/units",
        API,
        owners=AB,
        api=True,
    ),
    Case(
        "api.set_unit_head",
        lambda r, o: f"/municipalities/{r.code(o)}/units/{r['org_unit'][o]}/head",
        API,
        method="PUT",
        owners=AB,
        api=True,
        data=lambda r, o: {"employee_id": r["head_staff"][o], "deputy_id": None},
    ),
    Case(
        "api.set_unit_head",
        lambda r, o: f"/municipalities/{r.code('A')}/units/{r['org_unit']['B']}/head",
        {"employee_a": 403, "coordinator_a": 404, "coordinator_b": 404, "admin": 404},
        method="PUT",
        api=True,
        data=lambda r, o: {"employee_id": r["head_staff"]["B"]},
        note="another member's unit named under one's own code is not found",
    ),
    Case(
        "api.member_settings",
        lambda r, o: f"/municipalities/{r.code(o)}/settings",
        API,
        method="PUT",
        owners=AB,
        api=True,
        data=lambda r, o: {"head_approval": True},
    ),
    Case("api.my_approvals", lambda r, o: "/me/approvals", {"employee_a": 200}, api=True),
    Case(
        "api.head_approve",
        lambda r, o: f"/registrations/{r['head_registration'][o]}/head-approve",
        HEAD_API,
        method="POST",
        owners=AB,
        api=True,
    ),
    Case(
        "api.head_decline",
        lambda r, o: f"/registrations/{r['head_registration'][o]}/head-decline",
        HEAD_API,
        method="POST",
        owners=AB,
        api=True,
        data=lambda r, o: {"reason": "繁忙期のため"},
    ),
]
