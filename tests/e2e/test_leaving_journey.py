"""A coordinator disables a person who left: the confirmation says what goes, and it goes."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from regional.extensions import db
from regional.registrations import actions
from tenants.scoping import acting_as
from tests import factories
from tests.e2e.helpers import audit, sign_in


def _leaver_with_a_line(live_server) -> tuple[int, str]:
    """A new person of A holds the one seat of a session next week; a person of B waits."""
    world = live_server.world
    with live_server.db():
        leaver = factories.make_user(world.muni_a, name="退職 予定")
        waiting = factories.make_user(world.muni_b)
        ts = factories.make_session(capacity=1, starts_in=timedelta(days=7))
        for person in (leaver, waiting):
            with acting_as(db.session, person.municipality_id):
                actions.register(ts.id, person, person)
        return leaver.id, leaver.name


def test_a_coordinator_disables_a_person_who_left(page, live_server):
    leaver_id, name = _leaver_with_a_line(live_server)
    sign_in(page, live_server.world.emails["coordinator_a"])
    page.goto(f"/people/{leaver_id}")
    page.locator(f"a[href$='/people/{leaver_id}/disable']").click()
    page.wait_for_url(f"**/people/{leaver_id}/disable")
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator("main strong")).to_contain_text("1件")
    audit(page, "disable: the confirmation")

    page.locator(f"form[action$='/people/{leaver_id}/disable'] button[type=submit]").click()
    page.wait_for_url(f"**/people/{leaver_id}")
    expect(page.locator(".flash-success")).to_contain_text("1件")
    expect(page.get_by_text("退職等によるアカウントの無効化のため取消し")).to_be_visible()
    audit(page, "a disabled person's page")
