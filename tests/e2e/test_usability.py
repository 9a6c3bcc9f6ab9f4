"""Issue 9 in the browser, in Japanese, at desktop and phone widths.

Each page kind (home with worklists, the sessions list, one session, 申込み管理, the
employee's 受講状況) is opened by the role that uses it, audited with axe-core,
and photographed into ``tests/e2e/artifacts/`` (git-ignored; CI keeps the folder
as an artifact). At phone widths every table marked ``.stack`` must have become
cards: the page never scrolls sideways and no cell with text is narrower than a
few characters.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from regional.extensions import db
from tenants.scoping import acting_as
from tests import factories
from tests.e2e.helpers import audit, sign_in

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WIDTHS = {"desktop": 1280, "phone-320": 320, "phone-375": 375, "phone-414": 414}
#: A text cell narrower than this (about three Japanese characters) is unreadable.
MIN_CELL_PX = 42

_NARROW_CELLS = """(min) => {
  const narrow = [];
  const cells = 'table.stack > tbody > tr > *, table.stack > tfoot > tr > *';
  for (const cell of document.querySelectorAll(cells)) {
    const text = cell.innerText.trim();
    if (!text) continue;
    const width = cell.getBoundingClientRect().width;
    if (width < min) narrow.push(`${width.toFixed(0)}px: ${text.slice(0, 30)}`);
  }
  return narrow;
}"""


_WIDE_STACKED_TABLES = """() => {
  const wide = [];
  for (const row of document.querySelectorAll('table.stack > tbody > tr, table.stack > tfoot > tr')) {
    if (row.getBoundingClientRect().width > window.innerWidth + 1) wide.push(row.innerText.slice(0, 40));
    for (const cell of row.children) {
      if (getComputedStyle(cell).display !== 'block') wide.push('not stacked: ' + cell.innerText.slice(0, 20));
    }
  }
  return wide;
}"""


@pytest.fixture(scope="module")
def arranged(live_server):
    """An open session with a registration, and an ended one whose attendance is unrecorded."""
    world = live_server.world
    with live_server.db():
        program = factories.make_program(
            "E2E-USE-1", title_ja="使いやすさ研修", title_en="Usability"
        )
        open_ts = factories.make_session(program, capacity=12, starts_in=timedelta(days=50))
        ended = factories.make_session(program, capacity=8, starts_in=timedelta(days=52))
        with acting_as(db.session, world.muni_a):
            from regional.people.models import User
            from regional.registrations.actions import register

            employee = db.session.get(User, world.employee_a)
            register(open_ts.id, employee, employee)
            register(ended.id, employee, employee)
        from regional.fiscal import now_utc

        ended.starts_at = now_utc() - timedelta(days=3)
        ended.ends_at = ended.starts_at + timedelta(hours=2)
        ended.registration_opens_at = ended.starts_at - timedelta(days=20)
        ended.registration_closes_at = ended.starts_at - timedelta(days=2)
        return {"open": open_ts.id, "ended": ended.id}


def _pages(arranged) -> dict[str, list[tuple[str, str]]]:  # noqa: ANN001
    return {
        "employee_a": [
            ("home-employee", "/"),
            ("sessions", "/sessions/"),
            ("session", f"/sessions/{arranged['open']}"),
            ("mine", "/records/my-training"),
        ],
        "coordinator_a": [
            ("home-coordinator", "/"),
            ("registrations", "/registrations/"),
            ("registrants", f"/registrations/session/{arranged['open']}"),
            ("past-sessions", "/sessions/?when=past"),
        ],
        "admin": [
            ("home-admin", "/"),
            ("session-admin", f"/sessions/{arranged['open']}"),
            ("members-side-by-side", "/admin/"),
        ],
    }


@pytest.mark.parametrize("size", list(WIDTHS))
def test_each_page_kind_reads_at_desktop_and_phone_width(new_page, live_server, arranged, size):
    ARTIFACTS.mkdir(exist_ok=True)
    width = WIDTHS[size]
    for role, pages in _pages(arranged).items():
        page = new_page(viewport={"width": width, "height": 800})
        sign_in(page, live_server.world.emails[role])
        for kind, path in pages:
            page.goto(path)
            assert page.locator("html").get_attribute("lang") == "ja"
            page.screenshot(path=str(ARTIFACTS / f"{kind}-{size}.png"), full_page=True)
            audit(page, f"{kind} {size}")
            if width <= 414:
                overflow = page.evaluate(
                    "() => document.documentElement.scrollWidth - window.innerWidth"
                )
                assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at {width}px"
                assert page.evaluate(_NARROW_CELLS, MIN_CELL_PX) == [], f"{path} at {width}px"
                # Every stacked table fits the screen by itself (totals rows included), not
                # only thanks to how many digits today's figures happen to have.
                wide = page.evaluate(_WIDE_STACKED_TABLES)
                assert wide == [], f"{path} at {width}px: stacked tables wider than the screen"
        page.context.close()


def test_coordinator_sees_the_ended_session_to_record_and_the_past_list(
    new_page, live_server, arranged
):
    page = new_page()
    sign_in(page, live_server.world.emails["coordinator_a"])
    page.goto("/")
    work = page.locator("section[aria-labelledby=work-record]")
    assert work.locator(f"a[href$='/session/{arranged['ended']}/attendance']").count() == 1
    page.goto("/sessions/?when=past")
    row = page.locator(f"a[href='/sessions/{arranged['ended']}']")
    assert row.count() == 1
    assert re.search("終了（出欠未記録）", page.content())
    page.goto(f"/sessions/{arranged['ended']}")
    # A past session offers no way to register staff, and says why.
    assert page.locator("form[action$='/register-staff']").count() == 0
    assert page.locator("#register-staff-closed").is_visible()
    audit(page, "ended session, coordinator")
