"""Notices (お知らせ): who posts, who sees which, the window, read marks, the audit trail.

Issue 22. A regional administrator posts for the whole region, a coordinator for their own
member; an audience (all, coordinators, heads of unit) and a publication window (Tokyo days,
stored UTC) decide who sees a notice now; marking read is a POST of one person.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from regional.audit.models import AuditEntry
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import day_after_utc, day_start_utc, local_date, now_utc
from regional.notices import services
from regional.notices.models import Notice, NoticeRead
from tenants import all_tenants
from tenants.scoping import acting_as
from tests.fixtures_registrations import english, person
from tests.test_heads import _unit_tree
from tests.test_registrations_pages import text


def _data(title="研修のお知らせ", **kw) -> services.NoticeData:
    today = local_date(now_utc())
    values = {
        "title_ja": title,
        "body_ja": "本文です。",
        "title_en": "",
        "body_en": "",
        "audience": "all",
        "shown_from": day_start_utc(today),
        "shown_until": None,
        **kw,
    }
    return services.NoticeData(**values)


def _post(user_id: int, title="研修のお知らせ", **kw) -> int:
    actor = person(user_id)
    with acting_as(db.session, actor.municipality_id):
        notice = services.post(_data(title, **kw), actor)
        db.session.commit()
        return notice.id


def _titles(user_id: int, now=None) -> list[str]:
    return [n.title_ja for n in services.current_for(person(user_id), now)]


def _count(model) -> int:
    with all_tenants(db.session):
        return db.session.scalar(select(func.count()).select_from(model))


def _form(title: str, **kw) -> dict:
    today = local_date(now_utc())
    return {
        "title_ja": title,
        "body_ja": "本文です。",
        "audience": "all",
        "shown_from": today.isoformat(),
        "shown_until": "",
        **kw,
    }


def _actions(subject_id: int) -> list[str]:
    with all_tenants(db.session):
        return list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.subject_type == "notice")
                .where(AuditEntry.subject_id == str(subject_id))
                .order_by(AuditEntry.id)
            )
        )


def test_the_region_notice_reaches_every_member_and_a_member_notice_stays_home(app, world):
    with app.app_context():
        region = _post(world.admin, "全体へのお知らせ")
        own = _post(world.coordinator_a, "A市のお知らせ")
        assert _titles(world.employee_a) == ["A市のお知らせ", "全体へのお知らせ"]
        assert _titles(world.employee_b) == ["全体へのお知らせ"]
        with acting_as(db.session, world.muni_b):
            assert {n.id for n in services.managed(person(world.coordinator_b))} == set()
        assert services.load_managed(own, person(world.coordinator_b)) is None
        assert services.load_managed(region, person(world.coordinator_a)) is None
        assert services.load_managed(region, person(world.admin)) is not None
        assert _actions(region) == ["notice.post"] and _actions(own) == ["notice.post"]


def test_member_b_never_sees_nor_edits_a_notice_of_a(app, world, as_coordinator_b, as_employee_a):
    with app.app_context():
        own = _post(world.coordinator_a, "A市だけのお知らせ")
    assert "A市だけのお知らせ" in text(as_employee_a.get("/notices/"))
    assert "A市だけのお知らせ" in text(as_employee_a.get("/"))
    assert "A市だけのお知らせ" not in text(as_coordinator_b.get("/notices/"))
    assert "A市だけのお知らせ" not in text(as_coordinator_b.get("/"))
    assert as_coordinator_b.get(f"/notices/manage/{own}").status_code == 404
    resp = as_coordinator_b.form_post(f"/notices/manage/{own}", _form("書き換え"))
    assert resp.status_code == 404
    assert as_coordinator_b.form_post(f"/notices/manage/{own}/withdraw").status_code == 404
    assert as_coordinator_b.form_post(f"/notices/{own}/read").status_code == 404
    with app.app_context():
        assert _count(Notice) == 1 and _count(NoticeRead) == 0
        with acting_as(db.session, world.muni_a):
            assert db.session.get(Notice, own).title_ja == "A市だけのお知らせ"


def test_an_employee_cannot_post(app, world, as_employee_a):
    assert as_employee_a.get("/notices/manage").status_code == 403
    assert as_employee_a.get("/notices/manage/new").status_code == 403
    assert as_employee_a.form_post("/notices/manage/new", _form("職員の投稿")).status_code == 403
    with app.app_context():
        assert _count(Notice) == 0
        with acting_as(db.session, world.muni_a), pytest.raises(DomainError):
            services.post(_data("職員の投稿"), person(world.employee_a))


def test_the_audience_decides_who_sees_a_notice(app, world):
    with app.app_context():
        u = _unit_tree(world, on=False)
        _post(world.coordinator_a, "担当者向け", audience="coordinators")
        _post(world.coordinator_a, "所属長向け", audience="heads")
        assert _titles(world.employee_a) == []
        assert _titles(u.staff) == []
        assert _titles(u.head) == ["所属長向け"]
        assert sorted(_titles(world.coordinator_a)) == ["担当者向け"]


def test_outside_the_window_a_notice_is_hidden(app, world):
    with app.app_context():
        day = date(2030, 4, 1)
        _post(
            world.admin,
            "期間つき",
            shown_from=day_start_utc(day),
            shown_until=day_after_utc(day + timedelta(days=2)),
        )
        start = day_start_utc(day)  # 2030-03-31 15:00 UTC: midnight in Tokyo
        assert _titles(world.employee_a, start - timedelta(seconds=1)) == []
        assert _titles(world.employee_a, start) == ["期間つき"]
        last = day_after_utc(day + timedelta(days=2))
        assert _titles(world.employee_a, last - timedelta(seconds=1)) == ["期間つき"]
        assert _titles(world.employee_a, last) == []


def test_marking_read_is_a_post_of_one_person(app, world, as_employee_a, as_coordinator_a):
    with app.app_context():
        nid = _post(world.admin, "既読を確かめる")
    assert 'data-testid="unread"' in text(as_employee_a.get("/"))
    assert as_employee_a.get(f"/notices/{nid}/read").status_code == 405
    with app.app_context():
        assert _count(NoticeRead) == 0
    resp = as_employee_a.form_post(f"/notices/{nid}/read", {"next": "/notices/"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/notices/")
    assert as_employee_a.form_post(f"/notices/{nid}/read").status_code == 302  # once only
    assert 'data-testid="unread"' not in text(as_employee_a.get("/"))
    assert 'data-testid="unread"' in text(as_coordinator_a.get("/notices/"))
    with app.app_context():
        assert _count(NoticeRead) == 1
        with acting_as(db.session, world.muni_a):
            mark = db.session.scalar(select(NoticeRead))
            assert (mark.user_id, mark.municipality_id) == (world.employee_a, world.muni_a)


def test_the_poster_posts_edits_and_withdraws_all_audited(app, world, as_coordinator_a):
    assert as_coordinator_a.get("/notices/manage/new").status_code == 200
    resp = as_coordinator_a.form_post("/notices/manage/new", _form("説明会の案内"))
    assert resp.status_code == 302
    with app.app_context(), acting_as(db.session, world.muni_a):
        nid = db.session.scalar(select(Notice.id))
        assert db.session.get(Notice, nid).audience_municipality_id == world.muni_a
    assert "説明会の案内" in text(as_coordinator_a.get("/notices/manage"))
    page = text(as_coordinator_a.get(f"/notices/manage/{nid}"))
    assert "説明会の案内" in page
    edit = _form("説明会の案内（改）", title_en="Briefing", body_en="Text.")
    assert as_coordinator_a.form_post(f"/notices/manage/{nid}", edit).status_code == 302
    assert "Briefing" in text(english(as_coordinator_a).get("/notices/"))
    assert as_coordinator_a.form_post(f"/notices/manage/{nid}/withdraw").status_code == 302
    with app.app_context():
        assert _count(Notice) == 0
        assert _actions(nid) == ["notice.post", "notice.edit", "notice.withdraw"]
        with all_tenants(db.session):
            entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "notice.edit"))
        assert entry.municipality_id == world.muni_a
        assert entry.detail["after"]["title"] == "説明会の案内（改）"


def test_bad_input_gets_a_message_and_changes_nothing(app, world, as_coordinator_a):
    today = local_date(now_utc())
    cases = [
        _form(""),
        _form("期間が逆", shown_until=(today - timedelta(days=1)).isoformat()),
        _form("宛先不明", audience="everyone"),
        _form("日付不正", shown_from="2030-02-30"),
        _form("長すぎる" * 60),
    ]
    for data in cases:
        resp = as_coordinator_a.form_post("/notices/manage/new", data)
        assert resp.status_code == 200, data
        assert "error-summary" in text(resp) or 'role="alert"' in text(resp), data
    with app.app_context():
        assert _count(Notice) == 0
        with all_tenants(db.session):
            assert not db.session.scalar(
                select(func.count()).where(AuditEntry.subject_type == "notice")
            )


def test_english_falls_back_to_japanese(app, world, as_employee_a):
    with app.app_context():
        _post(world.admin, "日本語だけの題", body_ja="日本語の本文")
        _post(world.admin, "英語つきの題", title_en="With English", body_en="English text")
    page = text(english(as_employee_a).get("/notices/"))
    assert "日本語だけの題" in page and "日本語の本文" in page
    assert "With English" in page and "英語つきの題" not in page


def _version_on_the_form(client, nid: int) -> str:
    page = text(client.get(f"/notices/manage/{nid}"))
    found = re.search(r'name="version" type="hidden" value="(\d+)"', page) or re.search(
        r'name="version"[^>]*value="(\d+)"', page
    )
    assert found, "the edit form carries no version"
    return found.group(1)


@pytest.mark.parametrize("poster", ["coordinator_a", "admin"])
def test_two_editors_the_second_is_told_and_nothing_is_lost(app, world, signed_in, poster):
    """Two people open the same notice; the first saves; the second's save (of the version
    they loaded) is refused with both values side by side, and saving again replaces."""
    first, second = signed_in(world.emails[poster]), signed_in(world.emails[poster])
    with app.app_context():
        nid = _post(getattr(world, poster), "説明会の案内")
    loaded = _version_on_the_form(second, nid)
    assert _version_on_the_form(first, nid) == loaded
    data = _form("説明会の案内（会場変更）", version=loaded)
    assert first.form_post(f"/notices/manage/{nid}", data).status_code == 302

    stale = second.form_post(
        f"/notices/manage/{nid}", _form("説明会の案内（日程変更）", version=loaded)
    )
    assert stale.status_code == 409
    page = text(stale)
    assert "説明会の案内（会場変更）" in page and "説明会の案内（日程変更）" in page
    with app.app_context(), all_tenants(db.session):
        assert db.session.get(Notice, nid).title_ja == "説明会の案内（会場変更）"
        assert _actions(nid) == ["notice.post", "notice.edit"]
    now = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    assert now != loaded
    again = _form("説明会の案内（日程変更）", version=now)
    assert second.form_post(f"/notices/manage/{nid}", again).status_code == 302
    with app.app_context(), all_tenants(db.session):
        assert db.session.get(Notice, nid).title_ja == "説明会の案内（日程変更）"
