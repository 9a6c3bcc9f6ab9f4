"""Issue 22 in the browser, in Japanese, at desktop and phone width (375 px): notices
(お知らせ). Member A's coordinator posts a notice for A's staff; an employee of A sees it on
the home page marked unread and marks it read (a POST); member B's coordinator never sees
it; the poster withdraws it. Every page on the way is audited with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from regional.fiscal import local_date, now_utc
from tests.e2e.helpers import audit, sign_in, sign_out

WIDTHS = {"desktop": 1280, "phone-375": 375}


def _no_sideways_scroll(page, width: int, where: str) -> None:
    if width <= 414:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{where} scrolls sideways by {overflow}px"


@pytest.mark.parametrize("size", list(WIDTHS))
def test_coordinator_posts_employee_reads_other_member_never_sees(new_page, live_server, size):
    width = WIDTHS[size]
    emails = live_server.world.emails
    title = f"システム停止のお知らせ（{size}）"
    page = new_page(viewport={"width": width, "height": 900})

    sign_in(page, emails["coordinator_a"])
    page.goto("/notices/manage")
    audit(page, f"お知らせ管理 ({size})")
    page.get_by_role("link", name="新しいお知らせ").click()
    audit(page, f"新しいお知らせ ({size})")
    page.get_by_label("題名（日本語）").fill(title)
    page.get_by_label("本文（日本語）").fill(
        "12月20日は終日停止します。\n前日までに申込みを済ませてください。"
    )
    page.get_by_label("掲載開始日").fill(local_date(now_utc()).isoformat())
    page.locator("form[action='/notices/manage/new'] button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("お知らせを保存しました")
    expect(page.get_by_test_id("managed-notices")).to_contain_text(title)
    _no_sideways_scroll(page, width, "お知らせ管理")
    sign_out(page)

    sign_in(page, emails["employee_a"])
    notice = page.get_by_test_id("home-notices").get_by_test_id("notice").filter(has_text=title)
    expect(notice).to_contain_text("前日までに申込みを済ませてください。")
    expect(notice.get_by_test_id("unread")).to_have_text("未読")
    audit(page, f"home with notices ({size})")
    _no_sideways_scroll(page, width, "home with notices")
    notice.get_by_role("button", name="既読にする").click()
    expect(
        page.get_by_test_id("home-notices")
        .get_by_test_id("notice")
        .filter(has_text=title)
        .get_by_test_id("unread")
    ).to_have_count(0)
    page.goto("/notices/")
    expect(page.get_by_test_id("notices")).to_contain_text(title)
    audit(page, f"お知らせ ({size})")
    sign_out(page)

    sign_in(page, emails["coordinator_b"])
    page.goto("/notices/")
    expect(page.locator("main")).not_to_contain_text(title)
    sign_out(page)

    sign_in(page, emails["coordinator_a"])
    page.goto("/notices/manage")
    row = page.get_by_test_id("managed-notices").locator("tr", has_text=title)
    row.get_by_role("button", name="取り下げる").click()
    expect(page.locator(".flash-success")).to_contain_text("お知らせを取り下げました")
    expect(page.locator("main")).not_to_contain_text(title)
