"""Coordinator conveniences of issue 9 in the browser, in Japanese, at desktop and 375 px.

Each journey is done the way a 研修担当者 would do it, and every page on the way
is audited with axe-core.
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
WIDTHS = {"desktop": 1280, "phone-375": 375}


def _shot(page, name: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _pending_request(live_server, code: str) -> int:  # noqa: ANN001
    """A request of employee A awaiting approval on a new session; its registration id."""
    world = live_server.world
    with live_server.db():
        program = factories.make_program(code, title_ja="承認付き研修", title_en="Approval")
        ts = factories.make_session(program, requires_approval=True, starts_in=timedelta(days=40))
        with acting_as(db.session, world.muni_a):
            from regional.people.models import User
            from regional.registrations.actions import register

            employee = db.session.get(User, world.employee_a)
            reg = register(ts.id, employee, employee)
            return reg.id


@pytest.mark.parametrize("size", list(WIDTHS))
def test_coordinator_declines_one_request_with_a_reason(new_page, live_server, size):
    reg_id = _pending_request(live_server, f"E2E-DEC-{size}")
    page = new_page(viewport={"width": WIDTHS[size], "height": 800})
    sign_in(page, live_server.world.emails["coordinator_a"])
    page.goto("/registrations/")
    row = page.locator("tr", has=page.locator(f"#pick-{reg_id}"))
    row.locator("details.decline > summary").click()
    box = page.get_by_label("不承認の理由（任意。本人にメールで通知されます）").and_(
        page.locator(f"#decline-reason-{reg_id}")
    )
    box.fill("今回は定員に達したため、次回の開催回にお申し込みください。")
    audit(page, f"decline reason open {size}")
    _shot(page, f"decline-reason-{size}")
    row.get_by_role("button", name="不承認にする").click()
    page.wait_for_url("**/registrations/")
    assert page.locator(".flash, [role=status], [role=alert]").first.inner_text().strip()
    assert page.locator(f"#pick-{reg_id}").count() == 0
    with live_server.db():
        from regional.seats.models import Registration
        from tenants import all_tenants

        with all_tenants(db.session):
            assert db.session.get(Registration, reg_id).status.value == "declined"
    page.context.close()


@pytest.fixture(scope="module")
def behind_member(live_server):  # noqa: ANN001
    """Member A has a security target nobody has met yet this year: behind the plan line."""
    from tests.fixtures_targets import target

    with live_server.db():
        target(live_server.world.muni_a, "security", 50)
    from tests.conftest import CODE_A

    return CODE_A


@pytest.mark.parametrize("size", list(WIDTHS))
def test_administrator_goes_from_home_to_a_member_behind_plan(
    new_page, live_server, behind_member, size
):
    page = new_page(viewport={"width": WIDTHS[size], "height": 800})
    sign_in(page, live_server.world.emails["admin"])
    page.goto("/")
    card = page.locator("section[aria-labelledby=work-behind]")
    assert "計画より遅れている市町" in card.inner_text()
    audit(page, f"home admin behind plan {size}")
    _shot(page, f"home-admin-behind-{size}")
    card.locator(f"a[href='/progress/m/{behind_member}']").click()
    page.wait_for_url(f"**/progress/m/{behind_member}")
    audit(page, f"member progress {size}")
    page.context.close()


def _local(days: float, fmt: str = "%Y-%m-%dT%H:%M") -> str:
    from regional.fiscal import now_utc, to_local

    return to_local(now_utc() + timedelta(days=days)).strftime(fmt)


@pytest.mark.parametrize("size", list(WIDTHS))
def test_administrator_sets_reservations_while_adding_a_session(new_page, live_server, size):
    from tests.conftest import CODE_A, CODE_B

    with live_server.db():
        program = factories.make_program(f"E2E-RES-{size}", title_ja="優先枠研修", title_en="Res")
        program_id = program.id
    page = new_page(viewport={"width": WIDTHS[size], "height": 800})
    sign_in(page, live_server.world.emails["admin"])
    page.goto("/sessions/new")
    page.locator("#program_id").select_option(str(program_id))
    page.locator("#starts_at").fill(_local(30))
    page.locator("#ends_at").fill(_local(30.1))
    page.locator("#venue").fill("岡山市役所 本庁舎 第1会議室")
    page.locator("#capacity").fill("20")
    page.locator("#registration_closes_at").fill(_local(25))
    page.locator(f"#res-seats-{CODE_A}").fill("3")
    page.locator(f"#res-release-{CODE_A}").fill(_local(20, "%Y-%m-%d"))
    page.locator(f"#res-seats-{CODE_B}").fill("2")
    page.locator(f"#res-release-{CODE_B}").fill("2020-04-01")  # in the past: refused
    audit(page, f"session form with reservations {size}")
    page.get_by_role("button", name="保存").click()
    error = page.locator(f"#res-release-{CODE_B}-error")
    assert "開放日" in error.inner_text() or "未来" in error.inner_text()
    assert page.locator(".error-summary").is_visible()
    audit(page, f"session form, a refused row {size}")
    _shot(page, f"session-form-reservations-error-{size}")
    page.locator(f"#res-release-{CODE_B}").fill("")  # the day registration closes
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/sessions/\d+$"))
    assert "開催回を追加しました。" in page.content()
    audit(page, f"session added {size}")
    session_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    with live_server.db():
        from regional.sessions.models import TrainingSession

        ts = db.session.get(TrainingSession, session_id)
        held = {a.municipality.code: a.seats for a in ts.allocations}
        assert held == {CODE_A: 3, CODE_B: 2}
    page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_coordinator_duplicates_their_own_session_to_a_new_day(new_page, live_server, size):
    world = live_server.world
    with live_server.db():
        program = factories.make_program(f"E2E-DUP-{size}", title_ja="複製研修", title_en="Dup")
        ts = factories.make_session(
            program, capacity=9, starts_in=timedelta(days=10), host_municipality_id=world.muni_a
        )
        source_id = ts.id
    new_day = _local(45, "%Y-%m-%d")
    page = new_page(viewport={"width": WIDTHS[size], "height": 800})
    sign_in(page, world.emails["coordinator_a"])
    page.goto(f"/sessions/{source_id}")
    page.get_by_role("link", name="開催回を複製").click()
    page.wait_for_url(f"**/sessions/{source_id}/duplicate")
    audit(page, f"duplicate, choose the day {size}")
    page.get_by_label("新しい開催回の開催日").fill(new_day)
    page.get_by_role("button", name="次へ").click()
    page.wait_for_url(re.compile(rf".*/sessions/{source_id}/duplicate\?on=.*"))
    assert page.locator("#starts_at").input_value().startswith(new_day)
    assert page.locator("#capacity").input_value() == "9"
    audit(page, f"duplicate, the filled form {size}")
    _shot(page, f"duplicate-form-{size}")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/sessions/\d+$"))
    new_id = int(page.url.rsplit("/", 1)[1])
    assert new_id != source_id
    assert "開催回を追加しました。" in page.content()
    audit(page, f"duplicate, the copy {size}")
    with live_server.db():
        from regional.fiscal import to_local
        from regional.sessions.models import TrainingSession

        copy = db.session.get(TrainingSession, new_id)
        assert copy.host_municipality_id == world.muni_a
        assert to_local(copy.starts_at).date().isoformat() == new_day
    page.context.close()


@pytest.fixture(scope="module")
def sheet_session(live_server):  # noqa: ANN001
    """A shared session with employee A and a person of B enrolled."""
    world = live_server.world
    with live_server.db():
        program = factories.make_program("E2E-PRINT", title_ja="名簿印刷研修", title_en="Print")
        ts = factories.make_session(program, capacity=10, starts_in=timedelta(days=33))
        from regional.people.models import User
        from regional.registrations.actions import register

        with acting_as(db.session, world.muni_a):
            employee = db.session.get(User, world.employee_a)
            register(ts.id, employee, employee)
        other = factories.make_user(world.muni_b, name="玉野 印刷")
        with acting_as(db.session, world.muni_b):
            register(ts.id, other, other)
        return ts.id


@pytest.mark.parametrize("size", list(WIDTHS))
def test_coordinator_prints_the_sign_in_sheet_of_their_own_people(
    new_page, live_server, sheet_session, size
):
    page = new_page(viewport={"width": WIDTHS[size], "height": 800})
    sign_in(page, live_server.world.emails["coordinator_a"])
    page.goto(f"/sessions/{sheet_session}")
    page.get_by_role("link", name="出席簿を印刷").click()
    page.wait_for_url(f"**/registrations/session/{sheet_session}/sign-in-sheet")
    sheet = page.locator("section.sheet")
    assert sheet.count() == 1 and "津山市" in sheet.inner_text()
    assert "髙橋 太郎" in sheet.inner_text() and "玉野 印刷" not in page.content()
    audit(page, f"sign-in sheet {size}")
    if size == "desktop":
        page.emulate_media(media="print")
        assert not page.locator(".site-header").is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.pdf(path=str(ARTIFACTS / "sign-in-sheet-a4.pdf"), prefer_css_page_size=True)
        page.emulate_media(media="screen")
    else:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1
    _shot(page, f"sign-in-sheet-{size}")
    page.go_back()
    page.get_by_role("link", name="参加者名簿を印刷").click()
    page.wait_for_url(f"**/registrations/session/{sheet_session}/participants")
    assert "受講確定" in page.locator("section.sheet").inner_text()
    audit(page, f"participant list {size}")
    page.context.close()


def test_administrator_prints_every_member_grouped(new_page, live_server, sheet_session):
    page = new_page()
    sign_in(page, live_server.world.emails["admin"])
    page.goto(f"/registrations/session/{sheet_session}/participants")
    names = [s.inner_text() for s in page.locator("section.sheet h1").all()]
    assert len(names) == 2 and "津山市" in names[0] and "玉野市" in names[1]
    audit(page, "participant list, administrator")


@pytest.mark.parametrize("size", list(WIDTHS))
def test_administrator_changes_every_reservation_in_one_save(new_page, live_server, size):
    from tests.conftest import CODE_A, CODE_B

    with live_server.db():
        program = factories.make_program(f"E2E-ALLOC-{size}", title_ja="優先枠一括", title_en="A")
        ts_id = factories.make_session(program, capacity=12, starts_in=timedelta(days=30)).id
    page = new_page(viewport={"width": WIDTHS[size], "height": 800})
    sign_in(page, live_server.world.emails["admin"])
    page.goto(f"/sessions/{ts_id}")
    page.get_by_role("link", name="市町の優先枠を設定").click()
    page.wait_for_url(f"**/sessions/{ts_id}/allocations")
    page.locator(f"#res-seats-{CODE_A}").fill("4")
    page.locator(f"#res-seats-{CODE_B}").fill("2")
    audit(page, f"reservations page {size}")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(rf".*/sessions/{ts_id}$"))
    assert "優先枠を保存しました" in page.content()
    with live_server.db():
        from regional.sessions.models import TrainingSession

        held = {
            a.municipality.code: a.seats for a in db.session.get(TrainingSession, ts_id).allocations
        }
        assert held == {CODE_A: 4, CODE_B: 2}
    page.context.close()
