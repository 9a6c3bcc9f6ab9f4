"""Is the strict Content-Security-Policy sent, and do the pages live within it?

This test opens the public pages, the home page and an error page with the
CSP enforced; the accessibility crawls do the same on every kind of page each
role reaches (see test_accessibility.py), so an inline script, an inline style
or a ``style=`` attribute anywhere shows up as a refusal.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import CSP_REQUIRED, sign_in, watch_csp


def test_pages_send_the_strict_policy_and_break_none_of_it(new_page, world):
    page = new_page(bypass_csp=False)
    problems = watch_csp(page)

    response = page.goto("/login")
    csp = response.headers["content-security-policy"]
    for path in page.locator("main a").evaluate_all("a => a.map(x => new URL(x.href).pathname)"):
        page.goto(path)  # sign-up, forgotten password
    sign_in(page, world.emails["coordinator_a"])
    page.goto("/no-such-page")
    expect(page.locator("html")).to_have_attribute("lang", "ja")

    assert all(directive in csp for directive in CSP_REQUIRED), csp
    assert not problems, "CSP problems:\n" + "\n".join(problems)


def test_an_inline_style_would_be_refused(new_page, live_server):
    """The watch itself works: a page with a ``style=`` attribute is reported."""
    page = new_page(bypass_csp=False)
    problems = watch_csp(page)
    page.goto("/login")

    page.evaluate(
        "() => { const t = document.createElement('template');"
        " t.innerHTML = '<p style=\"color: red\">x</p>';"
        " document.body.append(t.content); }"
    )

    page.wait_for_timeout(200)
    assert any("Content Security Policy" in p for p in problems), problems
