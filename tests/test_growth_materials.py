"""Learning materials: published per skill area and exam, served only as inert downloads."""

from __future__ import annotations

import io

from sqlalchemy import select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.growth import files
from regional.growth.models import Material, Qualification
from tenants import all_tenants
from tests import fixtures_files as ff


def _publish(client, title="FE午前対策", **extra):
    data = {
        "title": title,
        "skill_area_key": "information_security",
        "exam_code": "FE",
        "for_everyone": "y",
        **extra,
    }
    return client.form_post("/growth/materials", data, content_type="multipart/form-data")


def _material(app, title: str) -> Material | None:
    with app.app_context():
        stmt = select(Material).where(Material.title == title)
        return db.session.scalar(stmt.execution_options(all_tenants=True))


def test_admin_publishes_a_file_for_every_member(as_admin, signed_in, world, app):
    resp = _publish(as_admin, file=(io.BytesIO(ff.pdf()), "過去問.pdf"))
    assert resp.status_code == 302
    m = _material(app, "FE午前対策")
    assert m.audience_municipality_id is None and m.file_kind == "pdf"
    with app.app_context():
        assert "." not in m.file_name and files.read(m.file_name) == ff.pdf()
    other = signed_in(world.emails["employee_b"])
    assert "FE午前対策" in other.get("/growth/materials").get_data(as_text=True)
    resp = other.get(f"/growth/materials/{m.id}/download")
    assert resp.status_code == 200 and resp.data == ff.pdf()
    assert resp.mimetype == "application/pdf"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]


def test_coordinator_publishes_for_own_municipality_only(as_coordinator_a, signed_in, world, app):
    resp = _publish(
        as_coordinator_a, title="津山市の手引き", file=(io.BytesIO(ff.text()), "memo.txt")
    )
    assert resp.status_code == 302
    m = _material(app, "津山市の手引き")
    assert m.audience_municipality_id == world.muni_a
    own = signed_in(world.emails["employee_a"])
    assert own.get(f"/growth/materials/{m.id}/download").status_code == 200
    stranger = signed_in(world.emails["employee_b"])
    assert "津山市の手引き" not in stranger.get("/growth/materials").get_data(as_text=True)
    assert stranger.get(f"/growth/materials/{m.id}/download").status_code == 404
    coord_b = signed_in(world.emails["coordinator_b"])
    assert coord_b.form_post(f"/growth/materials/{m.id}/delete").status_code == 404


def test_links_must_be_web_addresses(as_admin, app):
    resp = _publish(as_admin, title="IPA", url="javascript:alert(1)")
    assert resp.status_code == 422
    assert _material(app, "IPA") is None
    resp = _publish(as_admin, title="IPA", url="https://www.ipa.go.jp/shiken/")
    assert resp.status_code == 302
    assert _material(app, "IPA").url == "https://www.ipa.go.jp/shiken/"


def test_hostile_uploads_are_refused_and_nothing_is_kept(as_admin, app):
    for name, body in (
        ("evil.pdf", ff.PDF_JS),
        ("image.svg", ff.SVG_SCRIPT),
        ("photo.png", ff.png_with_html()),
        ("notes.txt", ff.HTML),
        ("setup.pdf", ff.EXE),
    ):
        resp = _publish(as_admin, title=name, file=(io.BytesIO(body), name))
        assert resp.status_code == 422, name
        assert "flash-error" in resp.get_data(as_text=True)
        assert _material(app, name) is None


def test_oversized_upload_is_refused_cleanly(as_admin, app):
    app.config["GROWTH_MAX_UPLOAD_BYTES"] = 2000
    try:
        resp = _publish(as_admin, title="big", file=(io.BytesIO(ff.text() * 100), "big.txt"))
        assert resp.status_code == 422
    finally:
        app.config["GROWTH_MAX_UPLOAD_BYTES"] = 4 * 1024 * 1024
    huge = io.BytesIO(b"a" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert _publish(as_admin, title="huge", file=(huge, "huge.txt")).status_code == 413


def test_deleting_keeps_the_audit_trail_and_removes_the_file(as_admin, app, world):
    _publish(as_admin, title="消す資料", file=(io.BytesIO(ff.png()), "a.png"))
    m = _material(app, "消す資料")
    stored = m.file_name
    assert as_admin.form_post(f"/growth/materials/{m.id}/delete").status_code == 302
    assert _material(app, "消す資料") is None
    with app.app_context():
        assert files.read(stored) is None
        with all_tenants(db.session):
            actions = db.session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.subject_type == "material", AuditEntry.subject_id == str(m.id)
                )
            ).all()
    assert sorted(actions) == ["material.delete", "material.publish"]


def test_employees_cannot_publish_or_delete(as_employee_a, as_admin, app):
    assert _publish(as_employee_a, file=(io.BytesIO(ff.pdf()), "x.pdf")).status_code == 403
    _publish(as_admin, title="残す", url="https://example.jp/")
    m = _material(app, "残す")
    assert as_employee_a.form_post(f"/growth/materials/{m.id}/delete").status_code == 403


def test_a_link_has_no_download(as_admin, app):
    _publish(as_admin, title="リンク", url="https://example.jp/")
    m = _material(app, "リンク")
    assert as_admin.get(f"/growth/materials/{m.id}/download").status_code == 404
    assert as_admin.get(f"/growth/materials/{2**63}/download").status_code == 404


# -- certificate scans of qualifications -----------------------------------------------


def test_scan_is_kept_and_served_to_the_person_and_coordinator(
    as_employee_a, signed_in, world, app
):
    resp = as_employee_a.form_post(
        "/growth/qualifications",
        {
            "exam": "FE",
            "passed_on": "2025-06-01",
            "certificate_number": "FE-SCAN",
            "scan": (io.BytesIO(ff.jpeg()), "合格証.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    with app.app_context(), all_tenants(db.session):
        q = db.session.scalar(
            select(Qualification).where(Qualification.certificate_number == "FE-SCAN")
        )
        qid, kind = q.id, q.scan_kind
    assert kind == "jpeg"
    for who, status in (("employee_a", 200), ("coordinator_a", 200), ("coordinator_b", 404)):
        got = signed_in(world.emails[who]).get(f"/growth/qualifications/{qid}/scan")
        assert got.status_code == status, who
    got = as_employee_a.get(f"/growth/qualifications/{qid}/scan")
    assert got.data == ff.jpeg() and got.headers["Content-Disposition"].startswith("attachment")


def test_hostile_scan_refuses_the_whole_record(as_employee_a, app):
    resp = as_employee_a.form_post(
        "/growth/qualifications",
        {
            "exam": "FE",
            "passed_on": "2025-06-01",
            "certificate_number": "FE-EVIL",
            "scan": (io.BytesIO(ff.SVG_SCRIPT), "scan.svg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200 and "flash-error" in resp.get_data(as_text=True)
    with app.app_context(), all_tenants(db.session):
        assert db.session.scalar(select(Qualification)) is None


def test_api_records_a_pass_with_a_scan(api, world):
    resp = api(world.emails["employee_a"]).post(
        "/me/qualifications",
        data={
            "exam": "SG",
            "passed_on": "2025-04-20",
            "certificate_number": "SG-1",
            "scan": (io.BytesIO(ff.pdf()), "sg.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201 and resp.get_json()["has_scan"] is True
    bad = api(world.emails["employee_a"]).post(
        "/me/qualifications",
        data={
            "exam": "SG",
            "passed_on": "2025-04-20",
            "certificate_number": "SG-2",
            "scan": (io.BytesIO(ff.PDF_JS), "sg.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "unsafe_file"
