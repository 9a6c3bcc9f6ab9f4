"""Municipalities and their organisation trees."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
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

from tenants.base import Base, utcnow
from tenants.scoping import TenantScoped


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


class OrgUnit(TenantScoped, Base):
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
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    municipality: Mapped[Municipality] = relationship(lazy="joined")
    parent: Mapped[OrgUnit | None] = relationship(
        remote_side="OrgUnit.id",
        primaryjoin="OrgUnit.parent_id == OrgUnit.id",
        foreign_keys="[OrgUnit.parent_id]",
        viewonly=True,
    )

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
