"""The employees API: a municipality's list and additions, for its coordinators and the region."""

from __future__ import annotations

import pytest

from regional.people.models import AccountStatus, Role
from tests import factories
from tests.fixtures_people import in_app, user_by_email

pytest_plugins = ["tests.fixtures_people"]

A, B = "332038", "332046"


def _new(**overrides) -> dict:
    body = {
        "email": "hanako.new@city.tsuyama.lg.jp",
        "name": "𠮷田 花子",
        "employee_number": "A-77",
    }
    body.update(overrides)
    return body


# -- listing -----------------------------------------------------------------------------


def test_coordinator_lists_own_employees_with_the_documented_shape(api, world, units, app):
    with in_app(app):
        factories.make_user(
            world.muni_a, email="in.unit@city.tsuyama.lg.jp", org_unit_id=units["sec"]
        )
    resp = api(world.emails["coordinator_a"]).get(f"/municipalities/{A}/employees")
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) >= {"items", "page", "per_page", "total"}
    assert body["total"] == len(body["items"]) == 4
    emails = {item["email"] for item in body["items"]}
    assert world.emails["employee_b"] not in emails
    item = next(i for i in body["items"] if i["email"] == "in.unit@city.tsuyama.lg.jp")
    assert set(item) == {
        "id",
        "email",
        "name",
        "employee_number",
        "job_category",
        "org_unit",
        "status",
        "roles",
        "etag",  # what a change of them sends in If-Match (tests/test_api_etags.py)
    }
    assert item["org_unit"] == "総務部/デジタル推進課/企画係"
    assert item["status"] == "active" and item["roles"] == ["employee"]
    coordinator = next(i for i in body["items"] if i["email"] == world.emails["coordinator_a"])
    assert coordinator["roles"] == ["employee", "coordinator"]


def test_employees_are_refused_with_403_whatever_the_code(api, world):
    caller = api(world.emails["employee_a"])
    for code in (A, B, "999999"):
        resp = caller.get(f"/municipalities/{code}/employees")
        assert resp.status_code == 403
        assert resp.get_json()["error"]["code"] == "forbidden"


def test_another_municipality_and_an_unknown_code_look_the_same(api, world):
    caller = api(world.emails["coordinator_b"])
    other = caller.get(f"/municipalities/{A}/employees")
    unknown = caller.get("/municipalities/999999/employees")
    assert other.status_code == unknown.status_code == 404
    assert other.get_json() == unknown.get_json()


def test_regional_admin_lists_any_member(api, world):
    caller = api(world.emails["admin"])
    emails = {i["email"] for i in caller.get(f"/municipalities/{B}/employees").get_json()["items"]}
    assert world.emails["employee_b"] in emails and world.emails["employee_a"] not in emails


def test_signed_out_callers_get_401(api):
    assert api(None).get(f"/municipalities/{A}/employees").status_code == 401


def test_list_pages_and_filters(api, world, app):
    with in_app(app):
        for i in range(7):
            factories.make_user(world.muni_a, name=f"頁 {i}")
        factories.make_user(world.muni_a, name="止め", status=AccountStatus.DISABLED)
    caller = api(world.emails["coordinator_a"])
    first = caller.get(f"/municipalities/{A}/employees?per_page=5").get_json()
    second = caller.get(f"/municipalities/{A}/employees?per_page=5&page=2").get_json()
    assert first["total"] == second["total"] == 11
    assert (len(first["items"]), len(second["items"])) == (5, 5)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    disabled = caller.get(f"/municipalities/{A}/employees?status=disabled").get_json()
    assert [i["name"] for i in disabled["items"]] == ["止め"]
    found = caller.get(f"/municipalities/{A}/employees?q=taro.tsuyama").get_json()
    assert [i["email"] for i in found["items"]] == [world.emails["employee_a"]]
    assert caller.get(f"/municipalities/{A}/employees?q=tamano").get_json()["total"] == 0


@pytest.mark.parametrize("query", ["status=sleeping", "page=x", "per_page=-"])
def test_bad_list_parameters_are_400(api, world, query):
    resp = api(world.emails["coordinator_a"]).get(f"/municipalities/{A}/employees?{query}")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["message"]


# -- adding ---------------------------------------------------------------------------------


def test_coordinator_adds_an_employee_to_own_municipality(api, world, units, app):
    resp = api(world.emails["coordinator_a"]).post(
        f"/municipalities/{A}/employees",
        json=_new(
            email="Hanako.New@City.Tsuyama.lg.jp",
            org_unit="総務部/デジタル推進課/企画係",
            job_category="welfare",
            role="regional_admin",
            municipality_code=B,
        ),
    )
    assert resp.status_code == 201
    item = resp.get_json()
    assert item["email"] == "hanako.new@city.tsuyama.lg.jp"
    assert item["org_unit"] == "総務部/デジタル推進課/企画係"
    assert item["job_category"] == "welfare"
    assert item["roles"] == ["employee"]  # a role is never taken from input
    person = user_by_email(app, "hanako.new@city.tsuyama.lg.jp")
    assert person.municipality_id == world.muni_a and person.role == Role.EMPLOYEE


def test_regional_admin_adds_to_any_member_with_that_members_address(api, world, app):
    caller = api(world.emails["admin"])
    resp = caller.post(f"/municipalities/{B}/employees", json=_new())
    assert resp.status_code == 422  # a Tsuyama address is not Tamano's to give
    assert resp.get_json()["error"]["code"] == "email_not_allowed"
    assert user_by_email(app, "hanako.new@city.tsuyama.lg.jp") is None
    resp = caller.post(
        f"/municipalities/{B}/employees", json=_new(email="hanako.new@city.tamano.lg.jp")
    )
    assert resp.status_code == 201
    assert user_by_email(app, "hanako.new@city.tamano.lg.jp").municipality_id == world.muni_b


def test_coordinator_cannot_add_to_another_municipality(api, world, app):
    resp = api(world.emails["coordinator_a"]).post(f"/municipalities/{B}/employees", json=_new())
    assert resp.status_code == 404
    assert user_by_email(app, "hanako.new@city.tsuyama.lg.jp") is None


def test_unknown_org_unit_path_is_422_and_nothing_is_written(api, world, units, app):
    caller = api(world.emails["coordinator_a"])
    for path in ("総務部/存在しない課", "玉野総務課", "デジタル推進課/企画係"):
        resp = caller.post(f"/municipalities/{A}/employees", json=_new(org_unit=path))
        assert resp.status_code == 422
        assert resp.get_json()["error"]["code"] == "unknown_org_unit"
    assert user_by_email(app, "hanako.new@city.tsuyama.lg.jp") is None


def test_duplicate_employee_number_is_409(api, world, app):
    taken = user_by_email(app, world.emails["employee_a"]).employee_number
    resp = api(world.emails["coordinator_a"]).post(
        f"/municipalities/{A}/employees", json=_new(employee_number=taken)
    )
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "employee_number_taken"
    assert user_by_email(app, "hanako.new@city.tsuyama.lg.jp") is None


def test_employee_number_of_another_municipality_is_free(api, world, app):
    b_number = user_by_email(app, world.emails["employee_b"]).employee_number
    resp = api(world.emails["coordinator_a"]).post(
        f"/municipalities/{A}/employees", json=_new(employee_number=b_number)
    )
    assert resp.status_code == 201


def test_email_in_use_in_another_member_reads_like_any_other_members_address(api, world, app):
    """No existence oracle: a held address of B and a free one of B get the same 422."""
    caller = api(world.emails["coordinator_a"])
    held = caller.post(
        f"/municipalities/{A}/employees", json=_new(email=world.emails["employee_b"])
    )
    free = caller.post(
        f"/municipalities/{A}/employees", json=_new(email="nobody-here@city.tamano.lg.jp")
    )
    assert held.status_code == free.status_code == 422
    assert held.get_json() == free.get_json()
    assert held.get_json()["error"]["code"] == "email_not_allowed"
    assert "玉野" not in str(held.get_json()) and B not in str(held.get_json())
    assert user_by_email(app, world.emails["employee_b"]).municipality_id == world.muni_b
    assert user_by_email(app, "nobody-here@city.tamano.lg.jp") is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "名前", "employee_number": "1"}, "missing_field"),
        (_new(email=""), "missing_field"),
        (_new(email="not-an-address"), "invalid_field"),
        (_new(name="長" * 101), "invalid_field"),
        (_new(employee_number="9" * 21), "invalid_field"),
        (_new(employee_number=1234), "invalid_field"),
        (_new(name=["a"]), "invalid_field"),
        (_new(job_category="wizard"), "invalid_field"),
        (_new(org_unit=7), "invalid_field"),
        (_new(system_duty="yes"), "invalid_field"),
    ],
)
def test_malformed_fields_are_400_with_a_clear_message(api, world, app, body, code):
    resp = api(world.emails["coordinator_a"]).post(
        f"/municipalities/{A}/employees", json=body, headers={"Accept-Language": "en"}
    )
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert user_by_email(app, "hanako.new@city.tsuyama.lg.jp") is None


def test_body_that_is_not_a_json_object_is_400(api, world):
    caller = api(world.emails["coordinator_a"])
    resp = caller.post(f"/municipalities/{A}/employees", data="nonsense")
    assert resp.status_code == 400
    resp = caller.post(f"/municipalities/{A}/employees", json=[_new()])
    assert resp.status_code == 400
