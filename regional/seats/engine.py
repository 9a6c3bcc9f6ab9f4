"""The seat engine: locking a session, seats and reservations, and the waiting line.

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
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from regional.errors import DomainError, NotFound
from regional.extensions import db
from regional.fiscal import now_utc, to_local
from regional.people.models import User
from regional.seats.models import SEAT_HOLDING, Registration, RegistrationStatus
from regional.seats.notices import notify
from regional.sessions.models import SeatAllocation, SessionStatus, TrainingSession
from tenants import all_tenants
from tenants.rls import core_connection

RS = RegistrationStatus


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


def take_seat(ts: TrainingSession, reg: Registration) -> bool:
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


# -- the common cases in one statement each (no lock taken first) ---------------------------
#
# Most registrations meet a session with free seats in the common pool, no reservation
# holding free seats and nobody ever waiting; most others meet a full one. Each of these
# is one conditional UPDATE of the session row: its WHERE clause is the case's condition,
# checked by the database against the row as it is at that moment (PostgreSQL re-checks it
# on the newest version after waiting for a concurrent writer), and RETURNING says whether
# it held. When it does not, the caller takes the lock and the full path below.

_sessions = TrainingSession.__table__
_SIMPLE = and_(
    _sessions.c.id == bindparam("session_id"),
    _sessions.c.status == SessionStatus.SCHEDULED,
    _sessions.c.reserved_unclaimed == 0,  # no reservation holds a free seat (or is due)
)
_IN_WINDOW = and_(
    _sessions.c.registration_opens_at <= bindparam("now"),
    _sessions.c.registration_closes_at >= bindparam("now"),
    _sessions.c.starts_at > bindparam("now"),
)
_POOL_SEAT = and_(
    _SIMPLE,
    _sessions.c.seats_taken < _sessions.c.capacity,
    _sessions.c.waitlist_seq == 0,  # no ticket was ever issued: nobody is waiting ahead
)
_FULL = and_(_SIMPLE, _sessions.c.seats_taken >= _sessions.c.capacity)


def _seat_update(condition, values) -> dict:
    return {
        window: update(_sessions)
        .where(condition, *([_IN_WINDOW] if window else []))
        .values(**values)
        .returning(_sessions.c.seats_taken, _sessions.c.waitlist_seq)
        for window in (True, False)
    }


_TAKE_POOL_SEAT = _seat_update(_POOL_SEAT, {"seats_taken": _sessions.c.seats_taken + 1})
_TAKE_TICKET = _seat_update(_FULL, {"waitlist_seq": _sessions.c.waitlist_seq + 1})


def _quick(statements: dict, ts: TrainingSession, in_window: bool) -> bool:
    params = {"session_id": ts.id, "now": now_utc()}
    row = core_connection(db.session()).execute(statements[in_window], params).first()
    if row is None:
        return False
    # Keep the session object (read before the update) in step with the row.
    set_committed_value(ts, "seats_taken", row.seats_taken)
    set_committed_value(ts, "waitlist_seq", row.waitlist_seq)
    return True


def take_pool_seat_now(ts: TrainingSession, *, in_window: bool) -> bool:
    """Take a common-pool seat if the session is in the simple case; False: take the lock.

    The simple case: scheduled, seats free in the pool, no reservation holding free seats,
    nobody ever on the waiting list (and, with ``in_window``, registration open).
    """
    return _quick(_TAKE_POOL_SEAT, ts, in_window)


def take_ticket_now(ts: TrainingSession, *, in_window: bool) -> int | None:
    """The next waiting-list ticket if the session is simply full (no seat free for anyone,
    none held back by a reservation), else None: take the lock."""
    return ts.waitlist_seq if _quick(_TAKE_TICKET, ts, in_window) else None


#: A pool seat back, only while nobody can be waiting for it (no ticket ever issued).
_RETURN_POOL_SEAT = (
    update(_sessions)
    .where(
        _sessions.c.id == bindparam("session_id"),
        _sessions.c.waitlist_seq == 0,
    )
    .values(seats_taken=_sessions.c.seats_taken - 1)
    .returning(_sessions.c.seats_taken)
)


def return_pool_seat(reg: Registration) -> list[Registration]:
    """The pool seat of a registration just cancelled without the lock goes back.

    By one conditional ``UPDATE`` while nobody can be waiting for it; otherwise under the
    session's lock, where the line moves up. Either way the person's places passed over
    elsewhere for this seat's clash are revisited. Returns the people promoted.
    """
    row = core_connection(db.session()).execute(_RETURN_POOL_SEAT, {"session_id": reg.session_id})
    row = row.first()
    if row is not None:
        set_committed_value(reg.session, "seats_taken", row.seats_taken)
        promoted: list[Registration] = []
    else:  # someone may be waiting for it: under the lock
        ts = lock_session(reg.session_id)
        ts.seats_taken -= 1
        db.session.flush()
        promoted = rebalance(ts)
    revisit_passed_over([(reg.municipality_id, reg.employee_id)], reg.session_id)
    return promoted


def mark_declined(
    ts: TrainingSession, reg: Registration, actor_id: int
) -> tuple[RegistrationStatus, list[tuple[int, int]]]:
    """A request refused under the session's lock (by the coordinator or the head of unit):
    a held seat is freed and the row declined. Returns the status before and the place
    freed, for :func:`refill` once the refusal is told and audited."""
    held = reg.status.holds_seat
    if held:
        free_seat(ts, reg)
    before = reg.status
    reg.status, reg.waitlist_ticket = RegistrationStatus.DECLINED, None
    reg.cancelled_at, reg.cancelled_by_id = now_utc(), actor_id
    db.session.flush()
    return before, [(reg.municipality_id, reg.employee_id)] if held else []


def free_seat(ts: TrainingSession, reg: Registration) -> None:
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


_registrations = Registration.__table__
_other = TrainingSession.__table__.alias("other")
#: Core, built once: only the values change per call. Scoped by hand to the person's
#: own municipality (the first column of ``ix_registrations_person``).
_OVERLAPPING = (
    select(_other.c.starts_at)
    .select_from(_registrations.join(_other, _other.c.id == _registrations.c.session_id))
    .where(
        _registrations.c.municipality_id == bindparam("municipality_id"),
        _registrations.c.employee_id == bindparam("employee_id"),
        _registrations.c.status.in_(SEAT_HOLDING),
        _registrations.c.session_id != bindparam("session_id"),
        _other.c.status == SessionStatus.SCHEDULED,
        _other.c.starts_at < bindparam("ends_at"),
        _other.c.ends_at > bindparam("starts_at"),
    )
    .limit(1)
)


def overlapping(reg: Registration | User, ts: TrainingSession) -> datetime | None:
    """When another seat the same person holds overlaps this session: its start, else None."""
    employee_id = reg.employee_id if isinstance(reg, Registration) else reg.id
    return (
        core_connection(db.session())
        .execute(
            _OVERLAPPING,
            {
                "municipality_id": reg.municipality_id,
                "employee_id": employee_id,
                "session_id": ts.id,
                "starts_at": ts.starts_at,
                "ends_at": ts.ends_at,
            },
        )
        .scalar()
    )


def seat_status(ts: TrainingSession, reg: Registration) -> RegistrationStatus:
    """The status of a registration that holds a seat: its head's decision first (a person's
    own application, where the member asks for it), then the coordinator's where needed."""
    if reg.head_unit_id is not None and reg.head_approved_at is None:
        return RS.AWAITING_HEAD
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
            clash = overlapping(reg, ts)
            if clash is not None:
                if reg.skip_note is None:
                    reg.skip_note = _passed_over_note(reg, clash)
                continue
            if not take_seat(ts, reg):
                continue
            reg.status = seat_status(ts, reg)
            reg.waitlist_ticket = None
            reg.skip_note = None
            promoted.append(reg)
            notify(reg, "promoted")
        db.session.flush()
    return promoted


def refill(ts: TrainingSession, freed_by: Iterable[tuple[int, int]] = ()) -> list[Registration]:
    """After places were given up under the session's lock: the line moves up, and the
    places of ``freed_by`` (municipality_id, employee_id) passed over elsewhere for the
    seat they held are revisited. Returns the people promoted here."""
    promoted = rebalance(ts)
    revisit_passed_over(freed_by, ts.id)
    return promoted


def revisit_passed_over(people: Iterable[tuple[int, int]], except_session_id: int) -> None:
    """People who just lost a seat may have been passed over elsewhere for that very clash.

    ``people`` are (municipality_id, employee_id) pairs: the search is led by the tenant
    and the person (``ix_registrations_person``), as every per-person query is.
    """
    by_member: dict[int, set[int]] = {}
    for municipality_id, employee_id in people:
        by_member.setdefault(municipality_id, set()).add(employee_id)
    if not by_member:
        return
    with all_tenants(db.session):
        session_ids = db.session.scalars(
            select(Registration.session_id)
            .where(
                or_(
                    *(
                        and_(
                            Registration.municipality_id == mid,
                            Registration.employee_id.in_(sorted(ids)),
                        )
                        for mid, ids in sorted(by_member.items())
                    )
                ),
                Registration.status == RS.WAITLISTED,
                Registration.skip_note.is_not(None),
                Registration.session_id != except_session_id,
            )
            .distinct()
            .order_by(Registration.session_id)  # one lock order, fewer deadlocks
        ).all()
    for session_id in session_ids:
        rebalance(lock_session(session_id))


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
