"""Numbers people type (full-width digits from a Japanese input method) are read as ASCII
before they are looked up or stored: 職員番号 on 「自市町の職員を申し込む」, certificate
numbers of qualifications, and certificate codes on the verification page."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import select

from regional.attendance.models import Certificate
from regional.extensions import db
from regional.growth import certificates
from regional.growth.models import Qualification
from regional.people.models import User
from regional.validation import typed_code
from tenants import all_tenants
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_growth import completed_registration
from tests.fixtures_registrations import all_registrations


def full_width(text: str) -> str:
    """ASCII letters, digits and '-' as a Japanese input method types them (Ａ, ０, －)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("０２８５９８", "028598"),
        (" ０２８ ５９８ ", "028598"),
        ("Ａ‐１０３", "A-103"),
        ("ＦＥ－２０２５ー０００１", "FE-2025-0001"),
        ("028598", "028598"),
        ("", ""),
    ],
)
def test_typed_code_reads_what_an_input_method_types(typed, read):
    assert typed_code(typed) == read
    assert typed_code(None) == ""


def test_a_full_width_employee_number_finds_the_person(app, world, as_coordinator_a):
    with app.app_context(), acting_as(db.session, world.muni_a):
        db.session.get(User, world.employee_a2).employee_number = "028598"
        ts = factories.make_session(capacity=5).id
        db.session.commit()
    resp = as_coordinator_a.form_post(
        f"/registrations/session/{ts}/register-staff", {"employee": "０２８５９８"}
    )
    assert resp.status_code == 302
    with app.app_context():
        assert [r.employee_id for r in all_registrations(ts)] == [world.employee_a2]


def test_a_certificate_number_typed_in_full_width_is_kept_in_ascii(app, world, api):
    body = {
        "exam": "FE",
        "passed_on": "2025-11-20",
        "certificate_number": full_width("FE-2025-0001"),
    }
    resp = api(world.emails["employee_a"]).post("/me/qualifications", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["certificate_number"] == "FE-2025-0001"
    with app.app_context(), acting_as(db.session, world.muni_a):
        stored = db.session.scalar(select(Qualification.certificate_number))
    assert stored == "FE-2025-0001"


def test_a_certificate_number_folded_past_the_bound_is_refused_not_a_500(world, api):
    # NFKC makes ㍻ two characters: the bound is checked on what is stored.
    body = {"exam": "FE", "passed_on": "2025-11-20", "certificate_number": "㍻" * 26}
    resp = api(world.emails["employee_a"]).post("/me/qualifications", json=body)
    assert resp.status_code == 422


def test_a_certificate_code_typed_in_full_width_is_found(app, world, client):
    with app.app_context():
        reg_id = completed_registration(world, world.employee_a2)
        db.session.commit()
    with app.app_context(), all_tenants(db.session):
        code = db.session.scalar(
            select(Certificate.code).where(Certificate.registration_id == reg_id)
        )
    typed = full_width(certificates.display_code(code).lower())
    assert unicodedata.normalize("NFKC", typed) != typed
    page = client.get("/growth/verify", query_string={"code": typed})
    assert page.status_code == 200
    assert "𠮷野 花子" in page.get_data(as_text=True)
