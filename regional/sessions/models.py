"""Sessions (開催回) of catalogue programmes, shared by the region or run by one member."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regional.catalogue.models import Program
from regional.enums import str_enum
from regional.extensions import db
from tenants.base import Versioned, utcnow
from tenants.models import Municipality


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(_l("Called off") if self is SessionStatus.CANCELLED else _l("Scheduled"))


session_audience = Table(
    "session_audience",
    db.metadata,
    Column("session_id", ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_id", ForeignKey("municipalities.id"), primary_key=True),
)


class TrainingSession(Versioned, db.Model):
    """One sitting of a programme. Seat counters live here and the database checks them.

    ``seats_taken`` counts pending and enrolled registrations; ``reserved_unclaimed``
    counts seats still held back for particular municipalities. Their sum can
    never exceed ``capacity``: a CHECK constraint refuses any write that would
    overbook, whatever the Python above it does.
    """

    __tablename__ = "training_sessions"
    #: The seat engine's counters move with every registration: not edits of the plan (and
    #: the registration path pays nothing for the version).
    __unversioned__ = frozenset(
        {"seats_taken", "reserved_unclaimed", "waitlist_seq", "allocations"}
    )
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        CheckConstraint("reserved_unclaimed >= 0", name="reserved_not_negative"),
        CheckConstraint("seats_taken + reserved_unclaimed <= capacity", name="never_overbooked"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("registration_closes_at >= registration_opens_at", name="window_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    venue: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int] = mapped_column(Integer)
    #: Pending and enrolled registrations, i.e. seats in use.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    #: Seats still held for particular municipalities and not yet claimed or released.
    reserved_unclaimed: Mapped[int] = mapped_column(Integer, default=0)
    #: Last waiting-list ticket handed out; tickets give the first-come order.
    waitlist_seq: Mapped[int] = mapped_column(Integer, default=0)
    registration_opens_at: Mapped[datetime]
    registration_closes_at: Mapped[datetime]
    #: After this, employees can no longer cancel themselves (their coordinator still can).
    cancellation_deadline: Mapped[datetime | None]
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    open_to_all: Mapped[bool] = mapped_column(Boolean, default=True)
    #: None for the region's shared sessions; a member's id for sessions it runs for itself.
    host_municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id"), index=True
    )
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus), default=SessionStatus.SCHEDULED, index=True
    )
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer)

    program: Mapped[Program] = relationship(lazy="joined")
    host_municipality: Mapped[Municipality | None] = relationship(lazy="joined")
    audience: Mapped[list[Municipality]] = relationship(secondary=session_audience, lazy="selectin")
    allocations: Mapped[list[SeatAllocation]] = relationship(
        back_populates="session", lazy="selectin", order_by="SeatAllocation.municipality_id"
    )

    @property
    def seats_left(self) -> int:
        """Seats anyone may still take from the common pool."""
        return max(0, self.capacity - self.seats_taken - self.reserved_unclaimed)

    def seats_left_for(self, municipality_id: int) -> int:
        """Seats an employee of this municipality may take: the pool plus its own reservation."""
        own = next(
            (
                a
                for a in self.allocations
                if a.municipality_id == municipality_id and not a.released
            ),
            None,
        )
        return self.seats_left + (own.unclaimed if own else 0)

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    def admits(self, municipality_id: int) -> bool:
        """Whether staff of this municipality may attend at all."""
        if self.host_municipality_id is not None:
            return self.host_municipality_id == municipality_id
        return self.open_to_all or any(m.id == municipality_id for m in self.audience)

    @classmethod
    def visible_to(cls, municipality_id: int | None):
        """Sessions a member's staff may see: shared ones open to it, and its own."""
        stmt = select(cls)
        if municipality_id is None:
            return stmt
        audience = select(session_audience.c.session_id).where(
            session_audience.c.municipality_id == municipality_id
        )
        return stmt.where(
            or_(
                cls.host_municipality_id == municipality_id,
                (cls.host_municipality_id.is_(None))
                & (cls.open_to_all.is_(True) | cls.id.in_(audience)),
            )
        )

    @classmethod
    def search(
        cls,
        municipality_id: int | None,
        *,
        tier: str | None = None,
        track: str | None = None,
        program_id: int | None = None,
        starts_from: datetime | None = None,
        starts_before: datetime | None = None,
        ends_after: datetime | None = None,
        seats_for: int | None = None,
        status: str | None = None,
    ):
        """Sessions visible to a member (None: all), filtered, in date order.

        ``seats_for`` keeps sessions with a seat an employee of that municipality may
        still take (the common pool plus its own unclaimed reservation).
        """
        stmt = cls.visible_to(municipality_id)
        if tier or track:
            stmt = stmt.join(Program, Program.id == cls.program_id)
            if tier:
                stmt = stmt.where(Program.tier == tier)
            if track:
                stmt = stmt.where(Program.track == track)
        if program_id is not None:
            stmt = stmt.where(cls.program_id == program_id)
        if starts_from is not None:
            stmt = stmt.where(cls.starts_at >= starts_from)
        if starts_before is not None:
            stmt = stmt.where(cls.starts_at < starts_before)
        if ends_after is not None:
            stmt = stmt.where(cls.ends_at > ends_after)
        if status:
            stmt = stmt.where(cls.status == status)
        if seats_for is not None:
            own = (
                select(func.coalesce(func.sum(SeatAllocation.seats - SeatAllocation.claimed), 0))
                .where(
                    SeatAllocation.session_id == cls.id,
                    SeatAllocation.municipality_id == seats_for,
                    SeatAllocation.released.is_(False),
                )
                .scalar_subquery()
            )
            stmt = stmt.where(
                cls.status == SessionStatus.SCHEDULED,
                cls.capacity - cls.seats_taken - cls.reserved_unclaimed + own > 0,
            )
        return stmt.order_by(cls.starts_at, cls.id)


class SeatAllocation(db.Model):
    """Seats of a shared session held for one municipality until ``release_at``.

    Part of the session's set-up (made by regional administrators), so not
    tenant-owned; coordinators are shown their own line only.
    """

    __tablename__ = "seat_allocations"
    __table_args__ = (
        UniqueConstraint("session_id", "municipality_id"),
        CheckConstraint("seats >= 0", name="seats_not_negative"),
        CheckConstraint("claimed >= 0", name="claimed_not_negative"),
        CheckConstraint("claimed <= seats", name="claimed_within_reservation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    seats: Mapped[int] = mapped_column(Integer)
    #: Registrations of this municipality sitting in reserved seats.
    claimed: Mapped[int] = mapped_column(Integer, default=0)
    release_at: Mapped[datetime]
    #: Once released, unclaimed seats have gone back to the common pool.
    released: Mapped[bool] = mapped_column(Boolean, default=False)

    session: Mapped[TrainingSession] = relationship(back_populates="allocations")
    municipality: Mapped[Municipality] = relationship(lazy="joined")

    @property
    def unclaimed(self) -> int:
        return 0 if self.released else self.seats - self.claimed
