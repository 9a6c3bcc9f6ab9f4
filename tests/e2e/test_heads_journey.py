"""Issue 22 in the browser, in Japanese, at phone width (375 px): the head of unit's
decline. The application, the deputy's approval and the coordinator's acceptance are in
``test_training_cycle_journey``; what is left here is the other way out: the head is away
and the deputy declines with a reason, the seat is given up. axe-core audits the page."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

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
