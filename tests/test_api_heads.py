"""The heads-of-unit API (docs/api.md): units and their heads, the member's setting, the
head's approvals and decisions; each answer as the contract names it."""

from __future__ import annotations

import pytest

from regional.extensions import db
from regional.seats.models import RegistrationStatus as RS
from tests import factories
from tests.conftest import CODE_A, CODE_B
from tests.fixtures_registrations import person, register, registration
from tests.test_heads import _unit_tree


@pytest.fixture
def tree(app, world):
    with app.app_context():
        u = _unit_tree(world)
        reg_id = register(factories.make_session(requires_approval=True).id, u.staff).id
        db.session.commit()
        emails = {
            k: person(getattr(u, k)).email for k in ("head", "deputy", "staff", "other_staff")
        }
        return u, reg_id, emails


def test_units_list_their_heads(api, world, tree):
    u, _reg, _emails = tree
    body = api(world.emails["coordinator_a"]).get(f"/municipalities/{CODE_A}/units")
    assert body.status_code == 200
    items = {i["id"]: i for i in body.get_json()["items"]}
    assert items[u.division]["head_id"] == u.head
    assert items[u.division]["deputy_id"] == u.deputy
    assert items[u.section]["head_id"] is None
    assert items[u.division]["path"] == "総務局/デジタル推進課"
    assert items[u.division]["level"] == "division"


def test_a_coordinator_sets_a_head_and_the_setting(api, world, tree, app):
    u, _reg, _emails = tree
    client = api(world.emails["coordinator_a"])
    resp = client._call(
        "PUT",
        f"/municipalities/{CODE_A}/units/{u.section}/head",
        json={"employee_id": u.staff, "deputy_id": u.other_staff},
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["head_id"] == u.staff
    same = client._call(
        "PUT",
        f"/municipalities/{CODE_A}/units/{u.section}/head",
        json={"employee_id": u.staff, "deputy_id": u.staff},
    )
    assert same.status_code == 422
    off = client._call("PUT", f"/municipalities/{CODE_A}/settings", json={"head_approval": False})
    assert off.status_code == 200 and off.get_json() == {"head_approval": False}
    bad = client._call("PUT", f"/municipalities/{CODE_A}/settings", json={"head_approval": "yes"})
    assert bad.status_code == 400


def test_another_members_person_cannot_be_made_head(api, world, tree):
    u, _reg, _emails = tree
    resp = api(world.emails["coordinator_a"])._call(
        "PUT",
        f"/municipalities/{CODE_A}/units/{u.division}/head",
        json={"employee_id": world.employee_b},
    )
    assert resp.status_code == 404
    other = api(world.emails["coordinator_b"]).get(f"/municipalities/{CODE_A}/units")
    assert other.status_code == 404
    own = api(world.emails["coordinator_b"]).get(f"/municipalities/{CODE_B}/units")
    assert u.division not in [i["id"] for i in own.get_json()["items"]]


def test_the_head_lists_and_approves_then_the_coordinator_accepts(api, world, tree, app):
    u, reg_id, emails = tree
    head = api(emails["head"])
    items = head.get("/me/approvals").get_json()["items"]
    assert [i["registration_id"] for i in items] == [reg_id]
    assert set(items[0]) >= {
        "registration_id",
        "employee_id",
        "name",
        "org_unit",
        "session_id",
        "program_title",
        "starts_at",
    }
    assert items[0]["org_unit"] == "総務局/デジタル推進課/企画係"
    # The coordinator cannot accept before the head has decided.
    early = api(world.emails["coordinator_a"]).post(f"/registrations/{reg_id}/approve")
    assert early.status_code == 409
    resp = head.post(f"/registrations/{reg_id}/head-approve")
    assert resp.status_code == 200 and resp.get_json()["status"] == "pending"
    again = head.post(f"/registrations/{reg_id}/head-approve")
    assert again.status_code == 409
    done = api(world.emails["coordinator_a"]).post(f"/registrations/{reg_id}/approve")
    assert done.status_code == 200 and done.get_json()["status"] == "enrolled"
    assert head.get("/me/approvals").get_json()["items"] == []


def test_decline_needs_a_reason(api, tree, app):
    _u, reg_id, emails = tree
    head = api(emails["deputy"])
    assert head.post(f"/registrations/{reg_id}/head-decline", json={}).status_code == 400
    resp = head.post(f"/registrations/{reg_id}/head-decline", json={"reason": "業務都合"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "declined"
    with app.app_context():
        assert registration(reg_id).status == RS.DECLINED


def test_nobody_but_the_head_decides(api, world, tree):
    _u, reg_id, emails = tree
    for email, status in (
        (emails["staff"], 403),  # the applicant heads nothing
        (emails["other_staff"], 403),
        (world.emails["coordinator_a"], 403),
        (world.emails["admin"], 403),
    ):
        resp = api(email).post(f"/registrations/{reg_id}/head-approve")
        assert resp.status_code == status, email
    assert api(emails["staff"]).get("/me/approvals").status_code == 403
