"""The API's concurrent edits: ETag on GET, If-Match on PATCH/PUT, 412 with the current state.

A client that read a session, a target or an employee sends back the ETag it got; the
change is applied only if nobody saved the record meanwhile. Otherwise 412 names the
record as it is now (body and ETag header), and nothing is changed. Without If-Match a
change is applied as before. ``*`` matches any current version; a weak tag never does
(strong comparison); a malformed header is 400.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from regional.extensions import db
from regional.people.models import User
from regional.sessions.models import TrainingSession
from regional.targets.models import Target
from tenants import all_tenants
from tests import factories
from tests.fixtures_registrations import register
from tests.fixtures_sessions import within

A = "332038"


@pytest.fixture
def session_id(app) -> int:
    with within(app):
        return factories.make_session(capacity=10).id


def _venue(app, ts_id: int) -> str:
    with app.app_context():
        return db.session.get(TrainingSession, ts_id).venue


# -- sessions ---------------------------------------------------------------------------


def test_a_session_read_answers_its_etag_and_a_change_with_it_goes_through(
    app, api, world, session_id
):
    admin = api(world.emails["admin"])
    read = admin.get(f"/sessions/{session_id}")
    tag = read.headers["ETag"]
    assert tag.startswith('"') and tag == read.get_json()["etag"]
    resp = admin.patch(
        f"/sessions/{session_id}", json={"venue": "分庁舎"}, headers={"If-Match": tag}
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.headers["ETag"] != tag
    assert resp.headers["ETag"] == admin.get(f"/sessions/{session_id}").headers["ETag"]


def test_a_change_made_with_an_old_etag_is_refused_with_the_current_state(
    app, api, world, session_id
):
    admin = api(world.emails["admin"])
    old = admin.get(f"/sessions/{session_id}").headers["ETag"]
    first = admin.patch(
        f"/sessions/{session_id}", json={"venue": "分庁舎"}, headers={"If-Match": old}
    )
    assert first.status_code == 200
    resp = admin.patch(f"/sessions/{session_id}", json={"capacity": 30}, headers={"If-Match": old})
    assert resp.status_code == 412
    error = resp.get_json()["error"]
    assert error["code"] == "precondition_failed"
    assert "ほかの方が変更しました" in error["message"]
    assert error["current"]["venue"] == "分庁舎"
    assert error["current"]["capacity"] == 10
    assert resp.headers["ETag"] == first.headers["ETag"] == error["current"]["etag"]
    with app.app_context():
        assert db.session.get(TrainingSession, session_id).capacity == 10


def test_without_if_match_a_change_is_applied_as_before_and_still_moves_the_etag(
    app, api, world, session_id
):
    admin = api(world.emails["admin"])
    old = admin.get(f"/sessions/{session_id}").headers["ETag"]
    resp = admin.patch(f"/sessions/{session_id}", json={"venue": "本庁舎 3階"})
    assert resp.status_code == 200
    assert resp.headers["ETag"] != old
    assert _venue(app, session_id) == "本庁舎 3階"


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("*", 200),  # any current version
        ('W/"session-{id}-v1"', 412),  # weak tags never match for a change
        ('"session-{other}-v1"', 412),  # another session's tag
        ('"nonsense", "session-{id}-v1"', 200),  # one of a list matches
        ("session-{id}-v1", 400),  # not quoted: malformed
        ('"a" "b"', 400),
        ("", 400),
    ],
)
def test_if_match_forms(app, api, world, session_id, header, status):
    with within(app):
        other = factories.make_session(capacity=3).id
    value = header.format(id=session_id, other=other)
    resp = api(world.emails["admin"]).patch(
        f"/sessions/{session_id}", json={"venue": "会場X"}, headers={"If-Match": value}
    )
    assert resp.status_code == status, resp.get_json()
    assert (_venue(app, session_id) == "会場X") is (status == 200)
    if status == 400:
        assert resp.get_json()["error"]["code"] == "invalid_if_match"


def test_people_registering_do_not_move_a_sessions_etag(app, api, world, session_id):
    """Seats are not the plan: a script holding the ETag is not refused because of them."""
    admin = api(world.emails["admin"])
    tag = admin.get(f"/sessions/{session_id}").headers["ETag"]
    with within(app):
        register(session_id, world.employee_a)
    assert admin.get(f"/sessions/{session_id}").headers["ETag"] == tag
    resp = admin.patch(f"/sessions/{session_id}", json={"capacity": 12}, headers={"If-Match": tag})
    assert resp.status_code == 200


def test_reserving_seats_moves_the_sessions_etag(app, api, world, session_id):
    """Reservations are part of the session as shown (and of its edit form)."""
    from datetime import timedelta

    from tests.fixtures_sessions import iso

    admin = api(world.emails["admin"])
    tag = admin.get(f"/sessions/{session_id}").headers["ETag"]
    resp = admin._call(
        "PUT",
        f"/sessions/{session_id}/reservations/{A}",
        json={"seats": 2, "release_at": iso(timedelta(days=3))},
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["etag"] != tag
    late = admin.patch(f"/sessions/{session_id}", json={"capacity": 12}, headers={"If-Match": tag})
    assert late.status_code == 412


def test_a_bad_body_is_400_before_the_precondition(app, api, world, session_id):
    resp = api(world.emails["admin"]).patch(
        f"/sessions/{session_id}", json={"capacity": "many"}, headers={"If-Match": '"x"'}
    )
    assert resp.status_code == 400


# -- targets ----------------------------------------------------------------------------

BODY = {"kind": "cumulative", "target": 12, "period_start_fy": 2024, "period_end_fy": 2026}


def test_a_target_period_has_an_etag_in_the_list_and_on_its_own_read(app, api, world):
    coordinator = api(world.emails["coordinator_a"])
    put = coordinator._call("PUT", f"/municipalities/{A}/targets/advanced", json=BODY)
    assert put.status_code == 200
    listed = coordinator.get(f"/municipalities/{A}/targets").get_json()["items"][0]["etag"]
    one = coordinator.get(f"/municipalities/{A}/targets/advanced?period_start_fy=2024")
    assert one.status_code == 200
    assert one.headers["ETag"] == listed == put.headers["ETag"]
    # Without a year: the period the current fiscal year shows.
    assert coordinator.get(f"/municipalities/{A}/targets/advanced").headers["ETag"] == listed
    assert coordinator.get(f"/municipalities/{A}/targets/core_pm").status_code == 404


def test_two_coordinators_putting_one_target_do_not_undo_each_other(app, api, world, signed_in):
    first = api(world.emails["coordinator_a"])
    with within(app):
        from regional.people.models import Role

        email = factories.make_user(world.muni_a, role=Role.COORDINATOR).email
    second = api(email)
    first._call("PUT", f"/municipalities/{A}/targets/advanced", json=BODY)
    url = f"/municipalities/{A}/targets/advanced?period_start_fy=2024"
    tag = first.get(url).headers["ETag"]
    assert second.get(url).headers["ETag"] == tag
    path = f"/municipalities/{A}/targets/advanced"
    ok = first._call("PUT", path, json={**BODY, "target": 20}, headers={"If-Match": tag})
    assert ok.status_code == 200
    late = second._call("PUT", path, json={**BODY, "population": 900}, headers={"If-Match": tag})
    assert late.status_code == 412
    current = late.get_json()["error"]["current"]
    assert (current["target"], current["population"]) == (20, None)
    assert late.headers["ETag"] == ok.headers["ETag"]
    with app.app_context(), all_tenants(db.session):
        saved = db.session.scalar(select(Target).where(Target.key == "advanced"))
        assert (saved.target, saved.population) == (20, None)


def test_if_match_on_a_period_that_does_not_exist_is_412_and_if_none_match_creates_only(
    app, api, world
):
    coordinator = api(world.emails["coordinator_a"])
    path = f"/municipalities/{A}/targets/advanced"
    resp = coordinator._call("PUT", path, json=BODY, headers={"If-Match": "*"})
    assert resp.status_code == 412
    assert resp.get_json()["error"]["current"] is None
    created = coordinator._call("PUT", path, json=BODY, headers={"If-None-Match": "*"})
    assert created.status_code == 200
    again = coordinator._call(
        "PUT", path, json={**BODY, "target": 99}, headers={"If-None-Match": "*"}
    )
    assert again.status_code == 412
    assert again.get_json()["error"]["current"]["target"] == 12
    # A refused value is 422 whatever the precondition.
    bad = coordinator._call("PUT", path, json={**BODY, "target": -1}, headers={"If-Match": "*"})
    assert bad.status_code == 422


# -- employees --------------------------------------------------------------------------


def test_an_employee_read_answers_its_etag_and_a_stale_change_is_412(app, api, world):
    coordinator = api(world.emails["coordinator_a"])
    url = f"/municipalities/{A}/employees/{world.employee_a}"
    read = coordinator.get(url)
    assert read.status_code == 200
    tag = read.headers["ETag"]
    assert read.get_json()["etag"] == tag
    ok = coordinator.patch(url, json={"name_kana": "ツヤマ タロウ"}, headers={"If-Match": tag})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["name"] == read.get_json()["name"]  # fields not given stay
    late = coordinator.patch(url, json={"name": "津山 次郎"}, headers={"If-Match": tag})
    assert late.status_code == 412
    assert late.get_json()["error"]["current"]["name"] == read.get_json()["name"]
    with app.app_context(), all_tenants(db.session):
        user = db.session.get(User, world.employee_a)
        assert (user.name, user.name_kana) == (read.get_json()["name"], "ツヤマ タロウ")


def test_an_employee_patch_refuses_fields_it_does_not_change(app, api, world):
    coordinator = api(world.emails["coordinator_a"])
    url = f"/municipalities/{A}/employees/{world.employee_a}"
    for body in ({"status": "disabled"}, {"roles": ["coordinator"]}, {"municipality_id": 3}):
        resp = coordinator.patch(url, json=body)
        assert resp.status_code == 400, body
    assert coordinator.patch(url, json={"email": "not an address"}).status_code == 400
    assert coordinator.patch(url, json={"org_unit": "無い部/無い課"}).status_code == 422


def test_another_members_employee_is_not_found(app, api, world):
    coordinator = api(world.emails["coordinator_a"])
    url = f"/municipalities/{A}/employees/{world.employee_b}"
    assert coordinator.get(url).status_code == 404
    assert coordinator.patch(url, json={"name": "x"}).status_code == 404
