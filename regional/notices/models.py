"""A notice (お知らせ) and the per-person read marks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from regional.extensions import db
from tenants import TenantScoped
from tenants.base import Versioned, utcnow

TITLE_MAX = 200
BODY_MAX = 4000
#: Who a notice is for: every member of staff, the coordinators, or the heads of unit.
AUDIENCES = ("all", "coordinators", "heads")


class Notice(Versioned, db.Model):
    """Posted by a regional administrator for every member (``audience_municipality_id``
    None) or by a coordinator for their own municipality. Not TenantScoped, like a learning
    material: every read goes through :meth:`visible_to` or the load gate in services.py.
    Versioned: the API's ETag of a notice and its If-Match on a change."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None: every member's staff; else only this municipality's.
    audience_municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="RESTRICT"), index=True
    )
    audience: Mapped[str] = mapped_column(String(20), default="all")
    title_ja: Mapped[str] = mapped_column(String(TITLE_MAX))
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    body_ja: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text, default="")
    #: The publication window, UTC: shown from ``shown_from``, until before ``shown_until``.
    shown_from: Mapped[datetime]
    shown_until: Mapped[datetime | None]
    posted_by_id: Mapped[int | None] = mapped_column(Integer)
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title_ja

    def body(self, lang: str) -> str:
        return self.body_en if lang == "en" and self.body_en else self.body_ja

    @classmethod
    def visible_to(cls, municipality_id: int | None):
        """Notices of the region and of ``municipality_id`` (None: the region's only)."""
        stmt = select(cls).order_by(cls.shown_from.desc(), cls.id.desc())
        if municipality_id is None:
            return stmt.where(cls.audience_municipality_id.is_(None))
        return stmt.where(
            (cls.audience_municipality_id.is_(None))
            | (cls.audience_municipality_id == municipality_id)
        )


class NoticeRead(TenantScoped, db.Model):
    """One person has read one notice: a row of the reader's municipality."""

    __tablename__ = "notice_reads"
    __table_args__ = (UniqueConstraint("notice_id", "user_id", name="uq_notice_reads_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Integer)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
