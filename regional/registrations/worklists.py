"""What needs doing today, per role, for the home page (reads only; one small query each).

* an employee: their next sessions, their places on waiting lists, and the required
  training (情報セキュリティ; デジタルリテラシー基礎（必須） for 行政職等) not yet done
  this fiscal year;
* a coordinator: requests awaiting approval, account applications, ended sessions
  whose attendance is not recorded, and staff who have not done required training;
* a regional administrator: sessions filling up or under-subscribed, and ended
  sessions to record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, or_, select

from regional.catalogue.models import Program, SkillArea
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.people.models import AccountStatus, JobCategory, User
from regional.registrations.models import (
    Completion,
    ProgramInterest,
    Registration,
    RegistrationStatus,
)
from regional.registrations.phases import sessions_to_record
from regional.registrations.waitlist import waitlist_positions
from regional.sessions.lifecycle import Phase, phase_clause
from regional.sessions.models import SessionStatus, TrainingSession

RS = RegistrationStatus

#: Skill areas everyone concerned completes every fiscal year, and who is concerned.
REQUIRED_AREAS = {
    "information_security": None,  # every employee who handles ICT equipment: everyone here
    "literacy_required": JobCategory.ADMINISTRATIVE,  # 行政職等
}
#: A session is "filling up" when at most this share of its seats is left.
FILLING_SHARE = 0.2
#: A session is "under-subscribed" when it starts within this many days at most half full.
UNDER_DAYS = 21
LIST_LIMIT = 8


def required_area_keys(person: User) -> list[str]:
    """The required areas that concern this person."""
    return [k for k, who in REQUIRED_AREAS.items() if who is None or person.job_category == who]


def _areas(keys) -> list[SkillArea]:
    keys = list(keys)
    if not keys:
        return []
    return list(
        db.session.scalars(
            select(SkillArea).where(SkillArea.key.in_(keys)).order_by(SkillArea.position)
        )
    )


def missing_required(person: User, fy: int | None = None) -> list[SkillArea]:
    """Required areas this person has no completion in for the fiscal year (default: current)."""
    fy = fiscal_year_of(now_utc()) if fy is None else fy
    keys = required_area_keys(person)
    done = set(
        db.session.scalars(
            select(Completion.skill_area_key).where(
                Completion.employee_id == person.id,
                Completion.municipality_id == person.municipality_id,
                Completion.fiscal_year == fy,
                Completion.skill_area_key.in_(keys),
            )
        )
    )
    return _areas(k for k in keys if k not in done)


@dataclass
class StaffGap:
    person: User
    areas: list[str]


def _missing_any(fy: int):
    """Active staff (of the current municipality) missing some required area in ``fy``."""

    def not_done(key: str):
        return ~(
            select(Completion.id)
            .where(
                Completion.employee_id == User.id,
                Completion.municipality_id == User.municipality_id,
                Completion.fiscal_year == fy,
                Completion.skill_area_key == key,
            )
            .exists()
        )

    concerned = [
        not_done(key) if who is None else (User.job_category == who) & not_done(key)
        for key, who in REQUIRED_AREAS.items()
    ]
    return select(User).where(User.status == AccountStatus.ACTIVE, or_(*concerned))


def staff_missing_required(fy: int | None = None, limit: int | None = LIST_LIMIT):
    """(first staff missing a required area this fiscal year with those areas, how many in all)."""
    fy = fiscal_year_of(now_utc()) if fy is None else fy
    stmt = _missing_any(fy)
    total = _count(stmt)
    page = stmt.order_by(User.employee_number, User.id)
    people = list(db.session.scalars(page if limit is None else page.limit(limit)))
    done: dict[int, set[str]] = defaultdict(set)
    if people:
        for employee_id, key in db.session.execute(
            select(Completion.employee_id, Completion.skill_area_key).where(
                Completion.employee_id.in_([p.id for p in people]),
                Completion.fiscal_year == fy,
                Completion.skill_area_key.in_(REQUIRED_AREAS),
            )
        ):
            done[employee_id].add(key)
    gaps = [StaffGap(p, [k for k in required_area_keys(p) if k not in done[p.id]]) for p in people]
    return gaps, total


def _programs_for(keys: list[str]) -> dict[str, list[Program]]:
    """Active programmes of these areas, to link from a worklist."""
    found: dict[str, list[Program]] = defaultdict(list)
    if keys:
        for program in db.session.scalars(
            select(Program)
            .join(SkillArea, SkillArea.id == Program.skill_area_id)
            .where(SkillArea.key.in_(keys), Program.active.is_(True))
            .order_by(Program.code)
        ):
            found[program.skill_area.key].append(program)
    return found


@dataclass
class EmployeeWork:
    next_regs: list[Registration]
    waiting: list[Registration]
    positions: dict[int, int]
    missing: list[SkillArea]
    programs: dict[str, list[Program]]
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
                Registration.status.in_((RS.ENROLLED, RS.PENDING, RS.WAITLISTED)),
            )
        )
    )
    waiting = [r for r in regs if r.status == RS.WAITLISTED]
    missing = missing_required(person)
    return EmployeeWork(
        next_regs=[r for r in regs if r.status != RS.WAITLISTED][:LIST_LIMIT],
        waiting=waiting,
        positions=waitlist_positions(waiting),
        missing=missing,
        programs=_programs_for([a.key for a in missing]),
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
    staff_gaps: list[StaffGap]
    staff_gaps_total: int
    areas: dict[str, SkillArea] = field(default_factory=dict)


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def coordinator_work(user: User, municipality_id: int) -> CoordinatorWork:
    """The current municipality's work (the one the coordinator or administrator works in)."""
    pending = Registration.awaiting_approval()
    signups = User.pending_signups()
    visible = TrainingSession.visible_to(None if user.is_regional_admin else municipality_id)
    to_record, to_record_total = sessions_to_record(user, visible, limit=LIST_LIMIT)
    gaps, gaps_total = staff_missing_required()
    return CoordinatorWork(
        pending=list(db.session.scalars(pending.limit(LIST_LIMIT))),
        pending_total=_count(pending),
        signups=list(db.session.scalars(signups.limit(LIST_LIMIT))),
        signups_total=_count(signups),
        to_record=to_record,
        to_record_total=to_record_total,
        staff_gaps=gaps,
        staff_gaps_total=gaps_total,
        areas={a.key: a for a in _areas(REQUIRED_AREAS)},
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
