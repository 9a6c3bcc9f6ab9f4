"""Growth beyond courses: qualifications, on-the-job training, certificates, materials."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regional.audit.labels import register_values
from regional.enums import str_enum
from regional.extensions import db
from regional.people.models import User
from tenants import TenantScoped
from tenants.base import Versioned, utcnow


class QualificationStatus(enum.StrEnum):
    UNVERIFIED = "unverified"  # recorded by the person, not yet checked
    VERIFIED = "verified"  # the coordinator saw the certificate
    RETURNED = "returned"  # sent back with a reason; the person may correct and resubmit

    @property
    def label(self) -> str:
        return str(QUALIFICATION_STATUS_LABELS[self])


QUALIFICATION_STATUS_LABELS = {
    QualificationStatus.UNVERIFIED: _l("Awaiting verification"),
    QualificationStatus.VERIFIED: _l("Verified"),
    QualificationStatus.RETURNED: _l("Returned"),
}


class OjtStatus(enum.StrEnum):
    UNCONFIRMED = "unconfirmed"
    CONFIRMED = "confirmed"

    @property
    def label(self) -> str:
        return str(OJT_STATUS_LABELS[self])


OJT_STATUS_LABELS = {
    OjtStatus.UNCONFIRMED: _l("Awaiting confirmation"),
    OjtStatus.CONFIRMED: _l("Confirmed"),
}


def _employee_fk(table: str) -> ForeignKeyConstraint:
    """The person is always of the row's own municipality (a composite key)."""
    return ForeignKeyConstraint(
        ["municipality_id", "employee_id"],
        ["users.municipality_id", "users.id"],
        name=f"fk_{table}_employee_same_tenant",
    )


def _employee_relationship(model: str) -> Mapped[User]:
    return relationship(
        User,
        primaryjoin=f"and_({model}.employee_id == User.id, "
        f"{model}.municipality_id == User.municipality_id)",
        foreign_keys=f"[{model}.employee_id]",
        viewonly=True,
        lazy="joined",
    )


class Qualification(Versioned, TenantScoped, db.Model):
    """A pass of a national IT exam (or another certificate) that one person recorded."""

    __tablename__ = "qualifications"
    __table_args__ = (_employee_fk("qualifications"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(Integer, index=True)
    #: The IPA exam's code (``FE``, ``SC`` ...) from data/ipa_exams.toml, or ``other``.
    exam_code: Mapped[str] = mapped_column(String(10), index=True)
    #: The certificate's name when ``exam_code`` is ``other``.
    other_name: Mapped[str | None] = mapped_column(String(200))
    passed_on: Mapped[date] = mapped_column(Date)
    certificate_number: Mapped[str] = mapped_column(String(50))
    status: Mapped[QualificationStatus] = mapped_column(
        str_enum(QualificationStatus), default=QualificationStatus.UNVERIFIED, index=True
    )
    #: Why the coordinator returned it (shown to the person and mailed to them).
    return_reason: Mapped[str | None] = mapped_column(Text)
    #: A scan of the certificate: generated file name in the upload store, never the user's.
    scan_name: Mapped[str | None] = mapped_column(String(64))
    scan_kind: Mapped[str | None] = mapped_column(String(10))
    scan_filename: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime | None]

    employee: Mapped[User] = _employee_relationship("Qualification")

    @property
    def display_name(self) -> str:
        from flask_babel import get_locale

        from regional.growth.exams import exam_by_code

        exam = exam_by_code(self.exam_code)
        if exam is None:
            return self.other_name or ""
        return exam.name(str(get_locale() or "ja"))

    @classmethod
    def of_employee(cls, employee_id: int):
        return (
            select(cls)
            .where(cls.employee_id == employee_id)
            .order_by(cls.passed_on.desc(), cls.id.desc())
        )

    @classmethod
    def listing(cls, *, exam: str | None = None, status: QualificationStatus | None = None):
        """The current municipality's qualifications with the API's filters, newest first."""
        stmt = select(cls).order_by(cls.recorded_at.desc(), cls.id.desc())
        if exam is not None:
            stmt = stmt.where(cls.exam_code == exam)
        if status is not None:
            stmt = stmt.where(cls.status == status)
        return stmt


class QualificationPersona(db.Model):
    """A regional rule: a verified pass of ``exam_code`` counts towards ``persona``.

    Set by regional administrators (for example SC 情報処理安全確保支援士 → advanced);
    shared by every member, so not tenant-owned.
    """

    __tablename__ = "qualification_personas"
    __table_args__ = (UniqueConstraint("exam_code", "persona", name="uq_qualification_persona"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_code: Mapped[str] = mapped_column(String(10))
    #: A persona key of the targets (``advanced``, ``core_digital``, ``core_pm``).
    persona: Mapped[str] = mapped_column(String(30))
    set_by_id: Mapped[int | None] = mapped_column(Integer)
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class OjtRecord(TenantScoped, db.Model):
    """An on-the-job project (実務を通じた人材育成) one person worked on."""

    __tablename__ = "ojt_records"
    __table_args__ = (_employee_fk("ojt_records"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: The business division where the project ran, in words (課 name or path).
    division: Mapped[str] = mapped_column(String(200), default="")
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    #: Skill-area keys of the policy's table practised in the project.
    skill_areas: Mapped[list] = mapped_column(JSON, default=list)
    #: Supporting staff of the digital-promotion division (デジタル推進課), in words.
    supported_by: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[OjtStatus] = mapped_column(
        str_enum(OjtStatus), default=OjtStatus.UNCONFIRMED, index=True
    )
    recorded_by_id: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(Integer)
    confirmed_at: Mapped[datetime | None]

    employee: Mapped[User] = _employee_relationship("OjtRecord")

    @classmethod
    def of_employee(cls, employee_id: int):
        return (
            select(cls)
            .where(cls.employee_id == employee_id)
            .order_by(cls.started_on.desc(), cls.id.desc())
        )

    @classmethod
    def awaiting(cls):
        """The current municipality's unconfirmed records, oldest first."""
        return (
            select(cls).where(cls.status == OjtStatus.UNCONFIRMED).order_by(cls.recorded_at, cls.id)
        )


class MaterialKind(enum.StrEnum):
    FILE = "file"  # uploaded, served by the platform as a download
    LINK = "link"  # an address elsewhere (an intranet page, an e-learning course)


class Material(db.Model):
    """Study material per skill area and per exam.

    Published by regional administrators for every member (``audience_municipality_id``
    None) or by a coordinator for their own municipality only. Not TenantScoped because a
    regional material belongs to no member: every read goes through
    :meth:`visible_to`, the one filter, and the load gate in materials.py.
    """

    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None: every member's staff; else only this municipality's.
    audience_municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    skill_area_key: Mapped[str | None] = mapped_column(String(40))
    exam_code: Mapped[str | None] = mapped_column(String(10))
    kind: Mapped[MaterialKind] = mapped_column(str_enum(MaterialKind))
    url: Mapped[str | None] = mapped_column(String(500))
    #: Generated name in the upload store (never the uploader's name), and what it holds.
    file_name: Mapped[str | None] = mapped_column(String(64))
    file_kind: Mapped[str | None] = mapped_column(String(10))
    file_size: Mapped[int | None] = mapped_column(Integer)
    #: The uploader's file name, for the download's suggested name only.
    original_filename: Mapped[str | None] = mapped_column(String(200))
    published_by_id: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    @classmethod
    def visible_to(cls, municipality_id: int | None):
        """Materials the staff of ``municipality_id`` may see (None: every material)."""
        stmt = select(cls).order_by(cls.published_at.desc(), cls.id.desc())
        if municipality_id is not None:
            stmt = stmt.where(
                (cls.audience_municipality_id.is_(None))
                | (cls.audience_municipality_id == municipality_id)
            )
        return stmt


# The audit trail shows these codes by their labels.
register_values(OJT_STATUS_LABELS, ("ojt", "status"))
register_values(QUALIFICATION_STATUS_LABELS, ("qualification", "status"))
