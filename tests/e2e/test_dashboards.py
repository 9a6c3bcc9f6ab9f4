"""The dashboards in a browser: render, switch year and language, drill down, invite, export,
axe-clean at desktop and at 375 px, with the CSP enforced (the charts are inline SVG)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from regional.catalogue.models import Program
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from tests import factories
from tests.conftest import CODE_A, CODE_B
from tests.e2e.helpers import audit, sign_in, watch_csp
from tests.fixtures_targets import complete, target

FY = fiscal_year_of(now_utc())


@pytest.fixture(scope="module", autouse=True)
def progress_data(live_server):
    """Targets for A and B, a completion in A this year and last, a coming security session."""
    w = live_server.world
    with live_server.db():
        for muni in (w.muni_a, w.muni_b):
            target(muni, "security", 10, start=2024, population=400)
            target(muni, "core_digital", 4, start=2024, end=2027)
        day = max(date(FY, 4, 2), now_utc().date() - timedelta(days=1))
        complete(w.muni_a, w.employee_a, "GEN-SEC-101", day)
        complete(w.muni_a, w.employee_a, "GEN-SEC-101", date(FY - 1, 6, 1))
        complete(w.muni_a, w.employee_a2, "CORE-DT-101", date(FY - 1, 6, 1))
        program = db.session.scalar(select(Program).where(Program.code == "GEN-SEC-102"))
        factories.make_session(program, capacity=30, starts_in=timedelta(days=40))


def _no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_a_coordinator_renders_switches_year_and_language(new_page, world):
    page = new_page(bypass_csp=False)
    csp = watch_csp(page)
    sign_in(page, world.emails["coordinator_a"])
    page.locator("nav.main-nav").get_by_role("link", name="育成状況").click()
    expect(page).to_have_url("/progress/")
    expect(page.locator("h1")).to_contain_text("育成状況：津山市")
    expect(page.locator("figure.chart [role=img]").first).to_be_visible()
    expect(page.locator("main table").first).to_contain_text("1")
    audit(page, "municipality dashboard")

    page.get_by_label("年度", exact=True).select_option(str(FY - 1))
    page.get_by_role("button", name="表示").click()
    expect(page).to_have_url(f"/progress/m/{CODE_A}?fy={FY - 1}")
    expect(page.get_by_label("年度", exact=True)).to_have_value(str(FY - 1))

    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"/progress/m/{CODE_A}?fy={FY - 1}")
    expect(page.locator("h1")).to_contain_text("Progress")
    audit(page, "municipality dashboard, English")
    page.get_by_test_id("lang-switch").click()
    assert not csp, "CSP problems:\n" + "\n".join(csp)


def test_drill_down_and_invite(new_page, world, live_server):
    page = new_page()
    sign_in(page, world.emails["coordinator_a"])
    page.goto(f"/progress/m/{CODE_A}?fy={FY}")
    page.locator("#t-security").locator("xpath=..").get_by_role("link", name="未達成者").click()
    expect(page.locator("h2#people-h")).to_contain_text("未")
    expect(page.locator("main table")).to_contain_text("𠮷野 花子")
    audit(page, "drill-down, not yet")
    page.get_by_role("button", name="案内").click()
    # Nothing goes before the coordinator has seen whom it goes to and the mail itself.
    expect(page.get_by_test_id("mailing-total")).to_be_visible()
    expect(page.get_by_test_id("mailing-subject").first).to_contain_text("【研修ポータル】")
    page.get_by_test_id("mailing-send").click()
    expect(page.locator(".flash-success")).to_be_visible()
    audit(page, "drill-down after inviting")
    page.get_by_role("link", name="達成者（計上済み").click()
    expect(page.locator("main table")).to_contain_text("髙橋 太郎")


def test_exports_download(new_page, world):
    page = new_page()
    sign_in(page, world.emails["coordinator_a"])
    page.goto(f"/progress/m/{CODE_A}?fy={FY}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Excel（XLSX）").click()
    path = info.value.path()
    with open(path, "rb") as fh:
        assert fh.read(2) == b"PK"
    assert info.value.suggested_filename == f"progress-{CODE_A}-FY{FY}.xlsx"
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV（UTF-8）：育成目標").click()
    with open(info.value.path(), "rb") as fh:
        assert fh.read(3) == "\ufeff".encode()
    page.goto(f"/progress/m/{CODE_A}/print?fy={FY}")
    audit(page, "print page")
    page.emulate_media(media="print")
    expect(page.locator("nav.main-nav")).to_be_hidden()
    expect(page.locator(".export-links").first).to_be_hidden()


def test_a_coordinator_cannot_reach_another_member(new_page, world):
    page = new_page()
    sign_in(page, world.emails["coordinator_a"])
    assert page.goto(f"/progress/m/{CODE_B}").status == 404
    assert page.goto(f"/progress/m/{CODE_B}/t/security").status == 404
    assert page.goto("/progress/region").status == 403


def test_the_region_for_an_administrator(new_page, world):
    page = new_page(bypass_csp=False)
    csp = watch_csp(page)
    sign_in(page, world.emails["admin"])
    page.locator("nav.main-nav").get_by_role("link", name="育成状況").click()
    expect(page).to_have_url("/progress/")
    expect(page.locator("h1")).to_contain_text("圏域全体の育成状況")
    expect(page.locator("main")).to_contain_text("津山市")
    audit(page, "regional dashboard")
    page.locator("main table").get_by_role("link", name="玉野市").first.click()
    expect(page).to_have_url(f"/progress/m/{CODE_B}?fy={FY}")
    expect(page.locator("h1")).to_contain_text("玉野市")
    assert not csp, "CSP problems:\n" + "\n".join(csp)


@pytest.mark.parametrize("account", ["admin", "coordinator_a"])
def test_dashboards_on_a_phone(new_page, world, account):
    page = new_page(viewport={"width": 375, "height": 740}, bypass_csp=False)
    sign_in(page, world.emails[account])
    paths = [f"/progress/m/{CODE_A}?fy={FY}", f"/progress/m/{CODE_A}/t/security?fy={FY}"]
    if account == "admin":
        paths += [f"/progress/region?fy={FY}", f"/progress/region/print?fy={FY}"]
    wide = []
    for path in paths:
        page.goto(path)
        audit(page, f"{account}, phone")
        if not _no_sideways_scroll(page):
            wide.append(path)
    assert not wide, f"wider than a 375 px screen: {wide}"
