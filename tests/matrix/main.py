"""Matrix cases: home, language, health."""

from tests.matrix import Case

SIGNED_IN = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}

CASES: list[Case] = [
    Case("main.home", lambda r, o: "/", SIGNED_IN),
    Case(
        "main.set_language",
        lambda r, o: "/language",
        {"anon": 302, "employee_a": 302, "coordinator_a": 302, "coordinator_b": 302, "admin": 302},
        method="POST",
        data=lambda r, o: {"lang": "en", "next": "/"},
        note="anyone may choose a language; for an account it is also stored",
        unchanged_for=("anon",),
    ),
    Case("main.livez", lambda r, o: "/livez", {"anon": 200, **SIGNED_IN}),
    Case("main.healthz", lambda r, o: "/healthz", {"anon": 200, **SIGNED_IN}),
]
