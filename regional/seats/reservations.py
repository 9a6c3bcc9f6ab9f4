"""Seat reservations (優先枠) of a shared session: one member's, or every member's in one save.

The rules of one reservation live here once (:func:`reservation_problem`); seats move
only through the seat engine (:func:`regional.seats.engine.set_allocation`,
which locks the session row, keeps the counters right and rebalances the line).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from regional.audit import record_audit_across
from regional.errors import DomainError
from regional.fiscal import now_utc, to_local
from regional.people.models import User
from regional.seats import engine
from regional.sessions.models import SeatAllocation, TrainingSession
from regional.sessions.services import MAX_CAPACITY, ReservationLine, refuse
from regional.versions import touch
from tenants.models import Municipality


def reservation_problem(
    ts: TrainingSession, municipality: Municipality, seat_count: int, release_at: datetime
) -> DomainError | None:
    """Why ``seat_count`` seats held for ``municipality`` until ``release_at`` are refused."""
    if ts.host_municipality_id is not None:
        return DomainError(
            "not_shared", _l("Seats can be reserved only on the region's shared sessions.")
        )
    if ts.is_cancelled:
        return DomainError("session_cancelled", _l("This session has been cancelled."))
    if not 0 <= seat_count <= MAX_CAPACITY:
        return refuse("invalid_seats", _l("Reserved seats must be between 0 and 1,000."), "seats")
    if seat_count and not ts.admits(municipality.id):
        return refuse(
            "not_in_audience",
            _l("This session is not open to %(name)s.", name=municipality.name_ja),
            "seats",
        )
    if seat_count and release_at <= now_utc():
        return refuse(
            "release_in_past", _l("The release date must be in the future."), "release_at"
        )
    if release_at > ts.starts_at:
        return refuse(
            "release_after_start",
            _l("Reserved seats must be released no later than the start of the session."),
            "release_at",
        )
    return None


class ReservationProblems(DomainError):
    """Some lines are refused: ``rows`` maps a municipality id to (field, message)."""

    def __init__(self, rows: dict[int, tuple[str, object]], message=None) -> None:  # noqa: ANN001
        super().__init__(
            "invalid_reservations",
            message or _l("Some reservations could not be saved; see the rows marked."),
            field="reservations",
            rows=rows,
        )


def default_release(ts: TrainingSession) -> datetime:
    """When seats reserved without a release date go back to everyone: the application
    deadline itself (date and time), or the session's start if that is earlier."""
    return min(ts.registration_closes_at, ts.starts_at)


def _snapshot(alloc: SeatAllocation | None) -> dict:
    if alloc is None or not alloc.seats:
        return {"seats": 0}
    return {"seats": alloc.seats, "release_at": alloc.release_at}


def snapshot(ts: TrainingSession) -> dict[int, dict]:
    """Every member's reservation now, by municipality id (for the audit entry)."""
    return {a.municipality_id: _snapshot(a) for a in ts.allocations}


def shrink_first(ts: TrainingSession, lines: list[ReservationLine]) -> None:
    """Apply the lines that hold fewer seats than now (a plan change may need those seats)."""
    current = {a.municipality_id: a for a in ts.allocations}
    for line in lines:
        alloc = current.get(line.municipality.id)
        if alloc is None or not 0 <= line.seats < alloc.seats:
            continue
        try:
            engine.set_allocation(ts.id, line.municipality.id, line.seats, alloc.release_at)
        except DomainError as exc:
            raise ReservationProblems({line.municipality.id: ("seats", exc.message)}) from exc


def _problem(
    ts: TrainingSession, line: ReservationLine, alloc: SeatAllocation | None, release_at: datetime
) -> DomainError | None:
    problem = reservation_problem(ts, line.municipality, line.seats, release_at)
    if problem is None and alloc is not None and line.seats < alloc.claimed:
        problem = refuse(
            "below_claimed",
            _l(
                "%(n)d reserved seats are already taken; reserve at least that many.",
                n=alloc.claimed,
            ),
            "seats",
        )
    return problem


def set_reservations(
    ts: TrainingSession,
    lines: list[ReservationLine],
    actor: User,
    *,
    before: dict[int, dict] | None = None,
) -> int:
    """Set every member's reservation of a shared session at once; returns members changed.

    All lines are checked before any seat moves, and every refused line is named
    (:class:`ReservationProblems`); the caller rolls back. Lines that shrink are
    applied before lines that grow, so seats one member gives up can go to another
    in the same save. One audit entry records every change since ``before``.
    """
    before = snapshot(ts) if before is None else before
    current = {a.municipality_id: a for a in ts.allocations}
    fallback = default_release(ts)
    wanted: list[tuple[int, ReservationLine, datetime]] = []
    problems: dict[int, tuple[str, object]] = {}
    for line in lines:
        alloc = current.get(line.municipality.id)
        have = alloc.seats if alloc is not None else 0
        release_at = line.release_at or (alloc.release_at if alloc is not None else fallback)
        if alloc is not None and to_local(release_at).date() == to_local(alloc.release_at).date():
            release_at = alloc.release_at  # the form names a day: keep a time set to the minute
        if line.seats == have and (not have or release_at == alloc.release_at):
            continue
        problem = _problem(ts, line, alloc, release_at)
        if problem is not None:
            field = problem.details.get("field", "seats")
            problems[line.municipality.id] = (field, problem.message)
            continue
        wanted.append((line.seats - have, line, release_at))
    if problems:
        raise ReservationProblems(problems)
    total = sum(line.seats for line in lines)
    if total > ts.capacity:
        raise ReservationProblems(
            {},
            _l(
                "Reserved seats total %(n)d, more than the capacity of %(c)d.",
                n=total,
                c=ts.capacity,
            ),
        )
    for _growth, line, release_at in sorted(wanted, key=lambda w: w[0]):
        try:
            engine.set_allocation(ts.id, line.municipality.id, line.seats, release_at)
        except DomainError as exc:
            raise ReservationProblems({line.municipality.id: ("seats", exc.message)}) from exc
    now = snapshot(ts)
    empty = {"seats": 0}
    changed = [
        line.municipality
        for line in lines
        if now.get(line.municipality.id, empty) != before.get(line.municipality.id, empty)
    ]
    if not changed:
        return 0
    touch(ts)  # the session as shown (its reservations) changed: a form loaded before is stale
    record_audit_across(
        "reservations.update",
        municipality_id=ts.host_municipality_id or actor.municipality_id,
        subject_type="session",
        subject_id=ts.id,
        subject_label=f"{ts.program.code} {ts.starts_at:%Y-%m-%d %H:%M}",
        before={m.code: before.get(m.id, empty) for m in changed},
        after={m.code: now.get(m.id, empty) for m in changed},
        actor=actor,
    )
    return len(changed)
