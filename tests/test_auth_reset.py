"""Password reset: the same answer for every address, a one-use link by mail, and a new
password that ends every other session and API token."""

from __future__ import annotations

import pytest

from regional.auth import tokens
from regional.people.models import AccountStatus
from tests.conftest import PASSWORD
from tests.fixtures_auth import (
    STRONG,
    find_user,
    freeze_throttle,
    link_path,
    signup_data,
    update_user,
    without_csrf,
)

NEW = {"password": STRONG, "confirm": STRONG}


@pytest.fixture
def clock(monkeypatch):
    return freeze_throttle(monkeypatch)


def _forgot(client, email: str):
    return client.form_post("/password/forgot", {"email": email})


def test_forgot_page_is_labelled_and_linked_from_sign_in(client):
    html = client.get("/password/forgot").get_data(as_text=True)
    assert '<label for="email">' in html
    assert 'autocomplete="username"' in html


def test_forgot_answers_alike_for_known_and_unknown_addresses(app, client, mailbox, world):
    known = _forgot(client, world.emails["employee_a"])
    unknown = _forgot(client, "nobody.here@city.tsuyama.lg.jp")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert known.headers["Location"].endswith("/password/forgot/sent")
    page_known = without_csrf(client.get(known.headers["Location"]).get_data(True))
    page_unknown = without_csrf(client.get(unknown.headers["Location"]).get_data(True))
    assert page_known == page_unknown
    assert len(mailbox.to(world.emails["employee_a"])) == 1
    assert mailbox.to("nobody.here@city.tsuyama.lg.jp") == []


def test_reset_link_sets_a_new_password_once(app, client, mailbox, world):
    email = world.emails["employee_a"]
    _forgot(client, email)
    path = link_path(mailbox, email)
    assert path.startswith("/password/reset/")
    form = client.get(path)
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in form.get_data(as_text=True)
    done = client.form_post(path, NEW)
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/login")
    assert client.login(email, PASSWORD).status_code == 401
    assert client.login(email, STRONG).status_code == 302
    again = client.get(path)  # the link is spent: the password it was made for is gone
    assert again.status_code == 400
    assert "/password/forgot" in again.get_data(as_text=True)


def test_new_password_ends_every_other_session_and_api_token(
    app, client, signed_in, api, mailbox, world
):
    email = world.emails["employee_a"]
    elsewhere = signed_in(email)
    caller = api(email)
    assert caller.get("/me").status_code == 200
    version = find_user(app, email).session_version
    _forgot(client, email)
    client.form_post(link_path(mailbox, email), NEW)
    assert find_user(app, email).session_version == version + 1
    assert elsewhere.get("/").status_code == 302
    assert caller.get("/me").status_code == 401
    changed = [m for m in mailbox.to(email) if "/password/reset/" not in mailbox.body(m)]
    assert len(changed) == 1  # "your password was changed" goes to the owner


def test_weak_or_mismatched_new_password_is_refused_and_the_link_still_works(
    app, client, mailbox, world
):
    email = world.emails["employee_a"]
    _forgot(client, email)
    path = link_path(mailbox, email)
    before = find_user(app, email).password_hash
    for data in (
        {"password": "password", "confirm": "password"},
        {"password": STRONG, "confirm": STRONG + "x"},
        {"password": "髙橋 太郎", "confirm": "髙橋 太郎"},
        {"password": "", "confirm": ""},
    ):
        resp = client.form_post(path, data)
        assert resp.status_code == 400, data
        assert 'class="error-summary"' in resp.get_data(as_text=True)
    assert find_user(app, email).password_hash == before
    assert client.form_post(path, NEW).status_code == 302


def test_the_new_password_may_not_be_the_accounts_own_address(app, client, mailbox, world):
    email = world.emails["employee_a"]
    _forgot(client, email)
    resp = client.form_post(link_path(mailbox, email), {"password": email, "confirm": email})
    assert resp.status_code == 400


def test_expired_or_tampered_reset_link_explains_and_offers_a_new_one(
    app, client, mailbox, world, monkeypatch
):
    email = world.emails["employee_a"]
    _forgot(client, email)
    path = link_path(mailbox, email)
    bad = client.get(path + "x")
    assert bad.status_code == 400
    assert "/password/forgot" in bad.get_data(as_text=True)
    monkeypatch.setitem(tokens.MAX_AGE, tokens.RESET, -1)
    assert client.get(path).status_code == 400
    assert client.form_post(path, NEW).status_code == 400
    assert client.login(email, PASSWORD).status_code == 302


def test_reset_link_stops_working_when_the_account_is_disabled(app, client, mailbox, world):
    email = world.emails["employee_a"]
    _forgot(client, email)
    path = link_path(mailbox, email)
    update_user(app, email, status=AccountStatus.DISABLED)
    assert client.get(path).status_code == 400
    assert client.form_post(path, NEW).status_code == 400


def test_reset_link_dies_when_sessions_are_revoked(app, client, mailbox, world):
    email = world.emails["employee_a"]
    _forgot(client, email)
    path = link_path(mailbox, email)
    update_user(app, email, session_version=find_user(app, email).session_version + 1)
    assert client.get(path).status_code == 400


def test_disabled_and_awaiting_approval_accounts_get_no_link_but_the_same_answer(
    app, client, mailbox, world, clock
):
    update_user(app, world.emails["employee_a"], status=AccountStatus.DISABLED)
    client.form_post("/signup", signup_data(email="waiting@example.com"))
    clock.advance(3600)
    mailbox.clear()
    for email in (world.emails["employee_a"], "waiting@example.com"):
        resp = _forgot(client, email)
        assert resp.status_code == 302
        assert resp.headers["Location"].endswith("/password/forgot/sent")
        assert mailbox.to(email) == []


def test_account_awaiting_confirmation_gets_its_confirmation_link_again(
    app, client, mailbox, clock
):
    email = "hanako.yamada@city.tsuyama.lg.jp"
    client.form_post("/signup", signup_data(email=email))
    clock.advance(3600)
    mailbox.clear()
    assert _forgot(client, email).status_code == 302
    path = link_path(mailbox, email)
    assert path.startswith("/signup/confirm/")
    assert client.form_post(path).status_code == 302
    assert find_user(app, email).status == AccountStatus.ACTIVE


def test_forgot_cannot_flood_a_mailbox_known_or_not(app, client, mailbox, world, clock):
    for email in (world.emails["employee_a"], "nobody.here@example.com"):
        assert _forgot(client, email).status_code == 302
        for _ in range(3):
            resp = _forgot(client, email)
            assert resp.status_code == 429
            assert 0 < int(resp.headers["Retry-After"]) <= 60
            assert 'role="alert"' in resp.get_data(as_text=True)
    assert len(mailbox.to(world.emails["employee_a"])) == 1
    clock.advance(61)
    assert _forgot(client, world.emails["employee_a"]).status_code == 302
    assert len(mailbox.to(world.emails["employee_a"])) == 2
    assert _forgot(client, world.emails["employee_a"]).status_code == 429
    clock.advance(61)  # the second wait is longer (two minutes)
    assert _forgot(client, world.emails["employee_a"]).status_code == 429
    clock.advance(60)
    assert _forgot(client, world.emails["employee_a"]).status_code == 302


def test_forgot_throttle_is_per_address_not_per_visitor(app, client, mailbox, world, clock):
    assert _forgot(client, world.emails["employee_a"]).status_code == 302
    assert _forgot(client, world.emails["employee_a2"]).status_code == 302
    assert len(mailbox.messages) == 2


def test_signed_in_person_following_a_reset_link_ends_up_signed_out(
    app, as_employee_a, mailbox, world
):
    email = world.emails["employee_a"]
    as_employee_a.form_post("/password/forgot", {"email": email})
    path = link_path(mailbox, email)
    assert as_employee_a.form_post(path, NEW).status_code == 302
    assert as_employee_a.get("/").status_code == 302
