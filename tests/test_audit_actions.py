"""Administrative actions leave an entry in the trail of the member they concern."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from regional import attendance
from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.fiscal import now_utc
from regional.people import people
from regional.people.models import AccountStatus, Role
from regional.registrations import actions, cancellation, session_changes
from regional.sessions.services import SessionPlan, create_session
from tenants import all_tenants
from tenants.models import Municipality
from tests import factories
from tests.fixtures_registrations import inside, person, register


def trail(municipality_id: int, prefix: str = "") -> list[AuditEntry]:
    with all_tenants(db.session):
        db.session.flush()
        rows = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.municipality_id == municipality_id)
            .order_by(AuditEntry.id)
        ).all()
    return [r for r in rows if r.action.startswith(prefix)]


def _started():
    return factories.make_session(
        starts_in=timedelta(hours=-1),
        hours=2,
        opens_in=timedelta(days=-10),
        closes_in=timedelta(days=-1),
    )


def test_approve_and_decline_are_audited_with_before_and_after(ctx, world):
    ts = factories.make_session(requires_approval=True)
    one = register(ts.id, world.employee_a)
    two = register(ts.id, world.employee_a2)
    with inside(world.muni_a):
        actions.approve(one, person(world.coordinator_a))
        actions.decline(two, person(world.coordinator_a))
    entries = trail(world.muni_a, "registration.")
    assert [(e.action, e.detail["before"], e.detail["after"]) for e in entries] == [
        ("registration.approve", {"status": "pending"}, {"status": "enrolled"}),
        ("registration.decline", {"status": "pending"}, {"status": "declined"}),
    ]
    assert entries[0].actor_id == world.coordinator_a
    assert trail(world.muni_b) == []


def test_registering_or_cancelling_for_someone_is_audited_but_not_for_oneself(ctx, world):
    ts = factories.make_session()
    own = register(ts.id, world.employee_a)
    other = register(ts.id, world.employee_a2, world.coordinator_a)
    assert [e.action for e in trail(world.muni_a)] == ["registration.create"]
    with inside(world.muni_a):
        cancellation.cancel(own, person(world.employee_a))
        cancellation.cancel(other, person(world.coordinator_a))
    assert [e.action for e in trail(world.muni_a)] == [
        "registration.create",
        "registration.cancel",
    ]


def test_attendance_across_members_lands_in_each_members_trail(ctx, world):
    ts = _started()
    a = register(ts.id, world.employee_a, world.admin)
    b = register(ts.id, world.employee_b, world.admin)
    attendance.record_attendance(ts.id, [(a.id, True), (b.id, False)], person(world.admin))
    in_a = trail(world.muni_a, "attendance.")
    in_b = trail(world.muni_b, "attendance.")
    assert len(in_a) == len(in_b) == 1
    assert [m["registration_id"] for m in in_a[0].detail["marks"]] == [a.id]
    assert in_a[0].detail["attended"] == 1 and in_b[0].detail["absent"] == 1
    assert "玉野" not in str(in_a[0].detail)  # nothing of B's people in A's trail


def test_elearning_imports_are_audited_per_member(ctx, world):
    from tests.fixtures_targets import program

    rows = [
        (person(world.employee_a), program("GEN-SEC-101"), date(2025, 5, 1)),
        (person(world.employee_b), program("GEN-SEC-101"), date(2025, 5, 1)),
    ]
    attendance.add_completions(rows, person(world.admin))
    assert trail(world.muni_a, "elearning.")[0].detail["count"] == 1
    assert trail(world.muni_b, "elearning.")[0].detail["count"] == 1


def test_account_approval_role_and_status_changes_are_audited(ctx, world):
    pending = factories.make_user(world.muni_a, status=AccountStatus.PENDING_APPROVAL)
    admin = person(world.admin)
    with inside(world.muni_a):
        people.approve_signup(pending, person(world.coordinator_a))
        people.set_role(pending, Role.COORDINATOR, admin)
        people.disable_person(pending, admin)
        people.enable_person(pending, admin)
    entries = trail(world.muni_a, "account.")
    assert [e.action for e in entries] == [
        "account.approve",
        "account.role",
        "account.disable",
        "account.enable",
    ]
    assert entries[1].detail == {"before": {"role": "employee"}, "after": {"role": "coordinator"}}


def test_rejected_signups_are_audited(ctx, world):
    pending = factories.make_user(world.muni_a, status=AccountStatus.PENDING_APPROVAL)
    with inside(world.muni_a):
        people.reject_signup(pending, person(world.coordinator_a))
    assert trail(world.muni_a, "account.")[0].detail["after"] == {"status": "deleted"}


def _plan(program_id: int) -> SessionPlan:
    start = now_utc().replace(microsecond=0) + timedelta(days=20)
    return SessionPlan(
        program_id=program_id,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=10,
        registration_opens_at=now_utc() - timedelta(days=1),
        registration_closes_at=start - timedelta(days=2),
        venue="会議室",
    )


def test_session_changes_land_in_the_hosts_trail(ctx, world):
    program = factories.make_program()
    with inside(world.muni_a):
        hosted = create_session(_plan(program.id), person(world.coordinator_a))
        session_changes.update_session(hosted, {"capacity": 12}, person(world.coordinator_a))
        session_changes.cancel(hosted, "講師の都合", person(world.coordinator_a))
    entries = trail(world.muni_a, "session.")
    assert [e.action for e in entries] == ["session.create", "session.update", "session.cancel"]
    assert entries[1].detail == {"before": {"capacity": 10}, "after": {"capacity": 12}}
    # A shared session of the region: the administrator's own member (Okayama City).
    with inside(world.muni_a):  # even while acting in another member
        create_session(_plan(program.id), person(world.admin))
    assert [e.action for e in trail(world.muni_admin, "session.")] == ["session.create"]
    assert len(trail(world.muni_a, "session.")) == 3


def test_seat_reservations_land_in_the_members_trail(ctx, world):
    ts = factories.make_session(starts_in=timedelta(days=30))
    with all_tenants(db.session):
        tamano = db.session.get(Municipality, world.muni_b)
    with inside(world.muni_admin):
        session_changes.reserve_seats(
            ts, tamano, 3, now_utc() + timedelta(days=10), person(world.admin)
        )
    entry = trail(world.muni_b, "reservation.")[0]
    assert entry.detail["before"] == {"seats": 0} and entry.detail["after"]["seats"] == 3
