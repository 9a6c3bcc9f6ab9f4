"""Measures (what makes a person count, region-wide data) and each municipality's targets."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from regional.audit.labels import register_values
from regional.enums import str_enum
from regional.extensions import db
from tenants import TenantScoped
from tenants.base import Versioned, utcnow


class MeasureKind(enum.StrEnum):
    PERSONA = "persona"  # a person reaches it once (cumulative targets)
    ANNUAL = "annual"  # a person counts in each fiscal year they complete (annual targets)


class PersonaRule(enum.StrEnum):
    ALL_CURRENT = "all_current"  # completed every current programme of the track
    AT_LEAST = "at_least"  # completed at least ``min_programs`` current programmes of the track

    @property
    def label(self) -> str:
        return str(RULE_LABELS[self])


RULE_LABELS = {
    PersonaRule.ALL_CURRENT: _l("Every current programme of the track"),
    PersonaRule.AT_LEAST: _l("At least a number of current programmes of the track"),
}


class TargetKind(enum.StrEnum):
    CUMULATIVE = "cumulative"  # distinct people who reached a persona within the period
    ANNUAL = "annual"  # distinct people who completed within each fiscal year of the span

    @property
    def label(self) -> str:
        return str(TARGET_KIND_LABELS[self])


TARGET_KIND_LABELS = {
    TargetKind.CUMULATIVE: _l("Cumulative over the period"),
    TargetKind.ANNUAL: _l("Every fiscal year"),
}

#: The kind of target each kind of measure takes.
TARGET_KIND_OF = {MeasureKind.PERSONA: TargetKind.CUMULATIVE, MeasureKind.ANNUAL: TargetKind.ANNUAL}


class Measure(Versioned, db.Model):
    """What a target key counts; region-wide data that regional administrators edit.

    A persona measure (``advanced``, ``core_digital``, ``core_pm``) names a track
    and a rule over its *current* (active) programmes; a completion of any
    revision of a programme counts. An annual measure (``literacy_required`` ...)
    names skill areas: a person counts in a fiscal year when they completed a
    programme of one of them that year (the area as recorded on the completion,
    so retired programmes still count for completions made while current).
    """

    __tablename__ = "measures"
    __table_args__ = (
        CheckConstraint("min_programs IS NULL OR min_programs >= 1", name="min_programs_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(30), unique=True)
    kind: Mapped[MeasureKind] = mapped_column(str_enum(MeasureKind))
    label_ja: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(150))
    #: Persona measures: the track whose programmes make the persona.
    track: Mapped[str | None] = mapped_column(String(30))
    rule: Mapped[PersonaRule | None] = mapped_column(str_enum(PersonaRule))
    #: With rule ``at_least``: how many distinct current programmes of the track.
    min_programs: Mapped[int | None] = mapped_column(Integer)
    #: Annual measures: skill-area keys whose completions count.
    skill_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Annual measures: required training that everyone concerned completes every year
    #: (the home worklists and the "not yet" lists read this, never a list in the code).
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Annual measures: job categories concerned (empty: everyone).
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(Integer)

    def label(self, locale: str) -> str:
        return self.label_en if locale == "en" else self.label_ja

    @property
    def target_kind(self) -> TargetKind:
        return TARGET_KIND_OF[self.kind]

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "kind": self.kind.value,
            "track": self.track,
            "rule": self.rule.value if self.rule else None,
            "min_programs": self.min_programs,
            "skill_areas": list(self.skill_areas or []),
            "required": self.required,
            "audience": list(self.audience or []),
        }

    def concerns(self, job_category: object) -> bool:
        """Whether a person of this job category is in the measure's audience."""
        audience = self.audience or []
        return not audience or str(getattr(job_category, "value", job_category)) in audience

    @classmethod
    def ordered(cls):
        return select(cls).order_by(cls.position, cls.id)

    @classmethod
    def by_key(cls, key: str):
        return select(cls).where(cls.key == key)


class Target(Versioned, TenantScoped, db.Model):
    """One municipality's number for one measure over one plan period (fiscal years).

    Cumulative: distinct people who reached the persona between the start of
    ``period_start_fy`` and the end of ``period_end_fy``. Annual: distinct people
    who completed in each fiscal year from ``period_start_fy`` to
    ``period_end_fy`` (None: every year from the start). A member may hold successive
    periods for one key (the first plan FY2024-26, the next FY2027-29); periods of one
    key never overlap (checked by ``services.set_target``).
    """

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint(
            "municipality_id", "key", "period_start_fy", name="uq_targets_one_per_period"
        ),
        CheckConstraint("target >= 0", name="target_not_negative"),
        CheckConstraint("population IS NULL OR population > 0", name="population_positive"),
        CheckConstraint(
            "period_end_fy IS NULL OR period_end_fy >= period_start_fy", name="period_in_order"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The measure's key (advanced, core_digital, core_pm, literacy_required, ...).
    key: Mapped[str] = mapped_column(String(30))
    kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind))
    #: The number of people aimed at.
    target: Mapped[int] = mapped_column(Integer)
    period_start_fy: Mapped[int] = mapped_column(Integer)
    period_end_fy: Mapped[int | None] = mapped_column(Integer)
    #: Eligible head-count for a rate (3,000 administrative staff, 7,700 ICT users).
    population: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(Integer)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "kind": self.kind.value,
            "target": self.target,
            "period_start_fy": self.period_start_fy,
            "period_end_fy": self.period_end_fy,
            "population": self.population,
        }

    @property
    def last_fy(self) -> int | None:
        """The period's last fiscal year (None: an annual target without end; a cumulative
        one without an end year is a single year)."""
        if self.period_end_fy is not None or self.kind == TargetKind.ANNUAL:
            return self.period_end_fy
        return self.period_start_fy

    def covers(self, fiscal_year: int) -> bool:
        """Whether ``fiscal_year`` lies inside this plan period."""
        last = self.last_fy
        return self.period_start_fy <= fiscal_year and (last is None or fiscal_year <= last)

    @classmethod
    def of_municipality(cls):
        """The current municipality's targets (tenant-scoped), each key's periods in order."""
        return select(cls).order_by(cls.key, cls.period_start_fy)


class ProgressCount(TenantScoped, db.Model):
    """People counted per member, measure key and fiscal year: derived, never edited.

    Annual keys: distinct people who completed a programme of the measure's skill areas
    that year. Persona keys: people who reached the persona that year. Kept up to date in
    the same transaction as every change that moves a figure (regional.targets.tallies),
    so the dashboards read a few hundred rows instead of every completion since FY2024.
    """

    __tablename__ = "progress_counts"
    __table_args__ = (
        PrimaryKeyConstraint("municipality_id", "key", "fiscal_year", name="pk_progress_counts"),
    )

    key: Mapped[str] = mapped_column(String(30))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer, default=0)


class PersonaProgress(TenantScoped, db.Model):
    """One person's way to one persona: derived, never edited (regional.targets.tallies).

    A row exists once the person has completed a current programme of the track or holds
    a verified qualification that counts towards the persona.
    """

    __tablename__ = "persona_progress"
    __table_args__ = (
        PrimaryKeyConstraint("municipality_id", "employee_id", "key", name="pk_persona_progress"),
        Index("ix_persona_progress_key_member", "key", "municipality_id", "reached_fy"),
        Index("ix_persona_progress_employee", "employee_id"),
    )

    employee_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(30))
    #: Distinct current programmes of the track completed (any revision, any year).
    done: Mapped[int] = mapped_column(Integer, default=0)
    #: Fiscal year the persona was reached (courses or qualification, the earlier); None: not yet.
    reached_fy: Mapped[int | None] = mapped_column(Integer)
    #: The day it was reached, under the rules in force that day (regional.targets.rules).
    reached_on: Mapped[date | None] = mapped_column(Date)


class AnnualProgress(TenantScoped, db.Model):
    """A person who counts for an annual key in a fiscal year: derived, never edited.

    The people behind ``progress_counts`` of the annual keys, so that a drill-down lists
    exactly the people the figure counts (regional.targets.tallies keeps both).
    """

    __tablename__ = "annual_progress"
    tenant_index = False
    __table_args__ = (
        PrimaryKeyConstraint(
            "municipality_id", "key", "fiscal_year", "employee_id", name="pk_annual_progress"
        ),
        Index("ix_annual_progress_employee", "employee_id"),
    )

    employee_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(30))
    fiscal_year: Mapped[int] = mapped_column(Integer)


VERSION_REASONS = {
    "setup": _l("The rules the platform started with"),
    "catalogue": _l("The catalogue, the measure or a qualification rule changed"),
    "retroactive": _l("Re-defined from this day by an administrator"),
}


class MeasureVersion(db.Model):
    """What made a person count for one key from one day on: the rules as they stood.

    A persona is reached on the first day the rules *in force that day* are met, and a
    completion counts for an annual key when its skill area was one of the key's areas on
    the day it was completed. So a later change of the catalogue or of a measure starts a
    new version from the day it is made and never rewrites what was reached before it
    (regional.targets.rules). The first version of a key applies to every day before the
    next one.
    """

    __tablename__ = "measure_versions"
    __table_args__ = (
        UniqueConstraint("key", "effective_from", name="uq_measure_versions_key_day"),
        CheckConstraint("min_programs IS NULL OR min_programs >= 1", name="min_programs_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(30))
    #: The first day (in Japan) these rules applied.
    effective_from: Mapped[date] = mapped_column(Date)
    kind: Mapped[MeasureKind] = mapped_column(str_enum(MeasureKind))
    rule: Mapped[PersonaRule | None] = mapped_column(str_enum(PersonaRule))
    min_programs: Mapped[int | None] = mapped_column(Integer)
    #: Persona keys: ids of the track's active programmes that day.
    programs: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: Persona keys: exam codes whose verified pass reached the persona that day.
    exams: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Annual keys: skill areas whose completions counted that day.
    skill_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Why this version began: "setup", "catalogue", "measure", "qualification rule",
    #: "retroactive" (an administrator re-defined the measure from a past day).
    reason: Mapped[str] = mapped_column(String(30), default="setup")

    @classmethod
    def history(cls, key: str | None = None):
        stmt = select(cls).order_by(cls.key, cls.effective_from)
        return stmt if key is None else stmt.where(cls.key == key)


class YearClose(TenantScoped, db.Model):
    """年度締め: a member's figures of one fiscal year, frozen as reported.

    Every target (achieved, plan line, status, trend), the coverage with the units and
    people behind it, and the people each figure counted, as they stood when the year was
    closed. The pages and the API show these for a closed year; a correction made later is
    shown beside them, never merged. Re-opening (regional administrators, with a reason)
    keeps the row and its figures: the next close is a new row.
    """

    __tablename__ = "year_closes"
    #: Led by the unique index below.
    tenant_index = False
    __table_args__ = (
        Index(
            "uq_year_closes_one_open",
            "municipality_id",
            "fiscal_year",
            unique=True,
            sqlite_where=text("reopened_at IS NULL"),
            postgresql_where=text("reopened_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(Integer)
    closed_by_label: Mapped[str] = mapped_column(String(400), default="")
    #: The figures as reported (regional.targets.closing.freeze).
    figures: Mapped[dict] = mapped_column(JSON)
    reopened_at: Mapped[datetime | None]
    reopened_by_id: Mapped[int | None] = mapped_column(Integer)
    reopen_reason: Mapped[str | None] = mapped_column(Text)

    @classmethod
    def open_for(cls, fiscal_year: int):
        """The current municipality's close of a year still in force (tenant-scoped)."""
        return select(cls).where(cls.fiscal_year == fiscal_year, cls.reopened_at.is_(None))


# The audit trail shows these codes by their labels.
register_values(RULE_LABELS, (None, "rule"))
register_values(TARGET_KIND_LABELS, ("target", "kind"), ("measure", "kind"))
