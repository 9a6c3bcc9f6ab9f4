"""Is the strict Content-Security-Policy sent, and do the pages live within it?

Every page each role reaches by links is opened in a context that enforces
the CSP (unlike the audit's, which bypasses it to inject axe-core), so an
inline script, an inline style or a ``style=`` attribute shows up as a refusal.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import crawl_and_audit, sign_in

REQUIRED = ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]


# A coordinator's kinds of page are among the administrator's; the employee's states differ.
@pytest.mark.parametrize("account", ["admin", "employee_a"])
def test_pages_send_strict_csp_and_break_none_of_it(new_page, world, account):
    page = new_page(bypass_csp=False)
    problems: list[str] = []
    page.on("response", lambda r: problems.extend(_weak_csp(r)))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{page.url}: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )

    page.goto("/login")
    sign_in(page, world.emails[account])
    page.goto("/no-such-page")
    page.goto("/")
    visited = crawl_and_audit(page, account, check=lambda *_: None)

    assert len(visited) > 1
    assert not problems, "CSP problems:\n" + "\n".join(problems)


def _weak_csp(response) -> list[str]:  # noqa: ANN001
    """What is wrong with an HTML answer's CSP (nothing for other answers)."""
    if "text/html" not in response.headers.get("content-type", ""):
        return []
    csp = response.headers.get("content-security-policy", "")
    problems = [f"{response.url}: CSP lacks {d!r}" for d in REQUIRED if d not in csp]
    if "'unsafe-inline'" in csp:
        problems.append(f"{response.url}: CSP allows inline code")
    return problems
