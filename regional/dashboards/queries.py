"""Reads the dashboards need beyond targets: session use by member, sessions to invite to.

Each is a fixed number of statements, whatever the number of people.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from regional.attendance.models import Completion
from regional.catalogue.models import Program, SkillArea
from regional.extensions import db
from regional.fiscal import fiscal_year_utc_range, now_utc
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.models import SessionStatus, TrainingSession
from tenants.models import Municipality


@dataclass(frozen=True)
class FillRow:
    code: str
    name: str
    #: Seats its staff held in the year's sessions (enrolled, shared or its own).
    seats: int
    attended: int
    no_shows: int
    hosted: int
    hosted_capacity: int
    hosted_taken: int

    @property
    def attendance_rate(self) -> float | None:
        recorded = self.attended + self.no_shows
        return self.attended / recorded if recorded else None

    @property
    def hosted_fill(self) -> float | None:
        return self.hosted_taken / self.hosted_capacity if self.hosted_capacity else None


@dataclass(frozen=True)
class SharedFill:
    sessions: int
    capacity: int
    taken: int

    @property
    def rate(self) -> float | None:
        return self.taken / self.capacity if self.capacity else None


def session_use(fiscal_year: int, locale: str) -> tuple[list[FillRow], SharedFill]:
    """Per member, for the sessions of one fiscal year: seats held, attendance, own sessions.

    Three statements across every member (regional administrators only).
    """
    start, end = fiscal_year_utc_range(fiscal_year)
    in_year = (
        TrainingSession.starts_at >= start,
        TrainingSession.starts_at < end,
        TrainingSession.status == SessionStatus.SCHEDULED,
    )
    regs = db.session.execute(
        select(
            Registration.municipality_id,
            func.count(),
            func.sum(case((Registration.attended.is_(True), 1), else_=0)),
            func.sum(case((Registration.attended.is_(False), 1), else_=0)),
        )
        .join(TrainingSession, TrainingSession.id == Registration.session_id)
        .where(Registration.status == RegistrationStatus.ENROLLED, *in_year)
        .group_by(Registration.municipality_id)
        .execution_options(all_tenants=True)
    ).all()
    by_member = {m: (n, a or 0, ns or 0) for m, n, a, ns in regs}
    sessions = db.session.execute(
        select(
            TrainingSession.host_municipality_id,
            func.count(),
            func.sum(TrainingSession.capacity),
            func.sum(TrainingSession.seats_taken),
        )
        .where(*in_year)
        .group_by(TrainingSession.host_municipality_id)
    ).all()
    hosted = {h: (n, cap or 0, taken or 0) for h, n, cap, taken in sessions}
    rows = []
    for m in db.session.scalars(Municipality.ordered()):
        n, a, ns = by_member.get(m.id, (0, 0, 0))
        hn, cap, taken = hosted.get(m.id, (0, 0, 0))
        rows.append(FillRow(m.code, m.name(locale), n, a, ns, hn, cap, taken))
    sn, scap, staken = hosted.get(None, (0, 0, 0))
    return rows, SharedFill(sn, scap, staken)


#: Which programmes serve a target key: a track or a skill area of the catalogue.
KEY_SCOPE = {
    "advanced": ("track", "advanced_ict"),
    "core_digital": ("track", "digital_tech"),
    "core_pm": ("track", "project_management"),
    "literacy_required": ("area", "literacy_required"),
    "literacy_elective": ("area", "literacy_elective"),
    "security": ("area", "information_security"),
}


def invitable_sessions(key: str, municipality_id: int, limit: int = 30) -> list[TrainingSession]:
    """Coming sessions of the key's current programmes that this member's staff may still join."""
    scope = KEY_SCOPE.get(key)
    if scope is None:
        return []
    now = now_utc()
    stmt = (
        TrainingSession.search(municipality_id, starts_from=now, seats_for=municipality_id)
        .join(Program, Program.id == TrainingSession.program_id)
        .where(
            Program.active.is_(True),
            TrainingSession.registration_opens_at <= now,
            TrainingSession.registration_closes_at > now,
        )
        .limit(limit)
    )
    if scope[0] == "track":
        stmt = stmt.where(Program.track == scope[1])
    else:
        stmt = stmt.where(
            Program.skill_area_id.in_(select(SkillArea.id).where(SkillArea.key == scope[1]))
        )
    return list(db.session.scalars(stmt))


def already_served(
    session: TrainingSession, employee_ids: list[int], fiscal_year: int | None = None
) -> set[int]:
    """Of these people, those registered for the session or who completed its programme
    (in ``fiscal_year`` only, for an annual target; ever, for a cumulative one)."""
    if not employee_ids:
        return set()
    registered = set(
        db.session.scalars(
            select(Registration.employee_id).where(
                Registration.session_id == session.id,
                Registration.employee_id.in_(employee_ids),
                Registration.status.in_(
                    (
                        RegistrationStatus.PENDING,
                        RegistrationStatus.ENROLLED,
                        RegistrationStatus.WAITLISTED,
                    )
                ),
            )
        )
    )
    completed = select(Completion.employee_id).where(
        Completion.program_id == session.program_id, Completion.employee_id.in_(employee_ids)
    )
    if fiscal_year is not None:
        completed = completed.where(Completion.fiscal_year == fiscal_year)
    done = set(db.session.scalars(completed))
    return registered | done
