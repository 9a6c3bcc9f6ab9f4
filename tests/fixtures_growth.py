"""Test data for growth: completed registrations (with certificates to make)."""

from __future__ import annotations

from datetime import timedelta

from regional import attendance
from tests import factories
from tests.fixtures_registrations import person, register


def completed_registration(world, employee_id: int, *, host: int | None = None) -> int:
    """A session that started an hour ago, attended by ``employee_id``: the registration's id."""
    program = factories.make_program(title_ja="クラウド活用基礎", title_en="Cloud basics")
    ts = factories.make_session(
        program,
        starts_in=timedelta(hours=-1),
        opens_in=timedelta(days=-9),
        closes_in=timedelta(days=-1),
        host_municipality_id=host,
    )
    reg = register(ts.id, employee_id, world.admin)
    attendance.record_attendance(ts.id, [(reg.id, True)], person(world.admin))
    return reg.id


def open_registration(world, employee_id: int) -> int:
    """A future session: registered, not completed."""
    ts = factories.make_session(starts_in=timedelta(days=60))
    return register(ts.id, employee_id, world.admin).id
