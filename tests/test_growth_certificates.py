"""Completion certificates: issued with the completion, served without writing, revoked with a reason.

The PDF states the name as written; anyone can check a code, and a revoked one
answers as revoked (not as unknown).
"""

from __future__ import annotations

import io
import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from regional import attendance
from regional.attendance import certification
from regional.attendance.models import Certificate, Completion, RevokeCause
from regional.audit.models import AuditEntry
from regional.catalogue.models import Program
from regional.extensions import db
from regional.fiscal import era_date_ja, local_date, now_utc
from regional.growth import certificates
from tenants import all_tenants
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_growth import completed_registration, open_registration
from tests.fixtures_registrations import person, register


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


def _cert(app, reg_id: int) -> Certificate | None:
    """The certificate of a registration's completion, read across members (detached)."""
    with app.app_context(), all_tenants(db.session):
        cert = db.session.scalar(
            select(Certificate)
            .where(Certificate.registration_id == reg_id)
            .order_by(Certificate.id.desc())
        )
        if cert is not None:
            db.session.expunge(cert)
        return cert


def _code(app, reg_id: int) -> str:
    return _cert(app, reg_id).code


def _count(model, *where) -> int:
    with all_tenants(db.session):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def started_session(program=None, **kw):
    return factories.make_session(
        program,
        starts_in=timedelta(hours=-1),
        opens_in=timedelta(days=-9),
        closes_in=timedelta(days=-1),
        **kw,
    )


@contextmanager
def statements(app):
    """Every SQL statement sent while inside (on the app's engine)."""
    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_args):
        seen.append(statement.lstrip().split(None, 1)[0].upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


WRITES = {"INSERT", "UPDATE", "DELETE"}


# -- issued with the completion -------------------------------------------------------------


def test_recording_attendance_issues_the_certificate_in_the_same_transaction(ctx, world):
    ts = started_session()
    reg_id = register(ts.id, world.employee_a, world.admin).id
    db.session.commit()  # the registration stays; the attendance's transaction starts here
    before = _count(Certificate)
    attendance.record_attendance(ts.id, [(reg_id, True)], person(world.admin))
    with all_tenants(db.session):
        cert = db.session.scalar(select(Certificate).where(Certificate.registration_id == reg_id))
        completion = db.session.scalar(
            select(Completion).where(Completion.registration_id == reg_id)
        )
    assert cert is not None and cert.completion_id == completion.id
    assert re.fullmatch(r"[A-Z2-7]{16}", cert.code) and cert.is_valid
    assert cert.program_revision == completion.program_revision
    assert cert.name == "髙橋 太郎" and cert.completed_on == completion.completed_on
    db.session.rollback()  # the attendance's transaction: the certificate goes with it
    assert _count(Certificate) == before
    assert _count(Completion, Completion.registration_id == reg_id) == 0


def test_an_elearning_import_issues_certificates_in_the_same_transaction(ctx, world):
    program = factories.make_program(title_ja="情報セキュリティ", title_en="Security")
    db.session.commit()
    before = _count(Certificate)
    rows = [
        (person(world.employee_a), program, date(2025, 6, 1)),
        (person(world.employee_b), program, date(2025, 6, 2)),
    ]
    assert attendance.add_completions(rows, person(world.admin)) == 2
    with all_tenants(db.session):
        certs = db.session.scalars(
            select(Certificate).where(Certificate.program_id == program.id)
        ).all()
        trail = db.session.scalars(
            select(AuditEntry.municipality_id).where(AuditEntry.action == "certificate.issue")
        ).all()
    assert {c.employee_id for c in certs} == {world.employee_a, world.employee_b}
    assert all(c.registration_id is None and c.completion_id for c in certs)
    assert all(c.issuer_ja == "岡山連携中枢都市圏" for c in certs)
    # Audited in each person's own municipality.
    assert {world.muni_a, world.muni_b} <= set(trail)
    db.session.rollback()
    assert _count(Certificate) == before


def test_the_record_has_the_code_before_any_download(api, world, done_a2, app):
    body = api(world.emails["employee_a2"]).get("/me/record").get_json()
    item = next(c for c in body["completions"] if c["registration_id"] == done_a2)
    assert item["certificate_code"] == _code(app, done_a2)


# -- one per person and programme revision -----------------------------------------------


def test_a_second_completion_of_the_same_revision_is_recorded_but_not_certified(ctx, world):
    program = factories.make_program()
    first, second = (
        started_session(program),
        factories.make_session(
            program,
            starts_in=timedelta(hours=-30),
            opens_in=timedelta(days=-9),
            closes_in=timedelta(days=-2),
        ),
    )
    admin = person(world.admin)
    for ts in (first, second):
        reg = register(ts.id, world.employee_a, world.admin)
        attendance.record_attendance(ts.id, [(reg.id, True)], admin)
    mine = Certificate.employee_id == world.employee_a, Certificate.program_id == program.id
    assert (
        _count(
            Completion,
            Completion.employee_id == world.employee_a,
            Completion.program_id == program.id,
        )
        == 2
    )
    assert _count(Certificate, *mine) == 1
    # A new revision of the programme is a new certificate.
    with all_tenants(db.session):
        db.session.get(Program, program.id).revision += 1
    third = factories.make_session(
        program,
        starts_in=timedelta(hours=-60),
        opens_in=timedelta(days=-9),
        closes_in=timedelta(days=-3),
    )
    reg = register(third.id, world.employee_a, world.admin)
    attendance.record_attendance(third.id, [(reg.id, True)], admin)
    assert _count(Certificate, *mine) == 2


def test_the_database_refuses_a_second_certificate_of_a_revision(ctx, world):
    ts = started_session()
    reg = register(ts.id, world.employee_a, world.admin)
    attendance.record_attendance(ts.id, [(reg.id, True)], person(world.admin))
    with acting_as(db.session, world.muni_a):
        cert = db.session.scalar(select(Certificate).where(Certificate.registration_id == reg.id))
        twin = Certificate(
            **{
                k: getattr(cert, k)
                for k in [
                    "municipality_id",
                    "employee_id",
                    "program_id",
                    "program_revision",
                    "name",
                    "program_code",
                    "program_title_ja",
                    "program_title_en",
                    "hours",
                    "completed_on",
                    "issuer_ja",
                    "issuer_en",
                ]
            },
            code=certification.new_code(),
        )
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(twin)


def test_losing_the_race_for_a_revision_skips_the_certificate_not_a_500(ctx, world, monkeypatch):
    """Another transaction certified the revision between the check and the insert."""
    program = factories.make_program()
    first = started_session(program)
    second = factories.make_session(
        program,
        starts_in=timedelta(hours=-30),
        opens_in=timedelta(days=-9),
        closes_in=timedelta(days=-2),
    )
    admin = person(world.admin)
    reg = register(first.id, world.employee_a, world.admin)
    attendance.record_attendance(first.id, [(reg.id, True)], admin)
    # The check sees no certificate (as a concurrent transaction's would not, yet).
    real = certification.select

    def blind(*args):
        stmt = real(*args)
        return stmt.where(Certificate.id < 0) if args[0] is Certificate else stmt

    monkeypatch.setattr(certification, "select", blind)
    other = register(second.id, world.employee_a, world.admin)
    attendance.record_attendance(second.id, [(other.id, True)], admin)
    assert _count(Certificate, Certificate.program_id == program.id) == 1
    assert _count(Completion, Completion.program_id == program.id) == 2


# -- attendance withdrawn ----------------------------------------------------------------


def test_withdrawn_attendance_revokes_the_certificate_and_keeps_it(app, api, world, make):
    ts_id, reg_id = make(lambda: _attended(world, world.employee_a))
    code = _code(app, reg_id)
    make(lambda: attendance.record_attendance(ts_id, [(reg_id, False)], person(world.admin)))
    cert = _cert(app, reg_id)
    assert cert.code == code and not cert.is_valid and cert.completion_id is None
    assert cert.revoke_cause == RevokeCause.ATTENDANCE_WITHDRAWN and not cert.holds_revision
    body = api(None).get(f"/certificates/{code}").get_json()
    assert body["valid"] is False and body["revoked"] is True
    # Corrected back to attended: a new certificate, with a new code; the old one stays revoked.
    make(lambda: attendance.record_attendance(ts_id, [(reg_id, True)], person(world.admin)))
    again = _cert(app, reg_id)
    assert again.code != code and again.is_valid
    assert api(None).get(f"/certificates/{code}").get_json()["revoked"] is True


def test_a_certificate_revoked_by_hand_is_not_issued_again(app, world, make):
    ts_id, reg_id = make(lambda: _attended(world, world.employee_a))

    def revoke():
        with acting_as(db.session, world.muni_a):
            cert = db.session.scalar(
                select(Certificate).where(Certificate.registration_id == reg_id)
            )
            certificates.revoke(cert, person(world.coordinator_a), "不正な受講")

    make(revoke)
    for present in (False, True):  # withdrawn, then corrected back
        make(
            lambda present=present: attendance.record_attendance(
                ts_id, [(reg_id, present)], person(world.admin)
            )
        )
    with app.app_context(), all_tenants(db.session):
        certs = db.session.scalars(
            select(Certificate).where(Certificate.registration_id == reg_id)
        ).all()
    assert len(certs) == 1 and certs[0].revoke_cause == RevokeCause.REVOKED
    assert certs[0].holds_revision


def _attended(world, employee_id: int) -> tuple[int, int]:
    ts = started_session()
    reg = register(ts.id, employee_id, world.admin)
    attendance.record_attendance(ts.id, [(reg.id, True)], person(world.admin))
    return ts.id, reg.id


# -- a download only reads ---------------------------------------------------------------


def test_downloads_write_nothing(app, api, world, done_a2, signed_in):
    cert = _cert(app, done_a2)
    page = signed_in(world.emails["employee_a2"])
    me = api(world.emails["employee_a2"])
    with app.app_context():
        rows = (_count(Certificate), _count(AuditEntry))
    with statements(app) as seen:
        assert me.get(f"/registrations/{done_a2}/certificate").status_code == 200
        assert page.get(f"/growth/certificates/{cert.id}/pdf").status_code == 200
    assert seen and not WRITES & set(seen), seen
    with app.app_context():
        assert (_count(Certificate), _count(AuditEntry)) == rows


def test_the_listener_sees_writes(app, api, world, done_a2):
    """The oracle above can fail: a request that writes is seen writing."""
    with statements(app) as seen:
        api(None).get(f"/certificates/{certificates.new_code()}")  # a failed check is counted
    assert WRITES & set(seen)


# -- the PDF -----------------------------------------------------------------------------


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


#: A Western date written out (2026-12-07, 2026年12月7日): certificates write the era's only.
WESTERN_DAY = re.compile(r"\d{4}(?:-\d{2}-\d{2}|年\d{1,2}月\d{1,2}日)")


def test_certificate_days_are_written_one_way_in_the_pdf_and_on_the_pages(
    api, world, done_a2, app, client, signed_in
):
    """令和8年12月7日, never 「令和8年12月7日（2026-12-07）」 or 2026年12月7日 beside it."""
    today = local_date(now_utc())
    pdf = _text(api(world.emails["employee_a2"]).get(f"/registrations/{done_a2}/certificate").data)
    assert pdf.count(era_date_ja(today)) == 2  # completed and issued (the same day here)
    assert WESTERN_DAY.findall(pdf) == []
    cert = _cert(app, done_a2)
    pages = [
        client.get(f"/growth/verify/{cert.code}", headers={"Accept-Language": "ja"}),
        signed_in(world.emails["employee_a2"]).get(
            "/records/my-training/certificates", headers={"Accept-Language": "ja"}
        ),
        signed_in(world.emails["coordinator_a"]).get(
            f"/records/people/{world.employee_a2}", headers={"Accept-Language": "ja"}
        ),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        rows = [r for r in html.split("<tr") if certificates.display_code(cert.code) in r]
        shown = rows[0] if rows else html  # the certificate's row; the check page is all of it
        assert era_date_ja(today) in shown, page.request.path
        assert f"{today:%Y年%-m月%-d日}" not in shown, page.request.path


def test_the_font_is_embedded(api, world, done_a2):
    pdf = api(world.emails["employee_a2"]).get(f"/registrations/{done_a2}/certificate").data
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = [
        f.get_object() for f in fonts.values() if "IPAmj" in str(f.get_object()["/BaseFont"])
    ]
    assert embedded and "/FontFile2" in embedded[0]["/FontDescriptor"]


def test_hosted_session_names_the_host_as_issuer(api, world, make):
    reg = make(lambda: completed_registration(world, world.employee_a, host=world.muni_a))
    pdf = api(world.emails["coordinator_a"]).get(f"/registrations/{reg}/certificate").data
    assert "津山市" in _text(pdf)


def test_no_certificate_for_others_or_for_unfinished(api, world, done_a2, make):
    def status(who, reg):
        return api(world.emails[who]).get(f"/registrations/{reg}/certificate").status_code

    assert status("employee_a", done_a2) == 404
    assert status("coordinator_b", done_a2) == 404
    assert status("coordinator_a", done_a2) == 200
    assert status("admin", done_a2) == 200
    pending = make(lambda: open_registration(world, world.employee_a2))
    assert status("employee_a2", pending) == 404
    assert status("employee_a2", 2**63) == 404
    assert api(None).get(f"/registrations/{done_a2}/certificate").status_code == 401


def test_my_certificates_page_and_download(as_employee_a, world, make, app):
    reg = make(lambda: completed_registration(world, world.employee_a))
    cert = _cert(app, reg)
    page = as_employee_a.get("/records/my-training/certificates")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"/growth/certificates/{cert.id}/pdf" in html
    assert certificates.display_code(cert.code) in html
    resp = as_employee_a.get(f"/growth/certificates/{cert.id}/pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert "髙橋 太郎" in _text(resp.data)


# -- the public check ---------------------------------------------------------------------


def test_public_check_reveals_only_the_certificate(api, world, done_a2, app, client):
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


def test_a_revoked_code_answers_as_revoked_and_unknown_codes_stay_404(
    api, world, done_a2, app, client
):
    code = _code(app, done_a2)
    assert api(None).get("/certificates/AAAAAAAAAAAAAAAA").status_code == 404
    assert api(None).get("/certificates/not-a-code").status_code == 404
    assert api(None).get("/certificates/" + "A" * 500).status_code == 404
    resp = api(world.emails["coordinator_a"]).post(
        f"/certificates/{code}/revoke", json={"reason": "受講記録の誤り"}
    )
    assert resp.status_code == 200
    resp = api(None).get(f"/certificates/{code}")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["valid"] is False and body["revoked"] is True
    assert body["revoked_on"] == local_date(now_utc()).isoformat()
    assert body["name"] == "𠮷野 花子"
    assert "reason" not in body and "受講記録の誤り" not in resp.get_data(as_text=True)
    page = client.get(f"/growth/verify/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="certificate-revoked"' in html
    assert "certificate-valid" not in html and "受講記録の誤り" not in html
    # The PDF of a revoked certificate is no longer served.
    assert (
        api(world.emails["employee_a2"]).get(f"/registrations/{done_a2}/certificate").status_code
        == 404
    )


def test_enumeration_is_throttled(api, world, done_a2, app, client):
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


def test_verify_page_without_a_code_shows_the_form(client):
    resp = client.get("/growth/verify")
    assert resp.status_code == 200 and 'name="code"' in resp.get_data(as_text=True)


# -- revoking -----------------------------------------------------------------------------


def _revocations(app, cert_id: int) -> list[dict]:
    with app.app_context(), all_tenants(db.session):
        return [
            e.detail
            for e in db.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "certificate.revoke",
                    AuditEntry.subject_id == str(cert_id),
                )
            )
        ]


def test_revoking_by_api_needs_a_reason_is_audited_and_stays_in_the_member(
    api, world, done_a2, app
):
    cert = _cert(app, done_a2)
    url = f"/certificates/{cert.code}/revoke"
    # Another member's coordinator does not see it; an employee may not revoke.
    assert api(world.emails["coordinator_b"]).post(url, json={"reason": "x"}).status_code == 404
    assert api(world.emails["employee_a2"]).post(url, json={"reason": "x"}).status_code == 403
    coordinator = api(world.emails["coordinator_a"])
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        resp = coordinator.post(url, json=body)
        assert resp.status_code == 422, body
        assert resp.get_json()["error"]["code"] == "reason_required"
    assert coordinator.post(url, json={"reason": "理由\u202e"}).status_code == 400
    assert coordinator.post(url, json={"reason": "あ" * 501}).status_code == 422
    assert _cert(app, done_a2).is_valid and _revocations(app, cert.id) == []
    resp = coordinator.post(url, json={"reason": "受講記録の誤り"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["revoked"] is True
    assert _revocations(app, cert.id) == [
        {
            "before": {"valid": True},
            "after": {"valid": False, "cause": "revoked"},
            "reason": "受講記録の誤り",
            "completed_on": cert.completed_on.isoformat(),
        }
    ]
    again = coordinator.post(url, json={"reason": "二度目"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_revoked"
    stored = _cert(app, done_a2)
    assert stored.revoke_reason == "受講記録の誤り" and stored.revoked_by_id == world.coordinator_a


def test_an_administrator_revokes_any_members_certificate(api, world, make, app):
    reg = make(lambda: completed_registration(world, world.employee_b))
    cert = _cert(app, reg)
    resp = api(world.emails["admin"]).post(
        f"/certificates/{cert.code}/revoke",
        json={"reason": "重複"},
    )
    assert resp.status_code == 200
    with app.app_context(), all_tenants(db.session):
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "certificate.revoke", AuditEntry.subject_id == str(cert.id)
            )
        )
    assert entry.municipality_id == world.muni_b  # in the person's member's trail


def test_revoking_from_the_persons_record_page(
    as_coordinator_a, as_coordinator_b, world, make, app
):
    reg = make(lambda: completed_registration(world, world.employee_a))
    cert = _cert(app, reg)
    record = as_coordinator_a.get(f"/records/people/{world.employee_a}").get_data(as_text=True)
    assert f"/growth/certificates/{cert.id}/revoke" in record
    assert certificates.display_code(cert.code) in record
    url = f"/growth/certificates/{cert.id}/revoke"
    form = as_coordinator_a.get(url)
    assert form.status_code == 200 and 'name="csrf_token"' in form.get_data(as_text=True)
    assert as_coordinator_b.get(url).status_code == 404
    assert as_coordinator_b.form_post(url, {"reason": "x"}).status_code == 404
    # Without the CSRF token, nothing happens.
    assert as_coordinator_a.post(url, data={"reason": "x"}).status_code == 400
    refused = as_coordinator_a.form_post(url, {"reason": ""})
    assert refused.status_code == 422 and _cert(app, reg).is_valid
    done = as_coordinator_a.form_post(url, {"reason": "出席記録の誤り"})
    assert done.status_code == 302 and done.headers["Location"].endswith(
        f"/records/people/{world.employee_a}"
    )
    stored = _cert(app, reg)
    assert not stored.is_valid and stored.revoke_reason == "出席記録の誤り"
    assert _revocations(app, cert.id)[0]["reason"] == "出席記録の誤り"
    # Japanese by default: the record now says 取消し with the reason.
    record = as_coordinator_a.get(f"/records/people/{world.employee_a}").get_data(as_text=True)
    assert "出席記録の誤り" in record and f"/growth/certificates/{cert.id}/revoke" not in record
    assert as_coordinator_a.form_post(url, {"reason": "again"}).status_code == 409


def test_without_the_font_certificates_say_which_font_to_install(
    api, world, done_a2, app, signed_in, monkeypatch
):
    """A demo run without root has no fonts-ipamj-mincho: the page and the API say what to install."""
    from regional.growth import pdf

    monkeypatch.setitem(app.config, "CERTIFICATE_FONT", "/nonexistent/ipamjm.ttf")
    monkeypatch.setattr(pdf.pdfmetrics, "getRegisteredFontNames", lambda: [])
    answer = api(world.emails["employee_a2"]).get(f"/registrations/{done_a2}/certificate")
    assert answer.status_code == 503
    error = answer.get_json()["error"]
    assert error["code"] == "certificate_unavailable"
    assert "fonts-ipamj-mincho" in error["message"] and "CERTIFICATE_FONT" in error["message"]
    cert = _cert(app, done_a2)
    page = signed_in(world.emails["employee_a2"]).get(
        f"/growth/certificates/{cert.id}/pdf", headers={"Accept-Language": "ja"}
    )
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "sudo apt-get install fonts-ipamj-mincho" in html and "修了証を作成できません" in html
