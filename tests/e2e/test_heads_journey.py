"""Issue 22 in the browser, in Japanese, at phone width (375 px): the head of unit's
decline. The application, the deputy's approval and the coordinator's acceptance are in
``test_training_cycle_journey``; what is left here is the other way out: the head is away
and the deputy declines with a reason, the seat is given up. And the head reads their
units against the member's targets at desktop width (the cycle journey sees the same page
on a phone). axe-core audits each page."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from regional import attendance
from regional.extensions import db
from regional.heads import services
from regional.people.models import User
from regional.registrations import actions
from regional.seats.models import Registration
from regional.seats.models import RegistrationStatus as RS
from tenants.models import OrgLevel
from tenants.scoping import acting_as, all_tenants
from tests import factories
from tests.e2e.helpers import audit, sign_in
from tests.fixtures_registrations import person, register
from tests.fixtures_targets import target


def _arrange(live_server) -> dict:
    """A 課 of member A with a head and a deputy, and one of its staff who applied for a
    session that needs the coordinator's approval; member A asks for the head's approval."""
    world = live_server.world
    with live_server.db():
        a = world.muni_a
        unit = factories.make_org_unit(a, "E2E所属長課", OrgLevel.DIVISION)
        head = factories.make_user(a, org_unit_id=unit.id, name="所属長 不在")
        deputy = factories.make_user(a, org_unit_id=unit.id, name="代理 在席")
        staff = factories.make_user(a, org_unit_id=unit.id, name="申込 二郎")
        ts = factories.make_session(capacity=5, requires_approval=True, starts_in=timedelta(days=9))
        with acting_as(db.session, a):
            coordinator = db.session.get(User, world.coordinator_a)
            services.set_head(unit, head.id, deputy.id, coordinator)
            services.set_head_approval(True, coordinator)
            reg = actions.register(ts.id, staff, staff)
            assert reg.status == RS.AWAITING_HEAD
        return {"deputy": deputy.email, "reg": reg.id}


def test_the_deputy_declines_with_a_reason_on_a_phone(new_page, live_server):
    facts = _arrange(live_server)
    page = new_page(viewport={"width": 375, "height": 812})
    sign_in(page, facts["deputy"])
    page.goto("/heads/")
    application = page.locator("li.card", has_text="申込 二郎")
    application.locator("summary").click()
    application.locator("textarea").fill("繁忙期のため")
    application.locator("form[action$='/decline'] button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("不承認にしました")
    expect(page.locator("li.card", has_text="申込 二郎")).to_have_count(0)
    audit(page, "所属の申込み after declining (375)")
    with live_server.db(), all_tenants(db.session):
        assert db.session.get(Registration, facts["reg"]).status == RS.DECLINED
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"/heads/ scrolls sideways by {overflow}px"


def test_the_head_reads_their_units_against_the_targets(new_page, live_server):
    """Member A's information-security target; one of the 課 completed it this year."""
    world = live_server.world
    with live_server.db():
        a = world.muni_a
        unit = factories.make_org_unit(a, "E2E進捗課", OrgLevel.DIVISION)
        head = factories.make_user(a, org_unit_id=unit.id, name="進捗 課長")
        staff = factories.make_user(a, org_unit_id=unit.id, name="進捗 一郎")
        target(a, "security", 10)
        done = factories.make_session(
            factories.make_program(area="information_security"),
            starts_in=timedelta(hours=-1),
            opens_in=timedelta(days=-9),
            closes_in=timedelta(days=-1),
        )
        attended = register(done.id, staff.id, world.admin)
        attendance.record_attendance(done.id, [(attended.id, True)], person(world.admin))
        with acting_as(db.session, a):
            coordinator = db.session.get(User, world.coordinator_a)
            services.set_head(unit, head.id, None, coordinator)
        email = head.email
    page = new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, email)
    page.goto("/heads/units")
    expect(page.get_by_test_id("head-units")).to_contain_text("進捗 一郎")
    expect(page.get_by_role("heading", name=re.compile("育成目標に対する進捗"))).to_be_visible()
    expect(page.get_by_test_id("head-progress")).to_contain_text("自市町の実績人数")
    expect(page.get_by_test_id("head-counted-security")).to_have_text("1")
    expect(page.get_by_test_id("head-progress-units")).to_contain_text("E2E進捗課")
    audit(page, "所属の受講状況 with the targets (1280)")
