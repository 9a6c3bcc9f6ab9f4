"""Journey (研修アンケート): attendance recorded → the employee answers from the home page →
the regional administrator reads the programme review and switches the 3-month follow-up on
→ three months on, the employee answers it (業務で活用できましたか). In Japanese, at 1280 and 375 px,
every page checked by axe-core and for sideways scrolling on the phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from regional.extensions import db
from regional.fiscal import months_after_utc, now_utc
from regional.people.models import User
from regional.sessions.models import TrainingSession
from regional.surveys.followups import queue_followups
from regional.surveys.services import submit
from tenants.scoping import acting_as, all_tenants
from tests import factories
from tests.e2e.helpers import audit, sign_in
from tests.fixtures_registrations import register

WIDTHS = {"desktop": 1280, "phone-375": 375}


def _look(page, label: str) -> None:  # noqa: ANN001
    audit(page, label)
    assert page.locator("html").get_attribute("lang") == "ja"
    if (page.viewport_size or {}).get("width", 1280) <= 414:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{label}: the page scrolls sideways by {overflow}px"


@pytest.mark.parametrize("size", list(WIDTHS))
def test_attendance_survey_and_programme_review(new_page, world, live_server, size):
    with live_server.db():
        program = factories.make_program(title_ja=f"アンケート研修{size}")
        ts = factories.make_session(
            program,
            starts_in=timedelta(hours=-3 if size == "desktop" else -6),
            hours=1,
            opens_in=timedelta(days=-9),
            closes_in=timedelta(days=-1),
            capacity=20,
        )
        others = [factories.make_user(world.muni_a).id for _ in range(4)]
        mine = register(ts.id, world.employee_a, world.admin).id
        other_regs = [(p, register(ts.id, p, world.admin).id) for p in others]
        ids = {"program": program.id, "session": ts.id, "mine": mine}
    viewport = {"width": WIDTHS[size], "height": 900}

    # The coordinator records attendance: all five attended.
    coordinator = new_page(viewport=viewport)
    sign_in(coordinator, world.emails["coordinator_a"])
    coordinator.goto(f"/registrations/session/{ids['session']}/attendance")
    for box in coordinator.locator("input[name=attended]").all():
        box.check()
    coordinator.get_by_role("button", name="出欠を保存").click()
    coordinator.wait_for_load_state()

    # The employee finds the survey on the home page and answers it.
    employee = new_page(viewport=viewport)
    sign_in(employee, world.emails["employee_a"])
    card = employee.get_by_test_id("work-surveys")
    expect(card).to_be_visible()
    _look(employee, f"home with a survey {size}")
    card.locator(f"a[href='/surveys/registrations/{ids['mine']}']").click()
    employee.wait_for_url(f"**/surveys/registrations/{ids['mine']}")
    _look(employee, f"survey form {size}")
    for key, value in (("satisfaction", 5), ("understanding", 4), ("usefulness", 4)):
        employee.locator(f"label[for='q-{key}-{value}']").click()
    employee.locator("#q-good_points").fill("演習が実務に近く、分かりやすかった。")
    employee.get_by_test_id("survey-submit").click()
    employee.wait_for_url("**/surveys/")
    expect(employee.get_by_test_id("surveys-none")).to_be_visible()
    _look(employee, f"my surveys, all answered {size}")

    # Four colleagues answer too: five answers, so the figures show.
    with live_server.db(), acting_as(db.session, world.muni_a):
        for person, reg in other_regs:
            who = db.session.get(User, person)
            submit(reg, who, {"satisfaction": 4, "understanding": 3, "usefulness": 5})

    admin = new_page(viewport=viewport)
    sign_in(admin, world.emails["admin"])
    admin.goto(f"/catalogue/{ids['program']}")
    admin.get_by_test_id("program-review").click()
    admin.wait_for_url(f"**/surveys/programs/{ids['program']}/review")
    figures = admin.get_by_test_id("survey-figures")
    expect(figures).to_contain_text("満足度")
    expect(admin.get_by_test_id("response-rate").first).to_contain_text(
        "回答：5人中5人（回答率100.0%）"
    )
    expect(admin.get_by_test_id("survey-comments")).to_contain_text("演習が実務に近く")
    expect(admin.get_by_test_id("survey-comments")).not_to_contain_text("津山")
    _look(admin, f"programme review {size}")
    admin.goto(f"/surveys/results?program={ids['program']}")
    expect(admin.get_by_test_id("response-rate")).to_contain_text("回答：5人中5人")
    _look(admin, f"survey results {size}")
    admin.goto("/surveys/questionnaires")
    _look(admin, f"questionnaires {size}")
    admin.locator("[data-testid=questionnaires] a").first.click()
    _look(admin, f"standard questionnaire {size}")

    # The administrator switches the 3-month follow-up on in the programme's survey settings.
    admin.goto(f"/surveys/programs/{ids['program']}/review")
    admin.get_by_test_id("survey-settings").click()
    admin.wait_for_url(f"**/surveys/programs/{ids['program']}/settings")
    _look(admin, f"survey settings {size}")
    admin.get_by_label("受講3か月後に活用状況をたずねる").check()
    admin.get_by_test_id("followup-save").click()
    expect(admin.get_by_test_id("followup-state")).to_contain_text("たずねる")

    # Three months on (the session moved back in time), the cron asks; the employee answers.
    with live_server.db():
        with all_tenants(db.session):
            session = db.session.get(TrainingSession, ids["session"])
            session.ends_at = months_after_utc(now_utc(), -3) - timedelta(days=1)
            session.starts_at = session.ends_at - timedelta(hours=1)
            db.session.flush()
        assert queue_followups() == 5
    employee.goto("/")
    employee.get_by_test_id("work-followup").locator("a").click()
    employee.wait_for_url(f"**/surveys/followups/{ids['mine']}")
    expect(employee.locator("legend")).to_contain_text("業務で活用できましたか")
    _look(employee, f"follow-up form {size}")
    employee.locator("label[for='applied-4']").click()
    employee.locator("#applied_how").fill("会議資料の作成で関数を使っています。")
    employee.get_by_test_id("followup-submit").click()
    employee.wait_for_url("**/surveys/")
    expect(employee.get_by_test_id("surveys-none")).to_be_visible()
