"""Matrix cases: registration pages.

A registration belongs to its employee's municipality: the employee, that
municipality's coordinator and regional administrators reach it; anyone else
gets 404. A member's own (hosted) session is invisible to other members (404).
Coordinator pages refuse employees with 403 before any record is looked up.
Attendance belongs to the host: regional administrators for shared sessions.
The calendar feed needs no sign-in: the token is the key, and a wrong token is
404 for everyone.
"""

from __future__ import annotations

import io
from datetime import timedelta

from regional.catalogue.models import Program
from regional.extensions import db
from regional.people.models import User
from tenants import all_tenants
from tests import factories
from tests.matrix import Case
from tests.matrix import records as _records

AB = ("A", "B")
SIGNED_IN_200 = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
SIGNED_IN_302 = {"employee_a": 302, "coordinator_a": 302, "coordinator_b": 302, "admin": 302}
STAFF_200 = {"employee_a": 403, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
STAFF_302 = {"employee_a": 403, "coordinator_a": 302, "coordinator_b": 302, "admin": 302}

#: A registration of A or B: its employee, its coordinator, administrators.
OWN_REG = {
    "employee_a": {"A": 200, "B": 404},
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": {"A": 200, "B": 200},
}
OWN_REG_POST = {k: {o: 302 if s == 200 else s for o, s in v.items()} for k, v in OWN_REG.items()}
#: Approving: coordinators of the registration's municipality and administrators.
APPROVER_POST = {
    "employee_a": 403,
    "coordinator_a": {"A": 302, "B": 404},
    "coordinator_b": {"A": 404, "B": 302},
    "admin": {"A": 302, "B": 302},
}
#: A member's own session: its staff and administrators see it.
HOSTED_STAFF = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": {"A": 200, "B": 200},
}


def extend(rec) -> None:
    """A fresh shared session, and the feed tokens, e-mails and a programme code to name."""
    # Not overlapping the records' other sessions, so nobody is refused for a clash.
    open_ts = factories.make_session(capacity=20, starts_in=timedelta(days=45))
    rec.put("open_session", "-", open_ts.id)
    with all_tenants(db.session):
        for owner, uid in (("A", rec.world.employee_a), ("B", rec.world.employee_b)):
            user = db.session.get(User, uid)
            rec.put("feed_token", owner, user.calendar_token)
            rec.put("email", owner, user.email)
    rec.put("program_code", "-", db.session.get(Program, rec["program"]["-"]).code)


if extend not in _records.EXTENSIONS:
    _records.EXTENSIONS.append(extend)


def _attendance_sheet(r, o) -> dict:
    body = f"登録ID,出席\r\n{r['past_registration']['A']},出席\r\n".encode()
    return {"file": (io.BytesIO(body), "attendance.csv")}


def _completions_sheet(r, o) -> dict:
    body = (
        "メールアドレス,研修コード,修了日\r\n"
        f"{r['email']['A']},{r['program_code']['-']},2025-06-30\r\n"
    ).encode()
    return {"file": (io.BytesIO(body), "elearning.csv")}


CASES: list[Case] = [
    Case("registrations.mine", lambda r, o: "/registrations/mine", SIGNED_IN_302),
    Case("registrations.coordinator", lambda r, o: "/registrations/", STAFF_200),
    Case(
        "registrations.coordinator",
        lambda r, o: "/registrations/?page=x",
        STAFF_200,
        note="a bad page number falls back to the first page",
    ),
    # Registering oneself: any shared session; a hosted one only by its own staff.
    Case(
        "registrations.register",
        lambda r, o: f"/registrations/session/{r['open_session']['-']}/register",
        SIGNED_IN_302,
        method="POST",
    ),
    Case(
        "registrations.register",
        lambda r, o: f"/registrations/session/{r['hosted_session'][o]}/register",
        {
            "employee_a": {"A": 302, "B": 404},
            "coordinator_a": {"A": 302, "B": 404},
            "coordinator_b": {"A": 404, "B": 302},
            "admin": {"A": 404, "B": 404},
        },
        method="POST",
        owners=AB,
        note="administrators' own municipality does not attend a member's own session",
    ),
    Case(
        "registrations.register_staff",
        lambda r, o: f"/registrations/session/{r['hosted_session'][o]}/register-staff",
        {
            "employee_a": 403,
            "coordinator_a": {"A": 302, "B": 404},
            "coordinator_b": {"A": 404, "B": 302},
        },
        method="POST",
        owners=AB,
        data=lambda r, o: {"employee": r["email"][o]},
        note="an administrator who has not switched finds no staff of A or B: refused, nothing made",
    ),
    Case(
        "registrations.cancel",
        lambda r, o: f"/registrations/{r['registration'][o]}/cancel",
        OWN_REG_POST,
        method="POST",
        owners=AB,
    ),
    Case(
        "registrations.approve",
        lambda r, o: f"/registrations/{r['pending_registration'][o]}/approve",
        APPROVER_POST,
        method="POST",
        owners=AB,
    ),
    Case(
        "registrations.decline",
        lambda r, o: f"/registrations/{r['pending_registration'][o]}/decline",
        APPROVER_POST,
        method="POST",
        owners=AB,
    ),
    Case(
        "registrations.reset_feed",
        lambda r, o: "/registrations/feed/reset",
        SIGNED_IN_302,
        method="POST",
    ),
    Case(
        "registrations.feed",
        lambda r, o: "/registrations/feed/not-a-real-token-0123456789abcdefghijklmnopq.ics",
        {"anon": 404, "employee_a": 404, "coordinator_a": 404, "coordinator_b": 404, "admin": 404},
        note="a wrong token is not found for everyone",
    ),
    Case(
        "registrations.feed",
        lambda r, o: f"/registrations/feed/{r['feed_token'][o]}.ics",
        {"anon": 200, **SIGNED_IN_200},
        owners=AB,
        note="the token is the key: no sign-in needed",
    ),
    Case(
        "registrations.ics",
        lambda r, o: f"/registrations/{r['registration'][o]}.ics",
        OWN_REG,
        owners=AB,
    ),
    Case(
        "registrations.session_registrants",
        lambda r, o: f"/registrations/session/{r['session']['-']}",
        STAFF_200,
    ),
    Case(
        "registrations.session_registrants",
        lambda r, o: f"/registrations/session/{r['hosted_session'][o]}?q=%E9%AB%99",
        HOSTED_STAFF,
        owners=AB,
    ),
    Case(
        "registrations.attendance",
        lambda r, o: f"/registrations/session/{r['past_session']['-']}/attendance",
        STAFF_200,
        note="a coordinator sees (and records) their own people on a shared session's roster",
    ),
    Case(
        "registrations.attendance",
        lambda r, o: f"/registrations/session/{r['hosted_session'][o]}/attendance",
        HOSTED_STAFF,
        owners=AB,
        note="a member's own session: its coordinator hosts it",
    ),
    Case(
        "registrations.attendance",
        lambda r, o: f"/registrations/session/{r['past_session']['-']}/attendance",
        STAFF_302,
        method="POST",
        data=lambda r, o: {
            "registration": [r["past_registration"]["A"], r["past_registration"]["B"]],
            "attended": [r["past_registration"]["A"]],
        },
        note="a refusal: each coordinator's batch names another member's registration, so the "
        "whole batch is refused (all or nothing) and the page answers 302 with the reason; a "
        "coordinator recording their own people is tested in tests/test_attendance.py",
        unchanged_for=("coordinator_a", "coordinator_b"),
    ),
    Case(
        "registrations.attendance_upload",
        lambda r, o: f"/registrations/session/{r['past_session']['-']}/attendance/upload",
        {"employee_a": 403, "coordinator_a": 200, "coordinator_b": 422, "admin": 200},
        method="POST",
        files=_attendance_sheet,
        note="a preview (nothing saved); B's coordinator sees A's registration refused",
        changes=False,
    ),
    Case(
        "registrations.attendance_confirm",
        lambda r, o: f"/registrations/session/{r['past_session']['-']}/attendance/confirm",
        {role: status for role, status in STAFF_302.items() if status != 302},
        method="POST",
        data=lambda r, o: {"payload": "forged"},
        note="a forged preview is refused for everyone (the admin: back to the page, nothing saved)",
    ),
    Case(
        "registrations.import_completions",
        lambda r, o: "/registrations/completions/import",
        STAFF_200,
    ),
    Case(
        "registrations.import_completions",
        lambda r, o: "/registrations/completions/import",
        {"employee_a": 403, "coordinator_a": 200, "coordinator_b": 422, "admin": 200},
        method="POST",
        files=_completions_sheet,
        note="a preview (nothing saved); B's coordinator cannot record for A's employee",
        changes=False,
    ),
    Case(
        "registrations.import_completions_confirm",
        lambda r, o: "/registrations/completions/import/confirm",
        {"employee_a": 403},
        method="POST",
        data=lambda r, o: {"payload": "forged"},
        note="a forged preview is refused for everyone (staff: back to the page, nothing saved)",
    ),
    Case(
        "registrations.export_session",
        lambda r, o: f"/registrations/session/{r['hosted_session'][o]}/export.csv",
        HOSTED_STAFF,
        owners=AB,
    ),
    Case(
        "registrations.export_session",
        lambda r, o: f"/registrations/session/{r['session']['-']}/export.xlsx",
        STAFF_200,
    ),
    Case(
        "registrations.export_year",
        lambda r, o: "/registrations/export?fiscal_year=2025&format=csv",
        STAFF_200,
    ),
]


#: The registered people of A and B on the shared session (factories' names).
PERSON = {"A": "髙橋 太郎", "B": "玉野 次郎"}


def _own_people_only(r, role: str, o: str) -> tuple[list[str], list[str]]:
    """A coordinator's sheet shows their member's person and never the other's."""
    if role == "coordinator_a":
        return [PERSON["A"]], [PERSON["B"]]
    if role == "coordinator_b":
        return [PERSON["B"]], [PERSON["A"]]
    return [PERSON["A"], PERSON["B"]], []


# Printable sheets (issue 9): 出席簿 and 参加者名簿, own people only for a coordinator.
for _endpoint, _path in (
    ("registrations.sign_in_sheet", "sign-in-sheet"),
    ("registrations.participant_list", "participants"),
):
    CASES += [
        Case(
            _endpoint,
            lambda r, o, p=_path: f"/registrations/session/{r['session']['-']}/{p}",
            STAFF_200,
            shows=_own_people_only,
            note="a shared session: each coordinator prints their own people only",
        ),
        Case(
            _endpoint,
            lambda r, o, p=_path: f"/registrations/session/{r['hosted_session'][o]}/{p}",
            HOSTED_STAFF,
            owners=AB,
        ),
    ]
