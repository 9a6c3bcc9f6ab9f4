"""Issue 21 in the browser, in Japanese, at 1280 and 375 px, axe-clean: the session form's
errors all at once beside their fields, and my training's tabs."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import audit, sign_in

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WIDTHS = {"desktop": 1280, "phone-375": 375}


def _no_sideways_scroll(page, width: int) -> None:
    if width <= 414:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{page.url} scrolls sideways by {overflow}px at {width}px"


def _field(page, name: str):
    return page.locator(f"[name='{name}']")


@pytest.mark.parametrize("size", list(WIDTHS))
def test_the_session_form_answers_every_mistake_on_one_submit(new_page, world, size):
    ARTIFACTS.mkdir(exist_ok=True)
    width = WIDTHS[size]
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, world.emails["admin"])
    page.goto("/sessions/new")
    page.locator("#program_id").select_option(index=1)
    page.locator("#starts_at").fill("2030-06-10T13:30")
    page.locator("#ends_at").fill("2030-06-09T16:30")  # before the start
    page.locator("#venue").fill("")
    page.locator("#capacity").fill("5")
    page.locator("#registration_closes_at").fill("2030-06-03T17:00")
    page.locator("#res-seats-332038").fill("4")
    page.locator("#res-seats-332046").fill("3")
    page.locator("form.card button[type=submit]").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a[href='#venue']")).to_have_count(1)
    expect(summary.locator("a[href='#ends_at']")).to_have_count(1)
    expect(summary.locator("a[href='#reservations']")).to_contain_text("定員")
    for name in ("venue", "ends_at"):
        field = _field(page, name)
        expect(field).to_have_attribute("aria-invalid", "true")
        described = field.get_attribute("aria-describedby") or ""
        assert f"{name}-error" in described.split()
        expect(page.locator(f"#{name}-error")).to_be_visible()
    expect(page.locator("#reservations-error")).to_be_visible()
    hint = page.locator("#res-release-hint")
    expect(hint).to_contain_text("申込締切の日時")
    _no_sideways_scroll(page, width)
    audit(page, f"session form, three errors, {size}")
    page.screenshot(path=str(ARTIFACTS / f"issue21-session-form-errors-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", list(WIDTHS))
def test_my_training_is_one_page_with_tabs(new_page, world, size):
    ARTIFACTS.mkdir(exist_ok=True)
    width = WIDTHS[size]
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, world.emails["employee_a"])
    page.goto("/registrations/mine")  # the old address leads to the first tab
    page.wait_for_url("**/records/my-training")
    tabs = page.get_by_test_id("my-training-tabs")
    for label in ("予定", "履歴", "修了証", "資格・OJT"):
        tabs.get_by_role("link", name=label, exact=True).click()
        current = tabs.locator("a[aria-current=page]")
        expect(current).to_have_count(1)
        expect(current).to_have_text(label)
        _no_sideways_scroll(page, width)
        audit(page, f"my training, {label}, {size}")
    page.screenshot(path=str(ARTIFACTS / f"issue21-my-training-{size}.png"), full_page=True)
