"""Attendance: the host's one-page roster and the spreadsheet upload (preview, then all or nothing)."""

from __future__ import annotations

import io
import re
from datetime import UTC, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from regional.attendance.models import Completion
from regional.extensions import db
from tests import factories
from tests.fixtures_registrations import english, register, registration


@pytest.fixture
def make(app):
    def _make(fn):
        with app.app_context():
            value = fn()
            db.session.commit()
            return value

    return _make


def started_session(**kw):
    return factories.make_session(
        starts_in=timedelta(hours=-1),
        opens_in=timedelta(days=-9),
        closes_in=timedelta(days=-1),
        **kw,
    )


@pytest.fixture
def roster(make, world):
    """A shared session that started an hour ago: employee_a, employee_a2 and employee_b enrolled."""

    def setup():
        ts = started_session()
        regs = [
            register(ts.id, e, world.admin).id
            for e in (world.employee_a, world.employee_a2, world.employee_b)
        ]
        return ts.id, regs

    return make(setup)


def marks(app, reg_ids: list[int]) -> list[bool | None]:
    with app.app_context():
        return [registration(r).attended for r in reg_ids]


def completed(app, session_id: int) -> set[int]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(Completion.employee_id)
                .where(Completion.session_id == session_id)
                .execution_options(all_tenants=True)
            )
        )


def text(resp) -> str:
    return resp.get_data(as_text=True)


def upload(client, session_id: int, body: bytes, name: str = "sheet.csv"):
    return client.form_post(
        f"/registrations/session/{session_id}/attendance/upload",
        {"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def confirm(client, session_id: int, preview_page: str):
    payload = re.search(r'name="payload" value="([^"]+)"', preview_page).group(1)
    return client.form_post(
        f"/registrations/session/{session_id}/attendance/confirm", {"payload": payload}
    )


# -- the page -----------------------------------------------------------------------------


def test_attendance_before_the_start_is_refused(as_admin, world, make, app):
    english(as_admin)

    def setup():
        ts = factories.make_session()
        return ts.id, register(ts.id, world.employee_a).id

    ts, reg = make(setup)
    page = text(as_admin.get(f"/registrations/session/{ts}/attendance"))
    assert "once the session has started" in page
    assert 'name="attended"' not in page
    resp = as_admin.form_post(
        f"/registrations/session/{ts}/attendance", {"registration": reg, "attended": reg}
    )
    assert resp.status_code == 302
    assert "once the session has started" in text(as_admin.get(resp.headers["Location"]))
    assert marks(app, [reg]) == [None]


def test_host_ticks_the_whole_roster_on_one_page(as_admin, world, roster, app):
    english(as_admin)
    ts, (a, a2, b) = roster
    page = text(as_admin.get(f"/registrations/session/{ts}/attendance"))
    for reg in (a, a2, b):
        assert f'<label for="att-{reg}">' in page
    assert "Tsuyama City" in page and "Tamano City" in page
    resp = as_admin.form_post(
        f"/registrations/session/{ts}/attendance",
        {"registration": [a, a2, b], "attended": [a, b]},
    )
    assert resp.status_code == 302
    assert marks(app, [a, a2, b]) == [True, False, True]
    assert completed(app, ts) == {world.employee_a, world.employee_b}
    assert "2 attended, 1 absent" in text(as_admin.get(resp.headers["Location"]))


def test_coordinator_records_their_own_people_at_a_shared_session(
    as_coordinator_a, roster, app, world
):
    english(as_coordinator_a)
    ts, (a, a2, b) = roster
    page = as_coordinator_a.get(f"/registrations/session/{ts}/attendance")
    assert page.status_code == 200
    html = text(page)
    # Only their own people are on their roster, and the page says who records the rest.
    assert f'<label for="att-{a}">' in html and f'<label for="att-{a2}">' in html
    assert f'<label for="att-{b}">' not in html and "玉野 次郎" not in html
    assert "You record attendance for the people of Tsuyama City only." in html
    resp = as_coordinator_a.form_post(
        f"/registrations/session/{ts}/attendance",
        {"registration": [a, a2], "attended": [a]},
    )
    assert resp.status_code == 302
    assert marks(app, [a, a2, b]) == [True, False, None]
    assert completed(app, ts) == {world.employee_a}


def test_coordinator_cannot_mark_another_members_people(as_coordinator_a, roster, app):
    english(as_coordinator_a)
    ts, (a, _a2, b) = roster
    resp = as_coordinator_a.form_post(
        f"/registrations/session/{ts}/attendance", {"registration": [a, b], "attended": [a, b]}
    )
    assert resp.status_code == 302  # refused whole, with the reason on the page
    assert marks(app, [a, b]) == [None, None]
    assert completed(app, ts) == set()


def test_employees_never_record_attendance(as_employee_a, roster, app):
    ts, (a, _a2, _b) = roster
    assert as_employee_a.get(f"/registrations/session/{ts}/attendance").status_code == 403
    resp = as_employee_a.form_post(
        f"/registrations/session/{ts}/attendance", {"registration": [a], "attended": [a]}
    )
    assert resp.status_code == 403
    assert marks(app, [a]) == [None]


def test_member_coordinator_hosts_their_own_session(as_coordinator_a, world, make, app):
    english(as_coordinator_a)

    def setup():
        ts = started_session(host_municipality_id=world.muni_a)
        return ts.id, register(ts.id, world.employee_a, world.admin).id

    ts, reg = make(setup)
    resp = as_coordinator_a.form_post(
        f"/registrations/session/{ts}/attendance", {"registration": [reg], "attended": [reg]}
    )
    assert resp.status_code == 302
    assert marks(app, [reg]) == [True]


# -- the spreadsheet -----------------------------------------------------------------------


def test_csv_by_registration_id_previews_then_saves(as_admin, world, roster, app):
    english(as_admin)
    ts, (a, a2, b) = roster
    body = f"登録ID,出席\r\n{a},出席\r\n{a2},欠席\r\n{b},\r\n".encode()
    preview = upload(as_admin, ts, body)
    assert preview.status_code == 200
    page = text(preview)
    assert "髙橋 太郎" in page and "𠮷野 花子" in page
    assert "No mark: left unchanged." in page
    assert marks(app, [a, a2, b]) == [None, None, None]  # nothing saved by the preview
    assert confirm(as_admin, ts, page).status_code == 302
    assert marks(app, [a, a2, b]) == [True, False, None]
    assert completed(app, ts) == {world.employee_a}


def test_shift_jis_csv_by_employee_number_and_municipality_code(as_admin, world, roster, app):
    english(as_admin)
    ts, (a, a2, b) = roster
    with app.app_context():
        numbers = {r: registration(r).employee.employee_number for r in (a, b)}
    body = (
        "市町村コード,職員番号,氏名,出席\r\n"
        f"332038,{numbers[a]},髙橋,○\r\n"
        f"332046,{numbers[b]},玉野,×\r\n"
    ).encode("cp932")
    page = text(upload(as_admin, ts, body))
    confirm(as_admin, ts, page)
    assert marks(app, [a, a2, b]) == [True, None, False]


def test_xlsx_by_email(as_admin, world, roster, app):
    english(as_admin)
    ts, (a, a2, b) = roster
    wb = Workbook()
    ws = wb.active
    ws.append(["E-mail", "Attended"])
    ws.append([world.emails["employee_a2"], "yes"])
    ws.append([world.emails["employee_b"].upper(), 1])
    buf = io.BytesIO()
    wb.save(buf)
    page = text(upload(as_admin, ts, buf.getvalue(), "attendance.xlsx"))
    assert confirm(as_admin, ts, page).status_code == 302
    assert marks(app, [a, a2, b]) == [None, True, True]


def test_malformed_sheet_reports_every_bad_row_and_changes_nothing(as_admin, world, roster, app):
    english(as_admin)
    ts, (a, a2, b) = roster
    body = (
        "登録ID,メールアドレス,職員番号,出席\r\n"
        f"{a},,,出席\r\n"  # line 2: fine
        "abc,,,出席\r\n"  # line 3: not a number
        "999999,,,出席\r\n"  # line 4: not in this session
        ",nobody@example.lg.jp,,出席\r\n"  # line 5: unknown e-mail
        f"{a2},,,maybe\r\n"  # line 6: mark not understood
        f"{a},,,欠席\r\n"  # line 7: same person again
        ",,E999,出席\r\n"  # line 8: number without municipality code
        ",,,出席\r\n"  # line 9: nobody named
    ).encode()
    resp = upload(as_admin, ts, body)
    assert resp.status_code == 422
    page = re.sub(r' data-label="[^"]*"', "", text(resp))
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>', page)
    assert [(int(line), column) for line, column, _msg in rows] == [
        (3, "登録ID"),
        (4, "登録ID"),
        (5, "メールアドレス"),
        (6, "出席"),
        (7, "登録ID"),
        (8, "市町コード"),
        (9, "職員番号"),
    ]
    assert "nothing has been saved" in page
    assert 'name="payload"' not in page
    assert marks(app, [a, a2, b]) == [None, None, None]


def test_sheet_without_an_attendance_column_is_refused_at_the_header(as_admin, roster, app):
    english(as_admin)
    ts, (a, _a2, _b) = roster
    resp = upload(as_admin, ts, f"登録ID,氏名\r\n{a},x\r\n".encode())
    assert resp.status_code == 422
    assert re.search(r'<td class="num"[^>]*>1</td><td[^>]*>出席</td>', text(resp))


@pytest.mark.parametrize(
    ("body", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", "neither CSV text nor an XLSX"),
        (b"PK\x03\x04 this is not really a zip", "sheet.xlsx", "not a readable XLSX"),
        ("登録ID,出席\r\n".encode("utf-16"), "sheet.csv", "neither CSV text nor an XLSX"),
        (b"", "empty.csv", "The file is empty."),
    ],
)
def test_files_that_are_not_spreadsheets_are_refused(as_admin, roster, body, name, message):
    english(as_admin)
    ts, _regs = roster
    resp = upload(as_admin, ts, body, name)
    assert resp.status_code == 302
    assert message in text(as_admin.get(resp.headers["Location"]))


def test_confirmation_checks_the_roster_again(as_admin, as_coordinator_a, world, roster, app):
    english(as_coordinator_a, as_admin)
    ts, (a, a2, _b) = roster
    page = text(upload(as_admin, ts, f"登録ID,出席\r\n{a},1\r\n{a2},1\r\n".encode()))
    # Before the host confirms, A's coordinator withdraws one of the two.
    as_coordinator_a.form_post(f"/registrations/{a2}/cancel")
    resp = confirm(as_admin, ts, page)
    assert resp.status_code == 422
    assert "No enrolled registration of this session has this ID." in text(resp)
    assert marks(app, [a]) == [None]


def test_a_forged_preview_is_refused(as_admin, roster, app):
    english(as_admin)
    ts, (a, _a2, _b) = roster
    resp = as_admin.form_post(
        f"/registrations/session/{ts}/attendance/confirm", {"payload": "eyJ1IjoxfQ.forged"}
    )
    assert resp.status_code == 302
    assert "expired" in text(as_admin.get(resp.headers["Location"]))
    assert marks(app, [a]) == [None]


def test_uploads_over_the_size_limit_are_refused(as_admin, roster):
    english(as_admin)
    ts, _regs = roster
    resp = upload(as_admin, ts, b"a" * (5 * 1024 * 1024 + 10))
    assert resp.status_code == 413


def test_coordinator_uploads_their_own_peoples_attendance(as_coordinator_a, roster, app, world):
    english(as_coordinator_a)
    ts, (a, a2, b) = roster
    preview = upload(as_coordinator_a, ts, f"登録ID,出席\r\n{a},出席\r\n{a2},欠席\r\n".encode())
    assert preview.status_code == 200
    assert confirm(as_coordinator_a, ts, text(preview)).status_code == 302
    assert marks(app, [a, a2, b]) == [True, False, None]
    # Another member's registration in the sheet is refused in the preview; nothing is saved.
    refused = upload(as_coordinator_a, ts, f"登録ID,出席\r\n{b},出席\r\n".encode())
    assert refused.status_code == 422
    assert marks(app, [b]) == [None]


def _completions_on(employee_id: int, day) -> list[Completion]:
    """The person's completions dated ``day``, whatever the current municipality."""
    return db.session.scalars(
        select(Completion)
        .where(Completion.employee_id == employee_id, Completion.completed_on == day)
        .execution_options(all_tenants=True)
    ).all()


def test_two_sessions_of_one_programme_on_one_day_make_one_completion(make, world, app):
    """Morning and afternoon sessions of the same programme, the same person at both: the
    second attendance finds the first one's completion (one per person, programme and day)
    instead of breaking the database's one-per-day rule with a 500."""
    from datetime import datetime, time

    from regional.attendance.recording import record_attendance
    from regional.fiscal import now_utc
    from regional.people.models import User
    from tenants import all_tenants

    day = (now_utc() - timedelta(days=10)).date()
    morning = datetime.combine(day, time(1, 0), tzinfo=UTC)  # 10:00 in Japan
    afternoon = datetime.combine(day, time(5, 0), tzinfo=UTC)  # 14:00 in Japan

    def setup():
        program = factories.make_program("ATT-TWICE")
        ids = []
        for starts in (morning, afternoon):
            ts = factories.make_session(
                program,
                starts_in=starts - now_utc().replace(microsecond=0),
                opens_in=timedelta(days=-30),
                closes_in=timedelta(days=-20),
            )
            ids.append((ts.id, register(ts.id, world.employee_b, world.admin).id))
        return ids

    (s1, r1), (s2, r2) = make(setup)
    with app.app_context():
        with all_tenants(db.session):
            admin = db.session.get(User, world.admin)
        assert record_attendance(s1, [(r1, True)], admin) == (1, 0)
        db.session.commit()
        assert record_attendance(s2, [(r2, True)], admin) == (1, 0)
        db.session.commit()
        done = _completions_on(world.employee_b, day)
    assert len(done) == 1
    assert marks(app, [r1, r2]) == [True, True]
    # The morning was a mistake: the afternoon still stands for the day.
    with app.app_context():
        with all_tenants(db.session):
            admin = db.session.get(User, world.admin)
        assert record_attendance(s1, [(r1, False)], admin) == (0, 1)
        db.session.commit()
        done = _completions_on(world.employee_b, day)
    assert [c.registration_id for c in done] == [r2]
