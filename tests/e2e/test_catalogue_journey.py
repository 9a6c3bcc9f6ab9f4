"""Issue 9's catalogue in the browser, in Japanese, at desktop and phone width (375 px).

An employee searches with half-width katakana and a full-width space, narrows to
programmes with an open session, sees the marks in words, opens a programme
without a session and finds the way on (e-learning, or what to do), then
returns to the same search. Every page is audited with axe-core and
photographed into ``tests/e2e/artifacts/``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from regional.catalogue.models import Program
from regional.extensions import db
from tests import factories
from tests.e2e.helpers import audit, sign_in
from tests.fixtures_targets import complete

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WIDTHS = {"desktop": 1280, "phone-375": 375}


@pytest.fixture(scope="module")
def catalogue(live_server):
    """A programme with an open session, and a completion of GEN-SEC-102 by employee A."""
    world = live_server.world
    with live_server.db():
        opened = factories.make_program(
            "E2E-CAT-1", title_ja="セキュリティ監査の実務", title_en="Security audit in practice"
        )
        factories.make_session(opened, capacity=10)
        complete(world.muni_a, world.employee_a, "GEN-SEC-102", date(2025, 6, 1))
        ids = {
            code: db.session.scalar(select(Program.id).where(Program.code == code))
            for code in ("E2E-CAT-1", "GEN-SEC-101", "GEN-SEC-102")
        }
    return ids


def _no_sideways_scroll(page, width: int) -> None:
    if width <= 414:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{page.url} scrolls sideways by {overflow}px at {width}px"


@pytest.mark.parametrize("size", list(WIDTHS))
def test_employee_searches_the_catalogue_and_finds_a_way_on(new_page, live_server, catalogue, size):
    ARTIFACTS.mkdir(exist_ok=True)
    width = WIDTHS[size]
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, live_server.world.emails["employee_a"])

    page.goto("/catalogue/")
    assert page.locator("html").get_attribute("lang") == "ja"
    search = page.get_by_role("searchbox", name="キーワード")
    search.fill("ｾｷｭﾘﾃｨ\u3000研修")  # half-width katakana, a full-width space
    page.get_by_role("button", name="検索").click()
    page.wait_for_url("**/catalogue/?q=*")
    assert page.get_by_role("searchbox", name="キーワード").input_value() == "ｾｷｭﾘﾃｨ\u3000研修"
    rows = page.locator("table.stack tbody tr")
    codes = rows.locator("td").filter(has_text="GEN-SEC-101")
    assert codes.count() == 1
    page.screenshot(path=str(ARTIFACTS / f"catalogue-search-{size}.png"), full_page=True)
    audit(page, f"catalogue search {size}")
    _no_sideways_scroll(page, width)

    # Only programmes with an open session: the mark is words (and an icon), not colour.
    page.goto("/catalogue/?q=" + "セキュリティ")
    page.get_by_label("受付中の開催回がある研修のみ").check()
    page.get_by_role("button", name="検索").click()
    page.wait_for_url("**open=y*")
    row = page.locator("tr", has_text="E2E-CAT-1")
    assert row.get_by_text("受付中の開催回あり").is_visible()
    assert page.locator("tr", has_text="GEN-SEC-101").count() == 0
    assert page.get_by_label("受付中の開催回がある研修のみ").is_checked()
    audit(page, f"catalogue open only {size}")
    _no_sideways_scroll(page, width)

    page.goto("/catalogue/?area=information_security")
    assert page.locator("tr", has_text="GEN-SEC-102").get_by_text("受講済み").is_visible()
    assert page.locator("tr", has_text="GEN-SEC-101").get_by_text("受講済み").count() == 0

    # A required e-learning programme without a session is no dead end.
    page.locator("tr", has_text="GEN-SEC-101").get_by_role("link").click()
    page.wait_for_url(f"**/catalogue/{catalogue['GEN-SEC-101']}?*")
    assert page.get_by_text("研修担当者からお知らせします").is_visible()
    page.screenshot(path=str(ARTIFACTS / f"catalogue-programme-{size}.png"), full_page=True)
    audit(page, f"programme without a session {size}")
    _no_sideways_scroll(page, width)
    page.get_by_role("link", name="検索結果に戻る").click()
    page.wait_for_url("**/catalogue/?area=information_security")
    page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_employee_registers_interest_sees_it_at_home_and_withdraws(
    new_page, live_server, catalogue, size
):
    width = WIDTHS[size]
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, live_server.world.emails["employee_a"])
    page.goto(f"/catalogue/{catalogue['GEN-SEC-101']}")
    section = page.locator("section[aria-labelledby=interest-heading]")
    section.get_by_role("button", name="関心登録する").click()
    page.wait_for_url(f"**/catalogue/{catalogue['GEN-SEC-101']}")
    assert "関心登録しました。" in page.locator(".flash-success").inner_text()
    assert section.get_by_text("関心登録済み").is_visible()
    page.screenshot(path=str(ARTIFACTS / f"catalogue-interest-{size}.png"), full_page=True)
    audit(page, f"interest registered {size}")
    _no_sideways_scroll(page, width)

    page.goto("/")
    card = page.locator("section[aria-labelledby=work-interests]")
    assert card.get_by_text("情報セキュリティ研修（全職員）").is_visible()
    assert card.get_by_text("開催回の受付開始待ち").is_visible()
    page.screenshot(path=str(ARTIFACTS / f"home-interests-{size}.png"), full_page=True)
    audit(page, f"home with interests {size}")
    _no_sideways_scroll(page, width)
    card.get_by_role("button", name="情報セキュリティ研修（全職員）への関心登録を取り消す").click()
    page.wait_for_url("**/")
    assert "関心登録を取り消しました。" in page.locator(".flash-success").inner_text()
    assert page.locator("section[aria-labelledby=work-interests]").count() == 0
    page.context.close()


def test_a_session_opening_mails_the_interested_employee_through_smtp(
    new_page, live_server, catalogue, _smtp_controller
):
    _controller, box = _smtp_controller
    page = new_page()
    sign_in(page, live_server.world.emails["employee_a"])
    page.goto(f"/catalogue/{catalogue['GEN-SEC-101']}")
    page.get_by_role("button", name="関心登録する").click()
    page.wait_for_url(f"**/catalogue/{catalogue['GEN-SEC-101']}")
    box.clear()
    with live_server.db():
        from regional.mail.services import deliver_outbox
        from regional.registrations.interests import notify_interested

        program = db.session.get(Program, catalogue["GEN-SEC-101"])
        factories.make_session(program, capacity=30)
        assert notify_interested() == 1
        db.session.commit()
        deliver_outbox()
    # Other modules' browser tests may have left mail to this person in the shared outbox;
    # the notice itself goes exactly once.
    got = [
        m
        for m in box.to(live_server.world.emails["employee_a"])
        if m["Subject"].startswith("【研修ポータル】受付開始のお知らせ")
    ]
    assert len(got) == 1
    page.goto("/")
    assert page.get_by_text("受付開始をお知らせ済み").is_visible()
    page.context.close()
