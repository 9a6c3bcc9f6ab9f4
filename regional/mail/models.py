"""The outbox: mail is written in the same transaction as the change it reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from regional.extensions import db
from tenants.base import utcnow


class OutboundMail(db.Model):
    """A message waiting for (or past) delivery; a dead worker loses none of them.

    Infrastructure, read only by the dispatcher: not exposed by any route.
    ``municipality_id`` records whose message it is, for audit and clean-up.
    """

    __tablename__ = "outbound_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    #: An optional iCalendar attachment (invitation or cancellation).
    ics: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    @classmethod
    def unsent(cls, max_attempts: int = 10):
        return (
            select(cls).where(cls.sent_at.is_(None), cls.attempts < max_attempts).order_by(cls.id)
        )
