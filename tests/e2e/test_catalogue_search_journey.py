"""Issue 21's search in the browser, in Japanese, at desktop and phone width (375 px).

An employee types 「エクセル」 and finds 表計算ソフト活用 (a synonym), 「ＡＩ」 and finds
generative AI only (no English "training" or "failures"), and sees the results ranked
under 検索結果. The regional administrator adds a group of words on 検索の同義語 and
the employee's next search uses it. Every page is audited with axe-core.
"""

from __future__ import annotations

import pytest

from tests import factories
from tests.e2e.helpers import audit, sign_in

WIDTHS = {"desktop": 1280, "phone-375": 375}


@pytest.fixture(scope="module")
def matrix_programme(live_server):
    with live_server.db():
        factories.make_program("E2E-SRCH-1", title_ja="行列計算の基礎", title_en="Matrix basics")


def _no_sideways_scroll(page, width: int) -> None:
    if width <= 414:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{page.url} scrolls sideways by {overflow}px at {width}px"


def _search(page, words: str) -> list[str]:
    box = page.get_by_role("searchbox", name="キーワード")
    box.fill(words)
    page.get_by_role("button", name="検索", exact=True).click()
    page.wait_for_url("**/catalogue/?q=*")
    return page.locator("table.stack tbody tr td:first-child").all_inner_texts()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_employee_searches_in_japanese(new_page, live_server, size):
    width = WIDTHS[size]
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, live_server.world.emails["employee_a"])
    page.goto("/catalogue/")
    assert page.locator("html").get_attribute("lang") == "ja"

    codes = _search(page, "エクセル")
    assert codes == ["GEN-LIT-201"]
    assert page.get_by_role("heading", name="検索結果").is_visible()
    assert page.get_by_role("link", name="表計算ソフト活用").is_visible()
    audit(page, f"search エクセル {size}")
    _no_sideways_scroll(page, width)

    assert _search(page, "ＡＩ") == ["GEN-LIT-203"]
    assert _search(page, "ｸﾗｳﾄﾞ") == ["CORE-DT-101", "CORE-DT-102"]
    assert _search(page, "存在しない語") == []
    assert page.get_by_text("条件に合う研修はありません").is_visible()
    audit(page, f"search without results {size}")


@pytest.mark.parametrize("size", list(WIDTHS))
def test_administrator_adds_synonyms_that_search_uses(
    new_page, live_server, matrix_programme, size
):
    width = WIDTHS[size]
    admin = new_page(viewport={"width": width, "height": 900})
    sign_in(admin, live_server.world.emails["admin"])
    admin.goto("/catalogue/")
    admin.get_by_role("link", name="検索の同義語").click()
    admin.wait_for_url("**/catalogue/synonyms")
    assert admin.get_by_role("heading", name="検索の同義語", level=1).is_visible()
    audit(admin, f"synonyms {size}")
    _no_sideways_scroll(admin, width)

    words = f"マトリックス{size}、行列"
    admin.get_by_label("同じ意味の語").fill(words)
    admin.get_by_role("button", name="グループを追加する").click()
    admin.wait_for_url("**/catalogue/synonyms")
    assert admin.get_by_text(f"マトリックス{size} ⇔ 行列").count() >= 1
    audit(admin, f"synonyms after adding {size}")

    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, live_server.world.emails["employee_a"])
    page.goto("/catalogue/")
    assert _search(page, f"マトリックス{size}") == ["E2E-SRCH-1"]
