"""Matrix cases: sign-in pages."""

from tests.matrix import Case

CASES: list[Case] = [
    Case(
        "auth.login",
        lambda r, o: "/login",
        {"anon": 200, "employee_a": 302, "coordinator_a": 302, "coordinator_b": 302, "admin": 302},
    ),
    Case(
        "auth.logout",
        lambda r, o: "/logout",
        {"employee_a": 302, "coordinator_a": 302, "coordinator_b": 302, "admin": 302},
        method="POST",
    ),
]
