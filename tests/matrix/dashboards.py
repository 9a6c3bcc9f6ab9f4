"""Matrix cases: the progress dashboards, their drill-down, invitations and exports.

A member's dashboard (and everything under it) is its coordinators' and the
regional administrators': another member's coordinator gets 404, exactly as if
the municipality did not exist. Employees get 403 before anything is looked up.
The regional dashboard and the region's council report are the regional administrators'
alone (403 for others); a member's council report follows its dashboard.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from regional.catalogue.models import Program
from regional.extensions import db
from tests import factories
from tests.fixtures_targets import target
from tests.matrix import Case
from tests.matrix import records as _records

AB = ("A", "B")
#: A member's dashboard: its own coordinator and administrators; the other coordinator 404.
OWN = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": {"A": 200, "B": 200},
}
OWN_POST = {
    k: {o: 302 if s == 200 else s for o, s in v.items()} if isinstance(v, dict) else v
    for k, v in OWN.items()
}
ADMIN_ONLY = {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 200}


def extend(rec) -> None:
    """A security target in A and B, a coming security session to invite people to, and
    FY2024 closed in A and B (to re-open)."""
    from regional.people.models import User
    from regional.targets import closing
    from tenants.models import Municipality
    from tenants.scoping import acting_as

    target(rec.world.muni_a, "security", 10, start=2024)
    target(rec.world.muni_b, "security", 10, start=2024)
    with acting_as(db.session, rec.world.muni_admin):
        admin = db.session.get(User, rec.world.admin)
    for mid in (rec.world.muni_a, rec.world.muni_b):
        with acting_as(db.session, mid):
            closing.close_year(db.session, db.session.get(Municipality, mid), 2024, admin)
    program = db.session.scalar(select(Program).where(Program.code == "GEN-SEC-101"))
    ts = factories.make_session(program, capacity=30, starts_in=timedelta(days=50))
    rec.put("security_session", "-", ts.id)


if extend not in _records.EXTENSIONS:
    _records.EXTENSIONS.append(extend)


def _m(path: str = "") -> object:
    return lambda r, o: f"/progress/m/{r.code(o)}{path}"


CREATED = {
    "employee_a": 403,
    "coordinator_a": {"A": 201, "B": 404},
    "coordinator_b": {"A": 404, "B": 201},
    "admin": {"A": 201, "B": 201},
}
ADMIN_ONLY_POST = {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 302}

CASES = [
    # Year-end close: a member's own coordinators and administrators; re-opening, and closing
    # every member at once, administrators only.
    Case(
        "dashboards.close_year",
        _m("/years/2025/close"),
        OWN_POST,
        method="POST",
        owners=AB,
        data=lambda r, o: {"checked": "y"},
    ),
    Case(
        "dashboards.close_region_year",
        lambda r, o: "/progress/region/years/2025/close",
        ADMIN_ONLY_POST,
        method="POST",
        data=lambda r, o: {"checked": "y"},
    ),
    Case(
        "dashboards.reopen_year",
        _m("/years/2024/reopen"),
        {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 200},
        owners=AB,
    ),
    Case(
        "dashboards.reopen_year",
        _m("/years/2024/reopen"),
        {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 302},
        method="POST",
        owners=AB,
        data=lambda r, o: {"reason": "報告後に届いた修了を反映するため"},
    ),
    Case(
        "api.close_year",
        lambda r, o: f"/municipalities/{r.code(o)}/years/2025/close",
        CREATED,
        method="POST",
        owners=AB,
        api=True,
    ),
    Case(
        "api.reopen_year",
        lambda r, o: f"/municipalities/{r.code(o)}/years/2024/reopen",
        {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 200},
        method="POST",
        owners=AB,
        api=True,
        data=lambda r, o: {"reason": "報告後に届いた修了を反映するため"},
    ),
    Case(
        "dashboards.index",
        lambda r, o: "/progress/",
        {"employee_a": 403, "coordinator_a": 200, "coordinator_b": 200, "admin": 200},
    ),
    Case("dashboards.municipality", _m(), OWN, owners=AB),
    Case("dashboards.municipality", _m("?fy=1999"), OWN, owners=AB, note="bad year: current"),
    Case("dashboards.municipality_print", _m("/print"), OWN, owners=AB),
    Case("dashboards.municipality_export", _m("/export.xlsx"), OWN, owners=AB),
    Case("dashboards.municipality_export", _m("/export.csv?table=coverage"), OWN, owners=AB),
    Case("dashboards.drill", _m("/t/security?show=counted"), OWN, owners=AB),
    Case("dashboards.drill", _m("/t/security?show=not_yet"), OWN, owners=AB),
    Case("dashboards.drill_export", _m("/t/security/export.xlsx"), OWN, owners=AB),
    Case("dashboards.drill_export", _m("/t/security/export.csv?show=counted"), OWN, owners=AB),
    Case(
        "dashboards.invite_people",
        lambda r, o: (
            f"/progress/m/{r.code(o)}/t/security/invite?session_id={r['security_session']['-']}"
            f"&people={r['user']['A']}&people={r['user']['B']}"
        ),
        OWN,
        owners=AB,
        note="the confirmation (a GET: nothing sent)",
    ),
    Case(
        "dashboards.invite_people",
        _m("/t/security/invite"),
        OWN_POST,
        owners=AB,
        method="POST",
        data=lambda r, o: {
            "session_id": r["security_session"]["-"],
            "people": [r["user"]["A"], r["user"]["B"]],
        },
    ),
    Case("dashboards.municipality_council", _m("/council"), OWN, owners=AB),
    Case("dashboards.municipality_council", _m("/council?fy=2025"), OWN, owners=AB),
    Case("dashboards.municipality_council_export", _m("/council.xlsx"), OWN, owners=AB),
    Case("dashboards.region", lambda r, o: "/progress/region", ADMIN_ONLY),
    Case("dashboards.region_council", lambda r, o: "/progress/region/council", ADMIN_ONLY),
    Case(
        "dashboards.region_council",
        lambda r, o: "/progress/region/council?fy=1999",
        ADMIN_ONLY,
        note="bad year: current",
    ),
    Case(
        "dashboards.region_council_export",
        lambda r, o: "/progress/region/council.xlsx",
        ADMIN_ONLY,
    ),
    Case("dashboards.region_print", lambda r, o: "/progress/region/print", ADMIN_ONLY),
    Case("dashboards.region_export", lambda r, o: "/progress/region/export.xlsx", ADMIN_ONLY),
    Case(
        "dashboards.region_export",
        lambda r, o: "/progress/region/export.csv?table=sessions",
        ADMIN_ONLY,
    ),
]
