"""Municipalities and their organisation trees."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.base import Base, Versioned, utcnow
from tenants.scoping import TenantScoped

#: The first day of every unit older than the platform's own dates (before every record).
UNITS_EPOCH = date(2000, 4, 1)


class MunicipalityKind(enum.StrEnum):
    CITY = "city"
    TOWN = "town"
    VILLAGE = "village"


class Municipality(Base):
    """A member of the regional alliance: the tenant."""

    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 全国地方公共団体コード (six digits, check digit last); the public name of a tenant.
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name_ja: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80))
    kind: Mapped[MunicipalityKind] = mapped_column(
        Enum(
            MunicipalityKind,
            native_enum=False,
            length=10,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    #: Okayama City: runs the shared catalogue and sessions, sees every member.
    coordinating: Mapped[bool] = mapped_column(Boolean, default=False)
    #: E-mail domains of its staff; a sign-up from one of them is confirmed by mail alone.
    email_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    population: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_ja

    def owns_email(self, email: str) -> bool:
        domain = email.rsplit("@", 1)[-1].lower()
        return any(domain == d.lower() for d in self.email_domains or [])

    @classmethod
    def by_code(cls, code: str):
        return select(cls).where(cls.code == code)

    @classmethod
    def ordered(cls):
        return select(cls).order_by(cls.coordinating.desc(), cls.code)


class OrgLevel(enum.StrEnum):
    DEPARTMENT = "department"  # 部 / 局
    DIVISION = "division"  # 課
    SECTION = "section"  # 係


class OrgUnit(Versioned, TenantScoped, Base):
    """A 部, 課 or 係 of one municipality; targets count people per division and section."""

    __tablename__ = "org_units"
    #: The composite keys below lead with the municipality.
    tenant_index = False
    __table_args__ = (
        UniqueConstraint("municipality_id", "id", name="uq_org_units_tenant_id"),
        UniqueConstraint("municipality_id", "parent_id", "name", name="uq_org_units_sibling_name"),
        # A parent is always in the same municipality: the key includes the tenant.
        ForeignKeyConstraint(
            ["municipality_id", "parent_id"],
            ["org_units.municipality_id", "org_units.id"],
            name="fk_org_units_parent_same_tenant",
        ),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        # Top-level names are unique too (NULL parents never collide in the constraint above).
        Index(
            "uq_org_units_top_level_name",
            "municipality_id",
            "name",
            unique=True,
            postgresql_where=text("parent_id IS NULL"),
            sqlite_where=text("parent_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[OrgLevel] = mapped_column(
        Enum(OrgLevel, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e])
    )
    #: 課相当 / 係相当: a unit of another name (室, センター, 担当) counted at this level.
    equivalent: Mapped[bool] = mapped_column(Boolean, default=False)
    #: In use today (kept in step with ``retired_on``).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The first day (in Japan) the unit existed; coverage of a fiscal year counts the units
    #: that existed on its last day (31 March).
    valid_from: Mapped[date] = mapped_column(Date, default=UNITS_EPOCH)
    #: The day it went out of use (not counted from then on); None while in use.
    retired_on: Mapped[date | None] = mapped_column(Date)

    municipality: Mapped[Municipality] = relationship(lazy="joined")
    parent: Mapped[OrgUnit | None] = relationship(
        remote_side="OrgUnit.id",
        primaryjoin="OrgUnit.parent_id == OrgUnit.id",
        foreign_keys="[OrgUnit.parent_id]",
        viewonly=True,
    )

    def existed_on(self, day: date) -> bool:
        """Whether the unit was in use on ``day``."""
        return self.valid_from <= day and (self.retired_on is None or day < self.retired_on)

    def path(self) -> str:
        """The unit's path from the top, as personnel systems export it: 局/課/係."""
        parts, unit, seen = [], self, set()
        while unit is not None and unit.id not in seen:
            seen.add(unit.id)
            parts.append(unit.name)
            unit = unit.parent
        return "/".join(reversed(parts))

    @classmethod
    def ordered(cls):
        return select(cls).order_by(cls.level, cls.name)


class OrgUnitEventKind(enum.StrEnum):
    CREATED = "created"
    RENAMED = "renamed"
    MERGED = "merged"  # the unit's people went into another unit (detail: into)
    SPLIT = "split"  # the unit's people went into several units (detail: into)
    RETIRED = "retired"
    REACTIVATED = "reactivated"


class OrgUnitEvent(TenantScoped, Base):
    """What happened to a unit and when (機構改革): a rename keeps the unit's identity, a
    merge or a split is recorded as such. Written by the organisation's services."""

    __tablename__ = "org_unit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[OrgUnitEventKind] = mapped_column(
        Enum(
            OrgUnitEventKind,
            native_enum=False,
            length=12,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    #: The day it took effect (in Japan).
    on: Mapped[date] = mapped_column(Date)
    #: For a rename {"from", "to"}; for a merge or split {"into": [unit ids]}.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @classmethod
    def of_unit(cls, unit_id: int):
        return select(cls).where(cls.unit_id == unit_id).order_by(cls.on, cls.id)
