"""Registration actions: register, cancel, approve, decline, and calling a whole session off.

Each function is one transaction's work and starts by locking the session row;
seats and the waiting line are the seat engine's (:mod:`regional.registrations.seats`).
Services flush; callers commit.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from regional.audit import record_audit_across
from regional.errors import Conflict, DomainError, Forbidden, NotFound
from regional.extensions import db
from regional.fiscal import now_utc, to_local
from regional.people.models import AccountStatus, User
from regional.registrations.eligibility import eligibility_of
from regional.registrations.models import (
    ACTIVE,
    Registration,
    RegistrationStatus,
)
from regional.registrations.notices import notify
from regional.registrations.seats import (
    free_seat,
    lock_session,
    overlapping,
    rebalance,
    revisit_passed_over,
    seat_status,
    take_seat,
)
from regional.sessions.models import SessionStatus
from tenants import all_tenants

RS = RegistrationStatus


def may_approve(actor: User, municipality_id: int) -> bool:
    """Regional administrators act for every member; coordinators for their own."""
    return actor.is_regional_admin or (
        actor.is_coordinator and actor.municipality_id == municipality_id
    )


def _audit_registration(
    action: str,
    reg: Registration,
    actor: User,
    before: RS | None,
    employee: User | None = None,
) -> None:
    """An administrative action on someone's registration, in their member's trail."""
    employee = employee or reg.employee
    ts = reg.session
    record_audit_across(
        action,
        municipality_id=reg.municipality_id,
        subject_type="registration",
        subject_id=reg.id,
        subject_label=f"{employee.name} / {ts.program.code} {ts.starts_at:%Y-%m-%d}",
        before=None if before is None else {"status": before.value},
        after={"status": reg.status.value},
        detail={"session_id": ts.id, "employee_id": employee.id},
        actor=actor,
    )


def register(session_id: int, employee: User, actor: User) -> Registration:
    """Register ``employee`` (of the current municipality) for a session.

    Self-registration and coordinators follow the registration window; regional
    administrators may register outside it. A coordinator or administrator
    registering someone approves the request at the same time. A repeated
    request (a retry after a lost answer) finds the first one: 409.
    """
    ts = lock_session(session_id)
    if not ts.admits(employee.municipality_id):
        raise NotFound("session_not_found", _l("The session was not found."))
    reg = db.session.scalar(
        select(Registration)
        .where(Registration.session_id == ts.id, Registration.employee_id == employee.id)
        .options(lazyload(Registration.session), lazyload(Registration.employee))
    )
    if reg is not None and reg.status in ACTIVE:
        raise Conflict(
            "already_registered", _l("Already registered for this session."), registration_id=reg.id
        )
    if ts.is_cancelled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."))
    now = now_utc()
    if not actor.is_regional_admin and not (
        ts.registration_opens_at <= now <= ts.registration_closes_at and now < ts.starts_at
    ):
        raise DomainError("registration_closed", _l("Registration for this session is not open."))
    if employee.status != AccountStatus.ACTIVE:
        raise DomainError("not_eligible", _l("This account is not active."))
    eligibility = eligibility_of(ts.program, employee)
    if not eligibility.eligible:
        raise DomainError(
            "not_eligible",
            _l("Not eligible: %(why)s", why=" ".join(eligibility.refusals)),
        )
    clash = overlapping(employee, ts)
    if clash is not None:
        raise DomainError(
            "overlapping_session",
            _l(
                "Already holding another session at the same time (%(when)s).",
                when=to_local(clash).strftime("%Y-%m-%d %H:%M"),
            ),
        )
    # Those already waiting go first, e.g. for seats whose reservation just ran out.
    rebalance(ts)
    if reg is None:
        reg = Registration(
            session_id=ts.id, employee_id=employee.id, municipality_id=employee.municipality_id
        )
        db.session.add(reg)
    reg.requested_at, reg.registered_by_id = now, actor.id
    reg.cancelled_at = reg.cancelled_by_id = reg.skip_note = None
    reg.approved_at = reg.approved_by_id = None
    reg.attended = reg.attendance_recorded_at = reg.reminded_at = None
    if actor.id != employee.id and may_approve(actor, employee.municipality_id):
        reg.approved_at, reg.approved_by_id = now, actor.id
    if take_seat(ts, reg):
        reg.status, reg.waitlist_ticket = seat_status(ts, reg), None
    else:
        ts.waitlist_seq += 1
        reg.status, reg.waitlist_ticket = RS.WAITLISTED, ts.waitlist_seq
    db.session.flush()
    notify(reg, reg.status.value, employee=employee)
    if actor.id != employee.id:
        _audit_registration("registration.create", reg, actor, None, employee)
    return reg


def cancel(reg: Registration, actor: User) -> list[Registration]:
    """Cancel a registration; its seat goes to the first in line who can take it."""
    ts = lock_session(reg.session_id)
    db.session.refresh(reg)
    if reg.status not in ACTIVE:
        raise Conflict("not_active", _l("This registration is no longer active."))
    if reg.attended is not None:
        raise Conflict(
            "attendance_recorded",
            _l("Attendance has been recorded for this registration; correct the attendance."),
        )
    now = now_utc()
    self_service = actor.id == reg.employee_id and not actor.is_coordinator
    if self_service and now >= ts.starts_at:
        raise DomainError("session_started", _l("The session has already started."))
    if (
        self_service
        and reg.status.holds_seat
        and ts.cancellation_deadline
        and now > ts.cancellation_deadline
    ):
        raise DomainError(
            "cancellation_closed",
            _l("The cancellation deadline has passed; please ask your training coordinator."),
        )
    held = reg.status.holds_seat
    if held:
        free_seat(ts, reg)
    before = reg.status
    reg.status, reg.waitlist_ticket = RS.CANCELLED, None
    reg.cancelled_at, reg.cancelled_by_id = now, actor.id
    db.session.flush()
    notify(reg, "cancelled")
    if actor.id != reg.employee_id:
        _audit_registration("registration.cancel", reg, actor, before)
    promoted = rebalance(ts)
    if held:
        revisit_passed_over([(reg.municipality_id, reg.employee_id)], ts.id)
    return promoted


def approve(reg: Registration, actor: User) -> Registration:
    """Approve a pending request (or approve in advance someone on the waiting list)."""
    if not may_approve(actor, reg.municipality_id):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))
    lock_session(reg.session_id)
    db.session.refresh(reg)
    if reg.status not in (RS.PENDING, RS.WAITLISTED) or reg.approved_at is not None:
        raise Conflict("not_pending", _l("This registration is not awaiting approval."))
    before = reg.status
    reg.approved_at, reg.approved_by_id = now_utc(), actor.id
    if reg.status == RS.PENDING:
        reg.status = RS.ENROLLED
        notify(reg, "approved")
    db.session.flush()
    _audit_registration("registration.approve", reg, actor, before)
    return reg


def decline(reg: Registration, actor: User, reason: str = "") -> list[Registration]:
    """Refuse a request; a held seat goes to the waiting list. The reason is mailed to the person."""
    if not may_approve(actor, reg.municipality_id):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))
    ts = lock_session(reg.session_id)
    db.session.refresh(reg)
    if reg.status not in (RS.PENDING, RS.WAITLISTED) or reg.approved_at is not None:
        raise Conflict("not_pending", _l("This registration is not awaiting approval."))
    held = reg.status.holds_seat
    if held:
        free_seat(ts, reg)
    before = reg.status
    reg.status, reg.waitlist_ticket = RS.DECLINED, None
    reg.cancelled_at, reg.cancelled_by_id = now_utc(), actor.id
    db.session.flush()
    notify(reg, "declined", reason=reason.strip())
    _audit_registration("registration.decline", reg, actor, before)
    promoted = rebalance(ts)
    if held:
        revisit_passed_over([(reg.municipality_id, reg.employee_id)], ts.id)
    return promoted


def cancel_session(ts_id: int, reason: str, actor: User) -> int:
    """Cancel a whole session and tell everyone registered; returns how many were told."""
    ts = lock_session(ts_id)
    if ts.is_cancelled:
        raise Conflict("session_cancelled", _l("This session has been cancelled."))
    now, told, seated = now_utc(), 0, []
    ts.status, ts.cancel_reason = SessionStatus.CANCELLED, reason
    with all_tenants(db.session):
        active = db.session.scalars(
            select(Registration).where(
                Registration.session_id == ts.id, Registration.status.in_(ACTIVE)
            )
        ).all()
        for reg in active:
            if reg.status.holds_seat:
                seated.append((reg.municipality_id, reg.employee_id))
            reg.status, reg.waitlist_ticket, reg.seat_allocation_id = RS.CANCELLED, None, None
            reg.cancelled_at, reg.cancelled_by_id = now, actor.id
            notify(reg, "session_cancelled", reason=reason)
            told += 1
        for alloc in ts.allocations:
            alloc.claimed, alloc.released = 0, True
        ts.seats_taken = ts.reserved_unclaimed = 0
        db.session.flush()
    revisit_passed_over(seated, ts.id)
    return told
