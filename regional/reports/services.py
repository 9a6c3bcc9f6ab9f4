"""The participant's report (受講報告): written after attendance, acknowledged (確認) by the
person's head of unit or deputy — or, where no unit above them has a head, by a coordinator
of their member.

A programme asks for it (``Program.report_required``, with a template). Once a
registration's attendance is recorded as attended, its person writes one report (the
template pre-filled) and may edit it until it is acknowledged. Who acknowledges follows the
head's step (:func:`regional.heads.services.route`): the head (or deputy) of the person's
unit, or of the nearest unit above with another head. Every step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from regional.audit import record_audit
from regional.errors import Conflict, DomainError, NotFound
from regional.extensions import db
from regional.fiscal import fiscal_year_utc_range, now_utc
from regional.heads.models import UnitHead
from regional.heads.services import headed_units, route
from regional.people.models import User
from regional.reports.models import BODY_MAX, ParticipantReport
from regional.roles import is_coordinator, is_head_of
from regional.seats.models import Registration
from regional.sessions.models import TrainingSession
from regional.validation import text_problem

# -- what is due ----------------------------------------------------------------------------


def not_due(reg: Registration) -> DomainError | None:
    """Why ``reg``'s person writes no report (None: they do: they attended a programme that
    asks for one)."""
    if not reg.session.program.report_required:
        return DomainError("report_not_asked", _l("This programme asks for no report."))
    if not reg.attended:
        return DomainError(
            "not_attended", _l("A report is written once your attendance is recorded.")
        )
    return None


def report_due(reg: Registration) -> bool:
    """Whether ``reg``'s person writes a report: they attended a programme that asks for one."""
    return not_due(reg) is None


#: A report's state in the coordinator's overview and the API.
MISSING, WRITTEN, ACKNOWLEDGED = "missing", "written", "acknowledged"
STATES = (MISSING, WRITTEN, ACKNOWLEDGED)


def state_of(report: ParticipantReport | None) -> str:
    """Not written, written (awaiting acknowledgement), or acknowledged."""
    if report is None:
        return MISSING
    return WRITTEN if report.acknowledged_at is None else ACKNOWLEDGED


def _attended_with_report():
    """A select of attended registrations of programmes that ask for a report (current member)."""
    from regional.catalogue.models import Program

    return (
        select(Registration)
        .join(TrainingSession, TrainingSession.id == Registration.session_id)
        .join(Program, Program.id == TrainingSession.program_id)
        .where(Registration.attended.is_(True), Program.report_required.is_(True))
    )


def report_of(reg: Registration) -> ParticipantReport | None:
    return db.session.scalar(
        select(ParticipantReport).where(ParticipantReport.registration_id == reg.id)
    )


def to_write(actor: User) -> list[Registration]:
    """The actor's attended registrations whose report is not written yet, newest first."""
    written = exists().where(ParticipantReport.registration_id == Registration.id)
    stmt = (
        _attended_with_report()
        .where(Registration.employee_id == actor.id, ~written)
        .order_by(TrainingSession.starts_at.desc(), Registration.id)
    )
    return list(db.session.scalars(stmt))


def to_edit(actor: User) -> list[ParticipantReport]:
    """The actor's reports written but not yet acknowledged (they may still edit them)."""
    stmt = (
        select(ParticipantReport)
        .where(
            ParticipantReport.employee_id == actor.id,
            ParticipantReport.acknowledged_at.is_(None),
        )
        .order_by(ParticipantReport.written_at.desc(), ParticipantReport.id)
    )
    return list(db.session.scalars(stmt))


def own_registration(reg_id: int, actor: User) -> Registration | None:
    """The actor's own registration (None: there is none, or it is someone else's)."""
    reg = db.session.scalar(select(Registration).where(Registration.id == reg_id))
    if reg is None or reg.employee_id != actor.id:
        return None
    return reg


def writable(reg_id: int, actor: User) -> Registration | None:
    """The one load gate of writing: the actor's own registration that asks for a report."""
    reg = own_registration(reg_id, actor)
    if reg is None or not report_due(reg):
        return None
    return reg


# -- writing --------------------------------------------------------------------------------


def checked_body(raw: object) -> str:
    """The report's text: plain human text, not empty, at most :data:`BODY_MAX` characters."""
    body = str(raw or "").strip()
    problem = text_problem(body, multiline=True)
    if problem:
        raise DomainError("invalid_body", problem, field="body")
    if not body:
        raise DomainError("body_required", _l("Please write your report."), field="body")
    if len(body) > BODY_MAX:
        raise DomainError(
            "body_too_long",
            _l("The report is too long (at most %(n)d characters).", n=BODY_MAX),
            field="body",
        )
    return body


def write(reg: Registration, actor: User, raw: object) -> ParticipantReport:
    """Write or edit the actor's report on ``reg`` (until it is acknowledged); audited."""
    if reg.employee_id != actor.id or not report_due(reg):
        raise NotFound("registration_not_found", _l("The registration was not found."))
    body = checked_body(raw)
    report = report_of(reg)
    if report is not None and report.acknowledged_at is not None:
        raise Conflict(
            "report_acknowledged", _l("This report is acknowledged; it can no longer be edited.")
        )
    new = report is None
    if report is None:
        report = ParticipantReport(
            registration_id=reg.id,
            session_id=reg.session_id,
            employee_id=reg.employee_id,
            body=body,
        )
        db.session.add(report)
    elif report.body == body:
        return report
    report.body = body
    db.session.flush()
    _audit("report.write" if new else "report.edit", report, actor, reg)
    return report


def write_first(reg: Registration, actor: User, raw: object) -> ParticipantReport:
    """Write the first report on the actor's own ``reg`` (the API's create): refused (422)
    when none is due or the text is not fit, (409) when one is written already."""
    refusal = not_due(reg)
    if refusal is not None:
        raise refusal
    checked_body(raw)
    if report_of(reg) is not None:
        raise Conflict("report_exists", _l("You have already written this report."))
    return write(reg, actor, raw)


def _audit(action: str, report: ParticipantReport, actor: User, reg: Registration) -> None:
    record_audit(
        action,
        subject_type="participant_report",
        subject_id=report.id,
        subject_label=f"{reg.employee.name} / {reg.session.program.code}",
        detail={"session_id": reg.session_id, "employee_id": reg.employee_id},
        actor=actor,
    )
    db.session.flush()  # written now, in the report's member (the caller may leave it)


# -- acknowledging --------------------------------------------------------------------------


def _head_row(unit_id: int | None) -> UnitHead | None:
    if unit_id is None:
        return None
    return db.session.scalar(select(UnitHead).where(UnitHead.org_unit_id == unit_id))


def may_acknowledge(actor: User, report: ParticipantReport) -> bool:
    """The head (or deputy) the person's application would go to; where there is none, a
    coordinator of the person's member. Never the person themselves."""
    if actor.id == report.employee_id and actor.municipality_id == report.municipality_id:
        return False
    unit = route(report.registration.employee)
    if unit is None:
        return is_coordinator(actor) and actor.municipality_id == report.municipality_id
    return is_head_of(actor, _head_row(unit.id))


def acknowledges(actor: User) -> bool:
    """Whether the actor acknowledges anyone's reports: a head or deputy, or a coordinator."""
    return is_coordinator(actor) or bool(headed_units(actor))


def to_acknowledge(actor: User) -> list[ParticipantReport]:
    """The reports waiting for the actor's acknowledgement (current member), oldest first."""
    if not acknowledges(actor):
        return []
    # The waiting reports first, then each one's registration by its key (selectin): not a
    # join that reads the member's every registration.
    stmt = (
        select(ParticipantReport)
        .where(ParticipantReport.acknowledged_at.is_(None))
        .options(selectinload(ParticipantReport.registration))
        .order_by(ParticipantReport.written_at, ParticipantReport.id)
    )
    return [r for r in db.session.scalars(stmt) if may_acknowledge(actor, r)]


def acknowledgeable(report_id: int, actor: User) -> ParticipantReport | None:
    """The one load gate of an acknowledgement: a report the actor may acknowledge, else None."""
    report = db.session.scalar(select(ParticipantReport).where(ParticipantReport.id == report_id))
    if report is None or not may_acknowledge(actor, report):
        return None
    return report


def acknowledge(report: ParticipantReport, actor: User) -> ParticipantReport:
    """Acknowledge (確認) the report; audited. It can then no longer be edited."""
    if not may_acknowledge(actor, report):
        raise NotFound("report_not_found", _l("The report was not found."))
    if report.acknowledged_at is not None:
        raise Conflict("report_acknowledged", _l("This report is already acknowledged."))
    report.acknowledged_at, report.acknowledged_by_id = now_utc(), actor.id
    db.session.flush()
    _audit("report.acknowledge", report, actor, report.registration)
    return report


# -- the coordinator's overview -------------------------------------------------------------


@dataclass
class SessionReports:
    """One session's participants of the current member, with the state of each report."""

    session: TrainingSession
    rows: list[tuple[Registration, ParticipantReport | None]]

    @property
    def not_written(self) -> int:
        return sum(1 for _, r in self.rows if r is None)

    @property
    def not_acknowledged(self) -> int:
        return sum(1 for _, r in self.rows if r is not None and r.acknowledged_at is None)


def overview(fiscal_year: int | None = None) -> list[SessionReports]:
    """Per session (newest first), the current member's participants who attended a programme
    that asks for a report, and their report (None: not written); sessions of one fiscal
    year only when it is given."""
    stmt = _attended_with_report()
    if fiscal_year is not None:
        start, end = fiscal_year_utc_range(fiscal_year)
        stmt = stmt.where(TrainingSession.starts_at >= start, TrainingSession.starts_at < end)
    regs = db.session.scalars(
        stmt.order_by(TrainingSession.starts_at.desc(), Registration.id)
    ).all()
    reports = {
        r.registration_id: r
        for r in db.session.scalars(
            select(ParticipantReport).where(
                ParticipantReport.registration_id.in_([reg.id for reg in regs])
            )
        )
    }
    out: dict[int, SessionReports] = {}
    for reg in regs:
        group = out.setdefault(reg.session_id, SessionReports(reg.session, []))
        group.rows.append((reg, reports.get(reg.id)))
    return list(out.values())


def outstanding_count() -> int:
    """Reports not written or not acknowledged in the current member (the card and the page)."""
    return sum(s.not_written + s.not_acknowledged for s in overview())
