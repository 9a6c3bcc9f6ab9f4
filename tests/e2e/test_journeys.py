"""Whole journeys through the browser: registering, the waiting list, approval and export.

Each journey arranges its own programme, session and people on the live
database, so journeys never meet each other's seats. Every page visited is
audited with axe-core in the state the journey leaves it in.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import time
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from playwright.sync_api import expect

from regional.extensions import db
from regional.people.models import Role
from regional.registrations import actions
from tenants.scoping import acting_as
from tests import factories
from tests.e2e.helpers import audit, sign_in, sign_out

_n = itertools.count(1)


def _arrange(live_server, *, capacity: int, requires_approval: bool = False, people=()):
    """A new programme and session, and new people ``(municipality_id, name)``; returns ids/e-mails."""
    n = next(_n)
    with live_server.db():
        program = factories.make_program(
            f"E2E-{n}", title_ja=f"E2E 研修 {n}", title_en=f"E2E programme {n}"
        )
        ts = factories.make_session(
            program,
            capacity=capacity,
            requires_approval=requires_approval,
            starts_in=timedelta(days=30 + n),
        )
        emails = []
        for i, (municipality_id, name) in enumerate(people):
            user = factories.make_user(
                municipality_id, name=name, email=f"e2e{n}.{i}@example.lg.jp", role=Role.EMPLOYEE
            )
            emails.append(user.email)
        return ts.id, program.title_ja, program.title_en, emails


def _my_registration(page):
    return page.locator("section[aria-labelledby=my-registration]")


def _register(page, session_id: int) -> None:
    page.locator(f"form[action$='/session/{session_id}/register'] button[type=submit]").click()


def test_employee_registers_from_the_session_page(page, world, live_server):
    session_id, *_titles, (email,) = _arrange(
        live_server, capacity=5, people=[(world.muni_a, "E2E 登録 一郎")]
    )
    sign_in(page, email)
    page.goto(f"/sessions/{session_id}")
    audit(page, "session, not registered")

    _register(page, session_id)

    expect(_my_registration(page).locator(".status-enrolled")).to_be_visible()
    audit(page, "session, enrolled")
    page.goto("/records/my-training")
    expect(page.locator(f"a[href$='/sessions/{session_id}']").first).to_be_visible()
    audit(page, "my training, enrolled")


def test_a_freed_seat_goes_to_the_first_on_the_waiting_list(new_page, world, mailbox, live_server):
    session_id, title_ja, title_en, (first, second) = _arrange(
        live_server,
        capacity=1,
        people=[(world.muni_a, "E2E 先着 一郎"), (world.muni_a, "E2E 待機 二郎")],
    )
    one, two = new_page(), new_page()
    sign_in(one, first)
    one.goto(f"/sessions/{session_id}")
    _register(one, session_id)
    expect(_my_registration(one).locator(".status-enrolled")).to_be_visible()

    sign_in(two, second)
    two.goto(f"/sessions/{session_id}")
    _register(two, session_id)
    pill = _my_registration(two).locator(".status-waitlisted")
    expect(pill).to_be_visible()
    expect(pill).to_have_text(re.compile(r"(?<!\d)1(?!\d)"))  # position 1 on the waiting list
    audit(two, "session, waiting list")
    mails_before = len(mailbox.to(second))

    _my_registration(one).locator("a[href*='/cancel']").click()
    audit(one, "cancel confirmation")
    one.locator("form[action$='/cancel'] button[type=submit]").click()
    expect(_my_registration(one).locator(".status-enrolled")).to_have_count(0)
    audit(one, "session, after cancelling")

    two.reload()
    expect(_my_registration(two).locator(".status-enrolled")).to_be_visible()
    promoted = _subjects(live_server, "A seat became free for you: %(title)s", title_ja, title_en)
    new_mail = _wait_for_mail(mailbox, second, mails_before)
    assert [m["Subject"] for m in new_mail if m["Subject"] in promoted], (
        f"no promotion mail among {[m['Subject'] for m in new_mail]}"
    )


def test_coordinator_approves_a_request_and_downloads_the_list(new_page, world, live_server):
    session_id, *_titles, (mine, theirs) = _arrange(
        live_server,
        capacity=5,
        requires_approval=True,
        people=[(world.muni_a, "E2E 承認 三郎"), (world.muni_b, "E2E 他市 四郎")],
    )
    _request_in_other_municipality(live_server, session_id, theirs, world.muni_b)
    employee = new_page()
    sign_in(employee, mine)
    employee.goto(f"/sessions/{session_id}")
    _register(employee, session_id)
    expect(_my_registration(employee).locator(".status-pending")).to_be_visible()
    audit(employee, "session, awaiting approval")

    coordinator = new_page()
    sign_in(coordinator, world.emails["coordinator_a"])
    coordinator.goto("/registrations/")
    row = coordinator.locator("tr", has_text="E2E 承認 三郎")
    expect(row).to_be_visible()
    expect(coordinator.locator("tr", has_text="E2E 他市 四郎")).to_have_count(0)
    audit(coordinator, "coordinator registrations, a request waiting")

    row.locator("form[action$='/approve'] button[type=submit]").click()
    expect(coordinator.locator("tr", has_text="E2E 承認 三郎")).to_have_count(0)
    audit(coordinator, "coordinator registrations, after approving")

    coordinator.goto(f"/registrations/session/{session_id}")
    expect(
        coordinator.locator("tr", has_text="E2E 承認 三郎").locator(".status-enrolled")
    ).to_be_visible()
    audit(coordinator, "session registrants, coordinator")
    with coordinator.expect_download() as info:
        coordinator.locator("a[href$='/export.csv']").click()
    text = _decode(info.value.path().read_bytes())
    rows = list(csv.reader(io.StringIO(text)))
    assert any("E2E 承認 三郎" in cell for row in rows for cell in row), text[:500]
    assert "E2E 他市 四郎" not in text, "another municipality's registrant is in the export"
    assert "玉野" not in text, "another municipality's name is in the export"

    employee.reload()
    expect(_my_registration(employee).locator(".status-enrolled")).to_be_visible()
    sign_out(employee)


# ------------------------------------------------------------------------- helpers


def _request_in_other_municipality(live_server, session_id: int, email: str, muni: int) -> None:
    from sqlalchemy import select

    from regional.people.models import User

    with live_server.db(), acting_as(db.session, muni):
        person = db.session.scalar(select(User).where(User.email == email))
        actions.register(session_id, person, person)


def _subjects(live_server, msgid: str, title_ja: str, title_en: str) -> set[str]:
    """The subject in each language, as the app itself translates it."""
    out = set()
    with live_server.app.test_request_context():
        for locale, title in (("ja", title_ja), ("en", title_en)):
            with force_locale(locale):
                out.add(_("[Training portal] %(subject)s", subject=_(msgid, title=title)))
    return out


def _wait_for_mail(mailbox, address: str, before: int, seconds: float = 5.0) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        arrived = mailbox.to(address)[before:]
        if arrived:
            return arrived
        time.sleep(0.1)
    return []


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("the CSV is neither UTF-8 nor CP932")
