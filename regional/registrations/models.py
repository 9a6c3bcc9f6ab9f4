"""Registrations for sessions, and the completions they lead to."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regional.audit.labels import register_values
from regional.catalogue.models import Program
from regional.enums import str_enum
from regional.extensions import db
from regional.fiscal import fiscal_year_utc_range
from regional.people.models import User
from regional.sessions.models import SeatAllocation, SessionStatus, TrainingSession
from tenants import TenantScoped
from tenants.base import utcnow


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"  # holds a seat, awaiting the coordinator's approval
    #: Holds a seat (the place in line is the time of application), awaiting the decision
    #: of the applicant's head of unit (所属長) first: regional.heads.
    AWAITING_HEAD = "awaiting_head"
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    DECLINED = "declined"  # the coordinator refused the request

    @property
    def label(self) -> str:
        return str(REGISTRATION_STATUS_LABELS[self])

    @property
    def holds_seat(self) -> bool:
        return self in SEAT_HOLDING


REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.PENDING: _l("Awaiting approval"),
    RegistrationStatus.AWAITING_HEAD: _l("Awaiting the head of unit's approval"),
    RegistrationStatus.ENROLLED: _l("Enrolled"),
    RegistrationStatus.WAITLISTED: _l("On the waiting list"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
    RegistrationStatus.DECLINED: _l("Declined"),
}


class CancelReason(enum.StrEnum):
    """Why a registration was cancelled, when the platform did it for a reason of its own."""

    LEFT = "left"  # the person left: their account was disabled (by hand or by a roster import)

    @property
    def label(self) -> str:
        return str(CANCEL_REASON_LABELS[self])


CANCEL_REASON_LABELS = {
    CancelReason.LEFT: _l("Cancelled because the person left (account disabled)"),
}

SEAT_HOLDING = (
    RegistrationStatus.PENDING,
    RegistrationStatus.ENROLLED,
    RegistrationStatus.AWAITING_HEAD,
)
#: Registrations still standing: holding a seat or waiting for one.
ACTIVE = (*SEAT_HOLDING, RegistrationStatus.WAITLISTED)


class Registration(TenantScoped, db.Model):
    """One person's place (or place in line) for one session; owned by their municipality."""

    __tablename__ = "registrations"
    #: Led by the person index below (tenant, person, status) instead.
    tenant_index = False
    __table_args__ = (
        # Registering twice is impossible: a second request finds this row.
        UniqueConstraint("session_id", "employee_id", name="uq_registrations_once_per_session"),
        UniqueConstraint("session_id", "waitlist_ticket", name="uq_registrations_ticket"),
        # Indexes for the hot queries (each checked by tests/test_query_plans.py):
        # one person's seats (the overlap check, their page, cancelling): tenant, person, status;
        Index("ix_registrations_person", "municipality_id", "employee_id", "status"),
        # a session's waiting line in ticket order, its counts and a place in line;
        Index("ix_registrations_waiting_line", "session_id", "status", "waitlist_ticket"),
        # a member's requests by status (approvals, unrecorded attendance), with their sessions.
        Index("ix_registrations_tenant_status", "municipality_id", "status", "session_id"),
        # The employee is always of the registration's own municipality.
        ForeignKeyConstraint(
            ["municipality_id", "employee_id"],
            ["users.municipality_id", "users.id"],
            name="fk_registrations_employee_same_tenant",
        ),
        CheckConstraint(
            "(status = 'waitlisted') = (waitlist_ticket IS NOT NULL)",
            name="ticket_iff_waitlisted",
        ),
        CheckConstraint(
            "seat_allocation_id IS NULL OR status IN ('pending', 'enrolled', 'awaiting_head')",
            name="reserved_seat_only_when_held",
        ),
        # Covering index for the regional dashboard's session use per member
        # (regional.dashboards.queries.session_use): the year's sessions, not every row.
        Index(
            "ix_registrations_session_use", "session_id", "status", "municipality_id", "attended"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    employee_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[RegistrationStatus] = mapped_column(str_enum(RegistrationStatus))
    #: First-come order on the waiting list (per session); None unless waitlisted.
    waitlist_ticket: Mapped[int | None] = mapped_column(Integer)
    #: The municipality's reserved block this seat came from, if any.
    seat_allocation_id: Mapped[int | None] = mapped_column(ForeignKey("seat_allocations.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when a coordinator approves; a waitlisted person approved early is enrolled on promotion.
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(Integer)
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(Integer)
    #: Why the platform cancelled it (None: the person or a coordinator cancelled it as such).
    #: No CHECK constraint: the column was added to a large table without rebuilding it.
    cancel_reason: Mapped[CancelReason | None] = mapped_column(
        Enum(
            CancelReason,
            native_enum=False,
            length=20,
            create_constraint=False,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    registered_by_id: Mapped[int | None] = mapped_column(Integer)
    #: Why promotion passed this person over (an overlapping session), shown to them.
    skip_note: Mapped[str | None] = mapped_column(Text)
    #: The person's latest completion of the programme (any revision) when they registered:
    #: shown as 受講済み to whoever approves or reads the registrants. None: not completed.
    completed_before: Mapped[date | None] = mapped_column(Date)
    #: Why they take a programme they completed (asked of a person registering themselves).
    repeat_reason: Mapped[str | None] = mapped_column(String(200))
    attended: Mapped[bool | None] = mapped_column(Boolean)
    attendance_recorded_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    #: The org unit whose head (所属長) or deputy decides the person's own application
    #: first (regional.heads); None: no such step.
    head_unit_id: Mapped[int | None] = mapped_column(Integer)
    #: Set when that head (or deputy) approves; a seat then goes on as before.
    head_approved_at: Mapped[datetime | None]
    head_approved_by_id: Mapped[int | None] = mapped_column(Integer)

    session: Mapped[TrainingSession] = relationship(lazy="joined")
    employee: Mapped[User] = relationship(
        primaryjoin="and_(Registration.employee_id == User.id, "
        "Registration.municipality_id == User.municipality_id)",
        foreign_keys="[Registration.employee_id]",
        viewonly=True,
        lazy="joined",
    )
    seat_allocation: Mapped[SeatAllocation | None] = relationship()

    @classmethod
    def waiting_line(cls, session_id: int):
        """The waiting list in first-come order (across every municipality: use all_tenants)."""
        return (
            select(cls)
            .where(cls.session_id == session_id, cls.status == RegistrationStatus.WAITLISTED)
            .order_by(cls.waitlist_ticket)
        )

    @classmethod
    def roster(cls, session_id: int):
        """Enrolled people of a session, by municipality and employee number (for attendance)."""
        return (
            select(cls)
            .join(
                User, (User.id == cls.employee_id) & (User.municipality_id == cls.municipality_id)
            )
            .where(cls.session_id == session_id, cls.status == RegistrationStatus.ENROLLED)
            .order_by(cls.municipality_id, User.employee_number, User.id)
        )

    @classmethod
    def registrants(cls, session_id: int, statuses=None):
        """A session's registrations (of the current municipality, unless all_tenants)."""
        stmt = (
            select(cls)
            .join(
                User, (User.id == cls.employee_id) & (User.municipality_id == cls.municipality_id)
            )
            .where(cls.session_id == session_id)
            .order_by(cls.municipality_id, cls.status, cls.waitlist_ticket, User.employee_number)
        )
        if statuses:
            stmt = stmt.where(cls.status.in_(statuses))
        return stmt

    @classmethod
    def of_employee(cls, employee_id: int):
        """One person's registrations with their sessions, soonest first."""
        return (
            select(cls)
            .join(TrainingSession, TrainingSession.id == cls.session_id)
            .where(cls.employee_id == employee_id)
            .order_by(TrainingSession.starts_at, cls.id)
        )

    @classmethod
    def awaiting_approval(cls):
        """Pending requests of the current municipality, sessions soonest first."""
        return (
            select(cls)
            .join(TrainingSession, TrainingSession.id == cls.session_id)
            .where(
                cls.status == RegistrationStatus.PENDING,
                TrainingSession.status == SessionStatus.SCHEDULED,
            )
            .order_by(TrainingSession.starts_at, cls.requested_at, cls.id)
        )

    @classmethod
    def listing(
        cls,
        *,
        session_id: int | None = None,
        status: RegistrationStatus | None = None,
        fiscal_year: int | None = None,
        ascending: bool = False,
    ):
        """The current municipality's registrations with the API's filters, newest sessions first."""
        stmt = select(cls).join(TrainingSession, TrainingSession.id == cls.session_id)
        if session_id is not None:
            stmt = stmt.where(cls.session_id == session_id)
        if status is not None:
            stmt = stmt.where(cls.status == status)
        if fiscal_year is not None:
            start, end = fiscal_year_utc_range(fiscal_year)
            stmt = stmt.where(TrainingSession.starts_at >= start, TrainingSession.starts_at < end)
        if ascending:
            return stmt.order_by(TrainingSession.starts_at, cls.session_id, cls.id)
        return stmt.order_by(TrainingSession.starts_at.desc(), cls.session_id, cls.id)

    @classmethod
    def counts_by_session(cls, session_ids, *, every_municipality: bool = False):
        """(session_id, status, count) of the current municipality's registrations.

        With ``every_municipality``: over every member, numbers only, never rows.
        """
        stmt = (
            select(cls.session_id, cls.status, func.count())
            .where(cls.session_id.in_(list(session_ids)))
            .group_by(cls.session_id, cls.status)
        )
        return stmt.execution_options(all_tenants=True) if every_municipality else stmt


class CompletionSource(enum.StrEnum):
    ATTENDANCE = "attendance"
    ELEARNING_IMPORT = "elearning_import"
    MANUAL = "manual"


class Completion(TenantScoped, db.Model):
    """A programme completed by one person, with the programme as it was when they took it."""

    __tablename__ = "completions"
    #: Led by uq_completions_once_a_day (tenant, person, programme, day) instead.
    tenant_index = False
    __table_args__ = (
        UniqueConstraint("registration_id", name="uq_completions_registration"),
        # Also the person index: one person's completions (their record, eligibility).
        UniqueConstraint(
            "municipality_id",
            "employee_id",
            "program_id",
            "completed_on",
            name="uq_completions_once_a_day",
        ),
        ForeignKeyConstraint(
            ["municipality_id", "employee_id"],
            ["users.municipality_id", "users.id"],
            name="fk_completions_employee_same_tenant",
        ),
        # Covering indexes for progress against targets (regional/targets/progress.py):
        # annual measures count people by skill area and year, personas by programme.
        Index(
            "ix_completions_area_year_people",
            "skill_area_key",
            "fiscal_year",
            "municipality_id",
            "employee_id",
        ),
        Index(
            "ix_completions_program_people",
            "program_id",
            "municipality_id",
            "employee_id",
            "fiscal_year",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(Integer, index=True)
    #: Indexed by ix_completions_program_people (programme first).
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    program_revision: Mapped[int] = mapped_column(Integer)
    #: The programme as taken: code, titles, tier, track, area, hours (never rewritten).
    program_code: Mapped[str] = mapped_column(String(20))
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(20))
    track: Mapped[str] = mapped_column(String(30))
    skill_area_key: Mapped[str | None] = mapped_column(String(40))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"))
    completed_on: Mapped[date] = mapped_column(Date, index=True)
    #: Fiscal year (April-March, named by its starting year) the completion counts in.
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)
    source: Mapped[CompletionSource] = mapped_column(str_enum(CompletionSource))
    recorded_by_id: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    program: Mapped[Program] = relationship(lazy="joined")

    @classmethod
    def latest_of(cls, employee_id: int):
        """SELECT (programme, latest day) of a person's completions, whichever revision."""
        return (
            select(cls.program_id, func.max(cls.completed_on))
            .where(cls.employee_id == employee_id)
            .group_by(cls.program_id)
        )

    @classmethod
    def of_employee(cls, employee_id: int):
        """One person's completions, newest first."""
        return (
            select(cls)
            .where(cls.employee_id == employee_id)
            .order_by(cls.completed_on.desc(), cls.id.desc())
        )


class CertificateOrigin(enum.StrEnum):
    COMPLETION = "completion"  # issued with the completion, in the same transaction
    BACKFILL = "backfill"  # issued by the upgrade for a completion recorded before
    DOWNLOAD = "download"  # issued on its first download, before certificates were records


class RevokeCause(enum.StrEnum):
    REVOKED = "revoked"  # by a coordinator or a regional administrator, with a reason
    ATTENDANCE_WITHDRAWN = "attendance_withdrawn"  # the completion it stated was withdrawn

    @property
    def label(self) -> str:
        return str(REVOKE_CAUSE_LABELS[self])


REVOKE_CAUSE_LABELS = {
    RevokeCause.REVOKED: _l("Revoked"),
    RevokeCause.ATTENDANCE_WITHDRAWN: _l("Attendance withdrawn"),
}


class Certificate(TenantScoped, db.Model):
    """A completion certificate (修了証) with its public verification code.

    Issued when the completion is recorded (:mod:`regional.registrations.certification`),
    at most one per person and programme revision; what it states is kept as issued
    (the name as written then, the programme as taken). Revoked, it stays as a record:
    its code then verifies as revoked rather than unknown.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("completion_id", name="uq_certificates_completion"),
        # One certificate per person and programme revision: a second completion of the
        # same revision is recorded but not certified again.
        Index(
            "uq_certificates_person_revision",
            "municipality_id",
            "employee_id",
            "program_id",
            "program_revision",
            unique=True,
            postgresql_where=text("holds_revision"),
            sqlite_where=text("holds_revision = 1"),
        ),
        ForeignKeyConstraint(
            ["municipality_id", "employee_id"],
            ["users.municipality_id", "users.id"],
            name="fk_certificates_employee_same_tenant",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 16 characters of base32 from ``secrets``: unguessable, typed or scanned from the QR code.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    #: The completion it certifies; None once that completion was withdrawn (then revoked).
    #: No ON DELETE: whoever deletes a completion must deal with its certificate first.
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("completions.id"))
    #: The registration (session) completed; None for an e-learning import.
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"))
    employee_id: Mapped[int] = mapped_column(Integer, index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    program_revision: Mapped[int] = mapped_column(Integer)
    #: Whether it is *the* certificate of its person and programme revision (the unique
    #: key). False once the completion it stated was withdrawn, so that a later completion
    #: is certified, and for the extra certificates of one revision issued before the rule
    #: (kept valid as issued). A certificate revoked by hand keeps it: never re-issued.
    holds_revision: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(100))
    program_code: Mapped[str] = mapped_column(String(20))
    program_title_ja: Mapped[str] = mapped_column(String(200))
    program_title_en: Mapped[str] = mapped_column(String(200))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    completed_on: Mapped[date] = mapped_column(Date)
    #: The issuing body: the host municipality of the session, or the regional alliance.
    issuer_ja: Mapped[str] = mapped_column(String(100))
    issuer_en: Mapped[str] = mapped_column(String(150))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[CertificateOrigin] = mapped_column(
        str_enum(CertificateOrigin), default=CertificateOrigin.COMPLETION
    )
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(Integer)
    revoke_cause: Mapped[RevokeCause | None] = mapped_column(str_enum(RevokeCause, length=30))
    #: Why it was revoked, as the coordinator or administrator wrote it (not public).
    revoke_reason: Mapped[str | None] = mapped_column(String(500))

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def of_employee(cls, employee_id: int):
        """One person's certificates, newest completion first (revoked ones included)."""
        return (
            select(cls)
            .where(cls.employee_id == employee_id)
            .order_by(cls.completed_on.desc(), cls.id.desc())
        )


class ProgramInterest(TenantScoped, db.Model):
    """関心登録: a person asks to be mailed when a session of a programme opens for them.

    Owned by the person's municipality; one per person and programme. Mailed once:
    ``notified_at`` is set when the notice is queued and the row is not mailed again.
    """

    __tablename__ = "program_interests"
    __table_args__ = (
        UniqueConstraint("employee_id", "program_id", name="uq_program_interests_once"),
        ForeignKeyConstraint(
            ["municipality_id", "employee_id"],
            ["users.municipality_id", "users.id"],
            name="fk_program_interests_employee_same_tenant",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(Integer, index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the person was mailed that a session opened; None while still waiting.
    notified_at: Mapped[datetime | None] = mapped_column(index=True)
    #: The session the notice was about.
    notified_session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id"))

    program: Mapped[Program] = relationship(lazy="joined")

    @classmethod
    def of_employee(cls, employee_id: int):
        """One person's interests, newest first."""
        return (
            select(cls)
            .where(cls.employee_id == employee_id)
            .order_by(cls.created_at.desc(), cls.id.desc())
        )

    @classmethod
    def one(cls, employee_id: int, program_id: int):
        return select(cls).where(cls.employee_id == employee_id, cls.program_id == program_id)

    @classmethod
    def counts_by_member(cls, program_id: int, every_municipality: bool = False):
        """(municipality_id, people) for one programme; across members only when asked."""
        stmt = (
            select(cls.municipality_id, func.count(cls.id))
            .where(cls.program_id == program_id)
            .group_by(cls.municipality_id)
        )
        return stmt.execution_options(all_tenants=True) if every_municipality else stmt


# The audit trail shows these codes by their labels.
register_values(REGISTRATION_STATUS_LABELS, ("registration", "status"))
register_values(REVOKE_CAUSE_LABELS, (None, "cause"))
