"""The people pages: a coordinator runs their own municipality's people, and nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from regional.errors import Conflict
from regional.extensions import db
from regional.people.models import AccountStatus, JobCategory, Role, User
from regional.people.people import PersonData, create_person
from tenants.scoping import acting_as
from tests import factories
from tests.conftest import PASSWORD
from tests.fixtures_people import in_app, user_by_email, user_row

pytest_plugins = ["tests.fixtures_people"]


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _new_person(**overrides) -> dict:
    data = {
        "name": "岡田 新",
        "name_kana": "オカダ アラタ",
        "email": "arata.okada@city.tsuyama.lg.jp",
        "employee_number": "T-1001",
        "job_category": "administrative",
        "org_unit_id": "",
    }
    data.update(overrides)
    return data


# -- who may see what ---------------------------------------------------------


def test_employees_are_refused_every_people_page(as_employee_a, world):
    for url in ("/people/", "/people/pending", "/people/units", "/people/new"):
        assert as_employee_a.get(url).status_code == 403
    assert as_employee_a.get(f"/people/{world.employee_a2}").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    resp = client.get("/people/")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_coordinator_sees_only_own_municipality_people(as_coordinator_a):
    page = _text(as_coordinator_a.get("/people/"))
    assert "髙橋 太郎" in page and "𠮷野 花子" in page
    assert "玉野 次郎" not in page
    assert "jiro.tamano@city.tamano.lg.jp" not in page


def test_coordinator_cannot_open_other_municipality_person(as_coordinator_a, world):
    assert as_coordinator_a.get(f"/people/{world.employee_b}").status_code == 404
    assert as_coordinator_a.get(f"/people/{world.employee_b}/edit").status_code == 404
    resp = as_coordinator_a.form_post(f"/people/{world.employee_b}/disable")
    assert resp.status_code == 404


def test_coordinator_cannot_disable_other_municipality_person(as_coordinator_a, world, app):
    as_coordinator_a.form_post(f"/people/{world.employee_b}/disable")
    assert user_row(app, world.employee_b).status == AccountStatus.ACTIVE


def test_person_page_shows_details(as_coordinator_a, world):
    page = _text(as_coordinator_a.get(f"/people/{world.employee_a}"))
    assert "taro.tsuyama@city.tsuyama.lg.jp" in page
    assert "<h1>髙橋 太郎</h1>" in page


# -- searching and filtering ----------------------------------------------------


def test_search_finds_by_name_email_and_employee_number(as_coordinator_a, world, app):
    employee_number = user_row(app, world.employee_a2).employee_number
    assert "𠮷野 花子" in _text(as_coordinator_a.get("/people/?q=𠮷野"))
    assert "髙橋 太郎" not in _text(as_coordinator_a.get("/people/?q=𠮷野"))
    assert "髙橋 太郎" in _text(as_coordinator_a.get("/people/?q=taro.tsuyama"))
    page = _text(as_coordinator_a.get(f"/people/?q={employee_number}"))
    assert "𠮷野 花子" in page and "髙橋 太郎" not in page


def test_search_never_reaches_another_municipality(as_coordinator_a):
    page = _text(as_coordinator_a.get("/people/?q=tamano", headers={"Accept-Language": "en"}))
    assert "玉野 次郎" not in page
    assert "0 people found." in page


def test_filters_by_status_unit_and_job_category(as_coordinator_a, world, units, app):
    with in_app(app):
        factories.make_user(world.muni_a, name="係 の人", org_unit_id=units["sec"])
        factories.make_user(
            world.muni_a,
            name="技術 職員",
            job_category=JobCategory.TECHNICAL,
            org_unit_id=units["div"],
        )
        factories.make_user(world.muni_a, name="止め 職員", status=AccountStatus.DISABLED)
    # A department filter includes the people of its sub-units.
    page = _text(as_coordinator_a.get(f"/people/?unit={units['dept']}"))
    assert "係 の人" in page and "技術 職員" in page and "髙橋 太郎" not in page
    page = _text(as_coordinator_a.get(f"/people/?unit={units['sec']}"))
    assert "係 の人" in page and "技術 職員" not in page
    page = _text(as_coordinator_a.get("/people/?job_category=technical"))
    assert "技術 職員" in page and "係 の人" not in page
    page = _text(as_coordinator_a.get("/people/?status=disabled"))
    assert "止め 職員" in page and "髙橋 太郎" not in page


def test_list_is_paged(as_coordinator_a, world, app):
    with in_app(app):
        for i in range(55):
            factories.make_user(world.muni_a, name=f"頁 職員{i:02d}")
    first = _text(as_coordinator_a.get("/people/"))
    second = _text(as_coordinator_a.get("/people/?page=2"))
    assert 'rel="next"' in first
    assert 'rel="prev"' in second
    # Every A person appears on exactly one page.
    names = [f"頁 職員{i:02d}" for i in range(55)]
    assert all((n in first) != (n in second) for n in names)


def test_unit_filter_offers_only_own_units(as_coordinator_a, units):
    page = _text(as_coordinator_a.get("/people/"))
    assert "総務部/デジタル推進課/企画係" in page
    assert "玉野総務課" not in page


# -- adding and editing ---------------------------------------------------------


def test_coordinator_adds_person_to_own_municipality(as_coordinator_a, world, units, app):
    resp = as_coordinator_a.form_post(
        "/people/new",
        _new_person(org_unit_id=str(units["sec"]), municipality_id=str(world.muni_b)),
    )
    assert resp.status_code == 302
    person = user_by_email(app, "arata.okada@city.tsuyama.lg.jp")
    assert person.municipality_id == world.muni_a
    assert person.role == Role.EMPLOYEE
    assert person.status == AccountStatus.ACTIVE
    assert person.org_unit_id == units["sec"]
    assert person.password_hash is None


def test_employee_number_typed_in_full_width_is_stored_in_ascii(as_coordinator_a, app):
    as_coordinator_a.form_post("/people/new", _new_person(employee_number="Ｔ－１００２"))
    assert user_by_email(app, "arata.okada@city.tsuyama.lg.jp").employee_number == "T-1002"


def test_employee_number_must_be_unique_within_the_municipality(as_coordinator_a, world, app):
    taken = user_row(app, world.employee_a).employee_number
    resp = as_coordinator_a.form_post("/people/new", _new_person(employee_number=taken))
    assert resp.status_code == 400
    assert 'aria-invalid="true"' in _text(resp)
    assert user_by_email(app, "arata.okada@city.tsuyama.lg.jp") is None


def test_same_employee_number_is_fine_in_another_municipality(as_coordinator_a, world, app):
    b_number = user_row(app, world.employee_b).employee_number
    resp = as_coordinator_a.form_post("/people/new", _new_person(employee_number=b_number))
    assert resp.status_code == 302
    assert user_by_email(app, "arata.okada@city.tsuyama.lg.jp").employee_number == b_number


def test_email_in_use_in_another_municipality_is_refused(as_coordinator_a, world, app):
    resp = as_coordinator_a.form_post(
        "/people/new", _new_person(email=world.emails["employee_b"].upper())
    )
    assert resp.status_code == 400
    assert user_row(app, world.employee_b).municipality_id == world.muni_b
    assert "玉野" not in _text(resp)  # says the address is in use, never where


def test_database_refuses_a_duplicate_that_slipped_past_the_form(app, world, monkeypatch):
    """Two coordinators saving at once: the UNIQUE key decides, as a clean conflict."""
    taken = user_row(app, world.employee_a).employee_number
    monkeypatch.setattr("regional.people.people.employee_number_taken", lambda *a, **k: False)
    with app.app_context(), acting_as(db.session, world.muni_a):
        coordinator = db.session.get(User, world.coordinator_a)
        data = PersonData(email="race@city.tsuyama.lg.jp", name="競合", employee_number=taken)
        with pytest.raises(Conflict) as exc:
            create_person(data, coordinator)
        assert exc.value.code == "employee_number_taken"
        # The savepoint was rolled back; the session is still usable.
        assert (
            db.session.scalar(select(User).where(User.email == "race@city.tsuyama.lg.jp")) is None
        )


def test_org_unit_of_another_municipality_cannot_be_chosen(as_coordinator_a, units, app):
    resp = as_coordinator_a.form_post("/people/new", _new_person(org_unit_id=str(units["b"])))
    assert resp.status_code == 400
    assert user_by_email(app, "arata.okada@city.tsuyama.lg.jp") is None


def test_coordinator_cannot_make_a_coordinator(as_coordinator_a, world, app):
    assert 'name="role"' not in _text(as_coordinator_a.get("/people/new"))
    as_coordinator_a.form_post("/people/new", _new_person(role="coordinator"))
    assert user_by_email(app, "arata.okada@city.tsuyama.lg.jp").role == Role.EMPLOYEE
    as_coordinator_a.form_post(
        f"/people/{world.employee_a}/edit",
        {**_new_person(email=world.emails["employee_a"], name="髙橋 太郎"), "role": "coordinator"},
    )
    assert user_row(app, world.employee_a).role == Role.EMPLOYEE


def test_coordinator_edits_an_employee(as_coordinator_a, world, units, app):
    resp = as_coordinator_a.form_post(
        f"/people/{world.employee_a}/edit",
        _new_person(
            name="髙橋 太郎",
            email="Taro.New@City.Tsuyama.lg.jp",
            employee_number="T-9",
            job_category="technical",
            org_unit_id=str(units["div"]),
            system_duty="y",
        ),
    )
    assert resp.status_code == 302
    person = user_row(app, world.employee_a)
    assert person.email == "taro.new@city.tsuyama.lg.jp"
    assert person.job_category == JobCategory.TECHNICAL
    assert person.org_unit_id == units["div"]
    assert person.system_duty is True


def test_coordinator_cannot_change_a_fellow_coordinator(signed_in, world, app):
    with in_app(app):
        second = factories.make_user(
            world.muni_a, role=Role.COORDINATOR, email="coord2@city.tsuyama.lg.jp"
        ).id
    client = signed_in(world.emails["coordinator_a"])
    assert client.get(f"/people/{second}/edit").status_code == 403
    assert client.form_post(f"/people/{second}/disable").status_code == 403
    assert user_row(app, second).status == AccountStatus.ACTIVE


# -- disabling --------------------------------------------------------------------


def test_disabling_signs_the_person_out_everywhere(
    as_coordinator_a, signed_in, api, client, world, app
):
    victim = signed_in(world.emails["employee_a"])
    token_client = api(world.emails["employee_a"])
    assert victim.get("/").status_code == 200
    before = user_row(app, world.employee_a).session_version
    resp = as_coordinator_a.form_post(f"/people/{world.employee_a}/disable")
    assert resp.status_code == 302
    person = user_row(app, world.employee_a)
    assert person.status == AccountStatus.DISABLED
    assert person.session_version == before + 1
    assert victim.get("/").status_code == 302  # back to the sign-in page
    assert token_client.get("/me").status_code == 401
    assert client.login(world.emails["employee_a"], PASSWORD).status_code == 401


def test_re_enabled_person_signs_in_again(as_coordinator_a, client, world, app):
    as_coordinator_a.form_post(f"/people/{world.employee_a}/disable")
    as_coordinator_a.form_post(f"/people/{world.employee_a}/enable")
    assert user_row(app, world.employee_a).status == AccountStatus.ACTIVE
    assert client.login(world.emails["employee_a"]).status_code == 302


def test_coordinator_cannot_disable_themselves(as_coordinator_a, world, app):
    as_coordinator_a.form_post(f"/people/{world.coordinator_a}/disable")
    assert user_row(app, world.coordinator_a).status == AccountStatus.ACTIVE


# -- pending sign-ups -------------------------------------------------------------


def test_pending_queue_lists_own_municipality_only(as_coordinator_a, pending):
    page = _text(as_coordinator_a.get("/people/pending"))
    assert "外部 申請者" in page
    assert "玉野 申請者" not in page


def test_approving_a_sign_up_activates_and_tells_the_person(
    as_coordinator_a, pending, mailbox, app
):
    resp = as_coordinator_a.form_post(f"/people/{pending['a']}/approve")
    assert resp.status_code == 302
    assert user_row(app, pending["a"]).status == AccountStatus.ACTIVE
    (msg,) = mailbox.to("applicant@gmail.example")
    assert "/login" in mailbox.body(msg)


def test_refusing_a_sign_up_deletes_it_and_tells_the_person(
    as_coordinator_a, pending, mailbox, app
):
    resp = as_coordinator_a.form_post(f"/people/{pending['a']}/reject")
    assert resp.status_code == 302
    assert user_row(app, pending["a"]) is None
    (msg,) = mailbox.to("applicant@gmail.example")
    assert "津山市" in mailbox.body(msg)


def test_refused_sign_up_with_a_registration_is_disabled_not_deleted(
    as_coordinator_a, pending, world, app
):
    from regional.seats.models import Registration, RegistrationStatus

    with in_app(app):
        session = factories.make_session()
        with acting_as(db.session, world.muni_a):
            db.session.add(
                Registration(
                    session_id=session.id,
                    employee_id=pending["a"],
                    status=RegistrationStatus.CANCELLED,
                )
            )
            db.session.flush()
    as_coordinator_a.form_post(f"/people/{pending['a']}/reject")
    assert user_row(app, pending["a"]).status == AccountStatus.DISABLED


def test_coordinator_cannot_decide_another_municipality_sign_up(as_coordinator_a, pending, app):
    assert as_coordinator_a.form_post(f"/people/{pending['b']}/approve").status_code == 404
    assert as_coordinator_a.form_post(f"/people/{pending['b']}/reject").status_code == 404
    assert user_row(app, pending["b"]).status == AccountStatus.PENDING_APPROVAL


def test_approving_an_active_account_changes_nothing(as_coordinator_a, world, mailbox, app):
    resp = as_coordinator_a.form_post(f"/people/{world.employee_a}/approve")
    assert resp.status_code == 302
    assert mailbox.messages == []
    assert user_row(app, world.employee_a).status == AccountStatus.ACTIVE
