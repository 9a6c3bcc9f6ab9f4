"""Hostile input: every finding of the late-November attack, as a regression test.

Each answer must be a 4xx with a JSON or page error (never a 500), must change
nothing, and must not leak a secret into the logs. Runs on SQLite and on
PostgreSQL (``TEST_DATABASE_URL``), like the rest of the suite.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from datetime import timedelta

import pytest
from flask_login import decode_cookie
from icalendar import Calendar
from openpyxl import Workbook
from sqlalchemy import select

from regional.auth import tokens
from regional.extensions import db
from regional.people.models import User
from regional.seats.models import Registration
from regional.sessions.models import SeatAllocation, TrainingSession
from tenants import all_tenants
from tests import factories
from tests.conftest import PASSWORD
from tests.fixtures_auth import STRONG, find_user, update_user
from tests.fixtures_registrations import person, register
from tests.fixtures_sessions import count, session_form, within

A, B = "332038", "332046"
EN = {"Accept-Language": "en"}


def error(resp) -> dict:
    body = resp.get_json()
    assert body and "error" in body, resp.get_data(as_text=True)[:300]
    return body["error"]


# -- 1. sign-in: a wrong password answers like an unknown account -------------------


def test_the_base_world_is_shaped_like_real_people(app, world):
    with app.app_context(), all_tenants(db.session):
        for key in ("employee_a", "employee_a2", "coordinator_a", "employee_b", "admin"):
            user = db.session.get(User, getattr(world, key))
            assert user.org_unit is not None, key
            assert user.job_category is not None, key


def test_api_wrong_password_answers_exactly_like_an_unknown_account(api, world, caplog):
    caller = api(None)
    caplog.set_level(logging.WARNING, logger="regional.audit")
    known = caller.post(
        "/auth/token",
        json={"email": world.emails["employee_a"], "password": "wrong password 1"},
        headers=EN,
    )
    unknown = caller.post(
        "/auth/token",
        json={"email": "nobody@city.tsuyama.lg.jp", "password": "wrong password 1"},
        headers=EN,
    )
    assert known.status_code == unknown.status_code == 401
    assert known.get_json() == unknown.get_json()
    assert error(known)["code"] == "invalid_credentials"
    failed = [r.getMessage() for r in caplog.records if "sign-in failed" in r.getMessage()]
    assert any(f"account={world.employee_a} " in m and "reason=password" in m for m in failed)
    assert any("account=- " in m and "reason=no_account" in m for m in failed)


def test_page_wrong_password_answers_exactly_like_an_unknown_account(client, world):
    def attempt(email: str) -> tuple[int, str]:
        resp = client.form_post(
            "/login", {"email": email, "password": "wrong password 1"}, headers=EN
        )
        text = re.sub(r'value="[^"]*"', "", resp.get_data(as_text=True))
        return resp.status_code, text.replace(email, "EMAIL")

    assert attempt(world.emails["coordinator_a"]) == attempt("nobody@city.tsuyama.lg.jp")
    status, page = attempt(world.emails["coordinator_a"])
    assert status == 401 and "The e-mail address or password is not correct." in page


def test_a_wrong_password_costs_a_hash_like_an_unknown_account(app, world, monkeypatch):
    """Same timing class: an unknown address still pays one password verification."""
    from regional.auth import passwords

    calls = []
    real = passwords._hasher

    def counting():
        hasher = real()
        calls.append(hasher)
        return hasher

    monkeypatch.setattr(passwords, "_hasher", counting)
    caller = app.test_client()
    for email in (world.emails["employee_a"], "nobody@city.tsuyama.lg.jp"):
        calls.clear()
        caller.post("/api/v1/auth/token", json={"email": email, "password": "nope nope 1"})
        assert len(calls) >= 1, email


# -- 2. spreadsheets -----------------------------------------------------------------


def _bomb() -> bytes:
    wb = Workbook()
    wb.active.append(["登録ID", "出席"])
    out = io.BytesIO()
    wb.save(out)
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    tiny = b'<row><c t="inlineStr"><is><t>1</t></is></c></row>'
    sheet = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>' + tiny * 2_000_000 + b"</sheetData></worksheet>"
    )
    dst_bytes = io.BytesIO()
    with zipfile.ZipFile(dst_bytes, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = sheet if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            dst.writestr(info.filename, body)
    return dst_bytes.getvalue()


def test_a_spreadsheet_bomb_is_refused_quickly_on_every_upload_page(app, as_admin):
    with within(app):
        ts_id = factories.make_session(
            starts_in=timedelta(hours=-1),
            opens_in=timedelta(days=-9),
            closes_in=timedelta(days=-1),
        ).id
    bomb = _bomb()
    for url in (
        f"/registrations/session/{ts_id}/attendance/upload",
        "/registrations/completions/import",
    ):
        resp = as_admin.form_post(
            url,
            {"file": (io.BytesIO(bomb), "sheet.xlsx")},
            content_type="multipart/form-data",
            headers=EN,
        )
        assert resp.status_code < 500
        page = resp.get_data(as_text=True)
        if resp.status_code == 302:
            page = as_admin.get(resp.headers["Location"], headers=EN).get_data(as_text=True)
        assert "unpacks to" in page


# -- 3. control characters in human text ----------------------------------------------


@pytest.mark.parametrize("name", ["a\r\nb", "A\rBEGIN:VEVENT", "evil\u202etxt.exe", "x\u2028y"])
def test_api_refuses_control_characters_in_a_name(app, api, world, name):
    resp = api(world.emails["coordinator_a"]).post(
        f"/municipalities/{A}/employees",
        json={"email": "new.person@city.tsuyama.lg.jp", "name": name, "employee_number": "Z-1"},
        headers=EN,
    )
    assert resp.status_code == 400
    assert error(resp)["code"] == "invalid_field"
    assert error(resp)["field"] == "name"
    assert find_user(app, "new.person@city.tsuyama.lg.jp") is None


@pytest.mark.parametrize("name", ["a\r\nb", "evil\u202etxt"])
def test_people_form_refuses_control_characters_in_a_name(app, as_coordinator_a, name):
    resp = as_coordinator_a.form_post(
        "/people/new",
        {
            "name": name,
            "name_kana": "",
            "email": "new.person@city.tsuyama.lg.jp",
            "employee_number": "Z-2",
            "job_category": "administrative",
            "org_unit_id": "",
        },
        headers=EN,
    )
    assert resp.status_code in (200, 400)
    assert "Remove the invisible control characters." in resp.get_data(as_text=True)
    assert find_user(app, "new.person@city.tsuyama.lg.jp") is None


def test_session_form_refuses_a_venue_with_a_line_break(app, as_admin):
    with within(app):
        program_id = factories.make_program().id
        before = count(TrainingSession)
    resp = as_admin.form_post(
        "/sessions/new", session_form(program_id, venue="Room 1\r\nBEGIN:VEVENT"), headers=EN
    )
    assert resp.status_code in (200, 400, 422)
    assert "Remove the invisible control characters." in resp.get_data(as_text=True)
    with within(app):
        assert count(TrainingSession) == before


def test_a_stored_bad_name_does_not_break_the_calendar_feed(app, client, world):
    """Rows written before the rule: the feed answers, and no forged line appears."""
    update_user(app, world.emails["employee_b"], name="A\rBEGIN:VEVENT\r\nX-EVIL:1\u202e")
    with within(app):
        ts = factories.make_session(starts_in=timedelta(days=5))
        ts.venue = "Hall\r\nBEGIN:VALARM"
        register(ts.id, world.employee_b)
        token = person(world.employee_b).calendar_token
    resp = client.get(f"/registrations/feed/{token}.ics")
    assert resp.status_code == 200
    body = resp.get_data()
    assert b"\rBEGIN:VEVENT\r\nX-EVIL" not in body and b"\nX-EVIL:1" not in body
    assert b"\nBEGIN:VALARM" not in body
    cal = Calendar.from_ical(body)
    assert "BEGIN:VEVENT" in str(cal["X-WR-CALNAME"])  # kept as text, on its own line
    assert len(list(cal.walk("VEVENT"))) == 1


# -- 4. secrets in logs -------------------------------------------------------------


def test_error_logs_mask_the_calendar_feed_token(app, client, world, caplog, monkeypatch):
    with within(app):
        token = person(world.employee_a).calendar_token
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)

    def boom(*args, **kwargs):
        raise RuntimeError("feed failed")

    monkeypatch.setattr("regional.registrations.views.feed_ics", boom)
    caplog.set_level(logging.INFO)
    resp = client.get(f"/registrations/feed/{token}.ics?token={token}")
    assert resp.status_code == 500
    lines = [r.getMessage() for r in caplog.records]
    assert any("unhandled error path=/registrations/feed/[redacted]" in m for m in lines)
    assert not any(token in m for m in lines)


def test_a_traceback_quoting_a_reset_link_does_not_log_the_token(
    app, client, world, caplog, monkeypatch
):
    """The exception's message (and its cause's) name the link; the logged traceback masks it."""
    import io

    with app.app_context(), all_tenants(db.session):
        link = tokens.make_token(db.session.get(User, world.employee_a), tokens.RESET)
    with within(app):
        feed = person(world.employee_a).calendar_token
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)

    def boom(*args, **kwargs):
        try:
            raise ConnectionError(f"relay refused /password/reset/{link}")
        except ConnectionError as exc:
            raise RuntimeError(
                f"could not mail http://127.0.0.1:5000/password/reset/{link}?token={link}"
            ) from exc

    monkeypatch.setattr("regional.registrations.views.feed_ics", boom)
    console = io.StringIO()
    handler = logging.StreamHandler(console)  # as production's basicConfig prints them
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    caplog.set_level(logging.INFO)
    try:
        assert client.get(f"/registrations/feed/{feed}.ics").status_code == 500
    finally:
        logging.getLogger().removeHandler(handler)
    for output in (caplog.text, console.getvalue()):
        assert "Traceback (most recent call last)" in output
        assert (
            "RuntimeError: could not mail http://127.0.0.1:5000/password/reset/[redacted]" in output
        )
        assert "ConnectionError: relay refused /password/reset/[redacted]" in output
        assert link not in output and feed not in output


def test_refusal_logs_mask_tokens_and_escape_line_breaks(client, caplog):
    caplog.set_level(logging.INFO, logger="regional.audit")
    client.get("/registrations/feed/Zm9vYmFyYmF6MTIzNDU2Nzg5MGFiY2RlZg.ics")
    client.get("/people/1%0d%0aFORGED")
    lines = [r.getMessage() for r in caplog.records]
    assert not any("Zm9vYmFyYmF6MTIzNDU2Nzg5MGFiY2RlZg" in m for m in lines)
    assert not any("\n" in m or "\r" in m for m in lines)


# -- 5. numbers and dates out of range ---------------------------------------------


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/people/{HUGE}",
        f"/people/{HUGE}/edit",
        f"/people/units/{HUGE}/edit",
        f"/sessions/{HUGE}",
        f"/sessions/{HUGE}/edit",
        f"/catalogue/{HUGE}",
        f"/registrations/{HUGE}.ics",
        f"/registrations/session/{HUGE}",
        "/sessions/2147483648",
        "/people/" + "9" * 5000,
    ],
)
def test_huge_ids_in_page_addresses_are_not_found(as_admin, path):
    assert as_admin.get(path).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/sessions/{HUGE}"),
        ("GET", f"/programs/{HUGE}"),
        ("GET", f"/registrations/{HUGE}"),
        ("DELETE", f"/registrations/{HUGE}"),
        ("POST", f"/sessions/{HUGE}/registrations"),
    ],
)
def test_huge_ids_in_api_addresses_are_json_404(api, world, method, path):
    resp = api(world.emails["admin"])._call(method, path, json={})
    assert resp.status_code == 404
    assert error(resp)["code"] == "not_found"


@pytest.mark.parametrize(
    "query",
    [
        "page=1e20",
        f"page={HUGE}",
        "page=1.5",
        "per_page=1e3",
        f"per_page={HUGE}x",
    ],
)
def test_api_paging_out_of_range_is_400(api, world, query):
    for path in (
        "/sessions",
        f"/municipalities/{A}/employees",
        f"/municipalities/{A}/registrations",
    ):
        resp = api(world.emails["admin"]).get(f"{path}?{query}")
        assert resp.status_code == 400, (path, query)
        assert error(resp)["code"] == "invalid_paging"


@pytest.mark.parametrize("query", ["page=1e20", f"page={HUGE}", "page=-5"])
def test_page_paging_out_of_range_shows_a_page(as_admin, query):
    assert as_admin.get(f"/sessions/?{query}").status_code == 200
    assert as_admin.get(f"/registrations/?{query}").status_code == 200


@pytest.mark.parametrize(
    ("path", "code"),
    [
        (f"/municipalities/{A}/registrations?fiscal_year=-1", "invalid_field"),
        (f"/municipalities/{A}/registrations?fiscal_year={HUGE}", "invalid_field"),
        (f"/municipalities/{A}/registrations?session_id={HUGE}", "invalid_field"),
        ("/sessions?to=0001-01-01", "invalid_filter"),
        ("/sessions?from=0001-01-01T00:00", "invalid_filter"),
        ("/sessions?to=9999-12-31", "invalid_filter"),
        (f"/sessions?program_id={HUGE}", "invalid_filter"),
    ],
)
def test_api_filters_out_of_range_are_400(api, world, path, code):
    resp = api(world.emails["admin"]).get(path)
    assert resp.status_code == 400
    assert error(resp)["code"] == code


def test_a_huge_employee_id_in_a_body_is_400_and_registers_nobody(app, api, world):
    with within(app):
        ts_id = factories.make_session().id
    resp = api(world.emails["admin"]).post(
        f"/sessions/{ts_id}/registrations", json={"employee_id": 2**70}
    )
    assert resp.status_code == 400
    assert error(resp)["code"] == "invalid_field"
    with within(app), all_tenants(db.session):
        assert not db.session.scalars(
            select(Registration).where(Registration.session_id == ts_id)
        ).all()


def test_api_session_times_in_year_one_are_400(app, api, world):
    with within(app):
        program_id = factories.make_program().id
    resp = api(world.emails["admin"]).post(
        "/sessions",
        json={
            "program_id": program_id,
            "starts_at": "0001-01-01T10:00",
            "ends_at": "0001-01-01T12:00",
            "venue": "x",
            "capacity": 5,
            "registration_opens_at": "0001-01-01T00:00",
            "registration_closes_at": "0001-01-01T01:00",
            "requires_approval": False,
        },
    )
    assert resp.status_code == 400
    assert error(resp)["code"] == "invalid_field"


def test_admin_cancellation_deadline_in_year_one_is_a_form_error(app, as_admin):
    with within(app):
        program_id = factories.make_program().id
        before = count(TrainingSession)
    resp = as_admin.form_post(
        "/sessions/new",
        session_form(program_id, cancellation_deadline="0001-01-01T00:00"),
        headers=EN,
    )
    assert resp.status_code in (200, 400, 422)
    assert "Enter a date between 1900-01-01 and 2199-12-31." in resp.get_data(as_text=True)
    with within(app):
        assert count(TrainingSession) == before


def test_admin_release_day_in_year_one_is_a_form_error(app, as_admin):
    with within(app):
        ts_id = factories.make_session(capacity=5).id
    resp = as_admin.form_post(
        f"/sessions/{ts_id}/allocations/{A}", {"seats": "2", "release_on": "0001-01-01"}, headers=EN
    )
    assert resp.status_code < 500
    page = resp.get_data(as_text=True)
    if resp.status_code == 302:
        page = as_admin.get(resp.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Enter a date between 1900-01-01 and 2199-12-31." in page
    with within(app):
        assert count(SeatAllocation) == 0


def test_api_release_at_in_year_one_is_400(app, api, world):
    with within(app):
        ts_id = factories.make_session(capacity=5).id
    resp = api(world.emails["admin"])._call(
        "PUT",
        f"/sessions/{ts_id}/reservations/{A}",
        json={"seats": 2, "release_at": "0001-01-01T00:00"},
    )
    assert resp.status_code == 400
    with within(app):
        assert count(SeatAllocation) == 0


@pytest.mark.parametrize(
    "path", ["/people/?q=%00", "/sessions/?month=%00", "/login?next=%00", "/catalogue/?q=a%00b"]
)
def test_nul_bytes_in_queries_are_400(as_admin, path):
    assert as_admin.get(path).status_code == 400


def test_nul_bytes_in_a_municipality_code_or_an_email_are_400(api, client, world):
    assert api(world.emails["admin"]).get("/municipalities/33%0038/employees").status_code == 400
    resp = client.form_post("/login", {"email": "a\x00@city.tsuyama.lg.jp", "password": "x"})
    assert resp.status_code == 400
    resp = api(None).post("/auth/token", json={"email": "a\x00b@x.jp", "password": "x"})
    assert resp.status_code in (400, 401)


# -- 6. malformed JSON -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b'{"email": "\\ud800@x.jp", "password": "x"}',
        b'{"email": "a@x.jp", "password": "\\udfff"}',
        b'{"\\ud800": 1}',
        b"{not json",
    ],
)
def test_malformed_json_is_400_without_sign_in(api, body):
    resp = api(None).post(
        "/auth/token", data=body, headers={"Content-Type": "application/json", **EN}
    )
    assert resp.status_code == 400
    assert error(resp)["code"] == "malformed_json"


def test_malformed_json_is_400_for_a_signed_in_caller_too(app, api, world):
    with within(app):
        ts_id = factories.make_session().id
    resp = api(world.emails["admin"]).post(
        f"/sessions/{ts_id}/registrations",
        data=b"[" * 5000 + b"]" * 5000,
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 400
    assert error(resp)["code"] == "malformed_json"


# -- 7. remember-me has a server-checked age, and changes at each sign-in ----------


def _remember(client, email: str) -> str:
    token = client.csrf_token()
    resp = client.post(
        "/login", data={"email": email, "password": PASSWORD, "remember": "y", "csrf_token": token}
    )
    assert resp.status_code == 302
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    return cookie.value


def _only_remember_cookie(app, value: str):
    from tests.conftest import Client

    app.test_client_class = Client
    fresh = app.test_client()
    fresh.set_cookie("remember_token", value)
    return fresh


def test_remember_me_signs_in_while_young_and_not_when_old(app, world, monkeypatch):
    from tests.conftest import Client

    app.test_client_class = Client
    value = _remember(app.test_client(), world.emails["employee_a"])
    assert _only_remember_cookie(app, value).get("/").status_code == 200

    import regional.auth.loader as loader

    real_now = loader.now_utc
    monkeypatch.setattr(loader, "now_utc", lambda: real_now() + timedelta(days=15))
    assert _only_remember_cookie(app, value).get("/").status_code == 302


def test_remember_me_cookie_changes_at_each_sign_in(app, world, monkeypatch):
    from tests.conftest import Client

    app.test_client_class = Client
    first = _remember(app.test_client(), world.emails["employee_a"])
    import regional.people.models as models

    real = models.utcnow
    monkeypatch.setattr(models, "utcnow", lambda: real() + timedelta(seconds=5))
    second = _remember(app.test_client(), world.emails["employee_a"])
    assert first != second
    with app.test_request_context():
        assert decode_cookie(first) != decode_cookie(second)


# -- 8. the calendar feed after "sign out everywhere" and a password reset ----------


def _feed_token(app, world) -> str:
    with within(app):
        return person(world.employee_a).calendar_token


def test_sign_out_everywhere_revokes_the_feed(app, as_employee_a, client, world):
    old = _feed_token(app, world)
    assert client.get(f"/registrations/feed/{old}.ics").status_code == 200
    assert as_employee_a.form_post("/logout/everywhere").status_code == 302
    assert client.get(f"/registrations/feed/{old}.ics").status_code == 404
    new = _feed_token(app, world)
    assert new != old
    assert client.get(f"/registrations/feed/{new}.ics").status_code == 200


def test_a_plain_sign_out_keeps_the_feed(app, as_employee_a, client, world):
    old = _feed_token(app, world)
    assert as_employee_a.form_post("/logout").status_code == 302
    assert client.get(f"/registrations/feed/{old}.ics").status_code == 200


def test_a_password_reset_revokes_the_feed(app, client, world):
    old = _feed_token(app, world)
    with app.app_context(), all_tenants(db.session):
        link = tokens.make_token(db.session.get(User, world.employee_a), tokens.RESET)
    resp = client.form_post(
        f"/password/reset/{link}", {"password": STRONG, "confirm": STRONG}, headers=EN
    )
    assert resp.status_code == 302
    assert client.get(f"/registrations/feed/{old}.ics").status_code == 404
    assert _feed_token(app, world) != old


def test_the_pages_say_what_revokes_the_feed(as_employee_a):
    mine = as_employee_a.get("/records/my-training", headers=EN).get_data(as_text=True)
    assert "Signing out everywhere and resetting your password also replace this address" in mine
    page = as_employee_a.get("/logout/everywhere", headers=EN).get_data(as_text=True)
    assert "Your calendar feed address is replaced too" in page


# -- 9. CSV exports -------------------------------------------------------------------


def test_csv_exports_name_their_charset_once(app, as_admin, world):
    with within(app):
        ts_id = factories.make_session().id
        register(ts_id, world.employee_a)
    resp = as_admin.get(f"/registrations/session/{ts_id}/export.csv")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    resp = as_admin.get("/registrations/export?fiscal_year=2026&format=csv")
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_a_huge_employee_id_in_a_staff_form_registers_nobody(app, as_coordinator_a, world):
    with within(app):
        ts_id = factories.make_session(host_municipality_id=world.muni_a).id
    resp = as_coordinator_a.form_post(
        f"/registrations/session/{ts_id}/register-staff", {"employee_id": HUGE}
    )
    assert resp.status_code == 302
    with within(app), all_tenants(db.session):
        assert not db.session.scalars(
            select(Registration).where(Registration.session_id == ts_id)
        ).all()


# -- 10. numbers that str.isdigit() takes and int() does not -------------------------


#: ``²`` and ``٣`` pass ``isdigit()``; only ASCII and full-width digits are numbers.
NOT_NUMBERS = ["²", "٣", "9" * 25, "-1", "1e20", ""]


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_bulk_approval_naming_no_request_is_404_and_changes_nothing(
    app, as_coordinator_a, world, value
):
    with within(app):
        ts = factories.make_session(requires_approval=True)
        reg_id = register(ts.id, world.employee_a).id
    resp = as_coordinator_a.form_post(
        "/registrations/bulk", {"reg_id": [str(reg_id), value], "action": "approve"}
    )
    assert resp.status_code == 404
    with within(app), all_tenants(db.session):
        assert db.session.get(Registration, reg_id).status.value == "pending"


def test_a_bulk_approval_reads_a_full_width_id(app, as_coordinator_a, world):
    with within(app):
        ts = factories.make_session(requires_approval=True)
        reg_id = register(ts.id, world.employee_a).id
    wide = str(reg_id).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    resp = as_coordinator_a.form_post("/registrations/bulk", {"reg_id": wide, "action": "approve"})
    assert resp.status_code == 302
    with within(app), all_tenants(db.session):
        assert db.session.get(Registration, reg_id).status.value == "enrolled"


@pytest.mark.parametrize("value", [*NOT_NUMBERS, "２"])
def test_a_new_session_form_ignores_a_programme_that_is_no_id(as_admin, value):
    assert as_admin.get(f"/sessions/new?program={value}").status_code == 200


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_inviting_people_who_are_no_ids_is_a_form_error(app, as_coordinator_a, world, value):
    from regional.catalogue.models import Program
    from tests.fixtures_targets import target

    with within(app):
        target(world.muni_a, "security", 10, start=2024)
        program = db.session.scalar(select(Program).where(Program.code == "GEN-SEC-101"))
        ts_id = factories.make_session(program, starts_in=timedelta(days=20)).id
    resp = as_coordinator_a.form_post(
        f"/progress/m/{A}/t/security/invite",
        {"session_id": str(ts_id), "people": value},
        headers=EN,
    )
    assert resp.status_code == 302
    page = as_coordinator_a.get(resp.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Choose a session and at least one person." in page


def test_a_municipality_code_typed_in_full_width_names_the_same_member(
    api, as_coordinator_a, world
):
    wide = A.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert (
        api(world.emails["coordinator_a"]).get(f"/municipalities/{wide}/employees").status_code
        == 200
    )
    assert as_coordinator_a.get(f"/progress/m/{wide}").status_code == 200
    for other in (
        "³³²⁰³⁸",
        "٣٣٢٠٣٨",
        B.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    ):
        assert (
            api(world.emails["coordinator_a"]).get(f"/municipalities/{other}/employees").status_code
            == 404
        )
