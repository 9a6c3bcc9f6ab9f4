"""The catalogue API: the contract's fields, its filters, and adding programmes safely."""

from __future__ import annotations

import pytest

from regional.catalogue.models import Program, ProgramRevision
from tests.fixtures_sessions import count, within

CONTRACT = {
    "id",
    "code",
    "title_ja",
    "title_en",
    "tier",
    "track",
    "skill_area",
    "delivery",
    "hours",
    "active",
}


def new_program(**overrides) -> dict:
    body = {
        "code": "CORE-DT-950",
        "title_ja": "クラウド設計",
        "title_en": "Designing for the cloud",
        "skill_area": "cloud",
        "delivery": "live_online",
        "hours": 2.5,
        "eligible_job_categories": ["administrative"],
    }
    body.update(overrides)
    return body


def test_programme_list_has_the_contract_fields_and_hours_as_a_number(api, world):
    body = api(world.emails["employee_a"]).get("/programs").get_json()
    assert len(body["items"]) == 20
    item = next(i for i in body["items"] if i["code"] == "GEN-LIT-101")
    assert set(item) >= CONTRACT
    assert isinstance(item["hours"], float) and item["hours"] == 1.5
    assert (item["tier"], item["track"], item["skill_area"]) == (
        "general",
        "literacy",
        "literacy_required",
    )
    assert item["eligible_job_categories"] == ["administrative"] and item["revision"] == 1


def test_programme_list_filters_by_tier_and_track(api, world):
    caller = api(world.emails["coordinator_b"])
    advanced = caller.get("/programs?tier=advanced").get_json()["items"]
    assert {i["code"] for i in advanced} == {"ADV-101", "ADV-102", "ADV-103"}
    pm = caller.get("/programs?track=project_management").get_json()["items"]
    assert pm and all(i["track"] == "project_management" for i in pm)
    both = caller.get("/programs?tier=core&track=digital_tech").get_json()["items"]
    assert len(both) == 5


def test_unknown_filter_value_is_a_400_naming_the_choices(api, world):
    resp = api(world.emails["employee_a"]).get(
        "/programs?tier=expert", headers={"Accept-Language": "en"}
    )
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_filter" and "general, core, advanced" in error["message"]


def test_programme_list_needs_a_token(api):
    resp = api(None).get("/programs")
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthorized"


def test_one_programme_by_id_and_unknown_is_404(api, world):
    caller = api(world.emails["employee_a"])
    first = caller.get("/programs").get_json()["items"][0]
    assert caller.get(f"/programs/{first['id']}").get_json() == first
    assert caller.get("/programs/999999").status_code == 404


def test_administrator_adds_a_programme_by_skill_area_key(app, api, world):
    resp = api(world.emails["admin"]).post("/programs", json=new_program())
    assert resp.status_code == 201
    body = resp.get_json()
    assert resp.headers["Location"].endswith(f"/api/v1/programs/{body['id']}")
    assert (body["tier"], body["track"], body["hours"], body["revision"]) == (
        "core",
        "digital_tech",
        2.5,
        1,
    )
    with within(app):
        assert count(ProgramRevision) == 21


def test_duplicate_code_is_a_conflict(app, api, world):
    with within(app):
        before = count(Program)
    resp = api(world.emails["admin"]).post("/programs", json=new_program(code="GEN-SEC-101"))
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "duplicate_code"
    with within(app):
        assert count(Program) == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (new_program(hours="2.5"), 400, "invalid_field"),
        (new_program(hours=True), 400, "invalid_field"),
        (new_program(title_ja=""), 400, "missing_field"),
        ({k: v for k, v in new_program().items() if k != "title_ja"}, 400, "missing_field"),
        (new_program(code=12), 400, "invalid_field"),
        (new_program(eligible_job_categories="administrative"), 400, "invalid_field"),
        (new_program(eligible_job_categories=[1]), 400, "invalid_field"),
        (new_program(code="x" * 21), 400, "invalid_field"),
        (new_program(code="has space"), 422, "invalid_code"),
        (new_program(hours=1000), 422, "invalid_hours"),
        (new_program(hours=-0.5), 422, "invalid_hours"),
        (new_program(hours=1.25), 422, "invalid_hours"),
        (new_program(skill_area="quantum"), 422, "unknown_skill_area"),
        (new_program(delivery="carrier_pigeon"), 422, "invalid_delivery"),
        (
            new_program(eligible_job_categories=["astronaut"]),
            422,
            "invalid_eligible_job_categories",
        ),
        (new_program(prerequisite_tracks=["alchemy"]), 422, "invalid_prerequisite_tracks"),
        ([new_program()], 400, "malformed_json"),
    ],
)
def test_bad_programme_is_refused_with_a_code_and_nothing_written(
    app, api, world, body, status, code
):
    with within(app):
        before = (count(Program), count(ProgramRevision))
    resp = api(world.emails["admin"]).post("/programs", json=body)
    assert resp.status_code == status
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"]
    with within(app):
        assert (count(Program), count(ProgramRevision)) == before


def test_malformed_json_is_a_400_with_a_message_in_the_callers_language(app, api, world):
    resp = api(world.emails["admin"]).post(
        "/programs", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "malformed_json" and error["message"]
    english = api(world.emails["admin"]).post(
        "/programs",
        data="{not json",
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )
    assert english.get_json()["error"]["message"] == "The request body must be valid JSON."


def test_only_regional_administrators_add_programmes(app, api, world):
    with within(app):
        before = count(Program)
    for who in ("employee_a", "coordinator_a"):
        resp = api(world.emails[who]).post("/programs", json=new_program())
        assert resp.status_code == 403
        assert resp.get_json()["error"]["code"] == "forbidden"
    with within(app):
        assert count(Program) == before


def test_english_title_may_be_left_out(app, api, world):
    body = {k: v for k, v in new_program(code="GEN-NO-EN").items() if k != "title_en"}
    resp = api(world.emails["admin"]).post("/programs", json=body)
    assert resp.status_code == 201
    assert resp.get_json()["title_en"] == ""


def _codes(resp) -> list[str]:
    assert resp.status_code == 200, resp.get_json()
    return [p["code"] for p in resp.get_json()["items"]]


def test_keywords_search_as_the_catalogue_page_does(api, world):
    client = api(world.emails["employee_a"])
    assert _codes(client.get("/programs?q=%EF%BC%A1%EF%BC%A9")) == ["GEN-LIT-203"]  # ＡＩ
    assert _codes(client.get("/programs?q=Excel")) == ["GEN-LIT-201"]  # 表計算, a synonym
    order = _codes(client.get("/programs?q=%E7%9B%A3%E8%A6%96"))  # 監視
    assert order[0] == "ADV-102"  # in the title, before the descriptions
    # The request's language: an English caller searches the English texts.
    assert _codes(client.get("/programs?q=spreadsheets", headers={"Accept-Language": "en"})) == [
        "GEN-LIT-201"
    ]
    assert _codes(client.get("/programs?q=training", headers={"Accept-Language": "ja"})) == []


@pytest.mark.parametrize("q", ["a" * 101, " ".join("abcdefghi"), "a%01b"])
def test_keywords_out_of_bounds_are_refused(api, world, q):
    resp = api(world.emails["employee_a"]).get(f"/programs?q={q}")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == "q"
