"""Qualifications: an employee records a pass, their coordinator verifies or returns it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from regional.extensions import db
from regional.growth import qualifications
from regional.growth.models import Qualification, QualificationPersona, QualificationStatus
from tenants import all_tenants

PASS = {"exam": "FE", "passed_on": "2025-11-20", "certificate_number": "FE-2025-0001"}


def error_code(resp) -> str:
    return resp.get_json()["error"]["code"]


def _record(api, world, body=None, who="employee_a") -> int:
    resp = api(world.emails[who]).post("/me/qualifications", json=body or PASS)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def test_employee_records_a_pass_unverified(api, world):
    resp = api(world.emails["employee_a"]).post("/me/qualifications", json=PASS)
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["status"] == "unverified"
    assert body["exam"] == "FE" and body["level"] == 2 and body["name"] == "基本情報技術者"
    assert body["municipality_code"] == "332038"
    mine = api(world.emails["employee_a"]).get("/me/qualifications").get_json()["items"]
    assert [q["id"] for q in mine] == [body["id"]]


def test_other_certificate_needs_its_name(api, world):
    client = api(world.emails["employee_a"])
    resp = client.post("/me/qualifications", json={**PASS, "exam": "other"})
    assert resp.status_code == 422 and error_code(resp) == "missing_field"
    resp = client.post("/me/qualifications", json={**PASS, "exam": "other", "name": "AWS SAA"})
    assert resp.status_code == 201 and resp.get_json()["name"] == "AWS SAA"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({**PASS, "exam": "XX"}, 422, "invalid_exam"),
        ({**PASS, "exam": 5}, 422, "invalid_exam"),
        ({**PASS, "passed_on": "2999-01-01"}, 422, "invalid_field"),
        ({**PASS, "passed_on": "0000-01-01"}, 422, "invalid_field"),
        ({**PASS, "passed_on": "yesterday"}, 422, "invalid_field"),
        ({**PASS, "certificate_number": "A\u202eB"}, 422, "invalid_text"),
        ({**PASS, "certificate_number": "x" * 51}, 422, "invalid_field"),
        ({**PASS, "certificate_number": ["x"]}, 422, "invalid_field"),
        ({"exam": "FE"}, 422, "missing_field"),
    ],
)
def test_bad_passes_are_refused_cleanly(api, world, body, status, code):
    resp = api(world.emails["employee_a"]).post("/me/qualifications", json=body)
    assert resp.status_code == status, resp.get_json()
    assert error_code(resp) == code


def test_malformed_json_is_400(api, world):
    resp = api(world.emails["employee_a"]).post(
        "/me/qualifications", data="[[[", content_type="application/json"
    )
    assert resp.status_code == 400


def test_coordinator_verifies_and_the_pass_counts(api, world, app):
    qid = _record(api, world)
    resp = api(world.emails["coordinator_a"]).post(f"/qualifications/{qid}/verify")
    assert resp.status_code == 200 and resp.get_json()["status"] == "verified"
    with app.app_context():
        counts = qualifications.holders_by_exam(db.session, world.muni_a)
        fe = next(e for e in counts.by_exam if e.code == "FE")
        assert fe.holders == 1 and counts.by_level[2] == 1 and counts.by_level[4] == 0
        other = qualifications.holders_by_exam(db.session, world.muni_b)
        assert all(e.holders == 0 for e in other.by_exam)


def test_another_municipalitys_coordinator_gets_404(api, world, app):
    qid = _record(api, world)
    resp = api(world.emails["coordinator_b"]).post(f"/qualifications/{qid}/verify")
    assert resp.status_code == 404
    with app.app_context(), all_tenants(db.session):
        assert db.session.get(Qualification, qid).status == QualificationStatus.UNVERIFIED


def test_nobody_verifies_their_own_pass(api, world):
    qid = _record(api, world, who="coordinator_a")
    resp = api(world.emails["coordinator_a"]).post(f"/qualifications/{qid}/verify")
    assert resp.status_code == 403 and error_code(resp) == "own_record"


def test_employee_cannot_verify(api, world):
    qid = _record(api, world)
    assert api(world.emails["employee_a"]).post(f"/qualifications/{qid}/verify").status_code == 403


def test_huge_ids_are_simply_unknown(api, world):
    resp = api(world.emails["coordinator_a"]).post(f"/qualifications/{2**63}/verify")
    assert resp.status_code == 404


def test_returning_needs_a_reason_and_mails_the_person(api, world, mailbox):
    qid = _record(api, world)
    coord = api(world.emails["coordinator_a"])
    assert coord.post(f"/qualifications/{qid}/return", json={}).status_code == 422
    mailbox.clear()
    resp = coord.post(f"/qualifications/{qid}/return", json={"reason": "番号が読めません"})
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "returned"
    assert resp.get_json()["return_reason"] == "番号が読めません"
    (msg,) = mailbox.to(world.emails["employee_a"])
    assert "番号が読めません" in mailbox.body(msg)


def test_municipality_list_filters_and_stays_inside(api, world):
    fe = _record(api, world)
    _record(api, world, {**PASS, "exam": "SC"})
    _record(api, world, who="employee_b")
    coord = api(world.emails["coordinator_a"])
    coord.post(f"/qualifications/{fe}/verify")
    items = coord.get("/municipalities/332038/qualifications").get_json()["items"]
    assert {i["exam"] for i in items} == {"FE", "SC"}
    assert all(i["municipality_code"] == "332038" for i in items)
    only = coord.get("/municipalities/332038/qualifications?status=verified").get_json()["items"]
    assert [i["id"] for i in only] == [fe]
    sc = coord.get("/municipalities/332038/qualifications?exam=SC").get_json()["items"]
    assert [i["exam"] for i in sc] == ["SC"]
    assert coord.get("/municipalities/332038/qualifications?exam=ZZ").status_code == 400
    assert coord.get("/municipalities/332038/qualifications?status=x").status_code == 400
    assert coord.get("/municipalities/332046/qualifications").status_code == 404


def test_persona_rules_are_data_and_count_verified_passes(app, world, api, as_admin):
    qid = _record(api, world, {**PASS, "exam": "SC"})
    resp = as_admin.form_post("/growth/qualifications/personas", {"advanced": ["SC", "NOPE"]})
    assert resp.status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(QualificationPersona)).all()
        assert [(r.exam_code, r.persona) for r in rows] == [("SC", "advanced")]
        with all_tenants(db.session):
            assert qualifications.qualified_personas(db.session, world.employee_a) == set()
    api(world.emails["coordinator_a"]).post(f"/qualifications/{qid}/verify")
    with app.app_context(), all_tenants(db.session):
        assert qualifications.qualified_personas(db.session, world.employee_a) == {"advanced"}
        people = db.session.execute(qualifications.qualified_people("advanced")).all()
        assert people == [(world.muni_a, world.employee_a)]


def test_persona_page_is_for_regional_admins_only(as_coordinator_a):
    assert as_coordinator_a.get("/growth/qualifications/personas").status_code == 403


def test_page_flow_record_then_verify(as_employee_a, as_coordinator_a, app, world):
    page = as_employee_a.get("/records/my-training/qualifications")
    assert page.status_code == 200
    resp = as_employee_a.form_post(
        "/growth/qualifications",
        {"exam": "AP", "passed_on": "2025-06-01", "certificate_number": "AP-1"},
    )
    assert resp.status_code == 302
    with app.app_context(), all_tenants(db.session):
        q = db.session.scalar(
            select(Qualification).where(Qualification.certificate_number == "AP-1")
        )
        qid = q.id
    review = as_coordinator_a.get("/growth/qualifications/review").get_data(as_text=True)
    assert "AP-1" in review
    assert as_coordinator_a.form_post(f"/growth/qualifications/{qid}/verify").status_code == 302
    with app.app_context(), all_tenants(db.session):
        assert db.session.get(Qualification, qid).status == QualificationStatus.VERIFIED
    summary = as_coordinator_a.get("/growth/qualifications/summary")
    assert summary.status_code == 200


def test_page_refuses_control_characters_without_500(as_employee_a, app):
    resp = as_employee_a.form_post(
        "/growth/qualifications",
        {"exam": "FE", "passed_on": "2025-06-01", "certificate_number": "A\u202eB"},
    )
    assert resp.status_code in (200, 400)
    page = resp.get_data(as_text=True)
    # refused by the shared human-text rule on the form (a field error) or by the service
    assert "flash-error" in page or "目に見えない制御文字を削除してください。" in page
    with app.app_context(), all_tenants(db.session):
        assert db.session.scalar(select(Qualification)) is None


def test_every_step_is_in_the_audit_trail(api, world, app):
    from regional.audit.models import AuditEntry

    qid = _record(api, world)
    coord = api(world.emails["coordinator_a"])
    coord.post(f"/qualifications/{qid}/return", json={"reason": "写しが不鮮明"})
    coord.post(f"/qualifications/{qid}/verify")
    oid = (
        api(world.emails["employee_a"])
        .post("/me/ojt", json={"title": "X", "started_on": "2025-04-01"})
        .get_json()["id"]
    )
    coord.post(f"/ojt/{oid}/confirm")
    with app.app_context(), all_tenants(db.session):
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        got = [(e.action, e.subject_id, e.municipality_id) for e in entries]
    assert got == [
        ("qualification.record", str(qid), world.muni_a),
        ("qualification.return", str(qid), world.muni_a),
        ("qualification.verify", str(qid), world.muni_a),
        ("ojt.record", str(oid), world.muni_a),
        ("ojt.confirm", str(oid), world.muni_a),
    ]
    assert entries[1].detail["reason"] == "写しが不鮮明"
    assert entries[2].detail["before"]["status"] == "returned"


def test_a_returned_pass_is_corrected_and_waits_again(api, world, app, as_employee_a):
    qid = _record(api, world)
    api(world.emails["coordinator_a"]).post(
        f"/qualifications/{qid}/return", json={"reason": "番号違い"}
    )
    page = as_employee_a.get(f"/growth/qualifications/{qid}/edit")
    assert page.status_code == 200 and "番号違い" in page.get_data(as_text=True)
    resp = as_employee_a.form_post(
        f"/growth/qualifications/{qid}/edit",
        {"exam": "FE", "passed_on": "2025-11-20", "certificate_number": "FE-2025-0002"},
    )
    assert resp.status_code == 302
    with app.app_context(), all_tenants(db.session):
        q = db.session.get(Qualification, qid)
        assert q.status == QualificationStatus.UNVERIFIED and q.return_reason is None
        assert q.certificate_number == "FE-2025-0002"
    api(world.emails["coordinator_a"]).post(f"/qualifications/{qid}/verify")
    assert as_employee_a.get(f"/growth/qualifications/{qid}/edit").status_code == 404


def test_only_the_person_corrects_their_pass(api, world, signed_in):
    qid = _record(api, world)
    for who in ("coordinator_a", "coordinator_b", "admin", "employee_a2"):
        assert (
            signed_in(world.emails[who]).get(f"/growth/qualifications/{qid}/edit").status_code
            == 404
        )
