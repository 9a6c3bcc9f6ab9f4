"""The shared catalogue: skill areas from the policy and the programmes in them."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regional.audit.labels import register_values
from regional.catalogue.normalise import spaced
from regional.enums import str_enum
from regional.extensions import db
from tenants.base import Versioned, utcnow


class Tier(enum.StrEnum):
    GENERAL = "general"  # 一般職員
    CORE = "core"  # コア人材
    ADVANCED = "advanced"  # 高度デジタル人材

    @property
    def label(self) -> str:
        return str(TIER_LABELS[self])


TIER_LABELS = {
    Tier.GENERAL: _l("General staff"),
    Tier.CORE: _l("Core staff"),
    Tier.ADVANCED: _l("Advanced digital staff"),
}


class Track(enum.StrEnum):
    ADVANCED_ICT = "advanced_ict"  # 高度なICT知識
    DIGITAL_TECH = "digital_tech"  # デジタル技術
    PROJECT_MANAGEMENT = "project_management"  # プロジェクトマネジメント
    LITERACY = "literacy"  # デジタルリテラシー
    MINDSET = "mindset"  # マインドセット

    @property
    def label(self) -> str:
        return str(TRACK_LABELS[self])


TRACK_LABELS = {
    Track.ADVANCED_ICT: _l("Advanced ICT knowledge"),
    Track.DIGITAL_TECH: _l("Digital technology"),
    Track.PROJECT_MANAGEMENT: _l("Project management"),
    Track.LITERACY: _l("Digital literacy"),
    Track.MINDSET: _l("Mindset"),
}


class Delivery(enum.StrEnum):
    CLASSROOM = "classroom"
    LIVE_ONLINE = "live_online"
    ELEARNING = "elearning"
    OJT = "ojt"

    @property
    def label(self) -> str:
        return str(DELIVERY_LABELS[self])


DELIVERY_LABELS = {
    Delivery.CLASSROOM: _l("Classroom"),
    Delivery.LIVE_ONLINE: _l("Live online"),
    Delivery.ELEARNING: _l("E-learning"),
    Delivery.OJT: _l("On-the-job"),
}


class SkillArea(db.Model):
    """A skill area named in the policy's table (クラウド, 仕様書作成, 情報セキュリティ ...)."""

    __tablename__ = "skill_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    tier: Mapped[Tier] = mapped_column(str_enum(Tier))
    track: Mapped[Track] = mapped_column(str_enum(Track, 30))
    name_ja: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(150))
    #: 対象者: who the policy aims this area at, in words.
    audience_ja: Mapped[str] = mapped_column(String(300), default="")
    audience_en: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_ja

    @classmethod
    def ordered(cls):
        return select(cls).order_by(cls.position, cls.id)


class Program(Versioned, db.Model):
    """A programme of the shared catalogue; editing it bumps ``revision`` and keeps history."""

    __tablename__ = "programs"
    __table_args__ = (
        CheckConstraint("hours >= 0", name="hours_not_negative"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_ja: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    skill_area_id: Mapped[int] = mapped_column(ForeignKey("skill_areas.id"), index=True)
    tier: Mapped[Tier] = mapped_column(str_enum(Tier))
    track: Mapped[Track] = mapped_column(str_enum(Track, 30))
    delivery: Mapped[Delivery] = mapped_column(str_enum(Delivery))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    #: Job categories admitted; empty means every category.
    eligible_job_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Tracks of which one completed programme admits (e.g. PM needs digital technology) ...
    prerequisite_tracks: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: ... or, alternatively, a duty of building or maintaining systems.
    prerequisite_system_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Where the programme is taken as e-learning (an intranet address); None if nowhere.
    elearning_url: Mapped[str | None] = mapped_column(String(500))
    #: Whether participants write a report (受講報告) after attending, and its template.
    report_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    report_template: Mapped[str] = mapped_column(Text, default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    #: What keyword search reads, per reader's language (kept on write, see
    #: :meth:`search_texts`): the code and title, and the description, each
    #: :func:`~regional.catalogue.normalise.spaced`. Trigram-indexed (pg_trgm on
    #: PostgreSQL, the FTS5 table ``programs_fts`` on SQLite).
    search_title_ja: Mapped[str] = mapped_column(Text, default="")
    search_body_ja: Mapped[str] = mapped_column(Text, default="")
    search_title_en: Mapped[str] = mapped_column(Text, default="")
    search_body_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    skill_area: Mapped[SkillArea] = relationship(lazy="joined")

    def title(self, locale: str) -> str:
        """The title in a language; the Japanese one when no English title was given."""
        return (self.title_en or self.title_ja) if locale == "en" else self.title_ja

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" else self.description_ja

    def snapshot(self) -> dict:
        """What a participant took: kept with each revision and each completion."""
        return {
            "code": self.code,
            "title_ja": self.title_ja,
            "title_en": self.title_en,
            "tier": self.tier.value,
            "track": self.track.value,
            "skill_area": self.skill_area.key if self.skill_area else None,
            "delivery": self.delivery.value,
            "hours": str(self.hours),
            "eligible_job_categories": list(self.eligible_job_categories or []),
            "prerequisite_tracks": list(self.prerequisite_tracks or []),
            "prerequisite_system_duty": self.prerequisite_system_duty,
            "elearning_url": self.elearning_url,
            "report_required": self.report_required,
            "report_template": self.report_template,
        }

    def search_texts(self) -> dict[str, str]:
        """The stored search columns: each language's own text, the other's where it has
        none (what a reader of that language is shown), the code with the title."""
        title_ja = self.title_ja or self.title_en or ""
        title_en = self.title_en or self.title_ja or ""
        body_ja = self.description_ja or self.description_en or ""
        body_en = self.description_en or self.description_ja or ""
        code = self.code or ""
        return {
            "search_title_ja": spaced(f"{code} {title_ja}"),
            "search_body_ja": spaced(body_ja),
            "search_title_en": spaced(f"{code} {title_en}"),
            "search_body_en": spaced(body_en),
        }

    @classmethod
    def listing(
        cls,
        tier: str | None = None,
        track: str | None = None,
        active_only: bool = True,
        area_key: str | None = None,
    ):
        """Programmes in catalogue order, optionally narrowed by tier, track and skill area
        (keywords: :func:`regional.catalogue.search.matching`)."""
        stmt = select(cls).order_by(cls.tier, cls.track, cls.code)
        if active_only:
            stmt = stmt.where(cls.active.is_(True))
        if tier:
            stmt = stmt.where(cls.tier == tier)
        if track:
            stmt = stmt.where(cls.track == track)
        if area_key:
            stmt = stmt.where(cls.skill_area.has(SkillArea.key == area_key))
        return stmt

    @classmethod
    def by_code(cls, code: str):
        return select(cls).where(cls.code == code)


@event.listens_for(Program, "before_insert")
@event.listens_for(Program, "before_update")
def _keep_search_texts(_mapper, _connection, program: Program) -> None:
    for name, value in program.search_texts().items():
        setattr(program, name, value)


class ProgramRevision(db.Model):
    """One saved state of a programme; past participants keep what they took."""

    __tablename__ = "program_revisions"
    __table_args__ = (UniqueConstraint("program_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict] = mapped_column(JSON)
    changed_by_id: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    @classmethod
    def history(cls, program_id: int):
        """Every saved state of one programme, newest first."""
        return select(cls).where(cls.program_id == program_id).order_by(cls.revision.desc())


class SynonymGroup(db.Model):
    """Words that keyword search treats as one (エクセル, Excel, 表計算): shared by the
    region, seeded from ``data/synonyms.toml`` by the migration, extended by regional
    administrators. A typed word equal to one of them (as folded) also finds the others,
    ranked after what it finds itself."""

    __tablename__ = "search_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The words as written (at least two).
    words: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Who added the group; None for the groups the platform came with.
    added_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# The audit trail shows these codes by their labels.
register_values(TIER_LABELS, (None, "tier"))
register_values(TRACK_LABELS, (None, "track"), (None, "prerequisite_tracks"))
register_values(DELIVERY_LABELS, (None, "delivery"))
