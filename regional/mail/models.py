"""The outbox: mail is written in the same transaction as the change it reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from regional.extensions import db
from tenants import TenantScoped
from tenants.base import utcnow


class OutboundMail(db.Model):
    """A message waiting for (or past) delivery; a dead worker loses none of them.

    Infrastructure, read only by the dispatcher: not exposed by any route.
    ``municipality_id`` records whose message it is, for audit and clean-up.

    Two shapes. Rendered when queued: ``subject`` and ``body`` (and ``ics``) are
    set. Rendered at delivery (registration notices, so that a request does not
    render mail and calendar files while it holds the session's lock):
    ``template`` and ``params`` are set and the text is empty until the
    dispatcher renders it (:func:`regional.mail.services.render`, called explicitly
    by whoever needs the text), which then keeps it. The model renders nothing.

    Three states: waiting (``sent_at`` and ``failed_at`` empty; tried when
    ``next_attempt_at`` comes), sent, and failed (refused for good, or still
    refused after days of retries: listed on the 宛先不明のメール page until a
    coordinator sends it again or discards it).
    """

    __tablename__ = "outbound_mail"
    __table_args__ = (
        CheckConstraint("body IS NOT NULL OR template IS NOT NULL", name="rendered_or_deferred"),
        # The queue: waiting messages by their next attempt (tests/test_mail_failures.py).
        Index(
            "ix_outbound_mail_due",
            "next_attempt_at",
            "id",
            sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
            postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
        ),
        # A member's undelivered mail (the coordinator's list).
        Index(
            "ix_outbound_mail_failed",
            "municipality_id",
            "failed_at",
            sqlite_where=text("failed_at IS NOT NULL"),
            postgresql_where=text("failed_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    to_addr: Mapped[str] = mapped_column(String(254))
    #: Subject and text as sent; None on deferred mail until the dispatcher renders it.
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    #: An optional iCalendar attachment (invitation or cancellation).
    ics: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: ``mail/<template>.txt``. With ``body`` empty, it is rendered at delivery with what
    #: ``params`` names (ids, the state at the time of the event). Kept on mail rendered when
    #: queued too (None on rows older than that): it says whether a message may be sent to
    #: a corrected address (:data:`regional.mail.services.ADDRESS_BOUND`).
    template: Mapped[str | None] = mapped_column(String(60))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    #: Tries since it was queued (or sent again by a coordinator).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: The mail server's last answer (``550 5.1.1 …``), or why it could not be sent.
    last_error: Mapped[str | None] = mapped_column(Text)
    #: When it may be tried (again): queued now, or later after a temporary failure
    #: (back-off). Only rows older than this column are None (filled by its migration).
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    #: When delivery was given up (a permanent refusal, or retries exhausted).
    failed_at: Mapped[datetime | None] = mapped_column()

    @classmethod
    def waiting(cls):
        """Messages neither sent nor failed, in the order they are due."""
        return (
            select(cls)
            .where(cls.sent_at.is_(None), cls.failed_at.is_(None))
            .order_by(cls.next_attempt_at.nulls_first(), cls.id)
        )

    @classmethod
    def due(cls, now: datetime):
        """Waiting messages whose (next) attempt has come, the longest-due first."""
        return cls.waiting().where(or_(cls.next_attempt_at.is_(None), cls.next_attempt_at <= now))

    @classmethod
    def undelivered(cls, municipality_id: int | None):
        """A member's failed messages (None: mail of no member), the latest first."""
        owner = (
            cls.municipality_id.is_(None)
            if municipality_id is None
            else cls.municipality_id == municipality_id
        )
        return (
            select(cls)
            .where(cls.failed_at.is_not(None), owner)
            .order_by(cls.failed_at.desc(), cls.id.desc())
        )

    @classmethod
    def retrying(cls, municipality_id: int | None):
        """A member's waiting messages that a temporary failure has held back."""
        owner = (
            cls.municipality_id.is_(None)
            if municipality_id is None
            else cls.municipality_id == municipality_id
        )
        return cls.waiting().where(cls.attempts > 0, owner)


class MailSignature(TenantScoped, db.Model):
    """The sender under every mail of a member (差出人情報): its section and contact.

    One row per member, kept by its coordinators. Mail of a member without one, and
    mail of no member, is signed with the region's default: the coordinating member's
    row (the regional administrators run the portal). See
    :func:`regional.mail.services.signature_for`.
    """

    __tablename__ = "mail_signatures"
    tenant_index = False
    __table_args__ = (UniqueConstraint("municipality_id", name="uq_mail_signatures_municipality"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 担当課・係, e.g. 「総務部 人事課 研修係」.
    section: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
