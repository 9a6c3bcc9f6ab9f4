"""The registrations API: the contract's shapes, its errors, and the wall between municipalities."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from regional.attendance.models import Completion
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.people.models import JobCategory
from regional.registrations import actions
from regional.seats.models import Registration, RegistrationStatus
from tests import factories
from tests.fixtures_registrations import ja, ja_subject, person, register, registration

CONTRACT = {"id", "session_id", "employee_id", "municipality_code", "status", "waitlist_position"}


@pytest.fixture
def make(app):
    """Build rows in the test's transaction (committed to its savepoint) and return plain ids."""

    def _make(fn):
        with app.app_context():
            value = fn()
            db.session.commit()
            return value

    return _make


def count_registrations(app, session_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.session_id == session_id)
            .execution_options(all_tenants=True)
        )


def error_code(resp) -> str:
    return resp.get_json()["error"]["code"]


# -- registering ----------------------------------------------------------------------


def test_employee_registers_themselves(api, world, make):
    ts = make(lambda: factories.make_session(capacity=2).id)
    resp = api(world.emails["employee_a"]).post(f"/sessions/{ts}/registrations", json={})
    assert resp.status_code == 201
    body = resp.get_json()
    assert body.keys() >= CONTRACT
    assert body["session_id"] == ts
    assert body["employee_id"] == world.employee_a
    assert body["municipality_code"] == "332038"
    assert body["status"] == "enrolled"
    assert body["waitlist_position"] is None


def test_an_empty_body_registers_oneself(api, world, make):
    ts = make(lambda: factories.make_session().id)
    resp = api(world.emails["employee_b"]).post(f"/sessions/{ts}/registrations")
    assert resp.status_code == 201
    assert resp.get_json()["employee_id"] == world.employee_b


def test_full_session_answers_waitlisted_with_the_position(api, world, make, app):
    ts = make(lambda: factories.make_session(capacity=1).id)
    assert (
        api(world.emails["employee_b"]).post(f"/sessions/{ts}/registrations", json={}).status_code
        == 201
    )
    resp = api(world.emails["employee_a"]).post(f"/sessions/{ts}/registrations", json={})
    assert resp.status_code == 201
    assert resp.get_json()["status"] == "waitlisted"
    assert resp.get_json()["waitlist_position"] == 1


def test_registering_twice_is_a_conflict_and_makes_nothing_new(api, world, make, app):
    ts = make(lambda: factories.make_session().id)
    caller = api(world.emails["employee_a"])
    first = caller.post(f"/sessions/{ts}/registrations", json={})
    again = caller.post(f"/sessions/{ts}/registrations", json={})
    assert again.status_code == 409
    assert error_code(again) == "already_registered"
    assert again.get_json()["error"]["registration_id"] == first.get_json()["id"]
    assert count_registrations(app, ts) == 1


def test_approval_session_answers_pending(api, world, make):
    ts = make(lambda: factories.make_session(requires_approval=True).id)
    resp = api(world.emails["employee_a"]).post(f"/sessions/{ts}/registrations", json={})
    assert resp.get_json()["status"] == "pending"


def test_coordinator_registers_own_staff_pre_approved(api, world, make):
    ts = make(lambda: factories.make_session(requires_approval=True).id)
    resp = api(world.emails["coordinator_a"]).post(
        f"/sessions/{ts}/registrations", json={"employee_id": world.employee_a2}
    )
    assert resp.status_code == 201
    assert resp.get_json()["status"] == "enrolled"
    assert resp.get_json()["employee_id"] == world.employee_a2


def test_coordinator_cannot_register_another_municipalitys_employee(api, world, make, app):
    ts = make(lambda: factories.make_session().id)
    resp = api(world.emails["coordinator_a"]).post(
        f"/sessions/{ts}/registrations", json={"employee_id": world.employee_b}
    )
    assert resp.status_code == 404
    assert error_code(resp) == "employee_not_found"
    assert count_registrations(app, ts) == 0


def test_employee_cannot_register_someone_else(api, world, make, app):
    ts = make(lambda: factories.make_session().id)
    resp = api(world.emails["employee_a"]).post(
        f"/sessions/{ts}/registrations", json={"employee_id": world.employee_a2}
    )
    assert resp.status_code == 403
    assert count_registrations(app, ts) == 0


def test_regional_admin_registers_anyone_even_after_the_window(api, world, make):
    ts = make(
        lambda: (
            factories.make_session(
                starts_in=timedelta(days=-2),
                opens_in=timedelta(days=-20),
                closes_in=timedelta(days=-3),
            ).id
        )
    )
    resp = api(world.emails["admin"]).post(
        f"/sessions/{ts}/registrations", json={"employee_id": world.employee_b}
    )
    assert resp.status_code == 201
    assert resp.get_json()["municipality_code"] == "332046"
    assert resp.get_json()["status"] == "enrolled"
    late = api(world.emails["employee_a"]).post(f"/sessions/{ts}/registrations", json={})
    assert late.status_code == 422
    assert error_code(late) == "registration_closed"


def test_unknown_or_invisible_session_is_not_found(api, world, make):
    hosted_b = make(lambda: factories.make_session(host_municipality_id=world.muni_b).id)
    caller = api(world.emails["employee_a"])
    assert caller.post("/sessions/999999/registrations", json={}).status_code == 404
    resp = caller.post(f"/sessions/{hosted_b}/registrations", json={})
    assert resp.status_code == 404
    assert error_code(resp) == "session_not_found"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"data": "{not json", "content_type": "application/json"}, "malformed_json"),
        ({"json": [1, 2]}, "malformed_json"),
        ({"json": {"employee_id": "abc"}}, "invalid_field"),
        ({"json": {"employee_id": True}}, "invalid_field"),
    ],
)
def test_malformed_requests_are_400_and_write_nothing(api, world, make, app, kwargs, code):
    ts = make(lambda: factories.make_session().id)
    resp = api(world.emails["coordinator_a"]).post(f"/sessions/{ts}/registrations", **kwargs)
    assert resp.status_code == 400
    assert error_code(resp) == code
    assert resp.get_json()["error"]["message"]
    assert count_registrations(app, ts) == 0


def test_rule_refusals_are_422_with_their_codes(api, world, make):
    def setup():
        technical = factories.make_program(eligible_job_categories=[JobCategory.TECHNICAL.value])
        closed = factories.make_session(closes_in=timedelta(hours=-1), opens_in=timedelta(days=-5))
        ineligible = factories.make_session(technical, starts_in=timedelta(days=40))
        cancelled = factories.make_session(starts_in=timedelta(days=50))
        actions.cancel_session(cancelled.id, "", person(world.admin))
        first = factories.make_session(starts_in=timedelta(days=60))
        clash = factories.make_session(starts_in=timedelta(days=60, hours=1))
        register(first.id, world.employee_a)
        return closed.id, ineligible.id, cancelled.id, clash.id

    closed, ineligible, cancelled, clash = make(setup)
    caller = api(world.emails["employee_a"])
    for ts, code in (
        (closed, "registration_closed"),
        (ineligible, "not_eligible"),
        (cancelled, "session_cancelled"),
        (clash, "overlapping_session"),
    ):
        resp = caller.post(f"/sessions/{ts}/registrations", json={})
        assert (resp.status_code, error_code(resp)) == (422, code)


def test_messages_follow_accept_language(api, world, make):
    ts = make(
        lambda: (
            factories.make_session(closes_in=timedelta(hours=-1), opens_in=timedelta(days=-5)).id
        )
    )
    resp = api(world.emails["employee_a"]).post(
        f"/sessions/{ts}/registrations", json={}, headers={"Accept-Language": "en"}
    )
    assert resp.get_json()["error"]["message"] == "Registration for this session is not open."


# -- cancelling, approving -------------------------------------------------------------------


def test_cancelling_answers_the_cancelled_registration_and_mails_the_promoted(
    api, world, make, mailbox, app
):
    def setup():
        ts = factories.make_session(capacity=1)
        reg = register(ts.id, world.employee_a)
        register(ts.id, world.employee_b)
        return reg.id

    reg_id = make(setup)
    mailbox.clear()
    resp = api(world.emails["employee_a"]).delete(f"/registrations/{reg_id}")
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "cancelled"
    promoted = mailbox.to(world.emails["employee_b"])
    assert len(promoted) == 1
    with app.app_context():
        subject = ja_subject("A seat became free for you: %(title)s", title="テスト研修")
        moved_up = ja(
            "You have moved up from the waiting list and are now enrolled. "
            "A calendar file is attached."
        )
    assert promoted[0]["Subject"] == subject
    assert moved_up in mailbox.body(promoted[0])
    attachments = [
        p for p in promoted[0].iter_attachments() if p.get_content_type() == "text/calendar"
    ]
    assert attachments, "the promoted person gets the calendar entry"
    assert len(mailbox.to(world.emails["employee_a"])) == 1  # the cancellation notice
    again = api(world.emails["employee_a"]).delete(f"/registrations/{reg_id}")
    assert again.status_code == 409


def _state(reg: Registration) -> tuple:
    return reg.status, reg.cancelled_at


def test_other_municipalitys_registration_is_not_found_and_left_untouched(api, world, make):
    reg_id = make(lambda: register(factories.make_session().id, world.employee_a).id)
    for role in ("coordinator_b", "employee_b", "employee_a2"):
        caller = api(world.emails[role])
        assert caller.get(f"/registrations/{reg_id}").status_code == 404
        assert caller.delete(f"/registrations/{reg_id}").status_code == 404
    status, cancelled_at = make(lambda: _state(registration(reg_id)))
    assert status == RegistrationStatus.ENROLLED
    assert cancelled_at is None
    assert api(world.emails["employee_a"]).get(f"/registrations/{reg_id}").status_code == 200


def test_approve_and_decline(api, world, make, mailbox, app):
    def setup():
        ts = factories.make_session(requires_approval=True)
        return register(ts.id, world.employee_a).id, register(ts.id, world.employee_a2).id

    first, second = make(setup)
    coordinator = api(world.emails["coordinator_a"])
    approved = coordinator.post(f"/registrations/{first}/approve")
    assert approved.status_code == 200
    assert approved.get_json()["status"] == "enrolled"
    with app.app_context():
        subject = ja_subject("Request approved: %(title)s", title="テスト研修")
    assert subject in [m["Subject"] for m in mailbox.to(world.emails["employee_a"])]
    assert coordinator.post(f"/registrations/{first}/approve").status_code == 409
    declined = coordinator.post(f"/registrations/{second}/decline")
    assert declined.get_json()["status"] == "declined"
    assert (
        api(world.emails["coordinator_b"]).post(f"/registrations/{first}/decline").status_code
        == 404
    )
    assert (
        api(world.emails["employee_a"]).post(f"/registrations/{first}/approve").status_code == 403
    )


# -- attendance ------------------------------------------------------------------------------------


@pytest.fixture
def started(make, world):
    def setup():
        ts = factories.make_session(
            starts_in=timedelta(hours=-1), opens_in=timedelta(days=-9), closes_in=timedelta(days=-1)
        )
        a = register(ts.id, world.employee_a, world.admin)
        b = register(ts.id, world.employee_b, world.admin)
        return ts.id, a.id, b.id

    return make(setup)


def completions(app, session_id: int) -> list[tuple[int, int]]:
    with app.app_context():
        rows = db.session.scalars(
            select(Completion)
            .where(Completion.session_id == session_id)
            .execution_options(all_tenants=True)
        )
        return sorted((c.employee_id, c.fiscal_year) for c in rows)


def test_admin_records_attendance_for_every_municipality(api, world, started, app):
    ts, a, b = started
    resp = api(world.emails["admin"]).post(
        f"/sessions/{ts}/attendance",
        json=[{"registration_id": a, "attended": True}, {"registration_id": b, "attended": True}],
    )
    assert resp.status_code == 200
    assert resp.get_json() == {"session_id": ts, "attended": 2, "absent": 0}
    fy = fiscal_year_of(now_utc() - timedelta(hours=1))
    assert completions(app, ts) == [(world.employee_a, fy), (world.employee_b, fy)]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"registration_id": 1, "attended": True}, 400, "malformed_json"),
        ([], 400, "empty"),
        (["x"], 400, "invalid_item"),
        ([{"registration_id": "1", "attended": True}], 400, "invalid_field"),
        ([{"registration_id": 1, "attended": "yes"}], 400, "invalid_field"),
        ([{"attended": True}], 400, "missing_field"),
    ],
)
def test_malformed_attendance_is_refused_whole(api, world, started, app, body, status, code):
    ts, a, _b = started
    resp = api(world.emails["admin"]).post(f"/sessions/{ts}/attendance", json=body)
    assert (resp.status_code, error_code(resp)) == (status, code)
    assert completions(app, ts) == []


def test_attendance_with_an_unknown_registration_changes_nothing(api, world, started, app):
    ts, a, _b = started
    resp = api(world.emails["admin"]).post(
        f"/sessions/{ts}/attendance",
        json=[
            {"registration_id": a, "attended": True},
            {"registration_id": 987654, "attended": True},
        ],
    )
    assert resp.status_code == 422
    assert error_code(resp) == "not_enrolled"
    assert resp.get_json()["error"]["ids"] == [987654]
    assert completions(app, ts) == []


def test_attendance_before_the_start_is_refused(api, world, make):
    def setup():
        ts = factories.make_session()
        return ts.id, register(ts.id, world.employee_a).id

    ts, reg = make(setup)
    resp = api(world.emails["admin"]).post(
        f"/sessions/{ts}/attendance", json=[{"registration_id": reg, "attended": True}]
    )
    assert (resp.status_code, error_code(resp)) == (422, "session_not_started")


# -- a municipality's registrations --------------------------------------------------------------


def test_coordinator_lists_only_their_own_municipalitys_registrations(api, world, make):
    def setup():
        ts = factories.make_session(capacity=1)
        register(ts.id, world.employee_a)
        register(ts.id, world.employee_b)
        register(ts.id, world.employee_a2)
        return ts.id

    ts = make(setup)
    resp = api(world.emails["coordinator_a"]).get(
        f"/municipalities/332038/registrations?session_id={ts}"
    )
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["total"] == 2
    assert {i["employee_id"] for i in body["items"]} == {world.employee_a, world.employee_a2}
    waiting = next(i for i in body["items"] if i["status"] == "waitlisted")
    assert waiting["waitlist_position"] == 2  # behind B's employee, whose name is not shown
    assert "玉野" not in resp.get_data(as_text=True)
    other = api(world.emails["coordinator_a"]).get("/municipalities/332046/registrations")
    assert other.status_code == 404


def test_listing_filters_and_pages(api, world, make):
    def setup():
        ts = factories.make_session(capacity=1)
        register(ts.id, world.employee_a)
        register(ts.id, world.employee_a2)
        return ts.id

    ts = make(setup)
    caller = api(world.emails["admin"])
    fy = fiscal_year_of(now_utc() + timedelta(days=14))
    page = caller.get(f"/municipalities/332038/registrations?fiscal_year={fy}&per_page=1&page=2")
    assert page.get_json()["total"] >= 2
    assert len(page.get_json()["items"]) == 1
    waiting = caller.get(f"/municipalities/332038/registrations?status=waitlisted&session_id={ts}")
    assert [i["employee_id"] for i in waiting.get_json()["items"]] == [world.employee_a2]
    none = caller.get(f"/municipalities/332038/registrations?fiscal_year={fy - 5}")
    assert none.get_json()["items"] == []
    for bad in ("status=done", "session_id=x", "fiscal_year=soon", "per_page=abc"):
        resp = caller.get(f"/municipalities/332038/registrations?{bad}")
        assert resp.status_code == 400, bad
