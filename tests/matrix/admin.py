"""Matrix cases: regional administration (regional administrators only, everyone else 403)."""

from tests.matrix import Case

ADMIN = {"admin": 200, "employee_a": 403, "coordinator_a": 403, "coordinator_b": 403}
ADMIN_POST = {"admin": 302, "employee_a": 403, "coordinator_a": 403, "coordinator_b": 403}
AB = ("A", "B")


def _coordinator(r, o):
    return r.world.coordinator_a if o == "A" else r.world.coordinator_b


CASES: list[Case] = [
    Case("admin.index", lambda r, o: "/admin/", ADMIN),
    Case("admin.switch", lambda r, o: "/admin/switch", ADMIN),
    Case(
        "admin.switch",
        lambda r, o: "/admin/switch",
        ADMIN_POST,
        method="POST",
        data=lambda r, o: {"municipality": "332038"},
        note="the switch lives in the session only",
        changes=False,
    ),
    Case("admin.coordinators", lambda r, o: "/admin/coordinators", ADMIN),
    Case(
        "admin.municipality_coordinators",
        lambda r, o: f"/admin/municipalities/{r.code(o)}/coordinators",
        ADMIN,
        owners=AB,
    ),
    Case(
        "admin.municipality_coordinators",
        lambda r, o: "/admin/municipalities/999999/coordinators",
        {**ADMIN, "admin": 404},
        note="an unknown code",
    ),
    Case(
        "admin.municipality_coordinators",
        lambda r, o: f"/admin/municipalities/{r.code(o)}/coordinators",
        ADMIN_POST,
        method="POST",
        owners=AB,
        data=lambda r, o: {"who": r.world.emails["employee_a" if o == "A" else "employee_b"]},
    ),
    Case(
        "admin.demote",
        lambda r, o: f"/admin/municipalities/{r.code(o)}/coordinators/{_coordinator(r, o)}/demote",
        ADMIN_POST,
        method="POST",
        owners=AB,
    ),
    Case(
        "admin.demote",
        lambda r, o: f"/admin/municipalities/332038/coordinators/{_coordinator(r, o)}/demote",
        {**ADMIN_POST, "admin": 404},
        method="POST",
        owners=("B",),
        note="B's coordinator named under A's code is not found",
    ),
]
