"""Writing the audit trail: one entry per administrative action, in the action's transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import has_request_context
from flask_login import current_user

from regional.audit.labels import ACTION_LABELS
from regional.audit.models import AuditEntry
from regional.extensions import db
from tenants.scoping import all_tenants, current_tenant_id, is_all_tenants


def _plain(value: Any) -> Any:
    """A JSON-safe copy (dates as ISO text, enums as their value, decimals as text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def actor_label(actor: Any) -> str:
    if actor is None:
        return ""
    name = getattr(actor, "name", "") or ""
    email = getattr(actor, "email", "") or ""
    return f"{name} <{email}>" if email else name


def _default_actor() -> Any:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


class UnknownAction(ValueError):
    """An action code missing from the registry (:data:`regional.audit.labels.ACTION_LABELS`)."""


def record_audit(
    action: str,
    *,
    subject_type: str,
    subject_id: int | str | None,
    subject_label: str = "",
    before: dict | None = None,
    after: dict | None = None,
    detail: dict | None = None,
    actor: Any = None,
    municipality_id: int | None = None,
) -> AuditEntry:
    """Add an audit entry to the current unit of work (never commits).

    The entry belongs to ``municipality_id`` (default: the municipality the unit
    of work acts in); the actor defaults to the signed-in user. Inside
    ``all_tenants`` the municipality must be given. ``action`` must be registered with
    its label in :mod:`regional.audit.labels`: the trail never shows a bare code.
    """
    if action not in ACTION_LABELS:
        raise UnknownAction(f"audit action {action!r} has no label in regional/audit/labels.py")
    if actor is None:
        actor = _default_actor()
    body: dict[str, Any] = dict(_plain(detail or {}))
    if before is not None:
        body["before"] = _plain(before)
    if after is not None:
        body["after"] = _plain(after)
    entry = AuditEntry(
        municipality_id=municipality_id
        if municipality_id is not None
        else current_tenant_id(db.session),
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label(actor)[:400],
        action=action[:60],
        subject_type=subject_type[:40],
        subject_id=None if subject_id is None else str(subject_id)[:64],
        subject_label=(subject_label or "")[:400],
        detail=body,
    )
    db.session.add(entry)
    return entry


def record_audit_across(action: str, *, municipality_id: int, **kwargs: Any) -> AuditEntry:
    """Record an entry in a municipality other than the one the unit of work acts in.

    For regional work that belongs to a member's trail (a regional administrator
    acting elsewhere, a batch across members). The pending changes are flushed
    first under the wall as usual; only the entry is written across it.
    """
    session = db.session
    if is_all_tenants(session):
        entry = record_audit(action, municipality_id=municipality_id, **kwargs)
        session.flush()  # while the wall is lifted: a later flush may be outside it
        return entry
    if current_tenant_id(session) == municipality_id:
        entry = record_audit(action, municipality_id=municipality_id, **kwargs)
        # Written now: callers may switch the municipality (acting_as) before the next flush.
        session.flush()
        return entry
    session.flush()
    with all_tenants(session):
        entry = record_audit(action, municipality_id=municipality_id, **kwargs)
        session.flush()
    return entry
