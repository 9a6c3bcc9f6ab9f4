"""Audit entries: one municipality's administrative actions, kept and never rewritten."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, event, select
from sqlalchemy.orm import Mapped, mapped_column

from regional.extensions import db
from tenants import TenantScoped
from tenants.base import utcnow


class AppendOnly(RuntimeError):
    """An audit entry was about to be changed or deleted."""


class AuditEntry(TenantScoped, db.Model):
    """One administrative action in one municipality (append-only).

    The application never updates or deletes a row: the mapper refuses it here,
    and on PostgreSQL a trigger (see the migration) refuses UPDATE, DELETE and
    TRUNCATE from any client.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_tenant_at", "municipality_id", "at"),
        # A member's entries of one kind, newest first (the last reminder on the home page,
        # the trail filtered by action): tests/test_query_plans.py.
        Index("ix_audit_entries_tenant_action_at", "municipality_id", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The account that acted (None: the system, e.g. a cron job); no foreign key, so
    #: the trail outlives accounts.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    #: The actor's name and e-mail as they were at the time.
    actor_label: Mapped[str] = mapped_column(String(400), default="")
    #: Dotted code of what was done: "target.update", "registration.approve", ...
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[str | None] = mapped_column(String(64))
    subject_label: Mapped[str] = mapped_column(String(400), default="")
    #: {"before": ..., "after": ..., other keys}
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def as_json(self) -> dict[str, Any]:
        from regional.fiscal import to_local

        return {
            "id": self.id,
            "at": to_local(self.at).isoformat(timespec="seconds"),
            "actor": self.actor_label,
            "actor_id": self.actor_id,
            "action": self.action,
            "subject": {
                "type": self.subject_type,
                "id": self.subject_id,
                "label": self.subject_label,
            },
            "detail": self.detail or {},
        }

    @classmethod
    def listing(
        cls,
        *,
        action: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ):
        """The current municipality's trail, newest first; ``action`` matches a code or a prefix."""
        stmt = select(cls).order_by(cls.at.desc(), cls.id.desc())
        if action:
            if action.endswith("."):
                stmt = stmt.where(cls.action.startswith(action, autoescape=True))
            else:
                stmt = stmt.where(cls.action == action)
        if start is not None:
            stmt = stmt.where(cls.at >= start)
        if end is not None:
            stmt = stmt.where(cls.at < end)
        return stmt

    @classmethod
    def actions(cls):
        """The action codes present in the current municipality's trail."""
        return select(cls.action).distinct().order_by(cls.action)


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AppendOnly("audit entries are append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AppendOnly("audit entries are append-only")
