"""What browser tests do: sign in through the form, and audit a page with axe-core."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent.parent
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

#: Pages audited in this run ("path @width"), listed at the end of the run.
AUDITED: list[str] = []

_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html, summary: n.failureSummary})),
  }));
}"""


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form and wait for the signed-in header."""
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#submit").click()
    page.get_by_test_id("current-role").wait_for()


def sign_out(page) -> None:
    """Sign out with the header button and wait for the sign-in page."""
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/login")


def _axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is missing: run `npm install` in {ROOT} (Makefile: setup)")
    return AXE_JS.read_text(encoding="utf-8")


def audit(page, label: str = "") -> None:
    """Run axe-core's WCAG 2.1 A and AA rules on the page; fail listing every violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=_axe_source())
    violations = page.evaluate(_AXE_RUN, WCAG_TAGS)
    width = page.viewport_size["width"] if page.viewport_size else "?"
    where = f"{_path(page.url)} @{width}px" + (f" ({label})" if label else "")
    AUDITED.append(where)
    if violations:
        lines = [f"axe: {len(violations)} WCAG 2.1 AA violation(s) on {where}"]
        for v in violations:
            lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
            for n in v["nodes"]:
                lines.append(f"    at {n['target']}: {n['html'][:200]}")
                lines.append("      " + (n["summary"] or "").replace("\n", "\n      "))
        pytest.fail("\n".join(lines), pytrace=False)


def nav_links(page) -> list[str]:
    """The paths the main navigation offers on the current page."""
    return page.locator("nav.main-nav a").evaluate_all(
        "links => links.map(a => new URL(a.href).pathname)"
    )


def page_pattern(path: str) -> str:
    """One audit per kind of page: ids and municipality codes in a path count as the same page."""
    return re.sub(r"/\d+(?=/|$)", "/<id>", path)


_LINKS = """() => [...document.querySelectorAll('nav.main-nav a[href], main a[href]')]
  .filter(a => !a.hasAttribute('download') && a.origin === location.origin)
  .map(a => a.pathname)"""

#: Not pages: files, feeds and the static folder.
_NOT_PAGES = re.compile(r"^/(static|api)/|\.(csv|xlsx|ics|svg|css|js)$|/(export|calendar|feed)\b")


def crawl_and_audit(
    page,
    label: str,
    already: set[str] | None = None,
    limit: int = 40,
    depth: int = 3,
    check=None,
    pattern_of=None,
) -> list[str]:
    """Audit each kind of page reachable by links from the current page (GET only, same site).

    Follows the main navigation and links inside ``main`` breadth-first to
    ``depth`` clicks, one page per path pattern, at most ``limit`` pages; every
    link must answer (no 4xx or 5xx), non-HTML answers (exports, calendars) are
    skipped. Patterns in ``already`` (audited for another role) are visited
    for their links but not audited again; audited ones are added to it.
    ``check(page, label)`` replaces the audit when given; ``pattern_of(path)`` replaces
    ``page_pattern`` (what counts as the same kind of page). Returns the patterns visited.
    """
    already = set() if already is None else already
    check = check or audit
    pattern_of = pattern_of or page_pattern
    seen: set[str] = set()
    queue: list[tuple[str, int]] = [(_path(page.url), 0)]
    visited: list[str] = []
    while queue and len(visited) < limit:
        path, level = queue.pop(0)
        pattern = pattern_of(path)
        if pattern in seen or _NOT_PAGES.search(path):
            continue
        seen.add(pattern)
        try:
            response = page.goto(path)
        except PlaywrightError as exc:
            if "Download is starting" in str(exc):
                continue  # a file, not a page
            raise
        assert response is not None, path
        assert response.status < 400, f"{label}: the link to {path} answers {response.status}"
        if response.request.redirected_from or "text/html" not in response.headers.get(
            "content-type", ""
        ):
            continue  # a redirect is audited where it lands, if linked from somewhere
        if pattern not in already:
            check(page, label)
            already.add(pattern)
        visited.append(pattern)
        if level < depth:
            queue.extend((link, level + 1) for link in page.evaluate(_LINKS))
    return visited


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[-1].partition("/")[2].partition("?")[0].partition("#")[0]


#: What a page's Content-Security-Policy must say (OWASP ASVS 5.0, 3.4.3).
CSP_REQUIRED = [
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
]


def watch_csp(page) -> list[str]:
    """From now on, collect the page's CSP problems: a weak or missing policy on an HTML
    answer, and every refusal the browser reports (inline script, inline style, ``style=``).

    Refusals only show in a context that enforces the CSP (``bypass_csp=False``).
    """
    problems: list[str] = []

    def on_response(response) -> None:
        if "text/html" not in response.headers.get("content-type", ""):
            return
        csp = response.headers.get("content-security-policy", "")
        problems.extend(f"{response.url}: CSP lacks {d!r}" for d in CSP_REQUIRED if d not in csp)
        if "'unsafe-inline'" in csp:
            problems.append(f"{response.url}: CSP allows inline code")

    def on_console(msg) -> None:
        if msg.type == "error" and "Content Security Policy" in msg.text:
            problems.append(f"{page.url}: {msg.text}")

    page.on("response", on_response)
    page.on("console", on_console)
    return problems
