"""Issue 22, in one go: the whole training cycle as a city hall runs it, in the browser.

Member A's coordinator turns on the head of unit's approval, names a 課's head and deputy
and posts a notice; the employee sees the notice on the home page and applies; the head is
away, so the deputy approves; the coordinator accepts; the session is held (its time moved
into the past, as the other journeys move time) and the coordinator records attendance;
the employee answers the survey from the home page's worklist and writes the report; the
head, back, acknowledges it and sees the unit's status; the coordinator's list shows
nobody missing; the regional administrator reads the programme review, whose figures show
once five people answered (the four others answered a session of the same programme
earlier in the year, arranged before the journey) and match a count by hand, and switches
the programme's 3-month follow-up on; three months on (the session moved back, the cron
run), the employee answers it (業務で活用できましたか) from the home page.

Each person signs in through /login in a browser context of their own: the employee,
the head and the deputy at phone width (375×812), the coordinator and the administrator
at desktop width (1280×800). Every kind of page on the way is audited with axe-core, and
the phone pages must not scroll sideways. Nothing but the pages moves the story on.
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from regional.attendance.recording import record_attendance
from regional.extensions import db
from regional.fiscal import (
    fiscal_year_of,
    fiscal_year_utc_range,
    local_date,
    months_after_utc,
    now_utc,
)
from regional.people.models import User
from regional.seats.models import Registration
from regional.sessions.models import TrainingSession
from regional.surveys.followups import queue_followups
from regional.surveys.services import submit
from tenants import all_tenants
from tenants.models import OrgLevel
from tenants.scoping import acting_as
from tests import factories
from tests.e2e.helpers import audit, sign_in
from tests.fixtures_registrations import register

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
TITLE = "文書管理の電子化研修（研修サイクル）"
NOTICE = "来年度の研修計画について（研修サイクル）"
#: (満足度, 理解度, 業務への活用見込み) of the four who answered the earlier session.
OTHERS = [(4, 3, 5), (5, 4, 4), (3, 3, 4), (4, 5, 5)]
#: The employee's own answers, given in the browser.
MINE = (5, 4, 4)
QUESTIONS = ("満足度", "理解度", "業務への活用見込み")


def _held_hours_ago(hours: float):
    """A start ``hours`` ago, but never before this fiscal year began (the review's year)."""
    now = now_utc().replace(microsecond=0)
    start, _end = fiscal_year_utc_range(fiscal_year_of(now))
    return max(now - timedelta(hours=hours), start + timedelta(minutes=1))


def _four_who_answered(world, program) -> None:
    """An earlier session of the programme: two people of member B and two of the region's
    administering member attended and answered (the threshold of five needs them)."""
    earlier = factories.make_session(
        program, starts_in=timedelta(hours=-6), hours=1, opens_in=timedelta(days=-9)
    )
    earlier.starts_at = _held_hours_ago(6)
    earlier.ends_at = earlier.starts_at + timedelta(hours=1)
    people = [factories.make_user(m).id for m in (world.muni_b, world.muni_b)]
    people += [factories.make_user(world.muni_admin).id for _ in range(2)]
    regs = [register(earlier.id, p, world.admin) for p in people]
    with all_tenants(db.session):
        admin = db.session.get(User, world.admin)
        record_attendance(earlier.id, [(r.id, True) for r in regs], admin)
    for reg, (sat, und, use) in zip(regs, OTHERS, strict=True):
        with acting_as(db.session, reg.municipality_id):
            who = db.session.get(User, reg.employee_id)
            answers = {"satisfaction": sat, "understanding": und, "usefulness": use}
            submit(reg.id, who, answers)


def _arrange(live_server) -> dict:
    """Member A's 課 with its future head, deputy and the employee; a programme that asks
    for a report with a session that needs the coordinator's approval; four answers already
    in for an earlier session of it."""
    world = live_server.world
    with live_server.db():
        a = world.muni_a
        unit = factories.make_org_unit(a, "研修サイクル課", OrgLevel.DIVISION)
        head = factories.make_user(a, org_unit_id=unit.id, name="岡 所属長")
        deputy = factories.make_user(a, org_unit_id=unit.id, name="森 代理")
        staff = factories.make_user(a, org_unit_id=unit.id, name="髙野 𠮷子")
        program = factories.make_program(
            title_ja=TITLE,
            report_required=True,
            report_template="1. 学んだこと\n2. 業務で活かすこと",
        )
        ts = factories.make_session(program, capacity=10, requires_approval=True)
        _four_who_answered(world, program)
        return {
            "unit": unit.id,
            "program": program.id,
            "session": ts.id,
            "head": (head.id, head.email),
            "deputy": (deputy.id, deputy.email),
            "staff": (staff.id, staff.email),
            "name": staff.name,
        }


def _hold_the_session(live_server, session_id: int) -> None:
    """Time passes: the session started three hours ago and lasted two."""
    with live_server.db():
        ts = db.session.get(TrainingSession, session_id)
        ts.starts_at = _held_hours_ago(3)
        ts.ends_at = ts.starts_at + timedelta(hours=2)


def _registration(live_server, facts: dict) -> Registration:
    with live_server.db(), all_tenants(db.session):
        reg = db.session.scalar(
            select(Registration).where(
                Registration.session_id == facts["session"],
                Registration.employee_id == facts["staff"][0],
            )
        )
        db.session.expunge(reg)
        return reg


def _look(page, label: str) -> None:
    """axe-core on the page; on a phone, no sideways scrolling; always Japanese."""
    audit(page, label)
    assert page.locator("html").get_attribute("lang") == "ja"
    if page.viewport_size["width"] <= 414:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{label}: the page scrolls sideways by {overflow}px"


def _flash(page, text: str) -> None:
    expect(page.locator(".flash-success")).to_contain_text(text)


def _person(new_page, email: str, viewport: dict):
    """A browser context of the person's own, signed in through /login."""
    page = new_page(viewport=viewport)
    sign_in(page, email)
    return page


# --------------------------------------------------------------------------- the steps


def _coordinator_sets_up(coordinator, facts: dict) -> None:
    """The head's approval on; the 課's head and deputy named; a notice posted."""
    coordinator.goto("/heads/setup")
    coordinator.get_by_label("職員の申込みに所属長の承認を必要とする").check()
    coordinator.locator("form[action='/heads/setting'] button[type=submit]").click()
    _flash(coordinator, "保存しました")
    _look(coordinator, "所属長の設定 (coordinator)")
    coordinator.locator(f"a[href='/heads/units/{facts['unit']}/head']").click()
    coordinator.wait_for_url(f"**/heads/units/{facts['unit']}/head")
    _look(coordinator, "所属長と代理 (coordinator)")
    coordinator.get_by_label("所属長", exact=True).select_option(str(facts["head"][0]))
    coordinator.get_by_label("代理", exact=True).select_option(str(facts["deputy"][0]))
    coordinator.locator(
        f"form[action='/heads/units/{facts['unit']}/head'] button[type=submit]"
    ).click()
    _flash(coordinator, "保存しました")
    row = coordinator.locator(f"#unit-{facts['unit']}")
    expect(row).to_contain_text("岡 所属長")
    expect(row).to_contain_text("森 代理")

    coordinator.goto("/notices/manage")
    _look(coordinator, "お知らせ管理 (coordinator)")
    coordinator.get_by_role("link", name="新しいお知らせ").click()
    coordinator.wait_for_url("**/notices/manage/new")
    _look(coordinator, "新しいお知らせ (coordinator)")
    coordinator.get_by_label("題名（日本語）").fill(NOTICE)
    coordinator.get_by_label("本文（日本語）").fill(
        "文書管理の電子化研修を追加しました。\n所属長の承認を得てから申し込んでください。"
    )
    coordinator.get_by_label("掲載開始日").fill(local_date(now_utc()).isoformat())
    coordinator.locator("form[action='/notices/manage/new'] button[type=submit]").click()
    _flash(coordinator, "お知らせを保存しました")
    expect(coordinator.get_by_test_id("managed-notices")).to_contain_text(NOTICE)


def _employee_reads_and_applies(employee, facts: dict) -> None:
    notice = (
        employee.get_by_test_id("home-notices").get_by_test_id("notice").filter(has_text=NOTICE)
    )
    expect(notice).to_contain_text("所属長の承認を得てから申し込んでください。")
    expect(notice.get_by_test_id("unread")).to_have_text("未読")
    _look(employee, "home with a notice (employee)")
    notice.get_by_role("button", name="既読にする").click()
    expect(
        employee.get_by_test_id("home-notices").get_by_test_id("notice").filter(has_text=NOTICE)
    ).not_to_contain_text("未読")
    employee.get_by_test_id("home-notices").get_by_role("link", name="すべてのお知らせ").click()
    expect(employee.get_by_test_id("notices")).to_contain_text(NOTICE)
    _look(employee, "お知らせ (employee)")

    session_id = facts["session"]
    employee.goto(f"/sessions/{session_id}")
    employee.locator(f"form[action$='/session/{session_id}/register'] button[type=submit]").click()
    _flash(employee, "所属長の承認をお待ちください")
    expect(employee.locator(".status-awaiting_head").first).to_contain_text("所属長の承認待ち")
    _look(employee, "session, awaiting the head (employee)")


def _deputy_approves(deputy, facts: dict) -> None:
    """The head is away: the deputy finds the application on the home page and approves."""
    card = deputy.get_by_test_id("work-head")
    expect(card).to_contain_text(facts["name"])
    _look(deputy, "home with the head's card (deputy)")
    card.get_by_role("link", name="承認・不承認を決める").click()
    application = deputy.locator("li.card", has_text=facts["name"])
    expect(application).to_contain_text("修了した研修")
    _look(deputy, "所属の申込み (deputy)")
    application.locator("form[action$='/approve'] button[type=submit]").click()
    _flash(deputy, "承認しました")
    expect(deputy.locator("li.card", has_text=facts["name"])).to_have_count(0)


def _coordinator_accepts(coordinator, facts: dict) -> None:
    coordinator.goto("/registrations/")
    row = coordinator.locator("tr", has_text=facts["name"])
    expect(row).to_contain_text(TITLE)
    _look(coordinator, "registrations, the head approved (coordinator)")
    row.locator("form[action$='/approve'] button[type=submit]").click()
    expect(coordinator.locator("tr", has_text=facts["name"])).to_have_count(0)


def _coordinator_records_attendance(coordinator, facts: dict) -> None:
    coordinator.goto("/")
    record = coordinator.locator(f"a[href='/registrations/session/{facts['session']}/attendance']")
    record.click()
    box = coordinator.locator(f"#att-{facts['reg']}")
    expect(box).not_to_be_checked()
    _look(coordinator, "attendance (coordinator)")
    box.check()
    coordinator.get_by_role("button", name="出欠を保存").click()
    expect(coordinator.locator(f"#att-{facts['reg']}")).to_be_checked()


def _employee_answers_and_reports(employee, facts: dict) -> None:
    reg = facts["reg"]
    employee.goto("/")
    card = employee.get_by_test_id("work-surveys")
    expect(card).to_contain_text(TITLE)
    _look(employee, "home with a survey and a report to write (employee)")
    card.locator(f"a[href='/surveys/registrations/{reg}']").click()
    employee.wait_for_url(f"**/surveys/registrations/{reg}")
    _look(employee, "survey form (employee)")
    for key, value in zip(("satisfaction", "understanding", "usefulness"), MINE, strict=True):
        employee.locator(f"label[for='q-{key}-{value}']").click()
    employee.locator("#q-good_points").fill("演習が実務に近く、分かりやすかった。")
    employee.get_by_test_id("survey-submit").click()
    employee.wait_for_url("**/surveys/")
    expect(employee.get_by_test_id("surveys-none")).to_be_visible()
    _look(employee, "my surveys, all answered (employee)")

    employee.goto("/")
    expect(employee.get_by_test_id("work-surveys")).to_have_count(0)
    employee.get_by_test_id("work-report").locator(
        f"a[href='/reports/registrations/{reg}']"
    ).click()
    body = employee.locator("textarea[name=body]")
    expect(body).to_have_value("1. 学んだこと\n2. 業務で活かすこと")
    _look(employee, "受講報告 (employee)")
    body.fill("1. 文書管理の電子化\n2. 係内の決裁を電子化する")
    employee.locator("form[action^='/reports/'] button[type=submit]").click()
    _flash(employee, "受講報告を保存しました")
    expect(employee.get_by_test_id("report-state")).to_contain_text("確認されるまでは修正できます")
    employee.goto("/")
    expect(employee.get_by_test_id("reports-to-edit")).to_contain_text(TITLE)


def _head_acknowledges(head, facts: dict) -> None:
    """The head is back: nothing waits for their approval (the deputy decided); they
    acknowledge the report and see the unit's status."""
    expect(head.get_by_test_id("work-head")).to_contain_text("承認を待っている申込みはありません")
    card = head.get_by_test_id("work-acknowledge")
    expect(card).to_contain_text(facts["name"])
    _look(head, "home with reports to acknowledge (head)")
    card.get_by_role("link", name="読んで確認する").click()
    report = head.locator("li.card", has_text=facts["name"])
    expect(report).to_contain_text("係内の決裁を電子化する")
    _look(head, "確認する受講報告 (head)")
    report.locator("button[type=submit]").click()
    _flash(head, "確認しました")
    expect(head.locator("li.card", has_text=facts["name"])).to_have_count(0)
    head.goto("/heads/units")
    row = head.get_by_test_id("head-units").locator("tr", has_text=facts["name"])
    expect(row.locator("td").nth(1)).to_have_text("1")  # the training just completed
    _look(head, "所属の受講状況 (head)")


def _coordinator_sees_nobody_missing(coordinator, facts: dict) -> None:
    coordinator.goto(f"/sessions/{facts['session']}")
    coordinator.get_by_test_id("session-reports").click()
    expect(coordinator).to_have_url(re.compile(rf"/reports/sessions#session-{facts['session']}$"))
    table = coordinator.get_by_test_id(f"reports-session-{facts['session']}")
    expect(table.locator("caption")).to_contain_text("未提出：0")
    expect(table.locator("caption")).to_contain_text("未確認：0")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(coordinator.get_by_test_id(f"report-row-{facts['reg']}")).to_contain_text("確認済み")
    _look(coordinator, "受講報告の状況 (coordinator)")


def _figure_row(page, label: str):
    return page.get_by_test_id("survey-figures").locator(
        "tr", has=page.locator("th", has_text=re.compile(f"^{label}$"))
    )


def _admin_reads_the_review(admin, facts: dict) -> None:
    admin.goto(f"/catalogue/{facts['program']}")
    admin.get_by_test_id("program-review").click()
    admin.wait_for_url(f"**/surveys/programs/{facts['program']}/review")
    # Counted by hand: five answered of five who attended (four before, the employee now).
    answers = [*OTHERS, MINE]
    survey = admin.locator("section[aria-labelledby=survey]")
    expect(survey.get_by_test_id("response-rate")).to_have_text(
        f"回答：{len(answers)}人中{len(answers)}人（回答率100.0%）"
    )
    for i, label in enumerate(QUESTIONS):
        values = [a[i] for a in answers]
        cells = _figure_row(admin, label).locator("td")
        expect(cells).to_have_text([str(len(values)), f"{sum(values) / len(values):.2f}"])
    comments = admin.get_by_test_id("survey-comments")
    expect(comments).to_contain_text("演習が実務に近く")
    expect(comments).not_to_contain_text(facts["name"])
    sessions = admin.get_by_test_id("review-sessions")
    expect(sessions.locator("caption")).to_contain_text("開催回2回")
    members = admin.get_by_test_id("review-members")
    expect(members.locator("tr", has_text="津山市").locator("td")).to_have_text(
        ["1", "0", "1", "0", "100.0%"]
    )
    for member in ("玉野市", "岡山市"):
        expect(members.locator("tr", has_text=member).locator("td")).to_have_text(
            ["2", "0", "2", "0", "100.0%"]
        )
    _look(admin, "programme review (administrator)")
    # The employee's own session: one answer of one, below the threshold: no figures.
    sessions.locator("tbody tr").last.get_by_role("link").click()
    admin.wait_for_url(re.compile(rf"/surveys/results\?session={facts['session']}\b"))
    expect(admin.get_by_test_id("response-rate").first).to_contain_text("回答：1人中1人")
    expect(admin.get_by_test_id("survey-hidden").first).to_be_visible()
    expect(admin.locator("main")).not_to_contain_text("演習が実務に近く")
    _look(admin, "survey results of one session (administrator)")
    admin.goto("/surveys/questionnaires")
    _look(admin, "questionnaires (administrator)")
    admin.locator("[data-testid=questionnaires] a").first.click()
    admin.wait_for_url(re.compile(r"/surveys/questionnaires/\d+$"))
    _look(admin, "standard questionnaire (administrator)")


def _three_months_on(admin, employee, live_server, facts: dict) -> None:
    """The administrator switches the follow-up on from the review; three months after the
    session the cron asks its one participant, who answers from the home page."""
    admin.goto(f"/surveys/programs/{facts['program']}/review")
    admin.get_by_test_id("survey-settings").click()
    admin.wait_for_url(f"**/surveys/programs/{facts['program']}/settings")
    _look(admin, "survey settings (administrator)")
    admin.get_by_label("受講3か月後に活用状況をたずねる").check()
    admin.get_by_test_id("followup-save").click()
    expect(admin.get_by_test_id("followup-state")).to_contain_text("たずねる")
    with live_server.db(), all_tenants(db.session):
        ts = db.session.get(TrainingSession, facts["session"])
        ts.ends_at = months_after_utc(now_utc(), -3) - timedelta(days=1)
        ts.starts_at = ts.ends_at - timedelta(hours=2)
        db.session.flush()
        # The four others' session was held this week: not yet due.
        assert queue_followups() == 1
    employee.goto("/")
    employee.get_by_test_id("work-followup").locator("a").click()
    employee.wait_for_url(f"**/surveys/followups/{facts['reg']}")
    expect(employee.locator("legend")).to_contain_text("業務で活用できましたか")
    _look(employee, "follow-up form (employee)")
    employee.locator("label[for='applied-4']").click()
    employee.locator("#applied_how").fill("会議資料の作成で関数を使っています。")
    employee.get_by_test_id("followup-submit").click()
    employee.wait_for_url("**/surveys/")
    expect(employee.get_by_test_id("surveys-none")).to_be_visible()


def test_one_training_from_notice_to_programme_review(new_page, live_server):
    facts = _arrange(live_server)
    emails = live_server.world.emails

    coordinator = _person(new_page, emails["coordinator_a"], DESKTOP)
    _coordinator_sets_up(coordinator, facts)

    employee = _person(new_page, facts["staff"][1], PHONE)
    _employee_reads_and_applies(employee, facts)

    deputy = _person(new_page, facts["deputy"][1], PHONE)
    _deputy_approves(deputy, facts)
    _coordinator_accepts(coordinator, facts)
    reg = _registration(live_server, facts)
    assert reg.head_approved_by_id == facts["deputy"][0]
    assert reg.status.value == "enrolled"
    facts["reg"] = reg.id

    _hold_the_session(live_server, facts["session"])
    _coordinator_records_attendance(coordinator, facts)
    _employee_answers_and_reports(employee, facts)

    head = _person(new_page, facts["head"][1], PHONE)
    _head_acknowledges(head, facts)
    _coordinator_sees_nobody_missing(coordinator, facts)

    admin = _person(new_page, emails["admin"], DESKTOP)
    _admin_reads_the_review(admin, facts)
    _three_months_on(admin, employee, live_server, facts)
