"""Flask glue for the tenant wall: who is asking, and which municipality they act in.

Resolved once per request, before any view runs:

* employees and coordinators act in their own municipality, always;
* regional administrators act in the municipality they chose with the visible
  switch (their own by default), and may enter any member by code;
* the anonymous act in none, so tenant-owned queries return nothing.

Views load tenant-owned records through :func:`get_or_404`; another
municipality's record is simply not found.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TypeVar

from flask import abort, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import select

from regional.extensions import db
from regional.validation import fold_width
from tenants import set_current_tenant
from tenants.models import Municipality
from tenants.scoping import current_tenant_id

T = TypeVar("T")

#: Whether the current unit of work intends to write (SQLite then begins IMMEDIATE).
write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)

#: Set on a view by :func:`reads_first`.
_READS_FIRST = "_regional_reads_first"

ACTING_KEY = "acting_municipality"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def reads_first(view: T) -> T:
    """Mark a writing view that reads (and checks) before it takes the write lock.

    Its request begins like a GET (SQLite: a deferred transaction, so the sign-in and
    the checks never wait for another writer); the view calls
    :func:`regional.database.begin_writing` before its first write.
    """
    setattr(view, _READS_FIRST, True)
    return view


def begin_request() -> None:
    """First step of every request: no tenant until the user is known."""
    view = current_app.view_functions.get(request.endpoint or "")
    write_intent.set(request.method not in SAFE_METHODS and not getattr(view, _READS_FIRST, False))
    set_current_tenant(db.session, None)
    g.municipality = None


def resolve_tenant() -> None:
    """Set the current municipality from the signed-in user (after authentication)."""
    if not current_user.is_authenticated:
        return
    municipality = current_user.municipality
    if current_user.is_regional_admin:
        acting = session.get(ACTING_KEY)
        if acting and acting != municipality.code:
            chosen = db.session.scalar(Municipality.by_code(acting))
            if chosen is not None:
                municipality = chosen
    set_current_tenant(db.session, municipality.id)
    g.municipality = municipality


def current_municipality() -> Municipality | None:
    return g.get("municipality")


def enter_municipality(code: str) -> Municipality:
    """Act in the municipality named by ``code`` for this request, or answer 404.

    Coordinators may only name their own; regional administrators any member.
    An unknown code and a code one may not enter look the same.
    """
    if not current_user.is_authenticated:
        abort(401)
    # A code typed in full width (３３２０３８) names the same member; other digits none.
    code = fold_width(code) or ""
    if current_user.is_regional_admin:
        m = db.session.scalar(Municipality.by_code(code))
        if m is None:
            abort(404)
        set_current_tenant(db.session, m.id)
        g.municipality = m
        return m
    if current_user.is_coordinator and current_user.municipality.code == code:
        return current_user.municipality
    abort(404)


def get_or_404(model: type[T], ident: int) -> T:
    """The one load gate for a record by id: scoped by the tenant criteria, and checked again."""
    obj = db.session.scalar(select(model).where(model.id == ident))  # type: ignore[attr-defined]
    if obj is None:
        abort(404)
    owner = getattr(obj, "municipality_id", None)
    if owner is not None and not _may_see(owner):
        abort(404)
    return obj


def _may_see(municipality_id: int) -> bool:
    return municipality_id == current_tenant_id(db.session)
