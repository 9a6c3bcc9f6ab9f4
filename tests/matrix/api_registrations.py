"""Matrix cases: the registrations API.

Same rule as the pages: a registration or employee of another municipality is
404; an employee may act only for themselves (403 when naming someone else);
attendance: regional administrators record anyone's, a coordinator only their own
people's (another member's registration in the batch refuses it all with 422).
"""

from __future__ import annotations

from tests.matrix import Case
from tests.matrix.registrations import extend  # noqa: F401  (registers the extra records)

AB = ("A", "B")
OWN_REG = {
    "employee_a": {"A": 200, "B": 404},
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": {"A": 200, "B": 200},
}
APPROVER = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": {"A": 200, "B": 200},
}

CASES: list[Case] = [
    Case(
        "api.create_registration",
        lambda r, o: f"/sessions/{r['open_session']['-']}/registrations",
        {"employee_a": 201, "coordinator_a": 201, "coordinator_b": 201, "admin": 201},
        method="POST",
        api=True,
        data=lambda r, o: {},
        note="anyone signed in registers themselves for a shared session",
    ),
    Case(
        "api.create_registration",
        lambda r, o: f"/sessions/{r['open_session']['-']}/registrations",
        {
            "employee_a": {"A": 201, "B": 403},
            "coordinator_a": {"A": 201, "B": 404},
            "coordinator_b": {"A": 404, "B": 201},
            "admin": {"A": 201, "B": 201},
        },
        method="POST",
        owners=AB,
        api=True,
        data=lambda r, o: {"employee_id": r["user"][o]},
        note="employee_a naming themselves is allowed; naming another is 403",
    ),
    Case(
        "api.create_registration",
        lambda r, o: f"/sessions/{r['hosted_session'][o]}/registrations",
        {
            "employee_a": {"A": 201, "B": 404},
            "coordinator_a": {"A": 201, "B": 404},
            "coordinator_b": {"A": 404, "B": 201},
            "admin": {"A": 404, "B": 404},
        },
        method="POST",
        owners=AB,
        api=True,
        data=lambda r, o: {},
        note="a member's own session is invisible to other members' staff",
    ),
    Case(
        "api.get_registration",
        lambda r, o: f"/registrations/{r['registration'][o]}",
        OWN_REG,
        owners=AB,
        api=True,
    ),
    Case(
        "api.cancel_registration",
        lambda r, o: f"/registrations/{r['registration'][o]}",
        OWN_REG,
        method="DELETE",
        owners=AB,
        api=True,
    ),
    Case(
        "api.approve_registration",
        lambda r, o: f"/registrations/{r['pending_registration'][o]}/approve",
        APPROVER,
        method="POST",
        owners=AB,
        api=True,
    ),
    Case(
        "api.decline_registration",
        lambda r, o: f"/registrations/{r['pending_registration'][o]}/decline",
        APPROVER,
        method="POST",
        owners=AB,
        api=True,
    ),
    Case(
        "api.record_attendance",
        lambda r, o: f"/sessions/{r['past_session']['-']}/attendance",
        {"employee_a": 403, "coordinator_a": 422, "coordinator_b": 422, "admin": 200},
        method="POST",
        api=True,
        data=lambda r, o: [
            {"registration_id": r["past_registration"]["A"], "attended": True},
            {"registration_id": r["past_registration"]["B"], "attended": False},
        ],
        note="a batch naming another member's registration is refused whole",
    ),
    Case(
        "api.record_attendance",
        lambda r, o: f"/sessions/{r['past_session']['-']}/attendance",
        {
            "employee_a": 403,
            "coordinator_a": {"A": 200, "B": 422},
            "coordinator_b": {"A": 422, "B": 200},
            "admin": 200,
        },
        method="POST",
        owners=("A", "B"),
        api=True,
        data=lambda r, o: [{"registration_id": r["past_registration"][o], "attended": True}],
        note="a coordinator records their own people's attendance at a shared session",
    ),
    Case(
        "api.municipality_registrations",
        lambda r, o: f"/municipalities/{r.code(o)}/registrations",
        APPROVER,
        owners=AB,
        api=True,
    ),
    Case(
        "api.municipality_registrations",
        lambda r, o: (
            f"/municipalities/{r.code(o)}/registrations?status=enrolled&fiscal_year=2026&page=1"
        ),
        APPROVER,
        owners=AB,
        api=True,
    ),
]
