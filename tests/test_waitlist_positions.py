"""A waiting-list place is read in one statement, so nothing committed in between breaks it.

A page reads registrations (one statement), then their places. When a cancellation
promotes someone between the two, the registrations read a moment ago still say
"waitlisted": the places must come out right for everyone still waiting, and the
promoted person simply has none (it used to be a 500: "... is not in list").
"""

from __future__ import annotations

from sqlalchemy import select, update

from regional.extensions import db
from regional.seats.models import Registration, RegistrationStatus
from regional.seats.waitlist import waitlist_position, waitlist_positions
from tenants import all_tenants
from tests import factories
from tests.fixtures_registrations import register, staff

RS = RegistrationStatus


def _line(ctx, world, waiting: int = 4) -> tuple[int, list[Registration]]:
    ts = factories.make_session(capacity=1)
    people = staff(world.muni_a, 1 + waiting) + staff(world.muni_b, 1)
    for person in people:
        register(ts.id, person)
    with all_tenants(db.session):
        regs = list(
            db.session.scalars(
                select(Registration)
                .where(Registration.session_id == ts.id, Registration.status == RS.WAITLISTED)
                .order_by(Registration.waitlist_ticket)
            )
        )
    return ts.id, regs


def _promoted_meanwhile(reg: Registration) -> None:
    """What a cancellation committed by another request does to the first in line, without
    telling the objects this request has already read."""
    db.session.execute(
        update(Registration)
        .where(Registration.id == reg.id)
        .values(status=RS.ENROLLED, waitlist_ticket=None)
        .execution_options(synchronize_session=False, all_tenants=True)
    )


def test_places_run_one_to_n_across_members(ctx, world):
    _ts, regs = _line(ctx, world)
    assert regs[-1].municipality_id == world.muni_b  # one line for the whole region
    assert waitlist_positions(regs) == {r.id: i for i, r in enumerate(regs, start=1)}
    assert [waitlist_position(r) for r in regs] == list(range(1, len(regs) + 1))


def test_a_promotion_between_reading_and_placing_leaves_the_others_right(ctx, world):
    _ts, regs = _line(ctx, world)
    first, rest = regs[0], regs[1:]
    _promoted_meanwhile(first)
    assert first.status == RS.WAITLISTED  # as read before the promotion
    places = waitlist_positions(regs)
    assert places == {r.id: i for i, r in enumerate(rest, start=1)}
    assert waitlist_position(first) is None
    assert waitlist_position(rest[0]) == 1


def test_registrations_not_waiting_have_no_place(ctx, world):
    ts = factories.make_session(capacity=2)
    (reg_id,) = [register(ts.id, p).id for p in staff(world.muni_a, 1)]
    with all_tenants(db.session):
        reg = db.session.get(Registration, reg_id)
    assert reg.status == RS.ENROLLED
    assert waitlist_positions([reg]) == {}
    assert waitlist_position(reg) is None
