"""Sessions: the rules of a session's plan, and adding one (who may see one: :mod:`.access`).

Seats are never counted here: changing capacity, reservations and calling a
session off go through the seat engine, in
:mod:`regional.registrations.session_changes`, which locks the session row
and keeps the counters and the waiting list right.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from regional.audit import record_audit_across
from regional.catalogue.models import Program
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import now_utc
from regional.people.models import User
from regional.sessions.models import SeatAllocation, TrainingSession
from tenants.models import Municipality

log = logging.getLogger("regional.audit")

MAX_CAPACITY = 1000


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


@dataclass(frozen=True)
class ReservationLine:
    """One member's reservation as asked for: seats, and the release time (None: keep or default).

    Set through :mod:`regional.seats.reservations` (seats move in the seat engine).
    """

    municipality: Municipality
    seats: int
    release_at: datetime | None


def refuse(code: str, message, field_name: str) -> DomainError:
    """A refusal that names the form field at fault."""
    return DomainError(code, message, field=field_name)


def check_plan(
    plan: SessionPlan, *, creating: bool, hosted: bool, past_allowed: bool = False
) -> SessionPlan:
    """Apply the scheduling rules; the first broken rule is refused with its field named.

    ``past_allowed``: a regional administrator entering a session that already took
    place (history from before the platform) may give a start and a window in the past.
    """
    problems = plan_problems(plan, creating=creating, hosted=hosted, past_allowed=past_allowed)
    if problems:
        raise problems[0]
    return plan


def _not_after(value: datetime | None, bound: datetime | None) -> bool:
    """``value <= bound``, False while either is unknown."""
    return value is not None and bound is not None and value <= bound


def _after(value: datetime | None, bound: datetime | None) -> bool:
    """``value > bound``, False while either is unknown."""
    return value is not None and bound is not None and value > bound


def plan_problems(
    plan: SessionPlan, *, creating: bool, hosted: bool, past_allowed: bool = False
) -> list[DomainError]:
    """Every scheduling rule the plan breaks, each with its field, in the order of the form.

    The form shows them all at once; the API answers the first (:func:`check_plan`).
    A time not given (None: the form could not read it) is left to the field's own message.
    """
    plan.venue = (plan.venue or "").strip()
    plan.notes = (plan.notes or "").strip()
    plan.online_url = (plan.online_url or "").strip() or None
    return [
        problem
        for check in (_place_problems, _time_problems, _audience_problems)
        for problem in check(plan, creating=creating, hosted=hosted, past_allowed=past_allowed)
    ]


def _place_problems(plan: SessionPlan, **_context: bool) -> list[DomainError]:
    problems = []
    if len(plan.venue) > 200:
        problems.append(
            refuse("invalid_venue", _l("The venue has at most 200 characters."), "venue")
        )
    if len(plan.notes) > 2000:
        problems.append(
            refuse("invalid_notes", _l("The notes have at most 2,000 characters."), "notes")
        )
    if plan.online_url is not None:
        parts = urlsplit(plan.online_url)
        if parts.scheme != "https" or not parts.hostname or len(plan.online_url) > 500:
            problems.append(
                refuse(
                    "invalid_url",
                    _l(
                        "The online address must be a full https:// address "
                        "(at most 500 characters)."
                    ),
                    "online_url",
                )
            )
    if not plan.venue and plan.online_url is None:
        problems.append(refuse("missing_venue", _l("Give a venue or an online address."), "venue"))
    if plan.capacity is not None and not 0 <= plan.capacity <= MAX_CAPACITY:
        problems.append(
            refuse("invalid_capacity", _l("Capacity must be between 0 and 1,000."), "capacity")
        )
    return problems


def _time_problems(
    plan: SessionPlan, *, creating: bool, past_allowed: bool, **_context: bool
) -> list[DomainError]:
    now = now_utc() if creating and not past_allowed else None
    problems = []
    if _not_after(plan.ends_at, plan.starts_at):
        problems.append(
            refuse("ends_before_start", _l("The end must be after the start."), "ends_at")
        )
    if _not_after(plan.starts_at, now):
        problems.append(
            refuse("starts_in_past", _l("The start must be in the future."), "starts_at")
        )
    closes = plan.registration_closes_at
    if _not_after(closes, plan.registration_opens_at):
        problems.append(
            refuse(
                "window_inverted",
                _l("Registration must close after it opens."),
                "registration_closes_at",
            )
        )
    elif _after(closes, plan.starts_at):
        problems.append(
            refuse(
                "closes_after_start",
                _l("Registration must close no later than the start of the session."),
                "registration_closes_at",
            )
        )
    elif _not_after(closes, now):
        problems.append(
            refuse(
                "closes_in_past",
                _l("Registration must close in the future."),
                "registration_closes_at",
            )
        )
    if _after(plan.cancellation_deadline, plan.starts_at):
        problems.append(
            refuse(
                "deadline_after_start",
                _l("The cancellation deadline must be no later than the start."),
                "cancellation_deadline",
            )
        )
    return problems


def _audience_problems(plan: SessionPlan, *, hosted: bool, **_context: bool) -> list[DomainError]:
    if not hosted and not plan.open_to_all and not plan.audience_ids:
        return [
            refuse(
                "missing_audience",
                _l("Choose at least one municipality, or open the session to every member."),
                "open_to",
            )
        ]
    return []


def _program_for_session(program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        raise refuse("unknown_program", _l("There is no such programme."), "program_id")
    if not program.active:
        raise refuse(
            "program_retired",
            _l("This programme has been retired; sessions cannot be added."),
            "program_id",
        )
    return program


def municipalities(ids: list[int]) -> list[Municipality]:
    found = list(db.session.scalars(select(Municipality).where(Municipality.id.in_(ids))))
    if len(found) != len(set(ids)):
        raise refuse("unknown_municipality", _l("Unknown municipality."), "open_to")
    return found


# -- writes ------------------------------------------------------------------


def create_session(
    plan: SessionPlan,
    actor: User,
    *,
    host_id: int | None = None,
    copied_from: TrainingSession | None = None,
) -> TrainingSession:
    """Add a session: shared by the region (administrators) or hosted by the actor's member.

    ``host_id``: a regional administrator adding a member's own session (a copy of one).
    ``copied_from``: the session this one duplicates (the trail names it).
    """
    hosted = not actor.is_regional_admin or host_id is not None
    if hosted and not actor.is_coordinator:
        raise DomainError("forbidden", _l("You are not allowed to do this."), status=403)
    # Only regional administrators enter past sessions (records of training already given).
    check_plan(plan, creating=True, hosted=hosted, past_allowed=actor.is_regional_admin)
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
        ts.host_municipality_id = host_id if actor.is_regional_admin else actor.municipality_id
        ts.open_to_all = False
    else:
        ts.open_to_all = plan.open_to_all
        ts.audience = [] if plan.open_to_all else municipalities(plan.audience_ids)
    db.session.add(ts)
    db.session.flush()
    record_audit_across(
        "session.create" if copied_from is None else "session.duplicate",
        municipality_id=ts.host_municipality_id or actor.municipality_id,
        subject_type="session",
        subject_id=ts.id,
        subject_label=f"{program.code} {ts.starts_at:%Y-%m-%d %H:%M}",
        after={
            "program": program.code,
            "starts_at": ts.starts_at,
            "ends_at": ts.ends_at,
            "capacity": ts.capacity,
            "venue": ts.venue,
        },
        detail=None if copied_from is None else {"copied_from": copied_from.id},
        actor=actor,
    )
    log.info("session added id=%s program=%s by=%s", ts.id, program.code, actor.id)
    return ts


def visible_allocations(ts: TrainingSession, user: User) -> list[SeatAllocation]:
    """Reservation lines the person may see: all for administrators, their own for coordinators."""
    if user.is_regional_admin:
        return list(ts.allocations)
    if user.is_coordinator:
        return [a for a in ts.allocations if a.municipality_id == user.municipality_id]
    return []
