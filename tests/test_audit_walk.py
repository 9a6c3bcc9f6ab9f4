"""Does every administrative change leave an entry in the audit trail?

The walk replays the authorization matrix's cases (tests/matrix): for every
POST/PUT/PATCH/DELETE route, every role the matrix allows to change something,
it counts the trail's entries before and after the request. An allowed change
that added no entry fails, unless the route (for that caller) is on ``NOT_AUDITED``
below, the one list of what is not an administrative action, each with its reason.

A new write route must either leave an entry or be added to that list: it also
needs at least one case in the matrix where an allowed caller changes something
(``test_every_write_route_is_walked``), so no route escapes by being refused only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from regional import create_app
from tests.matrix import ROLES, all_cases, runner

# The runner's fixtures, used by name (each case runs in a savepoint of the module's records).
caller = runner.caller
matrix_records = runner.matrix_records
_transaction = runner._transaction

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
SUCCESS = (200, 201, 204, 302)


@dataclass(frozen=True)
class Exempt:
    """Why a route's change is not an administrative action, and for whom."""

    reason: str
    #: applies(role, data) -> whether this request is the exempt kind (default: always).
    applies: Callable[[str, Any], bool] = lambda role, data: True


def _the_callers_own(role: str, data: Any) -> bool:
    """An employee acts on their own records only; anyone naming nobody acts for themself."""
    return role == "employee_a" or not (isinstance(data, dict) and data.get("employee_id"))


def _an_employees_own(role: str, data: Any) -> bool:
    return role == "employee_a"


#: The routes that change something without it being an administrative action, with why.
#: Everything else that changes the database must write an audit entry.
NOT_AUDITED: dict[str, Exempt] = {
    "auth.login": Exempt("signing in (logged, throttled; the person's own act)"),
    "api.token": Exempt("signing in to the API (logged, throttled; the person's own act)"),
    "auth.logout": Exempt("signing out ends the person's own session"),
    "auth.logout_everywhere": Exempt("the person ends their own sessions"),
    "auth.signup": Exempt("a person applies for an account; the coordinator's decision is audited"),
    "auth.confirm": Exempt("a person confirms their own address from a mailed link"),
    "auth.forgot": Exempt("a person asks for their own reset link (nothing is stored)"),
    "auth.reset": Exempt("a person sets their own password from a mailed link"),
    "auth.welcome": Exempt("an invited person chooses their own password"),
    "main.set_language": Exempt("the person's own language"),
    "mail.settings": Exempt("the person's own mail settings (the digest and approval notices)"),
    "admin.switch": Exempt("which member an administrator works in lives in their session only"),
    "registrations.reset_feed": Exempt("the person replaces their own calendar-feed address"),
    "registrations.register": Exempt("the person registers themself for a session"),
    "registrations.cancel": Exempt(
        "an employee cancels their own registration (a coordinator's cancellation is audited)",
        _an_employees_own,
    ),
    "api.cancel_registration": Exempt(
        "an employee cancels their own registration (a coordinator's cancellation is audited)",
        _an_employees_own,
    ),
    "api.create_registration": Exempt(
        "the caller registers themself (registering someone else is audited)", _the_callers_own
    ),
    "catalogue.register_interest": Exempt("the person's own interest in a programme"),
    "surveys.answer": Exempt(
        "a participant answers their own survey (kept as the response, with its time; a trail "
        "entry would tie answers to names that the results never show)"
    ),
    "api.answer_survey": Exempt(
        "a participant answers their own survey (kept as the response, with its time; a trail "
        "entry would tie answers to names that the results never show)"
    ),
    "surveys.followup": Exempt(
        "a participant answers their own 3-month follow-up (kept in its row, with its time; a "
        "trail entry would tie answers to names that the results never show)"
    ),
    "api.answer_followup": Exempt(
        "a participant answers their own 3-month follow-up (kept in its row, with its time; a "
        "trail entry would tie answers to names that the results never show)"
    ),
    "catalogue.withdraw_interest": Exempt("the person withdraws their own interest"),
    "notices.mark_read": Exempt("the person marks a notice read for themself"),
    "api.mark_notice_read": Exempt("the person marks a notice read for themself"),
    "people.roster": Exempt("a preview: keeps the uploaded file for the import, changes nobody"),
    "registrations.attendance_upload": Exempt("a preview of an attendance file; records nothing"),
    "registrations.import_completions": Exempt("a preview of an e-learning file; records nothing"),
}

CASES = all_cases()


def _walk():
    for i, case in enumerate(CASES):
        if case.method not in WRITES or not case.changes:
            continue
        for role in ROLES:
            if role in case.unchanged_for:
                continue
            for owner in case.owners:
                if case.expected(role, owner) in SUCCESS:
                    yield pytest.param(case, role, owner, id=f"{case.endpoint}[{i}]-{role}-{owner}")


def _entries() -> int:
    from regional.audit.models import AuditEntry
    from regional.extensions import db
    from tenants import all_tenants

    with all_tenants(db.session):
        return db.session.scalar(select(func.count(AuditEntry.id)))


def _count(app) -> int:
    with app.app_context():
        return _entries()


@pytest.mark.parametrize(("case", "role", "owner"), list(_walk()))
def test_an_allowed_change_leaves_an_audit_entry(app, caller, matrix_records, case, role, owner):
    records = matrix_records[1]
    with app.app_context():
        url = case.url(records, owner)
        data = case.data(records, owner) if case.data else None
        files = case.files(records, owner) if case.files else None
    client = caller(role, case.api)
    if case.api:
        kwargs = {"json": data} if data is not None else {}
        if files:
            kwargs = {"data": files, "content_type": "multipart/form-data"}
        before = _count(app)
        resp = client._call(case.method, url, **kwargs)
    else:
        payload = dict(data or {})
        payload.update(files or {})
        payload.setdefault("csrf_token", client.csrf_token())
        before = _count(app)
        resp = client.open(url, method=case.method, data=payload)
    assert resp.status_code == case.expected(role, owner), resp.get_data(as_text=True)[:500]
    added = _count(app) - before
    exempt = NOT_AUDITED.get(case.endpoint)
    if exempt is not None and exempt.applies(role, data):
        return
    assert added > 0, (
        f"{case.method} {url} as {role} ({owner}) changed the database but left no audit entry; "
        "audit it in the same transaction, or list the route in NOT_AUDITED with the reason"
    )


def _write_endpoints() -> set[str]:
    from regional.config import TestingConfig

    app = create_app(TestingConfig)
    return {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.methods & WRITES and r.endpoint != "static"
    }


def test_every_write_route_is_walked():
    """Each write route is exempt, or the matrix has a case where an allowed caller changes it."""
    walked = {p.values[0].endpoint for p in _walk()}
    endpoints = _write_endpoints()
    unwalked = sorted(endpoints - walked - set(NOT_AUDITED))
    assert not unwalked, (
        f"write routes with no successful change in tests/matrix to check the audit trail on: "
        f"{unwalked}"
    )
    stale = sorted(set(NOT_AUDITED) - endpoints)
    assert not stale, f"NOT_AUDITED names routes that do not exist: {stale}"
