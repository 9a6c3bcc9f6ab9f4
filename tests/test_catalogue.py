"""The catalogue pages: everyone browses in their language; regional administrators edit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from regional import attendance
from regional.attendance.models import Completion
from regional.catalogue.models import Program, ProgramRevision, SkillArea
from regional.catalogue.services import set_program_active
from regional.extensions import db
from regional.people.models import JobCategory
from regional.registrations import actions
from tenants.scoping import acting_as, all_tenants
from tests import factories
from tests.fixtures_sessions import count, person, within

EN = {"Accept-Language": "en"}
JA = {"Accept-Language": "ja"}


def _program(code: str) -> Program:
    return db.session.scalar(
        select(Program).where(Program.code == code).execution_options(populate_existing=True)
    )


def _id(app, code: str) -> int:
    with within(app):
        return _program(code).id


def program_form(app, **overrides) -> dict:
    with within(app):
        area = db.session.scalar(select(SkillArea.id).where(SkillArea.key == "cloud"))
    data = {
        "code": "CORE-DT-900",
        "title_ja": "クラウド実践",
        "title_en": "Cloud in practice",
        "description_ja": "説明",
        "description_en": "About it",
        "skill_area": str(area),
        "delivery": "classroom",
        "hours": "3.5",
    }
    data.update(overrides)
    return data


def _text(client, url: str, headers: dict | None = None) -> str:
    resp = client.get(url, headers=headers or EN)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


# -- browsing ----------------------------------------------------------------


def test_catalogue_lists_every_active_programme_grouped_by_tier(as_employee_a):
    page = _text(as_employee_a, "/catalogue/")
    assert "20 programmes" in page
    for code in ("ADV-101", "CORE-DT-101", "CORE-PM-301", "GEN-LIT-101", "GEN-MIND-101"):
        assert code in page
    assert page.index("General staff") < page.index("Core staff") < page.index("Advanced digital")


def test_catalogue_filters_by_tier(as_employee_a):
    page = _text(as_employee_a, "/catalogue/?tier=advanced")
    assert "ADV-101" in page and "ADV-103" in page
    assert "GEN-SEC-101" not in page and "CORE-DT-101" not in page
    assert "3 programmes" in page


def test_catalogue_filters_by_track(as_employee_a):
    page = _text(as_employee_a, "/catalogue/?track=project_management")
    assert "CORE-PM-101" in page and "CORE-PM-301" in page
    assert "CORE-DT-101" not in page and "GEN-LIT-101" not in page


def test_catalogue_filters_by_skill_area(as_employee_a):
    page = _text(as_employee_a, "/catalogue/?area=cloud")
    assert "CORE-DT-101" in page and "CORE-DT-102" in page
    assert "CORE-DT-201" not in page


def test_unknown_filter_value_is_reported_and_ignored(as_employee_a):
    page = _text(as_employee_a, "/catalogue/?tier=wizard")
    assert 'aria-invalid="true"' in page
    assert "20 programmes" in page


def test_titles_follow_the_language_of_the_reader(app, as_employee_a):
    with within(app):
        p = _program("GEN-LIT-202")
        title_ja, title_en = p.title_ja, p.title_en
    english = _text(as_employee_a, "/catalogue/", EN)
    assert title_en in english and title_ja not in english
    assert title_ja in _text(as_employee_a, "/catalogue/", JA)


def test_retired_programme_is_hidden_from_staff_but_listed_for_administrators(
    app, as_employee_a, as_admin, world
):
    with within(app):
        set_program_active(_program("GEN-MIND-101"), False, world.admin)
    assert "GEN-MIND-101" not in _text(as_employee_a, "/catalogue/?retired=y")
    assert "GEN-MIND-101" not in _text(as_admin, "/catalogue/")
    assert "GEN-MIND-101" in _text(as_admin, "/catalogue/?retired=y")


def test_programme_page_shows_audience_description_and_hours(app, as_employee_a):
    with within(app):
        p = _program("CORE-PM-101")
        pid, audience, hours = p.id, p.skill_area.audience_en, str(p.hours)
    page = _text(as_employee_a, f"/catalogue/{pid}")
    assert audience in page
    assert "Project management" in page
    assert hours in page
    assert "Revision history" not in page  # administrators only


def test_programme_page_answers_can_i_take_this_in_words(app, as_employee_a, signed_in, world):
    pid = _id(app, "GEN-LIT-101")  # administrative staff only
    yes = _text(as_employee_a, f"/catalogue/{pid}")
    assert "You can take this programme." in yes
    assert "✓" in yes and "Met:" in yes
    with within(app):
        nurse = factories.make_user(world.muni_a, job_category=JobCategory.MEDICAL).email
    no = _text(signed_in(nurse), f"/catalogue/{pid}")
    assert "You cannot take this programme at the moment." in no
    assert "✗" in no and "Not met:" in no
    assert "Open only to these job categories" in no


def test_programme_page_lists_only_sessions_open_to_the_readers_municipality(
    app, as_employee_a, world
):
    with within(app):
        program = factories.make_program()
        shared = factories.make_session(program).id
        own = factories.make_session(program, host_municipality_id=world.muni_a).id
        other = factories.make_session(program, host_municipality_id=world.muni_b).id
        past = factories.make_session(
            program,
            starts_in=timedelta(days=-3),
            opens_in=timedelta(days=-9),
            closes_in=timedelta(days=-4),
        ).id
        pid = program.id
    page = _text(as_employee_a, f"/catalogue/{pid}")
    assert f"/sessions/{shared}" in page
    assert f"/sessions/{own}" in page
    assert f"/sessions/{other}" not in page
    assert f"/sessions/{past}" not in page


def test_unknown_programme_is_not_found(as_employee_a):
    assert as_employee_a.get("/catalogue/999999").status_code == 404


# -- administration ------------------------------------------------------------


def test_administrator_adds_a_programme_whose_tier_and_track_follow_the_area(app, as_admin):
    data = program_form(app, eligible_job_categories=["administrative", "technical"])
    # A programme of a persona's track: first what it does to the figures, nothing saved.
    resp = as_admin.form_post("/catalogue/new", data, headers=EN)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "What this change does to the figures" in page
    assert "No figure of a past fiscal year changes" in page
    with within(app):
        assert _program("CORE-DT-900") is None
    resp = as_admin.form_post("/catalogue/new", {**data, "confirmed": "1"})
    assert resp.status_code == 302
    with within(app):
        p = _program("CORE-DT-900")
        assert (p.tier.value, p.track.value, p.revision) == ("core", "digital_tech", 1)
        assert str(p.hours) == "3.5"
        assert p.eligible_job_categories == ["administrative", "technical"]
        assert db.session.scalar(select(ProgramRevision).where(ProgramRevision.program_id == p.id))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hours": "1000"}, "between 0 and 999.9"),
        ({"hours": "-1"}, "between 0 and 999.9"),
        ({"hours": "1.25"}, "one decimal place"),
        ({"hours": "many"}, "Hours"),
        ({"title_ja": ""}, "Enter the title in Japanese."),
        ({"code": "bad code!"}, "letters, digits"),
        ({"code": "GEN-SEC-101"}, "already exists"),
        ({"skill_area": "999999"}, "Skill area"),
        ({"eligible_job_categories": ["astronaut"]}, "Open to job categories"),
    ],
)
def test_bad_programme_is_refused_with_a_message_and_nothing_saved(
    app, as_admin, overrides, message
):
    with within(app):
        before = (count(Program), count(ProgramRevision))
    resp = as_admin.form_post("/catalogue/new", program_form(app, **overrides), headers=EN)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Please correct the following" in page
    assert message in page
    with within(app):
        assert (count(Program), count(ProgramRevision)) == before


def test_staff_and_coordinators_cannot_add_programmes(app, as_coordinator_a):
    with within(app):
        before = count(Program)
    assert as_coordinator_a.get("/catalogue/new").status_code == 403
    assert as_coordinator_a.form_post("/catalogue/new", program_form(app)).status_code == 403
    with within(app):
        assert count(Program) == before


def test_revising_a_programme_makes_a_new_revision_shown_in_its_history(app, as_admin):
    with within(app):
        p = _program("CORE-DT-301")
        pid, title_ja, area = p.id, p.title_ja, p.skill_area_id
    resp = as_admin.form_post(
        f"/catalogue/{pid}/edit",
        program_form(
            app,
            code="IGNORED",
            title_ja=title_ja,
            title_en="Writing specifications, revised",
            skill_area=str(area),
            hours="7.0",
        ),
    )
    assert resp.status_code == 302
    with within(app):
        p = _program("CORE-DT-301")
        assert (p.revision, p.title_en, str(p.hours), p.code) == (
            2,
            "Writing specifications, revised",
            "7.0",
            "CORE-DT-301",
        )
        revisions = db.session.scalars(
            select(ProgramRevision.revision).where(ProgramRevision.program_id == p.id)
        ).all()
        assert sorted(revisions) == [1, 2]
    page = _text(as_admin, f"/catalogue/{pid}")
    assert "Revision history" in page
    assert "Title (English), Hours" in page


def test_saving_without_changes_makes_no_new_revision(app, as_admin):
    with within(app):
        p = _program("GEN-SEC-102")
        pid = p.id
        data = {
            "title_ja": p.title_ja,
            "title_en": p.title_en,
            "description_ja": p.description_ja,
            "description_en": p.description_en,
            "skill_area": str(p.skill_area_id),
            "delivery": p.delivery.value,
            "hours": str(p.hours),
        }
    assert as_admin.form_post(f"/catalogue/{pid}/edit", data).status_code == 302
    with within(app):
        assert _program("GEN-SEC-102").revision == 1


def test_revision_keeps_what_past_participants_completed(app, as_admin, world):
    with within(app):
        program = factories.make_program(title_ja="旧タイトル", title_en="Old title")
        past = factories.make_session(
            program,
            starts_in=timedelta(hours=-3),
            hours=1,
            opens_in=timedelta(days=-10),
            closes_in=timedelta(hours=-4),
        )
        admin, employee = person(world.admin), person(world.employee_a)
        with acting_as(db.session, world.muni_a):
            reg = actions.register(past.id, employee, admin)
        attendance.record_attendance(past.id, [(reg.id, True)], admin)
        pid, code, area, reg_id = program.id, program.code, program.skill_area_id, reg.id
    resp = as_admin.form_post(
        f"/catalogue/{pid}/edit",
        program_form(
            app, title_ja="新タイトル", title_en="New title", skill_area=str(area), hours="4.0"
        ),
    )
    assert resp.status_code == 302
    with within(app):
        with all_tenants(db.session):
            completion = db.session.scalar(
                select(Completion).where(Completion.registration_id == reg_id)
            )
        assert (completion.title_ja, completion.title_en, completion.program_revision) == (
            "旧タイトル",
            "Old title",
            1,
        )
        assert str(completion.hours) == "2.0"
        assert (_program(code).title_ja, _program(code).revision) == ("新タイトル", 2)


def test_retiring_and_reactivating_a_programme(app, as_admin, as_employee_a):
    pid = _id(app, "GEN-LIT-203")
    assert as_admin.form_post(f"/catalogue/{pid}/active", {"active": "0"}).status_code == 302
    with within(app):
        assert _program("GEN-LIT-203").active is False
    assert "This programme has been retired." in _text(as_employee_a, f"/catalogue/{pid}")
    assert as_admin.form_post(f"/catalogue/{pid}/active", {"active": "1"}).status_code == 302
    with within(app):
        assert _program("GEN-LIT-203").active is True


def test_retire_needs_a_clear_choice(app, as_admin):
    pid = _id(app, "GEN-LIT-203")
    assert as_admin.form_post(f"/catalogue/{pid}/active", {"active": "maybe"}).status_code == 400
    with within(app):
        assert _program("GEN-LIT-203").active is True


def test_english_title_is_optional_and_falls_back_to_japanese(app, as_admin):
    resp = as_admin.form_post(
        "/catalogue/new",
        {**program_form(app, code="GEN-JA-ONLY", title_en=""), "confirmed": "1"},
        headers=EN,
    )
    assert resp.status_code == 302
    with within(app):
        program = db.session.scalar(select(Program).where(Program.code == "GEN-JA-ONLY"))
        assert program.title_en == ""
        assert program.title("en") == program.title_ja
