"""The seat rules, straight through the service layer."""

from __future__ import annotations

from regional.extensions import db
from regional.registrations.models import RegistrationStatus as RS
from tests import factories
from tests.fixtures_registrations import (
    all_registrations,
    cancel,
    register,
    session_row,
    staff,
)


def test_full_session_puts_the_next_person_on_the_waiting_list(ctx, world, mailbox):
    ts = factories.make_session(capacity=1)
    first = register(ts.id, world.employee_a)
    second = register(ts.id, world.employee_b)
    assert first.status == RS.ENROLLED
    assert second.status == RS.WAITLISTED
    assert second.waitlist_ticket == 1
    assert session_row(ts.id).seats_taken == 1


def test_cancel_promotes_first_in_line(ctx, world):
    ts = factories.make_session(capacity=1)
    first = register(ts.id, world.employee_a)
    waiting = [register(ts.id, e) for e in staff(world.muni_b, 2)]
    cancel(first.id, world.employee_a)
    regs = {r.id: r for r in all_registrations(ts.id)}
    assert regs[waiting[0].id].status == RS.ENROLLED
    assert regs[waiting[1].id].status == RS.WAITLISTED
    db.session.rollback()
