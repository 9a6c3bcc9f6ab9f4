"""The sessions API: the contract's fields, visibility per municipality, and safe writes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from regional import seats
from regional.extensions import db
from regional.fiscal import now_utc, to_local
from regional.seats.models import RegistrationStatus
from regional.sessions.models import SeatAllocation, SessionStatus, TrainingSession
from tenants.models import Municipality
from tests import factories
from tests.fixtures_sessions import (
    count,
    fill,
    fresh,
    iso,
    person,
    registrations_of,
    session_body,
    within,
)

CONTRACT = {
    "id",
    "program_id",
    "starts_at",
    "ends_at",
    "venue",
    "capacity",
    "enrolled_count",
    "waitlist_count",
    "seats_left",
    "registration_opens_at",
    "registration_closes_at",
    "requires_approval",
    "status",
}


@pytest.fixture
def program_id(app) -> int:
    with within(app):
        return factories.make_program().id


# -- reading -------------------------------------------------------------------


def test_session_has_the_contract_fields_with_tokyo_offsets(app, api, world):
    with within(app):
        ts = factories.make_session(capacity=2, requires_approval=True)
        ts_id = ts.id
    body = api(world.emails["employee_a"]).get(f"/sessions/{ts_id}").get_json()
    assert set(body) >= CONTRACT
    assert body["starts_at"].endswith("+09:00")
    assert body["registration_closes_at"].endswith("+09:00")
    assert (body["capacity"], body["seats_left"], body["status"]) == (2, 2, "scheduled")
    assert body["requires_approval"] is True
    assert body["host_municipality_code"] is None and body["open_to"] is None


def test_counts_span_every_municipality_but_name_nobody(app, api, world):
    with within(app):
        ts = factories.make_session(capacity=3)
        fill(ts.id, world.muni_a, 1)
        fill(ts.id, world.muni_b, 4)  # two of them wait
        ts_id = ts.id
    body = api(world.emails["coordinator_a"]).get(f"/sessions/{ts_id}").get_json()
    assert (body["enrolled_count"], body["waitlist_count"], body["seats_left"]) == (3, 2, 0)
    assert isinstance(body["enrolled_count"], int)
    assert "registrations" not in body


def test_reservations_are_shown_to_administrators_all_and_to_coordinators_their_own(
    app, api, world
):
    with within(app):
        ts = factories.make_session(capacity=10)
        release = now_utc() + timedelta(days=3)
        seats.set_allocation(ts.id, world.muni_a, 2, release)
        seats.set_allocation(ts.id, world.muni_b, 4, release)
        ts_id = ts.id
    coordinator = api(world.emails["coordinator_a"]).get(f"/sessions/{ts_id}").get_json()
    assert [r["municipality_code"] for r in coordinator["reservations"]] == ["332038"]
    assert coordinator["seats_left"] == 4 and coordinator["seats_left_for_you"] == 6
    admin = api(world.emails["admin"]).get(f"/sessions/{ts_id}").get_json()
    assert {r["municipality_code"] for r in admin["reservations"]} == {"332038", "332046"}
    assert (
        api(world.emails["employee_a"]).get(f"/sessions/{ts_id}").get_json()["reservations"] == []
    )


def test_another_members_own_session_is_404_and_not_listed(app, api, world):
    with within(app):
        p = factories.make_program()
        hosted_b = factories.make_session(p, host_municipality_id=world.muni_b).id
        for_b = factories.make_session(p, open_to_all=False)
        for_b.audience = [db.session.get(Municipality, world.muni_b)]
        for_b_id, shared, pid = for_b.id, factories.make_session(p).id, p.id
    caller = api(world.emails["coordinator_a"])
    for ts_id in (hosted_b, for_b_id):
        resp = caller.get(f"/sessions/{ts_id}")
        assert resp.status_code == 404
        assert resp.get_json()["error"]["code"] == "not_found"
    listed = {i["id"] for i in caller.get(f"/sessions?program_id={pid}").get_json()["items"]}
    assert listed == {shared}
    admin = api(world.emails["admin"]).get(f"/sessions?program_id={pid}").get_json()["items"]
    assert {i["id"] for i in admin} == {shared, hosted_b, for_b_id}
    own = api(world.emails["employee_b"]).get(f"/sessions/{hosted_b}").get_json()
    assert own["host_municipality_code"] == "332046"


def test_list_filters_by_dates_in_tokyo_time(app, api, world):
    with within(app):
        p = factories.make_program()
        a = factories.make_session(p, starts_in=timedelta(days=5))
        b = factories.make_session(p, starts_in=timedelta(days=15))
        c = factories.make_session(p, starts_in=timedelta(days=25))
        day_b = to_local(b.starts_at).date().isoformat()
        moment_b = to_local(b.starts_at).replace(tzinfo=None).isoformat()
        ids, pid = (a.id, b.id, c.id), p.id
    caller = api(world.emails["employee_a"])

    def listed(query: str) -> list[int]:
        resp = caller.get(f"/sessions?program_id={pid}&{query}")
        assert resp.status_code == 200, resp.get_json()
        return [i["id"] for i in resp.get_json()["items"]]

    assert listed(f"from={day_b}&to={day_b}") == [ids[1]]
    assert listed(f"from={day_b}") == [ids[1], ids[2]]
    assert listed(f"to={day_b}") == [ids[0], ids[1]]
    assert listed(f"to={moment_b}") == [ids[0], ids[1]]  # a time without offset is Tokyo's
    assert listed("") == list(ids)


def test_list_pages(app, api, world):
    with within(app):
        p = factories.make_program()
        for day in range(5):
            factories.make_session(p, starts_in=timedelta(days=3 + day))
        pid = p.id
    body = api(world.emails["employee_a"]).get(f"/sessions?program_id={pid}&per_page=2&page=3")
    body = body.get_json()
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (3, 2, 5, 1)


@pytest.mark.parametrize(
    "query", ["from=yesterday", "to=2026-02-30", "program_id=abc", "status=maybe", "page=x"]
)
def test_bad_list_filter_is_a_400(api, world, query):
    resp = api(world.emails["employee_a"]).get(f"/sessions?{query}")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] in ("invalid_filter", "invalid_paging")


# -- writing -------------------------------------------------------------------


def test_administrator_adds_a_session_with_times_read_as_tokyo_when_no_offset(
    app, api, world, program_id
):
    start = (to_local(now_utc()) + timedelta(days=30)).replace(
        hour=13, minute=30, second=0, microsecond=0, tzinfo=None
    )
    body = session_body(
        program_id,
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=2)).isoformat(),
        registration_closes_at=iso(timedelta(days=20)),
        online_url="https://meet.example.jp/x",
        cancellation_deadline=(start - timedelta(days=3)).isoformat(),
        open_to=["332038", "332046"],
    )
    resp = api(world.emails["admin"]).post("/sessions", json=body)
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert resp.headers["Location"].endswith(f"/api/v1/sessions/{out['id']}")
    assert out["starts_at"] == start.isoformat() + "+09:00"
    assert out["open_to"] == ["332038", "332046"]
    assert (out["enrolled_count"], out["waitlist_count"], out["seats_left"]) == (0, 0, 30)
    with within(app):
        ts = fresh(out["id"])
        assert ts.starts_at == datetime.fromisoformat(out["starts_at"])
        assert {m.code for m in ts.audience} == {"332038", "332046"}
        assert ts.host_municipality_id is None and ts.created_by_id == world.admin


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"ends_at": iso(timedelta(days=29))}, 422, "ends_before_start"),
        (
            {
                "registration_opens_at": iso(timedelta(days=10)),
                "registration_closes_at": iso(timedelta(days=5)),
            },
            422,
            "window_inverted",
        ),
        ({"registration_closes_at": iso(timedelta(days=31))}, 422, "closes_after_start"),
        ({"capacity": -1}, 422, "invalid_capacity"),
        ({"capacity": 1001}, 422, "invalid_capacity"),
        ({"capacity": "10"}, 400, "invalid_field"),
        ({"capacity": 2.5}, 400, "invalid_field"),
        ({"capacity": True}, 400, "invalid_field"),
        ({"requires_approval": "yes"}, 400, "invalid_field"),
        ({"starts_at": "next monday"}, 400, "invalid_field"),
        ({"starts_at": 1735689600}, 400, "invalid_field"),
        ({"program_id": 999999}, 422, "unknown_program"),
        ({"program_id": "1"}, 400, "invalid_field"),
        ({"online_url": "http://meet.example.jp/x"}, 422, "invalid_url"),
        ({"online_url": "javascript:alert(1)"}, 422, "invalid_url"),
        ({"venue": ""}, 422, "missing_venue"),
        ({"open_to": []}, 422, "missing_audience"),
        ({"open_to": ["999999"]}, 422, "unknown_municipality"),
        ({"open_to": "332038"}, 400, "invalid_field"),
        ({"cancellation_deadline": iso(timedelta(days=31))}, 422, "deadline_after_start"),
        ({"venue": "x" * 201}, 400, "invalid_field"),
    ],
)
def test_bad_session_is_refused_with_a_code_and_nothing_written(
    app, api, world, program_id, overrides, status, code
):
    with within(app):
        before = count(TrainingSession)
    resp = api(world.emails["admin"]).post("/sessions", json=session_body(program_id, **overrides))
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"]
    with within(app):
        assert count(TrainingSession) == before


def test_missing_field_and_malformed_json_are_400(app, api, world, program_id):
    caller = api(world.emails["admin"])
    body = session_body(program_id)
    del body["ends_at"]
    resp = caller.post("/sessions", json=body, headers={"Accept-Language": "en"})
    assert resp.status_code == 400
    assert resp.get_json()["error"] == {
        "code": "missing_field",
        "message": "The field ends_at is required.",
        "field": "ends_at",
    }
    resp = caller.post("/sessions", data="{", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "malformed_json"


def test_only_regional_administrators_add_sessions(app, api, world, program_id):
    with within(app):
        before = count(TrainingSession)
    for who in ("employee_a", "coordinator_a"):
        resp = api(world.emails[who]).post("/sessions", json=session_body(program_id))
        assert resp.status_code == 403
    with within(app):
        assert count(TrainingSession) == before


def test_patch_grows_capacity_and_promotes_from_the_waiting_list(app, api, world):
    with within(app):
        ts = factories.make_session(capacity=1)
        fill(ts.id, world.muni_a, 1)
        fill(ts.id, world.muni_b, 1)
        ts_id = ts.id
    resp = api(world.emails["admin"]).patch(
        f"/sessions/{ts_id}", json={"capacity": 2, "venue": "本庁舎 大会議室"}
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["capacity"], body["enrolled_count"], body["waitlist_count"]) == (2, 2, 0)
    assert body["venue"] == "本庁舎 大会議室"
    with within(app):
        assert [r.status for r in registrations_of(ts_id)] == [RegistrationStatus.ENROLLED] * 2


def test_patch_refuses_capacity_below_seats_taken_and_keeps_everything(app, api, world):
    with within(app):
        ts = factories.make_session(capacity=4)
        fill(ts.id, world.muni_a, 3)
        ts_id = ts.id
    resp = api(world.emails["admin"]).patch(
        f"/sessions/{ts_id}", json={"capacity": 2, "venue": "changed"}
    )
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "capacity_below_taken"
    with within(app):
        ts = fresh(ts_id)
        assert (ts.capacity, ts.venue) == (4, "岡山市役所 本庁舎 第1会議室")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"program_id": 1}, 422, "program_fixed"),
        ({"ends_at": "2000-01-01T00:00:00+09:00"}, 422, "ends_before_start"),
        ({"starts_at": None}, 400, "missing_field"),
        ({"capacity": None}, 400, "missing_field"),
        ({"online_url": "ftp://x"}, 422, "invalid_url"),
    ],
)
def test_bad_patch_is_refused(app, api, world, body, status, code):
    with within(app):
        ts_id = factories.make_session(capacity=4).id
    resp = api(world.emails["admin"]).patch(f"/sessions/{ts_id}", json=body)
    assert resp.status_code == status
    assert resp.get_json()["error"]["code"] == code


def test_patch_of_an_invisible_or_unknown_session_is_404(api, world):
    assert (
        api(world.emails["admin"]).patch("/sessions/999999", json={"capacity": 1}).status_code
        == 404
    )


def test_cancel_tells_everyone_and_a_second_cancel_conflicts(app, api, mailbox, world):
    with within(app):
        ts = factories.make_session(capacity=1)
        people = fill(ts.id, world.muni_a, 1) + fill(ts.id, world.muni_b, 1)
        ts_id = ts.id
        emails = [person(p).email for p in people]
    caller = api(world.emails["admin"])
    resp = caller.post(f"/sessions/{ts_id}/cancel", json={"reason": "台風接近のため"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["status"], body["notified"], body["enrolled_count"]) == ("cancelled", 2, 0)
    for email in emails:
        (msg,) = mailbox.to(email)
        assert "台風接近のため" in mailbox.body(msg)
    again = caller.post(f"/sessions/{ts_id}/cancel", json={"reason": "again"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "session_cancelled"
    patch = caller.patch(f"/sessions/{ts_id}", json={"capacity": 5})
    assert patch.status_code == 422
    with within(app):
        assert fresh(ts_id).status == SessionStatus.CANCELLED


def test_cancel_needs_a_reason(app, api, world):
    with within(app):
        ts_id = factories.make_session().id
    resp = api(world.emails["admin"]).post(f"/sessions/{ts_id}/cancel", json={})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "missing_field"
    with within(app):
        assert fresh(ts_id).status == SessionStatus.SCHEDULED


def test_reserving_seats_through_the_api(app, api, world):
    with within(app):
        ts = factories.make_session(capacity=5)
        fill(ts.id, world.muni_b, 2)
        ts_id = ts.id
    caller = api(world.emails["admin"])
    ok = caller._call(
        "PUT",
        f"/sessions/{ts_id}/reservations/332038",
        json={"seats": 2, "release_at": iso(timedelta(days=3))},
    )
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["seats_left"] == 1
    too_many = caller._call(
        "PUT",
        f"/sessions/{ts_id}/reservations/332046",
        json={"seats": 2, "release_at": iso(timedelta(days=3))},
    )
    assert too_many.status_code == 422
    assert too_many.get_json()["error"]["code"] == "not_enough_free_seats"
    unknown = caller._call(
        "PUT",
        f"/sessions/{ts_id}/reservations/999999",
        json={"seats": 1, "release_at": iso(timedelta(days=3))},
    )
    assert unknown.status_code == 404
    with within(app):
        assert count(SeatAllocation) == 1


def test_put_is_not_a_way_for_coordinators_to_hold_seats(app, api, world):
    with within(app):
        ts_id = factories.make_session(capacity=5).id
    resp = api(world.emails["coordinator_a"])._call(
        "PUT",
        f"/sessions/{ts_id}/reservations/332038",
        json={"seats": 5, "release_at": iso(timedelta(days=3))},
    )
    assert resp.status_code == 403
    with within(app):
        assert count(SeatAllocation) == 0
