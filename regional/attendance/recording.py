"""Attendance and completions: marking who attended, and completions from e-learning.

Every completion recorded here gets its certificate in the same transaction, and a
completion withdrawn has its certificate revoked first
(:mod:`regional.attendance.certification`).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from regional.attendance.certification import issue_certificates, withdraw_certificates
from regional.attendance.models import Completion, CompletionSource
from regional.audit import record_audit_across
from regional.catalogue.models import Program
from regional.errors import DomainError, Forbidden
from regional.extensions import db
from regional.fiscal import fiscal_year_of, local_date, now_utc
from regional.people.models import User
from regional.roles import acts_for
from regional.seats import lock_session
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.models import TrainingSession
from tenants import all_tenants

RS = RegistrationStatus

#: Called with the registrations marked attended, in the same transaction (the survey
#: invitation is the one today: regional.surveys.install_surveys).
AFTER_ATTENDED: list = []


def may_record_attendance(ts: TrainingSession, user: User) -> bool:
    """Regional administrators record anyone's attendance; a coordinator their own people's.

    A coordinator may record at any session (their staff may have attended a shared
    one): the roster and the marks are tenant-scoped, so they reach only their people.
    """
    return user.is_regional_admin or user.is_coordinator


def attendance_roster(ts: TrainingSession, user: User) -> list[Registration]:
    """Everyone enrolled in a session, for its host (all municipalities for a shared session)."""
    stmt = Registration.roster(ts.id)
    if user.is_regional_admin:
        with all_tenants(db.session):
            return list(db.session.scalars(stmt))
    return list(db.session.scalars(stmt))


def record_attendance(
    ts_id: int, marks: Iterable[tuple[int, bool]], actor: User
) -> tuple[int, int]:
    """Mark attendance for registrations of a started session; attended means completed.

    All or nothing: one bad line refuses the whole batch. Returns (attended, absent).
    A regional administrator records for every municipality of a shared session.
    """
    ts = lock_session(ts_id)
    if not may_record_attendance(ts, actor):
        raise Forbidden(
            "forbidden",
            _l("Attendance is recorded by training coordinators and regional administrators."),
        )
    if ts.is_cancelled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."))
    if ts.starts_at > now_utc():
        raise DomainError(
            "session_not_started", _l("Attendance can be recorded once the session has started.")
        )
    marks = list(marks)
    ids = [rid for rid, _present in marks]
    if len(ids) != len(set(ids)):
        raise DomainError("duplicate_registration", _l("A registration appears twice."))
    if actor.is_regional_admin:
        with all_tenants(db.session):
            return _apply_attendance(ts, marks, actor)
    return _apply_attendance(ts, marks, actor)


def _apply_attendance(
    ts: TrainingSession, marks: list[tuple[int, bool]], actor: User
) -> tuple[int, int]:
    """The marks in order: the registrations checked, each marked, completions added or
    withdrawn with their certificates, then one audit entry per member."""
    regs = _enrolled_registrations(ts, [rid for rid, _present in marks])
    day = local_date(ts.starts_at)
    by_reg, same_day = _completions_on_record(ts, regs, day)
    marking = _Marking()
    for rid, present in marks:
        marking.mark(regs[rid], present, by_reg.get(rid))
    for reg in marking.to_complete:
        # Already completed that day by another route (e-learning import): one record is enough.
        if reg.employee_id not in same_day:
            marking.added.append(_completion_for(reg, ts, actor))
    _settle_completions(ts, day, marking, actor)
    for hook in AFTER_ATTENDED:
        hook([regs[rid] for rid, present in marks if present], actor)
    _audit_attendance(ts, marking.trail, actor)
    return marking.attended, len(marks) - marking.attended


def _enrolled_registrations(ts: TrainingSession, ids: list[int]) -> dict[int, Registration]:
    """The session's registrations by id; every one must be enrolled, or nothing is marked."""
    regs = {
        r.id: r
        for r in db.session.scalars(
            select(Registration).where(Registration.id.in_(ids), Registration.session_id == ts.id)
        )
    }
    problems = [rid for rid in ids if rid not in regs or regs[rid].status != RS.ENROLLED]
    if problems:
        raise DomainError(
            "not_enrolled",
            _l(
                "These registrations are not enrolled in this session: %(ids)s",
                ids=", ".join(str(p) for p in problems),
            ),
            ids=problems,
        )
    return regs


def _completions_on_record(
    ts: TrainingSession, regs: dict[int, Registration], day: date
) -> tuple[dict[int, Completion], set[int]]:
    """Completions already recorded: by registration, and the people who completed the
    programme that day by another route (an e-learning import, or another session of the
    same programme that day: one completion per person, programme and day, the database's
    rule)."""
    employees = {r.employee_id for r in regs.values()}
    existing = list(
        db.session.scalars(
            select(Completion).where(
                or_(
                    Completion.registration_id.in_(list(regs)),
                    Completion.employee_id.in_(employees)
                    & (Completion.program_id == ts.program_id)
                    & (Completion.completed_on == day),
                )
            )
        )
    )
    by_reg = {c.registration_id: c for c in existing if c.registration_id in regs}
    same_day = {
        c.employee_id
        for c in existing
        if c.registration_id not in regs and c.program_id == ts.program_id and c.completed_on == day
    }
    return by_reg, same_day


@dataclass
class _Marking:
    """What marking a session's attendance changes, gathered before it is written."""

    now: datetime = field(default_factory=now_utc)
    attended: int = 0
    #: The audit lines, per member.
    trail: dict[int, list[dict]] = field(default_factory=dict)
    #: Present without a completion of this registration yet.
    to_complete: list[Registration] = field(default_factory=list)
    added: list[Completion] = field(default_factory=list)
    #: Marked absent with a completion on record: it goes.
    withdrawn: list[tuple[Registration, Completion]] = field(default_factory=list)

    def mark(self, reg: Registration, present: bool, done: Completion | None) -> None:
        self.trail.setdefault(reg.municipality_id, []).append(
            {
                "registration_id": reg.id,
                "employee_id": reg.employee_id,
                "name": reg.employee.name,
                "before": reg.attended,
                "attended": present,
            }
        )
        reg.attended, reg.attendance_recorded_at = present, self.now
        if present:
            self.attended += 1
            if done is None:
                self.to_complete.append(reg)
        elif done is not None:
            self.withdrawn.append((reg, done))


def _settle_completions(ts: TrainingSession, day: date, marking: _Marking, actor: User) -> None:
    """Withdrawn completions go (their certificates revoked first, kept as records), new
    ones are added, and certificates are issued for what was added."""
    withdraw_certificates([gone for _reg, gone in marking.withdrawn], actor)
    for _reg, gone in marking.withdrawn:
        db.session.delete(gone)
    db.session.add_all(marking.added)
    db.session.flush()
    added = marking.added + _keep_other_sessions_of_the_day(ts, day, marking.withdrawn, actor)
    issue_certificates(added, actor)


def _audit_attendance(ts: TrainingSession, trail: dict[int, list[dict]], actor: User) -> None:
    for municipality_id, lines in trail.items():
        record_audit_across(
            "attendance.record",
            municipality_id=municipality_id,
            subject_type="session",
            subject_id=ts.id,
            subject_label=f"{ts.program.code} {ts.starts_at:%Y-%m-%d}",
            detail={
                "attended": sum(1 for x in lines if x["attended"]),
                "absent": sum(1 for x in lines if not x["attended"]),
                "marks": lines,
            },
            actor=actor,
        )


def _keep_other_sessions_of_the_day(
    ts: TrainingSession, day: date, withdrawn: list[tuple[Registration, Completion]], actor: User
) -> list[Completion]:
    """A completion withdrawn (marked absent) that another attended session of the same
    programme that day also stood for moves to that session's registration (returned)."""
    moved: list[Completion] = []
    for reg, _gone in withdrawn:
        other = db.session.scalar(
            select(Registration)
            .join(TrainingSession, TrainingSession.id == Registration.session_id)
            .where(
                Registration.employee_id == reg.employee_id,
                Registration.attended.is_(True),
                Registration.id != reg.id,
                TrainingSession.program_id == ts.program_id,
                TrainingSession.id != ts.id,
            )
            .order_by(Registration.id)
        )
        if other is not None and local_date(other.session.starts_at) == day:
            moved.append(_completion_for(other, other.session, actor))
            db.session.add(moved[-1])
    if withdrawn:
        db.session.flush()
    return moved


def _completion(
    program: Program,
    municipality_id: int,
    employee_id: int,
    day: date,
    source: CompletionSource,
    actor: User,
    *,
    ts: TrainingSession | None = None,
    reg: Registration | None = None,
) -> Completion:
    """A completion carrying the programme as it is now (later edits never rewrite it)."""
    snap = program.snapshot()
    return Completion(
        municipality_id=municipality_id,
        employee_id=employee_id,
        program_id=program.id,
        program_revision=program.revision,
        program_code=snap["code"],
        title_ja=snap["title_ja"],
        title_en=snap["title_en"],
        tier=snap["tier"],
        track=snap["track"],
        skill_area_key=snap["skill_area"],
        hours=program.hours,
        session_id=ts.id if ts else None,
        registration_id=reg.id if reg else None,
        completed_on=day,
        fiscal_year=fiscal_year_of(day),
        source=source,
        recorded_by_id=actor.id,
    )


def _completion_for(reg: Registration, ts: TrainingSession, actor: User) -> Completion:
    return _completion(
        ts.program,
        reg.municipality_id,
        reg.employee_id,
        local_date(ts.starts_at),
        CompletionSource.ATTENDANCE,
        actor,
        ts=ts,
        reg=reg,
    )


def add_completions(items: Iterable[tuple[User, Program, date]], actor: User) -> int:
    """Record completions from an e-learning system (checked by the preview); all or nothing.

    Coordinators record for their own staff; regional administrators for anyone. Each
    completion gets its certificate, unless its programme revision has one already.
    """
    rows = list(items)
    for employee, _program, _day in rows:
        if not acts_for(actor, employee.municipality_id):
            raise Forbidden("forbidden", _l("You may record completions only for your own staff."))
    # Administrators write into many municipalities at once; each row names its own.
    scope = all_tenants(db.session) if actor.is_regional_admin else nullcontext()
    with scope:
        added = [
            _completion(
                program,
                employee.municipality_id,
                employee.id,
                day,
                CompletionSource.ELEARNING_IMPORT,
                actor,
            )
            for employee, program, day in rows
        ]
        db.session.add_all(added)
        db.session.flush()
        issue_certificates(added, actor)
        by_member: dict[int, list[dict]] = {}
        for employee, program, day in rows:
            by_member.setdefault(employee.municipality_id, []).append(
                {"employee_id": employee.id, "program": program.code, "completed_on": day}
            )
        for municipality_id, lines in by_member.items():
            record_audit_across(
                "elearning.import",
                municipality_id=municipality_id,
                subject_type="completions",
                subject_id=None,
                subject_label=str(len(lines)),
                detail={"count": len(lines), "completions": lines[:500]},
                actor=actor,
            )
    return len(rows)
