"""A registration: one person's seat, request or place in line for one session."""

from __future__ import annotations

import enum
from datetime import date, datetime

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
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regional.audit.labels import register_values
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


# The audit trail shows these codes by their labels.
register_values(REGISTRATION_STATUS_LABELS, ("registration", "status"))
