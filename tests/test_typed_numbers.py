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
from regional.validation import typed_code, typed_code_or_none
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


# -- one filter for every field that takes a typed number (issue 21) ----------------


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("０２８５９８", "028598"),
        ("ＦＥ－１２３", "FE-123"),
        ("", None),
        ("　", None),
        (None, None),
    ],
)
def test_the_one_filter_reads_a_typed_number(typed, read):
    assert typed_code_or_none(typed) == read


def test_the_session_form_reads_full_width_seat_counts(app, as_admin):
    """定員 ２０ and 優先枠 ３ typed with a Japanese input method are 20 and 3."""
    from regional.fiscal import to_local
    from regional.sessions.models import TrainingSession
    from tenants.models import Municipality
    from tests.fixtures_sessions import session_form, within

    with within(app):
        program_id = factories.make_program().id
        codes = [m.code for m in db.session.scalars(Municipality.ordered())]
    data = session_form(program_id, capacity="２０")
    for i, code in enumerate(codes):
        data |= {
            f"reservations-{i}-code": code,
            f"reservations-{i}-seats": "３" if i == 1 else "",
            f"reservations-{i}-release_on": "",
        }
    resp = as_admin.form_post("/sessions/new", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    ts_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    with within(app):
        ts = db.session.get(TrainingSession, ts_id)
        assert ts.capacity == 20
        assert [a.seats for a in ts.allocations] == [3]
        assert to_local(ts.starts_at)  # read back in Tokyo time


def test_the_person_form_stores_a_full_width_employee_number_in_ascii(app, world, as_coordinator_a):
    email = "fullwidth.person@" + world.emails["employee_a"].split("@", 1)[1]
    resp = as_coordinator_a.form_post(
        "/people/new",
        {
            "name": "全角 番号",
            "email": email,
            "employee_number": "０２８５９９",
            "job_category": "administrative",
            "org_unit_id": "",
            "role": "employee",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    with app.app_context(), acting_as(db.session, world.muni_a):
        person = db.session.scalar(select(User).where(User.email == email))
        assert person.employee_number == "028599"


def test_the_qualification_page_keeps_a_full_width_certificate_number_in_ascii(
    app, world, as_employee_a
):
    resp = as_employee_a.form_post(
        "/growth/qualifications",
        {"exam": "FE", "passed_on": "2025-11-20", "certificate_number": "ＦＥ－２０２５－０００２"},
    )
    assert resp.status_code == 302
    with app.app_context(), acting_as(db.session, world.muni_a):
        stored = db.session.scalar(select(Qualification.certificate_number))
    assert stored == "FE-2025-0002"


def test_the_staff_search_finds_a_full_width_employee_number(app, world, as_coordinator_a):
    with app.app_context(), acting_as(db.session, world.muni_a):
        db.session.get(User, world.employee_a2).employee_number = "028598"
        ts = factories.make_session(capacity=5).id
        db.session.commit()
    page = as_coordinator_a.get(f"/registrations/session/{ts}?q=０２８５").get_data(as_text=True)
    with app.app_context(), acting_as(db.session, world.muni_a):
        name = db.session.get(User, world.employee_a2).name
    assert name in page


def test_the_api_stores_a_full_width_employee_number_in_ascii(app, world, api):
    from tests.conftest import CODE_A

    email = "api.fullwidth@" + world.emails["employee_a"].split("@", 1)[1]
    body = {"email": email, "name": "全角 API", "employee_number": "０２８６００"}
    resp = api(world.emails["coordinator_a"]).post(f"/municipalities/{CODE_A}/employees", json=body)
    assert resp.status_code == 201, resp.get_json()
    with app.app_context(), acting_as(db.session, world.muni_a):
        person = db.session.scalar(select(User).where(User.email == email))
        assert person.employee_number == "028600"
