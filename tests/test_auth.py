"""Sign-in and sessions: a new session on sign-in, sign-out ends it, revocation reaches every
session at its next request, and the audit log says who without saying secrets."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from regional.people.models import AccountStatus
from tests.conftest import PASSWORD, Client
from tests.fixtures_auth import find_user, update_user

WRONG = "certainly not the password 1"


def _set_cookies(resp, name: str) -> list[str]:
    return [c for c in resp.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]


def _login(client: Client, email: str, password: str = PASSWORD, remember: bool = False):
    data = {"email": email, "password": password, "csrf_token": client.csrf_token()}
    if remember:
        data["remember"] = "y"
    resp = client.post("/login", data=data)
    client._signed_in = resp.status_code == 302
    return resp


@pytest.fixture
def fresh(app):
    """A new browser."""

    def make() -> Client:
        app.test_client_class = Client
        return app.test_client()

    return make


def _flash(resp) -> str:
    return re.search(r'class="flash[^"]*"[^>]*>([^<]+)<', resp.get_data(as_text=True)).group(1)


def test_sign_in_starts_a_new_session(client, world):
    client.get("/login")
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
        before_token = s.get("csrf_token")
    assert before_token
    resp = _login(client, world.emails["employee_a"])
    assert resp.status_code == 302
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s.get("csrf_token") != before_token
        assert s.get("_user_id", "").startswith("332038.")


def test_sign_in_keeps_the_chosen_language(client, world):
    client.form_post("/language", {"lang": "en", "next": "/login"})
    _login(client, world.emails["employee_a"])
    with client.session_transaction() as s:
        assert s.get("lang") == "en"


def test_remember_me_cookie_is_http_only_same_site_and_short_lived(client, world):
    resp = _login(client, world.emails["employee_a"], remember=True)
    cookies = _set_cookies(resp, "remember_token")
    assert len(cookies) == 1
    cookie = cookies[0]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert expires - datetime.now(UTC) < timedelta(days=15)


def test_without_remember_me_no_lasting_cookie_is_set(client, world):
    resp = _login(client, world.emails["employee_a"])
    assert _set_cookies(resp, "remember_token") == []
    session_cookie = _set_cookies(resp, "regional_session")[0]
    assert "Expires=" not in session_cookie  # gone when the browser closes


def test_remember_me_cookie_alone_signs_in_until_sessions_are_revoked(app, client, fresh, world):
    _login(client, world.emails["employee_a"], remember=True)
    remembered = client.get_cookie("remember_token").value
    other = fresh()
    other.set_cookie("remember_token", remembered)
    assert other.get("/").status_code == 200
    update_user(app, world.emails["employee_a"], session_version=2)
    later = fresh()
    later.set_cookie("remember_token", remembered)
    assert later.get("/").status_code == 302


def test_sign_out_ends_the_session_and_every_copy_of_its_cookie(app, signed_in, world):
    email = world.emails["employee_a"]
    here = signed_in(email)
    copied = here.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    version = find_user(app, email).session_version
    resp = here.form_post("/logout")
    assert resp.status_code == 302
    assert here.get("/").status_code == 302
    with here.session_transaction() as s:
        assert "_user_id" not in s
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    assert thief.get("/").status_code == 302  # the copied cookie no longer signs anyone in
    assert find_user(app, email).session_version == version + 1


def test_sign_out_clears_the_remember_me_cookie(client, world):
    _login(client, world.emails["employee_a"], remember=True)
    resp = client.form_post("/logout")
    cleared = _set_cookies(resp, "remember_token")
    assert cleared and ("Max-Age=0" in cleared[0] or "1970" in cleared[0])
    assert client.get("/").status_code == 302


def test_sign_out_everywhere_ends_every_session_and_api_token(app, signed_in, api, world):
    email = world.emails["employee_a"]
    here, there = signed_in(email), signed_in(email)
    caller = api(email)
    version = find_user(app, email).session_version
    page = here.get("/logout/everywhere")
    assert page.status_code == 200
    assert 'method="post"' in page.get_data(as_text=True)
    resp = here.form_post("/logout/everywhere")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/login")
    assert find_user(app, email).session_version == version + 1
    assert here.get("/").status_code == 302
    assert there.get("/").status_code == 302
    assert caller.get("/me").status_code == 401
    assert signed_in(email).get("/").status_code == 200  # signing in again works


def test_sign_out_everywhere_needs_a_post(as_employee_a, app, world):
    version = find_user(app, world.emails["employee_a"]).session_version
    as_employee_a.get("/logout/everywhere")
    assert find_user(app, world.emails["employee_a"]).session_version == version


def test_regional_admin_acting_in_another_municipality_can_sign_out_everywhere(
    app, as_admin, world
):
    with as_admin.session_transaction() as s:
        s["acting_municipality"] = "332038"  # the admin's switch, as regional.tenancy reads it
    assert "津山市" in as_admin.get("/").get_data(as_text=True)
    resp = as_admin.form_post("/logout/everywhere")
    assert resp.status_code == 302
    assert as_admin.get("/").status_code == 302
    assert find_user(app, world.emails["admin"]).session_version == 2


def test_disabling_an_account_signs_it_out_at_the_next_request(app, signed_in, api, world):
    email = world.emails["employee_a"]
    browser, caller = signed_in(email), api(email)
    update_user(app, email, status=AccountStatus.DISABLED)
    resp = browser.get("/")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]
    assert caller.get("/me").status_code == 401


def test_a_revoked_session_version_signs_out_at_the_next_request(app, signed_in, api, world):
    email = world.emails["coordinator_a"]
    browser, caller = signed_in(email), api(email)
    update_user(app, email, session_version=find_user(app, email).session_version + 1)
    assert browser.get("/").status_code == 302
    assert caller.get("/me").status_code == 401


@pytest.mark.parametrize(
    "status",
    [AccountStatus.PENDING_EMAIL, AccountStatus.PENDING_APPROVAL, AccountStatus.DISABLED],
)
def test_inactive_accounts_hear_the_wrong_password_message(app, client, fresh, world, status):
    email = world.emails["employee_a2"]
    wrong = _login(fresh(), world.emails["employee_a"], WRONG)
    update_user(app, email, status=status)
    resp = _login(client, email)
    assert resp.status_code == wrong.status_code == 401
    assert _flash(resp) == _flash(wrong)
    unknown = _login(fresh(), "nobody@city.tsuyama.lg.jp", WRONG)
    assert _flash(unknown) == _flash(wrong)


def test_after_sign_in_one_lands_on_the_page_one_asked_for(client, world):
    page = client.get("/logout/everywhere")
    assert page.status_code == 302
    login_url = page.headers["Location"]
    assert "next=%2Flogout%2Feverywhere" in login_url
    token = client.csrf_token()
    resp = client.post(
        login_url,
        data={"email": world.emails["employee_a"], "password": PASSWORD, "csrf_token": token},
    )
    assert resp.headers["Location"] == "/logout/everywhere"


def test_sign_in_and_failures_are_logged_without_secrets(client, fresh, world, caplog):
    caplog.set_level(logging.INFO, logger="regional.audit")
    email = world.emails["employee_a"]
    _login(fresh(), email, WRONG)
    _login(fresh(), "hunter2-typed-in-the-wrong-box@example.com", "hunter2 hunter2 x")
    _login(client, email)
    client.form_post("/logout")
    messages = [r.getMessage() for r in caplog.records if r.name == "regional.audit"]
    text = "\n".join(messages)
    assert any(m.startswith("sign-in failed") and "reason=password" in m for m in messages)
    assert any(m.startswith("sign-in failed") and "reason=no_account" in m for m in messages)
    assert any(m.startswith(f"sign-in user={world.employee_a} ") for m in messages)
    assert any(m.startswith(f"sign-out user={world.employee_a}") for m in messages)
    for secret in (PASSWORD, WRONG, "hunter2", email):
        assert secret not in text


def test_typed_input_cannot_forge_log_lines(fresh, world, caplog):
    caplog.set_level(logging.INFO, logger="regional.audit")
    c = fresh()
    c.environ_base["REMOTE_ADDR"] = "10.0.0.1\nsign-in user=1 municipality=331007"
    _login(c, world.emails["employee_a"], WRONG)
    failed = [r.getMessage() for r in caplog.records if "sign-in failed" in r.getMessage()]
    assert failed
    assert all("\n" not in m for m in failed)
