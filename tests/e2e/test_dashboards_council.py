"""The council's one page in a browser: it prints on ONE A4 landscape page, for real.

The region's 13 members × the policy's 6 targets at demo size (Okayama City's targets
scaled by population, as ``make demo`` does; people counted in every member), and one
member's report: each is printed to PDF by headless Chromium (``page.pdf`` with the page
size the stylesheet asks for) and its pages counted with pypdf. Both also pass axe-core
and fit a 375 px phone (the wide table scrolls inside its labelled frame).
"""

from __future__ import annotations

import io
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.targets.services import POLICY_TARGETS
from tenants import all_tenants
from tenants.models import Municipality
from tests import factories
from tests.conftest import CODE_A, CODE_B
from tests.e2e.helpers import audit, sign_in, watch_csp
from tests.fixtures_targets import DIGITAL, complete, complete_all, target

FY = fiscal_year_of(now_utc())
#: A4 landscape in PDF points (1/72 inch): 297 × 210 mm.
A4_LANDSCAPE = (842, 595)
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module", autouse=True)
def demo_sized(live_server):
    """Every member gets the policy's six targets at demo size and some people counted."""
    rows = tomllib.loads(POLICY_TARGETS.read_text(encoding="utf-8"))["target"]
    day = max(date(FY, 4, 2), now_utc().date() - timedelta(days=1))
    with live_server.db():
        with all_tenants(db.session):
            members = [
                (m.id, m.population or 1) for m in db.session.scalars(Municipality.ordered())
            ]
        biggest = max(p for _id, p in members)
        for i, (muni, population) in enumerate(members):
            share = population / biggest
            for r in rows:
                target(
                    muni,
                    r["key"],
                    max(1, round(r["target"] * share)),
                    start=r["period_start_fy"],
                    end=r.get("period_end_fy"),
                )
            for _k in range(1 + i % 3):
                person = factories.make_user(muni)
                complete(muni, person.id, "GEN-SEC-101", day)
                complete(muni, person.id, "GEN-LIT-101", day)
            if i % 2 == 0:
                complete_all(muni, factories.make_user(muni).id, DIGITAL, date(FY - 1, 6, 1))


def _pages(page, name: str) -> tuple[int, tuple[float, float]]:
    """Print the page as Chromium does (the stylesheet's @page size) and count the sheets;
    the PDF is kept in ``tests/e2e/artifacts/`` (git-ignored) for a reader to look at."""
    data = page.pdf(prefer_css_page_size=True, print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(data)
    pdf = PdfReader(io.BytesIO(data))
    box = pdf.pages[0].mediabox
    return len(pdf.pages), (round(float(box.width)), round(float(box.height)))


def _no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_the_region_council_page_prints_on_one_a4_landscape_page(new_page, world):
    page = new_page(bypass_csp=False)
    csp = watch_csp(page)
    sign_in(page, world.emails["admin"])
    page.goto(f"/progress/region?fy={FY}")
    # The region page opens with the matrix; the long list waits behind a summary.
    expect(page.locator("main [data-testid=council-matrix]")).to_be_visible()
    expect(page.locator("details.behind-list table")).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "region-1280.png"))
    page.locator("main .dash-tools").get_by_role("link", name="議会・庁内報告用（A4 1枚）").click()
    expect(page).to_have_url(f"/progress/region/council?fy={FY}")
    matrix = page.locator("[data-testid=council-matrix]")
    expect(matrix.locator("tbody tr")).to_have_count(13)
    expect(matrix.locator("thead th[scope=col][data-key]")).to_have_count(6)
    expect(matrix.locator("tfoot th")).to_have_text("圏域合計")
    expect(matrix.locator("caption")).to_contain_text("令和")
    expect(matrix.locator("td.cc-none")).to_have_count(0)  # demo size: every target set
    audit(page, "council report, region")
    assert not csp, "CSP problems:\n" + "\n".join(csp)

    count, size = _pages(page, "council-region-ja")
    assert size == A4_LANDSCAPE, size
    assert count == 1, f"the council page prints on {count} pages"

    with page.expect_download() as info:
        page.get_by_role("link", name="Excel（XLSX、1シート）").click()
    assert info.value.suggested_filename == f"council-region-FY{FY}.xlsx"

    # English words are longer: still one page.
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    audit(page, "council report, region, English")
    assert _pages(page, "council-region-en")[0] == 1, (
        "the English council page prints on more than one page"
    )
    page.get_by_test_id("lang-switch").click()


@pytest.mark.parametrize("account", ["coordinator_a", "admin"])
def test_a_members_report_prints_on_one_page(new_page, world, account):
    page = new_page(bypass_csp=False)
    sign_in(page, world.emails[account])
    page.goto(f"/progress/m/{CODE_A}?fy={FY}")
    page.get_by_role("link", name="議会・庁内報告用（A4 1枚）").click()
    expect(page).to_have_url(f"/progress/m/{CODE_A}/council?fy={FY}")
    expect(page.locator("[data-testid=council-targets] tbody tr")).to_have_count(6)
    expect(page.locator("[data-testid=council-trend] tbody tr")).to_have_count(6)
    audit(page, f"council report, member ({account})")
    count, size = _pages(page, f"council-member-{account}")
    assert size == A4_LANDSCAPE, size
    assert count == 1, f"the member's council page prints on {count} pages"


def test_a_coordinator_never_reaches_another_members_report(new_page, world):
    page = new_page()
    sign_in(page, world.emails["coordinator_a"])
    assert page.goto(f"/progress/m/{CODE_B}/council").status == 404
    assert page.goto("/progress/region/council").status == 403


@pytest.mark.parametrize("account", ["admin", "coordinator_a"])
def test_the_council_pages_on_a_phone(new_page, world, account):
    page = new_page(viewport={"width": 375, "height": 740}, bypass_csp=False)
    sign_in(page, world.emails[account])
    paths = [f"/progress/m/{CODE_A}/council?fy={FY}"]
    if account == "admin":
        paths += [f"/progress/region/council?fy={FY}", f"/progress/region?fy={FY}"]
    wide = []
    ARTIFACTS.mkdir(exist_ok=True)
    for i, path in enumerate(paths):
        page.goto(path)
        page.screenshot(path=str(ARTIFACTS / f"council-{account}-{i}-375.png"), full_page=True)
        audit(page, f"council report, {account}, phone")
        if not _no_sideways_scroll(page):
            wide.append(path)
        # The wide table scrolls inside its own labelled, keyboard-reachable frame.
        frame = page.locator("main .council-wrap").first
        assert frame.get_attribute("role") == "region" and frame.get_attribute("tabindex") == "0"
    assert not wide, f"wider than a 375 px screen: {wide}"
