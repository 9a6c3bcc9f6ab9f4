"""Completions (a programme completed, by attendance or an import) and their certificates."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
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
from tenants import TenantScoped
from tenants.base import utcnow


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

    Issued when the completion is recorded (:mod:`regional.attendance.certification`),
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


# The audit trail shows these codes by their labels.
register_values(REVOKE_CAUSE_LABELS, (None, "cause"))
