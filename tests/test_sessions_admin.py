"""Setting sessions up: administrators for the region, coordinators for their own staff only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from regional.catalogue.models import Program
from regional.extensions import db
from regional.fiscal import TOKYO, now_utc, to_local
from regional.registrations import actions
from regional.seats.models import RegistrationStatus
from regional.sessions.models import SeatAllocation, SessionStatus, TrainingSession
from tenants.models import Municipality
from tests import factories
from tests.fixtures_sessions import (
    count,
    fill,
    fresh,
    local,
    person,
    registrations_of,
    session_form,
    within,
)

EN = {"Accept-Language": "en"}


def _new_session_id(before: set[int]) -> int:
    ids = set(db.session.scalars(select(TrainingSession.id))) - before
    assert len(ids) == 1
    return ids.pop()


def _session_ids() -> set[int]:
    return set(db.session.scalars(select(TrainingSession.id)))


@pytest.fixture
def program_id(app) -> int:
    with within(app):
        return factories.make_program().id


# -- creating ----------------------------------------------------------------


def test_administrator_adds_a_shared_session_for_chosen_members_in_tokyo_time(
    app, as_admin, program_id, world
):
    start = to_local(now_utc() + timedelta(days=40)).replace(hour=10, minute=0, second=0)
    data = session_form(
        program_id,
        starts_at=start.strftime("%Y-%m-%dT%H:%M"),
        ends_at=start.replace(hour=16).strftime("%Y-%m-%dT%H:%M"),
        registration_closes_at=(start - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        audience="selected",
        municipalities=[str(world.muni_a), str(world.muni_b)],
        online_url="https://meet.example.jp/abc",
        requires_approval="y",
    )
    with within(app):
        before = _session_ids()
    resp = as_admin.form_post("/sessions/new", data)
    assert resp.status_code == 302
    with within(app):
        ts = fresh(_new_session_id(before))
        assert ts.host_municipality_id is None
        assert ts.open_to_all is False
        assert {m.id for m in ts.audience} == {world.muni_a, world.muni_b}
        # 10:00 in Tokyo is 01:00 UTC.
        assert (ts.starts_at.hour, ts.starts_at.minute) == (1, 0)
        assert to_local(ts.starts_at) == datetime(
            start.year, start.month, start.day, 10, 0, tzinfo=TOKYO
        )
        assert ts.requires_approval and ts.online_url == "https://meet.example.jp/abc"
        assert resp.headers["Location"].endswith(f"/sessions/{ts.id}")


def test_coordinator_session_is_hosted_by_their_own_municipality_whatever_is_sent(
    app, as_coordinator_a, program_id, world
):
    data = session_form(
        program_id,
        host_municipality_id=str(world.muni_b),
        municipality_id=str(world.muni_b),
        audience="all",
        municipalities=[str(world.muni_b)],
    )
    with within(app):
        before = _session_ids()
    assert as_coordinator_a.form_post("/sessions/new", data).status_code == 302
    with within(app):
        ts = fresh(_new_session_id(before))
        assert ts.host_municipality_id == world.muni_a
        assert ts.open_to_all is False and ts.audience == []
        assert ts.admits(world.muni_a) and not ts.admits(world.muni_b)


def test_coordinators_form_offers_no_audience_choice(as_coordinator_a):
    page = as_coordinator_a.get("/sessions/new", headers=EN).get_data(as_text=True)
    assert 'name="audience"' not in page
    assert "for its own staff only" in page


def test_employees_cannot_add_sessions(app, as_employee_a, program_id):
    with within(app):
        before = count(TrainingSession)
    assert as_employee_a.get("/sessions/new").status_code == 403
    assert as_employee_a.form_post("/sessions/new", session_form(program_id)).status_code == 403
    with within(app):
        assert count(TrainingSession) == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_at": local(timedelta(days=29))}, "The end must be after the start."),
        (
            {
                "registration_opens_at": local(timedelta(days=20)),
                "registration_closes_at": local(timedelta(days=10)),
            },
            "Registration must close after it opens.",
        ),
        ({"registration_closes_at": local(timedelta(days=31))}, "no later than the start"),
        ({"capacity": "-1"}, "between 0 and 1,000"),
        ({"capacity": "1001"}, "between 0 and 1,000"),
        ({"capacity": "ten"}, "Capacity"),
        ({"online_url": "http://meet.example.jp/x"}, "https://"),
        ({"venue": "", "online_url": ""}, "Give a venue or an online address."),
        ({"audience": "selected"}, "Choose at least one municipality"),
        ({"cancellation_deadline": local(timedelta(days=31))}, "cancellation deadline"),
        ({"starts_at": "tomorrow at ten"}, "Starts"),
        ({"program_id": "999999"}, "Programme"),
    ],
)
def test_bad_session_is_refused_with_a_message_and_nothing_saved(
    app, as_admin, program_id, overrides, message
):
    with within(app):
        before = count(TrainingSession)
    resp = as_admin.form_post("/sessions/new", session_form(program_id, **overrides), headers=EN)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page
    assert "Please correct the following" in page or 'class="flash flash-error"' in page
    with within(app):
        assert count(TrainingSession) == before


def test_sessions_of_a_retired_programme_cannot_be_added(app, as_admin, program_id):
    with within(app):
        db.session.get(Program, program_id).active = False
        before = count(TrainingSession)
    resp = as_admin.form_post("/sessions/new", session_form(program_id), headers=EN)
    assert resp.status_code == 422
    with within(app):
        assert count(TrainingSession) == before


# -- editing -----------------------------------------------------------------


def test_coordinator_of_another_member_cannot_see_or_change_a_hosted_session(
    app, as_coordinator_b, world
):
    with within(app):
        ts = factories.make_session(host_municipality_id=world.muni_a, capacity=5)
        ts_id, pid = ts.id, ts.program_id
    for url in (f"/sessions/{ts_id}", f"/sessions/{ts_id}/edit", f"/sessions/{ts_id}/cancel"):
        assert as_coordinator_b.get(url).status_code == 404
    resp = as_coordinator_b.form_post(
        f"/sessions/{ts_id}/edit", session_form(pid, capacity="50", venue="Elsewhere")
    )
    assert resp.status_code == 404
    resp = as_coordinator_b.form_post(f"/sessions/{ts_id}/cancel", {"reason": "no"})
    assert resp.status_code == 404
    with within(app):
        ts = fresh(ts_id)
        assert (ts.capacity, ts.status) == (5, SessionStatus.SCHEDULED)


def test_coordinator_edits_their_own_hosted_session(app, as_coordinator_a, world):
    with within(app):
        ts = factories.make_session(host_municipality_id=world.muni_a, capacity=5)
        ts_id, pid = ts.id, ts.program_id
    resp = as_coordinator_a.form_post(
        f"/sessions/{ts_id}/edit", session_form(pid, capacity="8", venue="津山市役所 3階")
    )
    assert resp.status_code == 302
    with within(app):
        ts = fresh(ts_id)
        assert (ts.capacity, ts.venue, ts.host_municipality_id) == (
            8,
            "津山市役所 3階",
            world.muni_a,
        )


def test_coordinators_cannot_change_shared_sessions(app, as_coordinator_a):
    with within(app):
        ts = factories.make_session(capacity=5)
        ts_id, pid = ts.id, ts.program_id
    assert as_coordinator_a.get(f"/sessions/{ts_id}/edit").status_code == 403
    resp = as_coordinator_a.form_post(f"/sessions/{ts_id}/edit", session_form(pid, capacity="9"))
    assert resp.status_code == 403
    with within(app):
        assert fresh(ts_id).capacity == 5


def test_shrinking_capacity_below_seats_taken_is_refused(app, as_admin, world):
    with within(app):
        ts = factories.make_session(capacity=5)
        fill(ts.id, world.muni_a, 3)
        ts_id, pid = ts.id, ts.program_id
    resp = as_admin.form_post(
        f"/sessions/{ts_id}/edit", session_form(pid, capacity="2", venue="changed"), headers=EN
    )
    assert resp.status_code == 422
    assert "Capacity cannot be below the 3 seats already taken" in resp.get_data(as_text=True)
    with within(app):
        ts = fresh(ts_id)
        assert (ts.capacity, ts.seats_taken) == (5, 3)
        assert ts.venue != "changed"  # nothing of the refused edit was kept


def test_growing_capacity_promotes_from_the_waiting_list(app, as_admin, mailbox, world):
    with within(app):
        ts = factories.make_session(capacity=1)
        people = fill(ts.id, world.muni_a, 3)
        ts_id, pid = ts.id, ts.program_id
        waiting_email = person(people[1]).email
    resp = as_admin.form_post(f"/sessions/{ts_id}/edit", session_form(pid, capacity="2"))
    assert resp.status_code == 302
    with within(app):
        statuses = [r.status for r in registrations_of(ts_id)]
        assert statuses == [
            RegistrationStatus.ENROLLED,
            RegistrationStatus.ENROLLED,
            RegistrationStatus.WAITLISTED,
        ]
        assert fresh(ts_id).seats_taken == 2
    assert len(mailbox.to(waiting_email)) == 1


def test_closing_a_session_to_members_with_registrants_is_refused(app, as_admin, world):
    with within(app):
        ts = factories.make_session(capacity=5)
        fill(ts.id, world.muni_b, 1)
        ts_id, pid = ts.id, ts.program_id
    resp = as_admin.form_post(
        f"/sessions/{ts_id}/edit",
        session_form(pid, audience="selected", municipalities=[str(world.muni_a)]),
        headers=EN,
    )
    assert resp.status_code == 422
    assert "are registered" in resp.get_data(as_text=True)
    with within(app):
        assert fresh(ts_id).open_to_all is True


def test_edit_form_shows_tokyo_times(app, as_admin):
    with within(app):
        ts = factories.make_session()
        ts_id, expected = ts.id, to_local(ts.starts_at).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{expected}"' in as_admin.get(f"/sessions/{ts_id}/edit").get_data(as_text=True)


# -- seat reservations --------------------------------------------------------


def _release_day(days: int) -> str:
    return to_local(now_utc() + timedelta(days=days)).date().isoformat()


def test_administrator_reserves_seats_for_a_municipality(app, as_admin, world):
    with within(app):
        ts_id = factories.make_session(capacity=10).id
        code_a = db.session.get(Municipality, world.muni_a).code
    resp = as_admin.form_post(
        f"/sessions/{ts_id}/allocations/{code_a}", {"seats": "3", "release_on": _release_day(5)}
    )
    assert resp.status_code == 302
    with within(app):
        ts = fresh(ts_id)
        (alloc,) = ts.allocations
        assert (alloc.municipality_id, alloc.seats, alloc.claimed) == (world.muni_a, 3, 0)
        assert to_local(alloc.release_at).hour == 0  # the start of the release day, Tokyo
        assert (ts.reserved_unclaimed, ts.seats_left, ts.seats_left_for(world.muni_a)) == (3, 7, 10)
    page = as_admin.get(f"/sessions/{ts_id}/allocations", headers=EN).get_data(as_text=True)
    assert 'id="res-seats-332038"' in page and 'value="3"' in page


def test_reserving_more_seats_than_are_free_is_refused(app, as_admin, world):
    with within(app):
        ts = factories.make_session(capacity=5)
        fill(ts.id, world.muni_b, 4)
        ts_id = ts.id
    resp = as_admin.form_post(
        f"/sessions/{ts_id}/allocations/332038",
        {"seats": "2", "release_on": _release_day(5)},
        headers=EN,
    )
    assert resp.status_code == 302
    page = as_admin.get(resp.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Only 1 seats are free to reserve." in page
    with within(app):
        assert count(SeatAllocation) == 0
        assert fresh(ts_id).reserved_unclaimed == 0


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"seats": "-1", "release_on": "DAY5"}, "Between 0 and 1,000."),
        ({"seats": "2", "release_on": "DAY-2"}, "The release date must be in the future."),
        ({"seats": "2", "release_on": "DAY40"}, "no later than the start"),
        ({"seats": "2", "release_on": "not a date"}, "Not a valid date"),
    ],
)
def test_bad_reservation_is_refused_and_nothing_reserved(app, as_admin, form, message):
    with within(app):
        ts_id = factories.make_session(capacity=5).id
    day = form["release_on"]
    if day.startswith("DAY"):
        form = {**form, "release_on": _release_day(int(day[3:]))}
    resp = as_admin.form_post(f"/sessions/{ts_id}/allocations/332038", form, headers=EN)
    page = as_admin.get(resp.headers["Location"], headers=EN).get_data(as_text=True)
    assert message in page
    with within(app):
        assert count(SeatAllocation) == 0


def test_no_reservations_on_a_members_own_session(app, as_admin, world):
    with within(app):
        ts_id = factories.make_session(host_municipality_id=world.muni_a).id
    assert as_admin.get(f"/sessions/{ts_id}/allocations").status_code == 302
    resp = as_admin.form_post(
        f"/sessions/{ts_id}/allocations/332038", {"seats": "1", "release_on": _release_day(3)}
    )
    assert resp.status_code == 302
    with within(app):
        assert count(SeatAllocation) == 0


def test_no_reservation_for_a_member_the_session_is_not_open_to(app, as_admin, world):
    with within(app):
        ts = factories.make_session(open_to_all=False)
        ts.audience = [db.session.get(Municipality, world.muni_a)]
        ts_id = ts.id
    as_admin.form_post(
        f"/sessions/{ts_id}/allocations/332046", {"seats": "1", "release_on": _release_day(3)}
    )
    with within(app):
        assert count(SeatAllocation) == 0


def test_coordinators_cannot_reserve_seats(app, as_coordinator_a):
    with within(app):
        ts_id = factories.make_session(capacity=5).id
    assert as_coordinator_a.get(f"/sessions/{ts_id}/allocations").status_code == 403
    resp = as_coordinator_a.form_post(
        f"/sessions/{ts_id}/allocations/332038", {"seats": "5", "release_on": _release_day(3)}
    )
    assert resp.status_code == 403
    with within(app):
        assert count(SeatAllocation) == 0


# -- cancelling ----------------------------------------------------------------


def test_cancelling_a_session_tells_everyone_registered_by_mail(app, as_admin, mailbox, world):
    with within(app):
        ts = factories.make_session(capacity=2)
        people = fill(ts.id, world.muni_a, 2) + fill(ts.id, world.muni_b, 1)  # one waits
        ts_id = ts.id
        emails = [person(p).email for p in people]
    confirm = as_admin.get(f"/sessions/{ts_id}/cancel", headers=EN).get_data(as_text=True)
    assert "3 people are registered or waiting" in confirm
    resp = as_admin.form_post(f"/sessions/{ts_id}/cancel", {"reason": "講師の急病のため"})
    assert resp.status_code == 302
    with within(app):
        ts = fresh(ts_id)
        assert ts.status == SessionStatus.CANCELLED and ts.cancel_reason == "講師の急病のため"
        assert ts.seats_taken == 0
        assert {r.status for r in registrations_of(ts_id)} == {RegistrationStatus.CANCELLED}
    for email in emails:
        (msg,) = mailbox.to(email)
        assert "講師の急病のため" in mailbox.body(msg)
        assert f"/sessions/{ts_id}" in mailbox.body(msg)


def test_cancelling_needs_a_reason(app, as_admin):
    with within(app):
        ts_id = factories.make_session().id
    resp = as_admin.form_post(f"/sessions/{ts_id}/cancel", {"reason": "  "}, headers=EN)
    assert resp.status_code == 422
    assert "Give the reason" in resp.get_data(as_text=True)
    with within(app):
        assert fresh(ts_id).status == SessionStatus.SCHEDULED


def test_a_session_that_has_started_cannot_be_cancelled(app, as_admin):
    with within(app):
        ts_id = factories.make_session(
            starts_in=timedelta(hours=-1),
            opens_in=timedelta(days=-5),
            closes_in=timedelta(hours=-2),
        ).id
    resp = as_admin.form_post(f"/sessions/{ts_id}/cancel", {"reason": "late"}, headers=EN)
    assert resp.status_code == 422
    assert "already started" in resp.get_data(as_text=True)
    with within(app):
        assert fresh(ts_id).status == SessionStatus.SCHEDULED


def test_coordinator_cancels_their_own_hosted_session(app, as_coordinator_a, mailbox, world):
    with within(app):
        ts = factories.make_session(host_municipality_id=world.muni_a)
        (pid,) = fill(ts.id, world.muni_a, 1)
        ts_id, email = ts.id, person(pid).email
    resp = as_coordinator_a.form_post(f"/sessions/{ts_id}/cancel", {"reason": "会場都合"})
    assert resp.status_code == 302
    with within(app):
        assert fresh(ts_id).is_cancelled
    assert len(mailbox.to(email)) == 1


def test_a_cancelled_session_cannot_be_edited(app, as_admin, world):
    with within(app):
        ts = factories.make_session()
        actions.cancel_session(ts.id, "中止", person(world.admin))
        ts_id, pid = ts.id, ts.program_id
    resp = as_admin.form_post(
        f"/sessions/{ts_id}/edit", session_form(pid, capacity="3"), headers=EN
    )
    assert resp.status_code == 422
    with within(app):
        assert fresh(ts_id).capacity == 10


def test_the_new_session_form_opens_registration_this_minute(as_admin):
    """Saved with the suggested opening, a session takes registrations at once (it does not
    show 募集前 for the minute after saving)."""
    import re

    page = as_admin.get("/sessions/new").get_data(as_text=True)
    value = re.search(r'name="registration_opens_at"[^>]*value="([^"]+)"', page)
    if value is None:
        value = re.search(r'value="([^"]+)"[^>]*name="registration_opens_at"', page)
    suggested = datetime.fromisoformat(value.group(1)).replace(tzinfo=TOKYO)
    now = to_local(now_utc())
    assert suggested <= now
    assert now - suggested < timedelta(minutes=1)
