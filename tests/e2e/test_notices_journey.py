"""Issue 22 in the browser, in Japanese, at phone width (375 px): notices (お知らせ).
Posting a notice and an employee reading it on the home page are in
``test_training_cycle_journey``; what is left here is the wall and the way out: member
B's coordinator never sees member A's notice, and its poster withdraws it. axe-core
audits the management page at this width."""

from __future__ import annotations

from playwright.sync_api import expect

from regional.extensions import db
from regional.fiscal import now_utc
from regional.notices.services import NoticeData, post
from regional.people.models import User
from tenants.scoping import acting_as
from tests.e2e.helpers import audit, sign_in, sign_out

TITLE = "システム停止のお知らせ（取り下げ）"


def test_other_member_never_sees_it_and_the_poster_withdraws_it(new_page, live_server):
    world = live_server.world
    with live_server.db(), acting_as(db.session, world.muni_a):
        coordinator = db.session.get(User, world.coordinator_a)
        data = NoticeData(TITLE, "12月20日は終日停止します。", "", "", "all", now_utc(), None)
        post(data, coordinator)
    page = new_page(viewport={"width": 375, "height": 812})

    sign_in(page, world.emails["coordinator_b"])
    page.goto("/notices/")
    expect(page.locator("main")).not_to_contain_text(TITLE)
    sign_out(page)

    sign_in(page, world.emails["coordinator_a"])
    page.goto("/notices/manage")
    row = page.get_by_test_id("managed-notices").locator("tr", has_text=TITLE)
    audit(page, "お知らせ管理 (375)")
    row.get_by_role("button", name="取り下げる").click()
    expect(page.locator(".flash-success")).to_contain_text("お知らせを取り下げました")
    expect(page.locator("main")).not_to_contain_text(TITLE)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"/notices/manage scrolls sideways by {overflow}px"
