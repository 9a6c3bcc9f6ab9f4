"""Seats explained the same way everywhere: capacity = taken + held for members + open (issue 9)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from regional.extensions import db
from regional.fiscal import now_utc
from regional.seats import set_allocation
from regional.sessions.models import TrainingSession
from regional.sessions.seating import breakdown
from tests import factories
from tests.fixtures_sessions import fill, within

EN = {"Accept-Language": "en"}


@pytest.fixture
def reserved(app, world) -> int:
    """Capacity 20; 2 seats held for B until a week before; 10 of A registered."""
    with within(app):
        ts = factories.make_session(capacity=20, starts_in=timedelta(days=20))
        set_allocation(ts.id, world.muni_b, 2, now_utc() + timedelta(days=10))
        fill(ts.id, world.muni_a, 10)
        return ts.id


def test_the_breakdown_adds_up(ctx, world, reserved):
    ts = db.session.get(TrainingSession, reserved)
    for municipality_id in (world.muni_a, world.muni_b, None):
        seats = breakdown(ts, municipality_id)
        assert seats.capacity == seats.taken + seats.held + seats.open == 20
        assert (seats.taken, seats.held, seats.open) == (10, 2, 8)
    assert breakdown(ts, world.muni_a).available_to_own == 8
    assert breakdown(ts, world.muni_b).available_to_own == 10
    assert breakdown(ts, world.muni_a).held_for_others == 2


def test_employee_is_told_in_plain_words_that_seats_are_held_for_others(
    reserved, as_employee_a, signed_in, world
):
    page = as_employee_a.get(f"/sessions/{reserved}", headers=EN).get_data(as_text=True)
    assert "Seats available to your municipality</dt><dd>8</dd>" in page
    assert "2 seats are held for other member municipalities until" in page
    assert "8 seats are free for you." in page  # the registration panel agrees
    page_b = signed_in(world.emails["employee_b"]).get(f"/sessions/{reserved}", headers=EN)
    text = page_b.get_data(as_text=True)
    assert "Seats available to your municipality</dt><dd>10</dd>" in text
    assert "2 seats are held for your municipality until" in text


def test_administrators_see_one_consistent_sum(reserved, as_admin, as_coordinator_a):
    for client in (as_admin, as_coordinator_a):
        page = client.get(f"/sessions/{reserved}", headers=EN).get_data(as_text=True)
        assert "Capacity 20 = taken 10 + held for members 2 + open 8" in page


def test_the_registrants_page_says_what_each_member_can_still_take(
    reserved, as_coordinator_a, as_coordinator_b
):
    """申込み管理 agrees with the session page: A may take the 8 open seats, B those and its 2."""
    for client, expected in ((as_coordinator_a, "8"), (as_coordinator_b, "10")):
        page = client.get(f"/registrations/session/{reserved}").get_data(as_text=True)
        assert f'<dd data-testid="available-to-member">{expected}</dd>' in page
        assert "が申し込める席" in page
