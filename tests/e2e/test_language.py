"""Japanese by default, English on request, and the choice follows the person around."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import sign_in


def test_japanese_by_default_then_english_across_pages_and_back(page, world):
    sign_in(page, world.emails["employee_a"])
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ja")

    page.get_by_test_id("lang-switch").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url("/")  # back where the switch was pressed

    page.goto("/no-such-page")  # any other page, error pages included
    expect(html).to_have_attribute("lang", "en")
    page.goto("/")
    expect(html).to_have_attribute("lang", "en")

    page.get_by_test_id("lang-switch").click()
    expect(html).to_have_attribute("lang", "ja")
    page.goto("/no-such-page")
    expect(html).to_have_attribute("lang", "ja")


def test_the_switch_works_before_signing_in(page):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "ja")

    page.get_by_test_id("lang-switch").click()

    expect(page).to_have_url("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("lang-switch")).to_have_attribute("lang", "ja")
