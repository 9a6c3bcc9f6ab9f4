"""Session pages: who sees which session, the list's filters, and the details shown."""

from __future__ import annotations

import re
from datetime import timedelta

from regional import seats
from regional.catalogue.models import Program
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc, to_local
from regional.registrations import actions
from regional.sessions.models import TrainingSession
from tenants.models import Municipality
from tests import factories
from tests.fixtures_sessions import fill, person, register, within

EN = {"Accept-Language": "en"}


def _text(client, url: str) -> str:
    resp = client.get(url, headers=EN)
    assert resp.status_code == 200, resp.status_code
    # Without the phone-layout labels (data-label), to read cells as written.
    return re.sub(r' data-label="[^"]*"', "", resp.get_data(as_text=True))


def restricted_to(program, municipality_id: int, **kw) -> TrainingSession:
    """A shared session open only to one member."""
    ts = factories.make_session(program, open_to_all=False, **kw)
    ts.audience = [db.session.get(Municipality, municipality_id)]
    db.session.flush()
    return ts


def test_staff_see_shared_sessions_and_their_own_members_but_not_others(
    app, as_employee_a, as_admin, world
):
    with within(app):
        p = factories.make_program()
        ids = {
            "shared": factories.make_session(p).id,
            "own": factories.make_session(p, host_municipality_id=world.muni_a).id,
            "other": factories.make_session(p, host_municipality_id=world.muni_b).id,
            "for_a": restricted_to(p, world.muni_a).id,
            "for_b": restricted_to(p, world.muni_b).id,
        }
        pid = p.id
    page = _text(as_employee_a, f"/sessions/?program={pid}")
    for key in ("shared", "own", "for_a"):
        assert f"/sessions/{ids[key]}" in page
    for key in ("other", "for_b"):
        assert f"/sessions/{ids[key]}" not in page
    admin_page = _text(as_admin, f"/sessions/?program={pid}")
    assert all(f"/sessions/{i}" in admin_page for i in ids.values())


def test_session_restricted_to_other_members_is_not_found(
    app, as_employee_a, as_coordinator_a, signed_in, world
):
    with within(app):
        ts = restricted_to(factories.make_program(), world.muni_b).id
    assert as_employee_a.get(f"/sessions/{ts}").status_code == 404
    assert as_coordinator_a.get(f"/sessions/{ts}").status_code == 404
    assert signed_in(world.emails["employee_b"]).get(f"/sessions/{ts}").status_code == 200


def test_unknown_session_is_not_found(as_employee_a):
    assert as_employee_a.get("/sessions/999999").status_code == 404


def test_list_filters_by_tier_and_track(app, as_employee_a):
    with within(app):
        advanced = factories.make_session(factories.make_program(area="advanced_ict")).id
        general = factories.make_session(factories.make_program(area="information_security")).id
    page = _text(as_employee_a, "/sessions/?tier=advanced")
    assert f"/sessions/{advanced}" in page and f"/sessions/{general}" not in page
    page = _text(as_employee_a, "/sessions/?track=literacy")
    assert f"/sessions/{general}" in page and f"/sessions/{advanced}" not in page


def test_list_filters_by_month_in_tokyo_time(app, as_employee_a):
    with within(app):
        p = factories.make_program()
        soon = factories.make_session(p, starts_in=timedelta(days=3))
        later = factories.make_session(p, starts_in=timedelta(days=70))
        soon_month = to_local(soon.starts_at).strftime("%Y-%m")
        ids = (soon.id, later.id, p.id)
    page = _text(as_employee_a, f"/sessions/?program={ids[2]}&month={soon_month}")
    assert f"/sessions/{ids[0]}" in page
    assert f"/sessions/{ids[1]}" not in page


def test_month_filter_shows_that_months_past_sessions_too(app, as_employee_a):
    with within(app):
        past = factories.make_session(
            starts_in=timedelta(days=-1),
            opens_in=timedelta(days=-10),
            closes_in=timedelta(days=-2),
        )
        month = to_local(past.starts_at).strftime("%Y-%m")
        ts, pid = past.id, past.program_id
    assert f"/sessions/{ts}" not in _text(as_employee_a, f"/sessions/?program={pid}")
    assert f"/sessions/{ts}" in _text(as_employee_a, f"/sessions/?program={pid}&month={month}")


def test_malformed_month_is_reported_and_ignored(app, as_employee_a):
    with within(app):
        ts = factories.make_session()
        ts_id, pid = ts.id, ts.program_id
    for bad in ("2026-13", "next%20week", "2026-08%01"):
        page = _text(as_employee_a, f"/sessions/?program={pid}&month={bad}&fy=abc")
        assert 'id="month" name="month" aria-describedby="month-error"' in page or (
            'aria-invalid="true"' in page
        )
        assert f"/sessions/{ts_id}" in page


def test_only_with_seats_left_counts_seats_for_the_viewers_municipality(
    app, as_employee_a, signed_in, world
):
    with within(app):
        p = factories.make_program()
        full = factories.make_session(p, capacity=1)
        fill(full.id, world.muni_b, 1)
        open_ = factories.make_session(p, capacity=3)
        held_for_b = factories.make_session(p, capacity=2)
        seats.set_allocation(held_for_b.id, world.muni_b, 2, now_utc() + timedelta(days=5))
        ids = {"full": full.id, "open": open_.id, "held": held_for_b.id, "p": p.id}
    page = _text(as_employee_a, f"/sessions/?program={ids['p']}&seats=y")
    assert f"/sessions/{ids['open']}" in page
    assert f"/sessions/{ids['full']}" not in page
    assert f"/sessions/{ids['held']}" not in page
    page_b = _text(signed_in(world.emails["employee_b"]), f"/sessions/?program={ids['p']}&seats=y")
    assert f"/sessions/{ids['held']}" in page_b
    assert f"/sessions/{ids['full']}" not in page_b


def test_list_pages_through_many_sessions(app, as_employee_a):
    with within(app):
        p = factories.make_program()
        for day in range(25):
            factories.make_session(p, starts_in=timedelta(days=2 + day))
        pid = p.id
    first = _text(as_employee_a, f"/sessions/?program={pid}")
    assert "25 sessions" in first and "Page 1 of 2" in first
    assert first.count('<th scope="row"><a href="/sessions/') == 20
    assert f"program={pid}" in first and "page=2" in first
    second = _text(as_employee_a, f"/sessions/?program={pid}&page=2")
    assert second.count('<th scope="row"><a href="/sessions/') == 5


def test_list_shows_seats_waiting_and_cancelled_status(app, as_employee_a, world):
    with within(app):
        p = factories.make_program()
        busy = factories.make_session(p, capacity=1)
        fill(busy.id, world.muni_a, 3)
        off = factories.make_session(p, starts_in=timedelta(days=20))
        actions.cancel_session(off.id, "講師急病", person(world.admin))
        pid = p.id
    page = _text(as_employee_a, f"/sessions/?program={pid}")
    assert '<td class="num">0 / 1</td>' in page
    assert '<td class="num">2</td>' in page  # two waiting
    assert "Called off" in page


def test_detail_shows_window_deadline_approval_audience_and_seats(app, as_employee_a, world):
    with within(app):
        ts = restricted_to(
            factories.make_program(), world.muni_a, capacity=3, requires_approval=True
        )
        ts.cancellation_deadline = ts.starts_at - timedelta(days=2)
        ts.online_url = "https://meet.example.jp/room"
        db.session.flush()
        fill(ts.id, world.muni_a, 4)
        ts_id, fy = ts.id, fiscal_year_of(ts.starts_at)
    page = _text(as_employee_a, f"/sessions/{ts_id}")
    assert f"<dt>Fiscal year</dt><dd>FY{fy} (Reiwa {fy - 2018})</dd>" in page
    for text in (
        "Registration opens",
        "Registration closes",
        "Cancellation deadline",
        "Needs the coordinator",
        "Tsuyama",
        "https://meet.example.jp/room",
        "Can I take this?",
        "1 person",  # waiting
    ):
        assert text in page, text
    assert "Seats reserved for municipalities" not in page


def test_reservations_coordinators_see_their_own_line_and_administrators_every_line(
    app, as_coordinator_a, as_admin, as_employee_a, world
):
    with within(app):
        ts = factories.make_session(capacity=10)
        release = now_utc() + timedelta(days=5)
        seats.set_allocation(ts.id, world.muni_a, 2, release)
        seats.set_allocation(ts.id, world.muni_b, 3, release)
        ts_id = ts.id
    coordinator = _text(as_coordinator_a, f"/sessions/{ts_id}")
    assert "Seats reserved for municipalities" in coordinator
    assert "Tsuyama" in coordinator and "Tamano" not in coordinator
    admin = _text(as_admin, f"/sessions/{ts_id}")
    assert "Tsuyama" in admin and "Tamano" in admin
    assert "Seats reserved for municipalities" not in _text(as_employee_a, f"/sessions/{ts_id}")


def test_registration_panel_hook_is_on_the_detail_page(app, as_employee_a):
    with within(app):
        ts_id = factories.make_session().id
    page = _text(as_employee_a, f"/sessions/{ts_id}")
    assert "Your registration" in page  # the registrations panel, included by this page


def test_detail_of_a_retired_programmes_session_still_opens(app, as_employee_a):
    with within(app):
        ts = factories.make_session()
        db.session.get(Program, ts.program_id).active = False
        ts_id = ts.id
    assert "This programme has been retired." in _text(as_employee_a, f"/sessions/{ts_id}")


def test_registered_person_is_counted_on_the_detail_page(app, as_employee_a, world):
    with within(app):
        ts = factories.make_session(capacity=5)
        register(ts.id, world.employee_b)
        ts_id = ts.id
    page = _text(as_employee_a, f"/sessions/{ts_id}")
    # 4 of 5 left (the other municipality's registrant is a number, never a name).
    assert "玉野 次郎" not in page
    assert "Seats available to your municipality</dt><dd>4</dd>" in page
