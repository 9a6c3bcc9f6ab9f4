"""What the registration pages show: assembled reads, never writes.

The session panel (included by the session detail page) and the coordinator
pages share these. Whole-session numbers are counts only; names come from the
viewer's own municipality, except for regional administrators.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from flask_babel import gettext as _
from sqlalchemy import func, select

from regional import attendance
from regional.catalogue.eligibility import Eligibility
from regional.extensions import db
from regional.fiscal import now_utc
from regional.people.models import AccountStatus, User
from regional.registrations.eligibility import eligibility_of
from regional.seats import waitlist
from regional.seats.models import ACTIVE, Registration, RegistrationStatus
from regional.sessions.models import TrainingSession
from tenants import all_tenants
from tenants.models import Municipality, OrgUnit

RS = RegistrationStatus


@dataclass
class Counts:
    """Seats of a whole session (every municipality), and how many wait."""

    capacity: int
    taken: int
    left: int
    waiting: int
    #: Of the viewer's municipality, by status (coordinators).
    own: Counter = field(default_factory=Counter)


def whole_counts(sessions: list[TrainingSession]) -> dict[int, Counts]:
    """Whole-session numbers for many sessions in two queries (counts only, every municipality)."""
    ids = [s.id for s in sessions]
    waiting: Counter = Counter()
    own: dict[int, Counter] = {i: Counter() for i in ids}
    if ids:
        waiting.update(
            dict(
                db.session.execute(
                    select(Registration.session_id, func.count())
                    .where(Registration.session_id.in_(ids), Registration.status == RS.WAITLISTED)
                    .group_by(Registration.session_id)
                    .execution_options(all_tenants=True)  # numbers only, never rows
                ).all()
            )
        )
        for session_id, status, n in db.session.execute(Registration.counts_by_session(ids)):
            own[session_id][RS(status).value] = n
    return {
        s.id: Counts(s.capacity, s.seats_taken, s.seats_left, waiting[s.id], own[s.id])
        for s in sessions
    }


def own_registration(ts_id: int, viewer: User) -> Registration | None:
    """``viewer``'s registration for a session (in their own municipality)."""
    return db.session.scalar(
        select(Registration)
        .where(
            Registration.session_id == ts_id,
            Registration.employee_id == viewer.id,
            Registration.municipality_id == viewer.municipality_id,
        )
        # Scoped by hand: an administrator acting in another member still sees their own.
        .execution_options(all_tenants=True)
    )


@dataclass
class Panel:
    """Everything the registration panel of one session needs for the signed-in person."""

    ts: TrainingSession
    mine: Registration | None
    position: int | None
    eligibility: Eligibility | None
    #: Why registering is not possible now (None: it is).
    closed_reason: str | None
    can_cancel: bool
    cancel_note: str | None
    counts: Counts
    #: Coordinators: their municipality's registrations (administrators: every municipality's).
    registrants: list[Registration]
    positions: dict[int, int]
    #: Administrators: registrants grouped as (municipality, registrations).
    groups: list[tuple[Municipality, list[Registration]]]
    #: The viewer may record attendance, and can now: the session has started and is not
    #: cancelled (before that the attendance page would only say it cannot be done yet).
    may_attendance: bool
    admits_here: bool
    #: Why a coordinator cannot register their staff now (None: they can).
    staff_block: str | None = None

    @property
    def may_register_staff(self) -> bool:
        return self.admits_here and self.staff_block is None


def _closed_reason(ts: TrainingSession, now: datetime) -> str | None:
    if ts.is_cancelled:
        return _("This session has been cancelled.")
    if now >= ts.starts_at:
        return _("This session has already started.")
    if now < ts.registration_opens_at:
        return _("Registration has not opened yet.")
    if now > ts.registration_closes_at:
        return _("Registration has closed.")
    return None


def _staff_block(ts: TrainingSession, now: datetime, viewer: User) -> str | None:
    """Why registering staff would be refused now; administrators may add late or past people."""
    if viewer.is_regional_admin and not ts.is_cancelled:
        return None
    return _closed_reason(ts, now)


def _cancel_state(ts: TrainingSession, reg: Registration | None, now: datetime, viewer: User):
    """(may the person cancel themselves, a note on the deadline)."""
    if reg is None or reg.status not in ACTIVE:
        return False, None
    if reg.attended is not None or now >= ts.starts_at:
        return False, None
    if viewer.is_coordinator:
        return True, None
    deadline = ts.cancellation_deadline
    if reg.status.holds_seat and deadline is not None and now > deadline:
        return False, _(
            "The cancellation deadline has passed; please ask your training coordinator."
        )
    return True, None


def session_panel(ts: TrainingSession, viewer: User, here: Municipality | None) -> Panel:
    """The panel's data for ``viewer``, acting in ``here`` (see ``_session_panel.html``)."""
    now = now_utc()
    mine = own_registration(ts.id, viewer)
    admits_here = here is not None and ts.admits(here.id)
    eligibility = None
    if ts.admits(viewer.municipality_id) and (mine is None or mine.status not in ACTIVE):
        eligibility = eligibility_of(ts.program, viewer)
    can_cancel, cancel_note = _cancel_state(ts, mine, now, viewer)
    registrants: list[Registration] = []
    groups: list[tuple[Municipality, list[Registration]]] = []
    if viewer.is_regional_admin:
        with all_tenants(db.session):
            registrants = list(db.session.scalars(Registration.registrants(ts.id)))
        groups = [
            (regs[0].employee.municipality, regs)
            for _m, regs in (
                (k, list(g)) for k, g in groupby(registrants, key=lambda r: r.municipality_id)
            )
        ]
    elif viewer.is_coordinator:
        registrants = list(db.session.scalars(Registration.registrants(ts.id)))
    return Panel(
        ts=ts,
        mine=mine,
        position=waitlist.waitlist_position(mine) if mine is not None else None,
        eligibility=eligibility,
        closed_reason=_closed_reason(ts, now),
        can_cancel=can_cancel,
        cancel_note=cancel_note,
        counts=whole_counts([ts])[ts.id],
        registrants=registrants,
        positions=waitlist.waitlist_positions(registrants),
        groups=groups,
        may_attendance=attendance.may_record_attendance(ts, viewer)
        and not ts.is_cancelled
        and ts.starts_at <= now,
        admits_here=admits_here,
        staff_block=_staff_block(ts, now, viewer) if viewer.is_coordinator else None,
    )


def staff_search(ts_id: int, q: str, limit: int = 20) -> list[User]:
    """Active people of the current municipality matching ``q`` who are not yet registered."""
    registered = select(Registration.employee_id).where(
        Registration.session_id == ts_id, Registration.status.in_(ACTIVE)
    )
    stmt = (
        User.listing(q)
        .where(User.status == AccountStatus.ACTIVE, User.id.not_in(registered))
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def unit_paths(municipality_ids: set[int]) -> dict[tuple[int, int], str]:
    """(municipality, unit id) -> '局/課/係' for every unit of these members, in one query."""
    if not municipality_ids:
        return {}
    with all_tenants(db.session):
        units = list(
            db.session.execute(
                select(OrgUnit.municipality_id, OrgUnit.id, OrgUnit.parent_id, OrgUnit.name).where(
                    OrgUnit.municipality_id.in_(municipality_ids)
                )
            )
        )
    by_key = {(m, i): (p, n) for m, i, p, n in units}
    paths: dict[tuple[int, int], str] = {}
    for m, i, _p, _n in units:
        parts, key, seen = [], (m, i), set()
        while key in by_key and key not in seen:
            seen.add(key)
            parent, name = by_key[key]
            parts.append(name)
            key = (m, parent)
        paths[(m, i)] = "/".join(reversed(parts))
    return paths
