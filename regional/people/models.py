"""People: accounts of every municipality's staff, with their role and place."""

from __future__ import annotations

import enum
import secrets
import unicodedata
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regional.audit.labels import register_values
from regional.enums import str_enum
from regional.extensions import db
from regional.validation import typed_code
from tenants import TenantScoped
from tenants.base import Versioned, utcnow
from tenants.models import Municipality, OrgUnit


class Role(enum.StrEnum):
    EMPLOYEE = "employee"
    COORDINATOR = "coordinator"  # runs its own municipality's people and registrations
    REGIONAL_ADMIN = "regional_admin"  # Okayama City staff who run the region

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.EMPLOYEE: _l("Employee"),
    Role.COORDINATOR: _l("Training coordinator"),
    Role.REGIONAL_ADMIN: _l("Regional administrator"),
}


class JobCategory(enum.StrEnum):
    ADMINISTRATIVE = "administrative"  # 行政職等: the population of literacy training
    TECHNICAL = "technical"
    WELFARE = "welfare"
    MEDICAL = "medical"
    FIREFIGHTING = "firefighting"
    EDUCATION = "education"
    LABOR = "labor"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(JOB_CATEGORY_LABELS[self])


JOB_CATEGORY_LABELS = {
    JobCategory.ADMINISTRATIVE: _l("Administrative (行政職等)"),
    JobCategory.TECHNICAL: _l("Technical"),
    JobCategory.WELFARE: _l("Welfare"),
    JobCategory.MEDICAL: _l("Medical"),
    JobCategory.FIREFIGHTING: _l("Firefighting"),
    JobCategory.EDUCATION: _l("Education"),
    JobCategory.LABOR: _l("Skilled labour"),
    JobCategory.OTHER: _l("Other"),
}


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    PENDING_EMAIL = "pending_email"  # signed up from a staff domain, link not yet followed
    PENDING_APPROVAL = "pending_approval"  # signed up from another address; coordinator decides
    DISABLED = "disabled"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    AccountStatus.ACTIVE: _l("Active"),
    AccountStatus.PENDING_EMAIL: _l("Awaiting e-mail confirmation"),
    AccountStatus.PENDING_APPROVAL: _l("Awaiting approval"),
    AccountStatus.DISABLED: _l("Disabled"),
}


class UnitMembership(TenantScoped, db.Model):
    """A person in an org unit from one day to another (人事異動 and 機構改革 kept).

    Coverage of a past fiscal year counts people by the unit they were in on its last day,
    never by today's: a transfer in April does not rewrite last year's coverage. Kept by
    ``regional.people.history`` in the same flush as every change of a person's unit or
    status: a row is open (``valid_to`` None) while the person is in the unit and their
    account is not disabled.
    """

    __tablename__ = "unit_memberships"
    tenant_index = False
    __table_args__ = (
        ForeignKeyConstraint(
            ["municipality_id", "employee_id"],
            ["users.municipality_id", "users.id"],
            name="fk_unit_memberships_employee_same_tenant",
        ),
        ForeignKeyConstraint(
            ["municipality_id", "org_unit_id"],
            ["org_units.municipality_id", "org_units.id"],
            name="fk_unit_memberships_unit_same_tenant",
        ),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period_in_order"),
        Index("ix_unit_memberships_member_days", "municipality_id", "valid_from", "valid_to"),
        Index("ix_unit_memberships_employee", "employee_id", "valid_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(Integer)
    org_unit_id: Mapped[int] = mapped_column(Integer)
    #: First day in the unit (in Japan).
    valid_from: Mapped[date] = mapped_column(Date)
    #: First day no longer in it; None while still there.
    valid_to: Mapped[date | None] = mapped_column(Date)

    @classmethod
    def on(cls, day: date):
        """Memberships in force on ``day``."""
        return select(cls).where(
            cls.valid_from <= day, (cls.valid_to.is_(None)) | (cls.valid_to > day)
        )


def normalize_email(value: str | None) -> str:
    """How an address is compared and stored: IME full-width to ASCII (NFKC), trimmed, lower case."""
    return unicodedata.normalize("NFKC", value or "").strip().lower()


class User(Versioned, TenantScoped, UserMixin, db.Model):
    """A member of staff of one municipality (and, by role, a coordinator or administrator)."""

    __tablename__ = "users"
    #: Sign-in bookkeeping and the person's own settings: not edits of their record.
    __unversioned__ = frozenset(
        {
            "password_hash",
            "session_version",
            "calendar_token",
            "locale",
            "last_login_at",
            "invited_at",
            "mail_digest",
        }
    )
    #: Both composite keys below lead with the municipality.
    tenant_index = False
    __table_args__ = (
        UniqueConstraint("municipality_id", "id", name="uq_users_tenant_id"),
        UniqueConstraint("municipality_id", "employee_number", name="uq_users_employee_number"),
        ForeignKeyConstraint(
            ["municipality_id", "org_unit_id"],
            ["org_units.municipality_id", "org_units.id"],
            name="fk_users_org_unit_same_tenant",
        ),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        # A unit's people (a head's page): searched by member and unit together.
        Index("ix_users_unit", "municipality_id", "org_unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Sign-in name; unique across the region because sign-in does not ask for a municipality.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_kana: Mapped[str | None] = mapped_column(String(100))
    #: 職員番号 as the personnel system knows it; unique within the municipality only.
    employee_number: Mapped[str | None] = mapped_column(String(20))
    job_category: Mapped[JobCategory] = mapped_column(
        str_enum(JobCategory), default=JobCategory.ADMINISTRATIVE
    )
    #: 役職 as the personnel system writes it (課長, 主任 …): shown, never a permission.
    job_title: Mapped[str | None] = mapped_column(String(100))
    org_unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.EMPLOYEE)
    status: Mapped[AccountStatus] = mapped_column(
        str_enum(AccountStatus), default=AccountStatus.ACTIVE, index=True
    )
    #: Builds or maintains systems: qualifies for project-management training without the track.
    system_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: Bumped to end every open session and token of this account at once.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    #: Secret in the personal calendar-feed address; replaced to revoke old links.
    calendar_token: Mapped[str] = mapped_column(
        String(43), unique=True, default=lambda: secrets.token_urlsafe(32)
    )
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: When the last invitation to choose a password was queued (imported staff sign in so).
    invited_at: Mapped[datetime | None]
    #: A coordinator's own choice: mail about what waits for them (the daily digest, and a
    #: mail when a registration needs their approval). On unless they turn it off.
    mail_digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    municipality: Mapped[Municipality] = relationship(lazy="joined")
    org_unit: Mapped[OrgUnit | None] = relationship(
        primaryjoin="and_(User.org_unit_id == OrgUnit.id, "
        "User.municipality_id == OrgUnit.municipality_id)",
        foreign_keys="[User.org_unit_id]",
        viewonly=True,
        lazy="joined",
    )

    # -- Flask-Login -------------------------------------------------------
    #: When this sign-in began (whole seconds since the epoch); not stored, carried in the
    #: session key so the loader can refuse a remember-me cookie past its age.
    signed_in_at = None

    def get_id(self) -> str:
        """Session key: municipality, account, session version and sign-in time.

        The loader stays scoped (municipality), honours "sign out everywhere"
        (version) and ends any session or remember-me cookie older than
        ``REMEMBER_COOKIE_DURATION`` (time). A new sign-in gives a new key, so the
        remember-me cookie changes at each sign-in.
        """
        if self.signed_in_at is None:
            self.signed_in_at = int(utcnow().timestamp())
        return f"{self.municipality.code}.{self.id}.{self.session_version}.{self.signed_in_at}"

    @property
    def is_active(self) -> bool:
        return self.status == AccountStatus.ACTIVE

    # -- roles -------------------------------------------------------------
    @property
    def roles(self) -> list[str]:
        return [Role.EMPLOYEE.value] + ([self.role.value] if self.role != Role.EMPLOYEE else [])

    @property
    def is_coordinator(self) -> bool:
        return self.role in (Role.COORDINATOR, Role.REGIONAL_ADMIN)

    @property
    def is_regional_admin(self) -> bool:
        return self.role == Role.REGIONAL_ADMIN

    def revoke_sessions(self) -> None:
        self.session_version += 1

    @classmethod
    def by_email(cls, email: str):
        return select(cls).where(cls.email == email.strip().lower())

    @classmethod
    def listing(cls, q: str | None = None):
        stmt = select(cls).order_by(cls.employee_number, cls.id)
        if q:
            like = f"%{q.strip()}%"
            # A 職員番号 typed in full width (０２８５９８) is looked for as stored (ASCII).
            number = f"%{typed_code(q)}%"
            stmt = stmt.where(
                cls.name.ilike(like) | cls.email.ilike(like) | cls.employee_number.ilike(number)
            )
        return stmt

    @classmethod
    def count_by_status(cls, *, by_municipality: bool = False):
        """(status, people) of the current municipality; with ``by_municipality`` (inside
        ``all_tenants``) (municipality id, status, people): one count for the people page
        and the region's overview."""
        if by_municipality:
            return select(cls.municipality_id, cls.status, func.count()).group_by(
                cls.municipality_id, cls.status
            )
        return select(cls.status, func.count()).group_by(cls.status)

    @classmethod
    def search(
        cls,
        q: str | None = None,
        *,
        status: AccountStatus | None = None,
        unit_ids: set[int] | None = None,
        job_category: JobCategory | None = None,
    ):
        """The people list with its filters (a unit filter names the unit and its sub-units)."""
        stmt = cls.listing(q)
        if status is not None:
            stmt = stmt.where(cls.status == status)
        if unit_ids is not None:
            stmt = stmt.where(cls.org_unit_id.in_(unit_ids))
        if job_category is not None:
            stmt = stmt.where(cls.job_category == job_category)
        return stmt

    @classmethod
    def pending_signups(cls):
        """Sign-ups from outside addresses waiting for the coordinator, oldest first."""
        return (
            select(cls)
            .where(cls.status == AccountStatus.PENDING_APPROVAL)
            .order_by(cls.created_at, cls.id)
        )

    @classmethod
    def count_by_unit(cls):
        """(org unit id, people) for accounts still in use."""
        return (
            select(cls.org_unit_id, func.count())
            .where(cls.status != AccountStatus.DISABLED, cls.org_unit_id.is_not(None))
            .group_by(cls.org_unit_id)
        )

    @classmethod
    def coordinators(cls):
        return select(cls).where(cls.role == Role.COORDINATOR).order_by(cls.name, cls.id)


class Anonymous(AnonymousUserMixin):
    """The visitor who has not signed in: no municipality, no role."""

    municipality = None
    municipality_id = None
    roles: list[str] = []
    is_coordinator = False
    is_regional_admin = False
    locale = None


# The audit trail shows these codes by their labels.
register_values(ROLE_LABELS, (None, "role"))
register_values(
    JOB_CATEGORY_LABELS,
    (None, "job_category"),
    (None, "eligible_job_categories"),
    ("job_word", "category"),
)
register_values(STATUS_LABELS, ("user", "status"), ("roster", "status"))
