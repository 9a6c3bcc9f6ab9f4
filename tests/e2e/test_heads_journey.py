"""Issue 22 in the browser, in Japanese, at desktop and phone width (375 px): an employee
applies, their head of unit approves, the coordinator accepts; with the head absent, the
deputy acts. Every page on the way is audited with axe-core."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

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
from tests.e2e.helpers import audit, sign_in, sign_out
from tests.fixtures_registrations import person, register
from tests.fixtures_targets import target

WIDTHS = {"desktop": 1280, "phone-375": 375}


def _arrange(live_server, size: str) -> dict:
    """A 課 of member A with a head and a deputy, two of its staff, and a session that
    needs the coordinator's approval; member A asks for the head's approval."""
    world = live_server.world
    with live_server.db():
        a = world.muni_a
        unit = factories.make_org_unit(a, f"E2E所属長課{size}", OrgLevel.DIVISION)
        head = factories.make_user(a, org_unit_id=unit.id, name=f"所属長 {size}")
        deputy = factories.make_user(a, org_unit_id=unit.id, name=f"代理 {size}")
        staff = factories.make_user(a, org_unit_id=unit.id, name=f"申込 一郎{size}")
        second = factories.make_user(a, org_unit_id=unit.id, name=f"申込 二郎{size}")
        ts = factories.make_session(capacity=5, requires_approval=True, starts_in=timedelta(days=9))
        # The member's information-security target; one of the 課 completed it this year.
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
            services.set_head(unit, head.id, deputy.id, coordinator)
            services.set_head_approval(True, coordinator)
            # The second applies now; the head is away, so the deputy decides.
            later = actions.register(ts.id, second, second)
        return {
            "session": ts.id,
            "head": head.email,
            "deputy": deputy.email,
            "staff": staff.email,
            "staff_name": staff.name,
            "second_reg": later.id,
        }


def _status(live_server, email: str, session_id: int) -> RS:
    with live_server.db(), all_tenants(db.session):
        return db.session.scalar(
            select(Registration.status)
            .join(User, User.id == Registration.employee_id)
            .where(User.email == email, Registration.session_id == session_id)
        )


@pytest.mark.parametrize("size", list(WIDTHS))
def test_employee_applies_head_approves_coordinator_accepts(new_page, live_server, size):
    width = WIDTHS[size]
    facts = _arrange(live_server, size)
    session_id = facts["session"]
    page = new_page(viewport={"width": width, "height": 900})

    sign_in(page, facts["staff"])
    page.goto(f"/sessions/{session_id}")
    page.locator(f"form[action$='/session/{session_id}/register'] button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("所属長の承認をお待ちください")
    expect(page.locator(".status-awaiting_head").first).to_contain_text("所属長の承認待ち")
    audit(page, f"session, awaiting the head ({size})")
    sign_out(page)

    sign_in(page, facts["head"])
    card = page.get_by_test_id("work-head")
    expect(card).to_contain_text(facts["staff_name"])
    audit(page, f"home with the head's card ({size})")
    page.goto("/heads/")
    application = page.locator("li.card", has_text=facts["staff_name"])
    expect(application).to_contain_text("修了した研修")
    audit(page, f"所属の申込み ({size})")
    application.locator("form[action$='/approve'] button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("承認しました")
    expect(page.locator("li.card", has_text=facts["staff_name"])).to_have_count(0)
    page.goto("/heads/units")
    expect(page.get_by_test_id("head-units")).to_contain_text(facts["staff_name"])
    # Their units against the member's targets: one of the 課 counts for 情報セキュリティ.
    expect(page.get_by_role("heading", name=re.compile("育成目標に対する進捗"))).to_be_visible()
    expect(page.get_by_test_id("head-progress")).to_contain_text("自市町の実績人数")
    expect(page.get_by_test_id("head-counted-security")).to_have_text("1")
    expect(page.get_by_test_id("head-progress-units")).to_contain_text(f"E2E所属長課{size}")
    audit(page, f"所属の受講状況 ({size})")
    sign_out(page)
    assert _status(live_server, facts["staff"], session_id) == RS.PENDING

    sign_in(page, live_server.world.emails["coordinator_a"])
    page.goto("/registrations/")
    row = page.locator("tr", has_text=facts["staff_name"])
    row.locator("form[action$='/approve'] button[type=submit]").click()
    expect(page.locator("tr", has_text=facts["staff_name"])).to_have_count(0)
    page.goto("/heads/setup")
    audit(page, f"heads of unit, coordinator ({size})")
    sign_out(page)
    assert _status(live_server, facts["staff"], session_id) == RS.ENROLLED

    # The head is away: the deputy decides the second application.
    sign_in(page, facts["deputy"])
    page.goto("/heads/")
    second = page.locator("li.card", has_text="申込 二郎")
    second.locator("summary").click()
    second.locator("textarea").fill("繁忙期のため")
    second.locator("form[action$='/decline'] button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("不承認にしました")
    audit(page, f"所属の申込み after declining ({size})")
    with live_server.db(), all_tenants(db.session):
        assert db.session.get(Registration, facts["second_reg"]).status == RS.DECLINED
    if width <= 414:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"/heads/ scrolls sideways by {overflow}px"
