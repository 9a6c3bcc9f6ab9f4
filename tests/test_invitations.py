"""Imported staff sign in the safe way: an invitation with a one-use link, no password set by anyone."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.people import invitations
from regional.people.models import User
from tenants.scoping import acting_as
from tests import factories
from tests.conftest import CODE_A
from tests.fixtures_auth import STRONG, link_path

DOMAIN_A = "city.tsuyama.lg.jp"
ROSTER = (
    "職員番号,氏名,メールアドレス\r\n"
    f"701,招待 一,inv1@{DOMAIN_A}\r\n"
    f"702,招待 二,inv2@{DOMAIN_A}\r\n"
    f"703,招待 三,inv3@{DOMAIN_A}\r\n"
).encode("cp932")


def _import(api, world):
    resp = api(world.emails["coordinator_a"]).post(
        f"/municipalities/{CODE_A}/roster?commit=true",
        data={"file": (io.BytesIO(ROSTER), "r.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200


def _person(app, world, email):
    with app.app_context(), acting_as(db.session, world.muni_a):
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def test_an_imported_person_cannot_sign_in_before_the_invitation(app, world, api, client):
    _import(api, world)
    assert client.login(f"inv1@{DOMAIN_A}", "").status_code in (400, 401)
    assert client.login(f"inv1@{DOMAIN_A}", STRONG).status_code == 401


def test_invitations_go_out_in_a_batch_and_the_link_works_once(
    app, world, api, client, mailbox, as_coordinator_a
):
    _import(api, world)
    page = as_coordinator_a.get("/people/roster").get_data(as_text=True)
    assert "/people/invitations" in page
    resp = as_coordinator_a.form_post("/people/invitations")
    assert resp.status_code == 302
    for n in (1, 2, 3):
        assert len(mailbox.to(f"inv{n}@{DOMAIN_A}")) == 1
    assert _person(app, world, f"inv1@{DOMAIN_A}").invited_at is not None
    # The next batch finds nobody left: no second mail.
    as_coordinator_a.form_post("/people/invitations")
    assert len(mailbox.to(f"inv1@{DOMAIN_A}")) == 1
    with app.app_context(), acting_as(db.session, world.muni_a):
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "account.invite")
            )
            == 3
        )
    path = link_path(mailbox, f"inv2@{DOMAIN_A}")
    assert path.startswith("/welcome/")
    assert client.get(path).status_code == 200
    done = client.form_post(path, {"password": STRONG, "confirm": STRONG})
    # Signed in at once (not sent back to the sign-in page): home is theirs.
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/records/my-training/history").status_code == 200
    assert app.test_client().login(f"inv2@{DOMAIN_A}", STRONG).status_code == 302
    assert client.get(path).status_code == 400  # spent: the password voids it


def test_a_changed_address_kills_the_invitation(app, world, api, client, mailbox, as_coordinator_a):
    _import(api, world)
    as_coordinator_a.form_post("/people/invitations")
    path = link_path(mailbox, f"inv3@{DOMAIN_A}")
    moved = ROSTER.replace(b"inv3@", b"inv3.new@")
    api(world.emails["coordinator_a"]).post(
        f"/municipalities/{CODE_A}/roster?commit=true",
        data={"file": (io.BytesIO(moved), "r.csv")},
        content_type="multipart/form-data",
    )
    assert client.get(path).status_code == 400


def test_a_person_with_a_password_gets_no_invitation(app, world, mailbox, as_coordinator_a):
    resp = as_coordinator_a.form_post(f"/people/{world.employee_a}/invite")
    assert resp.status_code == 302
    assert mailbox.to(world.emails["employee_a"]) == []


def test_one_person_can_be_invited_again(app, world, api, mailbox, as_coordinator_a):
    _import(api, world)
    user = _person(app, world, f"inv1@{DOMAIN_A}")
    as_coordinator_a.form_post(f"/people/{user.id}/invite")
    as_coordinator_a.form_post(f"/people/{user.id}/invite")
    assert len(mailbox.to(f"inv1@{DOMAIN_A}")) == 2


def test_batches_are_bounded(app, world, ctx):
    with app.test_request_context(), acting_as(db.session, world.muni_a):
        for n in range(3):
            u = factories.make_user(world.muni_a, email=f"b{n}@{DOMAIN_A}")
            u.password_hash = None
        db.session.flush()
        coordinator = db.session.get(User, world.coordinator_a)
        sent, left = invitations.invite_batch(coordinator, limit=2)
        assert (sent, left) == (2, 1)
