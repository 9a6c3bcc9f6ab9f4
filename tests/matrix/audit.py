"""Matrix cases: the audit trail (a municipality's coordinators; regional administrators any).

The page acts in the current municipality (``?municipality=CODE`` names another:
regional administrators only, a coordinator gets 404); the API is entered by code.
"""

from tests.matrix import Case

AB = ("A", "B")
PAGE_OWN = {"coordinator_a": 200, "coordinator_b": 200, "admin": 200, "employee_a": 403}
PAGE_NAMED = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": 200,
}
API = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": 200,
}

CASES: list[Case] = [
    Case("audit.index", lambda r, o: "/audit/", PAGE_OWN),
    Case("audit.index", lambda r, o: f"/audit/?municipality={r.code(o)}", PAGE_NAMED, owners=AB),
    Case(
        "audit.index",
        lambda r, o: "/audit/?municipality=999999",
        {"employee_a": 403, "coordinator_a": 404, "coordinator_b": 404, "admin": 404},
        note="an unknown code looks like another member's",
    ),
    Case("api.audit", lambda r, o: f"/municipalities/{r.code(o)}/audit", API, owners=AB, api=True),
    Case(
        "api.audit",
        lambda r, o: "/municipalities/999999/audit",
        {"employee_a": 403, "coordinator_a": 404, "coordinator_b": 404, "admin": 404},
        api=True,
        note="an unknown code looks like another member's",
    ),
]
