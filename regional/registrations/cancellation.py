"""Cancelling a registration, top to bottom: who may, the row, the seat, the line.

1. **The checks** (:func:`_check_cancel`), first without a lock: a registration still
   standing, no attendance recorded; a person cancelling their own place only before the
   session starts, and a seat only until the cancellation deadline (a coordinator may
   still cancel after it).
2. **The quick path**: one conditional ``UPDATE`` cancels the row if it is still as the
   checks saw it (:data:`_CANCEL_REGISTRATION`: a pool seat or a place in line; a
   reserved seat always takes the full path), and the seat engine gives a pool seat back
   (:func:`regional.seats.engine.return_pool_seat`).
3. **The full path** (:func:`_cancel_locked`), when the row changed meanwhile or holds a
   reserved seat: the session's lock, the checks again on the fresh row, the seat back
   where it came from (:func:`regional.seats.engine.free_seat`), and the line moves up
   (:func:`regional.seats.engine.refill`).
4. **Afterwards** (:func:`_cancelled`): the person is mailed (in the same transaction,
   through the outbox), and a cancellation by someone else goes into their member's
   audit trail.

People who left (:func:`cancel_for_leavers`) are cancelled the same way, session by
session under the lock. Services flush; the caller commits.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from regional.database import begin_writing
from regional.errors import Conflict, DomainError
from regional.extensions import db
from regional.fiscal import now_utc
from regional.people.models import User
from regional.registrations.actions import audit_registration
from regional.seats import free_seat, lock_session, refill, return_pool_seat
from regional.seats.models import ACTIVE, CancelReason, Registration, RegistrationStatus
from regional.seats.notices import notify
from regional.sessions.models import TrainingSession
from tenants.rls import core_connection
from tenants.scoping import TenantViolation, current_tenant_id

RS = RegistrationStatus
_registrations = Registration.__table__


def cancel(reg: Registration, actor: User) -> list[Registration]:
    """Cancel a registration; its seat goes to the first in line who can take it.

    Returns the people promoted.
    """
    _check_cancel(reg, actor, reg.session)
    begin_writing()
    before = reg.status
    if reg.seat_allocation_id is not None or not _cancel_row(reg, actor):
        return _cancel_locked(reg, actor)
    _cancelled(reg, actor, before)
    return return_pool_seat(reg) if before.holds_seat else []


def _check_cancel(reg: Registration, actor: User, ts: TrainingSession) -> None:
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


#: The registration cancelled, only if it is still as the checks saw it (a pool seat, or
#: a place in line: a reserved seat is never given back here; a row that holds one had
#: its allocation before the checks, and keeps it while its status stays the same).
_CANCEL_REGISTRATION = (
    update(_registrations)
    .where(
        _registrations.c.id == bindparam("registration_id"),
        _registrations.c.municipality_id == bindparam("tenant"),
        _registrations.c.status == bindparam("expected"),
        _registrations.c.attended.is_(None),
    )
    .values(
        status=RS.CANCELLED,
        waitlist_ticket=None,
        cancelled_at=bindparam("now"),
        cancelled_by_id=bindparam("actor_id"),
    )
)


def _cancel_row(reg: Registration, actor: User) -> bool:
    """Cancel the row if it is still as checked; False: it changed (take the full path)."""
    if current_tenant_id(db.session) != reg.municipality_id:
        raise TenantViolation("a registration is changed only inside its own municipality")
    now = now_utc()
    changed = (
        core_connection(db.session())
        .execute(
            _CANCEL_REGISTRATION,
            {
                "registration_id": reg.id,
                "tenant": reg.municipality_id,
                "expected": reg.status,
                "now": now,
                "actor_id": actor.id,
            },
        )
        .rowcount
    )
    if changed != 1:
        return False
    for key, value in (
        ("status", RS.CANCELLED),
        ("waitlist_ticket", None),
        ("cancelled_at", now),
        ("cancelled_by_id", actor.id),
    ):
        set_committed_value(reg, key, value)
    return True


def _cancelled(reg: Registration, actor: User, before: RS) -> None:
    """Tell the person; an administrative cancellation goes into their member's trail."""
    notify(reg, "cancelled")
    if actor.id != reg.employee_id:
        audit_registration("registration.cancel", reg, actor, before)


def _cancel_locked(reg: Registration, actor: User) -> list[Registration]:
    """The full path under the session's lock: checked again, the seat engine promotes."""
    ts = lock_session(reg.session_id)
    db.session.refresh(reg)
    _check_cancel(reg, actor, ts)
    before = _withdraw(ts, reg, actor)
    db.session.flush()
    _cancelled(reg, actor, before)
    freed = [(reg.municipality_id, reg.employee_id)] if before.holds_seat else []
    return refill(ts, freed)


def _withdraw(ts: TrainingSession, reg: Registration, actor: User) -> RS:
    """Cancel ``reg`` under its session's lock; a held seat goes back where it came from
    (its member's reservation while that holds, else the pool). Returns the status before."""
    before = reg.status
    if before.holds_seat:
        free_seat(ts, reg)
    reg.status, reg.waitlist_ticket = RS.CANCELLED, None
    reg.cancelled_at, reg.cancelled_by_id = now_utc(), actor.id
    return before


def cancel_for_leavers(regs_by_session: dict[int, list[int]], actor: User) -> list[Registration]:
    """Cancel registrations of people who left, session by session through the seat engine.

    ``regs_by_session`` maps session ids to registration ids found without a lock, all of
    the current municipality. Each session is locked in turn (ascending ids: one lock
    order, as :func:`regional.seats.engine.revisit_passed_over` keeps), its registrations
    are read again under the lock and cancelled as :func:`cancel` does (a held seat back
    to its member's reservation or the pool, a place in line given up), then the line
    moves up once for the session and those promoted are mailed by the engine. A session
    that has started meanwhile, and a registration that changed meanwhile, are left as
    they are.

    The people who left are not mailed: they have gone (their mailbox often with them),
    and nothing is asked of them. No passed-over place needs revisiting: a place is
    passed over for its own person's clash, and every place these people held in a
    session still to come is cancelled here too. Returns the registrations cancelled.
    """
    begin_writing()
    done: list[Registration] = []
    for session_id in sorted(regs_by_session):
        ts = lock_session(session_id)
        if ts.starts_at <= now_utc():
            continue
        regs = db.session.scalars(
            select(Registration)
            .where(
                Registration.id.in_(sorted(regs_by_session[session_id])),
                Registration.session_id == ts.id,
                Registration.status.in_(ACTIVE),
                Registration.attended.is_(None),
            )
            .order_by(Registration.id)
            .options(lazyload(Registration.session), lazyload(Registration.employee))
            .execution_options(populate_existing=True)
        ).all()
        for reg in regs:
            _withdraw(ts, reg, actor)
            reg.cancel_reason = CancelReason.LEFT
            done.append(reg)
        db.session.flush()
        refill(ts)
    return done
