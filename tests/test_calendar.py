"""Calendars: an .ics file per registration, and each person's secret feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from regional.extensions import db
from regional.people.models import AccountStatus
from tests import factories
from tests.fixtures_registrations import cancel, person, register


@pytest.fixture
def make(app):
    def _make(fn):
        with app.app_context():
            value = fn()
            db.session.commit()
            return value

    return _make


def events(resp) -> list:
    assert resp.status_code == 200
    assert resp.mimetype == "text/calendar"
    return list(Calendar.from_ical(resp.get_data()).walk("VEVENT"))


def test_registration_ics_has_the_session_in_utc(as_employee_a, world, make, app):
    def setup():
        ts = factories.make_session(starts_in=timedelta(days=9))
        reg = register(ts.id, world.employee_a)
        return reg.id, ts.starts_at, ts.ends_at

    reg_id, starts, ends = make(setup)
    (event,) = events(as_employee_a.get(f"/registrations/{reg_id}.ics"))
    assert str(event["UID"]) == f"registration-{reg_id}@regional-training"
    assert event.decoded("DTSTART") == starts
    assert event.decoded("DTEND") == ends
    assert str(event["SUMMARY"]) == "テスト研修"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "岡山市役所" in str(event["LOCATION"])


def test_someone_elses_registration_ics_is_not_found(as_employee_a, world, make):
    reg_a2 = make(lambda: register(factories.make_session().id, world.employee_a2).id)
    reg_b = make(
        lambda: (
            register(factories.make_session(starts_in=timedelta(days=30)).id, world.employee_b).id
        )
    )
    assert as_employee_a.get(f"/registrations/{reg_a2}.ics").status_code == 404
    assert as_employee_a.get(f"/registrations/{reg_b}.ics").status_code == 404


def test_feed_shows_held_seats_and_cancellations_but_not_waiting(client, world, make):
    def setup():
        held = factories.make_session(starts_in=timedelta(days=3))
        full = factories.make_session(capacity=1, starts_in=timedelta(days=20))
        dropped = factories.make_session(starts_in=timedelta(days=40))
        register(held.id, world.employee_a)
        register(full.id, world.employee_b)
        register(full.id, world.employee_a)
        gone = register(dropped.id, world.employee_a)
        cancel(gone.id, world.employee_a)
        return person(world.employee_a).calendar_token, gone.id

    token, gone = make(setup)
    found = events(client.get(f"/registrations/feed/{token}.ics"))
    statuses = sorted(str(e["STATUS"]) for e in found)
    assert statuses == ["CANCELLED", "CONFIRMED"]
    cancelled = next(e for e in found if str(e["STATUS"]) == "CANCELLED")
    assert str(cancelled["UID"]) == f"registration-{gone}@regional-training"


def test_cancelling_updates_the_same_event_with_a_higher_sequence(as_employee_a, world, make, app):
    def setup():
        reg = register(factories.make_session().id, world.employee_a)
        return reg.id

    reg_id = make(setup)
    (before,) = events(as_employee_a.get(f"/registrations/{reg_id}.ics"))
    make(lambda: cancel(reg_id, world.employee_a))
    (after,) = events(as_employee_a.get(f"/registrations/{reg_id}.ics"))
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert str(after["STATUS"]) == "CANCELLED"


def test_feed_of_a_disabled_account_is_gone(client, world, make):
    def setup():
        user = factories.make_user(world.muni_a, status=AccountStatus.DISABLED)
        return user.calendar_token

    token = make(setup)
    assert client.get(f"/registrations/feed/{token}.ics").status_code == 404


def test_feed_needs_no_sign_in_and_is_never_cached(client, world, make):
    token = make(lambda: person(world.employee_b).calendar_token)
    resp = client.get(f"/registrations/feed/{token}.ics")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert "玉野 次郎" in resp.get_data(as_text=True)
