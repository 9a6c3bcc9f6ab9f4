"""Shared helpers for the registration tests: people, sessions and service calls in a tenant."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from regional.extensions import db
from regional.people.models import Role, User
from regional.registrations import actions, cancellation
from regional.seats.models import Registration
from regional.sessions.models import TrainingSession
from tenants.scoping import acting_as, all_tenants
from tests import factories


def ja(msgid: str, **params: object) -> str:
    """A message as a Japanese reader gets it (translated once the catalogues are compiled).

    Mail goes out in the recipient's language (Japanese by default), so tests
    compare with this rather than with the English msgid. Needs an app context.
    """
    with force_locale("ja"):
        return gettext(msgid, **params)


def ja_subject(msgid: str, **params: object) -> str:
    """A mail's subject as a Japanese reader gets it: with the portal's prefix."""
    return ja("[Training portal] %(subject)s", subject=ja(msgid, **params))


def english(*clients):
    """Make signed-in page clients read English, whatever catalogues are compiled."""
    for client in clients:
        with client.session_transaction() as s:
            s["lang"] = "en"
    return clients[0] if len(clients) == 1 else clients


def person(user_id: int) -> User:
    """Any account by id, whatever its municipality."""
    with all_tenants(db.session):
        return db.session.get(User, user_id)


@contextmanager
def inside(municipality_id: int):
    with acting_as(db.session, municipality_id):
        yield


def register(session_id: int, employee_id: int, actor_id: int | None = None) -> Registration:
    """Register through the service, in the employee's municipality (actor: themselves)."""
    employee = person(employee_id)
    actor = person(actor_id or employee_id)
    with inside(employee.municipality_id):
        return actions.register(session_id, employee, actor)


def cancel(reg_id: int, actor_id: int) -> list[Registration]:
    reg = registration(reg_id)
    with inside(reg.municipality_id):
        return cancellation.cancel(reg, person(actor_id))


def registration(reg_id: int) -> Registration:
    with all_tenants(db.session):
        reg = db.session.get(Registration, reg_id)
        db.session.refresh(reg)
        return reg


def session_row(ts_id: int) -> TrainingSession:
    ts = db.session.get(TrainingSession, ts_id)
    db.session.refresh(ts)
    return ts


def staff(municipality_id: int, n: int, **kw) -> list[int]:
    """``n`` new employees of one municipality; their ids."""
    return [factories.make_user(municipality_id, **kw).id for _ in range(n)]


def all_registrations(ts_id: int) -> list[Registration]:
    with all_tenants(db.session):
        return list(
            db.session.scalars(
                select(Registration)
                .where(Registration.session_id == ts_id)
                .order_by(Registration.id)
                .execution_options(populate_existing=True)
            )
        )


@pytest.fixture
def soon(ctx):
    """A shared session in two weeks with 2 seats."""
    return factories.make_session(capacity=2)


def coordinator_of(municipality_id: int) -> int:
    return factories.make_user(municipality_id, role=Role.COORDINATOR).id


__all__ = [
    "all_registrations",
    "cancel",
    "coordinator_of",
    "english",
    "ja",
    "inside",
    "person",
    "register",
    "registration",
    "session_row",
    "soon",
    "staff",
    "timedelta",
]
