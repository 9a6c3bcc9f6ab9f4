"""Heads of unit (所属長) and their deputies, and each member's setting for their approval."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from regional.extensions import db
from tenants import TenantScoped
from tenants.base import utcnow


class UnitHead(TenantScoped, db.Model):
    """The head (所属長) of one org unit, and their deputy (代理) who acts in their absence."""

    __tablename__ = "unit_heads"
    #: The keys below lead with the municipality.
    tenant_index = False
    __table_args__ = (
        UniqueConstraint("municipality_id", "org_unit_id", name="uq_unit_heads_unit"),
        ForeignKeyConstraint(
            ["municipality_id", "org_unit_id"],
            ["org_units.municipality_id", "org_units.id"],
            name="fk_unit_heads_unit_same_tenant",
        ),
        ForeignKeyConstraint(
            ["municipality_id", "head_id"],
            ["users.municipality_id", "users.id"],
            name="fk_unit_heads_head_same_tenant",
        ),
        ForeignKeyConstraint(
            ["municipality_id", "deputy_id"],
            ["users.municipality_id", "users.id"],
            name="fk_unit_heads_deputy_same_tenant",
        ),
        CheckConstraint("deputy_id IS NULL OR deputy_id <> head_id", name="deputy_not_head"),
        Index("ix_unit_heads_head", "municipality_id", "head_id"),
        Index("ix_unit_heads_deputy", "municipality_id", "deputy_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(Integer)
    head_id: Mapped[int] = mapped_column(Integer)
    #: Acts for the head (approves, declines) whenever the head does not.
    deputy_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @classmethod
    def of_person(cls, person_id: int):
        """The units a person heads or deputises for (in the current municipality): two
        searches, each by its own index, rather than one ``OR`` that neither index serves."""
        return (
            select(cls).where(cls.head_id == person_id),
            select(cls).where(cls.deputy_id == person_id),
        )


class HeadSetting(TenantScoped, db.Model):
    """One member's choice: whether employees' own applications need their head's approval."""

    __tablename__ = "head_settings"
    tenant_index = False
    __table_args__ = (UniqueConstraint("municipality_id", name="uq_head_settings_municipality"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    head_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
