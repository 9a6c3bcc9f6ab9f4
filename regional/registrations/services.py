"""Registrations: the writes that move seats. Each function is one transaction's work.

Every function here starts by locking the session row (``SELECT ... FOR
UPDATE`` on PostgreSQL; on SQLite the write transaction already began with
``BEGIN IMMEDIATE``), so seat changes on one session are serialised. The
database has the last word: CHECK constraints on the session and its seat
allocations refuse any overbooking, and ``UNIQUE(session_id, employee_id)``
refuses a second registration. Callers commit; on any error they roll back
and nothing is kept.

Seats: a session has ``capacity`` seats. Some may be reserved for given
municipalities until ``release_at``; the rest form the common pool. An
employee takes a reserved seat of their own municipality first, then a pool
seat; when none is left they join the first-come waiting list (one line for
the whole session, ordered by ticket). Whenever seats free up, the line is
walked in ticket order: each person who can use a free seat takes it; a person
who now holds an overlapping session is passed over with a visible note.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from regional.catalogue.eligibility import check_eligibility
from regional.errors import Conflict, DomainError, NotFound
from regional.extensions import db
from regional.fiscal import fiscal_year_of, local_date, now_utc, to_local
from regional.mail.services import queue_mail
from regional.people.models import User
from regional.registrations.models import (
    SEAT_HOLDING,
    Completion,
    CompletionSource,
    Registration,
    RegistrationStatus,
)
from regional.sessions.models import SeatAllocation, SessionStatus, TrainingSession
from tenants import all_tenants

RS = RegistrationStatus


# -- locking and seats -----------------------------------------------------


def lock_session(session_id: int) -> TrainingSession:
    """Load a session for update (shared rows: not tenant-scoped), or raise 404."""
    ts = db.session.scalar(
        select(TrainingSession)
        .where(TrainingSession.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if ts is None:
        raise NotFound("session_not_found", _l("The session was not found."))
    # Counters of the reservations are read fresh too: another worker may have changed them.
    db.session.scalars(
        select(SeatAllocation)
        .where(SeatAllocation.session_id == ts.id)
        .execution_options(populate_existing=True)
    ).all()
    return ts


def _own_allocation(ts: TrainingSession, municipality_id: int) -> SeatAllocation | None:
    for alloc in ts.allocations:
        if alloc.municipality_id == municipality_id and not alloc.released:
            return alloc
    return None


def _take_seat(ts: TrainingSession, reg: Registration) -> bool:
    """Give ``reg`` a seat if one is free for its municipality; True if it got one."""
    alloc = _own_allocation(ts, reg.municipality_id)
    if alloc is not None and alloc.unclaimed > 0:
        alloc.claimed += 1
        ts.reserved_unclaimed -= 1
        ts.seats_taken += 1
        reg.seat_allocation_id = alloc.id
        return True
    if ts.seats_left > 0:
        ts.seats_taken += 1
        reg.seat_allocation_id = None
        return True
    return False


def _free_seat(ts: TrainingSession, reg: Registration) -> None:
    """Return the seat ``reg`` holds: to its municipality's reservation if still held, else the pool."""
    ts.seats_taken -= 1
    if reg.seat_allocation_id is not None:
        alloc = next(a for a in ts.allocations if a.id == reg.seat_allocation_id)
        alloc.claimed -= 1
        if not alloc.released:
            ts.reserved_unclaimed += 1
    reg.seat_allocation_id = None


def release_due_allocations(ts: TrainingSession) -> int:
    """Unclaimed reserved seats whose release date has passed go back to the common pool."""
    now, released = now_utc(), 0
    for alloc in ts.allocations:
        if not alloc.released and alloc.release_at <= now:
            ts.reserved_unclaimed -= alloc.unclaimed
            alloc.released = True
            released += 1
    return released


def _any_free_seat(ts: TrainingSession) -> bool:
    return ts.seats_left > 0 or any(a.unclaimed > 0 for a in ts.allocations)


# -- the waiting list ------------------------------------------------------


def _overlapping(reg: Registration | User, ts: TrainingSession) -> Registration | None:
    """Another seat the same person holds whose time overlaps this session."""
    employee_id = reg.employee_id if isinstance(reg, Registration) else reg.id
    other = TrainingSession
    return db.session.scalar(
        select(Registration)
        .join(other, other.id == Registration.session_id)
        .where(
            Registration.municipality_id == reg.municipality_id,
            Registration.employee_id == employee_id,
            Registration.status.in_(SEAT_HOLDING),
            Registration.session_id != ts.id,
            other.status == SessionStatus.SCHEDULED,
            other.starts_at < ts.ends_at,
            other.ends_at > ts.starts_at,
        )
        .limit(1)
    )


def _seat_status(ts: TrainingSession, reg: Registration) -> RegistrationStatus:
    if ts.requires_approval and reg.approved_at is None:
        return RS.PENDING
    return RS.ENROLLED


def rebalance(ts: TrainingSession) -> list[Registration]:
    """Release due reservations, then promote from the waiting list while seats are free.

    The line spans every municipality, so this is a deliberate cross-tenant
    write: each promoted registration stays in its own municipality.
    """
    release_due_allocations(ts)
    promoted: list[Registration] = []
    if ts.is_cancelled or not _any_free_seat(ts):
        return promoted
    with all_tenants(db.session):
        for reg in db.session.scalars(Registration.waiting_line(ts.id)).all():
            if not _any_free_seat(ts):
                break
            clash = _overlapping(reg, ts)
            if clash is not None:
                note = str(
                    _l(
                        "Passed over on %(date)s: you hold another session at the same time.",
                        date=to_local(now_utc()).strftime("%Y-%m-%d %H:%M"),
                    )
                )
                if reg.skip_note != note:
                    reg.skip_note = note
                continue
            if not _take_seat(ts, reg):
                continue  # the free seats are reserved for other municipalities
            reg.status = _seat_status(ts, reg)
            reg.waitlist_ticket = None
            reg.skip_note = None
            promoted.append(reg)
            _notify(reg, "promoted")
        db.session.flush()
    return promoted


def waitlist_position(reg: Registration) -> int | None:
    """1-based place in the whole session's line (counts other municipalities' people too)."""
    if reg.status != RS.WAITLISTED or reg.waitlist_ticket is None:
        return None
    ahead = db.session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.session_id == reg.session_id,
            Registration.status == RS.WAITLISTED,
            Registration.waitlist_ticket < reg.waitlist_ticket,
        )
        .execution_options(all_tenants=True)  # a count only: no other member's row is read
    )
    return int(ahead or 0) + 1


# -- the operations --------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who asks: decides approval on registration and the window override."""

    user: User

    @property
    def approves_for(self) -> int | None:
        if self.user.is_regional_admin:
            return -1  # any municipality
        if self.user.is_coordinator:
            return self.user.municipality_id
        return None

    def may_approve(self, municipality_id: int) -> bool:
        return self.approves_for in (-1, municipality_id)


def register(session_id: int, employee: User, actor: User) -> Registration:
    """Register ``employee`` (of the current municipality) for a session.

    Self-registration and coordinators follow the registration window; regional
    administrators may register outside it. A coordinator or administrator
    registering someone approves the request at the same time.
    """
    ts = lock_session(session_id)
    if not ts.admits(employee.municipality_id):
        raise NotFound("session_not_found", _l("The session was not found."))
    if ts.is_cancelled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."))
    now = now_utc()
    if not actor.is_regional_admin and not (
        ts.registration_opens_at <= now <= ts.registration_closes_at and now < ts.starts_at
    ):
        raise DomainError("registration_closed", _l("Registration for this session is not open."))
    eligibility = check_eligibility(ts.program, employee)
    if not eligibility.eligible:
        raise DomainError(
            "not_eligible",
            _l("Not eligible: %(why)s", why=" ".join(eligibility.refusals)),
        )
    reg = db.session.scalar(
        select(Registration).where(
            Registration.session_id == ts.id, Registration.employee_id == employee.id
        )
    )
    if reg is not None and reg.status in (RS.PENDING, RS.ENROLLED, RS.WAITLISTED):
        raise Conflict("already_registered", _l("Already registered for this session."))
    clash = _overlapping(employee, ts)
    if clash is not None:
        raise DomainError(
            "overlapping_session",
            _l(
                "You already hold another session at the same time (%(when)s).",
                when=to_local(clash.session.starts_at).strftime("%Y-%m-%d %H:%M"),
            ),
        )
    release_due_allocations(ts)
    if reg is None:
        reg = Registration(
            session_id=ts.id, employee_id=employee.id, municipality_id=employee.municipality_id
        )
    reg.requested_at, reg.registered_by_id = now, actor.id
    reg.cancelled_at = reg.cancelled_by_id = reg.skip_note = None
    reg.approved_at = reg.approved_by_id = None
    if Actor(actor).may_approve(employee.municipality_id) and actor.id != employee.id:
        reg.approved_at, reg.approved_by_id = now, actor.id
    if _take_seat(ts, reg):
        reg.status, reg.waitlist_ticket = _seat_status(ts, reg), None
    else:
        ts.waitlist_seq += 1
        reg.status, reg.waitlist_ticket = RS.WAITLISTED, ts.waitlist_seq
    db.session.add(reg)
    db.session.flush()
    _notify(reg, reg.status.value)
    return reg


def cancel(reg: Registration, actor: User) -> list[Registration]:
    """Cancel a registration; its seat goes to the first in line who can take it."""
    ts = lock_session(reg.session_id)
    db.session.refresh(reg)
    if reg.status not in (RS.PENDING, RS.ENROLLED, RS.WAITLISTED):
        raise Conflict("not_active", _l("This registration is no longer active."))
    now = now_utc()
    self_service = actor.id == reg.employee_id and not actor.is_coordinator
    if self_service and ts.cancellation_deadline and now > ts.cancellation_deadline:
        raise DomainError(
            "cancellation_closed",
            _l("The cancellation deadline has passed; please ask your training coordinator."),
        )
    if self_service and now >= ts.starts_at:
        raise DomainError("session_started", _l("The session has already started."))
    if reg.status.holds_seat:
        _free_seat(ts, reg)
    reg.status, reg.waitlist_ticket = RS.CANCELLED, None
    reg.cancelled_at, reg.cancelled_by_id = now, actor.id
    db.session.flush()
    _notify(reg, "cancelled")
    return rebalance(ts)


def approve(reg: Registration, actor: User) -> Registration:
    """Approve a pending request (or approve in advance someone on the waiting list)."""
    lock_session(reg.session_id)
    db.session.refresh(reg)
    if reg.status not in (RS.PENDING, RS.WAITLISTED) or reg.approved_at is not None:
        raise Conflict("not_pending", _l("This registration is not awaiting approval."))
    reg.approved_at, reg.approved_by_id = now_utc(), actor.id
    if reg.status == RS.PENDING:
        reg.status = RS.ENROLLED
        _notify(reg, "approved")
    db.session.flush()
    return reg


def decline(reg: Registration, actor: User) -> list[Registration]:
    """Refuse a request; a held seat goes to the waiting list."""
    ts = lock_session(reg.session_id)
    db.session.refresh(reg)
    if reg.status not in (RS.PENDING, RS.WAITLISTED):
        raise Conflict("not_pending", _l("This registration is not awaiting approval."))
    if reg.status.holds_seat:
        _free_seat(ts, reg)
    reg.status, reg.waitlist_ticket = RS.DECLINED, None
    reg.cancelled_at, reg.cancelled_by_id = now_utc(), actor.id
    db.session.flush()
    _notify(reg, "declined")
    return rebalance(ts)


def change_capacity(ts_id: int, capacity: int) -> list[Registration]:
    """Resize a session; more seats promote from the line, fewer never unseat anyone."""
    ts = lock_session(ts_id)
    if capacity < ts.seats_taken + ts.reserved_unclaimed:
        raise DomainError(
            "capacity_below_taken",
            _l(
                "Capacity cannot be below the %(n)d seats already taken or reserved.",
                n=ts.seats_taken + ts.reserved_unclaimed,
            ),
        )
    ts.capacity = capacity
    db.session.flush()
    return rebalance(ts)


def set_allocation(ts_id: int, municipality_id: int, seats: int, release_at) -> SeatAllocation:  # noqa: ANN001
    """Reserve (or change, or with 0 remove) seats of a session for one municipality."""
    ts = lock_session(ts_id)
    release_due_allocations(ts)
    alloc = next((a for a in ts.allocations if a.municipality_id == municipality_id), None)
    if seats < 0:
        raise DomainError("invalid_seats", _l("Reserved seats cannot be negative."))
    if alloc is None:
        alloc = SeatAllocation(
            session=ts, municipality_id=municipality_id, seats=0, claimed=0, release_at=release_at
        )
        db.session.add(alloc)
    if seats < alloc.claimed:
        raise DomainError(
            "below_claimed",
            _l(
                "%(n)d reserved seats are already taken; reserve at least that many.",
                n=alloc.claimed,
            ),
        )
    before = alloc.unclaimed
    was_released = alloc.released
    alloc.seats, alloc.release_at = seats, release_at
    alloc.released = release_at <= now_utc()
    after = alloc.unclaimed
    if was_released and not alloc.released:
        before = 0
    if ts.seats_taken + ts.reserved_unclaimed - before + after > ts.capacity:
        raise DomainError(
            "not_enough_free_seats",
            _l("Only %(n)d seats are free to reserve.", n=ts.seats_left + before),
        )
    ts.reserved_unclaimed += after - before
    db.session.flush()
    rebalance(ts)
    return alloc


def cancel_session(ts_id: int, reason: str, actor: User) -> int:
    """Cancel a whole session and tell everyone registered; returns how many were told."""
    ts = lock_session(ts_id)
    if ts.is_cancelled:
        raise Conflict("session_cancelled", _l("This session has been cancelled."))
    now, told = now_utc(), 0
    ts.status, ts.cancel_reason = SessionStatus.CANCELLED, reason
    with all_tenants(db.session):
        active = db.session.scalars(
            select(Registration).where(
                Registration.session_id == ts.id,
                Registration.status.in_((RS.PENDING, RS.ENROLLED, RS.WAITLISTED)),
            )
        ).all()
        for reg in active:
            reg.status, reg.waitlist_ticket, reg.seat_allocation_id = RS.CANCELLED, None, None
            reg.cancelled_at, reg.cancelled_by_id = now, actor.id
            _notify(reg, "session_cancelled", reason=reason)
            told += 1
        for alloc in ts.allocations:
            alloc.claimed, alloc.released = 0, True
        ts.seats_taken = ts.reserved_unclaimed = 0
        db.session.flush()
    return told


# -- attendance and completion ----------------------------------------------


def record_attendance(
    ts_id: int, marks: Iterable[tuple[int, bool]], actor: User
) -> tuple[int, int]:
    """Mark attendance for registrations of a started session; attended means completed.

    All or nothing: one bad line refuses the whole batch. Returns (attended, absent).
    """
    ts = lock_session(ts_id)
    if ts.is_cancelled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."))
    if ts.starts_at > now_utc():
        raise DomainError(
            "session_not_started", _l("Attendance can be recorded once the session has started.")
        )
    marks = list(marks)
    ids = [rid for rid, _ in marks]
    if len(ids) != len(set(ids)):
        raise DomainError("duplicate_registration", _l("A registration appears twice."))
    regs = {
        r.id: r
        for r in db.session.scalars(
            select(Registration).where(Registration.id.in_(ids), Registration.session_id == ts.id)
        )
    }
    problems = [rid for rid in ids if rid not in regs or regs[rid].status != RS.ENROLLED]
    if problems:
        raise DomainError(
            "not_enrolled",
            _l(
                "These registrations are not enrolled in this session: %(ids)s",
                ids=", ".join(str(p) for p in problems),
            ),
            ids=problems,
        )
    now, attended = now_utc(), 0
    for rid, present in marks:
        reg = regs[rid]
        reg.attended, reg.attendance_recorded_at = present, now
        existing = db.session.scalar(select(Completion).where(Completion.registration_id == rid))
        if present:
            attended += 1
            if existing is None:
                db.session.add(_completion_for(reg, ts, actor))
        elif existing is not None:
            db.session.delete(existing)
    db.session.flush()
    return attended, len(marks) - attended


def _completion_for(reg: Registration, ts: TrainingSession, actor: User) -> Completion:
    snap = ts.program.snapshot()
    return Completion(
        municipality_id=reg.municipality_id,
        employee_id=reg.employee_id,
        program_id=ts.program_id,
        program_revision=ts.program.revision,
        program_code=snap["code"],
        title_ja=snap["title_ja"],
        title_en=snap["title_en"],
        tier=snap["tier"],
        track=snap["track"],
        skill_area_key=snap["skill_area"],
        hours=ts.program.hours,
        session_id=ts.id,
        registration_id=reg.id,
        completed_on=local_date(ts.starts_at),
        fiscal_year=fiscal_year_of(ts.starts_at),
        source=CompletionSource.ATTENDANCE,
        recorded_by_id=actor.id,
    )


# -- mail ------------------------------------------------------------------


def _notify(reg: Registration, event: str, **extra: object) -> None:
    from regional.registrations.calendar import registration_ics

    employee = reg.employee or db.session.get(User, reg.employee_id)
    ics = registration_ics(reg, cancelled=event in ("cancelled", "session_cancelled", "declined"))
    queue_mail(
        employee.email,
        f"registration_{event}",
        locale=employee.locale or "ja",
        municipality_id=reg.municipality_id,
        ics=ics
        if event in ("enrolled", "promoted", "approved", "cancelled", "session_cancelled")
        else None,
        registration=reg,
        training_session=reg.session,
        employee=employee,
        position=waitlist_position(reg),
        **extra,
    )
