"""Matrix cases: the catalogue API (everyone signed in reads; regional_admin adds)."""

from tests.matrix import Case

SIGNED_IN = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}

CASES: list[Case] = [
    Case("api.programs", lambda r, o: "/programs", SIGNED_IN, api=True),
    Case("api.program", lambda r, o: f"/programs/{r['program']['-']}", SIGNED_IN, api=True),
    Case(
        "api.create_program",
        lambda r, o: "/programs",
        {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 201},
        method="POST",
        api=True,
        data=lambda r, o: {
            "code": "MTX-API-1",
            "title_ja": "API研修",
            "title_en": "API programme",
            "skill_area": "cloud",
            "delivery": "live_online",
            "hours": 1.5,
        },
    ),
]
