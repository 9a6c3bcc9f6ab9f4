"""Completion certificates: the PDF states the name as written, and anyone can check its code."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from regional.extensions import db
from regional.fiscal import era_date_ja, local_date, now_utc
from regional.growth import certificates
from regional.growth.models import Certificate
from regional.registrations.models import Completion
from tenants import all_tenants
from tests.fixtures_growth import completed_registration, open_registration


@pytest.fixture
def make(app):
    def _make(fn):
        with app.app_context():
            value = fn()
            db.session.commit()
            return value

    return _make


@pytest.fixture
def done_a2(make, world):
    """A completion of employee_a2 (𠮷野 花子) on a shared session."""
    return make(lambda: completed_registration(world, world.employee_a2))


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _code(app, reg_id: int) -> str:
    with app.app_context(), all_tenants(db.session):
        return db.session.scalar(
            select(Certificate.code).where(Certificate.registration_id == reg_id)
        )


def test_pdf_states_the_name_exactly_with_the_reiwa_date(api, world, done_a2, app):
    resp = api(world.emails["employee_a2"]).get(f"/registrations/{done_a2}/certificate")
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    text = _text(resp.data)
    assert "𠮷野 花子" in text  # U+20BB7, outside the BMP and JIS X 0208
    today = local_date(now_utc())
    assert era_date_ja(today) in text and era_date_ja(today).startswith("令和")
    assert "クラウド活用基礎" in text and "岡山連携中枢都市圏" in text
    code = _code(app, done_a2)
    assert re.fullmatch(r"[A-Z2-7]{16}", code)
    assert certificates.display_code(code) in text


def test_the_font_is_embedded(api, world, done_a2):
    pdf = api(world.emails["employee_a2"]).get(f"/registrations/{done_a2}/certificate").data
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = [
        f.get_object() for f in fonts.values() if "IPAmj" in str(f.get_object()["/BaseFont"])
    ]
    assert embedded and "/FontFile2" in embedded[0]["/FontDescriptor"]


def test_name_with_hashigo_taka_extracts_exactly(api, world, make):
    reg = make(lambda: completed_registration(world, world.employee_a))
    pdf = api(world.emails["employee_a"]).get(f"/registrations/{reg}/certificate").data
    assert "髙橋 太郎" in _text(pdf)


def test_hosted_session_names_the_host_as_issuer(api, world, make):
    reg = make(lambda: completed_registration(world, world.employee_a, host=world.muni_a))
    pdf = api(world.emails["coordinator_a"]).get(f"/registrations/{reg}/certificate").data
    assert "津山市" in _text(pdf)


def test_one_certificate_per_registration(api, world, done_a2, app):
    client = api(world.emails["employee_a2"])
    client.get(f"/registrations/{done_a2}/certificate")
    first = _code(app, done_a2)
    client.get(f"/registrations/{done_a2}/certificate")
    with app.app_context(), all_tenants(db.session):
        assert len(db.session.scalars(select(Certificate)).all()) == 1
    assert _code(app, done_a2) == first


def test_no_certificate_for_others_or_for_unfinished(api, world, done_a2, make):
    assert (
        api(world.emails["employee_a"]).get(f"/registrations/{done_a2}/certificate").status_code
        == 404
    )
    assert (
        api(world.emails["coordinator_b"]).get(f"/registrations/{done_a2}/certificate").status_code
        == 404
    )
    assert (
        api(world.emails["coordinator_a"]).get(f"/registrations/{done_a2}/certificate").status_code
        == 200
    )
    assert (
        api(world.emails["admin"]).get(f"/registrations/{done_a2}/certificate").status_code == 200
    )
    pending = make(lambda: open_registration(world, world.employee_a2))
    assert (
        api(world.emails["employee_a2"]).get(f"/registrations/{pending}/certificate").status_code
        == 404
    )
    assert (
        api(world.emails["employee_a2"]).get(f"/registrations/{2**63}/certificate").status_code
        == 404
    )
    assert api(None).get(f"/registrations/{done_a2}/certificate").status_code == 401


def test_public_check_reveals_only_the_certificate(api, world, done_a2, app, client):
    api(world.emails["employee_a2"]).get(f"/registrations/{done_a2}/certificate")
    code = _code(app, done_a2)
    resp = api(None).get(f"/certificates/{code}")
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"valid", "name", "program_title", "completed_on", "issuer"}
    assert body["valid"] is True and body["name"] == "𠮷野 花子"
    assert body["issuer"] == "岡山連携中枢都市圏"
    # Typed with dashes and in lower case, as read off the paper.
    assert (
        api(None).get(f"/certificates/{certificates.display_code(code).lower()}").status_code == 200
    )
    page = client.get(f"/growth/verify/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "𠮷野 花子" in html
    # Nothing the certificate does not state: no address, no employee number.
    assert world.emails["employee_a2"] not in html
    assert re.search(r"\bE\d{6}\b", html) is None


def test_unknown_and_revoked_codes_are_404(api, world, done_a2, app):
    api(world.emails["employee_a2"]).get(f"/registrations/{done_a2}/certificate")
    code = _code(app, done_a2)
    assert api(None).get("/certificates/AAAAAAAAAAAAAAAA").status_code == 404
    assert api(None).get("/certificates/not-a-code").status_code == 404
    assert api(None).get("/certificates/" + "A" * 500).status_code == 404
    with app.app_context(), all_tenants(db.session):
        cert = db.session.scalar(select(Certificate).where(Certificate.code == code))
        with_tenant = cert.municipality_id
    from tenants.scoping import acting_as

    with app.app_context():
        with acting_as(db.session, with_tenant):
            cert = db.session.scalar(select(Certificate).where(Certificate.code == code))
            certificates.revoke(cert, None)
            db.session.flush()
        db.session.commit()
    assert api(None).get(f"/certificates/{code}").status_code == 404


def test_a_withdrawn_completion_invalidates_the_code(api, world, done_a2, app):
    api(world.emails["employee_a2"]).get(f"/registrations/{done_a2}/certificate")
    code = _code(app, done_a2)
    with app.app_context(), all_tenants(db.session):
        db.session.delete(
            db.session.scalar(select(Completion).where(Completion.registration_id == done_a2))
        )
        db.session.commit()
    assert api(None).get(f"/certificates/{code}").status_code == 404


def test_enumeration_is_throttled(api, world, done_a2, app, client):
    api(world.emails["employee_a2"]).get(f"/registrations/{done_a2}/certificate")
    code = _code(app, done_a2)
    anon = api(None)
    free = app.config["CERTIFICATE_FREE_LOOKUPS"]
    statuses = [
        anon.get(f"/certificates/{certificates.new_code()}").status_code for _ in range(free + 1)
    ]
    assert statuses[:free] == [404] * free
    assert statuses[-1] == 429 or anon.get("/certificates/AAAAAAAAAAAAAAAA").status_code == 429
    blocked = anon.get(f"/certificates/{code}")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    assert client.get(f"/growth/verify/{code}").status_code == 429


def test_codes_are_unguessable():
    codes = {certificates.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(re.fullmatch(r"[A-Z2-7]{16}", c) for c in codes)


def test_my_certificates_page_and_download(as_employee_a, world, make, app):
    reg = make(lambda: completed_registration(world, world.employee_a))
    page = as_employee_a.get("/growth/certificates")
    assert page.status_code == 200 and f"/growth/certificates/{reg}.pdf" in page.get_data(
        as_text=True
    )
    resp = as_employee_a.get(f"/growth/certificates/{reg}.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert "髙橋 太郎" in _text(resp.data)


def test_verify_page_without_a_code_shows_the_form(client):
    resp = client.get("/growth/verify")
    assert resp.status_code == 200 and 'name="code"' in resp.get_data(as_text=True)


def test_issuing_is_audited_once(api, world, done_a2, app):
    from regional.audit.models import AuditEntry

    client = api(world.emails["employee_a2"])
    client.get(f"/registrations/{done_a2}/certificate")
    client.get(f"/registrations/{done_a2}/certificate")
    with app.app_context(), all_tenants(db.session):
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("certificate.%"))
        ).all()
    assert actions == ["certificate.issue"]
