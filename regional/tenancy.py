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

from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

from flask import abort, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import select

from regional.extensions import db
from regional.validation import fold_width, record_id
from tenants import all_tenants, set_current_tenant
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


#: Set on a view by :func:`own_records` and :func:`record_member`.
_OWN_RECORDS = "_regional_own_records"
_RECORD_MEMBER = "_regional_record_member"


def own_records(view: T) -> T:
    """Mark a view of the signed-in person's own records (qualifications, OJT, certificates):
    they live in the person's own municipality, whichever member an administrator acts in."""
    setattr(view, _OWN_RECORDS, True)
    return view


def record_member(find: Callable[[dict], int | None]) -> Callable[[T], T]:
    """Mark a view of one record that a regional administrator may open in any member.

    ``find(view_args)`` names the record's municipality (read with the wall lifted; None when
    there is no such record); an administrator's request then works inside it. For anyone
    else the request stays in their own municipality, where another member's record is
    simply not found.
    """

    def mark(view: T) -> T:
        setattr(view, _RECORD_MEMBER, find)
        return view

    return mark


def member_of(model: type, arg: str) -> Callable[[dict], int | None]:
    """A :func:`record_member` finder: the municipality of ``model``'s row whose id is the
    view argument ``arg``."""

    def find(view_args: dict) -> int | None:
        ident = record_id(view_args.get(arg))
        if ident is None:
            return None
        stmt = select(model.municipality_id).where(model.id == ident)  # type: ignore[attr-defined]
        return db.session.scalar(stmt)

    return find


def resolve_tenant() -> None:
    """Set the current municipality from the signed-in user (after authentication).

    The one place the request's tenant is set, once: the signed-in person's municipality
    (an administrator's chosen one), their own for a view of their own records, or the
    record's for an administrator opening one record of another member (the view's marks
    above). Every other change of municipality is a scoped ``acting_as`` or ``all_tenants``.
    """
    if not current_user.is_authenticated:
        return
    municipality = current_user.municipality
    if current_user.is_regional_admin:
        acting = session.get(ACTING_KEY)
        if acting and acting != municipality.code:
            chosen = db.session.scalar(Municipality.by_code(acting))
            if chosen is not None:
                municipality = chosen
    tenant = municipality.id
    view = current_app.view_functions.get(request.endpoint or "")
    find = getattr(view, _RECORD_MEMBER, None)
    if getattr(view, _OWN_RECORDS, False):
        tenant = current_user.municipality_id
    elif find is not None and current_user.is_regional_admin:
        with all_tenants(db.session):
            found = find(request.view_args or {})
        if found is not None:
            tenant = found
    set_current_tenant(db.session, tenant)
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
