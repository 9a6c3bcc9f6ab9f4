"""The programme review (研修の見直し): one programme's year for the yearly review meeting.

Sessions held with their seats and waiting lists (the platform's one count,
:func:`regional.seats.counts.counts_for`), seats taken and completions per member,
the survey's results with their trend over years, and the free-text comments without names.
A coordinator reads their own member's part (the wall); a regional administrator all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from regional.catalogue.models import Program
from regional.extensions import db
from regional.fiscal import fiscal_year_utc_range, now_utc
from regional.people.models import User
from regional.seats import Counts, counts_for
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.models import SessionStatus, TrainingSession
from regional.surveys.results import Results, Scope, results, trend, viewing
from tenants.models import Municipality

RS = RegistrationStatus


@dataclass
class SessionLine:
    session: TrainingSession
    counts: Counts
    survey: Results


@dataclass
class MemberLine:
    code: str
    name: str
    taken: int
    waiting: int
    attended: int
    absent: int

    @property
    def completion_rate(self) -> float | None:
        recorded = self.attended + self.absent
        return self.attended / recorded if recorded else None


@dataclass
class TrendYear:
    """One fiscal year of the trend: the survey's and follow-up's results, and completion."""

    fiscal_year: int
    survey: Results
    attended: int
    absent: int

    @property
    def completion_rate(self) -> float | None:
        recorded = self.attended + self.absent
        return self.attended / recorded if recorded else None


@dataclass
class Review:
    program: Program
    fiscal_year: int
    sessions: list[SessionLine] = field(default_factory=list)
    members: list[MemberLine] = field(default_factory=list)
    survey: Results | None = None
    trend: list[TrendYear] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(s.session.capacity for s in self.sessions)

    @property
    def taken(self) -> int:
        return sum(s.counts.taken for s in self.sessions)

    @property
    def waiting(self) -> int:
        return sum(s.counts.waiting for s in self.sessions)


def sessions_of_year(program_id: int, fiscal_year: int) -> list[TrainingSession]:
    """The programme's sessions of the year that were held (not called off), by date."""
    start, end = fiscal_year_utc_range(fiscal_year)
    return list(
        db.session.scalars(
            select(TrainingSession)
            .where(
                TrainingSession.program_id == program_id,
                TrainingSession.status == SessionStatus.SCHEDULED,
                TrainingSession.starts_at >= start,
                TrainingSession.starts_at < end,
                TrainingSession.starts_at <= now_utc(),
            )
            .order_by(TrainingSession.starts_at, TrainingSession.id)
        )
    )


def member_lines(session_ids: list[int], viewer: User, locale: str) -> list[MemberLine]:
    """Per member (all for an administrator, their own for a coordinator): seats taken,
    waiting, attended and absent over the sessions."""
    by_member: dict[int, list[int]] = {}
    if session_ids:
        with viewing(viewer):
            rows = db.session.execute(
                select(
                    Registration.municipality_id,
                    func.sum(
                        case((Registration.status.in_((RS.ENROLLED, RS.PENDING)), 1), else_=0)
                    ),
                    func.sum(case((Registration.status == RS.WAITLISTED, 1), else_=0)),
                    func.sum(case((Registration.attended.is_(True), 1), else_=0)),
                    func.sum(case((Registration.attended.is_(False), 1), else_=0)),
                )
                .where(Registration.session_id.in_(session_ids))
                .group_by(Registration.municipality_id)
            ).all()
        by_member = {m: [int(x or 0) for x in rest] for m, *rest in rows}
    members = db.session.scalars(Municipality.ordered())
    return [
        MemberLine(m.code, m.name(locale), *by_member.get(m.id, [0, 0, 0, 0]))
        for m in members
        if viewer.is_regional_admin or m.id == viewer.municipality_id
    ]


def program_review(program: Program, fiscal_year: int, viewer: User, locale: str) -> Review:
    review = Review(program=program, fiscal_year=fiscal_year)
    held = sessions_of_year(program.id, fiscal_year)
    counts = counts_for([s.id for s in held])
    review.sessions = [
        SessionLine(s, counts[s.id], results(Scope(session_id=s.id), viewer, locale)) for s in held
    ]
    review.members = member_lines([s.id for s in held], viewer, locale)
    review.survey = results(Scope(program_id=program.id, fiscal_year=fiscal_year), viewer, locale)
    review.trend = [
        _trend_year(program.id, fy, found, viewer, locale)
        for fy, found in trend(program.id, viewer, locale)
    ]
    return review


def _trend_year(program_id: int, fy: int, found: Results, viewer: User, locale: str) -> TrendYear:
    held = [s.id for s in sessions_of_year(program_id, fy)]
    lines = member_lines(held, viewer, locale)
    return TrendYear(fy, found, sum(m.attended for m in lines), sum(m.absent for m in lines))
