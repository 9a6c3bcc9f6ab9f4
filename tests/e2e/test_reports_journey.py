"""Issue 22 in the browser, in Japanese, at desktop and phone width (375 px): the
participant's report (受講報告). Attendance is recorded; the employee writes the report
from the programme's template; their head of unit acknowledges it (確認); the coordinator's
list shows it done. Every page on the way is audited with axe-core."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from regional.extensions import db
from regional.heads import services
from regional.people.models import User
from regional.registrations import actions
from tenants.models import OrgLevel
from tenants.scoping import acting_as
from tests import factories
from tests.e2e.helpers import audit, sign_in, sign_out

WIDTHS = {"desktop": 1280, "phone-375": 375}


def _arrange(live_server, size: str) -> dict:
    """A 課 of member A with a head; one of its staff attended a session of a programme
    that asks for a report."""
    world = live_server.world
    with live_server.db():
        a = world.muni_a
        unit = factories.make_org_unit(a, f"E2E報告課{size}", OrgLevel.DIVISION)
        head = factories.make_user(a, org_unit_id=unit.id, name=f"報告所属長 {size}")
        staff = factories.make_user(a, org_unit_id=unit.id, name=f"報告 一郎{size}")
        program = factories.make_program(
            report_required=True, report_template="1. 学んだこと\n2. 業務で活かすこと"
        )
        ts = factories.make_session(program, starts_in=timedelta(days=11))
        with acting_as(db.session, a):
            coordinator = db.session.get(User, world.coordinator_a)
            services.set_head(unit, head.id, None, coordinator)
            reg = actions.register(ts.id, staff, coordinator)
            reg.attended = True  # attendance recorded (出席)
            db.session.flush()
        return {
            "session": ts.id,
            "reg": reg.id,
            "head": head.email,
            "staff": staff.email,
            "name": staff.name,
        }


def _no_sideways_scroll(page, width: int, where: str) -> None:
    if width <= 414:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{where} scrolls sideways by {overflow}px"


@pytest.mark.parametrize("size", list(WIDTHS))
def test_attended_employee_writes_head_acknowledges_coordinator_sees_it_done(
    new_page, live_server, size
):
    width = WIDTHS[size]
    facts = _arrange(live_server, size)
    page = new_page(viewport={"width": width, "height": 900})

    sign_in(page, facts["staff"])
    card = page.get_by_test_id("work-report")
    expect(card).to_contain_text("受講報告を書く")
    audit(page, f"home with the report card ({size})")
    card.locator("a").first.click()
    body = page.locator("textarea[name=body]")
    expect(body).to_have_value("1. 学んだこと\n2. 業務で活かすこと")
    audit(page, f"受講報告 ({size})")
    body.fill("1. 文書管理の電子化\n2. 係内の決裁を電子化する")
    page.locator("form[action^='/reports/'] button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("受講報告を保存しました")
    expect(page.get_by_test_id("report-state")).to_contain_text("確認されるまでは修正できます")
    _no_sideways_scroll(page, width, "受講報告")
    page.goto("/")
    expect(page.get_by_test_id("reports-to-edit")).to_have_count(1)
    sign_out(page)

    sign_in(page, facts["head"])
    expect(page.get_by_test_id("work-acknowledge")).to_contain_text(facts["name"])
    page.goto("/reports/acknowledge")
    report = page.locator("li.card", has_text=facts["name"])
    expect(report).to_contain_text("係内の決裁を電子化する")
    audit(page, f"確認する受講報告 ({size})")
    report.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("確認しました")
    expect(page.locator("li.card", has_text=facts["name"])).to_have_count(0)
    _no_sideways_scroll(page, width, "確認する受講報告")
    sign_out(page)

    sign_in(page, live_server.world.emails["coordinator_a"])
    page.goto(f"/sessions/{facts['session']}")
    page.get_by_test_id("session-reports").click()
    expect(page).to_have_url(re.compile(r"/reports/sessions#session-\d+$"))
    row = page.get_by_test_id(f"report-row-{facts['reg']}")
    expect(row).to_contain_text(facts["name"])
    expect(row).to_contain_text("確認済み")
    audit(page, f"受講報告の状況 ({size})")
    _no_sideways_scroll(page, width, "受講報告の状況")
