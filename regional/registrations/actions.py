"""Registration actions: register, cancel, approve, decline, calling a whole session off,
and cancelling for people who left.

Each function is one transaction's work and starts by locking the session row;
seats and the waiting line are the seat engine's (:mod:`regional.seats.engine`).
Services flush; callers commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from regional.audit import record_audit_across
from regional.catalogue.models import Program
from regional.database import begin_writing
from regional.errors import Conflict, DomainError, Forbidden, NotFound
from regional.extensions import db
from regional.fiscal import era_day, now_utc, to_local
from regional.i18n import locale_code
from regional.people.models import AccountStatus, User
from regional.registrations.eligibility import eligibility_of
from regional.roles import acts_for
from regional.seats import (
    lock_session,
    mark_declined,
    overlapping,
    refill,
    revisit_passed_over,
    seat_status,
    take_pool_seat_now,
    take_seat,
    take_ticket_now,
)
from regional.seats.models import ACTIVE, Registration, RegistrationStatus
from regional.seats.notices import notify
from regional.sessions.models import SessionStatus, TrainingSession
from tenants import adopt, all_tenants, entity_columns
from tenants.rls import core_connection
from tenants.scoping import TenantViolation, current_tenant_id

RS = RegistrationStatus
#: Longest reason for taking a completed programme again (the column's size).
REPEAT_REASON_MAX = 200

#: A person's own application may first need their head of unit's decision: the step is
#: the heads package's (``regional.heads``, above this one), set with :func:`set_head_step`.
_head_step: Callable[[Registration, User], None] | None = None


def set_head_step(step: Callable[[Registration, User], None] | None) -> None:
    """Install the step that asks the head of unit (called for a person's own application)."""
    global _head_step
    _head_step = step


def may_approve(actor: User, municipality_id: int) -> bool:
    """Who approves a member's requests: its coordinators and the regional administrators."""
    return acts_for(actor, municipality_id)


def audit_registration(
    action: str,
    reg: Registration,
    actor: User,
    before: RS | None,
    employee: User | None = None,
) -> None:
    """An administrative action on someone's registration, in their member's trail."""
    employee = employee or reg.employee
    ts = reg.session
    detail = {"session_id": ts.id, "employee_id": employee.id}
    if reg.completed_before is not None:  # 受講済み: on record with whoever acted
        detail.update(completed_before=reg.completed_before, repeat_reason=reg.repeat_reason)
    record_audit_across(
        action,
        municipality_id=reg.municipality_id,
        subject_type="registration",
        subject_id=reg.id,
        subject_label=f"{employee.name} / {ts.program.code} {ts.starts_at:%Y-%m-%d}",
        before=None if before is None else {"status": before.value},
        after={"status": reg.status.value},
        detail=detail,
        actor=actor,
    )


def register(
    session_id: int, employee: User, actor: User, reason: str | None = None
) -> Registration:
    """Register ``employee`` (of the current municipality) for a session.

    Self-registration and coordinators follow the registration window; regional
    administrators may register outside it. A coordinator or administrator
    registering someone approves the request at the same time. A repeated
    request (a retry after a lost answer) finds the first one: 409.

    A programme already completed (any revision, 受講済み) may be taken again: a
    person registering themselves gives a short ``reason`` (422 ``already_completed``
    without one); a coordinator or administrator registering someone may. The
    registration keeps the day of that completion and the reason, for whoever
    approves it and reads the registrants.

    Everything about the person and the programme is checked first, without a lock
    (:func:`_check`). Then, in the common cases, the seat (or the waiting-list ticket)
    is one conditional ``UPDATE`` of the session row and the registration one
    ``INSERT`` (:func:`_register_quickly`): the database settles what the checks
    cannot, the seat by the update's condition and a second registration by the unique
    key. Anything else (reservations, people waiting, an earlier cancelled request) takes
    the session's lock and the full path (:func:`_register_locked`), which checks again.
    """
    ts = _session_for_checks(session_id)
    existing, completed_on = _check(ts, employee, actor, reason)
    repeat = _Repeat(completed_on, (reason or None) if completed_on else None)
    begin_writing()
    reg = None if existing is not None else _register_quickly(ts, employee, actor, repeat)
    if reg is None:
        reg = _register_locked(session_id, employee, actor, reason)
    if _head_step is not None and actor.id == employee.id:
        _head_step(reg, employee)
    notify(reg, reg.status.value, employee=employee)
    if actor.id != employee.id:
        audit_registration("registration.create", reg, actor, None, employee)
    return reg


#: The session and its programme, by primary key, in one Core statement built once: each
#: registration reads them, and the ORM's loading cost more than the read (``adopt``).
_SESSION_FOR_CHECKS = (
    select(*entity_columns(TrainingSession), *entity_columns(Program, "p_"))
    .join(Program.__table__, Program.__table__.c.id == TrainingSession.__table__.c.program_id)
    .where(TrainingSession.__table__.c.id == bindparam("session_id"))
)


def _session_for_checks(session_id: int) -> TrainingSession:
    """The session as it is now (no lock), with its programme; the rest loads when touched."""
    row = (
        core_connection(db.session())
        .execute(_SESSION_FOR_CHECKS, {"session_id": session_id})
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("session_not_found", _l("The session was not found."))
    ts = adopt(db.session, TrainingSession, row)
    set_committed_value(ts, "program", adopt(db.session, Program, row, "p_"))
    return ts


def _in_window(ts: TrainingSession, actor: User) -> bool:
    """Whether the request must fall in the registration window (all but administrators)."""
    return not actor.is_regional_admin


_registrations = Registration.__table__
_sessions = TrainingSession.__table__
#: Core, scoped by hand to the person's municipality.
_EXISTING = select(_registrations.c.id, _registrations.c.status).where(
    _registrations.c.municipality_id == bindparam("municipality_id"),
    _registrations.c.session_id == bindparam("session_id"),
    _registrations.c.employee_id == bindparam("employee_id"),
)


@dataclass(frozen=True)
class _Repeat:
    """An earlier completion of the programme, and the reason for taking it again."""

    completed_before: date | None
    reason: str | None


def _check(
    ts: TrainingSession, employee: User, actor: User, reason: str | None = None
) -> tuple[RS | None, date | None]:
    """Refuse what may not be; the status of an earlier, inactive registration, if any, and
    the day the person last completed the programme (None: never)."""
    if not ts.admits(employee.municipality_id):
        raise NotFound("session_not_found", _l("The session was not found."))
    existing = (
        core_connection(db.session())
        .execute(
            _EXISTING,
            {
                "municipality_id": employee.municipality_id,
                "session_id": ts.id,
                "employee_id": employee.id,
            },
        )
        .first()
    )
    if existing is not None and existing.status in ACTIVE:
        raise Conflict(
            "already_registered",
            _l("Already registered for this session."),
            registration_id=existing.id,
        )
    if ts.is_cancelled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."))
    now = now_utc()
    if _in_window(ts, actor) and not (
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
    completed_on = eligibility.completed_on
    if completed_on is not None and actor.id == employee.id and not reason:
        raise DomainError(
            "already_completed",
            _l(
                "You completed this programme on %(date)s. To take it again, give a short reason.",
                date=era_day(completed_on, locale_code()),
            ),
            completed_on=completed_on.isoformat(),
        )
    return (None if existing is None else existing.status), completed_on


_INSERT_REGISTRATION = insert(_registrations).returning(_registrations.c.id)


def _register_quickly(
    ts: TrainingSession, employee: User, actor: User, repeat: _Repeat
) -> Registration | None:
    """A seat from the pool, or a ticket at a full session, without a lock; None: not simple."""
    in_window = _in_window(ts, actor)
    now = now_utc()
    ticket = None
    if not take_pool_seat_now(ts, in_window=in_window):
        ticket = take_ticket_now(ts, in_window=in_window)
        if ticket is None:
            return None
    approved = actor.id != employee.id and may_approve(actor, employee.municipality_id)
    if ticket is not None:
        status = RS.WAITLISTED
    elif ts.requires_approval and not approved:
        status = RS.PENDING
    else:
        status = RS.ENROLLED
    values = {
        "session_id": ts.id,
        "employee_id": employee.id,
        "municipality_id": employee.municipality_id,
        "status": status,
        "waitlist_ticket": ticket,
        "seat_allocation_id": None,
        "requested_at": now,
        "registered_by_id": actor.id,
        "approved_at": now if approved else None,
        "approved_by_id": actor.id if approved else None,
        "cancelled_at": None,
        "cancelled_by_id": None,
        "cancel_reason": None,
        "skip_note": None,
        "attended": None,
        "attendance_recorded_at": None,
        "reminded_at": None,
        "completed_before": repeat.completed_before,
        "repeat_reason": repeat.reason,
    }
    if current_tenant_id(db.session) != employee.municipality_id:
        raise TenantViolation("a registration is written only inside its own municipality")
    try:
        reg_id = core_connection(db.session()).execute(_INSERT_REGISTRATION, values).scalar_one()
    except IntegrityError as exc:  # the same request, a moment earlier (UNIQUE)
        db.session.rollback()
        raise Conflict("already_registered", _l("Already registered for this session.")) from exc
    # The row as written, in the ORM session without reading it back.
    reg = Registration(id=reg_id, **values)
    make_transient_to_detached(reg)
    db.session.add(reg)
    set_committed_value(reg, "session", ts)
    set_committed_value(reg, "employee", employee)
    set_committed_value(reg, "seat_allocation", None)
    return reg


def _register_locked(
    session_id: int, employee: User, actor: User, reason: str | None = None
) -> Registration:
    """The full path under the session's lock: every check again, then the seat engine."""
    ts = lock_session(session_id)
    reg = db.session.scalar(
        select(Registration)
        .where(Registration.session_id == ts.id, Registration.employee_id == employee.id)
        .options(lazyload(Registration.session), lazyload(Registration.employee))
    )
    if reg is not None and reg.status in ACTIVE:
        raise Conflict(
            "already_registered", _l("Already registered for this session."), registration_id=reg.id
        )
    _existing, completed_on = _check(ts, employee, actor, reason)
    # Those already waiting go first, e.g. for seats whose reservation just ran out.
    refill(ts)
    now = now_utc()
    if reg is None:
        reg = Registration(
            session_id=ts.id, employee_id=employee.id, municipality_id=employee.municipality_id
        )
        db.session.add(reg)
    reg.requested_at, reg.registered_by_id = now, actor.id
    reg.cancelled_at = reg.cancelled_by_id = reg.skip_note = reg.cancel_reason = None
    reg.approved_at = reg.approved_by_id = None
    reg.head_unit_id = reg.head_approved_at = reg.head_approved_by_id = None
    reg.attended = reg.attendance_recorded_at = reg.reminded_at = None
    reg.completed_before = completed_on
    reg.repeat_reason = (reason or None) if completed_on else None
    if actor.id != employee.id and may_approve(actor, employee.municipality_id):
        reg.approved_at, reg.approved_by_id = now, actor.id
    if take_seat(ts, reg):
        reg.status, reg.waitlist_ticket = seat_status(ts, reg), None
    else:
        ts.waitlist_seq += 1
        reg.status, reg.waitlist_ticket = RS.WAITLISTED, ts.waitlist_seq
    db.session.flush()
    return reg


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
    audit_registration("registration.approve", reg, actor, before)
    return reg


def decline(reg: Registration, actor: User, reason: str = "") -> list[Registration]:
    """Refuse a request; a held seat goes to the waiting list. The reason is mailed to the person."""
    if not may_approve(actor, reg.municipality_id):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))
    ts = lock_session(reg.session_id)
    db.session.refresh(reg)
    if reg.status not in (RS.PENDING, RS.WAITLISTED) or reg.approved_at is not None:
        raise Conflict("not_pending", _l("This registration is not awaiting approval."))
    before, freed = mark_declined(ts, reg, actor.id)
    notify(reg, "declined", reason=reason.strip())
    audit_registration("registration.decline", reg, actor, before)
    return refill(ts, freed)


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
