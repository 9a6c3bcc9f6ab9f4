"""Interest registration (関心登録): a person waiting for a session of a programme."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regional.catalogue.models import Program
from regional.extensions import db
from tenants import TenantScoped
from tenants.base import utcnow


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
