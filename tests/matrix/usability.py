"""Matrix cases: the home page's one-step actions (issue 9).

The reminder of required training mails the coordinator's own municipality's
staff: employees are refused (403) before anything is read.
"""

from __future__ import annotations

from tests.matrix import Case

CASES = [
    Case(
        "registrations.cancel",
        lambda r, o: f"/registrations/{r['registration'][o]}/cancel",
        {
            "employee_a": {"A": 200, "B": 404},
            "coordinator_a": {"A": 200, "B": 404},
            "coordinator_b": {"A": 404, "B": 200},
            "admin": {"A": 200, "B": 200},
        },
        owners=("A", "B"),
        note="the confirmation step before cancelling",
    ),
    Case(
        "targets.remind_required",
        lambda r, o: "/targets/remind-required",
        {"employee_a": 403, "coordinator_a": 200, "coordinator_b": 200, "admin": 200},
        note="the confirmation: who gets which mail, and the mail (nothing sent)",
    ),
    Case(
        "targets.remind_required",
        lambda r, o: "/targets/remind-required",
        {"employee_a": 403, "coordinator_a": 302, "coordinator_b": 302, "admin": 302},
        method="POST",
        data=lambda r, o: {},
    ),
]

CASES.append(
    Case(
        "registrations.bulk",
        lambda r, o: "/registrations/bulk",
        {
            "employee_a": 403,
            "coordinator_a": {"A": 302, "B": 404},
            "coordinator_b": {"A": 404, "B": 302},
            "admin": {"A": 302, "B": 302},
        },
        method="POST",
        owners=("A", "B"),
        data=lambda r, o: {"reg_id": str(r["pending_registration"][o]), "action": "approve"},
        note="approving a batch of one: another member's request is not found",
    )
)
