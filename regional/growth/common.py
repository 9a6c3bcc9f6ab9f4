"""Small helpers of the growth pages: role gates and refusals."""

from __future__ import annotations

from functools import wraps

from flask import abort, flash
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from regional.errors import DomainError
from regional.extensions import db
from regional.people.models import AccountStatus, User
from tenants import set_current_tenant


def coordinator_required(view):  # noqa: ANN001, ANN201
    """Signed in and a coordinator (or regional administrator); others get 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if not current_user.is_coordinator:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):  # noqa: ANN001, ANN201
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if not current_user.is_regional_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def as_myself() -> None:
    """One's own records live in one's own municipality (an administrator may act elsewhere)."""
    set_current_tenant(db.session, current_user.municipality_id)


def refused(exc: DomainError) -> None:
    """Undo the unit of work and say why (a 404 stays a 404)."""
    db.session.rollback()
    if exc.status == 404:
        abort(404)
    flash(str(exc.message), "error")


def find_staff(text: str) -> User | None:
    """An active person of the current municipality, by employee number or e-mail."""
    text = (text or "").strip()
    if not text:
        return None
    return db.session.scalar(
        select(User).where(
            User.status == AccountStatus.ACTIVE,
            or_(User.employee_number == text, User.email == text.lower()),
        )
    )
