"""Session writes that move seats: changing a plan, reserving seats, calling a session off.

Each goes through the seat engine (:mod:`regional.seats.engine`),
which locks the session row and keeps the counters and the waiting list right;
the plan's rules themselves are the sessions package's.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from regional import seats
from regional.audit import record_audit_across
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import now_utc
from regional.i18n import locale_code
from regional.people.models import User
from regional.registrations import actions, interests
from regional.seats import reservations
from regional.seats.models import ACTIVE, Registration
from regional.seats.reservations import reservation_problem
from regional.sessions.models import SeatAllocation, TrainingSession
from regional.sessions.services import (
    ReservationLine,
    SessionPlan,
    check_plan,
    municipalities,
    refuse,
)
from regional.versions import touch
from tenants.models import Municipality

log = logging.getLogger("regional.audit")


def update_session(ts: TrainingSession, changes: dict, actor: User) -> TrainingSession:
    """Change a session's plan; capacity through the seat service (never below seats in use)."""
    if ts.is_cancelled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."))
    if "program_id" in changes and changes["program_id"] != ts.program_id:
        raise refuse(
            "program_fixed",
            _l("The programme of a session cannot be changed; cancel it and add a new one."),
            "program_id",
        )
    hosted = ts.host_municipality_id is not None
    if hosted:
        for key in ("open_to_all", "audience_ids"):
            changes.pop(key, None)
    before = _plan_dict(SessionPlan.of(ts))
    plan = check_plan(SessionPlan.of(ts).changed(**changes), creating=False, hosted=hosted)
    audience = None if hosted or plan.open_to_all else municipalities(plan.audience_ids)
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
    after = _plan_dict(plan)
    changed = sorted(k for k in after if after[k] != before.get(k))
    if changed:
        audit_session(
            "session.update",
            ts,
            actor,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )
    log.info("session changed id=%s by=%s", ts.id, actor.id)
    # A window moved to now opens the session: people waiting for it are told.
    interests.notify_interested([ts.id])
    return ts


def update_with_reservations(
    ts: TrainingSession, changes: dict, lines: list[ReservationLine], actor: User
) -> TrainingSession:
    """Change a session's plan and every member's reservation in one unit of work.

    Reservations that shrink go first (a smaller capacity may need their seats), then
    the plan (capacity, audience), then the rest against the new plan; the caller
    commits or, on any refusal, rolls everything back.
    """
    before = reservations.snapshot(ts)
    if lines and ts.host_municipality_id is None and not ts.is_cancelled:
        reservations.shrink_first(ts, lines)
    update_session(ts, changes, actor)
    if lines:
        reservations.set_reservations(ts, lines, actor, before=before)
    return ts


def _plan_dict(plan: SessionPlan) -> dict:
    values = dict(vars(plan))
    values["audience_ids"] = sorted(values.get("audience_ids") or [])
    return values


def audit_session(action: str, ts: TrainingSession, actor: User, **kwargs) -> None:  # noqa: ANN003
    """A session's change, in its host's trail (a shared session: the actor's own member's)."""
    record_audit_across(
        action,
        municipality_id=ts.host_municipality_id or actor.municipality_id,
        subject_type="session",
        subject_id=ts.id,
        subject_label=f"{ts.program.code} {ts.starts_at:%Y-%m-%d %H:%M}",
        actor=actor,
        **kwargs,
    )


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
        names = gettext(", ").join(m.name(locale_code()) for m in municipalities(stranded))
        raise refuse(
            "audience_has_registrants",
            _l(
                "Staff of %(names)s are registered; cancel their registrations before "
                "closing the session to them.",
                names=names,
            ),
            "open_to",
        )


def reserve_seats(
    ts: TrainingSession,
    municipality: Municipality,
    seat_count: int,
    release_at: datetime,
    actor: User | None = None,
) -> SeatAllocation:
    """Hold seats of a shared session for one member until ``release_at``."""
    problem = reservation_problem(ts, municipality, seat_count, release_at)
    if problem is not None:
        raise problem
    previous = next((a for a in ts.allocations if a.municipality_id == municipality.id), None)
    before = (
        {"seats": previous.seats, "release_at": previous.release_at} if previous else {"seats": 0}
    )
    alloc = seats.set_allocation(ts.id, municipality.id, seat_count, release_at)
    touch(ts)
    record_audit_across(
        "reservation.update",
        municipality_id=municipality.id,
        subject_type="session",
        subject_id=ts.id,
        subject_label=f"{ts.program.code} {ts.starts_at:%Y-%m-%d %H:%M}",
        before=before,
        after={"seats": seat_count, "release_at": release_at},
        actor=actor,
    )
    log.info(
        "seats reserved session=%s municipality=%s seats=%s", ts.id, municipality.code, seat_count
    )
    return alloc


def cancel(ts: TrainingSession, reason: str, actor: User) -> int:
    """Call a session off and tell everyone registered; returns how many were told."""
    reason = (reason or "").strip()
    if not reason:
        raise refuse("missing_reason", _l("Give the reason, for the people registered."), "reason")
    if len(reason) > 1000:
        raise refuse("invalid_reason", _l("The reason has at most 1,000 characters."), "reason")
    if ts.is_cancelled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."), status=409)
    if ts.starts_at <= now_utc():
        raise DomainError(
            "session_started", _l("The session has already started; it cannot be cancelled.")
        )
    told = actions.cancel_session(ts.id, reason, actor)
    audit_session("session.cancel", ts, actor, detail={"reason": reason, "told": told})
    log.info("session cancelled id=%s told=%s by=%s", ts.id, told, actor.id)
    return told
