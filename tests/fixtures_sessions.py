"""Helpers for the catalogue and sessions tests: people, registrations, form data, row counts."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import func, select

from regional.extensions import db
from regional.fiscal import now_utc, to_local
from regional.people.models import User
from regional.registrations import actions
from regional.seats.models import Registration
from regional.sessions.models import TrainingSession
from tenants.scoping import acting_as, all_tenants
from tests import factories


def person(user_id: int) -> User:
    """Any account by id, whatever its municipality."""
    with all_tenants(db.session):
        return db.session.get(User, user_id)


def register(session_id: int, employee_id: int) -> Registration:
    """Register an employee for a session themselves, in their own municipality."""
    employee = person(employee_id)
    with acting_as(db.session, employee.municipality_id):
        return actions.register(session_id, employee, employee)


def fill(session_id: int, municipality_id: int, n: int) -> list[int]:
    """``n`` new employees of one municipality, each registered; their ids."""
    ids = []
    for _ in range(n):
        user = factories.make_user(municipality_id)
        register(session_id, user.id)
        ids.append(user.id)
    return ids


def fresh(ts_id: int) -> TrainingSession:
    """The session as the database has it now (after a request in another session)."""
    return db.session.scalar(
        select(TrainingSession)
        .where(TrainingSession.id == ts_id)
        .execution_options(populate_existing=True)
    )


def registrations_of(ts_id: int) -> list[Registration]:
    with all_tenants(db.session):
        return list(
            db.session.scalars(
                select(Registration)
                .where(Registration.session_id == ts_id)
                .order_by(Registration.id)
                .execution_options(populate_existing=True)
            )
        )


def count(model) -> int:
    """Rows of a table, every municipality included."""
    return db.session.scalar(
        select(func.count()).select_from(model).execution_options(all_tenants=True)
    )


def local(delta: timedelta, fmt: str = "%Y-%m-%dT%H:%M") -> str:
    """A Tokyo wall-clock time ``delta`` from now, as a datetime-local input sends it."""
    return to_local(now_utc() + delta).strftime(fmt)


def session_form(program_id: int, /, **overrides: object) -> dict:
    """A valid session form a month ahead; override any field."""
    data = {
        "program_id": str(program_id),
        "starts_at": local(timedelta(days=30)),
        "ends_at": local(timedelta(days=30, hours=3)),
        "venue": "岡山市役所 本庁舎 第1会議室",
        "online_url": "",
        "capacity": "20",
        "registration_opens_at": local(timedelta(days=-1)),
        "registration_closes_at": local(timedelta(days=28)),
        "cancellation_deadline": "",
        "audience": "all",
        "notes": "",
    }
    data.update(overrides)
    return data


def iso(delta: timedelta) -> str:
    """An ISO 8601 time with offset, ``delta`` from now (Tokyo)."""
    return to_local(now_utc() + delta).isoformat(timespec="seconds")


def session_body(program_id: int, /, **overrides: object) -> dict:
    """A valid API body for a new session a month ahead."""
    body = {
        "program_id": program_id,
        "starts_at": iso(timedelta(days=30)),
        "ends_at": iso(timedelta(days=30, hours=2)),
        "venue": "岡山市役所",
        "capacity": 30,
        "registration_opens_at": iso(timedelta(days=-1)),
        "registration_closes_at": iso(timedelta(days=28)),
        "requires_approval": False,
    }
    body.update(overrides)
    return body


@contextmanager
def within(app):
    """Set up or check data in an app context of its own, committed at the end.

    Page and API requests push their own app context only when none is active, so
    requests made inside ``ctx`` would share ``g`` (the signed-in user, the locale)
    with the test and with each other. Tests that make requests use this instead.
    """
    with app.app_context():
        yield
        db.session.commit()
