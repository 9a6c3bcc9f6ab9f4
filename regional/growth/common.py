"""Small helpers of the growth pages: refusals, finding staff.

One's own records are opened in one's own municipality by the views' ``own_records`` mark
(:mod:`regional.tenancy`).

Role gates are the shared ones of :mod:`regional.roles`.
"""

from __future__ import annotations

from flask import abort, flash, url_for
from sqlalchemy import or_, select

from regional.errors import DomainError
from regional.extensions import db
from regional.people.models import AccountStatus, User
from regional.validation import typed_code


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
    numbers = {text, typed_code(text)}  # full-width digits typed: read as ASCII
    return db.session.scalar(
        select(User).where(
            User.status == AccountStatus.ACTIVE,
            or_(User.employee_number.in_(sorted(numbers)), User.email == text.lower()),
        )
    )


def my_training_tab(tab: str) -> str:
    """The address of a tab of my training (the records package's page, named, not imported)."""
    return url_for("records.my_training", tab=tab)
