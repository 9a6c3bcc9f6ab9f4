"""Matrix cases: the sessions API.

Reading follows the pages (a member's own session is 404 to the others);
every write is for regional administrators (403 to anyone else, before any
record is looked up, so nothing is revealed).
"""

from datetime import timedelta

from regional.fiscal import now_utc
from tests.matrix import Case

SIGNED_IN = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
ADMIN = {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403}


def _iso(delta: timedelta) -> str:
    return (now_utc() + delta).isoformat(timespec="seconds")


def session_body(r, o) -> dict:
    return {
        "program_id": r["program"]["-"],
        "starts_at": _iso(timedelta(days=40)),
        "ends_at": _iso(timedelta(days=40, hours=2)),
        "venue": "岡山市役所",
        "capacity": 30,
        "registration_opens_at": _iso(timedelta(days=1)),
        "registration_closes_at": _iso(timedelta(days=38)),
        "requires_approval": False,
    }


CASES: list[Case] = [
    Case("api.sessions", lambda r, o: "/sessions", SIGNED_IN, api=True),
    Case("api.session", lambda r, o: f"/sessions/{r['session']['-']}", SIGNED_IN, api=True),
    Case(
        "api.session",
        lambda r, o: f"/sessions/{r['hosted_session'][o]}",
        {
            "employee_a": {"A": 200, "B": 404},
            "coordinator_a": {"A": 200, "B": 404},
            "coordinator_b": {"A": 404, "B": 200},
            "admin": {"A": 200, "B": 200},
        },
        owners=("A", "B"),
        api=True,
    ),
    Case(
        "api.create_session",
        lambda r, o: "/sessions",
        {**ADMIN, "admin": 201},
        method="POST",
        api=True,
        data=session_body,
    ),
    Case(
        "api.update_session",
        lambda r, o: f"/sessions/{r['session']['-']}",
        {**ADMIN, "admin": 200},
        method="PATCH",
        api=True,
        data=lambda r, o: {"capacity": 25},
    ),
    Case(
        "api.update_session",
        lambda r, o: f"/sessions/{r['hosted_session'][o]}",
        {**ADMIN, "admin": {"A": 200, "B": 200}},
        method="PATCH",
        owners=("A", "B"),
        api=True,
        data=lambda r, o: {"venue": "別館 2階"},
    ),
    Case(
        "api.cancel_session",
        lambda r, o: f"/sessions/{r['session']['-']}/cancel",
        {**ADMIN, "admin": 200},
        method="POST",
        api=True,
        data=lambda r, o: {"reason": "会場の都合により中止"},
    ),
    Case(
        "api.reserve_seats",
        lambda r, o: f"/sessions/{r['session']['-']}/reservations/{r.code('A')}",
        {**ADMIN, "admin": 200},
        method="PUT",
        api=True,
        data=lambda r, o: {"seats": 3, "release_at": _iso(timedelta(days=7))},
    ),
]
