"""Training records: what a person has done and what they still lack, for them and their coordinator."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from regional.extensions import db
from tests import factories
from tests.fixtures_targets import ADVANCED, PM, complete, complete_all, program


def _with_history(app, world):
    with app.app_context():
        complete_all(world.muni_a, world.employee_a, ADVANCED, date(2025, 6, 1))
        complete(world.muni_a, world.employee_a, PM[0], date(2025, 7, 1))
        complete(world.muni_b, world.employee_b, PM[1], date(2025, 7, 2))
        # Upcoming sessions of a PM programme the person lacks: one open to all, one
        # hosted by B (A's staff may not attend it, so it is not suggested).
        open_session = factories.make_session(program(PM[1]), starts_in=timedelta(days=20))
        b_only = factories.make_session(
            program(PM[1]), starts_in=timedelta(days=10), host_municipality_id=world.muni_b
        )
        db.session.commit()
        return open_session.id, b_only.id


def test_my_record_through_the_api(app, world, api):
    _with_history(app, world)
    body = api(world.emails["employee_a"]).get("/me/record").get_json()
    assert set(body) >= {"completions", "personas", "ojt", "qualifications"}
    codes = {c["program_code"] for c in body["completions"]}
    assert codes == {*ADVANCED, PM[0]}  # B's person's completion is not here
    first = next(c for c in body["completions"] if c["program_code"] == PM[0])
    assert first["completed_on"] == "2025-07-01"
    assert first["fiscal_year"] == 2025
    assert first["certificate_code"] is None
    assert first["program_title"]
    assert body["personas"] == ["advanced"]
    assert body["ojt"] == [] and body["qualifications"] == []


def test_the_api_record_needs_a_sign_in(api):
    assert api(None).get("/me/record").status_code == 401


def test_my_page_shows_what_is_missing_and_the_sessions_that_close_the_gap(
    app, world, as_employee_a
):
    open_id, b_only = _with_history(app, world)
    page = as_employee_a.get("/records/my-training/history").get_data(as_text=True)
    assert PM[1] in page and PM[2] in page  # still missing for core PM
    assert f"/sessions/{open_id}" in page
    assert f"/sessions/{b_only}" not in page  # another member's own session
    assert "/records/me.csv" in page


def test_my_record_as_csv(app, world, as_employee_a):
    _with_history(app, world)
    resp = as_employee_a.get("/records/me.csv")
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][0] == "研修コード"
    assert {r[0] for r in rows[1:]} == {*ADVANCED, PM[0]}


def test_a_coordinator_reads_their_own_persons_record(app, world, as_coordinator_a):
    _with_history(app, world)
    resp = as_coordinator_a.get(f"/records/people/{world.employee_a}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert ADVANCED[0] in page and PM[1] in page
    assert "records.css" in page
    people_page = as_coordinator_a.get(f"/people/{world.employee_a}").get_data(as_text=True)
    assert f"/records/people/{world.employee_a}" in people_page


def test_another_members_person_is_not_found(app, world, as_coordinator_b, as_employee_a):
    assert as_coordinator_b.get(f"/records/people/{world.employee_a}").status_code == 404
    assert as_employee_a.get(f"/records/people/{world.employee_a}").status_code == 403


def test_the_record_prints_on_a4(app):
    css = app.static_folder + "/css/records.css"
    with open(css, encoding="utf-8") as f:
        text = f.read()
    assert "@page" in text and "A4" in text


def test_the_api_record_carries_certificate_codes_ojt_and_qualifications(app, world, api):
    from sqlalchemy import select

    from regional.attendance.models import Certificate
    from tenants.scoping import acting_as
    from tests.fixtures_growth import completed_registration

    with app.app_context():
        reg_id = completed_registration(world, world.employee_a)
        db.session.commit()
    me = api(world.emails["employee_a"])
    # Issued with the completion: the record carries the code before any download.
    with app.app_context(), acting_as(db.session, world.muni_a):
        code = db.session.scalar(
            select(Certificate.code).where(Certificate.registration_id == reg_id)
        )
    pass_ = {"exam": "FE", "passed_on": "2025-11-20", "certificate_number": "FE-2025-0001"}
    assert me.post("/me/qualifications", json=pass_).status_code == 201
    body = me.get("/me/record").get_json()
    item = next(c for c in body["completions"] if c["registration_id"] == reg_id)
    assert item["certificate_code"] == code
    assert [q["exam"] for q in body["qualifications"]] == ["FE"]
    assert body["ojt"] == []
    # Another person's record shows none of it.
    other = api(world.emails["employee_a2"]).get("/me/record").get_json()
    assert other["completions"] == [] and other["qualifications"] == []
