"""On-the-job training: recorded by the person or their coordinator, confirmed by the coordinator."""

from __future__ import annotations

from sqlalchemy import select

from regional.extensions import db
from regional.growth.models import OjtRecord, OjtStatus
from tenants import all_tenants

BODY = {
    "title": "電子申請システムの導入",
    "started_on": "2025-04-01",
    "ended_on": "2025-09-30",
    "skill_areas": ["specification", "project_management"],
    "supported_by": "デジタル推進課 山田",
}


def test_employee_records_a_project_unconfirmed(api, world):
    resp = api(world.emails["employee_a"]).post("/me/ojt", json=BODY)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "unconfirmed"
    assert body["skill_areas"] == ["specification", "project_management"]
    mine = api(world.emails["employee_a"]).get("/me/ojt").get_json()["items"]
    assert [r["id"] for r in mine] == [body["id"]]


def test_bad_projects_are_refused(api, world):
    client = api(world.emails["employee_a"])
    for bad, code in (
        ({**BODY, "skill_areas": ["nope"]}, "invalid_skill_area"),
        ({**BODY, "skill_areas": "cloud"}, "invalid_field"),
        ({**BODY, "ended_on": "2024-01-01"}, "invalid_period"),
        ({**BODY, "title": ""}, "missing_field"),
        ({**BODY, "title": "a\x00b"}, "invalid_text"),
    ):
        resp = client.post("/me/ojt", json=bad)
        assert resp.status_code == 422, (bad, resp.get_json())
        assert resp.get_json()["error"]["code"] == code


def test_coordinator_confirms_and_others_cannot(api, world, app):
    oid = api(world.emails["employee_a"]).post("/me/ojt", json=BODY).get_json()["id"]
    assert api(world.emails["employee_a"]).post(f"/ojt/{oid}/confirm").status_code == 403
    assert api(world.emails["coordinator_b"]).post(f"/ojt/{oid}/confirm").status_code == 404
    resp = api(world.emails["coordinator_a"]).post(f"/ojt/{oid}/confirm")
    assert resp.status_code == 200 and resp.get_json()["status"] == "confirmed"


def test_nobody_confirms_their_own_project_and_a_confirmation_is_audited(api, world, app):
    from regional.audit.models import AuditEntry

    coord = api(world.emails["coordinator_a"])
    oid = coord.post("/me/ojt", json=BODY).get_json()["id"]
    resp = coord.post(f"/ojt/{oid}/confirm")
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "own_record"
    with app.app_context(), all_tenants(db.session):
        assert db.session.get(OjtRecord, oid).status == OjtStatus.UNCONFIRMED
    assert api(world.emails["admin"]).post(f"/ojt/{oid}/confirm").status_code == 200
    with app.app_context(), all_tenants(db.session):
        entry = db.session.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "ojt.confirm")
            .order_by(AuditEntry.id.desc())
        )
        assert entry.subject_id == str(oid)
        assert entry.detail["before"]["status"] == "unconfirmed"
        assert entry.detail["after"]["status"] == "confirmed"
        assert entry.detail["after"]["title"] == BODY["title"]


def test_coordinator_records_for_staff_on_the_page(as_coordinator_a, world, app):
    page = as_coordinator_a.get("/growth/ojt/review")
    assert page.status_code == 200
    resp = as_coordinator_a.form_post(
        "/growth/ojt/review",
        {
            "employee": world.emails["employee_a"],
            "title": "RPA導入",
            "started_on": "2025-05-01",
            "skill_areas": ["cloud"],
        },
    )
    assert resp.status_code == 302
    with app.app_context(), all_tenants(db.session):
        record = db.session.scalar(select(OjtRecord).where(OjtRecord.title == "RPA導入"))
        assert record.employee_id == world.employee_a
        assert record.status == OjtStatus.UNCONFIRMED


def test_coordinator_cannot_record_for_another_municipality(as_coordinator_a, world, app):
    resp = as_coordinator_a.form_post(
        "/growth/ojt/review",
        {"employee": world.emails["employee_b"], "title": "X", "started_on": "2025-05-01"},
    )
    assert resp.status_code == 200
    with app.app_context(), all_tenants(db.session):
        assert db.session.scalar(select(OjtRecord)) is None


def test_my_page_records_and_lists(as_employee_a, app):
    resp = as_employee_a.form_post(
        "/growth/ojt",
        {"title": "窓口DX", "started_on": "2025-05-01", "skill_areas": ["cloud"]},
    )
    assert resp.status_code == 302
    assert "窓口DX" in as_employee_a.get("/records/my-training/qualifications").get_data(
        as_text=True
    )


def test_counts_for_the_dashboards(api, world, app):
    from regional.growth.ojt import ojt_counts

    client = api(world.emails["employee_a"])
    first = client.post("/me/ojt", json=BODY).get_json()["id"]
    client.post("/me/ojt", json={**BODY, "title": "二件目"})
    api(world.emails["coordinator_a"]).post(f"/ojt/{first}/confirm")
    with app.app_context():
        counts = ojt_counts(db.session, world.muni_a)
        assert (counts.people, counts.confirmed, counts.unconfirmed) == (1, 1, 1)
        assert ojt_counts(db.session, world.muni_b).confirmed == 0
