"""Shared helpers for the people, admin and employees-API tests.

Requests must not share the test's app context: Flask reuses a pushed context
for a request, and with it ``g`` (Flask-Login's cached user, Flask-WTF's CSRF
token), so two clients in one test would see each other. Helpers here open
their own short app context for every database read or write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import select

from regional.extensions import db
from regional.people.models import AccountStatus, User
from tenants import all_tenants
from tenants.models import OrgLevel, OrgUnit
from tests import factories


@contextmanager
def in_app(app: Flask) -> Iterator[None]:
    """A short app context whose writes are kept for the rest of the test."""
    with app.app_context():
        yield
        db.session.commit()
        db.session.remove()


def user_row(app: Flask, user_id: int) -> User | None:
    """Any account by id, fresh from the database, whatever its municipality."""
    with app.app_context(), all_tenants(db.session):
        user = db.session.scalar(select(User).where(User.id == user_id))
        if user is not None:
            db.session.expunge(user)
        return user


def user_by_email(app: Flask, email: str) -> User | None:
    with app.app_context(), all_tenants(db.session):
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def unit_row(app: Flask, unit_id: int) -> OrgUnit | None:
    with app.app_context(), all_tenants(db.session):
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.id == unit_id))
        if unit is not None:
            db.session.expunge(unit)
        return unit


@pytest.fixture
def units(app, world) -> dict[str, int]:
    """A small tree in A (総務部 > デジタル推進課 > 企画係) and one unit in B."""
    with in_app(app):
        dept = factories.make_org_unit(world.muni_a, "総務部", OrgLevel.DEPARTMENT)
        div = factories.make_org_unit(world.muni_a, "デジタル推進課", OrgLevel.DIVISION, dept)
        sec = factories.make_org_unit(world.muni_a, "企画係", OrgLevel.SECTION, div)
        other = factories.make_org_unit(world.muni_b, "玉野総務課", OrgLevel.DIVISION)
        ids = {"dept": dept.id, "div": div.id, "sec": sec.id, "b": other.id}
    return ids


@pytest.fixture
def pending(app, world) -> dict[str, int]:
    """One sign-up awaiting approval in A and one in B."""
    with in_app(app):
        a = factories.make_user(
            world.muni_a,
            name="外部 申請者",
            email="applicant@gmail.example",
            status=AccountStatus.PENDING_APPROVAL,
        )
        b = factories.make_user(
            world.muni_b,
            name="玉野 申請者",
            email="tamano.applicant@gmail.example",
            status=AccountStatus.PENDING_APPROVAL,
        )
        ids = {"a": a.id, "b": b.id}
    return ids
