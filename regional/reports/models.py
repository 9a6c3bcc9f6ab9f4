"""The participant's report (受講報告): one per registration, written after attendance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regional.extensions import db
from regional.seats.models import Registration
from tenants import TenantScoped
from tenants.base import utcnow

#: The longest report a participant may write (characters).
BODY_MAX = 2000


class ParticipantReport(TenantScoped, db.Model):
    """What a participant will apply at work, and its acknowledgement (確認) by their head of
    unit (or deputy), or by the coordinator where their unit has no head."""

    __tablename__ = "participant_reports"
    __table_args__ = (
        UniqueConstraint("registration_id", name="uq_participant_reports_registration"),
        Index("ix_participant_reports_session", "session_id"),
        # A person's own reports (the home card: written, still to be acknowledged).
        Index("ix_participant_reports_person", "municipality_id", "employee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    session_id: Mapped[int] = mapped_column(Integer)
    employee_id: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(Integer)

    registration: Mapped[Registration] = relationship(lazy="joined")
