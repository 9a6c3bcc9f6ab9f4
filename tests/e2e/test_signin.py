"""Can each role sign in through the real form, see where they work, and sign out for good?"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import CODE_A, CODE_ADMIN
from tests.e2e.helpers import audit, sign_in, sign_out

ROLES = [
    ("employee_a", CODE_A, "employee"),
    ("coordinator_a", CODE_A, "coordinator"),
    ("admin", CODE_ADMIN, "regional_admin"),
]


@pytest.mark.parametrize(("account", "code", "role"), ROLES)
def test_each_role_signs_in_and_sees_municipality_and_role(page, world, account, code, role):
    sign_in(page, world.emails[account])

    expect(page).to_have_url("/")
    muni = page.get_by_test_id("current-municipality")
    expect(muni).to_have_attribute("data-code", code)
    expect(muni).not_to_be_empty()
    expect(page.get_by_test_id("current-role")).to_have_attribute("data-role", role)
    expect(page.get_by_test_id("current-role")).not_to_be_empty()


def test_sign_out_ends_the_session(page, world):
    sign_in(page, world.emails["employee_a"])

    sign_out(page)

    expect(page.get_by_test_id("current-role")).to_have_count(0)
    expect(page.locator("#email")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url("/login")
    page.goto("/records/my-training")  # a page behind @login_required
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_test_id("current-role")).to_have_count(0)


def test_wrong_password_stays_on_the_form_with_an_alert(page, world):
    page.goto("/login")
    page.locator("#email").fill(world.emails["employee_a"])
    page.locator("#password").fill("not the password 123")
    page.locator("#submit").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_test_id("current-role")).to_have_count(0)


def test_regional_admin_working_in_another_member_sees_it_on_every_page(page, world):
    sign_in(page, world.emails["admin"])
    expect(page.get_by_test_id("acting-banner")).to_have_count(0)

    page.goto("/admin/switch")
    page.locator("#municipality").select_option(CODE_A)
    page.locator("main form [type=submit]").click()

    for path in ["/people/", "/sessions/"]:
        page.goto(path)
        expect(page.get_by_test_id("current-municipality")).to_have_attribute("data-code", CODE_A)
        expect(page.get_by_test_id("acting-banner")).to_be_visible()
    audit(page, "admin working in another member")

    page.goto("/admin/switch")
    page.locator("#municipality").select_option(CODE_ADMIN)
    page.locator("main form [type=submit]").click()
    expect(page.get_by_test_id("current-municipality")).to_have_attribute("data-code", CODE_ADMIN)
    expect(page.get_by_test_id("acting-banner")).to_have_count(0)
