"""What needs doing today, per role, for the home page (reads only; one small query each).

* an employee: their next sessions, their places on waiting lists and their interests
  (the required training they lack comes from the measures: regional.targets.required);
* a coordinator: requests awaiting approval, account applications and ended sessions
  whose attendance is not recorded (and, from regional.targets.required, staff who have
  not done required training);
* a regional administrator: sessions filling up or under-subscribed, and ended
  sessions to record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.people.models import User
from regional.registrations.models import ProgramInterest
from regional.seats.models import ACTIVE, Registration, RegistrationStatus
from regional.seats.phases import sessions_to_record
from regional.seats.waitlist import waitlist_positions
from regional.sessions.lifecycle import Phase, phase_clause
from regional.sessions.models import SessionStatus, TrainingSession

RS = RegistrationStatus

#: A session is "filling up" when at most this share of its seats is left.
FILLING_SHARE = 0.2
#: A session is "under-subscribed" when it starts within this many days at most half full.
UNDER_DAYS = 21
LIST_LIMIT = 8


@dataclass
class EmployeeWork:
    next_regs: list[Registration]
    waiting: list[Registration]
    positions: dict[int, int]
    fiscal_year: int
    #: 関心登録: programmes the person asked to hear about, newest first.
    interests: list[ProgramInterest] = field(default_factory=list)


def employee_work(person: User) -> EmployeeWork:
    now = now_utc()
    regs = list(
        db.session.scalars(
            Registration.of_employee(person.id).where(
                Registration.municipality_id == person.municipality_id,
                TrainingSession.ends_at > now,
                TrainingSession.status == SessionStatus.SCHEDULED,
                Registration.status.in_(ACTIVE),
            )
        )
    )
    waiting = [r for r in regs if r.status == RS.WAITLISTED]
    return EmployeeWork(
        next_regs=[r for r in regs if r.status != RS.WAITLISTED][:LIST_LIMIT],
        waiting=waiting,
        positions=waitlist_positions(waiting),
        fiscal_year=fiscal_year_of(now),
        interests=list(db.session.scalars(ProgramInterest.of_employee(person.id))),
    )


@dataclass
class CoordinatorWork:
    pending: list[Registration]
    pending_total: int
    signups: list[User]
    signups_total: int
    to_record: list[TrainingSession]
    to_record_total: int


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def coordinator_work(user: User, municipality_id: int) -> CoordinatorWork:
    """The current municipality's work (the one the coordinator or administrator works in)."""
    pending = Registration.awaiting_approval()
    signups = User.pending_signups()
    visible = TrainingSession.visible_to(None if user.is_regional_admin else municipality_id)
    to_record, to_record_total = sessions_to_record(user, visible, limit=LIST_LIMIT)
    return CoordinatorWork(
        pending=list(db.session.scalars(pending.limit(LIST_LIMIT))),
        pending_total=_count(pending),
        signups=list(db.session.scalars(signups.limit(LIST_LIMIT))),
        signups_total=_count(signups),
        to_record=to_record,
        to_record_total=to_record_total,
    )


@dataclass
class AdminWork:
    filling: list[TrainingSession]
    under: list[TrainingSession]


def admin_work() -> AdminWork:
    """Open or closed-but-ahead sessions of the region that need an eye on their seats."""
    now = now_utc()
    ahead = select(TrainingSession).where(
        phase_clause(Phase.OPEN, now) | phase_clause(Phase.CLOSED, now),
        TrainingSession.capacity > 0,
    )
    filling = list(
        db.session.scalars(
            ahead.where(
                TrainingSession.capacity - TrainingSession.seats_taken
                <= TrainingSession.capacity * FILLING_SHARE
            )
            .order_by(TrainingSession.starts_at)
            .limit(LIST_LIMIT)
        )
    )
    under = list(
        db.session.scalars(
            ahead.where(
                TrainingSession.starts_at <= now + timedelta(days=UNDER_DAYS),
                TrainingSession.seats_taken * 2 < TrainingSession.capacity,
            )
            .order_by(TrainingSession.starts_at)
            .limit(LIST_LIMIT)
        )
    )
    return AdminWork(filling=filling, under=under)
