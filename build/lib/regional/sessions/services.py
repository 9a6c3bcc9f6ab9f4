"""Sessions: who may see and manage one, and the writes that set one up or call it off.

Seats are never counted here: capacity, reservations and cancellation go
through :mod:`regional.registrations.services`, which locks the session row
and keeps the counters and the waiting list right.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from urllib.parse import urlsplit

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from regional.catalogue.models import Program
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import now_utc
from regional.people.models import User
from regional.registrations import services as seats
from regional.registrations.models import Registration, RegistrationStatus
from regional.sessions.models import SeatAllocation, TrainingSession
from regional.tenancy import current_municipality
from tenants.models import Municipality

log = logging.getLogger("regional.audit")

MAX_CAPACITY = 1000
ACTIVE = (RegistrationStatus.PENDING, RegistrationStatus.ENROLLED, RegistrationStatus.WAITLISTED)


# -- access ------------------------------------------------------------------


def viewer_scope() -> int | None:
    """The municipality whose sessions the signed-in person sees; None for every session."""
    if current_user.is_regional_admin:
        return None
    m = current_municipality()
    return m.id if m is not None else -1


def visible_session_or_404(session_id: int) -> TrainingSession:
    """The one load gate for a session: one not open to the viewer's municipality is not found."""
    ts = db.session.scalar(
        TrainingSession.visible_to(viewer_scope()).where(TrainingSession.id == session_id)
    )
    if ts is None:
        abort(404)
    return ts


def may_manage(ts: TrainingSession, user: User) -> bool:
    """Regional administrators manage every session; coordinators only their own member's."""
    if user.is_regional_admin:
        return True
    return user.is_coordinator and ts.host_municipality_id == user.municipality_id


def managed_session_or_404(session_id: int) -> TrainingSession:
    """A session the signed-in person may change: unseen is 404, seen but not theirs is 403."""
    ts = visible_session_or_404(session_id)
    if not may_manage(ts, current_user):
        abort(403)
    return ts


# -- the plan of a session ---------------------------------------------------


@dataclass
class SessionPlan:
    """Everything a person decides about a session, in UTC; checked by :func:`check_plan`."""

    program_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    registration_opens_at: datetime
    registration_closes_at: datetime
    venue: str = ""
    online_url: str | None = None
    cancellation_deadline: datetime | None = None
    requires_approval: bool = False
    open_to_all: bool = True
    audience_ids: list[int] = field(default_factory=list)
    notes: str = ""

    @classmethod
    def of(cls, ts: TrainingSession) -> SessionPlan:
        """The plan a session currently follows (the base for an edit)."""
        return cls(
            program_id=ts.program_id,
            starts_at=ts.starts_at,
            ends_at=ts.ends_at,
            capacity=ts.capacity,
            registration_opens_at=ts.registration_opens_at,
            registration_closes_at=ts.registration_closes_at,
            venue=ts.venue or "",
            online_url=ts.online_url,
            cancellation_deadline=ts.cancellation_deadline,
            requires_approval=ts.requires_approval,
            open_to_all=ts.open_to_all,
            audience_ids=sorted(m.id for m in ts.audience),
            notes=ts.notes or "",
        )

    def changed(self, **changes: object) -> SessionPlan:
        names = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in changes.items() if k in names})


def _refuse(code: str, message, field_name: str) -> DomainError:  # noqa: ANN001
    return DomainError(code, message, field=field_name)


def check_plan(plan: SessionPlan, *, creating: bool, hosted: bool) -> SessionPlan:
    """Apply the scheduling rules; the first broken rule is refused with its field named."""
    plan.venue = (plan.venue or "").strip()
    plan.notes = (plan.notes or "").strip()
    plan.online_url = (plan.online_url or "").strip() or None
    if len(plan.venue) > 200:
        raise _refuse("invalid_venue", _l("The venue has at most 200 characters."), "venue")
    if len(plan.notes) > 2000:
        raise _refuse("invalid_notes", _l("The notes have at most 2,000 characters."), "notes")
    if plan.online_url is not None:
        parts = urlsplit(plan.online_url)
        if parts.scheme != "https" or not parts.hostname or len(plan.online_url) > 500:
            raise _refuse(
                "invalid_url",
                _l("The online address must be a full https:// address (at most 500 characters)."),
                "online_url",
            )
    if not plan.venue and plan.online_url is None:
        raise _refuse("missing_venue", _l("Give a venue or an online address."), "venue")
    if not 0 <= plan.capacity <= MAX_CAPACITY:
        raise _refuse("invalid_capacity", _l("Capacity must be between 0 and 1,000."), "capacity")
    if plan.ends_at <= plan.starts_at:
        raise _refuse("ends_before_start", _l("The end must be after the start."), "ends_at")
    if creating and plan.starts_at <= now_utc():
        raise _refuse("starts_in_past", _l("The start must be in the future."), "starts_at")
    if plan.registration_closes_at <= plan.registration_opens_at:
        raise _refuse(
            "window_inverted",
            _l("Registration must close after it opens."),
            "registration_closes_at",
        )
    if plan.registration_closes_at > plan.starts_at:
        raise _refuse(
            "closes_after_start",
            _l("Registration must close no later than the start of the session."),
            "registration_closes_at",
        )
    if creating and plan.registration_closes_at <= now_utc():
        raise _refuse(
            "closes_in_past",
            _l("Registration must close in the future."),
            "registration_closes_at",
        )
    deadline = plan.cancellation_deadline
    if deadline is not None and deadline > plan.starts_at:
        raise _refuse(
            "deadline_after_start",
            _l("The cancellation deadline must be no later than the start."),
            "cancellation_deadline",
        )
    if not hosted and not plan.open_to_all and not plan.audience_ids:
        raise _refuse(
            "missing_audience",
            _l("Choose at least one municipality, or open the session to every member."),
            "open_to",
        )
    return plan


def _program_for_session(program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        raise _refuse("unknown_program", _l("There is no such programme."), "program_id")
    if not program.active:
        raise _refuse(
            "program_retired",
            _l("This programme has been retired; sessions cannot be added."),
            "program_id",
        )
    return program


def _municipalities(ids: list[int]) -> list[Municipality]:
    found = list(db.session.scalars(select(Municipality).where(Municipality.id.in_(ids))))
    if len(found) != len(set(ids)):
        raise _refuse("unknown_municipality", _l("Unknown municipality."), "open_to")
    return found


# -- writes ------------------------------------------------------------------


def create_session(plan: SessionPlan, actor: User) -> TrainingSession:
    """Add a session: shared by the region (administrators) or hosted by the actor's member."""
    hosted = not actor.is_regional_admin
    if hosted and not actor.is_coordinator:
        raise DomainError("forbidden", _l("You are not allowed to do this."), status=403)
    check_plan(plan, creating=True, hosted=hosted)
    program = _program_for_session(plan.program_id)
    ts = TrainingSession(
        program_id=program.id,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        venue=plan.venue,
        online_url=plan.online_url,
        capacity=plan.capacity,
        seats_taken=0,
        reserved_unclaimed=0,
        waitlist_seq=0,
        registration_opens_at=plan.registration_opens_at,
        registration_closes_at=plan.registration_closes_at,
        cancellation_deadline=plan.cancellation_deadline,
        requires_approval=plan.requires_approval,
        notes=plan.notes,
        created_by_id=actor.id,
    )
    if hosted:
        # A coordinator's session is for their own staff: the host is never taken from input.
        ts.host_municipality_id = actor.municipality_id
        ts.open_to_all = False
    else:
        ts.open_to_all = plan.open_to_all
        ts.audience = [] if plan.open_to_all else _municipalities(plan.audience_ids)
    db.session.add(ts)
    db.session.flush()
    log.info("session added id=%s program=%s by=%s", ts.id, program.code, actor.id)
    return ts


def update_session(ts: TrainingSession, changes: dict, actor: User) -> TrainingSession:
    """Change a session's plan; capacity through the seat service (never below seats in use)."""
    if ts.is_cancelled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."))
    if "program_id" in changes and changes["program_id"] != ts.program_id:
        raise _refuse(
            "program_fixed",
            _l("The programme of a session cannot be changed; cancel it and add a new one."),
            "program_id",
        )
    hosted = ts.host_municipality_id is not None
    if hosted:
        for key in ("open_to_all", "audience_ids"):
            changes.pop(key, None)
    plan = check_plan(SessionPlan.of(ts).changed(**changes), creating=False, hosted=hosted)
    audience = None if hosted or plan.open_to_all else _municipalities(plan.audience_ids)
    dropped: list[SeatAllocation] = []
    if not hosted:
        _check_audience_keeps_registrants(ts, plan)
        kept = None if plan.open_to_all else set(plan.audience_ids)
        dropped = [
            a
            for a in ts.allocations
            if a.seats and kept is not None and a.municipality_id not in kept
        ]
    # Seat writes lock and re-read the session, so they come before the plain fields change.
    for alloc in dropped:
        seats.set_allocation(ts.id, alloc.municipality_id, 0, alloc.release_at)
    if plan.capacity != ts.capacity:
        seats.change_capacity(ts.id, plan.capacity)
    for name in (
        "starts_at",
        "ends_at",
        "venue",
        "online_url",
        "registration_opens_at",
        "registration_closes_at",
        "cancellation_deadline",
        "requires_approval",
        "notes",
    ):
        setattr(ts, name, getattr(plan, name))
    if not hosted:
        ts.open_to_all = plan.open_to_all
        ts.audience = [] if audience is None else audience
    db.session.flush()
    log.info("session changed id=%s by=%s", ts.id, actor.id)
    return ts


def _check_audience_keeps_registrants(ts: TrainingSession, plan: SessionPlan) -> None:
    """Narrowing the audience may not strand people already registered."""
    if plan.open_to_all:
        return
    keep = set(plan.audience_ids)
    counts = db.session.execute(
        select(Registration.municipality_id, func.count())
        .where(Registration.session_id == ts.id, Registration.status.in_(ACTIVE))
        .group_by(Registration.municipality_id)
        .execution_options(all_tenants=True)  # numbers per member only, no other member's row
    ).all()
    stranded = [mid for mid, n in counts if n and mid not in keep]
    if stranded:
        names = ", ".join(m.name_ja for m in _municipalities(stranded))
        raise _refuse(
            "audience_has_registrants",
            _l(
                "Staff of %(names)s are registered; cancel their registrations before "
                "closing the session to them.",
                names=names,
            ),
            "open_to",
        )


def reserve_seats(
    ts: TrainingSession, municipality: Municipality, seat_count: int, release_at: datetime
) -> SeatAllocation:
    """Hold seats of a shared session for one member until ``release_at``."""
    if ts.host_municipality_id is not None:
        raise DomainError(
            "not_shared", _l("Seats can be reserved only on the region's shared sessions.")
        )
    if ts.is_cancelled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."))
    if not 0 <= seat_count <= MAX_CAPACITY:
        raise _refuse("invalid_seats", _l("Reserved seats must be between 0 and 1,000."), "seats")
    if seat_count and not ts.admits(municipality.id):
        raise _refuse(
            "not_in_audience",
            _l("This session is not open to %(name)s.", name=municipality.name_ja),
            "seats",
        )
    if seat_count and release_at <= now_utc():
        raise _refuse(
            "release_in_past", _l("The release date must be in the future."), "release_at"
        )
    if release_at > ts.starts_at:
        raise _refuse(
            "release_after_start",
            _l("Reserved seats must be released no later than the start of the session."),
            "release_at",
        )
    alloc = seats.set_allocation(ts.id, municipality.id, seat_count, release_at)
    log.info(
        "seats reserved session=%s municipality=%s seats=%s", ts.id, municipality.code, seat_count
    )
    return alloc


def cancel(ts: TrainingSession, reason: str, actor: User) -> int:
    """Call a session off and tell everyone registered; returns how many were told."""
    reason = (reason or "").strip()
    if not reason:
        raise _refuse("missing_reason", _l("Give the reason, for the people registered."), "reason")
    if len(reason) > 1000:
        raise _refuse("invalid_reason", _l("The reason has at most 1,000 characters."), "reason")
    if ts.is_cancelled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."), status=409)
    if ts.starts_at <= now_utc():
        raise DomainError(
            "session_started", _l("The session has already started; it cannot be cancelled.")
        )
    told = seats.cancel_session(ts.id, reason, actor)
    log.info("session cancelled id=%s told=%s by=%s", ts.id, told, actor.id)
    return told


# -- numbers shown with a session --------------------------------------------


@dataclass(frozen=True)
class Counts:
    taken: int = 0
    waiting: int = 0


def counts_for(session_ids: list[int]) -> dict[int, Counts]:
    """Seats taken and the waiting list's length per session, over every municipality."""
    taken: dict[int, int] = {}
    waiting: dict[int, int] = {}
    if session_ids:
        for sid, status, n in db.session.execute(TrainingSession.registration_counts(session_ids)):
            if status in (RegistrationStatus.PENDING, RegistrationStatus.ENROLLED):
                taken[sid] = taken.get(sid, 0) + n
            elif status == RegistrationStatus.WAITLISTED:
                waiting[sid] = n
    return {sid: Counts(taken.get(sid, 0), waiting.get(sid, 0)) for sid in session_ids}


def active_registration_count(ts: TrainingSession) -> int:
    """How many people a cancellation would tell (a count across members)."""
    counts = counts_for([ts.id])[ts.id]
    return counts.taken + counts.waiting


def visible_allocations(ts: TrainingSession, user: User) -> list[SeatAllocation]:
    """Reservation lines the person may see: all for administrators, their own for coordinators."""
    if user.is_regional_admin:
        return list(ts.allocations)
    if user.is_coordinator:
        return [a for a in ts.allocations if a.municipality_id == user.municipality_id]
    return []
