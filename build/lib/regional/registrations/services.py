"""Registrations: the writes that move seats. Each function is one transaction's work.

Every function here starts by locking the session row (``SELECT ... FOR
UPDATE OF training_sessions`` on PostgreSQL; on SQLite the write transaction
already began with ``BEGIN IMMEDIATE``), so seat changes on one session are
serialised. The database has the last word: CHECK constraints on the session
and its seat allocations refuse any overbooking, and ``UNIQUE(session_id,
employee_id)`` refuses a second registration. Services flush; callers commit,
and on any error they roll back and nothing is kept (mail included: it sits in
the outbox of the same transaction).

Seats: a session has ``capacity`` seats. Some may be reserved for given
municipalities until ``release_at``; the rest form the common pool. An
employee takes a reserved seat of their own municipality first, then a pool
seat; when none is left they join the first-come waiting list (one line for
the whole session, ordered by ticket). Whenever seats free up, the line is
walked in ticket order: each person who can use a free seat takes it; a person
who now holds an overlapping session is passed over with a visible note and
keeps their place.

Reservations are released lazily: every locked operation on a session first
returns its due reservations to the pool and promotes from the line, so no
request can slip past people already waiting. ``flask --app wsgi release-seats``
(and ``send-reminders``) do the same for sessions nobody touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import lazyload

from regional.catalogue.eligibility import check_eligibility
from regional.catalogue.models import Program
from regional.errors import Conflict, DomainError, Forbidden, NotFound
from regional.extensions import db
from regional.fiscal import fiscal_year_of, local_date, now_utc, to_local
from regional.mail.services import queue_mail
from regional.people.models import AccountStatus, User
from regional.registrations.models import (
    ACTIVE,
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
    """Load a session for update with fresh counters (shared rows: not tenant-scoped), or 404."""
    ts = db.session.scalar(
        select(TrainingSession)
        .where(TrainingSession.id == session_id)
        # OF: PostgreSQL refuses FOR UPDATE on the nullable side of the eager outer joins.
        .with_for_update(of=TrainingSession)
        # The audience, the host and the reservations matter only for some sessions: load
        # them when asked (the reservations are skipped entirely while none hold seats).
        .options(
            lazyload(TrainingSession.audience),
            lazyload(TrainingSession.host_municipality),
            lazyload(TrainingSession.allocations),
        )
        .execution_options(populate_existing=True)
    )
    if ts is None:
        raise NotFound("session_not_found", _l("The session was not found."))
    return ts


def _own_allocation(ts: TrainingSession, municipality_id: int) -> SeatAllocation | None:
    if ts.reserved_unclaimed == 0:
        return None  # no reservation holds a free seat: skip loading them (the common case)
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
    if ts.reserved_unclaimed == 0:
        return 0  # nothing held back to release (a full reservation's release changes no count)
    for alloc in ts.allocations:
        if not alloc.released and alloc.release_at <= now:
            ts.reserved_unclaimed -= alloc.unclaimed
            alloc.released = True
            released += 1
    return released


def _any_free_seat(ts: TrainingSession) -> bool:
    return ts.seats_left > 0 or ts.reserved_unclaimed > 0


def _seat_free_for(ts: TrainingSession, municipality_id: int) -> bool:
    alloc = _own_allocation(ts, municipality_id)
    return ts.seats_left > 0 or (alloc is not None and alloc.unclaimed > 0)


# -- the waiting list ------------------------------------------------------


def _overlapping(reg: Registration | User, ts: TrainingSession) -> datetime | None:
    """When another seat the same person holds overlaps this session: its start, else None."""
    employee_id = reg.employee_id if isinstance(reg, Registration) else reg.id
    other = TrainingSession
    return db.session.scalar(
        select(other.starts_at)
        .select_from(Registration)
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


def _passed_over_note(reg: Registration, clash: datetime) -> str:
    """The note the passed-over person reads, in their own language."""
    with force_locale(reg.employee.locale or "ja"):
        return _(
            "Passed over on %(date)s: a seat became free, but you hold another session "
            "at the same time (%(when)s). You keep your place in the line.",
            date=to_local(now_utc()).strftime("%Y-%m-%d %H:%M"),
            when=to_local(clash).strftime("%Y-%m-%d %H:%M"),
        )


def rebalance(ts: TrainingSession) -> list[Registration]:
    """Release due reservations, then promote from the waiting list while seats are free.

    The line spans every municipality, so this is a deliberate cross-tenant
    write: each promoted registration stays in its own municipality. Nobody is
    promoted into a session that has already started.
    """
    release_due_allocations(ts)
    promoted: list[Registration] = []
    # waitlist_seq == 0: no ticket was ever issued, so the line is empty (saves a query).
    if ts.is_cancelled or ts.waitlist_seq == 0 or ts.starts_at <= now_utc():
        return promoted
    if not _any_free_seat(ts):
        return promoted
    with all_tenants(db.session):
        for reg in db.session.scalars(Registration.waiting_line(ts.id)).all():
            if not _any_free_seat(ts):
                break
            if not _seat_free_for(ts, reg.municipality_id):
                continue  # the free seats are reserved for other municipalities
            clash = _overlapping(reg, ts)
            if clash is not None:
                if reg.skip_note is None:
                    reg.skip_note = _passed_over_note(reg, clash)
                continue
            if not _take_seat(ts, reg):
                continue
            reg.status = _seat_status(ts, reg)
            reg.waitlist_ticket = None
            reg.skip_note = None
            promoted.append(reg)
            _notify(reg, "promoted")
        db.session.flush()
    return promoted


def _revisit_passed_over(employee_ids: Iterable[int], except_session_id: int) -> None:
    """People who just lost a seat may have been passed over elsewhere for that very clash."""
    ids = sorted(set(employee_ids))
    if not ids:
        return
    with all_tenants(db.session):
        session_ids = db.session.scalars(
            select(Registration.session_id)
            .where(
                Registration.employee_id.in_(ids),
                Registration.status == RS.WAITLISTED,
                Registration.skip_note.is_not(None),
                Registration.session_id != except_session_id,
            )
            .distinct()
            .order_by(Registration.session_id)  # one lock order, fewer deadlocks
        ).all()
    for session_id in session_ids:
        rebalance(lock_session(session_id))


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


def waitlist_positions(regs: Iterable[Registration]) -> dict[int, int]:
    """Positions of many waitlisted registrations at once (registration id -> place)."""
    waiting = [r for r in regs if r.status == RS.WAITLISTED and r.waitlist_ticket is not None]
    if not waiting:
        return {}
    tickets: dict[int, list[int]] = {}
    rows = db.session.execute(
        select(Registration.session_id, Registration.waitlist_ticket)
        .where(
            Registration.session_id.in_({r.session_id for r in waiting}),
            Registration.status == RS.WAITLISTED,
        )
        .order_by(Registration.session_id, Registration.waitlist_ticket)
        .execution_options(all_tenants=True)  # tickets only: no other member's row is read
    )
    for session_id, ticket in rows:
        tickets.setdefault(session_id, []).append(ticket)
    return {r.id: tickets[r.session_id].index(r.waitlist_ticket) + 1 for r in waiting}


# -- the operations --------------------------------------------------------


def _may_approve(actor: User, municipality_id: int) -> bool:
    return actor.is_regional_admin or (
        actor.is_coordinator and actor.municipality_id == municipality_id
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
    eligibility = check_eligibility(ts.program, employee)
    if not eligibility.eligible:
        raise DomainError(
            "not_eligible",
            _l("Not eligible: %(why)s", why=" ".join(eligibility.refusals)),
        )
    clash = _overlapping(employee, ts)
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
    if actor.id != employee.id and _may_approve(actor, employee.municipality_id):
        reg.approved_at, reg.approved_by_id = now, actor.id
    if _take_seat(ts, reg):
        reg.status, reg.waitlist_ticket = _seat_status(ts, reg), None
    else:
        ts.waitlist_seq += 1
        reg.status, reg.waitlist_ticket = RS.WAITLISTED, ts.waitlist_seq
    db.session.flush()
    _notify(reg, reg.status.value, employee=employee)
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
        _free_seat(ts, reg)
    reg.status, reg.waitlist_ticket = RS.CANCELLED, None
    reg.cancelled_at, reg.cancelled_by_id = now, actor.id
    db.session.flush()
    _notify(reg, "cancelled")
    promoted = rebalance(ts)
    if held:
        _revisit_passed_over([reg.employee_id], ts.id)
    return promoted


def approve(reg: Registration, actor: User) -> Registration:
    """Approve a pending request (or approve in advance someone on the waiting list)."""
    if not _may_approve(actor, reg.municipality_id):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))
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
    if not _may_approve(actor, reg.municipality_id):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))
    ts = lock_session(reg.session_id)
    db.session.refresh(reg)
    if reg.status not in (RS.PENDING, RS.WAITLISTED) or reg.approved_at is not None:
        raise Conflict("not_pending", _l("This registration is not awaiting approval."))
    held = reg.status.holds_seat
    if held:
        _free_seat(ts, reg)
    reg.status, reg.waitlist_ticket = RS.DECLINED, None
    reg.cancelled_at, reg.cancelled_by_id = now_utc(), actor.id
    db.session.flush()
    _notify(reg, "declined")
    promoted = rebalance(ts)
    if held:
        _revisit_passed_over([reg.employee_id], ts.id)
    return promoted


def change_capacity(ts_id: int, capacity: int) -> list[Registration]:
    """Resize a session; more seats promote from the line, fewer never unseat anyone."""
    ts = lock_session(ts_id)
    release_due_allocations(ts)
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


def set_allocation(
    ts_id: int, municipality_id: int, seats: int, release_at: datetime
) -> SeatAllocation:
    """Reserve (or change, or with 0 remove) seats of a session for one municipality."""
    ts = lock_session(ts_id)
    release_due_allocations(ts)
    if seats < 0:
        raise DomainError("invalid_seats", _l("Reserved seats cannot be negative."))
    # Removing a reservation (0 seats) is always allowed, e.g. for a member leaving the audience.
    if seats > 0 and (ts.host_municipality_id is not None or not ts.admits(municipality_id)):
        raise DomainError(
            "not_in_audience", _l("Seats can be reserved only for members this session admits.")
        )
    alloc = next((a for a in ts.allocations if a.municipality_id == municipality_id), None)
    if alloc is None:
        alloc = SeatAllocation(
            session=ts,
            municipality_id=municipality_id,
            seats=0,
            claimed=0,
            release_at=release_at,
            released=False,
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
    alloc.seats, alloc.release_at = seats, release_at
    alloc.released = release_at <= now_utc()
    after = alloc.unclaimed
    if ts.seats_taken + ts.reserved_unclaimed - before + after > ts.capacity:
        raise DomainError(
            "not_enough_free_seats",
            _l("Only %(n)d seats are free to reserve.", n=ts.seats_left + before),
        )
    ts.reserved_unclaimed += after - before
    db.session.flush()
    rebalance(ts)
    return alloc


def release_seats(ts_id: int) -> list[Registration]:
    """Return a session's due reservations to the pool and promote from the line."""
    return rebalance(lock_session(ts_id))


def sessions_with_due_reservations() -> list[int]:
    """Ids of sessions holding reserved seats whose release time has passed."""
    return list(
        db.session.scalars(
            select(SeatAllocation.session_id)
            .where(SeatAllocation.released.is_(False), SeatAllocation.release_at <= now_utc())
            .distinct()
            .order_by(SeatAllocation.session_id)
        )
    )


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
                seated.append(reg.employee_id)
            reg.status, reg.waitlist_ticket, reg.seat_allocation_id = RS.CANCELLED, None, None
            reg.cancelled_at, reg.cancelled_by_id = now, actor.id
            _notify(reg, "session_cancelled", reason=reason)
            told += 1
        for alloc in ts.allocations:
            alloc.claimed, alloc.released = 0, True
        ts.seats_taken = ts.reserved_unclaimed = 0
        db.session.flush()
    _revisit_passed_over(seated, ts.id)
    return told


# -- attendance and completion ----------------------------------------------


def may_record_attendance(ts: TrainingSession, user: User) -> bool:
    """The host records attendance: regional administrators, or the hosting member's coordinator."""
    if user.is_regional_admin:
        return True
    return user.is_coordinator and ts.host_municipality_id == user.municipality_id


def attendance_roster(ts: TrainingSession, user: User) -> list[Registration]:
    """Everyone enrolled in a session, for its host (all municipalities for a shared session)."""
    stmt = Registration.roster(ts.id)
    if user.is_regional_admin:
        with all_tenants(db.session):
            return list(db.session.scalars(stmt))
    return list(db.session.scalars(stmt))


def record_attendance(
    ts_id: int, marks: Iterable[tuple[int, bool]], actor: User
) -> tuple[int, int]:
    """Mark attendance for registrations of a started session; attended means completed.

    All or nothing: one bad line refuses the whole batch. Returns (attended, absent).
    A regional administrator records for every municipality of a shared session.
    """
    ts = lock_session(ts_id)
    if not may_record_attendance(ts, actor):
        raise Forbidden("forbidden", _l("Only the host of a session records its attendance."))
    if ts.is_cancelled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."))
    if ts.starts_at > now_utc():
        raise DomainError(
            "session_not_started", _l("Attendance can be recorded once the session has started.")
        )
    marks = list(marks)
    ids = [rid for rid, _present in marks]
    if len(ids) != len(set(ids)):
        raise DomainError("duplicate_registration", _l("A registration appears twice."))
    if actor.is_regional_admin:
        with all_tenants(db.session):
            return _apply_attendance(ts, marks, actor)
    return _apply_attendance(ts, marks, actor)


def _apply_attendance(
    ts: TrainingSession, marks: list[tuple[int, bool]], actor: User
) -> tuple[int, int]:
    ids = [rid for rid, _present in marks]
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
    day = local_date(ts.starts_at)
    employees = {r.employee_id for r in regs.values()}
    existing = list(
        db.session.scalars(
            select(Completion).where(
                or_(
                    Completion.registration_id.in_(ids),
                    Completion.employee_id.in_(employees)
                    & (Completion.program_id == ts.program_id)
                    & (Completion.completed_on == day),
                )
            )
        )
    )
    by_reg = {c.registration_id: c for c in existing if c.registration_id is not None}
    same_day = {c.employee_id for c in existing if c.registration_id is None}
    now, attended = now_utc(), 0
    for rid, present in marks:
        reg = regs[rid]
        reg.attended, reg.attendance_recorded_at = present, now
        done = by_reg.get(rid)
        if present:
            attended += 1
            # Already completed that day by another route (e-learning import): one record is enough.
            if done is None and reg.employee_id not in same_day:
                db.session.add(_completion_for(reg, ts, actor))
        elif done is not None:
            db.session.delete(done)
    db.session.flush()
    return attended, len(marks) - attended


def _completion(
    program: Program,
    municipality_id: int,
    employee_id: int,
    day: date,
    source: CompletionSource,
    actor: User,
    *,
    ts: TrainingSession | None = None,
    reg: Registration | None = None,
) -> Completion:
    """A completion carrying the programme as it is now (later edits never rewrite it)."""
    snap = program.snapshot()
    return Completion(
        municipality_id=municipality_id,
        employee_id=employee_id,
        program_id=program.id,
        program_revision=program.revision,
        program_code=snap["code"],
        title_ja=snap["title_ja"],
        title_en=snap["title_en"],
        tier=snap["tier"],
        track=snap["track"],
        skill_area_key=snap["skill_area"],
        hours=program.hours,
        session_id=ts.id if ts else None,
        registration_id=reg.id if reg else None,
        completed_on=day,
        fiscal_year=fiscal_year_of(day),
        source=source,
        recorded_by_id=actor.id,
    )


def _completion_for(reg: Registration, ts: TrainingSession, actor: User) -> Completion:
    return _completion(
        ts.program,
        reg.municipality_id,
        reg.employee_id,
        local_date(ts.starts_at),
        CompletionSource.ATTENDANCE,
        actor,
        ts=ts,
        reg=reg,
    )


def add_completions(items: Iterable[tuple[User, Program, date]], actor: User) -> int:
    """Record completions from an e-learning system (checked by the preview); all or nothing.

    Coordinators record for their own staff; regional administrators for anyone.
    """
    rows = list(items)
    for employee, _program, _day in rows:
        if not _may_approve(actor, employee.municipality_id):
            raise Forbidden("forbidden", _l("You may record completions only for your own staff."))
    # Administrators write into many municipalities at once; each row names its own.
    scope = all_tenants(db.session) if actor.is_regional_admin else nullcontext()
    with scope:
        for employee, program, day in rows:
            db.session.add(
                _completion(
                    program,
                    employee.municipality_id,
                    employee.id,
                    day,
                    CompletionSource.ELEARNING_IMPORT,
                    actor,
                )
            )
        db.session.flush()
    return len(rows)


# -- mail ------------------------------------------------------------------

#: Events whose mail carries the calendar entry (new, or withdrawn).
_WITH_ICS = {"enrolled", "promoted", "approved", "cancelled", "session_cancelled"}
_WITHDRAWN = {"cancelled", "session_cancelled", "declined"}


def _notify(reg: Registration, event: str, employee: User | None = None, **extra: object) -> None:
    """Queue the mail telling the person what happened, in the same transaction."""
    from regional.registrations.calendar import registration_ics

    employee = employee or reg.employee
    locale = employee.locale or "ja"
    ics = None
    if event in _WITH_ICS and not (event == "promoted" and reg.status == RS.PENDING):
        ics = registration_ics(reg, cancelled=event in _WITHDRAWN, locale=locale)
    queue_mail(
        employee.email,
        f"registration_{event}",
        locale=locale,
        municipality_id=reg.municipality_id,
        ics=ics,
        registration=reg,
        training_session=reg.session,
        employee=employee,
        position=waitlist_position(reg),
        **extra,
    )
