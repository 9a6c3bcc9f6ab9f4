"""Matrix cases: API tokens, me, municipalities."""

from tests.matrix import Case

SIGNED_IN = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}

CASES: list[Case] = [
    Case(
        "api.token",
        lambda r, o: "/auth/token",
        {"anon": 401, **{k: 401 for k in SIGNED_IN}},
        method="POST",
        api=True,
        data=lambda r, o: {"email": "nobody@example.lg.jp", "password": "wrong wrong wrong 1"},
    ),
    Case("api.me", lambda r, o: "/me", SIGNED_IN, api=True),
    Case("api.municipalities", lambda r, o: "/municipalities", SIGNED_IN, api=True),
]
