"""Matrix cases: session pages.

Shared sessions are seen by every member; a member's own (hosted) session is
seen only by that member and the regional administrators, and answers 404 to
anyone else. Managing: administrators everything, coordinators their own
member's sessions only.
"""

from datetime import timedelta

from regional.fiscal import now_utc, to_local
from tests.matrix import Case

SIGNED_IN = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}


def _local(delta: timedelta) -> str:
    return to_local(now_utc() + delta).strftime("%Y-%m-%dT%H:%M")


def session_form(r, o) -> dict:
    """A valid session in Tokyo wall-clock time, a month ahead."""
    return {
        "program_id": str(r["program"]["-"]),
        "starts_at": _local(timedelta(days=30)),
        "ends_at": _local(timedelta(days=30, hours=3)),
        "venue": "津山市役所 会議室",
        "capacity": "5",
        "registration_opens_at": _local(timedelta(days=-1)),
        "registration_closes_at": _local(timedelta(days=29)),
        "audience": "all",
    }


def _hosted(r, o) -> int:
    return r["hosted_session"][o]


HOSTED_VIEW = {
    "employee_a": {"A": 200, "B": 404},
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": {"A": 200, "B": 200},
}


def _hosted_manage(ok: int) -> dict:
    return {
        "employee_a": {"A": 403, "B": 404},
        "coordinator_a": {"A": ok, "B": 404},
        "coordinator_b": {"A": 404, "B": ok},
        "admin": {"A": ok, "B": ok},
    }


def _shared_manage(ok: int) -> dict:
    return {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": ok}


CASES: list[Case] = [
    Case("sessions.index", lambda r, o: "/sessions/", SIGNED_IN),
    Case("sessions.detail", lambda r, o: f"/sessions/{r['session']['-']}", SIGNED_IN),
    Case(
        "sessions.detail",
        lambda r, o: f"/sessions/{_hosted(r, o)}",
        HOSTED_VIEW,
        owners=("A", "B"),
    ),
    Case(
        "sessions.create",
        lambda r, o: "/sessions/new",
        {"employee_a": 403, "coordinator_a": 200, "coordinator_b": 200, "admin": 200},
    ),
    Case(
        "sessions.create",
        lambda r, o: "/sessions/new",
        {"employee_a": 403, "coordinator_a": 302, "coordinator_b": 302, "admin": 302},
        method="POST",
        data=session_form,
    ),
    Case("sessions.edit", lambda r, o: f"/sessions/{r['session']['-']}/edit", _shared_manage(200)),
    Case(
        "sessions.edit",
        lambda r, o: f"/sessions/{_hosted(r, o)}/edit",
        _hosted_manage(200),
        owners=("A", "B"),
    ),
    Case(
        "sessions.edit",
        lambda r, o: f"/sessions/{_hosted(r, o)}/edit",
        _hosted_manage(302),
        method="POST",
        owners=("A", "B"),
        data=session_form,
    ),
    Case(
        "sessions.edit",
        lambda r, o: f"/sessions/{r['session']['-']}/edit",
        _shared_manage(302),
        method="POST",
        data=lambda r, o: {**session_form(r, o), "capacity": "25"},
    ),
    Case(
        "sessions.allocations",
        lambda r, o: f"/sessions/{r['session']['-']}/allocations",
        _shared_manage(200),
    ),
    Case(
        "sessions.set_allocation",
        lambda r, o: f"/sessions/{r['session']['-']}/allocations/{r.code('A')}",
        _shared_manage(302),
        method="POST",
        data=lambda r, o: {
            "seats": "2",
            "release_on": to_local(now_utc() + timedelta(days=7)).date().isoformat(),
        },
    ),
    Case(
        "sessions.cancel",
        lambda r, o: f"/sessions/{r['session']['-']}/cancel",
        _shared_manage(200),
    ),
    Case(
        "sessions.cancel",
        lambda r, o: f"/sessions/{_hosted(r, o)}/cancel",
        _hosted_manage(200),
        owners=("A", "B"),
    ),
    Case(
        "sessions.cancel",
        lambda r, o: f"/sessions/{_hosted(r, o)}/cancel",
        _hosted_manage(302),
        method="POST",
        owners=("A", "B"),
        data=lambda r, o: {"reason": "講師の都合により中止します。"},
    ),
    Case(
        "sessions.cancel",
        lambda r, o: f"/sessions/{r['session']['-']}/cancel",
        _shared_manage(302),
        method="POST",
        data=lambda r, o: {"reason": "講師の都合により中止します。"},
    ),
]


def _new_day(r, o) -> str:
    return to_local(now_utc() + timedelta(days=40)).date().isoformat()


# Copying a session (issue 9): whoever may change it; a member's own session is not
# found by anyone outside that member (and the administrators).
CASES += [
    Case(
        "sessions.duplicate",
        lambda r, o: f"/sessions/{r['session']['-']}/duplicate",
        _shared_manage(200),
        note="the first step: choose the day",
    ),
    Case(
        "sessions.duplicate",
        lambda r, o: f"/sessions/{r['session']['-']}/duplicate?on={_new_day(r, o)}",
        _shared_manage(200),
        note="the form filled from the shared session",
    ),
    Case(
        "sessions.duplicate",
        lambda r, o: f"/sessions/{_hosted(r, o)}/duplicate?on={_new_day(r, o)}",
        _hosted_manage(200),
        owners=("A", "B"),
    ),
    Case(
        "sessions.duplicate",
        lambda r, o: f"/sessions/{r['session']['-']}/duplicate?on={_new_day(r, o)}",
        _shared_manage(302),
        method="POST",
        data=session_form,
    ),
    Case(
        "sessions.duplicate",
        lambda r, o: f"/sessions/{_hosted(r, o)}/duplicate?on={_new_day(r, o)}",
        _hosted_manage(302),
        method="POST",
        owners=("A", "B"),
        data=session_form,
        note="the copy stays the member's own; another member's is not found",
    ),
]

CASES.append(
    Case(
        "sessions.allocations",
        lambda r, o: f"/sessions/{r['session']['-']}/allocations",
        _shared_manage(302),
        method="POST",
        data=lambda r, o: {
            "reservations-0-code": r.code("A"),
            "reservations-0-seats": "2",
            "reservations-0-release_on": to_local(now_utc() + timedelta(days=7)).date().isoformat(),
        },
        note="every member's reservation in one save (regional administrators)",
    )
)
