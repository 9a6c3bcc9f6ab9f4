"""Copying a session to a new day (開催回を複製, issue 9).

Whoever may change a session may copy it. The day is chosen first; the form then
comes filled from the old session with every time moved to that day, and one save
adds the copy with its reservations. Old dates are never carried over unseen.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from regional.extensions import db
from regional.fiscal import now_utc, to_local
from regional.registrations import session_changes
from regional.sessions.models import SessionStatus, TrainingSession
from tenants import all_tenants
from tenants.models import Municipality
from tests import factories
from tests.conftest import CODE_A
from tests.fixtures_sessions import fresh, within

EN = {"Accept-Language": "en"}


def _day(days: int) -> date:
    return to_local(now_utc() + timedelta(days=days)).date()


def _source(app, *, host=None, reserve: int = 0, days: int = 20) -> int:  # noqa: ANN001
    """A session at 13:30 Tokyo, ``days`` ahead, 15 seats, optionally seats held for A."""
    with within(app):
        ts = factories.make_session(
            capacity=15, starts_in=timedelta(days=days), host_municipality_id=host
        )
        start = to_local(ts.starts_at).replace(hour=13, minute=30, second=0)
        from regional.fiscal import local_to_utc

        ts.starts_at = local_to_utc(start.replace(tzinfo=None))
        ts.ends_at = ts.starts_at + timedelta(hours=3)
        ts.registration_closes_at = ts.starts_at - timedelta(days=3)
        ts.venue = "津山市役所 3階 大会議室"
        db.session.flush()
        if reserve:
            muni = db.session.scalar(Municipality.by_code(CODE_A))
            session_changes.reserve_seats(ts, muni, reserve, ts.starts_at - timedelta(days=5))
        return ts.id


def _ids() -> set[int]:
    with all_tenants(db.session):
        return set(db.session.scalars(select(TrainingSession.id)))


def _value(page: str, field_id: str) -> str:
    match = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', page)
    assert match, field_id
    found = re.search(r'value="([^"]*)"', match.group(0))
    return found.group(1) if found else ""


def test_the_first_step_asks_for_the_day_and_shows_no_old_dates_in_a_form(app, as_admin):
    ts_id = _source(app)
    page = as_admin.get(f"/sessions/{ts_id}/duplicate", headers=EN).get_data(as_text=True)
    assert 'id="on"' in page and 'id="starts_at"' not in page


def test_the_form_comes_filled_with_every_time_moved_to_the_chosen_day(app, as_admin):
    ts_id = _source(app, reserve=4)
    new_day = _day(60)
    resp = as_admin.get(f"/sessions/{ts_id}/duplicate?on={new_day}", headers=EN)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert _value(page, "starts_at") == f"{new_day}T13:30"
    assert _value(page, "ends_at") == f"{new_day}T16:30"
    assert _value(page, "registration_closes_at") == f"{new_day - timedelta(days=3)}T13:30"
    assert _value(page, "venue") == "津山市役所 3階 大会議室"
    assert _value(page, "capacity") == "15"
    assert _value(page, f"res-seats-{CODE_A}") == "4"
    assert _value(page, f"res-release-{CODE_A}") == str(new_day - timedelta(days=5))
    # Opening registration is never left in the past.
    opens = _value(page, "registration_opens_at")
    assert opens >= to_local(now_utc()).strftime("%Y-%m-%dT%H:%M")


def _form_of(page: str) -> dict:
    """The fields of the page's session form as a browser would send them."""
    data = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        if kind and kind.group(1) in ("checkbox", "radio") and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    for name, value in re.findall(
        r'<select[^>]*name="([^"]+)"[^>]*>.*?<option[^>]*selected[^>]*value="([^"]*)"', page, re.S
    ):
        data[name] = value
    for name, value in re.findall(
        r'<select[^>]*name="([^"]+)"[^>]*>.*?<option[^>]*value="([^"]*)"[^>]*selected', page, re.S
    ):
        data[name] = value
    return data


def test_one_save_adds_the_copy_with_its_reservations_and_leaves_the_old_one(app, as_admin):
    ts_id = _source(app, reserve=4)
    new_day = _day(60)
    url = f"/sessions/{ts_id}/duplicate?on={new_day}"
    data = _form_of(as_admin.get(url).get_data(as_text=True))
    before = None
    with within(app):
        before = _ids()
        old = fresh(ts_id)
        old_start, program_id = old.starts_at, old.program_id
    resp = as_admin.form_post(url, data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    with within(app):
        (new_id,) = _ids() - before
        copy = fresh(new_id)
        assert copy.program_id == program_id and copy.capacity == 15
        assert copy.host_municipality_id is None
        assert to_local(copy.starts_at).date() == new_day
        assert to_local(copy.starts_at).strftime("%H:%M") == "13:30"
        assert {a.municipality.code: a.seats for a in copy.allocations} == {CODE_A: 4}
        assert fresh(ts_id).starts_at == old_start
    assert resp.headers["Location"].endswith(f"/sessions/{new_id}")


def test_an_ended_session_can_be_copied_to_a_new_day(app, as_admin):
    ts_id = _source(app, days=20)
    with within(app):
        ts = fresh(ts_id)
        shift = timedelta(days=60)
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            setattr(ts, name, getattr(ts, name) - shift)
        ts.status = SessionStatus.SCHEDULED
    new_day = _day(30)
    url = f"/sessions/{ts_id}/duplicate?on={new_day}"
    data = _form_of(as_admin.get(url).get_data(as_text=True))
    with within(app):
        before = _ids()
    assert as_admin.form_post(url, data).status_code == 302
    with within(app):
        (new_id,) = _ids() - before
        assert to_local(fresh(new_id).starts_at).date() == new_day


@pytest.mark.parametrize("on", ["2020-01-01", "abc", "0000-01-01", "9999-99-99", "2026-02-30", ""])
def test_a_bad_day_is_refused_with_a_message(app, as_admin, on):
    ts_id = _source(app)
    resp = as_admin.get(f"/sessions/{ts_id}/duplicate?on={on}", headers=EN)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'id="on-error"' in page and 'id="starts_at"' not in page


def test_a_coordinator_copies_their_own_session_which_stays_theirs(app, as_coordinator_a, world):
    ts_id = _source(app, host=world.muni_a)
    url = f"/sessions/{ts_id}/duplicate?on={_day(40)}"
    page = as_coordinator_a.get(url).get_data(as_text=True)
    assert 'id="reservations"' not in page
    with within(app):
        before = _ids()
    assert as_coordinator_a.form_post(url, _form_of(page)).status_code == 302
    with within(app):
        (new_id,) = _ids() - before
        assert fresh(new_id).host_municipality_id == world.muni_a


def test_an_administrator_copying_a_members_session_keeps_that_member_as_host(app, as_admin, world):
    ts_id = _source(app, host=world.muni_b)
    url = f"/sessions/{ts_id}/duplicate?on={_day(40)}"
    data = _form_of(as_admin.get(url).get_data(as_text=True))
    with within(app):
        before = _ids()
    assert as_admin.form_post(url, data).status_code == 302
    with within(app):
        (new_id,) = _ids() - before
        assert fresh(new_id).host_municipality_id == world.muni_b


def test_nobody_else_can_copy_and_another_members_session_is_not_found(
    app, as_coordinator_a, as_coordinator_b, as_employee_a, world
):
    shared_id = _source(app)
    hosted_a = _source(app, host=world.muni_a)
    day = _day(40)
    assert as_coordinator_a.get(f"/sessions/{shared_id}/duplicate?on={day}").status_code == 403
    assert as_employee_a.get(f"/sessions/{hosted_a}/duplicate?on={day}").status_code == 403
    assert as_coordinator_b.get(f"/sessions/{hosted_a}/duplicate?on={day}").status_code == 404
    with within(app):
        before = _ids()
    resp = as_coordinator_b.form_post(
        f"/sessions/{hosted_a}/duplicate?on={day}", {"venue": "x", "capacity": "3"}
    )
    assert resp.status_code == 404
    with within(app):
        assert _ids() == before


def test_a_copy_with_a_bad_field_saves_nothing(app, as_admin):
    ts_id = _source(app, reserve=2)
    url = f"/sessions/{ts_id}/duplicate?on={_day(60)}"
    data = _form_of(as_admin.get(url).get_data(as_text=True)) | {"capacity": "-3"}
    with within(app):
        before = _ids()
    assert as_admin.form_post(url, data, headers=EN).status_code == 422
    with within(app):
        assert _ids() == before


def test_the_session_page_links_to_the_copy_for_those_who_may_change_it(
    app, as_admin, as_coordinator_a
):
    ts_id = _source(app)
    link = f'href="/sessions/{ts_id}/duplicate"'
    assert link in as_admin.get(f"/sessions/{ts_id}").get_data(as_text=True)
    assert link not in as_coordinator_a.get(f"/sessions/{ts_id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "query", ["on=%00", "on=2027-01-01%00", "on=" + "9" * 400, "on=2027-01-01&on=x"]
)
def test_hostile_day_queries_never_fail_the_server(app, as_admin, query):
    ts_id = _source(app)
    resp = as_admin.get(f"/sessions/{ts_id}/duplicate?{query}", headers=EN)
    assert resp.status_code in (200, 400)
