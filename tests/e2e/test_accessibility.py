"""Does every page each role can reach pass axe-core's WCAG 2.1 A and AA rules?

The audit follows links (the main navigation and links in the page's main
content) from each role's home page, so a page another feature adds is
audited here without anyone remembering to. One page per kind (path pattern)
is audited, for the first role that reaches it; the journeys audit the pages
they visit in other states (an employee's session page, a waiting list...).

The crawls run with the app's CSP enforced (axe is preloaded as an init
script, which the CSP does not block), so each page visited is also checked
for its policy header and for inline code the browser refused. At phone width the
demo data's pages are crawled the same way, by test_phone_crawl.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    audit,
    crawl_and_audit,
    nav_links,
    page_pattern,
    sign_in,
    watch_csp,
)

# The widest view first: a kind of page audited for one role is not audited again for the next.
ACCOUNTS = ["admin", "coordinator_a", "employee_a"]
_AUDITED_KINDS: set[str] = set()


def test_sign_in_page_and_public_pages(page):
    page.goto("/login")
    audit(page, "sign-in")
    others = page.locator("main a").evaluate_all(
        "links => links.map(a => new URL(a.href).pathname)"
    )
    for path in others:  # sign-up and forgotten password, once they exist
        page.goto(path)
        audit(page, "public")


def test_forms_showing_their_errors(page, world):
    """A form sent empty shows its error summary and marked fields; still no violations."""
    page.goto("/login")
    page.locator("#email").fill("not-an-address")
    page.locator("#submit").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit(page, "sign-in with errors")
    for path in ["/signup", "/password/forgot"]:
        if page.goto(path).status != 200:
            continue  # not built yet
        page.locator("main form [type=submit]").first.click()
        expect(page.locator("[aria-invalid=true]").first).to_be_visible()
        audit(page, "with errors")
    sign_in(page, world.emails["admin"])
    page.goto("/sessions/new")
    page.locator("main form [type=submit]").last.click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit(page, "with errors")


@pytest.mark.parametrize("account", ACCOUNTS)
def test_every_kind_of_page_each_role_can_reach(new_page, world, account):
    page = new_page(bypass_csp=False)
    csp_problems = watch_csp(page)
    sign_in(page, world.emails[account])
    nav = nav_links(page)

    visited = crawl_and_audit(page, account, already=_AUDITED_KINDS)

    missing = [path for path in nav if page_pattern(path) not in visited]
    assert not missing, f"navigation pages not visited: {missing}"
    assert not csp_problems, "CSP problems:\n" + "\n".join(csp_problems)


def test_not_found_page(page, world):
    response = page.goto("/no-such-page")
    assert response.status == 404
    audit(page, "404, anonymous")
    sign_in(page, world.emails["employee_a"])
    page.goto("/no-such-page")
    audit(page, "404, signed in")


def test_smallest_screen_reflows(new_page, world):
    """WCAG 1.4.10: at 320 CSS px nothing scrolls sideways, and the audit still passes."""
    page = new_page(viewport={"width": 320, "height": 640})
    page.goto("/login")
    audit(page, "sign-in, 320")
    assert _no_sideways_scroll(page)
    sign_in(page, world.emails["coordinator_a"])
    audit(page, "home, 320")
    assert _no_sideways_scroll(page)


def _no_sideways_scroll(page) -> bool:
    """WCAG 1.4.10 reflow: nothing wider than the viewport at 320 CSS px."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_keyboard_skip_link_and_visible_focus(page, world):
    sign_in(page, world.emails["employee_a"])

    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the skip link stays off screen when focused"
    assert _outline(page) != "none", "no visible focus indicator on the skip link"

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('main') !== null")
    assert _outline(page) != "none", "no visible focus indicator inside main"


def test_print_hides_the_navigation(page, world):
    sign_in(page, world.emails["coordinator_a"])
    page.emulate_media(media="print")
    expect(page.locator("nav.main-nav")).to_be_hidden()
    expect(page.get_by_test_id("current-municipality")).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.locator("nav.main-nav")).to_be_visible()


def _outline(page) -> str:
    return page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
