"""A personnel system's CP932 export in the browser, in Japanese, at desktop and phone width:
the preview says a name that differs only by 外字 stays as registered and lists the 職種
it does not know; after the import the result page offers the invitations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.helpers import audit, sign_in

DOMAIN = "city.tsuyama.lg.jp"
WIDTHS = {"desktop": 1280, "phone-375": 375}


def _export(number: str, new_number: str, email: str, new_email: str) -> bytes:
    """As a JIS X 0208 system writes it: 𠮷 as 吉, its own header and 職種 names, a trailer."""
    rows = [
        '"職員コード","氏名（漢字）","所属名称","職種名","E-Mail"',
        f'"{number}","吉備 外字","外字局/外字課","一般行政職","{email}"',
        f'"{new_number}","備前 新人","外字局/外字課","文化財専門職","{new_email}"',
        '"※出力件数：2件","","","",""',
    ]
    return ("\r\n".join(rows) + "\r\n").encode("cp932")


def _no_sideways_scroll(page, width: int) -> None:
    if width <= 414:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{page.url} scrolls sideways by {overflow}px at {width}px"


@pytest.mark.parametrize("size", list(WIDTHS))
def test_the_preview_keeps_a_gaiji_name_and_the_result_offers_invitations(
    new_page, live_server, size
):
    width = WIDTHS[size]
    world = live_server.world
    email = f"gaiji-{size}@{DOMAIN}"
    with live_server.db():
        person = factories.make_user(world.muni_a, email=email, name="𠮷備 外字")
        number = person.employee_number
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, world.emails["coordinator_a"])
    page.goto("/people/roster")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.locator("input[type=file][name=file]").set_input_files(
        {
            "name": "人事システム出力.csv",
            "mimeType": "text/csv",
            "buffer": _export(number, f"GJ-{size}", email, f"gaiji-new-{size}@{DOMAIN}"),
        }
    )
    page.locator("form[action$='/people/roster'] button[type=submit]").click()

    kept = page.get_by_role("heading", name="登録済みのままにする氏名")
    expect(kept).to_be_visible()
    row = page.locator("tr", has_text="外字の違いのため変更しません")
    expect(row).to_contain_text("吉備 外字")
    expect(row).to_contain_text("𠮷備 外字")
    unknown = page.get_by_role("heading", name="読み取れない職種名（「その他」として取り込みます）")
    expect(unknown).to_be_visible()
    expect(page.locator("tr", has_text="文化財専門職")).to_be_visible()
    expect(page.get_by_role("link", name="人事システムの職種名").first).to_be_visible()
    audit(page, f"roster preview with 外字, {size}")
    _no_sideways_scroll(page, width)

    page.locator("form[action$='/people/roster/confirm'] button[type=submit]").click()
    page.wait_for_url("**/people/roster/done")
    invite = page.get_by_role("button", name="人に案内メールを送る")
    expect(invite).to_be_visible()
    audit(page, f"roster imported, {size}")
    _no_sideways_scroll(page, width)
    invite.click()
    page.wait_for_url("**/people/roster")
    expect(page.locator(".flash").first).to_be_visible()
