"""Is the strict Content-Security-Policy sent, and do the pages live within it?

These pages are opened in a context that enforces CSP (unlike the audit's), so
an inline script, inline style or ``style=`` attribute shows up as a refusal.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import nav_links, sign_in

REQUIRED = ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]


@pytest.mark.parametrize("account", ["employee_a", "coordinator_a", "admin"])
def test_pages_send_strict_csp_and_break_none_of_it(new_page, world, account):
    page = new_page(bypass_csp=False)
    refusals: list[str] = []
    page.on(
        "console",
        lambda msg: (
            refusals.append(f"{page.url}: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )

    response = page.goto("/login")
    _assert_strict(response, "/login")
    sign_in(page, world.emails[account])
    for path in ["/", *nav_links(page), "/no-such-page"]:
        response = page.goto(path)
        _assert_strict(response, path)

    assert not refusals, "CSP refused:\n" + "\n".join(refusals)


def _assert_strict(response, path: str) -> None:  # noqa: ANN001
    csp = response.headers.get("content-security-policy", "")
    missing = [d for d in REQUIRED if d not in csp]
    assert not missing, f"{path}: CSP lacks {missing}: {csp!r}"
    assert "'unsafe-inline'" not in csp, f"{path}: CSP allows inline code"
