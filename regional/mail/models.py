"""The outbox: mail is written in the same transaction as the change it reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, synonym

from regional.extensions import db
from tenants.base import utcnow


class OutboundMail(db.Model):
    """A message waiting for (or past) delivery; a dead worker loses none of them.

    Infrastructure, read only by the dispatcher: not exposed by any route.
    ``municipality_id`` records whose message it is, for audit and clean-up.

    Two shapes. Rendered when queued: ``subject`` and ``body`` (and ``ics``) are
    set. Rendered at delivery (registration notices, so that a request does not
    render mail and calendar files while it holds the session's lock):
    ``template`` and ``params`` are set and the text is empty until the
    dispatcher (or anyone reading ``subject``, ``body`` or ``ics``) renders it
    through :func:`regional.mail.services.render`, which then keeps it.
    """

    __tablename__ = "outbound_mail"
    __table_args__ = (
        CheckConstraint("body IS NOT NULL OR template IS NOT NULL", name="rendered_or_deferred"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    to_addr: Mapped[str] = mapped_column(String(254))
    stored_subject: Mapped[str | None] = mapped_column("subject", String(300))
    stored_body: Mapped[str | None] = mapped_column("body", Text)
    #: An optional iCalendar attachment (invitation or cancellation).
    stored_ics: Mapped[bytes | None] = mapped_column("ics", LargeBinary)
    #: Rendered at delivery: ``mail/<template>.txt`` with what ``params`` names (ids, the
    #: state at the time of the event); None for mail rendered when queued.
    template: Mapped[str | None] = mapped_column(String(60))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    def _rendered(self) -> OutboundMail:
        if self.stored_body is None and self.template is not None:
            from regional.mail.services import render

            render(self)
        return self

    def _get(name: str):  # noqa: N805 - builds the descriptors below
        return lambda self: getattr(self._rendered(), name)

    def _set(name: str):  # noqa: N805
        return lambda self, value: setattr(self, name, value)

    subject = synonym(
        "stored_subject", descriptor=property(_get("stored_subject"), _set("stored_subject"))
    )
    body = synonym("stored_body", descriptor=property(_get("stored_body"), _set("stored_body")))
    ics = synonym("stored_ics", descriptor=property(_get("stored_ics"), _set("stored_ics")))
    del _get, _set

    @classmethod
    def unsent(cls, max_attempts: int = 10):
        return (
            select(cls).where(cls.sent_at.is_(None), cls.attempts < max_attempts).order_by(cls.id)
        )
