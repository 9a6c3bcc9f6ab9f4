"""Issue 9, done when: the three roles do a month of real work in the browser.

A regional administrator plans a shared session with reserved seats and
duplicates it; a training coordinator registers their own staff, approves and
declines (with a reason), records attendance after the session and reminds the
staff missing required training; an employee finds a programme by keyword,
registers, waits for a full session, cancels with confirmation and reads their
own record. The month is simulated by creating sessions with times relative to
now (past ones ended days ago), never by sleeping.

Every journey runs in Japanese at desktop width and at 375 px; every page on the
way is audited with axe-core and photographed into ``tests/e2e/artifacts/``;
each step asserts what the person sees, and the seat numbers agree between the
session page, the sessions list, the registrations list and the employee's view.
At no step is a date typed as free text: every date is a date or date-time input.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from regional.attendance.recording import record_attendance
from regional.extensions import db
from regional.fiscal import now_utc, to_local
from regional.mail.models import OutboundMail
from regional.people.models import Role, User
from regional.registrations.actions import register
from regional.sessions.models import TrainingSession
from tenants import all_tenants
from tenants.scoping import acting_as
from tests import factories
from tests.conftest import CODE_A, CODE_B
from tests.e2e.helpers import audit, sign_in

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WIDTHS = {"desktop": 1280, "phone-375": 375}

#: An input whose name says it holds a date, month, year or time.
_DATEISH = re.compile(r"(date|day|_at$|_on$|^on$|month|year|^fy$|release|deadline)", re.I)
_TYPED_DATES = """(re) => [...document.querySelectorAll('main input')]
  .filter(i => ['text', 'search', 'number', ''].includes(i.type))
  .filter(i => new RegExp(re, 'i').test(i.name || i.id))
  .map(i => `${i.name || i.id} (${i.type})`)"""


# --------------------------------------------------------------------------- helpers


def _local(days: float, fmt: str = "%Y-%m-%dT%H:%M") -> str:
    return to_local(now_utc() + timedelta(days=days)).strftime(fmt)


def _look(page, name: str, label: str) -> None:  # noqa: ANN001
    """Audit, photograph and check the page reads at its width without free-text dates."""
    audit(page, label)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"month-{name}.png"), full_page=True)
    assert page.locator("html").get_attribute("lang") == "ja"
    typed = page.evaluate(_TYPED_DATES, _DATEISH.pattern)
    assert typed == [], f"{label}: dates typed as free text: {typed}"
    if (page.viewport_size or {}).get("width", 1280) <= 414:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{label}: the page scrolls sideways by {overflow}px"


def _fact(page, term: str) -> str:  # noqa: ANN001
    """The value after a term in the page's fact lists (dl.facts)."""
    dd = page.locator("dl.facts dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator(
        "xpath=following-sibling::dd[1]"
    )
    return dd.first.inner_text().strip()


def _seat_sum(page) -> str:  # noqa: ANN001
    return page.get_by_test_id("seat-sum").inner_text().strip()


def _list_cell(page, path: str, href: str, label: str) -> str:  # noqa: ANN001
    """The cell ``label`` of the row linking to ``href`` in a paged list, page by page."""
    page.goto(path)
    while True:
        row = page.locator("tr", has=page.locator(f"a[href='{href}']"))
        if row.count():
            return row.first.locator(f"td[data-label='{label}']").inner_text().strip()
        more = page.locator("a[rel=next]")
        assert more.count(), f"no row for {href} in {path}"
        more.first.click()
        page.wait_for_load_state()


def _flash(page) -> str:  # noqa: ANN001
    return page.locator(".flash, [role=status], [role=alert]").first.inner_text().strip()


def _mail_to(live_server, address: str) -> list[tuple[str, str]]:  # noqa: ANN001
    """(subject, body) of mail queued for one address: the outbox is the record, no waiting."""
    with live_server.app.app_context():
        try:
            with all_tenants(db.session):
                rows = db.session.scalars(
                    select(OutboundMail)
                    .execution_options(all_tenants=True)
                    .where(OutboundMail.to_addr == address)
                    .order_by(OutboundMail.id)
                )
                return [(m.subject, m.body) for m in factories.rendered(rows)]
        finally:
            db.session.remove()


def _end(ts: TrainingSession, days_ago: int = 3) -> None:
    """Move a session into the past: it ended ``days_ago`` days ago."""
    ts.starts_at = now_utc().replace(microsecond=0) - timedelta(days=days_ago)
    ts.ends_at = ts.starts_at + timedelta(hours=3)
    ts.registration_opens_at = ts.starts_at - timedelta(days=30)
    ts.registration_closes_at = ts.starts_at - timedelta(days=2)
    db.session.flush()


def _person(municipality_id: int, name: str, email: str) -> User:
    return factories.make_user(municipality_id, name=name, email=email, role=Role.EMPLOYEE)


# --------------------------------------------------------------------------- the administrator


@pytest.mark.parametrize("size", list(WIDTHS))
def test_regional_administrator_plans_a_shared_session_and_repeats_it(new_page, live_server, size):
    world = live_server.world
    with live_server.db():
        program = factories.make_program(
            f"E2E-MON-ADM-{size[0].upper()}",
            title_ja=f"月次計画研修（{size}）",
            title_en=f"Plan {size}",
        )
        program_id = program.id
    page = new_page(viewport={"width": WIDTHS[size], "height": 900})
    sign_in(page, world.emails["admin"])

    # Home: the region's worklists come first.
    page.goto("/")
    expect(page.locator("#work-region")).to_have_text("圏域全体の作業")
    _look(page, f"admin-home-{size}", f"admin home {size}")

    # Plan a shared session, two seats held for 津山市 until a day before it closes.
    page.goto("/sessions/new")
    _look(page, f"admin-new-session-{size}", f"new session form {size}")
    page.locator("#program_id").select_option(str(program_id))
    page.locator("#starts_at").fill(_local(20))
    page.locator("#ends_at").fill(_local(20.1))
    page.locator("#venue").fill("岡山市役所 本庁舎 第1会議室")
    page.locator("#capacity").fill("6")
    page.locator("#registration_closes_at").fill(_local(15))
    page.locator("#cancellation_deadline").fill(_local(17))
    page.locator(f"#res-seats-{CODE_A}").fill("2")
    page.locator(f"#res-release-{CODE_A}").fill(_local(10, "%Y-%m-%d"))
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/sessions/\d+$"))
    first_id = int(page.url.rsplit("/", 1)[1])
    assert "開催回を追加しました。" in _flash(page)
    plan = "定員6席 ＝ 申込み済み0席 ＋ 優先枠（未使用）2席 ＋ 残席4席"
    assert _seat_sum(page) == plan
    assert _fact(page, "岡山市が申し込める席") == "4"
    reserved = page.locator("tr", has_text="津山市")
    expect(reserved.locator("td").first).to_have_text("2")
    expect(page.get_by_role("columnheader", name="開放日時")).to_be_visible()
    _look(page, f"admin-session-planned-{size}", f"session planned {size}")

    # Repeat it two weeks later: the form comes filled, reservations included.
    page.get_by_role("link", name="開催回を複製").click()
    page.wait_for_url(f"**/sessions/{first_id}/duplicate")
    _look(page, f"admin-duplicate-day-{size}", f"duplicate, the day {size}")
    new_day = _local(34, "%Y-%m-%d")
    page.get_by_label("新しい開催回の開催日").fill(new_day)
    page.get_by_role("button", name="次へ").click()
    page.wait_for_url(re.compile(rf".*/sessions/{first_id}/duplicate\?on=.*"))
    assert page.locator("#capacity").input_value() == "6"
    assert page.locator(f"#res-seats-{CODE_A}").input_value() == "2"
    assert page.locator("#starts_at").input_value().startswith(new_day)
    _look(page, f"admin-duplicate-form-{size}", f"duplicate, the form {size}")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/sessions/\d+$"))
    second_id = int(page.url.rsplit("/", 1)[1])
    assert second_id != first_id
    assert _seat_sum(page) == plan
    _look(page, f"admin-session-copy-{size}", f"session copy {size}")

    # The sessions list says the same seats as each session page.
    for sid in (first_id, second_id):
        cell = _list_cell(
            page, f"/sessions/?program={program_id}", f"/sessions/{sid}", "残席／定員"
        )
        assert cell == "4 / 6"
    _look(page, f"admin-sessions-list-{size}", f"sessions list {size}")


# --------------------------------------------------------------------------- the coordinator


@pytest.fixture
def coordinator_month(live_server, request):  # noqa: ANN001
    """A member's month: an open session, requests to decide, an ended session to record."""
    size = request.node.callspec.params["size"]
    world = live_server.world
    # Desktop in 津山市, phone in 玉野市: each member's reminder goes out once a day.
    muni, code, role = (
        (world.muni_a, CODE_A, "coordinator_a")
        if size == "desktop"
        else (world.muni_b, CODE_B, "coordinator_b")
    )
    family = {"desktop": "宇喜多", "phone-375": "小早川"}[size]
    with live_server.db():
        program = factories.make_program(
            f"E2E-MON-CRD-{size[0].upper()}",
            title_ja=f"月次業務研修（{family}）",
            title_en=f"Work {size}",
        )
        people = {
            key: _person(muni, f"{family} {given}", f"{key}.{size}@example.lg.jp")
            for key, given in (("one", "一郎"), ("two", "二郎"), ("three", "三郎"))
        }
        open_ts = factories.make_session(program, capacity=4, starts_in=timedelta(days=3))
        asked = factories.make_session(
            program, capacity=5, requires_approval=True, starts_in=timedelta(days=5)
        )
        held = factories.make_session(program, capacity=5, starts_in=timedelta(days=8))
        with acting_as(db.session, muni):
            requests = {k: register(asked.id, people[k], people[k]).id for k in ("two", "three")}
            attended = {k: register(held.id, people[k], people[k]).id for k in ("one", "two")}
        _end(held)
        return {
            "size": size,
            "muni": muni,
            "code": code,
            "coordinator": world.emails[role],
            "employee": world.emails["employee_a" if size == "desktop" else "employee_b"],
            "name": {"desktop": "津山市", "phone-375": "玉野市"}[size],
            "program": program.id,
            "people": {k: (u.name, u.email) for k, u in people.items()},
            "open": open_ts.id,
            "asked": asked.id,
            "held": held.id,
            "requests": requests,
            "attended": attended,
        }


@pytest.mark.parametrize("size", list(WIDTHS))
def test_coordinator_runs_a_month_for_their_municipality(
    new_page, live_server, coordinator_month, size
):
    m = coordinator_month
    page = new_page(viewport={"width": WIDTHS[size], "height": 900})
    sign_in(page, m["coordinator"])
    one, _one_mail = m["people"]["one"]
    two, _two_mail = m["people"]["two"]
    three, three_mail = m["people"]["three"]

    # Home: requests to decide and the ended session to record are there.
    page.goto("/")
    pending = page.locator("section[aria-labelledby=work-pending]")
    expect(pending).to_contain_text(two)
    expect(pending).to_contain_text(three)
    to_record = page.locator("section[aria-labelledby=work-record]")
    expect(
        to_record.locator(f"a[href='/registrations/session/{m['held']}/attendance']")
    ).to_have_count(1)
    _look(page, f"coordinator-home-{size}", f"coordinator home {size}")

    # Register one of their own staff, found by name.
    page.goto(f"/registrations/session/{m['open']}")
    page.locator("main input[type=search]").first.fill(one)
    page.get_by_role("button", name="検索").click()
    page.locator("tr", has_text=one).get_by_role("button", name="申し込む").click()
    page.wait_for_load_state()
    assert _flash(page) == f"{one}：受講が確定しました。"
    assert _fact(page, "申込み済み（開催回全体）") == "1 / 4"
    assert _fact(page, "残席（全市町共通）") == "3"
    _look(page, f"coordinator-registered-staff-{size}", f"registered own staff {size}")

    # The same seats everywhere: session page, sessions list, registrations list, employee.
    page.goto(f"/sessions/{m['open']}")
    assert _seat_sum(page) == "定員4席 ＝ 申込み済み1席 ＋ 優先枠（未使用）0席 ＋ 残席3席"
    assert _fact(page, f"{m['name']}が申し込める席") == "3"
    _look(page, f"coordinator-session-{size}", f"session, coordinator {size}")
    in_list = _list_cell(
        page, f"/sessions/?program={m['program']}", f"/sessions/{m['open']}", "残席／定員"
    )
    assert in_list == "3 / 4"
    taken = _list_cell(
        page,
        "/registrations/",
        f"/registrations/session/{m['open']}",
        "申込み済み／定員",
    )
    assert taken == "1 / 4"
    employee = new_page(viewport={"width": WIDTHS[size], "height": 900})
    sign_in(employee, m["employee"])
    employee.goto(f"/sessions/{m['open']}")
    assert _fact(employee, "自市町が申し込める席") == "3"
    _look(employee, f"coordinator-month-employee-view-{size}", f"employee's seats {size}")
    employee.context.close()

    # Approve one request; decline the other with a reason that reaches the person.
    page.goto("/registrations/")
    _look(page, f"coordinator-requests-{size}", f"requests to decide {size}")
    row = page.locator("tr", has=page.locator(f"#pick-{m['requests']['two']}"))
    row.get_by_role("button", name="承認").click()
    page.wait_for_load_state()
    expect(page.locator(f"#pick-{m['requests']['two']}")).to_have_count(0)
    row = page.locator("tr", has=page.locator(f"#pick-{m['requests']['three']}"))
    row.locator("details.decline > summary").click()
    reason = "定員の都合により、次回の開催回にお申し込みください。"
    page.locator(f"#decline-reason-{m['requests']['three']}").fill(reason)
    _look(page, f"coordinator-decline-reason-{size}", f"decline with a reason {size}")
    row.get_by_role("button", name="不承認にする").click()
    page.wait_for_load_state()
    expect(page.locator(f"#pick-{m['requests']['three']}")).to_have_count(0)
    declined = [body for subject, body in _mail_to(live_server, three_mail) if "不承認" in subject]
    assert declined and reason in declined[-1]
    page.goto(f"/sessions/{m['asked']}")
    assert _seat_sum(page) == "定員5席 ＝ 申込み済み1席 ＋ 優先枠（未使用）0席 ＋ 残席4席"

    # After the session: record attendance from the home worklist.
    page.goto("/")
    page.locator(f"a[href='/registrations/session/{m['held']}/attendance']").click()
    page.wait_for_url(f"**/registrations/session/{m['held']}/attendance")
    _look(page, f"coordinator-attendance-{size}", f"attendance {size}")
    page.locator(f"#att-{m['attended']['one']}").check()
    page.get_by_role("button", name="出欠を保存").click()
    page.wait_for_load_state()
    assert "出欠を保存しました（出席1人、欠席1人）。" in _flash(page)
    page.goto("/")
    expect(page.locator(f"a[href='/registrations/session/{m['held']}/attendance']")).to_have_count(
        0
    )
    page.goto(f"/sessions/?when=past&program={m['program']}")
    row = page.locator("tr", has=page.locator(f"a[href='/sessions/{m['held']}']"))
    expect(row).to_contain_text("終了（出欠記録済み）")
    _look(page, f"coordinator-past-sessions-{size}", f"past sessions {size}")

    # Follow up: remind the staff missing required training, once a day, after checking
    # who gets which mail and the mail itself (nothing is sent by the first click).
    page.goto("/")
    required = page.locator("section[aria-labelledby=work-required]")
    before = len(_mail_to(live_server, three_mail))
    required.get_by_test_id("remind-required").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("必須研修の受講案内：送信前の確認")
    expect(page.get_by_test_id("mailing-total")).to_contain_text("人にメールを送信します。")
    expect(page.get_by_test_id("mailing-subject").first).to_contain_text("【研修ポータル】")
    expect(page.get_by_test_id("mailing-body").first).to_contain_text("研修ポータル")
    assert len(_mail_to(live_server, three_mail)) == before  # the confirmation sent nothing
    _look(page, f"coordinator-remind-confirm-{size}", f"reminder confirmation {size}")
    page.get_by_test_id("mailing-send").click()
    page.wait_for_load_state()
    assert re.fullmatch(
        r"\d+人に受講案内をメールで送信しました。未ログインの\d+人にはパスワード設定の案内を送信しました。",
        _flash(page),
    )
    required = page.locator("section[aria-labelledby=work-required]")
    expect(required.get_by_test_id("remind-required")).to_have_count(0)
    expect(required.get_by_test_id("reminder-sent")).to_contain_text("受講案内は")
    assert [s for s, _body in _mail_to(live_server, three_mail) if "必須研修" in s]
    _look(page, f"coordinator-reminded-{size}", f"home after the reminder {size}")


# --------------------------------------------------------------------------- the employee


@pytest.fixture
def employee_month(live_server, request):  # noqa: ANN001
    """A new member of staff, a programme with an open and a full session, one attended."""
    size = request.node.callspec.params["size"]
    world = live_server.world
    muni = world.muni_a if size == "desktop" else world.muni_b
    tag = {"desktop": "甲", "phone-375": "乙"}[size]
    with live_server.db():
        program = factories.make_program(
            f"E2E-MON-EMP-{size[0].upper()}",
            title_ja=f"データ連携実務{tag}",
            title_en=f"Data {size}",
        )
        me = _person(muni, f"備前 花子{tag}", f"hanako.{size}@example.lg.jp")
        other = _person(muni, f"備前 次郎{tag}", f"jiro.{size}@example.lg.jp")
        open_ts = factories.make_session(program, capacity=3, starts_in=timedelta(days=6))
        open_ts.cancellation_deadline = open_ts.starts_at - timedelta(days=2)
        full = factories.make_session(program, capacity=1, starts_in=timedelta(days=9))
        done = factories.make_session(program, capacity=10, starts_in=timedelta(days=12))
        with acting_as(db.session, muni):
            register(full.id, other, other)
            attended = register(done.id, me, me)
        _end(done, days_ago=10)
        with acting_as(db.session, muni):
            coordinator = db.session.get(
                User, world.coordinator_a if size == "desktop" else world.coordinator_b
            )
            record_attendance(done.id, [(attended.id, True)], coordinator)
        return {
            "email": me.email,
            "keyword": f"データ連携実務{tag}",
            "title": program.title_ja,
            "program": program.id,
            "open": open_ts.id,
            "full": full.id,
            "done": done.id,
        }


@pytest.mark.parametrize("size", list(WIDTHS))
def test_employee_finds_registers_waits_cancels_and_reads_their_record(
    new_page, live_server, employee_month, size
):
    m = employee_month
    page = new_page(viewport={"width": WIDTHS[size], "height": 900})
    sign_in(page, m["email"])
    page.goto("/")
    _look(page, f"employee-home-{size}", f"employee home {size}")

    # Find the programme by a keyword.
    page.goto("/catalogue/")
    page.locator("#q").fill(m["keyword"])
    page.locator("main form").first.get_by_role("button", name="検索").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("研修 1件")
    _look(page, f"employee-search-{size}", f"catalogue search {size}")
    page.get_by_role("link", name=m["title"]).first.click()
    page.wait_for_url(re.compile(rf".*/catalogue/{m['program']}(\?.*)?$"))
    programme_row = page.locator("tr", has=page.locator(f"a[href='/sessions/{m['open']}']"))
    expect(programme_row.locator("td[data-label='残席／定員']")).to_have_text("3 / 3")
    _look(page, f"employee-programme-{size}", f"programme page {size}")

    # Register: the seats go down by one on every page.
    programme_row.locator(f"a[href='/sessions/{m['open']}']").click()
    page.wait_for_url(f"**/sessions/{m['open']}")
    assert _fact(page, "自市町が申し込める席") == "3"
    mine = page.locator("section[aria-labelledby=my-registration]")
    # They completed this programme at an earlier session: the page says so, and asks why
    # they take it again before it registers them.
    expect(mine).to_contain_text("受講済み（令和")
    mine.get_by_role("button", name="申し込む").click()
    expect(mine.locator(".status-enrolled")).to_have_count(0)  # the browser asks first
    mine.get_by_label("もう一度受講する理由").fill("新しい担当業務で再確認するため")
    mine.get_by_role("button", name="申し込む").click()
    page.wait_for_load_state()
    expect(mine.locator(".status-enrolled")).to_have_text("受講確定")
    assert _fact(page, "自市町が申し込める席") == "2"
    _look(page, f"employee-registered-{size}", f"registered {size}")
    page.goto(f"/catalogue/{m['program']}")
    expect(
        page.locator("tr", has=page.locator(f"a[href='/sessions/{m['open']}']")).locator(
            "td[data-label='残席／定員']"
        )
    ).to_have_text("2 / 3")
    cell = _list_cell(
        page, f"/sessions/?program={m['program']}", f"/sessions/{m['open']}", "残席／定員"
    )
    assert cell == "2 / 3"

    # The full session: join the waiting list and see the position everywhere.
    page.goto(f"/sessions/{m['full']}")
    assert _fact(page, "自市町が申し込める席") == "0"
    mine.get_by_label("もう一度受講する理由").fill("新しい担当業務で再確認するため")
    mine.get_by_role("button", name="キャンセル待ちに登録する").click()
    page.wait_for_load_state()
    expect(mine.locator(".status-waitlisted")).to_have_text("キャンセル待ち · 1番目")
    _look(page, f"employee-waiting-{size}", f"waiting list {size}")
    page.goto("/")
    expect(page.locator("section[aria-labelledby=work-waiting]")).to_contain_text(
        "キャンセル待ち1番目"
    )
    page.goto("/records/my-training")
    waiting_row = page.locator("tr", has=page.locator(f"a[href='/sessions/{m['full']}']"))
    expect(waiting_row).to_contain_text("1番目")
    _look(page, f"employee-my-training-{size}", f"my training {size}")

    # Cancel, after a confirmation that shows the deadline; the seat comes back.
    page.goto(f"/sessions/{m['open']}")
    mine.get_by_role("link", name="申込みを取り消す").click()
    page.wait_for_url(re.compile(r".*/registrations/\d+/cancel.*"))
    expect(page.locator("main")).to_contain_text("取消期限")
    _look(page, f"employee-cancel-confirm-{size}", f"cancel confirmation {size}")
    page.locator("main form[action$='/cancel']").get_by_role(
        "button", name="申込みを取り消す"
    ).click()
    page.wait_for_url(f"**/sessions/{m['open']}")
    assert _flash(page) == "申込みを取り消しました。"
    assert _fact(page, "自市町が申し込める席") == "3"
    expect(mine.get_by_role("button", name="申し込む")).to_be_visible()
    _look(page, f"employee-cancelled-{size}", f"after cancelling {size}")

    # Their own record (the 履歴 tab): the attended session and the completion; the waiting
    # place is on the 予定 tab, seen above.
    page.goto("/records/my-training/history")
    past = page.locator("section[aria-labelledby=past]")
    expect(past).to_contain_text(m["title"])
    expect(past).to_contain_text("出席")
    expect(past).not_to_contain_text("受講確定")
    expect(page.locator("section[aria-labelledby=completions]")).to_contain_text(m["title"])
    expect(page.locator("section[aria-labelledby=waiting]")).to_have_count(0)
    _look(page, f"employee-record-{size}", f"my record {size}")
