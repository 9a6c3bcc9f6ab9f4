"""The notices API (docs/api.md): what a person sees and marks read, and the poster's
management (post, edit with If-Match, withdraw) under the pages' own rules and audit trail.

Issue 22. Member B never sees nor changes member A's notice; an employee manages nothing;
bad input is a JSON 422 naming the field, with nothing written.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.fiscal import day_start_utc, local_date, now_utc
from regional.notices import services
from regional.notices.models import Notice, NoticeRead
from tenants import all_tenants
from tenants.scoping import acting_as
from tests.fixtures_registrations import person


def _post(user_id: int, title: str, **kw) -> int:
    actor = person(user_id)
    values = {
        "title_ja": title,
        "body_ja": "本文です。",
        "title_en": "",
        "body_en": "",
        "audience": "all",
        "shown_from": day_start_utc(local_date(now_utc())),
        "shown_until": None,
        **kw,
    }
    with acting_as(db.session, actor.municipality_id):
        notice = services.post(services.NoticeData(**values), actor)
        db.session.commit()
        return notice.id


def _count(model, *where) -> int:
    with all_tenants(db.session):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _actions() -> list[str]:
    with all_tenants(db.session):
        return list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.subject_type == "notice")
                .order_by(AuditEntry.id)
            )
        )


def _notice(notice_id: int) -> Notice | None:
    with all_tenants(db.session):
        db.session.expire_all()
        return db.session.get(Notice, notice_id)


@pytest.fixture
def posted(app, world):
    with app.app_context():
        return {
            "region": _post(world.admin, "全域のお知らせ", title_en="For the region"),
            "a": _post(world.coordinator_a, "A市のお知らせ"),
        }


# -- reading ---------------------------------------------------------------------------------


def test_a_person_sees_the_region_and_their_member_newest_first(api, world, posted):
    items = api(world.emails["employee_a"]).get("/me/notices").get_json()["items"]
    assert [i["id"] for i in items] == [posted["a"], posted["region"]]
    assert items[0] == {
        **items[0],
        "scope": "member",
        "title": "A市のお知らせ",
        "body": "本文です。",
        "read": False,
    }
    assert items[1]["scope"] == "region"
    assert items[1]["published_at"].endswith("+09:00")


def test_another_members_notice_is_never_listed_nor_marked(app, api, world, posted):
    b = api(world.emails["employee_b"])
    assert [i["id"] for i in b.get("/me/notices").get_json()["items"]] == [posted["region"]]
    resp = b.post(f"/notices/{posted['a']}/read")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "notice_not_found"
    with app.app_context():
        assert _count(NoticeRead) == 0


def test_marking_read_is_idempotent_and_per_person(app, api, world, posted):
    a = api(world.emails["employee_a"])
    for _ in range(2):
        resp = a.post(f"/notices/{posted['region']}/read")
        assert resp.status_code == 204 and resp.get_data() == b""
    read = {i["id"]: i["read"] for i in a.get("/me/notices").get_json()["items"]}
    assert read == {posted["a"]: False, posted["region"]: True}
    other = api(world.emails["coordinator_a"]).get("/me/notices").get_json()["items"]
    assert all(not i["read"] for i in other)
    with app.app_context():
        assert _count(NoticeRead) == 1
        assert "notice.read" not in _actions()  # the person's own act, not audited


def test_the_window_and_the_audience_decide(app, api, world):
    with app.app_context():
        tomorrow = local_date(now_utc()) + timedelta(days=1)
        later = _post(world.coordinator_a, "明日から", shown_from=day_start_utc(tomorrow))
        heads = _post(world.coordinator_a, "所属長向け", audience="heads")
    items = api(world.emails["employee_a"]).get("/me/notices").get_json()["items"]
    assert items == []
    assert api(world.emails["employee_a"]).post(f"/notices/{later}/read").status_code == 404
    assert api(world.emails["employee_a"]).post(f"/notices/{heads}/read").status_code == 404


def test_english_on_request_with_the_japanese_as_fallback(api, world, posted):
    items = (
        api(world.emails["employee_a"])
        .get("/me/notices", headers={"Accept-Language": "en"})
        .get_json()["items"]
    )
    assert [i["title"] for i in items] == ["A市のお知らせ", "For the region"]


# -- managing --------------------------------------------------------------------------------


def test_a_coordinator_posts_edits_and_withdraws_all_audited(app, api, world):
    c = api(world.emails["coordinator_a"])
    resp = c.post(
        "/notices",
        json={
            "title_ja": "説明会の案内",
            "body_ja": "本文",
            "audience": "coordinators",
            "shown_until": "2099-03-31",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    body, tag = resp.get_json(), resp.headers["ETag"]
    nid = body["id"]
    assert body["scope"] == "member" and body["etag"] == tag
    assert body["shown_from"] == local_date(now_utc()).isoformat()
    assert body["shown_until"] == "2099-03-31"
    assert resp.headers["Location"].endswith(f"/api/v1/notices/{nid}")
    got = c.get(f"/notices/{nid}")
    assert got.status_code == 200 and got.headers["ETag"] == tag
    with app.app_context():
        assert _notice(nid).audience_municipality_id == world.muni_a
    edit = c.patch(f"/notices/{nid}", json={"title_en": "Briefing"}, headers={"If-Match": tag})
    assert edit.status_code == 200, edit.get_json()
    assert (
        edit.get_json()["title_en"] == "Briefing" and edit.get_json()["title_ja"] == "説明会の案内"
    )
    assert edit.headers["ETag"] != tag
    assert [n["id"] for n in c.get("/notices").get_json()["items"]] == [nid]
    assert c.delete(f"/notices/{nid}").status_code == 204
    assert c.get(f"/notices/{nid}").status_code == 404
    with app.app_context():
        assert _notice(nid) is None
        assert _actions() == ["notice.post", "notice.edit", "notice.withdraw"]
        with all_tenants(db.session):
            entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "notice.edit"))
        assert entry.municipality_id == world.muni_a
        assert entry.detail["after"] == {"title_en": "Briefing"}


def test_a_stale_edit_is_412_and_changes_nothing(app, api, world, posted):
    c = api(world.emails["coordinator_a"])
    tag = c.get(f"/notices/{posted['a']}").headers["ETag"]
    first = c.patch(
        f"/notices/{posted['a']}", json={"title_ja": "一人目"}, headers={"If-Match": tag}
    )
    assert first.status_code == 200
    stale = c.patch(
        f"/notices/{posted['a']}", json={"title_ja": "二人目"}, headers={"If-Match": tag}
    )
    assert stale.status_code == 412
    error = stale.get_json()["error"]
    assert error["code"] == "precondition_failed"
    assert error["current"]["title_ja"] == "一人目"
    assert stale.headers["ETag"] == first.headers["ETag"]
    bad = c.patch(f"/notices/{posted['a']}", json={"title_ja": "x"}, headers={"If-Match": "nope"})
    assert bad.status_code == 400
    with app.app_context():
        assert _notice(posted["a"]).title_ja == "一人目"
        assert _actions().count("notice.edit") == 1


def test_the_region_notice_is_the_administrators_to_edit(app, api, world, posted):
    admin = api(world.emails["admin"])
    tag = admin.get(f"/notices/{posted['region']}").headers["ETag"]
    resp = admin.patch(
        f"/notices/{posted['region']}", json={"shown_until": None}, headers={"If-Match": tag}
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["scope"] == "region"
    # A coordinator manages their member's notices only, the administrator the region's.
    c = api(world.emails["coordinator_a"])
    assert c.patch(f"/notices/{posted['region']}", json={"title_ja": "x"}).status_code == 404
    assert admin.patch(f"/notices/{posted['a']}", json={"title_ja": "x"}).status_code == 404
    with app.app_context():
        assert _notice(posted["region"]).title_ja == "全域のお知らせ"
        assert _notice(posted["a"]).title_ja == "A市のお知らせ"


def test_member_b_never_sees_nor_changes_a_notice_of_a(app, api, world, posted):
    b = api(world.emails["coordinator_b"])
    assert posted["a"] not in [n["id"] for n in b.get("/notices").get_json()["items"]]
    assert b.get(f"/notices/{posted['a']}").status_code == 404
    assert b.patch(f"/notices/{posted['a']}", json={"title_ja": "書き換え"}).status_code == 404
    assert b.delete(f"/notices/{posted['a']}").status_code == 404
    with app.app_context():
        assert _notice(posted["a"]).title_ja == "A市のお知らせ"
        assert _actions() == ["notice.post", "notice.post"]


def test_an_employee_manages_no_notice(app, api, world, posted):
    e = api(world.emails["employee_a"])
    assert e.get("/notices").status_code == 403
    assert e.post("/notices", json={"title_ja": "職員", "body_ja": "本文"}).status_code == 403
    assert e.patch(f"/notices/{posted['a']}", json={"title_ja": "x"}).status_code == 403
    assert e.delete(f"/notices/{posted['a']}").status_code == 403
    with app.app_context():
        assert _count(Notice) == 2


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"title_ja": "", "body_ja": "本文"}, 422, "title_ja"),
        ({"title_ja": "題", "body_ja": "  "}, 422, "body_ja"),
        ({"title_ja": "長" * 201, "body_ja": "本文"}, 422, "title_ja"),
        ({"title_ja": "題", "body_ja": "本文", "title_en": "bidi\u202e"}, 422, "title_en"),
        ({"title_ja": "題", "body_ja": "本文", "audience": "everyone"}, 422, "audience"),
        ({"title_ja": "題", "body_ja": "本文", "shown_until": "2000-04-01"}, 422, "shown_until"),
        ({"title_ja": "題", "body_ja": "本文", "shown_from": "2030-02-30"}, 400, "shown_from"),
        ({"title_ja": 5, "body_ja": "本文"}, 400, "title_ja"),
        ({"title_ja": "題", "body_ja": "本文", "audience_municipality_id": 1}, 400, None),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(app, api, world, body, status, field):
    resp = api(world.emails["coordinator_a"]).post("/notices", json=body)
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["message"]
    assert error["field"] == (field or "audience_municipality_id")
    if status == 422:
        assert error["code"] == "invalid_notice" and field in error["fields"]
    with app.app_context():
        assert _count(Notice) == 0 and _actions() == []


def test_a_refused_edit_is_422_before_the_precondition(app, api, world, posted):
    c = api(world.emails["coordinator_a"])
    resp = c.patch(f"/notices/{posted['a']}", json={"body_ja": ""}, headers={"If-Match": '"x"'})
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "body_ja"
    with app.app_context():
        assert _notice(posted["a"]).body_ja == "本文です。"
        assert _actions() == ["notice.post", "notice.post"]
