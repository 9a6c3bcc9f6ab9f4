"""The participant's report API (docs/api.md): what waits for the participant, writing it,
the head's (or the coordinator's) acknowledgement, and the member's list of who has not.

Issue 22. The rules are the report pages' own: only the participant writes, once, after
attendance of a programme that asks for it; the head of their unit (or deputy)
acknowledges, or a coordinator where no unit above has a head; member B never sees A's.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.fiscal import fiscal_year_of
from regional.reports.models import BODY_MAX, ParticipantReport
from tenants import all_tenants
from tests import factories
from tests.conftest import CODE_A, CODE_B
from tests.fixtures_registrations import person, register, registration
from tests.test_heads import _unit_tree
from tests.test_reports import TEMPLATE, _attended, _session


def _reports() -> list[ParticipantReport]:
    with all_tenants(db.session):
        db.session.expire_all()
        return list(db.session.scalars(select(ParticipantReport)))


def _actions() -> list[str]:
    with all_tenants(db.session):
        return list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.subject_type == "participant_report")
                .order_by(AuditEntry.id)
            )
        )


def _fy(reg_id: int) -> int:
    with all_tenants(db.session):
        return fiscal_year_of(registration(reg_id).session.starts_at)


@pytest.fixture
def cycle(app, world):
    """A's unit tree (a head and deputy over the staff member); the staff member attended a
    programme asking for a report; a person of a unit with no head above did too."""
    with app.app_context():
        u = _unit_tree(world, on=False, dept_head=False)
        staff_reg = _attended(u.staff)
        headless_reg = _attended(u.other_staff)
        with all_tenants(db.session):  # both in one fiscal year, whatever the day
            ours, theirs = registration(staff_reg).session, registration(headless_reg).session
            theirs.starts_at, theirs.ends_at = ours.starts_at, ours.ends_at
        db.session.commit()
        emails = {
            k: person(getattr(u, k)).email for k in ("head", "deputy", "staff", "other_staff")
        }
        return u, staff_reg, headless_reg, emails


def _write(api, email: str, reg_id: int, text: str = "チャットツールを係内で試行する"):
    return api(email).post(f"/registrations/{reg_id}/report", json={"text": text})


# -- the participant ---------------------------------------------------------------------------


def test_the_participant_sees_what_waits_writes_it_once(app, api, world, cycle):
    u, reg_id, _other, emails = cycle
    me = api(emails["staff"])
    items = me.get("/me/reports").get_json()["items"]
    assert [i["registration_id"] for i in items] == [reg_id]
    assert items[0]["template"] == TEMPLATE
    assert set(items[0]) >= {"session_id", "program_id", "program_title", "starts_at"}
    resp = _write(api, emails["staff"], reg_id)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "written" and body["text"] == "チャットツールを係内で試行する"
    assert body["employee_id"] == u.staff
    assert me.get("/me/reports").get_json()["items"] == []
    again = _write(api, emails["staff"], reg_id, "二通目")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "report_exists"
    with app.app_context():
        assert [r.body for r in _reports()] == ["チャットツールを係内で試行する"]
        assert _actions() == ["report.write"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "body_required"),
        ("   ", "body_required"),
        (None, "body_required"),
        ("あ" * (BODY_MAX + 1), "body_too_long"),
        ("制御文字\x07", "invalid_body"),
    ],
)
def test_an_empty_or_too_long_report_is_422_naming_the_text(app, api, cycle, text, code):
    _u, reg_id, _other, emails = cycle
    resp = _write(api, emails["staff"], reg_id, text)
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert (error["code"], error["field"]) == (code, "text") and error["message"]
    with app.app_context():
        assert _reports() == [] and _actions() == []


def test_a_text_that_is_not_a_string_is_400(app, api, cycle):
    _u, reg_id, _other, emails = cycle
    resp = _write(api, emails["staff"], reg_id, ["a"])
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "text"
    with app.app_context():
        assert _reports() == []


def test_no_report_before_attendance_nor_where_the_programme_asks_none(app, api, world, cycle):
    u, _reg, _other, emails = cycle
    with app.app_context():
        program = factories.make_program(report_required=True)
        not_yet = register(_session(program), u.staff).id
        not_asked = _attended(u.staff, report_required=False)
        db.session.commit()
    for reg_id, code in ((not_yet, "not_attended"), (not_asked, "report_not_asked")):
        resp = _write(api, emails["staff"], reg_id)
        assert resp.status_code == 422 and resp.get_json()["error"]["code"] == code
    with app.app_context():
        assert _reports() == []


def test_only_the_participant_writes_and_another_member_finds_nothing(app, api, world, cycle):
    u, reg_id, _other, emails = cycle
    with app.app_context():
        not_yet = register(_session(factories.make_program(report_required=True)), u.staff).id
        db.session.commit()
    # Someone else's registration is not found, whatever its state (not "not attended").
    assert _write(api, emails["other_staff"], not_yet).status_code == 404
    for email in (
        emails["head"],
        emails["other_staff"],
        world.emails["coordinator_a"],
        world.emails["employee_b"],
        world.emails["coordinator_b"],
        world.emails["admin"],
    ):
        resp = _write(api, email, reg_id)
        assert resp.status_code == 404, email
        assert resp.get_json()["error"]["code"] == "registration_not_found"
    assert api(world.emails["employee_b"]).get("/me/reports").get_json()["items"] == []
    with app.app_context():
        assert _reports() == []


# -- acknowledging ------------------------------------------------------------------------------


def test_the_head_or_deputy_acknowledges_once(app, api, world, cycle):
    u, reg_id, _other, emails = cycle
    report_id = _write(api, emails["staff"], reg_id).get_json()["id"]
    for email in (emails["head"], emails["deputy"]):
        items = api(email).get("/me/report-acknowledgements").get_json()["items"]
        assert [i["id"] for i in items] == [report_id], email
        assert items[0]["text"] == "チャットツールを係内で試行する"
        assert items[0]["org_unit"] == "総務局/デジタル推進課/企画係"
    resp = api(emails["deputy"]).post(f"/reports/{report_id}/acknowledge")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "acknowledged" and resp.get_json()["acknowledged_at"]
    again = api(emails["head"]).post(f"/reports/{report_id}/acknowledge")
    assert again.status_code == 409
    assert api(emails["head"]).get("/me/report-acknowledgements").get_json()["items"] == []
    # Acknowledged, the report is no longer the participant's to write again.
    assert _write(api, emails["staff"], reg_id, "書き直し").status_code == 409
    with app.app_context():
        (report,) = _reports()
        assert report.acknowledged_by_id == u.deputy
        assert _actions() == ["report.write", "report.acknowledge"]


def test_nobody_else_acknowledges(app, api, world, cycle):
    _u, reg_id, _other, emails = cycle
    report_id = _write(api, emails["staff"], reg_id).get_json()["id"]
    for email, status in (
        (emails["staff"], 403),  # heads nothing, coordinates nothing
        (emails["other_staff"], 403),
        (world.emails["employee_b"], 403),
        (world.emails["coordinator_a"], 404),  # the unit has a head: not theirs
        (world.emails["coordinator_b"], 404),
        (world.emails["admin"], 404),
    ):
        resp = api(email).post(f"/reports/{report_id}/acknowledge")
        assert resp.status_code == status, email
    assert api(emails["staff"]).get("/me/report-acknowledgements").status_code == 403
    listed = api(world.emails["coordinator_b"]).get("/me/report-acknowledgements")
    assert listed.status_code == 200 and listed.get_json()["items"] == []
    with app.app_context():
        (report,) = _reports()
        assert report.acknowledged_at is None
        assert _actions() == ["report.write"]


def test_where_no_unit_above_has_a_head_the_coordinator_acknowledges(app, api, world, cycle):
    _u, _reg, headless_reg, emails = cycle
    report_id = _write(api, emails["other_staff"], headless_reg).get_json()["id"]
    c = api(world.emails["coordinator_a"])
    assert [i["id"] for i in c.get("/me/report-acknowledgements").get_json()["items"]] == [
        report_id
    ]
    assert api(emails["head"]).post(f"/reports/{report_id}/acknowledge").status_code == 404
    assert c.post(f"/reports/{report_id}/acknowledge").status_code == 200
    with app.app_context():
        assert _actions() == ["report.write", "report.acknowledge"]


# -- the member's list --------------------------------------------------------------------------


def test_the_coordinator_lists_who_has_not_written_or_not_been_acknowledged(app, api, world, cycle):
    u, reg_id, headless_reg, emails = cycle
    report_id = _write(api, emails["staff"], reg_id).get_json()["id"]
    with app.app_context():
        fy = _fy(reg_id)
        assert _fy(headless_reg) == fy
    c = api(world.emails["coordinator_a"])
    url = f"/municipalities/{CODE_A}/reports?fiscal_year={fy}"
    body = c.get(url).get_json()
    assert (body["municipality_code"], body["fiscal_year"], body["total"]) == (CODE_A, fy, 2)
    states = {i["registration_id"]: (i["status"], i["report_id"]) for i in body["items"]}
    assert states == {reg_id: ("written", report_id), headless_reg: ("missing", None)}
    assert "text" not in body["items"][0]  # who, not what: the page shows no text either
    missing = c.get(url + "&status=missing").get_json()["items"]
    assert [i["employee_id"] for i in missing] == [u.other_staff]
    api(emails["head"]).post(f"/reports/{report_id}/acknowledge")
    done = c.get(url + "&status=acknowledged").get_json()["items"]
    assert [i["registration_id"] for i in done] == [reg_id]
    assert c.get(url + "&status=written").get_json()["items"] == []
    other_year = c.get(f"/municipalities/{CODE_A}/reports?fiscal_year={fy - 1}").get_json()
    assert other_year["items"] == [] and other_year["total"] == 0
    admin = api(world.emails["admin"]).get(url)
    assert admin.status_code == 200 and admin.get_json()["total"] == 2


def test_the_members_list_is_the_members_own(app, api, world, cycle):
    _u, reg_id, _other, _emails = cycle
    with app.app_context():
        fy = _fy(reg_id)
    b = api(world.emails["coordinator_b"])
    assert b.get(f"/municipalities/{CODE_A}/reports").status_code == 404
    own = b.get(f"/municipalities/{CODE_B}/reports?fiscal_year={fy}")
    assert own.status_code == 200 and own.get_json()["items"] == []
    assert api(world.emails["employee_a"]).get(f"/municipalities/{CODE_A}/reports").status_code == (
        403
    )
    c = api(world.emails["coordinator_a"])
    for query, name in (("status=lost", "status"), ("fiscal_year=1e20", "fiscal_year")):
        resp = c.get(f"/municipalities/{CODE_A}/reports?{query}")
        assert resp.status_code == 400 and resp.get_json()["error"]["field"] == name, query
