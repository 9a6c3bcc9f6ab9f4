"""Can a coordinator take over an employee's account by changing its address?

The address is the sign-in name and where a reset link goes. So: an address given
by staff is one of the member's own domains and free (one neutral refusal for
anything else, on the form and the API alike); a change is a security event (the
old address is told with whom to contact, every session, token and mailed link of
the person ends, the change is audited with before and after); the roster import
and sign-up follow the same domain rule.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from regional.audit.models import AuditEntry
from regional.auth import tokens
from regional.extensions import db
from regional.people.models import AccountStatus, User
from tenants.scoping import acting_as
from tests import factories
from tests.conftest import CODE_A, CODE_B
from tests.fixtures_auth import find_user, link_path, signup_data

DOMAIN_A = "city.tsuyama.lg.jp"
NEW = f"taro.new@{DOMAIN_A}"


def _person_form(app, world, **overrides) -> dict:
    """The edit form of employee A as it stands, with ``overrides``."""
    person = _user(app, world, world.employee_a)
    data = {
        "name": person.name,
        "email": person.email,
        "employee_number": person.employee_number,
        "job_category": person.job_category.value,
        "org_unit_id": str(person.org_unit_id),
    }
    data.update(overrides)
    return data


def _trail(app, municipality_id: int, action: str) -> list[AuditEntry]:
    with app.app_context(), acting_as(db.session, municipality_id):
        entries = list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )
        for e in entries:
            db.session.expunge(e)
        return entries


def _user(app, world, user_id: int) -> User:
    with app.app_context(), acting_as(db.session, world.muni_a):
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


# -- the change of address as a security event ------------------------------------------


def test_an_address_change_tells_the_old_address_and_ends_every_way_in(
    app, world, client, signed_in, api, mailbox, as_coordinator_a
):
    old = world.emails["employee_a"]
    victim = signed_in(old)
    token = api(old)
    assert token.get("/me").status_code == 200
    feed = _user(app, world, world.employee_a).calendar_token
    # A reset link mailed to the old address before the change.
    client.form_post("/password/forgot", {"email": old})
    reset = link_path(mailbox, old)
    mailbox.clear()

    resp = as_coordinator_a.form_post(
        f"/people/{world.employee_a}/edit", _person_form(app, world, email=NEW)
    )
    assert resp.status_code == 302

    # The old address is told, with whom to contact.
    told = mailbox.to(old)
    assert len(told) == 1
    body = mailbox.body(told[0])
    assert "ta***@city.tsuyama.lg.jp" in body and NEW not in body
    assert world.emails["coordinator_a"] in body  # the member's coordinator
    assert world.emails["admin"] in body  # and the region's administrators
    assert "（津山市）" in body and " (津山市)" not in body  # who changed it, full-width
    # Every session and token ends; so does the reset link and the calendar feed.
    assert victim.get("/records/my-training").status_code == 302
    assert "/login" in victim.get("/records/my-training").headers["Location"]
    assert token.get("/me").status_code == 401
    assert client.get(reset).status_code == 400
    assert client.form_post(reset, {"password": "x" * 20, "confirm": "x" * 20}).status_code == 400
    assert _user(app, world, world.employee_a).calendar_token != feed
    # Audited with before and after, in the member's trail.
    (entry,) = _trail(app, world.muni_a, "account.update")
    assert entry.actor_id == world.coordinator_a
    assert entry.detail["before"] == {"email": old}
    assert entry.detail["after"] == {"email": NEW}
    assert entry.detail["address_changed"] is True
    # The new address signs in with the old password, and its own reset links work.
    assert signed_in(NEW).get("/records/my-training").status_code == 200


def test_the_takeover_of_the_issue_is_refused_and_changes_nothing(
    app, world, client, mailbox, as_coordinator_a
):
    """POST /people/<id>/edit with an outside address: refused, no mail, nobody signed out."""
    before = _user(app, world, world.employee_a)
    resp = as_coordinator_a.form_post(
        f"/people/{world.employee_a}/edit", _person_form(app, world, email="attacker@gmail.com")
    )
    assert resp.status_code == 400
    after = _user(app, world, world.employee_a)
    assert (after.email, after.session_version) == (before.email, before.session_version)
    assert mailbox.messages == []
    assert _trail(app, world.muni_a, "account.update") == []
    client.form_post("/password/forgot", {"email": "attacker@gmail.com"})
    assert mailbox.to("attacker@gmail.com") == []


def test_a_mailed_link_is_bound_to_the_address_it_went_to(app, world, ctx):
    """Even without a new session version, a link for the old address dies with it."""
    with acting_as(db.session, world.muni_a):
        user = db.session.get(User, world.employee_a)
        links = {p: tokens.make_token(user, p) for p in tokens.MAILED}
        for purpose, token in links.items():
            assert tokens.user_from_token(token, purpose) is not None, purpose
        user.email = NEW  # as a raw write would: the version stays
        db.session.flush()
        for purpose, token in links.items():
            assert tokens.user_from_token(token, purpose) is None, purpose


def test_a_roster_import_that_changes_an_address_tells_the_old_one(
    app, world, api, signed_in, mailbox
):
    old = world.emails["employee_a"]
    victim = signed_in(old)
    with app.app_context(), acting_as(db.session, world.muni_a):
        db.session.get(User, world.employee_a).employee_number = "T-001"
        db.session.commit()
    roster = f"職員番号,氏名,メールアドレス\r\nT-001,髙橋 太郎,{NEW}\r\n".encode("cp932")
    resp = api(world.emails["coordinator_a"]).post(
        f"/municipalities/{CODE_A}/roster?commit=true",
        data={"file": (io.BytesIO(roster), "r.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.get_json()
    assert len(mailbox.to(old)) == 1
    assert victim.get("/records/my-training").status_code == 302
    (entry,) = _trail(app, world.muni_a, "roster.import")
    (line,) = entry.detail["people"]
    assert line["id"] == world.employee_a
    assert (line["before"]["email"], line["after"]["email"]) == (old, NEW)


# -- one domain rule, one neutral refusal ------------------------------------------------


def _refusal(resp) -> str:
    """The form's message on the address field."""
    html = resp.get_data(as_text=True)
    start = html.index('id="email-error"')
    return html[start : html.index("</ul>", start)]


def test_the_person_form_refuses_outside_and_held_addresses_alike(app, world, as_coordinator_a):
    with app.app_context():
        factories.make_user(world.muni_a, email=f"held@{DOMAIN_A}")
        db.session.commit()
    answers = {}
    for email in (
        "nobody-here@city.tamano.lg.jp",  # another member's domain, free
        world.emails["employee_b"],  # another member's domain, held
        f"held@{DOMAIN_A}",  # our domain, held
        "someone@gmail.com",  # no member's
    ):
        resp = as_coordinator_a.form_post(
            "/people/new",
            {"name": "新規", "email": email, "employee_number": "N-9", "job_category": "technical"},
        )
        answers[email] = (resp.status_code, _refusal(resp))
    assert len(set(answers.values())) == 1, answers
    assert next(iter(answers.values()))[0] == 400
    assert find_user(app, "nobody-here@city.tamano.lg.jp") is None
    assert find_user(app, "someone@gmail.com") is None


def test_an_edit_keeps_an_approved_outside_address_but_cannot_set_one(app, world, as_coordinator_a):
    with app.app_context():
        outsider = factories.make_user(world.muni_a, email="hanako.private@example.com")
        db.session.commit()
        outsider_id = outsider.id
    form = {"name": "外部 花子", "email": "hanako.private@example.com", "job_category": "other"}
    assert as_coordinator_a.form_post(f"/people/{outsider_id}/edit", form).status_code == 302
    form["email"] = "another.private@example.com"
    assert as_coordinator_a.form_post(f"/people/{outsider_id}/edit", form).status_code == 400
    assert find_user(app, "hanako.private@example.com") is not None


def test_the_api_refuses_outside_and_held_addresses_alike_with_422(api, world, app):
    caller = api(world.emails["coordinator_a"])
    answers = []
    for email in ("nobody-here@city.tamano.lg.jp", world.emails["employee_b"], "x@gmail.com"):
        resp = caller.post(
            f"/municipalities/{CODE_A}/employees",
            json={"email": email, "name": "岡 新人", "employee_number": "API-9"},
        )
        answers.append((resp.status_code, resp.get_json()))
    assert all(a == answers[0] for a in answers), answers
    status, body = answers[0]
    assert status == 422 and body["error"]["code"] == "email_not_allowed"
    assert find_user(app, "nobody-here@city.tamano.lg.jp") is None


def test_an_administrator_is_held_to_the_members_domains_too(app, world, api, as_admin):
    """Administrators create accounts for any member, with that member's addresses."""
    caller = api(world.emails["admin"])
    refused = caller.post(
        f"/municipalities/{CODE_B}/employees",
        json={"email": f"x@{DOMAIN_A}", "name": "岡 新人", "employee_number": "API-9"},
    )
    assert refused.status_code == 422
    as_admin.form_post("/admin/switch", {"municipality": CODE_A})
    resp = as_admin.form_post(
        "/people/new",
        {"name": "新規", "email": "y@gmail.com", "employee_number": "N-9", "job_category": "other"},
    )
    assert resp.status_code == 400
    resp = as_admin.form_post(
        "/people/new",
        {
            "name": "新規",
            "email": f"y@{DOMAIN_A}",
            "employee_number": "N-9",
            "job_category": "other",
        },
    )
    assert resp.status_code == 302
    assert find_user(app, f"y@{DOMAIN_A}").municipality_id == world.muni_a


def test_the_roster_refuses_another_members_address(api, world, app):
    roster = "職員番号,氏名,メールアドレス\r\nR-9,玉野 三郎,saburo@city.tamano.lg.jp\r\n"
    resp = api(world.emails["coordinator_a"]).post(
        f"/municipalities/{CODE_A}/roster?commit=true",
        data={"file": (io.BytesIO(roster.encode("cp932")), "r.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert [(e["row"], e["column"]) for e in resp.get_json()["errors"]] == [(2, "メールアドレス")]
    assert find_user(app, "saburo@city.tamano.lg.jp") is None


def test_sign_up_cannot_squat_another_members_address(app, client, mailbox, world):
    """A Tamano address signed up under Tsuyama would block Tamano's own import and sign-up."""
    squat = client.form_post(
        "/signup", signup_data(municipality=CODE_A, email="saburo@city.tamano.lg.jp")
    )
    assert squat.status_code == 422
    assert find_user(app, "saburo@city.tamano.lg.jp") is None
    own = client.form_post(
        "/signup", signup_data(municipality=CODE_B, email="saburo@city.tamano.lg.jp")
    )
    assert own.status_code == 302
    assert find_user(app, "saburo@city.tamano.lg.jp").status == AccountStatus.PENDING_EMAIL
    # An address of no member still waits for the coordinator, as before.
    outside = client.form_post(
        "/signup", signup_data(municipality=CODE_A, email="saburo@example.com")
    )
    assert outside.status_code == 302
    assert find_user(app, "saburo@example.com").status == AccountStatus.PENDING_APPROVAL


def test_an_older_sign_up_with_another_members_address_cannot_be_approved(
    app, world, as_coordinator_a
):
    with app.app_context():
        pending = factories.make_user(
            world.muni_a,
            email="saburo@city.tamano.lg.jp",
            status=AccountStatus.PENDING_APPROVAL,
        )
        db.session.commit()
        pending_id = pending.id
    as_coordinator_a.form_post(f"/people/{pending_id}/approve")
    assert find_user(app, "saburo@city.tamano.lg.jp").status == AccountStatus.PENDING_APPROVAL


def test_the_service_itself_refuses_a_new_outside_address(app, world, ctx):
    """Behind the form: whatever calls update_person gets the neutral refusal."""
    from regional.errors import DomainError
    from regional.people.people import PersonData, update_person

    with acting_as(db.session, world.muni_a):
        person = db.session.get(User, world.employee_a)
        actor = db.session.get(User, world.coordinator_a)
        data = PersonData(
            email="attacker@gmail.com",
            name=person.name,
            employee_number=person.employee_number,
            job_category=person.job_category,
            org_unit_id=person.org_unit_id,
        )
        with pytest.raises(DomainError) as refused:
            update_person(person, data, actor)
        assert refused.value.code == "email_not_allowed"


def test_an_address_taken_in_a_race_gets_the_same_refusal(app, world, ctx, monkeypatch):
    """Two coordinators saving at once: the UNIQUE key decides, with the neutral 422."""
    from regional.errors import DomainError
    from regional.people.people import PersonData, create_person

    monkeypatch.setattr("regional.people.addresses.email_taken", lambda *a, **k: False)
    with acting_as(db.session, world.muni_a):
        actor = db.session.get(User, world.coordinator_a)
        data = PersonData(email=world.emails["employee_a2"], name="競合", employee_number="R-1")
        with pytest.raises(DomainError) as refused:
            create_person(data, actor)
        assert (refused.value.code, refused.value.status) == ("email_not_allowed", 422)
        assert db.session.scalar(select(User).where(User.employee_number == "R-1")) is None
