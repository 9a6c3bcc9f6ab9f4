"""Self sign-up: staff addresses confirm by mail, other addresses wait for a coordinator,
and nobody can learn from the answer whether an address already has an account."""

from __future__ import annotations

import re

import pytest

from regional.auth import tokens
from regional.extensions import db
from regional.people.models import AccountStatus, Role, User
from tenants import all_tenants
from tests.conftest import CODE_A, CODE_B, PASSWORD
from tests.fixtures_auth import (
    STRONG,
    find_user,
    freeze_throttle,
    link_path,
    signup_data,
    update_user,
    without_csrf,
)

NEW_STAFF = "hanako.yamada@city.tsuyama.lg.jp"
OUTSIDE = "hanako.private@example.com"


@pytest.fixture
def clock(monkeypatch):
    return freeze_throttle(monkeypatch)


def test_signup_page_offers_the_thirteen_members_in_japanese_and_labels_every_field(client):
    resp = client.get("/signup")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    options = re.findall(r'<option[^>]*value="(\d{6})"', html)
    assert len(options) == 13
    assert options[0] == "331007"  # the coordinating member first
    assert "津山市" in html and "Tsuyama City" not in html
    fields = re.findall(
        r'<(?:input|select)(?![^>]*type="(?:submit|hidden)")[^>]*\bid="([^"]+)"', html
    )
    assert len(fields) == 7
    for input_id in fields:
        assert f'for="{input_id}"' in html, f"input {input_id} has no label"
    assert 'autocomplete="new-password"' in html


def test_staff_address_gets_a_confirmation_link_that_activates_the_account(
    app, client, mailbox, world
):
    resp = client.form_post("/signup", signup_data(email=NEW_STAFF))
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/signup/sent")
    sent = client.get("/signup/sent")
    assert sent.status_code == 200
    user = find_user(app, NEW_STAFF)
    assert user.status == AccountStatus.PENDING_EMAIL
    assert user.municipality_id == world.muni_a
    assert user.role == Role.EMPLOYEE
    assert mailbox.to(NEW_STAFF)[0]["Subject"]

    path = link_path(mailbox, NEW_STAFF)
    assert path.startswith("/signup/confirm/")
    page = client.get(path)
    assert page.status_code == 200
    assert (
        find_user(app, NEW_STAFF).status == AccountStatus.PENDING_EMAIL
    )  # opening changes nothing
    done = client.form_post(path)
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/login")
    assert find_user(app, NEW_STAFF).status == AccountStatus.ACTIVE
    assert client.login(NEW_STAFF, STRONG).status_code == 302


def test_names_in_any_script_survive_the_round_trip(app, client, mailbox):
    name = "𠮷野 髙橋 﨑子"
    resp = client.form_post("/signup", signup_data(email=NEW_STAFF, name=name))
    assert resp.status_code == 302
    assert find_user(app, NEW_STAFF).name == name
    assert name in mailbox.body(mailbox.to(NEW_STAFF)[0])


def test_typed_full_width_address_is_stored_in_plain_lower_case(app, client):
    resp = client.form_post("/signup", signup_data(email="Ｈａｎａｋｏ.Yamada@City.Tsuyama.LG.JP"))
    assert resp.status_code == 302
    assert find_user(app, NEW_STAFF) is not None


def test_other_address_waits_for_approval_and_only_that_municipalitys_coordinator_is_told(
    app, client, mailbox, world
):
    resp = client.form_post("/signup", signup_data(email=OUTSIDE))
    assert resp.status_code == 302
    user = find_user(app, OUTSIDE)
    assert user.status == AccountStatus.PENDING_APPROVAL
    assert user.municipality_id == world.muni_a
    notice = mailbox.to(world.emails["coordinator_a"])
    assert len(notice) == 1
    body = mailbox.body(notice[0])
    assert "http://127.0.0.1:5000/people/pending" in body or "/people/pending" in body
    assert OUTSIDE in body and "山田 花子" in body
    assert mailbox.to(world.emails["coordinator_b"]) == []
    assert mailbox.to(world.emails["admin"]) == []
    assert len(mailbox.to(OUTSIDE)) == 1  # the applicant hears the request arrived
    assert "/signup/confirm/" not in mailbox.body(mailbox.to(OUTSIDE)[0])
    page = client.get("/signup/sent").get_data(as_text=True)
    assert "/signup/confirm" not in page
    assert client.login(OUTSIDE, STRONG).status_code == 401


def test_address_of_another_member_cannot_sign_up_to_the_chosen_one(app, client, mailbox):
    """A staff address of B is not A's to approve: it would squat B's address."""
    resp = client.form_post(
        "/signup", signup_data(municipality=CODE_A, email="someone@city.tamano.lg.jp")
    )
    assert resp.status_code == 422
    assert "他の構成市町の職員用アドレス" in resp.get_data(as_text=True)
    assert find_user(app, "someone@city.tamano.lg.jp") is None
    assert mailbox.to("someone@city.tamano.lg.jp") == []
    resp = client.form_post(
        "/signup", signup_data(municipality=CODE_B, email="someone@city.tamano.lg.jp")
    )
    assert resp.status_code == 302
    assert find_user(app, "someone@city.tamano.lg.jp").status == AccountStatus.PENDING_EMAIL


def _answer_for(app, email: str, municipality: str = CODE_A) -> tuple[int, str, str]:
    from tests.conftest import Client

    app.test_client_class = Client
    c = app.test_client()
    resp = c.form_post("/signup", signup_data(email=email, municipality=municipality))
    page = c.get(resp.headers.get("Location", "/signup/sent"))
    return resp.status_code, resp.headers.get("Location", ""), without_csrf(page.get_data(True))


def test_signup_with_a_taken_address_answers_exactly_like_a_new_one(app, mailbox, world):
    taken = world.emails["employee_a"]
    new = _answer_for(app, NEW_STAFF)
    existing = _answer_for(app, taken)
    assert new == existing
    assert new[0] == 302


def test_signup_with_a_taken_address_warns_the_owner_and_changes_nothing(
    app, client, mailbox, world
):
    taken = world.emails["employee_b"]  # an account of B, tried again under B
    before = find_user(app, taken)
    resp = client.form_post("/signup", signup_data(email=taken, municipality=CODE_B))
    assert resp.status_code == 302
    after = find_user(app, taken)
    assert (after.municipality_id, after.password_hash, after.status) == (
        before.municipality_id,
        before.password_hash,
        before.status,
    )
    with app.app_context(), all_tenants(db.session):
        assert db.session.query(User).filter(User.email == taken).count() == 1
    warning = mailbox.to(taken)
    assert len(warning) == 1
    body = mailbox.body(warning[0])
    assert "/password/forgot" in body and "/login" in body
    assert mailbox.to(world.emails["coordinator_b"]) == []
    assert client.login(taken, PASSWORD).status_code == 302  # the old password still works


def test_outside_address_with_an_account_answers_like_a_new_request(app, mailbox, world):
    update_user(app, world.emails["employee_a2"], email="private.hanako@example.com")
    assert _answer_for(app, OUTSIDE) == _answer_for(app, "private.hanako@example.com")


def test_invalid_form_is_shown_again_with_reasons_and_nothing_is_created(app, client, mailbox):
    cases = [
        signup_data(confirm="something else entirely 9"),
        signup_data(password="password", confirm="password"),
        signup_data(password="short1", confirm="short1"),
        signup_data(municipality=""),
        signup_data(municipality="999999"),
        signup_data(name="   "),
        signup_data(email="not-an-address"),
        signup_data(job_category="astronaut"),
        signup_data(name="山田\n承認はこちら http://evil.example"),
        signup_data(name="山田 \u202e子花"),
        signup_data(employee_number="E1\r\n2"),
    ]
    for data in cases:
        resp = client.form_post("/signup", data)
        assert resp.status_code == 400, data
        html = resp.get_data(as_text=True)
        assert 'class="error-summary"' in html
        assert 'aria-invalid="true"' in html
    assert find_user(app, NEW_STAFF) is None
    assert mailbox.messages == []


def test_password_rules_are_explained_on_the_form(client):
    resp = client.form_post("/signup", signup_data(password="password", confirm="password"))
    html = resp.get_data(as_text=True)
    assert "too common" in html or "推測" in html
    mismatch = client.form_post("/signup", signup_data(confirm="a different phrase 77"))
    assert "do not match" in mismatch.get_data(True) or "一致" in mismatch.get_data(True)


def test_signup_cannot_choose_a_role_or_a_municipality_id(app, client, world):
    data = signup_data(email=NEW_STAFF)
    data.update(role="regional_admin", municipality_id=str(world.muni_admin), status="active")
    assert client.form_post("/signup", data).status_code == 302
    user = find_user(app, NEW_STAFF)
    assert user.role == Role.EMPLOYEE
    assert user.municipality_id == world.muni_a
    assert user.status == AccountStatus.PENDING_EMAIL


def test_someone_elses_employee_number_is_not_stored_and_the_coordinator_decides(
    app, client, mailbox, world
):
    number = find_user(app, world.emails["employee_a"]).employee_number
    resp = client.form_post(
        "/signup", signup_data(email=NEW_STAFF, employee_number=number, municipality=CODE_A)
    )
    assert resp.status_code == 302
    user = find_user(app, NEW_STAFF)
    assert user.employee_number is None
    assert user.status == AccountStatus.PENDING_APPROVAL
    assert number in mailbox.body(mailbox.to(world.emails["coordinator_a"])[0])


def test_employee_number_typed_in_full_width_is_stored_in_ascii(app, client):
    resp = client.form_post("/signup", signup_data(email=NEW_STAFF, employee_number="Ｓ１２３４５"))
    assert resp.status_code == 302
    assert find_user(app, NEW_STAFF).employee_number == "S12345"


def test_same_employee_number_in_another_municipality_is_fine(app, client, world):
    number = find_user(app, world.emails["employee_b"]).employee_number
    resp = client.form_post("/signup", signup_data(email=NEW_STAFF, employee_number=number))
    assert resp.status_code == 302
    user = find_user(app, NEW_STAFF)
    assert (user.employee_number, user.status) == (number, AccountStatus.PENDING_EMAIL)


def test_signed_in_people_are_sent_home_from_the_signup_page(as_employee_a):
    assert as_employee_a.get("/signup").status_code == 302


def test_repeated_signups_for_one_address_cannot_flood_its_mailbox(app, client, mailbox, clock):
    assert client.form_post("/signup", signup_data(email=NEW_STAFF)).status_code == 302
    again = client.form_post("/signup", signup_data(email=NEW_STAFF))
    assert again.status_code == 429
    assert again.headers["Retry-After"] == "60"
    assert 'role="alert"' in again.get_data(as_text=True)
    assert len(mailbox.to(NEW_STAFF)) == 1
    clock.advance(61)
    assert client.form_post("/signup", signup_data(email=NEW_STAFF)).status_code == 302
    assert len(mailbox.to(NEW_STAFF)) == 2  # the second one: "you already have an account"


def test_pending_accounts_cannot_sign_in_and_hear_the_wrong_password_message(app, client, world):
    client.form_post("/signup", signup_data(email=NEW_STAFF))
    client.form_post("/signup", signup_data(email=OUTSIDE))
    wrong = client.login(world.emails["employee_a"], "not the password at all 1")
    for email in (NEW_STAFF, OUTSIDE):
        resp = client.login(email, STRONG)
        assert resp.status_code == 401
        assert _flash(resp) == _flash(wrong)


def _flash(resp) -> str:
    return re.search(r'class="flash[^"]*"[^>]*>([^<]+)<', resp.get_data(as_text=True)).group(1)


def test_confirmation_link_that_is_tampered_or_expired_explains_and_offers_a_new_one(
    app, client, mailbox, monkeypatch
):
    client.form_post("/signup", signup_data(email=NEW_STAFF))
    path = link_path(mailbox, NEW_STAFF)
    tampered = client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert tampered.status_code == 400
    assert "/password/forgot" in tampered.get_data(as_text=True)
    monkeypatch.setitem(tokens.MAX_AGE, tokens.CONFIRM, -1)
    assert client.get(path).status_code == 400
    assert client.form_post(path).status_code == 400
    assert find_user(app, NEW_STAFF).status == AccountStatus.PENDING_EMAIL


def test_confirmation_link_cannot_revive_a_disabled_account(app, client, mailbox):
    client.form_post("/signup", signup_data(email=NEW_STAFF))
    path = link_path(mailbox, NEW_STAFF)
    update_user(app, NEW_STAFF, status=AccountStatus.DISABLED)
    assert client.form_post(path).status_code == 400
    assert find_user(app, NEW_STAFF).status == AccountStatus.DISABLED


def test_confirming_twice_is_harmless(app, client, mailbox):
    client.form_post("/signup", signup_data(email=NEW_STAFF))
    path = link_path(mailbox, NEW_STAFF)
    assert client.form_post(path).status_code == 302
    assert client.form_post(path).status_code == 302
    assert find_user(app, NEW_STAFF).status == AccountStatus.ACTIVE


def test_a_confirmation_link_is_not_a_password_reset_link(app, client, mailbox):
    client.form_post("/signup", signup_data(email=NEW_STAFF))
    token = link_path(mailbox, NEW_STAFF).rsplit("/", 1)[1]
    assert client.get(f"/password/reset/{token}").status_code == 400


def test_the_login_page_links_to_signup_and_password_help(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/signup"' in html
    assert 'href="/password/forgot"' in html


def test_signup_remembers_the_language_it_was_made_in(app, client):
    client.form_post("/language", {"lang": "en", "next": "/signup"})
    page = client.get("/signup").get_data(as_text=True)
    assert "Tsuyama City" in page
    client.form_post("/signup", signup_data(email=OUTSIDE, municipality=CODE_B))
    user = find_user(app, OUTSIDE)
    assert user.locale == "en"
    assert user.status == AccountStatus.PENDING_APPROVAL  # an outside address waits
